//! Callback delivery modes: an in-process handler, and a GET to a loopback RP backend like
//! SK's Mock Service (with the browser cookie); non-loopback hosts are never contacted.

mod common;

use std::sync::{Arc, Mutex};

use common::*;
use sidkit_proto::callback::{create_callback_url, CallbackBinding};
use sidkit_proto::device_link::{DeviceLinkType, SessionType};
use sidkit_proto::models::Subject;
use sidkit_proto::request::AuthenticationRequestBuilder;
use sidkit_simulator::{CallbackEvent, CallbackMode, Simulator, SimulatorConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const ADULT: &str = "PNOEE-40404040009-MOCK-Q";

/// Runs an App2App authentication with `callback_base` and returns the mock's response and
/// the session's callback binding.
async fn app2app(
    sim: &Simulator,
    callback_base: &str,
) -> (sidkit_simulator::MockDeviceResponse, CallbackBinding) {
    let client = client(sim);
    let callback = create_callback_url(callback_base).unwrap();
    let request = AuthenticationRequestBuilder::new(&sim.relying_party())
        .interactions(device_link_interactions())
        .initial_callback_url(callback.url())
        .build_device_link()
        .unwrap();
    let session = client
        .create_device_link_authentication(&Subject::Anonymous, &request)
        .await
        .unwrap();
    let link = session
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::App2App)
        .unwrap();
    let r = mock_device(
        sim,
        ADULT,
        link.as_str(),
        DeviceLinkType::App2App,
        Some(callback.url()),
    )
    .await
    .unwrap();
    let binding = CallbackBinding::new(
        &callback,
        &session.response.session_secret,
        SessionType::Auth,
    );
    (r, binding)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handler_receives_each_callback() {
    let seen: Arc<Mutex<Vec<CallbackEvent>>> = Arc::default();
    let sink = seen.clone();
    let sim = Simulator::start(SimulatorConfig::default().callbacks(CallbackMode::Handler(
        Arc::new(move |ev: &CallbackEvent| sink.lock().unwrap().push(ev.clone())),
    )))
    .await
    .unwrap();
    let (r, binding) = app2app(&sim, "https://rp.example.com/app-cb").await;
    assert_eq!(r.callback, "delivered");
    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 1);
    binding.check(&seen[0].url).unwrap();
    assert_eq!(sim.callbacks(), seen);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_get_to_a_loopback_backend_with_the_cookie() {
    // A minimal RP backend on loopback that records the request head.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = tokio::sync::oneshot::channel::<String>();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 8192];
        let n = s.read(&mut buf).await.unwrap();
        let _ = tx.send(String::from_utf8_lossy(&buf[..n]).into_owned());
        let _ = s
            .write_all(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n")
            .await;
    });
    let sim = Simulator::start(SimulatorConfig::default().callbacks(CallbackMode::HttpGet {
        plain_http: true,
        extra_ca_pem: vec![],
    }))
    .await
    .unwrap();
    let (r, binding) = app2app(&sim, &format!("https://127.0.0.1:{port}/app-cb")).await;
    assert_eq!(r.callback, "delivered");
    assert_eq!(r.callback_http_status, Some(204));
    let head = rx.await.unwrap();
    let request_line = head.lines().next().unwrap();
    let path = request_line
        .strip_prefix("GET ")
        .and_then(|l| l.strip_suffix(" HTTP/1.1"))
        .unwrap();
    binding
        .check(&format!("https://127.0.0.1:{port}{path}"))
        .unwrap();
    assert!(
        head.to_ascii_lowercase().contains("cookie: sid=abc; x=y"),
        "{head}"
    );

    // Anything but loopback is recorded as undeliverable and never contacted.
    let (r, _) = app2app(&sim, "https://rp.example.com/app-cb").await;
    assert_eq!(r.callback, "failed");
    assert!(r.callback_error.unwrap().contains("not a loopback host"));
}
