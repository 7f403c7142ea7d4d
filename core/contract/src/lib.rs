//! # sidkit-contract
//!
//! The contract between an RP mobile app and its own RP backend (`docs/openapi.yaml`), shared by
//! the mobile library (`sidkit-app`, `sidkit-mobile`) and the backend kit (`sidkit-backend`).
//!
//! These are the only messages the phone exchanges about a Smart-ID flow. They are plain serde
//! types with camelCase JSON, designed to map 1:1 onto an HTTP API:
//!
//! | call | HTTP | request body | response body |
//! |---|---|---|---|
//! | start a flow | `POST /flows` | [`StartFlowRequest`] | `201` [`StartFlowResponse`] |
//! | complete with the return URL | `POST /flows/{flowHandle}/complete` | [`CompleteFlowRequest`] | `200` [`FlowOutcome`] |
//! | poll (QR link stream, resume) | `GET /flows/{flowHandle}` | — ([`PollFlowRequest`]) | `200` [`PollFlowResponse`] |
//! | cancel | `DELETE /flows/{flowHandle}` | — ([`CancelFlowRequest`]) | `204` |
//! | any error | | | `4xx`/`5xx` [`ErrorBody`] |
//!
//! What crosses this boundary is deliberately limited (spec §4.3, §12.2): the backend hands the
//! phone an opaque flow handle (never the Smart-ID `sessionID`), the finished device link, the
//! session type, an expiry, and for App2App the callback base it used plus a *commitment* to the
//! per-session callback token, `BASE64URL(SHA-256(token))` (see
//! [`token_commitment`](sidkit_proto::callback::token_commitment)). The phone never receives
//! `sessionSecret`, `sessionID`, `rpChallenge`, `digest` or `initialCallbackUrl`.
//!
//! Every type has a `validate()` method. The phone calls it on everything the backend sends, and
//! the backend can call it on what the phone sends. A message that breaks a rule is a
//! [`ProtoError::InvalidInput`] naming the field: the contract's vocabulary is the protocol's, so
//! it shares the protocol layer's error type rather than copying it.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use sidkit_proto::b64;
use sidkit_proto::device_link::{DeviceLinkType, SessionType};
use sidkit_proto::models::{CertificateLevel, EndResult};
use sidkit_proto::{ProtoError, Result};

/// Shortest accepted flow handle.
pub const MIN_FLOW_HANDLE_LEN: usize = 16;
/// Longest accepted flow handle.
pub const MAX_FLOW_HANDLE_LEN: usize = 256;
/// Longest accepted `context` of a start request.
pub const MAX_CONTEXT_LEN: usize = 1024;
/// Longest accepted `appData` of an outcome.
pub const MAX_APP_DATA_LEN: usize = 16 * 1024;
/// Longest accepted flow lifetime a backend may announce (`expiresInMs`): 30 minutes.
pub const MAX_EXPIRES_IN_MS: u64 = 30 * 60 * 1000;
/// Longest accepted return URL (the callback URL is at most 1800 characters, plus what the
/// Smart-ID app appends).
pub const MAX_RETURN_URL_LEN: usize = 4096;

/// Longest accepted callback base (the backend appends `?value=<token>` or `&value=<token>`,
/// and `initialCallbackUrl` may be at most 1800 characters).
pub const MAX_CALLBACK_BASE_LEN: usize = 1700;

