//! Hostile responses against chain building (spec §8 step 4): a CA without basicConstraints,
//! path-length violations below the root, an end entity acting as an issuer, trust-store
//! certificates sent as the user certificate, and extra bytes around signature values. Each
//! case changes one thing of a valid fixture and must fail at step 4 (or, for the response's
//! own signature value, step 9).

mod common;

use common::*;
use rcgen::KeyUsagePurpose;
use sidkit_proto::b64;
use sidkit_proto::models::*;
use sidkit_testpki::{
    CaBasicConstraints, CaKeyType, PkiSpec, SubCaSpec, TestCa, TestPki, TestUser, UserCertSpec,
};
use sidkit_verify::*;

fn assert_basic_constraints(f: &VerificationFailure, ca: &str, why: &str) {
    match f {
        VerificationFailure::BasicConstraints {
            certificate,
            reason,
        } if certificate.contains(ca) && reason.contains(why) => {}
        other => panic!("expected basic constraints of `{ca}` ({why}), got {other}"),
    }
    assert_eq!(f.step(), VerificationStep::BasicConstraints);
}

/// A valid authentication of `user` (signed with its key), checked against `store`.
fn auth_of(pki: &Pki, user: TestUser) -> Auth {
    let mut a = Auth::new(pki, FlowType::Qr);
    a.user = user;
    a.sign();
    a
}

fn verify_in(a: &Auth, store: &TrustStore) -> Result<VerifiedAuthentication> {
    let ctx = VerificationContext::new(SCHEME, store, std::time::SystemTime::now());
    a.verify_with(&ctx, CallbackCheck::None)
}

fn sub_ca(pki: &TestPki, issuer: &TestCa, name: &str, bc: CaBasicConstraints) -> TestCa {
    let mut spec = SubCaSpec::new(format!("TEST of sidkit {name}"));
    spec.basic_constraints = bc;
    pki.issue_ca(issuer, &spec).unwrap()
}

const UNCONSTRAINED: CaBasicConstraints = CaBasicConstraints::Ca { path_len: None };

#[test]
fn intermediate_without_basic_constraints() {
    // The configured intermediate has no basicConstraints extension at all.
    let mut spec = PkiSpec::new("TEST of sidkit no-bc");
    spec.intermediate_without_basic_constraints = true;
    let pki = Pki::with(&spec);
    let f = expect_failure(Auth::new(&pki, FlowType::Qr).verify(&pki));
    assert_basic_constraints(&f, "EID-Q", "not a CA");
    // Nor below a proper intermediate.
    let mut pki = Pki::new();
    let sub = sub_ca(
        &pki.pki,
        &pki.pki.intermediate,
        "SUB",
        CaBasicConstraints::Absent,
    );
    pki.store.add_der(sub.der()).unwrap();
    let a = auth_of(&pki, pki.pki.issue_from(&sub, &auth_spec()).unwrap());
    assert_basic_constraints(&expect_failure(a.verify(&pki)), "SUB", "not a CA");
    // An explicit cA=FALSE is refused the same way.
    let mut pki = Pki::new();
    let sub = sub_ca(
        &pki.pki,
        &pki.pki.intermediate,
        "SUB",
        CaBasicConstraints::NotCa,
    );
    pki.store.add_der(sub.der()).unwrap();
    let a = auth_of(&pki, pki.pki.issue_from(&sub, &auth_spec()).unwrap());
    assert_basic_constraints(&expect_failure(a.verify(&pki)), "SUB", "not a CA");
}

#[test]
fn end_entity_without_basic_constraints_is_fine() {
    // "end-entity absent or FALSE" (spec §8 step 4).
    let pki = Pki::new();
    let mut spec = auth_spec();
    spec.omit_basic_constraints = true;
    auth_of(&pki, pki.issue(&spec)).verify(&pki).unwrap();
}

