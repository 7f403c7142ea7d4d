//! Sans-IO OCSP against an independent responder: `openssl ca` issues and revokes, `openssl
//! ocsp` (started here on a loopback port) answers, and `check_ocsp_response` judges the
//! answers: good, revoked with its reason, unknown, SHA-1 and SHA-256 CertIDs, responses
//! signed by the CA itself (by name and by key hash) or by a delegated responder, RSA-PSS,
//! and every refusal: a wrong responder, a responder without `id-kp-OCSPSigning`, a corrupted
//! signature, stale and not-yet-valid answers, a missing or different nonce, an answer about
//! another certificate, and hostile bytes.

use std::time::{Duration, SystemTime};

use sidkit_testpki::openssl_pki::{Issued, OcspResponder, OpensslCa, Profile};
use sidkit_verify::*;

fn cert(i: &Issued) -> Certificate {
    Certificate::from_der(&i.der).unwrap()
}

struct Setup {
    ca: OpensslCa,
    issuer: Certificate,
    responder: Issued,
    good: Certificate,
    revoked: Certificate,
}

fn setup() -> Setup {
    let ca = OpensslCa::new_root("sidkit OCSP test CA");
    let responder = ca.issue("sidkit OCSP responder", Profile::OcspResponder);
    let good = cert(&ca.issue("good user", Profile::EndEntity));
    let revoked_issued = ca.issue("revoked user", Profile::EndEntity);
    ca.revoke(&revoked_issued, "keyCompromise");
    Setup {
        issuer: cert(&ca.ca),
        revoked: cert(&revoked_issued),
        ca,
        responder,
        good,
    }
}

fn ask(
    r: &OcspResponder,
    who: &Certificate,
    issuer: &Certificate,
    hash: CertIdHash,
) -> Result<RevocationAnswer, RevocationError> {
    let req = OcspRequest::new(who, issuer, hash).unwrap();
    let resp = r.post(req.der());
    check_ocsp_response(
        &req,
        issuer,
        &resp,
        SystemTime::now(),
        &OcspOptions::default(),
    )
}

#[test]
fn good_revoked_and_unknown_from_a_delegated_responder() {
    let s = setup();
    let unknown = cert(&s.ca.issue_unrecorded("unrecorded user"));
    let r = s.ca.start_responder(&s.responder, &["-nmin", "5"]);
    for hash in [CertIdHash::Sha256, CertIdHash::Sha1] {
        let a = ask(&r, &s.good, &s.issuer, hash).unwrap();
        assert_eq!(a.status, CertRevocationStatus::Good, "{hash:?}");
        assert_eq!(a.method, RevocationMethod::Ocsp);
        assert!(a.signer.contains("sidkit OCSP responder"), "{}", a.signer);
        let next = a.next_update.expect("-nmin gives a nextUpdate");
        assert!(a.this_update <= SystemTime::now() && next > SystemTime::now());
        assert!(
            matches!(a.to_status(&r.url()), RevocationStatus::Confirmed(e) if e.source == r.url())
        );

        let a = ask(&r, &s.revoked, &s.issuer, hash).unwrap();
        let CertRevocationStatus::Revoked { time, reason } = a.status else {
            panic!("{a:?}")
        };
        assert_eq!(reason, Some(RevocationReason::KeyCompromise));
        assert!(time <= SystemTime::now());
        let RevocationStatus::Revoked { reason: Some(text) } = a.to_status("http://x/") else {
            panic!()
        };
        assert!(text.starts_with("keyCompromise since "), "{text}");

        let a = ask(&r, &unknown, &s.issuer, hash).unwrap();
        assert_eq!(a.status, CertRevocationStatus::Unknown);
        assert!(matches!(a.to_status("u"), RevocationStatus::Unknown { .. }));
    }
}

#[test]
fn signed_by_the_ca_itself_by_name_by_key_and_with_pss() {
    let s = setup();
    let ca_signer = s.ca.ca.clone();
    for extra in [
        &[][..],
        &["-resp_key_id"][..],
        &[
            "-rsigopt",
            "rsa_padding_mode:pss",
            "-rsigopt",
            "rsa_pss_saltlen:32",
        ][..],
    ] {
        let r = s.ca.start_responder(&ca_signer, extra);
        let a = ask(&r, &s.good, &s.issuer, CertIdHash::Sha256).unwrap();
        assert_eq!(a.status, CertRevocationStatus::Good, "{extra:?}");
        assert!(a.signer.contains("sidkit OCSP test CA"));
        // Without -nmin/-ndays the responder gives no nextUpdate.
        assert_eq!(a.next_update, None);
        drop(r);
    }
    // A delegated responder identified by key hash, signing with PSS.
    let r = s.ca.start_responder(
        &s.responder,
        &["-resp_key_id", "-rsigopt", "rsa_padding_mode:pss"],
    );
    let a = ask(&r, &s.good, &s.issuer, CertIdHash::Sha1).unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);
}

