//! A [`SessionStore`] on Redis (feature `redis-store`), for backends that run several
//! instances: the instance that receives a return URL need not be the one that started the
//! flow.
//!
//! Each entry is a hash `{v: version, d: value}` with a millisecond expiry. Insert-if-absent,
//! compare-and-set and read-and-delete are Lua scripts, so each is atomic on the server.

use std::time::Duration;

use redis::aio::ConnectionManager;
use redis::Script;
use zeroize::Zeroizing;

use super::store::{SessionStore, Versioned};
use crate::error::StoreError;
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
    /// Connects to `url` (`redis://host:port/db`; `rediss://` is not enabled) and prefixes
    /// every key with `prefix` (e.g. `myapp:`), so several apps can share a server.
    pub async fn connect(url: &str, prefix: &str) -> Result<Self> {
        let client = redis::Client::open(url).map_err(redis_err)?;
        let conn = ConnectionManager::new(client).await.map_err(redis_err)?;
        Ok(RedisStore {
            conn,
            prefix: prefix.to_owned(),
            insert: Script::new(INSERT),
            replace: Script::new(REPLACE),
            take: Script::new(TAKE),
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
}