#[test]
fn path_length_below_the_root() {
    let ca = |path_len| CaBasicConstraints::Ca { path_len };
    // The intermediate allows no CA below it, but one follows.
    let mut spec = PkiSpec::new("TEST of sidkit int-pathlen-0");
    spec.intermediate_path_len = Some(0);
    let mut pki = Pki::with(&spec);
    let sub = sub_ca(&pki.pki, &pki.pki.intermediate, "SUB", UNCONSTRAINED);
    pki.store.add_der(sub.der()).unwrap();
    let a = auth_of(&pki, pki.pki.issue_from(&sub, &auth_spec()).unwrap());
    assert_basic_constraints(
        &expect_failure(a.verify(&pki)),
        "EID-Q",
        "pathLenConstraint",
    );
    // ... while its own end entities are fine.
    auth_of(&pki, pki.issue(&auth_spec())).verify(&pki).unwrap();

    // pathLenConstraint 1 on the intermediate: one CA below is fine, two are not.
    let mut spec = PkiSpec::new("TEST of sidkit int-pathlen-1");
    spec.intermediate_path_len = Some(1);
    let mut pki = Pki::with(&spec);
    let sub = sub_ca(&pki.pki, &pki.pki.intermediate, "SUB", UNCONSTRAINED);
    let sub2 = sub_ca(&pki.pki, &sub, "SUB2", UNCONSTRAINED);
    pki.store.add_der(sub.der()).unwrap();
    pki.store.add_der(sub2.der()).unwrap();
    let r = auth_of(&pki, pki.pki.issue_from(&sub, &auth_spec()).unwrap())
        .verify(&pki)
        .unwrap();
    assert_eq!(r.certificate.chain.len(), 3);
    let a = auth_of(&pki, pki.pki.issue_from(&sub2, &auth_spec()).unwrap());
    assert_basic_constraints(
        &expect_failure(a.verify(&pki)),
        "EID-Q",
        "pathLenConstraint",
    );

    // A sub-CA with pathLenConstraint 0 issuing another CA.
    let mut pki = Pki::new();
    let sub = sub_ca(&pki.pki, &pki.pki.intermediate, "SUB", ca(Some(0)));
    let sub2 = sub_ca(&pki.pki, &sub, "SUB2", UNCONSTRAINED);
    pki.store.add_der(sub.der()).unwrap();
    pki.store.add_der(sub2.der()).unwrap();
    let a = auth_of(&pki, pki.pki.issue_from(&sub2, &auth_spec()).unwrap());
    assert_basic_constraints(&expect_failure(a.verify(&pki)), "SUB", "pathLenConstraint");
    auth_of(&pki, pki.pki.issue_from(&sub, &auth_spec()).unwrap())
        .verify(&pki)
        .unwrap();

    // The root's pathLenConstraint 1 counts every CA below it, not only the first.
    let mut spec = PkiSpec::new("TEST of sidkit root-pathlen-1");
    spec.root_path_len = Some(1);
    let mut pki = Pki::with(&spec);
    let sub = sub_ca(&pki.pki, &pki.pki.intermediate, "SUB", UNCONSTRAINED);
    pki.store.add_der(sub.der()).unwrap();
    let a = auth_of(&pki, pki.pki.issue_from(&sub, &auth_spec()).unwrap());
    assert_basic_constraints(&expect_failure(a.verify(&pki)), "ROOT", "pathLenConstraint");
    // TrustStore::verify_chain applies the same rule to CA targets.
    let sub_cert = Certificate::from_der(sub.der()).unwrap();
    assert_eq!(pki.store.verify_chain(&sub_cert, now()).unwrap().len(), 2);
}

fn now() -> std::time::SystemTime {
    std::time::SystemTime::now()
}

