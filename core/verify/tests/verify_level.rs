//! Certificate level (spec §8 steps 5 and 7) from the certificate, never from the response.
//! `cert.certificateLevel` of the session status is not signed: the level that is reported,
//! and that is compared with the request, is the one the certificate's policies and QC
//! statements prove. A response claiming more than that fails; a response claiming less is
//! accepted and the certificate's level is reported (SK's API reports `QUALIFIED` for QSCD
//! certificates: its `cert.certificateLevel` has no `QSCD`).

mod common;

use common::*;
use sidkit_proto::models::*;
use sidkit_testpki::UserCertSpec;
use sidkit_verify::*;

/// The failure of a response whose `cert.certificateLevel` claims more than the certificate
/// proves (checked by code and step, so that the test also runs against older verifiers).
fn assert_not_proven(f: &VerificationFailure) {
    assert_eq!(f.code(), "verification_level_not_proven", "{f}");
    assert_eq!(f.step(), VerificationStep::Level, "{f}");
}

fn sign_with(pki: &Pki, spec: &UserCertSpec, requested: Option<CertificateLevel>) -> Sign {
    Sign::with(
        pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        spec,
        requested,
    )
}

fn claim(status: &mut SessionStatus, level: &str) {
    status.cert.as_mut().unwrap().certificate_level = level.into();
}

#[test]
fn authentication_claiming_qscd_is_refused() {
    let pki = Pki::new();
    // A qualified authentication certificate proves QUALIFIED, never QSCD.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.level = "QSCD".into();
    a.sign();
    assert_not_proven(&expect_failure(a.verify(&pki)));
    // Not even with a QcSSCD statement: authentication levels stop at QUALIFIED.
    let mut spec = auth_spec();
    spec.qc_sscd = true;
    let mut a = Auth::with(&pki, FlowType::App2App, HashAlgorithm::Sha512, &spec);
    a.level = "QSCD".into();
    a.sign();
    assert_not_proven(&expect_failure(a.verify(&pki)));
    // The same responses claiming QUALIFIED verify, as QUALIFIED.
    a.level = "QUALIFIED".into();
    a.sign();
    assert_eq!(
        a.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qualified
    );
}

#[test]
fn signing_claiming_qscd_without_qcsscd_is_refused() {
    let pki = Pki::new();
    let mut no_sscd = sign_spec();
    no_sscd.qc_sscd = false;
    for requested in [None, Some(CertificateLevel::Qualified)] {
        let mut s = sign_with(&pki, &no_sscd, requested);
        claim(&mut s.status, "QSCD");
        assert_not_proven(&expect_failure(s.verify(&pki)));
    }
    // A QSCD request does not change that.
    let mut s = sign_with(&pki, &no_sscd, Some(CertificateLevel::Qscd));
    claim(&mut s.status, "QSCD");
    assert_not_proven(&expect_failure(s.verify(&pki)));
    // Certificate choice, too.
    let mut c = Choice::new(&pki, FlowType::Qr, &no_sscd, None);
    claim(&mut c.status, "QSCD");
    assert_not_proven(&expect_failure(c.verify(&pki)));
    // With QcSSCD the QSCD claim holds.
    let mut s = sign_with(&pki, &sign_spec(), Some(CertificateLevel::Qscd));
    claim(&mut s.status, "QSCD");
    assert_eq!(
        s.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qscd
    );
}

#[test]
fn claiming_qualified_for_an_advanced_certificate_is_refused() {
    let pki = Pki::new();
    // ADVANCED requested, so only the claim can be wrong.
    let mut a = Auth::with(
        &pki,
        FlowType::Qr,
        HashAlgorithm::Sha512,
        &auth_spec().advanced(),
    );
    a.device_link.certificate_level = Some(CertificateLevel::Advanced);
    a.level = "QUALIFIED".into();
    a.sign();
    assert_not_proven(&expect_failure(a.verify(&pki)));
    let mut s = sign_with(
        &pki,
        &sign_spec().advanced(),
        Some(CertificateLevel::Advanced),
    );
    claim(&mut s.status, "QUALIFIED");
    assert_not_proven(&expect_failure(s.verify(&pki)));
    let mut c = Choice::new(
        &pki,
        FlowType::Qr,
        &sign_spec().advanced(),
        Some(CertificateLevel::Advanced),
    );
    for level in ["QUALIFIED", "QSCD"] {
        claim(&mut c.status, level);
        assert_not_proven(&expect_failure(c.verify(&pki)));
    }
}

