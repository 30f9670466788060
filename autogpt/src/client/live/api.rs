//! The External API v2 client: one method per endpoint of contract §4 used by the app,
//! authenticated per call with a [`Credential`], optionally acting inside a team
//! (`X-Team-Id`). Every answer carries its [`RateLimit`] headers, on success
//! ([`ApiResponse`]) and on error ([`LiveApiError::rate_limit`]).

use std::time::Duration;

use http::StatusCode;
use serde::de::DeserializeOwned;

use super::super::transport::{Transport, TransportError};
use super::pages::{Collected, collect_pages};
use crate::ids::Provider;
use crate::live::BackendUrl;
use crate::live::api::{
    ApiRequest, ApiResponse, Credential, CredentialInfo, CredentialRequirement, ErrorCode, IdempotencyKey,
    LibraryAgent, LibraryAgentId, LibraryAgentsQuery, Me, Page, PageLimit, PageRequest, RateLimit, RequestError,
    ResponseError, Review, ReviewDecision, ReviewsQuery, ReviewsSubmitted, Run, RunId, RunRequest, RunsQuery, TeamId,
    parse_credentials_response, parse_response,
};
use crate::live::validation::ValidationIssue;

/// A failed v2 call.
#[derive(Debug, thiserror::Error)]
pub enum LiveApiError {
    /// The platform answered with an error (or a 2xx that did not parse).
    #[error(transparent)]
    Response(#[from] ResponseError),
    /// The request could not be built (an id `..`, a bad header value); nothing was sent.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// Network failure or timeout.
    #[error(transparent)]
    Transport(#[from] TransportError),
}

impl LiveApiError {
    /// The HTTP status, if the platform answered.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Self::Response(r) => Some(r.status()),
            _ => None,
        }
    }

    /// The v2 error code (from the envelope, else from the status).
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            Self::Response(r) => r.code(),
            _ => None,
        }
    }

    /// The failed response's rate-limit headers.
    pub fn rate_limit(&self) -> Option<&RateLimit> {
        match self {
            Self::Response(r) => Some(r.rate_limit()),
            _ => None,
        }
    }

    /// `Retry-After`, when sent.
    pub fn retry_after(&self) -> Option<Duration> {
        self.rate_limit().and_then(|r| r.retry_after)
    }

    /// 401: refresh the token once, then ask the user to sign in again.
    pub fn is_unauthorized(&self) -> bool {
        self.code() == Some(&ErrorCode::Unauthorized)
    }

    /// 404 (also another tenant's row).
    pub fn is_not_found(&self) -> bool {
        self.code() == Some(&ErrorCode::NotFound)
    }

    /// The 422 validation issues (with `loc`), empty otherwise.
    pub fn validation_issues(&self) -> &[ValidationIssue] {
        match self {
            Self::Response(r) => r.validation_issues(),
            _ => &[],
        }
    }
}

/// Client of External API v2 at `{backend}/external-api/v2`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct LiveApiClient {
    transport: Transport,
    backend: BackendUrl,
    team: Option<TeamId>,
}

impl LiveApiClient {
    /// A client acting org-wide.
    pub fn new(transport: Transport, backend: BackendUrl) -> Self {
        Self { transport, backend, team: None }
    }

    /// The same client acting inside `team` (`X-Team-Id` on every call).
    pub fn with_team(&self, team: TeamId) -> Self {
        Self { team: Some(team), ..self.clone() }
    }

    /// The backend URL.
    pub fn backend(&self) -> &BackendUrl {
        &self.backend
    }

    async fn raw(
        &self,
        credential: &Credential,
        request: &ApiRequest,
    ) -> Result<http::Response<Vec<u8>>, LiveApiError> {
        let req = request.to_http(&self.backend, credential, self.team.as_ref())?;
        Ok(self.transport.send(req).await?)
    }

    /// Sends any built request and parses its answer as `T`.
    pub async fn send<T: DeserializeOwned>(
        &self,
        credential: &Credential,
        request: &ApiRequest,
    ) -> Result<ApiResponse<T>, LiveApiError> {
        Ok(parse_response(&self.raw(credential, request).await?)?)
    }

    /// `GET /me` (`IDENTITY`): who the credential acts for; also checks an API key.
    pub async fn me(&self, credential: &Credential) -> Result<ApiResponse<Me>, LiveApiError> {
        self.send(credential, &ApiRequest::me()).await
    }

    /// `GET /library/agents` (`READ_LIBRARY`), one page, oldest first; schemas are empty.
    pub async fn library_agents(
        &self,
        credential: &Credential,
        query: &LibraryAgentsQuery,
    ) -> Result<ApiResponse<Page<LibraryAgent>>, LiveApiError> {
        self.send(credential, &ApiRequest::library_agents(query)).await
    }

