//! The verified-certificate cache: hits reuse the chain, and never skip a check that depends
//! on the request, the response or the verification instant.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::*;
use sidkit_proto::ident::SemanticsIdentifier;
use sidkit_proto::models::{CertificateLevel, FlowType, Subject};
use sidkit_testpki::TestPki;
use sidkit_verify::*;

fn ctx_at<'a>(
    pki: &'a Pki,
    cache: &'a VerifiedCertCache,
    at: SystemTime,
) -> VerificationContext<'a> {
    VerificationContext::new(SCHEME, &pki.store, at).with_cert_cache(cache)
}

fn stats(hits: u64, misses: u64) -> CacheStats {
    CacheStats { hits, misses }
}

#[test]
fn a_repeat_verification_is_a_hit_with_the_same_result() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let a = Auth::new(&pki, FlowType::App2App);
    let now = SystemTime::now();
    let first = a
        .verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    assert_eq!(cache.stats(), stats(0, 1));
    assert_eq!(cache.len(), 1);
    let second = a
        .verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    assert_eq!(cache.stats(), stats(1, 1));
    let uncached = a.verify(&pki).unwrap();
    let json = |r: &VerifiedAuthentication| serde_json::to_string(r).unwrap();
    assert_eq!(json(&first), json(&second));
    assert_eq!(json(&first), json(&uncached));
    // Another session of the same person (a new signature, new challenges) hits too.
    let mut b = Auth::new(&pki, FlowType::Qr);
    b.user = a.user.clone();
    b.sign();
    b.verify_with(&ctx_at(&pki, &cache, now), b.callback())
        .unwrap();
    assert_eq!(cache.stats(), stats(2, 1));
}

#[test]
fn signatures_and_certificate_choices_hit_too() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let s = Sign::new(&pki, FlowType::Qr);
    let ctx = ctx_at(&pki, &cache, SystemTime::now());
    for _ in 0..2 {
        verify_signature(&ctx, &s.session(), &s.status, s.callback()).unwrap();
    }
    assert_eq!(cache.stats(), stats(1, 1));
    // A tampered signature over the same certificate still fails on a hit.
    let mut bad = Sign::new(&pki, FlowType::Qr);
    bad.user = s.user.clone();
    bad.status = s.status.clone();
    let sig = bad.signature_mut();
    let mut v = sidkit_proto::b64::decode_std("v", sig.value.as_deref().unwrap()).unwrap();
    v[10] ^= 1;
    sig.value = Some(sidkit_proto::b64::encode_std(&v));
    let f = expect_failure(verify_signature(
        &ctx,
        &bad.session(),
        &bad.status,
        bad.callback(),
    ));
    assert!(matches!(f, VerificationFailure::SignatureInvalid), "{f:?}");
    assert_eq!(cache.stats(), stats(2, 1));
}

#[test]
fn a_bad_signature_with_a_cached_certificate_fails() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let mut a = Auth::new(&pki, FlowType::App2App);
    let ctx = ctx_at(&pki, &cache, SystemTime::now());
    a.verify_with(&ctx, a.callback()).unwrap();
    // Same certificate, another payload's signature.
    a.server_random = random_b64(18);
    let value = a.status.signature.as_ref().unwrap().value.clone();
    a.sign();
    a.signature_mut().value = value;
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(matches!(f, VerificationFailure::SignatureInvalid), "{f:?}");
    assert_eq!(cache.stats(), stats(1, 1));
}

#[test]
fn a_different_trust_store_misses() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let a = Auth::new(&pki, FlowType::App2App);
    let now = SystemTime::now();
    a.verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    // A store that trusts more (the same chain still verifies): its own entry.
    let other = TestPki::generate("TEST of another CA").unwrap();
    let mut wider = pki.store.clone();
    wider.add_der(other.root.der()).unwrap();
    let ctx = VerificationContext::new(SCHEME, &wider, now).with_cert_cache(&cache);
    a.verify_with(&ctx, a.callback()).unwrap();
    assert_eq!(cache.stats(), stats(0, 2));
    assert_eq!(cache.len(), 2);
    // A store that does not trust the chain never gets the cached answer.
    let mut foreign = TrustStore::new();
    foreign.add_der(other.root.der()).unwrap();
    foreign.add_der(other.intermediate.der()).unwrap();
    let ctx = VerificationContext::new(SCHEME, &foreign, now).with_cert_cache(&cache);
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(
        matches!(
            f,
            VerificationFailure::UntrustedChain { .. } | VerificationFailure::ChainSignature { .. }
        ),
        "{f:?}"
    );
    // The same certificates added in another order are the same store.
    let mut reordered = TrustStore::new();
    reordered.add_der(pki.pki.intermediate.der()).unwrap();
    reordered.add_der(pki.pki.root.der()).unwrap();
    let ctx = VerificationContext::new(SCHEME, &reordered, now).with_cert_cache(&cache);
    a.verify_with(&ctx, a.callback()).unwrap();
    assert_eq!(cache.stats().hits, 1);
}

