//! One renderable field per `input_schema` property, in the schema's order.

use serde_json::Value;

use super::JsonSchema;

/// What kind of control a field needs, and how its text is read back.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
    /// `type: string`: a one-line text box.
    Text,
    /// `type: string, format: long-text`: a text area.
    LongText,
    /// `type: number`.
    Number,
    /// `type: integer`.
    Integer,
    /// `type: boolean`: a checkbox.
    Boolean,
    /// `enum`: a choice among these options.
    Enum {
        /// The options, in schema order.
        options: Vec<EnumOption>,
    },
    /// `type: object`: JSON text of an object.
    Object,
    /// `type: array`: JSON text of an array.
    Array,
    /// No `type` (the generic input block), or a union of several types: any JSON value.
    AnyJson,
    /// `format: file` (also inside `anyOf [{type: string, format: file}, {type: null}]`): a
    /// `workspace://<file_id>#<mime>` reference from an upload, which this crate does not do.
    File,
    /// A shape this view does not render (`$ref`, `type: null`...).
    Unsupported {
        /// Why, for the UI.
        reason: &'static str,
    },
}

/// One option of an enum field.
#[derive(Clone, Debug, PartialEq)]
pub struct EnumOption {
    /// The JSON value sent when chosen.
    pub value: Value,
    /// What the form shows and submits: the string itself, or the JSON text of a non-string.
    pub label: String,
}

/// One input of an agent, ready to render.
#[derive(Clone, Debug, PartialEq)]
pub struct InputField {
    /// The property name: the key in `inputs`.
    pub name: String,
    /// How to render and read it.
    pub kind: FieldKind,
    /// `format` (a UI hint such as `email`, `date-time`), if any.
    pub format: Option<String>,
    /// `title`.
    pub title: Option<String>,
    /// `description`.
    pub description: Option<String>,
    /// `default`, as JSON.
    pub default: Option<Value>,
    /// Listed in `required`: a value must be given and must not be `null`.
    pub required: bool,
    /// `null` is an accepted value (`type: [x, "null"]`, `anyOf` with `{type: null}`).
    pub nullable: bool,
    /// AutoGPT's `advanced`: fold it under "advanced settings".
    pub advanced: bool,
    /// AutoGPT's `secret`: mask it (`type="password"`); its value never appears in errors.
    pub secret: bool,
}

impl InputField {
    /// The label to show: `title`, else the name.
    pub fn label(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }
}

/// The fields of an `input_schema`, in the order its `properties` were sent.
pub fn input_fields(schema: &JsonSchema) -> Vec<InputField> {
    let value = schema.as_value();
    let Some(props) = value.get("properties").and_then(Value::as_object) else { return Vec::new() };
    let required: Vec<&str> = value
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    schema
        .property_order()
        .iter()
        .filter_map(|name| props.get(name).map(|p| (name, p)))
        .map(|(name, prop)| {
            let shape = classify(prop, 0);
            let text = |k: &str| prop.get(k).and_then(Value::as_str).map(str::to_owned);
            let flag = |k: &str| prop.get(k).and_then(Value::as_bool).unwrap_or(false);
            InputField {
                name: name.clone(),
                kind: shape.kind,
                format: shape.format,
                title: text("title"),
                description: text("description"),
                default: prop.get("default").cloned(),
                required: required.contains(&name.as_str()),
                nullable: shape.nullable || prop.get("nullable").and_then(Value::as_bool).unwrap_or(false),
                advanced: flag("advanced"),
                secret: flag("secret"),
            }
        })
        .collect()
}

struct Shape {
    kind: FieldKind,
    nullable: bool,
    format: Option<String>,
}

impl Shape {
    fn of(kind: FieldKind) -> Self {
        Self { kind, nullable: false, format: None }
    }
}

/// How deep `anyOf`/`allOf` wrappers are followed.
const MAX_DEPTH: usize = 8;

