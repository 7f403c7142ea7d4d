//! A sans-IO OCSP responder (RFC 6960) for the CAs of a [`TestPki`](crate::TestPki):
//! [`TestOcspResponder`] reads a DER `OCSPRequest` and writes the DER `OCSPResponse`, signed by a
//! delegated responder certificate (`id-kp-OCSPSigning`, `id-pkix-ocsp-nocheck`, ECDSA P-256)
//! that each CA issues to it, as SK's responders are. The caller says what each serial's status is; the simulator
//! serves it over HTTP.
//!
//! What it answers:
//! * every `CertID` (SHA-1 or SHA-256) naming one of its CAs, with the caller's status (`good`,
//!   `revoked` with time and reason, or `unknown`), echoing the `CertID` as sent;
//! * `thisUpdate` = `producedAt` = now (whole seconds), `nextUpdate` = now + the given validity;
//! * the request's nonce extension (RFC 8954), echoed unchanged;
//! * `malformedRequest` for anything that is not a DER `OCSPRequest` with at least one request,
//!   `unauthorized` for a `CertID` naming a CA it does not serve (or an unsupported hash).
//!
//! The ASN.1 types below are written for the responder's side on purpose, independently of
//! `sidkit-verify`'s parser (which the tests check against them); `sidkit-testpki` does not
//! depend on the crates it tests.

use std::time::{Duration, SystemTime};

use der::asn1::{Any, BitString, GeneralizedTime, Null, ObjectIdentifier, OctetString};
use der::{Choice, Decode, Encode, Enumerated, Sequence};
use rcgen::{
    CertificateParams, CustomExtension, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair, KeyUsagePurpose, SigningKey as _,
};
use sha1::Sha1;
use sha2::{Digest as _, Sha256};
use x509_cert::ext::{Extension, Extensions};
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

pub use x509_cert::ext::pkix::CrlReason;

use crate::{err, Result, TestCa};

/// `Content-Type` of an OCSP request.
pub const OCSP_REQUEST_CONTENT_TYPE: &str = "application/ocsp-request";
/// `Content-Type` of an OCSP response.
pub const OCSP_RESPONSE_CONTENT_TYPE: &str = "application/ocsp-response";

const OID_SHA1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const OID_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// `id-pkix-ocsp-nocheck` as rcgen arcs.
const NOCHECK_ARCS: &[u64] = &[1, 3, 6, 1, 5, 5, 7, 48, 1, 5];

