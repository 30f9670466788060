//! OAuth client: authorization request (API-key flow), code exchange, refresh, revoke,
//! userinfo. Client authentication is `client_secret_post` only (checklist 25).

use std::time::Duration;

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, LOCATION, RETRY_AFTER};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use url::Url;

use super::transport::{Transport, TransportError};
use crate::authorize::{Callback, parse_callback};
use crate::error::{OAuthErrorBody, OAuthErrorCode, ParseError, TokenParseError};
use crate::ids::ClientId;
use crate::origin::{PlatformUrl, RedirectUri};
use crate::pkce::PkceVerifier;
use crate::secret::{AccessToken, ApiKey, AuthorizationCode, ClientSecret, RefreshToken};
use crate::types::{TokenResponse, UserInfo};

const FORM: &str = "application/x-www-form-urlencoded";

/// Everything that can go wrong talking to the OAuth endpoints.
#[derive(Debug, thiserror::Error)]
pub enum OAuthClientError {
    /// An RFC 6749 error answer, top-level or nested under `detail` (checklist 27).
    #[error("OAuth error {error} (HTTP {status}): {}", description.as_deref().unwrap_or(""))]
    OAuth {
        /// HTTP status (400, or 401 for `invalid_client`).
        status: StatusCode,
        /// The error code; `invalid_grant` means the user must reconnect.
        error: OAuthErrorCode,
        /// `error_description`.
        description: Option<String>,
    },
    /// 429: over the per-client rate limit. Retry after the given delay, if sent.
    #[error("rate limited by the platform")]
    RateLimited {
        /// Parsed `Retry-After` (seconds form).
        retry_after: Option<Duration>,
    },
    /// A status the protocol does not allow here (including any 3xx from the token endpoint).
    #[error("unexpected HTTP status {status}")]
    UnexpectedStatus {
        /// The status.
        status: StatusCode,
        /// The raw body (lossy UTF-8).
        body: String,
    },
    /// Network failure or timeout.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A 2xx body that did not parse, described by its structure (issue 11 item 7).
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// A 2xx token response that did not parse. It may still carry the rotated refresh token
    /// ([`OAuthClientError::rotated_refresh_token`]): store it, the old one is revoked.
    #[error(transparent)]
    TokenParse(#[from] TokenParseError),
}

impl OAuthClientError {
    /// The refresh token recovered from a token response that failed to parse, if any.
    pub fn rotated_refresh_token(&self) -> Option<&RefreshToken> {
        match self {
            Self::TokenParse(e) => e.refresh_token(),
            _ => None,
        }
    }

    /// True for `invalid_grant`: the code or refresh token is dead (expired, reused, revoked).
    /// Mark the connection `reconnect_required`, delete its tokens, do not retry (item 32).
    pub fn requires_reconnect(&self) -> bool {
        matches!(self, Self::OAuth { error: OAuthErrorCode::InvalidGrant, .. })
    }
}

/// How `/oauth/authorize` answered a server-side request.
#[derive(Debug)]
pub enum AuthorizationOutcome {
    /// 200 HTML consent page (hand it to the browser popup).
    ConsentPage {
        /// The page.
        html: String,
    },
    /// No usable identity: 302/303/401, or a 200 page with a meta refresh (platform code).
    NeedsLogin {
        /// Where the platform wants the user to log in, if it said.
        location: Option<Url>,
    },
    /// Redirect to `redirect_uri` carrying `code` or `error` (consent already given/denied).
    Redirect(Callback),
    /// Anything else, e.g. 400 for an unknown client or unregistered redirect URI.
    Rejected {
        /// The status.
        status: StatusCode,
        /// The raw body (lossy UTF-8).
        body: String,
    },
}

/// A token to revoke.
#[derive(Debug)]
pub enum RevokableToken<'a> {
    /// An access token.
    Access(&'a AccessToken),
    /// A refresh token (revoking it ends the grant's refresh chain).
    Refresh(&'a RefreshToken),
}

/// The OAuth client of one registered application.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    transport: Transport,
    platform: PlatformUrl,
    client_id: ClientId,
    client_secret: ClientSecret,
    redirect_uri: RedirectUri,
}

impl OAuthClient {
    /// A client for `platform` with the given registration.
    pub fn new(
        transport: Transport,
        platform: PlatformUrl,
        client_id: ClientId,
        client_secret: ClientSecret,
        redirect_uri: RedirectUri,
    ) -> Self {
        Self { transport, platform, client_id, client_secret, redirect_uri }
    }

    /// The registered redirect URI (the same bytes go into authorize and token requests).
    pub fn redirect_uri(&self) -> &RedirectUri {
        &self.redirect_uri
    }

    /// The platform URL.
    pub fn platform(&self) -> &PlatformUrl {
        &self.platform
    }

    /// The client id.
    pub fn client_id(&self) -> &ClientId {
        &self.client_id
    }

