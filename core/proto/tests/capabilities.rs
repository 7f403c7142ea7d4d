//! `capabilities` (issue 13, item 5: there was no test): every request that allows it carries
//! the list as sent, under its JSON name; an empty list, a duplicate, an empty or control
//! character entry, or too many entries are refused before anything is sent.

use sidkit_proto::env::RelyingParty;
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::HashAlgorithm;
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};

const DIGEST: &str =
    "FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==";

fn rp() -> RelyingParty {
    RelyingParty::new("00000000-0000-0000-0000-000000000000", "DEMO").unwrap()
}

fn pin(flow: InteractionFlow) -> Interactions {
    Interactions::new(
        flow,
        vec![Interaction::display_text_and_pin("Log in?").unwrap()],
    )
    .unwrap()
}

/// Each of the seven request kinds built with `caps`: its JSON, or its error.
fn all(caps: &[&str]) -> Vec<Result<serde_json::Value, String>> {
    let c: Vec<String> = caps.iter().map(|s| s.to_string()).collect();
    let json =
        |v: Result<serde_json::Value, sidkit_proto::ProtoError>| v.map_err(|e| e.to_string());
    let auth = || AuthenticationRequestBuilder::new(&rp()).capabilities(c.clone());
    let sign = || {
        SignatureRequestBuilder::new(&rp(), DIGEST, HashAlgorithm::Sha512).capabilities(c.clone())
    };
    let choice = || CertificateChoiceRequestBuilder::new(&rp()).capabilities(c.clone());
    vec![
        json(
            auth()
                .interactions(pin(InteractionFlow::DeviceLink))
                .build_device_link()
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
        json(
            auth()
                .interactions(pin(InteractionFlow::Notification))
                .build_notification()
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
        json(
            sign()
                .interactions(pin(InteractionFlow::DeviceLink))
                .build_device_link()
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
        json(
            sign()
                .interactions(pin(InteractionFlow::Notification))
                .build_notification()
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
        json(
            sign()
                .interactions(pin(InteractionFlow::LinkedNotification))
                .build_linked("10000000-0000-0000-0000-000000000001")
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
        json(
            choice()
                .build_device_link()
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
        json(
            choice()
                .build_notification()
                .map(|r| serde_json::to_value(r).unwrap()),
        ),
    ]
}

#[test]
fn every_request_carries_the_capabilities_as_given() {
    let bodies = all(&["QUALIFIED", "ADVANCED"]);
    assert_eq!(bodies.len(), 7);
    for b in bodies {
        let b = b.unwrap();
        assert_eq!(
            b["capabilities"],
            serde_json::json!(["QUALIFIED", "ADVANCED"]),
            "{b}"
        );
    }
    // Without capabilities, none is sent (Smart-ID derives them from certificateLevel).
    let plain = AuthenticationRequestBuilder::new(&rp())
        .interactions(pin(InteractionFlow::DeviceLink))
        .build_device_link()
        .unwrap();
    assert!(serde_json::to_value(plain)
        .unwrap()
        .get("capabilities")
        .is_none());
}

#[test]
fn bad_capabilities_are_refused_by_every_request() {
    let too_many: Vec<String> = (0..33).map(|i| format!("cap{i}")).collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    let long = "x".repeat(101);
    for (caps, why) in [
        (vec![], "empty list"),
        (vec!["QUALIFIED", "QUALIFIED"], "listed twice"),
        (vec![""], "printable"),
        (vec!["a\nb"], "printable"),
        (vec![long.as_str()], "printable"),
        (too_many, "at most 32"),
    ] {
        for (i, r) in all(&caps).into_iter().enumerate() {
            let e = r.unwrap_err();
            assert!(
                e.contains("capabilities") && e.contains(why),
                "{caps:?}, request {i}: {e}"
            );
        }
    }
}
