//! Security response headers set on every response unless the route already set them
//! (checklist 16, 17): a strict Content-Security-Policy, `nosniff`, `strict-origin-when-cross-origin` referrers and
//! `X-Frame-Options: DENY`.
//!
//! Architecture invariant: no `Cross-Origin-Opener-Policy` is sent. The Connect popup is opened
//! by our page, navigates to the platform and comes back to our callback, which must still reach
//! `window.opener`; `same-origin` (and a browsing-context-group switch on the way back) would cut
//! that link (checklist 16).

use axum::http::{HeaderName, HeaderValue, header};
use tower::{ServiceBuilder, layer::util::Identity, layer::util::Stack};
use tower_http::set_header::SetResponseHeaderLayer;
use url::Url;

type SetIfAbsent = SetResponseHeaderLayer<HeaderValue>;

/// The layer returned by [`security_headers`]: four `SetResponseHeaderLayer::if_not_present`.
pub type SecurityHeadersLayer =
    ServiceBuilder<Stack<SetIfAbsent, Stack<SetIfAbsent, Stack<SetIfAbsent, Stack<SetIfAbsent, Identity>>>>>;

/// The Content-Security-Policy for every page of the app.
///
/// `platform` is the AutoGPT platform: only its origin (`scheme://host[:port]`) is used, and only
/// in `form-action`, because the API-key consent page, written into a popup on our origin, posts
/// to the platform. Taking a parsed [`Url`] rather than a string means nothing that could end a
/// directive (`;`, `,`, whitespace) can reach the header. An opaque origin adds nothing.
pub fn content_security_policy(platform: &Url) -> String {
    let origin = platform.origin();
    let form_action =
        if origin.is_tuple() { format!("'self' {}", origin.ascii_serialization()) } else { "'self'".to_owned() };
    format!(
        "default-src 'self'; \
         script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; \
         connect-src 'self'; \
         form-action {form_action}; \
         frame-ancestors 'none'; \
         base-uri 'none'; \
         object-src 'none'"
    )
}

/// The security headers as one layer. `if_not_present`, so a route may send its own CSP.
///
/// ```text
/// router.layer(middleware::security_headers(&settings.autogpt.url))
/// ```
pub fn security_headers(platform: &Url) -> SecurityHeadersLayer {
    let csp = HeaderValue::from_str(&content_security_policy(platform))
        .expect("a CSP built from a serialized origin is a valid header value");
    ServiceBuilder::new()
        .layer(if_absent(header::CONTENT_SECURITY_POLICY, csp))
        .layer(if_absent(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // Not `no-referrer`/`same-origin`: under those, browsers send `Origin: null` on form
        // posts (same-origin ones resp. cross-origin ones). Our sign-out form needs its Origin,
        // and so does the platform's consent form shown on our origin in the API-key flow.
        // Cross-origin requests still get only the origin, never a path or query.
        .layer(if_absent(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(if_absent(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
}

fn if_absent(name: HeaderName, value: HeaderValue) -> SetIfAbsent {
    SetResponseHeaderLayer::if_not_present(name, value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_the_platform_origin_only_in_form_action() {
        let platform = Url::parse("https://platform.example:8443/some/path?q=1").unwrap();
        let csp = content_security_policy(&platform);
        assert!(csp.contains("form-action 'self' https://platform.example:8443;"), "{csp}");
        assert_eq!(csp.matches("platform.example").count(), 1, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("script-src 'self' 'unsafe-inline' 'wasm-unsafe-eval';"));
    }

    /// The layer sets headers only where the route did not (the API-key consent page, for one,
    /// answers with a CSP of its own).
    #[tokio::test]
    async fn a_route_may_send_its_own_csp() {
        use axum::http::Request;
        use tower::ServiceExt as _;
        let own = "default-src 'none'; frame-ancestors 'none'";
        let router = axum::Router::new()
            .route(
                "/own-csp",
                axum::routing::get(move || async move { ([(header::CONTENT_SECURITY_POLICY, own)], "x") }),
            )
            .layer(security_headers(&Url::parse("http://127.0.0.1:8006").unwrap()));
        let response = router.oneshot(Request::get("/own-csp").body(axum::body::Body::empty()).unwrap()).await.unwrap();
        let csps: Vec<_> = response.headers().get_all(header::CONTENT_SECURITY_POLICY).iter().collect();
        assert_eq!(csps, [own]);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    }

    #[test]
    fn an_opaque_origin_adds_nothing_to_form_action() {
        let csp = content_security_policy(&Url::parse("data:text/plain,x").unwrap());
        assert!(csp.contains("form-action 'self';"), "{csp}");
    }
}
