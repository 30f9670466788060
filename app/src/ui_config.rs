//! What the UI offers: provider cards and agents. Plain data, read from
//! `Leptos.toml` by the server and handed to pages through context.

use serde::{Deserialize, Serialize};

/// Provider cards and agents shown by the pages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct UiConfig {
    /// Connectable providers (Google, GitHub, Notion by default).
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// Agents offered on `/agents`.
    #[serde(default)]
    pub agents: Vec<AgentConfig>,
}

/// One provider card on `/connect`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct ProviderConfig {
    /// Provider id as the platform names it (`google`).
    pub id: String,
    /// Display name (`Google`).
    pub name: String,
    /// One line under the name.
    #[serde(default)]
    pub description: String,
    /// Integration scopes requested by the card's Connect button.
    pub scopes: Vec<String>,
}

/// One agent on `/agents`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
pub struct AgentConfig {
    /// Agent id on the platform.
    pub id: String,
    /// Display name.
    pub name: String,
    /// One line under the name.
    #[serde(default)]
    pub description: String,
    /// Names of the agent's text inputs.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Providers whose grants the agent needs.
    #[serde(default)]
    pub requires: Vec<String>,
}
