//! Wire models of the Smart-ID RP API v3 (spec §2, §3, §10).
//!
//! Field names are the exact JSON names (`relyingPartyUUID`, `initialCallbackUrl`, `sessionID`);
//! optional fields are omitted rather than sent as `null`; unknown fields in responses are
//! ignored. Every request type has a `validate()` method that applies the spec's rules; the
//! builders in [`crate::request`] call it, and a server (the simulator) can call it on what it
//! receives.
//!
//! Response values that end up in signed payloads (`flowType`, `interactionTypeUsed`,
//! `serverRandom`, `userChallenge`) are kept as the exact strings received; typed accessors
//! interpret them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};
use crate::ident::{DocumentNumber, SemanticsIdentifier};
use crate::interactions::{InteractionFlow, InteractionType, Interactions};
use crate::secret::{RpChallenge, SessionSecret};
use crate::validate;

/// Declares a string enum with exact protocol names.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The exact protocol string.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }

            /// Parses the exact protocol string.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$var),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = Error;
            fn from_str(s: &str) -> Result<Self> {
                $name::parse(s).ok_or_else(|| Error::invalid(
                    stringify!($name),
                    format!("unknown value `{}` (expected one of: {})", s,
                        [$($s),+].join(", ")),
                ))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!(
                    "unknown {} `{}`", stringify!($name), s)))
            }
        }
    };
}

string_enum! {
    /// Certificate level. Authentication allows `ADVANCED` and `QUALIFIED`; signing and
    /// certificate choice also `QSCD` (qualified on a QSCD).
    CertificateLevel {
        /// `ADVANCED` (Smart-ID Basic accounts).
        Advanced = "ADVANCED",
        /// `QUALIFIED`, the default.
        Qualified = "QUALIFIED",
        /// `QSCD`: qualified, and the key is on a qualified signature creation device.
        Qscd = "QSCD",
    }
}

impl CertificateLevel {
    /// Rank for "level ≥ requested" comparisons: `ADVANCED` < `QUALIFIED` < `QSCD`.
    pub const fn rank(self) -> u8 {
        match self {
            CertificateLevel::Advanced => 1,
            CertificateLevel::Qualified => 2,
            CertificateLevel::Qscd => 3,
        }
    }

    /// Whether a certificate of level `self` satisfies a request for `requested`. A returned
    /// `QUALIFIED` certificate satisfies a `QSCD` request (the API reports only ADVANCED or
    /// QUALIFIED; QSCD capability is enforced by the server through capabilities).
    pub const fn satisfies(self, requested: CertificateLevel) -> bool {
        let have = match self {
            CertificateLevel::Qscd => 3,
            other => other.rank(),
        };
        let want = match requested {
            CertificateLevel::Qscd => 2,
            other => other.rank(),
        };
        have >= want
    }
}

string_enum! {
    /// The signature protocol of a session.
    SignatureProtocol {
        /// `ACSP_V2`: authentication.
        AcspV2 = "ACSP_V2",
        /// `RAW_DIGEST_SIGNATURE`: signing a digest.
        RawDigestSignature = "RAW_DIGEST_SIGNATURE",
    }
}

string_enum! {
    /// `signatureAlgorithm`.
    SignatureAlgorithm {
        /// `rsassa-pss` (recommended; requires `signatureAlgorithmParameters`).
        RsassaPss = "rsassa-pss",
        /// `sha256WithRSAEncryption` (PKCS#1 v1.5, legacy, signing only).
        Sha256WithRsaEncryption = "sha256WithRSAEncryption",
        /// `sha384WithRSAEncryption` (PKCS#1 v1.5, legacy, signing only).
        Sha384WithRsaEncryption = "sha384WithRSAEncryption",
        /// `sha512WithRSAEncryption` (PKCS#1 v1.5, legacy, signing only).
        Sha512WithRsaEncryption = "sha512WithRSAEncryption",
    }
}

impl SignatureAlgorithm {
    /// `true` for the deprecated PKCS#1 v1.5 algorithms.
    pub const fn is_legacy_pkcs1(self) -> bool {
        !matches!(self, SignatureAlgorithm::RsassaPss)
    }
}

string_enum! {
    /// `hashAlgorithm`.
    HashAlgorithm {
        /// `SHA-256`
        Sha256 = "SHA-256",
        /// `SHA-384`
        Sha384 = "SHA-384",
        /// `SHA-512`
        Sha512 = "SHA-512",
        /// `SHA3-256`
        Sha3_256 = "SHA3-256",
        /// `SHA3-384`
        Sha3_384 = "SHA3-384",
        /// `SHA3-512`
        Sha3_512 = "SHA3-512",
    }
}

impl HashAlgorithm {
    /// Output length in bytes (also the RSASSA-PSS salt length Smart-ID uses).
    pub const fn output_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 | HashAlgorithm::Sha3_256 => 32,
            HashAlgorithm::Sha384 | HashAlgorithm::Sha3_384 => 48,
            HashAlgorithm::Sha512 | HashAlgorithm::Sha3_512 => 64,
        }
    }
}

