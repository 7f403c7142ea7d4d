//! The simulated phone's transport: the app ↔ backend contract (`docs/openapi.yaml`) over HTTPS
//! with reqwest + rustls (ring). Android and iOS apps implement the same calls in Kotlin /
//! Swift; this one lives with the tool that uses it (`smartid demo`, `smartid load`, the
//! end-to-end tests), so that no library layer carries an HTTP client it does not need.
//!
//! TLS works like the RP API client's ([`sidkit_client`]): only the configured CA certificates
//! are trusted (no system store), optionally pinned to SPKI hashes. Plain `http` is accepted
//! for loopback hosts only (local development against `smartid serve`).
//!
//! [`Flow`](sidkit_app::Flow) stays sans-IO; the caller passes what `begin_start`,
//! `accept_return_url`, `begin_poll` and `cancel` return to the transport, with the flow's
//! [`FlowKey`] for every call after the start (sent as `Sidkit-Flow-Key`), and feeds the
//! answers back (`on_start_response`, `on_complete_response`, ...). Every answer's
//! `Sidkit-Contract` header is checked: a backend of another major version is
//! [`TransportError::ContractVersion`].

use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};

use sidkit_client::SpkiPin;
use sidkit_client::{ClientError, Result};
use sidkit_contract::{
    check_contract_version, CancelFlowRequest, CompleteFlowRequest, ErrorBody, FlowKey,
    FlowOutcome, PollFlowRequest, PollFlowResponse, StartFlowRequest, StartFlowResponse,
    CONTRACT_VERSION_HEADER, FLOW_KEY_HEADER,
};
use sidkit_proto::env::BaseUrlScheme;

/// Longest response body read.
const MAX_RESPONSE: usize = 256 * 1024;

/// Why a transport call failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TransportError {
    /// The backend answered with a contract error (RFC 9457 problem).
    #[error("backend error {status}: {problem}")]
    Backend {
        /// HTTP status.
        status: u16,
        /// The problem details (code, detail, retryable).
        problem: ErrorBody,
    },
    /// The backend could not be reached or did not answer in time.
    #[error("backend unreachable ({}): {reason}", if *retryable { "retryable" } else { "fatal" })]
    Network {
        /// Whether repeating the call may succeed.
        retryable: bool,
        /// What failed (never the URL's secrets; the URL has none).
        reason: String,
    },
    /// The answer is not what the contract says.
    #[error("invalid backend answer: {0}")]
    BadResponse(String),
    /// The backend speaks another major version of the contract (its `Sidkit-Contract`
    /// header is missing or names another version).
    #[error("{0}")]
    ContractVersion(String),
}

impl TransportError {
    /// Whether repeating the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            TransportError::Backend { problem, .. } => problem.retryable,
            TransportError::Network { retryable, .. } => *retryable,
            TransportError::BadResponse(_) | TransportError::ContractVersion(_) => false,
        }
    }
}

/// The app's connection to its backend, one method per contract call. [`HttpTransport`] is
/// the default; tests can substitute their own.
#[async_trait::async_trait]
pub trait BackendTransport: Send + Sync {
    /// `POST /flows`.
    async fn start_flow(
        &self,
        request: &StartFlowRequest,
    ) -> std::result::Result<StartFlowResponse, TransportError>;
    /// `POST /flows/{flowHandle}/complete` with the flow key.
    async fn complete_flow(
        &self,
        request: &CompleteFlowRequest,
        key: &FlowKey,
    ) -> std::result::Result<FlowOutcome, TransportError>;
    /// `GET /flows/{flowHandle}` with the flow key.
    async fn poll_flow(
        &self,
        request: &PollFlowRequest,
        key: &FlowKey,
    ) -> std::result::Result<PollFlowResponse, TransportError>;
    /// `DELETE /flows/{flowHandle}` with the flow key.
    async fn cancel_flow(
        &self,
        request: &CancelFlowRequest,
        key: &FlowKey,
    ) -> std::result::Result<(), TransportError>;
}

/// Settings of an [`HttpTransport`].
#[derive(Debug, Clone)]
pub struct HttpTransportConfig {
    /// The backend's contract base URL, e.g. `https://rp.example.com/smart-id/` (the
    /// `flows` paths are appended).
    pub base_url: String,
    /// CA certificates (PEM) that may issue the backend's certificate. Required for `https`.
    pub ca_pem: Vec<String>,
    /// SHA-256 SPKI pins of the backend's key (current and next); empty = no pinning.
    pub spki_pins: Vec<SpkiPin>,
    /// Timeout of each call (default 40 s: a completion waits for Smart-ID).
    pub timeout: Duration,
}

impl HttpTransportConfig {
    /// Settings for `base_url` with default timeouts and no CA.
    pub fn new(base_url: impl Into<String>) -> Self {
        HttpTransportConfig {
            base_url: base_url.into(),
            ca_pem: Vec::new(),
            spki_pins: Vec::new(),
            timeout: Duration::from_secs(40),
        }
    }
}

/// [`BackendTransport`] over HTTP(S) with reqwest + rustls.
#[derive(Debug, Clone)]
pub struct HttpTransport {
    http: reqwest::Client,
    base: String,
}

