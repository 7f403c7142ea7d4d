//! The exit codes of `smartid` (issue 16 item 11), one test per class: `0` success, `1` a failed
//! verification (and only that), `2` bad input or usage, `3` the environment (a port in use, an
//! unreachable backend, a Smart-ID session that ended without OK). The binary runs for real.

mod cli_run;

use std::process::Command;

use cli_run::*;

/// Runs `smartid args` with a deadline (a server that starts instead of failing is killed and
/// the test fails).
fn smartid_within(args: &[&str], secs: u64) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_smartid"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run smartid");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if std::time::Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!("{args:?} still running after {secs} s");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let read = |r: Option<Box<dyn std::io::Read>>| {
        let mut s = String::new();
        if let Some(mut r) = r {
            r.read_to_string(&mut s).unwrap();
        }
        s
    };
    let stdout = read(
        child
            .stdout
            .take()
            .map(|r| Box::new(r) as Box<dyn std::io::Read>),
    );
    let stderr = read(
        child
            .stderr
            .take()
            .map(|r| Box::new(r) as Box<dyn std::io::Read>),
    );
    Out {
        code: status.code().unwrap_or(-1),
        stdout,
        stderr,
    }
}

/// A loopback port nothing listens on (bound, then released).
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[test]
fn help_documents_the_exit_codes() {
    let out = smartid(&["--help"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    for needle in [
        "Exit codes",
        "0  success",
        "1  a verification failed",
        "2  bad input or usage",
        "3  the environment failed",
    ] {
        assert!(
            out.stdout.contains(needle),
            "--help lacks `{needle}`:\n{}",
            out.stdout
        );
    }
}

/// A port in use is the environment (3), not a failed verification (1).
#[test]
fn busy_port_exits_3() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = busy.local_addr().unwrap().port().to_string();
    let out = smartid_within(&["serve", "--port", &port, "--sim-port", "0"], 60);
    assert_eq!(out.code, 3, "serve: {}", out.stderr);
    assert!(out.stderr.contains(&port), "{}", out.stderr);
    assert!(
        !out.stderr.contains("verification failed"),
        "{}",
        out.stderr
    );
    let out = smartid_within(&["simulator", "--port", &port], 60);
    assert_eq!(out.code, 3, "simulator: {}", out.stderr);
    assert!(
        !out.stderr.contains("verification failed"),
        "{}",
        out.stderr
    );
    drop(busy);
}

/// A backend that does not answer is the environment (3).
#[test]
fn unreachable_backend_exits_3() {
    let url = format!("http://127.0.0.1:{}/", closed_port());
    let out = smartid_within(&["demo", "--backend-url", &url], 120);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("unreachable"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("verification failed"),
        "{}",
        out.stderr
    );
}

/// An account the simulator does not have is bad input (2), for an authentication and for a
/// signature (where it is the signer named in the request).
#[test]
fn unknown_account_exits_2() {
    for extra in [&[][..], &["--sign"][..]] {
        let mut args = vec!["demo", "--account", "PNOEE-30303039914-NONE-Q"];
        args.extend_from_slice(extra);
        let out = smartid_within(&args, 120);
        assert_eq!(out.code, 2, "{args:?}: {}\n{}", out.stdout, out.stderr);
        assert!(out.stderr.contains("--account"), "{}", out.stderr);
    }
}

/// A Smart-ID session that ended without OK (the user refused) is the environment (3): nothing
/// was verified, and nothing failed to verify.
#[test]
fn user_refused_exits_3() {
    let out = smartid_within(&["demo", "--account", "PNOEE-30403039917-MOCK-Q"], 120);
    assert_eq!(out.code, 3, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("USER_REFUSED"), "{}", out.stderr);
    assert!(
        !out.stderr.contains("verification failed"),
        "{}",
        out.stderr
    );
}

/// Exit 1 is a failed check, and only that: a callback with another token.
#[test]
fn failed_verification_exits_1() {
    let other_token = RETURNED.replace("RrKjjT4aggzu27YBddX1bQ", "someOtherTokenValue12345");
    let out = smartid(&[
        "verify-callback",
        "--callback-url",
        &other_token,
        "--initial-callback-url",
        CALLBACK,
        "--session-type",
        "auth",
        "--session-secret",
        SECRET,
        "--user-challenge",
        UC,
    ]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stderr.starts_with("verification failed: "),
        "{}",
        out.stderr
    );
}
