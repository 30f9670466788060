//! The live profile's seed (PRODUCT.md §9): the OAuth app the app uses in development and a
//! second, narrow app so that "belongs to another application" and "not allowed" paths are
//! reachable. Users and credentials come from [`crate::seed`].

use crate::live::model::{LiveDb, OAuthApp};
use crate::live::scopes;

pub const CLIENT_ID: &str = "agpt_client_dev";
pub const CLIENT_SECRET: &str = "agpt_secret_dev";
pub const CLIENT_NAME: &str = "AutoGPT Connect (dev)";
/// A second registered app allowed only `IDENTITY` and `READ_LIBRARY`.
pub const TEST_CLIENT_ID: &str = "agpt_client_test";
pub const TEST_CLIENT_SECRET: &str = "agpt_secret_test";
pub const TEST_CLIENT_NAME: &str = "Sandbox Test App";
pub const CALLBACK_PATH: &str = "/api/autogpt/callback";
pub const INTEGRATIONS_CALLBACK_PATH: &str = "/api/autogpt/integrations/callback";
/// The app's development origins.
pub const APP_ORIGINS: &[&str] = &["http://127.0.0.1:3000", "http://localhost:3000"];

/// Both callbacks for every app origin, then the extra exact URIs.
pub fn redirect_uris(extra_origins: &[String], extra_redirect_uris: &[String]) -> Vec<String> {
    let mut origins: Vec<String> = APP_ORIGINS.iter().map(|o| (*o).to_owned()).collect();
    for o in extra_origins {
        let o = o.trim().trim_end_matches('/');
        if !o.is_empty() && !origins.iter().any(|x| x == o) {
            origins.push(o.to_owned());
        }
    }
    let mut uris = Vec::new();
    for o in &origins {
        for path in [CALLBACK_PATH, INTEGRATIONS_CALLBACK_PATH] {
            uris.push(format!("{o}{path}"));
        }
    }
    for u in extra_redirect_uris {
        let u = u.trim();
        if !u.is_empty() && !uris.iter().any(|x| x == u) {
            uris.push(u.to_owned());
        }
    }
    uris
}

pub fn seeded(extra_origins: &[String], extra_redirect_uris: &[String]) -> LiveDb {
    let uris = redirect_uris(extra_origins, extra_redirect_uris);
    LiveDb {
        apps: vec![
            OAuthApp {
                client_id: CLIENT_ID.into(),
                client_secret: CLIENT_SECRET.into(),
                name: CLIENT_NAME.into(),
                description: Some("Connects your AutoGPT account to AutoGPT Connect for Leptos".into()),
                logo_url: None,
                redirect_uris: uris.clone(),
                scopes: scopes::all(),
                active: true,
            },
            OAuthApp {
                client_id: TEST_CLIENT_ID.into(),
                client_secret: TEST_CLIENT_SECRET.into(),
                name: TEST_CLIENT_NAME.into(),
                description: None,
                logo_url: None,
                redirect_uris: uris,
                scopes: vec!["IDENTITY".into(), "READ_LIBRARY".into()],
                active: true,
            },
        ],
        ..LiveDb::default()
    }
}
