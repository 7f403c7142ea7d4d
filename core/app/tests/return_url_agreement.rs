//! The mobile router ([`sidkit_app::ReturnUrl::parse`]) and the backend's pre-claim check
//! ([`CallbackBinding::check`]) accept exactly the same return URLs, and give every accepted
//! spelling of one URL the same fingerprint (both run `sidkit_proto::return_url`).
//!
//! The property test builds the genuine return URL of an authentication or a signature session
//! on one of two callback bases (one with its own port and query parameters) and mutates it:
//! scheme, host case, port spelling, path spelling, fragment, and up to four changes of the
//! query (reorder, repeat, drop, an empty parameter, another parameter, a value or name
//! percent-encoded, changed, upper-cased, padded, emptied or without `=`). 4096 cases.

use proptest::prelude::*;
use sidkit_app::{CallbackBase, ReturnUrl};
use sidkit_proto::callback::{create_callback_url_with, CallbackBinding, CallbackToken};
use sidkit_proto::models::SessionType;
use sidkit_proto::secret::SessionSecret;
use sidkit_proto::CallbackFailure;

const BASE: &str = "https://rp.example.com/callback-url";
const TOKEN: &str = "RrKjjT4aggzu27YBddX1bQ";
const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";
const DIGEST: &str = "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc";
const VERIFIER: &str = "XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";

fn binding(base: &str, session_type: SessionType) -> CallbackBinding {
    let token = CallbackToken::from_string(TOKEN).unwrap();
    let initial = create_callback_url_with(base, "value", token).unwrap();
    CallbackBinding::new(
        &initial,
        &SessionSecret::from_base64(SECRET).unwrap(),
        session_type,
    )
}

fn genuine() -> String {
    format!("{BASE}?value={TOKEN}&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}")
}

/// The re-spellings of the genuine authentication return URL that the two halves used to
/// disagree on (before the shared parser: the router refused `&&`, a trailing `&` and `?&`,
/// which the backend accepted; the backend refused `:443` and another host case, which the
/// router accepted; both accepted another order, with another fingerprint).
#[test]
fn known_re_spellings_get_the_same_answer_from_both_halves() {
    let base = CallbackBase::new(BASE).unwrap();
    let b = binding(BASE, SessionType::Auth);
    let g = genuine();
    let q = format!("value={TOKEN}&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}");
    // (URL, the same URL as the genuine one?): either the same URL or refused by both halves.
    let cases = [
        (format!("{BASE}?userChallengeVerifier={VERIFIER}&sessionSecretDigest={DIGEST}&value={TOKEN}"), true),
        (format!("https://rp.example.com:443/callback-url?{q}"), true),
        (format!("https://RP.Example.COM/callback-url?{q}"), true),
        (format!("{BASE}?value={TOKEN}&&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}"), false),
        (format!("{g}&"), false),
        (format!("{BASE}?&{q}"), false),
    ];
    let genuine_fp = *ReturnUrl::parse(&base, &g).unwrap().fingerprint();
    b.check(&g).unwrap();
    let mut disagreements = Vec::new();
    for (url, same) in cases {
        let mobile = ReturnUrl::parse(&base, &url);
        let backend = b.check(&url);
        if mobile.is_ok() != backend.is_ok() {
            disagreements.push(format!("{url}: mobile {mobile:?}, backend {backend:?}"));
        } else if mobile
            .as_ref()
            .is_ok_and(|m| m.fingerprint() != &genuine_fp)
        {
            disagreements.push(format!("{url}: accepted with another fingerprint"));
        } else if mobile.is_ok() != same {
            disagreements.push(format!(
                "{url}: accepted {}, expected {same}",
                mobile.is_ok()
            ));
        }
    }
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}

// ---- property: random re-spellings and mutations of the genuine URL -----------------------

/// The two callback bases the property runs on: one plain, one with its own port and query.
const BASES: [&str; 2] = [
    "https://rp.example.com/sid/return",
    "https://rp.example.com:8443/sid/return?app=bank&v=2",
];

