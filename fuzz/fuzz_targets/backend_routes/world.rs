//! The process-wide setup of `backend_routes`: one tokio runtime, the simulator on loopback,
//! the backend on it, and the helpers that send a request and drive the simulator.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request};
use http_body_util::BodyExt as _;
use sha2::{Digest, Sha256};
use sidkit_backend::{AdmissionConfig, Backend, BackendConfig, FlowError};
use sidkit_client::{ClientConfig, SmartIdClient};
use sidkit_contract::FlowKey;
use sidkit_proto::b64;
use sidkit_simulator::{Fault, FaultKind, FaultScope, Outcome, Simulator, SimulatorConfig};
use sidkit_verify::TrustStore;
use tower::ServiceExt as _;

use super::checks::Answer;
use super::Flow;

/// The app's App2App callback base (the backend's `callbackBase`).
pub const CALLBACK_BASE: &str = "https://app.sidkit.example/smart-id/return";
/// The simulated user (SK's DEMO test account).
pub const DEMO_ACCOUNT: &str = "PNOEE-40404040009-MOCK-Q";
/// How long a flow lives.
const FLOW_TTL: Duration = Duration::from_secs(10);
/// Most `certificateChoiceAndSignature` starts per `FLOW_TTL` (see the target's docs).
const CERT_BUDGET: usize = 4;

pub struct World {
    pub rt: tokio::runtime::Runtime,
    pub sim: Simulator,
    router: axum::Router,
    /// The body of `404 flow_not_found` for an unknown handle.
    pub not_found: Vec<u8>,
    ids: AtomicU64,
    cert_starts: Mutex<VecDeque<Instant>>,
}

pub fn world() -> &'static World {
    static W: OnceLock<World> = OnceLock::new();
    W.get_or_init(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("tokio runtime");
        let (sim, router) = rt.block_on(async {
            let mut cfg = SimulatorConfig::default().user_delay(Duration::ZERO);
            // Longer than a flow lives, so that the backend never polls a forgotten session.
            cfg.session_lifetime = Duration::from_secs(60);
            cfg.completed_retention = Duration::from_secs(60);
            let sim = Simulator::start(cfg).await.expect("simulator");
            let client = SmartIdClient::new(ClientConfig::new(sim.environment())).expect("client");
            let mut trust = TrustStore::new();
            trust
                .add_pem(sim.user_ca_pem().as_bytes())
                .expect("trust store");
            let mut config = BackendConfig::new(client, sim.relying_party(), trust, CALLBACK_BASE)
                .with_admission(AdmissionConfig {
                    starts_per_minute: 0,
                    burst: 1,
                    max_pending_flows: 1 << 30,
                    max_tracked_clients: 16,
                    max_qr_streams: 1 << 20,
                })
                .with_claim_lease(Duration::from_secs(2));
            config.flow_ttl = FLOW_TTL;
            config.completion_timeout = Duration::from_secs(2);
            let backend = Backend::new(config).expect("backend");
            (sim, backend.router())
        });
        World {
            rt,
            sim,
            router,
            not_found: serde_json::to_vec(&FlowError::NotFound.problem()).expect("json"),
            ids: AtomicU64::new(1),
            cert_starts: Mutex::new(VecDeque::new()),
        }
    })
}

/// Whether to print every request and answer (`SIDKIT_FUZZ_DEBUG=1`, to read a crash).
pub fn debug() -> bool {
    static D: OnceLock<bool> = OnceLock::new();
    *D.get_or_init(|| std::env::var_os("SIDKIT_FUZZ_DEBUG").is_some())
}

/// The flow key number `id` (deterministic, so a crash replays) and its challenge.
pub fn flow_key(id: u64) -> (String, String) {
    let bytes = Sha256::digest([b"sidkit-fuzz flow key".as_slice(), &id.to_le_bytes()].concat());
    let key = b64::encode_url(&bytes);
    let challenge = challenge_of(&key);
    (key, challenge)
}

pub fn challenge_of(key: &str) -> String {
    FlowKey::parse(key).expect("a key of flow_key").challenge()
}

impl World {
    /// A number for a fresh flow key and `Idempotency-Key`, unique in the process.
    pub fn next_id(&self) -> u64 {
        self.ids.fetch_add(1, Ordering::Relaxed)
    }

