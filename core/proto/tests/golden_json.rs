//! Golden JSON tests: every request body built with the typed builders equals its fixture
//! (the spec's OpenAPI example where there is one, otherwise a body written from the spec's
//! field tables), field for field; optional fields are omitted, never `null`; responses parse,
//! ignoring unknown fields.

use serde_json::Value;
use sidkit_proto::env::RelyingParty;
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::*;
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};
use sidkit_proto::secret::RpChallenge;

fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Fails with a readable diff-like message, and checks that no value anywhere is `null`.
fn assert_json_eq(actual: &Value, expected: &Value, what: &str) {
    fn no_nulls(v: &Value, path: &str) {
        match v {
            Value::Null => panic!("null at {path}"),
            Value::Object(m) => m
                .iter()
                .for_each(|(k, v)| no_nulls(v, &format!("{path}/{k}"))),
            Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, v)| no_nulls(v, &format!("{path}/{i}"))),
            _ => {}
        }
    }
    no_nulls(actual, what);
    assert_eq!(
        actual,
        expected,
        "{what}:\nactual:   {}\nexpected: {}",
        serde_json::to_string(actual).unwrap(),
        serde_json::to_string(expected).unwrap()
    );
}

fn golden<T: serde::Serialize + serde::de::DeserializeOwned + PartialEq + std::fmt::Debug>(
    built: &T,
    path: &str,
) {
    let expected = fixture(path);
    let actual = serde_json::to_value(built).unwrap();
    assert_json_eq(&actual, &expected, path);
    // The fixture parses back into the same typed value.
    let parsed: T = serde_json::from_value(expected).unwrap();
    assert_eq!(&parsed, built, "{path}: parse");
}

const DOC_INTERACTIONS: &str = "W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d";
const CALLBACK: &str = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ";
const CHALLENGE: &str =
    "GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==";
const DIGEST: &str =
    "FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==";

fn doc_interactions() -> Interactions {
    Interactions::new(
        InteractionFlow::DeviceLink,
        vec![
            Interaction::confirmation_message("Longer description of the transaction context")
                .unwrap(),
            Interaction::display_text_and_pin("Short description of the transaction context")
                .unwrap(),
        ],
    )
    .unwrap()
}

fn vc_choice() -> Interactions {
    Interactions::new(
        InteractionFlow::Notification,
        vec![
            Interaction::confirmation_message_and_verification_code_choice("Confirm login")
                .unwrap(),
        ],
    )
    .unwrap()
}

#[test]
fn device_link_authentication_matches_the_openapi_example() {
    let rp = RelyingParty::demo();
    let req = AuthenticationRequestBuilder::new(&rp)
        .rp_challenge(
            RpChallenge::from_base64(
                "S480uRoCX4pAb1tWqAy8WGl/AWE1RnqaP2y5iamCDhlCyQrMTVa5d8Dh34sZ+UePHXRNKTwz7QTvsIL1ls05AQ==",
            )
            .unwrap(),
        )
        .certificate_level(CertificateLevel::Qualified)
        .interactions(doc_interactions())
        .initial_callback_url(CALLBACK)
        .share_md_client_ip_address(true)
        .build_device_link()
        .unwrap();
    assert_eq!(req.interactions.as_base64(), DOC_INTERACTIONS);
    golden(&req, "requests/device_link_authentication.json");
    let text = serde_json::to_string(&req).unwrap();
    assert!(text.contains("\"initialCallbackUrl\""));
    assert!(!text.contains("initialCallbackURL"));
    assert!(text.contains("\"relyingPartyUUID\""));
}

#[test]
fn qr_only_authentication_omits_the_callback() {
    let req = AuthenticationRequestBuilder::new(&RelyingParty::demo())
        .rp_challenge(RpChallenge::from_base64(CHALLENGE).unwrap())
        .hash_algorithm(HashAlgorithm::Sha3_256)
        .interactions(
            Interactions::new(
                InteractionFlow::DeviceLink,
                vec![Interaction::display_text_and_pin("Log in to Demo Bank").unwrap()],
            )
            .unwrap(),
        )
        .build_device_link()
        .unwrap();
    golden(&req, "requests/device_link_authentication_qr_only.json");
}

#[test]
fn notification_authentication() {
    let req = AuthenticationRequestBuilder::new(&RelyingParty::demo())
        .rp_challenge(RpChallenge::from_base64(CHALLENGE).unwrap())
        .hash_algorithm(HashAlgorithm::Sha256)
        .certificate_level(CertificateLevel::Advanced)
        .interactions(vc_choice())
        .build_notification()
        .unwrap();
    golden(&req, "requests/notification_authentication.json");
}

#[test]
fn device_link_signature() {
    let req = SignatureRequestBuilder::new(&RelyingParty::demo(), DIGEST, HashAlgorithm::Sha512)
        .certificate_level(CertificateLevel::Qscd)
        .nonce("cc23b5a2")
        .interactions(doc_interactions())
        .initial_callback_url(CALLBACK)
        .build_device_link()
        .unwrap();
    golden(&req, "requests/device_link_signature.json");
}

