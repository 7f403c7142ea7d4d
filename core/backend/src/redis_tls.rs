//! How a [`RedisStore`](crate::RedisStore) reaches its server (feature `redis-store`): the
//! rules on the URL and the TLS material of `rediss://` ([`RedisTls`]).
//!
//! * `rediss://` trusts exactly the roots of a [`RedisTls`]: never the system's trust store,
//!   never webpki-roots. The server's name (or IP address) in the URL is verified against its
//!   certificate.
//! * `#insecure` (redis-rs's marker that turns certificate verification off) is refused.
//! * TLS material with a plain `redis://` URL is refused, and so is `rediss://` without it.
//! * Plain `redis://` (or a Unix socket) is allowed to a loopback address or `localhost` only;
//!   any other host needs the explicit opt-in
//!   [`RedisStore::connect_plaintext_any_host`](crate::RedisStore::connect_plaintext_any_host),
//!   because the store holds session secrets and the URL's password would cross the network
//!   in clear.
//!
//! Each refusal is a [`BackendError::InvalidInput`] naming the rule. The URL itself, which may
//! hold a password, is never part of an error message.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use redis::{ConnectionAddr, ConnectionInfo, IntoConnectionInfo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use zeroize::{Zeroize, Zeroizing};

use sidkit_proto::secret::REDACTED;

use crate::error::BackendError;

/// The TLS material of a `rediss://` connection
/// ([`RedisStore::connect_with`](crate::RedisStore::connect_with)): the root CA certificates
/// the server's certificate must chain to (required: there is no fallback to the system's
/// trust store or to webpki-roots), and optionally a client certificate and key for a server
/// that requires them (`tls-auth-clients yes`).
///
/// Both are PEM and are checked when they are given, not at the first connection. The client
/// key is kept in memory that is zeroized on drop and is never printed (`Debug` shows
/// `[redacted]`). redis-rs and rustls parse their own copies of it for every connection and do
/// not zeroize those.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// use sidkit_backend::{RedisStore, RedisTls};
/// let tls = RedisTls::new(&std::fs::read("/etc/mybank/redis-ca.pem")?)?;
/// let store = RedisStore::connect_with("rediss://:password@redis.internal:6380/", "mybank:", &tls).await?;
/// # let _ = store;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisTls {
    roots_pem: Vec<u8>,
    root_count: usize,
    client: Option<ClientIdentity>,
}

/// A client certificate chain and its private key, both PEM.
#[derive(Clone)]
struct ClientIdentity {
    cert_pem: Vec<u8>,
    key_pem: Zeroizing<Vec<u8>>,
}

impl fmt::Debug for RedisTls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisTls")
            .field("roots", &self.root_count)
            .field(
                "client_cert",
                &format_args!(
                    "{}",
                    if self.client.is_some() {
                        REDACTED
                    } else {
                        "none"
                    }
                ),
            )
            .finish()
    }
}

fn invalid(field: &'static str, reason: impl Into<String>) -> BackendError {
    BackendError::invalid(field, reason)
}

/// The certificates of `pem`, or why there are none.
fn certificates(
    field: &'static str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>, BackendError> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid(field, format!("is not PEM: {e}")))?;
    if certs.is_empty() {
        return Err(invalid(field, "holds no PEM CERTIFICATE"));
    }
    Ok(certs)
}

impl RedisTls {
    /// Trusts exactly the CA certificates in `roots_pem` (one or more PEM `CERTIFICATE`
    /// blocks, e.g. your Redis CA). Fails if there is none or one is not a usable trust anchor.
    pub fn new(roots_pem: &[u8]) -> Result<Self, BackendError> {
        let roots = certificates("redisTls.roots", roots_pem)?;
        let root_count = roots.len();
        let mut store = rustls::RootCertStore::empty();
        for cert in roots {
            store
                .add(cert)
                .map_err(|e| invalid("redisTls.roots", format!("is not a usable CA: {e}")))?;
        }
        Ok(RedisTls {
            roots_pem: roots_pem.to_vec(),
            root_count,
            client: None,
        })
    }

