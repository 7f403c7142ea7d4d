//! FFI records and enums, and their conversions to and from the core types.
//!
//! Longer than 600 lines because it mirrors every contract record and enum for UniFFI, with both
//! conversions; it shrinks once `sidkit-contract` derives the UniFFI traits itself behind
//! `cfg_attr` (that must not change the generated Kotlin and Swift, so it is a change of its own).
//!
//! The contract types mirror `sidkit_contract` field for field, so that a
//! transport can pass them straight to its HTTP layer through the JSON helpers in
//! [`crate::json`].

use sidkit_contract as c;
use sidkit_proto::device_link::SessionType as CoreSessionType;
use sidkit_proto::models::{CertificateLevel as CoreLevel, EndResult};

/// What the user does in the Smart-ID app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum FlowKind {
    /// Authentication.
    Authentication,
    /// Signature (the backend knows the signer and what to sign).
    Signature,
    /// Certificate choice in the app, then a linked signature.
    CertificateChoiceAndSignature,
}

/// How the link reaches the Smart-ID app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum Presentation {
    /// App2App, on this phone: open an App2App link, come back through the return URL.
    /// (Spelled `App2app` so that Kotlin says `APP2APP` and Swift `.app2app`.)
    App2app,
    /// On another device: show a QR code that changes every second (tablets, kiosks).
    Qr,
}

/// The Smart-ID `sessionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SessionType {
    /// `auth`
    Auth,
    /// `sign`
    Sign,
    /// `cert`
    Cert,
}

/// A certificate level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum CertificateLevel {
    /// `ADVANCED`
    Advanced,
    /// `QUALIFIED`
    Qualified,
    /// `QSCD`
    Qscd,
}

/// Why a Smart-ID session ended without a result (`result.endResult`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum FailureReason {
    /// `USER_REFUSED`
    UserRefused,
    /// `TIMEOUT`: the user did not act in time.
    Timeout,
    /// `DOCUMENT_UNUSABLE`
    DocumentUnusable,
    /// `WRONG_VC`
    WrongVc,
    /// `REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP`: ask the user to update Smart-ID.
    RequiredInteractionNotSupportedByApp,
    /// `USER_REFUSED_CERT_CHOICE`
    UserRefusedCertChoice,
    /// `USER_REFUSED_INTERACTION` (see `interaction`).
    UserRefusedInteraction,
    /// `PROTOCOL_FAILURE`
    ProtocolFailure,
    /// `EXPECTED_LINKED_SESSION`
    ExpectedLinkedSession,
    /// `SERVER_ERROR`
    ServerError,
    /// `ACCOUNT_UNUSABLE`
    AccountUnusable,
    /// A value this version does not know.
    Unknown,
}

/// The Smart-ID device-link bases the app opens links on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum SmartIdEnvironment {
    /// `https://smart-id.com/device-link`
    Live,
    /// `https://sid.demo.sk.ee/device-link`
    Demo,
    /// Only `additional_device_link_bases` (e.g. a local simulator).
    Custom,
}

/// Configuration of a [`SidkitClient`](crate::SidkitClient).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SidkitConfig {
    /// The app's Smart-ID return link: an `https` App Link (Android) / Universal Link (iOS)
    /// the app handles, e.g. `https://rp.example.com/smart-id/return`. The backend appends
    /// `?value=<token>` to it to form the Smart-ID callback URL of each session.
    pub callback_base: String,
    /// Which Smart-ID device-link bases are allowed.
    pub environment: SmartIdEnvironment,
    /// More allowed device-link bases (`https`, no query).
    #[uniffi(default)]
    pub additional_device_link_bases: Vec<String>,
    /// Overall deadline of each flow in milliseconds (1 000 to 3 600 000; default 300 000).
    #[uniffi(default = None)]
    pub max_flow_duration_ms: Option<u64>,
}

/// A flow the app wants to run.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct FlowRequest {
    /// Authentication, signature, or certificate choice + signature.
    pub kind: FlowKind,
    /// App2App on this phone, or QR for another device.
    pub presentation: Presentation,
    /// ISO 639-2 code of Smart-ID's fallback page (`eng`, `est`, `rus`, `lit`, `lav`, ...).
    #[uniffi(default = "eng")]
    pub lang: String,
    /// The app's own reference of what to sign (e.g. a document id); the backend resolves it.
    #[uniffi(default = None)]
    pub context: Option<String>,
}

