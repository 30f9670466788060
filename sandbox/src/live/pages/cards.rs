//! The pages' cards: the consent card's and wizard's error states, each with stable element
//! ids (`#error-card[data-error]`, `#error-title`, `#error-message`) for tests.

use axum::http::StatusCode;
use axum::response::Response;

use crate::html::{self, escape};

/// Which error card (`data-error`).
#[derive(Debug, Clone, Copy)]
pub enum CardKind {
    InvalidRequest,
    AppNotFound,
    InvalidScopes,
    NoProviders,
}

impl CardKind {
    fn tag(self) -> &'static str {
        match self {
            CardKind::InvalidRequest => "invalid_request",
            CardKind::AppNotFound => "app_not_found",
            CardKind::InvalidScopes => "invalid_scopes",
            CardKind::NoProviders => "no_providers",
        }
    }
    fn title(self) -> &'static str {
        match self {
            CardKind::InvalidRequest => "Invalid Request",
            CardKind::AppNotFound => "Application Not Found",
            CardKind::InvalidScopes => "Invalid Scopes",
            CardKind::NoProviders => "No providers specified",
        }
    }
}

/// An error card; `extra` is already-escaped HTML (a list, a form with a button).
pub fn error_card(status: StatusCode, kind: CardKind, message: &str, extra: &str) -> Response {
    let body = format!(
        "<section id=\"error-card\" class=\"card\" data-error=\"{tag}\">\
<h1 id=\"error-title\">{title}</h1><p id=\"error-message\" class=\"error\">{message}</p>{extra}</section>",
        tag = kind.tag(),
        title = kind.title(),
        message = escape(message),
    );
    let mut resp = html::response(kind.title(), &body);
    *resp.status_mut() = status;
    resp
}

/// `<input type="hidden">` for each (name, value).
pub fn hidden_fields(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("<input type=\"hidden\" name=\"{}\" value=\"{}\">", escape(k), escape(v)))
        .collect()
}

/// `RUN_AGENT` → `Run Agent`.
pub fn title_case(constant: &str) -> String {
    constant
        .split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| {
            let lower = w.to_ascii_lowercase();
            let mut chars = lower.chars();
            match chars.next() {
                Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn title_case_of_constants() {
        assert_eq!(title_case("RUN_AGENT"), "Run Agent");
        assert_eq!(title_case("my_provider"), "My Provider");
    }
}