/// Checks an app's callback base (its App Link / Universal Link for Smart-ID returns) by the
/// rules both halves apply: a strict `https` URL of at most [`MAX_CALLBACK_BASE_LEN`]
/// characters whose query carries none of the parameters the backend and the Smart-ID app add
/// (`value`, `sessionSecretDigest`, `userChallengeVerifier`) and no parameter twice.
pub fn validate_callback_base(url: &str) -> Result<()> {
    use sidkit_proto::callback::{
        DEFAULT_TOKEN_PARAM, PARAM_SESSION_SECRET_DIGEST, PARAM_USER_CHALLENGE_VERIFIER,
    };
    if url.len() > MAX_CALLBACK_BASE_LEN {
        return Err(ProtoError::invalid(
            "callbackBase",
            format!("must be at most {MAX_CALLBACK_BASE_LEN} characters"),
        ));
    }
    let u = sidkit_proto::url::parse_https("callbackBase", url)?;
    let mut seen: Vec<&str> = Vec::new();
    for seg in u.query.unwrap_or("").split('&').filter(|s| !s.is_empty()) {
        let n = seg.split_once('=').map_or(seg, |(n, _)| n);
        if [
            DEFAULT_TOKEN_PARAM,
            PARAM_SESSION_SECRET_DIGEST,
            PARAM_USER_CHALLENGE_VERIFIER,
        ]
        .contains(&n)
        {
            return Err(ProtoError::invalid(
                "callbackBase",
                format!(
                    "must not carry a `{n}` parameter: the backend and the Smart-ID app add it"
                ),
            ));
        }
        if seen.contains(&n) {
            return Err(ProtoError::invalid(
                "callbackBase",
                format!("parameter `{n}` appears twice"),
            ));
        }
        seen.push(n);
    }
    Ok(())
}
/// Longest accepted text field of an identity or signature result.
pub const MAX_TEXT_LEN: usize = 256;
/// Longest accepted Base64 signature value or certificate.
pub const MAX_BASE64_LEN: usize = 32 * 1024;

/// What the user does in the Smart-ID app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FlowKind {
    /// Authentication (device-link session type `auth`).
    Authentication,
    /// Signature with a known document number or identity (session type `sign`).
    Signature,
    /// Certificate choice followed by a linked notification signature: the user picks the
    /// signing certificate in the app, the backend builds the digest and starts the linked
    /// signature, and the callback comes after the signature (session type `cert`).
    CertificateChoiceAndSignature,
}

impl FlowKind {
    /// The device-link `sessionType` this flow's link must carry.
    pub const fn session_type(self) -> SessionType {
        match self {
            FlowKind::Authentication => SessionType::Auth,
            FlowKind::Signature => SessionType::Sign,
            FlowKind::CertificateChoiceAndSignature => SessionType::Cert,
        }
    }

    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FlowKind::Authentication => "authentication",
            FlowKind::Signature => "signature",
            FlowKind::CertificateChoiceAndSignature => "certificateChoiceAndSignature",
        }
    }

    /// Parses the JSON name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            FlowKind::Authentication,
            FlowKind::Signature,
            FlowKind::CertificateChoiceAndSignature,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for FlowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the device link reaches the Smart-ID app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Presentation {
    /// Same device: the app opens an `App2App` link and gets a return URL back.
    #[serde(rename = "app2app")]
    App2App,
    /// Other device (tablet, kiosk): the app shows a dynamic QR code, a new link every second
    /// fetched from the backend, and learns the outcome by polling.
    #[serde(rename = "qr")]
    Qr,
}

impl Presentation {
    /// The `deviceLinkType` of this presentation's links.
    pub const fn link_type(self) -> DeviceLinkType {
        match self {
            Presentation::App2App => DeviceLinkType::App2App,
            Presentation::Qr => DeviceLinkType::Qr,
        }
    }

    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Presentation::App2App => "app2app",
            Presentation::Qr => "qr",
        }
    }

    /// Parses the JSON name.
    pub fn parse(s: &str) -> Option<Self> {
        [Presentation::App2App, Presentation::Qr]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Presentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serde for [`SessionType`] as its protocol string (`auth`, `sign`, `cert`).
pub(crate) mod session_type_str {
    use super::*;

    pub fn serialize<S: Serializer>(t: &SessionType, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<SessionType, D::Error> {
        let s = String::deserialize(d)?;
        SessionType::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown sessionType `{s}`")))
    }
}

/// Phone → backend: start a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlowRequest {
    /// What the user is asked to do.
    pub kind: FlowKind,
    /// Same-device link or QR code.
    pub presentation: Presentation,
    /// ISO 639-2 code of the Smart-ID fallback page (`eng`, `est`, ...).
    pub lang: String,
    /// An opaque reference of the app's own (e.g. the id of the document or payment to sign),
    /// resolved by the backend. Never a digest: the backend computes what is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// A random key, the same for retries of one flow's start, so that a retried request does
    /// not create a second Smart-ID session (maps onto an `Idempotency-Key` header).
    pub idempotency_key: String,
}

impl StartFlowRequest {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        sidkit_proto::validate::lang(&self.lang)?;
        if let Some(c) = &self.context {
            validate_context(c)?;
        }
        validate_token_like("idempotencyKey", &self.idempotency_key, 16, 128)
    }
}

