//! Contract 2 against the attacks of issue 12, over real HTTP on loopback (the reference
//! backend and the simulator): an attacker holds a flow handle (from a proxy or access log),
//! a return URL, or a guessed `Idempotency-Key`, but not the flow key that only the app that
//! started the flow has. Every step of the attack is refused; the legitimate paths (network
//! retry of the completion, restore after process death) still work.

mod common;

use common::*;
use sidkit_app::{Flow, FlowSnapshot};
use sidkit_cli::http_transport::{BackendTransport, TransportError};
use sidkit_cli::phone::now_ms;
use sidkit_contract::{
    CompleteFlowRequest, FlowKey, FlowKind, FlowOutcome, PollFlowRequest, Presentation,
    StartFlowRequest, FLOW_KEY_HEADER,
};

const OK: &str = "PNOEE-40404040009-MOCK-Q";

/// Status and body of a raw request.
async fn answer(r: reqwest::RequestBuilder) -> (u16, String) {
    let r = r.send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_handle_without_the_flow_key_is_worth_nothing() {
    let stack = stack().await;
    let base = stack.server.base_url();
    let http = http();
    let phone = phone(&stack, OK);
    let (mut flow, device_link) = phone.launch(FlowKind::Authentication, None).await.unwrap();
    let handle = flow.flow_handle().unwrap().to_owned();
    let key = flow.flow_key().clone();
    let stranger = FlowKey::generate().unwrap();

    // What an unknown handle is answered with: every keyless or wrong-key request must get
    // exactly this (status and body), so that the handle reveals nothing.
    let unknown = answer(http.get(format!("{base}flows/fh_AAAAAAAAAAAAAAAAAAAAAAAA"))).await;
    assert_eq!(unknown.0, 404);
    assert!(unknown.1.contains("flow_not_found"), "{}", unknown.1);

    // The user confirms in the Smart-ID app; the attacker, who read the handle in a log,
    // tries to cancel the flow (to refuse the genuine completion), to poll it and to
    // complete it with the genuine return URL.
    let app = phone.smart_id_app(&device_link).await.unwrap();
    let url = app.return_url.unwrap();
    let body = serde_json::to_vec(&CompleteFlowRequest {
        flow_handle: handle.clone(),
        return_url: url.clone(),
    })
    .unwrap();
    for k in [None, Some(stranger.expose()), Some("not-a-key")] {
        let with = |r: reqwest::RequestBuilder| match k {
            Some(k) => r.header(FLOW_KEY_HEADER, k),
            None => r,
        };
        let tries = [
            with(http.delete(format!("{base}flows/{handle}"))),
            with(http.get(format!("{base}flows/{handle}"))),
            with(http.get(format!("{base}flows/{handle}/qr"))),
            with(
                http.post(format!("{base}flows/{handle}/complete"))
                    .header("content-type", "application/json")
                    .body(body.clone()),
            ),
        ];
        for t in tries {
            assert_eq!(answer(t).await, unknown, "key {k:?}");
        }
    }
    // A wrong `userChallengeVerifier` (with the genuine value and digest, and even the key)
    // cannot burn the flow either.
    let forged_verifier = with_other_verifier(&url);
    let t = &phone.transport;
    let refused = t
        .complete_flow(
            &CompleteFlowRequest {
                flow_handle: handle.clone(),
                return_url: forged_verifier,
            },
            &key,
        )
        .await;
    assert!(
        matches!(&refused, Err(TransportError::Backend { status: 403, problem }) if problem.code == "callback_rejected"),
        "{refused:?}"
    );

    // The app, with its key, completes the flow: the identity and the session reference.
    let outcome = phone.deliver_return_url(&mut flow, &url).await.unwrap();
    let FlowOutcome::Authenticated { identity, app_data } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(identity.document_number, OK);
    let app_data = app_data.clone().unwrap();

    // A network retry of the identical completion (same key) gets the same outcome.
    let retry = t
        .complete_flow(
            &CompleteFlowRequest {
                flow_handle: handle.clone(),
                return_url: url.clone(),
            },
            &key,
        )
        .await
        .unwrap();
    assert_eq!(retry, outcome);

    // After completion the handle alone still reads nothing: not the identity, not appData.
    for k in [None, Some(stranger.expose())] {
        let with = |r: reqwest::RequestBuilder| match k {
            Some(k) => r.header(FLOW_KEY_HEADER, k),
            None => r,
        };
        assert_eq!(
            answer(with(http.get(format!("{base}flows/{handle}")))).await,
            unknown
        );
        assert_eq!(
            answer(with(http.get(format!("{base}flows/{handle}/qr")))).await,
            unknown
        );
    }
    // Even with the key, a later read reports only how the flow ended: the identity and
    // the one-time appData went to the completion.
    let (status, later) = answer(
        http.get(format!("{base}flows/{handle}"))
            .header(FLOW_KEY_HEADER, key.expose()),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(later, r#"{"status":"finished","result":"authenticated"}"#);
    assert!(!later.contains(&app_data) && !later.contains(&identity.identifier));
    // A finished flow is not cancelled into a refusal, even with the key.
    let (status, body) = answer(
        http.delete(format!("{base}flows/{handle}"))
            .header(FLOW_KEY_HEADER, key.expose()),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("flow_finished"), "{body}");
    // The session reference is redeemed once, by the app's backend.
    assert!(stack
        .backend
        .redeem_session_ref(&app_data)
        .await
        .unwrap()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_flow_is_cancelled_only_with_its_key_and_only_while_the_session_runs() {
    let stack = stack().await;
    let base = stack.server.base_url();
    let http = http();
    let phone = phone(&stack, OK);
    // The user confirmed in the Smart-ID app; the app's own (late) cancel must not turn the
    // genuine completion into a refusal.
    let (mut flow, device_link) = phone.launch(FlowKind::Authentication, None).await.unwrap();
    let handle = flow.flow_handle().unwrap().to_owned();
    let url = phone
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    let (status, body) = answer(
        http.delete(format!("{base}flows/{handle}"))
            .header(FLOW_KEY_HEADER, flow.flow_key().expose()),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("flow_finished"), "{body}");
    let outcome = phone.deliver_return_url(&mut flow, &url).await.unwrap();
    assert!(matches!(outcome, FlowOutcome::Authenticated { .. }));

    // While the session runs, the key cancels it (and only the key).
    let (flow, _) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let handle = flow.flow_handle().unwrap().to_owned();
    let (status, _) = answer(http.delete(format!("{base}flows/{handle}"))).await;
    assert_eq!(status, 404);
    let (status, _) = answer(
        http.delete(format!("{base}flows/{handle}"))
            .header(FLOW_KEY_HEADER, flow.flow_key().expose()),
    )
    .await;
    assert_eq!(status, 204);
    let polled = phone
        .transport
        .poll_flow(
            &PollFlowRequest {
                flow_handle: handle,
            },
            flow.flow_key(),
        )
        .await;
    assert!(
        matches!(&polled, Err(TransportError::Backend { status: 404, .. })),
        "{polled:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_planted_idempotency_key_never_returns_the_victims_handle() {
    let stack = stack().await;
    let base = stack.server.base_url();
    let http = http();
    let start = |challenge: String| {
        let req = StartFlowRequest {
            kind: FlowKind::Authentication,
            presentation: Presentation::App2App,
            lang: "eng".into(),
            context: None,
            idempotency_key: "predictable-key-000000".into(),
            flow_key_challenge: Some(challenge),
        };
        http.post(format!("{base}flows"))
            .header("content-type", "application/json")
            .header("idempotency-key", req.idempotency_key.clone())
            .body(serde_json::to_vec(&req).unwrap())
    };
    let victim = FlowKey::generate().unwrap();
    let (status, first) = answer(start(victim.challenge())).await;
    assert_eq!(status, 201, "{first}");
    let handle = serde_json::from_str::<serde_json::Value>(&first).unwrap()["flowHandle"]
        .as_str()
        .unwrap()
        .to_owned();
    // The victim's own retry gets its flow again.
    let (status, again) = answer(start(victim.challenge())).await;
    assert_eq!(status, 201);
    assert!(again.contains(&handle));
    // The attacker replays the key with its own challenge: a conflict, never the handle.
    let attacker = FlowKey::generate().unwrap();
    let (status, body) = answer(start(attacker.challenge())).await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("idempotency_conflict"), "{body}");
    assert!(!body.contains(&handle), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flow_restored_after_process_death_completes_with_its_key() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (flow, device_link) = phone.launch(FlowKind::Signature, Some(OK)).await.unwrap();
    let snapshot = flow.snapshot().unwrap().encode();
    assert!(snapshot.contains(&format!(r#""flowKey":"{}""#, flow.flow_key().expose())));
    drop(flow);
    // The OS kills the app while the user signs; the return URL starts a new process.
    let url = phone
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    let snap = FlowSnapshot::decode(&snapshot).unwrap();
    let mut restored = Flow::restore(phone.config.clone(), &snap, now_ms()).unwrap();
    let outcome = phone.deliver_return_url(&mut restored, &url).await.unwrap();
    let FlowOutcome::Signed { signature, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(signature.document_number, OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_error_of_the_router_is_a_problem() {
    let stack = stack().await;
    let base = stack.server.base_url();
    let http = http();
    let problem = |r: &reqwest::Response| {
        assert_eq!(r.headers()["content-type"], "application/problem+json");
        assert_eq!(r.headers()["sidkit-contract"], "2");
    };
    // 405 with Allow.
    let r = http
        .put(format!("{base}flows/fh_AAAAAAAAAAAAAAAAAAAAAAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 405);
    problem(&r);
    let allow = r.headers()["allow"].to_str().unwrap().to_owned();
    assert!(allow.contains("GET") && allow.contains("DELETE"), "{allow}");
    assert!(r.text().await.unwrap().contains("method_not_allowed"));
    // 415: not JSON.
    let r = http
        .post(format!("{base}flows"))
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 415);
    problem(&r);
    assert!(r.text().await.unwrap().contains("unsupported_media_type"));
    // 413: over 64 KiB.
    let r = http
        .post(format!("{base}flows"))
        .header("content-type", "application/json")
        .body(vec![b' '; 70 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    problem(&r);
    assert!(r.text().await.unwrap().contains("payload_too_large"));
    // The content type: the media type exactly (case ignored, parameters allowed).
    for (ct, status) in [
        ("application/jsonx", 415),
        ("application/json-patch+json", 415),
        ("text/json", 415),
        ("Application/JSON", 400),
        ("application/json; charset=utf-8", 400),
    ] {
        let r = http
            .post(format!("{base}flows"))
            .header("content-type", ct)
            .body("{}")
            .send()
            .await
            .unwrap();
        // 400: accepted as JSON, then refused as a body without the contract's fields.
        assert_eq!(r.status(), status, "{ct}");
        problem(&r);
    }
    // A path that does not decode: 400 problem.
    let r = http
        .get(format!("{base}flows/fh_%FF%FE"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    problem(&r);
    assert!(r.text().await.unwrap().contains("bad_request"));
    // A path outside the contract: 404 problem.
    let r = http
        .get(format!("{base}nothing/here"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    problem(&r);
    assert!(r.text().await.unwrap().contains("flow_not_found"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_return_url_does_not_end_the_apps_flow_either() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (mut flow, device_link) = phone.launch(FlowKind::Authentication, None).await.unwrap();
    let url = phone
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    // A crafted URL with the genuine token but another verifier reaches the app first (the
    // router only checks its shape): the backend refuses it before the claim ...
    let forged = with_other_verifier(&url);
    let e = phone
        .deliver_return_url(&mut flow, &forged)
        .await
        .unwrap_err();
    assert!(e.to_string().contains("callback_rejected"), "{e}");
    // ... and the app's flow waits for the genuine one, which completes it.
    assert_eq!(flow.state(), sidkit_app::FlowState::AwaitingReturn, "{e:?}");
    assert_eq!(flow.state(), sidkit_app::FlowState::AwaitingReturn);
    let outcome = phone.deliver_return_url(&mut flow, &url).await.unwrap();
    assert!(
        matches!(outcome, FlowOutcome::Authenticated { .. }),
        "{outcome:?}"
    );
}
