//! Known scopes: the OAuth scopes and the integration scopes of the guide (plus the names the
//! platform code uses), and the providers the Connect popup serves.

pub const OAUTH_SCOPES: &[&str] = &[
    "openid",
    "profile",
    "email",
    "agents:execute",
    "integrations:list",
    "integrations:connect",
    "integrations:delete",
];

/// Providers with a connect flow in the sandbox.
pub const PROVIDERS: &[&str] = &["google", "github", "notion", "twitter", "slack"];

/// Integration scopes accepted by the Connect popup: the guide's names first, then the platform
/// code's alternative spellings.
pub const INTEGRATION_SCOPES: &[&str] = &[
    "google:gmail.readonly",
    "google:gmail.send",
    "google:sheets.read",
    "google:sheets.write",
    "google:calendar.read",
    "google:calendar.write",
    "google:drive.read",
    "google:drive.write",
    "github:repo.read",
    "github:repo.write",
    "github:user.read",
    "twitter:tweet.read",
    "twitter:tweet.write",
    "notion:read",
    "notion:write",
    "slack:read",
    "slack:write",
    // platform-code names
    "google:sheets.readonly",
    "google:drive.readonly",
    "google:calendar.readonly",
    "github:repos.read",
    "github:repos.write",
];

pub fn is_oauth_scope(s: &str) -> bool {
    OAUTH_SCOPES.contains(&s)
}

pub fn is_integration_scope(s: &str) -> bool {
    INTEGRATION_SCOPES.contains(&s)
}

/// Space-separated scope string → list without duplicates (order kept).
pub fn parse_space(s: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in s.split(' ').filter(|p| !p.is_empty()) {
        if !out.iter().any(|x| x == part) {
            out.push(part.to_owned());
        }
    }
    out
}

/// Union of two scope lists, order kept.
pub fn merge(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    for s in b {
        if !out.contains(s) {
            out.push(s.clone());
        }
    }
    out
}
