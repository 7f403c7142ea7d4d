//! The app ↔ backend contract end to end over loopback: the simulated phone drives
//! `sidkit_app::Flow` with the Rust HTTP transport against the reference backend (the backend
//! kit and the simulator), for every scripted outcome of the simulator, plus the contract's
//! error bodies, idempotency, cancellation, replayed and forged completions.

mod common;

use common::*;
use sidkit_app::{NextStep, PollDisposition, PollProgress};
use sidkit_cli::http_transport::BackendTransport;
use sidkit_contract::{
    CompleteFlowRequest, ErrorBody, FlowKey, FlowKind, FlowOutcome, PollFlowRequest, Presentation,
    StartFlowRequest, StartFlowResponse, CONTRACT_VERSION_HEADER, FLOW_KEY_HEADER, PROBLEM_JSON,
};
use sidkit_proto::models::EndResult;
use sidkit_proto::session_end::RefusedInteraction;

const OK: &str = "PNOEE-40404040009-MOCK-Q";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_simulator_outcome_app2app() {
    let stack = stack().await;
    let cases: &[(&str, Option<EndResult>)] = &[
        ("PNOEE-40404040009-MOCK-Q", None),
        ("PNOLT-40404040009-MOCK-Q", None),
        ("PNOLV-040404-10003-DEMO-Q", None),
        ("PNOBE-04040400287-MOCK-Q", None),
        ("PNOEE-61101019999-MOCK-Q", None),
        ("PNOEE-30403039917-MOCK-Q", Some(EndResult::UserRefused)),
        (
            "PNOEE-30403039928-MOCK-Q",
            Some(EndResult::UserRefusedInteraction),
        ),
        ("PNOEE-30403039972-MOCK-Q", Some(EndResult::WrongVc)),
        ("PNOEE-30403039983-MOCK-Q", Some(EndResult::Timeout)),
        (
            "PNOEE-30505050001-SIM1-Q",
            Some(EndResult::DocumentUnusable),
        ),
        (
            "PNOEE-30505050012-SIM2-Q",
            Some(EndResult::RequiredInteractionNotSupportedByApp),
        ),
        ("PNOEE-30505050023-SIM3-Q", Some(EndResult::ProtocolFailure)),
        ("PNOEE-30505050034-SIM4-Q", Some(EndResult::ServerError)),
    ];
    for (account, expected) in cases {
        let phone = phone(&stack, account);
        let (flow, run) = within(
            30,
            phone.app2app(FlowKind::Authentication, None, &mut |_| {}),
        )
        .await
        .unwrap_or_else(|e| panic!("{account}: {e}"));
        assert!(flow.state().is_terminal(), "{account}");
        match (expected, &run.outcome) {
            (None, FlowOutcome::Authenticated { identity, app_data }) => {
                assert_eq!(identity.document_number, *account);
                assert!(app_data.as_deref().unwrap().starts_with("sr1."));
                assert!(run.return_url.is_some());
            }
            (Some(e), FlowOutcome::Failed { end_result, .. }) => {
                assert_eq!(end_result, e, "{account}");
                // The interaction refusal reaches the app typed (the simulator's account
                // refuses the PIN screen: the only interaction of a device-link login).
                assert_eq!(
                    run.outcome.refused_interaction(),
                    (*e == EndResult::UserRefusedInteraction)
                        .then_some(RefusedInteraction::DisplayTextAndPin),
                    "{account}"
                );
                assert!(
                    run.return_url.is_none(),
                    "{account}: no callback after a failure"
                );
            }
            (e, o) => panic!("{account}: expected {e:?}, got {o:?}"),
        }
    }
    // The advanced-only account cannot satisfy the default QUALIFIED level.
    let phone = phone(&stack, "PNOEE-40404049996-MOCK-NQ");
    let err = phone
        .app2app(FlowKind::Authentication, None, &mut |_| {})
        .await
        .unwrap_err();
    assert!(err.to_string().contains("certificateLevel"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signature_app2app_and_qr_flows() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (_, run) = within(
        30,
        phone.app2app(FlowKind::Signature, Some(OK), &mut |_| {}),
    )
    .await
    .unwrap();
    let FlowOutcome::Signed { signature, .. } = &run.outcome else {
        panic!("{:?}", run.outcome)
    };
    assert_eq!(signature.document_number, OK);
    assert_eq!(signature.signature_algorithm, "rsassa-pss");
    assert!(signature.certificate.is_some());

    // QR authentication: fresh links by polling, then the scan, then the outcome by polling.
    let (mut flow, next) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let NextStep::ShowQr { device_link } = next else {
        panic!()
    };
    let PollDisposition::Send(req) = flow.begin_poll(sidkit_cli::phone::now_ms()).unwrap() else {
        panic!()
    };
    let resp = phone
        .transport
        .poll_flow(&req, flow.flow_key())
        .await
        .unwrap();
    let PollProgress::Waiting { device_link: link2 } = flow.on_poll_response(resp).unwrap() else {
        panic!()
    };
    assert!(link2.contains("elapsedSeconds=1") || link2.contains("elapsedSeconds=2"));
    assert_ne!(device_link, link2);
    let app = phone.smart_id_app(&link2).await.unwrap();
    assert_eq!(app.end_result, "OK");
    assert!(app.return_url.is_none());
    let outcome = within(30, phone.poll_until_finished(&mut flow))
        .await
        .unwrap();
    assert!(matches!(outcome, FlowOutcome::Authenticated { .. }));
    // A repeated poll of the finished QR flow says how it ended, without the identity: the
    // outcome went to the poll that finished the flow (contract 2: delivered once).
    let again = phone
        .transport
        .poll_flow(
            &PollFlowRequest {
                flow_handle: flow.flow_handle().unwrap().to_owned(),
            },
            flow.flow_key(),
        )
        .await
        .unwrap();
    assert_eq!(
        again,
        sidkit_contract::PollFlowResponse::finished_delivered(&outcome)
    );
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        r#"{"status":"finished","result":"authenticated"}"#
    );

    // QR signature with a refusing user.
    let refuser = "PNOEE-30403039917-MOCK-Q";
    let phone = common::phone(&stack, refuser);
    let (mut flow, next) = phone
        .start(FlowKind::Signature, Presentation::Qr, Some(refuser))
        .await
        .unwrap();
    let NextStep::ShowQr { device_link } = next else {
        panic!()
    };
    phone.smart_id_app(&device_link).await.unwrap();
    let outcome = within(30, phone.poll_until_finished(&mut flow))
        .await
        .unwrap();
    assert!(matches!(
        outcome,
        FlowOutcome::Failed {
            end_result: EndResult::UserRefused,
            ..
        }
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replayed_and_forged_completions_are_rejected() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (mut flow, device_link) = phone.launch(FlowKind::Authentication, None).await.unwrap();
    let handle = flow.flow_handle().unwrap().to_owned();
    let app = phone.smart_id_app(&device_link).await.unwrap();
    let url = app.return_url.unwrap();
    let t = &phone.transport;
    let key = flow.flow_key().clone();
    let complete = |u: String| CompleteFlowRequest {
        flow_handle: handle.clone(),
        return_url: u,
    };
    let code = |r: Result<FlowOutcome, sidkit_cli::http_transport::TransportError>| match r {
        Err(sidkit_cli::http_transport::TransportError::Backend { problem, .. }) => problem.code,
        other => panic!("expected a problem, got {other:?}"),
    };
    // Forgeries first: none of them may burn the flow.
    let forged_token = url.replacen("value=", "value=A", 1);
    let forged_digest = {
        let i = url.find("sessionSecretDigest=").unwrap() + "sessionSecretDigest=".len();
        let mut u = url.clone();
        let c = if &u[i..i + 1] == "A" { "B" } else { "A" };
        u.replace_range(i..i + 1, c);
        u
    };
    let no_digest = url.split("&sessionSecretDigest").next().unwrap().to_owned();
    let foreign = url.replace("app.sidkit.example", "evil.example");
    // The genuine `value` and digest with a wrong (well-formed) verifier: refused before the
    // claim, by SHA-256(verifier) against the session's userChallenge.
    let forged_verifier = with_other_verifier(&url);
    for f in [
        &forged_token,
        &forged_digest,
        &no_digest,
        &foreign,
        &forged_verifier,
        &forged_verifier,
    ] {
        assert_eq!(
            code(t.complete_flow(&complete(f.clone()), &key).await),
            "callback_rejected",
            "{f}"
        );
    }
    // The real one succeeds, and again with the same answer (idempotent).
    let o1 = t.complete_flow(&complete(url.clone()), &key).await.unwrap();
    let o2 = t.complete_flow(&complete(url.clone()), &key).await.unwrap();
    assert_eq!(o1, o2);
    let FlowOutcome::Authenticated { app_data, .. } = &o1 else {
        panic!()
    };
    // After success: different URLs are rejected, a cancellation (even with the key) is
    // refused as finished, and the identical completion still gets the same outcome.
    assert_eq!(
        code(t.complete_flow(&complete(forged_digest), &key).await),
        "callback_rejected"
    );
    let cancelled = t
        .cancel_flow(
            &sidkit_contract::CancelFlowRequest {
                flow_handle: handle.clone(),
            },
            &key,
        )
        .await;
    assert!(
        matches!(&cancelled, Err(sidkit_cli::http_transport::TransportError::Backend { status: 409, problem }) if problem.code == "flow_finished"),
        "{cancelled:?}"
    );
    assert_eq!(
        t.complete_flow(&complete(url.clone()), &key).await.unwrap(),
        o1
    );
    // The session reference is redeemable exactly once.
    let r = app_data.as_deref().unwrap();
    assert!(stack.backend.redeem_session_ref(r).await.unwrap().is_some());
    assert!(stack.backend.redeem_session_ref(r).await.unwrap().is_none());
    // The return URL of this flow does not complete another flow.
    let (flow2, _) = phone
        .start(FlowKind::Authentication, Presentation::App2App, None)
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
    // The mobile router itself refuses a different URL for a finished flow.
    assert!(phone
        .deliver_return_url(&mut flow, &url.replacen("value=", "value=A", 1))
        .await
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn problem_details_idempotency_and_cancel() {
    let stack = stack().await;
    let base = stack.server.base_url();
    let http = http();
    // A malformed body: 400 problem+json with the contract header.
    let r = http
        .post(format!("{base}flows"))
        .header("content-type", "application/json")
        .body("{\"kind\":\"authentication\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()[CONTRACT_VERSION_HEADER], "2");
    assert_eq!(r.headers()["content-type"], PROBLEM_JSON);
    let p: ErrorBody = json(r).await;
    assert_eq!(p.code, "bad_request");
    assert_eq!(p.problem_type, "urn:sidkit:problem:bad_request");
    assert_eq!(p.status, Some(400));
    assert!(!p.retryable);
    // Unknown handle: 404 flow_not_found.
    let r = http
        .get(format!("{base}flows/fh_AAAAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(json::<ErrorBody>(r).await.code, "flow_not_found");

    // A contract-1 start (no flowKeyChallenge): 400 contract_version, naming version 2.
    let r = http
        .post(format!("{base}flows"))
        .header("content-type", "application/json")
        .body(r#"{"kind":"authentication","presentation":"app2app","lang":"eng","idempotencyKey":"idem-key-v1-0123456789"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let p: ErrorBody = json(r).await;
    assert_eq!(p.code, "contract_version");
    assert!(p.detail.contains("contract 2"), "{}", p.detail);

    // Idempotent start: the same key, body and flow-key challenge give the same flow; another
    // body conflicts, and so does the same body with another challenge.
    let key = FlowKey::generate().unwrap();
    let req = StartFlowRequest {
        kind: FlowKind::Authentication,
        presentation: Presentation::App2App,
        lang: "eng".into(),
        context: None,
        idempotency_key: "idem-key-0123456789".into(),
        flow_key_challenge: Some(key.challenge()),
    };
    let start = |req: StartFlowRequest| {
        let http = http.clone();
        let base = base.clone();
        async move {
            http.post(format!("{base}flows"))
                .header("content-type", "application/json")
                .header("idempotency-key", req.idempotency_key.clone())
                .body(serde_json::to_vec(&req).unwrap())
                .send()
                .await
                .unwrap()
        }
    };
    let r1 = start(req.clone()).await;
    assert_eq!(r1.status(), 201);
    let a: StartFlowResponse = json(r1).await;
    let b: StartFlowResponse = json(start(req.clone()).await).await;
    assert_eq!(a.flow_handle, b.flow_handle);
    assert_eq!(a.device_link, b.device_link);
    assert_eq!(a.callback_commitment, b.callback_commitment);
    let mut other = req.clone();
    other.presentation = Presentation::Qr;
    let r = start(other).await;
    assert_eq!(r.status(), 409);
    assert_eq!(json::<ErrorBody>(r).await.code, "idempotency_conflict");
    let mut planted = req.clone();
    planted.flow_key_challenge = Some(FlowKey::generate().unwrap().challenge());
    let r = start(planted).await;
    assert_eq!(r.status(), 409);
    let body = r.text().await.unwrap();
    assert!(body.contains("idempotency_conflict"), "{body}");
    assert!(!body.contains(&a.flow_handle), "{body}");
    // Nothing secret in the start answer.
    let json = serde_json::to_string(&a).unwrap();
    for secret in [
        "sessionSecret",
        "sessionID",
        "rpChallenge",
        "initialCallbackUrl",
    ] {
        assert!(!json.contains(secret), "{json}");
    }
    assert!(a.flow_handle.starts_with("fh_") && a.flow_handle.len() >= 27);

    // Cancel needs the key; then the flow's return URL is refused.
    let phone = phone(&stack, OK);
    let r = http
        .delete(format!("{base}flows/{}", a.flow_handle))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = http
        .delete(format!("{base}flows/{}", a.flow_handle))
        .header(FLOW_KEY_HEADER, key.expose())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 204);
    let app = phone.smart_id_app(&a.device_link).await.unwrap();
    let err = phone
        .transport
        .complete_flow(
            &CompleteFlowRequest {
                flow_handle: a.flow_handle.clone(),
                return_url: app.return_url.unwrap(),
            },
            &key,
        )
        .await
        .unwrap_err();
    assert!(err.to_string().contains("flow_not_found"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_server_sent_events() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (flow, _) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let base = stack.server.base_url();
    // Without the flow key the stream is an unknown flow.
    let r = http()
        .get(format!("{base}flows/{}/qr", flow.flow_handle().unwrap()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let mut resp = http()
        .get(format!("{base}flows/{}/qr", flow.flow_handle().unwrap()))
        .header(FLOW_KEY_HEADER, flow.flow_key().expose())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let mut text = String::new();
    let mut links = Vec::new();
    let mut scanned = false;
    within(30, async {
        while let Some(chunk) = resp.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = text.find("\n\n") {
                let event: String = text.drain(..end + 2).collect();
                if event.contains("event: pending") {
                    let data = event.split("data: ").nth(1).unwrap().trim();
                    let v: serde_json::Value = serde_json::from_str(data).unwrap();
                    let link = v["deviceLink"].as_str().unwrap().to_owned();
                    links.push(link.clone());
                    if links.len() == 2 && !scanned {
                        scanned = true;
                        phone.smart_id_app(&link).await.unwrap();
                    }
                } else {
                    assert!(event.contains("event: finished"), "{event}");
                    assert!(event.contains("\"result\":\"authenticated\""), "{event}");
                    // The stream's first finished event carries the identity (this reader
                    // finished the flow).
                    assert!(event.contains("\"identity\""), "{event}");
                    return;
                }
            }
        }
        panic!("stream ended without a finished event");
    })
    .await;
    assert!(links.len() >= 2);
    assert_ne!(links[0], links[1], "a fresh link every second");
    // Unknown flow: a plain problem response.
    let r = http()
        .get(format!("{base}flows/fh_AAAAAAAAAAAAAAAAAAAAAAAA/qr"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
