//! The Integration Setup Wizard (contract §3): the URL that sends a signed-in user to connect
//! third-party providers to their AutoGPT account, and the callback it redirects back with.
//!
//! `providers` is the **standard** Base64 (`+`, `/`, `=`) of a compact ASCII JSON array
//! `[{"provider":"github","scopes":[…]}]`. The page reads it through `URLSearchParams` and
//! `atob`, so it must be percent-encoded in the query: a literal `+` would turn into a space,
//! which `atob` drops, silently corrupting the payload. The JSON must be ASCII because `atob`
//! yields one character per byte; [`WizardProvider::new`] refuses anything else.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::Serialize;
use url::Url;

use crate::ids::{ClientId, Provider};
use crate::origin::{PlatformUrl, RedirectUri};
use crate::random::State;
use crate::scope::ProviderScope;

/// One provider the wizard should ask for, with the scopes a credential must have.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct WizardProvider {
    provider: Provider,
    #[serde(skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<ProviderScope>>,
}

/// A provider name the wizard cannot carry.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("provider names are non-empty lower-case ASCII identifiers (`github`, `google`)")]
pub struct InvalidWizardProvider;

impl WizardProvider {
    /// A provider (an AutoGPT provider name: ASCII letters, digits, `_`, `-`) and its required
    /// scopes; `None` accepts the provider's defaults (the field is then omitted).
    pub fn new(provider: Provider, scopes: Option<Vec<ProviderScope>>) -> Result<Self, InvalidWizardProvider> {
        let name = provider.as_str();
        let ok = !name.is_empty()
            && name.len() <= 64
            && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'_' | b'-'));
        if ok { Ok(Self { provider, scopes }) } else { Err(InvalidWizardProvider) }
    }

    /// The provider.
    pub fn provider(&self) -> &Provider {
        &self.provider
    }

    /// The required scopes, if any.
    pub fn scopes(&self) -> Option<&[ProviderScope]> {
        self.scopes.as_deref()
    }
}

/// The `providers` parameter value (before percent-encoding): standard Base64 of the compact
/// JSON array. Provider names and [`ProviderScope`]s are ASCII by construction.
pub fn providers_param(providers: &[WizardProvider]) -> String {
    // A Vec of structs of strings always serialises.
    STANDARD.encode(serde_json::to_vec(providers).unwrap_or_default())
}

/// Builds `{platform}/auth/integrations/setup-wizard?client_id&providers&redirect_uri&state`,
/// every value percent-encoded (`+` → `%2B`, `/` → `%2F`, `=` → `%3D`).
pub fn setup_wizard_url(
    platform: &PlatformUrl,
    client_id: &ClientId,
    providers: &[WizardProvider],
    redirect_uri: &RedirectUri,
    state: &State,
) -> Url {
    let mut url = platform.join("/auth/integrations/setup-wizard");
    url.query_pairs_mut()
        .append_pair("client_id", client_id.as_str())
        .append_pair("providers", &providers_param(providers))
        .append_pair("redirect_uri", redirect_uri.as_str())
        .append_pair("state", state.as_str());
    url
}

/// What the wizard's redirect back carried.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WizardCallback {
    /// `success=true`: every listed provider has a chosen credential. The callback does not say
    /// which; list them with `GET /integrations/credentials` (contract §3.4).
    Success {
        /// The echoed state (omitted by the platform when none was sent).
        state: Option<State>,
    },
    /// `error=user_cancelled`: the user pressed Cancel.
    Cancelled {
        /// `error_description` (`User cancelled the integration setup`), to show as text.
        description: Option<String>,
        /// The echoed state.
        state: Option<State>,
    },
    /// Anything else: another `error`, `success` with another value, or neither. Reconcile
    /// by listing credentials; never treat it as success.
    Unrecognised {
        /// `error`, if present.
        error: Option<String>,
        /// `error_description`, if present.
        description: Option<String>,
        /// The echoed state.
        state: Option<State>,
    },
}

impl WizardCallback {
    /// The `state` parameter, whatever the outcome (check and consume it in every case).
    pub fn state(&self) -> Option<&State> {
        match self {
            Self::Success { state } | Self::Cancelled { state, .. } | Self::Unrecognised { state, .. } => {
                state.as_ref()
            }
        }
    }
}

