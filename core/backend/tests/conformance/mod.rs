//! The [`SessionStore`] contract, checked once for every store (shared by the test binaries
//! `store_conformance` and `redis_tls`): [`conformance`] exercises exactly what the trait
//! documents (`src/store.rs`); [`largest_version_conflicts`] the edges of versions and expiries.
//!
//! Timing: entries that must expire get short TTLs and are checked after a generous sleep;
//! entries that must survive get long TTLs, so a slow machine cannot make a check fail.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use sidkit_backend::SessionStore;

/// Long enough to outlive any test.
const LONG: Duration = Duration::from_secs(600);
/// Short TTL of the entries that must expire while the test sleeps [`PAST_SHORT`].
const SHORT: Duration = Duration::from_millis(150);
/// Slept to be sure [`SHORT`] entries are gone.
const PAST_SHORT: Duration = Duration::from_millis(600);
/// A TTL that is still running when a refreshed entry is checked (after [`PAST_MEDIUM`]).
const MEDIUM: Duration = Duration::from_millis(1500);
/// Slept to be sure [`MEDIUM`] entries (not refreshed) are gone.
const PAST_MEDIUM: Duration = Duration::from_millis(2500);

/// How many tasks race in the concurrency checks.
const RACERS: usize = 32;

/// The value and version under `key`, or `None`.
async fn read(s: &dyn SessionStore, key: &str) -> Option<(u64, String)> {
    s.get(key)
        .await
        .unwrap()
        .map(|v| (v.version, v.value.as_str().to_owned()))
}

