//! Checking a filled form against the fields: HTML form strings in, the run's `inputs` object
//! out, or one error per field with a human message.
//!
//! Rules, per [`FieldKind`]:
//! - an empty string is "not given": an optional field is then omitted (the platform applies
//!   its default), a required one is an error — except a required boolean, where an unchecked
//!   box (no value) means `false`;
//! - text is sent as typed (not trimmed); numbers, integers, booleans (`true/false`,
//!   `on/off`, `1/0`, `yes/no`) and enum labels are trimmed and parsed;
//! - object and array fields take JSON text, parsed and type-checked;
//! - an any-JSON field takes JSON text, and text that is not JSON is sent as a string;
//! - a file field takes a `workspace://…` reference (uploads are out of scope);
//! - `null` (JSON text `null` in a JSON field) counts as missing for a required field;
//! - a name the schema does not have is refused (the platform would answer 422), and so is a
//!   name given twice.
//!
//! Messages never repeat the value: a `secret` field's text must not end up on screen or in
//! a log because it failed to parse.

use std::fmt;

use serde_json::{Map, Number, Value};

use super::{FieldKind, InputField};

/// Why one field was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FieldProblem {
    /// Required and empty (or `null`).
    Required,
    /// Not an input of this agent.
    Unknown,
    /// Given more than once.
    Duplicate,
    /// Not a number.
    NotANumber,
    /// Not a whole number (or out of range).
    NotAnInteger,
    /// Not a yes/no value.
    NotABoolean,
    /// Not one of the options.
    NotAnOption,
    /// Not valid JSON.
    InvalidJson,
    /// JSON, but not an object.
    NotAnObject,
    /// JSON, but not an array.
    NotAnArray,
    /// A file input without a `workspace://` reference.
    FileNotUploaded,
    /// This field's schema cannot be filled in here.
    Unsupported,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Required => "This field is required.",
            Self::Unknown => "This agent has no input with this name.",
            Self::Duplicate => "This field was sent more than once.",
            Self::NotANumber => "Enter a number.",
            Self::NotAnInteger => "Enter a whole number.",
            Self::NotABoolean => "Choose yes or no.",
            Self::NotAnOption => "Choose one of the options.",
            Self::InvalidJson => "Enter valid JSON.",
            Self::NotAnObject => "Enter a JSON object, like {\"key\": \"value\"}.",
            Self::NotAnArray => "Enter a JSON list, like [\"a\", \"b\"].",
            Self::FileNotUploaded => "File inputs need an uploaded file (workspace://…), which is not supported here.",
            Self::Unsupported => "This input cannot be filled in here.",
        })
    }
}

/// One refused field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FieldError {
    /// The input name.
    pub field: String,
    /// What is wrong; its `Display` is the message to show beside the field.
    pub problem: FieldProblem,
}

/// Every refused field of a form, in form order (fields of the schema first).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{} field(s) need attention", .0.len())]
pub struct FormErrors(pub Vec<FieldError>);

impl FormErrors {
    /// The problem with `field`, if any.
    pub fn for_field(&self, field: &str) -> Option<&FieldProblem> {
        self.0.iter().find(|e| e.field == field).map(|e| &e.problem)
    }
}

/// Checks form values (name → text) against `fields` and builds the `inputs` object.
pub fn check_form<I, K, V>(fields: &[InputField], values: I) -> Result<Map<String, Value>, FormErrors>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut errors = Vec::new();
    let mut given: Vec<(String, String)> = Vec::new();
    for (k, v) in values {
        let (k, v) = (k.as_ref(), v.as_ref());
        if given.iter().any(|(g, _)| g == k) {
            if !errors.iter().any(|e: &FieldError| e.field == k) {
                errors.push(FieldError { field: k.to_owned(), problem: FieldProblem::Duplicate });
            }
            continue;
        }
        given.push((k.to_owned(), v.to_owned()));
    }
    let mut inputs = Map::new();
    for field in fields {
        if errors.iter().any(|e| e.field == field.name) {
            continue;
        }
        let text = given.iter().find(|(k, _)| *k == field.name).map(|(_, v)| v.as_str()).unwrap_or("");
        match read(field, text) {
            Ok(Some(Value::Null)) | Ok(None) if field.required => {
                errors.push(FieldError { field: field.name.clone(), problem: FieldProblem::Required })
            }
            Ok(Some(v)) => {
                inputs.insert(field.name.clone(), v);
            }
            Ok(None) => {}
            Err(problem) => errors.push(FieldError { field: field.name.clone(), problem }),
        }
    }
    for (k, _) in &given {
        // One error per field: a name both unknown and repeated was refused above already.
        if !fields.iter().any(|f| f.name == *k) && !errors.iter().any(|e| e.field == *k) {
            errors.push(FieldError { field: k.clone(), problem: FieldProblem::Unknown });
        }
    }
    if errors.is_empty() { Ok(inputs) } else { Err(FormErrors(errors)) }
}

