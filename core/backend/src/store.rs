//! Where the backend keeps the secret-bearing state of its flows: the [`SessionStore`] trait and
//! the in-memory [`MemoryStore`].
//!
//! The store is a small versioned key-value map with expiry. Every operation the backend needs
//! to be atomic across instances is one call: [`insert`](SessionStore::insert) creates only if
//! absent (idempotency keys), [`replace`](SessionStore::replace) is a compare-and-set on the
//! entry's version (the one-shot claim of a completion), [`take`](SessionStore::take) reads
//! and deletes (one-shot session references), and
//! [`remove_if_version`](SessionStore::remove_if_version) deletes only an entry still at the
//! version its writer holds (giving up a claim). Keys are derived from hashes of the handles, never
//! the handles themselves.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use zeroize::Zeroizing;

use crate::error::StoreError;

/// Shorthand for the result of a store operation.
type Result<T> = std::result::Result<T, StoreError>;

/// A stored value and its version (incremented by every successful write).
#[derive(Clone, PartialEq, Eq)]
pub struct Versioned {
    /// Starts at 1 on insert.
    pub version: u64,
    /// The value (JSON with secrets; zeroized on drop).
    pub value: Zeroizing<String>,
}

impl std::fmt::Debug for Versioned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Versioned")
            .field("version", &self.version)
            .field("value", &"[redacted]")
            .finish()
    }
}

/// A versioned key-value store with expiry, shared by every instance of a backend.
///
/// Implementations must make each method atomic with respect to the others (on one key).
#[async_trait::async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Stores `value` under `key` with version 1 if the key is absent (or expired). Returns
    /// `false`, changing nothing, if it exists.
    ///
    /// Expiry is kept to the millisecond: a `ttl` under 1 ms counts as 1 ms, and a `ttl` longer
    /// than [`MAX_TTL`] is a [`StoreError`] (for every method that takes one).
    async fn insert(&self, key: &str, value: &str, ttl: Duration) -> Result<bool>;

    /// The value and version under `key`, if present and not expired.
    async fn get(&self, key: &str) -> Result<Option<Versioned>>;

    /// Replaces the value under `key` if its version is still `expected_version` (then the
    /// version becomes `expected_version + 1` and the expiry `ttl` from now). Returns `false`,
    /// changing nothing, if the key is gone or was changed meanwhile.
    async fn replace(
        &self,
        key: &str,
        expected_version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool>;

    /// Reads and deletes the value under `key` in one step.
    async fn take(&self, key: &str) -> Result<Option<Zeroizing<String>>>;

    /// Deletes `key` (no error if absent).
    async fn remove(&self, key: &str) -> Result<()>;

    /// Deletes `key` only if its version is still `expected_version`, in one step (a
    /// compare-and-delete). Returns `false`, changing nothing, if the key is gone or was changed
    /// meanwhile: a writer that lost its claim never deletes the entry of the one that took it
    /// over.
    async fn remove_if_version(&self, key: &str, expected_version: u64) -> Result<bool>;
}

struct Entry {
    version: u64,
    value: Zeroizing<String>,
    expires: Instant,
}

/// The default [`SessionStore`]: a process-local map with expiry. Expired entries are dropped
/// on access and by a sweep every 1024 writes. Right for a single backend instance; use a
/// shared store (e.g. [`RedisStore`](super::RedisStore), feature `redis-store`) when several
/// instances serve one app, because the return URL may reach another instance than the one
/// that started the flow.
#[derive(Default)]
pub struct MemoryStore {
    map: Mutex<HashMap<String, Entry>>,
    writes: std::sync::atomic::AtomicU64,
}

impl std::fmt::Debug for MemoryStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryStore")
            .field("entries", &self.len())
            .finish()
    }
}

impl MemoryStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// Number of entries (including expired ones not yet swept).
    pub fn len(&self) -> usize {
        self.lock().map(|m| m.len()).unwrap_or(0)
    }

    /// Bytes held in keys and values (not counting the map's own overhead).
    pub fn payload_bytes(&self) -> usize {
        self.lock()
            .map(|m| m.iter().map(|(k, e)| k.len() + e.value.len()).sum())
            .unwrap_or(0)
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> Result<std::sync::MutexGuard<'_, HashMap<String, Entry>>> {
        self.map
            .lock()
            .map_err(|_| StoreError::new("the in-memory store's lock is poisoned"))
    }

    fn sweep_sometimes(&self, map: &mut HashMap<String, Entry>, now: Instant) {
        let n = self
            .writes
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if n % 1024 == 1023 {
            map.retain(|_, e| e.expires > now);
        }
    }
}