/// Exercises the whole [`SessionStore`] contract on `store`. Keys start with `conf/`, so the
/// store may hold other entries; the store must not hold `conf/` entries already.
pub async fn conformance(store: Arc<dyn SessionStore>) {
    let s = store.as_ref();

    // ---- insert: version 1 if absent; an existing key is left as it is ------------------
    assert!(s.insert("conf/a", "one", LONG).await.unwrap());
    assert_eq!(read(s, "conf/a").await, Some((1, "one".into())));
    assert!(!s.insert("conf/a", "two", LONG).await.unwrap());
    assert_eq!(
        read(s, "conf/a").await,
        Some((1, "one".into())),
        "insert changed nothing"
    );

    // ---- get: absent keys --------------------------------------------------------------
    assert_eq!(read(s, "conf/absent").await, None);

    // ---- replace: compare-and-set on the version ----------------------------------------
    assert!(s.replace("conf/a", 1, "three", LONG).await.unwrap());
    assert_eq!(read(s, "conf/a").await, Some((2, "three".into())));
    // A stale version (the one just replaced), a future one and a far-off one: conflicts.
    for stale in [1, 3, 0, 1000] {
        assert!(
            !s.replace("conf/a", stale, "lost", LONG).await.unwrap(),
            "replace with version {stale} must conflict"
        );
    }
    assert_eq!(
        read(s, "conf/a").await,
        Some((2, "three".into())),
        "conflicts changed nothing"
    );
    // Every successful write increments the version by one.
    for v in 2..12 {
        assert!(s
            .replace("conf/a", v, &format!("v{}", v + 1), LONG)
            .await
            .unwrap());
    }
    assert_eq!(read(s, "conf/a").await, Some((12, "v12".into())));
    // A key that is gone is not created by replace.
    assert!(!s.replace("conf/absent", 1, "x", LONG).await.unwrap());
    assert!(!s.replace("conf/absent", 0, "x", LONG).await.unwrap());
    assert_eq!(read(s, "conf/absent").await, None);

    // ---- take: read and delete in one step -----------------------------------------------
    assert!(s.insert("conf/t", "taken", LONG).await.unwrap());
    assert_eq!(
        s.take("conf/t")
            .await
            .unwrap()
            .as_deref()
            .map(String::as_str),
        Some("taken")
    );
    assert!(s.take("conf/t").await.unwrap().is_none(), "second take");
    assert_eq!(read(s, "conf/t").await, None);
    assert!(!s.replace("conf/t", 1, "x", LONG).await.unwrap());
    assert!(s.take("conf/absent").await.unwrap().is_none());
    // A taken key is absent: insert starts again at version 1.
    assert!(s.insert("conf/t", "again", LONG).await.unwrap());
    assert_eq!(read(s, "conf/t").await, Some((1, "again".into())));
    // take after replace returns the replaced value.
    assert!(s.replace("conf/t", 1, "replaced", LONG).await.unwrap());
    assert_eq!(
        s.take("conf/t")
            .await
            .unwrap()
            .as_deref()
            .map(String::as_str),
        Some("replaced")
    );

    // ---- remove: deletes; absent keys are no error -----------------------------------------
    assert!(s.insert("conf/r", "x", LONG).await.unwrap());
    s.remove("conf/r").await.unwrap();
    assert_eq!(read(s, "conf/r").await, None);
    assert!(s.take("conf/r").await.unwrap().is_none());
    assert!(!s.replace("conf/r", 1, "y", LONG).await.unwrap());
    s.remove("conf/r").await.unwrap();
    s.remove("conf/absent").await.unwrap();
    assert!(s.insert("conf/r", "back", LONG).await.unwrap());
    assert_eq!(read(s, "conf/r").await, Some((1, "back".into())));

    // ---- remove_if_version: compare-and-delete --------------------------------------------
    assert!(s.insert("conf/rv", "x", LONG).await.unwrap());
    assert!(s.replace("conf/rv", 1, "y", LONG).await.unwrap());
    for stale in [1, 3, 0, u64::MAX] {
        assert!(
            !s.remove_if_version("conf/rv", stale).await.unwrap(),
            "{stale}"
        );
        assert_eq!(read(s, "conf/rv").await, Some((2, "y".into())), "{stale}");
    }
    assert!(s.remove_if_version("conf/rv", 2).await.unwrap());
    assert_eq!(read(s, "conf/rv").await, None);
    assert!(!s.remove_if_version("conf/rv", 2).await.unwrap());
    assert!(!s.remove_if_version("conf/absent", 1).await.unwrap());
    assert!(s.insert("conf/rv", "again", LONG).await.unwrap());
    assert_eq!(read(s, "conf/rv").await, Some((1, "again".into())));

    // ---- values: any characters, empty and long ------------------------------------------
    let all_ascii: String = (0u8..=0x7f).map(char::from).collect();
    let values = [
        String::new(),
        all_ascii,
        "\u{0}\u{0}nul inside\u{0}".to_owned(),
        "line\nbreak\r\n\ttab \\ backslash \"quote\" 'single'".to_owned(),
        "äöü õ šž ∑ 😀 \u{10FFFF} \u{FEFF}bom".to_owned(),
        // Looks like Lua, Redis protocol or JSON: stored as text, never interpreted.
        "]] return redis.call('FLUSHALL') --[[".to_owned(),
        "*3\r\n$3\r\nDEL\r\n$1\r\nk\r\n".to_owned(),
        r#"{"v":99,"d":"not the version"}"#.to_owned(),
        "x".repeat(1 << 20),
        "0123456789abcdef🦀".repeat(100_000),
    ];
    for (i, v) in values.iter().enumerate() {
        let key = format!("conf/value/{i}");
        assert!(s.insert(&key, v, LONG).await.unwrap());
        assert_eq!(
            read(s, &key).await,
            Some((1, v.clone())),
            "value {i} after insert"
        );
        let next = format!("{v}{v}");
        assert!(s.replace(&key, 1, &next, LONG).await.unwrap());
        assert_eq!(
            read(s, &key).await,
            Some((2, next.clone())),
            "value {i} after replace"
        );
        assert_eq!(
            s.take(&key).await.unwrap().as_deref().map(String::as_str),
            Some(next.as_str()),
            "value {i} taken"
        );
    }
    // Keys with any characters are distinct keys.
    let keys = [
        "conf/k",
        "conf/k ",
        "conf/K",
        "conf/k\u{0}",
        "conf/k:ü😀",
        "conf/k\n",
    ];
    for (i, k) in keys.iter().enumerate() {
        assert!(
            s.insert(k, &i.to_string(), LONG).await.unwrap(),
            "key {k:?}"
        );
    }
    for (i, k) in keys.iter().enumerate() {
        assert_eq!(read(s, k).await, Some((1, i.to_string())), "key {k:?}");
        s.remove(k).await.unwrap();
    }

    // ---- expiry -------------------------------------------------------------------------
    // Entries that expire after SHORT; checked after PAST_SHORT.
    assert!(s.insert("conf/e/get", "x", SHORT).await.unwrap());
    assert!(s.insert("conf/e/insert", "x", SHORT).await.unwrap());
    assert!(s.insert("conf/e/replace", "x", SHORT).await.unwrap());
    assert!(s.insert("conf/e/take", "x", SHORT).await.unwrap());
    assert!(s.insert("conf/e/remove_if", "x", SHORT).await.unwrap());
    // replace sets the expiry to its own ttl from now: shortened here...
    assert!(s.insert("conf/e/shortened", "x", LONG).await.unwrap());
    assert!(s.replace("conf/e/shortened", 1, "y", SHORT).await.unwrap());
    // ... and lengthened here (checked after PAST_MEDIUM, when MEDIUM is over).
    assert!(s.insert("conf/e/lengthened", "x", MEDIUM).await.unwrap());
    assert!(s.replace("conf/e/lengthened", 1, "y", LONG).await.unwrap());
    // A failed insert or replace does not touch the expiry either.
    assert!(s.insert("conf/e/kept1", "x", MEDIUM).await.unwrap());
    assert!(!s.insert("conf/e/kept1", "y", LONG).await.unwrap());
    assert!(s.insert("conf/e/kept2", "x", MEDIUM).await.unwrap());
    assert!(!s.replace("conf/e/kept2", 7, "y", LONG).await.unwrap());
    // Long-lived neighbours are unaffected.
    assert!(s.insert("conf/e/alive", "x", LONG).await.unwrap());

    tokio::time::sleep(PAST_SHORT).await;
    assert_eq!(read(s, "conf/e/get").await, None, "get after expiry");
    assert!(
        s.insert("conf/e/insert", "new", LONG).await.unwrap(),
        "insert over an expired key"
    );
    assert_eq!(read(s, "conf/e/insert").await, Some((1, "new".into())));
    assert!(
        !s.replace("conf/e/replace", 1, "y", LONG).await.unwrap(),
        "replace of an expired key"
    );
    assert_eq!(read(s, "conf/e/replace").await, None);
    assert!(
        s.take("conf/e/take").await.unwrap().is_none(),
        "take of an expired key"
    );
    assert!(
        !s.remove_if_version("conf/e/remove_if", 1).await.unwrap(),
        "remove_if_version of an expired key"
    );
    assert_eq!(
        read(s, "conf/e/shortened").await,
        None,
        "replace shortened the expiry"
    );
    assert_eq!(read(s, "conf/e/alive").await, Some((1, "x".into())));

    tokio::time::sleep(PAST_MEDIUM - PAST_SHORT).await;
    assert_eq!(
        read(s, "conf/e/lengthened").await,
        Some((2, "y".into())),
        "replace lengthened the expiry"
    );
    assert_eq!(
        read(s, "conf/e/kept1").await,
        None,
        "a failed insert kept the expiry"
    );
    assert_eq!(
        read(s, "conf/e/kept2").await,
        None,
        "a failed replace kept the expiry"
    );
    assert_eq!(read(s, "conf/e/alive").await, Some((1, "x".into())));

    // ---- atomicity: many tasks race on one key --------------------------------------------
    // insert-if-absent: exactly one wins.
    let wins = race(&store, |s, i| async move {
        s.insert("conf/race/insert", &format!("task {i}"), LONG)
            .await
            .unwrap()
    })
    .await;
    let winner = one_winner(&wins, "insert");
    assert_eq!(
        read(s, "conf/race/insert").await,
        Some((1, format!("task {winner}")))
    );

    // compare-and-set from the same version: exactly one wins, several rounds.
    assert!(s.insert("conf/race/cas", "start", LONG).await.unwrap());
    for round in 1..=5u64 {
        let wins = race(&store, move |s, i| async move {
            s.replace(
                "conf/race/cas",
                round,
                &format!("round {round} task {i}"),
                LONG,
            )
            .await
            .unwrap()
        })
        .await;
        let winner = one_winner(&wins, "replace");
        assert_eq!(
            read(s, "conf/race/cas").await,
            Some((round + 1, format!("round {round} task {winner}")))
        );
    }

    // compare-and-set as a read-modify-write loop: no increment is lost.
    assert!(s.insert("conf/race/counter", "0", LONG).await.unwrap());
    race(&store, |s, _| async move {
        loop {
            let v = s.get("conf/race/counter").await.unwrap().unwrap();
            let n: u64 = v.value.parse().unwrap();
            if s.replace("conf/race/counter", v.version, &(n + 1).to_string(), LONG)
                .await
                .unwrap()
            {
                return true;
            }
        }
    })
    .await;
    assert_eq!(
        read(s, "conf/race/counter").await,
        Some((RACERS as u64 + 1, RACERS.to_string()))
    );

    // take: exactly one task gets the value.
    assert!(s.insert("conf/race/take", "once", LONG).await.unwrap());
    let wins = race(&store, |s, _| async move {
        match s.take("conf/race/take").await.unwrap() {
            Some(v) => {
                assert_eq!(v.as_str(), "once");
                true
            }
            None => false,
        }
    })
    .await;
    one_winner(&wins, "take");
    assert_eq!(read(s, "conf/race/take").await, None);

    // compare-and-delete against compare-and-set from the same version: exactly one wins.
    assert!(s.insert("conf/race/rv", "held", LONG).await.unwrap());
    let wins = race(&store, |s, i| async move {
        if i.is_multiple_of(2) {
            s.remove_if_version("conf/race/rv", 1).await.unwrap()
        } else {
            s.replace("conf/race/rv", 1, &format!("task {i}"), LONG)
                .await
                .unwrap()
        }
    })
    .await;
    let winner = one_winner(&wins, "remove_if_version/replace");
    let after = read(s, "conf/race/rv").await;
    if winner.is_multiple_of(2) {
        assert_eq!(after, None);
    } else {
        assert_eq!(after, Some((2, format!("task {winner}"))));
    }
}

