//! Signature (RAW_DIGEST_SIGNATURE) and certificate-choice verification: RSASSA-PSS with all
//! six hashes, legacy PKCS#1 v1.5 only when requested, signing-certificate profile, linked
//! signatures and deferred callbacks.
//!
//! Longer than 600 lines because it holds one test per check of spec §8 for signatures and
//! certificate choice.

mod common;

use common::*;
use rcgen::KeyUsagePurpose;
use sidkit_proto::b64;
use sidkit_proto::env::RelyingParty;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::*;
use sidkit_proto::request::SignatureRequestBuilder;
use sidkit_proto::CallbackFailure;
use sidkit_testpki::oid;
use sidkit_verify::VerifyError as Error;
use sidkit_verify::*;

#[test]
fn pss_with_every_hash_and_flow() {
    let pki = Pki::new();
    for hash in HashAlgorithm::ALL {
        for flow in FlowType::ALL {
            let s = Sign::with(
                &pki,
                *flow,
                SignatureAlgorithm::RsassaPss,
                *hash,
                &sign_spec(),
                None,
            );
            let r = s
                .verify(&pki)
                .unwrap_or_else(|e| panic!("{hash} {flow}: {e}"));
            assert_eq!(r.hash_algorithm, *hash);
            assert_eq!(r.salt_length, Some(hash.output_len()));
            assert_eq!(r.signature_algorithm, SignatureAlgorithm::RsassaPss);
            assert_eq!(r.identity.identity_code, IDENTITY);
            assert_eq!(r.document_number, DOC);
            assert_eq!(r.flow_type, *flow);
        }
    }
}

#[test]
fn legacy_pkcs1_only_when_requested() {
    let pki = Pki::new();
    for (alg, hash) in [
        (
            SignatureAlgorithm::Sha256WithRsaEncryption,
            HashAlgorithm::Sha256,
        ),
        (
            SignatureAlgorithm::Sha384WithRsaEncryption,
            HashAlgorithm::Sha384,
        ),
        (
            SignatureAlgorithm::Sha512WithRsaEncryption,
            HashAlgorithm::Sha512,
        ),
    ] {
        // Requested and returned: accepted.
        let s = Sign::with(&pki, FlowType::Qr, alg, hash, &sign_spec(), None);
        let r = s.verify(&pki).unwrap_or_else(|e| panic!("{alg}: {e}"));
        assert_eq!(r.signature_algorithm, alg);
        assert_eq!(r.salt_length, None);
        // PSS requested, PKCS#1 v1.5 returned (a downgrade): rejected before any crypto.
        let mut pss = Sign::with(
            &pki,
            FlowType::Qr,
            SignatureAlgorithm::RsassaPss,
            hash,
            &sign_spec(),
            None,
        );
        pss.status = s.status.clone();
        let f = expect_failure(pss.verify(&pki));
        assert_eq!(
            f,
            VerificationFailure::SignatureAlgorithmMismatch {
                field: "signatureAlgorithm",
                expected: "rsassa-pss".into(),
                received: alg.as_str().into()
            }
        );
        // PKCS#1 v1.5 requested, PSS returned: rejected.
        let mut legacy = Sign::with(&pki, FlowType::Qr, alg, hash, &sign_spec(), None);
        legacy.status = Sign::with(
            &pki,
            FlowType::Qr,
            SignatureAlgorithm::RsassaPss,
            hash,
            &sign_spec(),
            None,
        )
        .status;
        legacy.status.result = s.status.result.clone();
        let f = expect_failure(legacy.verify(&pki));
        assert!(
            matches!(
                f,
                VerificationFailure::SignatureAlgorithmMismatch {
                    field: "signatureAlgorithm",
                    ..
                }
            ),
            "{f}"
        );
        // PKCS#1 v1.5 with PSS-style parameters: rejected.
        let mut odd = Sign::with(&pki, FlowType::Qr, alg, hash, &sign_spec(), None);
        odd.signature_mut().signature_algorithm_parameters =
            Some(sidkit_testpki::pss_response_parameters(hash));
        assert!(matches!(
            expect_failure(odd.verify(&pki)),
            VerificationFailure::SignatureAlgorithmMismatch {
                field: "signatureAlgorithmParameters",
                ..
            }
        ));
        // ... but an echo of just the matching hash is tolerated.
        let mut echo = Sign::with(&pki, FlowType::Qr, alg, hash, &sign_spec(), None);
        echo.signature_mut().signature_algorithm_parameters =
            Some(ResponseSignatureAlgorithmParameters {
                hash_algorithm: Some(hash.as_str().into()),
                mask_gen_algorithm: None,
                salt_length: None,
                trailer_field: None,
            });
        echo.verify(&pki).unwrap();
    }
    // A PKCS#1 v1.5 signature value presented as PSS fails the signature check.
    let mut s = Sign::new(&pki, FlowType::Qr);
    let v = s.user.sign_pkcs1v15_prehashed(s.hash, &s.digest).unwrap();
    s.signature_mut().value = Some(b64::encode_std(&v));
    assert_eq!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
}

