//! HTML of the Connect popup: consent page, simulated provider page, and the result page that
//! posts the message to `redirect_origin` and closes itself.

use axum::response::Response;
use serde_json::Value;

use crate::html::{self, escape, script_json};
use crate::state::AppState;
use crate::state::model::{ConnectRequest, Credential};

fn provider_name(p: &str) -> String {
    match p {
        "google" => "Google".into(),
        "github" => "GitHub".into(),
        "notion" => "Notion".into(),
        "twitter" => "Twitter".into(),
        "slack" => "Slack".into(),
        other => other.to_owned(),
    }
}

pub fn consent_page(
    state: &AppState,
    client_name: &str,
    email: &str,
    req: &ConnectRequest,
    credentials: &[Credential],
) -> Response {
    let provider = provider_name(&req.provider);
    let scopes: String = req.scopes.iter().map(|s| format!("<li><code>{}</code></li>", escape(s))).collect();
    let accounts = if credentials.is_empty() {
        format!("<p id=\"no-credentials\">You have no {} account connected yet.</p>", escape(&provider))
    } else {
        let radios: String = credentials
            .iter()
            .enumerate()
            .map(|(i, c)| {
                format!(
                    "<label><input type=\"radio\" name=\"credential_id\" id=\"credential-{id}\" value=\"{id}\"{checked}> {label}</label>",
                    id = escape(&c.id),
                    label = escape(&c.label),
                    checked = if i == 0 { " checked" } else { "" },
                )
            })
            .collect();
        format!("<fieldset id=\"credentials\"><legend>Choose an account</legend>{radios}</fieldset>")
    };
    let approve = if credentials.is_empty() {
        String::new()
    } else {
        "<button id=\"connect-approve\" type=\"submit\" name=\"action\" value=\"approve\">Approve</button>".to_owned()
    };
    let body = format!(
        "<h1>Connect {provider}</h1>\
<p id=\"connect-user\">Signed in as {email}</p>\
<p><strong id=\"connect-client\">{client}</strong> asks to use your {provider} account with:</p>\
<ul id=\"connect-scopes\">{scopes}</ul>\
<form id=\"connect-form\" method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"connect_token\" value=\"{token}\">{accounts}\
{approve}\
<button id=\"connect-new-account\" type=\"submit\" name=\"action\" value=\"new\">Connect new account</button>\
<button id=\"connect-deny\" type=\"submit\" name=\"action\" value=\"deny\">Deny</button>\
</form>",
        provider = escape(&provider),
        email = escape(email),
        client = escape(client_name),
        action = escape(&format!("{}/connect/{}/decision", state.public_url, req.provider)),
        token = escape(&req.token),
    );
    html::response("Connect", &body)
}

pub fn provider_page(state: &AppState, req: &ConnectRequest, email: &str) -> Response {
    let provider = provider_name(&req.provider);
    let local = email.split('@').next().unwrap_or("user");
    let suggested = format!("{local}-new@{}.example", req.provider);
    let body = format!(
        "<h1>{provider} (simulated)</h1>\
<p>Sign in to {provider} and allow AutoGPT to access your account.</p>\
<form id=\"provider-form\" method=\"post\" action=\"{action}\">\
<input type=\"hidden\" name=\"connect_token\" value=\"{token}\">\
<label for=\"provider-account\">{provider} account</label>\
<input id=\"provider-account\" name=\"account\" type=\"text\" value=\"{suggested}\">\
<button id=\"provider-allow\" type=\"submit\" name=\"action\" value=\"allow\">Allow</button>\
<button id=\"provider-cancel\" type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button>\
</form>",
        provider = escape(&provider),
        action = escape(&format!("{}/connect/{}/provider-consent", state.public_url, req.provider)),
        token = escape(&req.token),
        suggested = escape(&suggested),
    );
    html::response("Connect new account", &body)
}

/// The result page: `window.opener.postMessage(msg, redirect_origin)`, text for humans, and
/// `window.close()` after 1.5 s. The JSON is script-safe (no `<`, `>`, `&`, U+2028/9).
pub fn result_page(redirect_origin: &str, msg: &Value) -> Response {
    let success = msg.get("success").and_then(Value::as_bool).unwrap_or(false);
    let text = if success {
        format!(
            "Connected your {} account. This window will close.",
            provider_name(msg.get("provider").and_then(Value::as_str).unwrap_or(""))
        )
    } else {
        format!(
            "Connection failed: {}",
            msg.get("error_description").and_then(Value::as_str).unwrap_or("unknown error")
        )
    };
    let body = format!(
        "<h1>{title}</h1><p id=\"connect-result\" data-success=\"{success}\">{text}</p>\
<script>(function(){{var msg={msg};var target={target};\
try{{if(window.opener){{window.opener.postMessage(msg,target);}}}}catch(e){{}}\
setTimeout(function(){{window.close();}},1500);}})();</script>",
        title = if success { "Connected" } else { "Not connected" },
        text = escape(&text),
        msg = script_json(msg),
        target = script_json(&Value::String(redirect_origin.to_owned())),
    );
    html::response("Connect result", &body)
}