string_enum! {
    /// `flowType` of a completed session: how the user reached it.
    FlowType {
        /// `QR`: dynamic QR code scanned on another device.
        Qr = "QR",
        /// `Web2App`: same-device link from a mobile web page.
        Web2App = "Web2App",
        /// `App2App`: same-device link from the RP's native app.
        App2App = "App2App",
        /// `Notification`: push notification.
        Notification = "Notification",
    }
}

string_enum! {
    /// `vcType` of notification authentication requests.
    VcType {
        /// `numeric4`: four digits.
        Numeric4 = "numeric4",
    }
}

string_enum! {
    /// `state` of a session.
    SessionState {
        /// `RUNNING`
        Running = "RUNNING",
        /// `COMPLETE`
        Complete = "COMPLETE",
    }
}

/// `signatureAlgorithmParameters` of a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureAlgorithmParameters {
    /// The hash algorithm of RSASSA-PSS.
    pub hash_algorithm: HashAlgorithm,
}

/// `signatureProtocolParameters` of an authentication request (ACSP_V2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AcspV2Parameters {
    /// The random challenge (32–64 bytes, Base64).
    pub rp_challenge: RpChallenge,
    /// Must be `rsassa-pss` for authentication.
    pub signature_algorithm: SignatureAlgorithm,
    /// The PSS hash algorithm.
    pub signature_algorithm_parameters: SignatureAlgorithmParameters,
}

/// `signatureProtocolParameters` of a signature request (RAW_DIGEST_SIGNATURE).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RawDigestParameters {
    /// Base64 of the hash of the data to be signed (44–88 characters).
    pub digest: String,
    /// `rsassa-pss`, or a legacy PKCS#1 v1.5 algorithm.
    pub signature_algorithm: SignatureAlgorithm,
    /// Required for `rsassa-pss`, absent for PKCS#1 v1.5.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_algorithm_parameters: Option<SignatureAlgorithmParameters>,
}

/// `requestProperties`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RequestProperties {
    /// Ask for the device's IP address in the session status (needs an SK-granted privilege).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub share_md_client_ip_address: Option<bool>,
}

fn validate_auth_params(p: &AcspV2Parameters) -> Result<()> {
    if p.signature_algorithm != SignatureAlgorithm::RsassaPss {
        return Err(Error::invalid(
            "signatureAlgorithm",
            "authentication supports only rsassa-pss",
        ));
    }
    Ok(())
}

fn validate_sign_params(p: &RawDigestParameters) -> Result<()> {
    let digest = validate::digest(&p.digest)?;
    match (p.signature_algorithm, &p.signature_algorithm_parameters) {
        (SignatureAlgorithm::RsassaPss, None) => Err(Error::invalid(
            "signatureAlgorithmParameters",
            "required for rsassa-pss",
        )),
        (SignatureAlgorithm::RsassaPss, Some(sap)) => {
            if sap.hash_algorithm.output_len() != digest.len() {
                return Err(Error::invalid(
                    "digest",
                    format!(
                        "is {} bytes but hashAlgorithm {} produces {} bytes",
                        digest.len(),
                        sap.hash_algorithm,
                        sap.hash_algorithm.output_len()
                    ),
                ));
            }
            Ok(())
        }
        (legacy, Some(_)) => Err(Error::invalid(
            "signatureAlgorithmParameters",
            format!("must be absent for {legacy}"),
        )),
        (legacy, None) => {
            let want = match legacy {
                SignatureAlgorithm::Sha256WithRsaEncryption => 32,
                SignatureAlgorithm::Sha384WithRsaEncryption => 48,
                _ => 64,
            };
            if digest.len() != want {
                return Err(Error::invalid(
                    "digest",
                    format!("is {} bytes but {legacy} needs {want}", digest.len()),
                ));
            }
            Ok(())
        }
    }
}

fn validate_callback(url: &Option<String>) -> Result<()> {
    if let Some(u) = url {
        crate::callback::validate_initial_callback_url(u)?;
    }
    Ok(())
}

fn validate_rp(uuid: &str, name: &str) -> Result<()> {
    validate::relying_party_uuid(uuid)?;
    validate::relying_party_name(name)
}

fn validate_level(level: Option<CertificateLevel>, allow_qscd: bool) -> Result<()> {
    if level == Some(CertificateLevel::Qscd) && !allow_qscd {
        return Err(Error::invalid(
            "certificateLevel",
            "authentication allows ADVANCED or QUALIFIED only",
        ));
    }
    Ok(())
}

fn validate_nonce(n: &Option<String>) -> Result<()> {
    n.as_deref().map_or(Ok(()), validate::nonce)
}