#[test]
fn wrong_responders_are_refused() {
    let s = setup();
    // A responder certificate of another CA (with OCSPSigning), included in the response.
    let other = OpensslCa::new_root("another CA");
    let foreign = other.issue("foreign responder", Profile::OcspResponder);
    let r = s.ca.start_responder(&foreign, &[]);
    let e = ask(&r, &s.good, &s.issuer, CertIdHash::Sha256).unwrap_err();
    assert!(
        matches!(e, RevocationError::ResponderNotAuthorized(ref m) if m.contains("another CA")),
        "{e}"
    );
    drop(r);
    // A certificate of the right CA without id-kp-OCSPSigning.
    let no_eku = s.ca.issue("not a responder", Profile::ResponderWithoutEku);
    let r = s.ca.start_responder(&no_eku, &[]);
    let e = ask(&r, &s.good, &s.issuer, CertIdHash::Sha256).unwrap_err();
    assert!(
        matches!(e, RevocationError::ResponderNotAuthorized(ref m) if m.contains("id-kp-OCSPSigning")),
        "{e}"
    );
    drop(r);
    // The responder's certificate left out of the response: nothing to check it with.
    let r = s.ca.start_responder(&s.responder, &["-resp_no_certs"]);
    let e = ask(&r, &s.good, &s.issuer, CertIdHash::Sha256).unwrap_err();
    assert!(
        matches!(e, RevocationError::ResponderNotAuthorized(_)),
        "{e}"
    );
    drop(r);
    // A corrupted signature.
    let r = s.ca.start_responder(&s.responder, &["-badsig"]);
    let e = ask(&r, &s.good, &s.issuer, CertIdHash::Sha256).unwrap_err();
    assert!(matches!(e, RevocationError::Signature { .. }), "{e}");
}

#[test]
fn freshness_with_skew() {
    let s = setup();
    let r = s.ca.start_responder(&s.responder, &["-nmin", "1"]);
    let req = OcspRequest::new(&s.good, &s.issuer, CertIdHash::Sha256).unwrap();
    let resp = r.post(req.der());
    let now = SystemTime::now();
    let opts = OcspOptions::default();
    let check = |at| check_ocsp_response(&req, &s.issuer, &resp, at, &opts);
    assert!(check(now).is_ok());
    // nextUpdate (now + 1 min) is still within the 5 minute skew 5 minutes later...
    assert!(check(now + Duration::from_secs(5 * 60)).is_ok());
    // ...but not 10 minutes later.
    let e = check(now + Duration::from_secs(10 * 60)).unwrap_err();
    assert!(
        matches!(
            e,
            RevocationError::Stale {
                what: "OCSP response",
                ..
            }
        ),
        "{e}"
    );
    // A response from the future (thisUpdate after at + skew).
    let e = check(now - Duration::from_secs(10 * 60)).unwrap_err();
    assert!(matches!(e, RevocationError::NotYetValid { .. }), "{e}");
    // A tighter skew makes the same response stale sooner.
    let tight = OcspOptions {
        skew: Duration::from_secs(30),
        ..OcspOptions::default()
    };
    let e = check_ocsp_response(
        &req,
        &s.issuer,
        &resp,
        now + Duration::from_secs(2 * 60),
        &tight,
    );
    assert!(matches!(e, Err(RevocationError::Stale { .. })), "{e:?}");
}