fn classify(prop: &Value, depth: usize) -> Shape {
    let Some(obj) = prop.as_object() else {
        // `true` accepts anything; `false` (or a non-object) accepts nothing we can render.
        return if prop == &Value::Bool(true) {
            Shape::of(FieldKind::AnyJson)
        } else {
            Shape::of(FieldKind::Unsupported { reason: "not a schema object" })
        };
    };
    if depth > MAX_DEPTH {
        return Shape::of(FieldKind::Unsupported { reason: "nested too deeply" });
    }
    if obj.contains_key("$ref") {
        return Shape::of(FieldKind::Unsupported { reason: "references ($ref) are not supported" });
    }
    let format = obj.get("format").and_then(Value::as_str).map(str::to_owned);
    if let Some(options) = obj.get("enum").and_then(Value::as_array) {
        let nullable = options.iter().any(Value::is_null);
        let options = options.iter().filter(|v| !v.is_null()).map(enum_option).collect();
        return Shape { kind: FieldKind::Enum { options }, nullable, format };
    }
    if let Some(c) = obj.get("const") {
        return Shape { kind: FieldKind::Enum { options: vec![enum_option(c)] }, nullable: false, format };
    }
    for union in ["anyOf", "oneOf"] {
        if let Some(branches) = obj.get(union).and_then(Value::as_array) {
            let is_null = |b: &&Value| b.get("type").and_then(Value::as_str) == Some("null");
            let nullable = branches.iter().any(|b| is_null(&b));
            let rest: Vec<&Value> = branches.iter().filter(|b| !is_null(b)).collect();
            let mut shape = match rest.as_slice() {
                [one] => classify(one, depth + 1),
                [] => Shape::of(FieldKind::Unsupported { reason: "only null is accepted" }),
                _ => Shape::of(FieldKind::AnyJson),
            };
            shape.nullable |= nullable;
            return shape;
        }
    }
    if let Some(all) = obj.get("allOf").and_then(Value::as_array) {
        return match all.as_slice() {
            [one] => classify(one, depth + 1),
            _ => Shape::of(FieldKind::Unsupported { reason: "allOf with several schemas is not supported" }),
        };
    }
    let (types, nullable) = match obj.get("type") {
        None => (Vec::new(), false),
        Some(Value::String(t)) => (vec![t.as_str()], false),
        Some(Value::Array(ts)) => {
            let ts: Vec<&str> = ts.iter().filter_map(Value::as_str).collect();
            let nullable = ts.contains(&"null");
            (ts.into_iter().filter(|t| *t != "null").collect(), nullable)
        }
        Some(_) => return Shape::of(FieldKind::Unsupported { reason: "malformed type" }),
    };
    let kind = match (types.as_slice(), format.as_deref()) {
        ([], Some("file")) | (["string"], Some("file")) => FieldKind::File,
        ([], _) if nullable => FieldKind::Unsupported { reason: "only null is accepted" },
        ([], _) => FieldKind::AnyJson,
        (["string"], Some("long-text")) => FieldKind::LongText,
        (["string"], _) => FieldKind::Text,
        (["number"], _) => FieldKind::Number,
        (["integer"], _) => FieldKind::Integer,
        (["boolean"], _) => FieldKind::Boolean,
        (["object"], _) => FieldKind::Object,
        (["array"], _) => FieldKind::Array,
        (["null"], _) => FieldKind::Unsupported { reason: "only null is accepted" },
        ([_], _) => FieldKind::Unsupported { reason: "unknown type" },
        (_, _) => FieldKind::AnyJson,
    };
    Shape { kind, nullable, format }
}