#[test]
fn signature_over_another_digest() {
    let pki = Pki::new();
    let mut s = Sign::new(&pki, FlowType::Qr);
    let other = sidkit_proto::signable::digest(s.hash, b"a different document");
    let v = s.user.sign_pss_prehashed(s.hash, &other).unwrap();
    s.signature_mut().value = Some(b64::encode_std(&v));
    let f = expect_failure(s.verify(&pki));
    assert_eq!(f, VerificationFailure::SignatureInvalid);
    assert_eq!(f.step(), VerificationStep::Signature);
}

#[test]
fn pss_parameters_are_checked_for_signing_too() {
    let pki = Pki::new();
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.signature_mut()
        .signature_algorithm_parameters
        .as_mut()
        .unwrap()
        .salt_length = Some(20);
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::SignatureAlgorithmMismatch {
            field: "saltLength",
            ..
        }
    ));
}

#[test]
fn protocol_and_fields() {
    let pki = Pki::new();
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.status.signature_protocol = Some("ACSP_V2".into());
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::ProtocolMismatch {
            expected: Some("RAW_DIGEST_SIGNATURE"),
            ..
        }
    ));
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.status.interaction_type_used = Some("confirmationMessageAndVerificationCodeChoice".into());
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::InteractionNotRequested { .. }
    ));
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.status.result.as_mut().unwrap().end_result = EndResult::Timeout;
    assert!(matches!(
        s.verify(&pki),
        Err(Error::SessionEnded(sidkit_proto::SessionEnded {
            end_result: EndResult::Timeout,
            ..
        }))
    ));
}

#[test]
fn signing_certificate_profile() {
    let pki = Pki::new();
    // An authentication certificate cannot sign.
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &auth_spec(),
        None,
    );
    let f = expect_failure(s.verify(&pki));
    assert!(
        matches!(&f, VerificationFailure::Policy { missing, .. } if missing == &vec![oid::ETSI_QCP_N_QSCD.to_owned()]),
        "{f}"
    );
    // Signing policies but no nonRepudiation.
    let mut spec = sign_spec();
    spec.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &spec,
        None,
    );
    let f = expect_failure(s.verify(&pki));
    assert!(matches!(f, VerificationFailure::Purpose(_)), "{f}");
    // Each signing policy left out.
    for drop in [oid::SMART_ID_QUALIFIED, oid::ETSI_QCP_N_QSCD] {
        let mut spec = sign_spec();
        spec.policies.retain(|p| p != drop);
        let mut s = Sign::with(
            &pki,
            FlowType::Qr,
            SignatureAlgorithm::RsassaPss,
            HashAlgorithm::Sha512,
            &spec,
            None,
        );
        s.status.cert.as_mut().unwrap().certificate_level = "QUALIFIED".into();
        assert!(
            matches!(
                expect_failure(s.verify(&pki)),
                VerificationFailure::Policy { .. }
            ),
            "{drop}"
        );
    }
}

