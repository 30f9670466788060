//! Parse failures that describe a body's *structure* and never keep its bytes (issue 11 item 7).
//!
//! A body that fails to parse may still carry a secret: a token response with one field of the
//! wrong type holds a live access token and a freshly rotated refresh token. So a
//! [`ParseError`] records what kind of problem it was, which field (a path such as
//! `scopes[1]`), what was expected, the line and column, and the body length — and nothing
//! copied from the body's values. serde's own messages quote the offending value
//! (`invalid type: string "agpt_xt_…", expected i64`), so they are taken apart and only the
//! parts that come from our types (`missing field`, `expected i64`) are kept.
//!
//! A token response that fails to parse after the platform already rotated the refresh token
//! would otherwise lose that token silently (the old one is revoked): [`TokenParseError`]
//! carries the refresh token if one can still be read from the body, redacted in `Debug`.

use std::fmt;

use serde_json::Value;

use super::json_path::path_at;
use crate::secret::RefreshToken;

/// What kind of problem a body had.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ParseErrorKind {
    /// Not valid JSON: a syntax error at `line`/`column`.
    Syntax,
    /// The body ended early (an empty body is this kind).
    Eof,
    /// Valid JSON of the wrong shape: a missing field, a wrong type or an invalid value.
    Data,
}

/// A body that did not parse as expected, described by its structure only.
///
/// `Display` and `Debug` print the kind, problem, field path, expectation, position and body
/// length. No byte of the body's values is stored (checklist 37). Boxed: errors stay one
/// pointer wide in the `Result`s that carry them.
#[derive(Clone, PartialEq, Eq, thiserror::Error)]
pub struct ParseError(Box<Inner>);

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ParseErrorKind,
    problem: String,
    field: Option<String>,
    expected: Option<String>,
    line: usize,
    column: usize,
    body_len: usize,
}

impl ParseError {
    /// Describes a serde_json failure on `body` without copying any value out of it.
    pub fn json(error: &serde_json::Error, body: &[u8]) -> Self {
        use serde_json::error::Category;
        let (line, column) = (error.line(), error.column());
        let kind = match error.classify() {
            Category::Syntax | Category::Io => ParseErrorKind::Syntax,
            Category::Eof => ParseErrorKind::Eof,
            Category::Data => ParseErrorKind::Data,
        };
        let message = strip_position(&error.to_string(), line, column);
        let at = if line == 0 { None } else { path_at(body, line, column) };
        let (problem, field, expected) = match kind {
            // serde_json's syntax messages are fixed texts ("expected value", "trailing
            // comma"...); refuse anything that looks like it quotes input anyway.
            ParseErrorKind::Syntax | ParseErrorKind::Eof => {
                let problem = if message.contains('"') || message.len() > 80 { "syntax error".into() } else { message };
                (problem, at, None)
            }
            ParseErrorKind::Data => {
                let (problem, named, expected) = split_data_message(&message);
                let field = match (at, named) {
                    (Some(parent), Some(name)) => Some(format!("{parent}.{name}")),
                    (parent, name) => name.or(parent),
                };
                (problem.to_owned(), field, expected)
            }
        };
        Self(Box::new(Inner { kind, problem, field, expected, line, column, body_len: body.len() }))
    }

    /// A value that serde accepted but a later check refused (`field` is a path such as
    /// `scope`, `expected` says what would have been accepted).
    pub fn invalid_field(field: &str, expected: &str, body: &[u8]) -> Self {
        Self(Box::new(Inner {
            kind: ParseErrorKind::Data,
            problem: "invalid value".into(),
            field: Some(field.to_owned()),
            expected: Some(expected.to_owned()),
            line: 0,
            column: 0,
            body_len: body.len(),
        }))
    }

    /// A required field that is absent (or `null`).
    pub fn missing_field(field: &str, body: &[u8]) -> Self {
        Self(Box::new(Inner {
            kind: ParseErrorKind::Data,
            problem: "missing field".into(),
            field: Some(field.to_owned()),
            expected: None,
            line: 0,
            column: 0,
            body_len: body.len(),
        }))
    }

    /// Syntax, end of input, or data.
    pub fn kind(&self) -> ParseErrorKind {
        self.0.kind
    }

    /// What went wrong, e.g. `missing field`, `invalid type`, `expected value`.
    pub fn problem(&self) -> &str {
        &self.0.problem
    }

    /// Path of the field at fault (`access_token_expires_at`, `items[3].status`), when known.
    /// Object keys that do not look like identifiers are shown as `<key>`.
    pub fn field(&self) -> Option<&str> {
        self.0.field.as_deref()
    }

    /// What our type expected there (`i64`, `a string`...), when serde said.
    pub fn expected(&self) -> Option<&str> {
        self.0.expected.as_deref()
    }

