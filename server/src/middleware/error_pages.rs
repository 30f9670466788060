//! Renders [`crate::Error`]'s HTML pages. An error that should answer a browser with a page
//! carries an [`ErrorPage`] extension instead of a body (an `IntoResponse` has no state);
//! this middleware, which knows the site's stylesheet, writes the page.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use crate::routes::pages::message_page;

/// A page to render in place of the response body.
#[derive(Clone, Debug)]
pub struct ErrorPage {
    /// Heading and title.
    pub title: &'static str,
    /// The message (shown as text).
    pub message: String,
}

/// Writes the [`ErrorPage`] of a response, if it has one, with `stylesheet` (its href).
pub async fn render_error_pages(State(stylesheet): State<Arc<str>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if let Some(page) = response.extensions_mut().remove::<ErrorPage>() {
        let html = message_page(&stylesheet, page.title, &page.message);
        let headers = response.headers_mut();
        headers.remove(header::CONTENT_LENGTH);
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        *response.body_mut() = Body::from(html);
    }
    response
}