#[test]
fn qualified_signing_needs_qc_statements() {
    let pki = Pki::new();
    type Tweak = fn(&mut sidkit_testpki::UserCertSpec);
    let cases: [(&str, Tweak); 3] = [
        ("qcStatements", |s| s.qc_statements = false),
        ("QcCompliance", |s| s.qc_compliance = false),
        ("esign", |s| s.qc_types.clear()),
    ];
    for (what, tweak) in cases {
        let mut spec = sign_spec();
        tweak(&mut spec);
        let s = Sign::with(
            &pki,
            FlowType::Qr,
            SignatureAlgorithm::RsassaPss,
            HashAlgorithm::Sha512,
            &spec,
            None,
        );
        let f = expect_failure(s.verify(&pki));
        assert!(
            matches!(&f, VerificationFailure::Level { reason, .. } if reason.contains(what)),
            "{what}: {f}"
        );
        assert_eq!(f.step(), VerificationStep::Level);
    }
    // QcType lists another type but not e-sign.
    let mut spec = sign_spec();
    spec.qc_types = vec!["0.4.0.1862.1.6.2".into()];
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &spec,
        None,
    );
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::Level { .. }
    ));
    // QSCD requested: QcSSCD required.
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &sign_spec(),
        Some(CertificateLevel::Qscd),
    );
    s.verify(&pki).unwrap();
    let mut spec = sign_spec();
    spec.qc_sscd = false;
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &spec,
        Some(CertificateLevel::Qscd),
    );
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::Level { reason, .. } if reason.contains("QcSSCD")
    ));
    // ... but not for QUALIFIED.
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &spec,
        None,
    );
    s.verify(&pki).unwrap();
    // An ADVANCED signing certificate needs no QC statements when ADVANCED was requested.
    let spec = sign_spec().advanced();
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &spec,
        Some(CertificateLevel::Advanced),
    );
    assert_eq!(
        s.verify(&pki).unwrap().certificate_level,
        CertificateLevel::Advanced
    );
    let s = Sign::with(
        &pki,
        FlowType::Qr,
        SignatureAlgorithm::RsassaPss,
        HashAlgorithm::Sha512,
        &spec,
        None,
    );
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::Level { .. }
    ));
}

#[test]
fn signer_must_be_the_targeted_document() {
    let pki = Pki::new();
    let mut s = Sign::new(&pki, FlowType::Qr);
    s.subject = Subject::Document(DocumentNumber::new("PNOEE-30001010004-OTHR-Q").unwrap());
    assert!(matches!(
        expect_failure(s.verify(&pki)),
        VerificationFailure::IdentityMismatch { .. }
    ));
    s.subject = Subject::Etsi(IDENTITY.parse().unwrap());
    s.verify(&pki).unwrap();
}

#[test]
fn same_device_signing_callbacks() {
    let pki = Pki::new();
    let s = Sign::new(&pki, FlowType::App2App);
    s.verify(&pki).unwrap();
    let f = expect_failure(verify_signature(
        &pki.ctx(),
        &s.session(),
        &s.status,
        CallbackCheck::None,
    ));
    assert_eq!(
        f,
        VerificationFailure::CallbackRequired {
            flow_type: FlowType::App2App
        }
    );
    // A userChallengeVerifier never comes with a signature callback.
    let with_verifier = format!(
        "{}&userChallengeVerifier={}",
        s.callback_url,
        "A".repeat(43)
    );
    let f = expect_failure(verify_signature(
        &pki.ctx(),
        &s.session(),
        &s.status,
        CallbackCheck::Url {
            callback_url: &with_verifier,
            session_secret: &s.secret,
        },
    ));
    assert_eq!(
        f,
        VerificationFailure::Callback(CallbackFailure::UnexpectedParameter(
            "userChallengeVerifier"
        ))
    );
}

