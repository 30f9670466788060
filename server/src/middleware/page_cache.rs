//! Signed-out pages rendered once. Without a session a page's HTML is the same for every visitor
//! except its script nonce (Next.js prerenders the same page to static HTML at build time), so
//! the first signed-out render of each page is kept, cut at its nonce, and every later
//! signed-out request gets that HTML with its own fresh nonce spliced in: no render, no session
//! lookup, no database (issue 8 item 4, issue 14 item 2).
//!
//! Architecture invariant: only what cannot depend on the visitor is served from here: `GET`, a
//! page path with no parameters and no query string, no session cookie in the request, and a
//! response that was `200 text/html` and set no cookie. Everything else is rendered as before.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use axum::body::{Body, Bytes, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::CspNonce;

/// A page is a few kilobytes; anything far larger is not a page to keep.
const MAX_PAGE_BYTES: usize = 1 << 20;

/// The kept pages, one slot per cacheable path (the slots are fixed at start-up, so the cache
/// cannot grow and a lookup takes no lock).
#[derive(Debug)]
pub struct PageCache {
    session_cookie: &'static str,
    pages: HashMap<Box<str>, OnceLock<Page>>,
}

/// One kept page: the response's head and its body cut where the nonce was.
#[derive(Debug)]
struct Page {
    status: StatusCode,
    headers: HeaderMap,
    pieces: Vec<Bytes>,
}

impl PageCache {
    /// A cache for `paths` (those with a `:` or `*` segment are never kept) that treats a request
    /// carrying the cookie `session_cookie` as signed in.
    pub fn new<'a>(paths: impl IntoIterator<Item = &'a str>, session_cookie: &'static str) -> Self {
        let pages = paths
            .into_iter()
            .filter(|path| !path.contains([':', '*', '{']))
            .map(|path| (Box::from(path), OnceLock::new()))
            .collect();
        Self { session_cookie, pages }
    }

    /// The slot for this request, if it may be answered from the cache.
    fn slot(&self, request: &Request) -> Option<&OnceLock<Page>> {
        if request.method() != Method::GET || request.uri().query().is_some() {
            return None;
        }
        let slot = self.pages.get(request.uri().path())?;
        (!has_cookie(request.headers(), self.session_cookie)).then_some(slot)
    }
}

/// Answers signed-out page requests from the cache, filling it on the first one.
pub async fn serve_cached_pages(State(cache): State<Arc<PageCache>>, request: Request, next: Next) -> Response {
    let Some(slot) = cache.slot(&request) else { return next.run(request).await };
    let Some(nonce) = request.extensions().get::<CspNonce>().cloned() else { return next.run(request).await };
    if let Some(page) = slot.get() {
        return page.with_nonce(nonce.as_str());
    }
    let response = next.run(request).await;
    if !keepable(&response) {
        return response;
    }
    let (parts, body) = response.into_parts();
    let Ok(body) = to_bytes(body, MAX_PAGE_BYTES).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "The page could not be rendered.").into_response();
    };
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_LENGTH);
    headers.remove(header::TRANSFER_ENCODING);
    let _ = slot.set(Page { status: parts.status, headers, pieces: split(&body, nonce.as_str().as_bytes()) });
    Response::from_parts(parts, Body::from(body))
}

impl Page {
    fn with_nonce(&self, nonce: &str) -> Response {
        let length = self.pieces.iter().map(Bytes::len).sum::<usize>() + nonce.len() * (self.pieces.len() - 1);
        let mut body = Vec::with_capacity(length);
        for (i, piece) in self.pieces.iter().enumerate() {
            if i > 0 {
                body.extend_from_slice(nonce.as_bytes());
            }
            body.extend_from_slice(piece);
        }
        let mut response = Response::new(Body::from(body));
        *response.status_mut() = self.status;
        *response.headers_mut() = self.headers.clone();
        response
    }
}

/// A signed-out page: 200, HTML, no cookie set (a response that starts a session is never kept).
fn keepable(response: &Response) -> bool {
    let html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.starts_with("text/html"));
    response.status() == StatusCode::OK && html && !response.headers().contains_key(header::SET_COOKIE)
}

/// Whether the request carries a cookie called `name`. A `Cookie` header that is not text counts
/// as carrying it: when in doubt the page is rendered.
fn has_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers.get_all(header::COOKIE).iter().any(|value| match value.to_str() {
        Ok(text) => text.split(';').any(|pair| pair.split_once('=').is_some_and(|(key, _)| key.trim() == name)),
        Err(_) => true,
    })
}

