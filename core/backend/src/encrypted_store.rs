//! Encryption at rest: [`EncryptedStore`] wraps any [`SessionStore`] (Redis, the in-memory one,
//! your own) and seals every value with XChaCha20-Poly1305 under an [`EncryptionKey`] before it
//! reaches the store. A dump of the store then holds no session secret, callback token, flow
//! record or identity in clear.
//!
//! Each stored value is `sidkit-enc1:<key id>:<BASE64URL(nonce ‖ ciphertext ‖ tag)>` with a
//! random 192-bit nonce. The associated data binds the ciphertext to its store key and key id,
//! so a value copied to another key, or relabelled with another key id, fails authentication.
//! Keys rotate: new writes use the current key, reads accept the current and every previous key
//! named by its id. A value that is not sealed (someone with write access to the store planted
//! it) or fails authentication is an error, never read as a record.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use zeroize::Zeroizing;

use sidkit_proto::b64;
use sidkit_proto::secret::{random_bytes, REDACTED};

use crate::error::{BackendError, StoreError};
use crate::store::{SessionStore, Versioned};

/// Prefix of every sealed value.
const SEALED_PREFIX: &str = "sidkit-enc1:";
/// Length of an XChaCha20-Poly1305 nonce.
const NONCE_LEN: usize = 24;

/// A 256-bit key of an [`EncryptedStore`] with its id (which is stored with every value it
/// seals, so that rotated keys can still be read). Zeroized on drop, printed as `[redacted]`.
#[derive(Clone)]
pub struct EncryptionKey {
    id: String,
    key: Zeroizing<[u8; 32]>,
}

impl EncryptionKey {
    /// A key named `id` (1 to 32 characters of `A-Z a-z 0-9 - _ .`) with the 32 bytes `key`.
    pub fn new(id: &str, key: [u8; 32]) -> Result<Self, BackendError> {
        let ok = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if !ok {
            return Err(BackendError::invalid(
                "encryptionKey.id",
                "must be 1 to 32 characters of A-Z a-z 0-9 - _ .",
            ));
        }
        Ok(EncryptionKey {
            id: id.to_owned(),
            key: Zeroizing::new(key),
        })
    }

    /// A key named `id` from 32 bytes in standard Base64 (e.g. from a secret manager:
    /// `openssl rand -base64 32`).
    pub fn from_base64(id: &str, key: &str) -> Result<Self, BackendError> {
        let bytes = Zeroizing::new(
            b64::decode_std("encryptionKey", key.trim())
                .map_err(|e| BackendError::invalid("encryptionKey", e.to_string()))?,
        );
        let key: [u8; 32] = bytes
            .as_slice()
            .try_into()
            .map_err(|_| BackendError::invalid("encryptionKey", "must be 32 bytes"))?;
        Self::new(id, key)
    }

    /// A new random key named `id`.
    pub fn generate(id: &str) -> Result<Self, BackendError> {
        let bytes =
            random_bytes(32).map_err(|e| BackendError::invalid("encryptionKey", e.to_string()))?;
        let mut key = [0u8; 32];
        key.copy_from_slice(&bytes);
        let k = Self::new(id, key);
        zeroize::Zeroize::zeroize(&mut key);
        k
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    fn cipher(&self) -> XChaCha20Poly1305 {
        XChaCha20Poly1305::new((&*self.key).into())
    }
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({}, {REDACTED})", self.id)
    }
}

/// A [`SessionStore`] that seals every value with XChaCha20-Poly1305 before `inner` sees it,
/// so that a dump of the store holds no session secret, callback token, flow record or
/// identity in clear.
///
/// Each stored value is `sidkit-enc1:<key id>:<BASE64URL(nonce ‖ ciphertext ‖ tag)>` with a
/// random 192-bit nonce. The associated data binds the ciphertext to its store key and key id,
/// so a value copied to another key, or relabelled with another key id, fails authentication.
/// New writes use the current key; reads accept the current and every previous key
/// ([`with_previous`](Self::with_previous)) by its id. A value that is not sealed (planted by
/// someone with write access to the store) or fails authentication is a [`StoreError`], never
/// read as a record.
///
/// ```no_run
/// # async fn run() -> Result<(), Box<dyn std::error::Error>> {
/// # #[cfg(feature = "redis-store")] {
/// use std::sync::Arc;
/// use sidkit_backend::{EncryptedStore, EncryptionKey, RedisStore, RedisTls};
/// let tls = RedisTls::new(&std::fs::read("/etc/mybank/redis-ca.pem")?)?;
/// let redis = Arc::new(RedisStore::connect_with("rediss://redis.internal:6380/", "mybank:", &tls).await?);
/// let store = EncryptedStore::new(redis, EncryptionKey::from_base64("2026-12", &std::env::var("SIDKIT_STORE_KEY")?)?)
///     .with_previous(EncryptionKey::from_base64("2026-06", &std::env::var("SIDKIT_STORE_KEY_OLD")?)?);
/// # let _ = store; }
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct EncryptedStore {
    inner: Arc<dyn SessionStore>,
    current: EncryptionKey,
    previous: Vec<EncryptionKey>,
}

