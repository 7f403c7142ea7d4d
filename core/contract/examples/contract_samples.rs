//! Prints one JSON sample of every contract message with every optional field set, one per
//! line as `<SchemaName> <json>`. `tests/openapi/run.sh` checks that each field appears in
//! `docs/openapi.yaml`.

use sidkit_contract::{
    error_codes, CompleteFlowRequest, ErrorBody, FlowKind, FlowOutcome, Identity, PollFlowResponse,
    Presentation, SignatureResult, StartFlowRequest, StartFlowResponse,
};
use sidkit_proto::device_link::SessionType;
use sidkit_proto::models::{CertificateLevel, EndResult};

fn line<T: serde::Serialize>(name: &str, v: &T) {
    println!("{name} {}", serde_json::to_string(v).expect("serializable"));
}

fn main() {
    line(
        "StartFlowRequest",
        &StartFlowRequest {
            kind: FlowKind::Authentication,
            presentation: Presentation::App2App,
            lang: "eng".into(),
            context: Some("doc-1".into()),
            idempotency_key: "k0123456789abcdef".into(),
            flow_key_challenge: Some("Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0".into()),
        },
    );
    line(
        "StartFlowResponse",
        &StartFlowResponse {
            flow_handle: "fh_0123456789abcdef".into(),
            session_type: SessionType::Auth,
            device_link: "https://sid.demo.sk.ee/device-link?x=1".into(),
            callback_base: Some("https://app.example/cb".into()),
            callback_commitment: Some("A".repeat(43)),
            expires_in_ms: 1000,
        },
    );
    line(
        "CompleteFlowRequest",
        &CompleteFlowRequest {
            flow_handle: "fh_0123456789abcdef".into(),
            return_url: "https://app.example/cb?value=x".into(),
        },
    );
    let identity = Identity {
        given_name: "A".into(),
        surname: "B".into(),
        identifier: "PNOEE-40404040009".into(),
        country: "EE".into(),
        document_number: "PNOEE-40404040009-MOCK-Q".into(),
        certificate_level: CertificateLevel::Qualified,
        date_of_birth: Some("1904-04-04".into()),
    };
    let authenticated = FlowOutcome::Authenticated {
        identity,
        app_data: Some("sr1.x".into()),
    };
    line("Authenticated", &authenticated);
    line(
        "Signed",
        &FlowOutcome::Signed {
            signature: SignatureResult {
                document_number: "PNOEE-40404040009-MOCK-Q".into(),
                certificate_level: CertificateLevel::Qualified,
                signature_algorithm: "rsassa-pss".into(),
                signature_value: "AAEC".into(),
                certificate: Some("AAEC".into()),
            },
            app_data: Some("sr1.x".into()),
        },
    );
    line(
        "Failed",
        &FlowOutcome::Failed {
            end_result: EndResult::UserRefusedInteraction,
            interaction: Some("displayTextAndPIN".into()),
        },
    );
    line(
        "PollPending",
        &PollFlowResponse::Pending {
            device_link: Some("https://sid.demo.sk.ee/device-link?x=1".into()),
        },
    );
    line("PollFinished", &PollFlowResponse::finished(authenticated));
    for code in error_codes::ALL {
        line("Problem", &ErrorBody::new(code, "detail"));
    }
}
