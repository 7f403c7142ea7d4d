//! [`VerificationContext`]: what verification needs besides the session and the response.

use std::time::SystemTime;

use sidkit_proto::env::SchemeName;

use crate::cache::VerifiedCertCache;
use crate::revocation::RevocationChecker;
use crate::trust::TrustStore;

/// Everything verification needs besides the session and the response: the environment's
/// scheme name, the trust store, the verification instant, an optional revocation checker and
/// an optional [`VerifiedCertCache`].
#[derive(Clone, Copy)]
pub struct VerificationContext<'a> {
    /// `smart-id` (LIVE) or `smart-id-demo` (DEMO): the first field of the ACSP_V2 payload.
    pub scheme_name: SchemeName,
    /// The configured CA certificates.
    pub trust_store: &'a TrustStore,
    /// The instant certificates must be valid at (normally now).
    pub at: SystemTime,
    /// OCSP (or other) revocation checks; without one, revocation is not checked and results
    /// say so (`revocationChecked: false`).
    pub revocation: Option<&'a dyn RevocationChecker>,
    /// Verified chains to reuse (and to add to); without one, every verification builds and
    /// validates the chain.
    pub cert_cache: Option<&'a VerifiedCertCache>,
}

impl std::fmt::Debug for VerificationContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationContext")
            .field("scheme_name", &self.scheme_name)
            .field("anchors", &self.trust_store.anchors().len())
            .field("at", &self.at)
            .field("revocation", &self.revocation.is_some())
            .field("cert_cache", &self.cert_cache.map(|c| c.len()))
            .finish()
    }
}

impl<'a> VerificationContext<'a> {
    /// A context without revocation checking.
    pub fn new(scheme_name: SchemeName, trust_store: &'a TrustStore, at: SystemTime) -> Self {
        VerificationContext {
            scheme_name,
            trust_store,
            at,
            revocation: None,
            cert_cache: None,
        }
    }

    /// Adds a revocation checker.
    pub fn with_revocation_checker(mut self, checker: &'a dyn RevocationChecker) -> Self {
        self.revocation = Some(checker);
        self
    }

    /// Reuses (and fills) `cache`: a certificate verified before against the same trust
    /// store skips path building and the certificate-only profile checks; everything that
    /// depends on the request or the instant is still checked (see [`VerifiedCertCache`]).
    pub fn with_cert_cache(mut self, cache: &'a VerifiedCertCache) -> Self {
        self.cert_cache = Some(cache);
        self
    }
}