#[test]
fn notification_signature_with_legacy_pkcs1() {
    let req = SignatureRequestBuilder::new(
        &RelyingParty::demo(),
        "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
        HashAlgorithm::Sha256,
    )
    .legacy_pkcs1(SignatureAlgorithm::Sha256WithRsaEncryption)
    .interactions(vc_choice())
    .build_notification()
    .unwrap();
    golden(&req, "requests/notification_signature_legacy.json");
}

#[test]
fn linked_notification_signature() {
    let req = SignatureRequestBuilder::new(&RelyingParty::demo(), DIGEST, HashAlgorithm::Sha512)
        .certificate_level(CertificateLevel::Qualified)
        .interactions(doc_interactions())
        .build_linked("fa20fd1e-e320-4c68-8315-f6a507a0b4a9")
        .unwrap();
    golden(&req, "requests/linked_notification_signature.json");
}

#[test]
fn certificate_choice_and_certificate_by_document() {
    let rp = RelyingParty::demo();
    let dl = CertificateChoiceRequestBuilder::new(&rp)
        .certificate_level(CertificateLevel::Qualified)
        .nonce("1")
        .initial_callback_url(CALLBACK)
        .build_device_link()
        .unwrap();
    golden(&dl, "requests/device_link_certificate_choice.json");
    let n = CertificateChoiceRequestBuilder::new(&rp)
        .certificate_level(CertificateLevel::Advanced)
        .share_md_client_ip_address(false)
        .build_notification()
        .unwrap();
    golden(&n, "requests/notification_certificate_choice.json");
    let c = CertificateChoiceRequestBuilder::new(&rp)
        .certificate_level(CertificateLevel::Qualified)
        .build_by_document_number()
        .unwrap();
    golden(&c, "requests/certificate_by_document_number.json");
}

#[test]
fn builders_reject_what_the_api_rejects() {
    let rp = RelyingParty::demo();
    let auth = || AuthenticationRequestBuilder::new(&rp).interactions(doc_interactions());
    // QSCD is a signing level only.
    assert!(auth()
        .certificate_level(CertificateLevel::Qscd)
        .build_device_link()
        .is_err());
    // No interactions.
    assert!(AuthenticationRequestBuilder::new(&rp)
        .build_device_link()
        .is_err());
    // VC choice is not allowed in device-link flows.
    assert!(AuthenticationRequestBuilder::new(&rp)
        .interactions(vc_choice())
        .build_device_link()
        .is_err());
    // Bad callbacks.
    for cb in [
        "http://rp.example.com/cb?value=x",
        "https://rp.example.com/cb?value=x#f",
        "https://rp.example.com/cb",
        "myapp://callback?value=x",
    ] {
        assert!(
            auth().initial_callback_url(cb).build_device_link().is_err(),
            "{cb}"
        );
    }
    let long = format!("https://rp.example.com/cb?value={}", "a".repeat(1800));
    assert!(auth()
        .initial_callback_url(long)
        .build_device_link()
        .is_err());
    // Notification requests have no callback.
    assert!(auth()
        .initial_callback_url(CALLBACK)
        .build_notification()
        .is_err());
    // Digest length must match the hash; nonce 1–30.
    let sign =
        |d: &str, h| SignatureRequestBuilder::new(&rp, d, h).interactions(doc_interactions());
    assert!(sign(DIGEST, HashAlgorithm::Sha256)
        .build_device_link()
        .is_err());
    assert!(sign(DIGEST, HashAlgorithm::Sha3_512)
        .build_device_link()
        .is_ok());
    assert!(sign("AAAA", HashAlgorithm::Sha256)
        .build_device_link()
        .is_err());
    assert!(sign(DIGEST, HashAlgorithm::Sha512)
        .nonce("")
        .build_device_link()
        .is_err());
    assert!(sign(DIGEST, HashAlgorithm::Sha512)
        .nonce("x".repeat(31))
        .build_device_link()
        .is_err());
    assert!(sign(DIGEST, HashAlgorithm::Sha512)
        .build_linked("not-a-uuid")
        .is_err());
    // Legacy PKCS#1 needs a matching digest length.
    assert!(sign(DIGEST, HashAlgorithm::Sha512)
        .legacy_pkcs1(SignatureAlgorithm::Sha256WithRsaEncryption)
        .build_device_link()
        .is_err());
    // A bad relying party.
    let bad_rp = RelyingParty {
        uuid: "nope".into(),
        name: "DEMO".into(),
    };
    assert!(AuthenticationRequestBuilder::new(&bad_rp)
        .interactions(doc_interactions())
        .build_device_link()
        .is_err());
    assert!(RelyingParty::new("00000000-0000-4000-8000-000000000000", "").is_err());
}

