//! Certificate checks of spec §8 steps 4–8 on authentication responses: chain, validity, basic
//! constraints, revocation, Smart-ID policies, purpose, level and identity. Every case is a
//! valid fixture with exactly one certificate property changed.

mod common;

use std::sync::Mutex;
use std::time::SystemTime;

use common::*;
use rcgen::KeyUsagePurpose;
use sidkit_proto::models::*;
use sidkit_testpki::{oid, CaKeyType, ExtraExtension, PkiSpec, TestPki, UserCertSpec};
use sidkit_verify::*;

fn auth_with(pki: &Pki, spec: &UserCertSpec) -> Auth {
    Auth::with(pki, FlowType::Qr, HashAlgorithm::Sha512, spec)
}

fn fails(pki: &Pki, spec: &UserCertSpec) -> VerificationFailure {
    expect_failure(auth_with(pki, spec).verify(pki))
}

#[test]
fn rsa_and_ecdsa_hierarchies() {
    for (root, int) in [
        (CaKeyType::EcdsaP256, CaKeyType::EcdsaP256),
        (CaKeyType::EcdsaP384, CaKeyType::EcdsaP256),
        (CaKeyType::Rsa2048, CaKeyType::Rsa2048),
        (CaKeyType::Rsa2048, CaKeyType::EcdsaP384),
        (CaKeyType::EcdsaP384, CaKeyType::Rsa2048),
    ] {
        let mut spec = PkiSpec::new("TEST of sidkit mixed");
        spec.root_key = root;
        spec.intermediate_key = int;
        let pki = Pki::with(&spec);
        auth_with(&pki, &auth_spec())
            .verify(&pki)
            .unwrap_or_else(|e| panic!("{root:?}/{int:?}: {e}"));
    }
}

#[test]
fn rsassa_pss_signed_certificate() {
    let mut spec = PkiSpec::new("TEST of sidkit PSS");
    spec.intermediate_key = CaKeyType::Rsa2048;
    let pki = Pki::with(&spec);
    for h in [
        HashAlgorithm::Sha256,
        HashAlgorithm::Sha384,
        HashAlgorithm::Sha512,
    ] {
        let mut a = auth_with(&pki, &auth_spec());
        let der = TestPki::resign_pss(&pki.pki.intermediate, &a.user.cert_der, h).unwrap();
        a.status.cert.as_mut().unwrap().value = sidkit_proto::b64::encode_std(&der);
        a.verify(&pki).unwrap_or_else(|e| panic!("PSS {h}: {e}"));
        // One bit of the PSS signature flipped.
        let mut bad = der.clone();
        *bad.last_mut().unwrap() ^= 1;
        a.status.cert.as_mut().unwrap().value = sidkit_proto::b64::encode_std(&bad);
        let f = expect_failure(a.verify(&pki));
        assert!(
            matches!(f, VerificationFailure::ChainSignature { .. }),
            "{f}"
        );
    }
}

#[test]
fn end_entity_issued_directly_by_the_root() {
    let pki = Pki::new();
    let mut a = auth_with(&pki, &auth_spec());
    a.user = pki.pki.issue_from(&pki.pki.root, &auth_spec()).unwrap();
    a.sign();
    let r = a.verify(&pki).unwrap();
    assert_eq!(r.certificate.chain.len(), 1);
}

#[test]
fn untrusted_issuer() {
    let pki = Pki::new();
    let other = Pki::with(&PkiSpec::new("TEST of somebody else"));
    let mut a = auth_with(&pki, &auth_spec());
    a.user = other.issue(&auth_spec());
    a.sign();
    let f = expect_failure(a.verify(&pki));
    assert!(
        matches!(f, VerificationFailure::UntrustedChain { .. }),
        "{f}"
    );
    assert_eq!(f.step(), VerificationStep::Chain);
    // An empty trust store trusts nothing.
    let empty = TrustStore::new();
    let ctx = VerificationContext::new(SCHEME, &empty, SystemTime::now());
    let f = expect_failure(a.verify_with(&ctx, CallbackCheck::None));
    assert!(
        matches!(f, VerificationFailure::UntrustedChain { .. }),
        "{f}"
    );
    // Only the intermediate, without its root, is not enough.
    let mut only_int = TrustStore::new();
    only_int.add_intermediate(Certificate::from_der(other.pki.intermediate.der()).unwrap());
    let ctx = VerificationContext::new(SCHEME, &only_int, SystemTime::now());
    let f = expect_failure(a.verify_with(&ctx, CallbackCheck::None));
    assert!(
        matches!(f, VerificationFailure::UntrustedChain { .. }),
        "{f}"
    );
}

