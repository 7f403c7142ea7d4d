//! Secrets of the `smartid` commands from a file or stdin instead of the command line, where
//! `ps` and the shell history show them (issue 16, item 10).

mod cli_run;

use cli_run::*;

/// The session secret need not be on the command line (where `ps` shows it): it can come from
/// a file or, with `-`, from stdin (one trailing newline is dropped).
#[test]
fn session_secret_from_a_file_or_stdin() {
    const SECRET_DIGEST: &str = "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc\n";
    let out = smartid_stdin(
        &["session-secret-digest", "--session-secret-file", "-"],
        &format!("{SECRET}\n"),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, SECRET_DIGEST),
        "{}",
        out.stderr
    );
    // verify-callback, the command the issue names.
    let out = smartid_stdin(
        &[
            "verify-callback",
            "--callback-url",
            RETURNED,
            "--initial-callback-url",
            CALLBACK,
            "--session-type",
            "auth",
            "--session-secret-file",
            "-",
            "--user-challenge",
            UC,
        ],
        &format!("{SECRET}\n"),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        out.stderr
    );
    let path = std::env::temp_dir().join(format!("sidkit-cli-secret-{}", std::process::id()));
    std::fs::write(&path, SECRET).unwrap();
    let p = path.to_str().unwrap();
    let out = smartid(&["session-secret-digest", "--session-secret-file", p]);
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, SECRET_DIGEST),
        "{}",
        out.stderr
    );
    // Both, or a missing file, are bad input.
    let out = smartid(&[
        "session-secret-digest",
        "--session-secret",
        SECRET,
        "--session-secret-file",
        p,
    ]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    std::fs::remove_file(&path).unwrap();
    let out = smartid(&["session-secret-digest", "--session-secret-file", p]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("--session-secret-file"),
        "{}",
        out.stderr
    );
    assert!(!out.stderr.contains(SECRET), "{}", out.stderr);
}

/// Callback URLs carry the callback token: they too can come from a file or stdin instead of
/// the command line, with the same result; only one option may read stdin.
#[test]
fn callback_urls_from_a_file_or_stdin() {
    let dir = std::env::temp_dir().join(format!("sidkit-cli-urls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (returned, initial, secret) = (
        dir.join("returned"),
        dir.join("initial"),
        dir.join("secret"),
    );
    std::fs::write(&returned, format!("{RETURNED}\n")).unwrap();
    std::fs::write(&initial, CALLBACK).unwrap();
    std::fs::write(&secret, SECRET).unwrap();
    let (r, i, s) = (
        returned.to_str().unwrap(),
        initial.to_str().unwrap(),
        secret.to_str().unwrap(),
    );
    let base = [
        "verify-callback",
        "--session-type",
        "auth",
        "--user-challenge",
        UC,
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        base.iter().chain(extra).map(|a| a.to_string()).collect()
    };
    // Everything from files: nothing secret on the command line.
    let args = with(&[
        "--callback-url-file",
        r,
        "--initial-callback-url-file",
        i,
        "--session-secret-file",
        s,
    ]);
    let out = smartid(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        out.stderr
    );
    // The returned URL from stdin.
    let args = with(&[
        "--callback-url-file",
        "-",
        "--initial-callback-url-file",
        i,
        "--session-secret-file",
        s,
    ]);
    let out = smartid_stdin(
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
        &format!("{RETURNED}\n"),
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "valid\n"),
        "{}",
        out.stderr
    );
    // A tampered URL from a file still fails the check (exit 1).
    std::fs::write(
        &returned,
        RETURNED.replace("RrKjjT4aggzu27YBddX1bQ", "someOtherTokenValue12345"),
    )
    .unwrap();
    let args = with(&[
        "--callback-url-file",
        r,
        "--initial-callback-url-file",
        i,
        "--session-secret-file",
        s,
    ]);
    let out = smartid(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 1, "{}", out.stderr);
    // Two options reading stdin, both forms of one option, or neither: bad input (exit 2).
    let args = with(&[
        "--callback-url-file",
        "-",
        "--initial-callback-url-file",
        i,
        "--session-secret-file",
        "-",
    ]);
    let out = smartid_stdin(&args.iter().map(String::as_str).collect::<Vec<_>>(), SECRET);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("stdin"), "{}", out.stderr);
    let args = with(&[
        "--callback-url",
        RETURNED,
        "--callback-url-file",
        r,
        "--initial-callback-url-file",
        i,
        "--session-secret-file",
        s,
    ]);
    let out = smartid(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 2, "{}", out.stderr);
    let args = with(&["--initial-callback-url-file", i, "--session-secret-file", s]);
    let out = smartid(&args.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!(out.code, 2, "{}", out.stderr);
    std::fs::remove_dir_all(&dir).unwrap();
}