    /// Every page of `GET /library/agents` (100 per page, at most `max_pages`).
    pub async fn all_library_agents(
        &self,
        credential: &Credential,
        query: &LibraryAgentsQuery,
        max_pages: usize,
    ) -> Result<Collected<LibraryAgent>, LiveApiError> {
        collect_pages(max_pages, |cursor| {
            let q = LibraryAgentsQuery { page: PageRequest { limit: Some(PageLimit::MAX), cursor }, ..query.clone() };
            async move { self.library_agents(credential, &q).await }
        })
        .await
    }

    /// `GET /library/agents/{agent_id}` with the full input and output schemas.
    pub async fn library_agent(
        &self,
        credential: &Credential,
        agent: &LibraryAgentId,
    ) -> Result<ApiResponse<LibraryAgent>, LiveApiError> {
        self.send(credential, &ApiRequest::library_agent(agent)?).await
    }

    /// `GET /library/agents/{agent_id}/credentials` (`READ_INTEGRATIONS`), one page.
    pub async fn agent_credentials(
        &self,
        credential: &Credential,
        agent: &LibraryAgentId,
        page: &PageRequest,
    ) -> Result<ApiResponse<Page<CredentialRequirement>>, LiveApiError> {
        self.send(credential, &ApiRequest::agent_credentials(agent, page)?).await
    }

    /// Every page of an agent's credential requirements.
    pub async fn all_agent_credentials(
        &self,
        credential: &Credential,
        agent: &LibraryAgentId,
        max_pages: usize,
    ) -> Result<Collected<CredentialRequirement>, LiveApiError> {
        collect_pages(max_pages, |cursor| {
            let page = PageRequest { limit: Some(PageLimit::MAX), cursor };
            async move { self.agent_credentials(credential, agent, &page).await }
        })
        .await
    }

    /// `POST /library/agents/{agent_id}/runs` (`RUN_AGENT`) → 202 with the run (`QUEUED`).
    /// With an `Idempotency-Key`, a retry returns the same run (a 409 `conflict` means the
    /// first request is still creating it: retry with the same key).
    pub async fn start_run(
        &self,
        credential: &Credential,
        agent: &LibraryAgentId,
        request: &RunRequest,
        idempotency_key: Option<&IdempotencyKey>,
    ) -> Result<ApiResponse<Run>, LiveApiError> {
        self.send(credential, &ApiRequest::start_run(agent, request, idempotency_key)?).await
    }

    /// `GET /runs/{run_id}` (`READ_RUN`): the run with outputs and node executions.
    pub async fn run(&self, credential: &Credential, run: &RunId) -> Result<ApiResponse<Run>, LiveApiError> {
        self.send(credential, &ApiRequest::run(run)?).await
    }

    /// `GET /runs` (`READ_RUN`), one page, newest first, without outputs.
    pub async fn runs(
        &self,
        credential: &Credential,
        query: &RunsQuery,
    ) -> Result<ApiResponse<Page<Run>>, LiveApiError> {
        self.send(credential, &ApiRequest::runs(query)?).await
    }

    /// `POST /runs/{run_id}/stop` (`WRITE_RUN`) → 202 with the run in its current status
    /// (keep polling); 409 `conflict` when it had already finished.
    pub async fn stop_run(&self, credential: &Credential, run: &RunId) -> Result<ApiResponse<Run>, LiveApiError> {
        self.send(credential, &ApiRequest::stop_run(run)?).await
    }

    /// `GET /runs/reviews` (`READ_RUN_REVIEW`), one page.
    pub async fn reviews(
        &self,
        credential: &Credential,
        query: &ReviewsQuery,
    ) -> Result<ApiResponse<Page<Review>>, LiveApiError> {
        self.send(credential, &ApiRequest::reviews(query)).await
    }

    /// `POST /runs/{run_id}/reviews` (`WRITE_RUN_REVIEW`) → 202. Answer every waiting review
    /// of the run at once.
    pub async fn submit_reviews(
        &self,
        credential: &Credential,
        run: &RunId,
        decisions: &[ReviewDecision],
    ) -> Result<ApiResponse<ReviewsSubmitted>, LiveApiError> {
        self.send(credential, &ApiRequest::submit_reviews(run, decisions)?).await
    }

    /// `GET /integrations/credentials[?provider=]` (`READ_INTEGRATIONS`), one page; the
    /// older `{"credentials": […]}` answer is read as one last page.
    pub async fn credentials(
        &self,
        credential: &Credential,
        provider: Option<&Provider>,
        page: &PageRequest,
    ) -> Result<ApiResponse<Page<CredentialInfo>>, LiveApiError> {
        let res = self.raw(credential, &ApiRequest::credentials(provider, page)).await?;
        Ok(parse_credentials_response(&res)?)
    }

    /// Every page of the user's credentials (after the setup wizard: what is new?).
    pub async fn all_credentials(
        &self,
        credential: &Credential,
        provider: Option<&Provider>,
        max_pages: usize,
    ) -> Result<Collected<CredentialInfo>, LiveApiError> {
        collect_pages(max_pages, |cursor| {
            let page = PageRequest { limit: Some(PageLimit::MAX), cursor };
            async move { self.credentials(credential, provider, &page).await }
        })
        .await
    }
}
