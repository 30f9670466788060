//! The transport seam: one reqwest client, built once, never following redirects.

use std::time::Duration;

use http::{Request, Response};

/// Limits of the shared HTTP client.
#[derive(Clone, Debug)]
pub struct TransportSettings {
    /// TCP connect timeout.
    pub connect_timeout: Duration,
    /// Whole-request timeout.
    pub request_timeout: Duration,
    /// Largest response body read into memory.
    pub max_response_bytes: usize,
}

impl Default for TransportSettings {
    fn default() -> Self {
        Self {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            max_response_bytes: 4 * 1024 * 1024,
        }
    }
}

/// Network failure, timeout or an over-long response.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// reqwest failed (connect, TLS, timeout, I/O).
    #[error("HTTP transport failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The response body exceeded `max_response_bytes`.
    #[error("response body larger than {0} bytes")]
    TooLarge(usize),
}

/// The shared HTTP client. Cheap to clone (reqwest's client is reference-counted); build it
/// once per process. Redirects are never followed: an authorization answer's redirect is the
/// result itself, and a token endpoint that redirects must not receive our secret twice
/// (checklist 26).
#[derive(Clone, Debug)]
pub struct Transport {
    client: reqwest::Client,
    max_response_bytes: usize,
}

impl Transport {
    /// Builds the client with default settings.
    pub fn new() -> Result<Self, TransportError> {
        Self::with_settings(&TransportSettings::default())
    }

    /// Builds the client with the given settings.
    pub fn with_settings(settings: &TransportSettings) -> Result<Self, TransportError> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(settings.connect_timeout)
            .timeout(settings.request_timeout)
            .user_agent(concat!("autogpt-rs/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self { client, max_response_bytes: settings.max_response_bytes })
    }

    /// Sends one request and reads the whole (bounded) response.
    pub async fn send(&self, request: Request<Vec<u8>>) -> Result<Response<Vec<u8>>, TransportError> {
        let request = reqwest::Request::try_from(request)?;
        let mut response = self.client.execute(request).await?;
        let mut builder = Response::builder().status(response.status());
        if let Some(headers) = builder.headers_mut() {
            *headers = std::mem::take(response.headers_mut());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Err(TransportError::TooLarge(self.max_response_bytes));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(builder.body(body).expect("status and headers come from a valid response"))
    }
}
