//! Pure request builders and response parsers of External API v2 over `http` types: the
//! client only moves their bytes, and the golden fixtures pin what they produce.
//!
//! Every id that goes into a path passes [`path_segment`] (issue 11 item 6), so an id `..`
//! is refused before anything is sent and `/` or `?` in an id cannot leave its segment.

use http::header::{ACCEPT, CONTENT_TYPE};
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde::de::DeserializeOwned;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::credentials::parse_credentials_list;
use super::ids::{IdempotencyKey, LibraryAgentId, RunId, TeamId};
use super::library::LibraryAgentsQuery;
use super::page::{Page, PageRequest};
use super::reviews::{MAX_REVIEW_MESSAGE_CHARS, ReviewDecision, ReviewsQuery};
use super::runs::{RunRequest, RunsQuery};
use super::{Credential, CredentialInfo, RateLimit, ResponseError};
use crate::error::ParseError;
use crate::ids::{InvalidPathId, Provider, path_segment};
use crate::live::BackendUrl;

/// Path of External API v2 under the backend URL.
pub const V2_BASE: &str = "/external-api/v2";

/// A request that cannot be built; nothing was sent.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// An id that cannot be one path segment.
    #[error(transparent)]
    InvalidId(#[from] InvalidPathId),
    /// The access token or API key cannot be an HTTP header value.
    #[error("the credential cannot be sent as an HTTP header")]
    InvalidCredential,
    /// The team id cannot be an HTTP header value.
    #[error("the team id cannot be sent as an HTTP header")]
    InvalidTeamId,
    /// The URL could not be read back as an `http::Uri` (not expected: every URL the `url`
    /// crate prints is one; kept as a typed error rather than a panic).
    #[error("the backend URL cannot be sent as a request target")]
    InvalidUrl,
    /// A time filter outside what RFC 3339 can write.
    #[error("a time filter cannot be written as RFC 3339")]
    InvalidTime,
    /// `POST /runs/{id}/reviews` with no decision (the platform answers 400).
    #[error("at least one review decision is required")]
    NoReviews,
    /// A review message over 2000 characters (the platform answers 422).
    #[error("a review message is longer than 2000 characters")]
    ReviewMessageTooLong,
}

/// One v2 request before authentication: method, path under [`V2_BASE`], query, JSON body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiRequest {
    method: Method,
    path: String,
    query: Vec<(&'static str, String)>,
    body: Option<Vec<u8>>,
    idempotency_key: Option<IdempotencyKey>,
}

fn bool_text(b: bool) -> String {
    if b { "true" } else { "false" }.to_owned()
}

fn time_text(t: &OffsetDateTime) -> Result<String, RequestError> {
    t.format(&Rfc3339).map_err(|_| RequestError::InvalidTime)
}

impl ApiRequest {
    fn new(method: Method, path: String) -> Self {
        Self { method, path, query: Vec::new(), body: None, idempotency_key: None }
    }

    fn json(mut self, body: &impl serde::Serialize) -> Self {
        // Our request types are maps and structs of strings and JSON values: they always
        // serialise.
        self.body = Some(serde_json::to_vec(body).unwrap_or_default());
        self
    }

    /// `GET /me`.
    pub fn me() -> Self {
        Self::new(Method::GET, "/me".into())
    }

    /// `GET /library/agents?published&favorite&limit&cursor`.
    pub fn library_agents(query: &LibraryAgentsQuery) -> Self {
        let mut r = Self::new(Method::GET, "/library/agents".into());
        if let Some(p) = query.published {
            r.query.push(("published", bool_text(p)));
        }
        if let Some(f) = query.favorite {
            r.query.push(("favorite", bool_text(f)));
        }
        query.page.push_query(&mut r.query);
        r
    }

    /// `GET /library/agents/{agent_id}`.
    pub fn library_agent(agent: &LibraryAgentId) -> Result<Self, RequestError> {
        let id = path_segment("library agent id", agent.as_str())?;
        Ok(Self::new(Method::GET, format!("/library/agents/{id}")))
    }

    /// `GET /library/agents/{agent_id}/credentials`.
    pub fn agent_credentials(agent: &LibraryAgentId, page: &PageRequest) -> Result<Self, RequestError> {
        let id = path_segment("library agent id", agent.as_str())?;
        let mut r = Self::new(Method::GET, format!("/library/agents/{id}/credentials"));
        page.push_query(&mut r.query);
        Ok(r)
    }

