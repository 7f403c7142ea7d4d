//! Admission control over HTTP (issue 16, item 3): a client address spends its budget of starts
//! and gets `429 rate_limited` with `Retry-After`; an instance with as many pending flows as it
//! may keep refuses more the same way. Each refused start opens no Smart-ID session.

mod common;

use std::sync::Arc;

use common::*;
use sidkit_backend::AdmissionConfig;
use sidkit_cli::reference::{backend_with, start_simulator, Server, DEMO_CALLBACK_BASE};
use sidkit_contract::{FlowKey, FlowKind, Presentation, StartFlowRequest};

async fn server(admission: AdmissionConfig) -> (Server, Arc<sidkit_simulator::Simulator>) {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let backend = backend_with(&sim, None, DEMO_CALLBACK_BASE, admission).unwrap();
    let server = common::serve(&backend, &sim).await;
    (server, sim)
}

async fn start(base: &str, n: usize) -> reqwest::Response {
    let req = StartFlowRequest {
        kind: FlowKind::Authentication,
        presentation: Presentation::App2App,
        lang: "eng".into(),
        context: None,
        idempotency_key: format!("admission-key-{n:08}"),
        flow_key_challenge: Some(FlowKey::generate().unwrap().challenge()),
    };
    http()
        .post(format!("{base}flows"))
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&req).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_address_spends_its_budget_of_starts() {
    let (server, _sim) = server(AdmissionConfig {
        starts_per_minute: 6,
        burst: 3,
        ..AdmissionConfig::default()
    })
    .await;
    let base = server.base_url();
    for n in 0..3 {
        assert_eq!(start(&base, n).await.status(), 201, "start {n}");
    }
    let r = start(&base, 3).await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    // 6 a minute: the next token in 10 s.
    let wait: u64 = r.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((9..=10).contains(&wait), "Retry-After {wait}");
    let body = r.text().await.unwrap();
    assert!(body.contains("\"code\":\"rate_limited\""), "{body}");
    assert!(body.contains("\"retryable\":true"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_instance_keeps_at_most_its_cap_of_pending_flows() {
    let (server, _sim) = server(AdmissionConfig {
        starts_per_minute: 0,
        max_pending_flows: 2,
        ..AdmissionConfig::default()
    })
    .await;
    let base = server.base_url();
    assert_eq!(start(&base, 0).await.status(), 201);
    assert_eq!(start(&base, 1).await.status(), 201);
    let r = start(&base, 2).await;
    assert_eq!(r.status(), 429);
    assert!(r.headers().contains_key("retry-after"));
    assert!(r.text().await.unwrap().contains("rate_limited"));
    // A retry of an admitted start (same Idempotency-Key and body) is not a new flow: it still
    // gets its flow. (Its challenge differs here, so it is a conflict, not a 429.)
    assert_eq!(start(&base, 0).await.status(), 409);
}
