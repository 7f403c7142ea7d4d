//! Shared helpers of the contract tests.
#![allow(dead_code)]

use std::time::Duration;

use sidkit_cli::phone::Phone;
use sidkit_cli::reference::Stack;

/// A stack on free loopback ports with the in-memory store.
pub async fn stack() -> Stack {
    Stack::start(0, 0, None)
        .await
        .expect("reference stack starts")
}

/// `backend` (with the development route on `sim`) served on a free loopback port with the
/// default server limits.
pub async fn serve(
    backend: &sidkit_backend::Backend,
    sim: &std::sync::Arc<sidkit_simulator::Simulator>,
) -> sidkit_cli::reference::Server {
    sidkit_cli::reference::Server::start_with(
        sidkit_cli::reference::app(backend, sim.clone()),
        std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        sidkit_backend::ServeConfig::default(),
    )
    .await
    .expect("server starts")
}

/// A phone for `stack` with `account`.
pub fn phone(stack: &Stack, account: &str) -> Phone {
    Phone::new(&stack.server.base_url(), account).expect("phone")
}

/// A plain HTTP client for raw contract calls.
pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Bounds a future so a broken test fails instead of hanging.
pub async fn within<F: std::future::Future>(secs: u64, f: F) -> F::Output {
    tokio::time::timeout(Duration::from_secs(secs), f)
        .await
        .expect("finished in time")
}

/// A whole App2App authentication on `phone` (bounded to 30 s), which must end
/// authenticated; `what` names it in a failure.
pub async fn authenticate(phone: &Phone, what: &str) -> sidkit_cli::phone::App2AppRun {
    let (_, run) = within(
        30,
        phone.app2app(sidkit_contract::FlowKind::Authentication, None, &mut |_| {}),
    )
    .await
    .unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        matches!(
            run.outcome,
            sidkit_contract::FlowOutcome::Authenticated { .. }
        ),
        "{what}: {:?}",
        run.outcome
    );
    run
}

/// Reads a JSON body.
pub async fn json<T: serde::de::DeserializeOwned>(r: reqwest::Response) -> T {
    let bytes = r.bytes().await.expect("body");
    serde_json::from_slice(&bytes).expect("JSON body")
}

/// `url` with the first character of its `userChallengeVerifier` changed: a well-formed
/// verifier that is not the genuine one (the genuine `value` and digest stay).
pub fn with_other_verifier(url: &str) -> String {
    let i = url
        .find("userChallengeVerifier=")
        .expect("an auth return URL")
        + "userChallengeVerifier=".len();
    let mut u = url.to_owned();
    let c = if &u[i..i + 1] == "A" { "B" } else { "A" };
    u.replace_range(i..i + 1, c);
    u
}

/// `smartid serve` as a process, killed on drop; `banner` holds what it printed up to
/// `Ctrl-C stops.`.
pub struct Serve {
    /// The process.
    pub child: std::process::Child,
    /// The banner lines before `Ctrl-C stops.`.
    pub banner: Vec<String>,
    /// The lines it prints after the banner (e.g. each verified flow's certificate status).
    pub output: std::sync::mpsc::Receiver<String>,
}

impl Serve {
    /// Runs `smartid serve --port 0 --sim-port 0 args` and waits for its banner.
    pub fn start(args: &[&str]) -> Serve {
        use std::io::BufRead as _;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_smartid"))
            .args(["serve", "--port", "0", "--sim-port", "0"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("smartid runs");
        let (tx, rx) = std::sync::mpsc::channel();
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut banner = Vec::new();
        loop {
            match rx.recv_timeout(std::time::Duration::from_secs(60)) {
                Ok(line) if line == "Ctrl-C stops." => {
                    return Serve {
                        child,
                        banner,
                        output: rx,
                    }
                }
                Ok(line) => banner.push(line),
                Err(e) => {
                    let _ = child.kill();
                    let out = stderr_of(&mut child);
                    panic!("serve did not start ({e}): {banner:?}\n{out}");
                }
            }
        }
    }

    /// The banner line starting with `prefix`, without it.
    pub fn line(&self, prefix: &str) -> &str {
        self.banner
            .iter()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_else(|| panic!("no {prefix} in {:?}", self.banner))
    }
}

/// Waits for the (killed or exited) process `child` and returns its stderr.
pub fn stderr_of(child: &mut std::process::Child) -> String {
    let _ = child.wait();
    let mut s = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut s);
    }
    s
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
