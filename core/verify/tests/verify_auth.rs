//! Authentication verification (ACSP_V2), spec §8: a valid fixture for each flow and hash, and
//! one rejection per check, each from a fixture that differs from a valid one in exactly that
//! respect.
//!
//! Longer than 600 lines because it holds one test per check of spec §8 for authentication.

mod common;

use common::*;
use sidkit_proto::callback::CallbackBinding;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::env::SchemeName;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::*;
use sidkit_proto::CallbackFailure;
use sidkit_verify::VerifyError as Error;
use sidkit_verify::*;

#[test]
fn valid_for_every_flow() {
    let pki = Pki::new();
    for flow in FlowType::ALL {
        let a = Auth::new(&pki, *flow);
        let r = a.verify(&pki).unwrap_or_else(|e| panic!("{flow}: {e}"));
        assert_eq!(r.flow_type, *flow);
        assert_eq!(r.identity.identity_code, IDENTITY);
        assert_eq!(r.identity.country, "EE");
        assert_eq!(r.identity.national_identifier, "30001010004");
        assert_eq!(r.identity.given_name.as_deref(), Some("MARY ÄNN"));
        assert_eq!(
            r.identity.surname.as_deref(),
            Some("O’CONNEŽ-ŠUSLIK TESTNUMBER")
        );
        assert_eq!(r.identity.date_of_birth.unwrap().to_string(), "1900-01-01");
        assert_eq!(r.document_number, DOC);
        assert_eq!(r.certificate_level, CertificateLevel::Qualified);
        assert_eq!(r.interaction_type_used, "displayTextAndPIN");
        assert_eq!(r.certificate.chain.len(), 2);
        assert!(!r.certificate.revocation_checked);
    }
}

#[test]
fn all_six_pss_hashes() {
    let pki = Pki::new();
    for hash in HashAlgorithm::ALL {
        for flow in [FlowType::App2App, FlowType::Notification] {
            let a = Auth::with(&pki, flow, *hash, &auth_spec());
            a.verify(&pki)
                .unwrap_or_else(|e| panic!("{hash} {flow}: {e}"));
            // Signed with another hash while the parameters claim this one.
            let other = if *hash == HashAlgorithm::Sha512 {
                HashAlgorithm::Sha3_512
            } else {
                HashAlgorithm::Sha512
            };
            let mut b = Auth::with(&pki, flow, *hash, &auth_spec());
            let payload = b.payload_bytes(SCHEME, b.device_link.initial_callback_url.as_deref());
            let sig = b.user.sign_pss(other, &payload).unwrap();
            b.signature_mut().value = Some(sidkit_proto::b64::encode_std(&sig));
            let f = expect_failure(b.verify(&pki));
            assert_eq!(
                f,
                VerificationFailure::SignatureInvalid,
                "{hash}/{other} {flow}"
            );
            // The request asked for another hash than the response reports.
            let mut c = Auth::with(&pki, flow, *hash, &auth_spec());
            c.device_link
                .signature_protocol_parameters
                .signature_algorithm_parameters
                .hash_algorithm = other;
            c.notification
                .signature_protocol_parameters
                .signature_algorithm_parameters
                .hash_algorithm = other;
            let f = expect_failure(c.verify(&pki));
            assert_eq!(
                f,
                VerificationFailure::SignatureAlgorithmMismatch {
                    field: "hashAlgorithm",
                    expected: other.as_str().into(),
                    received: hash.as_str().into()
                },
                "{hash}/{other} {flow}"
            );
        }
    }
}

#[test]
fn end_result_not_ok_is_session_ended() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    let r = a.status.result.as_mut().unwrap();
    r.end_result = EndResult::UserRefusedInteraction;
    r.details = Some(ResultDetails {
        interaction: Some("displayTextAndPIN".into()),
    });
    match a.verify(&pki) {
        Err(Error::SessionEnded(sidkit_proto::SessionEnded {
            end_result: EndResult::UserRefusedInteraction,
            interaction: Some(i),
        })) => assert_eq!(i, "displayTextAndPIN"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn running_session_is_not_complete() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.status.state = SessionState::Running;
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::NotComplete
    );
}

#[test]
fn protocol_mismatch() {
    let pki = Pki::new();
    for p in [Some("RAW_DIGEST_SIGNATURE"), None, Some("ACSP_V1")] {
        let mut a = Auth::new(&pki, FlowType::Qr);
        a.status.signature_protocol = p.map(str::to_owned);
        let f = expect_failure(a.verify(&pki));
        assert_eq!(
            f,
            VerificationFailure::ProtocolMismatch {
                expected: Some("ACSP_V2"),
                received: p.map(str::to_owned)
            }
        );
        assert_eq!(f.step(), VerificationStep::Response);
    }
}

