//! The one parser of a return URL (`sidkit_proto::return_url`): every re-spelling of the
//! genuine URL is either the same URL (same canonical form and fingerprint) or refused, by the
//! parser and by the backend's checks built on it, before anything is consumed.

use sidkit_proto::callback::{
    create_callback_url, create_callback_url_with, verify_callback_url, CallbackBinding,
    CallbackToken, ExpectedCallback, OneShotCallback,
};
use sidkit_proto::models::SessionType;
use sidkit_proto::return_url::{CanonicalBase, CanonicalReturnUrl, MAX_RECEIVED_URL_LEN};
use sidkit_proto::secret::SessionSecret;
use sidkit_proto::CallbackFailure;

const BASE: &str = "https://rp.example.com/callback-url";
const TOKEN: &str = "RrKjjT4aggzu27YBddX1bQ";
const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";
const DIGEST: &str = "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc";
const VERIFIER: &str = "XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";

fn q() -> String {
    format!("value={TOKEN}&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}")
}

fn genuine() -> String {
    format!("{BASE}?{}", q())
}

fn binding(base: &str) -> CallbackBinding {
    let token = CallbackToken::from_string(TOKEN).unwrap();
    let initial = create_callback_url_with(base, "value", token).unwrap();
    CallbackBinding::new(
        &initial,
        &SessionSecret::from_base64(SECRET).unwrap(),
        SessionType::Auth,
    )
}

/// The spellings that are the genuine URL: parameter order, host case, `:443`, an empty path.
#[test]
fn mapped_re_spellings_are_the_same_url() {
    let base = CanonicalBase::parse(BASE).unwrap();
    let b = binding(BASE);
    let g = CanonicalReturnUrl::parse(&base, &genuine()).unwrap();
    assert_eq!(
        g.to_canonical_string(),
        genuine(),
        "the genuine URL is canonical"
    );
    let v = b.check(&genuine()).unwrap();
    assert_eq!(v.return_url_fingerprint(), &g.fingerprint());
    for url in [
        // Parameter order.
        format!("{BASE}?userChallengeVerifier={VERIFIER}&sessionSecretDigest={DIGEST}&value={TOKEN}"),
        format!("{BASE}?sessionSecretDigest={DIGEST}&value={TOKEN}&userChallengeVerifier={VERIFIER}"),
        // Host case.
        format!("https://RP.Example.COM/callback-url?{}", q()),
        // The default port, written out (ports compare by number).
        format!("https://rp.example.com:443/callback-url?{}", q()),
        format!("https://rp.example.com:0443/callback-url?{}", q()),
        format!("https://Rp.Example.com:443/callback-url?userChallengeVerifier={VERIFIER}&value={TOKEN}&sessionSecretDigest={DIGEST}"),
    ] {
        let r = CanonicalReturnUrl::parse(&base, &url).unwrap_or_else(|e| panic!("{url}: {e}"));
        assert_eq!(r.to_canonical_string(), genuine(), "{url}");
        assert!(r.fingerprint().ct_eq(&g.fingerprint()), "{url}");
        assert_eq!(b.check(&url).unwrap().return_url_fingerprint(), &g.fingerprint(), "{url}");
    }
    // An empty path is `/`.
    let root = CanonicalBase::parse("https://rp.example.com").unwrap();
    assert_eq!(root.as_str(), "https://rp.example.com/");
    let b = binding("https://rp.example.com");
    let a = b.check(&format!("https://rp.example.com?{}", q())).unwrap();
    let c = b
        .check(&format!("https://rp.example.com/?{}", q()))
        .unwrap();
    assert_eq!(a.return_url_fingerprint(), c.return_url_fingerprint());
}

/// What a refused URL must fail with.
type Want = fn(&CallbackFailure) -> bool;

