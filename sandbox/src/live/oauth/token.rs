//! `POST /api/oauth/token`: both grants in one JSON model (a form body is a 422), client checks
//! first (401), then the grant checks in the contract's order, each a 400
//! `{"detail":"Invalid grant: <reason>"}`. A refresh revokes the presented refresh token.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::error::Error;
use crate::live::model::{Token, TokenKind};
use crate::live::oauth::{client, pkce};
use crate::live::time;
use crate::live::validation::Fields;
use crate::state::{AppState, Db, now_ms, random_token};

const PATH: &str = "/api/oauth/token";

enum Grant {
    Code { code: String, redirect_uri: String, verifier: String },
    Refresh { refresh_token: String },
}

fn invalid_grant(reason: impl std::fmt::Display) -> Error {
    Error::detail(StatusCode::BAD_REQUEST, format!("Invalid grant: {reason}"))
}

pub async fn token(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Result<Json<Value>, Error> {
    let mut f = Fields::parse(&headers, &body);
    let grant_type = f.literal("grant_type", &["authorization_code", "refresh_token"], None);
    let client_id = f.string("client_id");
    let client_secret = f.string("client_secret");
    let grant = match grant_type.as_str() {
        "authorization_code" => Some(Grant::Code {
            code: f.string("code"),
            redirect_uri: f.string("redirect_uri"),
            verifier: f.string("code_verifier"),
        }),
        "refresh_token" => Some(Grant::Refresh { refresh_token: f.string("refresh_token") }),
        _ => None,
    };
    f.finish_internal("POST", PATH)?;
    let app = client::authenticate(&state, &client_id, &client_secret)?;
    let Some(grant) = grant else {
        // Unreachable: the model only admits the two grant types.
        return Err(Error::detail(StatusCode::BAD_REQUEST, "Unsupported grant_type"));
    };
    let (access_ttl, refresh_ttl) = {
        let s = state.settings();
        (s.access_token_ttl_secs, s.refresh_token_ttl_secs)
    };
    let no_fraction = state.live_settings().timestamps_without_fraction;
    let mut db = state.db();
    let now = now_ms();
    let (user_id, scopes) = match grant {
        Grant::Code { code, redirect_uri, verifier } => {
            let Some(c) = db.live.codes.iter_mut().find(|c| c.code == code) else {
                return Err(invalid_grant("authorization code not found"));
            };
            if c.client_id != app.client_id {
                return Err(invalid_grant("authorization code does not belong to this application"));
            }
            if let Some(at) = c.used_at_ms {
                return Err(invalid_grant(format!("authorization code already used at {}", time::python_str(at))));
            }
            if c.expires_at_ms <= now {
                return Err(invalid_grant("authorization code expired"));
            }
            if c.redirect_uri != redirect_uri {
                return Err(invalid_grant("redirect_uri mismatch"));
            }
            // A code without a challenge is not checked (the platform's edge case).
            if !c.code_challenge.is_empty() {
                if verifier.is_empty() {
                    return Err(invalid_grant("code_verifier required but not provided"));
                }
                if !pkce::matches(&c.code_challenge_method, &verifier, &c.code_challenge) {
                    return Err(invalid_grant("PKCE verification failed"));
                }
            }
            // Marked used only now: a failed attempt does not burn the code.
            c.used_at_ms = Some(now);
            (c.user_id.clone(), c.scopes.clone())
        }
        Grant::Refresh { refresh_token } => {
            let Some(t) = db.live.tokens.iter_mut().find(|t| t.kind == TokenKind::Refresh && t.token == refresh_token)
            else {
                return Err(invalid_grant("refresh token not found"));
            };
            if t.revoked {
                return Err(invalid_grant("refresh token has been revoked"));
            }
            if t.client_id != app.client_id {
                return Err(invalid_grant("refresh token does not belong to this application"));
            }
            if t.expires_at_ms <= now {
                return Err(invalid_grant("refresh token expired"));
            }
            // Rotation: the presented refresh token is revoked; its access token lives on.
            t.revoked = true;
            (t.user_id.clone(), t.scopes.clone())
        }
    };
    let ttl = |secs: u64| now.saturating_add((secs as i64).saturating_mul(1000));
    let access = issue(&mut db, TokenKind::Access, &app.client_id, &user_id, &scopes, ttl(access_ttl));
    let refresh = issue(&mut db, TokenKind::Refresh, &app.client_id, &user_id, &scopes, ttl(refresh_ttl));
    Ok(Json(json!({
        "token_type": "Bearer",
        "access_token": access.token,
        "access_token_expires_at": time::iso(access.expires_at_ms, no_fraction),
        "refresh_token": refresh.token,
        "refresh_token_expires_at": time::iso(refresh.expires_at_ms, no_fraction),
        "scopes": scopes,
    })))
}

fn issue(db: &mut Db, kind: TokenKind, client_id: &str, user_id: &str, scopes: &[String], expires_at_ms: i64) -> Token {
    let prefix = match kind {
        TokenKind::Access => "agpt_xt_",
        TokenKind::Refresh => "agpt_rt_",
    };
    let token = Token {
        token: random_token(prefix),
        kind,
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        scopes: scopes.to_vec(),
        expires_at_ms,
        revoked: false,
    };
    db.live.tokens.push(token.clone());
    token
}
