//! `smartid demo` as the README runs it: exit 0 and a verified identity (or signature).

use std::process::Command;

fn demo(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_smartid"))
        .arg("demo")
        .args(args)
        .output()
        .expect("smartid runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn demo_app2app_prints_a_verified_identity() {
    let (code, out, err) = demo(&[]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("verified identity: OK TESTNUMBER (PNOEE-40404040009"),
        "{out}"
    );
    assert!(out.contains("a forged return URL is refused"), "{out}");
    assert!(out.contains("gives the same outcome: true"), "{out}");
}

#[test]
fn demo_sign_and_qr() {
    let (code, out, err) = demo(&["--sign"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("verified signature by PNOEE-40404040009-MOCK-Q"),
        "{out}"
    );
    let (code, out, err) = demo(&["--sign", "--cert-choice"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("kind: certificateChoiceAndSignature"), "{out}");
    assert!(
        out.contains("verified signature by PNOEE-40404040009-MOCK-Q"),
        "{out}"
    );
    assert!(out.contains("a forged return URL is refused"), "{out}");
    let (code, out, err) = demo(&["--cert-choice", "--flow", "qr", "--qr-seconds", "1"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("verified signature by"), "{out}");
    let (code, out, err) = demo(&["--flow", "qr", "--qr-seconds", "1"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("QR frame 2"), "{out}");
    assert!(out.contains('█'), "{out}");
    assert!(out.contains("verified identity:"), "{out}");
    // A refusing user: exit 1 with the end result on stderr.
    let (code, _, err) = demo(&["--account", "PNOEE-30403039917-MOCK-Q"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("USER_REFUSED"), "{err}");
    let (code, _, err) = demo(&["--env", "demo"]);
    assert_eq!(code, 2, "{err}");
}