#[test]
fn linked_signature_carries_the_certificate_choice_callback() {
    let pki = Pki::new();
    // C2 over App2App: its callback arrives only after the linked signature.
    let choice = Choice::new(&pki, FlowType::App2App, &sign_spec(), None);
    let c = verify_certificate_choice(
        &pki.ctx(),
        &choice.session(),
        &choice.status,
        CallbackCheck::DeferredToLinkedSignature,
    )
    .unwrap();
    assert_eq!(c.document_number, DOC);
    // S5, linked to that document number.
    let digest = sidkit_proto::signable::digest(HashAlgorithm::Sha256, b"contract");
    let request = SignatureRequestBuilder::new(
        &RelyingParty::demo(),
        b64::encode_std(&digest),
        HashAlgorithm::Sha256,
    )
    .interactions(
        Interactions::new(
            InteractionFlow::LinkedNotification,
            vec![Interaction::display_text_and_pin("Sign the contract").unwrap()],
        )
        .unwrap(),
    )
    .build_linked("de305d54-75b4-431b-adb2-eb6b9e546016")
    .unwrap();
    let status = choice
        .user
        .raw_digest_status(
            &digest,
            SignatureAlgorithm::RsassaPss,
            HashAlgorithm::Sha256,
            FlowType::Notification,
            "displayTextAndPIN",
            &c.document_number,
            "QUALIFIED",
        )
        .unwrap();
    let session = SignatureSession::linked(
        &request,
        DocumentNumber::new(&c.document_number).unwrap(),
        choice.request.initial_callback_url.as_deref(),
    );
    let cb = CallbackCheck::Url {
        callback_url: &choice.callback_url,
        session_secret: &choice.secret,
    };
    verify_signature(&pki.ctx(), &session, &status, cb).unwrap();
    // Without the callback it is refused even though the flow is Notification.
    let f = expect_failure(verify_signature(
        &pki.ctx(),
        &session,
        &status,
        CallbackCheck::None,
    ));
    assert_eq!(
        f,
        VerificationFailure::CallbackRequired {
            flow_type: FlowType::Notification
        }
    );
    // A linked signature after a QR certificate choice has no callback.
    let qr_session = SignatureSession::linked(&request, DocumentNumber::new(DOC).unwrap(), None);
    verify_signature(&pki.ctx(), &qr_session, &status, CallbackCheck::None).unwrap();
    assert!(matches!(
        verify_signature(&pki.ctx(), &qr_session, &status, cb),
        Err(Error::InvalidInput {
            field: "initialCallbackUrl",
            ..
        })
    ));
    // Linked to another document number.
    let other = SignatureSession::linked(
        &request,
        DocumentNumber::new("PNOEE-30001010004-ZZZZ-Q").unwrap(),
        None,
    );
    assert!(matches!(
        expect_failure(verify_signature(
            &pki.ctx(),
            &other,
            &status,
            CallbackCheck::None
        )),
        VerificationFailure::IdentityMismatch { .. }
    ));
}