    /// `POST /library/agents/{agent_id}/runs` with an optional `Idempotency-Key`.
    pub fn start_run(
        agent: &LibraryAgentId,
        request: &RunRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<Self, RequestError> {
        let id = path_segment("library agent id", agent.as_str())?;
        let mut r = Self::new(Method::POST, format!("/library/agents/{id}/runs")).json(request);
        r.idempotency_key = idempotency_key.cloned();
        Ok(r)
    }

    /// `GET /runs/{run_id}` (details: outputs and node executions).
    pub fn run(run: &RunId) -> Result<Self, RequestError> {
        let id = path_segment("run id", run.as_str())?;
        Ok(Self::new(Method::GET, format!("/runs/{id}")))
    }

    /// `GET /runs?graph_id&statuses…&started_after&started_before&limit&cursor`.
    pub fn runs(query: &RunsQuery) -> Result<Self, RequestError> {
        let mut r = Self::new(Method::GET, "/runs".into());
        if let Some(g) = &query.graph_id {
            r.query.push(("graph_id", g.as_str().to_owned()));
        }
        for s in &query.statuses {
            r.query.push(("statuses", s.as_str().to_owned()));
        }
        if let Some(t) = &query.started_after {
            r.query.push(("started_after", time_text(t)?));
        }
        if let Some(t) = &query.started_before {
            r.query.push(("started_before", time_text(t)?));
        }
        query.page.push_query(&mut r.query);
        Ok(r)
    }

    /// `POST /runs/{run_id}/stop`.
    pub fn stop_run(run: &RunId) -> Result<Self, RequestError> {
        let id = path_segment("run id", run.as_str())?;
        Ok(Self::new(Method::POST, format!("/runs/{id}/stop")))
    }

    /// `GET /runs/reviews?run_id&status&limit&cursor`.
    pub fn reviews(query: &ReviewsQuery) -> Self {
        let mut r = Self::new(Method::GET, "/runs/reviews".into());
        if let Some(run) = &query.run_id {
            r.query.push(("run_id", run.as_str().to_owned()));
        }
        if let Some(s) = &query.status {
            r.query.push(("status", s.as_str().to_owned()));
        }
        query.page.push_query(&mut r.query);
        r
    }

    /// `POST /runs/{run_id}/reviews` with `{"reviews": [...]}`. Answer every waiting review
    /// of the run in this one request.
    pub fn submit_reviews(run: &RunId, decisions: &[ReviewDecision]) -> Result<Self, RequestError> {
        if decisions.is_empty() {
            return Err(RequestError::NoReviews);
        }
        if decisions.iter().any(|d| d.message.as_ref().is_some_and(|m| m.chars().count() > MAX_REVIEW_MESSAGE_CHARS)) {
            return Err(RequestError::ReviewMessageTooLong);
        }
        #[derive(serde::Serialize)]
        struct Body<'a> {
            reviews: &'a [ReviewDecision],
        }
        let id = path_segment("run id", run.as_str())?;
        Ok(Self::new(Method::POST, format!("/runs/{id}/reviews")).json(&Body { reviews: decisions }))
    }

    /// `GET /integrations/credentials[?provider=]` (the filter is case-insensitive).
    pub fn credentials(provider: Option<&Provider>, page: &PageRequest) -> Self {
        let mut r = Self::new(Method::GET, "/integrations/credentials".into());
        if let Some(p) = provider {
            r.query.push(("provider", p.as_str().to_owned()));
        }
        page.push_query(&mut r.query);
        r
    }

    /// The method.
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The encoded path under [`V2_BASE`].
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The JSON body, if any.
    pub fn body(&self) -> Option<&[u8]> {
        self.body.as_deref()
    }

