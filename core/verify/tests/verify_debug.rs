//! The session descriptions the verifier takes print no secret in `Debug`: not the
//! `rpChallenge`, not the callback token of `initialCallbackUrl` (issue 16, item 10).

mod common;

use common::*;
use sidkit_proto::models::FlowType;

/// The `value` token of a callback URL.
fn token(url: &str) -> &str {
    url.split("value=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
}

#[test]
fn sessions_redact_the_challenge_and_the_callback_token() {
    let pki = Pki::new();
    let auth = Auth::new(&pki, FlowType::App2App);
    let s = auth.session();
    let url = s.initial_callback_url.unwrap().to_owned();
    let dbg = format!("{s:?} {s:#?}");
    assert!(!dbg.contains(auth.rp_challenge()), "{dbg}");
    assert!(!dbg.contains(token(&url)), "{dbg}");
    assert!(dbg.contains("[redacted]"), "{dbg}");

    let sign = Sign::new(&pki, FlowType::App2App);
    let s = sign.session();
    let url = s.initial_callback_url.unwrap().to_owned();
    let dbg = format!("{s:?} {s:#?}");
    assert!(!dbg.contains(token(&url)), "{dbg}");

    let choice = Choice::new(&pki, FlowType::App2App, &sign_spec(), None);
    let s = choice.session();
    let url = s.initial_callback_url.unwrap().to_owned();
    let dbg = format!("{s:?} {s:#?}");
    assert!(!dbg.contains(token(&url)), "{dbg}");
}
