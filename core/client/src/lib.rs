//! # sidkit-client
//!
//! An async client for the Smart-ID RP API v3 over HTTPS, for RP backends.
//!
//! * Every endpoint of spec §2 and `GET session/{id}?timeoutMs=` as an async method of
//!   [`SmartIdClient`]; each request body is validated before anything is sent.
//! * A [`Poller`] with an overall deadline, jittered exponential backoff and cancellation, that
//!   costs at most `ceil(user time / long-poll timeout) + 1` status requests per session.
//! * rustls (ring provider) with an explicit root store and SPKI pinning of the RP API host,
//!   configured at runtime ([`ClientConfig`], from code, a JSON file or environment variables).
//! * One connection pool per client (HTTP/1.1 keep-alive), connect and request timeouts, no
//!   redirects, a cap on response sizes.
//! * Errors are [`ClientError::Api`] with an [`ApiFailure`]; a session that ends with anything but
//!   `OK` is [`ClientError::SessionEnded`].
//!
//! ```no_run
//! # async fn demo() -> sidkit_client::Result<()> {
//! use sidkit_client::{ClientConfig, PollOptions, SmartIdClient};
//! use sidkit_proto::env::{Environment, RelyingParty};
//! use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
//! use sidkit_proto::models::Subject;
//! use sidkit_proto::request::AuthenticationRequestBuilder;
//!
//! let client = SmartIdClient::new(ClientConfig::from_env()?)?;
//! let request = AuthenticationRequestBuilder::new(&RelyingParty::demo())
//!     .interactions(Interactions::new(
//!         InteractionFlow::DeviceLink,
//!         vec![Interaction::display_text_and_pin("Log in to Example Bank")?],
//!     )?)
//!     .build_device_link()?;
//! let session = client
//!     .create_device_link_authentication(&Subject::Anonymous, &request)
//!     .await?;
//! let mut qr = session.qr_ticker()?; // one fresh QR link per second
//! # let _ = &mut qr;
//! let status = client
//!     .poll_until_complete(session.session_id(), &PollOptions::default())
//!     .await?;
//! # let _ = status;
//! # Ok(()) }
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod api;
mod config;
mod error;
pub mod mock;
mod poll;
pub(crate) mod tls;

use std::time::Duration;

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use serde::de::DeserializeOwned;
use serde::Serialize;

pub use api::ApiFailure;
pub use config::{check_base_url, ClientConfig, ClientConfigFile, EnvironmentSetting, TlsConfig};
pub use error::{ClientError, Result};
pub use poll::{CancelHandle, PollOptions, Poller, MAX_LONG_POLL, MIN_LONG_POLL};
pub use tls::{pinned_tls_config, SpkiPin, PIN_PREFIX};

use crate::api::Endpoint;
use sidkit_proto::device_link::{DeviceLinkParams, DeviceLinkSigner, QrTicker, SessionType};
use sidkit_proto::env::Environment;
use sidkit_proto::ident::{DocumentNumber, SemanticsIdentifier};
use sidkit_proto::models::{
    CertificateByDocumentNumberRequest, CertificateByDocumentNumberResponse,
    DeviceLinkAuthenticationRequest, DeviceLinkCertificateChoiceRequest, DeviceLinkSessionResponse,
    DeviceLinkSignatureRequest, EndResult, LinkedNotificationSignatureRequest,
    NotificationAuthenticationRequest, NotificationCertificateChoiceRequest,
    NotificationSessionResponse, NotificationSignatureRequest, ResponseCertificate, SessionStatus,
    Subject,
};
use sidkit_proto::{ProtoError, SessionEnded};

/// The RP API v3 client. Cheap to clone (the connection pool is shared); create one per
/// environment and keep it for the life of the process.
#[derive(Debug, Clone)]
pub struct SmartIdClient {
    http: reqwest::Client,
    environment: Environment,
    request_timeout: Duration,
    long_poll_grace: Duration,
    max_response_bytes: usize,
}

