//! Revocation (spec §8 step 4: "revocation via OCSP from the AIA extension", CRL fallback).
//!
//! The core does no networking. It has two halves:
//!
//! * sans-IO checks of fetched revocation data: [`OcspRequest`](crate::OcspRequest) and
//!   [`check_ocsp_response`](crate::check_ocsp_response) (RFC 6960), and
//!   [`check_crl`](crate::check_crl) (RFC 5280), each returning a [`RevocationAnswer`] or a
//!   typed [`RevocationError`];
//! * the hook verification calls, [`RevocationChecker`], called for the end-entity
//!   certificate and every intermediate of the validated chain, never for the trust anchor.
//!   [`RevocationAnswers`] is a checker over answers fetched (and checked) beforehand: a
//!   backend first validates the chain, fetches OCSP responses or CRLs for each (certificate,
//!   issuer) pair asynchronously, checks them with the functions above, and then verifies
//!   with the answers (`sidkit-backend` does exactly this).
//!
//! Anything but [`RevocationStatus::Good`] or [`RevocationStatus::Confirmed`] fails
//! verification, except [`RevocationStatus::Unchecked`], which a soft-fail policy returns on
//! purpose: the result then says `revocationChecked: false`.

use std::collections::HashMap;
use std::time::SystemTime;

use super::cert::{CertFingerprint, Certificate};
use crate::results::{RevocationEvidence, RevocationMethod};

/// What the checker is asked about.
#[derive(Debug, Clone, Copy)]
pub struct RevocationRequest<'a> {
    /// The certificate whose status is needed.
    pub certificate: &'a Certificate,
    /// Its issuer (already validated): the OCSP `CertID` is built from it.
    pub issuer: &'a Certificate,
    /// The verification instant.
    pub at: SystemTime,
}

impl RevocationRequest<'_> {
    /// The OCSP responder URLs of the certificate's authority information access extension.
    pub fn ocsp_urls(&self) -> Vec<String> {
        self.certificate.ocsp_urls()
    }

    /// The CRL URLs of the certificate's CRL distribution points extension.
    pub fn crl_urls(&self) -> Vec<String> {
        self.certificate.crl_urls()
    }
}

/// The answer of a [`RevocationChecker`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked at the verification instant, without saying how it was established.
    Good,
    /// Not revoked at the verification instant, established as [`RevocationEvidence`] says.
    Confirmed(RevocationEvidence),
    /// The status could not be established and the policy says to accept that (soft fail):
    /// verification goes on and the result reports the certificate as not checked.
    Unchecked {
        /// Why it was not checked.
        reason: String,
    },
    /// Revoked.
    Revoked {
        /// The revocation reason (and time), if the responder gave one.
        reason: Option<String>,
    },
    /// The status could not be established (responder unreachable, `unknown`, stale or
    /// unverifiable response). Verification fails closed.
    Unknown {
        /// Why.
        reason: String,
    },
}

/// A revocation status source that a backend plugs into verification.
///
/// Implementations must be deterministic for a given request and must verify the OCSP
/// response's signature and responder certificate themselves (the functions of this crate
/// do).
pub trait RevocationChecker: Send + Sync {
    /// Returns the revocation status of `request.certificate`.
    fn check(&self, request: &RevocationRequest<'_>) -> RevocationStatus;
}

impl<F> RevocationChecker for F
where
    F: Fn(&RevocationRequest<'_>) -> RevocationStatus + Send + Sync,
{
    fn check(&self, request: &RevocationRequest<'_>) -> RevocationStatus {
        self(request)
    }
}

/// An RFC 5280 `CRLReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum RevocationReason {
    Unspecified,
    KeyCompromise,
    CaCompromise,
    AffiliationChanged,
    Superseded,
    CessationOfOperation,
    CertificateHold,
    RemoveFromCrl,
    PrivilegeWithdrawn,
    AaCompromise,
}

impl RevocationReason {
    /// The RFC 5280 name (`keyCompromise`, …).
    pub const fn as_str(self) -> &'static str {
        use RevocationReason as R;
        match self {
            R::Unspecified => "unspecified",
            R::KeyCompromise => "keyCompromise",
            R::CaCompromise => "cACompromise",
            R::AffiliationChanged => "affiliationChanged",
            R::Superseded => "superseded",
            R::CessationOfOperation => "cessationOfOperation",
            R::CertificateHold => "certificateHold",
            R::RemoveFromCrl => "removeFromCRL",
            R::PrivilegeWithdrawn => "privilegeWithdrawn",
            R::AaCompromise => "aACompromise",
        }
    }

