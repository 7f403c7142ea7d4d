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
    /// Whether a revocation checker confirmed every non-anchor certificate of the chain.
    pub revocation_checked: bool,
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
