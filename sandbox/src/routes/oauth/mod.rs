//! The OAuth 2 provider: authorization (with consent), token, revocation, userinfo.

pub mod authorize;
pub mod consent;
pub mod issue;
pub mod revoke;
pub mod scopes;
pub mod token;
pub mod userinfo;
