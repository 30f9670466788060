//! The library agents every user has: a fixed catalog (stable ids, oldest first) whose input
//! schemas together use every field kind the app's form generator must handle, and what each
//! agent does when it runs ([`behaviour`]).

pub mod behaviour;
pub mod catalog;

use std::sync::LazyLock;

use serde_json::Value;

/// Where a catalog schema records the order of its `properties`: the platform sends them in the
/// agent author's order, but a `serde_json` map is sorted. Never sent: the wire view writes the
/// properties in this order and drops the key ([`crate::live::v2::views::InWireOrder`]).
pub const PROPERTY_ORDER: &str = "x-sandbox-property-order";

/// A credentials field of an agent's graph.
#[derive(Debug, Clone)]
pub struct CredentialField {
    pub field_name: &'static str,
    pub provider: &'static str,
    pub supported_types: &'static [&'static str],
    pub required_scopes: &'static [&'static str],
}

/// A library agent (the same catalog in every user's library).
#[derive(Debug, Clone)]
pub struct Agent {
    /// Library agent id: what runs are started with.
    pub id: &'static str,
    pub graph_id: &'static str,
    pub graph_version: u32,
    pub name: &'static str,
    pub description: &'static str,
    pub is_favorite: bool,
    pub is_published: bool,
    pub created_at_ms: i64,
    pub input_schema: Value,
    pub output_schema: Value,
    pub credentials: Vec<CredentialField>,
}

impl Agent {
    /// Input names the schema declares.
    pub fn input_names(&self) -> Vec<&str> {
        self.input_schema["properties"].as_object().map(|p| p.keys().map(String::as_str).collect()).unwrap_or_default()
    }
    /// Required input names, in schema order.
    pub fn required_inputs(&self) -> Vec<&str> {
        self.input_schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default()
    }
    /// The property schema of one input.
    pub fn input(&self, name: &str) -> Option<&Value> {
        self.input_schema["properties"].get(name)
    }
}

static CATALOG: LazyLock<Vec<Agent>> = LazyLock::new(catalog::agents);

/// Every agent, oldest first.
pub fn all() -> &'static [Agent] {
    &CATALOG
}

pub fn find(id: &str) -> Option<&'static Agent> {
    CATALOG.iter().find(|a| a.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The schemas together use every kind of field the app's form generator must render.
    #[test]
    fn catalog_covers_every_field_kind() {
        let props: Vec<&Value> =
            all().iter().flat_map(|a| a.input_schema["properties"].as_object().unwrap().values()).collect();
        let has = |f: &dyn Fn(&Value) -> bool| props.iter().any(|p| f(p));
        for kind in ["string", "number", "integer", "boolean", "object", "array"] {
            assert!(has(&|p| p["type"] == kind), "{kind}");
        }
        assert!(has(&|p| p["format"] == "long-text"));
        assert!(has(&|p| p.get("enum").is_some()));
        assert!(has(&|p| p.get("type").is_none() && p.get("anyOf").is_none()), "untyped");
        assert!(has(&|p| p["advanced"] == true));
        assert!(has(&|p| p["secret"] == true));
        assert!(has(&|p| p["anyOf"][0]["format"] == "file" && p["anyOf"][1]["type"] == "null"));
        assert!(all().iter().all(|a| !a.required_inputs().is_empty() || a.id != "lib-echo"));
        let ids: Vec<&str> = all().iter().map(|a| a.id).collect();
        assert_eq!(ids, ["lib-echo", "lib-review", "lib-partial", "lib-failing", "lib-slow", "lib-gmail"]);
        assert!(all().windows(2).all(|w| w[0].created_at_ms < w[1].created_at_ms));
    }
}
