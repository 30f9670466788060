//! The v2 wire objects (`v2/models.py`): `LibraryAgent`, `AgentGraphRun[Details]`,
//! `AgentRunReview`, `CredentialInfo`, `CredentialRequirement`. Ids stay strings, enums upper
//! case (credential `type` lower case), timestamps per the Q7 switch.

use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::{Map, Value, json};

use crate::live::agents::{Agent, CredentialField, PROPERTY_ORDER};
use crate::live::model::{Review, Run};
use crate::live::time;
use crate::state::model::{Credential, User};

/// How timestamps are written (Q7).
#[derive(Debug, Clone, Copy)]
pub struct Ts {
    pub without_fraction: bool,
}

impl Ts {
    pub fn at(&self, ms: i64) -> Value {
        json!(time::iso(ms, self.without_fraction))
    }
    pub fn opt(&self, ms: Option<i64>) -> Value {
        ms.map(|m| self.at(m)).unwrap_or(Value::Null)
    }
}

/// The user's personal organization id (every credential acts in it).
pub fn personal_org_id(user_id: &str) -> String {
    format!("org-{}", user_id.trim_start_matches("user-"))
}

pub fn organization(user: &User) -> Value {
    json!({"id": personal_org_id(&user.id), "name": user.name, "is_personal": true})
}

pub fn credential_info(c: &Credential) -> Value {
    json!({
        "id": c.id,
        "type": "oauth2",
        "provider": c.provider,
        "title": c.label,
        "username": c.username,
        "scopes": c.scopes,
        "expires_at": null,
        "is_managed": false,
    })
}

/// One `LibraryAgent`; `full` = with its schemas (the single GET), lists carry empty ones.
pub fn library_agent(a: &Agent, user_id: &str, full: bool, ts: Ts) -> Value {
    let (input_schema, output_schema) =
        if full { (a.input_schema.clone(), a.output_schema.clone()) } else { (json!({}), json!({})) };
    json!({
        "id": a.id,
        "graph_id": a.graph_id,
        "graph_version": a.graph_version,
        "name": a.name,
        "description": a.description,
        "is_favorite": a.is_favorite,
        "can_access_graph": true,
        "is_latest_version": true,
        "image_url": null,
        "creator_name": "AutoGPT Sandbox",
        "input_schema": input_schema,
        "output_schema": output_schema,
        "trigger_setup_info": null,
        "recommended_schedule_cron": null,
        "folder_id": null,
        "folder_name": null,
        "organization_id": personal_org_id(user_id),
        "team_id": null,
        "created_at": ts.at(a.created_at_ms),
        "updated_at": ts.at(a.created_at_ms),
    })
}

/// A wire object serialised with every schema's `properties` in the order recorded under
/// [`PROPERTY_ORDER`], which is left out: the platform sends an agent's inputs in its author's
/// order, and clients build their forms in that order.
pub struct InWireOrder(pub Value);

impl Serialize for InWireOrder {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Ordered(&self.0).serialize(s)
    }
}

struct Ordered<'a>(&'a Value);

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self.0 {
            Value::Object(map) => {
                let order: Vec<&str> = map
                    .get(PROPERTY_ORDER)
                    .and_then(Value::as_array)
                    .map(|names| names.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                let mut out = s.serialize_map(None)?;
                for (k, v) in map.iter().filter(|(k, _)| *k != PROPERTY_ORDER) {
                    match v {
                        Value::Object(props) if k == "properties" => out.serialize_entry(k, &InOrder(props, &order))?,
                        _ => out.serialize_entry(k, &Ordered(v))?,
                    }
                }
                out.end()
            }
            Value::Array(items) => s.collect_seq(items.iter().map(Ordered)),
            other => other.serialize(s),
        }
    }
}

/// `properties`: the recorded names first, in their order, then any others.
struct InOrder<'a>(&'a Map<String, Value>, &'a [&'a str]);

impl Serialize for InOrder<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let InOrder(props, order) = self;
        let mut out = s.serialize_map(Some(props.len()))?;
        for name in order.iter().filter(|n| props.contains_key(**n)) {
            out.serialize_entry(name, &Ordered(&props[*name]))?;
        }
        for (k, v) in props.iter().filter(|(k, _)| !order.contains(&k.as_str())) {
            out.serialize_entry(k, &Ordered(v))?;
        }
        out.end()
    }
}

/// One `CredentialRequirement` with every credential of the user for that provider.
pub fn requirement(field: &CredentialField, credentials: &[&Credential]) -> Value {
    let matching: Vec<Value> = credentials
        .iter()
        .filter(|c| c.provider.eq_ignore_ascii_case(field.provider))
        .map(|c| credential_info(c))
        .collect();
    json!({
        "field_name": field.field_name,
        "provider": field.provider,
        "supported_types": field.supported_types,
        "required_scopes": field.required_scopes,
        "matching_credentials": matching,
    })
}