fn enum_option(v: &Value) -> EnumOption {
    let label = match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    EnumOption { value: v.clone(), label }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A schema exercising every kind, in a deliberately unsorted order.
    pub(crate) const SCHEMA: &str = r##"{
      "type": "object",
      "properties": {
        "topic": {"type": "string", "title": "Topic", "description": "What to write about"},
        "body": {"type": "string", "format": "long-text"},
        "temperature": {"type": "number", "default": 0.7, "advanced": true},
        "count": {"type": "integer", "default": 3},
        "dry_run": {"type": "boolean", "default": false},
        "tone": {"type": "string", "enum": ["formal", "casual"], "default": "casual"},
        "level": {"enum": [1, 2, null]},
        "options": {"type": "object"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "anything": {"title": "Any value"},
        "attachment": {"anyOf": [{"type": "string", "format": "file"}, {"type": "null"}], "title": "Attachment"},
        "api_token": {"type": "string", "secret": true},
        "maybe": {"type": ["integer", "null"]},
        "linked": {"$ref": "#/$defs/Linked"},
        "wrapped": {"allOf": [{"type": "boolean"}]},
        "email": {"type": "string", "format": "email"}
      },
      "required": ["topic", "api_token", "attachment"]
    }"##;

    pub(crate) fn fields() -> Vec<InputField> {
        input_fields(&JsonSchema::parse(SCHEMA.as_bytes()).unwrap())
    }

    #[test]
    fn every_kind_in_schema_order() {
        let f = fields();
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "topic",
                "body",
                "temperature",
                "count",
                "dry_run",
                "tone",
                "level",
                "options",
                "tags",
                "anything",
                "attachment",
                "api_token",
                "maybe",
                "linked",
                "wrapped",
                "email"
            ]
        );
        let kind = |n: &str| f.iter().find(|f| f.name == n).unwrap();
        assert_eq!(kind("topic").kind, FieldKind::Text);
        assert_eq!(kind("topic").label(), "Topic");
        assert_eq!(kind("topic").description.as_deref(), Some("What to write about"));
        assert!(kind("topic").required);
        assert_eq!(kind("body").kind, FieldKind::LongText);
        assert_eq!(kind("temperature").kind, FieldKind::Number);
        assert!(kind("temperature").advanced);
        assert_eq!(kind("temperature").default, Some(serde_json::json!(0.7)));
        assert_eq!(kind("count").kind, FieldKind::Integer);
        assert_eq!(kind("dry_run").kind, FieldKind::Boolean);
        match &kind("tone").kind {
            FieldKind::Enum { options } => {
                assert_eq!(options.iter().map(|o| o.label.as_str()).collect::<Vec<_>>(), ["formal", "casual"])
            }
            other => panic!("{other:?}"),
        }
        match &kind("level").kind {
            FieldKind::Enum { options } => assert_eq!(options[1].label, "2"),
            other => panic!("{other:?}"),
        }
        assert!(kind("level").nullable);
        assert_eq!(kind("options").kind, FieldKind::Object);
        assert_eq!(kind("tags").kind, FieldKind::Array);
        assert_eq!(kind("anything").kind, FieldKind::AnyJson);
        assert_eq!(kind("attachment").kind, FieldKind::File);
        assert!(kind("attachment").nullable && kind("attachment").required);
        assert_eq!(kind("attachment").label(), "Attachment");
        assert!(kind("api_token").secret);
        assert_eq!(kind("maybe").kind, FieldKind::Integer);
        assert!(kind("maybe").nullable);
        assert!(matches!(kind("linked").kind, FieldKind::Unsupported { .. }));
        assert_eq!(kind("wrapped").kind, FieldKind::Boolean);
        assert_eq!(kind("email").kind, FieldKind::Text);
        assert_eq!(kind("email").format.as_deref(), Some("email"));
        assert_eq!(kind("email").label(), "email");
    }

    #[test]
    fn odd_schemas_never_panic() {
        for s in [
            r#"{}"#,
            r#"{"properties":[]}"#,
            r#"{"properties":{"a":true,"b":false,"c":1,"d":{"type":5},"e":{"anyOf":[]},"f":{"type":"null"},"g":{"type":"uuid"},"h":{"oneOf":[{"type":"string"},{"type":"integer"}]},"i":{"allOf":[{},{}]},"j":{"type":["null"]}}}"#,
            r#"{"properties":{"x":{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"anyOf":[{"type":"string"}]}]}]}]}]}]}]}]}]}]}}}"#,
        ] {
            let fields = input_fields(&JsonSchema::parse(s.as_bytes()).unwrap());
            for f in &fields {
                let _ = f.label();
            }
        }
        let f = input_fields(
            &JsonSchema::parse(
                br#"{"properties":{"h":{"oneOf":[{"type":"string"},{"type":"integer"}]},"g":{"type":"uuid"}}}"#,
            )
            .unwrap(),
        );
        assert_eq!(f[0].kind, FieldKind::AnyJson);
        assert!(matches!(f[1].kind, FieldKind::Unsupported { .. }));
    }
}
