//! The seeded agents' definitions: ids, names and JSON Schemas (`input_schema` with the AutoGPT
//! extensions `advanced` and `secret` on every property, `output_schema`).

use serde_json::{Map, Value, json};

use super::{Agent, CredentialField, PROPERTY_ORDER};

/// Scope the `gmail` agent's Google credential must carry.
pub const GMAIL_SCOPE: &str = "https://www.googleapis.com/auth/gmail.readonly";

/// A property with `title`, `advanced: false`, `secret: false` and the given extra keys.
fn prop(title: &str, extra: Value) -> Value {
    let mut p = Map::new();
    p.insert("title".into(), json!(title));
    p.insert("advanced".into(), json!(false));
    p.insert("secret".into(), json!(false));
    if let Value::Object(extra) = extra {
        p.extend(extra);
    }
    Value::Object(p)
}

/// An object schema; the order of `properties` as written here is kept under
/// [`PROPERTY_ORDER`] (a `serde_json` map is sorted) and is the order they are sent in.
fn object(properties: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let order: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
    let props: Map<String, Value> = properties.into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    json!({"type": "object", "properties": props, "required": required, PROPERTY_ORDER: order})
}

fn outputs(properties: Vec<(&str, Value)>) -> Value {
    object(properties, &[])
}

const DAY_MS: i64 = 86_400_000;
/// 2026-01-05T09:00:00Z: the oldest agent; each next one a day later.
const FIRST_CREATED_MS: i64 = 1_767_603_600_000;

#[allow(clippy::too_many_arguments)]
fn agent(
    n: i64,
    id: &'static str,
    graph_id: &'static str,
    name: &'static str,
    description: &'static str,
    input_schema: Value,
    output_schema: Value,
    credentials: Vec<CredentialField>,
) -> Agent {
    Agent {
        id,
        graph_id,
        graph_version: 1,
        name,
        description,
        is_favorite: id == "lib-echo",
        is_published: id == "lib-echo",
        created_at_ms: FIRST_CREATED_MS + n * DAY_MS,
        input_schema,
        output_schema,
        credentials,
    }
}

pub fn agents() -> Vec<Agent> {
    vec![
        agent(
            0,
            "lib-echo",
            "graph-echo",
            "Echo",
            "Completes with outputs derived from its inputs; its form uses every field kind",
            object(
                vec![
                    ("message", prop("Message", json!({"type": "string", "description": "The text to echo"}))),
                    (
                        "notes",
                        prop(
                            "Notes",
                            json!({"type": "string", "format": "long-text", "default": "",
                            "description": "Longer text (a text area)"}),
                        ),
                    ),
                    (
                        "repeat",
                        prop(
                            "Repeat",
                            json!({"type": "integer", "default": 1, "minimum": 1, "maximum": 10,
                            "description": "How many times the message is repeated"}),
                        ),
                    ),
                    ("temperature", prop("Temperature", json!({"type": "number", "default": 0.5, "advanced": true}))),
                    (
                        "shout",
                        prop(
                            "Shout",
                            json!({"type": "boolean", "default": false,
                            "description": "Upper-case the result"}),
                        ),
                    ),
                    (
                        "tone",
                        prop(
                            "Tone",
                            json!({"type": "string", "enum": ["neutral", "friendly", "formal"],
                            "default": "neutral"}),
                        ),
                    ),
                    (
                        "metadata",
                        prop(
                            "Metadata",
                            json!({"type": "object", "default": {}, "advanced": true,
                            "description": "Any key/value pairs"}),
                        ),
                    ),
                    ("tags", prop("Tags", json!({"type": "array", "items": {"type": "string"}, "default": []}))),
                    (
                        "payload",
                        prop(
                            "Payload",
                            json!({"default": null,
                            "description": "Any JSON value (no type, like the generic input block)"}),
                        ),
                    ),
                    (
                        "api_token",
                        prop(
                            "API token",
                            json!({"type": "string", "default": "", "secret": true,
                            "description": "Masked by the app; echoed back as ***"}),
                        ),
                    ),
                    (
                        "attachment",
                        prop(
                            "Attachment",
                            json!({
                            "anyOf": [{"type": "string", "format": "file"}, {"type": "null"}],
                            "default": null,
                            "description": "A workspace://<file_id>#<mime> reference"}),
                        ),
                    ),
                ],
                &["message"],
            ),
            outputs(vec![
                ("result", prop("Result", json!({"type": "string"}))),
                ("inputs", prop("Inputs received", json!({"type": "object"}))),
                ("summary", prop("Summary", json!({"type": "string"}))),
            ]),
            Vec::new(),
        ),
        agent(
            1,
            "lib-review",
            "graph-review",
            "Email with review",
            "Drafts an email and waits in REVIEW until a human approves the email and its recipient",
            object(
                vec![
                    (
                        "draft",
                        prop(
                            "Draft",
                            json!({"type": "string", "format": "long-text",
                            "description": "The email body"}),
                        ),
                    ),
                    ("subject", prop("Subject", json!({"type": "string", "default": "Weekly update"}))),
                    ("recipient", prop("Recipient", json!({"type": "string", "default": "team@example.com"}))),
                ],
                &["draft"],
            ),
            outputs(vec![
                ("sent", prop("Sent email", json!({"type": "object"}))),
                ("status", prop("Status", json!({"type": "string"}))),
            ]),
            Vec::new(),
        ),
        agent(
            2,
            "lib-partial",
            "graph-partial",
            "Partial results",
            "Completes although one of its blocks fails",
            object(
                vec![
                    ("items", prop("Items", json!({"type": "array", "items": {"type": "string"}}))),
                    ("separator", prop("Separator", json!({"type": "string", "default": ", ", "advanced": true}))),
                ],
                &["items"],
            ),
            outputs(vec![
                ("joined", prop("Joined", json!({"type": "string"}))),
                ("enriched", prop("Enriched", json!({"type": "array"}))),
            ]),
            Vec::new(),
        ),
        agent(
            3,
            "lib-failing",
            "graph-failing",
            "Always fails",
            "Fails in its second block with the given reason",
            object(
                vec![("reason", prop("Reason", json!({"type": "string", "default": "Demo failure requested"})))],
                &[],
            ),
            outputs(vec![("result", prop("Result", json!({"type": "string"})))]),
            Vec::new(),
        ),
        agent(
            4,
            "lib-slow",
            "graph-slow",
            "Slow counter",
            "Counts one step a second (20 steps by default); stop it to see TERMINATED",
            object(
                vec![(
                    "steps",
                    prop(
                        "Steps",
                        json!({"type": "integer", "default": 20, "minimum": 1, "maximum": 60,
                        "advanced": true}),
                    ),
                )],
                &[],
            ),
            outputs(vec![("result", prop("Result", json!({"type": "string"})))]),
            Vec::new(),
        ),
        agent(
            5,
            "lib-gmail",
            "graph-gmail",
            "Gmail invoice finder",
            "Reads Gmail with a Google credential and lists demo invoices",
            object(
                vec![
                    ("query", prop("Search query", json!({"type": "string", "default": "is:unread invoice"}))),
                    ("max_results", prop("Max results", json!({"type": "integer", "default": 10}))),
                ],
                &[],
            ),
            outputs(vec![
                ("invoices", prop("Invoices", json!({"type": "array"}))),
                ("summary", prop("Summary", json!({"type": "string"}))),
            ]),
            vec![CredentialField {
                field_name: "credentials",
                provider: "google",
                supported_types: &["oauth2"],
                required_scopes: &[GMAIL_SCOPE],
            }],
        ),
    ]
}
