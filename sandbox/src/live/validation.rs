//! Pydantic-shaped request validation for the live contract: a JSON body read field by field,
//! collecting every error as `{type, loc, msg[, ctx]}` the way FastAPI reports them, then turned
//! into the internal app's 422 (`/api/oauth/*`) or the v2 envelope's 422.
//!
//! `input` is left out of every error object: the token endpoint's body carries the client
//! secret, and echoing request values back is not needed by any client.

use axum::http::{HeaderMap, header};
use serde_json::{Map, Value, json};

use crate::error::Error;

/// One Pydantic error object.
pub fn error(kind: &str, loc: Value, msg: &str) -> Value {
    json!({"type": kind, "loc": loc, "msg": msg})
}

/// `Input should be 'a', 'b' or 'c'`.
pub fn literal_message(allowed: &[&str]) -> String {
    let quoted: Vec<String> = allowed.iter().map(|a| format!("'{a}'")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        Some((last, _)) => last.clone(),
        None => String::new(),
    }
}

/// A literal/enum mismatch at `loc`.
pub fn literal_error(loc: Value, allowed: &[&str]) -> Value {
    let expected = literal_message(allowed);
    json!({"type": "literal_error", "loc": loc, "msg": format!("Input should be {expected}"), "ctx": {"expected": expected}})
}

/// A body read field by field. When the body itself is unusable (not JSON, not an object, a form
/// body) that one error is reported and the field readers stay silent.
pub struct Fields {
    obj: Map<String, Value>,
    body_ok: bool,
    pub errors: Vec<Value>,
}

impl Fields {
    /// FastAPI's body handling: JSON when the content type is JSON (or absent), anything else is
    /// handed to the model as raw bytes and fails as "not an object".
    pub fn parse(headers: &HeaderMap, body: &[u8]) -> Self {
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let media = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        let json_type = media.is_empty() || media == "application/json" || media.ends_with("+json");
        let fail = |e: Value| Self { obj: Map::new(), body_ok: false, errors: vec![e] };
        if body.iter().all(u8::is_ascii_whitespace) {
            return fail(error("missing", json!(["body"]), "Field required"));
        }
        if !json_type {
            return fail(not_an_object());
        }
        match serde_json::from_slice::<Value>(body) {
            Ok(Value::Object(obj)) => Self { obj, body_ok: true, errors: Vec::new() },
            Ok(_) => fail(not_an_object()),
            Err(e) => fail(json!({
                "type": "json_invalid",
                "loc": ["body", e.column().saturating_sub(1)],
                "msg": "JSON decode error",
                "ctx": {"error": e.to_string()},
            })),
        }
    }

    /// The raw value of a field (no check).
    pub fn raw(&self, name: &str) -> Option<&Value> {
        self.obj.get(name)
    }

    /// The whole object (for fingerprints).
    pub fn object(&self) -> &Map<String, Value> {
        &self.obj
    }

    fn missing(&mut self, name: &str) {
        if self.body_ok {
            self.errors.push(error("missing", json!(["body", name]), "Field required"));
        }
    }

    /// A required string.
    pub fn string(&mut self, name: &str) -> String {
        match self.obj.get(name) {
            Some(Value::String(s)) => s.clone(),
            None => {
                self.missing(name);
                String::new()
            }
            Some(_) => {
                self.errors.push(error("string_type", json!(["body", name]), "Input should be a valid string"));
                String::new()
            }
        }
    }

    /// An optional string (`null` = absent).
    pub fn opt_string(&mut self, name: &str) -> Option<String> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(_) => {
                self.errors.push(error("string_type", json!(["body", name]), "Input should be a valid string"));
                None
            }
        }
    }

    /// A string restricted to `allowed`; `default` when absent (required when `None`).
    pub fn literal(&mut self, name: &str, allowed: &[&str], default: Option<&str>) -> String {
        match self.obj.get(name) {
            None => match default {
                Some(d) => d.to_owned(),
                None => {
                    self.missing(name);
                    String::new()
                }
            },
            Some(Value::String(s)) if allowed.contains(&s.as_str()) => s.clone(),
            Some(_) => {
                self.errors.push(literal_error(json!(["body", name]), allowed));
                String::new()
            }
        }
    }

    /// An optional literal (`null` = absent).
    pub fn opt_literal(&mut self, name: &str, allowed: &[&str]) -> Option<String> {
        match self.obj.get(name) {
            None | Some(Value::Null) => None,
            Some(_) => Some(self.literal(name, allowed, None)).filter(|s| !s.is_empty()),
        }
    }

    /// A required list of strings.
    pub fn string_list(&mut self, name: &str) -> Vec<String> {
        match self.obj.get(name) {
            None => {
                self.missing(name);
                Vec::new()
            }
            Some(Value::Array(items)) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        _ => self.errors.push(error(
                            "string_type",
                            json!(["body", name, i]),
                            "Input should be a valid string",
                        )),
                    }
                }
                out
            }
            Some(_) => {
                self.errors.push(error("list_type", json!(["body", name]), "Input should be a valid list"));
                Vec::new()
            }
        }
    }

    /// The internal app's 422 when anything failed.
    pub fn finish_internal(self, method: &str, path: &str) -> Result<(), Error> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(Error::InternalValidation { method: method.into(), path: path.into(), errors: self.errors })
    }

    /// The v2 envelope's 422 when anything failed; the body fields stay available.
    pub fn check_v2(&mut self, method: &str, path: &str) -> Result<(), Error> {
        if self.errors.is_empty() {
            return Ok(());
        }
        Err(Error::v2_validation(method, path, std::mem::take(&mut self.errors)))
    }
}

fn not_an_object() -> Value {
    error(
        "model_attributes_type",
        json!(["body"]),
        "Input should be a valid dictionary or object to extract fields from",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json_headers() -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        h
    }

    #[test]
    fn literal_messages_read_like_pydantic() {
        assert_eq!(literal_message(&["a"]), "'a'");
        assert_eq!(literal_message(&["a", "b"]), "'a' or 'b'");
        assert_eq!(literal_message(&["a", "b", "c"]), "'a', 'b' or 'c'");
    }

    #[test]
    fn form_bodies_and_missing_fields() {
        let mut form = HeaderMap::new();
        form.insert(header::CONTENT_TYPE, "application/x-www-form-urlencoded".parse().unwrap());
        let mut f = Fields::parse(&form, b"grant_type=refresh_token");
        assert_eq!(f.string("client_id"), "");
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0]["type"], "model_attributes_type");

        let mut f = Fields::parse(&json_headers(), br#"{"a": 1, "b": "x"}"#);
        f.string("a");
        f.string("c");
        assert_eq!(f.literal("b", &["y"], None), "");
        let types: Vec<&str> = f.errors.iter().map(|e| e["type"].as_str().unwrap()).collect();
        assert_eq!(types, ["string_type", "missing", "literal_error"]);

        let f = Fields::parse(&json_headers(), b"{nope");
        assert_eq!(f.errors[0]["type"], "json_invalid");
    }
}
