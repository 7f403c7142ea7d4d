//! [`VerifiedCertCache`]: an opt-in, bounded (LRU) cache of verified certificate chains, so
//! that a repeat login with the same certificate costs the signature check, not the chain.
//!
//! What is cached is only what depends on the certificate and the trust store alone (step 4
//! and the certificate-only halves of steps 5–8): the parsed certificate and its RSA key, the
//! validated path, the [`VerifiedCertificate`] facts and, per purpose, the Smart-ID profile the
//! policies satisfy, the level the certificate proves and the identity in its subject. Entries
//! are keyed by the SHA-256 of the certificate's DER *and* the trust store's identity (a
//! digest over its anchors and intermediates), and the full DER is compared again on a hit.
//!
//! Everything that depends on the request or the verification instant is checked on every
//! verification, hit or not: the validity period of every certificate of the path against the
//! context's instant (a hit outside it falls back to the full path building, which reports the
//! failure), the requested level and the response's claimed level, the targeted person and
//! document number, the signature algorithm and parameters, and the signature over this
//! response.
//!
//! An entry lives until the earliest of: the configured maximum age after it was made, and the
//! end of the validity of the certificate or of any certificate of its path. Revocation answers
//! (when the context has a [`RevocationChecker`](crate::RevocationChecker)) are kept with an
//! entry only when every certificate of the chain was confirmed good with a `nextUpdate`, and
//! only until the earliest `nextUpdate`; after it the checker is asked again. A revoked or
//! unknown answer fails the verification and removes the entry; a soft-fail `Unchecked` answer
//! is never kept, so the next verification asks again.

use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::{Duration, SystemTime};

use lru::LruCache;
use subtle::ConstantTimeEq;

use crate::cert::Certificate;
use crate::identity::CertificateIdentity;
use crate::profile::Purpose;
use crate::results::{RevocationRecord, VerifiedCertificate};
use sidkit_proto::models::CertificateLevel;

/// The certificate-only facts of steps 5–8 for one purpose.
#[derive(Debug, Clone)]
pub(crate) struct ProfileFacts {
    /// The level the certificate proves for the purpose.
    pub(crate) proven: CertificateLevel,
    /// Why it proves no higher level.
    pub(crate) why_no_higher: &'static str,
    /// The person in the subject.
    pub(crate) identity: CertificateIdentity,
}

/// The outcome of step 4 for one certificate and trust store (what a cache entry holds).
#[derive(Debug)]
pub(crate) struct VerifiedChain {
    /// The end-entity certificate.
    pub(crate) cert: Certificate,
    /// Its RSA key (with the prepared forms the signature checks made, so a hit reuses them).
    pub(crate) key: crate::crypto::RsaKey,
    /// The validated path above it: nearest issuer first, the anchor last.
    pub(crate) issuers: Vec<Certificate>,
    /// The result facts, without revocation (`revocation_checked: false`, no records).
    pub(crate) base: VerifiedCertificate,
    /// The latest `notBefore` and the earliest `notAfter` of the certificate and its path.
    pub(crate) valid_from: SystemTime,
    pub(crate) valid_until: SystemTime,
    /// Steps 5–8 facts for authentication (0) and signing (1), once computed successfully.
    facts: [OnceLock<ProfileFacts>; 2],
}

impl VerifiedChain {
    pub(crate) fn new(
        cert: Certificate,
        key: crate::crypto::RsaKey,
        issuers: Vec<Certificate>,
        base: VerifiedCertificate,
    ) -> Self {
        let all = || std::iter::once(&cert).chain(&issuers);
        let valid_from = all()
            .map(Certificate::not_before)
            .max()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        let valid_until = all()
            .map(Certificate::not_after)
            .min()
            .unwrap_or(SystemTime::UNIX_EPOCH);
        VerifiedChain {
            cert,
            key,
            issuers,
            base,
            valid_from,
            valid_until,
            facts: [OnceLock::new(), OnceLock::new()],
        }
    }

    fn slot(&self, purpose: Purpose) -> &OnceLock<ProfileFacts> {
        match purpose {
            Purpose::Authentication => &self.facts[0],
            Purpose::Signing => &self.facts[1],
        }
    }

    /// The profile facts for `purpose`, if computed before.
    pub(crate) fn facts(&self, purpose: Purpose) -> Option<&ProfileFacts> {
        self.slot(purpose).get()
    }

    /// Keeps successfully computed profile facts for `purpose`.
    pub(crate) fn set_facts(&self, purpose: Purpose, facts: ProfileFacts) {
        let _ = self.slot(purpose).set(facts);
    }

