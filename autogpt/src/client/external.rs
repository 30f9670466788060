//! External API client (Bearer access token): executions, capabilities, grants, and
//! `wait_for_completion` polling with backoff.

use std::time::{Duration, Instant};

use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;

use super::oauth::retry_after;
use super::transport::{Transport, TransportError};
use crate::error::{ParseError, api_error_detail};
use crate::ids::{AgentId, ExecutionId, GrantId, InvalidPathId, path_segment};
use crate::origin::PlatformUrl;
use crate::secret::AccessToken;
use crate::types::{
    CancelResponse, Capabilities, ExecuteRequest, ExecuteResponse, ExecutionResult, Grant, MessageResponse,
};

/// Path prefix of the External API under the platform URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiBasePath(String);

impl ApiBasePath {
    /// The documented prefix.
    pub const DOCUMENTED: &'static str = "/api/external/v1";
    /// The prefix the platform code serves at the backend root.
    pub const BACKEND: &'static str = "/external-api/v1";

    /// A custom prefix (leading `/` added, trailing `/` dropped).
    pub fn new(path: &str) -> Self {
        Self(format!("/{}", path.trim_matches('/')))
    }

    /// The prefix.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for ApiBasePath {
    fn default() -> Self {
        Self(Self::DOCUMENTED.to_owned())
    }
}

/// External API failures. `{"detail": ...}` texts are kept for logs; they are platform text,
/// not for direct display.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 401: token missing, unknown, revoked or expired. Refresh, then reconnect.
    #[error("unauthorized: {detail}")]
    Unauthorized {
        /// `detail`.
        detail: String,
    },
    /// 403: scope missing or grant invalid.
    #[error("forbidden: {detail}")]
    Forbidden {
        /// `detail`.
        detail: String,
    },
    /// 404: agent, execution or grant not found.
    #[error("not found: {detail}")]
    NotFound {
        /// `detail`.
        detail: String,
    },
    /// 429.
    #[error("rate limited")]
    RateLimited {
        /// Parsed `Retry-After`.
        retry_after: Option<Duration>,
    },
    /// Any other non-2xx (400 on cancel of a finished run, 5xx...).
    #[error("HTTP {status}: {detail}")]
    Status {
        /// The status.
        status: StatusCode,
        /// `detail`, or the raw body.
        detail: String,
    },
    /// `wait_for_completion` ran out of time; the last status seen is kept.
    #[error("execution did not finish in time")]
    Timeout {
        /// Last observed state.
        last: Option<Box<ExecutionResult>>,
    },
    /// An id that cannot be a URL path segment (`..`, empty...); nothing was sent
    /// (issue 11 item 6).
    #[error(transparent)]
    InvalidId(#[from] InvalidPathId),
    /// Network failure or timeout of one request.
    #[error(transparent)]
    Transport(#[from] TransportError),
    /// A 2xx body that did not parse, described by its structure (issue 11 item 7).
    #[error(transparent)]
    Parse(#[from] ParseError),
}

/// Options of [`ExternalApiClient::wait_for_completion`].
#[derive(Clone, Debug)]
pub struct WaitOptions {
    /// Give up after this long (default 5 minutes).
    pub timeout: Duration,
    /// Delay between polls (default 2 s).
    pub poll_interval: Duration,
    /// Ceiling of the backoff after 429/5xx/transport errors (default 30 s).
    pub max_backoff: Duration,
}

impl Default for WaitOptions {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(300),
            poll_interval: Duration::from_secs(2),
            max_backoff: Duration::from_secs(30),
        }
    }
}

/// Client of the External API.
#[derive(Clone, Debug)]
pub struct ExternalApiClient {
    transport: Transport,
    platform: PlatformUrl,
    base_path: ApiBasePath,
}

impl ExternalApiClient {
    /// A client for `platform` under `base_path`.
    pub fn new(transport: Transport, platform: PlatformUrl, base_path: ApiBasePath) -> Self {
        Self { transport, platform, base_path }
    }