impl HttpTransport {
    /// A transport for `config`; no network traffic happens here. The base URL is checked by
    /// [`sidkit_client::check_base_url`]: `https`, or plain `http` only when the parsed host is
    /// a loopback host, no user info, no query or fragment.
    pub fn new(config: HttpTransportConfig) -> Result<Self> {
        let mut base = config.base_url.clone();
        if !base.ends_with('/') {
            base.push('/');
        }
        let scheme = sidkit_client::check_base_url(&base)?;
        let mut builder = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .http1_only();
        match scheme {
            BaseUrlScheme::Https => {
                let pems: Vec<Vec<u8>> = config
                    .ca_pem
                    .iter()
                    .map(|p| p.as_bytes().to_vec())
                    .collect();
                let tls = sidkit_client::pinned_tls_config(&pems, config.spki_pins.clone())?;
                builder = builder.use_preconfigured_tls(tls).https_only(true);
            }
            BaseUrlScheme::LoopbackHttp => {}
        }
        let http = builder.build().map_err(|e| {
            ClientError::invalid("httpTransport", format!("cannot build client: {e}"))
        })?;
        Ok(HttpTransport { http, base })
    }

    /// The base URL (ends with `/`).
    pub fn base_url(&self) -> &str {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn send(
        &self,
        req: reqwest::RequestBuilder,
    ) -> std::result::Result<(u16, Vec<u8>), TransportError> {
        let resp = req
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .send()
            .await
            .map_err(|e| TransportError::Network {
                // Every contract call is idempotent (a start by its Idempotency-Key, a
                // completion by its return URL), so a connection lost after the request went
                // out is retryable like one that never connected (the Android and iOS
                // transports agree). Only a request that cannot be built or redirects is not.
                retryable: !e.is_builder() && !e.is_redirect(),
                reason: e.without_url().to_string(),
            })?;
        let status = resp.status().as_u16();
        let version = resp
            .headers()
            .get(CONTRACT_VERSION_HEADER)
            .and_then(|v| v.to_str().ok());
        check_contract_version(version)
            .map_err(|e| TransportError::ContractVersion(e.to_string()))?;
        if resp
            .content_length()
            .is_some_and(|l| l > MAX_RESPONSE as u64)
        {
            return Err(TransportError::BadResponse("response too large".into()));
        }
        let body = resp.bytes().await.map_err(|e| TransportError::Network {
            retryable: true,
            reason: e.without_url().to_string(),
        })?;
        if body.len() > MAX_RESPONSE {
            return Err(TransportError::BadResponse("response too large".into()));
        }
        if status >= 400 {
            let problem = serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .filter(|p| p.validate().is_ok())
                .unwrap_or_else(|| {
                    let code = format!("http_{status}");
                    let mut p = ErrorBody::new(&code, "the error body is not a contract problem");
                    p.status = Some(status);
                    p.retryable = matches!(status, 429 | 502 | 503 | 504);
                    p
                });
            return Err(TransportError::Backend { status, problem });
        }
        Ok((status, body.to_vec()))
    }

    fn decode<T: serde::de::DeserializeOwned>(
        what: &str,
        body: &[u8],
    ) -> std::result::Result<T, TransportError> {
        serde_json::from_slice(body)
            .map_err(|e| TransportError::BadResponse(format!("{what}: {e}")))
    }

    fn check_handle(h: &str) -> std::result::Result<(), TransportError> {
        sidkit_contract::validate_flow_handle(h)
            .map_err(|e| TransportError::BadResponse(e.to_string()))
    }
}

#[async_trait::async_trait]
impl BackendTransport for HttpTransport {
    async fn start_flow(
        &self,
        request: &StartFlowRequest,
    ) -> std::result::Result<StartFlowResponse, TransportError> {
        let body =
            serde_json::to_vec(request).map_err(|e| TransportError::BadResponse(e.to_string()))?;
        let (status, body) = self
            .send(
                self.http
                    .post(self.url("flows"))
                    .header(CONTENT_TYPE, "application/json")
                    .header("Idempotency-Key", request.idempotency_key.as_str())
                    .body(body),
            )
            .await?;
        if status != 201 && status != 200 {
            return Err(TransportError::BadResponse(format!(
                "start answered {status}"
            )));
        }
        Self::decode("start-flow response", &body)
    }

    async fn complete_flow(
        &self,
        request: &CompleteFlowRequest,
        key: &FlowKey,
    ) -> std::result::Result<FlowOutcome, TransportError> {
        Self::check_handle(&request.flow_handle)?;
        let body =
            serde_json::to_vec(request).map_err(|e| TransportError::BadResponse(e.to_string()))?;
        let (_, body) = self
            .send(
                self.http
                    .post(self.url(&format!("flows/{}/complete", request.flow_handle)))
                    .header(CONTENT_TYPE, "application/json")
                    .header(FLOW_KEY_HEADER, key.expose())
                    .body(body),
            )
            .await?;
        Self::decode("flow outcome", &body)
    }

    async fn poll_flow(
        &self,
        request: &PollFlowRequest,
        key: &FlowKey,
    ) -> std::result::Result<PollFlowResponse, TransportError> {
        Self::check_handle(&request.flow_handle)?;
        let (_, body) = self
            .send(
                self.http
                    .get(self.url(&format!("flows/{}", request.flow_handle)))
                    .header(FLOW_KEY_HEADER, key.expose()),
            )
            .await?;
        Self::decode("poll response", &body)
    }

    async fn cancel_flow(
        &self,
        request: &CancelFlowRequest,
        key: &FlowKey,
    ) -> std::result::Result<(), TransportError> {
        Self::check_handle(&request.flow_handle)?;
        self.send(
            self.http
                .delete(self.url(&format!("flows/{}", request.flow_handle)))
                .header(FLOW_KEY_HEADER, key.expose()),
        )
        .await
        .map(|_| ())
    }
}