#[test]
fn parsing_rejects_invalid_request_bodies() {
    // A server (the simulator) parses and validates incoming bodies with the same types.
    let mut v = fixture("requests/device_link_authentication.json");
    v["signatureProtocolParameters"]["rpChallenge"] = Value::from("c2hvcnQ=");
    assert!(serde_json::from_value::<DeviceLinkAuthenticationRequest>(v).is_err());
    let mut v = fixture("requests/device_link_authentication.json");
    v["signatureProtocol"] = Value::from("RAW_DIGEST_SIGNATURE");
    let parsed: DeviceLinkAuthenticationRequest = serde_json::from_value(v).unwrap();
    assert!(parsed.validate().is_err());
    let mut v = fixture("requests/device_link_authentication.json");
    v["certificateLevel"] = Value::from("SUPER");
    assert!(serde_json::from_value::<DeviceLinkAuthenticationRequest>(v).is_err());
}

#[test]
fn responses_parse_and_ignore_unknown_fields() {
    let r: DeviceLinkSessionResponse =
        serde_json::from_value(fixture("responses/device_link_session.json")).unwrap();
    r.validate().unwrap();
    assert_eq!(r.session_token, "wGIrqveE6AuGDATZKmR1mtAZ");
    assert_eq!(
        r.session_secret.digest().to_base64url(),
        "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"
    );
    assert!(!format!("{r:?}").contains("B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3"));

    let n: NotificationSessionResponse =
        serde_json::from_value(fixture("responses/notification_signature_session.json")).unwrap();
    assert_eq!(n.vc.unwrap().value, "4927");

    let c: CertificateByDocumentNumberResponse =
        serde_json::from_value(fixture("responses/certificate_ok.json")).unwrap();
    assert_eq!(c.cert.unwrap().level(), Some(CertificateLevel::Qualified));
    let c: CertificateByDocumentNumberResponse =
        serde_json::from_value(fixture("responses/certificate_unusable.json")).unwrap();
    assert!(c.cert.is_none());

    let s: SessionStatus =
        serde_json::from_value(fixture("responses/session_status_acsp_v2.json")).unwrap();
    assert_eq!(s.state, SessionState::Complete);
    assert_eq!(s.end_result(), Some(&EndResult::Ok));
    let sig = s.signature.as_ref().unwrap();
    assert_eq!(sig.flow(), Some(FlowType::Notification));
    assert_eq!(
        sig.server_random.as_deref(),
        Some("+wVP2U/SMKVkVrggDjNTXFV/")
    );
    let p = sig.signature_algorithm_parameters.as_ref().unwrap();
    assert_eq!(p.salt_length, Some(64));
    assert_eq!(p.trailer_field.as_deref(), Some("0xbc"));
    assert_eq!(
        p.mask_gen_algorithm
            .as_ref()
            .unwrap()
            .parameters
            .as_ref()
            .unwrap()
            .hash_algorithm,
        "SHA-512"
    );
    assert_eq!(s.device_ip_address.as_deref(), Some("203.0.113.34"));
    assert_eq!(
        s.ignored_properties.as_deref(),
        Some(&["someFutureProperty".to_owned()][..])
    );
    assert_eq!(
        s.interaction_used(),
        Some(sidkit_proto::interactions::InteractionType::DisplayTextAndPin)
    );

    let s: SessionStatus =
        serde_json::from_value(fixture("responses/session_status_raw_digest.json")).unwrap();
    assert_eq!(s.signature.unwrap().flow(), Some(FlowType::App2App));
    let s: SessionStatus =
        serde_json::from_value(fixture("responses/session_status_cert_choice.json")).unwrap();
    assert!(s.signature_protocol.is_none());
    assert_eq!(s.signature.unwrap().flow(), Some(FlowType::Qr));
    let s: SessionStatus =
        serde_json::from_value(fixture("responses/session_status_running.json")).unwrap();
    assert_eq!((s.state, s.result), (SessionState::Running, None));
    let s: SessionStatus =
        serde_json::from_value(fixture("responses/session_status_refused_interaction.json"))
            .unwrap();
    let r = s.result.unwrap();
    assert_eq!(r.end_result, EndResult::UserRefusedInteraction);
    assert_eq!(
        r.details.unwrap().interaction.as_deref(),
        Some("displayTextAndPIN")
    );

    let p: ProblemDetails = serde_json::from_value(fixture("responses/problem_404.json")).unwrap();
    assert_eq!(p.status, Some(404));
    assert_eq!(
        p.errors.unwrap()[0].code.as_deref(),
        Some("NO_SUITABLE_ACCOUNT_FOUND")
    );
    let p: ProblemDetails = serde_json::from_value(fixture("responses/problem_400.json")).unwrap();
    assert_eq!(
        p.errors.unwrap()[0].param_name.as_deref(),
        Some("initialCallbackUrl")
    );
}

#[test]
fn every_end_result_parses() {
    for e in EndResult::KNOWN {
        let v: EndResult = serde_json::from_value(Value::from(e.as_str())).unwrap();
        assert_eq!(&v, e);
    }
}
