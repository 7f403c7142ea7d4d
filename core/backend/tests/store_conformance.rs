//! The [`SessionStore`] contract (the suite in `conformance/mod.rs`) against [`MemoryStore`]
//! (always), [`EncryptedStore`](sidkit_backend::EncryptedStore) over it, and
//! [`RedisStore`](sidkit_backend::RedisStore) (feature `redis-store`, on a private
//! `redis-server` this test starts on a free loopback port with `sidkit_testpki::redis_server`;
//! a missing `redis-server` is a failure, not a skip: `scripts/bootstrap.sh` installs it).
//! The same suite over `rediss://` (TLS, mutual TLS): `tests/redis_tls.rs`.

mod conformance;

use std::sync::Arc;

use conformance::{conformance, largest_version_conflicts};
use sidkit_backend::MemoryStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn memory_store_conforms() {
    conformance(Arc::new(MemoryStore::new())).await;
}

#[tokio::test]
async fn memory_store_largest_version_conflicts() {
    largest_version_conflicts(&MemoryStore::new()).await;
}

/// The encrypting wrapper keeps the contract of the store it wraps.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn encrypted_memory_store_conforms() {
    let key = sidkit_backend::EncryptionKey::generate("test").unwrap();
    conformance(Arc::new(sidkit_backend::EncryptedStore::new(
        Arc::new(MemoryStore::new()),
        key,
    )))
    .await;
}

mod redis {
    #![cfg(feature = "redis-store")]

    use std::sync::Arc;
    use std::time::Duration;

    use sidkit_backend::RedisStore;
    use sidkit_testpki::redis_server::RedisServer;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn redis_store_conforms() {
        let redis = RedisServer::start();
        let store = RedisStore::connect(&redis.url(), "conformance:")
            .await
            .unwrap();
        super::conformance(Arc::new(store)).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn encrypted_redis_store_conforms() {
        let redis = RedisServer::start();
        let store = RedisStore::connect(&redis.url(), "conformance:")
            .await
            .unwrap();
        let key = sidkit_backend::EncryptionKey::generate("test").unwrap();
        super::conformance(Arc::new(sidkit_backend::EncryptedStore::new(
            Arc::new(store),
            key,
        )))
        .await;
    }

    #[tokio::test]
    async fn redis_store_largest_version_conflicts() {
        let redis = RedisServer::start();
        let store = RedisStore::connect(&redis.url(), "conformance:")
            .await
            .unwrap();
        super::largest_version_conflicts(&store).await;
    }

    /// Two stores with different prefixes on one server do not see each other's keys.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn redis_prefixes_separate_stores() {
        use sidkit_backend::SessionStore as _;
        let redis = RedisServer::start();
        let a = RedisStore::connect(&redis.url(), "a:").await.unwrap();
        let b = RedisStore::connect(&redis.url(), "b:").await.unwrap();
        let ttl = Duration::from_secs(60);
        assert!(a.insert("k", "from a", ttl).await.unwrap());
        assert!(b.get("k").await.unwrap().is_none());
        assert!(b.insert("k", "from b", ttl).await.unwrap());
        assert_eq!(a.get("k").await.unwrap().unwrap().value.as_str(), "from a");
        assert_eq!(b.take("k").await.unwrap().unwrap().as_str(), "from b");
        assert_eq!(a.get("k").await.unwrap().unwrap().value.as_str(), "from a");
    }
}