#[test]
fn end_entity_used_as_issuer() {
    // A genuine user (with the key of their own certificate) issues a certificate for someone
    // else. Worst case: the rogue certificate even has keyCertSign.
    let pki = Pki::new();
    let mut rogue_spec = UserCertSpec::authentication("PNOEE-38001085718", "ROGUE", "ISSUER");
    rogue_spec.key_slot = 3;
    rogue_spec.key_usages.push(KeyUsagePurpose::KeyCertSign);
    let cases = [("cA=FALSE", false), ("no basicConstraints", true)];
    for (what, omit) in cases {
        let mut spec = rogue_spec.clone();
        spec.omit_basic_constraints = omit;
        let rogue = pki.pki.issue_end_entity_as_ca(&spec).unwrap();
        let forged = pki.pki.issue_from(&rogue, &auth_spec()).unwrap();
        let a = auth_of(&pki, forged);
        // The rogue certificate is not in the store: no issuer.
        let f = expect_failure(a.verify(&pki));
        assert!(
            matches!(f, VerificationFailure::UntrustedChain { .. }),
            "{what}: {f}"
        );
        // Even a store that wrongly holds it, as an intermediate or as an anchor, refuses it
        // as an issuer.
        let mut store = pki.store.clone();
        store.add_intermediate(Certificate::from_der(rogue.der()).unwrap());
        assert_basic_constraints(&expect_failure(verify_in(&a, &store)), "ROGUE", "not a CA");
        let mut store = pki.store.clone();
        store.add_anchor(Certificate::from_der(rogue.der()).unwrap());
        assert_basic_constraints(&expect_failure(verify_in(&a, &store)), "ROGUE", "not a CA");
    }
}

#[test]
fn trust_store_certificates_as_the_user_certificate() {
    // RSA CAs, so that the key check does not stop them first.
    let mut spec = PkiSpec::new("TEST of sidkit RSA");
    spec.root_key = CaKeyType::Rsa2048;
    spec.intermediate_key = CaKeyType::Rsa2048;
    let pki = Pki::with(&spec);
    for (name, der) in [
        ("ROOT", pki.pki.root.der()),
        ("EID-Q", pki.pki.intermediate.der()),
    ] {
        let mut a = Auth::new(&pki, FlowType::Qr);
        a.status.cert.as_mut().unwrap().value = b64::encode_std(der);
        let f = expect_failure(a.verify(&pki));
        assert_eq!(f.step(), VerificationStep::BasicConstraints, "{name}: {f}");
    }
    // The same CAs without basicConstraints: nothing marks them as CAs, but they are the
    // store's own CA certificates and never a user certificate.
    let mut spec = PkiSpec::new("TEST of sidkit RSA no-bc");
    spec.root_key = CaKeyType::Rsa2048;
    spec.intermediate_key = CaKeyType::Rsa2048;
    spec.root_without_basic_constraints = true;
    let pki = Pki::with(&spec);
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.status.cert.as_mut().unwrap().value = b64::encode_std(pki.pki.root.der());
    assert_basic_constraints(&expect_failure(a.verify(&pki)), "ROOT", "trust store");
    let mut spec = PkiSpec::new("TEST of sidkit RSA int-no-bc");
    spec.root_key = CaKeyType::Rsa2048;
    spec.intermediate_key = CaKeyType::Rsa2048;
    spec.intermediate_without_basic_constraints = true;
    let pki = Pki::with(&spec);
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.status.cert.as_mut().unwrap().value = b64::encode_std(pki.pki.intermediate.der());
    assert_basic_constraints(&expect_failure(a.verify(&pki)), "EID-Q", "trust store");
    // A signing session the same.
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.status.cert.as_mut().unwrap().value = b64::encode_std(pki.pki.intermediate.der());
    assert_basic_constraints(&expect_failure(s.verify(&pki)), "EID-Q", "trust store");
}

/// `SEQUENCE { INTEGER r, INTEGER s }` with a non-minimal `00` in front of `r`'s content.
fn pad_ecdsa_r(sig: &[u8]) -> Vec<u8> {
    assert_eq!(sig[0], 0x30);
    assert!(sig[1] < 0x7f && sig[3] < 0x7f, "short-form lengths");
    let mut out = vec![0x30, sig[1] + 1, 0x02, sig[3] + 1, 0x00];
    out.extend_from_slice(&sig[4..]);
    out
}

