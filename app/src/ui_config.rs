//! What the UI offers: provider cards and agents. Plain data, read from
//! `Leptos.toml` by the server and handed to pages through context.

use serde::{Deserialize, Serialize};

/// Provider cards and agents shown by the pages.
#[derive(Clone, Debug, Default, Deserialize, Serialize, PartialEq)]
pub struct UiConfig {
    /// Connectable providers (Google, GitHub, Notion by default).
    #[serde(default)]
    pub providers: Vec<ProviderConfig>,
    /// Agents offered on `/agents` (guide profile; the live profile lists the user's library).
    #[serde(default)]
    pub agents: Vec<AgentConfig>,
    /// True when the app speaks the platform's live contract (`AUTOGPT_PROFILE=live`).
    #[serde(skip)]
    pub live: bool,
}

/// One provider card on `/connect`.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case")]
pub struct ProviderConfig {
    /// Provider id as the platform names it (`google`).
    pub id: String,
    /// Display name (`Google`).
    pub name: String,
    /// One line under the name.
    #[serde(default)]
    pub description: String,
    /// Integration scopes requested by the card's Connect button (guide profile).
    pub scopes: Vec<String>,
    /// The provider's own scopes the live platform's setup wizard asks for (live profile).
    #[serde(default)]
    pub live_scopes: Vec<String>,
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
