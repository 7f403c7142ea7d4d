//! The simulator's OCSP responder (`POST /ocsp`), judged by `sidkit-verify`'s sans-IO checker:
//! every certificate names it in its AIA; `good` for accounts, `revoked` (time and reason) for
//! the revoked default account and for accounts and certificates revoked at run time,
//! `unknown` for a certificate it did not issue, `good` for the intermediate (answered for the
//! root); SHA-1 and SHA-256 CertIDs; the nonce echoed. HTTP errors are problems (`415`, `413`),
//! a body that is no OCSP request gets `malformedRequest`, faults with scope `Ocsp` apply, and
//! in HTTPS mode the responder is on a plain-HTTP port of its own.

use std::time::{Duration, SystemTime};

use sidkit_simulator::{CrlReason, Fault, FaultScope, Revocation, Simulator, SimulatorConfig};
use sidkit_testpki::UserCertSpec;
use sidkit_verify::{
    check_ocsp_response, CertIdHash, CertRevocationStatus, Certificate, OcspOptions, OcspRequest,
    RevocationAnswer, RevocationError, RevocationReason,
};

const OK: &str = "PNOEE-40404040009-MOCK-Q";
const REVOKED: &str = "PNOEE-30505050078-SIM7-Q";

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

async fn post(url: &str, content_type: &str, body: Vec<u8>) -> reqwest::Response {
    http()
        .post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Asks the simulator about `cert` issued by `issuer`.
async fn ask(
    sim: &Simulator,
    cert: &Certificate,
    issuer: &Certificate,
    hash: CertIdHash,
) -> Result<RevocationAnswer, RevocationError> {
    let req = OcspRequest::new(cert, issuer, hash).unwrap();
    let resp = post(
        &sim.ocsp_url(),
        "application/ocsp-request",
        req.der().to_vec(),
    )
    .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/ocsp-response"
    );
    let body = resp.bytes().await.unwrap();
    check_ocsp_response(
        &req,
        issuer,
        &body,
        SystemTime::now(),
        &OcspOptions::default(),
    )
}

fn cert(der: &[u8]) -> Certificate {
    Certificate::from_der(der).unwrap()
}

#[tokio::test]
async fn good_revoked_and_unknown() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let url = sim.ocsp_url();
    assert!(
        url.starts_with("http://127.0.0.1:") && url.ends_with("/ocsp"),
        "{url}"
    );
    let issuer = cert(sim.pki().intermediate.der());
    let root = cert(sim.pki().root.der());
    let ok = sim.account(OK).unwrap();
    let ok_auth = cert(&ok.auth_cert_der);
    assert_eq!(ok_auth.ocsp_urls(), vec![url.clone()]);
    assert_eq!(issuer.ocsp_urls(), vec![url.clone()]);
    assert!(ok.revocation.is_none());

    for hash in [CertIdHash::Sha1, CertIdHash::Sha256] {
        for der in [&ok.auth_cert_der, &ok.sign_cert_der] {
            let a = ask(&sim, &cert(der), &issuer, hash).await.unwrap();
            assert_eq!(a.status, CertRevocationStatus::Good);
            assert!(a.next_update.is_some());
        }
    }
    // The intermediate, answered for the root.
    let a = ask(&sim, &issuer, &root, CertIdHash::Sha256).await.unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);

    // The revoked default account: both certificates.
    let revoked = sim.account(REVOKED).unwrap();
    assert_eq!(
        revoked.revocation.and_then(|r| r.reason),
        Some(CrlReason::KeyCompromise)
    );
    for der in [&revoked.auth_cert_der, &revoked.sign_cert_der] {
        let a = ask(&sim, &cert(der), &issuer, CertIdHash::Sha256)
            .await
            .unwrap();
        match a.status {
            CertRevocationStatus::Revoked { time, reason } => {
                assert_eq!(reason, Some(RevocationReason::KeyCompromise));
                assert!(time <= SystemTime::now());
            }
            other => panic!("{other:?}"),
        }
    }

    // Revoked at run time: an account, and a certificate issued for a test.
    sim.revoke(OK, CrlReason::Superseded).unwrap();
    let a = ask(&sim, &ok_auth, &issuer, CertIdHash::Sha1)
        .await
        .unwrap();
    assert!(
        matches!(
            a.status,
            CertRevocationStatus::Revoked {
                reason: Some(RevocationReason::Superseded),
                ..
            }
        ),
        "{:?}",
        a.status
    );
    assert!(sim.account(OK).unwrap().revocation.is_some());
    let spec = UserCertSpec::authentication("PNOEE-30303039914", "EXTRA", "TESTNUMBER");
    let extra = sim.issue_certificate(&spec).unwrap();
    let extra_cert = cert(&extra.cert_der);
    assert_eq!(extra_cert.ocsp_urls(), vec![url.clone()]);
    let a = ask(&sim, &extra_cert, &issuer, CertIdHash::Sha256)
        .await
        .unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);
    let at = SystemTime::now() - Duration::from_secs(7200);
    sim.revoke_certificate(
        &extra.cert_der,
        Revocation {
            time: Some(at),
            reason: None,
        },
    )
    .unwrap();
    let a = ask(&sim, &extra_cert, &issuer, CertIdHash::Sha256)
        .await
        .unwrap();
    match a.status {
        CertRevocationStatus::Revoked { time, reason: None } => {
            let secs = |t: SystemTime| t.duration_since(SystemTime::UNIX_EPOCH).unwrap().as_secs();
            assert_eq!(secs(time), secs(at));
        }
        other => panic!("{other:?}"),
    }

    // Not issued by the simulator (same CA key, never recorded): unknown.
    let stranger = sim.pki().issue(&spec).unwrap();
    let a = ask(&sim, &cert(&stranger.cert_der), &issuer, CertIdHash::Sha256)
        .await
        .unwrap();
    assert_eq!(a.status, CertRevocationStatus::Unknown);
    assert!(sim
        .revoke_certificate(&stranger.cert_der, Revocation::now(CrlReason::Unspecified))
        .is_err());
    assert!(sim
        .revoke("PNOEE-00000000000-NONE-Q", CrlReason::Unspecified)
        .is_err());
    assert!(sim.ocsp_requests() >= 10);
    sim.shutdown().await;
}

