//! The fetching revocation checker against independent servers on loopback: `openssl ocsp`
//! responders for a root → sub-CA → user chain (`sidkit_testpki::openssl_pki`), and the CRLs
//! of `openssl ca -gencrl` served over HTTP by the test. Covers OCSP for every pair below the
//! anchor, revoked users, fail closed and soft fail when the responder is down, the CRL
//! fallback, the cache (good answers until nextUpdate), a transport that rewrites the nonce,
//! configured responders, the size cap and refused URLs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use async_trait::async_trait;
use sidkit_backend::{
    HttpTransport, RevocationMode, RevocationPolicy, RevocationService, RevocationTransport,
    TransportError,
};
use sidkit_testpki::openssl_pki::{OpensslCa, Profile};
use sidkit_verify::{
    Certificate, RevocationChecker, RevocationMethod, RevocationRequest, RevocationStatus,
    TrustStore,
};

struct Pki {
    root: OpensslCa,
    sub: OpensslCa,
    trust: TrustStore,
    sub_cert: Certificate,
    good: Certificate,
    revoked: Certificate,
}

fn pki() -> Pki {
    let root = OpensslCa::new_root("sidkit revocation root");
    let sub = root.new_sub("sidkit revocation sub CA");
    let good = Certificate::from_der(&sub.issue("good user", Profile::EndEntity).der).unwrap();
    let revoked_i = sub.issue("revoked user", Profile::EndEntity);
    sub.revoke(&revoked_i, "keyCompromise");
    let mut trust = TrustStore::new();
    trust.add_der(&root.ca.der).unwrap();
    trust.add_der(&sub.ca.der).unwrap();
    Pki {
        sub_cert: Certificate::from_der(&sub.ca.der).unwrap(),
        revoked: Certificate::from_der(&revoked_i.der).unwrap(),
        root,
        sub,
        trust,
        good,
    }
}

fn service(policy: RevocationPolicy) -> RevocationService {
    RevocationService::http(policy).unwrap()
}

fn check(
    answers: &impl RevocationChecker,
    cert: &Certificate,
    issuer: &Certificate,
) -> RevocationStatus {
    answers.check(&RevocationRequest {
        certificate: cert,
        issuer,
        at: SystemTime::now(),
    })
}

/// Serves `crl` at `/crl` on `port` until the task is dropped with the runtime.
async fn serve_crl(port: u16, crl: Vec<u8>) {
    let app = axum::Router::new().route(
        "/crl",
        axum::routing::get(move || {
            let crl = crl.clone();
            async move { crl }
        }),
    );
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
        .await
        .unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
}

#[tokio::test]
async fn ocsp_for_every_pair_below_the_anchor() {
    let p = pki();
    let sub_responder = p.sub.issue("sub responder", Profile::OcspResponder);
    let root_responder = p.root.issue("root responder", Profile::OcspResponder);
    let _r1 = p.sub.start_responder(&sub_responder, &["-nmin", "10"]);
    let _r2 = p.root.start_responder(&root_responder, &["-nmin", "10"]);
    let root_cert = Certificate::from_der(&p.root.ca.der).unwrap();

    let s = service(RevocationPolicy::new(RevocationMode::Ocsp));
    let answers = s
        .answers(&p.trust, &p.good, SystemTime::now())
        .await
        .unwrap();
    assert_eq!(answers.len(), 2, "the user and the sub-CA, never the root");
    let RevocationStatus::Confirmed(e) = check(&answers, &p.good, &p.sub_cert) else {
        panic!("{:?}", check(&answers, &p.good, &p.sub_cert))
    };
    assert_eq!(e.method, RevocationMethod::Ocsp);
    assert_eq!(e.source, p.sub.ocsp_url());
    assert!(e.next_update.is_some());
    let RevocationStatus::Confirmed(e) = check(&answers, &p.sub_cert, &root_cert) else {
        panic!()
    };
    assert_eq!(e.source, p.root.ocsp_url());

    let answers = s
        .answers(&p.trust, &p.revoked, SystemTime::now())
        .await
        .unwrap();
    match check(&answers, &p.revoked, &p.sub_cert) {
        RevocationStatus::Revoked { reason: Some(r) } => {
            assert!(r.starts_with("keyCompromise"), "{r}")
        }
        other => panic!("{other:?}"),
    }
    // A certificate that does not chain is an error, not an answer.
    let stranger = OpensslCa::new_root("stranger");
    let stray = Certificate::from_der(&stranger.issue("stray", Profile::EndEntity).der).unwrap();
    assert!(s
        .answers(&p.trust, &stray, SystemTime::now())
        .await
        .is_err());
}

