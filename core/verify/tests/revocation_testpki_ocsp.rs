//! `check_ocsp_response` accepts the answers of `sidkit-testpki`'s OCSP responder (the one the
//! simulator serves): good, revoked with time and reason, unknown, for SHA-1 and SHA-256
//! CertIDs, for the user certificate and for the intermediate (answered for the root), signed
//! by a delegated responder with `id-kp-OCSPSigning`, with the nonce echoed and
//! thisUpdate/nextUpdate set; and it refuses them when the nonce is missing or the signature
//! is broken.

use std::time::{Duration, SystemTime};

use sidkit_testpki::ocsp::{serial_of, CrlReason, OcspCertStatus, TestOcspResponder};
use sidkit_testpki::{TestPki, UserCertSpec};
use sidkit_verify::*;

#[test]
fn good_revoked_and_unknown_from_the_test_responder() {
    let pki = TestPki::generate("TEST of sidkit OCSP").unwrap();
    let responder = TestOcspResponder::new(&[&pki.root, &pki.intermediate]).unwrap();
    let user = pki
        .issue(&UserCertSpec::authentication(
            "PNOEE-30303039914",
            "OK",
            "TESTNUMBER",
        ))
        .unwrap();
    let user_cert = Certificate::from_der(&user.cert_der).unwrap();
    let issuer = Certificate::from_der(pki.intermediate.der()).unwrap();
    let root = Certificate::from_der(pki.root.der()).unwrap();
    let user_serial = serial_of(&user.cert_der).unwrap();
    let now = SystemTime::now();
    let revoked_at = now - Duration::from_secs(3600);

    for hash in [CertIdHash::Sha1, CertIdHash::Sha256] {
        for (answer, expect) in [
            (OcspCertStatus::Good, CertRevocationStatus::Good),
            (
                OcspCertStatus::Revoked {
                    time: revoked_at,
                    reason: Some(CrlReason::KeyCompromise),
                },
                CertRevocationStatus::Revoked {
                    time: SystemTime::UNIX_EPOCH
                        + Duration::from_secs(
                            revoked_at
                                .duration_since(SystemTime::UNIX_EPOCH)
                                .unwrap()
                                .as_secs(),
                        ),
                    reason: Some(RevocationReason::KeyCompromise),
                },
            ),
            (OcspCertStatus::Unknown, CertRevocationStatus::Unknown),
        ] {
            let req = OcspRequest::new(&user_cert, &issuer, hash).unwrap();
            let reply = responder.respond(req.der(), now, Duration::from_secs(600), |ca, s| {
                assert_eq!(ca, pki.intermediate.der());
                assert_eq!(s, user_serial.as_slice());
                answer
            });
            assert_eq!(reply.response_status, "successful");
            let a = check_ocsp_response(&req, &issuer, &reply.der, now, &OcspOptions::default())
                .unwrap();
            assert_eq!(a.status, expect, "{hash:?}");
            assert_eq!(a.method, RevocationMethod::Ocsp);
            assert!(a.signer.contains("OCSP RESPONDER"), "{}", a.signer);
            let next = a.next_update.expect("nextUpdate");
            assert!(next > now && next <= now + Duration::from_secs(601));
            assert!(a.this_update <= now);
        }
    }

    // The intermediate, answered for the root.
    let req = OcspRequest::new(&issuer, &root, CertIdHash::Sha256).unwrap();
    let reply = responder.respond(req.der(), now, Duration::from_secs(600), |ca, _| {
        assert_eq!(ca, pki.root.der());
        OcspCertStatus::Good
    });
    let a = check_ocsp_response(&req, &root, &reply.der, now, &OcspOptions::default()).unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);

    // No nonce sent: none echoed, and a check that requires one still accepts (none was sent).
    let req = OcspRequest::with_nonce(&user_cert, &issuer, CertIdHash::Sha256, None).unwrap();
    let reply = responder.respond(req.der(), now, Duration::from_secs(600), |_, _| {
        OcspCertStatus::Good
    });
    check_ocsp_response(&req, &issuer, &reply.der, now, &OcspOptions::default()).unwrap();
    // That answer does not do for a request with a nonce.
    let with_nonce = OcspRequest::new(&user_cert, &issuer, CertIdHash::Sha256).unwrap();
    assert!(matches!(
        check_ocsp_response(
            &with_nonce,
            &issuer,
            &reply.der,
            now,
            &OcspOptions::default()
        ),
        Err(RevocationError::NonceMissing)
    ));
    // A flipped byte in the signature is refused.
    let req = OcspRequest::new(&user_cert, &issuer, CertIdHash::Sha256).unwrap();
    let mut der = responder
        .respond(req.der(), now, Duration::from_secs(600), |_, _| {
            OcspCertStatus::Good
        })
        .der;
    let sig_area = der.len() - responder.responder_certificates()[1].len() - 10;
    der[sig_area] ^= 0x01;
    assert!(check_ocsp_response(&req, &issuer, &der, now, &OcspOptions::default()).is_err());
    // Stale once nextUpdate has passed.
    let reply = responder.respond(req.der(), now, Duration::from_secs(60), |_, _| {
        OcspCertStatus::Good
    });
    assert!(matches!(
        check_ocsp_response(
            &req,
            &issuer,
            &reply.der,
            now + Duration::from_secs(3600),
            &OcspOptions::default()
        ),
        Err(RevocationError::Stale { .. })
    ));
}
