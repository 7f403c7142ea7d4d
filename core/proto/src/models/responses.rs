//! Responses of the RP API: session creation, certificate by document number, the session
//! status, and RFC 9457 problem bodies.

use serde::{Deserialize, Serialize};

use super::common::*;
use crate::error::{ProtoError, Result};
use crate::interactions::InteractionType;
use crate::secret::SessionSecret;
use crate::session_end::EndResult;
use crate::validate;

/// Response of the device-link session-creating endpoints (A1–A3, S1, S2, C2).
///
/// Holds the `sessionSecret`; keep it in the backend. `Debug` redacts the secret.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLinkSessionResponse {
    /// `sessionID` (for `GET session/{id}`); never give it to the app.
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// `sessionToken`, goes into the device link.
    pub session_token: String,
    /// `sessionSecret`, the authCode key.
    pub session_secret: SessionSecret,
    /// `deviceLinkBase`, used verbatim.
    pub device_link_base: String,
}

impl DeviceLinkSessionResponse {
    /// Checks the fields' formats (UUID session id, token alphabet, https device-link base).
    pub fn validate(&self) -> Result<()> {
        validate::uuid("sessionID", &self.session_id)?;
        validate::session_token(&self.session_token)?;
        crate::url::parse_https("deviceLinkBase", &self.device_link_base)?;
        if self.device_link_base.contains('?') {
            return Err(ProtoError::invalid(
                "deviceLinkBase",
                "must not contain a query",
            ));
        }
        Ok(())
    }
}

/// A verification code returned by notification signing endpoints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VerificationCode {
    /// Always `numeric4`.
    #[serde(rename = "type")]
    pub vc_type: String,
    /// The code to show, as received.
    pub value: String,
}

/// Response of notification session-creating endpoints (A4, A5, S3–S5, C3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NotificationSessionResponse {
    /// `sessionID`
    #[serde(rename = "sessionID")]
    pub session_id: String,
    /// Present for S3/S4: the code to show the user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vc: Option<VerificationCode>,
}

/// A certificate in a response.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseCertificate {
    /// DER, standard Base64.
    pub value: String,
    /// `ADVANCED` or `QUALIFIED`, kept as received.
    pub certificate_level: String,
}

impl ResponseCertificate {
    /// The level as a typed value, if it is a known one.
    pub fn level(&self) -> Option<CertificateLevel> {
        CertificateLevel::parse(&self.certificate_level)
    }
}

/// Response of `POST signature/certificate/{document-number}` (C1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CertificateByDocumentNumberResponse {
    /// `OK` or `DOCUMENT_UNUSABLE`.
    pub state: String,
    /// The signing certificate when `state` is `OK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<ResponseCertificate>,
}

/// `result.details`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultDetails {
    /// The refused interaction for `USER_REFUSED_INTERACTION`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction: Option<String>,
}

/// `result` of a completed session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionResult {
    /// `endResult`
    pub end_result: EndResult,
    /// Mandatory when `OK`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
    /// `details`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<ResultDetails>,
}

/// `maskGenAlgorithm.parameters`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaskGenParameters {
    /// The MGF1 hash, e.g. `SHA-512`.
    pub hash_algorithm: String,
}

/// `maskGenAlgorithm`
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MaskGenAlgorithm {
    /// `id-mgf1`
    pub algorithm: String,
    /// MGF1 parameters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parameters: Option<MaskGenParameters>,
}

/// `signature.signatureAlgorithmParameters` of a response, as received.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResponseSignatureAlgorithmParameters {
    /// e.g. `SHA-512`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_algorithm: Option<String>,
    /// MGF1 with its hash.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mask_gen_algorithm: Option<MaskGenAlgorithm>,
    /// Salt length in bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt_length: Option<u32>,
    /// `0xbc`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trailer_field: Option<String>,
}

/// `signature` of a session status: the union of the ACSP_V2, RAW_DIGEST_SIGNATURE and
/// certificate-choice shapes, with every value kept exactly as received.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionSignature {
    /// Standard Base64 signature (absent for certificate choice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    /// ACSP_V2: server randomness, Base64, used verbatim in the signed payload.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server_random: Option<String>,
    /// ACSP_V2: Base64URL SHA-256 of the callback's userChallengeVerifier.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_challenge: Option<String>,
    /// `QR`, `Web2App`, `App2App` or `Notification`, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flow_type: Option<String>,
    /// e.g. `rsassa-pss`, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm: Option<String>,
    /// PSS parameters, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm_parameters: Option<ResponseSignatureAlgorithmParameters>,
}

impl SessionSignature {
    /// The flow type, if it is a known value.
    pub fn flow(&self) -> Option<FlowType> {
        self.flow_type.as_deref().and_then(FlowType::parse)
    }
}

/// Response of `GET session/{sessionID}` (spec §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SessionStatus {
    /// `RUNNING` or `COMPLETE`.
    pub state: SessionState,
    /// Present when `COMPLETE`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<SessionResult>,
    /// `ACSP_V2` or `RAW_DIGEST_SIGNATURE`, as received (absent for certificate choice).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_protocol: Option<String>,
    /// The signature object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<SessionSignature>,
    /// The end-entity certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cert: Option<ResponseCertificate>,
    /// The interaction the app used, as received.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interaction_type_used: Option<String>,
    /// The device's IP address (only with `shareMdClientIpAddress`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ip_address: Option<String>,
    /// Request properties the server ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ignored_properties: Option<Vec<String>>,
}

impl SessionStatus {
    /// The interaction type used, if it is a known value.
    pub fn interaction_used(&self) -> Option<InteractionType> {
        self.interaction_type_used
            .as_deref()
            .and_then(InteractionType::parse)
    }

    /// The end result, if the session is complete.
    pub fn end_result(&self) -> Option<&EndResult> {
        self.result.as_ref().map(|r| &r.end_result)
    }
}

/// One entry of `errors` in a problem-details body.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ProblemError {
    /// A machine code such as `NO_SUITABLE_ACCOUNT_FOUND`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The offending parameter.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param_name: Option<String>,
    /// JSON pointer to the offending field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pointer: Option<String>,
}

/// RFC 9457 problem details, as used by the RP API for every error response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProblemDetails {
    /// Always `about:blank` in the RP API.
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub problem_type: Option<String>,
    /// The HTTP status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Short summary.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    /// Explanation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// The request path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    /// Field-level errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemError>>,
}
