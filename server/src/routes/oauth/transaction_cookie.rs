//! The sign-in transaction cookie: set by `/api/autogpt/authorize`, read and cleared by the
//! callback. Its value is sealed by the backend (`services::auth::Transactions`); here it is
//! only carried: HttpOnly, `SameSite=Lax` (the platform's redirect back is a top-level
//! navigation, which Lax lets through), 10 minutes, and in production `Secure` with a
//! `__Host-` name.

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use backend::services::auth::TRANSACTION_TTL_SECS;
use tower_sessions::cookie::{Cookie, SameSite, time::Duration};

/// The cookie's name.
pub fn name(production: bool) -> &'static str {
    if production { "__Host-agc_signin" } else { "agc_signin" }
}

/// The cookie's value in a request, if present.
pub fn read(headers: &HeaderMap, production: bool) -> Option<String> {
    let wanted = name(production);
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == wanted)
        .map(|c| c.value().to_owned())
}

/// `Set-Cookie` for `value`, or one that deletes the cookie when `value` is `None`.
pub fn set(value: Option<String>, production: bool) -> (axum::http::HeaderName, HeaderValue) {
    let max_age = if value.is_some() { Duration::seconds(TRANSACTION_TTL_SECS) } else { Duration::ZERO };
    let cookie = Cookie::build((name(production), value.unwrap_or_default()))
        .path("/")
        .http_only(true)
        .secure(production)
        .same_site(SameSite::Lax)
        .max_age(max_age)
        .build();
    let value = HeaderValue::from_str(&cookie.to_string()).expect("base64url values make a valid header");
    (SET_COOKIE, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item4_the_cookie_is_http_only_lax_short_lived_and_host_prefixed_in_production() {
        let (_, value) = set(Some("abc".into()), true);
        let text = value.to_str().unwrap();
        for part in ["__Host-agc_signin=abc", "HttpOnly", "SameSite=Lax", "Secure", "Path=/", "Max-Age=600"] {
            assert!(text.contains(part), "{part} missing: {text}");
        }
        assert!(!text.contains("Domain"));
        let (_, cleared) = set(None, false);
        assert!(
            cleared.to_str().unwrap().starts_with("agc_signin=;") && cleared.to_str().unwrap().contains("Max-Age=0")
        );
        let mut headers = HeaderMap::new();
        headers.insert(COOKIE, HeaderValue::from_static("agc_session=s; agc_signin=sealed"));
        assert_eq!(read(&headers, false).as_deref(), Some("sealed"));
        assert_eq!(read(&headers, true), None);
    }
}
