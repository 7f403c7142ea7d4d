//! Failures of RP API calls: HTTP status codes and RFC 9457 problem details (spec §10),
//! transport and TLS trouble, and the poller's own stops.
//!
//! This module is sans-IO and always compiled: [`ApiFailure::from_response`] maps a status
//! code and a response body to a typed failure, so that any transport (the HTTPS client of the
//! `client` feature, or an RP's own HTTP stack) reports errors the same way. Every variant says
//! whether a retry may help ([`ApiFailure::retryable`]) and has a stable code
//! ([`ApiFailure::code`]).
//!
//! # One message for every account error
//!
//! The RP API answers "this person has no (suitable) Smart-ID account" in several ways: `404`
//! on an `etsi`/`anonymous` or `document` endpoint (with `errors[].code`
//! `NO_SUITABLE_ACCOUNT_FOUND` or none), and, on servers older than 3.2.0, `471` (no account of
//! the requested type) or `472` (the person should check the Smart-ID app or portal). All of
//! them become [`ApiFailure::NoSuitableAccount`], with one code
//! (`api_no_suitable_account`) and one [`user_message`](ApiFailure::user_message). To hinder
//! user enumeration (spec §10) an RP must show the same message for all of them; the original
//! status and detail stay in [`ApiProblem`] for logs only. Do not branch the UI on them.

use std::fmt;

use sidkit_proto::models::ProblemDetails;

/// The kind of RP API call, which decides what a `404` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Endpoint {
    /// A session-creating `POST` (authentication, signature, certificate choice).
    CreateSession,
    /// `POST signature/certificate/{document-number}`.
    CertificateByDocumentNumber,
    /// `GET session/{sessionID}`.
    SessionStatus,
    /// `POST /mock/device-link` (the DEMO Mock Service).
    MockDevice,
}

impl Endpoint {
    /// A label for logs and metrics: `create_session`, `certificate`, `session_status`,
    /// `mock_device`.
    pub fn as_str(self) -> &'static str {
        match self {
            Endpoint::CreateSession => "create_session",
            Endpoint::CertificateByDocumentNumber => "certificate",
            Endpoint::SessionStatus => "session_status",
            Endpoint::MockDevice => "mock_device",
        }
    }
}

/// What the server said about a failed request: the HTTP status and the RFC 9457 fields
/// that help in logs. Never contains request secrets; `detail` is the server's own text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ApiProblem {
    /// The HTTP status code.
    pub status: u16,
    /// `title` of the problem details, if the body had one.
    pub title: Option<String>,
    /// `detail` of the problem details, if the body had one.
    pub detail: Option<String>,
    /// `errors[].code` values (e.g. `NO_SUITABLE_ACCOUNT_FOUND`), in order.
    pub codes: Vec<String>,
    /// `errors[].paramName` / `errors[].pointer` of field-level errors, in order.
    pub params: Vec<String>,
}

/// Longest `title`/`detail`/code kept from a problem body (a defence against huge or hostile
/// error bodies ending up in logs).
const MAX_PROBLEM_TEXT: usize = 512;
/// Most `errors[]` entries kept.
const MAX_PROBLEM_ERRORS: usize = 16;

fn clip(s: &str) -> String {
    let mut out: String = s
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_PROBLEM_TEXT)
        .collect();
    if s.chars().count() > MAX_PROBLEM_TEXT {
        out.push('…');
    }
    out
}

impl ApiProblem {
    /// A problem with only a status (the body was empty or not problem JSON).
    pub fn status_only(status: u16) -> Self {
        ApiProblem {
            status,
            ..Default::default()
        }
    }

    /// Reads an RFC 9457 body. A body that is not problem JSON (an HTML page of a proxy, an
    /// empty body) gives a problem with the status alone; its content is not copied.
    pub fn from_body(status: u16, body: &[u8]) -> Self {
        match serde_json::from_slice::<ProblemDetails>(body) {
            Ok(p) => Self::from_details(status, &p),
            Err(_) => Self::status_only(status),
        }
    }