/// The spellings that are refused, by the parser and by the binding check, with the reason.
#[test]
fn refused_re_spellings() {
    let base = CanonicalBase::parse(BASE).unwrap();
    let b = binding(BASE);
    let g = genuine();
    let q = q();
    let cases: Vec<(String, Want)> = vec![
        // Empty parameters.
        (
            format!("{BASE}?value={TOKEN}&&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        (format!("{g}&"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (format!("{BASE}?&{q}"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (format!("{BASE}?"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (format!("{g}&flag"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (format!("{g}&=x"), |f| matches!(f, CallbackFailure::Malformed(_))),
        // Percent-encodings: nothing is decoded.
        (
            format!("https://rp.example.com/callback%2Durl?{q}"),
            |f| *f == CallbackFailure::WrongBase,
        ),
        (
            format!("{BASE}?value=%52rKjjT4aggzu27YBddX1bQ&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        (
            format!("{BASE}?%76alue={TOKEN}&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        (
            format!("{BASE}?value={TOKEN}&sessionSecretDigest=%55{}&userChallengeVerifier={VERIFIER}", &DIGEST[1..]),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        (
            format!("{BASE}?value={TOKEN}&sessionSecretDigest={DIGEST}=&userChallengeVerifier={VERIFIER}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        // Fragments, user info, scheme case, other schemes.
        (format!("{g}#"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (format!("{g}#x"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (
            format!("https://user@rp.example.com/callback-url?{q}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        (
            format!("HTTPS://rp.example.com/callback-url?{q}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        (
            format!("http://rp.example.com/callback-url?{q}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        // Path spellings.
        (
            format!("https://rp.example.com/Callback-url?{q}"),
            |f| *f == CallbackFailure::WrongBase,
        ),
        (
            format!("https://rp.example.com/callback-url/?{q}"),
            |f| *f == CallbackFailure::WrongBase,
        ),
        (
            format!("https://rp.example.com/x/../callback-url?{q}"),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
        // Another port, host.
        (
            format!("https://rp.example.com:8443/callback-url?{q}"),
            |f| *f == CallbackFailure::WrongBase,
        ),
        (
            format!("https://rp.example.com.evil.example/callback-url?{q}"),
            |f| *f == CallbackFailure::WrongBase,
        ),
        // Parameters twice, unknown, missing.
        (
            format!("{g}&value={TOKEN}"),
            |f| *f == CallbackFailure::DuplicateParameter("value".into()),
        ),
        (
            format!("{g}&userChallengeVerifier={VERIFIER}"),
            |f| *f == CallbackFailure::DuplicateParameter("userChallengeVerifier".into()),
        ),
        (format!("{g}&next=x"), |f| matches!(f, CallbackFailure::Malformed(_))),
        (
            format!("{BASE}?sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}"),
            |f| *f == CallbackFailure::MissingParameter("value"),
        ),
        // Too long.
        (
            format!("{g}&x={}", "a".repeat(MAX_RECEIVED_URL_LEN)),
            |f| matches!(f, CallbackFailure::Malformed(_)),
        ),
    ];
    for (url, want) in cases {
        let parsed = CanonicalReturnUrl::parse(&base, &url);
        let Err(f) = &parsed else {
            panic!("{url}: accepted");
        };
        assert!(want(f), "{url}: {f:?}");
        // The backend's check refuses it for the same reason, and a one-shot guard is not
        // consumed by it.
        assert_eq!(b.check(&url).err().as_ref(), Some(f), "{url}");
        let guard = OneShotCallback::new(b.clone());
        assert_eq!(guard.accept(&url).err().as_ref(), Some(f), "{url}");
        assert!(!guard.is_used(), "{url}");
        guard.accept(&g).unwrap();
    }
}

#[test]
fn base_parameters_come_back_unchanged_in_any_order() {
    let raw = "https://rp.example.com/cb?v=2&app=b%61nk&empty=";
    let base = CanonicalBase::parse(raw).unwrap();
    assert_eq!(
        base.as_str(),
        "https://rp.example.com/cb?app=b%61nk&empty=&v=2",
        "sorted by name, escapes as written"
    );
    let b = binding(raw);
    let tail =
        format!("value={TOKEN}&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}");
    let genuine = format!("{raw}&{tail}");
    let g = b.check(&genuine).unwrap();
    for same in [
        format!("https://rp.example.com/cb?app=b%61nk&{tail}&empty=&v=2"),
        format!("https://rp.example.com/cb?{tail}&empty=&v=2&app=b%61nk"),
    ] {
        assert_eq!(
            b.check(&same).unwrap().return_url_fingerprint(),
            g.return_url_fingerprint(),
            "{same}"
        );
    }
    for other in [
        format!("https://rp.example.com/cb?v=2&app=bank&empty=&{tail}"),
        format!("https://rp.example.com/cb?v=2&app=b%61nk&{tail}"),
        format!("https://rp.example.com/cb?v=2&v=2&app=b%61nk&empty=&{tail}"),
        format!("https://rp.example.com/cb?v=3&app=b%61nk&empty=&{tail}"),
        format!("https://rp.example.com/cb?v=2&app=b%61nk&empty&{tail}"),
        format!("https://rp.example.com/cb?v=2&app=b%61nk&empty=x&{tail}"),
    ] {
        assert!(b.check(&other).is_err(), "{other}");
        assert!(CanonicalReturnUrl::parse(&base, &other).is_err(), "{other}");
    }
}

#[test]
fn the_fingerprint_tells_value_digest_and_verifier_apart() {
    let base = CanonicalBase::parse(BASE).unwrap();
    let fp = |u: &str| CanonicalReturnUrl::parse(&base, u).unwrap().fingerprint();
    let g = fp(&genuine());
    let other_verifier = genuine().replace("XtPf", "YtPf");
    let other_digest = genuine().replace("U4CK", "V4CK");
    let other_token = genuine().replace("RrKj", "SrKj");
    let no_verifier = format!("{BASE}?value={TOKEN}&sessionSecretDigest={DIGEST}");
    let no_digest = format!("{BASE}?value={TOKEN}&userChallengeVerifier={VERIFIER}");
    // The digest's text put where the verifier is, and the reverse: the slots are apart.
    let swapped = format!("{BASE}?value={TOKEN}&userChallengeVerifier={DIGEST}");
    let digest_only = format!("{BASE}?value={TOKEN}&sessionSecretDigest={DIGEST}");
    let all = [
        g,
        fp(&other_verifier),
        fp(&other_digest),
        fp(&other_token),
        fp(&no_verifier),
        fp(&no_digest),
        fp(&swapped),
        fp(&format!("{BASE}?value={TOKEN}")),
    ];
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(fp(&digest_only), fp(&no_verifier));
    // Another base, same parameters.
    let other_base = CanonicalBase::parse("https://rp.example.com/callback-url2").unwrap();
    let elsewhere = CanonicalReturnUrl::parse(
        &other_base,
        &genuine().replace("/callback-url?", "/callback-url2?"),
    )
    .unwrap();
    assert_ne!(elsewhere.fingerprint(), g);
    assert_eq!(g.to_hex().len(), 64);
    // Nothing secret in Debug output.
    let r = CanonicalReturnUrl::parse(&base, &genuine()).unwrap();
    assert!(!format!("{r:?}").contains(TOKEN));
}

#[test]
fn bases_whose_genuine_return_url_would_be_refused_are_refused() {
    for bad in [
        "https://rp.example.com/cb?",
        "https://rp.example.com/cb?&a=1",
        "https://rp.example.com/cb?a=1&",
        "https://rp.example.com/cb?a=1&&b=2",
        "https://rp.example.com/cb?flag",
        "https://rp.example.com/cb?=1",
        "https://rp.example.com/cb?a=1&a=2",
        "https://rp.example.com/cb?value=1",
        "https://rp.example.com/cb?sessionSecretDigest=1",
        "https://rp.example.com/cb?userChallengeVerifier=1",
        "https://rp.example.com/cb#x",
        "http://rp.example.com/cb",
    ] {
        assert!(CanonicalBase::parse(bad).is_err(), "{bad}");
        assert!(create_callback_url(bad).is_err(), "{bad}");
    }
    // A base is canonicalised (host case, :443, empty path); the initialCallbackUrl keeps the
    // RP's spelling.
    let b = CanonicalBase::parse("https://RP.example.com:443?b=1&a=2").unwrap();
    assert_eq!(b.as_str(), "https://rp.example.com/?a=2&b=1");
    let initial = create_callback_url("https://RP.example.com:443?b=1&a=2").unwrap();
    assert!(initial
        .url()
        .starts_with("https://RP.example.com:443?b=1&a=2&value="));
    let from_initial = CanonicalBase::from_initial_callback_url(initial.url(), "value").unwrap();
    assert_eq!(from_initial, b);
    assert!(CanonicalBase::from_initial_callback_url(BASE, "value").is_err());
    assert!(CanonicalBase::from_initial_callback_url(&format!("{BASE}?value="), "value").is_err());
    assert!(
        CanonicalBase::from_initial_callback_url(&format!("{BASE}?value=a&value=b"), "value")
            .is_err()
    );
}

#[test]
fn verify_callback_url_uses_the_same_parser() {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let initial = format!("{BASE}?value={TOKEN}");
    let auth = ExpectedCallback::Authentication {
        user_challenge: "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00",
    };
    let a = verify_callback_url(&genuine(), &initial, &secret, auth).unwrap();
    let b = verify_callback_url(
        &format!("https://RP.example.com:443/callback-url?userChallengeVerifier={VERIFIER}&sessionSecretDigest={DIGEST}&value={TOKEN}"),
        &initial,
        &secret,
        auth,
    )
    .unwrap();
    assert_eq!(a.return_url_fingerprint(), b.return_url_fingerprint());
    for bad in [format!("{}&", genuine()), format!("{}#", genuine())] {
        assert!(matches!(
            verify_callback_url(&bad, &initial, &secret, auth),
            Err(CallbackFailure::Malformed(_))
        ));
    }
}

/// Issue 16 item 9: the check starts from the session's `initialCallbackUrl`, so it refuses a
/// parameter the base never had and another base, and an authentication callback passes only
/// with the userChallenge check.
#[test]
fn verify_callback_url_checks_the_base_and_the_user_challenge() {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let initial = format!("{BASE}?value={TOKEN}");
    let uc = "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00";
    let auth = ExpectedCallback::Authentication { user_challenge: uc };
    // A parameter the initialCallbackUrl did not have (say, an open redirect).
    let extra = format!("{}&next=https%3A%2F%2Fevil.example%2F", genuine());
    assert!(matches!(
        verify_callback_url(&extra, &initial, &secret, auth),
        Err(CallbackFailure::Malformed(why)) if why.contains("next")
    ));
    // Another path, another host.
    for other in [
        genuine().replace("/callback-url", "/other"),
        genuine().replace("rp.example.com", "evil.example"),
    ] {
        assert!(matches!(
            verify_callback_url(&other, &initial, &secret, auth),
            Err(CallbackFailure::WrongBase)
        ));
    }
    // The base's own parameters are required, unchanged.
    let with_lang = format!("{BASE}?lang=et&value={TOKEN}");
    assert!(matches!(
        verify_callback_url(&genuine(), &with_lang, &secret, auth),
        Err(CallbackFailure::WrongBase)
    ));
    // The user challenge of another session.
    let other_uc = ExpectedCallback::Authentication {
        user_challenge: "AAAAYRH2oYw8tW2bq0it0IUb7WIFkCLgF8NTc7-4Zq4",
    };
    assert_eq!(
        verify_callback_url(&genuine(), &initial, &secret, other_uc).unwrap_err(),
        CallbackFailure::UserChallengeMismatch
    );
    // Signature and certificate choice: no verifier at all.
    for t in [
        ExpectedCallback::Signature,
        ExpectedCallback::CertificateChoice,
    ] {
        assert_eq!(
            verify_callback_url(&genuine(), &initial, &secret, t).unwrap_err(),
            CallbackFailure::UnexpectedParameter("userChallengeVerifier")
        );
        let without = format!("{BASE}?value={TOKEN}&sessionSecretDigest={DIGEST}");
        verify_callback_url(&without, &initial, &secret, t).unwrap();
    }
    // An authentication callback without a verifier.
    let without = format!("{BASE}?value={TOKEN}&sessionSecretDigest={DIGEST}");
    assert_eq!(
        verify_callback_url(&without, &initial, &secret, auth).unwrap_err(),
        CallbackFailure::MissingParameter("userChallengeVerifier")
    );
    // An initialCallbackUrl without its token.
    assert!(matches!(
        verify_callback_url(&genuine(), BASE, &secret, auth),
        Err(CallbackFailure::Malformed(_))
    ));
}