/// Who authenticated.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct Identity {
    /// Given name(s).
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// ETSI semantics identifier, e.g. `PNOEE-30303039914`.
    pub identifier: String,
    /// Country, ISO 3166-1 alpha-2.
    pub country: String,
    /// Smart-ID document number.
    pub document_number: String,
    /// Certificate level.
    pub certificate_level: CertificateLevel,
    /// Date of birth `YYYY-MM-DD`, when known.
    pub date_of_birth: Option<String>,
}

/// A created signature.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct SignatureResult {
    /// Signer's document number.
    pub document_number: String,
    /// Certificate level.
    pub certificate_level: CertificateLevel,
    /// e.g. `rsassa-pss`.
    pub signature_algorithm: String,
    /// Signature value, standard Base64.
    pub signature_value: String,
    /// Signing certificate (DER, standard Base64), if the backend shares it.
    pub certificate: Option<String>,
}

/// The verified end of a flow.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FlowOutcome {
    /// The user authenticated; the backend verified everything.
    Authenticated {
        /// Who.
        identity: Identity,
        /// Opaque data from the backend (e.g. its session token).
        app_data: Option<String>,
    },
    /// The user signed; the backend verified the signature.
    Signed {
        /// The signature.
        signature: SignatureResult,
        /// Opaque data from the backend.
        app_data: Option<String>,
    },
    /// The Smart-ID session ended without a result (refused, timed out, ...). Not an error.
    Failed {
        /// Why.
        reason: FailureReason,
        /// For `UserRefusedInteraction`: which interaction.
        interaction: Option<String>,
    },
}

/// Phone → backend: start a flow (`POST /flows`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StartFlowRequest {
    /// Flow kind.
    pub kind: FlowKind,
    /// Presentation.
    pub presentation: Presentation,
    /// Fallback-page language.
    pub lang: String,
    /// App reference of what to sign.
    pub context: Option<String>,
    /// Same for retries of one flow's start (send it as `Idempotency-Key`, too).
    pub idempotency_key: String,
    /// `BASE64URL(SHA-256(flowKey))`: binds the flow to this app (the key itself goes only in
    /// the `Sidkit-Flow-Key` header of the later calls).
    pub flow_key_challenge: String,
}

/// Backend → phone: the flow started.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct StartFlowResponse {
    /// Opaque handle (never the Smart-ID sessionID).
    pub flow_handle: String,
    /// Smart-ID session type.
    pub session_type: SessionType,
    /// App2App link, or the first QR link.
    pub device_link: String,
    /// App2App: the callback base used (must equal the app's).
    pub callback_base: Option<String>,
    /// App2App: `BASE64URL(SHA-256(value token))`.
    pub callback_commitment: Option<String>,
    /// Flow lifetime in ms from now.
    pub expires_in_ms: u64,
}

/// Phone → backend: complete with the return URL (`POST /flows/{flowHandle}/complete`).
/// `Debug` prints the return URL without its query (the callback token lives there).
#[derive(Clone, PartialEq, Eq, uniffi::Record)]
pub struct CompleteFlowRequest {
    /// Flow handle.
    pub flow_handle: String,
    /// The URL the OS delivered.
    pub return_url: String,
}

impl std::fmt::Debug for CompleteFlowRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let base = self.return_url.split(['?', '#']).next().unwrap_or("");
        f.debug_struct("CompleteFlowRequest")
            .field("flow_handle", &self.flow_handle)
            .field(
                "return_url",
                &format_args!("{base}?{}", sidkit_proto::secret::REDACTED),
            )
            .finish()
    }
}

/// Phone → backend: status / next QR link (`GET /flows/{flowHandle}`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct PollFlowRequest {
    /// Flow handle.
    pub flow_handle: String,
}

/// Phone → backend: cancel (`DELETE /flows/{flowHandle}`).
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct CancelFlowRequest {
    /// Flow handle.
    pub flow_handle: String,
}

/// Backend → phone: answer to a poll.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum PollFlowResponse {
    /// Still running; QR flows carry the current QR link.
    Pending {
        /// Current QR link (QR flows only).
        device_link: Option<String>,
    },
    /// Over.
    Finished {
        /// How it ended.
        result: OutcomeKind,
        /// The verified outcome; absent when it was delivered to an earlier request of the
        /// flow (the backend hands out an identity or signature once).
        outcome: Option<FlowOutcome>,
    },
}