    /// Converts parsed problem details; `status` is the HTTP status of the response (which
    /// wins over the body's `status` field).
    pub fn from_details(status: u16, p: &ProblemDetails) -> Self {
        let errors = p.errors.as_deref().unwrap_or_default();
        ApiProblem {
            status,
            title: p.title.as_deref().map(clip),
            detail: p.detail.as_deref().map(clip),
            codes: errors
                .iter()
                .filter_map(|e| e.code.as_deref())
                .take(MAX_PROBLEM_ERRORS)
                .map(clip)
                .collect(),
            params: errors
                .iter()
                .filter_map(|e| e.param_name.as_deref().or(e.pointer.as_deref()))
                .take(MAX_PROBLEM_ERRORS)
                .map(clip)
                .collect(),
        }
    }
}

impl fmt::Display for ApiProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(t) = &self.title {
            write!(f, " {t}")?;
        }
        if let Some(d) = &self.detail {
            write!(f, ": {d}")?;
        }
        if !self.codes.is_empty() {
            write!(f, " [{}]", self.codes.join(", "))?;
        }
        if !self.params.is_empty() {
            write!(f, " (fields: {})", self.params.join(", "))?;
        }
        Ok(())
    }
}

/// What went wrong below HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TransportKind {
    /// The TCP connection could not be established (refused, unreachable, DNS).
    Connect,
    /// The connect or request timeout elapsed.
    Timeout,
    /// The connection broke or was closed before a complete response arrived.
    Connection,
    /// Anything else (proxy errors, a body that could not be read, …).
    Other,
}

impl TransportKind {
    fn as_str(self) -> &'static str {
        match self {
            TransportKind::Connect => "connect",
            TransportKind::Timeout => "timeout",
            TransportKind::Connection => "connection",
            TransportKind::Other => "other",
        }
    }
}

/// Why a TLS connection to the RP API was refused. None of these is retryable: they mean a
/// configuration problem or an attack.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TlsFailure {
    /// The server's certificate chains to a configured root, but its public key matches none
    /// of the configured SPKI pins.
    PinMismatch {
        /// `sha256//…` of the key the server presented (for the operator's log: it tells which
        /// pin to add after a planned key rotation, after checking it out of band).
        presented: String,
    },
    /// The certificate is not valid for the host: unknown issuer, expired, wrong name, bad
    /// signature, revoked.
    InvalidCertificate(String),
    /// Any other handshake failure (protocol version, cipher suites, alerts).
    Handshake(String),
}

impl fmt::Display for TlsFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TlsFailure::PinMismatch { presented } => write!(
                f,
                "the server's public key {presented} matches none of the configured pins"
            ),
            TlsFailure::InvalidCertificate(why) => write!(f, "invalid server certificate: {why}"),
            TlsFailure::Handshake(why) => write!(f, "TLS handshake failed: {why}"),
        }
    }
}

