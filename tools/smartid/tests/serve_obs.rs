//! `smartid serve`'s logs and metrics as a process: `--log-format json` writes one JSON object
//! per line on stderr, `GET /metrics` serves the Prometheus text with the flow counters, and a
//! bad `--log-level` is exit code 2. The banner names the simulator's OCSP responder, which the
//! backend checks every certificate against (the `response verified` log event says so).

mod common;

use common::{authenticate, http, stderr_of, Serve};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_prometheus_metrics() {
    let mut serve = Serve::start(&["--log-format", "json", "--log-level", "info"]);
    let base = serve.line("backend-url: ").to_owned();
    let ocsp = serve.line("ocsp-url: ").to_owned();
    assert!(
        serve
            .line("revocation: ")
            .starts_with(&format!("OCSP against {ocsp} ")),
        "{:?}",
        serve.banner
    );
    let metrics_url = serve
        .line("metrics: GET ")
        .split(' ')
        .next()
        .unwrap()
        .to_owned();
    let phone = sidkit_cli::phone::Phone::new(&base, "PNOEE-40404040009-MOCK-Q").unwrap();
    authenticate(&phone, "a flow through smartid serve").await;
    // The verified flow's certificate status, on stdout.
    let status: Vec<String> = (0..3)
        .map(|_| {
            serve
                .output
                .recv_timeout(std::time::Duration::from_secs(10))
                .unwrap()
        })
        .collect();
    assert!(
        status[0].starts_with(&format!(
            "flow authentication: certificate status: good (OCSP, {ocsp}"
        )),
        "{status:?}"
    );
    assert_eq!(status[2], "flow authentication: revocationChecked: true");
    let r = http().get(&metrics_url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = r.text().await.unwrap();
    assert!(
        text.contains(
            r#"sidkit_flows_started_total{kind="authentication",presentation="app2app"} 1"#
        ),
        "{text}"
    );
    assert!(
        text.contains(
            r#"sidkit_flows_finished_total{kind="authentication",result="authenticated"} 1"#
        ),
        "{text}"
    );
    let _ = serve.child.kill();
    let err = stderr_of(&mut serve.child);
    let events: Vec<serde_json::Value> = err
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        events
            .iter()
            .any(|e| e["message"] == "flow finished" && e["result"] == "authenticated"),
        "{err}"
    );
    assert!(
        events.iter().any(|e| e["message"] == "response verified"
            && e["revocation_checked"] == true
            && e["revocation_sources"]
                .as_str()
                .is_some_and(|s| s.contains(&ocsp))),
        "{err}"
    );
}

#[test]
fn a_bad_log_filter_is_bad_input() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_smartid"))
        .args([
            "serve",
            "--port",
            "0",
            "--sim-port",
            "0",
            "--log-level",
            "sidkit=[bad",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("--log-level"));
}