/// How a flow ended, without the result (`result` of a finished poll answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum OutcomeKind {
    /// Authenticated.
    Authenticated,
    /// Signed.
    Signed,
    /// Ended without a result (refused, timed out, ...).
    Failed,
}

impl From<c::OutcomeKind> for OutcomeKind {
    fn from(k: c::OutcomeKind) -> Self {
        match k {
            c::OutcomeKind::Authenticated => OutcomeKind::Authenticated,
            c::OutcomeKind::Signed => OutcomeKind::Signed,
            c::OutcomeKind::Failed => OutcomeKind::Failed,
        }
    }
}

impl From<OutcomeKind> for c::OutcomeKind {
    fn from(k: OutcomeKind) -> Self {
        match k {
            OutcomeKind::Authenticated => c::OutcomeKind::Authenticated,
            OutcomeKind::Signed => c::OutcomeKind::Signed,
            OutcomeKind::Failed => c::OutcomeKind::Failed,
        }
    }
}

/// What the app does after `start()`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FlowStep {
    /// Open this link (Android `Intent.ACTION_VIEW`, iOS `UIApplication.open`), then call
    /// `markLaunched()`.
    LaunchApp {
        /// The checked App2App device link.
        device_link: String,
    },
    /// Show this link as a QR code (`qrCode` / `qrSvg`) and call `poll()` every second.
    ShowQr {
        /// The checked QR device link.
        device_link: String,
    },
}

/// The result of `poll()`.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FlowProgress {
    /// Still running: for QR the link to show now, for App2App the link to reopen.
    Waiting {
        /// Current device link.
        device_link: String,
    },
    /// Over.
    Finished {
        /// The outcome.
        outcome: FlowOutcome,
    },
}

/// Where a flow is.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Enum)]
pub enum FlowStatus {
    /// Not started (or a retryable start failure happened).
    Created,
    /// The start request is with the backend.
    Starting,
    /// App2App link checked; open it.
    ReadyToLaunch {
        /// The link.
        device_link: String,
    },
    /// Waiting for the return URL.
    AwaitingReturn {
        /// The link (to reopen Smart-ID).
        device_link: String,
    },
    /// Showing a QR code.
    ShowingQr {
        /// The current QR link.
        device_link: String,
    },
    /// The return URL is with the backend.
    Completing,
    /// Done.
    Finished {
        /// The outcome.
        outcome: FlowOutcome,
    },
    /// Cancelled.
    Cancelled,
    /// Deadline passed.
    Expired,
    /// Ended by an error.
    Failed {
        /// Stable error code.
        code: String,
        /// Details.
        reason: String,
    },
}

// ---------------------------------------------------------------------------------------------
// Conversions.

impl From<FlowKind> for c::FlowKind {
    fn from(k: FlowKind) -> Self {
        match k {
            FlowKind::Authentication => c::FlowKind::Authentication,
            FlowKind::Signature => c::FlowKind::Signature,
            FlowKind::CertificateChoiceAndSignature => c::FlowKind::CertificateChoiceAndSignature,
        }
    }
}

impl From<c::FlowKind> for FlowKind {
    fn from(k: c::FlowKind) -> Self {
        match k {
            c::FlowKind::Authentication => FlowKind::Authentication,
            c::FlowKind::Signature => FlowKind::Signature,
            c::FlowKind::CertificateChoiceAndSignature => FlowKind::CertificateChoiceAndSignature,
        }
    }
}

impl From<Presentation> for c::Presentation {
    fn from(p: Presentation) -> Self {
        match p {
            Presentation::App2app => c::Presentation::App2App,
            Presentation::Qr => c::Presentation::Qr,
        }
    }
}

impl From<c::Presentation> for Presentation {
    fn from(p: c::Presentation) -> Self {
        match p {
            c::Presentation::App2App => Presentation::App2app,
            c::Presentation::Qr => Presentation::Qr,
        }
    }
}

impl From<SessionType> for CoreSessionType {
    fn from(t: SessionType) -> Self {
        match t {
            SessionType::Auth => CoreSessionType::Auth,
            SessionType::Sign => CoreSessionType::Sign,
            SessionType::Cert => CoreSessionType::Cert,
        }
    }
}

impl From<CoreSessionType> for SessionType {
    fn from(t: CoreSessionType) -> Self {
        match t {
            CoreSessionType::Auth => SessionType::Auth,
            CoreSessionType::Sign => SessionType::Sign,
            CoreSessionType::Cert => SessionType::Cert,
        }
    }
}