#[test]
fn linked_signature_flow_type_is_notification_or_the_choices_flow() {
    let pki = Pki::new();
    let choice = Choice::new(&pki, FlowType::App2App, &sign_spec(), None);
    let c = verify_certificate_choice(
        &pki.ctx(),
        &choice.session(),
        &choice.status,
        CallbackCheck::DeferredToLinkedSignature,
    )
    .unwrap();
    let digest = sidkit_proto::signable::digest(HashAlgorithm::Sha256, b"contract");
    let request = SignatureRequestBuilder::new(
        &RelyingParty::demo(),
        b64::encode_std(&digest),
        HashAlgorithm::Sha256,
    )
    .interactions(
        Interactions::new(
            InteractionFlow::LinkedNotification,
            vec![Interaction::display_text_and_pin("Sign the contract").unwrap()],
        )
        .unwrap(),
    )
    .build_linked("de305d54-75b4-431b-adb2-eb6b9e546016")
    .unwrap();
    let status_with = |flow| {
        choice
            .user
            .raw_digest_status(
                &digest,
                SignatureAlgorithm::RsassaPss,
                HashAlgorithm::Sha256,
                flow,
                "displayTextAndPIN",
                &c.document_number,
                "QUALIFIED",
            )
            .unwrap()
    };
    let cb = CallbackCheck::Url {
        callback_url: &choice.callback_url,
        session_secret: &choice.secret,
    };
    let doc = DocumentNumber::new(&c.document_number).unwrap();
    let plain = SignatureSession::linked(
        &request,
        doc.clone(),
        choice.request.initial_callback_url.as_deref(),
    );
    let admitting = plain.clone().with_certificate_choice_flow(c.flow_type);
    // The choice's flow (App2App) is refused unless admitted; Notification is always accepted.
    let app2app = status_with(FlowType::App2App);
    assert_eq!(
        expect_failure(verify_signature(&pki.ctx(), &plain, &app2app, cb)),
        VerificationFailure::FlowTypeNotOffered {
            flow_type: "App2App".into()
        }
    );
    verify_signature(&pki.ctx(), &admitting, &app2app, cb).unwrap();
    verify_signature(
        &pki.ctx(),
        &admitting,
        &status_with(FlowType::Notification),
        cb,
    )
    .unwrap();
    // Admitting App2App does not admit any other flow.
    assert_eq!(
        expect_failure(verify_signature(
            &pki.ctx(),
            &admitting,
            &status_with(FlowType::Web2App),
            cb
        )),
        VerificationFailure::FlowTypeNotOffered {
            flow_type: "Web2App".into()
        }
    );
    // A same-device flow without the choice's callback URL is a caller error.
    let no_callback = SignatureSession::linked(&request, doc, None)
        .with_certificate_choice_flow(FlowType::App2App);
    assert!(matches!(
        verify_signature(&pki.ctx(), &no_callback, &app2app, CallbackCheck::None),
        Err(Error::InvalidInput {
            field: "offeredFlows",
            ..
        })
    ));
}

#[test]
fn certificate_choice() {
    let pki = Pki::new();
    for flow in [FlowType::Qr, FlowType::Web2App, FlowType::App2App] {
        let c = Choice::new(&pki, flow, &sign_spec(), None);
        let r = c.verify(&pki).unwrap_or_else(|e| panic!("{flow}: {e}"));
        assert_eq!(r.flow_type, flow);
        assert_eq!(r.identity.identity_code, IDENTITY);
        assert_eq!(r.certificate.der, c.user.cert_der);
    }
    // Same-device without the callback.
    let c = Choice::new(&pki, FlowType::Web2App, &sign_spec(), None);
    assert_eq!(
        expect_failure(verify_certificate_choice(
            &pki.ctx(),
            &c.session(),
            &c.status,
            CallbackCheck::None
        )),
        VerificationFailure::CallbackRequired {
            flow_type: FlowType::Web2App
        }
    );
    // A wrong session secret.
    let other = secret();
    assert_eq!(
        expect_failure(verify_certificate_choice(
            &pki.ctx(),
            &c.session(),
            &c.status,
            CallbackCheck::Url {
                callback_url: &c.callback_url,
                session_secret: &other
            }
        )),
        VerificationFailure::Callback(CallbackFailure::SessionSecretDigestMismatch)
    );
    // Flow not offered.
    let mut c = Choice::new(&pki, FlowType::Qr, &sign_spec(), None);
    c.offered = OfferedFlows::WEB2APP;
    assert!(matches!(
        expect_failure(c.verify(&pki)),
        VerificationFailure::FlowTypeNotOffered { .. }
    ));
    // A signature protocol in a certificate-choice response.
    let mut c = Choice::new(&pki, FlowType::Qr, &sign_spec(), None);
    c.status.signature_protocol = Some("RAW_DIGEST_SIGNATURE".into());
    assert_eq!(
        expect_failure(c.verify(&pki)),
        VerificationFailure::ProtocolMismatch {
            expected: None,
            received: Some("RAW_DIGEST_SIGNATURE".into())
        }
    );
    // An authentication certificate chosen for signing.
    let c = Choice::new(&pki, FlowType::Qr, &auth_spec(), None);
    assert!(matches!(
        expect_failure(c.verify(&pki)),
        VerificationFailure::Policy { .. }
    ));
    // Level: ADVANCED certificate for the default QUALIFIED request.
    let c = Choice::new(&pki, FlowType::Qr, &sign_spec().advanced(), None);
    assert!(matches!(
        expect_failure(c.verify(&pki)),
        VerificationFailure::Level { .. }
    ));
    let c = Choice::new(
        &pki,
        FlowType::Qr,
        &sign_spec().advanced(),
        Some(CertificateLevel::Advanced),
    );
    c.verify(&pki).unwrap();
    // Missing document number.
    let mut c = Choice::new(&pki, FlowType::Qr, &sign_spec(), None);
    c.status.result.as_mut().unwrap().document_number = None;
    assert_eq!(
        expect_failure(c.verify(&pki)),
        VerificationFailure::MissingField("result.documentNumber")
    );
}

