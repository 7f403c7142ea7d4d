//! Sans-IO CRLs written by `openssl ca -gencrl`: good, revoked with its reason, stale, from
//! the future, signed by the wrong key (a CA of the same name), issued by another CA, hostile
//! bytes; and the CRL distribution point and OCSP URLs of issued certificates.

use std::time::{Duration, SystemTime};

use sidkit_testpki::openssl_pki::{OpensslCa, Profile};
use sidkit_verify::*;

const SKEW: Duration = Duration::from_secs(300);

#[test]
fn good_revoked_stale_and_wrong_signer() {
    let ca = OpensslCa::new_root("sidkit CRL test CA");
    let issuer = Certificate::from_der(&ca.ca.der).unwrap();
    let good_i = ca.issue("good user", Profile::EndEntity);
    let revoked_i = ca.issue("revoked user", Profile::EndEntity);
    ca.revoke(&revoked_i, "superseded");
    let good = Certificate::from_der(&good_i.der).unwrap();
    let revoked = Certificate::from_der(&revoked_i.der).unwrap();
    assert_eq!(good.crl_urls(), vec![ca.crl_url()]);
    assert_eq!(good.ocsp_urls(), vec![ca.ocsp_url()]);
    assert!(issuer.crl_urls().is_empty());

    let crl = ca.crl_der(1);
    let now = SystemTime::now();
    let a = check_crl(&good, &issuer, &crl, now, SKEW).unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);
    assert_eq!(a.method, RevocationMethod::Crl);
    assert!(a.next_update.unwrap() > now);
    assert!(
        matches!(a.to_status("http://crl/"), RevocationStatus::Confirmed(e) if e.method == RevocationMethod::Crl)
    );
    let a = check_crl(&revoked, &issuer, &crl, now, SKEW).unwrap();
    assert!(
        matches!(
            a.status,
            CertRevocationStatus::Revoked {
                reason: Some(RevocationReason::Superseded),
                ..
            }
        ),
        "{a:?}"
    );

    // Valid for an hour: stale two hours later, not yet valid an hour before.
    let e = check_crl(
        &good,
        &issuer,
        &crl,
        now + Duration::from_secs(2 * 3600),
        SKEW,
    )
    .unwrap_err();
    assert!(
        matches!(e, RevocationError::Stale { what: "CRL", .. }),
        "{e}"
    );
    let e = check_crl(&good, &issuer, &crl, now - Duration::from_secs(3600), SKEW).unwrap_err();
    assert!(matches!(e, RevocationError::NotYetValid { .. }), "{e}");

    // A CA with the same name but another key: the name matches, the signature does not.
    let twin = OpensslCa::new_root("sidkit CRL test CA");
    let e = check_crl(&good, &issuer, &twin.crl_der(1), now, SKEW).unwrap_err();
    assert!(
        matches!(e, RevocationError::Signature { what: "CRL", .. }),
        "{e}"
    );
    // Another CA's CRL.
    let other = OpensslCa::new_root("another CA");
    let e = check_crl(&good, &issuer, &other.crl_der(1), now, SKEW).unwrap_err();
    assert!(matches!(e, RevocationError::WrongIssuer { .. }), "{e}");
    // The certificate is not the issuer's (checked with the wrong issuer).
    let other_issuer = Certificate::from_der(&other.ca.der).unwrap();
    assert!(check_crl(&good, &other_issuer, &other.crl_der(1), now, SKEW).is_err());

    // Hostile bytes: every truncation and bit flip is refused, without a panic.
    for len in 0..crl.len() {
        assert!(
            check_crl(&good, &issuer, &crl[..len], now, SKEW).is_err(),
            "length {len}"
        );
    }
    let mut flipped = crl.clone();
    for i in 0..flipped.len() {
        flipped[i] ^= 0x01;
        assert!(
            check_crl(&revoked, &issuer, &flipped, now, SKEW).is_err(),
            "flip at {i}"
        );
        assert!(
            check_crl(&good, &issuer, &flipped, now, SKEW).is_err(),
            "flip at {i}"
        );
        flipped[i] ^= 0x01;
    }
}

#[test]
fn sub_ca_chain_urls() {
    let root = OpensslCa::new_root("sidkit test root");
    let sub = root.new_sub("sidkit test sub CA");
    let sub_cert = Certificate::from_der(&sub.ca.der).unwrap();
    // The sub-CA carries its parent's URLs, its users the sub-CA's.
    assert_eq!(sub_cert.ocsp_urls(), vec![root.ocsp_url()]);
    let user = Certificate::from_der(&sub.issue("user", Profile::EndEntity).der).unwrap();
    assert_eq!(user.crl_urls(), vec![sub.crl_url()]);
    let mut store = TrustStore::new();
    store.add_der(&root.ca.der).unwrap();
    store.add_der(&sub.ca.der).unwrap();
    let chain = store.verify_chain(&user, SystemTime::now()).unwrap();
    assert_eq!(chain.len(), 2);
}