impl From<CertificateLevel> for CoreLevel {
    fn from(l: CertificateLevel) -> Self {
        match l {
            CertificateLevel::Advanced => CoreLevel::Advanced,
            CertificateLevel::Qualified => CoreLevel::Qualified,
            CertificateLevel::Qscd => CoreLevel::Qscd,
        }
    }
}

impl From<CoreLevel> for CertificateLevel {
    fn from(l: CoreLevel) -> Self {
        match l {
            CoreLevel::Advanced => CertificateLevel::Advanced,
            CoreLevel::Qualified => CertificateLevel::Qualified,
            CoreLevel::Qscd => CertificateLevel::Qscd,
        }
    }
}

/// The protocol value of a failure reason. `Unknown` maps to `UNKNOWN`.
fn end_result_of(r: FailureReason) -> EndResult {
    match r {
        FailureReason::UserRefused => EndResult::UserRefused,
        FailureReason::Timeout => EndResult::Timeout,
        FailureReason::DocumentUnusable => EndResult::DocumentUnusable,
        FailureReason::WrongVc => EndResult::WrongVc,
        FailureReason::RequiredInteractionNotSupportedByApp => {
            EndResult::RequiredInteractionNotSupportedByApp
        }
        FailureReason::UserRefusedCertChoice => EndResult::UserRefusedCertChoice,
        FailureReason::UserRefusedInteraction => EndResult::UserRefusedInteraction,
        FailureReason::ProtocolFailure => EndResult::ProtocolFailure,
        FailureReason::ExpectedLinkedSession => EndResult::ExpectedLinkedSession,
        FailureReason::ServerError => EndResult::ServerError,
        FailureReason::AccountUnusable => EndResult::AccountUnusable,
        FailureReason::Unknown => EndResult::Unknown("UNKNOWN".to_owned()),
    }
}

fn reason_of(e: &EndResult) -> FailureReason {
    match e {
        EndResult::UserRefused => FailureReason::UserRefused,
        EndResult::Timeout => FailureReason::Timeout,
        EndResult::DocumentUnusable => FailureReason::DocumentUnusable,
        EndResult::WrongVc => FailureReason::WrongVc,
        EndResult::RequiredInteractionNotSupportedByApp => {
            FailureReason::RequiredInteractionNotSupportedByApp
        }
        EndResult::UserRefusedCertChoice => FailureReason::UserRefusedCertChoice,
        EndResult::UserRefusedInteraction => FailureReason::UserRefusedInteraction,
        EndResult::ProtocolFailure => FailureReason::ProtocolFailure,
        EndResult::ExpectedLinkedSession => FailureReason::ExpectedLinkedSession,
        EndResult::ServerError => FailureReason::ServerError,
        EndResult::AccountUnusable => FailureReason::AccountUnusable,
        _ => FailureReason::Unknown,
    }
}

impl From<FlowOutcome> for c::FlowOutcome {
    fn from(o: FlowOutcome) -> Self {
        match o {
            FlowOutcome::Authenticated { identity, app_data } => c::FlowOutcome::Authenticated {
                identity: c::Identity {
                    given_name: identity.given_name,
                    surname: identity.surname,
                    identifier: identity.identifier,
                    country: identity.country,
                    document_number: identity.document_number,
                    certificate_level: identity.certificate_level.into(),
                    date_of_birth: identity.date_of_birth,
                },
                app_data,
            },
            FlowOutcome::Signed {
                signature,
                app_data,
            } => c::FlowOutcome::Signed {
                signature: c::SignatureResult {
                    document_number: signature.document_number,
                    certificate_level: signature.certificate_level.into(),
                    signature_algorithm: signature.signature_algorithm,
                    signature_value: signature.signature_value,
                    certificate: signature.certificate,
                },
                app_data,
            },
            FlowOutcome::Failed {
                reason,
                interaction,
            } => c::FlowOutcome::Failed {
                end_result: end_result_of(reason),
                interaction,
            },
        }
    }
}

