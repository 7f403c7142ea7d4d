//! [`Certificate`]: a parsed X.509 certificate that keeps its DER bytes, with the accessors the
//! verifier needs (names, validity, keys, Smart-ID profile extensions).

use std::fmt;
use std::time::SystemTime;

use sha2::{Digest as _, Sha256};
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
use x509_cert::ext::pkix::{
    AuthorityInfoAccessSyntax, BasicConstraints, CertificatePolicies, CrlDistributionPoints,
    ExtendedKeyUsage, KeyUsage,
};

use super::asn1::{self, tag};
use super::oid;
use crate::error::{Result, VerifyError};
use sidkit_proto::b64;

/// A SHA-256 fingerprint of a certificate's DER encoding.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct CertFingerprint(pub [u8; 32]);

impl CertFingerprint {
    /// SHA-256 of `der`.
    pub fn of(der: &[u8]) -> Self {
        CertFingerprint(Sha256::digest(der).into())
    }

    /// Parses 64 hex digits; `:` and spaces between digits are ignored, case is ignored
    /// (`3E:84:BA:…` as printed by `openssl x509 -fingerprint -sha256` works).
    pub fn from_hex(s: &str) -> Result<Self> {
        let digits: Vec<u8> = s.bytes().filter(|b| *b != b':' && *b != b' ').collect();
        let bad = || {
            VerifyError::invalid(
                "fingerprint",
                "expected 64 hex digits of a SHA-256 fingerprint",
            )
        };
        if digits.len() != 64 {
            return Err(bad());
        }
        let mut out = [0u8; 32];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            let hex = |c: u8| -> Option<u8> { (c as char).to_digit(16).map(|d| d as u8) };
            out[i] = hex(pair[0]).ok_or_else(bad)? << 4 | hex(pair[1]).ok_or_else(bad)?;
        }
        Ok(CertFingerprint(out))
    }

    /// Upper-case hex without separators (64 characters).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02X}")).collect()
    }
}

impl fmt::Display for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl fmt::Debug for CertFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertFingerprint({})", self.to_hex())
    }
}

/// A parsed X.509 certificate together with its exact DER bytes.
///
/// Parsing is strict DER (RustCrypto `x509-cert`). Signatures over the certificate are checked
/// against the `tbsCertificate` bytes as received, never against a re-encoding.
#[derive(Clone)]
pub struct Certificate {
    der: Vec<u8>,
    tbs: std::ops::Range<usize>,
    parsed: x509_cert::Certificate,
    fingerprint: CertFingerprint,
    subject: String,
}

impl fmt::Debug for Certificate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Certificate")
            .field("subject", &self.subject)
            .field("sha256", &self.fingerprint)
            .finish()
    }
}

impl PartialEq for Certificate {
    fn eq(&self, other: &Self) -> bool {
        self.der == other.der
    }
}
impl Eq for Certificate {}

fn malformed(why: impl fmt::Display) -> VerifyError {
    VerifyError::invalid(
        "certificate",
        format!("not a valid DER X.509 certificate: {why}"),
    )
}

impl Certificate {
    /// Parses a DER certificate.
    pub fn from_der(der: &[u8]) -> Result<Self> {
        let parsed = x509_cert::Certificate::from_der(der).map_err(malformed)?;
        let tbs = asn1::tbs_certificate_range(der).map_err(|e| malformed(e.0))?;
        let subject = parsed.tbs_certificate().subject().to_string();
        Ok(Certificate {
            der: der.to_vec(),
            tbs,
            fingerprint: CertFingerprint::of(der),
            parsed,
            subject,
        })
    }

    /// Parses the standard Base64 DER of a session status `cert.value`.
    pub fn from_base64(value: &str) -> Result<Self> {
        Self::from_der(&b64::decode_std("cert.value", value)?)
    }

    /// Parses every `CERTIFICATE` block of a PEM text (text outside the blocks is ignored).
    /// Fails if there is none or one does not decode.
    pub fn from_pem(pem: &[u8]) -> Result<Vec<Self>> {
        let text = std::str::from_utf8(pem)
            .map_err(|_| VerifyError::invalid("certificate", "PEM text is not UTF-8"))?;
        const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
        const END: &str = "-----END CERTIFICATE-----";
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(start) = rest.find(BEGIN) {
            let after = &rest[start + BEGIN.len()..];
            let end = after
                .find(END)
                .ok_or_else(|| VerifyError::invalid("certificate", "PEM block without END line"))?;
            let body: String = after[..end]
                .chars()
                .filter(|c| !c.is_ascii_whitespace())
                .collect();
            out.push(Self::from_der(&b64::decode_std("certificate", &body)?)?);
            rest = &after[end + END.len()..];
        }
        if out.is_empty() {
            return Err(VerifyError::invalid(
                "certificate",
                "no PEM CERTIFICATE block found",
            ));
        }
        Ok(out)
    }

    /// The DER encoding, exactly as received.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// SHA-256 fingerprint of the DER.
    pub fn fingerprint(&self) -> CertFingerprint {
        self.fingerprint
    }

