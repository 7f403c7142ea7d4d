//! Two backend instances sharing a Redis `SessionStore` complete each other's flows (the return
//! URL may reach another instance than the one that started the flow). The test starts its own
//! `redis-server` on a random loopback port (`sidkit_testpki::redis_server`); a missing
//! `redis-server` is a failure, not a skip (`scripts/bootstrap.sh` installs it).
//! `smartid serve`'s own store flags (rediss://, --store-key-file): `tests/serve_store.rs`.
#![cfg(feature = "redis-store")]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sidkit_app::NextStep;
use sidkit_backend::{RedisStore, SessionStore};
use sidkit_cli::http_transport::{BackendTransport, TransportError};
use sidkit_cli::reference::Stack;
use sidkit_contract::{
    CompleteFlowRequest, FlowKind, FlowOutcome, PollFlowRequest, PollFlowResponse, Presentation,
};
use sidkit_testpki::redis_server::RedisServer;

const OK: &str = "PNOEE-40404040009-MOCK-Q";

async fn store(redis: &RedisServer) -> Arc<dyn SessionStore> {
    Arc::new(RedisStore::connect(&redis.url(), "test:").await.unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_semantics() {
    let redis = RedisServer::start();
    let s = store(&redis).await;
    let ttl = Duration::from_secs(60);
    assert!(s.insert("k", "a", ttl).await.unwrap());
    assert!(!s.insert("k", "b", ttl).await.unwrap());
    let v = s.get("k").await.unwrap().unwrap();
    assert_eq!((v.version, v.value.as_str()), (1, "a"));
    assert!(s.replace("k", 1, "c", ttl).await.unwrap());
    assert!(!s.replace("k", 1, "d", ttl).await.unwrap());
    assert_eq!(s.get("k").await.unwrap().unwrap().version, 2);
    assert_eq!(s.take("k").await.unwrap().unwrap().as_str(), "c");
    assert!(s.take("k").await.unwrap().is_none());
    assert!(!s.replace("k", 2, "e", ttl).await.unwrap());
    assert!(s.insert("x", "y", Duration::from_millis(50)).await.unwrap());
    tokio::time::sleep(Duration::from_millis(120)).await;
    assert!(s.get("x").await.unwrap().is_none());
    s.remove("nothing").await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_complete_each_others_flows() {
    let redis = RedisServer::start();
    let a = Stack::start(0, 0, Some(store(&redis).await)).await.unwrap();
    let b = Stack::on(a.sim.clone(), 0, Some(store(&redis).await))
        .await
        .unwrap();
    let phone_a = phone(&a, OK);
    let phone_b = phone(&b, OK);

    // Started on A, completed on B; repeated on A gives the same outcome.
    let (_flow, next) = phone_a
        .start(FlowKind::Authentication, Presentation::App2App, None)
        .await
        .unwrap();
    let NextStep::LaunchApp { device_link } = next else {
        panic!()
    };
    let handle = _flow.flow_handle().unwrap().to_owned();
    let url = phone_a
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    let req = CompleteFlowRequest {
        flow_handle: handle.clone(),
        return_url: url.clone(),
    };
    let key = _flow.flow_key().clone();
    let on_b = phone_b.transport.complete_flow(&req, &key).await.unwrap();
    let on_a = phone_a.transport.complete_flow(&req, &key).await.unwrap();
    assert_eq!(on_a, on_b);
    let FlowOutcome::Authenticated { app_data, .. } = &on_a else {
        panic!("{on_a:?}")
    };
    // Forged on A after B completed: rejected.
    let forged = CompleteFlowRequest {
        flow_handle: handle.clone(),
        return_url: url.replacen("value=", "value=A", 1),
    };
    match phone_a.transport.complete_flow(&forged, &key).await {
        Err(TransportError::Backend { problem, .. }) => {
            assert_eq!(problem.code, "callback_rejected")
        }
        other => panic!("{other:?}"),
    }
    // The session reference issued by B is redeemed (once) through A.
    let r = app_data.as_deref().unwrap();
    assert!(a.backend.redeem_session_ref(r).await.unwrap().is_some());
    assert!(b.backend.redeem_session_ref(r).await.unwrap().is_none());

    // The same completion raced on both instances: one claims, both answer the same.
    for _ in 0..5 {
        let (flow, next) = phone_b
            .start(FlowKind::Authentication, Presentation::App2App, None)
            .await
            .unwrap();
        let NextStep::LaunchApp { device_link } = next else {
            panic!()
        };
        let url = phone_b
            .smart_id_app(&device_link)
            .await
            .unwrap()
            .return_url
            .unwrap();
        let req = CompleteFlowRequest {
            flow_handle: flow.flow_handle().unwrap().to_owned(),
            return_url: url,
        };
        let (x, y) = tokio::join!(
            phone_a.transport.complete_flow(&req, flow.flow_key()),
            phone_b.transport.complete_flow(&req, flow.flow_key())
        );
        assert_eq!(x.unwrap(), y.unwrap());
    }

    // A QR flow started on B is polled on A.
    let (flow, next) = phone_b
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let NextStep::ShowQr { device_link } = next else {
        panic!()
    };
    phone_a.smart_id_app(&device_link).await.unwrap();
    let poll = PollFlowRequest {
        flow_handle: flow.flow_handle().unwrap().to_owned(),
    };
    let mut finished = None;
    for _ in 0..20 {
        if let PollFlowResponse::Finished { outcome, .. } = phone_a
            .transport
            .poll_flow(&poll, flow.flow_key())
            .await
            .unwrap()
        {
            finished = outcome;
            break;
        }
    }
    let outcome = finished.expect("finished with the outcome");
    assert!(matches!(outcome, FlowOutcome::Authenticated { .. }));
    // The other instance knows the outcome was delivered: the kind only.
    assert_eq!(
        phone_b
            .transport
            .poll_flow(&poll, flow.flow_key())
            .await
            .unwrap(),
        PollFlowResponse::finished_delivered(&outcome)
    );

    // An idempotent retry of a start may reach the other instance: same flow.
    let req = sidkit_contract::StartFlowRequest {
        kind: FlowKind::Authentication,
        presentation: Presentation::App2App,
        lang: "eng".into(),
        context: None,
        idempotency_key: "retry-key-0123456789".into(),
        flow_key_challenge: Some(sidkit_contract::FlowKey::generate().unwrap().challenge()),
    };
    let r1 = phone_a.transport.start_flow(&req).await.unwrap();
    let r2 = phone_b.transport.start_flow(&req).await.unwrap();
    assert_eq!(r1.flow_handle, r2.flow_handle);
    assert_eq!(r1.device_link, r2.device_link);
    a.server.shutdown().await;
    b.server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_drive_a_certificate_choice_and_signature_once() {
    let redis = RedisServer::start();
    let a = Stack::start(0, 0, Some(store(&redis).await)).await.unwrap();
    let b = Stack::on(a.sim.clone(), 0, Some(store(&redis).await))
        .await
        .unwrap();
    let phone_a = phone(&a, OK);
    let phone_b = phone(&b, OK);
    for _ in 0..3 {
        // Started on A (whose background task drives it), polled on B meanwhile (which drives
        // it too): the linked signature is created once, and the completion on B verifies it.
        let (flow, next) = phone_a
            .start(
                FlowKind::CertificateChoiceAndSignature,
                Presentation::App2App,
                None,
            )
            .await
            .unwrap();
        let NextStep::LaunchApp { device_link } = next else {
            panic!()
        };
        let handle = flow.flow_handle().unwrap().to_owned();
        let poll = PollFlowRequest {
            flow_handle: handle.clone(),
        };
        let poller = {
            let t = phone_b.transport.clone();
            let poll = poll.clone();
            let key = flow.flow_key().clone();
            tokio::spawn(async move {
                for _ in 0..10 {
                    let r = t.poll_flow(&poll, &key).await.unwrap();
                    assert!(matches!(r, PollFlowResponse::Pending { .. }), "{r:?}");
                }
            })
        };
        let app = within(40, phone_b.smart_id_app(&device_link))
            .await
            .unwrap();
        poller.await.unwrap();
        let url = app.return_url.expect("the certificate choice's callback");
        let req = CompleteFlowRequest {
            flow_handle: handle,
            return_url: url,
        };
        let on_b = phone_b
            .transport
            .complete_flow(&req, flow.flow_key())
            .await
            .unwrap();
        let on_a = phone_a
            .transport
            .complete_flow(&req, flow.flow_key())
            .await
            .unwrap();
        assert_eq!(on_a, on_b);
        let FlowOutcome::Signed { signature, .. } = &on_b else {
            panic!("{on_b:?}")
        };
        assert_eq!(signature.document_number, OK);
    }
    a.server.shutdown().await;
    b.server.shutdown().await;
}

/// Every value stored under the server's keys (the field `d` of each entry), through
/// `redis-cli`.
fn dump(redis: &RedisServer) -> Vec<String> {
    redis
        .dump()
        .into_iter()
        .flat_map(|(_, fields)| fields.into_iter().filter(|(f, _)| f == "d").map(|(_, v)| v))
        .collect()
}

/// What a flow record holds in clear: the session secret, the callback token, the flow-key
/// challenge, the identity.
const CLEAR: [&str; 5] = [
    "sessionSecret",
    "callbackToken",
    "TESTNUMBER",
    "40404040009",
    "flowKeyChallenge",
];

/// Encryption at rest (issue 16, item 5): with `EncryptedStore` over Redis a dump holds no
/// session secret, callback token, flow record or identity in clear; the same flows on a plain
/// `RedisStore` do (the control).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_redis_dump_of_an_encrypted_store_holds_nothing_in_clear() {
    for encrypted in [false, true] {
        let redis = RedisServer::start();
        let plain: Arc<dyn SessionStore> =
            Arc::new(RedisStore::connect(&redis.url(), "bank:").await.unwrap());
        let store: Arc<dyn SessionStore> = if encrypted {
            Arc::new(sidkit_backend::EncryptedStore::new(
                plain,
                sidkit_backend::EncryptionKey::generate("2026-12").unwrap(),
            ))
        } else {
            plain
        };
        let stack = Stack::start(0, 0, Some(store)).await.unwrap();
        let phone = phone(&stack, OK);
        // One completed flow (its record and session reference) and one pending one.
        authenticate(&phone, "a flow on the shared store").await;
        let _pending = phone
            .start(FlowKind::Authentication, Presentation::App2App, None)
            .await
            .unwrap();
        let values = dump(&redis);
        assert!(values.len() >= 3, "{values:?}");
        let all = values.join("\n");
        if encrypted {
            for v in &values {
                assert!(v.starts_with("sidkit-enc1:2026-12:"), "{v}");
            }
            for c in CLEAR {
                assert!(!all.contains(c), "{c} in clear in the dump");
            }
        } else {
            assert!(all.contains("sessionSecret") && all.contains("TESTNUMBER"));
        }
        stack.server.shutdown().await;
    }
}