#[test]
fn an_entry_past_its_max_age_is_verified_again() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16).with_max_age(Duration::from_secs(60));
    assert_eq!(cache.max_age(), Duration::from_secs(60));
    let a = Auth::new(&pki, FlowType::App2App);
    let now = SystemTime::now();
    a.verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    let later = now + Duration::from_secs(30);
    a.verify_with(&ctx_at(&pki, &cache, later), a.callback())
        .unwrap();
    assert_eq!(cache.stats(), stats(1, 1));
    let too_late = now + Duration::from_secs(61);
    a.verify_with(&ctx_at(&pki, &cache, too_late), a.callback())
        .unwrap();
    assert_eq!(cache.stats(), stats(1, 2));
    // Renewed from then on.
    a.verify_with(&ctx_at(&pki, &cache, too_late), a.callback())
        .unwrap();
    assert_eq!(cache.stats(), stats(2, 2));
}

#[test]
fn a_certificate_expired_since_fails_on_a_hit() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16).with_max_age(Duration::from_secs(365 * 86_400));
    let now = SystemTime::now();
    let mut spec = auth_spec();
    spec.not_after = now + days(1);
    let a = Auth::with(
        &pki,
        FlowType::App2App,
        sidkit_proto::models::HashAlgorithm::Sha512,
        &spec,
    );
    a.verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    let f = expect_failure(a.verify_with(&ctx_at(&pki, &cache, now + days(2)), a.callback()));
    assert!(matches!(f, VerificationFailure::Validity { .. }), "{f:?}");
    // Not valid yet either: before the certificate's notBefore.
    let f = expect_failure(a.verify_with(&ctx_at(&pki, &cache, now - days(30)), a.callback()));
    assert!(matches!(f, VerificationFailure::Validity { .. }), "{f:?}");
    // Still fine at a valid instant.
    a.verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
}

#[test]
fn identity_level_and_purpose_are_checked_on_a_hit() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let ctx = ctx_at(&pki, &cache, SystemTime::now());
    let mut a = Auth::new(&pki, FlowType::App2App);
    a.verify_with(&ctx, a.callback()).unwrap();
    // Another targeted person.
    a.subject = Subject::Etsi("PNOEE-40404040009".parse::<SemanticsIdentifier>().unwrap());
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(
        matches!(f, VerificationFailure::IdentityMismatch { .. }),
        "{f:?}"
    );
    a.subject = Subject::Anonymous;
    // A document number of someone else.
    a.doc = "PNOEE-40404040009-MOCK-Q".into();
    a.sign();
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(
        matches!(f, VerificationFailure::IdentityMismatch { .. }),
        "{f:?}"
    );

    // An ADVANCED certificate: fine for an ADVANCED request, not for QUALIFIED, and never
    // when the response claims QUALIFIED.
    let mut adv = Auth::with(
        &pki,
        FlowType::App2App,
        sidkit_proto::models::HashAlgorithm::Sha512,
        &auth_spec().advanced(),
    );
    adv.device_link.certificate_level = Some(CertificateLevel::Advanced);
    adv.verify_with(&ctx, adv.callback()).unwrap();
    adv.device_link.certificate_level = Some(CertificateLevel::Qualified);
    let f = expect_failure(adv.verify_with(&ctx, adv.callback()));
    assert!(matches!(f, VerificationFailure::Level { .. }), "{f:?}");
    adv.device_link.certificate_level = Some(CertificateLevel::Advanced);
    adv.level = "QUALIFIED".into();
    adv.sign();
    let f = expect_failure(adv.verify_with(&ctx, adv.callback()));
    assert!(
        matches!(f, VerificationFailure::LevelNotProven { .. }),
        "{f:?}"
    );

    // The cached authentication certificate offered for a signature: the signing profile
    // (steps 5 and 6) still applies.
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.status.cert.as_mut().unwrap().value = a.user.cert_base64();
    let f = expect_failure(verify_signature(
        &ctx,
        &s.session(),
        &s.status,
        s.callback(),
    ));
    assert!(
        matches!(
            f,
            VerificationFailure::Policy { .. } | VerificationFailure::Purpose(_)
        ),
        "{f:?}"
    );
    assert!(cache.stats().hits >= 5, "{:?}", cache.stats());
}

fn confirmed(next_update: SystemTime) -> RevocationStatus {
    RevocationStatus::Confirmed(RevocationEvidence {
        method: RevocationMethod::Ocsp,
        source: "http://ocsp.example/".into(),
        this_update: next_update - Duration::from_secs(3600),
        next_update: Some(next_update),
    })
}

