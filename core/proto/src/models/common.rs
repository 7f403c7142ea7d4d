//! Enums and parameter objects shared by requests and responses, and the validators of their
//! fields.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ProtoError, Result};
use crate::secret::RpChallenge;
use crate::validate;

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

pub(super) fn validate_auth_params(p: &AcspV2Parameters) -> Result<()> {
    if p.signature_algorithm != SignatureAlgorithm::RsassaPss {
        return Err(ProtoError::invalid(
            "signatureAlgorithm",
            "authentication supports only rsassa-pss",
        ));
    }
    Ok(())
}

pub(super) fn validate_sign_params(p: &RawDigestParameters) -> Result<()> {
    let digest = validate::digest(&p.digest)?;
    match (p.signature_algorithm, &p.signature_algorithm_parameters) {
        (SignatureAlgorithm::RsassaPss, None) => Err(ProtoError::invalid(
            "signatureAlgorithmParameters",
            "required for rsassa-pss",
        )),
        (SignatureAlgorithm::RsassaPss, Some(sap)) => {
            if sap.hash_algorithm.output_len() != digest.len() {
                return Err(ProtoError::invalid(
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
        (legacy, Some(_)) => Err(ProtoError::invalid(
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
                return Err(ProtoError::invalid(
                    "digest",
                    format!("is {} bytes but {legacy} needs {want}", digest.len()),
                ));
            }
            Ok(())
        }
    }
}

pub(super) fn validate_callback(url: &Option<crate::callback::InitialCallbackUrl>) -> Result<()> {
    if let Some(u) = url {
        crate::callback::validate_initial_callback_url(u)?;
    }
    Ok(())
}

pub(super) fn validate_rp(uuid: &str, name: &str) -> Result<()> {
    validate::relying_party_uuid(uuid)?;
    validate::relying_party_name(name)
}

pub(super) fn validate_level(level: Option<CertificateLevel>, allow_qscd: bool) -> Result<()> {
    if level == Some(CertificateLevel::Qscd) && !allow_qscd {
        return Err(ProtoError::invalid(
            "certificateLevel",
            "authentication allows ADVANCED or QUALIFIED only",
        ));
    }
    Ok(())
}

pub(super) fn validate_nonce(n: &Option<String>) -> Result<()> {
    n.as_deref().map_or(Ok(()), validate::nonce)
}

pub(super) fn validate_capabilities(c: &Option<Vec<String>>) -> Result<()> {
    if let Some(list) = c {
        if list.is_empty() {
            return Err(ProtoError::invalid(
                "capabilities",
                "an empty list: leave capabilities out instead",
            ));
        }
        if list.len() > 32 {
            return Err(ProtoError::invalid(
                "capabilities",
                "at most 32 capabilities",
            ));
        }
        for (i, cap) in list.iter().enumerate() {
            if list[..i].contains(cap) {
                return Err(ProtoError::invalid(
                    "capabilities",
                    format!("`{cap}` is listed twice"),
                ));
            }
            if cap.is_empty() || cap.len() > 100 || cap.chars().any(char::is_control) {
                return Err(ProtoError::invalid(
                    "capabilities",
                    "each capability must be 1 to 100 printable characters",
                ));
            }
        }
    }
    Ok(())
}

/// `deviceLinkType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DeviceLinkType {
    /// `QR`: dynamic QR code for another device; carries `elapsedSeconds`.
    Qr,
    /// `Web2App`: same-device link in a mobile web page.
    Web2App,
    /// `App2App`: same-device link from the RP's native app.
    App2App,
}

impl DeviceLinkType {
    /// The protocol string (`QR`, `Web2App`, `App2App`).
    pub const fn as_str(self) -> &'static str {
        match self {
            DeviceLinkType::Qr => "QR",
            DeviceLinkType::Web2App => "Web2App",
            DeviceLinkType::App2App => "App2App",
        }
    }

    /// Parses the exact protocol string.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "QR" => Some(DeviceLinkType::Qr),
            "Web2App" => Some(DeviceLinkType::Web2App),
            "App2App" => Some(DeviceLinkType::App2App),
            _ => None,
        }
    }

    /// `true` for Web2App and App2App.
    pub const fn is_same_device(self) -> bool {
        !matches!(self, DeviceLinkType::Qr)
    }
}

impl fmt::Display for DeviceLinkType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for DeviceLinkType {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self> {
        DeviceLinkType::parse(s).ok_or_else(|| {
            ProtoError::invalid(
                "deviceLinkType",
                format!("expected QR, Web2App or App2App, got `{s}`"),
            )
        })
    }
}

/// `sessionType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SessionType {
    /// `auth`: authentication (ACSP_V2).
    Auth,
    /// `sign`: signature (RAW_DIGEST_SIGNATURE).
    Sign,
    /// `cert`: certificate choice (no signature protocol).
    Cert,
}

impl SessionType {
    /// The protocol string (`auth`, `sign`, `cert`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SessionType::Auth => "auth",
            SessionType::Sign => "sign",
            SessionType::Cert => "cert",
        }
    }

    /// Parses the exact protocol string.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "auth" => Some(SessionType::Auth),
            "sign" => Some(SessionType::Sign),
            "cert" => Some(SessionType::Cert),
            _ => None,
        }
    }

    /// The signature protocol of the session type (`None` for certificate choice).
    pub const fn signature_protocol(self) -> Option<SignatureProtocol> {
        match self {
            SessionType::Auth => Some(SignatureProtocol::AcspV2),
            SessionType::Sign => Some(SignatureProtocol::RawDigestSignature),
            SessionType::Cert => None,
        }
    }
}

impl fmt::Display for SessionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for SessionType {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self> {
        SessionType::parse(s).ok_or_else(|| {
            ProtoError::invalid(
                "sessionType",
                format!("expected auth, sign or cert, got `{s}`"),
            )
        })
    }
}