#[test]
fn issuer_with_the_same_name_but_another_key() {
    // Two hierarchies with identical names: the certificate names an issuer the store has,
    // but the store's key did not sign it.
    let pki = Pki::new();
    let twin = Pki::new();
    let mut a = auth_with(&pki, &auth_spec());
    a.user = twin.issue(&auth_spec());
    a.sign();
    let f = expect_failure(a.verify(&pki));
    assert!(
        matches!(f, VerificationFailure::ChainSignature { .. }),
        "{f}"
    );
}

#[test]
fn validity_of_the_end_entity() {
    let pki = Pki::new();
    let now = SystemTime::now();
    let mut expired = auth_spec();
    expired.not_before = now - days(30);
    expired.not_after = now - days(1);
    let f = fails(&pki, &expired);
    assert!(
        matches!(&f, VerificationFailure::Validity { reason, .. } if reason.starts_with("expired")),
        "{f}"
    );
    assert_eq!(f.step(), VerificationStep::Validity);
    let mut future = auth_spec();
    future.not_before = now + days(1);
    let f = fails(&pki, &future);
    assert!(
        matches!(&f, VerificationFailure::Validity { reason, .. } if reason.starts_with("is not valid before")),
        "{f}"
    );
    // The verification instant decides, not the wall clock.
    let mut long_lived = PkiSpec::new("TEST of sidkit long-lived");
    long_lived.not_before = now - days(365);
    let pki = Pki::with(&long_lived);
    let a = auth_with(&pki, &expired);
    expect_failure(a.verify(&pki));
    let then = VerificationContext::new(SCHEME, &pki.store, now - days(2));
    a.verify_with(&then, CallbackCheck::None).unwrap();
}

#[test]
fn validity_of_the_issuers() {
    let now = SystemTime::now();
    let mut spec = PkiSpec::new("TEST of sidkit expired");
    spec.not_before = now - days(400);
    spec.not_after = now - days(1);
    let pki = Pki::with(&spec);
    let f = fails(&pki, &auth_spec());
    assert!(
        matches!(&f, VerificationFailure::Validity { certificate, .. } if certificate.contains("EID-Q")),
        "{f}"
    );
}

#[test]
fn basic_constraints() {
    // Intermediate without cA.
    let mut spec = PkiSpec::new("TEST of sidkit not-ca");
    spec.intermediate_not_ca = true;
    let pki = Pki::with(&spec);
    let f = fails(&pki, &auth_spec());
    assert!(
        matches!(f, VerificationFailure::BasicConstraints { .. }),
        "{f}"
    );
    assert_eq!(f.step(), VerificationStep::BasicConstraints);
    // End-entity marked as a CA.
    let pki = Pki::new();
    let mut ca = auth_spec();
    ca.ca_true = true;
    let f = fails(&pki, &ca);
    assert!(
        matches!(&f, VerificationFailure::BasicConstraints { reason, .. } if reason.contains("end-entity")),
        "{f}"
    );
    // Root with pathLenConstraint 0 above an intermediate.
    let mut spec = PkiSpec::new("TEST of sidkit pathlen");
    spec.root_path_len = Some(0);
    let pki = Pki::with(&spec);
    let f = fails(&pki, &auth_spec());
    assert!(
        matches!(&f, VerificationFailure::BasicConstraints { reason, .. } if reason.contains("pathLenConstraint")),
        "{f}"
    );
    // ... while pathLenConstraint 1 allows it.
    let mut spec = PkiSpec::new("TEST of sidkit pathlen 1");
    spec.root_path_len = Some(1);
    let pki = Pki::with(&spec);
    auth_with(&pki, &auth_spec()).verify(&pki).unwrap();
    // Intermediate whose keyUsage lacks keyCertSign.
    let mut spec = PkiSpec::new("TEST of sidkit ku");
    spec.intermediate_key_usages =
        vec![KeyUsagePurpose::CrlSign, KeyUsagePurpose::DigitalSignature];
    let pki = Pki::with(&spec);
    let f = fails(&pki, &auth_spec());
    assert!(
        matches!(&f, VerificationFailure::BasicConstraints { reason, .. } if reason.contains("keyCertSign")),
        "{f}"
    );
}