/// A device-link session just created: the response (with its secret), the moment it was
/// received (the origin of the QR code's `elapsedSeconds`), and everything needed to build its
/// device links byte-for-byte as sent.
#[derive(Debug, Clone)]
pub struct DeviceLinkSession {
    /// The response: `sessionID`, `sessionToken`, `sessionSecret`, `deviceLinkBase`.
    pub response: DeviceLinkSessionResponse,
    /// When the response was received.
    pub received_at: std::time::Instant,
    /// The authCode inputs of this session (language `eng`; change `params.lang` if needed).
    pub params: DeviceLinkParams,
}

impl DeviceLinkSession {
    /// The `sessionID` (for polling; never give it to the app or browser).
    pub fn session_id(&self) -> &str {
        &self.response.session_id
    }

    /// A signer for this session's device links.
    pub fn signer(&self) -> Result<DeviceLinkSigner> {
        Ok(DeviceLinkSigner::new(
            &self.params,
            &self.response.session_secret,
        )?)
    }

    /// A dynamic-QR ticker whose `elapsedSeconds` count from [`received_at`](Self::received_at).
    pub fn qr_ticker(&self) -> Result<QrTicker> {
        Ok(QrTicker::new(self.signer()?, self.received_at))
    }
}

fn subject_for_notification(subject: &Subject, what: &str) -> Result<String> {
    match subject {
        Subject::Anonymous => Err(ClientError::invalid(
            "subject",
            format!("{what} needs a known person (etsi) or account (document), not anonymous"),
        )),
        other => Ok(other.path_suffix()),
    }
}

fn base_params(
    environment: &Environment,
    response: &DeviceLinkSessionResponse,
    session_type: SessionType,
    rp_challenge_or_digest: String,
    relying_party_name: &str,
    interactions: String,
    initial_callback_url: Option<&sidkit_proto::secret::InitialCallbackUrl>,
) -> DeviceLinkParams {
    DeviceLinkParams {
        scheme_name: environment.scheme_name,
        device_link_base: response.device_link_base.clone(),
        session_token: response.session_token.clone(),
        session_type,
        rp_challenge_or_digest,
        relying_party_name: relying_party_name.to_owned(),
        brokered_rp_name: None,
        interactions,
        initial_callback_url: initial_callback_url.cloned(),
        lang: "eng".to_owned(),
    }
}

impl SmartIdClient {
    /// Builds a client: validates `config`, reads the CA files, and prepares TLS and the
    /// connection pool. No network traffic happens here.
    pub fn new(config: ClientConfig) -> Result<Self> {
        config.validate()?;
        let mut builder = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .pool_idle_timeout(config.pool_idle_timeout)
            .pool_max_idle_per_host(config.pool_max_idle_per_host)
            .tcp_keepalive(Duration::from_secs(30))
            .tcp_nodelay(true)
            .http1_only()
            .redirect(reqwest::redirect::Policy::none())
            .referer(false)
            .user_agent(config.user_agent.clone());
        builder =
            match &config.proxy {
                Some(p) => builder.proxy(reqwest::Proxy::all(p).map_err(|e| {
                    ClientError::invalid("proxy", format!("invalid proxy URL: {e}"))
                })?),
                None => builder.no_proxy(),
            };
        if config.is_plain_http() {
            builder = builder.https_only(false);
        } else {
            let roots = tls::root_store(&config.ca_pems()?)?;
            let tls = tls::rustls_config(roots, config.tls.spki_pins.clone())?;
            builder = builder.use_preconfigured_tls(tls).https_only(true);
        }
        let http = builder.build().map_err(|e| {
            ClientError::invalid("clientConfig", format!("cannot build client: {e}"))
        })?;
        Ok(SmartIdClient {
            http,
            environment: config.environment,
            request_timeout: config.request_timeout,
            long_poll_grace: config.long_poll_grace,
            max_response_bytes: config.max_response_bytes,
        })
    }

