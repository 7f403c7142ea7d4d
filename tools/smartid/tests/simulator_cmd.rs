//! `smartid simulator`: starts on a loopback port, prints its URLs, writes its CA files and
//! answers RP API requests.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};

#[test]
fn simulator_serves_on_loopback_and_writes_ca_files() {
    let dir = std::env::temp_dir().join(format!("sidkit-cli-sim-{}", std::process::id()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_smartid"))
        .args(["simulator", "--port", "0", "--ca-out"])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start smartid simulator");
    let stdout = child.stdout.take().unwrap();
    let mut base = None;
    let mut ca_files = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.unwrap();
        if let Some(v) = line.strip_prefix("rp-api-base-url: ") {
            base = Some(v.to_owned());
        }
        if let Some(v) = line.strip_prefix("ca-file: ") {
            ca_files.push(v.to_owned());
        }
        if line.starts_with("account: PNOEE-40404049996-MOCK-NQ") {
            break; // the last account line
        }
    }
    let base = base.expect("base URL printed");
    assert!(base.starts_with("http://127.0.0.1:") && base.ends_with("/smart-id-rp/v3/"));
    assert_eq!(ca_files.len(), 2);
    for f in &ca_files {
        let pem = std::fs::read_to_string(f).unwrap();
        assert!(pem.starts_with("-----BEGIN CERTIFICATE-----"), "{f}");
    }

    // An unknown session: 404 with an RFC 9457 body.
    let authority = base
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let mut s = TcpStream::connect(&authority).unwrap();
    write!(
        s,
        "GET /smart-id-rp/v3/session/00000000-0000-4000-8000-000000000000?timeoutMs=1000 HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    assert!(resp.starts_with("HTTP/1.1 404"), "{resp}");
    assert!(resp.contains("application/problem+json"), "{resp}");
    assert!(resp.contains("\"status\":404"), "{resp}");

    child.kill().unwrap();
    child.wait().unwrap();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulator_refuses_non_loopback_bind() {
    let o = Command::new(env!("CARGO_BIN_EXE_smartid"))
        .args(["simulator", "--bind", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("loopback"));
}
