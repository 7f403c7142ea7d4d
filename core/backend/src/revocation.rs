//! Revocation checking for the backend kit: the [`RevocationPolicy`] (OCSP, CRL, OCSP then
//! CRL, or off; fail closed unless soft fail is chosen; responder URLs from the AIA or
//! configured per CA) and the [`RevocationService`] that applies it.
//!
//! Verification (`sidkit-verify`) is synchronous and does no networking; fetching is
//! asynchronous. The split: the backend verifies the response without revocation first (a
//! response that fails anything else never causes a fetch), then
//! [`RevocationService::answers`] validates the chain, fetches an OCSP response or CRL for
//! each (certificate, issuer) pair below the anchor through a [`RevocationTransport`], checks
//! each with `sidkit-verify`'s sans-IO functions, and returns
//! [`RevocationAnswers`]; verification runs again with those answers as its checker, so
//! that the result records how every certificate was checked. Good answers are cached until
//! their `nextUpdate` (bounded).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sidkit_verify::{
    check_crl, check_ocsp_response, CertFingerprint, CertIdHash, CertRevocationStatus, Certificate,
    NonceRequirement, OcspOptions, OcspRequest, RevocationAnswers, RevocationEvidence,
    RevocationStatus, TrustStore, VerifyError,
};

use crate::revocation_http::{HttpTransport, RevocationTransport, TransportError};

/// SK's LIVE OCSP service (`ocsp.sk.ee`, access by contract: IP address or access
/// certificate; CertIDs in SHA-1 only). Source: SK ID Solutions, "Validity confirmation
/// service — technical information" and the SK-EID/ocsp wiki.
pub const SK_LIVE_OCSP_URL: &str = "http://ocsp.sk.ee/";
/// SK's DEMO (test) OCSP service. Source: as [`SK_LIVE_OCSP_URL`]. DEMO certificates must be
/// uploaded before it knows them (spec §11).
pub const SK_DEMO_OCSP_URL: &str = "http://demo.sk.ee/ocsp";

/// Which revocation sources are consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RevocationMode {
    /// No revocation checking (results say `revocationChecked: false`).
    #[default]
    Off,
    /// OCSP only.
    Ocsp,
    /// CRLs only (from the certificate's CRL distribution points).
    Crl,
    /// OCSP; when it gives no usable answer (unreachable, refused, `unknown`), the CRL. A
    /// `revoked` answer is final.
    OcspThenCrl,
}

/// How the backend checks revocation. The default is [`RevocationMode::Off`]; every mode
/// fails closed unless [`soft_fail`](Self::soft_fail) is set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevocationPolicy {
    /// The sources.
    pub mode: RevocationMode,
    /// `true`: a certificate whose status cannot be established is accepted and reported as
    /// unchecked (`revocationChecked: false`, with the reason) instead of failing
    /// verification. A `revoked` answer always fails.
    pub soft_fail: bool,
    /// Clock skew tolerated on `thisUpdate`/`nextUpdate` (default 5 minutes).
    pub skew: Duration,
    /// The OCSP `CertID` hash (default SHA-256; SK's OCSP service needs SHA-1).
    pub cert_id_hash: CertIdHash,
    /// The nonce rule (default: required).
    pub nonce: NonceRequirement,
    /// OCSP responder URLs configured per issuing CA (by its SHA-256 fingerprint); they take
    /// precedence over everything else.
    pub responders: Vec<(CertFingerprint, String)>,
    /// The responder for every other CA; `None`: the certificate's AIA OCSP URLs.
    pub default_responder: Option<String>,
    /// How many good answers are cached (until their `nextUpdate`; default 4096).
    pub cache_entries: usize,
}

impl Default for RevocationPolicy {
    fn default() -> Self {
        RevocationPolicy {
            mode: RevocationMode::Off,
            soft_fail: false,
            skew: Duration::from_secs(300),
            cert_id_hash: CertIdHash::Sha256,
            nonce: NonceRequirement::Required,
            responders: Vec::new(),
            default_responder: None,
            cache_entries: 4096,
        }
    }
}

impl RevocationPolicy {
    /// `mode`, fail closed, responders from the AIA, the other defaults.
    pub fn new(mode: RevocationMode) -> Self {
        RevocationPolicy {
            mode,
            ..Self::default()
        }
    }

