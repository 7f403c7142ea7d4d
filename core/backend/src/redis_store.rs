//! A [`SessionStore`] on Redis (feature `redis-store`), for backends that run several
//! instances: the instance that receives a return URL need not be the one that started the
//! flow.
//!
//! Each entry is a hash `{v: version, d: value}` with a millisecond expiry. Insert-if-absent,
//! compare-and-set and read-and-delete are Lua scripts, so each is atomic on the server.
//!
//! How it connects (plain on loopback, `rediss://` with explicit roots, the opt-in for plain
//! elsewhere) is decided in `redis_tls`.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;
use zeroize::Zeroizing;

use super::store::{SessionStore, Versioned};
use crate::error::{BackendError, StoreError};
use crate::redis_tls::{self, RedisTls, Transport};
use crate::store::bounded_ttl;

type Result<T> = std::result::Result<T, StoreError>;

const INSERT: &str = r"
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'v', 1, 'd', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1";

const REPLACE: &str = r"
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'v', ARGV[2], 'd', ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return 1";

const REMOVE_IF_VERSION: &str = r"
if redis.call('HGET', KEYS[1], 'v') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1";

const TAKE: &str = r"
local d = redis.call('HGET', KEYS[1], 'd')
redis.call('DEL', KEYS[1])
return d";

/// A [`SessionStore`] on a Redis server (any version with Lua scripting, e.g. 6 or 7).
#[derive(Clone)]
pub struct RedisStore {
    conn: ConnectionManager,
    prefix: String,
    insert: Script,
    replace: Script,
    take: Script,
    remove_if_version: Script,
}

impl std::fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

fn redis_err(e: redis::RedisError) -> StoreError {
    StoreError::new(format!("Redis: {e}"))
}

/// The expiry in whole milliseconds, by [`bounded_ttl`].
fn ms(ttl: Duration) -> Result<u64> {
    // MAX_TTL is far below u64::MAX milliseconds.
    Ok(u64::try_from(bounded_ttl(ttl)?.as_millis()).unwrap_or(u64::MAX))
}

impl RedisStore {
    /// Connects to `url` over plain TCP (`redis://[:password@]host[:port][/db]`) or a Unix
    /// socket (`unix:///path`), and prefixes every key with `prefix` (e.g. `myapp:`), so several
    /// apps can share a server.
    ///
    /// Only a loopback host (`127.0.0.0/8`, `::1`, `localhost`) or a Unix socket is accepted:
    /// the store holds session secrets and the password would cross the network in clear. A
    /// Redis elsewhere takes `rediss://` and [`connect_with`](Self::connect_with) (or, on a
    /// network you protect otherwise, [`connect_plaintext_any_host`](Self::connect_plaintext_any_host)).
    /// `rediss://` is refused here: it needs explicit roots.
    ///
    /// Fails with [`BackendError::InvalidInput`] (field `redisUrl`) for a refused URL, with
    /// [`BackendError::Store`] if the server cannot be reached.
    pub async fn connect(url: &str, prefix: &str) -> std::result::Result<Self, BackendError> {
        Self::open(redis_tls::client(url, Transport::PlainLoopback)?, prefix).await
    }

    /// Connects to `url` over TLS (`rediss://[:password@]host[:port][/db]`), trusting exactly
    /// the roots of `tls` and presenting its client certificate if it has one; prefixes every
    /// key with `prefix`. The server's certificate must be valid for the URL's host name or IP
    /// address.
    ///
    /// Refused with [`BackendError::InvalidInput`]: a plain `redis://` URL (which would not use
    /// `tls`), `#insecure` (certificate verification off). A failed connection or TLS
    /// handshake (an untrusted server certificate, a client certificate the server does not
    /// accept) is [`BackendError::Store`].
    pub async fn connect_with(
        url: &str,
        prefix: &str,
        tls: &RedisTls,
    ) -> std::result::Result<Self, BackendError> {
        Self::open(redis_tls::client(url, Transport::Tls(tls))?, prefix).await
    }

    /// Like [`connect`](Self::connect), but accepts a plain `redis://` URL to any host: the
    /// explicit opt-in for a Redis on a network that you protect otherwise (a private link, a
    /// TLS tunnel you run). Session state and the password cross it in clear; wrap the store in
    /// an [`EncryptedStore`](crate::EncryptedStore) at least. `rediss://` is refused here too.
    pub async fn connect_plaintext_any_host(
        url: &str,
        prefix: &str,
    ) -> std::result::Result<Self, BackendError> {
        Self::open(redis_tls::client(url, Transport::PlainAnyHost)?, prefix).await
    }

    async fn open(client: redis::Client, prefix: &str) -> std::result::Result<Self, BackendError> {
        let conn = ConnectionManager::new(client).await.map_err(redis_err)?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_owned(),
            insert: Script::new(INSERT),
            replace: Script::new(REPLACE),
            take: Script::new(TAKE),
            remove_if_version: Script::new(REMOVE_IF_VERSION),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

#[async_trait::async_trait]
impl SessionStore for RedisStore {
    async fn insert(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let mut c = self.conn.clone();
        let r: i64 = self
            .insert
            .key(self.key(key))
            .arg(value)
            .arg(ms(ttl)?)
            .invoke_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(r == 1)
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>> {
        let mut c = self.conn.clone();
        let (v, d): (Option<u64>, Option<String>) = redis::cmd("HMGET")
            .arg(self.key(key))
            .arg("v")
            .arg("d")
            .query_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(match (v, d) {
            (Some(version), Some(value)) => Some(Versioned {
                version,
                value: Zeroizing::new(value),
            }),
            _ => None,
        })
    }

    async fn replace(
        &self,
        key: &str,
        expected_version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool> {
        // No entry can be at a version that has no successor: a conflict like any other.
        let Some(next_version) = expected_version.checked_add(1) else {
            return Ok(false);
        };
        let mut c = self.conn.clone();
        let r: i64 = self
            .replace
            .key(self.key(key))
            .arg(expected_version)
            .arg(next_version)
            .arg(value)
            .arg(ms(ttl)?)
            .invoke_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(r == 1)
    }

    async fn take(&self, key: &str) -> Result<Option<Zeroizing<String>>> {
        let mut c = self.conn.clone();
        let d: Option<String> = self
            .take
            .key(self.key(key))
            .invoke_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(d.map(Zeroizing::new))
    }

    async fn remove(&self, key: &str) -> Result<()> {
        let mut c = self.conn.clone();
        let _: i64 = redis::cmd("DEL")
            .arg(self.key(key))
            .query_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(())
    }

    async fn remove_if_version(&self, key: &str, expected_version: u64) -> Result<bool> {
        let mut c = self.conn.clone();
        let r: i64 = self
            .remove_if_version
            .key(self.key(key))
            .arg(expected_version)
            .invoke_async(&mut c)
            .await
            .map_err(redis_err)?;
        Ok(r == 1)
    }
}