/// The longest expiry a [`SessionStore`] accepts (100 years; the backend kit itself keeps flows
/// for at most 30 minutes). Longer ones are refused rather than silently capped.
pub const MAX_TTL: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

fn too_far() -> StoreError {
    StoreError::new("the expiry is too far in the future")
}

/// The one rule every store applies to a `ttl`: at least 1 ms, at most [`MAX_TTL`] (else a
/// [`StoreError`]).
pub(crate) fn bounded_ttl(ttl: Duration) -> Result<Duration> {
    if ttl > MAX_TTL {
        return Err(too_far());
    }
    Ok(ttl.max(Duration::from_millis(1)))
}

/// `now + ttl` by [`bounded_ttl`]. Computed before the lock is taken, so that a refused `ttl`
/// cannot poison it.
fn expiry(now: Instant, ttl: Duration) -> Result<Instant> {
    now.checked_add(bounded_ttl(ttl)?).ok_or_else(too_far)
}

#[async_trait::async_trait]
impl SessionStore for MemoryStore {
    async fn insert(&self, key: &str, value: &str, ttl: Duration) -> Result<bool> {
        let now = Instant::now();
        let expires = expiry(now, ttl)?;
        let mut map = self.lock()?;
        self.sweep_sometimes(&mut map, now);
        if map.get(key).is_some_and(|e| e.expires > now) {
            return Ok(false);
        }
        map.insert(
            key.to_owned(),
            Entry {
                version: 1,
                value: Zeroizing::new(value.to_owned()),
                expires,
            },
        );
        Ok(true)
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>> {
        let now = Instant::now();
        let mut map = self.lock()?;
        match map.get(key) {
            Some(e) if e.expires > now => Ok(Some(Versioned {
                version: e.version,
                value: e.value.clone(),
            })),
            Some(_) => {
                map.remove(key);
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn replace(
        &self,
        key: &str,
        expected_version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool> {
        let now = Instant::now();
        let expires = expiry(now, ttl)?;
        let Some(next_version) = expected_version.checked_add(1) else {
            return Ok(false);
        };
        let mut map = self.lock()?;
        self.sweep_sometimes(&mut map, now);
        match map.get_mut(key) {
            Some(e) if e.expires > now && e.version == expected_version => {
                e.version = next_version;
                e.value = Zeroizing::new(value.to_owned());
                e.expires = expires;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn take(&self, key: &str) -> Result<Option<Zeroizing<String>>> {
        let now = Instant::now();
        let mut map = self.lock()?;
        Ok(map.remove(key).filter(|e| e.expires > now).map(|e| e.value))
    }

    async fn remove(&self, key: &str) -> Result<()> {
        self.lock()?.remove(key);
        Ok(())
    }

    async fn remove_if_version(&self, key: &str, expected_version: u64) -> Result<bool> {
        let now = Instant::now();
        let mut map = self.lock()?;
        match map.get(key) {
            Some(e) if e.expires > now && e.version == expected_version => {
                map.remove(key);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn memory_store_semantics() {
        let s = MemoryStore::new();
        let ttl = Duration::from_secs(60);
        assert!(s.insert("k", "a", ttl).await.unwrap());
        assert!(!s.insert("k", "b", ttl).await.unwrap());
        let v = s.get("k").await.unwrap().unwrap();
        assert_eq!((v.version, v.value.as_str()), (1, "a"));
        assert!(s.replace("k", 1, "c", ttl).await.unwrap());
        assert!(!s.replace("k", 1, "d", ttl).await.unwrap());
        assert_eq!(s.get("k").await.unwrap().unwrap().version, 2);
        assert_eq!(s.take("k").await.unwrap().unwrap().as_str(), "c");
        assert!(s.take("k").await.unwrap().is_none());
        assert!(s.insert("e", "x", Duration::ZERO).await.unwrap());
        tokio::time::sleep(Duration::from_millis(5)).await;
        assert!(s.get("e").await.unwrap().is_none());
        // An expiry no clock can hold is refused, and the store stays usable.
        assert!(s.insert("far", "x", Duration::MAX).await.is_err());
        assert!(s.insert("far", "x", ttl).await.unwrap());
        assert!(s.insert("e", "y", ttl).await.unwrap());
        s.remove("e").await.unwrap();
        assert!(s.get("e").await.unwrap().is_none());
        assert!(format!(
            "{:?}",
            Versioned {
                version: 1,
                value: Zeroizing::new("secret".into())
            }
        )
        .contains("[redacted]"));
    }
}