/// A failed RP API call: the payload of [`ClientError::Api`](crate::ClientError::Api).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApiFailure {
    /// `400`: the request is invalid (a bug on the RP side). Do not retry unchanged.
    BadRequest(ApiProblem),
    /// `401`: this `relyingPartyUUID` is not authorised from this IP address (configuration).
    Unauthorized(ApiProblem),
    /// `403`: the relying party lacks a permission (ADVANCED accounts, a capability,
    /// `shareMdClientIpAddress`, the endpoint) — configuration.
    Forbidden(ApiProblem),
    /// `404` on a session-creating or certificate endpoint, or legacy `471`/`472`: the person
    /// has no suitable Smart-ID account. Show one generic message for all of them (see the
    /// module documentation).
    NoSuitableAccount(ApiProblem),
    /// `404` on `GET session/{id}`: the session does not exist or has expired. Stop polling
    /// and start a new flow.
    SessionNotFound(ApiProblem),
    /// `480`: this client version is too old for the RP API; upgrade.
    ClientTooOld(ApiProblem),
    /// `580`: Smart-ID is under maintenance; retry later.
    Maintenance(ApiProblem),
    /// Another `5xx`: a server error; retry with backoff.
    ServerError(ApiProblem),
    /// Any other non-success status (`3xx`, `405`, `408`, `429`, …).
    UnexpectedStatus(ApiProblem),
    /// The request did not get a complete HTTP response.
    Transport {
        /// What failed.
        kind: TransportKind,
        /// Diagnostic text (without the request URL).
        message: String,
    },
    /// The TLS connection was refused (certificate, pin or handshake).
    Tls(TlsFailure),
    /// A success status with a body that is not the expected JSON, or violates the spec
    /// (e.g. a `sessionID` that is not a UUID, a `deviceLinkBase` that is not `https`).
    MalformedResponse {
        /// The HTTP status of the response.
        status: u16,
        /// What was wrong (never contains secrets from the body).
        reason: String,
    },
    /// The poller's overall deadline passed before the session completed.
    DeadlineExceeded,
    /// The poller was cancelled through its cancel handle.
    Cancelled,
}

impl ApiFailure {
    /// Maps a non-success response of `endpoint` to a failure, reading the RFC 9457 body.
    pub fn from_response(endpoint: Endpoint, status: u16, body: &[u8]) -> Self {
        Self::from_problem(endpoint, ApiProblem::from_body(status, body))
    }

    /// Maps an already parsed problem (its `status` decides the variant).
    pub fn from_problem(endpoint: Endpoint, problem: ApiProblem) -> Self {
        match problem.status {
            400 => ApiFailure::BadRequest(problem),
            401 => ApiFailure::Unauthorized(problem),
            403 => ApiFailure::Forbidden(problem),
            404 if endpoint == Endpoint::SessionStatus => ApiFailure::SessionNotFound(problem),
            404 | 471 | 472 => ApiFailure::NoSuitableAccount(problem),
            480 => ApiFailure::ClientTooOld(problem),
            580 => ApiFailure::Maintenance(problem),
            500..=599 => ApiFailure::ServerError(problem),
            _ => ApiFailure::UnexpectedStatus(problem),
        }
    }

    /// Whether the same request may succeed later: transport failures, `580`, other `5xx`,
    /// and `408`/`429`. Everything else needs a change (of input, configuration, or a new
    /// session) first.
    pub fn retryable(&self) -> bool {
        match self {
            ApiFailure::Transport { .. }
            | ApiFailure::Maintenance(_)
            | ApiFailure::ServerError(_) => true,
            ApiFailure::UnexpectedStatus(p) => matches!(p.status, 408 | 429),
            _ => false,
        }
    }

    /// The HTTP status, for failures that have one.
    pub fn status(&self) -> Option<u16> {
        match self {
            ApiFailure::MalformedResponse { status, .. } => Some(*status),
            other => other.problem().map(|p| p.status),
        }
    }

    /// The server's problem details, for failures that come from an error response.
    pub fn problem(&self) -> Option<&ApiProblem> {
        match self {
            ApiFailure::BadRequest(p)
            | ApiFailure::Unauthorized(p)
            | ApiFailure::Forbidden(p)
            | ApiFailure::NoSuitableAccount(p)
            | ApiFailure::SessionNotFound(p)
            | ApiFailure::ClientTooOld(p)
            | ApiFailure::Maintenance(p)
            | ApiFailure::ServerError(p)
            | ApiFailure::UnexpectedStatus(p) => Some(p),
            _ => None,
        }
    }

