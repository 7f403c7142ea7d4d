//! The `smartid` binary, end to end: outputs, exit codes and error messages.

mod cli_run;

use cli_run::*;

fn link_args<'a>(link_type: &'a str, session_type: &'a str) -> Vec<&'a str> {
    vec![
        "device-link",
        "--device-link-base",
        "https://smart-id.com/device-link",
        "--link-type",
        link_type,
        "--session-type",
        session_type,
        "--session-token",
        "wGIrqveE6AuGDATZKmR1mtAZ",
        "--session-secret",
        SECRET,
        "--scheme",
        "smart-id",
        "--rp-name",
        "DEMO",
        "--brokered-rp-name",
        "Example RP",
    ]
}

fn with(mut v: Vec<&'static str>, extra: &[&'static str]) -> Vec<&'static str> {
    v.extend_from_slice(extra);
    v
}

#[test]
fn device_link_reproduces_all_nine_vectors() {
    let cases = [
        (
            "Web2App",
            "auth",
            "aegUh6gCKkXBJhhvtJqSTWB5_2W8TDQt5eZ7db6krv0",
        ),
        (
            "Web2App",
            "sign",
            "R0iNcUp8nK1nqrcVFWerXUfWMSjwDOMC6MAHKrckaH8",
        ),
        (
            "Web2App",
            "cert",
            "PI1qYa9_l6zR-v6Pkre6ycSm7S3BGiOQSe5OQlw4UJg",
        ),
        (
            "App2App",
            "auth",
            "00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo",
        ),
        (
            "App2App",
            "sign",
            "8QZ16rkBW_ffkq6osT7UH1DbUlF9gEOZevgj-A0VNbM",
        ),
        (
            "App2App",
            "cert",
            "AtayuRPP3N59wXF8Cijwjt3pQ16knW2L-5VLDTRD_KU",
        ),
        ("QR", "auth", "OY1eHaD4UYedrBwtqUbSkpa0w7ttm4FllPkCD_3wlE0"),
        ("QR", "sign", "5PZVhiNDTnt1MjLz8_YCjnNtR7p0iGevaL2G1ajfMco"),
        ("QR", "cert", "T5pDDPAjoMS0byqS-FoaWVjlubODXoCCF4XDB4HeYNo"),
    ];
    for (lt, st, code) in cases {
        let mut args = link_args(lt, st);
        match st {
            "auth" => args.extend([
                "--rp-challenge",
                RP_CHALLENGE,
                "--interactions",
                INTERACTIONS,
            ]),
            "sign" => args.extend(["--digest", DIGEST, "--interactions", INTERACTIONS]),
            _ => {}
        }
        // The session has a callback URL; for QR it is accepted and left out of the payload.
        args.extend(["--callback-url", CALLBACK]);
        if lt == "QR" {
            args.extend(["--elapsed-seconds", "22"]);
        }
        let out = smartid(&args);
        assert_eq!(out.code, 0, "{lt}/{st}: {}", out.stderr);
        let elapsed = if lt == "QR" { "&elapsedSeconds=22" } else { "" };
        assert_eq!(
            out.stdout,
            format!("https://smart-id.com/device-link?deviceLinkType={lt}{elapsed}&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType={st}&version=1.0&lang=eng&authCode={code}\n"),
            "{lt}/{st}"
        );
        assert!(out.stderr.is_empty());
    }
}

#[test]
fn verification_code_and_digest() {
    let out = smartid(&["verification-code", "--rp-challenge", RP_CHALLENGE]);
    assert_eq!((out.code, out.stdout.as_str()), (0, "7180\n"));
    let out = smartid(&["session-secret-digest", "--session-secret", SECRET]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc\n")
    );
}

/// `smartid verify-callback` for `callback_url` against the documented session (its
/// initialCallbackUrl, secret and userChallenge), with `extra` arguments.
fn verify_callback(callback_url: &str, session_type: &str, extra: &[&str]) -> Out {
    let mut args = vec![
        "verify-callback",
        "--callback-url",
        callback_url,
        "--initial-callback-url",
        CALLBACK,
        "--session-type",
        session_type,
        "--session-secret",
        SECRET,
    ];
    args.extend_from_slice(extra);
    smartid(&args)
}

