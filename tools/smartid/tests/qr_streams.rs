//! QR event streams under limits (issue 16, item 2): only QR flows have a stream, one per flow
//! (a newer stream replaces the older one), a cap per instance answered `429` with
//! `Retry-After`, and concurrent status requests for one flow share one upstream Smart-ID call.

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::*;
use sidkit_backend::AdmissionConfig;
use sidkit_cli::reference::{backend_with, start_simulator, Server, DEMO_CALLBACK_BASE};
use sidkit_contract::{FlowKind, Presentation, FLOW_KEY_HEADER};

async fn server(max_qr_streams: usize) -> (Server, Arc<sidkit_simulator::Simulator>) {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let admission = AdmissionConfig {
        starts_per_minute: 0,
        max_qr_streams,
        ..AdmissionConfig::default()
    };
    let backend = backend_with(&sim, None, DEMO_CALLBACK_BASE, admission).unwrap();
    let server = common::serve(&backend, &sim).await;
    (server, sim)
}

/// A server admitting 16 streams, and a QR authentication started on it.
async fn qr_flow() -> (Server, Arc<sidkit_simulator::Simulator>, sidkit_app::Flow) {
    let (server, sim) = server(16).await;
    let phone =
        sidkit_cli::phone::Phone::new(&server.base_url(), "PNOEE-40404040009-MOCK-Q").unwrap();
    let (q, _) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    (server, sim, q)
}

/// `GET /flows/{handle}/qr` with the flow's key: the answer, whatever its status.
async fn open_stream(base: &str, handle: &str, key: &str) -> reqwest::Response {
    http()
        .get(format!("{base}flows/{handle}/qr"))
        .header(FLOW_KEY_HEADER, key)
        .send()
        .await
        .unwrap()
}

