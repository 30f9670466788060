//! Pydantic validation errors, as both live error bodies carry them: the OAuth routes' 422
//! `{"message","detail":[…],"hint"}` and External API v2's 422 `details.errors[]`.
//!
//! Each entry is `{type, loc, msg, input?, ctx?}`. `input` echoes the refused value — for a
//! token request that is the whole body with `client_secret`, for a run an input the agent
//! marks `secret` — so it is **dropped** on reading, and so is `ctx`.

use std::fmt;

use serde_json::Value;

/// One element of a validation error's `loc`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum LocPart {
    /// An object key (`body`, `inputs`, an input name).
    Key(String),
    /// An array index.
    Index(u64),
}

impl fmt::Display for LocPart {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Key(k) => f.write_str(k),
            Self::Index(i) => write!(f, "{i}"),
        }
    }
}

/// One validation problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidationIssue {
    /// Pydantic's `type`: `missing`, `extra_forbidden`, `int_parsing`...
    pub kind: String,
    /// Where: `["body","inputs","topic"]`, `["query","limit"]`.
    pub loc: Vec<LocPart>,
    /// The human message (`Input required`, `Unknown input`).
    pub msg: String,
}

impl ValidationIssue {
    /// Reads one entry; `None` if it is not an object.
    pub fn from_value(value: &Value) -> Option<Self> {
        let obj = value.as_object()?;
        let text = |k: &str| obj.get(k).and_then(Value::as_str).unwrap_or_default().to_owned();
        let loc = obj
            .get("loc")
            .and_then(Value::as_array)
            .map(|parts| {
                parts
                    .iter()
                    .filter_map(|p| match p {
                        Value::String(s) => Some(LocPart::Key(s.clone())),
                        Value::Number(n) => n.as_u64().map(LocPart::Index),
                        _ => None,
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(Self { kind: text("type"), loc, msg: text("msg") })
    }

    /// Reads a list of entries (anything that is not a list gives none).
    pub fn list_from_value(value: &Value) -> Vec<Self> {
        value.as_array().map(|a| a.iter().filter_map(Self::from_value).collect()).unwrap_or_default()
    }

    /// The run input this issue is about: `loc` = `["body","inputs","<name>", …]`. This is how
    /// the app shows an error beside the input it concerns.
    pub fn input_name(&self) -> Option<&str> {
        match self.loc.as_slice() {
            [LocPart::Key(b), LocPart::Key(i), LocPart::Key(name), ..] if b == "body" && i == "inputs" => Some(name),
            _ => None,
        }
    }

    /// `loc` joined with dots: `body.inputs.topic`.
    pub fn location(&self) -> String {
        self.loc.iter().map(ToString::to_string).collect::<Vec<_>>().join(".")
    }
}

/// Removes `input` (and `ctx`) from every entry of a validation list, in place.
pub(crate) fn scrub_inputs(list: &mut Value) {
    if let Some(items) = list.as_array_mut() {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            item.remove("input");
            item.remove("ctx");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn input_names_and_dropped_input() {
        let v = json!([
            {"type":"missing","loc":["body","inputs","topic"],"msg":"Input required","input":{"client_secret":"s"}},
            {"type":"int_parsing","loc":["query","limit"],"msg":"Input should be a valid integer","input":"x"},
            {"type":"extra_forbidden","loc":["body","inputs","n",0],"msg":"Unknown input"},
            "not an object"
        ]);
        let issues = ValidationIssue::list_from_value(&v);
        assert_eq!(issues.len(), 3);
        assert_eq!(issues[0].input_name(), Some("topic"));
        assert_eq!(issues[0].msg, "Input required");
        assert_eq!(issues[1].input_name(), None);
        assert_eq!(issues[1].location(), "query.limit");
        assert_eq!(issues[2].input_name(), Some("n"));
        assert_eq!(issues[2].location(), "body.inputs.n.0");
        assert!(!format!("{issues:?}").contains("client_secret"));
        let mut raw = v.clone();
        scrub_inputs(&mut raw);
        assert!(!raw.to_string().contains("client_secret"));
        assert!(ValidationIssue::list_from_value(&json!({"a":1})).is_empty());
    }
}