    /// Also presents a client certificate, for a server that requires one
    /// (`tls-auth-clients yes`): `cert_pem` is the chain, leaf first; `key_pem` its private key
    /// (PKCS#8, PKCS#1 or SEC1 PEM). The key is copied into memory zeroized on drop (zeroize
    /// your own copy). Fails if either does not parse or the key is not the certificate's.
    pub fn with_client_cert(
        mut self,
        cert_pem: &[u8],
        key_pem: &[u8],
    ) -> Result<Self, BackendError> {
        let chain = certificates("redisTls.clientCert", cert_pem)?;
        let mut key = PrivateKeyDer::from_pem_slice(key_pem)
            .map_err(|_| invalid("redisTls.clientKey", "holds no PEM private key"))?;
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let checked = rustls::sign::CertifiedKey::from_der(chain, key.clone_key(), &provider);
        key.zeroize();
        checked.map_err(|e| {
            invalid(
                "redisTls.clientKey",
                format!("is not usable with the client certificate: {e}"),
            )
        })?;
        self.client = Some(ClientIdentity {
            cert_pem: cert_pem.to_vec(),
            key_pem: Zeroizing::new(key_pem.to_vec()),
        });
        Ok(self)
    }

    /// How many root certificates are trusted.
    pub fn root_count(&self) -> usize {
        self.root_count
    }

    /// Whether a client certificate is presented.
    pub fn has_client_cert(&self) -> bool {
        self.client.is_some()
    }

    /// The material in redis-rs's form (a copy: redis-rs does not zeroize it).
    fn certificates(&self) -> redis::TlsCertificates {
        redis::TlsCertificates {
            client_tls: self.client.as_ref().map(|c| redis::ClientTlsConfig {
                client_cert: c.cert_pem.clone(),
                client_key: c.key_pem.to_vec(),
            }),
            root_cert: Some(self.roots_pem.clone()),
        }
    }
}

/// What a constructor of [`RedisStore`](crate::RedisStore) accepts.
pub(crate) enum Transport<'a> {
    /// Plain `redis://` or a Unix socket, loopback only.
    PlainLoopback,
    /// Plain `redis://` or a Unix socket to any host (the explicit opt-in).
    PlainAnyHost,
    /// `rediss://` with these roots (and client certificate).
    Tls(&'a RedisTls),
}

/// Whether `host` (as redis-rs parsed it from the URL) is this machine.
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

const FIELD: &str = "redisUrl";