#[tokio::test]
async fn http_errors_malformed_requests_and_faults() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let url = sim.ocsp_url();
    let resp = post(&url, "application/json", b"{}".to_vec()).await;
    assert_eq!(resp.status(), 415);
    assert_eq!(
        resp.headers()["content-type"].to_str().unwrap(),
        "application/problem+json"
    );
    let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["status"], 415);

    let resp = post(&url, "application/ocsp-request", vec![0x30; 64 * 1024]).await;
    assert_eq!(resp.status(), 413);
    let body: serde_json::Value = serde_json::from_slice(&resp.bytes().await.unwrap()).unwrap();
    assert_eq!(body["status"], 413);

    // Not an OCSP request: an OCSP answer saying so.
    let resp = post(&url, "application/ocsp-request", b"\x30\x03junk".to_vec()).await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        resp.bytes().await.unwrap().as_ref(),
        b"\x30\x03\x0a\x01\x01"
    );

    let resp = http().get(&url).send().await.unwrap();
    assert_eq!(resp.status(), 405);

    // A fault of scope Ocsp hits the responder; one of scope Any does not.
    let ok = sim.account(OK).unwrap();
    let issuer = cert(sim.pki().intermediate.der());
    sim.inject_fault(Fault::status(503));
    sim.inject_fault(Fault::status(503).on(FaultScope::Ocsp));
    let req = OcspRequest::new(&cert(&ok.auth_cert_der), &issuer, CertIdHash::Sha256).unwrap();
    let resp = post(&url, "application/ocsp-request", req.der().to_vec()).await;
    assert_eq!(resp.status(), 503);
    let a = ask(&sim, &cert(&ok.auth_cert_der), &issuer, CertIdHash::Sha256)
        .await
        .unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);
    sim.shutdown().await;
}

#[tokio::test]
async fn https_mode_serves_ocsp_over_plain_http() {
    let sim = Simulator::start(SimulatorConfig::default().https(true))
        .await
        .unwrap();
    assert!(sim.base_url().starts_with("https://"));
    let url = sim.ocsp_url();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    assert!(
        !url.contains(&format!(":{}/", sim.addr().port())),
        "a port of its own"
    );
    let ok = sim.account(OK).unwrap();
    let issuer = cert(sim.pki().intermediate.der());
    assert_eq!(cert(&ok.auth_cert_der).ocsp_urls(), vec![url.clone()]);
    let a = ask(&sim, &cert(&ok.auth_cert_der), &issuer, CertIdHash::Sha256)
        .await
        .unwrap();
    assert_eq!(a.status, CertRevocationStatus::Good);
    // Only OCSP there.
    let resp = http()
        .post(url.replace("/ocsp", "/smart-id-rp/v3/session/x"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    sim.shutdown().await;
}
