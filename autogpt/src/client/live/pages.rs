//! Following `next_cursor` to the end of a list, with a bound: a misbehaving server (or a
//! huge library) cannot make the app loop or buffer without limit.

use std::future::Future;

use super::api::LiveApiError;
use crate::live::api::{ApiResponse, Cursor, Page, RateLimit};

/// Pages fetched by the `all_*` helpers unless told otherwise (100 items each).
pub const DEFAULT_MAX_PAGES: usize = 20;

/// The items of every page fetched.
#[derive(Clone, Debug, PartialEq)]
pub struct Collected<T> {
    /// All items, in page order.
    pub items: Vec<T>,
    /// False when the bound was reached (or the server repeated a cursor) before the last page.
    pub complete: bool,
    /// `total_count` of the last page fetched.
    pub total_count: Option<u64>,
    /// Rate-limit headers of the last page fetched.
    pub rate_limit: RateLimit,
}

/// Calls `fetch` with `None`, then with each `next_cursor`, until a page has none or
/// `max_pages` pages were fetched (at least one is). The first error ends the walk.
pub async fn collect_pages<T, F, Fut>(max_pages: usize, mut fetch: F) -> Result<Collected<T>, LiveApiError>
where
    F: FnMut(Option<Cursor>) -> Fut,
    Fut: Future<Output = Result<ApiResponse<Page<T>>, LiveApiError>>,
{
    let mut out = Collected { items: Vec::new(), complete: false, total_count: None, rate_limit: RateLimit::default() };
    let mut cursor: Option<Cursor> = None;
    for _ in 0..max_pages.max(1) {
        let res = fetch(cursor.clone()).await?;
        out.rate_limit = res.rate_limit;
        out.total_count = res.value.total_count;
        out.items.extend(res.value.items);
        match res.value.next_cursor {
            None => {
                out.complete = true;
                break;
            }
            // A cursor that does not move would loop forever.
            Some(next) if cursor.as_ref() == Some(&next) => break,
            Some(next) => cursor = Some(next),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::StatusCode;

    fn page(items: Vec<u32>, next: Option<&str>) -> Result<ApiResponse<Page<u32>>, LiveApiError> {
        Ok(ApiResponse {
            value: Page { items, next_cursor: next.map(Cursor::new), total_count: Some(5) },
            status: StatusCode::OK,
            rate_limit: RateLimit::default(),
        })
    }

    #[tokio::test]
    async fn follows_cursors_and_stops() {
        let mut seen = Vec::new();
        let all = collect_pages(10, |c| {
            seen.push(c.clone());
            let r = match c.as_ref().map(Cursor::as_str) {
                None => page(vec![1, 2], Some("a")),
                Some("a") => page(vec![3, 4], Some("b")),
                _ => page(vec![5], None),
            };
            async move { r }
        })
        .await
        .unwrap();
        assert_eq!(all.items, [1, 2, 3, 4, 5]);
        assert!(all.complete);
        assert_eq!(seen, [None, Some(Cursor::new("a")), Some(Cursor::new("b"))]);
    }

    #[tokio::test]
    async fn bounded_and_stuck_cursors() {
        let all = collect_pages(3, |_| async { page(vec![1], Some("again")) }).await.unwrap();
        assert_eq!((all.items.len(), all.complete), (2, false), "a repeated cursor stops the walk");
        let mut n = 0;
        let all = collect_pages(3, |_| {
            n += 1;
            let c = n.to_string();
            async move { page(vec![1], Some(&c)) }
        })
        .await
        .unwrap();
        assert_eq!((all.items.len(), all.complete), (3, false));
        let one = collect_pages(0, |_| async { page(vec![7], None) }).await.unwrap();
        assert_eq!(one.items, [7]);
    }
}
