//! What a successful verification returns: [`VerifiedAuthentication`], [`VerifiedSignature`],
//! [`VerifiedCertificateChoice`], each with its [`VerifiedCertificate`]. All serialize to the JSON
//! `smartid verify-response` prints.

use std::time::SystemTime;

use serde::{Serialize, Serializer};
use sidkit_proto::b64;
use sidkit_proto::models::{CertificateLevel, FlowType, HashAlgorithm, SignatureAlgorithm};

use crate::identity::CertificateIdentity;

/// The verified end-entity certificate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedCertificate {
    /// DER (serialized as standard Base64 under `value`).
    #[serde(rename = "value", serialize_with = "ser_b64")]
    pub der: Vec<u8>,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial_number: String,
    /// Start of validity.
    #[serde(serialize_with = "ser_time")]
    pub not_before: SystemTime,
    /// End of validity.
    #[serde(serialize_with = "ser_time")]
    pub not_after: SystemTime,
    /// Subjects of the issuers, nearest first; the last is the trust anchor.
    pub chain: Vec<String>,
    /// Whether a revocation checker confirmed every non-anchor certificate of the chain
    /// (`false` without a checker, or when a soft-fail policy let one through unchecked).
    pub revocation_checked: bool,
    /// Per non-anchor certificate of the chain (end entity first), how its revocation status
    /// was established: method, responder or CRL URL, `thisUpdate`/`nextUpdate`, or why it
    /// was not checked. Empty (and left out of the JSON) without a revocation checker.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation: Vec<RevocationRecord>,
}

/// A verified authentication.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedAuthentication {
    /// The authenticated person.
    #[serde(flatten)]
    pub identity: CertificateIdentity,
    /// `result.documentNumber` (consistent with the identity); use it for later requests.
    pub document_number: String,
    /// The level the certificate proves (its Smart-ID policies and, for signing, its QC
    /// statements; never the response's unsigned `cert.certificateLevel`), verified to
    /// satisfy the request. A qualified signing certificate with `QcSSCD` is `QSCD`.
    pub certificate_level: CertificateLevel,
    /// How the user completed the session.
    pub flow_type: FlowType,
    /// The interaction the app showed.
    pub interaction_type_used: String,
    /// `deviceIpAddress`, when shared (`shareMdClientIpAddress`). Unsigned, reported by
    /// Smart-ID: information, not proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ip_address: Option<String>,
    /// `ignoredProperties`: request properties Smart-ID ignored (e.g. a capability it does not
    /// know). Unsigned; worth logging, since an ignored property was not applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_properties: Vec<String>,
    /// The verified certificate.
    pub certificate: VerifiedCertificate,
}

/// A verified RAW_DIGEST_SIGNATURE signature.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedSignature {
    /// The signer.
    #[serde(flatten)]
    pub identity: CertificateIdentity,
    /// `result.documentNumber`.
    pub document_number: String,
    /// The level the certificate proves (its Smart-ID policies and, for signing, its QC
    /// statements; never the response's unsigned `cert.certificateLevel`), verified to
    /// satisfy the request. A qualified signing certificate with `QcSSCD` is `QSCD`.
    pub certificate_level: CertificateLevel,
    /// How the user completed the session.
    pub flow_type: FlowType,
    /// The interaction the app showed.
    pub interaction_type_used: String,
    /// The signature value (serialized as standard Base64).
    #[serde(serialize_with = "ser_b64")]
    pub signature_value: Vec<u8>,
    /// The signature algorithm (as requested).
    pub signature_algorithm: SignatureAlgorithm,
    /// The hash algorithm of the digest (and of PSS/MGF1).
    pub hash_algorithm: HashAlgorithm,
    /// The PSS salt length (`None` for PKCS#1 v1.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt_length: Option<usize>,
    /// `deviceIpAddress`, when shared (`shareMdClientIpAddress`). Unsigned, reported by
    /// Smart-ID: information, not proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ip_address: Option<String>,
    /// `ignoredProperties`: request properties Smart-ID ignored (e.g. a capability it does not
    /// know). Unsigned; worth logging, since an ignored property was not applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_properties: Vec<String>,
    /// The verified certificate (embed it in the signature container).
    pub certificate: VerifiedCertificate,
}

/// A verified certificate choice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedCertificateChoice {
    /// The certificate holder.
    #[serde(flatten)]
    pub identity: CertificateIdentity,
    /// `result.documentNumber`: use it for the signature request (linked S5 or `document/…`).
    pub document_number: String,
    /// The level the certificate proves (its Smart-ID policies and, for signing, its QC
    /// statements; never the response's unsigned `cert.certificateLevel`), verified to
    /// satisfy the request. A qualified signing certificate with `QcSSCD` is `QSCD`.
    pub certificate_level: CertificateLevel,
    /// How the user completed the session.
    pub flow_type: FlowType,
    /// `deviceIpAddress`, when shared (`shareMdClientIpAddress`). Unsigned, reported by
    /// Smart-ID: information, not proof.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ip_address: Option<String>,
    /// `ignoredProperties`: request properties Smart-ID ignored (e.g. a capability it does not
    /// know). Unsigned; worth logging, since an ignored property was not applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored_properties: Vec<String>,
    /// The verified signing certificate.
    pub certificate: VerifiedCertificate,
}

/// How a revocation answer was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RevocationMethod {
    /// An OCSP response (RFC 6960).
    Ocsp,
    /// A CRL (RFC 5280).
    Crl,
}

impl RevocationMethod {
    /// `ocsp` or `crl`.
    pub const fn as_str(self) -> &'static str {
        match self {
            RevocationMethod::Ocsp => "ocsp",
            RevocationMethod::Crl => "crl",
        }
    }
}

/// How a certificate was confirmed not revoked; recorded in the verified result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationEvidence {
    /// OCSP or CRL.
    pub method: RevocationMethod,
    /// The OCSP responder or CRL URL.
    pub source: String,
    /// `thisUpdate` of the response or CRL.
    #[serde(serialize_with = "ser_time")]
    pub this_update: SystemTime,
    /// `nextUpdate`, when present.
    #[serde(
        serialize_with = "ser_opt_time",
        skip_serializing_if = "Option::is_none"
    )]
    pub next_update: Option<SystemTime>,
}

/// The revocation outcome of one certificate of a verified chain, as results report it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RevocationRecord {
    /// The certificate's subject (RFC 4514).
    pub certificate: String,
    /// `true` when its status was confirmed good; `false` when a soft-fail policy let it
    /// through unchecked.
    pub checked: bool,
    /// How it was confirmed (when `checked` and the checker said).
    #[serde(flatten)]
    pub evidence: Option<RevocationEvidence>,
    /// Why it was not checked (when not `checked`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unchecked_reason: Option<String>,
}

fn ser_opt_time<S: Serializer>(
    t: &Option<SystemTime>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    match t {
        Some(t) => ser_time(t, s),
        None => s.serialize_none(),
    }
}

fn ser_b64<S: Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&b64::encode_std(v))
}

fn ser_time<S: Serializer>(t: &SystemTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    s.serialize_str(&rfc3339(secs))
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_924_991_999), "2030-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