/// Checks an app context reference: 1 to [`MAX_CONTEXT_LEN`] bytes, no control characters.
pub fn validate_context(c: &str) -> Result<()> {
    if c.is_empty() || c.len() > MAX_CONTEXT_LEN {
        return Err(ProtoError::invalid(
            "context",
            format!("must be 1 to {MAX_CONTEXT_LEN} bytes"),
        ));
    }
    if c.chars().any(char::is_control) {
        return Err(ProtoError::invalid(
            "context",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Checks a URL-safe identifier (`A-Z a-z 0-9 - _ . ~`) of `min..=max` characters.
fn validate_token_like(field: &'static str, s: &str, min: usize, max: usize) -> Result<()> {
    if s.len() < min || s.len() > max {
        return Err(ProtoError::invalid(
            field,
            format!("must be {min} to {max} characters, got {}", s.len()),
        ));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    {
        return Err(ProtoError::invalid(
            field,
            "may contain only A-Z, a-z, 0-9, `-`, `_`, `.` and `~`",
        ));
    }
    Ok(())
}

/// Checks a flow handle: URL-safe (it goes into request paths), 16 to 256 characters, and not a
/// UUID. Smart-ID `sessionID`s are UUIDs and must never reach the phone (spec §4.3); a handle
/// shaped like one is refused so that a backend that leaks the `sessionID` fails loudly.
pub fn validate_flow_handle(h: &str) -> Result<()> {
    validate_token_like("flowHandle", h, MIN_FLOW_HANDLE_LEN, MAX_FLOW_HANDLE_LEN)?;
    if sidkit_proto::validate::uuid("flowHandle", h).is_ok() {
        return Err(ProtoError::invalid(
            "flowHandle",
            "looks like a Smart-ID sessionID (a UUID); the backend must hand out an opaque handle instead",
        ));
    }
    Ok(())
}

/// Checks a callback-token commitment: 43 Base64URL characters decoding to 32 bytes.
pub fn decode_commitment(c: &str) -> Result<[u8; 32]> {
    if c.len() != 43 {
        return Err(ProtoError::invalid(
            "callbackCommitment",
            "must be 43 Base64URL characters (SHA-256)",
        ));
    }
    b64::decode_url("callbackCommitment", c)?
        .try_into()
        .map_err(|_| ProtoError::invalid("callbackCommitment", "must decode to 32 bytes"))
}

/// Backend → phone: the flow was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlowResponse {
    /// Opaque handle of this flow at the backend (never the Smart-ID `sessionID`).
    pub flow_handle: String,
    /// `sessionType` of the Smart-ID session (`auth`, `sign`, `cert`).
    #[serde(with = "session_type_str")]
    pub session_type: SessionType,
    /// The finished device link: `App2App` for [`Presentation::App2App`], the first `QR` link
    /// for [`Presentation::Qr`].
    pub device_link: String,
    /// App2App only: the callback base the backend put in `initialCallbackUrl` (without the
    /// token). Must equal the app's configured callback base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_base: Option<String>,
    /// App2App only: `BASE64URL(SHA-256(value token))` of the session's callback URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_commitment: Option<String>,
    /// How long the backend keeps the flow open, in milliseconds from now.
    pub expires_in_ms: u64,
}

impl StartFlowResponse {
    /// Checks the shape of the response (the flow checks the link and its fit to the request).
    pub fn validate(&self) -> Result<()> {
        validate_flow_handle(&self.flow_handle)?;
        if self.device_link.is_empty() {
            return Err(ProtoError::invalid("deviceLink", "must not be empty"));
        }
        if let Some(c) = &self.callback_commitment {
            decode_commitment(c)?;
        }
        if let Some(b) = &self.callback_base {
            sidkit_proto::url::parse_https("callbackBase", b)?;
        }
        if self.expires_in_ms == 0 || self.expires_in_ms > MAX_EXPIRES_IN_MS {
            return Err(ProtoError::invalid(
                "expiresInMs",
                format!("must be 1 to {MAX_EXPIRES_IN_MS}"),
            ));
        }
        Ok(())
    }
}

/// Phone → backend: the return URL of an App2App flow arrived; verify it and finish.
///
/// The backend performs the checks of spec §7.3 (token binding to this flow handle, the
/// `sessionSecretDigest`, the `userChallengeVerifier`, full response verification, one-shot).
/// It must be idempotent: the same handle and the same return URL again yield the same outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
    /// The full URL the OS delivered to the app.
    pub return_url: String,
}

impl CompleteFlowRequest {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        validate_flow_handle(&self.flow_handle)?;
        if self.return_url.is_empty() || self.return_url.len() > MAX_RETURN_URL_LEN {
            return Err(ProtoError::invalid(
                "returnUrl",
                format!("must be 1 to {MAX_RETURN_URL_LEN} characters"),
            ));
        }
        sidkit_proto::url::parse_https("returnUrl", &self.return_url).map(|_| ())
    }
}

/// Phone → backend: what is the state of the flow? For QR flows this fetches the current QR
/// link (once a second); for App2App flows the app calls it when it comes back to the
/// foreground without a return URL (the Smart-ID app may not call back after a refusal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
}

/// Phone → backend: the user cancelled; drop the flow (Smart-ID itself has no cancel call, the
/// session simply runs out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
}

