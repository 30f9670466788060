//! Library agents (contract §4.9): the agents in the user's library, run by **library agent
//! id**. List responses carry empty schemas; the single `GET` carries the full ones.

use serde::Deserialize;
use url::Url;

use super::de::{lenient_url, null_default};
use super::ids::{FolderId, GraphId, LibraryAgentId, OrganizationId, TeamId};
use super::page::PageRequest;
use crate::ids::{Provider, Timestamp};
use crate::live::schema::{InputField, JsonSchema, input_fields};

/// A webhook-triggered agent's setup (kept for display; triggers are not driven here).
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct TriggerSetupInfo {
    /// The provider whose webhook triggers it.
    pub provider: Provider,
    /// Its configuration schema.
    #[serde(default)]
    pub config_schema: JsonSchema,
    /// The credentials input the trigger uses.
    #[serde(default)]
    pub credentials_input_name: Option<String>,
}

/// One agent in the user's library.
#[derive(Clone, Debug, PartialEq, Deserialize)]
pub struct LibraryAgent {
    /// The id to run it with (not the graph id).
    pub id: LibraryAgentId,
    /// Its graph.
    pub graph_id: GraphId,
    /// The graph version it runs.
    #[serde(default, deserialize_with = "null_default")]
    pub graph_version: i64,
    /// Name (not unique).
    #[serde(default, deserialize_with = "null_default")]
    pub name: String,
    /// Description.
    #[serde(default, deserialize_with = "null_default")]
    pub description: String,
    /// Marked as favourite.
    #[serde(default, deserialize_with = "null_default")]
    pub is_favorite: bool,
    /// The user may read its graph.
    #[serde(default, deserialize_with = "null_default")]
    pub can_access_graph: bool,
    /// Runs the latest graph version.
    #[serde(default, deserialize_with = "null_default")]
    pub is_latest_version: bool,
    /// Picture (an invalid URL is read as none).
    #[serde(default, deserialize_with = "lenient_url")]
    pub image_url: Option<Url>,
    /// Who made it.
    #[serde(default, deserialize_with = "null_default")]
    pub creator_name: String,
    /// Inputs as JSON Schema, in wire order (empty in list responses).
    #[serde(default)]
    pub input_schema: JsonSchema,
    /// Outputs as JSON Schema: its properties are the keys of a run's `outputs`.
    #[serde(default)]
    pub output_schema: JsonSchema,
    /// Trigger setup of webhook-triggered agents.
    #[serde(default)]
    pub trigger_setup_info: Option<TriggerSetupInfo>,
    /// Suggested schedule (cron).
    #[serde(default)]
    pub recommended_schedule_cron: Option<String>,
    /// Library folder.
    #[serde(default)]
    pub folder_id: Option<FolderId>,
    /// Library folder name.
    #[serde(default)]
    pub folder_name: Option<String>,
    /// Organization.
    #[serde(default)]
    pub organization_id: Option<OrganizationId>,
    /// Team.
    #[serde(default)]
    pub team_id: Option<TeamId>,
    /// Created.
    #[serde(default)]
    pub created_at: Option<Timestamp>,
    /// Updated.
    #[serde(default)]
    pub updated_at: Option<Timestamp>,
}

impl LibraryAgent {
    /// The form fields of its inputs (empty for list entries: fetch the agent first).
    pub fn input_fields(&self) -> Vec<InputField> {
        input_fields(&self.input_schema)
    }

    /// Output names, in schema order.
    pub fn output_names(&self) -> &[String] {
        self.output_schema.property_order()
    }
}

/// `GET /library/agents` filters (oldest first; no name filter).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LibraryAgentsQuery {
    /// Only published (or unpublished) agents.
    pub published: Option<bool>,
    /// Only favourites (or non-favourites).
    pub favorite: Option<bool>,
    /// Which page.
    pub page: PageRequest,
}