    /// The environment this client talks to.
    pub fn environment(&self) -> &Environment {
        &self.environment
    }

    // ---- authentication ------------------------------------------------------------------

    /// `POST authentication/device-link/{anonymous | etsi/… | document/…}` (A1–A3).
    pub async fn create_device_link_authentication(
        &self,
        subject: &Subject,
        request: &DeviceLinkAuthenticationRequest,
    ) -> Result<DeviceLinkSession> {
        request.validate()?;
        let path = format!("authentication/device-link/{}", subject.path_suffix());
        let (response, received_at) = self.create_device_link(&path, request).await?;
        let params = base_params(
            &self.environment,
            &response,
            SessionType::Auth,
            request
                .signature_protocol_parameters
                .rp_challenge
                .expose_base64()
                .to_owned(),
            &request.relying_party_name,
            request.interactions.as_base64().to_owned(),
            request.initial_callback_url.as_ref(),
        );
        Ok(DeviceLinkSession {
            response,
            received_at,
            params,
        })
    }

    /// `POST authentication/notification/{etsi/… | document/…}` (A4, A5). Show the user the
    /// verification code computed from the rpChallenge ([`sidkit_proto::vc`]).
    pub async fn create_notification_authentication(
        &self,
        subject: &Subject,
        request: &NotificationAuthenticationRequest,
    ) -> Result<NotificationSessionResponse> {
        request.validate()?;
        let path = format!(
            "authentication/notification/{}",
            subject_for_notification(subject, "notification authentication")?
        );
        self.create_notification(&path, request).await
    }

    // ---- signature -----------------------------------------------------------------------

    /// `POST signature/device-link/{etsi/… | document/…}` (S1, S2). There is no anonymous
    /// device-link signature.
    pub async fn create_device_link_signature(
        &self,
        subject: &Subject,
        request: &DeviceLinkSignatureRequest,
    ) -> Result<DeviceLinkSession> {
        request.validate()?;
        let path = format!(
            "signature/device-link/{}",
            subject_for_notification(subject, "device-link signature")?
        );
        let (response, received_at) = self.create_device_link(&path, request).await?;
        let params = base_params(
            &self.environment,
            &response,
            SessionType::Sign,
            request.signature_protocol_parameters.digest.clone(),
            &request.relying_party_name,
            request.interactions.as_base64().to_owned(),
            request.initial_callback_url.as_ref(),
        );
        Ok(DeviceLinkSession {
            response,
            received_at,
            params,
        })
    }

    /// `POST signature/notification/{etsi/… | document/…}` (S3, S4). Show the user the
    /// returned `vc.value`.
    pub async fn create_notification_signature(
        &self,
        subject: &Subject,
        request: &NotificationSignatureRequest,
    ) -> Result<NotificationSessionResponse> {
        request.validate()?;
        let path = format!(
            "signature/notification/{}",
            subject_for_notification(subject, "notification signature")?
        );
        let r = self.create_notification(&path, request).await?;
        if r.vc.is_none() {
            return Err(malformed(
                200,
                "notification signature response without `vc`",
            ));
        }
        Ok(r)
    }

    /// `POST signature/notification/linked/{document-number}` (S5), linked to the device-link
    /// certificate choice `request.linked_session_id`.
    pub async fn create_linked_notification_signature(
        &self,
        document: &DocumentNumber,
        request: &LinkedNotificationSignatureRequest,
    ) -> Result<NotificationSessionResponse> {
        request.validate()?;
        let path = format!("signature/notification/linked/{document}");
        self.create_notification(&path, request).await
    }

    // ---- certificates --------------------------------------------------------------------