/// `body` cut at every occurrence of `nonce` (a fresh 128-bit value, so it occurs only where the
/// renderer put it).
fn split(body: &Bytes, nonce: &[u8]) -> Vec<Bytes> {
    let mut pieces = Vec::new();
    let (mut start, mut at) = (0, 0);
    while at + nonce.len() <= body.len() {
        if &body[at..at + nonce.len()] == nonce {
            pieces.push(body.slice(start..at));
            at += nonce.len();
            start = at;
        } else {
            at += 1;
        }
    }
    pieces.push(body.slice(start..));
    pieces
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use axum::http::HeaderValue;
    use axum::routing::get;
    use tower::ServiceExt as _;

    use super::*;

    /// A page that says how often it was rendered and carries its nonce twice, the way the
    /// real pages do; `/cookie` sets a cookie, `/missing` is a 404.
    fn router(renders: Arc<AtomicUsize>) -> axum::Router {
        let page = move |axum::Extension(nonce): axum::Extension<CspNonce>| {
            let renders = Arc::clone(&renders);
            async move {
                let n = renders.fetch_add(1, Ordering::SeqCst) + 1;
                let nonce = nonce.as_str().to_owned();
                axum::response::Html(format!("<script nonce=\"{nonce}\"></script>render {n}<script nonce=\"{nonce}\">"))
            }
        };
        let cache = Arc::new(PageCache::new(["/page", "/cookie", "/missing", "/item/{id}"], "agc_session"));
        axum::Router::new()
            .route("/page", get(page.clone()))
            .route("/item/{id}", get(page))
            .route("/cookie", get(|| async { ([(header::SET_COOKIE, "a=b")], axum::response::Html("x")) }))
            .layer(axum::middleware::from_fn_with_state(cache, serve_cached_pages))
            .layer(axum::middleware::from_fn(|mut request: Request, next: Next| async move {
                request.extensions_mut().insert(CspNonce::generate());
                next.run(request).await
            }))
    }

    async fn fetch(router: &axum::Router, path: &str, cookie: Option<&str>) -> (StatusCode, HeaderMap, String) {
        let mut request = axum::http::Request::get(path).body(Body::empty()).unwrap();
        if let Some(cookie) = cookie {
            request.headers_mut().insert(header::COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        let response = router.clone().oneshot(request).await.unwrap();
        let (parts, body) = response.into_parts();
        (parts.status, parts.headers, String::from_utf8(to_bytes(body, usize::MAX).await.unwrap().to_vec()).unwrap())
    }

    fn nonces(page: &str) -> Vec<&str> {
        page.split("nonce=\"").skip(1).map(|rest| &rest[..32]).collect()
    }

    #[tokio::test]
    async fn a_signed_out_page_is_rendered_once_and_served_with_a_fresh_nonce() {
        let renders = Arc::new(AtomicUsize::new(0));
        let router = router(Arc::clone(&renders));
        let (_, headers, first) = fetch(&router, "/page", None).await;
        let (status, _, second) = fetch(&router, "/page", Some("theme=dark")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(renders.load(Ordering::SeqCst), 1, "the second visitor got the kept page");
        assert!(second.contains("render 1"), "{second}");
        assert_eq!(headers[header::CONTENT_TYPE], "text/html; charset=utf-8");
        let (a, b) = (nonces(&first), nonces(&second));
        assert_eq!(a.len(), 2);
        assert_eq!(b.len(), 2);
        assert_ne!(a[0], b[0], "each response has its own nonce");
        assert_eq!(b[0], b[1], "spliced in everywhere the page had it");
        assert_eq!(first.replace(a[0], "N"), second.replace(b[0], "N"));
    }

    #[tokio::test]
    async fn a_session_a_query_or_a_parameter_renders_the_page() {
        let renders = Arc::new(AtomicUsize::new(0));
        let router = router(Arc::clone(&renders));
        fetch(&router, "/page", None).await;
        fetch(&router, "/page", Some("theme=dark; agc_session=abc")).await;
        fetch(&router, "/page?error=x", None).await;
        fetch(&router, "/item/1", None).await;
        fetch(&router, "/item/1", None).await;
        assert_eq!(renders.load(Ordering::SeqCst), 5);
    }

    #[tokio::test]
    async fn responses_that_set_cookies_or_fail_are_not_kept() {
        let router = router(Arc::new(AtomicUsize::new(0)));
        for _ in 0..2 {
            let (_, headers, _) = fetch(&router, "/cookie", None).await;
            assert_eq!(headers[header::SET_COOKIE], "a=b", "rendered each time, cookie and all");
            let (status, _, _) = fetch(&router, "/missing", None).await;
            assert_eq!(status, StatusCode::NOT_FOUND);
        }
    }

    #[test]
    fn cookies_are_matched_by_name() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("x_agc_session=1; agc_session_old=2"));
        assert!(!has_cookie(&headers, "agc_session"));
        headers.append(header::COOKIE, HeaderValue::from_static(" agc_session =3"));
        assert!(has_cookie(&headers, "agc_session"));
        let mut odd = HeaderMap::new();
        odd.append(header::COOKIE, HeaderValue::from_bytes(b"\xff=1").unwrap());
        assert!(has_cookie(&odd, "agc_session"), "unreadable cookies count as a session");
    }
}
