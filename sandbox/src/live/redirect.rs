//! Callback URLs as the platform's pages and backend build them: parameters serialised like
//! `URLSearchParams` (spaces as `+`), in a fixed order, appended with `?` (or `&` when the
//! registered URI already carries a query, which variant A would break and we keep working).

use url::form_urlencoded;

pub fn with_query(uri: &str, pairs: &[(&str, &str)]) -> String {
    let mut ser = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        ser.append_pair(k, v);
    }
    let sep = if uri.contains('?') { '&' } else { '?' };
    format!("{uri}{sep}{}", ser.finish())
}

/// `redirect_uri?code=…&state=…`
pub fn code(uri: &str, code: &str, state: &str) -> String {
    with_query(uri, &[("code", code), ("state", state)])
}

/// The backend's error redirect: `error`, `state`, then `error_description`.
pub fn backend_error(uri: &str, error: &str, state: &str, description: &str) -> String {
    with_query(uri, &[("error", error), ("state", state), ("error_description", description)])
}

/// The consent page's own Deny redirect.
pub fn denied(uri: &str, state: &str) -> String {
    with_query(uri, &[("error", "access_denied"), ("error_description", "User denied access"), ("state", state)])
}

/// The wizard's Continue: `success=true`, `state` only when given.
pub fn wizard_success(uri: &str, state: Option<&str>) -> String {
    match state {
        Some(s) => with_query(uri, &[("success", "true"), ("state", s)]),
        None => with_query(uri, &[("success", "true")]),
    }
}

/// The wizard's Cancel.
pub fn wizard_cancelled(uri: &str, state: Option<&str>) -> String {
    let mut pairs = vec![("error", "user_cancelled"), ("error_description", "User cancelled the integration setup")];
    if let Some(s) = state {
        pairs.push(("state", s));
    }
    with_query(uri, &pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_like_url_search_params() {
        assert_eq!(
            denied("http://a/cb", "s t"),
            "http://a/cb?error=access_denied&error_description=User+denied+access&state=s+t"
        );
        assert_eq!(
            backend_error(
                "http://a/cb?x=1",
                "unsupported_response_type",
                "s",
                "Only 'code' response type is supported"
            ),
            "http://a/cb?x=1&error=unsupported_response_type&state=s&error_description=Only+%27code%27+response+type+is+supported"
        );
        assert_eq!(wizard_success("http://a/cb", None), "http://a/cb?success=true");
        assert_eq!(
            wizard_cancelled("http://a/cb", Some("xyz")),
            "http://a/cb?error=user_cancelled&error_description=User+cancelled+the+integration+setup&state=xyz"
        );
    }
}
