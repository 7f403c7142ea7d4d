//! `--env demo` of `smartid serve` and `smartid demo`: argument validation and the resolved
//! configuration (`--check-config`), without network. SK DEMO itself is not reachable here.
//!
//! The DEMO CA files are SK's, bundled in the repository (`core/verify/ca/demo`).

use std::path::PathBuf;
use std::process::Command;

/// `<repo>/core/verify/ca/demo`.
fn demo_ca_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../core/verify/ca/demo");
    assert!(dir.is_dir(), "{} not found", dir.display());
    dir
}

/// One CA file of the DEMO directory: a stand-in for the TLS root in configuration tests
/// (any CA certificate PEM builds the client; nothing connects).
fn stand_in_tls_ca() -> PathBuf {
    let mut files: Vec<_> = std::fs::read_dir(demo_ca_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| std::fs::read_to_string(p).is_ok_and(|t| t.contains("BEGIN CERTIFICATE")))
        .collect();
    files.sort();
    files.into_iter().next().expect("a PEM CA file")
}

/// A syntactically valid pin (no host is contacted).
const PIN: &str = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smartid"))
        .args(args)
        .output()
        .expect("smartid runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sidkit-demo-env-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn full_args<'a>(cmd: &'a str, ca_dir: &'a str, tls_ca: &'a str) -> Vec<&'a str> {
    vec![
        cmd,
        "--env",
        "demo",
        "--ca-dir",
        ca_dir,
        "--tls-ca",
        tls_ca,
        "--tls-pin",
        PIN,
    ]
}

#[test]
fn missing_ca_dir_is_refused() {
    for cmd in ["serve", "demo"] {
        let (code, _, err) = run(&[cmd, "--env", "demo"]);
        assert_eq!(code, 2, "{cmd}: {err}");
        assert!(err.contains("--env demo needs --ca-dir"), "{cmd}: {err}");
    }
}

#[test]
fn ca_dir_without_certificates_is_refused() {
    let empty = temp_dir("empty");
    std::fs::write(empty.join("README.txt"), "no certificates here").unwrap();
    let tls = stand_in_tls_ca();
    let (code, _, err) = run(&full_args(
        "serve",
        empty.to_str().unwrap(),
        tls.to_str().unwrap(),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("no certificate found"), "{err}");
    let missing = empty.join("missing");
    let (code, _, err) = run(&full_args(
        "serve",
        missing.to_str().unwrap(),
        tls.to_str().unwrap(),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not a directory"), "{err}");
    let _ = std::fs::remove_dir_all(&empty);
}

#[test]
fn tls_roots_and_pins_are_required() {
    let ca = demo_ca_dir();
    let ca = ca.to_str().unwrap();
    let (code, _, err) = run(&["serve", "--env", "demo", "--ca-dir", ca]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tls-ca"), "{err}");
    let tls = stand_in_tls_ca();
    let tls = tls.to_str().unwrap();
    let (code, _, err) = run(&["serve", "--env", "demo", "--ca-dir", ca, "--tls-ca", tls]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tls-pin"), "{err}");
    let mut bad_pin = full_args("serve", ca, tls);
    *bad_pin.last_mut().unwrap() = "sha256//nope";
    let (code, _, err) = run(&bad_pin);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--tls-pin"), "{err}");
}

#[test]
fn check_config_resolves_demo_and_pins_fingerprints() {
    let ca = demo_ca_dir();
    let ca = ca.to_str().unwrap();
    let tls = stand_in_tls_ca();
    let tls = tls.to_str().unwrap();
    for cmd in ["serve", "demo"] {
        let mut args = full_args(cmd, ca, tls);
        args.push("--check-config");
        let (code, out, err) = run(&args);
        assert_eq!(code, 0, "{cmd}: {out}\n{err}");
        for want in [
            "environment: DEMO",
            "rp-api-base-url: https://sid.demo.sk.ee/smart-id-rp/v3/",
            "scheme-name: smart-id-demo",
            "device-link-bases: https://sid.demo.sk.ee/device-link",
            "relying-party: DEMO (00000000-0000-4000-8000-000000000000)",
            "tls-pins: 1",
        ] {
            assert!(out.contains(want), "{cmd}: missing {want:?} in\n{out}");
        }
        assert!(out.contains(" anchors, "), "{out}");
    }
    // Pin every CA file by its fingerprint: accepted; leave one out: refused.
    let mut args = full_args("serve", ca, tls);
    args.push("--check-config");
    let (_, out, _) = run(&args);
    let fps: Vec<String> = out
        .lines()
        .filter_map(|l| l.split(" sha256 ").nth(1))
        .map(|s| s.trim().to_owned())
        .collect();
    assert!(fps.len() >= 2, "{out}");
    let mut pinned = args.clone();
    for f in &fps {
        pinned.push("--ca-fingerprint");
        pinned.push(f);
    }
    let (code, out, err) = run(&pinned);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("(fingerprints pinned)"), "{out}");
    let mut short = args.clone();
    for f in &fps[1..] {
        short.push("--ca-fingerprint");
        short.push(f);
    }
    let (code, _, err) = run(&short);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("not among the pinned fingerprints"), "{err}");
    // A malformed fingerprint.
    let mut bad = args.clone();
    bad.extend(["--ca-fingerprint", "xyz"]);
    let (code, _, err) = run(&bad);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--ca-fingerprint xyz"), "{err}");
    // Own relying party.
    let mut own = args.clone();
    own.extend([
        "--rp-uuid",
        "11111111-2222-4333-8444-555555555555",
        "--rp-name",
        "My Bank",
    ]);
    let (code, out, err) = run(&own);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("relying-party: My Bank (11111111-2222-4333-8444-555555555555)"),
        "{out}"
    );
}

#[test]
fn demo_env_app2app_needs_a_real_phone() {
    let ca = demo_ca_dir();
    let tls = stand_in_tls_ca();
    let (code, _, err) = run(&full_args(
        "demo",
        ca.to_str().unwrap(),
        tls.to_str().unwrap(),
    ));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("App2App"), "{err}");
    assert!(err.contains("--flow qr"), "{err}");
    // --check-config belongs to --env demo.
    let (code, _, err) = run(&["demo", "--check-config"]);
    assert_eq!(code, 2, "{err}");
}