#[test]
fn unknown_critical_extension() {
    let pki = Pki::new();
    let mut spec = auth_spec();
    spec.extra_extensions.push(ExtraExtension {
        oid: "1.3.6.1.4.1.99999.1".into(),
        critical: true,
        value: vec![0x05, 0x00],
    });
    let f = fails(&pki, &spec);
    assert!(
        matches!(&f, VerificationFailure::BasicConstraints { reason, .. } if reason.contains("1.3.6.1.4.1.99999.1")),
        "{f}"
    );
    // The same extension, not critical, is ignored.
    spec.extra_extensions[0].critical = false;
    auth_with(&pki, &spec).verify(&pki).unwrap();
}

#[test]
fn weak_end_entity_key() {
    let pki = Pki::new();
    let mut spec = auth_spec();
    spec.key_bits = 1024;
    // (SHA-256: a 1024-bit key has no room for a SHA-512 PSS encoding.)
    let a = Auth::with(&pki, FlowType::Qr, HashAlgorithm::Sha256, &spec);
    let f = expect_failure(a.verify(&pki));
    assert!(
        matches!(&f, VerificationFailure::WeakKey(why) if why.contains("1024")),
        "{f}"
    );
    assert_eq!(f.code(), "verification_weak_key");
}

struct Recorder {
    seen: Mutex<Vec<(String, String, Vec<String>)>>,
    answer: RevocationStatus,
}

impl RevocationChecker for Recorder {
    fn check(&self, r: &RevocationRequest<'_>) -> RevocationStatus {
        self.seen.lock().unwrap().push((
            r.certificate.subject().to_owned(),
            r.issuer.subject().to_owned(),
            r.ocsp_urls(),
        ));
        self.answer.clone()
    }
}

#[test]
fn revocation_hook() {
    let pki = Pki::new();
    let a = auth_with(&pki, &auth_spec());
    let good = Recorder {
        seen: Mutex::new(Vec::new()),
        answer: RevocationStatus::Good,
    };
    let ctx = pki.ctx().with_revocation_checker(&good);
    let r = a.verify_with(&ctx, CallbackCheck::None).unwrap();
    assert!(r.certificate.revocation_checked);
    let seen = good.seen.lock().unwrap().clone();
    // The end-entity and the intermediate; never the anchor.
    assert_eq!(seen.len(), 2);
    assert!(seen[0].0.contains(IDENTITY));
    assert!(seen[0].1.contains("EID-Q"));
    assert_eq!(seen[0].2, vec!["http://ocsp.sidkit.invalid/".to_owned()]);
    assert!(seen[1].0.contains("EID-Q") && seen[1].1.contains("ROOT"));

    let revoked = Recorder {
        seen: Mutex::new(Vec::new()),
        answer: RevocationStatus::Revoked {
            reason: Some("keyCompromise".into()),
        },
    };
    let f = expect_failure(a.verify_with(
        &pki.ctx().with_revocation_checker(&revoked),
        CallbackCheck::None,
    ));
    assert!(
        matches!(&f, VerificationFailure::Revoked { reason: Some(r), .. } if r == "keyCompromise"),
        "{f}"
    );
    assert_eq!(f.step(), VerificationStep::Revocation);
    // A closure works as a checker; an unknown status fails closed.
    let unknown = |_: &RevocationRequest<'_>| RevocationStatus::Unknown {
        reason: "responder unreachable".into(),
    };
    let f = expect_failure(a.verify_with(
        &pki.ctx().with_revocation_checker(&unknown),
        CallbackCheck::None,
    ));
    assert!(
        matches!(f, VerificationFailure::RevocationUnknown { .. }),
        "{f}"
    );
}