/// A redis-rs client for `url` by the rules of the [module](self).
pub(crate) fn client(url: &str, transport: Transport<'_>) -> Result<redis::Client, BackendError> {
    // redis-rs's own parser, so that what is checked is what it connects to.
    let info: ConnectionInfo = url
        .into_connection_info()
        .map_err(|e| invalid(FIELD, format!("does not parse: {e}")))?;
    match (info.addr(), transport) {
        (ConnectionAddr::TcpTls { insecure: true, .. }, _) => Err(invalid(
            FIELD,
            "#insecure turns TLS certificate verification off: refused (give the server's CA with RedisTls)",
        )),
        (ConnectionAddr::TcpTls { .. }, Transport::Tls(tls)) => {
            redis::Client::build_with_tls(info, tls.certificates())
                .map_err(|e| invalid("redisTls", e.to_string()))
        }
        (ConnectionAddr::TcpTls { .. }, _) => Err(invalid(
            FIELD,
            "rediss:// needs the server's root CA certificates: RedisStore::connect_with(url, prefix, &RedisTls::new(ca_pem)?) (the system's trust store is never used)",
        )),
        (ConnectionAddr::Tcp(..) | ConnectionAddr::Unix(_), Transport::Tls(_)) => Err(invalid(
            FIELD,
            "TLS material was given for a plain redis:// URL, which would not use it: use rediss://",
        )),
        (ConnectionAddr::Tcp(host, _), Transport::PlainLoopback) if !is_loopback(host) => {
            Err(invalid(
                FIELD,
                format!(
                    "plain redis:// to {host}, which is not a loopback address, sends session state and the password in clear: use rediss:// with RedisStore::connect_with, or opt in with RedisStore::connect_plaintext_any_host"
                ),
            ))
        }
        (ConnectionAddr::Tcp(..) | ConnectionAddr::Unix(_), _) => {
            redis::Client::open(info).map_err(|e| invalid(FIELD, e.to_string()))
        }
        _ => Err(invalid(FIELD, "is not a redis://, rediss:// or unix:// address")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refusal(url: &str, t: Transport<'_>) -> String {
        match client(url, t) {
            Err(BackendError::InvalidInput { field, reason }) => format!("{field}: {reason}"),
            other => panic!("{url}: {other:?}"),
        }
    }

    #[test]
    fn loopback_hosts() {
        for h in [
            "127.0.0.1",
            "127.9.9.9",
            "::1",
            "[::1]",
            "localhost",
            "LocalHost",
        ] {
            assert!(is_loopback(h), "{h}");
        }
        for h in [
            "10.0.0.5",
            "192.168.1.1",
            "::ffff:10.0.0.1",
            "redis.internal",
            "localhost.evil.example",
            "0.0.0.0",
        ] {
            assert!(!is_loopback(h), "{h}");
        }
    }

    #[test]
    fn urls_are_checked_before_anything_connects() {
        // Plain, loopback (and Unix sockets): accepted; elsewhere only with the opt-in.
        for ok in [
            "redis://127.0.0.1:6379/",
            "redis://localhost/",
            "redis://[::1]:6379/0",
            "unix:///run/redis.sock",
        ] {
            client(ok, Transport::PlainLoopback).unwrap();
        }
        let e = refusal("redis://:hunter2@10.0.0.5:6379/", Transport::PlainLoopback);
        assert!(
            e.contains("not a loopback address") && e.contains("connect_plaintext_any_host"),
            "{e}"
        );
        assert!(!e.contains("hunter2"), "the password leaked: {e}");
        client("redis://:hunter2@10.0.0.5:6379/", Transport::PlainAnyHost).unwrap();
        // rediss:// needs explicit roots, on every plain constructor.
        for t in [Transport::PlainLoopback, Transport::PlainAnyHost] {
            let e = refusal("rediss://127.0.0.1:6380/", t);
            assert!(e.contains("needs the server's root CA"), "{e}");
        }
        assert!(
            refusal("nonsense", Transport::PlainLoopback).starts_with("redisUrl: does not parse")
        );
        assert!(refusal("http://127.0.0.1/", Transport::PlainLoopback)
            .starts_with("redisUrl: does not parse"));
    }

    #[test]
    fn debug_hides_the_client_key() {
        // Real PEM comes from the integration tests (tests/store_conformance.rs); here only the
        // form of Debug without material.
        let tls = RedisTls {
            roots_pem: Vec::new(),
            root_count: 2,
            client: Some(ClientIdentity {
                cert_pem: b"CERT".to_vec(),
                key_pem: Zeroizing::new(b"-----BEGIN PRIVATE KEY-----SECRET".to_vec()),
            }),
        };
        assert_eq!(
            format!("{tls:?}"),
            "RedisTls { roots: 2, client_cert: [redacted] }"
        );
    }

    #[test]
    fn bad_pem_is_refused() {
        let e = RedisTls::new(b"").unwrap_err().to_string();
        assert!(
            e.contains("redisTls.roots") && e.contains("no PEM CERTIFICATE"),
            "{e}"
        );
        let e = RedisTls::new(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
            .unwrap_err()
            .to_string();
        assert!(e.contains("redisTls.roots"), "{e}");
    }
}
