//! Tests of the contract messages: validation, JSON names, round trips.

use super::*;
use sidkit_proto::b64;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::models::{CertificateLevel, EndResult};

fn identity() -> Identity {
    Identity {
        given_name: "QUALIFIED OK1".into(),
        surname: "TESTNUMBER".into(),
        identifier: "PNOEE-30303039914".into(),
        country: "EE".into(),
        document_number: "PNOEE-30303039914-MOCK-Q".into(),
        certificate_level: CertificateLevel::Qualified,
        date_of_birth: Some("1903-03-03".into()),
    }
}

#[test]
fn json_shapes_are_camel_case_and_tagged() {
    let req = StartFlowRequest {
        kind: FlowKind::CertificateChoiceAndSignature,
        presentation: Presentation::App2App,
        lang: "est".into(),
        context: None,
        idempotency_key: "abcdefghijklmnop".into(),
        flow_key_challenge: Some("Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0".into()),
    };
    assert_eq!(
        serde_json::to_string(&req).unwrap(),
        r#"{"kind":"certificateChoiceAndSignature","presentation":"app2app","lang":"est","idempotencyKey":"abcdefghijklmnop","flowKeyChallenge":"Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"}"#
    );
    req.validate().unwrap();
    // A contract-1 start (no challenge) is refused, naming the field.
    let v1 = StartFlowRequest {
        flow_key_challenge: None,
        ..req.clone()
    };
    let e = v1.validate().unwrap_err().to_string();
    assert!(e.contains("flowKeyChallenge"), "{e}");
    for bad in ["", "short", "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0="] {
        let r = StartFlowRequest {
            flow_key_challenge: Some(bad.into()),
            ..req.clone()
        };
        assert!(r.validate().is_err(), "{bad}");
    }
    let out = FlowOutcome::Failed {
        end_result: EndResult::UserRefusedInteraction,
        interaction: Some("displayTextAndPIN".into()),
    };
    assert_eq!(
        serde_json::to_string(&out).unwrap(),
        r#"{"result":"failed","endResult":"USER_REFUSED_INTERACTION","interaction":"displayTextAndPIN"}"#
    );
    let poll = PollFlowResponse::Pending {
        device_link: Some("x".into()),
    };
    assert_eq!(
        serde_json::to_string(&poll).unwrap(),
        r#"{"status":"pending","deviceLink":"x"}"#
    );
    let auth = FlowOutcome::Authenticated {
        identity: identity(),
        app_data: None,
    };
    let json = serde_json::to_string(&auth).unwrap();
    assert!(
        json.starts_with(r#"{"result":"authenticated","identity":{"givenName":"QUALIFIED OK1""#)
    );
    assert_eq!(serde_json::from_str::<FlowOutcome>(&json).unwrap(), auth);
    let resp: StartFlowResponse = serde_json::from_str(
            r#"{"flowHandle":"h0123456789abcdef","sessionType":"auth","deviceLink":"l","expiresInMs":1000,"future":1}"#,
        )
        .unwrap();
    assert_eq!(resp.session_type, SessionType::Auth);
    assert!(serde_json::from_str::<StartFlowResponse>(
            r#"{"flowHandle":"h0123456789abcdef","sessionType":"AUTH","deviceLink":"l","expiresInMs":1}"#
        )
        .is_err());
}

#[test]
fn problem_details() {
    let p = ErrorBody::new(error_codes::CALLBACK_REJECTED, "forged");
    assert_eq!(
        serde_json::to_string(&p).unwrap(),
        r#"{"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,"code":"callback_rejected","detail":"forged","retryable":false}"#
    );
    assert_eq!(p.http_status(), 403);
    let legacy: ErrorBody =
        serde_json::from_str(r#"{"code":"unavailable","message":"down","retryable":true}"#)
            .unwrap();
    assert_eq!(legacy.detail, "down");
    assert_eq!(legacy.http_status(), 503);
    assert!(legacy.validate().is_ok());
    for c in error_codes::ALL {
        let p = ErrorBody::new(c, "x");
        assert!(p.validate().is_ok());
        assert_eq!(p.retryable, matches!(c, "rate_limited" | "unavailable"));
    }
}

#[test]
fn names_agree_with_serde() {
    for k in [
        FlowKind::Authentication,
        FlowKind::Signature,
        FlowKind::CertificateChoiceAndSignature,
    ] {
        assert_eq!(serde_json::to_string(&k).unwrap(), format!("\"{k}\""));
        assert_eq!(FlowKind::parse(k.as_str()), Some(k));
    }
    for p in [Presentation::App2App, Presentation::Qr] {
        assert_eq!(serde_json::to_string(&p).unwrap(), format!("\"{p}\""));
        assert_eq!(Presentation::parse(p.as_str()), Some(p));
    }
    assert_eq!(FlowKind::parse("Authentication"), None);
}

#[test]
fn validation() {
    assert!(validate_flow_handle("fh_0123456789abcdef").is_ok());
    assert!(validate_flow_handle("short").is_err());
    assert!(validate_flow_handle("fa20fd1e-e320-4c68-8315-f6a507a0b4a9").is_err());
    assert!(validate_flow_handle("fh 0123456789abcdef").is_err());
    assert!(validate_flow_handle("fh/0123456789abcdef").is_err());
    assert!(decode_commitment(&b64::encode_url(&[1u8; 32])).is_ok());
    assert!(decode_commitment(&b64::encode_url(&[1u8; 31])).is_err());
    assert!(identity().validate().is_ok());
    let mut bad = identity();
    bad.country = "ee".into();
    assert!(bad.validate().is_err());
    let mut bad = identity();
    bad.date_of_birth = Some("1903-13-03".into());
    assert!(bad.validate().is_err());
    let mut bad = identity();
    bad.given_name = "a\u{0}b".into();
    assert!(bad.validate().is_err());
    assert!(FlowOutcome::Failed {
        end_result: EndResult::Ok,
        interaction: None
    }
    .validate()
    .is_err());
    let sig = SignatureResult {
        document_number: "PNOEE-30303039914-MOCK-Q".into(),
        certificate_level: CertificateLevel::Qualified,
        signature_algorithm: "rsassa-pss".into(),
        signature_value: "AAEC".into(),
        certificate: None,
    };
    assert!(sig.validate().is_ok());
    assert!(SignatureResult {
        signature_value: "not base64".into(),
        ..sig.clone()
    }
    .validate()
    .is_err());
    assert!(FlowOutcome::Signed {
        signature: sig,
        app_data: None
    }
    .fits(FlowKind::CertificateChoiceAndSignature));
    assert!(!FlowOutcome::Authenticated {
        identity: identity(),
        app_data: None
    }
    .fits(FlowKind::Signature));
    let req = StartFlowRequest {
        kind: FlowKind::Authentication,
        presentation: Presentation::Qr,
        lang: "eng".into(),
        context: Some("doc-1\n".into()),
        idempotency_key: "abcdefghijklmnop".into(),
        flow_key_challenge: Some("Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0".into()),
    };
    assert!(req.validate().is_err());
}

#[test]
fn finished_poll_carries_the_outcome_once() {
    let auth = FlowOutcome::Authenticated {
        identity: identity(),
        app_data: Some("sr1.x".into()),
    };
    let first = PollFlowResponse::finished(auth.clone());
    first.validate().unwrap();
    let json = serde_json::to_string(&first).unwrap();
    assert!(
        json.starts_with(
            r#"{"status":"finished","result":"authenticated","outcome":{"result":"authenticated""#
        ),
        "{json}"
    );
    let later = PollFlowResponse::finished_delivered(&auth);
    later.validate().unwrap();
    assert_eq!(
        serde_json::to_string(&later).unwrap(),
        r#"{"status":"finished","result":"authenticated"}"#
    );
    // A failure has no personal data and is repeated in full.
    let failed = FlowOutcome::Failed {
        end_result: EndResult::UserRefused,
        interaction: None,
    };
    assert_eq!(
        serde_json::to_string(&PollFlowResponse::finished_delivered(&failed)).unwrap(),
        r#"{"status":"finished","result":"failed","outcome":{"result":"failed","endResult":"USER_REFUSED"}}"#
    );
    // The kind must fit the outcome, and a failure must carry it.
    let lying = PollFlowResponse::Finished {
        result: OutcomeKind::Signed,
        outcome: Some(auth),
    };
    assert!(lying.validate().is_err());
    let bare_failure = PollFlowResponse::Finished {
        result: OutcomeKind::Failed,
        outcome: None,
    };
    assert!(bare_failure.validate().is_err());
}

#[test]
fn contract_version_header_is_checked() {
    check_contract_version(Some("2")).unwrap();
    check_contract_version(Some(" 2 ")).unwrap();
    for bad in [None, Some("1"), Some("3"), Some(""), Some("two")] {
        let e = check_contract_version(bad).unwrap_err().to_string();
        assert!(e.contains("Sidkit-Contract"), "{e}");
    }
}

/// Issue 16 item 10: the return URL carries the callback token, the sessionSecretDigest and
/// the userChallengeVerifier; `Debug` of the completion request prints none of them.
#[test]
fn complete_request_debug_redacts_the_return_url() {
    let token = "RrKjjT4aggzu27YBddX1bQ";
    let verifier = "XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";
    let req = CompleteFlowRequest {
        flow_handle: "f".repeat(43),
        return_url: format!(
            "https://rp.example.com/cb?value={token}&sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc&userChallengeVerifier={verifier}"
        ),
    };
    for text in [format!("{req:?}"), format!("{req:#?}")] {
        assert!(!text.contains(token), "{text}");
        assert!(!text.contains(verifier), "{text}");
        assert!(!text.contains("U4CKK13H1XFiyBof"), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}