    /// Builds `GET authorize_url` with an optional `X-API-Key` (marked sensitive).
    pub fn authorization_request(authorize_url: &Url, api_key: Option<&ApiKey>) -> Request<Vec<u8>> {
        let mut req = Request::builder().method(Method::GET).uri(authorize_url.as_str());
        if let Some(key) = api_key {
            req = req.header("x-api-key", sensitive(key.secret()));
        }
        req.header(ACCEPT, "text/html").body(Vec::new()).expect("valid URL and headers")
    }

    /// Sends the authorization request and classifies the answer. Follows no redirect.
    pub async fn request_authorization(
        &self,
        authorize_url: &Url,
        api_key: Option<&ApiKey>,
    ) -> Result<AuthorizationOutcome, OAuthClientError> {
        let res = self.transport.send(Self::authorization_request(authorize_url, api_key)).await?;
        Ok(classify_authorization(&res, authorize_url, &self.redirect_uri))
    }

    /// The form body of the code exchange, in a fixed field order.
    pub fn code_exchange_body(&self, code: &AuthorizationCode, verifier: &PkceVerifier) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code.secret())
            .append_pair("redirect_uri", self.redirect_uri.as_str())
            .append_pair("client_id", self.client_id.as_str())
            .append_pair("client_secret", self.client_secret.secret())
            .append_pair("code_verifier", verifier.secret())
            .finish()
    }

    /// The form body of a refresh.
    pub fn refresh_body(&self, refresh_token: &RefreshToken) -> String {
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "refresh_token")
            .append_pair("refresh_token", refresh_token.secret())
            .append_pair("client_id", self.client_id.as_str())
            .append_pair("client_secret", self.client_secret.secret())
            .finish()
    }

    /// The form body of a revocation (client authenticated in the body, RFC 7009).
    pub fn revoke_body(&self, token: RevokableToken<'_>) -> String {
        let (value, hint) = match token {
            RevokableToken::Access(t) => (t.secret(), "access_token"),
            RevokableToken::Refresh(t) => (t.secret(), "refresh_token"),
        };
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("token", value)
            .append_pair("token_type_hint", hint)
            .append_pair("client_id", self.client_id.as_str())
            .append_pair("client_secret", self.client_secret.secret())
            .finish()
    }

    /// A form POST to `path` with no `Authorization` header (checklist 25).
    pub fn form_request(&self, path: &str, body: String) -> Request<Vec<u8>> {
        Request::builder()
            .method(Method::POST)
            .uri(self.platform.join(path).as_str())
            .header(CONTENT_TYPE, FORM)
            .header(ACCEPT, "application/json")
            .body(body.into_bytes())
            .expect("valid URL and headers")
    }

    /// Exchanges an authorization code (PKCE). `now` is unix seconds, for `expires_at`.
    /// The verifier is consumed: it is single-use.
    pub async fn exchange_code(
        &self,
        code: &AuthorizationCode,
        verifier: PkceVerifier,
        now: i64,
    ) -> Result<TokenResponse, OAuthClientError> {
        let req = self.form_request("/oauth/token", self.code_exchange_body(code, &verifier));
        parse_token_response(&self.transport.send(req).await?, now)
    }

    /// Refreshes; the answer carries a new refresh token (rotation), store it.
    pub async fn refresh(&self, refresh_token: &RefreshToken, now: i64) -> Result<TokenResponse, OAuthClientError> {
        let req = self.form_request("/oauth/token", self.refresh_body(refresh_token));
        parse_token_response(&self.transport.send(req).await?, now)
    }

    /// Revokes a token. The platform always answers 200; other answers are errors.
    pub async fn revoke(&self, token: RevokableToken<'_>) -> Result<(), OAuthClientError> {
        let res = self.transport.send(self.form_request("/oauth/revoke", self.revoke_body(token))).await?;
        if res.status().is_success() { Ok(()) } else { Err(error_from_response(&res)) }
    }

    /// `GET /oauth/userinfo` with the access token.
    pub async fn userinfo(&self, access_token: &AccessToken) -> Result<UserInfo, OAuthClientError> {
        let req = Request::builder()
            .method(Method::GET)
            .uri(self.platform.join("/oauth/userinfo").as_str())
            .header(AUTHORIZATION, sensitive(&format!("Bearer {}", access_token.secret())))
            .header(ACCEPT, "application/json")
            .body(Vec::new())
            .expect("valid URL and headers");
        let res = self.transport.send(req).await?;
        if !res.status().is_success() {
            return Err(error_from_response(&res));
        }
        serde_json::from_slice(res.body()).map_err(|e| ParseError::json(&e, res.body()).into())
    }
}

fn sensitive(value: &str) -> HeaderValue {
    // Secrets are ASCII tokens; a value with control characters is a configuration bug.
    let mut v = HeaderValue::from_str(value).unwrap_or_else(|_| HeaderValue::from_static(""));
    v.set_sensitive(true);
    v
}

