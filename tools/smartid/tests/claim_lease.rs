//! Crash after claim (issue 16, item 6): instance A claims a completion and dies before it
//! records the result (its store write of the claim lands, then A never comes back); the app's
//! retry reaches instance B, which shares the store. B waits out A's lease, takes the claim
//! over, reads the Smart-ID status again and finishes: the flow completes exactly once, with
//! one session reference. And A dying right after it recorded the outcome: B's answer to the
//! retry is that outcome, and its session reference can be redeemed.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use sidkit_app::{Flow, NextStep};
use sidkit_backend::{Backend, MemoryStore, SessionStore, StoreError, Versioned};
use sidkit_cli::http_transport::BackendTransport;
use sidkit_cli::phone::{now_ms, Phone};
use sidkit_cli::reference::{backend_config, start_simulator, Server, DEMO_CALLBACK_BASE};
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

    async fn remove_if_version(&self, key: &str, version: u64) -> Result<bool, StoreError> {
        self.inner.remove_if_version(key, version).await
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
    let server = common::serve(&backend, sim).await;
    (backend, server)
}

/// Two instances on one store: A's store dies after its first write of `dies_after`. Keep the
/// servers alive for the test.
struct Pair {
    dying: Arc<DiesAfterClaim>,
    b: Backend,
    phone_a: Phone,
    phone_b: Phone,
    _servers: (Server, Server),
}

const ACCOUNT: &str = "PNOEE-40404040009-MOCK-Q";

async fn pair(dies_after: &'static str) -> Pair {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let shared = Arc::new(MemoryStore::new());
    let dying = Arc::new(DiesAfterClaim {
        inner: shared.clone(),
        dies_after,
        died: AtomicBool::new(false),
    });
    let (_, server_a) = instance(&sim, dying.clone()).await;
    let (b, server_b) = instance(&sim, shared).await;
    Pair {
        dying,
        b,
        phone_a: Phone::new(&server_a.base_url(), ACCOUNT).unwrap(),
        phone_b: Phone::new(&server_b.base_url(), ACCOUNT).unwrap(),
        _servers: (server_a, server_b),
    }
}

/// An App2App authentication started on B, confirmed by the user: the flow, its return URL,
/// and the completion request, whose answer from A never comes (A dies on the way).
async fn completion_lost_on_a(p: &Pair) -> (Flow, String, CompleteFlowRequest) {
    let (flow, device_link) = p
        .phone_b
        .launch(FlowKind::Authentication, None)
        .await
        .unwrap();
    let url = p
        .phone_b
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
        p.phone_a.transport.complete_flow(&req, flow.flow_key()),
    )
    .await;
    assert!(on_a.is_err(), "instance A answered: {on_a:?}");
    assert!(p.dying.died.load(Ordering::SeqCst), "A wrote and died");
    (flow, url, req)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_whose_instance_died_is_taken_over_once() {
    let p = pair("completing").await;
    // A claims and dies: its answer never comes.
    let (mut flow, url, req) = completion_lost_on_a(&p).await;
    // The app retries (through the router, on B): B takes over after A's lease.
    let outcome = within(20, p.phone_b.deliver_return_url(&mut flow, &url))
        .await
        .unwrap();
    let FlowOutcome::Authenticated { identity, app_data } = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(identity.document_number, ACCOUNT);
    // Once: the identical completion again gets the same outcome, and there is one session
    // reference, redeemable once.
    let again = p
        .phone_b
        .transport
        .complete_flow(&req, flow.flow_key())
        .await
        .unwrap();
    assert_eq!(again, outcome);
    let r = app_data.as_deref().unwrap();
    assert!(p.b.redeem_session_ref(r).await.unwrap().is_some());
    assert!(p.b.redeem_session_ref(r).await.unwrap().is_none());
}

/// A records the outcome and dies before answering: the retry on B gets the recorded outcome
/// (the same one, not a second verification), and its session reference was stored before the
/// outcome was, so the RP's login can redeem it (before, the reference was written after the
/// record, and a crash in between handed out an outcome whose reference was unknown).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_outcome_recorded_by_an_instance_that_died_is_redeemable() {
    let p = pair("done").await;
    let (mut flow, url, _) = completion_lost_on_a(&p).await;
    let outcome = within(10, p.phone_b.deliver_return_url(&mut flow, &url))
        .await
        .unwrap();
    let FlowOutcome::Authenticated { app_data, .. } = &outcome else {
        panic!("{outcome:?}")
    };
    let r = app_data.as_deref().unwrap();
    assert!(
        p.b.redeem_session_ref(r).await.unwrap().is_some(),
        "the outcome's session reference must be redeemable"
    );
    assert!(p.b.redeem_session_ref(r).await.unwrap().is_none());
}

/// A dies while it creates a flow, holding the start's `Idempotency-Key`: the app's retry of the
/// same start on B waits out A's lease and takes the start over (before, B answered
/// `unavailable` until the entry expired with the flow time, 5 minutes), and the flow completes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_start_whose_instance_died_is_taken_over() {
    let p = pair("start").await;
    let (phone_a, phone_b, dying) = (&p.phone_a, &p.phone_b, &p.dying);
    let mut flow = Flow::new(
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
