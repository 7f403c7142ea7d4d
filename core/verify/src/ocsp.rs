//! Sans-IO OCSP (RFC 6960): [`OcspRequest`] builds the DER request for a (certificate,
//! issuer) pair, [`check_ocsp_response`] checks the DER response a responder sent back and
//! returns a [`RevocationAnswer`].
//!
//! A response is accepted only if it is `successful`, a `BasicOCSPResponse`, signed (over the
//! `tbsResponseData` bytes as received) either by the issuing CA or by a delegated responder
//! certificate included in the response that the same CA issued and signed, that carries
//! `id-kp-OCSPSigning` and is valid at the verification instant; if it answers the requested
//! `CertID`; if `thisUpdate <= at + skew` and `nextUpdate` (when present) `>= at - skew`; and
//! if it echoes the request's nonce (unless [`NonceRequirement::AllowMissing`]). A locally
//! configured trusted responder (RFC 6960 §4.2.2.2, first case) is not supported; the
//! delegated responder's own revocation status is not checked (SK's responder certificates
//! carry `id-pkix-ocsp-nocheck`).

use std::time::{Duration, SystemTime};

use der::asn1::{Null, OctetString};
use der::{Decode, Encode};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use x509_cert::ext::Extension;
use x509_cert::spki::AlgorithmIdentifierOwned;

use crate::asn1::{self, tag};
use crate::cert::{CertFingerprint, Certificate};
use crate::crypto;
use crate::ocsp_types as t;
use crate::oid;
use crate::results::RevocationMethod;
use crate::revocation::{
    fmt_time, CertRevocationStatus, RevocationAnswer, RevocationError, RevocationReason,
};

const WHAT: &str = "OCSP response";

/// The hash of an OCSP `CertID` (issuer name hash and issuer key hash).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CertIdHash {
    /// SHA-1: what older responders (SK's `ocsp.sk.ee` among them) require.
    Sha1,
    /// SHA-256 (the default).
    #[default]
    Sha256,
}

impl CertIdHash {
    fn oid(self) -> der::asn1::ObjectIdentifier {
        match self {
            CertIdHash::Sha1 => oid::SHA1,
            CertIdHash::Sha256 => oid::SHA256,
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            CertIdHash::Sha1 => Sha1::digest(data).to_vec(),
            CertIdHash::Sha256 => Sha256::digest(data).to_vec(),
        }
    }
}

/// Whether a response must echo the request's nonce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NonceRequirement {
    /// A sent nonce must come back unchanged; a missing one fails (the default).
    #[default]
    Required,
    /// The responder does not echo nonces (it serves pre-produced responses): a missing
    /// nonce is accepted, a different one still fails. Freshness then rests on
    /// `thisUpdate`/`nextUpdate` alone.
    AllowMissing,
}

/// How [`check_ocsp_response`] judges a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OcspOptions {
    /// The clock difference tolerated on `thisUpdate`, `producedAt` and `nextUpdate`
    /// (default 5 minutes).
    pub skew: Duration,
    /// The nonce rule (default [`NonceRequirement::Required`]).
    pub nonce: NonceRequirement,
}

impl Default for OcspOptions {
    fn default() -> Self {
        OcspOptions {
            skew: Duration::from_secs(300),
            nonce: NonceRequirement::Required,
        }
    }
}

/// A DER OCSP request for one certificate, and what its response is matched against.
#[derive(Debug, Clone)]
pub struct OcspRequest {
    der: Vec<u8>,
    cert_id: t::CertId,
    /// The nonce extension's `extnValue` as sent (the DER of the inner OCTET STRING).
    nonce_ext: Option<Vec<u8>>,
    nonce: Option<Vec<u8>>,
    issuer: CertFingerprint,
    hash: CertIdHash,
}

impl OcspRequest {
    /// A request for `certificate` issued by `issuer` with a `CertID` over `hash` and a fresh
    /// random 32-byte nonce (RFC 8954).
    pub fn new(
        certificate: &Certificate,
        issuer: &Certificate,
        hash: CertIdHash,
    ) -> Result<Self, RevocationError> {
        let nonce = sidkit_proto::secret::random_bytes(32)
            .map_err(|e| RevocationError::malformed("OCSP request", e))?;
        Self::with_nonce(certificate, issuer, hash, Some(nonce.to_vec()))
    }

