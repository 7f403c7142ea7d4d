//! Revocation in the backend kit's verification path, on the simulator. Against the
//! simulator's own OCSP responder (named in its certificates' AIA; the reference backend's
//! default): a flow of a good account completes with `revocationChecked: true` (OCSP, for the
//! user certificate and the intermediate; the good answers cached), one whose certificate is
//! revoked ends `verification_failed` naming the revocation check and the reason, and an
//! unavailable responder fails closed. With a stub transport that answers nothing, a backend
//! fails every completion closed, and with soft fail completes it; the stub shows the fetch
//! really happens (and, with revocation off, does not). The checker itself is tested against
//! `openssl ocsp` in `core/backend/tests/revocation.rs`.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use sidkit_backend::{
    Backend, RevocationMode, RevocationPolicy, RevocationService, RevocationTransport,
    TransportError,
};
use sidkit_cli::phone::Phone;
use sidkit_cli::reference::{
    backend_config, start_simulator, ReferenceOptions, Stack, DEMO_ACCOUNT, DEMO_CALLBACK_BASE,
};
use sidkit_contract::{FlowKind, FlowOutcome};
use sidkit_simulator::{Fault, FaultScope};
use sidkit_verify::VerifiedCertificate;

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
    let server = common::serve(&backend, &sim).await;
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

/// The reference backend with its default revocation checking (OCSP against the simulator's
/// responder, fail closed) and a hook that records what each verification established.
async fn checked_stack() -> (
    Stack,
    Arc<std::sync::Mutex<Vec<(FlowKind, VerifiedCertificate)>>>,
) {
    let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
    let sink = seen.clone();
    let options = ReferenceOptions {
        on_verified: Some(Arc::new(move |kind, c: &VerifiedCertificate| {
            sink.lock().unwrap().push((kind, c.clone()));
        })),
        ..ReferenceOptions::default()
    };
    (
        Stack::start_with_options(0, 0, options).await.unwrap(),
        seen,
    )
}

#[tokio::test]
async fn good_and_revoked_certificates_against_the_simulators_responder() {
    let (stack, seen) = checked_stack().await;
    let url = stack.sim.ocsp_url();

    // Good: authentication and signature complete, every certificate checked by OCSP.
    let phone = Phone::new(&stack.server.base_url(), DEMO_ACCOUNT).unwrap();
    common::authenticate(&phone, "a good certificate").await;
    let after_first = stack.sim.ocsp_requests();
    assert_eq!(after_first, 2, "the user certificate and the intermediate");
    common::authenticate(&phone, "a good certificate").await;
    assert_eq!(
        stack.sim.ocsp_requests(),
        after_first,
        "good answers are cached"
    );
    let (_, run) = phone
        .app2app(FlowKind::Signature, Some(DEMO_ACCOUNT), &mut |_| {})
        .await
        .unwrap();
    assert!(matches!(run.outcome, FlowOutcome::Signed { .. }));
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        for (kind, c) in seen.iter() {
            assert!(c.revocation_checked, "{kind}: {c:?}");
            assert_eq!(c.revocation.len(), 2, "{kind}");
            for r in &c.revocation {
                let e = r.evidence.as_ref().expect("evidence");
                assert!(r.checked);
                assert_eq!(e.method, sidkit_verify::RevocationMethod::Ocsp);
                assert_eq!(e.source, url);
            }
        }
        assert_eq!(seen[2].0, FlowKind::Signature);
    }

    // Revoked: the flow ends verification_failed, naming the check and the reason.
    let revoked = "PNOEE-30505050078-SIM7-Q";
    let phone = Phone::new(&stack.server.base_url(), revoked).unwrap();
    let err = phone
        .app2app(FlowKind::Authentication, None, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("verification_failed"), "{err}");
    let text = err.to_string();
    assert!(text.contains("revocation: "), "{text}");
    assert!(text.contains("is revoked (keyCompromise"), "{text}");
    assert_eq!(seen.lock().unwrap().len(), 3, "no verified result for it");

    // A responder that is down: fail closed (another account, whose user certificate has no
    // cached answer yet).
    let other = "PNOLT-40404040009-MOCK-Q";
    stack
        .sim
        .inject_fault(Fault::status(503).on(FaultScope::Ocsp).times(10));
    let phone = Phone::new(&stack.server.base_url(), other).unwrap();
    let err = phone
        .app2app(FlowKind::Authentication, None, &mut |_| {})
        .await
        .unwrap_err();
    assert_eq!(err.problem_code(), Some("verification_failed"), "{err}");
    assert!(err.to_string().contains("unknown"), "{err}");
    stack.sim.clear_faults();
    common::authenticate(&phone, "a good certificate").await;
    stack.server.shutdown().await;
}
