//! Webhook deliveries: payloads, signatures (raw body, or the platform's canonical JSON in the
//! quirk), retries at 0/5/30/300 s × time factor, and the delivery log.

use std::time::Duration;

use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::Sha256;

use crate::canonical_json::{Dumps, dumps};
use crate::state::model::{Attempt, Delivery, Execution, Grant};
use crate::state::{AppState, now_iso, random_uuid};

/// Delays before attempts 1..4 (nominal seconds, scaled by the clock factor).
pub const RETRY_SCHEDULE: [u64; 4] = [0, 5, 30, 300];

/// `sha256=<hex HMAC-SHA256(secret, bytes)>`
pub fn sign(secret: &str, bytes: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => return String::new(),
    };
    mac.update(bytes);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Queue an event for `url` and start delivering it.
pub fn emit(state: &AppState, client_id: &str, user_id: &str, url: &str, event: &str, data: Value) -> String {
    let payload = json!({"event": event, "timestamp": now_iso(), "data": data});
    let quirks = state.quirks();
    let secret = state.db().client(client_id).and_then(|c| c.webhook_secret.clone());
    let (body, signature) = if quirks.canonical_json_signatures {
        let body = dumps(&payload, Dumps::HTTPX_LEGACY);
        let signed = dumps(&payload, Dumps::CANONICAL);
        (body, secret.map(|s| sign(&s, signed.as_bytes())))
    } else {
        let body = payload.to_string();
        let sig = secret.map(|s| sign(&s, body.as_bytes()));
        (body, sig)
    };
    let signature = if quirks.unsigned_webhooks { None } else { signature };
    let id = random_uuid();
    state.db().deliveries.push(Delivery {
        id: id.clone(),
        event: event.to_owned(),
        url: url.to_owned(),
        client_id: client_id.to_owned(),
        user_id: user_id.to_owned(),
        body,
        signature,
        state: "pending".into(),
        attempts: Vec::new(),
        created_at: now_iso(),
    });
    tokio::spawn(deliver(state.clone(), id.clone()));
    id
}

/// `execution.*` to the execution's webhook URL, if it has one.
pub fn emit_execution(state: &AppState, exec: &Execution, event: &str) {
    let Some(url) = exec.webhook_url.as_deref() else {
        return;
    };
    let mut data = json!({
        "execution_id": exec.id,
        "agent_id": exec.agent_id,
        "status": exec.status.as_str(),
    });
    if event == "execution.completed" {
        data["outputs"] = exec.outputs.clone().unwrap_or_else(|| json!({}));
    }
    if event == "execution.failed" {
        data["error"] = json!(exec.error.clone().unwrap_or_default());
    }
    emit(state, &exec.client_id, &exec.user_id, url, event, data);
}

/// `grant.revoked` goes to the most recent webhook URL this client used for this user
/// (the platform has no per-client webhook registration; we choose the latest one seen).
pub fn emit_grant_revoked(state: &AppState, grant: &Grant) {
    let url = state.db().latest_webhook_url(&grant.user_id, &grant.client_id);
    let Some(url) = url else {
        tracing::info!(grant = %grant.id, "grant revoked; no webhook URL known for this client");
        return;
    };
    let data = json!({
        "grant_id": grant.id,
        "credential_id": grant.credential_id,
        "provider": grant.provider,
    });
    emit(state, &grant.client_id, &grant.user_id, &url, "grant.revoked", data);
}

/// Send again (a new series of attempts with the same body).
pub fn redeliver(state: &AppState, id: &str) -> bool {
    let found = {
        let mut db = state.db();
        match db.deliveries.iter_mut().find(|d| d.id == id) {
            Some(d) => {
                d.state = "pending".into();
                true
            }
            None => false,
        }
    };
    if found {
        tokio::spawn(deliver(state.clone(), id.to_owned()));
    }
    found
}

async fn deliver(state: AppState, id: String) {
    for delay in RETRY_SCHEDULE {
        if delay > 0 {
            tokio::time::sleep(state.scaled(Duration::from_secs(delay))).await;
        }
        let Some(d) = state.db().deliveries.iter().find(|d| d.id == id).cloned() else {
            return; // reset meanwhile
        };
        let mut req = state
            .http
            .post(&d.url)
            .header("content-type", "application/json")
            .header("user-agent", "AutoGPT-Webhook/1.0")
            .header("x-webhook-timestamp", now_iso())
            .body(d.body.clone());
        if let Some(sig) = &d.signature {
            req = req.header("x-webhook-signature", sig);
        }
        let attempt = match req.send().await {
            Ok(resp) => Attempt { at: now_iso(), status: Some(resp.status().as_u16()), error: None },
            Err(e) => Attempt { at: now_iso(), status: None, error: Some(e.to_string()) },
        };
        let ok = attempt.status.is_some_and(|s| (200..300).contains(&s));
        tracing::info!(delivery = %id, event = %d.event, status = ?attempt.status, "webhook attempt");
        let mut db = state.db();
        let Some(d) = db.deliveries.iter_mut().find(|d| d.id == id) else {
            return;
        };
        d.attempts.push(attempt);
        if ok {
            d.state = "delivered".into();
            return;
        }
    }
    if let Some(d) = state.db().deliveries.iter_mut().find(|d| d.id == id) {
        d.state = "failed".into();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // checklist 65 known-answer vector.
    #[test]
    fn hmac_known_answer() {
        assert_eq!(
            sign("It's a Secret to Everybody", b"Hello, World!"),
            "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
        );
    }
}