// ---- RFC 6960 ASN.1, the responder's side ----

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct CertId {
    hash_algorithm: AlgorithmIdentifierOwned,
    issuer_name_hash: OctetString,
    issuer_key_hash: OctetString,
    serial_number: SerialNumber,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OcspRequest {
    tbs_request: TbsRequest,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    optional_signature: Option<Any>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct TbsRequest {
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    version: Option<u8>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    requestor_name: Option<Any>,
    request_list: Vec<Request>,
    #[asn1(context_specific = "2", optional = "true", tag_mode = "EXPLICIT")]
    request_extensions: Option<Extensions>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct Request {
    req_cert: CertId,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    single_request_extensions: Option<Extensions>,
}

#[derive(Enumerated, Copy, Clone, Debug, Eq, PartialEq)]
#[repr(u32)]
enum ResponseStatus {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    Unauthorized = 6,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct OcspResponse {
    response_status: ResponseStatus,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    response_bytes: Option<ResponseBytes>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct ResponseBytes {
    response_type: ObjectIdentifier,
    response: OctetString,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct BasicOcspResponse {
    tbs_response_data: ResponseData,
    signature_algorithm: AlgorithmIdentifierOwned,
    signature: BitString,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    certs: Option<Vec<Any>>,
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct ResponseData {
    responder_id: ResponderId,
    produced_at: GeneralizedTime,
    responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    response_extensions: Option<Extensions>,
}

#[derive(Clone, Debug, Eq, PartialEq, Choice)]
enum ResponderId {
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct SingleResponse {
    cert_id: CertId,
    cert_status: CertStatus,
    this_update: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    next_update: Option<GeneralizedTime>,
}

#[derive(Clone, Debug, Eq, PartialEq, Choice)]
enum CertStatus {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
struct RevokedInfo {
    revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    revocation_reason: Option<CrlReason>,
}

// ---- the responder ----

/// What the responder reports for one certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OcspCertStatus {
    /// Not revoked.
    Good,
    /// Revoked at `time`, for `reason` (left out of the response when `None`).
    Revoked {
        /// The revocation time.
        time: SystemTime,
        /// The reason code.
        reason: Option<CrlReason>,
    },
    /// The CA did not issue this serial.
    Unknown,
}

impl OcspCertStatus {
    /// `good`, `revoked` or `unknown`.
    pub fn as_str(&self) -> &'static str {
        match self {
            OcspCertStatus::Good => "good",
            OcspCertStatus::Revoked { .. } => "revoked",
            OcspCertStatus::Unknown => "unknown",
        }
    }
}

/// What [`TestOcspResponder::respond`] produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OcspReply {
    /// The DER `OCSPResponse` to send (`application/ocsp-response`).
    pub der: Vec<u8>,
    /// `successful`, `malformedRequest`, `internalError` or `unauthorized`.
    pub response_status: &'static str,
    /// Per answered `CertID`: the issuing CA's certificate (DER), the serial (the INTEGER's
    /// content octets) and the status given. Empty unless `successful`.
    pub answered: Vec<(Vec<u8>, Vec<u8>, OcspCertStatus)>,
}

/// One CA the responder serves and its delegated responder identity.
struct CaEntry {
    ca_der: Vec<u8>,
    name_der: Vec<u8>,
    key_bits: Vec<u8>,
    signer: KeyPair,
    signer_cert_der: Vec<u8>,
    signer_key_sha1: Vec<u8>,
}

/// An OCSP responder for one or more test CAs; see the [module documentation](self).
pub struct TestOcspResponder {
    cas: Vec<CaEntry>,
}

impl std::fmt::Debug for TestOcspResponder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestOcspResponder")
            .field("cas", &self.cas.len())
            .finish_non_exhaustive()
    }
}

/// The serial number of a DER certificate: the content octets of its INTEGER, as an OCSP
/// `CertID` carries them.
pub fn serial_of(cert_der: &[u8]) -> Result<Vec<u8>> {
    let cert = x509_cert::Certificate::from_der(cert_der).map_err(|e| err("certificate", e))?;
    Ok(cert.tbs_certificate().serial_number().as_bytes().to_vec())
}

fn time(t: SystemTime) -> Result<GeneralizedTime> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|e| err("time", e))?
        .as_secs();
    GeneralizedTime::from_unix_duration(Duration::from_secs(secs)).map_err(|e| err("time", e))
}

/// A bare `OCSPResponse` with an error status (no `responseBytes`).
fn error_reply(status: ResponseStatus, name: &'static str) -> OcspReply {
    OcspReply {
        // SEQUENCE { ENUMERATED status }: fixed bytes, nothing to fail.
        der: vec![0x30, 0x03, 0x0a, 0x01, status as u8],
        response_status: name,
        answered: Vec::new(),
    }
}

impl TestOcspResponder {
    /// A responder for `cas`; each issues a delegated responder certificate (valid as long as
    /// the CA, `CN=<CA's CN> OCSP RESPONDER`) with a fresh ECDSA P-256 key.
    pub fn new(cas: &[&TestCa]) -> Result<Self> {
        let cas = cas
            .iter()
            .map(|ca| Self::entry(ca))
            .collect::<Result<Vec<_>>>()?;
        Ok(TestOcspResponder { cas })
    }

    fn entry(ca: &TestCa) -> Result<CaEntry> {
        let parsed = x509_cert::Certificate::from_der(ca.der()).map_err(|e| err("CA", e))?;
        let tbs = parsed.tbs_certificate();
        let name_der = tbs.subject().to_der().map_err(|e| err("CA name", e))?;
        let key_bits = tbs
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes()
            .to_vec();
        let cn = match ca.params.distinguished_name.get(&DnType::CommonName) {
            Some(rcgen::DnValue::Utf8String(s)) => s.clone(),
            _ => "TEST".to_owned(),
        };
        let mut p = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::CountryName, "EE");
        dn.push(DnType::OrganizationName, "sidkit test PKI");
        dn.push(DnType::CommonName, format!("{cn} OCSP RESPONDER"));
        p.distinguished_name = dn;
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::OcspSigning];
        p.not_before = ca.params.not_before;
        p.not_after = ca.params.not_after;
        p.serial_number = Some(crate::serial()?);
        p.use_authority_key_identifier_extension = true;
        p.custom_extensions.push(CustomExtension::from_oid_content(
            NOCHECK_ARCS,
            vec![0x05, 0x00],
        ));
        let signer = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map_err(|e| err("responder key", e))?;
        let cert = p
            .signed_by(&signer, &ca.issuer())
            .map_err(|e| err("responder certificate", e))?;
        let signer_key_sha1 = Sha1::digest(rcgen::PublicKeyData::der_bytes(&signer)).to_vec();
        Ok(CaEntry {
            ca_der: ca.der().to_vec(),
            name_der,
            key_bits,
            signer,
            signer_cert_der: cert.der().to_vec(),
            signer_key_sha1,
        })
    }

    /// The delegated responder certificates (DER), one per CA, in the order given to
    /// [`new`](Self::new).
    pub fn responder_certificates(&self) -> Vec<&[u8]> {
        self.cas
            .iter()
            .map(|c| c.signer_cert_der.as_slice())
            .collect()
    }

    fn ca_for(&self, id: &CertId) -> Option<&CaEntry> {
        let hash = |data: &[u8]| -> Option<Vec<u8>> {
            match id.hash_algorithm.oid {
                OID_SHA1 => Some(Sha1::digest(data).to_vec()),
                OID_SHA256 => Some(Sha256::digest(data).to_vec()),
                _ => None,
            }
        };
        self.cas.iter().find(|c| {
            hash(&c.name_der).as_deref() == Some(id.issuer_name_hash.as_bytes())
                && hash(&c.key_bits).as_deref() == Some(id.issuer_key_hash.as_bytes())
        })
    }

    /// Answers the DER `request` at `now`: `status(ca_der, serial)` says what each requested
    /// certificate's status is (`ca_der`: the issuing CA's certificate, `serial`: the
    /// INTEGER's content octets). `nextUpdate` is `now + validity`. Never panics; a bad request
    /// gets an OCSP error status, not an `Err`.
    pub fn respond(
        &self,
        request: &[u8],
        now: SystemTime,
        validity: Duration,
        status: impl Fn(&[u8], &[u8]) -> OcspCertStatus,
    ) -> OcspReply {
        let Ok(req) = OcspRequest::from_der(request) else {
            return error_reply(ResponseStatus::MalformedRequest, "malformedRequest");
        };
        let list = &req.tbs_request.request_list;
        if list.is_empty() {
            return error_reply(ResponseStatus::MalformedRequest, "malformedRequest");
        }
        let mut entries = Vec::new();
        for r in list {
            match self.ca_for(&r.req_cert) {
                Some(ca) => entries.push((r, ca)),
                None => return error_reply(ResponseStatus::Unauthorized, "unauthorized"),
            }
        }
        // One signer per response: every CertID must name the same CA.
        let ca = entries[0].1;
        if entries.iter().any(|(_, c)| c.ca_der != ca.ca_der) {
            return error_reply(ResponseStatus::Unauthorized, "unauthorized");
        }
        let nonce: Option<Extension> = req
            .tbs_request
            .request_extensions
            .as_deref()
            .unwrap_or(&[])
            .iter()
            .find(|e| e.extn_id == OID_OCSP_NONCE)
            .cloned();
        match self.sign(ca, &entries, nonce, now, validity, &status) {
            Ok(reply) => reply,
            Err(_) => error_reply(ResponseStatus::InternalError, "internalError"),
        }
    }

    fn sign(
        &self,
        ca: &CaEntry,
        entries: &[(&Request, &CaEntry)],
        nonce: Option<Extension>,
        now: SystemTime,
        validity: Duration,
        status: &impl Fn(&[u8], &[u8]) -> OcspCertStatus,
    ) -> Result<OcspReply> {
        let bad = |e: der::Error| err("OCSP response", e);
        let this_update = time(now)?;
        let next_update = time(now + validity)?;
        let mut answered = Vec::new();
        let mut responses = Vec::new();
        for (r, _) in entries {
            let serial = r.req_cert.serial_number.as_bytes().to_vec();
            let st = status(&ca.ca_der, &serial);
            let cert_status = match st {
                OcspCertStatus::Good => CertStatus::Good(Null),
                OcspCertStatus::Unknown => CertStatus::Unknown(Null),
                OcspCertStatus::Revoked { time: t, reason } => CertStatus::Revoked(RevokedInfo {
                    revocation_time: time(t)?,
                    revocation_reason: reason,
                }),
            };
            responses.push(SingleResponse {
                cert_id: r.req_cert.clone(),
                cert_status,
                this_update,
                next_update: Some(next_update),
            });
            answered.push((ca.ca_der.clone(), serial, st));
        }
        let data = ResponseData {
            responder_id: ResponderId::ByKey(
                OctetString::new(ca.signer_key_sha1.clone()).map_err(bad)?,
            ),
            produced_at: this_update,
            responses,
            response_extensions: nonce.map(|n| vec![n]),
        };
        let tbs = data.to_der().map_err(bad)?;
        let signature = ca.signer.sign(&tbs).map_err(|e| err("OCSP signature", e))?;
        let basic = BasicOcspResponse {
            tbs_response_data: data,
            signature_algorithm: AlgorithmIdentifierOwned {
                oid: OID_ECDSA_SHA256,
                parameters: None,
            },
            signature: BitString::from_bytes(&signature).map_err(bad)?,
            certs: Some(vec![Any::from_der(&ca.signer_cert_der).map_err(bad)?]),
        };
        let response = OcspResponse {
            response_status: ResponseStatus::Successful,
            response_bytes: Some(ResponseBytes {
                response_type: OID_OCSP_BASIC,
                response: OctetString::new(basic.to_der().map_err(bad)?).map_err(bad)?,
            }),
        };
        Ok(OcspReply {
            der: response.to_der().map_err(bad)?,
            response_status: "successful",
            answered,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{TestPki, UserCertSpec};

    #[test]
    fn malformed_and_unauthorized_requests() {
        let pki = TestPki::generate("TEST of sidkit OCSP unit").unwrap();
        let r = TestOcspResponder::new(&[&pki.intermediate]).unwrap();
        let now = SystemTime::now();
        let any = |_: &[u8], _: &[u8]| OcspCertStatus::Good;
        for junk in [
            &b""[..],
            b"\x30",
            b"\x30\x00",
            b"\x30\x82\xff\xff",
            &[0u8; 64],
        ] {
            let reply = r.respond(junk, now, Duration::from_secs(60), any);
            assert_eq!(reply.response_status, "malformedRequest");
            assert_eq!(reply.der, vec![0x30, 0x03, 0x0a, 0x01, 0x01]);
        }
        // A CertID of another CA (the root) is not this responder's to answer.
        let user = pki
            .issue(&UserCertSpec::authentication("PNOEE-30303039914", "A", "B"))
            .unwrap();
        let id = CertId {
            hash_algorithm: AlgorithmIdentifierOwned {
                oid: OID_SHA256,
                parameters: Some(Null.into()),
            },
            issuer_name_hash: OctetString::new(vec![0u8; 32]).unwrap(),
            issuer_key_hash: OctetString::new(vec![0u8; 32]).unwrap(),
            serial_number: SerialNumber::new(&serial_of(&user.cert_der).unwrap()).unwrap(),
        };
        let req = OcspRequest {
            tbs_request: TbsRequest {
                version: None,
                requestor_name: None,
                request_list: vec![Request {
                    req_cert: id,
                    single_request_extensions: None,
                }],
                request_extensions: None,
            },
            optional_signature: None,
        };
        let reply = r.respond(&req.to_der().unwrap(), now, Duration::from_secs(60), any);
        assert_eq!(reply.response_status, "unauthorized");
        assert_eq!(r.responder_certificates().len(), 1);
    }
}
