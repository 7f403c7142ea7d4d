//! `RedisStore` over `rediss://` (feature `redis-store`): the [`SessionStore`] contract
//! (`conformance/mod.rs`) over TLS and mutual TLS, and every way a TLS connection must fail,
//! against private `redis-server`s this test starts on loopback with a CA it generates
//! (`sidkit_testpki::redis_server`; a missing `redis-server` is a failure, not a skip:
//! `scripts/bootstrap.sh` installs it).
//!
//! A connection that must fail is retried by redis-rs's connection manager a few times before
//! it gives up, so each of those checks takes a few seconds.
#![cfg(feature = "redis-store")]

mod conformance;

use std::sync::Arc;

use sidkit_backend::SessionStore as _;
use sidkit_backend::{BackendError, EncryptedStore, EncryptionKey, RedisStore, RedisTls};
use sidkit_testpki::redis_server::{RedisServer, RedisTestPki};

/// Trusts the CA of `pki`.
fn roots(pki: &RedisTestPki) -> RedisTls {
    RedisTls::new(pki.ca_pem().as_bytes()).unwrap()
}

/// Trusts the CA of `pki` and presents its client certificate.
fn mutual(pki: &RedisTestPki) -> RedisTls {
    roots(pki)
        .with_client_cert(
            pki.client_cert_pem().as_bytes(),
            pki.client_key_pem().as_bytes(),
        )
        .unwrap()
}

/// The reason of a connection that must fail to connect (not be refused before connecting).
async fn connect_error(url: &str, tls: Option<&RedisTls>) -> String {
    let r = match tls {
        Some(t) => RedisStore::connect_with(url, "tls:", t).await,
        None => RedisStore::connect(url, "tls:").await,
    };
    match r {
        Err(BackendError::Store(e)) => {
            eprintln!("{url}: {e}");
            e.reason().to_owned()
        }
        Err(other) => panic!("{url}: refused before connecting: {other}"),
        Ok(_) => panic!("{url}: connected"),
    }
}

/// The field and reason of a URL or TLS material refused before anything connects.
async fn refusal(url: &str, tls: Option<&RedisTls>) -> String {
    let r = match tls {
        Some(t) => RedisStore::connect_with(url, "tls:", t).await,
        None => RedisStore::connect(url, "tls:").await,
    };
    match r {
        Err(BackendError::InvalidInput { field, reason }) => format!("{field}: {reason}"),
        Err(other) => panic!("{url}: not refused up front: {other}"),
        Ok(_) => panic!("{url}: connected"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn redis_store_conforms_over_tls() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, false);
    assert!(redis.url().starts_with("rediss://127.0.0.1:"));
    let store = RedisStore::connect_with(&redis.url(), "conformance:", &roots(&pki))
        .await
        .unwrap();
    conformance::conformance(Arc::new(store.clone())).await;
    conformance::largest_version_conflicts(&store).await;
    // The name in the certificate (localhost) works as well as its IP address.
    let by_name = format!("rediss://localhost:{}/", redis.port());
    let s = RedisStore::connect_with(&by_name, "conformance:", &roots(&pki))
        .await
        .unwrap();
    assert_eq!(s.get("conf/a").await.unwrap().unwrap().version, 12);
}

/// Mutual TLS (`--tls-auth-clients yes`): the suite through an `EncryptedStore` with the client
/// certificate; without it the server refuses the handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mutual_tls_works_with_a_client_certificate_and_fails_without() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, true);
    let store = RedisStore::connect_with(&redis.url(), "conformance:", &mutual(&pki))
        .await
        .unwrap();
    let key = EncryptionKey::generate("mtls").unwrap();
    conformance::conformance(Arc::new(EncryptedStore::new(Arc::new(store), key))).await;

    let e = connect_error(&redis.url(), Some(&roots(&pki))).await;
    assert!(e.contains("CertificateRequired"), "{e}");
    // A client certificate of another CA is no better.
    let other = RedisTestPki::generate();
    let foreign = roots(&pki)
        .with_client_cert(
            other.client_cert_pem().as_bytes(),
            other.client_key_pem().as_bytes(),
        )
        .unwrap();
    let e = connect_error(&redis.url(), Some(&foreign)).await;
    assert!(e.contains("UnknownCA"), "{e}");
    // The server logged the refused handshakes.
    let log = redis.log();
    assert!(log.contains("Error accepting a client connection"), "{log}");
}

/// A server certificate of another CA fails the handshake: a certificate error, never a
/// fallback to any other trust store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_root_ca_fails_with_a_certificate_error() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, false);
    let wrong = RedisTestPki::generate();
    let e = connect_error(&redis.url(), Some(&roots(&wrong))).await;
    assert!(
        e.contains("certificate") && e.contains("UnknownIssuer"),
        "{e}"
    );
    // Trusting the wrong CA and the right one is trusting the right one.
    let both = format!("{}{}", wrong.ca_pem(), pki.ca_pem());
    let tls = RedisTls::new(both.as_bytes()).unwrap();
    assert_eq!(tls.root_count(), 2);
    RedisStore::connect_with(&redis.url(), "tls:", &tls)
        .await
        .unwrap();
}