    /// OCSP against SK's LIVE service [`SK_LIVE_OCSP_URL`] for every CA, with SHA-1 CertIDs
    /// (what it accepts), then the CRL; fail closed.
    pub fn sk_live() -> Self {
        Self::sk(SK_LIVE_OCSP_URL)
    }

    /// As [`sk_live`](Self::sk_live) against SK's DEMO service [`SK_DEMO_OCSP_URL`].
    pub fn sk_demo() -> Self {
        Self::sk(SK_DEMO_OCSP_URL)
    }

    fn sk(url: &str) -> Self {
        RevocationPolicy {
            mode: RevocationMode::OcspThenCrl,
            cert_id_hash: CertIdHash::Sha1,
            default_responder: Some(url.to_owned()),
            ..Self::default()
        }
    }

    /// Sets soft fail (see [`soft_fail`](Self::soft_fail)).
    pub fn with_soft_fail(mut self, soft_fail: bool) -> Self {
        self.soft_fail = soft_fail;
        self
    }

    /// Uses `url` as the OCSP responder for certificates issued by `issuer`.
    pub fn with_responder(mut self, issuer: &Certificate, url: impl Into<String>) -> Self {
        self.responders.push((issuer.fingerprint(), url.into()));
        self
    }

    fn ocsp_urls(&self, cert: &Certificate, issuer: &Certificate) -> Vec<String> {
        let fp = issuer.fingerprint();
        let configured: Vec<String> = self
            .responders
            .iter()
            .filter(|(f, _)| *f == fp)
            .map(|(_, u)| u.clone())
            .collect();
        if !configured.is_empty() {
            return configured;
        }
        match &self.default_responder {
            Some(u) => vec![u.clone()],
            None => cert.ocsp_urls(),
        }
    }
}

type Pair = (CertFingerprint, CertFingerprint);

/// Good answers until their `nextUpdate`, at most `cap` of them.
#[derive(Debug, Default)]
struct Cache {
    cap: usize,
    entries: HashMap<Pair, RevocationEvidence>,
}

impl Cache {
    fn get(&mut self, key: &Pair, at: SystemTime) -> Option<RevocationEvidence> {
        match self.entries.get(key) {
            Some(e) if e.next_update.is_some_and(|n| at <= n) => Some(e.clone()),
            Some(_) => {
                self.entries.remove(key);
                None
            }
            None => None,
        }
    }

    fn put(&mut self, key: Pair, evidence: RevocationEvidence, at: SystemTime) {
        if self.cap == 0 || evidence.next_update.is_none_or(|n| n < at) {
            return;
        }
        if self.entries.len() >= self.cap && !self.entries.contains_key(&key) {
            self.entries
                .retain(|_, e| e.next_update.is_some_and(|n| n >= at));
            if self.entries.len() >= self.cap {
                // Still full: drop the entry that expires first.
                if let Some(first) = self
                    .entries
                    .iter()
                    .min_by_key(|(_, e)| e.next_update)
                    .map(|(k, _)| *k)
                {
                    self.entries.remove(&first);
                }
            }
        }
        self.entries.insert(key, evidence);
    }
}

/// Applies a [`RevocationPolicy`] through a [`RevocationTransport`]. The backend verifies a
/// response without revocation first, then [`answers`](Self::answers) validates the chain and
/// fetches and checks an OCSP response (or CRL) for every (certificate, issuer) pair below the
/// anchor, and verification runs again with those answers. Good answers are cached until their
/// `nextUpdate` (bounded). Share it in an `Arc`; the cache is shared.
pub struct RevocationService {
    policy: RevocationPolicy,
    transport: Arc<dyn RevocationTransport>,
    cache: Mutex<Cache>,
}