    /// A stable, machine-readable code. The account errors (`404`, `471`, `472` on
    /// session-creating endpoints) share one code on purpose.
    pub fn code(&self) -> &'static str {
        match self {
            ApiFailure::BadRequest(_) => "api_bad_request",
            ApiFailure::Unauthorized(_) => "api_unauthorized",
            ApiFailure::Forbidden(_) => "api_forbidden",
            ApiFailure::NoSuitableAccount(_) => "api_no_suitable_account",
            ApiFailure::SessionNotFound(_) => "api_session_not_found",
            ApiFailure::ClientTooOld(_) => "api_client_too_old",
            ApiFailure::Maintenance(_) => "api_maintenance",
            ApiFailure::ServerError(_) => "api_server_error",
            ApiFailure::UnexpectedStatus(_) => "api_unexpected_status",
            ApiFailure::Transport { .. } => "api_transport",
            ApiFailure::Tls(TlsFailure::PinMismatch { .. }) => "api_tls_pin_mismatch",
            ApiFailure::Tls(_) => "api_tls",
            ApiFailure::MalformedResponse { .. } => "api_malformed_response",
            ApiFailure::DeadlineExceeded => "api_deadline_exceeded",
            ApiFailure::Cancelled => "api_cancelled",
        }
    }

    /// A short English message that is safe to show an end user. It never reveals which of
    /// the account errors happened, nor any server detail. Apps that localise should map
    /// [`code`](Self::code) instead, keeping the same rule.
    pub fn user_message(&self) -> &'static str {
        match self {
            ApiFailure::NoSuitableAccount(_) => {
                "Smart-ID cannot be used for this request. Check your Smart-ID app or contact Smart-ID support."
            }
            ApiFailure::SessionNotFound(_) | ApiFailure::DeadlineExceeded => {
                "The Smart-ID session has expired. Please start again."
            }
            ApiFailure::Maintenance(_) => {
                "Smart-ID is under maintenance. Please try again later."
            }
            ApiFailure::Cancelled => "The Smart-ID request was cancelled.",
            ApiFailure::Transport { .. }
            | ApiFailure::ServerError(_)
            | ApiFailure::UnexpectedStatus(_) => {
                "Smart-ID is temporarily unavailable. Please try again in a moment."
            }
            _ => "Smart-ID is not available right now because of a technical problem.",
        }
    }
}