/// Backend → phone: the answer to a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "status",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PollFlowResponse {
    /// The Smart-ID session is still running.
    Pending {
        /// QR flows: the current QR link (required). App2App flows: absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_link: Option<String>,
    },
    /// The flow is over.
    Finished {
        /// The verified outcome.
        outcome: FlowOutcome,
    },
}

impl PollFlowResponse {
    /// Checks the shape.
    pub fn validate(&self) -> Result<()> {
        match self {
            PollFlowResponse::Pending { device_link } => match device_link {
                Some(l) if l.is_empty() => {
                    Err(ProtoError::invalid("deviceLink", "must not be empty"))
                }
                _ => Ok(()),
            },
            PollFlowResponse::Finished { outcome } => outcome.validate(),
        }
    }
}

/// Backend → phone: the verified result of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "result",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum FlowOutcome {
    /// Authentication verified (callback checks of §7.3 and response verification of §8).
    Authenticated {
        /// Who authenticated.
        identity: Identity,
        /// Opaque data from the backend to its app (e.g. its own session token), passed through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_data: Option<String>,
    },
    /// Signature created and verified.
    Signed {
        /// The signature.
        signature: SignatureResult,
        /// Opaque data from the backend to its app, passed through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_data: Option<String>,
    },
    /// The Smart-ID session ended without a result (the user refused, the session timed out,
    /// ...). This is a normal ending, not an error.
    Failed {
        /// `result.endResult` of the session; never `OK`.
        end_result: EndResult,
        /// For `USER_REFUSED_INTERACTION`: the refused interaction.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interaction: Option<String>,
    },
}