    /// A request with the given nonce octets (`None`: no nonce extension).
    pub fn with_nonce(
        certificate: &Certificate,
        issuer: &Certificate,
        hash: CertIdHash,
        nonce: Option<Vec<u8>>,
    ) -> Result<Self, RevocationError> {
        let bad = |e: der::Error| RevocationError::malformed("OCSP request", e);
        let cert_id = cert_id(certificate, issuer, hash).map_err(|e| {
            RevocationError::malformed("OCSP request", format!("cannot build the CertID: {e}"))
        })?;
        let (extensions, nonce_ext) = match &nonce {
            Some(n) => {
                if n.is_empty() || n.len() > 32 {
                    return Err(RevocationError::malformed(
                        "OCSP request",
                        "a nonce must be 1 to 32 bytes (RFC 8954)",
                    ));
                }
                let inner = OctetString::new(n.clone())
                    .map_err(bad)?
                    .to_der()
                    .map_err(bad)?;
                let ext = Extension {
                    extn_id: oid::OCSP_NONCE,
                    critical: false,
                    extn_value: OctetString::new(inner.clone()).map_err(bad)?,
                };
                (Some(vec![ext]), Some(inner))
            }
            None => (None, None),
        };
        let request = t::OcspRequest {
            tbs_request: t::TbsRequest {
                request_list: vec![t::Request {
                    req_cert: cert_id.clone(),
                }],
                request_extensions: extensions,
            },
        };
        Ok(OcspRequest {
            der: request.to_der().map_err(bad)?,
            cert_id,
            nonce_ext,
            nonce,
            issuer: issuer.fingerprint(),
            hash,
        })
    }

    /// The DER to POST (`Content-Type: application/ocsp-request`).
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The nonce octets, when one was sent.
    pub fn nonce(&self) -> Option<&[u8]> {
        self.nonce.as_deref()
    }

    /// The `CertID` hash.
    pub fn hash(&self) -> CertIdHash {
        self.hash
    }
}

fn cert_id(
    cert: &Certificate,
    issuer: &Certificate,
    hash: CertIdHash,
) -> Result<t::CertId, String> {
    let name_hash = hash.digest(&issuer.subject_der()?);
    let key_hash = hash.digest(issuer.spki_bits());
    let octets = |v: Vec<u8>| OctetString::new(v).map_err(|e| e.to_string());
    Ok(t::CertId {
        hash_algorithm: AlgorithmIdentifierOwned {
            oid: hash.oid(),
            parameters: Some(Null.into()),
        },
        issuer_name_hash: octets(name_hash)?,
        issuer_key_hash: octets(key_hash)?,
        serial_number: cert.tbs().serial_number().clone(),
    })
}

fn same_cert_id(a: &t::CertId, b: &t::CertId) -> bool {
    // The hash algorithm's parameters (NULL or absent) do not matter.
    a.hash_algorithm.oid == b.hash_algorithm.oid
        && a.issuer_name_hash == b.issuer_name_hash
        && a.issuer_key_hash == b.issuer_key_hash
        && a.serial_number == b.serial_number
}

fn to_time(t: &der::asn1::GeneralizedTime) -> SystemTime {
    SystemTime::UNIX_EPOCH + t.to_unix_duration()
}

fn responder_matches(id: &t::ResponderId, cert: &Certificate) -> bool {
    match id {
        t::ResponderId::ByName(name) => cert.tbs().subject() == name,
        t::ResponderId::ByKey(hash) => Sha1::digest(cert.spki_bits()).as_slice() == hash.as_bytes(),
    }
}

fn describe(id: &t::ResponderId) -> String {
    match id {
        t::ResponderId::ByName(name) => format!("`{name}`"),
        t::ResponderId::ByKey(hash) => format!(
            "the key with SHA-1 {}",
            hash.as_bytes()
                .iter()
                .map(|b| format!("{b:02X}"))
                .collect::<String>()
        ),
    }
}