#[test]
fn notification_certificate_choice_cannot_defer() {
    let pki = Pki::new();
    let c = Choice::new(&pki, FlowType::Notification, &sign_spec(), None);
    let request =
        sidkit_proto::request::CertificateChoiceRequestBuilder::new(&RelyingParty::demo())
            .build_notification()
            .unwrap();
    let session =
        CertificateChoiceSession::notification(&request, Subject::Etsi(IDENTITY.parse().unwrap()));
    verify_certificate_choice(&pki.ctx(), &session, &c.status, CallbackCheck::None).unwrap();
    assert!(matches!(
        verify_certificate_choice(
            &pki.ctx(),
            &session,
            &c.status,
            CallbackCheck::DeferredToLinkedSignature
        ),
        Err(Error::InvalidInput {
            field: "callback",
            ..
        })
    ));
}

#[test]
fn inconsistent_sessions_are_input_errors() {
    let pki = Pki::new();
    let s = Sign::new(&pki, FlowType::Qr);
    // A digest whose length does not fit the hash.
    let mut session = s.session();
    session.hash_algorithm = Some(HashAlgorithm::Sha256);
    assert!(matches!(
        verify_signature(&pki.ctx(), &session, &s.status, CallbackCheck::None),
        Err(Error::InvalidInput {
            field: "digest",
            ..
        })
    ));
    // PSS without a hash; a hash with a legacy algorithm.
    let mut session = s.session();
    session.hash_algorithm = None;
    assert!(matches!(
        verify_signature(&pki.ctx(), &session, &s.status, CallbackCheck::None),
        Err(Error::InvalidInput {
            field: "hashAlgorithm",
            ..
        })
    ));
    let mut session = s.session();
    session.signature_algorithm = SignatureAlgorithm::Sha512WithRsaEncryption;
    assert!(matches!(
        verify_signature(&pki.ctx(), &session, &s.status, CallbackCheck::None),
        Err(Error::InvalidInput {
            field: "hashAlgorithm",
            ..
        })
    ));
    // A digest that is not Base64.
    let mut session = s.session();
    session.digest = "not base64";
    assert!(
        verify_signature(&pki.ctx(), &session, &s.status, CallbackCheck::None)
            .unwrap_err()
            .is_invalid_input()
    );
    // A notification session cannot complete as QR.
    let mut session = s.session();
    session.kind = SessionKind::Notification;
    session.initial_callback_url = None;
    assert!(matches!(
        verify_signature(&pki.ctx(), &session, &s.status, CallbackCheck::None),
        Err(Error::InvalidInput { .. })
    ));
}
