//! Spellings of one App2App return URL end to end (issue 12, item 4): the mobile router and the
//! backend parse a return URL with the same parser (`sidkit_proto::return_url`) and recognise it
//! by the fingerprint of its canonical form. Every re-spelling of the genuine URL is either
//! refused before the flow is claimed or is the genuine URL: the first spelling to arrive does
//! not lock the genuine one out.

mod common;

use common::*;

use sidkit_cli::http_transport::{BackendTransport, TransportError};
use sidkit_cli::reference::DEMO_CALLBACK_BASE;
use sidkit_contract::{CompleteFlowRequest, FlowKind, FlowOutcome};

const OK: &str = "PNOEE-40404040009-MOCK-Q";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn re_spellings_are_the_genuine_url_or_refused_before_the_claim() {
    let stack = stack().await;
    let phone = phone(&stack, OK);
    let (mut flow, device_link) = phone.launch(FlowKind::Authentication, None).await.unwrap();
    let handle = flow.flow_handle().unwrap().to_owned();
    let url = phone
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    assert!(
        url.starts_with(&format!("{DEMO_CALLBACK_BASE}?value=")),
        "{url}"
    );
    let query = url.split_once('?').unwrap().1;
    let host = "app.sidkit.example";
    // The same URL, spelled otherwise.
    let reordered = {
        let mut params: Vec<&str> = query.split('&').collect();
        params.reverse();
        format!("{DEMO_CALLBACK_BASE}?{}", params.join("&"))
    };
    let upper_host = url.replacen(host, "APP.Sidkit.Example", 1);
    let port_443 = url.replacen(host, "app.sidkit.example:443", 1);
    // Spellings that are refused.
    let refused = [
        url.replacen("&", "&&", 1),
        format!("{url}&"),
        url.replacen('?', "?&", 1),
        format!("{url}#"),
        url.replacen("/return?", "/%72eturn?", 1),
    ];

    let t = &phone.transport;
    let key = flow.flow_key().clone();
    let complete = |u: &str| CompleteFlowRequest {
        flow_handle: handle.clone(),
        return_url: u.to_owned(),
    };
    let code = |r: Result<FlowOutcome, TransportError>| match r {
        Err(TransportError::Backend { problem, .. }) => problem.code,
        other => panic!("expected a problem, got {other:?}"),
    };
    // The refused spellings first: the backend refuses them before the claim (a fragment
    // already as a bad request), and the phone's router refuses them too.
    for r in &refused {
        let c = code(t.complete_flow(&complete(r), &key).await);
        assert!(c == "callback_rejected" || c == "bad_request", "{r}: {c}");
        assert!(phone.deliver_return_url(&mut flow, r).await.is_err(), "{r}");
    }
    // A reordered spelling arrives first (through the phone's router) and completes the flow.
    let first = phone
        .deliver_return_url(&mut flow, &reordered)
        .await
        .unwrap();
    assert!(
        matches!(first, FlowOutcome::Authenticated { .. }),
        "{first:?}"
    );
    // The genuine URL afterwards is the same URL: for the phone (the outcome it already has)
    // and for the backend (the recorded outcome of an identical completion).
    assert_eq!(
        phone.deliver_return_url(&mut flow, &url).await.unwrap(),
        first
    );
    for same in [&url, &reordered, &upper_host, &port_443] {
        assert_eq!(
            t.complete_flow(&complete(same), &key).await.unwrap(),
            first,
            "{same}"
        );
    }
    // Another URL (a different, well-formed verifier) is still another URL.
    let other_verifier = with_other_verifier(&url);
    assert_eq!(
        code(t.complete_flow(&complete(&other_verifier), &key).await),
        "callback_rejected"
    );
    assert!(phone
        .deliver_return_url(&mut flow, &other_verifier)
        .await
        .is_err());
}