    /// Builds a request to `{platform}{base}{path}`; `path` segments must be pre-encoded.
    pub fn request(&self, method: Method, path: &str, token: &AccessToken, json: Option<Vec<u8>>) -> Request<Vec<u8>> {
        let url = self.platform.join(&format!("{}{path}", self.base_path.as_str()));
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.secret()))
            .unwrap_or_else(|_| HeaderValue::from_static(""));
        auth.set_sensitive(true);
        let mut req = Request::builder()
            .method(method)
            .uri(url.as_str())
            .header(AUTHORIZATION, auth)
            .header(ACCEPT, "application/json");
        if json.is_some() {
            req = req.header(CONTENT_TYPE, "application/json");
        }
        req.body(json.unwrap_or_default()).expect("valid URL and headers")
    }

    async fn call<T: DeserializeOwned>(&self, req: Request<Vec<u8>>) -> Result<T, ApiError> {
        parse_api_response(&self.transport.send(req).await?)
    }

    /// `POST /executions/agents/{agent_id}/execute`.
    pub async fn execute(
        &self,
        token: &AccessToken,
        agent_id: &AgentId,
        request: &ExecuteRequest,
    ) -> Result<ExecuteResponse, ApiError> {
        let body = serde_json::to_vec(request).expect("ExecuteRequest always serialises");
        let path = format!("/executions/agents/{}/execute", path_segment("agent id", agent_id.as_str())?);
        self.call(self.request(Method::POST, &path, token, Some(body))).await
    }

    /// `GET /executions/{execution_id}`.
    pub async fn execution(
        &self,
        token: &AccessToken,
        execution_id: &ExecutionId,
    ) -> Result<ExecutionResult, ApiError> {
        let path = format!("/executions/{}", path_segment("execution id", execution_id.as_str())?);
        self.call(self.request(Method::GET, &path, token, None)).await
    }

    /// `POST /executions/{execution_id}/cancel` (400 unless queued or running).
    pub async fn cancel(&self, token: &AccessToken, execution_id: &ExecutionId) -> Result<CancelResponse, ApiError> {
        let path = format!("/executions/{}/cancel", path_segment("execution id", execution_id.as_str())?);
        self.call(self.request(Method::POST, &path, token, None)).await
    }

    /// `GET /executions/capabilities`.
    pub async fn capabilities(&self, token: &AccessToken) -> Result<Capabilities, ApiError> {
        self.call(self.request(Method::GET, "/executions/capabilities", token, None)).await
    }

    /// `GET /grants/`.
    pub async fn grants(&self, token: &AccessToken) -> Result<Vec<Grant>, ApiError> {
        self.call(self.request(Method::GET, "/grants/", token, None)).await
    }

    /// `GET /grants/{grant_id}`: use it to confirm a `grant_id` from a popup (checklist 15).
    pub async fn grant(&self, token: &AccessToken, grant_id: &GrantId) -> Result<Grant, ApiError> {
        let path = format!("/grants/{}", path_segment("grant id", grant_id.as_str())?);
        self.call(self.request(Method::GET, &path, token, None)).await
    }

    /// `DELETE /grants/{grant_id}/credential`.
    pub async fn delete_grant_credential(
        &self,
        token: &AccessToken,
        grant_id: &GrantId,
    ) -> Result<MessageResponse, ApiError> {
        let path = format!("/grants/{}/credential", path_segment("grant id", grant_id.as_str())?);
        self.call(self.request(Method::DELETE, &path, token, None)).await
    }

    /// Polls the execution until a terminal status (completed, failed, terminated), calling
    /// `on_status` after every successful poll. A failed or terminated run is `Ok`: the caller
    /// reads `status` and `error`. 429, 5xx and transport errors back off (doubling from the
    /// poll interval up to `max_backoff`, or `Retry-After`) and retry until the timeout;
    /// 401/403/404 and other 4xx end the wait at once.
    pub async fn wait_for_completion(
        &self,
        token: &AccessToken,
        execution_id: &ExecutionId,
        options: &WaitOptions,
        mut on_status: impl FnMut(&ExecutionResult),
    ) -> Result<ExecutionResult, ApiError> {
        let deadline = Instant::now() + options.timeout;
        let mut backoff = options.poll_interval;
        let mut last: Option<ExecutionResult> = None;
        loop {
            let delay = match self.execution(token, execution_id).await {
                Ok(result) => {
                    on_status(&result);
                    if result.status.is_terminal() {
                        return Ok(result);
                    }
                    last = Some(result);
                    backoff = options.poll_interval;
                    options.poll_interval
                }
                Err(e) => {
                    let wait = match &e {
                        ApiError::RateLimited { retry_after: Some(d) } => *d,
                        ApiError::RateLimited { .. } | ApiError::Transport(_) => backoff,
                        ApiError::Status { status, .. } if status.is_server_error() => backoff,
                        _ => return Err(e),
                    };
                    backoff = (backoff * 2).min(options.max_backoff);
                    wait.min(options.max_backoff)
                }
            };
            let now = Instant::now();
            if now >= deadline {
                return Err(ApiError::Timeout { last: last.map(Box::new) });
            }
            tokio::time::sleep(delay.min(deadline - now)).await;
        }
    }
}

fn parse_api_response<T: DeserializeOwned>(res: &Response<Vec<u8>>) -> Result<T, ApiError> {
    let status = res.status();
    if status.is_success() {
        return serde_json::from_slice(res.body()).map_err(|e| ParseError::json(&e, res.body()).into());
    }
    let detail = || api_error_detail(res.body()).unwrap_or_else(|| String::from_utf8_lossy(res.body()).into_owned());
    Err(match status {
        StatusCode::UNAUTHORIZED => ApiError::Unauthorized { detail: detail() },
        StatusCode::FORBIDDEN => ApiError::Forbidden { detail: detail() },
        StatusCode::NOT_FOUND => ApiError::NotFound { detail: detail() },
        StatusCode::TOO_MANY_REQUESTS => ApiError::RateLimited { retry_after: retry_after(res.headers()) },
        _ => ApiError::Status { status, detail: detail() },
    })
}

/// Parses a `GET /executions/{id}` answer (exposed for golden tests and custom transports).
pub fn execution_from_response(res: &Response<Vec<u8>>) -> Result<ExecutionResult, ApiError> {
    parse_api_response(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_and_segments() {
        assert_eq!(ApiBasePath::default().as_str(), "/api/external/v1");
        assert_eq!(ApiBasePath::new("external-api/v1/").as_str(), ApiBasePath::BACKEND);
    }

    #[test]
    fn errors_are_typed() {
        let res = |code: u16, body: &str| Response::builder().status(code).body(body.as_bytes().to_vec()).unwrap();
        let e = execution_from_response(&res(404, r#"{"detail":"Execution not found"}"#)).unwrap_err();
        assert!(matches!(e, ApiError::NotFound { ref detail } if detail == "Execution not found"));
        assert!(matches!(execution_from_response(&res(401, r#"{"detail":"x"}"#)), Err(ApiError::Unauthorized { .. })));
        assert!(matches!(execution_from_response(&res(403, r#"{"detail":"x"}"#)), Err(ApiError::Forbidden { .. })));
        assert!(
            matches!(execution_from_response(&res(502, "bad gateway")), Err(ApiError::Status { ref detail, .. }) if detail == "bad gateway")
        );
        assert!(matches!(execution_from_response(&res(200, "{}")), Err(ApiError::Parse(_))));
    }
}
