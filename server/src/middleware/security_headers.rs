//! Security response headers set on every response unless the route already set them
//! (checklist 16, 17): a strict Content-Security-Policy with a fresh script nonce per
//! response (no `'unsafe-inline'` scripts, issue 11 item 8), `nosniff`,
//! `strict-origin-when-cross-origin` referrers, `X-Frame-Options: DENY`, and HSTS in
//! production.
//!
//! Architecture invariant: no `Cross-Origin-Opener-Policy` is sent. The Connect popup is opened
//! by our page, navigates to the platform and comes back to our callback, which must still reach
//! `window.opener`; `same-origin` (and a browsing-context-group switch on the way back) would cut
//! that link (checklist 16).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;
use tower::{ServiceBuilder, layer::util::Identity, layer::util::Stack};
use tower_http::set_header::SetResponseHeaderLayer;
use url::Url;

type SetIfAbsent = SetResponseHeaderLayer<Option<HeaderValue>>;

/// The layer returned by [`security_headers`]: four `SetResponseHeaderLayer::if_not_present`
/// (the fourth is HSTS in production, a header that is never sent otherwise).
pub type SecurityHeadersLayer =
    ServiceBuilder<Stack<SetIfAbsent, Stack<SetIfAbsent, Stack<SetIfAbsent, Stack<SetIfAbsent, Identity>>>>>;

/// This response's script nonce: every inline script we emit carries it (Leptos's hydration
/// scripts through its `Nonce` context, our own pages by reading it from the request's
/// extensions), and the Content-Security-Policy allows exactly it.
#[derive(Clone, Debug)]
pub struct CspNonce(Arc<str>);

impl CspNonce {
    /// 128 random bits, hex (a valid CSP nonce-source).
    pub(crate) fn generate() -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut bytes = [0u8; 16];
        getrandom::getrandom(&mut bytes).expect("the operating system's random source works");
        let mut text = [0u8; 32];
        for (pair, byte) in text.chunks_exact_mut(2).zip(bytes) {
            pair[0] = HEX[usize::from(byte >> 4)];
            pair[1] = HEX[usize::from(byte & 0xf)];
        }
        Self(std::str::from_utf8(&text).expect("hex digits are ASCII").into())
    }

    /// The nonce text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The nonce as Leptos's rendering context wants it.
    pub fn shared(&self) -> Arc<str> {
        Arc::clone(&self.0)
    }
}

/// What the CSP middleware needs: the policy's text before and after the nonce, built once.
#[derive(Clone, Debug)]
pub struct CspPolicy {
    before_nonce: String,
    after_nonce: String,
}

impl CspPolicy {
    /// The policy for pages that may post forms to `platform`.
    pub fn new(platform: Url) -> Self {
        // A NUL cannot come from a serialized origin, so it marks the nonce's one place.
        let policy = content_security_policy(&platform, "\0");
        let (before, after) = policy.split_once('\0').expect("the policy names the nonce once");
        Self { before_nonce: before.to_owned(), after_nonce: after.to_owned() }
    }

    /// The policy allowing `nonce`.
    fn with_nonce(&self, nonce: &str) -> String {
        let mut policy = String::with_capacity(self.before_nonce.len() + nonce.len() + self.after_nonce.len());
        policy.push_str(&self.before_nonce);
        policy.push_str(nonce);
        policy.push_str(&self.after_nonce);
        policy
    }
}

/// Gives each request a fresh [`CspNonce`] and each response without a policy of its own the
/// Content-Security-Policy that allows exactly that nonce.
pub async fn content_security(State(policy): State<Arc<CspPolicy>>, mut request: Request, next: Next) -> Response {
    let nonce = CspNonce::generate();
    request.extensions_mut().insert(nonce.clone());
    let mut response = next.run(request).await;
    if !response.headers().contains_key(header::CONTENT_SECURITY_POLICY) {
        let csp = HeaderValue::try_from(policy.with_nonce(nonce.as_str()))
            .expect("a CSP built from a serialized origin and a hex nonce is a valid header value");
        response.headers_mut().insert(header::CONTENT_SECURITY_POLICY, csp);
    }
    response
}

/// The Content-Security-Policy for every page of the app, with this response's `nonce`.
///
/// `platform` is the AutoGPT platform: only its origin (`scheme://host[:port]`) is used, and only
/// in `form-action`, because the API-key consent page, shown on our origin, posts to the
/// platform. Taking a parsed [`Url`] rather than a string means nothing that could end a
/// directive (`;`, `,`, whitespace) can reach the header. An opaque origin adds nothing.
pub fn content_security_policy(platform: &Url, nonce: &str) -> String {
    let origin = platform.origin();
    let form_action =
        if origin.is_tuple() { format!("'self' {}", origin.ascii_serialization()) } else { "'self'".to_owned() };
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self' 'unsafe-inline'; \
         img-src 'self' data:; \
         connect-src 'self'; \
         form-action {form_action}; \
         frame-ancestors 'none'; \
         base-uri 'none'; \
         object-src 'none'"
    )
}