    pub(crate) fn from_x509(r: x509_cert::ext::pkix::CrlReason) -> Self {
        use x509_cert::ext::pkix::CrlReason as C;
        use RevocationReason as R;
        match r {
            C::Unspecified => R::Unspecified,
            C::KeyCompromise => R::KeyCompromise,
            C::CaCompromise => R::CaCompromise,
            C::AffiliationChanged => R::AffiliationChanged,
            C::Superseded => R::Superseded,
            C::CessationOfOperation => R::CessationOfOperation,
            C::CertificateHold => R::CertificateHold,
            C::RemoveFromCRL => R::RemoveFromCrl,
            C::PrivilegeWithdrawn => R::PrivilegeWithdrawn,
            C::AaCompromise => R::AaCompromise,
        }
    }
}

impl std::fmt::Display for RevocationReason {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status a checked OCSP response or CRL gives a certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRevocationStatus {
    /// Not revoked.
    Good,
    /// Revoked at `time`.
    Revoked {
        /// `revocationTime` / `revocationDate`.
        time: SystemTime,
        /// The reason, when given.
        reason: Option<RevocationReason>,
    },
    /// The OCSP responder does not know the certificate (`unknown`).
    Unknown,
}

/// A verified revocation answer: the response's (or CRL's) signature, signer, freshness, and,
/// for OCSP, `CertID` and nonce have been checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationAnswer {
    /// What the answer says.
    pub status: CertRevocationStatus,
    /// OCSP or CRL.
    pub method: RevocationMethod,
    /// `thisUpdate`.
    pub this_update: SystemTime,
    /// `nextUpdate`, if present (OCSP responses may leave it out; CRLs may not).
    pub next_update: Option<SystemTime>,
    /// The OCSP response's `producedAt` (`None` for CRLs).
    pub produced_at: Option<SystemTime>,
    /// Who signed it: the CA itself or its delegated OCSP responder (subject, RFC 4514).
    pub signer: String,
}

impl RevocationAnswer {
    /// The hook status this answer gives, with `source` (the responder or CRL URL) as where
    /// it came from: `Confirmed` for good, `Revoked` (reason and time) or `Unknown`.
    pub fn to_status(&self, source: &str) -> RevocationStatus {
        match self.status {
            CertRevocationStatus::Good => RevocationStatus::Confirmed(RevocationEvidence {
                method: self.method,
                source: source.to_owned(),
                this_update: self.this_update,
                next_update: self.next_update,
            }),
            CertRevocationStatus::Revoked { time, reason } => RevocationStatus::Revoked {
                reason: Some(format!(
                    "{} since {} ({} from {source})",
                    reason.map_or("revoked", RevocationReason::as_str),
                    fmt_time(time),
                    self.method.as_str(),
                )),
            },
            CertRevocationStatus::Unknown => RevocationStatus::Unknown {
                reason: format!("the OCSP responder {source} answered `unknown`"),
            },
        }
    }
}

/// A [`RevocationChecker`] over answers established beforehand (typically fetched
/// asynchronously and checked with [`check_ocsp_response`](crate::check_ocsp_response) or
/// [`check_crl`](crate::check_crl)), keyed by the SHA-256 fingerprints of (certificate,
/// issuer). A pair without an answer is [`RevocationStatus::Unknown`] (fail closed).
#[derive(Debug, Clone, Default)]
pub struct RevocationAnswers {
    answers: HashMap<(CertFingerprint, CertFingerprint), RevocationStatus>,
}