#[test]
fn missing_fields() {
    let pki = Pki::new();
    type Strip = fn(&mut SessionStatus);
    let cases: [(&str, Strip); 8] = [
        ("result.documentNumber", |s| {
            s.result.as_mut().unwrap().document_number = None
        }),
        ("cert", |s| s.cert = None),
        ("signature", |s| s.signature = None),
        ("signature.flowType", |s| {
            s.signature.as_mut().unwrap().flow_type = None
        }),
        ("interactionTypeUsed", |s| s.interaction_type_used = None),
        ("signature.serverRandom", |s| {
            s.signature.as_mut().unwrap().server_random = None
        }),
        ("signature.userChallenge", |s| {
            s.signature.as_mut().unwrap().user_challenge = None
        }),
        ("signature.value", |s| {
            s.signature.as_mut().unwrap().value = None
        }),
    ];
    for (field, strip) in cases {
        let mut a = Auth::new(&pki, FlowType::Qr);
        strip(&mut a.status);
        assert_eq!(
            expect_failure(a.verify(&pki)),
            VerificationFailure::MissingField(field),
            "{field}"
        );
    }
}

#[test]
fn malformed_fields() {
    let pki = Pki::new();
    type Break = fn(&mut SessionStatus);
    let cases: [(&str, Break); 6] = [
        ("signature.value", |s| {
            s.signature.as_mut().unwrap().value = Some("not base64!".into())
        }),
        ("cert.certificateLevel", |s| {
            s.cert.as_mut().unwrap().certificate_level = "SUPER".into()
        }),
        ("result.documentNumber", |s| {
            s.result.as_mut().unwrap().document_number = Some("../../etc".into())
        }),
        ("signature.serverRandom", |s| {
            s.signature.as_mut().unwrap().server_random = Some("a|b".repeat(10))
        }),
        ("signature.userChallenge", |s| {
            s.signature.as_mut().unwrap().user_challenge = Some("x".repeat(42))
        }),
        ("signature.userChallenge", |s| {
            s.signature.as_mut().unwrap().user_challenge = Some(format!("{}|", "x".repeat(42)))
        }),
    ];
    for (field, brk) in cases {
        let mut a = Auth::new(&pki, FlowType::Qr);
        brk(&mut a.status);
        let f = expect_failure(a.verify(&pki));
        assert!(
            matches!(&f, VerificationFailure::MalformedField { field: got, .. } if *got == field),
            "{field}: {f}"
        );
    }
    // A certificate that is not DER.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.status.cert.as_mut().unwrap().value = "AAAA".into();
    let f = expect_failure(a.verify(&pki));
    assert!(
        matches!(f, VerificationFailure::CertificateMalformed(_)),
        "{f}"
    );
    assert_eq!(f.step(), VerificationStep::Certificate);
}

#[test]
fn flow_type_must_have_been_offered() {
    let pki = Pki::new();
    // A valid QR response for a session that offered only App2App.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.offered = OfferedFlows::APP2APP;
    let f = expect_failure(a.verify(&pki));
    assert_eq!(
        f,
        VerificationFailure::FlowTypeNotOffered {
            flow_type: "QR".into()
        }
    );
    assert_eq!(f.step(), VerificationStep::FlowType);
    assert_eq!(f.code(), "verification_flow_type_not_offered");
    // An unknown flow type.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.signature_mut().flow_type = Some("Carrier-Pigeon".into());
    assert!(matches!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::FlowTypeNotOffered { .. }
    ));
    // A device-link session whose response claims Notification.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.signature_mut().flow_type = Some("Notification".into());
    assert!(matches!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::FlowTypeNotOffered { .. }
    ));
}

#[test]
fn offered_flows_must_fit_the_request() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.offered = OfferedFlows::NONE;
    assert!(matches!(
        a.verify(&pki),
        Err(Error::InvalidInput {
            field: "offeredFlows",
            ..
        })
    ));
    a.offered = OfferedFlows::QR.with(FlowType::Notification);
    assert!(matches!(
        a.verify(&pki),
        Err(Error::InvalidInput {
            field: "offeredFlows",
            ..
        })
    ));
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.device_link.initial_callback_url = None;
    a.offered = OfferedFlows::QR;
    a.sign();
    a.verify(&pki).unwrap();
    a.offered = OfferedFlows::QR.with(FlowType::App2App);
    assert!(matches!(
        a.verify(&pki),
        Err(Error::InvalidInput {
            field: "offeredFlows",
            ..
        })
    ));
}

