//! The ASN.1 types of RFC 6960 (OCSP) that sidkit sends and reads, derived with `der` 0.8.
//!
//! They follow RustCrypto's `x509-ocsp` crate field for field; that crate's newest release
//! (0.2.1) is built on `der` 0.7 / `x509-cert` 0.2, while this workspace uses `der` 0.8 /
//! `x509-cert` 0.3, so the definitions live here. Certificates inside a response are kept as
//! [`Any`] and parsed with [`Certificate::from_der`](crate::Certificate::from_der), so that
//! their signatures are checked over the bytes as received.

use der::asn1::{Any, BitString, GeneralizedTime, Null, ObjectIdentifier, OctetString};
use der::{Choice, Enumerated, Sequence};
use x509_cert::ext::Extensions;
use x509_cert::name::Name;
use x509_cert::serial_number::SerialNumber;
use x509_cert::spki::AlgorithmIdentifierOwned;

/// `CertID` (RFC 6960 §4.1.1).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct CertId {
    pub hash_algorithm: AlgorithmIdentifierOwned,
    pub issuer_name_hash: OctetString,
    pub issuer_key_hash: OctetString,
    pub serial_number: SerialNumber,
}

/// `OCSPRequest` without the optional signature (sidkit never signs requests).
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct OcspRequest {
    pub tbs_request: TbsRequest,
}

/// `TBSRequest`: version v1 (the default, so omitted), no requestor name.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct TbsRequest {
    pub request_list: Vec<Request>,
    #[asn1(context_specific = "2", optional = "true", tag_mode = "EXPLICIT")]
    pub request_extensions: Option<Extensions>,
}

/// `Request`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct Request {
    pub req_cert: CertId,
}

/// `OCSPResponseStatus`.
#[derive(Enumerated, Copy, Clone, Debug, Eq, PartialEq)]
#[repr(u32)]
pub(crate) enum OcspResponseStatus {
    Successful = 0,
    MalformedRequest = 1,
    InternalError = 2,
    TryLater = 3,
    SigRequired = 5,
    Unauthorized = 6,
}

impl OcspResponseStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            OcspResponseStatus::Successful => "successful",
            OcspResponseStatus::MalformedRequest => "malformedRequest",
            OcspResponseStatus::InternalError => "internalError",
            OcspResponseStatus::TryLater => "tryLater",
            OcspResponseStatus::SigRequired => "sigRequired",
            OcspResponseStatus::Unauthorized => "unauthorized",
        }
    }
}

/// `OCSPResponse`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct OcspResponse {
    pub response_status: OcspResponseStatus,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub response_bytes: Option<ResponseBytes>,
}

/// `ResponseBytes`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct ResponseBytes {
    pub response_type: ObjectIdentifier,
    pub response: OctetString,
}

/// `BasicOCSPResponse`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct BasicOcspResponse {
    pub tbs_response_data: ResponseData,
    pub signature_algorithm: AlgorithmIdentifierOwned,
    pub signature: BitString,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub certs: Option<Vec<Any>>,
}

/// `ResponseData`. The version is v1 (the default, never encoded); a response that encodes
/// any version is refused by the decoder as not matching the structure.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct ResponseData {
    pub responder_id: ResponderId,
    pub produced_at: GeneralizedTime,
    pub responses: Vec<SingleResponse>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    pub response_extensions: Option<Extensions>,
}

/// `ResponderID`.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub(crate) enum ResponderId {
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", constructed = "true")]
    ByName(Name),
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", constructed = "true")]
    ByKey(OctetString),
}

/// `SingleResponse`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SingleResponse {
    pub cert_id: CertId,
    pub cert_status: CertStatus,
    pub this_update: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub next_update: Option<GeneralizedTime>,
    #[asn1(context_specific = "1", optional = "true", tag_mode = "EXPLICIT")]
    pub single_extensions: Option<Extensions>,
}

/// `CertStatus`.
#[derive(Clone, Debug, Eq, PartialEq, Choice)]
pub(crate) enum CertStatus {
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT")]
    Good(Null),
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", constructed = "true")]
    Revoked(RevokedInfo),
    #[asn1(context_specific = "2", tag_mode = "IMPLICIT")]
    Unknown(Null),
}

/// `RevokedInfo`.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct RevokedInfo {
    pub revocation_time: GeneralizedTime,
    #[asn1(context_specific = "0", optional = "true", tag_mode = "EXPLICIT")]
    pub revocation_reason: Option<x509_cert::ext::pkix::CrlReason>,
}