#[tokio::test]
async fn fail_closed_soft_fail_and_crl_fallback() {
    let p = pki();
    // No responder runs: OCSP cannot answer.
    let closed = service(RevocationPolicy::new(RevocationMode::Ocsp));
    match closed.status(&p.good, &p.sub_cert, SystemTime::now()).await {
        RevocationStatus::Unknown { reason } => assert!(reason.contains("OCSP"), "{reason}"),
        other => panic!("{other:?}"),
    }
    let soft = service(RevocationPolicy::new(RevocationMode::Ocsp).with_soft_fail(true));
    assert!(matches!(
        soft.status(&p.good, &p.sub_cert, SystemTime::now()).await,
        RevocationStatus::Unchecked { .. }
    ));
    // The CRL behind the CRL distribution point answers instead.
    serve_crl(p.sub.crl_port, p.sub.crl_der(1)).await;
    let fallback = service(RevocationPolicy::new(RevocationMode::OcspThenCrl));
    let RevocationStatus::Confirmed(e) = fallback
        .status(&p.good, &p.sub_cert, SystemTime::now())
        .await
    else {
        panic!()
    };
    assert_eq!(e.method, RevocationMethod::Crl);
    assert_eq!(e.source, p.sub.crl_url());
    assert!(matches!(
        fallback
            .status(&p.revoked, &p.sub_cert, SystemTime::now())
            .await,
        RevocationStatus::Revoked { .. }
    ));
    // Soft fail never hides a revocation.
    let crl_soft = service(RevocationPolicy::new(RevocationMode::Crl).with_soft_fail(true));
    assert!(matches!(
        crl_soft
            .status(&p.revoked, &p.sub_cert, SystemTime::now())
            .await,
        RevocationStatus::Revoked { .. }
    ));
    // Off checks nothing.
    let off = service(RevocationPolicy::default());
    assert!(!off.is_enabled());
}

/// Forwards to the real transport, counting OCSP posts; optionally flips the request's last
/// byte (the last byte of its nonce) on the way.
struct Middlebox {
    inner: HttpTransport,
    posts: AtomicUsize,
    rewrite_nonce: bool,
}

#[async_trait]
impl RevocationTransport for Middlebox {
    async fn post_ocsp(&self, url: &str, request: &[u8]) -> Result<Vec<u8>, TransportError> {
        self.posts.fetch_add(1, Ordering::SeqCst);
        let mut request = request.to_vec();
        if self.rewrite_nonce {
            *request.last_mut().unwrap() ^= 0xff;
        }
        self.inner.post_ocsp(url, &request).await
    }

    async fn get_crl(&self, url: &str) -> Result<Vec<u8>, TransportError> {
        self.inner.get_crl(url).await
    }
}

fn middlebox(rewrite_nonce: bool) -> Arc<Middlebox> {
    Arc::new(Middlebox {
        inner: HttpTransport::new().unwrap(),
        posts: AtomicUsize::new(0),
        rewrite_nonce,
    })
}

