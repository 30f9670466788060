//! Per-user fixed-window rate limits (`v2/global_rate_limit.py`, `v2/rate_limit.py`): windows
//! aligned to multiples of the window length since the Unix epoch, counted per (user, limiter),
//! reported as `X-RateLimit-Limit/Remaining/Reset` (seconds until the window rolls over).

use std::time::{SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode, header};

use crate::error::Error;
use crate::state::{AppState, lock};

pub const LIMIT: HeaderName = HeaderName::from_static("x-ratelimit-limit");
pub const REMAINING: HeaderName = HeaderName::from_static("x-ratelimit-remaining");
pub const RESET: HeaderName = HeaderName::from_static("x-ratelimit-reset");

/// The 200-requests limiter and the run-start limiter.
pub const REQUESTS: &str = "requests";
pub const RUN_STARTS: &str = "run_starts";

/// One limiter's state after counting a request.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    pub limit: u32,
    pub remaining: u32,
    pub reset_secs: u64,
    pub window_secs: u64,
    pub exceeded: bool,
}

/// Count one request of `user_id` against `limiter`.
pub fn hit(state: &AppState, user_id: &str, limiter: &'static str, limit: u32, window_secs: u64) -> Window {
    let window_secs = window_secs.max(1);
    let now = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0);
    let index = now / window_secs;
    let reset_secs = window_secs - now % window_secs;
    let mut counters = lock(&state.live_rate);
    let entry = counters.entry((user_id.to_owned(), limiter)).or_insert((index, 0));
    if entry.0 != index {
        *entry = (index, 0);
    }
    entry.1 = entry.1.saturating_add(1);
    Window { limit, remaining: limit.saturating_sub(entry.1), reset_secs, window_secs, exceeded: entry.1 > limit }
}

impl Window {
    pub fn headers(&self) -> [(HeaderName, String); 3] {
        [(LIMIT, self.limit.to_string()), (REMAINING, self.remaining.to_string()), (RESET, self.reset_secs.to_string())]
    }

    pub fn apply(&self, headers: &mut HeaderMap) {
        for (name, value) in self.headers() {
            if let Ok(v) = HeaderValue::from_str(&value) {
                headers.insert(name, v);
            }
        }
    }

    /// The 429 for an exceeded window, with `Retry-After` and this limiter's headers.
    pub fn error(&self) -> Error {
        let message =
            format!("Rate limit exceeded ({} requests per {}s). Try again shortly.", self.limit, self.window_secs);
        let mut e = Error::v2(StatusCode::TOO_MANY_REQUESTS, message)
            .with_header(header::RETRY_AFTER, &self.reset_secs.to_string());
        for (name, value) in self.headers() {
            e = e.with_header(name, &value);
        }
        e
    }
}