#[test]
fn extra_bytes_on_certificate_signatures() {
    let prefixed = |s: &[u8]| [&[0u8][..], s].concat();
    let suffixed = |s: &[u8]| [s, &[0u8][..]].concat();
    type Tamper = fn(&[u8]) -> Vec<u8>;
    let tampers: [(&str, Tamper); 3] = [
        ("leading 00", prefixed),
        ("trailing 00", suffixed),
        ("trailing ff", |s| [s, &[0xffu8][..]].concat()),
    ];
    for (issuer_key, extra) in [
        (CaKeyType::Rsa2048, None),
        (
            CaKeyType::EcdsaP384,
            Some(("non-minimal INTEGER", pad_ecdsa_r as Tamper)),
        ),
        (CaKeyType::EcdsaP256, None),
    ] {
        let mut spec = PkiSpec::new("TEST of sidkit sig");
        spec.intermediate_key = issuer_key;
        let pki = Pki::with(&spec);
        let user = pki.issue(&auth_spec());
        // Re-encoding without a change keeps the certificate valid (the helper is sound).
        let same = TestPki::replace_signature(&user.cert_der, <[u8]>::to_vec).unwrap();
        assert_eq!(same, user.cert_der);
        for (what, tamper) in tampers.iter().chain(extra.as_ref()) {
            let der = TestPki::replace_signature(&user.cert_der, tamper).unwrap();
            let mut a = auth_of(&pki, user.clone());
            a.status.cert.as_mut().unwrap().value = b64::encode_std(&der);
            let f = expect_failure(a.verify(&pki));
            assert!(
                matches!(f, VerificationFailure::ChainSignature { .. }),
                "{issuer_key:?} {what}: {f}"
            );
        }
    }
}

#[test]
fn extra_bytes_around_the_certificate() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::Qr);
    let der = a.user.cert_der.clone();
    for bad in [
        [&der[..], &[0u8][..]].concat(),
        [&[0u8][..], &der[..]].concat(),
        [&der[..], &der[..]].concat(),
    ] {
        let mut a = Auth::new(&pki, FlowType::Qr);
        a.status.cert.as_mut().unwrap().value = b64::encode_std(&bad);
        let f = expect_failure(a.verify(&pki));
        assert!(
            matches!(f, VerificationFailure::CertificateMalformed(_)),
            "{f}"
        );
    }
}

#[test]
fn extra_bytes_on_response_signature_values() {
    let pki = Pki::new();
    let variants = |sig: &[u8]| {
        vec![
            [&[0u8][..], sig].concat(),
            [sig, &[0u8][..]].concat(),
            [&[0u8][..], &sig[..sig.len() - 1]].concat(),
            [sig, sig].concat(),
        ]
    };
    let a = Auth::new(&pki, FlowType::Qr);
    a.verify(&pki).unwrap();
    let sig = b64::decode_std(
        "sig",
        a.status.signature.as_ref().unwrap().value.as_ref().unwrap(),
    )
    .unwrap();
    for bad in variants(&sig) {
        let mut a = Auth::new(&pki, FlowType::Qr);
        a.signature_mut().value = Some(b64::encode_std(&bad));
        assert_eq!(
            expect_failure(a.verify(&pki)),
            VerificationFailure::SignatureInvalid
        );
    }
    for algorithm in [
        SignatureAlgorithm::RsassaPss,
        SignatureAlgorithm::Sha256WithRsaEncryption,
    ] {
        let hash = match algorithm {
            SignatureAlgorithm::RsassaPss => HashAlgorithm::Sha512,
            _ => HashAlgorithm::Sha256,
        };
        let s = Sign::with(&pki, FlowType::Qr, algorithm, hash, &sign_spec(), None);
        s.verify(&pki).unwrap();
        let sig = b64::decode_std(
            "sig",
            s.status.signature.as_ref().unwrap().value.as_ref().unwrap(),
        )
        .unwrap();
        for bad in variants(&sig) {
            let mut t = Sign::with(&pki, FlowType::Qr, algorithm, hash, &sign_spec(), None);
            t.signature_mut().value = Some(b64::encode_std(&bad));
            assert_eq!(
                expect_failure(t.verify(&pki)),
                VerificationFailure::SignatureInvalid,
                "{algorithm}"
            );
        }
    }
}