#[tokio::test]
async fn cache_nonce_rewriting_and_configured_responders() {
    let p = pki();
    let responder = p.sub.issue("sub responder", Profile::OcspResponder);
    let _r = p.sub.start_responder(&responder, &["-nmin", "10"]);

    // Good answers are cached until nextUpdate.
    let t = middlebox(false);
    let s = RevocationService::new(RevocationPolicy::new(RevocationMode::Ocsp), t.clone());
    let now = SystemTime::now();
    assert!(matches!(
        s.status(&p.good, &p.sub_cert, now).await,
        RevocationStatus::Confirmed(_)
    ));
    assert!(matches!(
        s.status(&p.good, &p.sub_cert, now).await,
        RevocationStatus::Confirmed(_)
    ));
    assert_eq!(t.posts.load(Ordering::SeqCst), 1);
    // ...and not past it (nextUpdate + 1 h): fetched again (and then stale).
    let later = now + std::time::Duration::from_secs(3600);
    assert!(matches!(
        s.status(&p.good, &p.sub_cert, later).await,
        RevocationStatus::Unknown { .. }
    ));
    assert_eq!(t.posts.load(Ordering::SeqCst), 2);
    // Revoked answers are not cached.
    for _ in 0..2 {
        assert!(matches!(
            s.status(&p.revoked, &p.sub_cert, now).await,
            RevocationStatus::Revoked { .. }
        ));
    }
    assert_eq!(t.posts.load(Ordering::SeqCst), 4);

    // A rewritten nonce comes back rewritten: refused.
    let s = RevocationService::new(RevocationPolicy::new(RevocationMode::Ocsp), middlebox(true));
    match s.status(&p.good, &p.sub_cert, now).await {
        RevocationStatus::Unknown { reason } => assert!(reason.contains("nonce"), "{reason}"),
        other => panic!("{other:?}"),
    }

    // A configured responder wins over the AIA; a wrong one fails closed.
    let wrong = RevocationPolicy::new(RevocationMode::Ocsp)
        .with_responder(&p.sub_cert, "http://127.0.0.1:9/");
    assert!(matches!(
        service(wrong).status(&p.good, &p.sub_cert, now).await,
        RevocationStatus::Unknown { .. }
    ));
    let mut other = RevocationPolicy::new(RevocationMode::Ocsp);
    other.default_responder = Some(p.sub.ocsp_url());
    assert!(matches!(
        service(other).status(&p.good, &p.sub_cert, now).await,
        RevocationStatus::Confirmed(_)
    ));
    // SK presets: SHA-1 CertIDs, SK's URLs, OCSP then CRL, fail closed.
    let live = RevocationPolicy::sk_live();
    assert_eq!(
        live.default_responder.as_deref(),
        Some("http://ocsp.sk.ee/")
    );
    assert_eq!(
        RevocationPolicy::sk_demo().default_responder.as_deref(),
        Some("http://demo.sk.ee/ocsp")
    );
    assert_eq!(live.mode, RevocationMode::OcspThenCrl);
    assert!(!live.soft_fail);
}

#[tokio::test]
async fn transport_limits() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    serve_crl(port, vec![0x30; 4096]).await;
    let url = format!("http://127.0.0.1:{port}/crl");
    let small = HttpTransport::with_limits(std::time::Duration::from_secs(2), 1024, 1024).unwrap();
    assert!(matches!(
        small.get_crl(&url).await,
        Err(TransportError::TooLarge { limit: 1024, .. })
    ));
    let big = HttpTransport::new().unwrap();
    assert_eq!(big.get_crl(&url).await.unwrap().len(), 4096);
    assert!(matches!(
        big.get_crl(&format!("http://127.0.0.1:{port}/missing"))
            .await,
        Err(TransportError::Status { status: 404, .. })
    ));
    for refused in [
        "https://127.0.0.1/crl",
        "ldap://ca/crl",
        "file:///etc/passwd",
    ] {
        assert!(
            matches!(
                big.get_crl(refused).await,
                Err(TransportError::Refused { .. })
            ),
            "{refused}"
        );
        assert!(matches!(
            big.post_ocsp(refused, b"x").await,
            Err(TransportError::Refused { .. })
        ));
    }
    // Nobody listening.
    assert!(matches!(
        big.post_ocsp("http://127.0.0.1:9/", b"x").await,
        Err(TransportError::Io { .. })
    ));
}