/// One change to the list of query segments of the genuine URL.
#[derive(Debug, Clone)]
enum Op {
    /// Swap two segments (parameter order).
    Swap(usize, usize),
    /// Repeat a segment.
    Duplicate(usize),
    /// Drop a segment.
    Drop(usize),
    /// Insert an empty segment (`&&`, `?&`, a trailing `&`).
    Empty(usize),
    /// Insert another parameter.
    Insert(usize, &'static str),
    /// Change a segment's value or name.
    Change(usize, Change),
}

#[derive(Debug, Clone, Copy)]
enum Change {
    /// The value's first character percent-encoded.
    PercentValue,
    /// The name's first character percent-encoded.
    PercentName,
    /// The value's last character replaced (another token, digest or verifier).
    OtherValue,
    /// The value in upper case.
    Upper,
    /// `=` appended to the value (padding).
    Padded,
    /// The value removed (`name=`).
    EmptyValue,
    /// The `=value` removed (`name`).
    NoEquals,
}

const JUNK: [&str; 9] = [
    "x=1",
    "flag",
    "=v",
    "app=other",
    "v=2",
    "value=SrKjjT4aggzu27YBddX1bQ",
    "sessionSecretDigest=V4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc",
    "userChallengeVerifier=YtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c",
    "next=https://evil.example.com/",
];

fn op() -> impl Strategy<Value = Op> {
    let i = 0usize..8;
    let change = prop_oneof![
        Just(Change::PercentValue),
        Just(Change::PercentName),
        Just(Change::OtherValue),
        Just(Change::Upper),
        Just(Change::Padded),
        Just(Change::EmptyValue),
        Just(Change::NoEquals),
    ];
    prop_oneof![
        12 => (i.clone(), i.clone()).prop_map(|(a, b)| Op::Swap(a, b)),
        1 => i.clone().prop_map(Op::Duplicate),
        1 => i.clone().prop_map(Op::Drop),
        1 => i.clone().prop_map(Op::Empty),
        1 => (i.clone(), proptest::sample::select(&JUNK[..])).prop_map(|(a, j)| Op::Insert(a, j)),
        2 => (i, change).prop_map(|(a, c)| Op::Change(a, c)),
    ]
}

fn percent_first(s: &str) -> String {
    match s.chars().next() {
        Some(c) => format!("%{:02X}{}", c as u32 & 0x7f, &s[c.len_utf8()..]),
        None => s.to_owned(),
    }
}

fn apply(segs: &mut Vec<String>, op: &Op) {
    let n = segs.len();
    match *op {
        Op::Swap(a, b) if n > 0 => segs.swap(a % n, b % n),
        Op::Duplicate(a) if n > 0 => {
            let s = segs[a % n].clone();
            segs.insert(a % n, s);
        }
        Op::Drop(a) if n > 0 => {
            segs.remove(a % n);
        }
        Op::Empty(a) => segs.insert(a % (n + 1), String::new()),
        Op::Insert(a, j) => segs.insert(a % (n + 1), j.to_owned()),
        Op::Change(a, c) if n > 0 => {
            let seg = &mut segs[a % n];
            let (name, value) = seg.split_once('=').unwrap_or((seg.as_str(), ""));
            let (name, value) = (name.to_owned(), value.to_owned());
            *seg = match c {
                Change::PercentValue => format!("{name}={}", percent_first(&value)),
                Change::PercentName => format!("{}={value}", percent_first(&name)),
                Change::OtherValue => {
                    let mut v = value.clone();
                    let last = if v.pop() == Some('A') { 'B' } else { 'A' };
                    v.push(last);
                    format!("{name}={v}")
                }
                Change::Upper => format!("{name}={}", value.to_ascii_uppercase()),
                Change::Padded => format!("{name}={value}="),
                Change::EmptyValue => format!("{name}="),
                Change::NoEquals => name,
            };
        }
        _ => {}
    }
}

/// The parameter `name` of a query the router accepted (each name is there at most once).
fn param<'a>(url: &'a str, name: &str) -> Option<&'a str> {
    let query = url.split_once('?')?.1;
    query
        .split('&')
        .find_map(|s| s.strip_prefix(name)?.strip_prefix('='))
}