#[test]
fn nonces_and_cert_ids_must_match() {
    let s = setup();
    let r = s.ca.start_responder(&s.responder, &[]);
    let now = SystemTime::now();
    let opts = OcspOptions::default();
    let sent =
        OcspRequest::with_nonce(&s.good, &s.issuer, CertIdHash::Sha256, Some(vec![1; 32])).unwrap();
    assert_eq!(sent.nonce(), Some(&[1u8; 32][..]));
    // What reached the responder carried another nonce (a rewriting middlebox, a replay).
    let other =
        OcspRequest::with_nonce(&s.good, &s.issuer, CertIdHash::Sha256, Some(vec![2; 32])).unwrap();
    let resp = r.post(other.der());
    let e = check_ocsp_response(&sent, &s.issuer, &resp, now, &opts).unwrap_err();
    assert_eq!(e, RevocationError::NonceMismatch);
    assert!(check_ocsp_response(&other, &s.issuer, &resp, now, &opts).is_ok());
    // ...or none: refused unless the policy says the responder does not echo nonces.
    let none = OcspRequest::with_nonce(&s.good, &s.issuer, CertIdHash::Sha256, None).unwrap();
    let resp = r.post(none.der());
    let e = check_ocsp_response(&sent, &s.issuer, &resp, now, &opts).unwrap_err();
    assert_eq!(e, RevocationError::NonceMissing);
    let lax = OcspOptions {
        nonce: NonceRequirement::AllowMissing,
        ..OcspOptions::default()
    };
    let a = check_ocsp_response(&sent, &s.issuer, &resp, now, &lax).unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);
    assert!(check_ocsp_response(&none, &s.issuer, &resp, now, &opts).is_ok());
    // An answer about another certificate (same nonce) or in another CertID hash.
    let about_revoked =
        OcspRequest::with_nonce(&s.revoked, &s.issuer, CertIdHash::Sha256, Some(vec![1; 32]))
            .unwrap();
    let resp = r.post(about_revoked.der());
    let e = check_ocsp_response(&sent, &s.issuer, &resp, now, &opts).unwrap_err();
    assert_eq!(e, RevocationError::NoMatchingResponse);
    let sha1 =
        OcspRequest::with_nonce(&s.good, &s.issuer, CertIdHash::Sha1, Some(vec![1; 32])).unwrap();
    let resp = r.post(sha1.der());
    assert_eq!(
        check_ocsp_response(&sent, &s.issuer, &resp, now, &opts).unwrap_err(),
        RevocationError::NoMatchingResponse
    );
    // Checked against another issuer than the request's.
    let e = check_ocsp_response(&sent, &s.good, &resp, now, &opts).unwrap_err();
    assert!(matches!(e, RevocationError::Malformed { .. }), "{e}");
    // Nonces are 1 to 32 bytes.
    assert!(OcspRequest::with_nonce(&s.good, &s.issuer, CertIdHash::Sha256, Some(vec![])).is_err());
    assert!(
        OcspRequest::with_nonce(&s.good, &s.issuer, CertIdHash::Sha256, Some(vec![0; 33])).is_err()
    );
    // Fresh requests carry fresh random nonces.
    let a = OcspRequest::new(&s.good, &s.issuer, CertIdHash::Sha256).unwrap();
    let b = OcspRequest::new(&s.good, &s.issuer, CertIdHash::Sha256).unwrap();
    assert_ne!(a.nonce(), b.nonce());
    assert_eq!(a.nonce().map(<[u8]>::len), Some(32));
}

#[test]
fn error_statuses_and_hostile_bytes() {
    let s = setup();
    let r = s.ca.start_responder(&s.responder, &["-nmin", "5"]);
    let req = OcspRequest::new(&s.good, &s.issuer, CertIdHash::Sha256).unwrap();
    let resp = r.post(req.der());
    let now = SystemTime::now();
    let opts = OcspOptions::default();
    assert!(check_ocsp_response(&req, &s.issuer, &resp, now, &opts).is_ok());
    // tryLater, by hand: SEQUENCE { ENUMERATED 3 }.
    let e = check_ocsp_response(&req, &s.issuer, &[0x30, 0x03, 0x0a, 0x01, 0x03], now, &opts)
        .unwrap_err();
    assert_eq!(e, RevocationError::ResponderStatus("tryLater"));
    let e = check_ocsp_response(&req, &s.issuer, &[0x30, 0x03, 0x0a, 0x01, 0x01], now, &opts)
        .unwrap_err();
    assert_eq!(e, RevocationError::ResponderStatus("malformedRequest"));
    // successful without responseBytes.
    let e = check_ocsp_response(&req, &s.issuer, &[0x30, 0x03, 0x0a, 0x01, 0x00], now, &opts)
        .unwrap_err();
    assert!(matches!(e, RevocationError::Malformed { .. }), "{e}");
    // Every truncation and every single-bit flip is refused, never a panic and never good.
    for len in 0..resp.len() {
        assert!(
            check_ocsp_response(&req, &s.issuer, &resp[..len], now, &opts).is_err(),
            "length {len}"
        );
    }
    let mut flipped = resp.clone();
    for i in 0..flipped.len() {
        flipped[i] ^= 0x01;
        let r = check_ocsp_response(&req, &s.issuer, &flipped, now, &opts);
        assert!(r.is_err(), "a flip at byte {i} was accepted: {r:?}");
        flipped[i] ^= 0x01;
    }
    let mut trailing = resp.clone();
    trailing.push(0);
    assert!(check_ocsp_response(&req, &s.issuer, &trailing, now, &opts).is_err());
    for junk in [&[][..], &[0x30, 0x80, 0x00, 0x00][..], &[0xff; 64][..]] {
        assert!(check_ocsp_response(&req, &s.issuer, junk, now, &opts).is_err());
    }
}