    /// `POST signature/certificate-choice/device-link/anonymous` (C2).
    pub async fn create_device_link_certificate_choice(
        &self,
        request: &DeviceLinkCertificateChoiceRequest,
    ) -> Result<DeviceLinkSession> {
        request.validate()?;
        let path = "signature/certificate-choice/device-link/anonymous";
        let (response, received_at) = self.create_device_link(path, request).await?;
        let params = base_params(
            &self.environment,
            &response,
            SessionType::Cert,
            String::new(),
            &request.relying_party_name,
            String::new(),
            request.initial_callback_url.as_ref(),
        );
        Ok(DeviceLinkSession {
            response,
            received_at,
            params,
        })
    }

    /// `POST signature/certificate-choice/notification/etsi/{…}` (C3).
    pub async fn create_notification_certificate_choice(
        &self,
        identity: &SemanticsIdentifier,
        request: &NotificationCertificateChoiceRequest,
    ) -> Result<NotificationSessionResponse> {
        request.validate()?;
        let path = format!("signature/certificate-choice/notification/etsi/{identity}");
        self.create_notification(&path, request).await
    }

    /// `POST signature/certificate/{document-number}` (C1): the signing certificate, without
    /// user interaction. `state` `DOCUMENT_UNUSABLE` (or any other non-`OK` state) is returned
    /// as [`ClientError::SessionEnded`].
    pub async fn certificate_by_document_number(
        &self,
        document: &DocumentNumber,
        request: &CertificateByDocumentNumberRequest,
    ) -> Result<ResponseCertificate> {
        request.validate()?;
        let path = format!("signature/certificate/{document}");
        let r: CertificateByDocumentNumberResponse = self
            .post(&path, request, Endpoint::CertificateByDocumentNumber)
            .await?;
        match (r.state.as_str(), r.cert) {
            ("OK", Some(cert)) => Ok(cert),
            ("OK", None) => Err(malformed(200, "state OK without `cert`")),
            (state, _) => Err(ClientError::SessionEnded(SessionEnded {
                end_result: EndResult::parse(state),
                interaction: None,
            })),
        }
    }

    // ---- status --------------------------------------------------------------------------

    /// `GET session/{sessionID}?timeoutMs=…`: one long poll. `timeout` must be 1–120 s (whole
    /// milliseconds are sent). Returns `RUNNING` or `COMPLETE` as received; use a [`Poller`] to
    /// wait for completion.
    pub async fn session_status(
        &self,
        session_id: &str,
        timeout: Duration,
    ) -> Result<SessionStatus> {
        sidkit_proto::validate::uuid("sessionID", session_id)?;
        if !(MIN_LONG_POLL..=MAX_LONG_POLL).contains(&timeout) {
            return Err(ClientError::invalid(
                "timeoutMs",
                "must be between 1000 and 120000 milliseconds",
            ));
        }
        let url = format!(
            "{}session/{session_id}?timeoutMs={}",
            self.environment.base_url,
            timeout.as_millis()
        );
        let req = self
            .http
            .get(url)
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(timeout + self.long_poll_grace);
        self.execute(req, Endpoint::SessionStatus).await
    }