/// Reads a token endpoint answer: 2xx → tokens (or `TokenParse`, keeping a rotated refresh
/// token), 429 → `RateLimited`, OAuth error bodies in either shape → `OAuth`, anything else
/// (3xx included) → `UnexpectedStatus`.
pub fn parse_token_response(res: &Response<Vec<u8>>, now: i64) -> Result<TokenResponse, OAuthClientError> {
    if res.status().is_success() { Ok(TokenResponse::parse(res.body(), now)?) } else { Err(error_from_response(res)) }
}

fn error_from_response(res: &Response<Vec<u8>>) -> OAuthClientError {
    let status = res.status();
    if status == StatusCode::TOO_MANY_REQUESTS {
        return OAuthClientError::RateLimited { retry_after: retry_after(res.headers()) };
    }
    match OAuthErrorBody::parse(res.body()) {
        Some(e) if status.is_client_error() => {
            OAuthClientError::OAuth { status, error: e.error, description: e.error_description }
        }
        _ => OAuthClientError::UnexpectedStatus { status, body: String::from_utf8_lossy(res.body()).into_owned() },
    }
}

/// `Retry-After` in its seconds form (the HTTP-date form is not used by the platform).
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?;
    v.trim().parse::<u64>().ok().map(Duration::from_secs)
}

fn classify_authorization(
    res: &Response<Vec<u8>>,
    authorize_url: &Url,
    redirect_uri: &RedirectUri,
) -> AuthorizationOutcome {
    let status = res.status();
    let body = || String::from_utf8_lossy(res.body()).into_owned();
    let location = res.headers().get(LOCATION).and_then(|v| v.to_str().ok()).and_then(|l| authorize_url.join(l).ok());
    if status.is_redirection() {
        if let Some(loc) = &location
            && is_redirect_uri(loc, redirect_uri)
            && let Ok(cb) = parse_callback(loc.query().unwrap_or(""))
        {
            return AuthorizationOutcome::Redirect(cb);
        }
        if matches!(status, StatusCode::FOUND | StatusCode::SEE_OTHER) {
            return AuthorizationOutcome::NeedsLogin { location };
        }
        return AuthorizationOutcome::Rejected { status, body: body() };
    }
    if status == StatusCode::UNAUTHORIZED {
        return AuthorizationOutcome::NeedsLogin { location: None };
    }
    if status == StatusCode::OK {
        let html = body();
        if let Some(target) = meta_refresh_target(&html) {
            return AuthorizationOutcome::NeedsLogin { location: authorize_url.join(&target).ok() };
        }
        return AuthorizationOutcome::ConsentPage { html };
    }
    AuthorizationOutcome::Rejected { status, body: body() }
}

/// True if `loc` is the redirect URI (same scheme, host, port and path).
fn is_redirect_uri(loc: &Url, redirect_uri: &RedirectUri) -> bool {
    Url::parse(redirect_uri.as_str()).is_ok_and(|r| r.origin() == loc.origin() && r.path() == loc.path())
}

/// The URL of `<meta http-equiv="refresh" content="0;url=...">`, if the page has one.
fn meta_refresh_target(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    let at = lower
        .find("http-equiv=\"refresh\"")
        .or_else(|| lower.find("http-equiv='refresh'"))
        .or_else(|| lower.find("http-equiv=refresh"))?;
    let tag_start = lower[..at].rfind('<')?;
    let tag_end = at + lower[at..].find('>')?;
    let tag = &html[tag_start..tag_end];
    let content_at = tag.to_ascii_lowercase().find("content=")? + "content=".len();
    let rest = &tag[content_at..];
    let quote = rest.chars().next().filter(|c| *c == '"' || *c == '\'');
    let value = match quote {
        Some(q) => rest[1..].split(q).next()?,
        None => rest.split([' ', '>']).next()?,
    };
    let url_at = value.to_ascii_lowercase().find("url=")? + "url=".len();
    Some(value[url_at..].trim().trim_matches(|c| c == '\'' || c == '"').replace("&amp;", "&"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_refresh_is_found() {
        let html = r#"<html><head><META HTTP-EQUIV="refresh" content="0; url=/login?next=%2Foauth%2Fauthorize&amp;x=1"></head></html>"#;
        assert_eq!(meta_refresh_target(html).as_deref(), Some("/login?next=%2Foauth%2Fauthorize&x=1"));
        assert_eq!(meta_refresh_target("<form>consent</form>"), None);
    }

    #[test]
    fn retry_after_seconds() {
        let mut h = HeaderMap::new();
        h.insert(RETRY_AFTER, HeaderValue::from_static("17"));
        assert_eq!(retry_after(&h), Some(Duration::from_secs(17)));
        h.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&h), None);
    }
}