/// One field's text → `Ok(None)` when not given, `Ok(Some(value))`, or the problem.
fn read(field: &InputField, text: &str) -> Result<Option<Value>, FieldProblem> {
    let trimmed = text.trim();
    if text.is_empty() {
        return Ok(match field.kind {
            FieldKind::Boolean if field.required => Some(Value::Bool(false)),
            _ => None,
        });
    }
    let value = match &field.kind {
        FieldKind::Text | FieldKind::LongText => Value::String(text.to_owned()),
        FieldKind::Number => {
            let n: f64 = trimmed.parse().map_err(|_| FieldProblem::NotANumber)?;
            match trimmed.parse::<i64>() {
                Ok(i) => Value::Number(i.into()),
                Err(_) => Value::Number(Number::from_f64(n).ok_or(FieldProblem::NotANumber)?),
            }
        }
        FieldKind::Integer => Value::Number(trimmed.parse::<i64>().map_err(|_| FieldProblem::NotAnInteger)?.into()),
        FieldKind::Boolean => Value::Bool(match trimmed.to_ascii_lowercase().as_str() {
            "true" | "on" | "1" | "yes" => true,
            "false" | "off" | "0" | "no" => false,
            _ => return Err(FieldProblem::NotABoolean),
        }),
        FieldKind::Enum { options } => {
            options.iter().find(|o| o.label == trimmed).map(|o| o.value.clone()).ok_or(FieldProblem::NotAnOption)?
        }
        FieldKind::Object => match serde_json::from_str::<Value>(trimmed).map_err(|_| FieldProblem::InvalidJson)? {
            v @ (Value::Object(_) | Value::Null) => v,
            _ => return Err(FieldProblem::NotAnObject),
        },
        FieldKind::Array => match serde_json::from_str::<Value>(trimmed).map_err(|_| FieldProblem::InvalidJson)? {
            v @ (Value::Array(_) | Value::Null) => v,
            _ => return Err(FieldProblem::NotAnArray),
        },
        FieldKind::AnyJson => serde_json::from_str::<Value>(trimmed).unwrap_or_else(|_| Value::String(text.to_owned())),
        FieldKind::File if trimmed.starts_with("workspace://") => Value::String(trimmed.to_owned()),
        FieldKind::File => return Err(FieldProblem::FileNotUploaded),
        FieldKind::Unsupported { .. } => return Err(FieldProblem::Unsupported),
    };
    if value.is_null() && !field.nullable && !field.required {
        return Ok(None);
    }
    Ok(Some(value))
}

#[cfg(test)]
mod tests {
    use super::super::field::tests::fields;
    use super::*;
    use serde_json::json;

    fn ok(values: &[(&str, &str)]) -> Map<String, Value> {
        check_form(&fields(), values.iter().copied()).unwrap()
    }

    fn base() -> Vec<(&'static str, &'static str)> {
        vec![("topic", "Rust"), ("api_token", "sk-123"), ("attachment", "workspace://f1#text/plain")]
    }