    /// Whether every certificate of the path is valid at `at`.
    pub(crate) fn valid_at(&self, at: SystemTime) -> bool {
        self.valid_from <= at && at <= self.valid_until
    }
}

/// Revocation answers kept with an entry: every certificate of the chain confirmed good.
#[derive(Debug, Clone)]
pub(crate) struct CachedRevocation {
    /// The records of the verification that established them.
    pub(crate) records: Vec<RevocationRecord>,
    /// The verification instant they were established at.
    pub(crate) from: SystemTime,
    /// The earliest `nextUpdate` among them.
    pub(crate) until: SystemTime,
}

impl CachedRevocation {
    /// The records as reusable answers, when every one is a confirmation with a `nextUpdate`
    /// not before `at` (and there is at least one).
    pub(crate) fn of(records: &[RevocationRecord], at: SystemTime) -> Option<Self> {
        let mut until: Option<SystemTime> = None;
        for r in records {
            let next = r
                .evidence
                .as_ref()
                .filter(|_| r.checked)
                .and_then(|e| e.next_update)?;
            until = Some(until.map_or(next, |u| u.min(next)));
        }
        let until = until.filter(|u| at <= *u)?;
        Some(CachedRevocation {
            records: records.to_vec(),
            from: at,
            until,
        })
    }

    /// Whether the answers may stand for a verification at `at`.
    pub(crate) fn covers(&self, at: SystemTime) -> bool {
        self.from <= at && at <= self.until
    }
}

/// The cache key: SHA-256 of the certificate DER and the trust store identity.
pub(crate) type CacheKey = ([u8; 32], [u8; 32]);

#[derive(Debug)]
struct Entry {
    chain: Arc<VerifiedChain>,
    expires_at: SystemTime,
    revocation: Option<CachedRevocation>,
}

/// Hit and miss counts of a [`VerifiedCertCache`] since it was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CacheStats {
    /// Verifications that reused a cached chain.
    pub hits: u64,
    /// Verifications that built and validated the chain (nothing cached, or the entry had
    /// expired or no longer fit the verification instant).
    pub misses: u64,
}

/// A bounded, thread-safe cache of verified certificate chains and profile facts, shared by
/// every verification that is given it (see
/// [`VerificationContext::with_cert_cache`](crate::VerificationContext::with_cert_cache)).
///
/// What is cached is only what depends on the certificate and the trust store alone: the
/// parsed certificate and its RSA key, the validated path, the facts of the
/// [`VerifiedCertificate`](crate::VerifiedCertificate) and, per purpose, the level the
/// certificate proves and the identity in its subject. Entries are keyed by the SHA-256 of the
/// certificate's DER and the trust store's identity (a digest over its anchors and
/// intermediates); the DER is compared again on a hit.
///
/// A hit still checks everything that depends on the request, the response or the instant:
/// the validity period of every certificate of the path at the context's instant (outside it
/// the path is built again, which reports the failure), the requested and the claimed level,
/// the targeted person and document number, the signature algorithm and parameters, and the
/// signature over this response.
///
/// Least recently used entries are evicted beyond the capacity. Entries never outlive the
/// certificate's or its path's `notAfter` or the configured [maximum age](Self::with_max_age).
/// Revocation answers are kept with an entry only when every certificate of the chain was
/// confirmed good with a `nextUpdate`, and only until the earliest one; a revoked or unknown
/// answer fails the verification and removes the entry, and a soft-fail `Unchecked` one is
/// never kept. A lock poisoned by a panicking thread is recovered by emptying the cache.
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use sidkit_proto::env::SchemeName;
/// use sidkit_verify::{TrustStore, VerificationContext, VerifiedCertCache};
/// let trust = TrustStore::sk_live()?;
/// let cache = VerifiedCertCache::new(1024).with_max_age(Duration::from_secs(600));
/// let ctx = VerificationContext::new(SchemeName::SmartId, &trust, SystemTime::now())
///     .with_cert_cache(&cache);
/// # let _ = ctx;
/// # Ok::<(), sidkit_verify::VerifyError>(())
/// ```
#[derive(Debug)]
pub struct VerifiedCertCache {
    entries: Mutex<LruCache<CacheKey, Entry>>,
    capacity: usize,
    max_age: Duration,
    hits: AtomicU64,
    misses: AtomicU64,
}

impl VerifiedCertCache {
    /// How long an entry lives at most unless [`with_max_age`](Self::with_max_age) says
    /// otherwise: one hour.
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(3600);