impl FlowOutcome {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        match self {
            FlowOutcome::Authenticated { identity, app_data } => {
                identity.validate()?;
                validate_app_data(app_data.as_deref())
            }
            FlowOutcome::Signed {
                signature,
                app_data,
            } => {
                signature.validate()?;
                validate_app_data(app_data.as_deref())
            }
            FlowOutcome::Failed {
                end_result,
                interaction,
            } => {
                if *end_result == EndResult::Ok {
                    return Err(ProtoError::invalid(
                        "endResult",
                        "a failed outcome cannot have endResult OK",
                    ));
                }
                if let EndResult::Unknown(s) = end_result {
                    check_text("endResult", s)?;
                }
                if let Some(i) = interaction {
                    check_text("interaction", i)?;
                }
                Ok(())
            }
        }
    }

    /// Whether this outcome is what a flow of `kind` can end with: authentication flows end
    /// `Authenticated` or `Failed`, the signing flows `Signed` or `Failed`.
    pub fn fits(&self, kind: FlowKind) -> bool {
        match self {
            FlowOutcome::Authenticated { .. } => kind == FlowKind::Authentication,
            FlowOutcome::Signed { .. } => kind != FlowKind::Authentication,
            FlowOutcome::Failed { .. } => true,
        }
    }
}

fn validate_app_data(d: Option<&str>) -> Result<()> {
    match d {
        Some(d) if d.len() > MAX_APP_DATA_LEN => Err(ProtoError::invalid(
            "appData",
            format!("must be at most {MAX_APP_DATA_LEN} bytes"),
        )),
        _ => Ok(()),
    }
}