/// Reads the stream until it ends or `within` passes; the events seen and whether it ended.
async fn read_events(r: &mut reqwest::Response, within: Duration) -> (usize, bool) {
    let mut events = 0;
    let read = async {
        while let Ok(Some(chunk)) = r.chunk().await {
            events += String::from_utf8_lossy(&chunk).matches("\n\n").count();
        }
    };
    let ended = tokio::time::timeout(within, read).await.is_ok();
    (events, ended)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_stream_per_qr_flow_and_a_cap_per_instance() {
    let (server, _sim) = server(2).await;
    let base = server.base_url();
    let phone = sidkit_cli::phone::Phone::new(&base, "PNOEE-40404040009-MOCK-Q").unwrap();
    let stream = |handle: String, key: String| {
        let base = base.clone();
        async move { open_stream(&base, &handle, &key).await }
    };
    // An App2App flow has no stream.
    let (a2a, _) = phone
        .start(FlowKind::Authentication, Presentation::App2App, None)
        .await
        .unwrap();
    let r = stream(
        a2a.flow_handle().unwrap().into(),
        a2a.flow_key().expose().into(),
    )
    .await;
    assert_eq!(r.status(), 400);
    assert!(r.text().await.unwrap().contains("no QR stream"));

    // A second stream of the same QR flow replaces the first, which ends.
    let (q1, _) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let (h1, k1) = (
        q1.flow_handle().unwrap().to_owned(),
        q1.flow_key().expose().to_owned(),
    );
    let mut first = stream(h1.clone(), k1.clone()).await;
    assert_eq!(first.status(), 200);
    let mut second = stream(h1.clone(), k1.clone()).await;
    assert_eq!(second.status(), 200);
    let (_, ended) = read_events(&mut first, Duration::from_secs(5)).await;
    assert!(ended, "the replaced stream ends");
    let (events, ended) = read_events(&mut second, Duration::from_millis(2500)).await;
    assert!(
        !ended && events >= 1,
        "the newer stream goes on ({events} events)"
    );

    // The cap: a second flow's stream is the second open stream; a third flow's is refused.
    let (q2, _) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let _s2 = stream(
        q2.flow_handle().unwrap().into(),
        q2.flow_key().expose().into(),
    )
    .await;
    let (q3, _) = phone
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let r = stream(
        q3.flow_handle().unwrap().into(),
        q3.flow_key().expose().into(),
    )
    .await;
    assert_eq!(r.status(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert!(r.text().await.unwrap().contains("rate_limited"));
    // Reopening the current flow's stream is a replacement, not one more.
    let again = stream(h1, k1).await;
    assert_eq!(again.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_polls_of_a_flow_share_one_upstream_call() {
    let (server, sim, q) = qr_flow().await;
    let base = server.base_url();
    let url = format!("{base}flows/{}", q.flow_handle().unwrap());
    let key = q.flow_key().expose().to_owned();
    let before = sim.total_status_requests();
    let mut set = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (url, key) = (url.clone(), key.clone());
        set.spawn(async move {
            http()
                .get(url)
                .header(FLOW_KEY_HEADER, key)
                .send()
                .await
                .unwrap()
                .status()
        });
    }
    for s in set.join_all().await {
        assert_eq!(s, 200);
    }
    let upstream = sim.total_status_requests() - before;
    println!("20 concurrent polls of one flow: {upstream} upstream status calls");
    // The polls arrive within a few milliseconds, each long poll lasts a second: they share.
    assert!(
        upstream <= 3,
        "{upstream} upstream calls for 20 concurrent polls"
    );
}

/// The QR link goes on changing every second while the upstream status call is slow (issue 16:
/// the link tick is decoupled from the status long poll): with every status call delayed by
/// 3 s, a stream still sends a `pending` event with a new link each second.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn qr_links_tick_every_second_while_status_calls_are_slow() {
    use sidkit_simulator::{Fault, FaultScope};
    let (server, sim, q) = qr_flow().await;
    let base = server.base_url();
    sim.inject_fault(
        Fault::delay(Duration::from_secs(3))
            .on(FaultScope::SessionStatus)
            .times(100),
    );
    let mut r = open_stream(&base, q.flow_handle().unwrap(), q.flow_key().expose()).await;
    assert_eq!(r.status(), 200);
    let mut body = String::new();
    let read = async {
        while let Ok(Some(chunk)) = r.chunk().await {
            body.push_str(&String::from_utf8_lossy(&chunk));
        }
    };
    let _ = tokio::time::timeout(Duration::from_millis(4500), read).await;
    let links: Vec<&str> = body
        .split("\n\n")
        .filter(|e| e.contains("event: pending"))
        .filter_map(|e| e.split("\"deviceLink\":\"").nth(1))
        .filter_map(|l| l.split('"').next())
        .collect();
    let mut distinct = links.clone();
    distinct.dedup();
    println!(
        "{} pending events, {} distinct links in 4.5 s with 3 s status calls",
        links.len(),
        distinct.len()
    );
    assert!(
        links.len() >= 4 && distinct.len() >= 4,
        "the link must tick every second: {links:?}"
    );
    assert!(!body.contains("event: finished") && !body.contains("event: problem"));
    sim.clear_faults();
}

/// An open QR stream costs Smart-ID one status call per long poll
/// (`BackendConfig::qr_stream_long_poll`, 10 s by default), not one a second: over 4.5 s a
/// stream sends a link every second and its flow gets one `GET session` (it got three when
/// the stream's status check long-polled for 1 s). The flow still ends the stream at once
/// when the session ends: the long poll answers then.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_qr_stream_costs_one_upstream_call_per_long_poll() {
    let (server, sim, q) = qr_flow().await;
    let base = server.base_url();
    let before = sim.total_status_requests();
    let mut r = open_stream(&base, q.flow_handle().unwrap(), q.flow_key().expose()).await;
    assert_eq!(r.status(), 200);
    let (events, ended) = read_events(&mut r, Duration::from_millis(4500)).await;
    let upstream = sim.total_status_requests() - before;
    println!("{events} events, {upstream} upstream status calls in 4.5 s of one QR stream");
    assert!(!ended && events >= 4, "{events} events");
    assert_eq!(upstream, 1, "one long poll in 4.5 s");
}
