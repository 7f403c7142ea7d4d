//! `certificateChoiceAndSignature` flows end to end over loopback: the simulated phone drives
//! `sidkit_app::Flow` against the reference backend, which makes the device-link certificate
//! choice (C2), verifies it with its callback deferred, creates the linked notification
//! signature (S5) on the chosen document, and verifies S5 with the certificate choice's return
//! URL (spec §7.2). Refusals in either session are `failed` outcomes; forged and replayed
//! completions are rejected.

mod common;

use std::time::Duration;

use common::*;
use sidkit_app::NextStep;
use sidkit_cli::http_transport::{BackendTransport, TransportError};
use sidkit_contract::{CompleteFlowRequest, FlowKind, FlowOutcome, Presentation};
use sidkit_proto::device_link::SessionType;
use sidkit_proto::models::EndResult;
use sidkit_simulator::Outcome;

const OK: &str = "PNOEE-40404040009-MOCK-Q";
const KIND: FlowKind = FlowKind::CertificateChoiceAndSignature;

fn code(r: Result<FlowOutcome, TransportError>) -> String {
    match r {
        Err(TransportError::Backend { problem, .. }) => problem.code,
        other => panic!("expected a problem, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cert_choice_and_linked_signature_app2app() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let mut steps = Vec::new();
    let (flow, run) = within(
        40,
        phone.app2app(KIND, Some("contract 42"), &mut |s| steps.push(s.to_owned())),
    )
    .await
    .unwrap();
    assert!(flow.state().is_terminal());
    assert_eq!(flow.session_type(), Some(SessionType::Cert));
    assert!(
        run.device_link.contains("sessionType=cert"),
        "{}",
        run.device_link
    );
    let url = run.return_url.as_deref().expect("the choice's callback");
    assert!(url.contains("sessionSecretDigest="), "{url}");
    let FlowOutcome::Signed {
        signature,
        app_data,
    } = &run.outcome
    else {
        panic!("{:?}", run.outcome)
    };
    assert_eq!(signature.document_number, OK);
    assert_eq!(signature.signature_algorithm, "rsassa-pss");
    let cert = signature.certificate.as_deref().unwrap();
    let der = sidkit_proto::b64::decode_std("cert", cert).unwrap();
    assert_eq!(der, stack.sim.account(OK).unwrap().sign_cert_der);
    // The session reference stands for the verified signature, once.
    let r = app_data.as_deref().unwrap();
    let redeemed = stack.backend.redeem_session_ref(r).await.unwrap().unwrap();
    assert_eq!(&redeemed, &run.outcome);
    assert!(stack.backend.redeem_session_ref(r).await.unwrap().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cert_choice_and_linked_signature_qr() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (mut flow, next) = phone.start(KIND, Presentation::Qr, None).await.unwrap();
    let NextStep::ShowQr { device_link } = next else {
        panic!()
    };
    let app = phone.smart_id_app(&device_link).await.unwrap();
    assert_eq!(app.end_result, "OK");
    assert!(app.return_url.is_none());
    let outcome = within(40, phone.poll_until_finished(&mut flow))
        .await
        .unwrap();
    let FlowOutcome::Signed { signature, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(signature.document_number, OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusal_in_certificate_choice_is_failed() {
    let stack = stack().await;
    let refuser = "PNOEE-30403039917-MOCK-Q";
    let phone = phone(&stack, refuser);
    let (_, run) = within(40, phone.app2app(KIND, None, &mut |_| {}))
        .await
        .unwrap();
    assert!(run.return_url.is_none());
    assert!(
        matches!(
            run.outcome,
            FlowOutcome::Failed {
                end_result: EndResult::UserRefused,
                ..
            }
        ),
        "{:?}",
        run.outcome
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusal_in_linked_signature_is_failed() {
    let stack = stack().await;
    let account = "PNOLT-40404040009-MOCK-Q";
    stack
        .sim
        .set_user_delay(account, Duration::from_millis(1500))
        .unwrap();
    let phone = phone(&stack, account);
    let (mut flow, device_link) = phone.launch(KIND, None).await.unwrap();
    // The user picks the certificate, then refuses the linked signature.
    let (r, url) = stack
        .sim
        .open_device_link(account, &device_link)
        .await
        .unwrap();
    assert_eq!(r.end_result, "OK");
    assert_eq!(r.callback, "deferred");
    assert!(url.is_none());
    stack
        .sim
        .set_outcome(account, Outcome::UserRefused)
        .unwrap();
    let outcome = within(40, phone.poll_until_finished(&mut flow))
        .await
        .unwrap();
    assert!(
        matches!(
            outcome,
            FlowOutcome::Failed {
                end_result: EndResult::UserRefused,
                ..
            }
        ),
        "{outcome:?}"
    );
    // No callback was opened for the refused linked signature.
    assert!(stack.sim.callbacks().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forged_and_replayed_cert_choice_completions_are_rejected() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (flow, device_link) = phone.launch(KIND, None).await.unwrap();
    let handle = flow.flow_handle().unwrap().to_owned();
    let app = within(40, phone.smart_id_app(&device_link)).await.unwrap();
    assert_eq!(app.callback, "delivered");
    let url = app.return_url.unwrap();
    let t = &phone.transport;
    let key = flow.flow_key().clone();
    let complete = |u: String| CompleteFlowRequest {
        flow_handle: handle.clone(),
        return_url: u,
    };
    let forged_token = url.replacen("value=", "value=A", 1);
    let forged_digest = {
        let i = url.find("sessionSecretDigest=").unwrap() + "sessionSecretDigest=".len();
        let mut u = url.clone();
        let c = if &u[i..i + 1] == "A" { "B" } else { "A" };
        u.replace_range(i..i + 1, c);
        u
    };
    let no_digest = url.split("&sessionSecretDigest").next().unwrap().to_owned();
    for f in [&forged_token, &forged_digest, &no_digest] {
        assert_eq!(
            code(t.complete_flow(&complete(f.clone()), &key).await),
            "callback_rejected",
            "{f}"
        );
    }
    let o1 = t.complete_flow(&complete(url.clone()), &key).await.unwrap();
    let o2 = t.complete_flow(&complete(url.clone()), &key).await.unwrap();
    assert_eq!(o1, o2, "the identical completion gets the identical answer");
    assert!(matches!(o1, FlowOutcome::Signed { .. }), "{o1:?}");
    assert_eq!(
        code(t.complete_flow(&complete(forged_digest), &key).await),
        "callback_rejected"
    );
    // The return URL of this flow does not complete another certificate-choice flow.
    let (flow2, _) = phone
        .start(KIND, Presentation::App2App, None)
        .await
        .unwrap();
    let other = CompleteFlowRequest {
        flow_handle: flow2.flow_handle().unwrap().to_owned(),
        return_url: url.clone(),
    };
    assert_eq!(
        code(t.complete_flow(&other, flow2.flow_key()).await),
        "callback_rejected"
    );
}

/// Found by the `backend_routes` fuzz target: Smart-ID answers an identical signature or
/// certificate-choice request within 15 s with the same session (RP API §2.1, which the
/// simulator emulates). A QR flow's request has no callback token to tell it apart, so two
/// users' QR certificate choices (or two QR signatures of one document) started together must
/// still get two sessions: otherwise the second user is shown the first user's session, and
/// whoever scans first picks the certificate for both flows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_qr_flows_never_share_a_smart_id_session() {
    let stack = stack().await;
    let token = |l: &str| {
        sidkit_proto::device_link::parse_device_link(l)
            .unwrap()
            .session_token
    };
    for (kind, context) in [(KIND, None), (FlowKind::Signature, Some(OK))] {
        let mut tokens = Vec::new();
        for _ in 0..2 {
            let (_, next) = phone(&stack, OK)
                .start(kind, Presentation::Qr, context)
                .await
                .unwrap();
            let NextStep::ShowQr { device_link } = next else {
                panic!()
            };
            tokens.push(token(&device_link));
        }
        assert_ne!(
            tokens[0], tokens[1],
            "two {kind} flows share one Smart-ID session"
        );
    }
}