/// `replace` with the largest version on a key at version 1 is a conflict like any other
/// wrong version (the trait: "Returns `false`, changing nothing, if the key ... was changed").
/// (Found by this test: `RedisStore` used to panic on it, `expected_version + 1` overflowed.)
pub async fn largest_version_conflicts(s: &dyn SessionStore) {
    assert!(s.insert("conf/max", "x", LONG).await.unwrap());
    assert!(!s.replace("conf/max", u64::MAX, "y", LONG).await.unwrap());
    assert_eq!(read(s, "conf/max").await, Some((1, "x".into())));
    // An expiry the store cannot represent is a typed error, and the store stays usable
    // (MemoryStore used to panic holding its lock, poisoning it for good).
    assert!(s.insert("conf/far", "x", Duration::MAX).await.is_err());
    assert!(s.replace("conf/max", 1, "y", Duration::MAX).await.is_err());
    assert_eq!(read(s, "conf/max").await, Some((1, "x".into())));
    assert!(s.insert("conf/far", "x", LONG).await.unwrap());
}

/// Runs `f(store, i)` on [`RACERS`] tasks at once (released together) and returns their results.
async fn race<F, Fut>(store: &Arc<dyn SessionStore>, f: F) -> Vec<bool>
where
    F: Fn(Arc<dyn SessionStore>, usize) -> Fut,
    Fut: std::future::Future<Output = bool> + Send + 'static,
{
    let start = Arc::new(tokio::sync::Barrier::new(RACERS));
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let fut = f(store.clone(), i);
            let start = start.clone();
            tokio::spawn(async move {
                start.wait().await;
                fut.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(RACERS);
    for t in tasks {
        results.push(t.await.unwrap());
    }
    results
}

/// The index of the only `true` in `wins`; fails unless there is exactly one.
fn one_winner(wins: &[bool], what: &str) -> usize {
    let winners: Vec<usize> = (0..wins.len()).filter(|&i| wins[i]).collect();
    assert_eq!(
        winners.len(),
        1,
        "{what}: exactly one of {RACERS} tasks wins: {winners:?}"
    );
    winners[0]
}