/// The server's name is verified, not only its chain: 127.0.0.2 reaches the same server, but
/// its certificate does not name that address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_servers_name_is_verified() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, false);
    let url = format!("rediss://127.0.0.2:{}/", redis.port());
    let e = connect_error(&url, Some(&roots(&pki))).await;
    assert!(
        e.contains("certificate not valid for name \"127.0.0.2\""),
        "{e}"
    );
}

/// A plain client on the TLS port gets no session: the server expects a TLS handshake.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_redis_against_the_tls_port_fails() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, false);
    let plain = format!("redis://127.0.0.1:{}/", redis.port());
    connect_error(&plain, None).await;
}

/// What is refused before anything connects, each a typed `InvalidInput`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn insecure_and_mismatched_tls_settings_are_refused() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, false);
    let tls = roots(&pki);
    // rediss:// without roots: no system or webpki-roots fallback.
    let e = refusal(&redis.url(), None).await;
    assert!(e.contains("needs the server's root CA certificates"), "{e}");
    let e = match RedisStore::connect_plaintext_any_host(&redis.url(), "tls:").await {
        Err(BackendError::InvalidInput { reason, .. }) => reason,
        other => panic!("{other:?}"),
    };
    assert!(e.contains("needs the server's root CA certificates"), "{e}");
    // #insecure (verification off), with or without roots.
    for t in [None, Some(&tls)] {
        let e = refusal(&format!("{}#insecure", redis.url()), t).await;
        assert!(e.starts_with("redisUrl: #insecure"), "{e}");
    }
    // TLS material with a plain URL.
    let e = refusal(&format!("redis://127.0.0.1:{}/", redis.port()), Some(&tls)).await;
    assert!(
        e.contains("TLS material was given for a plain redis:// URL"),
        "{e}"
    );
    // A key that is not the client certificate's.
    let other = RedisTestPki::generate();
    let e = roots(&pki)
        .with_client_cert(
            pki.client_cert_pem().as_bytes(),
            other.client_key_pem().as_bytes(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("redisTls.clientKey"), "{e}");
    let e = roots(&pki)
        .with_client_cert(
            pki.client_cert_pem().as_bytes(),
            pki.client_cert_pem().as_bytes(),
        )
        .unwrap_err();
    assert!(e.to_string().contains("holds no PEM private key"), "{e}");
    // Certificates where roots belong: a key is no root.
    let e = RedisTls::new(pki.client_key_pem().as_bytes()).unwrap_err();
    assert!(e.to_string().contains("no PEM CERTIFICATE"), "{e}");
}

/// `Debug` shows how many roots and whether there is a client certificate, nothing of the key.
#[test]
fn debug_prints_no_key_material() {
    let pki = RedisTestPki::generate();
    let text = format!("{:?}", mutual(&pki));
    assert_eq!(text, "RedisTls { roots: 1, client_cert: [redacted] }");
    assert_eq!(
        format!("{:?}", roots(&pki)),
        "RedisTls { roots: 1, client_cert: none }"
    );
}

const CHILD_URL: &str = "SIDKIT_TEST_REDIS_TLS_URL";
const CHILD_WRONG_CA: &str = "SIDKIT_TEST_REDIS_WRONG_CA";

/// The system's trust store is never used, even when it trusts the server: this binary runs
/// [`system_trust_child`] again in a child process whose system trust store
/// (`SSL_CERT_FILE`, read by redis-rs's rustls-native-certs) holds the server's CA.
#[test]
fn the_system_trust_store_is_never_used() {
    let pki = RedisTestPki::generate();
    let redis = RedisServer::start_tls(&pki, false);
    let wrong = RedisTestPki::generate();
    let empty = pki.dir().join("no-certs");
    std::fs::create_dir_all(&empty).unwrap();
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "system_trust_child",
            "--include-ignored",
            "--nocapture",
        ])
        .env("SSL_CERT_FILE", pki.ca_file())
        .env("SSL_CERT_DIR", &empty)
        .env(CHILD_URL, redis.url())
        .env(CHILD_WRONG_CA, wrong.ca_file())
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("1 passed"), "the child ran no test: {text}");
}

/// Run by [`the_system_trust_store_is_never_used`] only.
#[test]
#[ignore = "run by the_system_trust_store_is_never_used in a child process"]
fn system_trust_child() {
    let url = std::env::var(CHILD_URL).expect("run by the_system_trust_store_is_never_used");
    let wrong = std::fs::read(std::env::var(CHILD_WRONG_CA).unwrap()).unwrap();
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        // The control: redis-rs's own default (the system's roots) trusts this server here.
        let client = redis::Client::open(url.as_str()).unwrap();
        let mut c = client.get_multiplexed_async_connection().await.unwrap();
        let pong: String = redis::cmd("PING").query_async(&mut c).await.unwrap();
        assert_eq!(pong, "PONG");
        // RedisStore does not fall back to it...
        let e = refusal(&url, None).await;
        assert!(e.contains("needs the server's root CA certificates"), "{e}");
        // ... and with the wrong explicit root the handshake fails.
        let e = connect_error(&url, Some(&RedisTls::new(&wrong).unwrap())).await;
        assert!(e.contains("UnknownIssuer"), "{e}");
    });
}
