//! Run-time switches of the live profile: limits, the 402 switch, the consent mode and one
//! switch per open question of `platform-live-contract.md` §6 whose other behaviour a careful
//! client must survive. Defaults are the likelier behaviour; the admin API flips them.

use serde::{Deserialize, Serialize};

/// What `/auth/authorize` and the setup wizard do once every check passed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum ConsentMode {
    /// Show the consent card / the wizard (the platform's behaviour).
    #[default]
    Interactive,
    /// Approve at once (wizard: pick or create a credential per provider, then continue).
    AutoApprove,
    /// Deny at once (wizard: cancel).
    AutoDeny,
}

/// Every live switch; partial updates through `POST /__admin/live/settings`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// Requests per user per window (documented 200 per 60 s).
    pub rate_limit: u32,
    /// Run starts per user per window (documented 60 per 60 s).
    pub run_rate_limit: u32,
    /// Window length in seconds; windows are aligned to multiples of it since the Unix epoch.
    pub rate_window_secs: u64,
    /// Every run start answers `402 payment_required` (Cloud with balance ≤ 0).
    pub payment_required: bool,
    pub consent_mode: ConsentMode,
    /// Milliseconds between claiming an `Idempotency-Key` and recording its run, so that a test
    /// can send the second request while the first is in flight (409).
    pub run_start_delay_ms: u64,
    /// The idempotency store is unreachable: keyed run starts answer 503, nothing starts.
    pub idempotency_unavailable: bool,
    /// Q1: app info as variant B (`redirect_uris` in the body, `?redirect_uri=` not checked, the
    /// pages compare themselves and word the refusal as B does). Default variant A.
    pub app_info_variant_b: bool,
    /// Q3: `GET /integrations/credentials` answers the older `{"credentials":[…]}`.
    pub legacy_credentials_list: bool,
    /// Q7: timestamps without fractional seconds (`2026-10-08T14:03:12Z`); default
    /// `2026-10-08T14:03:12.418000Z`.
    pub timestamps_without_fraction: bool,
    /// Q9: a reviews request may leave waiting reviews unanswered (the run stays in `REVIEW`);
    /// default: every waiting review must be answered, else 400.
    pub reviews_allow_partial: bool,
    /// Q14: a started run is `INCOMPLETE` in the 202 body (then `QUEUED`, `RUNNING`); default `QUEUED`.
    pub run_start_incomplete: bool,
    /// Q8: introspecting a token of a disabled app answers `{"active":false}`; default the
    /// unhandled error (500) the contract expects.
    pub introspect_disabled_app_inactive: bool,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            rate_limit: 200,
            run_rate_limit: 60,
            rate_window_secs: 60,
            payment_required: false,
            consent_mode: ConsentMode::Interactive,
            run_start_delay_ms: 0,
            idempotency_unavailable: false,
            app_info_variant_b: false,
            legacy_credentials_list: false,
            timestamps_without_fraction: false,
            reviews_allow_partial: false,
            run_start_incomplete: false,
            introspect_disabled_app_inactive: false,
        }
    }
}

/// Apply a JSON object of changed fields to `current`; unknown fields or wrong types are refused.
pub fn patched(current: &LiveSettings, patch: &serde_json::Value) -> Result<LiveSettings, String> {
    let Some(changes) = patch.as_object() else {
        return Err("expected a JSON object".into());
    };
    let mut value = serde_json::to_value(current).map_err(|e| e.to_string())?;
    if let Some(obj) = value.as_object_mut() {
        for (k, v) in changes {
            obj.insert(k.clone(), v.clone());
        }
    }
    let next: LiveSettings = serde_json::from_value(value).map_err(|e| e.to_string())?;
    if next.rate_window_secs == 0 {
        return Err("rate_window_secs must be at least 1".into());
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn patch_changes_only_named_fields_and_refuses_typos() {
        let s = patched(&LiveSettings::default(), &json!({"rate_limit": 3})).unwrap();
        assert_eq!((s.rate_limit, s.run_rate_limit), (3, 60));
        assert!(patched(&s, &json!({"rate_limmit": 3})).is_err());
        assert!(patched(&s, &json!({"rate_limit": "x"})).is_err());
        assert!(patched(&s, &json!({"rate_window_secs": 0})).is_err());
        let s = patched(&s, &json!({"consent_mode": "auto_deny"})).unwrap();
        assert_eq!(s.consent_mode, ConsentMode::AutoDeny);
    }
}