#[test]
fn revocation_evidence_and_soft_fail_are_recorded() {
    let pki = Pki::new();
    let a = auth_with(&pki, &auth_spec());
    let at = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_800_000_000);
    let evidence = RevocationEvidence {
        method: RevocationMethod::Ocsp,
        source: "http://ocsp.example/".into(),
        this_update: at,
        next_update: None,
    };
    // End entity confirmed by OCSP, the intermediate let through by a soft-fail policy.
    let mixed = |r: &RevocationRequest<'_>| {
        if r.issuer.subject().contains("ROOT") {
            RevocationStatus::Unchecked {
                reason: "responder unreachable".into(),
            }
        } else {
            RevocationStatus::Confirmed(evidence.clone())
        }
    };
    let r = a
        .verify_with(
            &pki.ctx().with_revocation_checker(&mixed),
            CallbackCheck::None,
        )
        .unwrap();
    assert!(
        !r.certificate.revocation_checked,
        "one certificate went unchecked"
    );
    let json = serde_json::to_value(&r.certificate).unwrap();
    let records = json["revocation"].as_array().unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0]["checked"], true);
    assert_eq!(records[0]["method"], "ocsp");
    assert_eq!(records[0]["source"], "http://ocsp.example/");
    assert_eq!(records[0]["thisUpdate"], "2027-01-15T08:00:00Z");
    assert!(records[0].get("nextUpdate").is_none());
    assert_eq!(records[1]["checked"], false);
    assert_eq!(records[1]["uncheckedReason"], "responder unreachable");
    // A checker over prefetched answers: confirmed for both pairs, unknown for a missing pair.
    let all = |_: &RevocationRequest<'_>| RevocationStatus::Confirmed(evidence.clone());
    let r = a
        .verify_with(
            &pki.ctx().with_revocation_checker(&all),
            CallbackCheck::None,
        )
        .unwrap();
    assert!(r.certificate.revocation_checked);
    let empty = RevocationAnswers::new();
    let f = expect_failure(a.verify_with(
        &pki.ctx().with_revocation_checker(&empty),
        CallbackCheck::None,
    ));
    assert!(
        matches!(f, VerificationFailure::RevocationUnknown { .. }),
        "{f}"
    );
    // Without a checker the JSON has no `revocation` field.
    let r = a.verify_with(&pki.ctx(), CallbackCheck::None).unwrap();
    assert!(serde_json::to_value(&r.certificate)
        .unwrap()
        .get("revocation")
        .is_none());
}

#[test]
fn smart_id_policies() {
    let pki = Pki::new();
    // Each qualified authentication policy left out in turn.
    for drop in [oid::SMART_ID_QUALIFIED, oid::ETSI_NCP_PLUS] {
        let mut spec = auth_spec();
        spec.policies.retain(|p| p != drop);
        let mut a = auth_with(&pki, &spec);
        a.level = "QUALIFIED".into();
        a.sign();
        let f = expect_failure(a.verify(&pki));
        assert_eq!(
            f,
            VerificationFailure::Policy {
                missing: vec![drop.to_owned()],
                profile: "qualified Smart-ID authentication"
            }
        );
        assert_eq!(f.step(), VerificationStep::Policy);
    }
    // The response reports QUALIFIED but the certificate is non-qualified: its policies are
    // complete for ADVANCED, the claim is more than that (tests/verify_level.rs).
    let mut a = auth_with(&pki, &auth_spec().advanced());
    a.level = "QUALIFIED".into();
    a.sign();
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::LevelNotProven {
            claimed: "QUALIFIED".into(),
            certificate: CertificateLevel::Advanced,
            reason: "it has the non-qualified Smart-ID policies".into(),
        }
    );
    // The response reports ADVANCED for a qualified certificate (and ADVANCED was requested):
    // the certificate's level counts.
    let mut a = auth_with(&pki, &auth_spec());
    a.device_link.certificate_level = Some(CertificateLevel::Advanced);
    a.level = "ADVANCED".into();
    a.sign();
    assert_eq!(
        a.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qualified
    );
    // Policies of neither profile: the failure names the claimed one.
    let mut spec = auth_spec().advanced();
    spec.policies.retain(|p| p != oid::ETSI_NCP);
    let mut a = auth_with(&pki, &spec);
    a.device_link.certificate_level = Some(CertificateLevel::Advanced);
    a.sign();
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::Policy {
            missing: vec![oid::ETSI_NCP.to_owned()],
            profile: "non-qualified Smart-ID"
        }
    );
    // A signing certificate (signature policies) presented for authentication.
    let f = fails(&pki, &sign_spec());
    assert!(
        matches!(&f, VerificationFailure::Policy { missing, .. } if missing == &vec![oid::ETSI_NCP_PLUS.to_owned()]),
        "{f}"
    );
}

#[test]
fn authentication_purpose() {
    let pki = Pki::new();
    // Current profile without its EKU.
    let mut spec = auth_spec();
    spec.extended_key_usages.clear();
    let f = fails(&pki, &spec);
    assert!(matches!(f, VerificationFailure::Purpose(_)), "{f}");
    assert_eq!(f.step(), VerificationStep::Purpose);
    // Current EKU without digitalSignature.
    let mut spec = auth_spec();
    spec.key_usages = vec![KeyUsagePurpose::ContentCommitment];
    assert!(matches!(
        fails(&pki, &spec),
        VerificationFailure::Purpose(_)
    ));
    // No keyUsage at all.
    let mut spec = auth_spec();
    spec.key_usages.clear();
    assert!(matches!(
        fails(&pki, &spec),
        VerificationFailure::Purpose(_)
    ));
    // Legacy profile: accepted complete, rejected without keyEncipherment or dataEncipherment.
    auth_with(&pki, &auth_spec().legacy_authentication())
        .verify(&pki)
        .unwrap();
    for drop in [
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::DataEncipherment,
    ] {
        let mut spec = auth_spec().legacy_authentication();
        spec.key_usages.retain(|k| *k != drop);
        assert!(
            matches!(fails(&pki, &spec), VerificationFailure::Purpose(_)),
            "{drop:?}"
        );
    }
    // Legacy key usages with the new EKU are fine (digitalSignature is there).
    let mut spec = auth_spec().legacy_authentication();
    spec.extended_key_usages = vec![oid::EKU_SMART_ID_AUTH.into()];
    auth_with(&pki, &spec).verify(&pki).unwrap();
}

