//! Callback URLs (spec §7): building, binding checks, one-shot use; and the QR ticker (§6).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sidkit_proto::callback::*;
use sidkit_proto::device_link::{
    parse_device_link, verify_device_link, DeviceLinkParams, DeviceLinkSigner, QrTicker,
    SessionType,
};
use sidkit_proto::env::SchemeName;
use sidkit_proto::secret::SessionSecret;
use sidkit_proto::CallbackFailure;

const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";
const DIGEST_PARAM: &str = "sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc";
const VERIFIER_PARAM: &str = "userChallengeVerifier=XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";

fn secret() -> SessionSecret {
    SessionSecret::from_base64(SECRET).unwrap()
}

fn failure(r: Result<VerifiedCallback, CallbackFailure>) -> CallbackFailure {
    match r {
        Err(f) => f,
        Ok(v) => panic!("expected a callback failure, got {v:?}"),
    }
}

#[test]
fn builder_appends_a_fresh_256_bit_token() {
    let a = create_callback_url("https://rp.example.com/app/callback").unwrap();
    let b = create_callback_url("https://rp.example.com/app/callback").unwrap();
    assert_ne!(a.token().expose(), b.token().expose());
    assert_eq!(a.token().expose().len(), 43, "32 random bytes, Base64URL");
    assert_eq!(
        a.url(),
        format!(
            "https://rp.example.com/app/callback?value={}",
            a.token().expose()
        )
    );
    // An existing query is kept, `|` is percent-encoded.
    let c = create_callback_url("https://rp.example.com/cb?lang=et&x=a|b").unwrap();
    assert!(c
        .url()
        .starts_with("https://rp.example.com/cb?lang=et&x=a%7Cb&value="));
    validate_initial_callback_url(c.url()).unwrap();
    // The token never shows up in Debug output.
    assert!(!format!("{a:?} {:?}", a.token()).contains(a.token().expose()));
}

#[test]
fn builder_rejects_bad_bases() {
    for base in [
        "http://rp.example.com/cb",
        "https://rp.example.com/cb#x",
        "rp-app://callback",
        "https://rp.example.com/cb?value=already",
        "https://rp.example.com/cb?sessionSecretDigest=x",
        "https://rp.example.com/ c",
        "",
    ] {
        assert!(create_callback_url(base).is_err(), "{base}");
    }
    let long = format!("https://rp.example.com/{}", "a".repeat(1760));
    assert!(
        create_callback_url(&long).is_err(),
        "over 1800 characters with the token"
    );
    assert!(create_callback_url_with(
        "https://rp.example.com/cb",
        "userChallengeVerifier",
        CallbackToken::random().unwrap()
    )
    .is_err());
    assert!(CallbackToken::from_string("short").is_err());
    assert!(CallbackToken::from_string("x".repeat(22)).is_ok());
}

#[test]
fn app2app_and_web2app_bases_must_differ() {
    check_callback_bases_differ(
        "https://rp.example.com/app/cb",
        "https://rp.example.com/web/cb",
    )
    .unwrap();
    check_callback_bases_differ("https://app.example.com/cb", "https://rp.example.com/cb").unwrap();
    check_callback_bases_differ(
        "https://rp.example.com:8443/cb",
        "https://rp.example.com/cb",
    )
    .unwrap();
    for (a, w) in [
        ("https://rp.example.com/cb", "https://rp.example.com/cb"),
        (
            "https://RP.example.com/cb/",
            "https://rp.example.com:443/cb",
        ),
        ("https://rp.example.com/cb", "https://rp.example.com/cb/web"),
        ("https://rp.example.com/cb/app", "https://rp.example.com/cb"),
    ] {
        assert!(check_callback_bases_differ(a, w).is_err(), "{a} vs {w}");
    }
}

fn auth_binding() -> (CallbackBinding, String) {
    let token = CallbackToken::from_string("RrKjjT4aggzu27YBddX1bQ").unwrap();
    let initial =
        create_callback_url_with("https://rp.example.com/callback-url", "value", token).unwrap();
    let b = CallbackBinding::new(&initial, &secret(), SessionType::Auth);
    (b, initial.url().to_owned())
}

#[test]
fn binding_accepts_the_genuine_callback_and_checks_the_user_challenge() {
    let (b, initial) = auth_binding();
    let ok = b
        .check(&format!("{initial}&{DIGEST_PARAM}&{VERIFIER_PARAM}"))
        .unwrap();
    ok.check_user_challenge("GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00")
        .unwrap();
    assert!(matches!(
        ok.check_user_challenge("TLSjYRH2oYw8tW2bq0it0IUb7WIFkCLgF8NTc7-4Zq4"),
        Err(CallbackFailure::UserChallengeMismatch)
    ));
    // Parameter order does not matter.
    b.check(&format!(
        "https://rp.example.com/callback-url?{VERIFIER_PARAM}&{DIGEST_PARAM}&value=RrKjjT4aggzu27YBddX1bQ"
    ))
    .unwrap();
}