    /// 1-based line of the error, 0 when unknown.
    pub fn line(&self) -> usize {
        self.0.line
    }

    /// 1-based column of the error, 0 when unknown.
    pub fn column(&self) -> usize {
        self.0.column
    }

    /// Length of the refused body in bytes.
    pub fn body_len(&self) -> usize {
        self.0.body_len
    }

    /// Why it failed, as one line of text (the same as `Display`).
    pub fn reason(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        write!(f, "unexpected response body ({} bytes): {}", e.body_len, e.problem)?;
        if let Some(field) = &e.field {
            write!(f, " at `{field}`")?;
        }
        if let Some(expected) = &e.expected {
            write!(f, ", expected {expected}")?;
        }
        if e.line > 0 {
            write!(f, " (line {}, column {})", e.line, e.column)?;
        }
        Ok(())
    }
}

impl fmt::Debug for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let e = &self.0;
        f.debug_struct("ParseError")
            .field("kind", &e.kind)
            .field("problem", &e.problem)
            .field("field", &e.field)
            .field("expected", &e.expected)
            .field("line", &e.line)
            .field("column", &e.column)
            .field("body_len", &e.body_len)
            .finish()
    }
}

/// `" at line L column C"` is appended by serde_json's `Display`.
fn strip_position(message: &str, line: usize, column: usize) -> String {
    let suffix = format!(" at line {line} column {column}");
    message.strip_suffix(&suffix).unwrap_or(message).to_owned()
}

/// Takes serde's data-error message apart: `(problem, field named in it, expected)`. Only the
/// parts serde fills from our types are kept; a quoted value or a custom message is dropped.
fn split_data_message(message: &str) -> (&'static str, Option<String>, Option<String>) {
    // `, expected …` comes last and is written from our type's `expecting`; the unexpected
    // value before it may contain anything, so search from the end.
    let expected = message
        .rfind(", expected ")
        .map(|i| message[i + ", expected ".len()..].to_owned())
        .filter(|e| !e.contains('"') && e.len() <= 200);
    let backticked = |prefix: &str| {
        message.strip_prefix(prefix).and_then(|rest| rest.split_once('`')).map(|(name, _)| sanitize_key(name))
    };
    if let Some(name) = backticked("missing field `") {
        return ("missing field", Some(name), None);
    }
    if let Some(name) = backticked("duplicate field `") {
        return ("duplicate field", Some(name), None);
    }
    if message.starts_with("invalid type: ") {
        return ("invalid type", None, expected);
    }
    if message.starts_with("invalid value: ") {
        return ("invalid value", None, expected);
    }
    if message.starts_with("invalid length ") {
        return ("invalid length", None, expected);
    }
    if message.starts_with("unknown variant `") {
        return ("unknown variant", None, expected);
    }
    ("invalid value", None, None)
}

/// Field names come from our types; still, never echo something that is not a plain name.
pub(super) fn sanitize_key(key: &str) -> String {
    let plain = !key.is_empty()
        && key.len() <= 64
        && key.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if plain { key.to_owned() } else { "<key>".to_owned() }
}

/// A token response that did not parse. If the body still carried a `refresh_token` string it
/// is kept here: the platform rotates refresh tokens, so the one the caller holds has been
/// revoked and this is the only copy left. Store it before doing anything else. `Debug`
/// shows `RefreshToken([redacted])`.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct TokenParseError {
    error: ParseError,
    refresh_token: Option<RefreshToken>,
}

impl TokenParseError {
    /// Wraps `error`, recovering a `refresh_token` string from `body` if it is JSON with one.
    pub fn from_body(error: ParseError, body: &[u8]) -> Self {
        let refresh_token = serde_json::from_slice::<Value>(body)
            .ok()
            .and_then(|v| v.get("refresh_token")?.as_str().filter(|s| !s.is_empty()).map(RefreshToken::new));
        Self { error, refresh_token }
    }

    /// The structural description of the failure.
    pub fn parse_error(&self) -> &ParseError {
        &self.error
    }

    /// The rotated refresh token recovered from the refused body, if any.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// Consumes the error, returning the recovered refresh token.
    pub fn into_refresh_token(self) -> Option<RefreshToken> {
        self.refresh_token
    }
}

