//! A form a UI can render from an agent's `input_schema`, and the check of a filled form
//! (contract §4.9). Pure and small: no JSON Schema engine, so it builds for wasm32.
//!
//! - [`JsonSchema`] keeps an agent's `input_schema`/`output_schema` as JSON **and** the order
//!   of its `properties` as sent (`serde_json` maps are sorted; the order is the agent
//!   author's and the form should follow it).
//! - [`input_fields`] turns it into [`InputField`]s: name, [`FieldKind`], title,
//!   description, default, required, nullable, and AutoGPT's `advanced` and `secret` flags.
//! - [`check_form`] turns the strings of an HTML form into the run's `inputs` object, with one
//!   human message per refused field.
//!
//! Out of scope, on purpose: nested objects are one JSON text field (not rendered field by
//! field); `$ref`/`$defs`, `allOf` with several members, `if`/`then`, `patternProperties` and
//! unions of several non-null types are not resolved (a `$ref` field is
//! [`FieldKind::Unsupported`], a multi-type union is [`FieldKind::AnyJson`]); constraints
//! such as `minimum`, `maxLength` or `pattern` are left to the platform, which validates the
//! run and answers 422 with the input's name in `loc`; file inputs (`format: file`) need an
//! upload first, which this crate does not do.

mod field;
mod form;

use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

pub use field::{EnumOption, FieldKind, InputField, input_fields};
pub use form::{FieldError, FieldProblem, FormErrors, check_form};

/// A JSON Schema object as the platform sent it, plus the wire order of its `properties`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct JsonSchema {
    value: Value,
    order: Vec<String>,
}

impl JsonSchema {
    /// Wraps a schema value; property order is then the map's (alphabetical).
    pub fn from_value(value: Value) -> Self {
        let order =
            value.get("properties").and_then(Value::as_object).map(|p| p.keys().cloned().collect()).unwrap_or_default();
        Self { value, order }
    }

    /// Parses schema JSON, keeping the order of `properties`.
    pub fn parse(body: &[u8]) -> Result<Self, crate::error::ParseError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        let schema = Self::deserialize(&mut de).and_then(|s| de.end().map(|()| s));
        schema.map_err(|e| crate::error::ParseError::json(&e, body))
    }

    /// The schema as JSON.
    pub fn as_value(&self) -> &Value {
        &self.value
    }

    /// Property names in the order the platform sent them.
    pub fn property_order(&self) -> &[String] {
        &self.order
    }

    /// True for `{}` (list responses send empty schemas; fetch the agent to get the full one).
    pub fn is_empty(&self) -> bool {
        self.value.as_object().is_none_or(Map::is_empty)
    }
}

impl<'de> Deserialize<'de> for JsonSchema {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(SchemaVisitor)
    }
}

struct SchemaVisitor;

impl<'de> Visitor<'de> for SchemaVisitor {
    type Value = JsonSchema;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON Schema object")
    }

    fn visit_unit<E>(self) -> Result<JsonSchema, E> {
        Ok(JsonSchema::default())
    }

    fn visit_none<E>(self) -> Result<JsonSchema, E> {
        Ok(JsonSchema::default())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonSchema, A::Error> {
        let mut value = Map::new();
        let mut order = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "properties" {
                let (o, props) = map.next_value::<Properties>()?.into_parts();
                order = o;
                value.insert(key, props);
            } else {
                value.insert(key, map.next_value::<Value>()?);
            }
        }
        // A repeated key keeps its last value, as serde_json does; keep one order entry each.
        let mut seen = std::collections::BTreeSet::new();
        order.retain(|k| seen.insert(k.clone()));
        Ok(JsonSchema { value: Value::Object(value), order })
    }
}

/// The value of `properties`: an object's entries in wire order, or (a malformed schema)
/// any other JSON value, kept as it is.
enum Properties {
    Ordered(Vec<(String, Value)>),
    Other(Value),
}

impl Properties {
    fn into_parts(self) -> (Vec<String>, Value) {
        match self {
            Self::Ordered(entries) => {
                let order = entries.iter().map(|(k, _)| k.clone()).collect();
                (order, Value::Object(entries.into_iter().collect()))
            }
            Self::Other(v) => (Vec::new(), v),
        }
    }
}

impl<'de> Deserialize<'de> for Properties {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Properties;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Properties, A::Error> {
                let mut entries = Vec::new();
                while let Some(k) = map.next_key::<String>()? {
                    entries.push((k, map.next_value::<Value>()?));
                }
                Ok(Properties::Ordered(entries))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Properties, A::Error> {
                let mut items = Vec::new();
                while let Some(v) = seq.next_element::<Value>()? {
                    items.push(v);
                }
                Ok(Properties::Other(Value::Array(items)))
            }
            fn visit_unit<E>(self) -> Result<Properties, E> {
                Ok(Properties::Other(Value::Null))
            }
            fn visit_none<E>(self) -> Result<Properties, E> {
                Ok(Properties::Other(Value::Null))
            }
            fn visit_bool<E>(self, v: bool) -> Result<Properties, E> {
                Ok(Properties::Other(Value::Bool(v)))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Properties, E> {
                Ok(Properties::Other(Value::from(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<Properties, E> {
                Ok(Properties::Other(Value::from(v)))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Properties, E> {
                Ok(Properties::Other(Value::from(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Properties, E> {
                Ok(Properties::Other(Value::from(v)))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_wire_order_of_properties() {
        let s = JsonSchema::parse(
            br#"{"type":"object","properties":{"zeta":{"type":"string"},"alpha":{"type":"integer"},"mid":{}},"required":["zeta"]}"#,
        )
        .unwrap();
        assert_eq!(s.property_order(), ["zeta", "alpha", "mid"]);
        assert_eq!(s.as_value()["required"][0], "zeta");
        assert_eq!(s.as_value()["properties"]["alpha"]["type"], "integer");
        assert!(!s.is_empty());
        let sorted = JsonSchema::from_value(s.as_value().clone());
        assert_eq!(sorted.property_order(), ["alpha", "mid", "zeta"]);
        assert!(JsonSchema::parse(b"{}").unwrap().is_empty());
        assert!(JsonSchema::parse(b"null").unwrap().is_empty());
        assert!(JsonSchema::parse(b"[1]").is_err());
        assert!(JsonSchema::parse(b"{} x").is_err());
    }

    #[test]
    fn inside_a_struct() {
        #[derive(serde::Deserialize)]
        struct Agent {
            input_schema: JsonSchema,
        }
        let a: Agent =
            serde_json::from_str(r#"{"input_schema":{"properties":{"b":{},"a":{},"b":{"title":"B"}}}}"#).unwrap();
        assert_eq!(a.input_schema.property_order(), ["b", "a"]);
        assert_eq!(a.input_schema.as_value()["properties"]["b"]["title"], "B");
    }
}