#[test]
fn binding_names_each_failed_check() {
    let (b, initial) = auth_binding();
    let cases: Vec<(String, CallbackFailure)> = vec![
        (
            format!("{initial}&{DIGEST_PARAM}"),
            CallbackFailure::MissingParameter("userChallengeVerifier"),
        ),
        (
            format!("{initial}&{VERIFIER_PARAM}"),
            CallbackFailure::MissingParameter("sessionSecretDigest"),
        ),
        (
            format!("https://rp.example.com/callback-url?{DIGEST_PARAM}&{VERIFIER_PARAM}"),
            CallbackFailure::MissingParameter("value"),
        ),
        (
            format!("https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bq&{DIGEST_PARAM}&{VERIFIER_PARAM}"),
            CallbackFailure::TokenMismatch,
        ),
        (
            format!("{initial}&sessionSecretDigest=TIRImorSPPxBbNSJhTSPpY4GYM3ZXdHkXj2LFVUL2QI&{VERIFIER_PARAM}"),
            CallbackFailure::SessionSecretDigestMismatch,
        ),
        // Not in the digest's format: refused by the parser (the router refuses it too).
        (
            format!("{initial}&sessionSecretDigest=%41&{VERIFIER_PARAM}"),
            CallbackFailure::Malformed(
                "sessionSecretDigest must be 43 Base64URL characters (SHA-256)".into(),
            ),
        ),
        (
            format!("{initial}&{DIGEST_PARAM}&{DIGEST_PARAM}&{VERIFIER_PARAM}"),
            CallbackFailure::DuplicateParameter("sessionSecretDigest".into()),
        ),
        (
            format!("{initial}&value=RrKjjT4aggzu27YBddX1bQ&{DIGEST_PARAM}&{VERIFIER_PARAM}"),
            CallbackFailure::DuplicateParameter("value".into()),
        ),
        (
            format!("https://evil.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ&{DIGEST_PARAM}&{VERIFIER_PARAM}"),
            CallbackFailure::WrongBase,
        ),
        (
            format!("https://rp.example.com/other?value=RrKjjT4aggzu27YBddX1bQ&{DIGEST_PARAM}&{VERIFIER_PARAM}"),
            CallbackFailure::WrongBase,
        ),
        // A parameter neither of the base nor of the callback: malformed (as in the router).
        (
            format!("{initial}&{DIGEST_PARAM}&{VERIFIER_PARAM}&next=https://evil.example.com"),
            CallbackFailure::Malformed("unexpected parameter `next`".into()),
        ),
        (
            format!("{initial}&{DIGEST_PARAM}&userChallengeVerifier=a+b"),
            CallbackFailure::Malformed(
                "userChallengeVerifier must be 1 to 256 Base64URL characters".into(),
            ),
        ),
    ];
    for (url, want) in cases {
        assert_eq!(failure(b.check(&url)), want, "{url}");
    }
    assert!(matches!(
        failure(b.check(&format!(
            "http://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ&{DIGEST_PARAM}"
        ))),
        CallbackFailure::Malformed(_)
    ));
    assert!(matches!(
        failure(b.check(&format!("{initial}&{DIGEST_PARAM}&{VERIFIER_PARAM}#frag"))),
        CallbackFailure::Malformed(_)
    ));
}

#[test]
fn original_query_parameters_must_survive() {
    let token = CallbackToken::from_string("RrKjjT4aggzu27YBddX1bQ").unwrap();
    let initial =
        create_callback_url_with("https://rp.example.com/cb?tenant=7", "value", token).unwrap();
    let b = CallbackBinding::new(&initial, &secret(), SessionType::Sign);
    b.check(&format!("{}&{DIGEST_PARAM}", initial.url()))
        .unwrap();
    assert_eq!(
        failure(b.check(&format!(
            "https://rp.example.com/cb?tenant=8&value=RrKjjT4aggzu27YBddX1bQ&{DIGEST_PARAM}"
        ))),
        CallbackFailure::WrongBase
    );
    assert_eq!(
        failure(b.check(&format!(
            "https://rp.example.com/cb?value=RrKjjT4aggzu27YBddX1bQ&{DIGEST_PARAM}"
        ))),
        CallbackFailure::WrongBase
    );
    // Signature callbacks carry no userChallengeVerifier.
    assert_eq!(
        failure(b.check(&format!(
            "{}&{DIGEST_PARAM}&{VERIFIER_PARAM}",
            initial.url()
        ))),
        CallbackFailure::UnexpectedParameter("userChallengeVerifier")
    );
}