#[test]
fn the_reported_level_is_the_certificates() {
    let pki = Pki::new();
    // SK reports QUALIFIED for a signing certificate on a QSCD: the certificate proves QSCD.
    let s = sign_with(&pki, &sign_spec(), None);
    assert_eq!(
        s.status.cert.as_ref().unwrap().certificate_level,
        "QUALIFIED"
    );
    assert_eq!(
        s.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qscd
    );
    // ... and so satisfies a QSCD request.
    let s = sign_with(&pki, &sign_spec(), Some(CertificateLevel::Qscd));
    assert_eq!(
        s.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qscd
    );
    let c = Choice::new(&pki, FlowType::Qr, &sign_spec(), None);
    assert_eq!(
        c.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qscd
    );
    // Without QcSSCD the same certificate proves QUALIFIED.
    let mut no_sscd = sign_spec();
    no_sscd.qc_sscd = false;
    let s = sign_with(&pki, &no_sscd, None);
    assert_eq!(
        s.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qualified
    );
    // A lower claim never lowers the level either: a qualified certificate claimed as
    // ADVANCED (ADVANCED requested) is reported QUALIFIED.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.device_link.certificate_level = Some(CertificateLevel::Advanced);
    a.level = "ADVANCED".into();
    a.sign();
    assert_eq!(
        a.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qualified
    );
    let mut s = sign_with(&pki, &sign_spec(), Some(CertificateLevel::Advanced));
    claim(&mut s.status, "ADVANCED");
    assert_eq!(
        s.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Qscd
    );
}

#[test]
fn the_request_is_compared_with_the_certificates_level() {
    let pki = Pki::new();
    // QSCD requested, a qualified certificate without QcSSCD claimed as QUALIFIED.
    let mut no_sscd = sign_spec();
    no_sscd.qc_sscd = false;
    let s = sign_with(&pki, &no_sscd, Some(CertificateLevel::Qscd));
    let f = expect_failure(s.verify(&pki));
    assert_eq!(f.code(), "verification_level", "{f}");
    assert!(f.to_string().contains("QcSSCD"), "{f}");
    // Certificate choice asking for QSCD: the same.
    let c = Choice::new(&pki, FlowType::Qr, &no_sscd, Some(CertificateLevel::Qscd));
    assert_eq!(expect_failure(c.verify(&pki)).code(), "verification_level");
    // QUALIFIED requested (the default), an ADVANCED certificate claimed as ADVANCED.
    let a = Auth::with(
        &pki,
        FlowType::Qr,
        HashAlgorithm::Sha512,
        &auth_spec().advanced(),
    );
    let f = expect_failure(a.verify(&pki));
    assert_eq!(f.code(), "verification_level", "{f}");
    let s = sign_with(&pki, &sign_spec().advanced(), None);
    assert_eq!(expect_failure(s.verify(&pki)).code(), "verification_level");
}

#[test]
fn a_certificate_without_a_complete_profile_proves_no_level() {
    let pki = Pki::new();
    // Qualified signing policies without the qualified QC statements: not QUALIFIED, and not
    // ADVANCED either (the non-qualified policies are missing), whatever is claimed or
    // requested.
    let mut spec = sign_spec();
    spec.qc_compliance = false;
    for (requested, claimed) in [
        (None, "QUALIFIED"),
        (Some(CertificateLevel::Advanced), "ADVANCED"),
        (Some(CertificateLevel::Advanced), "QUALIFIED"),
    ] {
        let mut s = sign_with(&pki, &spec, requested);
        claim(&mut s.status, claimed);
        let f = expect_failure(s.verify(&pki));
        assert!(
            matches!(f.step(), VerificationStep::Level | VerificationStep::Policy),
            "{requested:?} {claimed}: {f}"
        );
    }
    // Policies of neither profile.
    let mut spec = auth_spec();
    spec.policies = vec![sidkit_testpki::oid::SMART_ID_QUALIFIED.into()];
    for claimed in ["ADVANCED", "QUALIFIED"] {
        let mut a = Auth::with(&pki, FlowType::Qr, HashAlgorithm::Sha512, &spec);
        a.device_link.certificate_level = Some(CertificateLevel::Advanced);
        a.level = claimed.into();
        a.sign();
        let f = expect_failure(a.verify(&pki));
        assert_eq!(f.step(), VerificationStep::Policy, "{claimed}: {f}");
    }
}