    /// A cache of at most `capacity` certificates (0: a cache that keeps nothing), entries
    /// living at most [`DEFAULT_MAX_AGE`](Self::DEFAULT_MAX_AGE).
    pub fn new(capacity: usize) -> Self {
        VerifiedCertCache {
            entries: Mutex::new(LruCache::new(
                NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN),
            )),
            capacity,
            max_age: Self::DEFAULT_MAX_AGE,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// Entries live at most `max_age` after the verification that made them (measured in
    /// verification instants; zero disables reuse).
    pub fn with_max_age(mut self, max_age: Duration) -> Self {
        self.max_age = max_age;
        self
    }

    /// The most certificates kept.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// The longest an entry lives.
    pub fn max_age(&self) -> Duration {
        self.max_age
    }

    /// How many certificates are cached now (expired entries included until they are looked
    /// up or evicted).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every entry (e.g. after a trust store or policy change; entries of another
    /// trust store are never used anyway).
    pub fn clear(&self) {
        self.lock().clear();
    }

    /// Hits and misses so far.
    pub fn stats(&self) -> CacheStats {
        CacheStats {
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
        }
    }

    /// The entries, recovering a poisoned lock by emptying the cache (a thread that panicked
    /// while holding it may have left an update half done).
    fn lock(&self) -> MutexGuard<'_, LruCache<CacheKey, Entry>> {
        match self.entries.lock() {
            Ok(g) => g,
            Err(poisoned) => {
                let mut g = poisoned.into_inner();
                g.clear();
                self.entries.clear_poison();
                g
            }
        }
    }

    /// The chain cached for `key` if it may stand for a verification of `der` at `at` (not
    /// expired, every certificate valid at `at`, the same DER), with any revocation answers
    /// kept with it. An entry that does not fit is removed.
    pub(crate) fn lookup(
        &self,
        key: &CacheKey,
        der: &[u8],
        at: SystemTime,
    ) -> Option<(Arc<VerifiedChain>, Option<CachedRevocation>)> {
        if self.capacity == 0 {
            return None;
        }
        let mut entries = self.lock();
        let found = entries.get(key).and_then(|e| {
            let same = e.chain.cert.der().ct_eq(der).into();
            (same && at <= e.expires_at && e.chain.valid_at(at))
                .then(|| (e.chain.clone(), e.revocation.clone()))
        });
        if found.is_none() {
            entries.pop(key);
            drop(entries);
            self.misses.fetch_add(1, Ordering::Relaxed);
        } else {
            drop(entries);
            self.hits.fetch_add(1, Ordering::Relaxed);
        }
        found
    }

    /// Caches `chain` (verified at `at`) under `key`, with `revocation` answers if any.
    pub(crate) fn insert(
        &self,
        key: CacheKey,
        chain: Arc<VerifiedChain>,
        revocation: Option<CachedRevocation>,
        at: SystemTime,
    ) {
        if self.capacity == 0 || self.max_age.is_zero() {
            return;
        }
        let expires_at = at
            .checked_add(self.max_age)
            .map_or(chain.valid_until, |t| t.min(chain.valid_until));
        if expires_at < at {
            return;
        }
        self.lock().put(
            key,
            Entry {
                chain,
                expires_at,
                revocation,
            },
        );
    }

    /// Keeps `revocation` with the entry of `key` if it still holds `chain`.
    pub(crate) fn keep_revocation(
        &self,
        key: &CacheKey,
        chain: &Arc<VerifiedChain>,
        revocation: CachedRevocation,
    ) {
        if let Some(e) = self.lock().peek_mut(key) {
            if Arc::ptr_eq(&e.chain, chain) {
                e.revocation = Some(revocation);
            }
        }
    }

    /// Removes the entry of `key`.
    pub(crate) fn remove(&self, key: &CacheKey) {
        self.lock().pop(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_recovered_by_emptying_the_cache() {
        let cache = Arc::new(VerifiedCertCache::new(4));
        let c = cache.clone();
        let r = std::thread::spawn(move || {
            let _guard = c.entries.lock().unwrap();
            panic!("poison the cache lock");
        })
        .join();
        assert!(r.is_err());
        assert!(cache.entries.is_poisoned());
        assert_eq!(cache.len(), 0);
        assert!(!cache.entries.is_poisoned());
        assert!(cache
            .lookup(&([0; 32], [0; 32]), b"", SystemTime::now())
            .is_none());
        assert_eq!(cache.stats().misses, 1);
    }

    #[test]
    fn zero_capacity_keeps_nothing() {
        let cache = VerifiedCertCache::new(0);
        assert_eq!(cache.capacity(), 0);
        assert!(cache.is_empty());
        assert!(cache
            .lookup(&([1; 32], [2; 32]), b"x", SystemTime::now())
            .is_none());
    }
}