#[test]
fn revocation_answers_are_kept_until_the_earliest_next_update() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let a = Auth::new(&pki, FlowType::App2App);
    let now = SystemTime::now();
    let calls = AtomicUsize::new(0);
    let intermediate = pki.pki.intermediate.der().to_vec();
    // The intermediate's answer expires first (10 minutes), the user's later.
    let checker = |r: &RevocationRequest<'_>| {
        calls.fetch_add(1, Ordering::SeqCst);
        if r.certificate.der() == intermediate.as_slice() {
            confirmed(now + Duration::from_secs(600))
        } else {
            confirmed(now + Duration::from_secs(3600))
        }
    };
    let with = |at| ctx_at(&pki, &cache, at).with_revocation_checker(&checker);
    let r = a.verify_with(&with(now), a.callback()).unwrap();
    assert!(r.certificate.revocation_checked);
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Within the earliest nextUpdate: the kept answers, the checker is not asked.
    let r2 = a
        .verify_with(&with(now + Duration::from_secs(300)), a.callback())
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert!(r2.certificate.revocation_checked);
    assert_eq!(r2.certificate.revocation, r.certificate.revocation);
    // Past it: asked again (the chain itself is still a hit).
    a.verify_with(&with(now + Duration::from_secs(601)), a.callback())
        .unwrap();
    assert_eq!(calls.load(Ordering::SeqCst), 4);
    assert_eq!(cache.stats(), stats(2, 1));
    // Without a checker nothing claims to be checked.
    let r3 = a
        .verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    assert!(!r3.certificate.revocation_checked);
    assert!(r3.certificate.revocation.is_empty());
}

#[test]
fn revoked_unknown_and_unchecked_answers_are_never_kept() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let a = Auth::new(&pki, FlowType::App2App);
    let now = SystemTime::now();
    // Cached without revocation first.
    a.verify_with(&ctx_at(&pki, &cache, now), a.callback())
        .unwrap();
    let revoked = |_: &RevocationRequest<'_>| RevocationStatus::Revoked {
        reason: Some("keyCompromise".into()),
    };
    let ctx = ctx_at(&pki, &cache, now).with_revocation_checker(&revoked);
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(matches!(f, VerificationFailure::Revoked { .. }), "{f:?}");
    assert!(cache.is_empty(), "a revoked certificate leaves the cache");
    // A miss that finds it revoked caches nothing either.
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(matches!(f, VerificationFailure::Revoked { .. }), "{f:?}");
    assert!(cache.is_empty());
    let unknown = |_: &RevocationRequest<'_>| RevocationStatus::Unknown {
        reason: "responder unreachable".into(),
    };
    let ctx = ctx_at(&pki, &cache, now).with_revocation_checker(&unknown);
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(
        matches!(f, VerificationFailure::RevocationUnknown { .. }),
        "{f:?}"
    );
    assert!(cache.is_empty());
    // Soft fail: accepted, reported unchecked, and asked again next time.
    let calls = AtomicUsize::new(0);
    let unchecked = |_: &RevocationRequest<'_>| {
        calls.fetch_add(1, Ordering::SeqCst);
        RevocationStatus::Unchecked {
            reason: "soft fail".into(),
        }
    };
    let ctx = ctx_at(&pki, &cache, now).with_revocation_checker(&unchecked);
    for n in [2, 4] {
        let r = a.verify_with(&ctx, a.callback()).unwrap();
        assert!(!r.certificate.revocation_checked);
        assert_eq!(calls.load(Ordering::SeqCst), n);
    }
    // Good answers kept, then the certificate is found revoked once they are stale.
    let good = |_: &RevocationRequest<'_>| confirmed(now + Duration::from_secs(60));
    let ctx = ctx_at(&pki, &cache, now).with_revocation_checker(&good);
    a.verify_with(&ctx, a.callback()).unwrap();
    let ctx = ctx_at(&pki, &cache, now + Duration::from_secs(61)).with_revocation_checker(&revoked);
    let f = expect_failure(a.verify_with(&ctx, a.callback()));
    assert!(matches!(f, VerificationFailure::Revoked { .. }), "{f:?}");
}

#[test]
fn least_recently_used_entries_are_evicted() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(2);
    assert_eq!(cache.capacity(), 2);
    let ctx = ctx_at(&pki, &cache, SystemTime::now());
    let users: Vec<Auth> = (0..3).map(|_| Auth::new(&pki, FlowType::App2App)).collect();
    for u in &users[..2] {
        u.verify_with(&ctx, u.callback()).unwrap();
    }
    // Touch the first, so that the second is the least recently used.
    users[0].verify_with(&ctx, users[0].callback()).unwrap();
    users[2].verify_with(&ctx, users[2].callback()).unwrap();
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.stats(), stats(1, 3));
    users[0].verify_with(&ctx, users[0].callback()).unwrap();
    assert_eq!(cache.stats(), stats(2, 3));
    users[1].verify_with(&ctx, users[1].callback()).unwrap();
    assert_eq!(cache.stats(), stats(2, 4));
    cache.clear();
    assert!(cache.is_empty());
}

#[test]
fn the_cache_is_shared_between_threads() {
    let pki = Pki::new();
    let cache = VerifiedCertCache::new(16);
    let a = Auth::new(&pki, FlowType::App2App);
    let now = SystemTime::now();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..3 {
                    a.verify_with(&ctx_at(&pki, &cache, now), a.callback())
                        .unwrap();
                }
            });
        }
    });
    let st = cache.stats();
    assert_eq!(st.hits + st.misses, 12);
    assert!(st.hits >= 8, "{st:?}");
    assert_eq!(cache.len(), 1);
}
