//! Crash after claim (issue 16, item 6): instance A claims a completion and dies before it
//! records the result (its store write of the claim lands, then A never comes back); the app's
//! retry reaches instance B, which shares the store. B waits out A's lease, takes the claim
//! over, reads the Smart-ID status again and finishes: the flow completes exactly once, with
//! one session reference. And A dying right after it recorded the outcome: B's answer to the
//! retry is that outcome, and its session reference can be redeemed.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use sidkit_app::NextStep;
use sidkit_backend::{Backend, MemoryStore, ServeConfig, SessionStore, StoreError, Versioned};
use sidkit_cli::http_transport::BackendTransport;
use sidkit_cli::phone::{now_ms, Phone};
use sidkit_cli::reference::{app, backend_config, start_simulator, Server, DEMO_CALLBACK_BASE};
use sidkit_contract::{CompleteFlowRequest, FlowKind, FlowOutcome, Presentation};
use zeroize::Zeroizing;

/// A store that "dies" right after it wrote a flow record of the stage `dies_after` (e.g.
/// `completing`, the claim): the write lands in the shared store, the caller never hears back
/// (as when the process is killed at that moment).
struct DiesAfterClaim {
    inner: Arc<MemoryStore>,
    dies_after: &'static str,
    died: AtomicBool,
}