fn validate_capabilities(c: &Option<Vec<String>>) -> Result<()> {
    if let Some(list) = c {
        for cap in list {
            if cap.is_empty() || cap.len() > 100 || cap.chars().any(char::is_control) {
                return Err(Error::invalid(
                    "capabilities",
                    "each capability must be 1 to 100 printable characters",
                ));
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Requests
// ---------------------------------------------------------------------------------------------

/// Body of `POST authentication/device-link/{anonymous | etsi/… | document/…}` (A1–A3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceLinkAuthenticationRequest {
    /// `relyingPartyUUID`
    #[serde(rename = "relyingPartyUUID")]
    pub relying_party_uuid: String,
    /// `relyingPartyName`
    pub relying_party_name: String,
    /// Required for Web2App/App2App, absent for QR-only sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<String>,
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
    /// Required for Web2App/App2App, absent for QR-only sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<String>,
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
    /// Required for Web2App/App2App, absent for QR-only sessions.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<String>,
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
        return Err(Error::invalid(
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

// ---------------------------------------------------------------------------------------------
// Responses
// ---------------------------------------------------------------------------------------------

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
            return Err(Error::invalid("deviceLinkBase", "must not contain a query"));
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

/// `result.endResult` of a completed session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EndResult {
    /// `OK`
    Ok,
    /// `USER_REFUSED`
    UserRefused,
    /// `TIMEOUT`
    Timeout,
    /// `DOCUMENT_UNUSABLE`
    DocumentUnusable,
    /// `WRONG_VC`
    WrongVc,
    /// `REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP`
    RequiredInteractionNotSupportedByApp,
    /// `USER_REFUSED_CERT_CHOICE`
    UserRefusedCertChoice,
    /// `USER_REFUSED_INTERACTION`
    UserRefusedInteraction,
    /// `PROTOCOL_FAILURE`
    ProtocolFailure,
    /// `EXPECTED_LINKED_SESSION`
    ExpectedLinkedSession,
    /// `SERVER_ERROR`
    ServerError,
    /// `ACCOUNT_UNUSABLE`
    AccountUnusable,
    /// A value this version does not know; treated as a failure.
    Unknown(String),
}

impl EndResult {
    /// Every known value (without `Unknown`).
    pub const KNOWN: &'static [EndResult] = &[
        EndResult::Ok,
        EndResult::UserRefused,
        EndResult::Timeout,
        EndResult::DocumentUnusable,
        EndResult::WrongVc,
        EndResult::RequiredInteractionNotSupportedByApp,
        EndResult::UserRefusedCertChoice,
        EndResult::UserRefusedInteraction,
        EndResult::ProtocolFailure,
        EndResult::ExpectedLinkedSession,
        EndResult::ServerError,
        EndResult::AccountUnusable,
    ];

    /// The protocol string.
    pub fn as_str(&self) -> &str {
        match self {
            EndResult::Ok => "OK",
            EndResult::UserRefused => "USER_REFUSED",
            EndResult::Timeout => "TIMEOUT",
            EndResult::DocumentUnusable => "DOCUMENT_UNUSABLE",
            EndResult::WrongVc => "WRONG_VC",
            EndResult::RequiredInteractionNotSupportedByApp => {
                "REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP"
            }
            EndResult::UserRefusedCertChoice => "USER_REFUSED_CERT_CHOICE",
            EndResult::UserRefusedInteraction => "USER_REFUSED_INTERACTION",
            EndResult::ProtocolFailure => "PROTOCOL_FAILURE",
            EndResult::ExpectedLinkedSession => "EXPECTED_LINKED_SESSION",
            EndResult::ServerError => "SERVER_ERROR",
            EndResult::AccountUnusable => "ACCOUNT_UNUSABLE",
            EndResult::Unknown(s) => s,
        }
    }

    /// Parses a protocol string; unknown values become [`EndResult::Unknown`].
    pub fn parse(s: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|k| k.as_str() == s)
            .cloned()
            .unwrap_or_else(|| EndResult::Unknown(s.to_owned()))
    }
}

impl fmt::Display for EndResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EndResult {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EndResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(EndResult::parse(&String::deserialize(d)?))
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enums_roundtrip() {
        for l in CertificateLevel::ALL {
            assert_eq!(CertificateLevel::parse(l.as_str()), Some(*l));
        }
        assert_eq!(
            serde_json::to_string(&SignatureAlgorithm::Sha256WithRsaEncryption).unwrap(),
            "\"sha256WithRSAEncryption\""
        );
        assert_eq!(
            serde_json::from_str::<HashAlgorithm>("\"SHA3-384\"").unwrap(),
            HashAlgorithm::Sha3_384
        );
        assert!(serde_json::from_str::<HashAlgorithm>("\"sha-256\"").is_err());
        assert_eq!(EndResult::parse("WRONG_VC"), EndResult::WrongVc);
        assert_eq!(
            EndResult::parse("SOMETHING_NEW"),
            EndResult::Unknown("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn level_ordering() {
        use CertificateLevel::*;
        assert!(Qualified.satisfies(Advanced));
        assert!(Qualified.satisfies(Qualified));
        assert!(Qualified.satisfies(Qscd));
        assert!(!Advanced.satisfies(Qualified));
        assert!(Advanced.satisfies(Advanced));
    }
}