#[test]
fn verify_callback_accepts_the_documented_callback() {
    let out = verify_callback(RETURNED, "auth", &["--user-challenge", UC]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        out.stderr
    );
}

#[test]
fn verify_callback_names_the_failed_check() {
    let other_token = RETURNED.replace("RrKjjT4aggzu27YBddX1bQ", "someOtherTokenValue12345");
    let out = verify_callback(&other_token, "auth", &["--user-challenge", UC]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("token binding failed"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());

    let out = verify_callback(
        RETURNED,
        "auth",
        &[
            "--user-challenge",
            "AAAAYRH2oYw8tW2bq0it0IUb7WIFkCLgF8NTc7-4Zq4",
        ],
    );
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("userChallengeVerifier"),
        "{}",
        out.stderr
    );

    let tampered = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ&sessionSecretDigest=TIRImorSPPxBbNSJhTSPpY4GYM3ZXdHkXj2LFVUL2QI&userChallengeVerifier=XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";
    let out = verify_callback(tampered, "auth", &["--user-challenge", UC]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("sessionSecretDigest"), "{}", out.stderr);

    let replayed_param = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ&value=RrKjjT4aggzu27YBddX1bQ&sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc";
    let out = verify_callback(replayed_param, "auth", &["--user-challenge", UC]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("appears twice"), "{}", out.stderr);
}

/// Issue 16 item 9: the base of the initialCallbackUrl is checked (a parameter it never had,
/// another path or host fail), and the session type decides about the userChallengeVerifier.
#[test]
fn verify_callback_checks_the_base_and_the_session_type() {
    let extra = format!("{RETURNED}&next=https%3A%2F%2Fevil.example%2F");
    let out = verify_callback(&extra, "auth", &["--user-challenge", UC]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("next"), "{}", out.stderr);
    for other in [
        RETURNED.replace("/callback-url", "/other-url"),
        RETURNED.replace("rp.example.com", "evil.example"),
    ] {
        let out = verify_callback(&other, "auth", &["--user-challenge", UC]);
        assert_eq!(out.code, 1, "{other}: {}", out.stderr);
        assert!(out.stderr.contains("initialCallbackUrl"), "{}", out.stderr);
    }
    // A signature callback carries no verifier; the documented one is an authentication's.
    let out = verify_callback(RETURNED, "sign", &[]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.contains("userChallengeVerifier"),
        "{}",
        out.stderr
    );
    let sign_url = RETURNED.split("&userChallengeVerifier").next().unwrap();
    let out = verify_callback(sign_url, "sign", &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        out.stderr
    );
    let out = verify_callback(sign_url, "cert", &[]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        out.stderr
    );
    // Bad input: auth without --user-challenge, --user-challenge for sign, an unknown session
    // type, an initialCallbackUrl without its token.
    for (out, needle) in [
        (verify_callback(RETURNED, "auth", &[]), "--user-challenge"),
        (
            verify_callback(sign_url, "sign", &["--user-challenge", UC]),
            "--user-challenge",
        ),
        (verify_callback(RETURNED, "login", &[]), "sessionType"),
        (
            smartid(&[
                "verify-callback",
                "--callback-url",
                RETURNED,
                "--initial-callback-url",
                "https://rp.example.com/callback-url",
                "--session-type",
                "auth",
                "--session-secret",
                SECRET,
                "--user-challenge",
                UC,
            ]),
            "--initial-callback-url",
        ),
    ] {
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr.contains(needle),
            "`{}` lacks {needle}",
            out.stderr
        );
        assert!(out.stdout.is_empty());
    }
}