#[test]
fn one_shot_callbacks_are_accepted_once() {
    let (b, initial) = auth_binding();
    let good = format!("{initial}&{DIGEST_PARAM}&{VERIFIER_PARAM}");
    let guard = OneShotCallback::new(b.clone());
    // A wrong token does not consume the binding.
    let wrong = good.replace("RrKjjT4aggzu27YBddX1bQ", "XXXXXT4aggzu27YBddX1bQ");
    assert_eq!(
        failure(guard.accept(&wrong)),
        CallbackFailure::TokenMismatch
    );
    assert!(!guard.is_used());
    guard.accept(&good).unwrap();
    assert!(guard.is_used());
    assert_eq!(failure(guard.accept(&good)), CallbackFailure::AlreadyUsed);

    // The right token with a wrong digest burns the binding too.
    let guard = OneShotCallback::new(b.clone());
    let bad_digest = good.replace("U4CKK13H1X", "V4CKK13H1X");
    assert_eq!(
        failure(guard.accept(&bad_digest)),
        CallbackFailure::SessionSecretDigestMismatch
    );
    assert_eq!(failure(guard.accept(&good)), CallbackFailure::AlreadyUsed);

    // Under contention exactly one of many concurrent attempts wins.
    let guard = Arc::new(OneShotCallback::new(b));
    let wins: usize = std::thread::scope(|s| {
        let handles: Vec<_> = (0..16)
            .map(|_| {
                let g = guard.clone();
                let url = good.clone();
                s.spawn(move || usize::from(g.accept(&url).is_ok()))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(wins, 1);
}

#[test]
fn binding_round_trips_through_json_without_secrets() {
    let (b, _) = auth_binding();
    let json = serde_json::to_string(&b).unwrap();
    assert!(!json.contains(SECRET));
    assert!(json.contains("\"sessionSecretDigest\""));
    let back: CallbackBinding = serde_json::from_str(&json).unwrap();
    assert_eq!(back, b);
    assert!(!format!("{b:?}").contains("RrKjjT4aggzu27YBddX1bQ"));
}

#[test]
fn token_commitment_is_sha256_of_the_token() {
    let t = CallbackToken::from_string("RrKjjT4aggzu27YBddX1bQ").unwrap();
    assert_eq!(t.commitment(), token_commitment("RrKjjT4aggzu27YBddX1bQ"));
    assert_eq!(t.commitment().len(), 43);
    assert_ne!(t.commitment(), token_commitment("RrKjjT4aggzu27YBddX1bq"));
}

fn qr_params() -> DeviceLinkParams {
    DeviceLinkParams {
        scheme_name: SchemeName::SmartIdDemo,
        device_link_base: "https://sid.demo.sk.ee/device-link".into(),
        session_token: "wGIrqveE6AuGDATZKmR1mtAZ".into(),
        session_type: SessionType::Cert,
        rp_challenge_or_digest: String::new(),
        relying_party_name: "DEMO".into(),
        brokered_rp_name: None,
        interactions: String::new(),
        initial_callback_url: Some("https://rp.example.com/cb?value=RrKjjT4aggzu27YBddX1bQ".into()),
        lang: "est".into(),
    }
}

#[test]
fn qr_ticker_yields_one_fresh_link_per_second() {
    let signer = DeviceLinkSigner::new(&qr_params(), &secret()).unwrap();
    let t0 = Instant::now();
    let mut ticker = QrTicker::new(signer, t0);
    let f0 = ticker.poll(t0).unwrap();
    assert_eq!(f0.elapsed_seconds, 0);
    assert_eq!(f0.next_at, t0 + Duration::from_secs(1));
    assert!(
        ticker.poll(t0 + Duration::from_millis(999)).is_none(),
        "same second"
    );
    let f1 = ticker.poll(t0 + Duration::from_millis(1000)).unwrap();
    assert_eq!(f1.elapsed_seconds, 1);
    assert_ne!(f0.link.auth_code(), f1.link.auth_code());
    // After a stall the ticker jumps to the current second, it does not replay old frames.
    let f7 = ticker.poll(t0 + Duration::from_millis(7400)).unwrap();
    assert_eq!(f7.elapsed_seconds, 7);
    assert_eq!(f7.next_at, t0 + Duration::from_secs(8));
    // Every frame is a valid QR link for the session; the callback is not in its payload.
    for f in [&f0, &f1, &f7] {
        let p = parse_device_link(f.link.as_str()).unwrap();
        assert_eq!(p.elapsed_seconds, Some(f.elapsed_seconds));
        assert_eq!(p.lang, "est");
        verify_device_link(f.link.as_str(), &qr_params(), &secret()).unwrap();
        let mut no_callback = qr_params();
        no_callback.initial_callback_url = None;
        verify_device_link(f.link.as_str(), &no_callback, &secret()).unwrap();
    }
    // A clock before the receipt time counts as 0.
    assert_eq!(
        ticker.frame_at(t0 - Duration::from_secs(5)).elapsed_seconds,
        0
    );
}

#[test]
fn same_device_links_need_a_callback() {
    let mut p = qr_params();
    p.initial_callback_url = None;
    let signer = DeviceLinkSigner::new(&p, &secret()).unwrap();
    assert!(!signer.supports_same_device());
    assert!(signer
        .link(sidkit_proto::device_link::DeviceLinkType::App2App, None)
        .is_err());
    assert!(signer
        .link(sidkit_proto::device_link::DeviceLinkType::Qr, None)
        .is_err());
    assert!(signer
        .link(sidkit_proto::device_link::DeviceLinkType::Web2App, Some(1))
        .is_err());
}