impl RevocationAnswers {
    /// No answers yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records `status` for `certificate` issued by `issuer`.
    pub fn insert(
        &mut self,
        certificate: &Certificate,
        issuer: &Certificate,
        status: RevocationStatus,
    ) {
        self.answers
            .insert((certificate.fingerprint(), issuer.fingerprint()), status);
    }

    /// The recorded status of `certificate` issued by `issuer`.
    pub fn get(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
    ) -> Option<&RevocationStatus> {
        self.answers
            .get(&(certificate.fingerprint(), issuer.fingerprint()))
    }

    /// How many pairs have an answer.
    pub fn len(&self) -> usize {
        self.answers.len()
    }

    /// Whether no pair has an answer.
    pub fn is_empty(&self) -> bool {
        self.answers.is_empty()
    }
}

impl RevocationChecker for RevocationAnswers {
    fn check(&self, request: &RevocationRequest<'_>) -> RevocationStatus {
        self.get(request.certificate, request.issuer)
            .cloned()
            .unwrap_or_else(|| RevocationStatus::Unknown {
                reason: "no revocation answer was fetched for this certificate".into(),
            })
    }
}

/// Why fetched revocation data was refused. Every variant is a reason to fail closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RevocationError {
    /// The input is not the DER it should be (or the request cannot be built).
    #[error("malformed {what}: {reason}")]
    Malformed {
        /// `OCSP response`, `CRL`, …
        what: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The OCSP responder answered with an error status instead of a response.
    #[error("the OCSP responder answered `{0}`")]
    ResponderStatus(&'static str),
    /// The OCSP response is not a `BasicOCSPResponse`.
    #[error("unsupported OCSP response type {0}")]
    UnsupportedResponseType(String),
    /// The signature over the response or CRL does not verify, or its algorithm is refused.
    #[error("{what} signature: {reason}")]
    Signature {
        /// `OCSP response` or `CRL`.
        what: &'static str,
        /// Why.
        reason: String,
    },
    /// The OCSP response is signed by neither the issuing CA nor a responder it authorized.
    #[error("OCSP responder not authorized: {0}")]
    ResponderNotAuthorized(String),
    /// The CRL is issued by another CA than the certificate's issuer.
    #[error("the CRL is issued by `{crl_issuer}`, not by the certificate's issuer `{issuer}`")]
    WrongIssuer {
        /// The CRL's issuer name.
        crl_issuer: String,
        /// The certificate's issuer.
        issuer: String,
    },
    /// The OCSP response carries no `SingleResponse` for the requested `CertID`.
    #[error("the OCSP response has no answer for the requested certificate")]
    NoMatchingResponse,
    /// `thisUpdate` (or `producedAt`) lies after the verification instant plus the skew.
    #[error("{what} thisUpdate {this_update} is in the future")]
    NotYetValid {
        /// `OCSP response` or `CRL`.
        what: &'static str,
        /// The time, RFC 3339.
        this_update: String,
    },
    /// `nextUpdate` lies before the verification instant minus the skew (or a CRL has none).
    #[error("{what} is stale: nextUpdate {next_update}")]
    Stale {
        /// `OCSP response` or `CRL`.
        what: &'static str,
        /// The time, RFC 3339 (or `absent`).
        next_update: String,
    },
    /// A nonce was sent but the response does not carry it back.
    #[error("the OCSP response does not echo the request's nonce")]
    NonceMissing,
    /// The response carries a different nonce than the request.
    #[error("the OCSP response's nonce differs from the request's")]
    NonceMismatch,
    /// A critical extension the checker does not process.
    #[error("unsupported critical extension {oid} in the {what}")]
    UnsupportedCriticalExtension {
        /// `OCSP response`, `CRL`, `CRL entry`.
        what: &'static str,
        /// The extension's OID.
        oid: String,
    },
}

impl RevocationError {
    pub(crate) fn malformed(what: &'static str, reason: impl std::fmt::Display) -> Self {
        RevocationError::Malformed {
            what,
            reason: reason.to_string(),
        }
    }
}

pub(crate) fn fmt_time(t: SystemTime) -> String {
    t.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| crate::results::rfc3339(d.as_secs()))
        .unwrap_or_else(|_| "before 1970".into())
}