#[test]
fn same_device_flows_require_the_callback() {
    let pki = Pki::new();
    for flow in [FlowType::Web2App, FlowType::App2App] {
        let a = Auth::new(&pki, flow);
        let f = expect_failure(a.verify_with(&pki.ctx(), CallbackCheck::None));
        assert_eq!(f, VerificationFailure::CallbackRequired { flow_type: flow });
    }
}

#[test]
fn qr_and_notification_flows_reject_a_callback() {
    let pki = Pki::new();
    for flow in [FlowType::Qr, FlowType::Notification] {
        let a = Auth::new(&pki, flow);
        let cb = CallbackCheck::Url {
            callback_url: &a.callback_url,
            session_secret: &a.secret,
        };
        let r = a.verify_with(&pki.ctx(), cb);
        if flow == FlowType::Notification {
            // A notification session has no initialCallbackUrl at all.
            assert!(
                matches!(
                    r,
                    Err(Error::InvalidInput {
                        field: "initialCallbackUrl",
                        ..
                    })
                ),
                "{r:?}"
            );
        } else {
            assert_eq!(
                expect_failure(r),
                VerificationFailure::UnexpectedCallback { flow_type: flow }
            );
        }
    }
}

#[test]
fn a_verified_callback_does_not_fit_a_qr_flow() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::Qr);
    let initial = a.device_link.initial_callback_url.as_deref().unwrap();
    let token = initial.split("value=").nth(1).unwrap();
    let binding = CallbackBinding::from_parts(
        initial,
        "value",
        token,
        a.secret.digest(),
        SessionType::Auth,
    );
    let verified = binding.check(&a.callback_url).unwrap();
    assert_eq!(
        expect_failure(a.verify_with(&pki.ctx(), CallbackCheck::Verified(&verified))),
        VerificationFailure::UnexpectedCallback {
            flow_type: FlowType::Qr
        }
    );
}

#[test]
fn qr_payload_has_an_empty_callback_field() {
    // The session has an initialCallbackUrl, but the user scanned the QR code: the app signs
    // an empty callback field. A signature over the URL is rejected.
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.verify(&pki).unwrap();
    let url = a
        .device_link
        .initial_callback_url
        .as_deref()
        .unwrap()
        .to_owned();
    let without = String::from_utf8(a.payload_bytes(SCHEME, None)).unwrap();
    assert!(without.ends_with("||QR"));
    let with_url = format!("{}|{url}|QR", &without[..without.len() - 4]);
    let sig = a.user.sign_pss(a.hash, with_url.as_bytes()).unwrap();
    a.signature_mut().value = Some(sidkit_proto::b64::encode_std(&sig));
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
    // And for same-device flows the URL is part of the payload: a signature without it fails.
    let mut a = Auth::new(&pki, FlowType::Web2App);
    a.verify(&pki).unwrap();
    let without = a.payload_bytes(SCHEME, None);
    let sig = a.user.sign_pss(a.hash, &without).unwrap();
    a.signature_mut().value = Some(sidkit_proto::b64::encode_std(&sig));
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
}

#[test]
fn callback_session_secret_digest() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::App2App);
    let other = secret();
    let f = expect_failure(a.verify_with(
        &pki.ctx(),
        CallbackCheck::Url {
            callback_url: &a.callback_url,
            session_secret: &other,
        },
    ));
    assert_eq!(
        f,
        VerificationFailure::Callback(CallbackFailure::SessionSecretDigestMismatch)
    );
    assert_eq!(f.step(), VerificationStep::Callback);
    assert_eq!(f.code(), "callback_session_secret_digest_mismatch");
}

#[test]
fn callback_token_and_base() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::Web2App);
    let wrong_token = a.callback_url.replacen("value=", "value=X", 1);
    let f = expect_failure(a.verify_with(
        &pki.ctx(),
        CallbackCheck::Url {
            callback_url: &wrong_token,
            session_secret: &a.secret,
        },
    ));
    assert_eq!(
        f,
        VerificationFailure::Callback(CallbackFailure::TokenMismatch)
    );
    let wrong_base = a.callback_url.replacen("/callback?", "/other?", 1);
    let f = expect_failure(a.verify_with(
        &pki.ctx(),
        CallbackCheck::Url {
            callback_url: &wrong_base,
            session_secret: &a.secret,
        },
    ));
    assert_eq!(f, VerificationFailure::Callback(CallbackFailure::WrongBase));
}

