//! Bodies of the session-creating endpoints (spec §3).

use serde::{Deserialize, Serialize};

use super::common::*;
use crate::callback::InitialCallbackUrl;
use crate::error::{ProtoError, Result};
use crate::ident::{DocumentNumber, SemanticsIdentifier};
use crate::interactions::{InteractionFlow, Interactions};
use crate::validate;

/// Body of `POST authentication/device-link/{anonymous | etsi/… | document/…}` (A1–A3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLinkAuthenticationRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// Required for Web2App/App2App, absent for QR-only sessions. Carries the callback token:
    /// redacted in `Debug`, zeroized on drop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<InitialCallbackUrl>,
    /// `ADVANCED` or `QUALIFIED` (server default `QUALIFIED`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// Always `ACSP_V2`.
    pub signature_protocol: SignatureProtocol,
    /// rpChallenge and PSS parameters.
    pub signature_protocol_parameters: AcspV2Parameters,
    /// Interactions, exact Base64.
    pub interactions: Interactions,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities` (only when agreed with SK).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl DeviceLinkAuthenticationRequest {
    /// Applies the spec's rules (§2.1) to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_callback(&self.initial_callback_url)?;
        validate_level(self.certificate_level, false)?;
        expect_protocol(self.signature_protocol, SignatureProtocol::AcspV2)?;
        validate_auth_params(&self.signature_protocol_parameters)?;
        self.interactions.check_flow(InteractionFlow::DeviceLink)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST authentication/notification/{etsi/… | document/…}` (A4, A5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationAuthenticationRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// `ADVANCED` or `QUALIFIED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// Always `ACSP_V2`.
    pub signature_protocol: SignatureProtocol,
    /// rpChallenge and PSS parameters.
    pub signature_protocol_parameters: AcspV2Parameters,
    /// Interactions, exact Base64.
    pub interactions: Interactions,
    /// Always `numeric4`.
    pub vc_type: VcType,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl NotificationAuthenticationRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_level(self.certificate_level, false)?;
        expect_protocol(self.signature_protocol, SignatureProtocol::AcspV2)?;
        validate_auth_params(&self.signature_protocol_parameters)?;
        self.interactions
            .check_flow(InteractionFlow::Notification)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST signature/device-link/{etsi/… | document/…}` (S1, S2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLinkSignatureRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// Required for Web2App/App2App, absent for QR-only sessions. Carries the callback token:
    /// redacted in `Debug`, zeroized on drop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<InitialCallbackUrl>,
    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// Always `RAW_DIGEST_SIGNATURE`.
    pub signature_protocol: SignatureProtocol,
    /// Digest and algorithm.
    pub signature_protocol_parameters: RawDigestParameters,
    /// `nonce` (1–30 characters) to bypass the 15-second idempotency window.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Interactions, exact Base64.
    pub interactions: Interactions,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl DeviceLinkSignatureRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_callback(&self.initial_callback_url)?;
        validate_level(self.certificate_level, true)?;
        expect_protocol(
            self.signature_protocol,
            SignatureProtocol::RawDigestSignature,
        )?;
        validate_sign_params(&self.signature_protocol_parameters)?;
        validate_nonce(&self.nonce)?;
        self.interactions.check_flow(InteractionFlow::DeviceLink)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST signature/notification/{etsi/… | document/…}` (S3, S4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationSignatureRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// Always `RAW_DIGEST_SIGNATURE`.
    pub signature_protocol: SignatureProtocol,
    /// Digest and algorithm.
    pub signature_protocol_parameters: RawDigestParameters,
    /// `nonce`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Interactions, exact Base64.
    pub interactions: Interactions,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl NotificationSignatureRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_level(self.certificate_level, true)?;
        expect_protocol(
            self.signature_protocol,
            SignatureProtocol::RawDigestSignature,
        )?;
        validate_sign_params(&self.signature_protocol_parameters)?;
        validate_nonce(&self.nonce)?;
        self.interactions
            .check_flow(InteractionFlow::Notification)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST signature/notification/linked/{document-number}` (S5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LinkedNotificationSignatureRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// Always `RAW_DIGEST_SIGNATURE`.
    pub signature_protocol: SignatureProtocol,
    /// Digest and algorithm.
    pub signature_protocol_parameters: RawDigestParameters,
    /// The `sessionID` of the preceding device-link certificate choice.
    #[serde(rename = "linkedSessionID")]
    pub linked_session_id: String,
    /// `nonce`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// Interactions (device-link set), exact Base64.
    pub interactions: Interactions,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl LinkedNotificationSignatureRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_level(self.certificate_level, true)?;
        expect_protocol(
            self.signature_protocol,
            SignatureProtocol::RawDigestSignature,
        )?;
        validate_sign_params(&self.signature_protocol_parameters)?;
        validate::uuid("linkedSessionID", &self.linked_session_id)?;
        validate_nonce(&self.nonce)?;
        self.interactions
            .check_flow(InteractionFlow::LinkedNotification)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST signature/certificate-choice/device-link/anonymous` (C2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLinkCertificateChoiceRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// Required for Web2App/App2App, absent for QR-only sessions. Carries the callback token:
    /// redacted in `Debug`, zeroized on drop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<InitialCallbackUrl>,
    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// `nonce`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl DeviceLinkCertificateChoiceRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_callback(&self.initial_callback_url)?;
        validate_nonce(&self.nonce)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST signature/certificate-choice/notification/etsi/…` (C3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotificationCertificateChoiceRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
    /// `nonce`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// `requestProperties`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_properties: Option<RequestProperties>,
    /// `capabilities`
    #[serde(skip_serializing_if = "Option::is_none")]
    pub capabilities: Option<Vec<String>>,
}

impl NotificationCertificateChoiceRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)?;
        validate_nonce(&self.nonce)?;
        validate_capabilities(&self.capabilities)
    }
}

/// Body of `POST signature/certificate/{document-number}` (C1).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateByDocumentNumberRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_level: Option<CertificateLevel>,
}

impl CertificateByDocumentNumberRequest {
    /// Applies the spec's rules to the whole body.
    pub fn validate(&self) -> Result<()> {
        validate_rp(&self.relying_party_uuid, &self.relying_party_name)
    }
}

fn expect_protocol(got: SignatureProtocol, want: SignatureProtocol) -> Result<()> {
    if got != want {
        return Err(ProtoError::invalid(
            "signatureProtocol",
            format!("must be {want} for this request, got {got}"),
        ));
    }
    Ok(())
}

/// Who a session-creating request is about: the path suffix of the endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// `…/anonymous`: the user is not known in advance.
    Anonymous,
    /// `…/etsi/{PNOEE-…}`: a known person.
    Etsi(SemanticsIdentifier),
    /// `…/document/{document-number}`: a known Smart-ID account.
    Document(DocumentNumber),
}

impl Subject {
    /// The path suffix (`anonymous`, `etsi/PNOEE-…`, `document/PNOEE-…-Q`).
    pub fn path_suffix(&self) -> String {
        match self {
            Subject::Anonymous => "anonymous".to_owned(),
            Subject::Etsi(id) => format!("etsi/{id}"),
            Subject::Document(d) => format!("document/{d}"),
        }
    }
}