    /// The full HTTP request: auth header (`Authorization: Bearer` or `X-API-Key`, marked
    /// sensitive), optional `X-Team-Id` and `Idempotency-Key`, JSON content type for a body.
    pub fn to_http(
        &self,
        backend: &BackendUrl,
        credential: &Credential,
        team: Option<&TeamId>,
    ) -> Result<Request<Vec<u8>>, RequestError> {
        let mut url = backend.join(&format!("{V2_BASE}{}", self.path));
        if !self.query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in &self.query {
                pairs.append_pair(k, v);
            }
        }
        let mut req = Request::new(self.body.clone().unwrap_or_default());
        *req.method_mut() = self.method.clone();
        *req.uri_mut() = url.as_str().parse().map_err(|_| RequestError::InvalidUrl)?;
        let headers = req.headers_mut();
        let (name, value) = credential.header().ok_or(RequestError::InvalidCredential)?;
        headers.insert(name, value);
        headers.insert(ACCEPT, HeaderValue::from_static("application/json"));
        if self.body.is_some() {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        }
        if let Some(team) = team {
            headers.insert("x-team-id", HeaderValue::from_str(team.as_str()).map_err(|_| RequestError::InvalidTeamId)?);
        }
        if let Some(key) = &self.idempotency_key {
            // Printable ASCII by construction.
            if let Ok(v) = HeaderValue::from_str(key.as_str()) {
                headers.insert("idempotency-key", v);
            }
        }
        Ok(req)
    }
}

/// A successful v2 answer with its status and rate-limit headers.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse<T> {
    /// The parsed body.
    pub value: T,
    /// The status (200, or 202 for run start, stop and reviews).
    pub status: StatusCode,
    /// The rate-limit headers.
    pub rate_limit: RateLimit,
}

impl<T> ApiResponse<T> {
    /// Transforms the value, keeping status and rate limit.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> ApiResponse<U> {
        ApiResponse { value: f(self.value), status: self.status, rate_limit: self.rate_limit }
    }
}

/// Parses a v2 answer into `T` (a pure function of the response).
pub fn parse_response<T: DeserializeOwned>(res: &Response<Vec<u8>>) -> Result<ApiResponse<T>, ResponseError> {
    parse_response_with(res, |body| serde_json::from_slice(body).map_err(|e| ParseError::json(&e, body)))
}

/// Parses a v2 answer with a custom body parser.
pub fn parse_response_with<T>(
    res: &Response<Vec<u8>>,
    parse: impl FnOnce(&[u8]) -> Result<T, ParseError>,
) -> Result<ApiResponse<T>, ResponseError> {
    let status = res.status();
    let rate_limit = RateLimit::from_headers(res.headers());
    if !status.is_success() {
        return Err(ResponseError::from_status(status, res.body(), rate_limit));
    }
    match parse(res.body()) {
        Ok(value) => Ok(ApiResponse { value, status, rate_limit }),
        Err(error) => Err(ResponseError::Parse { status, error, rate_limit }),
    }
}

