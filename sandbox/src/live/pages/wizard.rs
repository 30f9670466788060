//! `/auth/integrations/setup-wizard?client_id&providers&redirect_uri&state` (variant A): login
//! first, then the required parameters, the app and its redirect URI (an "Invalid Request" card,
//! never a redirect), the decoded providers ("No providers specified" with Cancel), then one card
//! per provider: pick one of the user's credentials of that provider whose scopes cover the
//! requested ones, or "Connect a new <Provider> account" (a simulated new credential). Continue
//! → `?success=true&state=…`; Cancel → `?error=user_cancelled&…`; `state` only when given.

use axum::Form;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;

use crate::error::Error;
use crate::html::{self, escape};
use crate::live::model::OAuthApp;
use crate::live::oauth::authorize::{AppLookupError, lookup_app};
use crate::live::pages::cards::{CardKind, error_card, hidden_fields};
use crate::live::pages::providers::{ProviderRequest, decode, display_name};
use crate::live::pages::{check_origin, see_other, session_user, to_login};
use crate::live::redirect;
use crate::live::settings::ConsentMode;
use crate::routes::oauth::authorize::{param, params};
use crate::state::model::{Credential, User};
use crate::state::{AppState, now_iso, random_uuid};

/// The wizard's parameters (query on GET, hidden fields on POST).
#[derive(Debug, Clone)]
struct Request {
    client_id: String,
    /// As received, after percent-decoding (the value `atob` sees).
    providers: String,
    redirect_uri: String,
    /// `None` when absent or empty (then the callback carries none).
    state: Option<String>,
}

impl Request {
    fn from_pairs(p: &[(String, String)]) -> Self {
        let get = |k: &str| param(p, k).unwrap_or_default().to_owned();
        Request {
            client_id: get("client_id"),
            providers: get("providers"),
            redirect_uri: get("redirect_uri"),
            state: param(p, "state").filter(|s| !s.is_empty()).map(str::to_owned),
        }
    }
    fn missing(&self) -> Vec<&'static str> {
        [("client_id", &self.client_id), ("providers", &self.providers), ("redirect_uri", &self.redirect_uri)]
            .into_iter()
            .filter(|(_, v)| v.is_empty())
            .map(|(k, _)| k)
            .collect()
    }
    fn hidden(&self) -> String {
        let mut fields = vec![
            ("client_id", self.client_id.as_str()),
            ("providers", self.providers.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        if let Some(s) = &self.state {
            fields.push(("state", s));
        }
        hidden_fields(&fields)
    }
    fn page_url(&self) -> String {
        let mut pairs = vec![
            ("client_id", self.client_id.as_str()),
            ("providers", self.providers.as_str()),
            ("redirect_uri", self.redirect_uri.as_str()),
        ];
        if let Some(s) = &self.state {
            pairs.push(("state", s));
        }
        format!("/auth/integrations/setup-wizard?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
    }
}

fn action(state: &AppState) -> String {
    escape(&format!("{}/auth/integrations/setup-wizard", state.live_pages_url))
}

/// The app, only when `redirect_uri` is registered for it; otherwise the card (no callback).
fn checked_app(state: &AppState, req: &Request) -> Result<OAuthApp, Box<Response>> {
    let refused = |message: &str| Box::new(error_card(StatusCode::BAD_REQUEST, CardKind::InvalidRequest, message, ""));
    match lookup_app(state, &req.client_id, Some(&req.redirect_uri)) {
        Ok(app) if app.redirect_uris.contains(&req.redirect_uri) => Ok(app),
        Ok(_) | Err(AppLookupError::UnregisteredRedirect) => {
            Err(refused("redirect_uri is not registered for this application"))
        }
        Err(AppLookupError::NotFound) => Err(refused("Application not found")),
    }
}

/// The user's credentials of `provider` whose scopes cover the requested ones.
fn candidates<'a>(credentials: &'a [Credential], user: &User, want: &ProviderRequest) -> Vec<&'a Credential> {
    credentials
        .iter()
        .filter(|c| c.user_id == user.id && c.provider.eq_ignore_ascii_case(&want.provider))
        .filter(|c| want.scopes.iter().all(|s| c.scopes.contains(s)))
        .collect()
}

/// Scopes a provider grants without being asked (the guide: Google `email profile openid`).
fn default_scopes(provider: &str) -> &'static [&'static str] {
    match provider {
        "google" => &["email", "profile", "openid"],
        _ => &[],
    }
}

