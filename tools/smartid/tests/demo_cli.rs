//! `smartid demo` as the README runs it: exit 0 and a verified identity (or signature), the
//! certificate status checked by OCSP against the simulator's responder (`--revocation off`
//! turns that off; a revoked account fails verification, exit 1).

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
    assert!(
        out.contains("revocation: OCSP against http://127.0.0.1:"),
        "{out}"
    );
    let good = out
        .lines()
        .filter(|l| l.contains("certificate status: good (OCSP, http://127.0.0.1:"))
        .count();
    assert_eq!(good, 2, "the user certificate and the intermediate: {out}");
    assert!(out.contains("backend  revocationChecked: true"), "{out}");
}

#[test]
fn demo_revocation_off_and_a_revoked_account() {
    let (code, out, err) = demo(&["--revocation", "off"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(out.contains("revocationChecked: false"), "{out}");
    assert!(
        out.contains("not checked (revocation checking is off)"),
        "{out}"
    );
    let (code, out, err) = demo(&["--account", "PNOEE-30505050078-SIM7-Q"]);
    assert_eq!(code, 1, "{out}\n{err}");
    assert!(err.contains("verification_failed"), "{err}");
    assert!(err.contains("is revoked (keyCompromise"), "{err}");
    let (code, out, err) = demo(&[
        "--account",
        "PNOEE-30505050078-SIM7-Q",
        "--revocation",
        "off",
    ]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("verified identity: REVOKED TESTNUMBER"),
        "{out}"
    );
}

#[test]
fn demo_sign_and_qr() {
    let (code, out, err) = demo(&["--sign"]);
    assert_eq!(code, 0, "{out}\n{err}");
    assert!(
        out.contains("verified signature by PNOEE-40404040009-MOCK-Q"),
        "{out}"
    );
    assert!(out.contains("backend  revocationChecked: true"), "{out}");
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
    // A refusing user: the session ended without OK, exit 3 with the end result on stderr
    // (1 is only for a failed verification).
    let (code, _, err) = demo(&["--account", "PNOEE-30403039917-MOCK-Q"]);
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("USER_REFUSED"), "{err}");
    let (code, _, err) = demo(&["--env", "demo"]);
    assert_eq!(code, 2, "{err}");
}

#[test]
fn serve_refuses_a_callback_base_the_app_could_not_own() {
    for bad in [
        "http://app.example/return",
        "https://app.example/return?value=x",
        "https://app.example/return#f",
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_smartid"))
            .args([
                "serve",
                "--port",
                "0",
                "--sim-port",
                "0",
                "--callback-base",
                bad,
            ])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("smartid runs");
        // A refused argument ends the command at once; a server would run until killed.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if std::time::Instant::now() > deadline {
                child.kill().unwrap();
                child.wait().unwrap();
                panic!("{bad}: serve started instead of refusing the callback base");
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        };
        let mut err = String::new();
        std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
        assert_eq!(status.code(), Some(2), "{bad}: {err}");
        assert!(err.contains("--callback-base"), "{bad}: {err}");
    }
}