#[test]
fn user_challenge_verifier() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::App2App);
    // The callback of this session, but with another verifier.
    let other = callback_url_for(
        a.device_link.initial_callback_url.as_deref().unwrap(),
        &a.secret,
        Some(&"A".repeat(43)),
    );
    let f = expect_failure(a.verify_with(
        &pki.ctx(),
        CallbackCheck::Url {
            callback_url: &other,
            session_secret: &a.secret,
        },
    ));
    assert_eq!(
        f,
        VerificationFailure::Callback(CallbackFailure::UserChallengeMismatch)
    );
    assert_eq!(f.step(), VerificationStep::UserChallenge);
    // The same through a callback the backend verified itself (CallbackBinding).
    let token = a
        .device_link
        .initial_callback_url
        .as_deref()
        .unwrap()
        .split("value=")
        .nth(1)
        .unwrap()
        .to_owned();
    let binding = CallbackBinding::from_parts(
        a.device_link.initial_callback_url.as_deref().unwrap(),
        "value",
        &token,
        a.secret.digest(),
        SessionType::Auth,
    );
    let good = binding.check(&a.callback_url).unwrap();
    a.verify_with(&pki.ctx(), CallbackCheck::Verified(&good))
        .unwrap();
    let bad = binding.check(&other).unwrap();
    let f = expect_failure(a.verify_with(&pki.ctx(), CallbackCheck::Verified(&bad)));
    assert_eq!(
        f,
        VerificationFailure::Callback(CallbackFailure::UserChallengeMismatch)
    );
}

#[test]
fn deferred_callback_is_not_for_authentication() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::App2App);
    assert!(matches!(
        a.verify_with(&pki.ctx(), CallbackCheck::DeferredToLinkedSignature),
        Err(Error::InvalidInput {
            field: "callback",
            ..
        })
    ));
}

#[test]
fn interaction_type_used_must_have_been_requested() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.interaction_used = "confirmationMessageAndVerificationCodeChoice".into();
    a.sign();
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::InteractionNotRequested {
            interaction: "confirmationMessageAndVerificationCodeChoice".into()
        }
    );
    // The other requested interaction is fine.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.interaction_used = "confirmationMessage".into();
    a.sign();
    a.verify(&pki).unwrap();
}

#[test]
fn identity_must_match_the_targeted_person() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.subject = Subject::Etsi(IDENTITY.parse().unwrap());
    a.verify(&pki).unwrap();
    a.subject = Subject::Etsi("PNOEE-40404040009".parse().unwrap());
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::IdentityMismatch {
            expected: "PNOEE-40404040009".into(),
            received: IDENTITY.into()
        }
    );
    a.subject = Subject::Document(DocumentNumber::new(DOC).unwrap());
    a.verify(&pki).unwrap();
    a.subject = Subject::Document(DocumentNumber::new("PNOEE-30001010004-ABCD-Q").unwrap());
    let f = expect_failure(a.verify(&pki));
    assert!(
        matches!(f, VerificationFailure::IdentityMismatch { .. }),
        "{f}"
    );
    assert_eq!(f.step(), VerificationStep::Identity);
}

#[test]
fn document_number_must_belong_to_the_certificate_holder() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.doc = "PNOEE-40404040009-MOCK-Q".into();
    a.sign();
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::IdentityMismatch {
            expected: format!("a document number of {IDENTITY}"),
            received: "PNOEE-40404040009-MOCK-Q".into()
        }
    );
    // A document number that only shares a prefix of the code.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.doc = "PNOEE-300010100041-MOCK-Q".into();
    a.sign();
    assert!(matches!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::IdentityMismatch { .. }
    ));
}

#[test]
fn signature_algorithm_and_parameters() {
    let pki = Pki::new();
    type Tweak = fn(&mut ResponseSignatureAlgorithmParameters);
    let cases: [(&str, Tweak); 6] = [
        ("hashAlgorithm", |p| {
            p.hash_algorithm = Some("SHA-256".into())
        }),
        ("maskGenAlgorithm", |p| {
            p.mask_gen_algorithm.as_mut().unwrap().algorithm = "id-mgf2".into()
        }),
        ("maskGenAlgorithm.parameters.hashAlgorithm", |p| {
            p.mask_gen_algorithm
                .as_mut()
                .unwrap()
                .parameters
                .as_mut()
                .unwrap()
                .hash_algorithm = "SHA-256".into()
        }),
        ("saltLength", |p| p.salt_length = Some(32)),
        ("trailerField", |p| p.trailer_field = Some("0x01".into())),
        ("trailerField", |p| p.trailer_field = None),
    ];
    for (field, tweak) in cases {
        let mut a = Auth::new(&pki, FlowType::Qr);
        tweak(
            a.signature_mut()
                .signature_algorithm_parameters
                .as_mut()
                .unwrap(),
        );
        let f = expect_failure(a.verify(&pki));
        assert!(
            matches!(&f, VerificationFailure::SignatureAlgorithmMismatch { field: got, .. } if *got == field),
            "{field}: {f}"
        );
        assert_eq!(f.step(), VerificationStep::Signature);
    }
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.signature_mut().signature_algorithm_parameters = None;
    assert!(matches!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureAlgorithmMismatch {
            field: "signatureAlgorithmParameters",
            ..
        }
    ));
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.signature_mut().signature_algorithm = Some("sha512WithRSAEncryption".into());
    assert!(matches!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureAlgorithmMismatch {
            field: "signatureAlgorithm",
            ..
        }
    ));
}