impl fmt::Display for TokenParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "token response: {}", self.error)?;
        if self.refresh_token.is_some() {
            f.write_str(" (its refresh token was recovered; store it)")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    const AT: &str = "agpt_xt_Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG8";
    const RT: &str = "agpt_rt_cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mb29iYXJiYXo";

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Tokens {
        access_token: String,
        refresh_token: String,
        expires_in: i64,
        scopes: Vec<String>,
    }

    fn fail(body: &str) -> ParseError {
        let e = serde_json::from_str::<Tokens>(body).unwrap_err();
        ParseError::json(&e, body.as_bytes())
    }

    fn assert_no_secret(e: &impl fmt::Debug) {
        let shown = format!("{e:?}");
        assert!(!shown.contains("agpt_xt_") && !shown.contains("agpt_rt_"), "{shown}");
        assert!(!shown.contains("Zm9v") && !shown.contains("cXV4"), "{shown}");
    }

    /// Item 7: a token-shaped body with a wrong type keeps structure, not bytes.
    #[test]
    fn item7_wrong_type_keeps_field_and_position_only() {
        let body = format!(r#"{{"access_token":"{AT}","refresh_token":"{RT}","expires_in":"{AT}","scopes":[]}}"#);
        let e = fail(&body);
        assert_eq!(e.kind(), ParseErrorKind::Data);
        assert_eq!(e.problem(), "invalid type");
        assert_eq!(e.field(), Some("expires_in"));
        assert_eq!(e.expected(), Some("i64"));
        assert_eq!(e.line(), 1);
        assert!(e.column() > 100);
        assert_eq!(e.body_len(), body.len());
        assert_no_secret(&e);
        assert!(!e.to_string().contains("agpt_"), "{e}");
    }

    /// Item 7: the value in a list element, a missing field, and a nested path.
    #[test]
    fn item7_paths_for_lists_and_missing_fields() {
        let e = fail(&format!(r#"{{"access_token":"{AT}","refresh_token":"{RT}","expires_in":1,"scopes":["A",7]}}"#));
        assert_eq!(e.field(), Some("scopes[1]"));
        assert_eq!(e.expected(), Some("a string"));
        let e = fail(&format!(r#"{{"access_token":"{AT}","expires_in":1,"scopes":[]}}"#));
        assert_eq!((e.problem(), e.field()), ("missing field", Some("refresh_token")));
        assert_no_secret(&e);

        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct Outer {
            inner: Tokens,
        }
        let body = format!(r#"{{"inner":{{"access_token":"{AT}","expires_in":1,"scopes":[]}}}}"#);
        let e = serde_json::from_str::<Outer>(&body).unwrap_err();
        let e = ParseError::json(&e, body.as_bytes());
        assert_eq!(e.field(), Some("inner.refresh_token"));
    }

    /// Item 7: syntax errors (a truncated token body, HTML) show position and length only.
    #[test]
    fn item7_syntax_errors_show_no_bytes() {
        let body = format!(r#"{{"access_token":"{AT}","refresh_token":"{RT}""#);
        let e = fail(&body);
        assert_eq!(e.kind(), ParseErrorKind::Eof);
        assert_eq!(e.field(), Some("refresh_token"));
        assert_no_secret(&e);
        let e = fail("<html>bad gateway</html>");
        assert_eq!(e.kind(), ParseErrorKind::Syntax);
        assert_eq!((e.problem(), e.line(), e.column()), ("expected value", 1, 1));
        assert!(!format!("{e:?}").contains("gateway"));
        let e = fail("");
        assert_eq!((e.kind(), e.body_len()), (ParseErrorKind::Eof, 0));
    }

    /// Item 7: unknown enum variants and custom messages quote the value; both are dropped.
    #[test]
    fn item7_custom_and_variant_messages_dropped() {
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        enum Kind {
            A,
        }
        #[derive(Debug, Deserialize)]
        #[allow(dead_code)]
        struct K {
            kind: Kind,
        }
        let body = format!(r#"{{"kind":"{AT}"}}"#);
        let e = ParseError::json(&serde_json::from_str::<K>(&body).unwrap_err(), body.as_bytes());
        assert_eq!((e.problem(), e.field(), e.expected()), ("unknown variant", Some("kind"), Some("`A`")));
        assert_no_secret(&e);
        let custom = <serde_json::Error as serde::de::Error>::custom(format!("bad token {AT}"));
        let e = ParseError::json(&custom, b"{}");
        assert_eq!(e.problem(), "invalid value");
        assert_no_secret(&e);
    }

    /// Item 7 + 37: a rotated refresh token survives a failed parse, redacted in Debug.
    #[test]
    fn item7_token_parse_error_recovers_refresh_token() {
        let body = format!(r#"{{"access_token":"{AT}","refresh_token":"{RT}","expires_in":"soon","scopes":[]}}"#);
        let e = TokenParseError::from_body(fail(&body), body.as_bytes());
        assert_eq!(e.refresh_token().unwrap().secret(), RT);
        assert_no_secret(&e);
        assert!(format!("{e:?}").contains("RefreshToken([redacted])"));
        assert!(e.to_string().contains("recovered"));
        assert!(!e.to_string().contains("agpt_"));
        let e = TokenParseError::from_body(fail("{"), b"{");
        assert!(e.into_refresh_token().is_none());
    }
}
