//! HTML helpers: escaping of everything echoed, the page frame, and JSON safe inside `<script>`.

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// Escape text for HTML element content and double- or single-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            c => out.push(c),
        }
    }
    out
}

/// Serialise JSON so it can sit inside an inline `<script>`: `<`, `>`, `&`, U+2028 and U+2029
/// become `\uXXXX` escapes, so the text can never close the script or break a JS string.
pub fn script_json(value: &serde_json::Value) -> String {
    let raw = value.to_string();
    let mut out = String::with_capacity(raw.len());
    for ch in raw.chars() {
        match ch {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

const STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;color:#222}\
button{padding:.5rem 1rem;margin:.25rem .25rem .25rem 0;cursor:pointer}\
.error{color:#b00020}.muted{color:#666}label{display:block;margin:.5rem 0}\
input[type=email],input[type=password],input[type=text]{width:100%;padding:.4rem;box-sizing:border-box}\
header{font-weight:600;margin-bottom:1rem}\
.card{border:1px solid #ddd;border-radius:10px;padding:1rem 1.25rem;margin:1rem 0;box-shadow:0 1px 3px rgba(0,0,0,.06)}\
.card h1{font-size:1.4rem;margin-top:.25rem}fieldset.card legend{font-weight:600;padding:0 .35rem}\
button{border:1px solid #1a56db;background:#1a56db;color:#fff;border-radius:6px}\
button.secondary{background:#fff;color:#1a56db}button:disabled{opacity:.45;cursor:not-allowed}\
#authorize-scopes li,#missing-params li,#invalid-scopes li{margin:.3rem 0}";

/// A complete page; `body` must already be escaped HTML.
pub fn page(title: &str, body: &str) -> String {
    format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">\
<title>{} · AutoGPT Sandbox</title><style>{STYLE}</style></head>\
<body><header>AutoGPT Platform (sandbox)</header>{body}</body></html>",
        escape(title)
    )
}

/// An HTML response that may not be framed by another site.
pub fn response(title: &str, body: &str) -> Response {
    no_frame(Html(page(title, body)).into_response())
}

/// Forbid framing (clickjacking of consent buttons).
pub fn no_frame(mut resp: Response) -> Response {
    let h = resp.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("frame-ancestors 'none'"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("<a href='x'>\"&</a>"), "&lt;a href=&#x27;x&#x27;&gt;&quot;&amp;&lt;/a&gt;");
    }

    #[test]
    fn script_json_cannot_close_script() {
        let v = serde_json::json!({"e": "</script><b>&\u{2028}"});
        let s = script_json(&v);
        assert!(!s.contains('<') && !s.contains('>') && !s.contains('&'));
        assert!(s.contains("\\u2028"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back, v);
    }
}
