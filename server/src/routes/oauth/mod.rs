//! The sign-in routes of guide Steps 4–6 (G9–G11) and sign-out.

pub mod authorize;
pub mod callback;
pub mod session;
pub mod transaction_cookie;
