//! The session store of `smartid serve`: in memory (default), or Redis (`--redis URL`, feature
//! `redis-store`) over plain TCP on loopback or `rediss://` with explicit roots
//! (`--redis-ca`, and `--redis-client-cert`/`--redis-client-key` for mutual TLS), optionally
//! encrypted at rest with the keys of `--store-key-file`.
//!
//! Every file is read and checked before anything connects: a bad one is exit code 2, a Redis
//! that cannot be reached (or fails the TLS handshake) exit code 3. `--redis` without
//! `--store-key-file` works but warns on stderr: Redis then holds session secrets, callback
//! tokens and identities in clear.
//!
//! The key file holds one key a line, `<key id> <standard Base64 of 32 bytes>`: the first is
//! the current key (new writes), the later ones older keys that are still read (rotation).
//! `#` starts a comment; blank lines are ignored. Key ids are 1 to 32 characters of
//! `A-Z a-z 0-9 - _ .` and distinct.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use sidkit_backend::{EncryptedStore, EncryptionKey, SessionStore};
use zeroize::Zeroizing;

use crate::error::CliError;

/// Where `smartid serve` keeps its flows.
#[derive(Debug, Clone, clap::Args)]
pub struct StoreArgs {
    /// Share flows through Redis (feature `redis-store`): `redis://127.0.0.1:6379/` (plain
    /// TCP: loopback only) or `rediss://host:port/` with --redis-ca. Without --store-key-file
    /// Redis holds session secrets in clear, and a warning says so.
    #[arg(long, value_name = "URL")]
    redis: Option<String>,
    /// The root CA certificate(s), PEM, that the rediss:// server's certificate must chain to.
    /// Nothing else is trusted (no system trust store); required for rediss://.
    #[arg(long, value_name = "FILE", requires = "redis")]
    redis_ca: Option<PathBuf>,
    /// Client certificate (PEM, leaf first) for a Redis that requires one
    /// (`tls-auth-clients yes`); with --redis-client-key.
    #[arg(long, value_name = "FILE", requires_all = ["redis_ca", "redis_client_key"])]
    redis_client_cert: Option<PathBuf>,
    /// The private key (PEM) of --redis-client-cert.
    #[arg(long, value_name = "FILE", requires = "redis_client_cert")]
    redis_client_key: Option<PathBuf>,
    /// Encrypt every value in Redis (XChaCha20-Poly1305) with the keys of FILE: one
    /// `<key id> <base64 32-byte key>` a line (ids: 1 to 32 of `A-Z a-z 0-9 - _ .`), the first
    /// for new writes, later ones (older keys) still read; `#` comments. Rotate by adding a new
    /// first line and keeping the old one 30 minutes. Make one: `(umask 077; echo "$(date
    /// +%Y-%m) $(openssl rand -base64 32)" > store-keys)`.
    #[arg(long, value_name = "FILE", requires = "redis")]
    store_key_file: Option<PathBuf>,
}

/// The checked store settings, ready to connect.
pub struct StorePlan {
    redis: Option<String>,
    #[cfg(feature = "redis-store")]
    tls: Option<sidkit_backend::RedisTls>,
    keys: Option<(EncryptionKey, Vec<EncryptionKey>)>,
}

fn read(flag: &str, path: &Path) -> Result<Zeroizing<Vec<u8>>, CliError> {
    std::fs::read(path)
        .map(Zeroizing::new)
        .map_err(|e| CliError::Input(format!("{flag} {}: cannot read: {e}", path.display())))
}