    /// Back to a healthy upstream and a user who confirms, for the next input.
    pub fn reset(&self) {
        self.sim.clear_faults();
        self.sim.inject_fault(Fault::no_long_poll().times(u32::MAX));
        let _ = self.sim.set_outcome(DEMO_ACCOUNT, Outcome::Ok);
    }

    /// The next RP API call (of `scope`: `create`, `status`, else any) fails as `kind` says.
    pub fn fault(&self, kind: &str, scope: Option<&str>) {
        let kind = match kind {
            "drop" => FaultKind::DropConnection,
            "malformed" => FaultKind::MalformedJson,
            s => FaultKind::Status(
                s.parse()
                    .ok()
                    .filter(|s| (400..=599).contains(s))
                    .unwrap_or(503),
            ),
        };
        let scope = match scope {
            Some("create") => FaultScope::CreateSession,
            Some("status") => FaultScope::SessionStatus,
            _ => FaultScope::Any,
        };
        self.sim.clear_faults();
        self.sim.inject_fault(Fault::new(kind).on(scope));
        self.sim.inject_fault(Fault::no_long_poll().times(u32::MAX));
    }

    pub fn set_outcome(&self, name: &str) {
        let o = match name {
            "refused" => Outcome::UserRefused,
            "timeout" => Outcome::Timeout,
            "wrongvc" => Outcome::WrongVc,
            "unusable" => Outcome::DocumentUnusable,
            "interaction" => Outcome::UserRefusedInteraction(None),
            "protocol" => Outcome::ProtocolFailure,
            "server" => Outcome::ServerError,
            _ => Outcome::Ok,
        };
        let _ = self.sim.set_outcome(DEMO_ACCOUNT, o);
    }

    /// Whether a request with this body may be sent: a start of a certificate choice only
    /// within the budget (each one runs a background driver for the flow's life).
    pub fn cert_budget(&self, body: &str) -> bool {
        if !body.contains("certificateChoiceAndSignature") {
            return true;
        }
        let mut q = self.cert_starts.lock().unwrap_or_else(|p| p.into_inner());
        while q.front().is_some_and(|t| t.elapsed() > FLOW_TTL) {
            q.pop_front();
        }
        if q.len() >= CERT_BUDGET {
            return false;
        }
        q.push_back(Instant::now());
        true
    }

    /// The return URLs the simulated app opened since the last call that belong to `flows`
    /// (their `value` token's commitment is the flow's).
    pub async fn drain_callbacks(&self, flows: &[Flow]) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(ev) = tokio::time::timeout(Duration::ZERO, self.sim.next_callback()).await {
            let Ok(u) = url::Url::parse(&ev.url) else {
                continue;
            };
            let Some((_, token)) = u.query_pairs().find(|(k, _)| k == "value") else {
                continue;
            };
            let c = b64::encode_url(&Sha256::digest(token.as_bytes()));
            if flows
                .iter()
                .any(|f| f.resp.callback_commitment.as_deref() == Some(c.as_str()))
            {
                out.push(ev.url);
            }
        }
        out
    }
}

/// Sends `req` to the router and reads the answer: the whole body, or for an event stream
/// its first frame. A request that takes longer than 20 s is a hang.
pub async fn send(w: &World, req: Request<Vec<u8>>) -> Answer {
    let (parts, body) = req.into_parts();
    let what = format!("{} {}", parts.method, parts.uri);
    let req = Request::from_parts(parts, Body::from(body));
    let resp = tokio::time::timeout(Duration::from_secs(20), w.router.clone().oneshot(req))
        .await
        .expect("the router did not answer within 20 s")
        .expect("the router is infallible");
    let (parts, mut body) = resp.into_parts();
    let stream = parts
        .headers
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let bytes = if stream {
        match tokio::time::timeout(Duration::from_secs(20), body.frame()).await {
            Ok(Some(Ok(f))) => f.into_data().map(|d| d.to_vec()).unwrap_or_default(),
            Ok(Some(Err(e))) => panic!("the event stream failed: {e}"),
            Ok(None) => Vec::new(),
            Err(_) => panic!("no event within 20 s"),
        }
    } else {
        tokio::time::timeout(Duration::from_secs(20), body.collect())
            .await
            .expect("the body did not end within 20 s")
            .expect("the body is readable")
            .to_bytes()
            .to_vec()
    };
    if debug() {
        eprintln!(
            "{what} -> {}: {}",
            parts.status,
            String::from_utf8_lossy(&bytes)
        );
    }
    Answer {
        status: parts.status,
        headers: parts.headers,
        body: bytes,
    }
}