#[async_trait]
impl SessionStore for DiesAfterClaim {
    async fn insert(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let r = self.inner.insert(key, value, ttl).await?;
        // The idempotency entry of a start in progress (no handle yet).
        if r && self.dies_after == "start" && value.contains(r#""handle":null"#) {
            self.died.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        Ok(r)
    }
    async fn get(&self, key: &str) -> Result<Option<Versioned>, StoreError> {
        self.inner.get(key).await
    }
    async fn replace(
        &self,
        key: &str,
        version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let r = self.inner.replace(key, version, value, ttl).await?;
        if r && value.contains(&format!(r#""s":"{}""#, self.dies_after)) {
            self.died.store(true, Ordering::SeqCst);
            std::future::pending::<()>().await;
        }
        Ok(r)
    }
    async fn take(&self, key: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        self.inner.take(key).await
    }
    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.inner.remove(key).await
    }
}

async fn instance(
    sim: &Arc<sidkit_simulator::Simulator>,
    store: Arc<dyn SessionStore>,
) -> (Backend, Server) {
    let config = backend_config(sim, DEMO_CALLBACK_BASE)
        .unwrap()
        .with_store(store)
        .with_claim_lease(Duration::from_millis(800));
    let backend = Backend::new(config).unwrap();
    let server = Server::start_with(
        app(&backend, sim.clone()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ServeConfig::default(),
    )
    .await
    .unwrap();
    (backend, server)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_instance_died_is_taken_over_once() {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let shared = Arc::new(MemoryStore::new());
    let dying = Arc::new(DiesAfterClaim {
        inner: shared.clone(),
        dies_after: "completing",
        died: AtomicBool::new(false),
    });
    let (_a, server_a) = instance(&sim, dying.clone()).await;
    let (b, server_b) = instance(&sim, shared.clone()).await;
    let account = "PNOEE-40404040009-MOCK-Q";
    let phone_a = Phone::new(&server_a.base_url(), account).unwrap();
    let phone_b = Phone::new(&server_b.base_url(), account).unwrap();

    let (mut flow, device_link) = phone_b
        .launch(FlowKind::Authentication, None)
        .await
        .unwrap();
    let url = phone_b
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    let req = CompleteFlowRequest {
        flow_handle: flow.flow_handle().unwrap().to_owned(),
        return_url: url.clone(),
    };
    // A claims and dies: its answer never comes.
    let on_a = tokio::time::timeout(
        Duration::from_secs(3),
        phone_a.transport.complete_flow(&req, flow.flow_key()),
    )
    .await;
    assert!(on_a.is_err(), "instance A answered: {on_a:?}");
    assert!(dying.died.load(Ordering::SeqCst), "A claimed the flow");
    // The app retries (through the router, on B): B takes over after A's lease.
    let outcome = within(20, phone_b.deliver_return_url(&mut flow, &url))
        .await
        .unwrap();
    let FlowOutcome::Authenticated { identity, app_data } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(identity.document_number, account);
    // Once: the identical completion again gets the same outcome, and there is one session
    // reference, redeemable once.
    let again = phone_b
        .transport
        .complete_flow(&req, flow.flow_key())
        .await
        .unwrap();
    assert_eq!(again, outcome);
    let r = app_data.as_deref().unwrap();
    assert!(b.redeem_session_ref(r).await.unwrap().is_some());
    assert!(b.redeem_session_ref(r).await.unwrap().is_none());
}

/// A records the outcome and dies before answering: the retry on B gets the recorded outcome
/// (the same one, not a second verification), and its session reference was stored before the
/// outcome was, so the RP's login can redeem it (before, the reference was written after the
/// record, and a crash in between handed out an outcome whose reference was unknown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_recorded_by_an_instance_that_died_is_redeemable() {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let shared = Arc::new(MemoryStore::new());
    let dying = Arc::new(DiesAfterClaim {
        inner: shared.clone(),
        dies_after: "done",
        died: AtomicBool::new(false),
    });
    let (_a, server_a) = instance(&sim, dying.clone()).await;
    let (b, server_b) = instance(&sim, shared.clone()).await;
    let account = "PNOEE-40404040009-MOCK-Q";
    let phone_a = Phone::new(&server_a.base_url(), account).unwrap();
    let phone_b = Phone::new(&server_b.base_url(), account).unwrap();
    let (mut flow, device_link) = phone_b
        .launch(FlowKind::Authentication, None)
        .await
        .unwrap();
    let url = phone_b
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    let req = CompleteFlowRequest {
        flow_handle: flow.flow_handle().unwrap().to_owned(),
        return_url: url.clone(),
    };
    let on_a = tokio::time::timeout(
        Duration::from_secs(3),
        phone_a.transport.complete_flow(&req, flow.flow_key()),
    )
    .await;
    assert!(on_a.is_err(), "instance A answered: {on_a:?}");
    assert!(dying.died.load(Ordering::SeqCst), "A recorded the outcome");
    let outcome = within(10, phone_b.deliver_return_url(&mut flow, &url))
        .await
        .unwrap();
    let FlowOutcome::Authenticated { app_data, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    let r = app_data.as_deref().unwrap();
    assert!(
        b.redeem_session_ref(r).await.unwrap().is_some(),
        "the outcome's session reference must be redeemable"
    );
    assert!(b.redeem_session_ref(r).await.unwrap().is_none());
}

/// A dies while it creates a flow, holding the start's `Idempotency-Key`: the app's retry of the
/// same start on B waits out A's lease and takes the start over (before, B answered
/// `unavailable` until the entry expired with the flow time, 5 minutes), and the flow completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_whose_instance_died_is_taken_over() {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let shared = Arc::new(MemoryStore::new());
    let dying = Arc::new(DiesAfterClaim {
        inner: shared.clone(),
        dies_after: "start",
        died: AtomicBool::new(false),
    });
    let (_a, server_a) = instance(&sim, dying.clone()).await;
    let (_b, server_b) = instance(&sim, shared.clone()).await;
    let account = "PNOEE-40404040009-MOCK-Q";
    let phone_a = Phone::new(&server_a.base_url(), account).unwrap();
    let phone_b = Phone::new(&server_b.base_url(), account).unwrap();
    let mut flow = sidkit_app::Flow::new(
        phone_b.config.clone(),
        sidkit_app::FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
        now_ms(),
    )
    .unwrap();
    let req = flow.begin_start(now_ms()).unwrap();
    let on_a = tokio::time::timeout(
        Duration::from_millis(200),
        phone_a.transport.start_flow(&req),
    )
    .await;
    assert!(on_a.is_err(), "instance A answered: {on_a:?}");
    assert!(dying.died.load(Ordering::SeqCst), "A held the start");
    // The retry (same idempotency key) on B: unavailable while A's lease holds, then B's flow.
    let first = phone_b.transport.start_flow(&req).await;
    let Err(e) = &first else {
        panic!("B took the start over within A's lease: {first:?}")
    };
    assert!(e.is_retryable(), "{e}");
    tokio::time::sleep(Duration::from_millis(900)).await;
    let resp = phone_b.transport.start_flow(&req).await.unwrap();
    flow.on_start_error(true, "retry");
    let req2 = flow.begin_start(now_ms()).unwrap();
    assert_eq!(req2.idempotency_key, req.idempotency_key);
    let NextStep::LaunchApp { device_link } =
        flow.on_start_response(resp.clone(), now_ms()).unwrap()
    else {
        panic!()
    };
    // Another retry gets the same flow.
    let again = phone_b.transport.start_flow(&req).await.unwrap();
    assert_eq!(again.flow_handle, resp.flow_handle);
    flow.mark_launched(now_ms()).unwrap();
    let url = phone_b
        .smart_id_app(&device_link)
        .await
        .unwrap()
        .return_url
        .unwrap();
    let outcome = within(10, phone_b.deliver_return_url(&mut flow, &url))
        .await
        .unwrap();
    assert!(
        matches!(outcome, FlowOutcome::Authenticated { .. }),
        "{outcome:?}"
    );
}