/// "Connect a new account": the simulated provider consent always succeeds.
fn connect_new(state: &AppState, user: &User, want: &ProviderRequest) -> String {
    let mut scopes: Vec<String> = default_scopes(&want.provider).iter().map(|s| (*s).to_owned()).collect();
    for s in &want.scopes {
        if !scopes.contains(s) {
            scopes.push(s.clone());
        }
    }
    let mut db = state.db();
    let n = db.credentials.iter().filter(|c| c.user_id == user.id && c.provider == want.provider).count() + 1;
    let local = user.email.split('@').next().unwrap_or("user");
    let username = format!("{local}-{n}@{}.example", want.provider);
    let credential = Credential {
        id: format!("cred-{}", random_uuid()),
        user_id: user.id.clone(),
        provider: want.provider.clone(),
        label: format!("{} ({username})", display_name(&want.provider)),
        created_at: now_iso(),
        username: Some(username),
        scopes,
    };
    let id = credential.id.clone();
    db.credentials.push(credential);
    id
}

fn page(
    state: &AppState,
    app: &OAuthApp,
    user: &User,
    req: &Request,
    wanted: &[ProviderRequest],
    selected: &[(String, String)],
    error: Option<&str>,
) -> Response {
    let credentials = state.db().credentials.clone();
    let mut all_selected = true;
    let mut cards = String::new();
    for want in wanted {
        let name = display_name(&want.provider);
        let options = candidates(&credentials, user, want);
        // The posted choice when still valid, else the first candidate (no JavaScript can
        // enable a disabled Continue, so a usable choice is preselected).
        let chosen = selected
            .iter()
            .find(|(p, id)| *p == want.provider && options.iter().any(|c| c.id == *id))
            .map(|(_, id)| id.clone())
            .or_else(|| options.first().map(|c| c.id.clone()));
        all_selected &= chosen.is_some();
        let scopes = if want.scopes.is_empty() {
            String::new()
        } else {
            format!("<p class=\"muted\">Needs: {}</p>", escape(&want.scopes.join(", ")))
        };
        let radios: String = if options.is_empty() {
            let what = if want.scopes.is_empty() { "connected" } else { "with these permissions" };
            format!(
                "<p id=\"wizard-none-{p}\" class=\"muted\">No {n} account {what} yet.</p>",
                p = escape(&want.provider),
                n = escape(&name)
            )
        } else {
            options
                .iter()
                .map(|c| {
                    format!(
                        "<label><input type=\"radio\" id=\"wizard-credential-{id}\" name=\"credential-{p}\" value=\"{id}\"{checked}> {title}</label>",
                        id = escape(&c.id),
                        p = escape(&want.provider),
                        checked = if chosen.as_deref() == Some(c.id.as_str()) { " checked" } else { "" },
                        title = escape(&c.label),
                    )
                })
                .collect()
        };
        cards.push_str(&format!(
            "<fieldset id=\"wizard-provider-{p}\" class=\"card\" data-provider=\"{p}\" data-selected=\"{sel}\">\
<legend>{n}</legend>{scopes}{radios}\
<button id=\"wizard-connect-{p}\" class=\"secondary\" type=\"submit\" name=\"action\" value=\"connect:{p}\">Connect a new {n} account</button>\
</fieldset>",
            p = escape(&want.provider),
            n = escape(&name),
            sel = chosen.is_some(),
        ));
    }
    let error = error.map(|e| format!("<p id=\"wizard-error\" class=\"error\">{}</p>", escape(e))).unwrap_or_default();
    let body = format!(
        "<h1 id=\"wizard-title\">Connect your accounts</h1>\
<p id=\"wizard-app\"><strong>{app}</strong> needs these services connected to your AutoGPT account.</p>\
<p id=\"wizard-user\">Signed in as {email}</p>{error}\
<form id=\"wizard-form\" method=\"post\" action=\"{action}\">{hidden}{cards}\
<button id=\"wizard-continue\" type=\"submit\" name=\"action\" value=\"continue\"{disabled}>Continue</button>\
<button id=\"wizard-cancel\" class=\"secondary\" type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button>\
</form>",
        app = escape(&app.name),
        email = escape(&user.email),
        action = action(state),
        hidden = req.hidden(),
        disabled = if all_selected { "" } else { " disabled" },
    );
    let mut resp = html::response("Connect your accounts", &body);
    if !error.is_empty() {
        *resp.status_mut() = StatusCode::BAD_REQUEST;
    }
    resp
}

