//! The JSON Schema input view (`live::schema`): `JsonSchema::parse` of an agent's
//! `input_schema`, `input_fields`, and `check_form` of a posted form against those fields.
//! Input: the schema JSON, a line `---`, then the form as `application/x-www-form-urlencoded`.
//!
//! Asserts: never panics; the recorded property order is exactly the `properties` keys, each
//! once; fields follow that order with unique names; `check_form` never accepts a name the
//! schema does not have, a name given twice or a missing required value, and what it accepts
//! has the field's type (integers are integers, booleans booleans, enums one of their
//! options, objects objects...); every refused field is named once, with the problem that
//! fits; no message shows a secret field's value.
#![no_main]

use std::collections::BTreeSet;

use autogpt::live::schema::{FieldKind, FieldProblem, InputField, JsonSchema, check_form, input_fields};
use autogpt_fuzz::split_parts;
use libfuzzer_sys::fuzz_target;
use serde_json::Value;

fn accepts(field: &InputField, v: &Value) -> bool {
    if v.is_null() {
        return field.nullable;
    }
    match &field.kind {
        FieldKind::Text | FieldKind::LongText | FieldKind::File => v.is_string(),
        FieldKind::Number => v.is_number(),
        FieldKind::Integer => v.is_i64(),
        FieldKind::Boolean => v.is_boolean(),
        FieldKind::Enum { options } => options.iter().any(|o| &o.value == v),
        FieldKind::Object => v.is_object(),
        FieldKind::Array => v.is_array(),
        FieldKind::AnyJson => true,
        FieldKind::Unsupported { .. } => false,
    }
}

fuzz_target!(|data: &[u8]| {
    let (schema, form) = split_parts(data);
    let Ok(schema) = JsonSchema::parse(schema) else { return };

    let order = schema.property_order();
    let unique: BTreeSet<&String> = order.iter().collect();
    assert_eq!(unique.len(), order.len(), "property order repeats a name: {order:?}");
    match schema.as_value().get("properties").and_then(Value::as_object) {
        Some(props) => assert_eq!(props.keys().collect::<BTreeSet<_>>(), unique),
        None => assert!(order.is_empty()),
    }

    let fields = input_fields(&schema);
    let names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
    let in_order: Vec<&str> = order.iter().map(String::as_str).collect();
    assert_eq!(names, in_order, "fields not in schema order");

    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(form).into_owned().collect();
    let known = |k: &str| names.contains(&k);
    let count = |k: &str| pairs.iter().filter(|(n, _)| n == k).count();
    match check_form(&fields, pairs.iter().map(|(k, v)| (k.as_str(), v.as_str()))) {
        Ok(inputs) => {
            for (k, _) in &pairs {
                assert!(known(k), "accepted an unknown field {k:?}");
                assert_eq!(count(k), 1, "accepted {k:?} given twice");
            }
            for field in &fields {
                match inputs.get(&field.name) {
                    Some(v) => {
                        assert!(accepts(field, v), "{} ({:?}) accepted {v}", field.name, field.kind);
                        assert!(!(field.required && v.is_null()), "required {} is null", field.name);
                    }
                    None => assert!(!field.required, "required {} missing", field.name),
                }
            }
            assert!(inputs.keys().all(|k| known(k)));
        }
        Err(errors) => {
            assert!(!errors.0.is_empty());
            let mut seen = BTreeSet::new();
            for e in &errors.0 {
                assert!(seen.insert(e.field.as_str()), "{} refused twice", e.field);
                match e.problem {
                    FieldProblem::Unknown => assert!(!known(&e.field)),
                    FieldProblem::Duplicate => assert!(count(&e.field) > 1),
                    _ => assert!(known(&e.field), "{:?} for a name outside the schema", e.problem),
                }
            }
            for (k, _) in &pairs {
                if !known(k) || count(k) > 1 {
                    assert!(errors.for_field(k).is_some(), "{k:?} not refused");
                }
            }
            // Messages name fields and problems only: a secret field's value never shows.
            let shown = format!("{errors} {errors:?}");
            for field in fields.iter().filter(|f| f.secret) {
                for (_, v) in pairs.iter().filter(|(k, _)| *k == field.name) {
                    let elsewhere = pairs.iter().any(|(k, _)| k.contains(v.as_str()))
                        || names.iter().any(|n| n.contains(v.as_str()));
                    if v.len() >= 8 && !elsewhere && v.bytes().all(|b| b.is_ascii_alphanumeric()) {
                        assert!(!shown.contains(v.as_str()), "secret value shown: {shown}");
                    }
                }
            }
        }
    }
});