/// Checks the delegated responder certificate `responder` against `issuer` at `at`.
fn check_delegate(
    responder: &Certificate,
    issuer: &Certificate,
    issuer_key: &crypto::PublicKey,
    at: SystemTime,
) -> Result<(), RevocationError> {
    let refuse = |why: String| {
        RevocationError::ResponderNotAuthorized(format!(
            "the responder certificate `{}` {why}",
            responder.subject()
        ))
    };
    if !responder.issued_by_name(issuer) {
        return Err(refuse(format!(
            "is issued by `{}`, not by the certificate's CA `{}`",
            responder.issuer(),
            issuer.subject()
        )));
    }
    crypto::verify_certificate_signature(responder, issuer_key)
        .map_err(|e| refuse(format!("is not signed by the certificate's CA: {e}")))?;
    let eku = responder.extended_key_usage().map_err(refuse)?;
    if !eku.contains(&oid::EKU_OCSP_SIGNING) {
        return Err(refuse(
            "lacks the extended key usage id-kp-OCSPSigning".into(),
        ));
    }
    if let Some(ku) = responder.key_usage().map_err(refuse)? {
        if !ku.digital_signature() {
            return Err(refuse("has a keyUsage without digitalSignature".into()));
        }
    }
    if at < responder.not_before() || at > responder.not_after() {
        return Err(refuse(format!(
            "is not valid at {} (valid {} to {})",
            fmt_time(at),
            fmt_time(responder.not_before()),
            fmt_time(responder.not_after())
        )));
    }
    for e in responder
        .tbs()
        .extensions()
        .map(|v| v.as_slice())
        .unwrap_or(&[])
    {
        if e.critical
            && !oid::KNOWN_EXTENSIONS.contains(&e.extn_id)
            && e.extn_id != oid::OCSP_NOCHECK
        {
            return Err(refuse(format!(
                "has the unsupported critical extension {}",
                e.extn_id
            )));
        }
    }
    Ok(())
}

fn check_extensions(
    exts: Option<&Vec<Extension>>,
    what: &'static str,
    allowed: &[der::asn1::ObjectIdentifier],
) -> Result<(), RevocationError> {
    for e in exts.map(|v| v.as_slice()).unwrap_or(&[]) {
        if e.critical && !allowed.contains(&e.extn_id) {
            return Err(RevocationError::UnsupportedCriticalExtension {
                what,
                oid: e.extn_id.to_string(),
            });
        }
    }
    Ok(())
}