impl From<c::FlowOutcome> for FlowOutcome {
    fn from(o: c::FlowOutcome) -> Self {
        match o {
            c::FlowOutcome::Authenticated { identity, app_data } => FlowOutcome::Authenticated {
                identity: Identity {
                    given_name: identity.given_name,
                    surname: identity.surname,
                    identifier: identity.identifier,
                    country: identity.country,
                    document_number: identity.document_number,
                    certificate_level: identity.certificate_level.into(),
                    date_of_birth: identity.date_of_birth,
                },
                app_data,
            },
            c::FlowOutcome::Signed {
                signature,
                app_data,
            } => FlowOutcome::Signed {
                signature: SignatureResult {
                    document_number: signature.document_number,
                    certificate_level: signature.certificate_level.into(),
                    signature_algorithm: signature.signature_algorithm,
                    signature_value: signature.signature_value,
                    certificate: signature.certificate,
                },
                app_data,
            },
            c::FlowOutcome::Failed {
                end_result,
                interaction,
            } => FlowOutcome::Failed {
                reason: reason_of(&end_result),
                interaction,
            },
        }
    }
}

impl From<c::StartFlowRequest> for StartFlowRequest {
    fn from(r: c::StartFlowRequest) -> Self {
        StartFlowRequest {
            kind: r.kind.into(),
            presentation: r.presentation.into(),
            lang: r.lang,
            context: r.context,
            idempotency_key: r.idempotency_key,
            flow_key_challenge: r.flow_key_challenge.unwrap_or_default(),
        }
    }
}

impl From<StartFlowRequest> for c::StartFlowRequest {
    fn from(r: StartFlowRequest) -> Self {
        c::StartFlowRequest {
            kind: r.kind.into(),
            presentation: r.presentation.into(),
            lang: r.lang,
            context: r.context,
            idempotency_key: r.idempotency_key,
            flow_key_challenge: Some(r.flow_key_challenge),
        }
    }
}

impl From<StartFlowResponse> for c::StartFlowResponse {
    fn from(r: StartFlowResponse) -> Self {
        c::StartFlowResponse {
            flow_handle: r.flow_handle,
            session_type: r.session_type.into(),
            device_link: r.device_link,
            callback_base: r.callback_base,
            callback_commitment: r.callback_commitment,
            expires_in_ms: r.expires_in_ms,
        }
    }
}

impl From<c::StartFlowResponse> for StartFlowResponse {
    fn from(r: c::StartFlowResponse) -> Self {
        StartFlowResponse {
            flow_handle: r.flow_handle,
            session_type: r.session_type.into(),
            device_link: r.device_link,
            callback_base: r.callback_base,
            callback_commitment: r.callback_commitment,
            expires_in_ms: r.expires_in_ms,
        }
    }
}

impl From<c::CompleteFlowRequest> for CompleteFlowRequest {
    fn from(r: c::CompleteFlowRequest) -> Self {
        CompleteFlowRequest {
            flow_handle: r.flow_handle,
            return_url: r.return_url,
        }
    }
}

impl From<CompleteFlowRequest> for c::CompleteFlowRequest {
    fn from(r: CompleteFlowRequest) -> Self {
        c::CompleteFlowRequest {
            flow_handle: r.flow_handle,
            return_url: r.return_url,
        }
    }
}

impl From<c::PollFlowRequest> for PollFlowRequest {
    fn from(r: c::PollFlowRequest) -> Self {
        PollFlowRequest {
            flow_handle: r.flow_handle,
        }
    }
}

impl From<c::CancelFlowRequest> for CancelFlowRequest {
    fn from(r: c::CancelFlowRequest) -> Self {
        CancelFlowRequest {
            flow_handle: r.flow_handle,
        }
    }
}

impl From<PollFlowResponse> for c::PollFlowResponse {
    fn from(r: PollFlowResponse) -> Self {
        match r {
            PollFlowResponse::Pending { device_link } => {
                c::PollFlowResponse::Pending { device_link }
            }
            PollFlowResponse::Finished { result, outcome } => c::PollFlowResponse::Finished {
                result: result.into(),
                outcome: outcome.map(Into::into),
            },
        }
    }
}

impl From<c::PollFlowResponse> for PollFlowResponse {
    fn from(r: c::PollFlowResponse) -> Self {
        match r {
            c::PollFlowResponse::Pending { device_link } => {
                PollFlowResponse::Pending { device_link }
            }
            c::PollFlowResponse::Finished { result, outcome } => PollFlowResponse::Finished {
                result: result.into(),
                outcome: outcome.map(Into::into),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_reasons_round_trip() {
        for e in EndResult::KNOWN.iter().filter(|e| **e != EndResult::Ok) {
            let r = reason_of(e);
            assert_ne!(r, FailureReason::Unknown, "{e}");
            assert_eq!(&end_result_of(r), e);
        }
        assert_eq!(
            reason_of(&EndResult::Unknown("NEW".into())),
            FailureReason::Unknown
        );
    }
}