fn no_providers(state: &AppState, req: &Request) -> Response {
    let extra = format!(
        "<form method=\"post\" action=\"{action}\">{hidden}\
<button id=\"wizard-cancel\" type=\"submit\" name=\"action\" value=\"cancel\">Cancel</button></form>",
        action = action(state),
        hidden = req.hidden(),
    );
    error_card(StatusCode::BAD_REQUEST, CardKind::NoProviders, "The link names no providers to connect.", &extra)
}

/// Validate what is common to GET and POST; `Err` is the card to show.
fn prepare(state: &AppState, req: &Request) -> Result<OAuthApp, Box<Response>> {
    let missing = req.missing();
    if !missing.is_empty() {
        let items: String = missing.iter().map(|m| format!("<li>{m}</li>")).collect();
        return Err(Box::new(error_card(
            StatusCode::BAD_REQUEST,
            CardKind::InvalidRequest,
            "The setup link is missing required parameters.",
            &format!("<ul id=\"missing-params\">{items}</ul>"),
        )));
    }
    checked_app(state, req)
}

/// `GET /auth/integrations/setup-wizard`
pub async fn show(State(state): State<AppState>, headers: HeaderMap, RawQuery(raw): RawQuery) -> Response {
    let Some(user) = session_user(&state, &headers) else {
        let path = match raw.as_deref() {
            Some(q) => format!("/auth/integrations/setup-wizard?{q}"),
            None => "/auth/integrations/setup-wizard".to_owned(),
        };
        return to_login(&state, &path);
    };
    let req = Request::from_pairs(&params(raw.as_deref()));
    let app = match prepare(&state, &req) {
        Ok(app) => app,
        Err(card) => return *card,
    };
    let wanted = decode(&req.providers);
    if wanted.is_empty() {
        return no_providers(&state, &req);
    }
    match state.live_settings().consent_mode {
        ConsentMode::Interactive => page(&state, &app, &user, &req, &wanted, &[], None),
        ConsentMode::AutoDeny => see_other(&redirect::wizard_cancelled(&req.redirect_uri, req.state.as_deref())),
        ConsentMode::AutoApprove => {
            let credentials = state.db().credentials.clone();
            for want in &wanted {
                if candidates(&credentials, &user, want).is_empty() {
                    connect_new(&state, &user, want);
                }
            }
            see_other(&redirect::wizard_success(&req.redirect_uri, req.state.as_deref()))
        }
    }
}

/// `POST /auth/integrations/setup-wizard`: `action=continue|cancel|connect:<provider>` with the
/// chosen `credential-<provider>` radios.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Response, Error> {
    check_origin(&state, &headers)?;
    let req = Request::from_pairs(&form);
    let Some(user) = session_user(&state, &headers) else {
        let q = serde_urlencoded::to_string([("next", req.page_url())]).unwrap_or_default();
        return Ok(see_other(&format!("{}/login?{q}", state.live_pages_url)));
    };
    let app = match prepare(&state, &req) {
        Ok(app) => app,
        Err(card) => return Ok(*card),
    };
    let action = param(&form, "action").unwrap_or_default();
    if action == "cancel" {
        return Ok(see_other(&redirect::wizard_cancelled(&req.redirect_uri, req.state.as_deref())));
    }
    let wanted = decode(&req.providers);
    if wanted.is_empty() {
        return Ok(no_providers(&state, &req));
    }
    let mut selected: Vec<(String, String)> =
        form.iter().filter_map(|(k, v)| k.strip_prefix("credential-").map(|p| (p.to_owned(), v.clone()))).collect();
    if let Some(provider) = action.strip_prefix("connect:") {
        let Some(want) = wanted.iter().find(|w| w.provider == provider) else {
            return Ok(page(&state, &app, &user, &req, &wanted, &selected, Some("Unknown provider")));
        };
        let id = connect_new(&state, &user, want);
        selected.retain(|(p, _)| p != provider);
        selected.push((provider.to_owned(), id));
        return Ok(page(&state, &app, &user, &req, &wanted, &selected, None));
    }
    if action != "continue" {
        return Ok(page(&state, &app, &user, &req, &wanted, &selected, Some("Choose Continue or Cancel")));
    }
    let credentials = state.db().credentials.clone();
    let complete = wanted.iter().all(|want| {
        let options = candidates(&credentials, &user, want);
        selected.iter().any(|(p, id)| *p == want.provider && options.iter().any(|c| c.id == *id))
    });
    if !complete {
        let error = "Select an account for every service before continuing.";
        return Ok(page(&state, &app, &user, &req, &wanted, &selected, Some(error)));
    }
    Ok(see_other(&redirect::wizard_success(&req.redirect_uri, req.state.as_deref())))
}