#[test]
fn signature_value_tampering() {
    let pki = Pki::new();
    // Signed by another key.
    let mut a = Auth::new(&pki, FlowType::Qr);
    let mut spec = auth_spec();
    spec.key_slot = 7;
    let other = pki.issue(&spec);
    let sig = other
        .sign_pss(a.hash, &a.payload_bytes(SCHEME, None))
        .unwrap();
    a.signature_mut().value = Some(sidkit_proto::b64::encode_std(&sig));
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
    // A payload field changed after signing.
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.signature_mut().server_random = Some(random_b64(18));
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
    // The wrong scheme name (LIVE instead of DEMO).
    let a = Auth::new(&pki, FlowType::Qr);
    let live = VerificationContext::new(
        SchemeName::SmartId,
        &pki.store,
        std::time::SystemTime::now(),
    );
    assert_eq!(
        expect_failure(a.verify_with(&live, CallbackCheck::None)),
        VerificationFailure::SignatureInvalid
    );
    // A salt shorter than claimed.
    let mut a = Auth::new(&pki, FlowType::Qr);
    let digest = sidkit_proto::signable::digest(a.hash, &a.payload_bytes(SCHEME, None));
    let sig = a
        .user
        .sign_pss_prehashed_with_salt(a.hash, &digest, 32)
        .unwrap();
    a.signature_mut().value = Some(sidkit_proto::b64::encode_std(&sig));
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
    // Truncated signature.
    let mut a = Auth::new(&pki, FlowType::Qr);
    let v = a.signature_mut().value.clone().unwrap();
    let mut raw = sidkit_proto::b64::decode_std("x", &v).unwrap();
    raw.pop();
    a.signature_mut().value = Some(sidkit_proto::b64::encode_std(&raw));
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
}

#[test]
fn brokered_rp_name_is_part_of_the_payload() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.brokered_rp_name = Some("Example RP".into());
    a.sign();
    a.verify(&pki).unwrap();
    a.brokered_rp_name = None;
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
}

#[test]
fn relying_party_name_is_part_of_the_payload() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.device_link.relying_party_name = "DEMO2".into();
    assert_eq!(
        expect_failure(a.verify(&pki)),
        VerificationFailure::SignatureInvalid
    );
}

#[test]
fn results_serialize_for_the_cli() {
    let pki = Pki::new();
    let a = Auth::new(&pki, FlowType::App2App);
    let r = a.verify(&pki).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["identityCode"], IDENTITY);
    assert_eq!(v["givenName"], "MARY ÄNN");
    assert_eq!(v["surname"], "O’CONNEŽ-ŠUSLIK TESTNUMBER");
    assert_eq!(v["country"], "EE");
    assert_eq!(v["documentNumber"], DOC);
    assert_eq!(v["certificateLevel"], "QUALIFIED");
    assert_eq!(v["flowType"], "App2App");
    assert_eq!(v["dateOfBirth"], "1900-01-01");
    assert_eq!(v["identityType"], "PNO");
    assert_eq!(
        v["certificate"]["value"],
        a.status.cert.as_ref().unwrap().value.as_str()
    );
}

#[test]
fn error_messages_name_the_check() {
    let pki = Pki::new();
    let mut a = Auth::new(&pki, FlowType::Qr);
    a.offered = OfferedFlows::APP2APP;
    let e = a.verify(&pki).unwrap_err();
    assert_eq!(e.code(), "verification_flow_type_not_offered");
    assert!(!e.is_retryable() && !matches!(e, Error::InvalidInput { .. }));
    assert_eq!(
        e.to_string(),
        "response verification failed: flow_type: flowType `QR` was not offered for this session"
    );
}