impl fmt::Debug for EncryptedStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EncryptedStore")
            .field("current", &self.current)
            .field("previous", &self.previous)
            .finish_non_exhaustive()
    }
}

fn aad(store_key: &str, key_id: &str) -> Vec<u8> {
    let mut a = Vec::with_capacity(24 + store_key.len() + key_id.len());
    a.extend_from_slice(b"sidkit store v1\0");
    a.extend_from_slice(store_key.as_bytes());
    a.push(0);
    a.extend_from_slice(key_id.as_bytes());
    a
}

impl EncryptedStore {
    /// Seals with `current` the values written to `inner`.
    pub fn new(inner: Arc<dyn SessionStore>, current: EncryptionKey) -> Self {
        EncryptedStore {
            inner,
            current,
            previous: Vec::new(),
        }
    }

    /// Also reads values sealed with `key` (a rotated-out key, kept until the flows it sealed
    /// have expired: at most 30 minutes).
    pub fn with_previous(mut self, key: EncryptionKey) -> Self {
        self.previous.push(key);
        self
    }

    fn seal(&self, store_key: &str, value: &str) -> Result<String, StoreError> {
        let nonce_bytes = random_bytes(NONCE_LEN).map_err(|e| StoreError::new(e.to_string()))?;
        let nonce = XNonce::from_slice(&nonce_bytes);
        let ct = self
            .current
            .cipher()
            .encrypt(
                nonce,
                Payload {
                    msg: value.as_bytes(),
                    aad: &aad(store_key, &self.current.id),
                },
            )
            .map_err(|_| StoreError::new("sealing a store entry failed"))?;
        let mut blob = Vec::with_capacity(NONCE_LEN + ct.len());
        blob.extend_from_slice(&nonce_bytes);
        blob.extend_from_slice(&ct);
        Ok(format!(
            "{SEALED_PREFIX}{}:{}",
            self.current.id,
            b64::encode_url(&blob)
        ))
    }

    fn open(&self, store_key: &str, sealed: &str) -> Result<Zeroizing<String>, StoreError> {
        let rest = sealed
            .strip_prefix(SEALED_PREFIX)
            .ok_or_else(|| StoreError::new("a store entry is not sealed: refused"))?;
        let (id, blob) = rest
            .split_once(':')
            .ok_or_else(|| StoreError::new("a sealed store entry is malformed"))?;
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| StoreError::new("a store entry is sealed with an unknown key id"))?;
        let blob = b64::decode_url("sealed", blob)
            .map_err(|_| StoreError::new("a sealed store entry is malformed"))?;
        if blob.len() < NONCE_LEN + 16 {
            return Err(StoreError::new("a sealed store entry is malformed"));
        }
        let (nonce, ct) = blob.split_at(NONCE_LEN);
        let plain = Zeroizing::new(
            key.cipher()
                .decrypt(
                    XNonce::from_slice(nonce),
                    Payload {
                        msg: ct,
                        aad: &aad(store_key, id),
                    },
                )
                .map_err(|_| {
                    StoreError::new(
                        "a store entry failed authentication (tampered, moved or another key)",
                    )
                })?,
        );
        let text = std::str::from_utf8(&plain)
            .map_err(|_| StoreError::new("a sealed store entry is not text"))?;
        Ok(Zeroizing::new(text.to_owned()))
    }
}

#[async_trait]
impl SessionStore for EncryptedStore {
    async fn insert(&self, key: &str, value: &str, ttl: Duration) -> Result<bool, StoreError> {
        let sealed = self.seal(key, value)?;
        self.inner.insert(key, &sealed, ttl).await
    }

    async fn get(&self, key: &str) -> Result<Option<Versioned>, StoreError> {
        match self.inner.get(key).await? {
            None => Ok(None),
            Some(v) => Ok(Some(Versioned {
                version: v.version,
                value: self.open(key, &v.value)?,
            })),
        }
    }