/// The other security headers as one layer, each `if_not_present`. In `production` (an https
/// app), also `Strict-Transport-Security` (issue 11 item 9).
pub fn security_headers(production: bool) -> SecurityHeadersLayer {
    // `None` sets nothing: development over http must not pin browsers to https.
    let hsts = production.then(|| HeaderValue::from_static("max-age=31536000; includeSubDomains"));
    let hsts = SetResponseHeaderLayer::if_not_present(header::STRICT_TRANSPORT_SECURITY, hsts);
    ServiceBuilder::new()
        .layer(hsts)
        .layer(if_absent(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")))
        // Not `no-referrer`/`same-origin`: under those, browsers send `Origin: null` on form
        // posts (same-origin ones resp. cross-origin ones). Our sign-out form needs its Origin,
        // and so does the platform's consent form shown on our origin in the API-key flow.
        // Cross-origin requests still get only the origin, never a path or query.
        .layer(if_absent(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin")))
        .layer(if_absent(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")))
}

fn if_absent(name: HeaderName, value: HeaderValue) -> SetIfAbsent {
    SetResponseHeaderLayer::if_not_present(name, Some(value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csp_allows_the_platform_origin_only_in_form_action() {
        let platform = Url::parse("https://platform.example:8443/some/path?q=1").unwrap();
        let csp = content_security_policy(&platform, "abc123");
        assert!(csp.contains("form-action 'self' https://platform.example:8443;"), "{csp}");
        assert_eq!(csp.matches("platform.example").count(), 1, "{csp}");
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(csp.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval';"), "{csp}");
    }

    #[test]
    fn item8_scripts_need_the_nonce_never_unsafe_inline() {
        let csp = content_security_policy(&Url::parse("http://127.0.0.1:8006").unwrap(), "n");
        let scripts = csp.split(';').find(|d| d.trim_start().starts_with("script-src")).unwrap();
        assert!(!scripts.contains("unsafe-inline"), "{scripts}");
        let (a, b) = (CspNonce::generate(), CspNonce::generate());
        assert_ne!(a.as_str(), b.as_str(), "a fresh nonce per response");
        assert_eq!(a.as_str().len(), 32);
    }

    #[test]
    fn the_prebuilt_policy_is_the_policy() {
        let platform = Url::parse("https://platform.example:8443/x").unwrap();
        assert_eq!(CspPolicy::new(platform.clone()).with_nonce("n0nce"), content_security_policy(&platform, "n0nce"));
    }

    fn router(production: bool) -> axum::Router {
        let own = "default-src 'none'; frame-ancestors 'none'";
        let policy = Arc::new(CspPolicy::new(Url::parse("http://127.0.0.1:8006").unwrap()));
        axum::Router::new()
            .route(
                "/own-csp",
                axum::routing::get(move || async move { ([(header::CONTENT_SECURITY_POLICY, own)], "x") }),
            )
            .route(
                "/nonce",
                axum::routing::get(
                    |axum::Extension(n): axum::Extension<CspNonce>| async move { n.as_str().to_owned() },
                ),
            )
            .layer(axum::middleware::from_fn_with_state(policy, content_security))
            .layer(security_headers(production))
    }

    async fn get(router: axum::Router, path: &str) -> Response {
        use tower::ServiceExt as _;
        router.oneshot(axum::http::Request::get(path).body(axum::body::Body::empty()).unwrap()).await.unwrap()
    }

    /// The layers set headers only where the route did not (the API-key consent page, for one,
    /// answers with a CSP of its own).
    #[tokio::test]
    async fn a_route_may_send_its_own_csp() {
        let response = get(router(false), "/own-csp").await;
        let csps: Vec<_> = response.headers().get_all(header::CONTENT_SECURITY_POLICY).iter().collect();
        assert_eq!(csps, ["default-src 'none'; frame-ancestors 'none'"]);
        assert_eq!(response.headers()[header::X_FRAME_OPTIONS], "DENY");
    }

    #[tokio::test]
    async fn item8_the_policy_allows_the_nonce_the_handler_was_given() {
        let response = get(router(false), "/nonce").await;
        let csp = response.headers()[header::CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
        let nonce = body_text(response).await;
        assert!(csp.contains(&format!("'nonce-{nonce}'")), "{csp} / {nonce}");
    }

    #[tokio::test]
    async fn item9_hsts_only_in_production() {
        assert!(get(router(false), "/nonce").await.headers().get(header::STRICT_TRANSPORT_SECURITY).is_none());
        let response = get(router(true), "/nonce").await;
        assert_eq!(response.headers()[header::STRICT_TRANSPORT_SECURITY], "max-age=31536000; includeSubDomains");
    }

    async fn body_text(response: Response) -> String {
        let bytes = axum::body::to_bytes(response.into_body(), 1 << 16).await.unwrap();
        String::from_utf8(bytes.to_vec()).unwrap()
    }

    #[test]
    fn an_opaque_origin_adds_nothing_to_form_action() {
        let csp = content_security_policy(&Url::parse("data:text/plain,x").unwrap(), "n");
        assert!(csp.contains("form-action 'self';"), "{csp}");
    }
}