    /// A poller for `session_id`; see [`Poller::run`].
    pub fn poller(&self, session_id: impl Into<String>, options: PollOptions) -> Poller<'_> {
        Poller::new(self, session_id.into(), options)
    }

    /// Polls `session_id` until it completes: `Ok` for `endResult` `OK`,
    /// [`ClientError::SessionEnded`] for any other end result. See [`Poller::run`].
    pub async fn poll_until_complete(
        &self,
        session_id: &str,
        options: &PollOptions,
    ) -> Result<SessionStatus> {
        self.poller(session_id, options.clone()).run().await
    }

    // ---- plumbing ------------------------------------------------------------------------

    async fn create_device_link<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(DeviceLinkSessionResponse, std::time::Instant)> {
        let r: DeviceLinkSessionResponse = self.post(path, body, Endpoint::CreateSession).await?;
        let received_at = std::time::Instant::now();
        r.validate()
            .map_err(|e| malformed(200, format!("session response: {}", reason_of(&e))))?;
        tracing::info!(
            session = %sidkit_proto::secret::log_tag(&r.session_id),
            kind = session_kind(path),
            "Smart-ID device-link session created"
        );
        Ok((r, received_at))
    }

    async fn create_notification<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<NotificationSessionResponse> {
        let r: NotificationSessionResponse = self.post(path, body, Endpoint::CreateSession).await?;
        sidkit_proto::validate::uuid("sessionID", &r.session_id)
            .map_err(|e| malformed(200, reason_of(&e)))?;
        tracing::info!(
            session = %sidkit_proto::secret::log_tag(&r.session_id),
            kind = session_kind(path),
            "Smart-ID notification session created"
        );
        Ok(r)
    }

    async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
        endpoint: Endpoint,
    ) -> Result<T> {
        let bytes = serde_json::to_vec(body)
            .map_err(|e| ClientError::invalid("request", format!("cannot serialise: {e}")))?;
        let req = self
            .http
            .post(format!("{}{path}", self.environment.base_url))
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(self.request_timeout)
            .body(bytes);
        self.execute(req, endpoint).await
    }

    async fn execute<T: DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        endpoint: Endpoint,
    ) -> Result<T> {
        let started = std::time::Instant::now();
        let mut resp = match req.send().await {
            Ok(r) => r,
            Err(e) => {
                let e = tls::classify(e);
                // The code only: a transport error's text may hold the URL (a sessionID).
                tracing::warn!(
                    endpoint = endpoint.as_str(),
                    error = e.code(),
                    "Smart-ID RP API request failed"
                );
                metrics::counter!("sidkit_smartid_requests_total", "endpoint" => endpoint.as_str(), "status" => "error").increment(1);
                return Err(e.into());
            }
        };
        let status = resp.status().as_u16();
        let elapsed = started.elapsed();
        tracing::debug!(
            endpoint = endpoint.as_str(),
            status,
            elapsed_ms = elapsed.as_millis() as u64,
            "Smart-ID RP API response"
        );
        metrics::counter!("sidkit_smartid_requests_total", "endpoint" => endpoint.as_str(), "status" => status_class(status)).increment(1);
        metrics::histogram!("sidkit_smartid_request_seconds", "endpoint" => endpoint.as_str())
            .record(elapsed.as_secs_f64());
        let max = self.max_response_bytes;
        if resp.content_length().is_some_and(|n| n > max as u64) {
            return Err(malformed(status, format!("body larger than {max} bytes")));
        }
        let mut body = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(tls::classify)? {
            if body.len() + chunk.len() > max {
                return Err(malformed(status, format!("body larger than {max} bytes")));
            }
            body.extend_from_slice(&chunk);
        }
        if !(200..300).contains(&status) {
            return Err(ApiFailure::from_response(endpoint, status, &body).into());
        }
        serde_json::from_slice(&body).map_err(|e| malformed(status, format!("invalid JSON: {e}")))
    }
}

/// The endpoint family of a session-creating path without its subject (which names a person):
/// `authentication/device-link`, `signature/notification`, ...
fn session_kind(path: &str) -> &'static str {
    const KINDS: [&str; 7] = [
        "authentication/device-link",
        "authentication/notification",
        "signature/device-link",
        "signature/notification/linked",
        "signature/notification",
        "signature/certificate-choice/device-link",
        "signature/certificate-choice/notification",
    ];
    KINDS
        .iter()
        .find(|k| path.starts_with(*k))
        .copied()
        .unwrap_or("other")
}

/// `2xx`, `4xx`, ... for metrics labels (bounded cardinality).
fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    }
}

fn malformed(status: u16, reason: impl Into<String>) -> ClientError {
    ApiFailure::MalformedResponse {
        status,
        reason: reason.into(),
    }
    .into()
}

fn reason_of(e: &ProtoError) -> String {
    format!("{}: {}", e.field(), e.reason())
}

#[cfg(test)]
mod tests;