/// Checks the DER OCSP response `response` to `request`, for the certificate the request
/// was built for, issued by `issuer` (the same issuer as the request's), at `at`.
///
/// Returns the verified answer (good, revoked with time and reason, or unknown) or the typed
/// reason to refuse it. Never panics, whatever `response` holds.
pub fn check_ocsp_response(
    request: &OcspRequest,
    issuer: &Certificate,
    response: &[u8],
    at: SystemTime,
    options: &OcspOptions,
) -> Result<RevocationAnswer, RevocationError> {
    if issuer.fingerprint() != request.issuer {
        return Err(RevocationError::malformed(
            "OCSP request",
            "the request was built for another issuer",
        ));
    }
    let outer =
        t::OcspResponse::from_der(response).map_err(|e| RevocationError::malformed(WHAT, e))?;
    if outer.response_status != t::OcspResponseStatus::Successful {
        return Err(RevocationError::ResponderStatus(
            outer.response_status.as_str(),
        ));
    }
    let bytes = outer
        .response_bytes
        .ok_or_else(|| RevocationError::malformed(WHAT, "successful but without responseBytes"))?;
    if bytes.response_type != oid::OCSP_BASIC {
        return Err(RevocationError::UnsupportedResponseType(
            bytes.response_type.to_string(),
        ));
    }
    let basic_der = bytes.response.as_bytes();
    let basic = t::BasicOcspResponse::from_der(basic_der)
        .map_err(|e| RevocationError::malformed(WHAT, e))?;
    // The signature covers tbsResponseData exactly as received.
    let tbs_raw = asn1::read_exact(basic_der, tag::SEQUENCE)
        .and_then(|seq| asn1::read(seq.content).map(|(tbs, _)| tbs.raw))
        .map_err(|e| RevocationError::malformed(WHAT, e.0))?;
    let data = &basic.tbs_response_data;

    // Who signed: the CA itself, or a delegated responder included in the response.
    let issuer_key = crypto::public_key(issuer).map_err(|e| RevocationError::Signature {
        what: WHAT,
        reason: format!("the CA's key: {e}"),
    })?;
    let (signer, signer_key) = if responder_matches(&data.responder_id, issuer) {
        (issuer.subject().to_owned(), issuer_key)
    } else {
        let mut included = Vec::new();
        for any in basic.certs.as_deref().unwrap_or(&[]) {
            let der = any
                .to_der()
                .map_err(|e| RevocationError::malformed(WHAT, e))?;
            included.push(
                Certificate::from_der(&der).map_err(|e| RevocationError::malformed(WHAT, e))?,
            );
        }
        let responder = included
            .iter()
            .find(|c| responder_matches(&data.responder_id, c))
            .ok_or_else(|| {
                RevocationError::ResponderNotAuthorized(format!(
                    "the response names {} as its responder: neither the certificate's CA `{}` nor a certificate included in the response",
                    describe(&data.responder_id),
                    issuer.subject()
                ))
            })?;
        check_delegate(responder, issuer, &issuer_key, at)?;
        let key = crypto::public_key(responder).map_err(|e| RevocationError::Signature {
            what: WHAT,
            reason: format!("the responder's key: {e}"),
        })?;
        (responder.subject().to_owned(), key)
    };
    let sig = basic
        .signature
        .as_bytes()
        .ok_or_else(|| RevocationError::malformed(WHAT, "signature BIT STRING has unused bits"))?;
    crypto::verify_signed_data(&basic.signature_algorithm, tbs_raw, sig, &signer_key)
        .map_err(|reason| RevocationError::Signature { what: WHAT, reason })?;

    // Only signed fields from here on.
    check_extensions(data.response_extensions.as_ref(), WHAT, &[oid::OCSP_NONCE])?;
    if let Some(sent) = &request.nonce_ext {
        let mut got = data
            .response_extensions
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .filter(|e| e.extn_id == oid::OCSP_NONCE);
        match (got.next(), got.next()) {
            (None, _) => {
                if options.nonce == NonceRequirement::Required {
                    return Err(RevocationError::NonceMissing);
                }
            }
            (Some(e), None) if e.extn_value.as_bytes() == sent.as_slice() => {}
            _ => return Err(RevocationError::NonceMismatch),
        }
    }
    let single = data
        .responses
        .iter()
        .find(|r| same_cert_id(&r.cert_id, &request.cert_id))
        .ok_or(RevocationError::NoMatchingResponse)?;
    check_extensions(single.single_extensions.as_ref(), WHAT, &[])?;

    let this_update = to_time(&single.this_update);
    let next_update = single.next_update.as_ref().map(to_time);
    let produced_at = to_time(&data.produced_at);
    check_times(WHAT, this_update, next_update, at, options.skew)?;
    if produced_at > at + options.skew {
        return Err(RevocationError::NotYetValid {
            what: WHAT,
            this_update: format!("(producedAt) {}", fmt_time(produced_at)),
        });
    }
    let status = match &single.cert_status {
        t::CertStatus::Good(_) => CertRevocationStatus::Good,
        t::CertStatus::Revoked(info) => CertRevocationStatus::Revoked {
            time: to_time(&info.revocation_time),
            reason: info.revocation_reason.map(RevocationReason::from_x509),
        },
        t::CertStatus::Unknown(_) => CertRevocationStatus::Unknown,
    };
    Ok(RevocationAnswer {
        status,
        method: RevocationMethod::Ocsp,
        this_update,
        next_update,
        produced_at: Some(produced_at),
        signer,
    })
}

/// `thisUpdate <= at + skew`, `nextUpdate >= at - skew`, `nextUpdate >= thisUpdate`.
pub(crate) fn check_times(
    what: &'static str,
    this_update: SystemTime,
    next_update: Option<SystemTime>,
    at: SystemTime,
    skew: Duration,
) -> Result<(), RevocationError> {
    if this_update > at + skew {
        return Err(RevocationError::NotYetValid {
            what,
            this_update: fmt_time(this_update),
        });
    }
    if let Some(next) = next_update {
        if next < this_update {
            return Err(RevocationError::malformed(
                what,
                "nextUpdate is before thisUpdate",
            ));
        }
        if next + skew < at {
            return Err(RevocationError::Stale {
                what,
                next_update: fmt_time(next),
            });
        }
    }
    Ok(())
}