/// A refusal of the backend's check that only the backend can make: it compares the token and
/// the digest with the session's, and knows the session type. The phone knows none of these.
fn is_secret_or_session_check(f: &CallbackFailure) -> bool {
    matches!(
        f,
        CallbackFailure::TokenMismatch
            | CallbackFailure::SessionSecretDigestMismatch
            | CallbackFailure::MissingParameter("sessionSecretDigest")
            | CallbackFailure::MissingParameter("userChallengeVerifier")
            | CallbackFailure::UnexpectedParameter("userChallengeVerifier")
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]

    /// The router accepts a mutated return URL iff the backend's pre-claim check gets past the
    /// parsing (it accepts, or refuses only on a comparison the phone cannot make); what both
    /// accept has one fingerprint on both halves, equal to the genuine URL's iff it carries the
    /// genuine `value`, `sessionSecretDigest` and `userChallengeVerifier`.
    #[test]
    fn router_and_backend_accept_the_same_urls(
        which in 0usize..2,
        auth in any::<bool>(),
        scheme in prop_oneof![40 => Just("https://"), 1 => Just("HTTPS://"), 1 => Just("http://"), 1 => Just("https://u@")],
        host in prop_oneof![14 => Just("rp.example.com"), 6 => Just("RP.Example.COM"), 1 => Just("rp.example.com.evil"), 1 => Just("evil.example.com")],
        port in prop_oneof![20 => Just("<own>"), 4 => Just(":443"), 1 => Just(":0443"), 1 => Just(":8443"), 1 => Just(":08443"), 1 => Just(":444"), 1 => Just("")],
        path in prop_oneof![40 => Just("/sid/return"), 1 => Just("/sid/return/"), 1 => Just("/SID/return"), 1 => Just("/sid/%72eturn"), 1 => Just("/sid/./return"), 1 => Just("")],
        ops in proptest::collection::vec(op(), 0..5),
        fragment in prop_oneof![40 => Just(""), 1 => Just("#"), 1 => Just("#x")],
    ) {
        let raw_base = BASES[which];
        let app_base = CallbackBase::new(raw_base).unwrap();
        let session_type = if auth { SessionType::Auth } else { SessionType::Sign };
        let b = binding(raw_base, session_type);
        // The genuine URL: the initialCallbackUrl plus what the Smart-ID app appends.
        let mut segs: Vec<String> = raw_base
            .split_once('?')
            .map(|(_, q)| q.split('&').map(str::to_owned).collect())
            .unwrap_or_default();
        segs.push(format!("value={TOKEN}"));
        segs.push(format!("sessionSecretDigest={DIGEST}"));
        if auth {
            segs.push(format!("userChallengeVerifier={VERIFIER}"));
        }
        let genuine = format!(
            "{}?{}",
            raw_base.split('?').next().unwrap(),
            segs.join("&")
        );
        let genuine_fp = *ReturnUrl::parse(&app_base, &genuine).unwrap().fingerprint();
        let genuine_backend = b.check(&genuine).unwrap();
        prop_assert_eq!(genuine_backend.return_url_fingerprint().as_bytes(), &genuine_fp);

        for op in &ops {
            apply(&mut segs, op);
        }
        let own_port = if which == 0 { "" } else { ":8443" };
        let port = if port == "<own>" { own_port } else { port };
        let query = if segs.is_empty() { String::new() } else { format!("?{}", segs.join("&")) };
        let url = format!("{scheme}{host}{port}{path}{query}{fragment}");

        let mobile = ReturnUrl::parse(&app_base, &url);
        let backend = b.check(&url);
        let backend_parsed = match &backend {
            Ok(_) => true,
            Err(f) => is_secret_or_session_check(f),
        };
        prop_assert_eq!(
            mobile.is_ok(),
            backend_parsed,
            "{}: mobile {:?}, backend {:?}",
            url,
            mobile,
            backend
        );
        let Ok(m) = mobile else {
            return Ok(());
        };
        let genuine_parts = param(&url, "value") == Some(TOKEN)
            && param(&url, "sessionSecretDigest") == Some(DIGEST)
            && param(&url, "userChallengeVerifier") == auth.then_some(VERIFIER);
        prop_assert_eq!(m.fingerprint() == &genuine_fp, genuine_parts, "{}", url);
        if genuine_parts {
            prop_assert!(backend.is_ok(), "{}: {:?}", url, backend);
        }
        if let Ok(v) = &backend {
            prop_assert_eq!(v.return_url_fingerprint().as_bytes(), m.fingerprint(), "{}", url);
        }
    }
}