impl fmt::Display for ApiFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiFailure::BadRequest(p) => write!(f, "bad request ({p})"),
            ApiFailure::Unauthorized(p) => write!(f, "relying party not authorised ({p})"),
            ApiFailure::Forbidden(p) => write!(f, "relying party lacks a permission ({p})"),
            ApiFailure::NoSuitableAccount(p) => write!(f, "no suitable Smart-ID account ({p})"),
            ApiFailure::SessionNotFound(p) => {
                write!(f, "session does not exist or has expired ({p})")
            }
            ApiFailure::ClientTooOld(p) => write!(f, "RP API client too old ({p})"),
            ApiFailure::Maintenance(p) => write!(f, "Smart-ID under maintenance ({p})"),
            ApiFailure::ServerError(p) => write!(f, "Smart-ID server error ({p})"),
            ApiFailure::UnexpectedStatus(p) => write!(f, "unexpected response ({p})"),
            ApiFailure::Transport { kind, message } => {
                write!(f, "transport failure ({}): {message}", kind.as_str())
            }
            ApiFailure::Tls(t) => t.fmt(f),
            ApiFailure::MalformedResponse { status, reason } => {
                write!(f, "malformed response (HTTP {status}): {reason}")
            }
            ApiFailure::DeadlineExceeded => {
                f.write_str("the session did not complete before the polling deadline")
            }
            ApiFailure::Cancelled => f.write_str("polling was cancelled"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(status: u16, code: &str) -> Vec<u8> {
        format!(
            r#"{{"type":"about:blank","status":{status},"title":"Not Found","detail":"No suitable account","errors":[{{"code":"{code}","paramName":"x"}}]}}"#
        )
        .into_bytes()
    }

    #[test]
    fn status_mapping() {
        use ApiFailure as F;
        let m = |e, s| F::from_response(e, s, b"");
        assert!(matches!(m(Endpoint::CreateSession, 400), F::BadRequest(_)));
        assert!(matches!(
            m(Endpoint::CreateSession, 401),
            F::Unauthorized(_)
        ));
        assert!(matches!(m(Endpoint::CreateSession, 403), F::Forbidden(_)));
        assert!(matches!(
            m(Endpoint::CreateSession, 404),
            F::NoSuitableAccount(_)
        ));
        assert!(matches!(
            m(Endpoint::CertificateByDocumentNumber, 404),
            F::NoSuitableAccount(_)
        ));
        assert!(matches!(
            m(Endpoint::SessionStatus, 404),
            F::SessionNotFound(_)
        ));
        assert!(matches!(
            m(Endpoint::CreateSession, 471),
            F::NoSuitableAccount(_)
        ));
        assert!(matches!(
            m(Endpoint::CreateSession, 472),
            F::NoSuitableAccount(_)
        ));
        assert!(matches!(
            m(Endpoint::CreateSession, 480),
            F::ClientTooOld(_)
        ));
        assert!(matches!(m(Endpoint::SessionStatus, 580), F::Maintenance(_)));
        for s in [500, 502, 503, 504, 599] {
            assert!(matches!(m(Endpoint::SessionStatus, s), F::ServerError(_)));
        }
        for s in [301, 405, 418, 429] {
            assert!(matches!(
                m(Endpoint::SessionStatus, s),
                F::UnexpectedStatus(_)
            ));
        }
    }

    #[test]
    fn retryable_flags() {
        let r = |s| ApiFailure::from_response(Endpoint::SessionStatus, s, b"").retryable();
        assert!(r(500) && r(503) && r(580) && r(429) && r(408));
        assert!(!r(400) && !r(401) && !r(403) && !r(404) && !r(480) && !r(405));
        assert!(ApiFailure::Transport {
            kind: TransportKind::Connection,
            message: String::new()
        }
        .retryable());
        assert!(!ApiFailure::Tls(TlsFailure::PinMismatch {
            presented: String::new()
        })
        .retryable());
        assert!(!ApiFailure::MalformedResponse {
            status: 200,
            reason: String::new()
        }
        .retryable());
        assert!(!ApiFailure::Cancelled.retryable());
        assert!(!ApiFailure::DeadlineExceeded.retryable());
    }

    #[test]
    fn account_errors_are_indistinguishable_to_users() {
        let variants: Vec<ApiFailure> = [404, 471, 472]
            .into_iter()
            .map(|s| ApiFailure::from_response(Endpoint::CreateSession, s, &body(s, "X")))
            .collect();
        for v in &variants {
            assert_eq!(v.code(), "api_no_suitable_account");
            assert_eq!(v.user_message(), variants[0].user_message());
            // The detail stays available for logs.
            assert_eq!(
                v.problem().unwrap().detail.as_deref(),
                Some("No suitable account")
            );
        }
        assert_eq!(variants[1].status(), Some(471));
    }

    #[test]
    fn problem_body_parsing() {
        let p = ApiProblem::from_body(404, &body(404, "NO_SUITABLE_ACCOUNT_FOUND"));
        assert_eq!(p.codes, vec!["NO_SUITABLE_ACCOUNT_FOUND"]);
        assert_eq!(p.params, vec!["x"]);
        assert_eq!(p.title.as_deref(), Some("Not Found"));
        assert!(p.to_string().contains("NO_SUITABLE_ACCOUNT_FOUND"));
        // Non-JSON bodies (a proxy's HTML page) are not copied.
        let html = ApiProblem::from_body(502, b"<html>Bad gateway secret</html>");
        assert_eq!(html, ApiProblem::status_only(502));
        // Huge or control-character-laden details are clipped.
        let long = format!(r#"{{"detail":"{}\u0007"}}"#, "a".repeat(10_000));
        let p = ApiProblem::from_body(400, long.as_bytes());
        let d = p.detail.unwrap();
        assert!(d.chars().count() <= MAX_PROBLEM_TEXT + 1);
        assert!(!d.contains('\u{7}'));
    }
}
