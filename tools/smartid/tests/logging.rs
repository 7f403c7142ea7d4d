//! Logs and metrics (issue 13, item 2): every log event of full flows, at TRACE for every crate
//! but the simulator (which plays Smart-ID and is not shipped), is captured as JSON and searched
//! for each secret and each piece of personal data the flows handled: session IDs and secrets,
//! callback tokens, flow keys and handles, the return URLs' digests and verifiers, the device
//! links' authCodes, the identity and document numbers. None may appear. The events a bank
//! needs are there (flow started/finished with kind and result, each RP API call with its
//! latency), and the counters render in Prometheus text.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use common::*;
use sidkit_app::NextStep;
use sidkit_backend::{MemoryStore, SessionStore, StoreError, Versioned};
use sidkit_cli::reference::Stack;
use sidkit_contract::{FlowKind, FlowOutcome, Presentation};
use zeroize::Zeroizing;

/// The log output, shared with the subscriber.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A store that remembers every value written (to learn the sessions' secrets).
#[derive(Default)]
struct Recording {
    inner: MemoryStore,
    values: Mutex<Vec<String>>,
}

#[async_trait]
impl SessionStore for Recording {
    async fn insert(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.values.lock().unwrap().push(value.to_owned());
        self.inner.insert(key, value, ttl).await
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
        self.values.lock().unwrap().push(value.to_owned());
        self.inner.replace(key, version, value, ttl).await
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

/// Every string value under `names` anywhere in `v`.
fn fields(v: &serde_json::Value, names: &[&str], out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(m) => {
            for (k, x) in m {
                if let (true, Some(s)) = (names.contains(&k.as_str()), x.as_str()) {
                    out.push(s.to_owned());
                }
                fields(x, names, out);
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| fields(x, names, out)),
        _ => {}
    }
}

/// The parameter `name` of `url`.
fn param(url: &str, name: &str) -> Option<String> {
    url.split(['?', '&'])
        .find_map(|p| p.strip_prefix(&format!("{name}=")).map(str::to_owned))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_flows_log_no_secret_and_no_personal_data() {
    let captured = Captured::default();
    let sink = captured.clone();
    tracing_subscriber::fmt()
        .json()
        .with_env_filter("trace,sidkit_simulator=off")
        .with_writer(move || sink.clone())
        .init();
    let recorder = metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder();
    let metrics = recorder.handle();
    metrics::set_global_recorder(recorder).unwrap();

    let store = Arc::new(Recording::default());
    let stack = Stack::start(0, 0, Some(store.clone())).await.unwrap();
    let mut secrets: Vec<String> = Vec::new();

    // App2App authentication and signature, a refusal, a forged return URL, a QR login.
    let ok = phone(&stack, "PNOEE-40404040009-MOCK-Q");
    for kind in [FlowKind::Authentication, FlowKind::Signature] {
        let context = (kind == FlowKind::Signature).then_some("PNOEE-40404040009-MOCK-Q");
        let (flow, run) = within(30, ok.app2app(kind, context, &mut |_| {}))
            .await
            .unwrap();
        secrets.push(flow.flow_key().expose().to_owned());
        secrets.push(run.flow_handle.clone());
        secrets.push(param(&run.device_link, "authCode").unwrap());
        let url = run.return_url.clone().unwrap();
        for p in ["value", "sessionSecretDigest", "userChallengeVerifier"] {
            secrets.extend(param(&url, p));
        }
        match &run.outcome {
            FlowOutcome::Authenticated { identity, app_data } => {
                secrets.push(identity.identifier.clone());
                secrets.push(identity.given_name.clone());
                secrets.push(identity.surname.clone());
                secrets.push(identity.document_number.clone());
                secrets.extend(app_data.clone());
            }
            FlowOutcome::Signed {
                signature,
                app_data,
            } => {
                secrets.push(signature.signature_value.clone());
                secrets.extend(app_data.clone());
            }
            other => panic!("{other:?}"),
        }
    }
    let refuser = phone(&stack, "PNOEE-30403039917-MOCK-Q");
    let (flow, _) = within(
        30,
        refuser.app2app(FlowKind::Authentication, None, &mut |_| {}),
    )
    .await
    .unwrap();
    secrets.push(flow.flow_key().expose().to_owned());
    let (mut flow, link) = ok.launch(FlowKind::Authentication, None).await.unwrap();
    let url = ok.smart_id_app(&link).await.unwrap().return_url.unwrap();
    let forged = with_other_verifier(&url);
    assert!(ok.deliver_return_url(&mut flow, &forged).await.is_err());
    secrets.push(param(&forged, "userChallengeVerifier").unwrap());
    ok.deliver_return_url(&mut flow, &url).await.unwrap();
    let (mut qr, next) = ok
        .start(FlowKind::Authentication, Presentation::Qr, None)
        .await
        .unwrap();
    let NextStep::ShowQr { device_link } = next else {
        panic!("{next:?}")
    };
    ok.smart_id_app(&device_link).await.unwrap();
    let outcome = within(30, ok.poll_until_finished(&mut qr)).await.unwrap();
    assert!(matches!(outcome, FlowOutcome::Authenticated { .. }));
    secrets.push(qr.flow_key().expose().to_owned());
    secrets.push(qr.flow_handle().unwrap().to_owned());

    // What the backend stored: the sessions' IDs, secrets, tokens and callback tokens.
    for v in store.values.lock().unwrap().iter() {
        if let Ok(json) = serde_json::from_str::<serde_json::Value>(v) {
            fields(
                &json,
                &[
                    "sessionId",
                    "sessionSecret",
                    "callbackToken",
                    "sessionToken",
                    "rpChallenge",
                ],
                &mut secrets,
            );
        }
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let log = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    let secrets: Vec<String> = secrets.into_iter().filter(|s| s.len() >= 6).collect();
    assert!(secrets.len() >= 30, "{} secrets collected", secrets.len());
    for s in &secrets {
        assert!(!log.contains(s.as_str()), "the log holds `{s}`");
    }
    // The events a bank needs are there.
    for event in [
        "flow started",
        "flow finished",
        "Smart-ID RP API response",
        "Smart-ID device-link session created",
        "request refused",
    ] {
        assert!(log.contains(event), "no `{event}` event in the log");
    }
    assert!(log.contains(r#""result":"authenticated""#), "{log}");
    assert!(log.contains(r#""result":"user_refused""#));
    let rendered = metrics.render();
    for m in [
        "sidkit_flows_started_total",
        "sidkit_flows_finished_total",
        "sidkit_smartid_requests_total",
        "sidkit_smartid_request_seconds",
        "sidkit_problems_total",
    ] {
        assert!(rendered.contains(m), "no {m} in\n{rendered}");
    }
    assert!(rendered.contains(r#"result="authenticated""#), "{rendered}");
    println!(
        "{} log lines, {} secrets searched, none found",
        log.lines().count(),
        secrets.len()
    );
}