    /// The subject as an RFC 4514 string.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer as an RFC 4514 string.
    pub fn issuer(&self) -> String {
        self.tbs().issuer().to_string()
    }

    /// The serial number, upper-case hex.
    pub fn serial_hex(&self) -> String {
        self.tbs()
            .serial_number()
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02X}"))
            .collect()
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + self.tbs().validity().not_before.to_unix_duration()
    }

    /// End of the validity period.
    pub fn not_after(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + self.tbs().validity().not_after.to_unix_duration()
    }

    /// Whether subject and issuer are the same name (a root, or a self-issued CA).
    pub fn is_self_issued(&self) -> bool {
        self.tbs().subject() == self.tbs().issuer()
    }

    /// `cA` of the basic constraints extension (`false` when the extension is absent).
    pub fn is_ca(&self) -> bool {
        matches!(self.basic_constraints(), Ok(Some(bc)) if bc.ca)
    }

    /// The OCSP responder URLs of the authority information access extension.
    pub fn ocsp_urls(&self) -> Vec<String> {
        let Ok(Some((_, aia))) = self.tbs().get_extension::<AuthorityInfoAccessSyntax>() else {
            return Vec::new();
        };
        aia.0
            .iter()
            .filter(|d| d.access_method == oid::AD_OCSP)
            .filter_map(|d| match &d.access_location {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect()
    }

    /// The CRL URLs (`http://…` and other URIs) of the CRL distribution points extension,
    /// in the certificate's order. Distribution points named relative to the issuer, or
    /// limited to some reasons or to another CRL issuer, are left out.
    pub fn crl_urls(&self) -> Vec<String> {
        let Ok(Some((_, cdp))) = self.tbs().get_extension::<CrlDistributionPoints>() else {
            return Vec::new();
        };
        cdp.0
            .iter()
            .filter(|dp| dp.reasons.is_none() && dp.crl_issuer.is_none())
            .filter_map(|dp| match &dp.distribution_point {
                Some(DistributionPointName::FullName(names)) => Some(names),
                _ => None,
            })
            .flatten()
            .filter_map(|n| match n {
                GeneralName::UniformResourceIdentifier(u) => Some(u.to_string()),
                _ => None,
            })
            .collect()
    }

    // ---- crate-internal accessors -------------------------------------------------------

    /// The contents of the subjectPublicKey BIT STRING (what OCSP key hashes cover).
    pub(crate) fn spki_bits(&self) -> &[u8] {
        self.tbs()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes()
    }

    /// The DER of the subject name (what OCSP name hashes cover).
    pub(crate) fn subject_der(&self) -> Result<Vec<u8>, String> {
        self.tbs().subject().to_der().map_err(|e| e.to_string())
    }

    pub(crate) fn tbs(&self) -> &x509_cert::TbsCertificate {
        self.parsed.tbs_certificate()
    }

    /// The raw `tbsCertificate` bytes the issuer signed.
    pub(crate) fn tbs_der(&self) -> &[u8] {
        &self.der[self.tbs.clone()]
    }

    pub(crate) fn parsed(&self) -> &x509_cert::Certificate {
        &self.parsed
    }

    /// Whether `self`'s issuer name equals `ca`'s subject name.
    pub(crate) fn issued_by_name(&self, ca: &Certificate) -> bool {
        self.tbs().issuer() == ca.tbs().subject()
    }

    pub(crate) fn basic_constraints(&self) -> Result<Option<BasicConstraints>, String> {
        self.tbs()
            .get_extension::<BasicConstraints>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| format!("basicConstraints: {e}"))
    }

    pub(crate) fn key_usage(&self) -> Result<Option<KeyUsage>, String> {
        self.tbs()
            .get_extension::<KeyUsage>()
            .map(|o| o.map(|(_, v)| v))
            .map_err(|e| format!("keyUsage: {e}"))
    }

    pub(crate) fn extended_key_usage(&self) -> Result<Vec<ObjectIdentifier>, String> {
        self.tbs()
            .get_extension::<ExtendedKeyUsage>()
            .map(|o| o.map(|(_, v)| v.0).unwrap_or_default())
            .map_err(|e| format!("extKeyUsage: {e}"))
    }

    pub(crate) fn policies(&self) -> Result<Vec<ObjectIdentifier>, String> {
        self.tbs()
            .get_extension::<CertificatePolicies>()
            .map(|o| {
                o.map(|(_, v)| v.0.iter().map(|p| p.policy_identifier).collect())
                    .unwrap_or_default()
            })
            .map_err(|e| format!("certificatePolicies: {e}"))
    }

    /// The raw `extnValue` content of the extension `id`, if present exactly once.
    pub(crate) fn extension_value(&self, id: &ObjectIdentifier) -> Result<Option<&[u8]>, String> {
        let mut found = self
            .tbs()
            .extensions()
            .map(|v| v.as_slice())
            .unwrap_or(&[])
            .iter()
            .filter(|e| &e.extn_id == id);
        match (found.next(), found.next()) {
            (None, _) => Ok(None),
            (Some(e), None) => Ok(Some(e.extn_value.as_bytes())),
            (Some(_), Some(_)) => Err(format!("extension {id} appears twice")),
        }
    }

    /// The statement ids of the QC statements extension, and the QcType OIDs.
    pub(crate) fn qc_statements(&self) -> Result<QcStatements, String> {
        let Some(value) = self.extension_value(&oid::QC_STATEMENTS)? else {
            return Ok(QcStatements::default());
        };
        let bad = |e: asn1::Asn1Error| format!("qcStatements: {}", e.0);
        let seq = asn1::read_exact(value, tag::SEQUENCE).map_err(bad)?;
        let mut out = QcStatements {
            present: true,
            ..QcStatements::default()
        };
        for stmt in asn1::children(seq.content) {
            let stmt = asn1::expect(stmt.map_err(bad)?, tag::SEQUENCE).map_err(bad)?;
            let mut parts = asn1::children(stmt.content);
            let id = asn1::oid(
                parts
                    .next()
                    .ok_or_else(|| "qcStatements: empty statement".to_owned())?
                    .map_err(bad)?,
            )
            .map_err(bad)?;
            if id == oid::QCS_QC_TYPE {
                if let Some(info) = parts.next() {
                    let info = asn1::expect(info.map_err(bad)?, tag::SEQUENCE).map_err(bad)?;
                    for t in asn1::children(info.content) {
                        out.types.push(asn1::oid(t.map_err(bad)?).map_err(bad)?);
                    }
                }
            }
            out.statements.push(id);
        }
        Ok(out)
    }

    /// `dateOfBirth` (1.3.6.1.5.5.7.9.1) from the subject directory attributes extension, as
    /// the `YYYYMMDD` prefix of its GeneralizedTime.
    pub(crate) fn date_of_birth_attribute(&self) -> Result<Option<(u16, u8, u8)>, String> {
        let Some(value) = self.extension_value(&oid::SUBJECT_DIRECTORY_ATTRIBUTES)? else {
            return Ok(None);
        };
        let bad = |e: asn1::Asn1Error| format!("subjectDirectoryAttributes: {}", e.0);
        let seq = asn1::read_exact(value, tag::SEQUENCE).map_err(bad)?;
        for attr in asn1::children(seq.content) {
            let attr = asn1::expect(attr.map_err(bad)?, tag::SEQUENCE).map_err(bad)?;
            let mut parts = asn1::children(attr.content);
            let Some(t) = parts.next() else { continue };
            if asn1::oid(t.map_err(bad)?).map_err(bad)? != oid::DATE_OF_BIRTH {
                continue;
            }
            let set = parts
                .next()
                .ok_or_else(|| "dateOfBirth without value".to_owned())?
                .map_err(bad)?;
            let set = asn1::expect(set, tag::SET).map_err(bad)?;
            let mut values = asn1::children(set.content);
            let time = values
                .next()
                .ok_or_else(|| "dateOfBirth without value".to_owned())?
                .map_err(bad)?;
            if values.next().is_some() {
                return Err("dateOfBirth has more than one value".into());
            }
            let time = asn1::expect(time, tag::GENERALIZED_TIME).map_err(bad)?;
            let digits = time.content;
            if digits.len() < 8 || !digits[..8].iter().all(u8::is_ascii_digit) {
                return Err("dateOfBirth is not a GeneralizedTime".into());
            }
            let num = |r: std::ops::Range<usize>| {
                digits[r]
                    .iter()
                    .fold(0u16, |acc, d| acc * 10 + u16::from(d - b'0'))
            };
            return Ok(Some((num(0..4), num(4..6) as u8, num(6..8) as u8)));
        }
        Ok(None)
    }

    /// Values of the subject attribute `attr` (e.g. serialNumber), decoded as strings.
    pub(crate) fn subject_attribute(&self, attr: &ObjectIdentifier) -> Result<Vec<String>, String> {
        let mut out = Vec::new();
        for atv in self.tbs().subject().iter() {
            if &atv.oid != attr {
                continue;
            }
            let der = atv.value.to_der().map_err(|e| format!("{attr}: {e}"))?;
            let tlv = asn1::read(&der).map_err(|e| format!("{attr}: {}", e.0))?.0;
            out.push(
                asn1::directory_string(tlv.tag, tlv.content)
                    .map_err(|e| format!("{attr}: {}", e.0))?,
            );
        }
        Ok(out)
    }

    /// A short name for messages: the subject's CN when there is one, else the full subject.
    pub(crate) fn display_name(&self) -> String {
        match self.subject_attribute(&oid::CN) {
            Ok(v) if v.len() == 1 => v[0].clone(),
            _ => self.subject.clone(),
        }
    }
}

/// The parsed QC statements extension.
#[derive(Debug, Clone, Default)]
pub(crate) struct QcStatements {
    /// The extension is present.
    pub present: bool,
    /// Statement ids.
    pub statements: Vec<ObjectIdentifier>,
    /// OIDs listed under `id-etsi-qcs-QcType`.
    pub types: Vec<ObjectIdentifier>,
}