/// The keys of a key file's `text`: the current one and the older ones, or why not (never
/// quoting a key).
pub fn parse_key_file(text: &str) -> Result<(EncryptionKey, Vec<EncryptionKey>), String> {
    let mut keys: Vec<EncryptionKey> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.split('#').next().unwrap_or_default().trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [id, key] = fields[..] else {
            return Err(format!(
                "line {}: expected `<key id> <base64 32-byte key>`",
                n + 1
            ));
        };
        let k = EncryptionKey::from_base64(id, key).map_err(|e| format!("line {}: {e}", n + 1))?;
        if keys.iter().any(|o| o.id() == id) {
            return Err(format!("line {}: key id {id} appears twice", n + 1));
        }
        keys.push(k);
    }
    let mut keys = keys.into_iter();
    let current = keys
        .next()
        .ok_or("holds no key (one `<key id> <base64 32-byte key>` a line)")?;
    Ok((current, keys.collect()))
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    if let Ok(m) = std::fs::metadata(path) {
        if m.permissions().mode() & 0o077 != 0 {
            eprintln!(
                "warning: --store-key-file {} is readable by other users (chmod 600 it)",
                path.display()
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_: &Path) {}

impl StoreArgs {
    /// Reads and checks every file (bad input: exit 2); warns about `--redis` without
    /// `--store-key-file`.
    pub fn resolve(&self) -> Result<StorePlan, CliError> {
        let keys = match &self.store_key_file {
            Some(path) => {
                let bytes = read("--store-key-file", path)?;
                let text = std::str::from_utf8(&bytes).map_err(|_| {
                    CliError::Input(format!("--store-key-file {}: is not text", path.display()))
                })?;
                let keys = parse_key_file(text).map_err(|e| {
                    CliError::Input(format!("--store-key-file {}: {e}", path.display()))
                })?;
                warn_if_readable_by_others(path);
                Some(keys)
            }
            None => None,
        };
        if self.redis.is_some() && keys.is_none() {
            eprintln!(
                "warning: --redis without --store-key-file: Redis holds the flows' session secrets, callback tokens and identities in clear"
            );
        }
        Ok(StorePlan {
            redis: self.redis.clone(),
            #[cfg(feature = "redis-store")]
            tls: self.tls()?,
            keys,
        })
    }

    #[cfg(feature = "redis-store")]
    fn tls(&self) -> Result<Option<sidkit_backend::RedisTls>, CliError> {
        let bad = |flag: &str, path: &Path, e: sidkit_backend::BackendError| {
            CliError::Input(format!("{flag} {}: {e}", path.display()))
        };
        let Some(ca) = &self.redis_ca else {
            return Ok(None);
        };
        let tls = sidkit_backend::RedisTls::new(&read("--redis-ca", ca)?)
            .map_err(|e| bad("--redis-ca", ca, e))?;
        match (&self.redis_client_cert, &self.redis_client_key) {
            (Some(cert), Some(key)) => {
                let key_pem = read("--redis-client-key", key)?;
                tls.with_client_cert(&read("--redis-client-cert", cert)?, &key_pem)
                    .map(Some)
                    .map_err(|e| bad("--redis-client-cert/--redis-client-key", cert, e))
            }
            // clap requires both or neither.
            _ => Ok(Some(tls)),
        }
    }
}

impl StorePlan {
    /// One line on the store, for the startup banner (never the URL: it may hold a password).
    pub fn describe(&self) -> String {
        if self.redis.is_none() {
            return "session-store: memory (this process only)".into();
        }
        #[cfg(feature = "redis-store")]
        let transport = match &self.tls {
            Some(t) if t.has_client_cert() => "rediss (TLS, client certificate)",
            Some(_) => "rediss (TLS)",
            None => "redis (plain TCP, loopback)",
        };
        #[cfg(not(feature = "redis-store"))]
        let transport = "redis";
        match &self.keys {
            Some((current, older)) => format!(
                "session-store: {transport}, encrypted at rest with key {} ({} older key(s) readable)",
                current.id(),
                older.len()
            ),
            None => format!("session-store: {transport}, NOT encrypted at rest"),
        }
    }

    /// Connects: `None` for the in-memory store.
    pub async fn open(self) -> Result<Option<Arc<dyn SessionStore>>, CliError> {
        let Some(store) = self.connect().await? else {
            return Ok(None);
        };
        Ok(Some(match self.keys {
            Some((current, older)) => Arc::new(older.into_iter().fold(
                EncryptedStore::new(store, current),
                EncryptedStore::with_previous,
            )),
            None => store,
        }))
    }

    #[cfg(feature = "redis-store")]
    async fn connect(&self) -> Result<Option<Arc<dyn SessionStore>>, CliError> {
        use sidkit_backend::{BackendError, RedisStore};
        let Some(url) = &self.redis else {
            return Ok(None);
        };
        let r = match &self.tls {
            Some(tls) => RedisStore::connect_with(url, "sidkit:", tls).await,
            None => RedisStore::connect(url, "sidkit:").await,
        };
        match r {
            Ok(s) => Ok(Some(Arc::new(s))),
            Err(BackendError::InvalidInput { reason, .. }) => {
                let hint = if self.tls.is_none() {
                    " (smartid serve: rediss:// takes --redis-ca FILE)"
                } else {
                    ""
                };
                Err(CliError::Input(format!("--redis: {reason}{hint}")))
            }
            Err(e) => Err(CliError::Environment(format!("--redis: {e}"))),
        }
    }

    #[cfg(not(feature = "redis-store"))]
    async fn connect(&self) -> Result<Option<Arc<dyn SessionStore>>, CliError> {
        match &self.redis {
            Some(_) => Err(CliError::Input(
                "--redis needs the `redis-store` feature (cargo run -p sidkit-cli --features redis-store)".into(),
            )),
            None => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const K1: &str = "AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=";
    const K2: &str = "AgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgI=";

    #[test]
    fn key_files() {
        let text = format!("# store keys\n\n2026-12 {K1}   # current\n  2026-06\t{K2}\n");
        let (current, older) = parse_key_file(&text).unwrap();
        assert_eq!(current.id(), "2026-12");
        assert_eq!(
            older.iter().map(|k| k.id()).collect::<Vec<_>>(),
            ["2026-06"]
        );
        let (current, older) = parse_key_file(&format!("only {K2}")).unwrap();
        assert_eq!((current.id(), older.len()), ("only", 0));
    }

    #[test]
    fn bad_key_files_name_the_line_and_never_the_key() {
        for (text, want) in [
            ("".to_owned(), "holds no key"),
            ("# only a comment\n".to_owned(), "holds no key"),
            (K1.to_owned(), "line 1: expected"),
            (format!("a {K1} extra"), "line 1: expected"),
            (
                format!("a {K1}\nb {K1}\na {K2}"),
                "line 3: key id a appears twice",
            ),
            (
                "a AAAA".to_owned(),
                "line 1: invalid encryptionKey: must be 32 bytes",
            ),
            (format!("a {}", &K1[..20]), "line 1: invalid encryptionKey"),
            (format!("bad/id {K1}"), "line 1: invalid encryptionKey.id"),
        ] {
            let e = parse_key_file(&text)
                .err()
                .unwrap_or_else(|| panic!("{text:?} accepted"));
            assert!(e.contains(want), "{text:?}: {e}");
            assert!(
                !e.contains(&K1[..12]) && !e.contains(&K2[..12]),
                "a key in {e}"
            );
        }
    }

    #[test]
    fn the_banner_never_shows_the_url() {
        let plan = StorePlan {
            redis: Some("redis://:hunter2@127.0.0.1/".into()),
            #[cfg(feature = "redis-store")]
            tls: None,
            keys: Some(parse_key_file(&format!("k {K1}")).unwrap()),
        };
        let d = plan.describe();
        assert!(
            d.contains("encrypted at rest with key k") && !d.contains("hunter2"),
            "{d}"
        );
    }
}