impl std::fmt::Debug for RevocationService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RevocationService")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RevocationService {
    /// A service fetching through `transport`.
    pub fn new(policy: RevocationPolicy, transport: Arc<dyn RevocationTransport>) -> Self {
        let cap = policy.cache_entries;
        RevocationService {
            policy,
            transport,
            cache: Mutex::new(Cache {
                cap,
                entries: HashMap::new(),
            }),
        }
    }

    /// A service fetching over plain HTTP with [`HttpTransport`]'s defaults.
    pub fn http(policy: RevocationPolicy) -> Result<Self, TransportError> {
        Ok(Self::new(policy, Arc::new(HttpTransport::new()?)))
    }

    /// The answer cache. Its entries are independent, so any state a panic while it was held
    /// could leave is a valid cache: a poisoned lock is taken over, not propagated.
    fn cache(&self) -> std::sync::MutexGuard<'_, Cache> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The policy.
    pub fn policy(&self) -> &RevocationPolicy {
        &self.policy
    }

    /// Whether the policy checks anything ([`RevocationMode::Off`] does not).
    pub fn is_enabled(&self) -> bool {
        self.policy.mode != RevocationMode::Off
    }

    /// Validates the chain of `certificate` in `trust` at `at` and establishes the status of
    /// every (certificate, issuer) pair below the anchor, one after the other: the answers to
    /// verify with. Fails only if the chain does not validate; a status that cannot be
    /// established is in the answers (`Unknown`, or `Unchecked` under soft fail).
    pub async fn answers(
        &self,
        trust: &TrustStore,
        certificate: &Certificate,
        at: SystemTime,
    ) -> Result<RevocationAnswers, VerifyError> {
        let issuers = trust.verify_chain(certificate, at)?;
        let mut answers = RevocationAnswers::new();
        let mut subject = certificate;
        for issuer in &issuers {
            let status = self.status(subject, issuer, at).await;
            answers.insert(subject, issuer, status);
            subject = issuer;
        }
        Ok(answers)
    }

    /// The status of `certificate` issued by `issuer` at `at` under the policy (the cache
    /// first).
    pub async fn status(
        &self,
        certificate: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
    ) -> RevocationStatus {
        let key = (certificate.fingerprint(), issuer.fingerprint());
        if let Some(e) = self.cache().get(&key, at) {
            return RevocationStatus::Confirmed(e);
        }
        let mut failures = Vec::new();
        let use_ocsp = matches!(
            self.policy.mode,
            RevocationMode::Ocsp | RevocationMode::OcspThenCrl
        );
        let use_crl = matches!(
            self.policy.mode,
            RevocationMode::Crl | RevocationMode::OcspThenCrl
        );
        if self.policy.mode == RevocationMode::Off {
            return RevocationStatus::Unchecked {
                reason: "revocation checking is off".into(),
            };
        }
        let mut status = None;
        if use_ocsp {
            status = self.try_ocsp(certificate, issuer, at, &mut failures).await;
        }
        if status.is_none() && use_crl {
            status = self.try_crl(certificate, issuer, at, &mut failures).await;
        }
        match status {
            Some(RevocationStatus::Confirmed(e)) => {
                self.cache().put(key, e.clone(), at);
                RevocationStatus::Confirmed(e)
            }
            Some(other) => other,
            None => {
                let reason = if failures.is_empty() {
                    "no OCSP responder or CRL location for the certificate".to_owned()
                } else {
                    failures.join("; ")
                };
                if self.policy.soft_fail {
                    RevocationStatus::Unchecked { reason }
                } else {
                    RevocationStatus::Unknown { reason }
                }
            }
        }
    }

    /// The first usable OCSP answer (good or revoked), or `None` with the failures noted.
    async fn try_ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
        failures: &mut Vec<String>,
    ) -> Option<RevocationStatus> {
        let options = OcspOptions {
            skew: self.policy.skew,
            nonce: self.policy.nonce,
        };
        for url in self.policy.ocsp_urls(cert, issuer) {
            let request = match OcspRequest::new(cert, issuer, self.policy.cert_id_hash) {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("OCSP: {e}"));
                    return None;
                }
            };
            let body = match self.transport.post_ocsp(&url, request.der()).await {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("OCSP {e}"));
                    continue;
                }
            };
            match check_ocsp_response(&request, issuer, &body, at, &options) {
                Ok(a) if a.status == CertRevocationStatus::Unknown => {
                    failures.push(format!("OCSP {url} answered `unknown`"));
                }
                Ok(a) => return Some(a.to_status(&url)),
                Err(e) => failures.push(format!("OCSP {url}: {e}")),
            }
        }
        None
    }

    /// The first usable CRL answer, or `None` with the failures noted.
    async fn try_crl(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        at: SystemTime,
        failures: &mut Vec<String>,
    ) -> Option<RevocationStatus> {
        for url in cert.crl_urls() {
            let body = match self.transport.get_crl(&url).await {
                Ok(b) => b,
                Err(e) => {
                    failures.push(format!("CRL {e}"));
                    continue;
                }
            };
            match check_crl(cert, issuer, &body, at, self.policy.skew) {
                Ok(a) => return Some(a.to_status(&url)),
                Err(e) => failures.push(format!("CRL {url}: {e}")),
            }
        }
        None
    }
}