    async fn replace(
        &self,
        key: &str,
        version: u64,
        value: &str,
        ttl: Duration,
    ) -> Result<bool, StoreError> {
        let sealed = self.seal(key, value)?;
        self.inner.replace(key, version, &sealed, ttl).await
    }

    async fn take(&self, key: &str) -> Result<Option<Zeroizing<String>>, StoreError> {
        match self.inner.take(key).await? {
            None => Ok(None),
            Some(v) => self.open(key, &v).map(Some),
        }
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        self.inner.remove(key).await
    }

    async fn remove_if_version(&self, key: &str, version: u64) -> Result<bool, StoreError> {
        self.inner.remove_if_version(key, version).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::MemoryStore;

    const LONG: Duration = Duration::from_secs(600);

    fn key(id: &str, b: u8) -> EncryptionKey {
        EncryptionKey::new(id, [b; 32]).unwrap()
    }

    #[tokio::test]
    async fn values_are_sealed_bound_to_their_key_and_rotate() {
        let raw = Arc::new(MemoryStore::new());
        let s = EncryptedStore::new(raw.clone(), key("k1", 1));
        let secret = r#"{"sessionSecret":"c2VjcmV0LXNlY3JldC1zZWNyZXQ=","callbackToken":"tok"}"#;
        assert!(s.insert("flow:a", secret, LONG).await.unwrap());
        assert_eq!(
            s.get("flow:a").await.unwrap().unwrap().value.as_str(),
            secret
        );
        // The inner store holds only the sealed form.
        let stored = raw.get("flow:a").await.unwrap().unwrap();
        assert!(
            stored.value.starts_with("sidkit-enc1:k1:"),
            "{}",
            stored.value.as_str()
        );
        for clear in ["sessionSecret", "c2VjcmV0", "callbackToken", "tok\""] {
            assert!(!stored.value.contains(clear), "{clear}");
        }
        // Two seals of one value differ (random nonces).
        assert!(s.replace("flow:a", 1, secret, LONG).await.unwrap());
        let again = raw.get("flow:a").await.unwrap().unwrap();
        assert_ne!(again.value.as_str(), stored.value.as_str());

        // Moved to another key: refused.
        raw.insert("flow:b", &again.value, LONG).await.unwrap();
        assert!(s.get("flow:b").await.is_err());
        // Relabelled with another key id: refused.
        let relabelled = again.value.replace("sidkit-enc1:k1:", "sidkit-enc1:k0:");
        let rotated = EncryptedStore::new(raw.clone(), key("k2", 2)).with_previous(key("k0", 1));
        raw.insert("flow:c", &relabelled, LONG).await.unwrap();
        assert!(rotated.get("flow:c").await.is_err());
        // Tampered: refused.
        let mut t = again.value.as_str().to_owned();
        let last = t.pop().unwrap();
        t.push(if last == 'A' { 'B' } else { 'A' });
        raw.insert("flow:d", &t, LONG).await.unwrap();
        assert!(s.get("flow:d").await.is_err());
        // Planted in clear: refused.
        raw.insert("flow:e", secret, LONG).await.unwrap();
        let e = s.get("flow:e").await.unwrap_err();
        assert!(e.to_string().contains("not sealed"), "{e}");

        // Rotation: the new key writes, the old one still reads.
        let s2 = EncryptedStore::new(raw.clone(), key("k2", 2)).with_previous(key("k1", 1));
        assert_eq!(
            s2.get("flow:a").await.unwrap().unwrap().value.as_str(),
            secret
        );
        assert!(s2.replace("flow:a", 2, secret, LONG).await.unwrap());
        assert!(raw
            .get("flow:a")
            .await
            .unwrap()
            .unwrap()
            .value
            .starts_with("sidkit-enc1:k2:"));
        // Without the key the entry was sealed with: refused.
        assert!(s.get("flow:a").await.is_err());
        // take opens too.
        assert_eq!(s2.take("flow:a").await.unwrap().unwrap().as_str(), secret);
    }

    #[test]
    fn keys_are_checked_and_redacted() {
        assert!(EncryptionKey::new("", [0; 32]).is_err());
        assert!(EncryptionKey::new("a b", [0; 32]).is_err());
        assert!(EncryptionKey::from_base64("k", "AAAA").is_err());
        let k = EncryptionKey::from_base64("k", &b64::encode_std(&[7u8; 32])).unwrap();
        assert_eq!(format!("{k:?}"), "EncryptionKey(k, [redacted])");
        let g = EncryptionKey::generate("g").unwrap();
        assert_eq!(g.id(), "g");
    }
}
