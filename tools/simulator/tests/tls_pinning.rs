//! HTTPS to the simulator: explicit roots, SPKI pinning with several pins, a planned key
//! rotation, rejection of wrong keys and untrusted CAs, configuration from a file, and
//! connection reuse.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::*;
use sidkit_client::api::{ApiFailure, TlsFailure};
use sidkit_client::ClientError as Error;
use sidkit_client::{ClientConfig, SmartIdClient, SpkiPin};
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::Subject;
use sidkit_proto::request::AuthenticationRequestBuilder;
use sidkit_simulator::{Simulator, SimulatorConfig};

const NOTIF_OK: &str = "PNOEE-40504040001-DEM0-Q";

async fn https_simulator() -> Simulator {
    Simulator::start(
        SimulatorConfig::default()
            .https(true)
            .user_delay(Duration::from_millis(200)),
    )
    .await
    .unwrap()
}

fn pin(s: &str) -> SpkiPin {
    s.parse().unwrap()
}

fn unrelated_pin() -> SpkiPin {
    SpkiPin::of_spki_der(b"some other key")
}

fn pinned_client(sim: &Simulator, ca_pem: String, pins: Vec<SpkiPin>) -> SmartIdClient {
    let mut cfg = ClientConfig::new(sim.environment()).with_ca_pem(ca_pem);
    cfg.tls.spki_pins = pins;
    SmartIdClient::new(cfg).unwrap()
}

/// Creates and polls one notification authentication.
async fn roundtrip(client: &SmartIdClient, sim: &Simulator) -> Result<(), Error> {
    let request = AuthenticationRequestBuilder::new(&sim.relying_party())
        .interactions(notification_interactions())
        .build_notification()
        .unwrap();
    let created = client
        .create_notification_authentication(
            &Subject::Document(DocumentNumber::new(NOTIF_OK).unwrap()),
            &request,
        )
        .await?;
    client
        .poll_until_complete(&created.session_id, &fast_poll())
        .await
        .map(|_| ())
}

fn tls_failure(e: Error) -> TlsFailure {
    match e {
        Error::Api(ApiFailure::Tls(t)) => t,
        other => panic!("expected a TLS failure, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinned_https_works_and_reuses_one_connection() {
    let sim = https_simulator().await;
    assert!(sim.base_url().starts_with("https://127.0.0.1:"));
    let client = pinned_client(
        &sim,
        sim.tls_ca_pem().unwrap(),
        vec![pin(&sim.tls_pin().unwrap())],
    );
    for _ in 0..3 {
        roundtrip(&client, &sim).await.unwrap();
    }
    // Three creations and their polls (at least six requests), one after the other, share a
    // kept-alive connection. hyper hands a finished connection back to its pool asynchronously,
    // so on a loaded machine a request can occasionally start before that and open a second one;
    // without reuse there would be one connection per request.
    let connections = sim.connections();
    assert!(
        (1..=2).contains(&connections),
        "expected the requests to share a connection, saw {connections} connections"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_pin_is_rejected_and_any_of_several_pins_is_accepted() {
    let sim = https_simulator().await;
    let ca = sim.tls_ca_pem().unwrap();
    let current = pin(&sim.tls_pin().unwrap());

    // The certificate chains to the trusted CA, but its key is not pinned.
    let e = roundtrip(
        &pinned_client(&sim, ca.clone(), vec![unrelated_pin()]),
        &sim,
    )
    .await
    .unwrap_err();
    assert_eq!(e.code(), "api_tls_pin_mismatch");
    assert!(!e.is_retryable());
    assert_eq!(
        tls_failure(e),
        TlsFailure::PinMismatch {
            presented: current.to_string()
        }
    );

    // Several pins: any match is enough, in any order.
    for pins in [
        vec![unrelated_pin(), current],
        vec![current, unrelated_pin()],
    ] {
        roundtrip(&pinned_client(&sim, ca.clone(), pins), &sim)
            .await
            .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planned_key_rotation_with_the_next_pin() {
    let sim = https_simulator().await;
    let ca = sim.tls_ca_pem().unwrap();
    let current = pin(&sim.tls_pin().unwrap());
    let next = pin(&sim.next_tls_pin().unwrap());
    assert_ne!(current, next);
    roundtrip(&pinned_client(&sim, ca.clone(), vec![current, next]), &sim)
        .await
        .unwrap();

    let rotated = sim.rotate_tls_key().unwrap();
    assert_eq!(pin(&rotated), next);
    // A deployment that only pinned the old key breaks; one that pinned the next key too
    // keeps working.
    let e = roundtrip(&pinned_client(&sim, ca.clone(), vec![current]), &sim)
        .await
        .unwrap_err();
    assert!(matches!(tls_failure(e), TlsFailure::PinMismatch { .. }));
    roundtrip(&pinned_client(&sim, ca, vec![current, next]), &sim)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_from_an_untrusted_ca_is_rejected() {
    let sim = https_simulator().await;
    let other = https_simulator().await;
    // Trusts the other simulator's CA and pins this simulator's key: the chain check fails
    // before pinning is even considered.
    let client = pinned_client(
        &sim,
        other.tls_ca_pem().unwrap(),
        vec![pin(&sim.tls_pin().unwrap())],
    );
    let e = roundtrip(&client, &sim).await.unwrap_err();
    assert_eq!(e.code(), "api_tls");
    match tls_failure(e) {
        TlsFailure::InvalidCertificate(why) => assert!(why.contains("UnknownIssuer"), "{why}"),
        other => panic!("{other:?}"),
    }
    // The server certificate file gives the same pin as the simulator reports.
    let pins = SpkiPin::of_certificate_pem(&sim.tls_server_cert_pem().unwrap()).unwrap();
    assert_eq!(pins, vec![pin(&sim.tls_pin().unwrap())]);
}

fn temp_dir(name: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos();
    let dir = std::env::temp_dir().join(format!("sidkit-{name}-{}-{nanos}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn configuration_from_a_file_and_from_environment_variables() {
    let sim = https_simulator().await;
    let dir = temp_dir("client-config");
    let files = sim.write_ca_files(&dir).unwrap();
    assert_eq!(files.len(), 3);
    let json = serde_json::json!({
        "environment": {
            "name": "simulator",
            "baseUrl": sim.base_url(),
            "schemeName": "smart-id-demo",
        },
        "caFiles": ["tls-ca.pem.crt"],
        "spkiPins": [unrelated_pin().to_string(), sim.tls_pin().unwrap()],
        "connectTimeoutMs": 2000,
    });
    let path = dir.join("client.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let client = SmartIdClient::new(ClientConfig::from_file(&path).unwrap()).unwrap();
    roundtrip(&client, &sim).await.unwrap();

    let path_s = path.to_string_lossy().into_owned();
    let wrong = unrelated_pin().to_string();
    let env = |k: &str| match k {
        "SIDKIT_CLIENT_CONFIG" => Some(path_s.clone()),
        // An override replaces the file's pins.
        "SIDKIT_SPKI_PINS" => Some(wrong.clone()),
        _ => None,
    };
    let client = SmartIdClient::new(ClientConfig::from_env_with(env).unwrap()).unwrap();
    let e = roundtrip(&client, &sim).await.unwrap_err();
    assert!(matches!(tls_failure(e), TlsFailure::PinMismatch { .. }));
    std::fs::remove_dir_all(&dir).unwrap();
}