/// Each bad input exits 2 with one clear line on stderr and nothing on stdout.
#[test]
fn bad_input_exits_2() {
    let auth = || {
        with(
            link_args("App2App", "auth"),
            &["--interactions", INTERACTIONS],
        )
    };
    let cases: Vec<(Vec<&'static str>, &str)> = vec![
        // malformed Base64
        (
            with(
                auth(),
                &["--rp-challenge", "not base64!", "--callback-url", CALLBACK],
            ),
            "rpChallenge",
        ),
        (
            vec![
                "session-secret-digest",
                "--session-secret",
                "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3_Ps=",
            ],
            "sessionSecret",
        ),
        (
            vec!["verification-code", "--rp-challenge", "AAAA"],
            "rpChallenge",
        ),
        // http callback
        (
            with(
                auth(),
                &[
                    "--rp-challenge",
                    RP_CHALLENGE,
                    "--callback-url",
                    "http://rp.example.com/cb?value=x",
                ],
            ),
            "https://",
        ),
        // `#` in the callback
        (
            with(
                auth(),
                &[
                    "--rp-challenge",
                    RP_CHALLENGE,
                    "--callback-url",
                    "https://rp.example.com/cb?value=x#frag",
                ],
            ),
            "`#`",
        ),
        // elapsed seconds on App2App
        (
            with(
                auth(),
                &[
                    "--rp-challenge",
                    RP_CHALLENGE,
                    "--callback-url",
                    CALLBACK,
                    "--elapsed-seconds",
                    "3",
                ],
            ),
            "only for QR",
        ),
        // digest on auth
        (
            with(auth(), &["--digest", DIGEST, "--callback-url", CALLBACK]),
            "--digest is for sign",
        ),
        // unknown link type
        (
            with(
                with(link_args("NFC", "auth"), &["--interactions", INTERACTIONS]),
                &["--rp-challenge", RP_CHALLENGE, "--callback-url", CALLBACK],
            ),
            "deviceLinkType",
        ),
        // missing callback for a same-device link
        (
            with(auth(), &["--rp-challenge", RP_CHALLENGE]),
            "--callback-url",
        ),
        // QR without elapsed seconds
        (
            with(
                with(link_args("QR", "auth"), &["--interactions", INTERACTIONS]),
                &["--rp-challenge", RP_CHALLENGE],
            ),
            "--elapsed-seconds",
        ),
        // interactions on cert
        (
            with(
                link_args("App2App", "cert"),
                &["--interactions", INTERACTIONS, "--callback-url", CALLBACK],
            ),
            "no --interactions",
        ),
        // bad scheme
        (
            {
                let mut v = with(
                    auth(),
                    &["--rp-challenge", RP_CHALLENGE, "--callback-url", CALLBACK],
                );
                let i = v.iter().position(|a| *a == "smart-id").unwrap();
                v[i] = "smartid";
                v
            },
            "smart-id-demo",
        ),
        // unknown option (clap usage error)
        (vec!["verification-code", "--bogus"], "--bogus"),
    ];
    for (args, needle) in cases {
        let out = smartid(&args);
        assert_eq!(out.code, 2, "{args:?}: stderr={}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(
            out.stderr.contains(needle),
            "{args:?}: `{}` lacks `{needle}`",
            out.stderr
        );
    }
}

// ---- verify-callback checks the base and the user challenge (issue 16 item 9) -------------------

/// The invocation of before issue 16 (`--expected-value`, no base, no session type) accepted a
/// return URL with a parameter the `initialCallbackUrl` never had, and an authentication
/// callback without the userChallenge check. Neither may print `valid`.
#[test]
fn verify_callback_without_the_base_is_not_valid() {
    let extra = format!("{RETURNED}&next=https%3A%2F%2Fevil.example%2F");
    let out = smartid(&[
        "verify-callback",
        "--callback-url",
        &extra,
        "--session-secret",
        SECRET,
        "--expected-value",
        "RrKjjT4aggzu27YBddX1bQ",
        "--user-challenge",
        "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00",
    ]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("valid"), "{}", out.stdout);
    let out = smartid(&[
        "verify-callback",
        "--callback-url",
        RETURNED,
        "--session-secret",
        SECRET,
        "--expected-value",
        "RrKjjT4aggzu27YBddX1bQ",
    ]);
    assert_ne!(out.code, 0, "{}", out.stdout);
    assert!(!out.stdout.contains("valid"), "{}", out.stdout);
}
