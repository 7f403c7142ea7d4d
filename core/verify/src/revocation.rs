//! The revocation hook (spec §8 step 4: "revocation via OCSP from the AIA extension").
//!
//! The core does no networking. A backend implements [`RevocationChecker`] (typically an OCSP
//! client that posts to [`RevocationRequest::ocsp_urls`], checks the responder's own chain
//! against SK's OCSP responder certificates and caches responses) and passes it in the
//! [`VerificationContext`](super::VerificationContext). It is called for the end-entity
//! certificate and every intermediate of the validated chain, never for the trust anchor.
//! Anything but [`RevocationStatus::Good`] fails verification.

use std::time::SystemTime;

use super::cert::Certificate;

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
}

/// The answer of a [`RevocationChecker`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevocationStatus {
    /// Not revoked at the verification instant (a valid, fresh OCSP `good`).
    Good,
    /// Revoked.
    Revoked {
        /// The revocation reason, if the responder gave one.
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
/// response's signature and responder certificate themselves.
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
