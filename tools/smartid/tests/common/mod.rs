//! Shared helpers of the contract tests.
#![allow(dead_code)]

use std::time::Duration;

use sidkit_cli::phone::Phone;
use sidkit_cli::reference::Stack;

/// A stack on free loopback ports with the in-memory store.
pub async fn stack() -> Stack {
    Stack::start(0, 0, None)
        .await
        .expect("reference stack starts")
}

/// A phone for `stack` with `account`.
pub fn phone(stack: &Stack, account: &str) -> Phone {
    Phone::new(&stack.server.base_url(), account).expect("phone")
}

/// A plain HTTP client for raw contract calls.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Bounds a future so a broken test fails instead of hanging.
pub async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("finished in time")
}

/// Reads a JSON body.
pub async fn json<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
    let bytes = r.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("JSON body")
}

/// `url` with the first character of its `userChallengeVerifier` changed: a well-formed
/// verifier that is not the genuine one (the genuine `value` and digest stay).
pub fn with_other_verifier(url: &str) -> String {
    let i = url
        .find("userChallengeVerifier=")
        .expect("an auth return URL")
        + "userChallengeVerifier=".len();
    let mut u = url.to_owned();
    let c = if &u[i..i + 1] == "A" { "B" } else { "A" };
    u.replace_range(i..i + 1, c);
    u
}