/// Reads the wizard's callback query (without `?`; `+` and `%20` are spaces). An `error`
/// wins over `success`.
pub fn parse_wizard_callback(query: &str) -> WizardCallback {
    let (mut success, mut error, mut description, mut state) = (None, None, None, None);
    for (k, v) in url::form_urlencoded::parse(query.as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "success" => success = Some(v),
            "error" => error = Some(v),
            "error_description" => description = Some(v),
            "state" => state = Some(State::new(v)),
            _ => {}
        }
    }
    match (error.as_deref(), success.as_deref()) {
        (Some("user_cancelled"), _) => WizardCallback::Cancelled { description, state },
        (None, Some("true")) => WizardCallback::Success { state },
        _ => WizardCallback::Unrecognised { error, description, state },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn github() -> WizardProvider {
        let scopes = vec![ProviderScope::new("repo").unwrap(), ProviderScope::new("read:user").unwrap()];
        WizardProvider::new(Provider::new("github"), Some(scopes)).unwrap()
    }

    /// Decodes a query as `URLSearchParams` does (`+` is a space), then as the page does.
    fn page_decode(url: &Url) -> serde_json::Value {
        let providers = url::form_urlencoded::parse(url.query().unwrap().as_bytes())
            .find(|(k, _)| k == "providers")
            .unwrap()
            .1
            .into_owned();
        serde_json::from_slice(&STANDARD.decode(providers).unwrap()).unwrap()
    }

    #[test]
    fn providers_param_is_standard_base64_of_compact_json() {
        let google = WizardProvider::new(Provider::new("google"), None).unwrap();
        let p = providers_param(&[github(), google]);
        let json = String::from_utf8(STANDARD.decode(&p).unwrap()).unwrap();
        assert_eq!(json, r#"[{"provider":"github","scopes":["repo","read:user"]},{"provider":"google"}]"#);
        assert_eq!(p, STANDARD.encode(json));
    }

    /// The built URL survives a URLSearchParams-style decoder, including `+`, `/` and `=`.
    #[test]
    fn url_round_trips_through_search_params() {
        // These scopes make the Base64 text hold `+`, `/` and `=` padding.
        let odd = WizardProvider::new(
            Provider::new("x"),
            Some(vec![ProviderScope::new("?>?").unwrap(), ProviderScope::new(">?").unwrap()]),
        )
        .unwrap();
        let providers = [github(), odd];
        let raw = providers_param(&providers);
        assert!(raw.contains('+') && raw.contains('/') && raw.ends_with('='), "{raw}");
        let url = setup_wizard_url(
            &PlatformUrl::parse("https://platform.agpt.co").unwrap(),
            &ClientId::new("agpt_client_dev"),
            &providers,
            &RedirectUri::new("http://127.0.0.1:3000/api/autogpt/integrations/callback").unwrap(),
            &State::new("st"),
        );
        let query = url.query().unwrap();
        let sent = query.split('&').find(|p| p.starts_with("providers=")).unwrap();
        assert!(!sent.contains('+') && !sent.contains('/') && !sent.contains("=="), "{sent}");
        assert!(sent.contains("%2B") && sent.contains("%2F") && sent.ends_with("%3D"), "{sent}");
        assert_eq!(url.path(), "/auth/integrations/setup-wizard");
        let decoded = page_decode(&url);
        assert_eq!(decoded, serde_json::to_value(providers).unwrap());
        let keys: Vec<String> = url.query_pairs().map(|(k, _)| k.into_owned()).collect();
        assert_eq!(keys, ["client_id", "providers", "redirect_uri", "state"]);
    }

    #[test]
    fn provider_names_are_checked() {
        for bad in ["", "GitHub", "git hub", "gïthub", "a/b"] {
            assert!(WizardProvider::new(Provider::new(bad), None).is_err(), "{bad:?}");
        }
        assert!(WizardProvider::new(Provider::new("google_maps-2"), None).is_ok());
    }

    #[test]
    fn callbacks() {
        assert_eq!(parse_wizard_callback("success=true&state=s1").state().unwrap().as_str(), "s1");
        assert_eq!(parse_wizard_callback("success=true"), WizardCallback::Success { state: None });
        assert_eq!(
            parse_wizard_callback(
                "error=user_cancelled&error_description=User+cancelled+the+integration+setup&state=s%2B2"
            ),
            WizardCallback::Cancelled {
                description: Some("User cancelled the integration setup".into()),
                state: Some(State::new("s+2")),
            }
        );
        for q in ["success=false&state=s", "", "error=access_denied", "success=TRUE", "success=true&error=boom"] {
            assert!(matches!(parse_wizard_callback(q), WizardCallback::Unrecognised { .. }), "{q}");
        }
    }
}
