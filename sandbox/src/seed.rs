//! The fixed seed data of PRODUCT.md §6 (client, users, credentials) and the demo agents; the
//! live profile's own seed (OAuth apps) is in `live::seed`, sharing these users and credentials.

use crate::state::model::{Client, Credential, User};
use crate::state::{Db, now_iso};

pub const CLIENT_ID: &str = "dev-client";
pub const CLIENT_SECRET: &str = "dev-client-secret";
pub const WEBHOOK_SECRET: &str = "whsec_dev";
pub const CALLBACK_PATH: &str = "/api/autogpt/callback";

/// Provider scopes of alice's seeded Google credential (enough for the live `gmail` agent).
pub const ALICE_GOOGLE_SCOPES: &[&str] =
    &["email", "profile", "openid", "https://www.googleapis.com/auth/gmail.readonly"];
/// Provider scopes of alice's seeded GitHub credential.
pub const ALICE_GITHUB_SCOPES: &[&str] = &["repo", "read:user"];

/// Demo agents: (id, name, description).
pub const AGENTS: &[(&str, &str, &str)] = &[
    ("echo-agent", "Echo agent", "Completes with outputs derived from its inputs"),
    ("failing-agent", "Failing agent", "Fails with a message"),
    ("slow-agent", "Slow agent", "Runs about 20 s; cancellable"),
    ("gmail-agent", "Gmail invoice agent", "Needs a Google grant; returns demo invoices"),
];

/// A fresh database holding only the seed.
pub fn seeded(extra_origins: &[String], extra_redirect_uris: &[String]) -> Db {
    let now = now_iso();
    let mut redirect_uris =
        vec![format!("http://127.0.0.1:3000{CALLBACK_PATH}"), format!("http://localhost:3000{CALLBACK_PATH}")];
    let mut origins = vec!["http://127.0.0.1:3000".to_owned(), "http://localhost:3000".to_owned()];
    for origin in extra_origins {
        let origin = origin.trim().trim_end_matches('/').to_owned();
        if origin.is_empty() {
            continue;
        }
        let uri = format!("{origin}{CALLBACK_PATH}");
        if !redirect_uris.contains(&uri) {
            redirect_uris.push(uri);
        }
        if !origins.contains(&origin) {
            origins.push(origin);
        }
    }
    for uri in extra_redirect_uris {
        let uri = uri.trim().to_owned();
        if !uri.is_empty() && !redirect_uris.contains(&uri) {
            redirect_uris.push(uri);
        }
    }
    let mut db = Db::default();
    db.clients.push(Client {
        id: CLIENT_ID.into(),
        secret: CLIENT_SECRET.into(),
        name: "AutoGPT Connect for Leptos (dev)".into(),
        redirect_uris,
        origins,
        webhook_hosts: vec!["127.0.0.1".into(), "localhost".into()],
        webhook_secret: Some(WEBHOOK_SECRET.into()),
        active: true,
    });
    for (id, email, name, password, key, timezone) in [
        ("user-alice", "alice@example.com", "Alice Example", "alice-password", "agpt_alice_dev_key", "Europe/Berlin"),
        // Bob never set a time zone: the live `GET /me` shows the platform's literal `not-set`.
        ("user-bob", "bob@example.com", "Bob Example", "bob-password", "agpt_bob_dev_key", "not-set"),
    ] {
        db.users.push(User {
            id: id.into(),
            email: email.into(),
            name: name.into(),
            password: password.into(),
            api_key: key.into(),
            updated_at: now.clone(),
            timezone: timezone.into(),
        });
    }
    for (provider, label, username, scopes) in [
        ("google", "alice@gmail.example", "alice@gmail.example", ALICE_GOOGLE_SCOPES),
        ("github", "alice-gh", "alice-gh", ALICE_GITHUB_SCOPES),
        ("notion", "Alice's workspace", "Alice Example", &[][..]),
    ] {
        db.credentials.push(Credential {
            id: format!("cred-alice-{provider}"),
            user_id: "user-alice".into(),
            provider: provider.into(),
            label: label.into(),
            created_at: now.clone(),
            username: Some(username.into()),
            scopes: scopes.iter().map(|s| (*s).to_owned()).collect(),
        });
    }
    db.live = crate::live::seed::seeded(extra_origins, extra_redirect_uris);
    db
}

/// The start-up summary (demo values: printing them is intended).
pub fn summary(db: &Db, base_url: &str) -> String {
    let mut out = format!("AutoGPT sandbox at {base_url}\n");
    for c in &db.clients {
        out.push_str(&format!(
            "  client {} / {} webhook secret {:?}\n    redirect URIs {:?}\n    origins {:?}\n",
            c.id, c.secret, c.webhook_secret, c.redirect_uris, c.origins
        ));
    }
    for u in &db.users {
        let creds: Vec<&str> = db.credentials.iter().filter(|c| c.user_id == u.id).map(|c| c.id.as_str()).collect();
        out.push_str(&format!("  user {} / {} api key {} credentials {:?}\n", u.email, u.password, u.api_key, creds));
    }
    let agents: Vec<&str> = AGENTS.iter().map(|a| a.0).collect();
    out.push_str(&format!("  agents {agents:?}"));
    out
}