fn check_text(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_TEXT_LEN || s.chars().any(char::is_control) {
        return Err(ProtoError::invalid(
            field,
            format!("must be 1 to {MAX_TEXT_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

/// Who authenticated, as verified by the backend from the authentication certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Given name(s).
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// The ETSI semantics identifier, e.g. `PNOEE-30303039914`.
    pub identifier: String,
    /// Issuing country, ISO 3166-1 alpha-2 (`EE`, `LV`, `LT`, ...).
    pub country: String,
    /// The Smart-ID document number (reuse it for later signing).
    pub document_number: String,
    /// Level of the certificate used.
    pub certificate_level: CertificateLevel,
    /// Date of birth `YYYY-MM-DD`, when the identity code or certificate carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
}

impl Identity {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_text("givenName", &self.given_name)?;
        check_text("surname", &self.surname)?;
        check_text("identifier", &self.identifier)?;
        let c = self.country.as_bytes();
        if c.len() != 2 || !c.iter().all(u8::is_ascii_uppercase) {
            return Err(ProtoError::invalid(
                "country",
                "must be two upper-case letters (ISO 3166-1 alpha-2)",
            ));
        }
        sidkit_proto::ident::DocumentNumber::new(self.document_number.as_str())?;
        if let Some(d) = &self.date_of_birth {
            validate_date(d)?;
        }
        Ok(())
    }
}

fn validate_date(d: &str) -> Result<()> {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let month_day = ok
        && matches!(d[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(d[8..10].parse::<u8>(), Ok(1..=31));
    if month_day {
        Ok(())
    } else {
        Err(ProtoError::invalid(
            "dateOfBirth",
            "must be a date YYYY-MM-DD",
        ))
    }
}

/// A created signature, as verified by the backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureResult {
    /// The signer's Smart-ID document number.
    pub document_number: String,
    /// Level of the signing certificate.
    pub certificate_level: CertificateLevel,
    /// `signatureAlgorithm` as returned by Smart-ID, e.g. `rsassa-pss`.
    pub signature_algorithm: String,
    /// The signature value, standard Base64.
    pub signature_value: String,
    /// The signing certificate, DER in standard Base64, if the backend shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

impl SignatureResult {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        sidkit_proto::ident::DocumentNumber::new(self.document_number.as_str())?;
        check_text("signatureAlgorithm", &self.signature_algorithm)?;
        check_base64("signatureValue", &self.signature_value)?;
        if let Some(c) = &self.certificate {
            check_base64("certificate", c)?;
        }
        Ok(())
    }
}

fn check_base64(field: &'static str, s: &str) -> Result<()> {
    if s.len() > MAX_BASE64_LEN {
        return Err(ProtoError::invalid(
            field,
            format!("must be at most {MAX_BASE64_LEN} characters"),
        ));
    }
    b64::decode_std(field, s).map(|_| ())
}

/// The contract's version: the `Sidkit-Contract` response header of every answer and the
/// `info.version` major of `docs/openapi.yaml`.
pub const CONTRACT_VERSION: u32 = 1;
/// Name of the response header that carries [`CONTRACT_VERSION`].
pub const CONTRACT_VERSION_HEADER: &str = "Sidkit-Contract";
/// Media type of error bodies (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Prefix of the `type` URI of the contract's problems: `urn:sidkit:problem:<code>`.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:sidkit:problem:";

/// Backend → phone: the body of every error response, an RFC 9457 problem details object
/// (`application/problem+json`) with two extension members, `code` and `retryable`:
///
/// ```json
/// {"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,
///  "detail":"the return URL does not belong to this flow","code":"callback_rejected","retryable":false}
/// ```
///
/// Readers use `code` (stable) and `retryable`; `type` is `urn:sidkit:problem:<code>`. A legacy
/// body with `message` instead of `detail` is still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// `urn:sidkit:problem:<code>` (RFC 9457 `type`).
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub problem_type: String,
    /// A short, fixed summary of the problem type (RFC 9457 `title`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// The HTTP status code (RFC 9457 `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A stable code, one of [`error_codes`] or a backend-specific one.
    pub code: String,
    /// A human-readable explanation of this occurrence (RFC 9457 `detail`; not for end users;
    /// no secrets). Read from `message` in legacy bodies.
    #[serde(default, alias = "message")]
    pub detail: String,
    /// Whether repeating the same call may succeed (e.g. `unavailable`, `rate_limited`).
    #[serde(default)]
    pub retryable: bool,
}

impl ErrorBody {
    /// A problem for one of the contract's [`error_codes`]: `type`, `title`, `status` and
    /// `retryable` follow from the code (unknown codes get status 500, not retryable).
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        let (status, title, retryable) = error_codes::describe(code);
        ErrorBody {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status: Some(status),
            code: code.to_owned(),
            detail: detail.into(),
            retryable,
        }
    }

    /// The HTTP status to answer with: `status`, or the code's default.
    pub fn http_status(&self) -> u16 {
        self.status
            .unwrap_or_else(|| error_codes::describe(&self.code).0)
    }

    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_text("code", &self.code)?;
        if self.detail.len() > 4096 {
            return Err(ProtoError::invalid("detail", "must be at most 4096 bytes"));
        }
        if self.title.len() > 256 || self.problem_type.len() > 256 {
            return Err(ProtoError::invalid(
                "title",
                "type and title must be at most 256 bytes",
            ));
        }
        if let Some(s) = self.status {
            if !(400..=599).contains(&s) {
                return Err(ProtoError::invalid(
                    "status",
                    "must be an HTTP error status (400-599)",
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// ProtoError codes of [`ErrorBody::code`] that the backend contract defines.
pub mod error_codes {
    /// The request is malformed (`400`).
    pub const BAD_REQUEST: &str = "bad_request";
    /// No flow with this handle for this app (`404`).
    pub const FLOW_NOT_FOUND: &str = "flow_not_found";
    /// The flow has expired (`410`).
    pub const FLOW_EXPIRED: &str = "flow_expired";
    /// The return URL failed the callback checks of spec §7.3 (`403`).
    pub const CALLBACK_REJECTED: &str = "callback_rejected";
    /// The Smart-ID response failed verification (`403`).
    pub const VERIFICATION_FAILED: &str = "verification_failed";
    /// Too many requests (`429`, retryable).
    pub const RATE_LIMITED: &str = "rate_limited";
    /// Smart-ID or the backend is temporarily unavailable (`503`, retryable).
    pub const UNAVAILABLE: &str = "unavailable";
    /// Anything else (`500`).
    pub const INTERNAL: &str = "internal";
    /// A start with the same `Idempotency-Key` but a different body (`409`).
    pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";

    /// Every code above.
    pub const ALL: [&str; 9] = [
        BAD_REQUEST,
        FLOW_NOT_FOUND,
        FLOW_EXPIRED,
        CALLBACK_REJECTED,
        VERIFICATION_FAILED,
        RATE_LIMITED,
        UNAVAILABLE,
        INTERNAL,
        IDEMPOTENCY_CONFLICT,
    ];

    /// HTTP status, RFC 9457 title and retryability of a code (unknown codes: 500, not
    /// retryable).
    pub fn describe(code: &str) -> (u16, &'static str, bool) {
        match code {
            BAD_REQUEST => (400, "Bad request", false),
            FLOW_NOT_FOUND => (404, "Flow not found", false),
            FLOW_EXPIRED => (410, "Flow expired", false),
            CALLBACK_REJECTED => (403, "Callback rejected", false),
            VERIFICATION_FAILED => (403, "Verification failed", false),
            RATE_LIMITED => (429, "Rate limited", true),
            UNAVAILABLE => (503, "Service unavailable", true),
            IDEMPOTENCY_CONFLICT => (409, "Idempotency key conflict", false),
            _ => (500, "Internal error", false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity() -> Identity {
        Identity {
            given_name: "QUALIFIED OK1".into(),
            surname: "TESTNUMBER".into(),
            identifier: "PNOEE-30303039914".into(),
            country: "EE".into(),
            document_number: "PNOEE-30303039914-MOCK-Q".into(),
            certificate_level: CertificateLevel::Qualified,
            date_of_birth: Some("1903-03-03".into()),
        }
    }

    #[test]
    fn json_shapes_are_camel_case_and_tagged() {
        let req = StartFlowRequest {
            kind: FlowKind::CertificateChoiceAndSignature,
            presentation: Presentation::App2App,
            lang: "est".into(),
            context: None,
            idempotency_key: "abcdefghijklmnop".into(),
        };
        assert_eq!(
            serde_json::to_string(&req).unwrap(),
            r#"{"kind":"certificateChoiceAndSignature","presentation":"app2app","lang":"est","idempotencyKey":"abcdefghijklmnop"}"#
        );
        let out = FlowOutcome::Failed {
            end_result: EndResult::UserRefusedInteraction,
            interaction: Some("displayTextAndPIN".into()),
        };
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"result":"failed","endResult":"USER_REFUSED_INTERACTION","interaction":"displayTextAndPIN"}"#
        );
        let poll = PollFlowResponse::Pending {
            device_link: Some("x".into()),
        };
        assert_eq!(
            serde_json::to_string(&poll).unwrap(),
            r#"{"status":"pending","deviceLink":"x"}"#
        );
        let auth = FlowOutcome::Authenticated {
            identity: identity(),
            app_data: None,
        };
        let json = serde_json::to_string(&auth).unwrap();
        assert!(json
            .starts_with(r#"{"result":"authenticated","identity":{"givenName":"QUALIFIED OK1""#));
        assert_eq!(serde_json::from_str::<FlowOutcome>(&json).unwrap(), auth);
        let resp: StartFlowResponse = serde_json::from_str(
            r#"{"flowHandle":"h0123456789abcdef","sessionType":"auth","deviceLink":"l","expiresInMs":1000,"future":1}"#,
        )
        .unwrap();
        assert_eq!(resp.session_type, SessionType::Auth);
        assert!(serde_json::from_str::<StartFlowResponse>(
            r#"{"flowHandle":"h0123456789abcdef","sessionType":"AUTH","deviceLink":"l","expiresInMs":1}"#
        )
        .is_err());
    }

    #[test]
    fn problem_details() {
        let p = ErrorBody::new(error_codes::CALLBACK_REJECTED, "forged");
        assert_eq!(
            serde_json::to_string(&p).unwrap(),
            r#"{"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,"code":"callback_rejected","detail":"forged","retryable":false}"#
        );
        assert_eq!(p.http_status(), 403);
        let legacy: ErrorBody =
            serde_json::from_str(r#"{"code":"unavailable","message":"down","retryable":true}"#)
                .unwrap();
        assert_eq!(legacy.detail, "down");
        assert_eq!(legacy.http_status(), 503);
        assert!(legacy.validate().is_ok());
        for c in error_codes::ALL {
            let p = ErrorBody::new(c, "x");
            assert!(p.validate().is_ok());
            assert_eq!(p.retryable, matches!(c, "rate_limited" | "unavailable"));
        }
    }

    #[test]
    fn names_agree_with_serde() {
        for k in [
            FlowKind::Authentication,
            FlowKind::Signature,
            FlowKind::CertificateChoiceAndSignature,
        ] {
            assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
            assert_eq!(FlowKind::parse(k.as_str()), Some(k));
        }
        for p in [Presentation::App2App, Presentation::Qr] {
            assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
            assert_eq!(Presentation::parse(p.as_str()), Some(p));
        }
        assert_eq!(FlowKind::parse("Authentication"), None);
    }

    #[test]
    fn validation() {
        assert!(validate_flow_handle("fh_0123456789abcdef").is_ok());
        assert!(validate_flow_handle("short").is_err());
        assert!(validate_flow_handle("fa20fd1e-e320-4c68-8315-f6a507a0b4a9").is_err());
        assert!(validate_flow_handle("fh 0123456789abcdef").is_err());
        assert!(validate_flow_handle("fh/0123456789abcdef").is_err());
        assert!(decode_commitment(&b64::encode_url(&[1u8; 32])).is_ok());
        assert!(decode_commitment(&b64::encode_url(&[1u8; 31])).is_err());
        assert!(identity().validate().is_ok());
        let mut bad = identity();
        bad.country = "ee".into();
        assert!(bad.validate().is_err());
        let mut bad = identity();
        bad.date_of_birth = Some("1903-13-03".into());
        assert!(bad.validate().is_err());
        let mut bad = identity();
        bad.given_name = "a\u{0}b".into();
        assert!(bad.validate().is_err());
        assert!(FlowOutcome::Failed {
            end_result: EndResult::Ok,
            interaction: None
        }
        .validate()
        .is_err());
        let sig = SignatureResult {
            document_number: "PNOEE-30303039914-MOCK-Q".into(),
            certificate_level: CertificateLevel::Qualified,
            signature_algorithm: "rsassa-pss".into(),
            signature_value: "AAEC".into(),
            certificate: None,
        };
        assert!(sig.validate().is_ok());
        assert!(SignatureResult {
            signature_value: "not base64".into(),
            ..sig.clone()
        }
        .validate()
        .is_err());
        assert!(FlowOutcome::Signed {
            signature: sig,
            app_data: None
        }
        .fits(FlowKind::CertificateChoiceAndSignature));
        assert!(!FlowOutcome::Authenticated {
            identity: identity(),
            app_data: None
        }
        .fits(FlowKind::Signature));
        let req = StartFlowRequest {
            kind: FlowKind::Authentication,
            presentation: Presentation::Qr,
            lang: "eng".into(),
            context: Some("doc-1\n".into()),
            idempotency_key: "abcdefghijklmnop".into(),
        };
        assert!(req.validate().is_err());
    }
}