/// Parses `GET /integrations/credentials` (page envelope or the older `{"credentials"}`).
pub fn parse_credentials_response(res: &Response<Vec<u8>>) -> Result<ApiResponse<Page<CredentialInfo>>, ResponseError> {
    parse_response_with(res, parse_credentials_list)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::api::{Cursor, PageLimit, ReviewStatus, RunStatus};
    use crate::secret::{AccessToken, ApiKey};

    fn backend() -> BackendUrl {
        BackendUrl::parse("https://backend.test").unwrap()
    }

    fn bearer() -> Credential {
        Credential::Bearer(AccessToken::new("agpt_xt_1"))
    }

    fn uri(r: &ApiRequest) -> String {
        r.to_http(&backend(), &bearer(), None).unwrap().uri().to_string()
    }

    #[test]
    fn paths_and_queries() {
        let page = PageRequest { limit: Some(PageLimit::new(50).unwrap()), cursor: Some(Cursor::new("c/+=")) };
        assert_eq!(uri(&ApiRequest::me()), "https://backend.test/external-api/v2/me");
        let q = LibraryAgentsQuery { published: Some(false), favorite: Some(true), page: page.clone() };
        assert_eq!(
            uri(&ApiRequest::library_agents(&q)),
            "https://backend.test/external-api/v2/library/agents?published=false&favorite=true&limit=50&cursor=c%2F%2B%3D"
        );
        let q = RunsQuery {
            graph_id: Some(crate::live::api::GraphId::new("g1")),
            statuses: vec![RunStatus::Queued, RunStatus::Running],
            started_after: Some(time::macros::datetime!(2026-01-02 03:04:05 UTC)),
            started_before: None,
            page: PageRequest::default(),
        };
        assert_eq!(
            uri(&ApiRequest::runs(&q).unwrap()),
            "https://backend.test/external-api/v2/runs?graph_id=g1&statuses=QUEUED&statuses=RUNNING&started_after=2026-01-02T03%3A04%3A05Z"
        );
        let q = ReviewsQuery { run_id: Some(RunId::new("r1")), status: Some(ReviewStatus::Waiting), page };
        assert_eq!(
            uri(&ApiRequest::reviews(&q)),
            "https://backend.test/external-api/v2/runs/reviews?run_id=r1&status=WAITING&limit=50&cursor=c%2F%2B%3D"
        );
        assert_eq!(
            uri(&ApiRequest::credentials(Some(&Provider::new("GitHub")), &PageRequest::default())),
            "https://backend.test/external-api/v2/integrations/credentials?provider=GitHub"
        );
        assert_eq!(
            uri(&ApiRequest::stop_run(&RunId::new("r 1")).unwrap()),
            "https://backend.test/external-api/v2/runs/r%201/stop"
        );
    }

    #[test]
    fn headers() {
        let key = IdempotencyKey::new("job-1").unwrap();
        let r = ApiRequest::start_run(&LibraryAgentId::new("a1"), &RunRequest::default(), Some(&key)).unwrap();
        let team = TeamId::new("t1");
        let http = r.to_http(&backend(), &Credential::ApiKey(ApiKey::new("agpt_key")), Some(&team)).unwrap();
        let h = http.headers();
        assert_eq!(h["x-api-key"], "agpt_key");
        assert!(h.get("authorization").is_none());
        assert_eq!(h["x-team-id"], "t1");
        assert_eq!(h["idempotency-key"], "job-1");
        assert_eq!(h["content-type"], "application/json");
        assert_eq!(http.body(), br#"{"inputs":{},"credentials_inputs":{}}"#);
        let http = ApiRequest::me().to_http(&backend(), &bearer(), None).unwrap();
        assert_eq!(http.headers()["authorization"], "Bearer agpt_xt_1");
        assert!(http.headers().get("content-type").is_none() && http.headers().get("x-team-id").is_none());
        let bad = ApiRequest::me().to_http(&backend(), &bearer(), Some(&TeamId::new("t\n1")));
        assert_eq!(bad.unwrap_err(), RequestError::InvalidTeamId);
        let bad = ApiRequest::me().to_http(&backend(), &Credential::ApiKey(ApiKey::new("k\r\n")), None);
        assert_eq!(bad.unwrap_err(), RequestError::InvalidCredential);
    }

    #[test]
    fn reviews_body_checks() {
        let run = RunId::new("r1");
        assert_eq!(ApiRequest::submit_reviews(&run, &[]).unwrap_err(), RequestError::NoReviews);
        let long = ReviewDecision::reject(crate::live::api::ReviewId::new("n")).with_message("é".repeat(2001));
        assert_eq!(ApiRequest::submit_reviews(&run, &[long]).unwrap_err(), RequestError::ReviewMessageTooLong);
        let ok = ReviewDecision::approve(crate::live::api::ReviewId::new("n")).with_message("é".repeat(2000));
        assert!(ApiRequest::submit_reviews(&run, &[ok]).is_ok());
    }

    /// Item 6: every path id kind refuses `..` and stays one segment.
    #[test]
    fn item6_path_ids_refused_or_single_segment() {
        let dots = [".", "..", ""];
        for d in dots {
            assert!(ApiRequest::library_agent(&LibraryAgentId::new(d)).is_err());
            assert!(ApiRequest::agent_credentials(&LibraryAgentId::new(d), &PageRequest::default()).is_err());
            assert!(ApiRequest::start_run(&LibraryAgentId::new(d), &RunRequest::default(), None).is_err());
            assert!(ApiRequest::run(&RunId::new(d)).is_err());
            assert!(ApiRequest::stop_run(&RunId::new(d)).is_err());
            let dec = [ReviewDecision::approve(crate::live::api::ReviewId::new("n"))];
            assert!(ApiRequest::submit_reviews(&RunId::new(d), &dec).is_err());
        }
        let r = ApiRequest::stop_run(&RunId::new("../../me")).unwrap();
        assert_eq!(uri(&r), "https://backend.test/external-api/v2/runs/..%2F..%2Fme/stop");
    }
}