fn duration_seconds(r: &Run) -> f64 {
    match (r.started_at_ms, r.ended_at_ms) {
        (Some(s), Some(e)) if e >= s => (e - s) as f64 / 1000.0,
        _ => 0.0,
    }
}

/// `AgentGraphRun`.
pub fn run(r: &Run, ts: Ts) -> Value {
    json!({
        "id": r.id,
        "graph_id": r.graph_id,
        "graph_version": r.graph_version,
        "status": r.status.as_str(),
        "started_at": ts.opt(r.started_at_ms),
        "ended_at": ts.opt(r.ended_at_ms),
        "inputs": r.inputs,
        "credentials_inputs": r.credentials_inputs,
        "preset_id": null,
        "is_shared": false,
        "share_token": null,
        "cost_cents": r.cost_cents,
        "duration_seconds": duration_seconds(r),
        "node_exec_count": r.node_exec_count,
        "correctness_score": null,
        "organization_id": personal_org_id(&r.user_id),
        "team_id": null,
    })
}

/// `AgentGraphRunDetails`: the run plus `outputs` (lists) and `node_executions`.
pub fn run_details(r: &Run, ts: Ts) -> Value {
    let mut v = run(r, ts);
    let nodes: Vec<Value> = r
        .node_executions
        .iter()
        .map(|n| {
            json!({
                "node_id": n.node_id,
                "status": n.status.as_str(),
                "inputs": n.inputs,
                "outputs": n.outputs,
                "started_at": ts.opt(n.started_at_ms),
                "ended_at": ts.opt(n.ended_at_ms),
            })
        })
        .collect();
    v["outputs"] = Value::Object(r.outputs.clone());
    v["node_executions"] = Value::Array(nodes);
    v
}

/// `AgentRunReview`.
pub fn review(r: &Review, ts: Ts) -> Value {
    json!({
        "node_exec_id": r.node_exec_id,
        "run_id": r.run_id,
        "graph_id": r.graph_id,
        "graph_version": r.graph_version,
        "payload": r.payload,
        "instructions": r.instructions,
        "editable": r.editable,
        "status": r.status.as_str(),
        "requested_at": ts.at(r.requested_at_ms),
        "reviewed_at": ts.opt(r.reviewed_at_ms),
        "processed": r.processed,
        "reviewer_comment": r.reviewer_comment,
    })
}

/// Run `credentials_inputs` as shown back: `{id, title, provider, type}` per field, titles from
/// the stored credential when it exists.
pub fn credentials_inputs(given: &Map<String, Value>, credentials: &[Credential]) -> Map<String, Value> {
    given
        .iter()
        .map(|(field, v)| {
            let id = v.get("id").and_then(Value::as_str).unwrap_or_default();
            let title = credentials
                .iter()
                .find(|c| c.id == id)
                .map(|c| json!(c.label))
                .or_else(|| v.get("title").cloned())
                .unwrap_or(Value::Null);
            let shown = json!({"id": id, "title": title, "provider": v.get("provider"), "type": v.get("type")});
            (field.clone(), shown)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::agents;

    /// The platform sends an agent's inputs in the order its author wrote them; `serde_json`
    /// would sort them. The recorded order is followed, the key recording it never sent.
    #[test]
    fn library_agent_schemas_keep_the_catalog_order_of_properties() {
        let echo = agents::find("lib-echo").unwrap();
        let view = library_agent(echo, "user-alice", true, Ts { without_fraction: false });
        let wire = serde_json::to_string(&InWireOrder(view.clone())).unwrap();
        assert!(!wire.contains(PROPERTY_ORDER), "{wire}");
        let inputs = &wire[wire.find(r#""input_schema""#).unwrap()..wire.find(r#""output_schema""#).unwrap()];
        let at = |name: &str| inputs.find(&format!(r#""{name}":{{"#)).unwrap_or_else(|| panic!("{name}"));
        let names = [
            "message",
            "notes",
            "repeat",
            "temperature",
            "shout",
            "tone",
            "metadata",
            "tags",
            "payload",
            "api_token",
            "attachment",
        ];
        assert!(names.windows(2).all(|w| at(w[0]) < at(w[1])), "{inputs}");
        let outputs = &wire[wire.find(r#""output_schema""#).unwrap()..];
        assert!(outputs.find(r#""result":{"#) < outputs.find(r#""summary":{"#));
        // the same JSON otherwise
        let mut expected = view;
        for schema in ["input_schema", "output_schema"] {
            expected[schema].as_object_mut().unwrap().remove(PROPERTY_ORDER);
        }
        assert_eq!(serde_json::from_str::<Value>(&wire).unwrap(), expected);
        let list = library_agent(echo, "user-alice", false, Ts { without_fraction: false });
        assert_eq!(serde_json::to_value(InWireOrder(list.clone())).unwrap(), list, "list entries: empty schemas");
    }
}
