//! `Cache-Control` for the browser bundle under `/<pkg_dir>/`.
//!
//! The bundle's file names carry no content hash, and its server functions speak postcard,
//! which has no field names: a browser running a cached bundle from before a deploy would
//! decode the new server's answers wrongly. `no-cache` keeps the files cacheable but makes the
//! browser revalidate them on every use (a `304 Not Modified` while unchanged, thanks to
//! `Last-Modified`), so a deploy reaches every page load at once.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

/// Adds `Cache-Control: no-cache` to responses under `prefix` (`/pkg/`) that set none.
pub async fn revalidate_bundle(State(prefix): State<Arc<str>>, request: Request, next: Next) -> Response {
    let bundle = request.uri().path().starts_with(&*prefix);
    let mut response = next.run(request).await;
    if bundle && !response.headers().contains_key(header::CACHE_CONTROL) {
        response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    }
    response
}
