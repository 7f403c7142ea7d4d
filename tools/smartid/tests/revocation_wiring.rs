//! Revocation in the backend kit's verification path, on the simulator: its test CA has no
//! OCSP responder (its certificates name one under `.invalid`), so a backend with revocation
//! on fails every completion closed (`verification_failed`), and with soft fail completes it.
//! A stub transport that answers nothing shows the fetch really happens (and, with revocation
//! off, does not). The checker itself is tested against
//! `openssl ocsp` in `core/backend/tests/revocation.rs`.

mod common;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use sidkit_backend::{
    Backend, RevocationMode, RevocationPolicy, RevocationService, RevocationTransport, ServeConfig,
    TransportError,
};
use sidkit_cli::phone::Phone;
use sidkit_cli::reference::{app, backend_config, start_simulator, Server, DEMO_CALLBACK_BASE};
use sidkit_contract::{FlowKind, FlowOutcome};

#[derive(Default)]
struct Unreachable {
    calls: AtomicUsize,
}

#[async_trait]
impl RevocationTransport for Unreachable {
    async fn post_ocsp(&self, url: &str, _: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Err(TransportError::Io {
            url: url.to_owned(),
            reason: "unreachable (test)".into(),
        })
    }
    async fn get_crl(&self, url: &str) -> Result<Vec<u8>, TransportError> {
        self.post_ocsp(url, &[]).await
    }
}

async fn run(policy: RevocationPolicy, transport: Arc<Unreachable>) -> Result<FlowOutcome, String> {
    let sim = Arc::new(start_simulator(0).await.unwrap());
    let service = Arc::new(RevocationService::new(policy, transport));
    let config = backend_config(&sim, DEMO_CALLBACK_BASE)
        .unwrap()
        .with_revocation(service);
    let backend = Backend::new(config).unwrap();
    let server = Server::start_with(
        app(&backend, sim.clone()),
        SocketAddr::from(([127, 0, 0, 1], 0)),
        ServeConfig::default(),
    )
    .await
    .unwrap();
    let phone = Phone::new(&server.base_url(), "PNOEE-40404040009-MOCK-Q").unwrap();
    let r = phone
        .app2app(FlowKind::Authentication, None, &mut |_| {})
        .await
        .map(|(_, run)| run.outcome)
        .map_err(|e| e.problem_code().unwrap_or("no problem code").to_owned());
    drop(server);
    r
}

#[tokio::test]
async fn fail_closed_and_soft_fail_in_the_backend() {
    let t = Arc::new(Unreachable::default());
    let closed = run(
        RevocationPolicy::new(RevocationMode::OcspThenCrl),
        t.clone(),
    )
    .await;
    assert_eq!(closed.unwrap_err(), "verification_failed");
    // The fetch happened (the simulator's user certificates name an OCSP URL, no CRL).
    assert!(t.calls.load(Ordering::SeqCst) >= 1);

    let t = Arc::new(Unreachable::default());
    let soft = run(
        RevocationPolicy::new(RevocationMode::Ocsp).with_soft_fail(true),
        t.clone(),
    )
    .await;
    assert!(
        matches!(soft, Ok(FlowOutcome::Authenticated { .. })),
        "{soft:?}"
    );
    assert!(t.calls.load(Ordering::SeqCst) >= 1);

    // Off: no fetch at all.
    let t = Arc::new(Unreachable::default());
    let off = run(RevocationPolicy::default(), t.clone()).await;
    assert!(
        matches!(off, Ok(FlowOutcome::Authenticated { .. })),
        "{off:?}"
    );
    assert_eq!(t.calls.load(Ordering::SeqCst), 0);
}