#[test]
fn certificate_level() {
    let pki = Pki::new();
    // ADVANCED requested, ADVANCED certificate: fine.
    let mut a = auth_with(&pki, &auth_spec().advanced());
    a.device_link.certificate_level = Some(CertificateLevel::Advanced);
    let r = a.verify(&pki).unwrap();
    assert_eq!(r.certificate_level, CertificateLevel::Advanced);
    // QUALIFIED requested (the default), ADVANCED certificate: rejected.
    let a = auth_with(&pki, &auth_spec().advanced());
    let f = expect_failure(a.verify(&pki));
    assert_eq!(
        f,
        VerificationFailure::Level {
            requested: CertificateLevel::Qualified,
            certificate: Some(CertificateLevel::Advanced),
            reason: "it proves only ADVANCED: it has the non-qualified Smart-ID policies".into()
        }
    );
    assert_eq!(f.step(), VerificationStep::Level);
    // ADVANCED requested, QUALIFIED certificate: fine (higher level).
    let mut a = auth_with(&pki, &auth_spec());
    a.device_link.certificate_level = Some(CertificateLevel::Advanced);
    assert_eq!(
        a.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qualified
    );
}

#[test]
fn identity_from_the_serial_number_never_the_cn() {
    let pki = Pki::new();
    // No serialNumber: the CN still names the person, but that is not used.
    let mut spec = auth_spec();
    spec.serial_number = None;
    let f = fails(&pki, &spec);
    assert!(matches!(f, VerificationFailure::Identity(_)), "{f}");
    // A serialNumber that is not a semantics identifier.
    let mut spec = auth_spec();
    spec.serial_number = Some("30001010004".into());
    assert!(matches!(
        fails(&pki, &spec),
        VerificationFailure::Identity(_)
    ));
    // Other identifier types and countries.
    for (id, dob) in [
        ("PNOLV-040404-10003", Some("1904-04-04")),
        ("PNOLV-320000-00008", None),
        ("PNOLT-40404040009", Some("1904-04-04")),
        ("PASKZ-987654321012", None),
        ("IDCCZ-1234567890", None),
    ] {
        let mut spec = auth_spec();
        spec.serial_number = Some(id.into());
        let mut a = auth_with(&pki, &spec);
        a.doc = format!("{id}-MOCK-Q");
        a.sign();
        let r = a.verify(&pki).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(r.identity.identity_code, id);
        assert_eq!(r.identity.country, &id[3..5]);
        assert_eq!(
            r.identity.date_of_birth.map(|d| d.to_string()).as_deref(),
            dob,
            "{id}"
        );
    }
}

#[test]
fn date_of_birth_attribute_wins() {
    let pki = Pki::new();
    let mut spec = auth_spec();
    spec.serial_number = Some("PNOLV-320000-00008".into());
    spec.date_of_birth = Some((1987, 6, 5));
    let mut a = auth_with(&pki, &spec);
    a.doc = "PNOLV-320000-00008-MOCK-Q".into();
    a.sign();
    let r = a.verify(&pki).unwrap();
    assert_eq!(r.identity.date_of_birth.unwrap().to_string(), "1987-06-05");
    // An impossible date in the attribute is an identity failure.
    let mut spec = auth_spec();
    spec.date_of_birth = Some((1987, 2, 30));
    assert!(matches!(
        fails(&pki, &spec),
        VerificationFailure::Identity(_)
    ));
}

#[test]
fn large_keys() {
    // Real Smart-ID keys are large (the benchmark measures 4096 and 6144 bits).
    let pki = Pki::new();
    for bits in [3072, 4096] {
        let mut spec = auth_spec();
        spec.key_bits = bits;
        let a = Auth::with(&pki, FlowType::App2App, HashAlgorithm::Sha3_512, &spec);
        a.verify(&pki).unwrap_or_else(|e| panic!("{bits}: {e}"));
    }
}