    #[test]
    fn builds_inputs_and_omits_empty_optionals() {
        let mut v = base();
        v.extend([
            ("body", "line 1\nline 2 "),
            ("temperature", " 0.25 "),
            ("count", "5"),
            ("dry_run", "on"),
            ("tone", "formal"),
            ("level", "2"),
            ("options", r#"{"a": [1]}"#),
            ("tags", r#"["x","y"]"#),
            ("anything", "plain words"),
            ("maybe", ""),
            ("email", ""),
            ("wrapped", "false"),
        ]);
        let inputs = ok(&v);
        assert_eq!(
            Value::Object(inputs),
            json!({
                "topic": "Rust", "api_token": "sk-123", "attachment": "workspace://f1#text/plain",
                "body": "line 1\nline 2 ", "temperature": 0.25, "count": 5, "dry_run": true,
                "tone": "formal", "level": 2, "options": {"a": [1]}, "tags": ["x", "y"],
                "anything": "plain words", "wrapped": false
            })
        );
        let inputs = ok(&[("topic", "t"), ("api_token", "k"), ("attachment", "workspace://f"), ("anything", "[1,2]")]);
        assert_eq!(inputs["anything"], json!([1, 2]));
        assert_eq!(inputs.len(), 4);
    }

    /// Found by `fuzz/`'s `json_schema` target (minimized: schema `{}`, form `e&e`): a name
    /// the schema does not have, given twice, was refused twice (`Duplicate` and `Unknown`).
    #[test]
    fn fuzz_unknown_name_given_twice_is_refused_once() {
        let e = check_form(&[], [("e", ""), ("e", "")]).unwrap_err();
        assert_eq!(e.0, [FieldError { field: "e".into(), problem: FieldProblem::Duplicate }]);
        let e = check_form(&fields(), [("topic", "t"), ("nope", "1"), ("nope", "2"), ("other", "3")]).unwrap_err();
        assert_eq!(e.for_field("nope"), Some(&FieldProblem::Duplicate));
        assert_eq!(e.0.iter().filter(|f| f.field == "nope").count(), 1);
        assert_eq!(e.for_field("other"), Some(&FieldProblem::Unknown));
    }

    #[test]
    fn one_error_per_field_without_values() {
        let values = [
            ("topic", ""),
            ("api_token", "s3cr3t-value"),
            ("temperature", "warm"),
            ("count", "2.5"),
            ("dry_run", "perhaps"),
            ("tone", "angry"),
            ("options", "[1]"),
            ("tags", "{"),
            ("attachment", "C:\\file.txt"),
            ("linked", "x"),
            ("nope", "1"),
            ("count", "3"),
        ];
        let e = check_form(&fields(), values).unwrap_err();
        let p = |n: &str| e.for_field(n).cloned();
        assert_eq!(p("topic"), Some(FieldProblem::Required));
        assert_eq!(p("temperature"), Some(FieldProblem::NotANumber));
        assert_eq!(p("count"), Some(FieldProblem::Duplicate));
        assert_eq!(p("dry_run"), Some(FieldProblem::NotABoolean));
        assert_eq!(p("tone"), Some(FieldProblem::NotAnOption));
        assert_eq!(p("options"), Some(FieldProblem::NotAnObject));
        assert_eq!(p("tags"), Some(FieldProblem::InvalidJson));
        assert_eq!(p("attachment"), Some(FieldProblem::FileNotUploaded));
        assert_eq!(p("linked"), Some(FieldProblem::Unsupported));
        assert_eq!(p("nope"), Some(FieldProblem::Unknown));
        assert_eq!(p("api_token"), None);
        let shown = format!("{e:?} {e}") + &e.0.iter().map(|x| x.problem.to_string()).collect::<String>();
        assert!(!shown.contains("s3cr3t") && !shown.contains("warm") && !shown.contains("angry"), "{shown}");
        let e = check_form(
            &fields(),
            [("topic", "t"), ("api_token", "k"), ("attachment", "workspace://f"), ("count", "2.5")],
        )
        .unwrap_err();
        assert_eq!(e.for_field("count"), Some(&FieldProblem::NotAnInteger));
    }

    #[test]
    fn required_nulls_and_booleans() {
        let schema = super::super::JsonSchema::parse(
            br#"{"properties":{"agree":{"type":"boolean"},"cfg":{"type":["object","null"]},"any":{}},"required":["agree","cfg","any"]}"#,
        )
        .unwrap();
        let f = super::super::input_fields(&schema);
        let e = check_form(&f, [("cfg", "null"), ("any", " null ")]).unwrap_err();
        assert_eq!(e.for_field("cfg"), Some(&FieldProblem::Required));
        assert_eq!(e.for_field("any"), Some(&FieldProblem::Required));
        assert_eq!(e.for_field("agree"), None, "an unchecked required box is false");
        let inputs = check_form(&f, [("cfg", "{}"), ("any", "0")]).unwrap();
        assert_eq!(Value::Object(inputs), json!({"agree": false, "cfg": {}, "any": 0}));
        let opt = super::super::input_fields(
            &super::super::JsonSchema::parse(
                br#"{"properties":{"o":{"type":"object"},"n":{"type":["array","null"]}}}"#,
            )
            .unwrap(),
        );
        let inputs = check_form(&opt, [("o", "null"), ("n", "null")]).unwrap();
        assert_eq!(Value::Object(inputs), json!({"n": null}));
        assert!(check_form(&[], Vec::<(String, String)>::new()).unwrap().is_empty());
    }
}
