//! The multi-instance soak (`smartid soak`, feature `redis-store`; the short version runs in the
//! tests, `tests/soak/soak.sh` runs a long one): two backend instances sharing a real
//! `redis-server` (append-only file, fsync on every write:
//! [`RedisServer::start_durable`]) serve App2App authentications from
//! phones that fail over to the other instance on retryable errors, as behind a load balancer.
//! Mid-run Redis is killed (`SIGKILL`) and restarted on the same port and data directory, and
//! one instance is killed for good.
//!
//! A killed instance is one whose tokio runtime is shut down at once
//! ([`tokio::runtime::Runtime::shutdown_background`]): its connections close and none of its
//! tasks runs another step, as when the process dies (a store command it had sent may have
//! reached Redis or not). The simulated Smart-ID app (the simulator, which plays Smart-ID
//! itself) stays up.
//!
//! Afterwards every flow must have ended exactly once: authenticated, failed or expired with a
//! typed error, none lost (still running at the harness deadline); every authenticated flow's
//! session reference is redeemed once (a second time it is gone), and the store holds no
//! second reference for any flow.

use std::collections::{BTreeMap, HashSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sidkit_app::{Flow, FlowConfig, FlowSpec, NextStep, ReturnUrl};
use sidkit_backend::{Backend, EncryptedStore, EncryptionKey, RedisStore, ServeConfig};
use sidkit_contract::{FlowKind, FlowOutcome, Presentation};
use sidkit_simulator::Simulator;
use sidkit_testpki::redis_server::RedisServer;
use tokio::sync::Semaphore;

use crate::http_transport::{HttpTransport, HttpTransportConfig, TransportError};
use crate::phone::{complete_attempt, now_ms, start_attempt, PhoneError};
use crate::reference::{backend_config, start_simulator, Server, DEMO_ACCOUNT, DEMO_CALLBACK_BASE};

/// Key prefix of the soak's entries in Redis.
const PREFIX: &str = "sidkit-soak:";

/// What to run.
#[derive(Debug, Clone)]
pub struct SoakConfig {
    /// Flows in all.
    pub flows: usize,
    /// Flows running at once.
    pub concurrency: usize,
    /// Redis is killed and restarted once this many flows have started (the others in flight
    /// meet the outage); `None`: never. Counted in flows rather than time, so that the faults
    /// hit flows in flight however fast the machine runs them.
    pub redis_restart_after: Option<usize>,
    /// How long Redis stays down.
    pub redis_down_for: Duration,
    /// Instance A is killed once this many flows have started; `None`: never.
    pub kill_after: Option<usize>,
    /// The claim lease of both instances.
    pub claim_lease: Duration,
    /// A flow still running this long after it started is counted as lost.
    pub flow_deadline: Duration,
}

impl SoakConfig {
    /// The short version of the default test run: 120 flows, 24 at once, Redis restarted
    /// once 40 have started, instance A killed once 80 have.
    pub fn short() -> Self {
        SoakConfig {
            flows: 120,
            concurrency: 24,
            redis_restart_after: Some(40),
            redis_down_for: Duration::from_millis(500),
            kill_after: Some(80),
            claim_lease: Duration::from_secs(2),
            flow_deadline: Duration::from_secs(60),
        }
    }
}

/// How the run went.
#[derive(Debug, Clone, Default)]
pub struct SoakReport {
    /// Flows started.
    pub flows: usize,
    /// Flows that ended authenticated as the simulated user.
    pub authenticated: usize,
    /// Flows that ended failed, by the problem code (or transport error) that ended them.
    pub failed: BTreeMap<String, usize>,
    /// Flows that ended expired (the flow time ran out while the app retried).
    pub expired: usize,
    /// Flows still running at the harness deadline (must be 0).
    pub lost: usize,
    /// Authenticated flows whose outcome was not the simulated user's (must be 0).
    pub wrong_identity: usize,
    /// Session references handed out twice (two flows, or one flow twice; must be 0).
    pub duplicate_refs: usize,
    /// Session references redeemed once, as they must be.
    pub redeemed_once: usize,
    /// Session references that could not be redeemed, or could be twice (must be 0).
    pub redeem_failures: usize,
    /// Session references in the store before redeeming, beyond the authenticated flows
    /// (written by an instance that died before it recorded the outcome: never handed out).
    pub unreferenced_refs: usize,
    /// Retries after a retryable error (each one moved to the other instance).
    pub retries: usize,
    /// Redis restarts done.
    pub redis_restarts: usize,
    /// Instances killed.
    pub kills: usize,
    /// Wall time of the flows.
    pub wall: Duration,
}

impl SoakReport {
    /// Whether every flow ended exactly once and nothing was lost or duplicated.
    pub fn holds(&self) -> bool {
        let ended = self.authenticated + self.failed.values().sum::<usize>() + self.expired;
        self.lost == 0
            && ended == self.flows
            && self.wrong_identity == 0
            && self.duplicate_refs == 0
            && self.redeem_failures == 0
            && self.redeemed_once == self.authenticated
    }
}

impl std::fmt::Display for SoakReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let failed: Vec<String> = self
            .failed
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        writeln!(
            f,
            "soak: {} flows in {:.1} s on 2 instances sharing redis-server ({} Redis restart(s), {} instance(s) killed)",
            self.flows,
            self.wall.as_secs_f64(),
            self.redis_restarts,
            self.kills
        )?;
        writeln!(
            f,
            "ended: {} authenticated, {} failed [{}], {} expired, {} lost; {} retries",
            self.authenticated,
            self.failed.values().sum::<usize>(),
            failed.join(", "),
            self.expired,
            self.lost,
            self.retries
        )?;
        write!(
            f,
            "exactly once: {} session references redeemed once, {} redeem failures, {} duplicates, {} wrong identities, {} unreferenced; {}",
            self.redeemed_once,
            self.redeem_failures,
            self.duplicate_refs,
            self.wrong_identity,
            self.unreferenced_refs,
            if self.holds() { "holds" } else { "VIOLATED" }
        )
    }
}

/// A backend instance on a runtime of its own, so that it can be killed.
struct Instance {
    runtime: Option<tokio::runtime::Runtime>,
    base_url: String,
}

impl Instance {
    async fn start(
        sim: &Arc<Simulator>,
        redis_url: &str,
        key: &EncryptionKey,
        lease: Duration,
        max_connections: usize,
    ) -> Result<Self, String> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .map_err(|e| e.to_string())?;
        let (tx, rx) = tokio::sync::oneshot::channel();
        let (sim, url, key) = (sim.clone(), redis_url.to_owned(), key.clone());
        runtime.spawn(async move {
            let started = async {
                let redis = RedisStore::connect(&url, PREFIX)
                    .await
                    .map_err(|e| e.to_string())?;
                let store = Arc::new(EncryptedStore::new(Arc::new(redis), key));
                let config = backend_config(&sim, DEMO_CALLBACK_BASE)?
                    .with_store(store)
                    .with_claim_lease(lease)
                    .with_admission(crate::reference::reference_admission());
                let backend = Backend::new(config).map_err(|e| e.to_string())?;
                let serve = ServeConfig {
                    max_connections,
                    ..ServeConfig::default()
                };
                Server::start_with(
                    backend.router(),
                    SocketAddr::from(([127, 0, 0, 1], 0)),
                    serve,
                )
                .await
            }
            .await;
            match started {
                Ok(server) => {
                    let _ = tx.send(Ok(server.base_url()));
                    // Serves until the runtime is shut down.
                    let _server = server;
                    std::future::pending::<()>().await
                }
                Err(e) => {
                    let _ = tx.send(Err(e));
                }
            }
        });
        let base_url = rx.await.map_err(|e| e.to_string())??;
        Ok(Instance {
            runtime: Some(runtime),
            base_url,
        })
    }

    /// Kills the instance: no task of it runs another step.
    fn kill(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.kill();
    }
}

/// How one flow ended.
enum End {
    Authenticated(FlowOutcome),
    Failed(String),
    Expired,
    Lost,
}

/// The phone side: one transport per instance; a retryable error moves to the other one.
struct Phones {
    transports: [HttpTransport; 2],
    config: FlowConfig,
    retries: AtomicUsize,
}

fn code_of(e: &PhoneError) -> String {
    match e {
        PhoneError::Transport(TransportError::Backend { problem, .. }) => problem.code.clone(),
        PhoneError::Transport(TransportError::Network { .. }) => "network".into(),
        PhoneError::Transport(TransportError::BadResponse(_)) => "bad_response".into(),
        PhoneError::Transport(TransportError::ContractVersion(_)) => "contract_version".into(),
        PhoneError::Flow(e) => format!("app: {e}"),
        PhoneError::App(e) => format!("smart-id app: {e}"),
    }
}

/// Whether a phone step's failure is worth another attempt (on the other instance).
fn retryable(e: &PhoneError) -> bool {
    matches!(e, PhoneError::Transport(t) if t.is_retryable())
}

impl Phones {
    /// Waits before a retry, moving to the other instance.
    async fn retry(&self, pref: &mut usize) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        *pref ^= 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    /// How a failed step ends the flow: expired if the flow's time ran out, else failed.
    fn failed(flow: &Flow, e: &PhoneError) -> End {
        if flow.state() == sidkit_app::FlowState::Expired {
            End::Expired
        } else {
            End::Failed(code_of(e))
        }
    }

    /// One App2App authentication with the phone's building blocks ([`start_attempt`],
    /// [`complete_attempt`]), each retried on the other instance after a retryable error.
    async fn run(&self, sim: &Simulator, first: usize, deadline: Instant) -> End {
        let spec = FlowSpec::new(FlowKind::Authentication, Presentation::App2App);
        let mut flow = match Flow::new(self.config.clone(), spec, now_ms()) {
            Ok(f) => f,
            Err(e) => return End::Failed(format!("app: {e}")),
        };
        let mut pref = first;
        let link = loop {
            if Instant::now() > deadline {
                return End::Lost;
            }
            match start_attempt(&self.transports[pref], &mut flow).await {
                Ok(NextStep::LaunchApp { device_link }) => break device_link,
                Ok(other) => return End::Failed(format!("unexpected step {other:?}")),
                Err(e) if retryable(&e) => self.retry(&mut pref).await,
                Err(e) => return Self::failed(&flow, &e),
            }
        };
        if let Err(e) = flow.mark_launched(now_ms()) {
            return End::Failed(format!("app: {e}"));
        }
        // The Smart-ID app (the simulated user confirms) opens the return URL.
        let url = match sim
            .open_device_link_and_wait(DEMO_ACCOUNT, &link, Duration::from_secs(30))
            .await
        {
            Ok((_, Some(url))) => url,
            Ok((r, None)) => return End::Failed(format!("no callback: {}", r.end_result)),
            Err(e) => return End::Failed(format!("smart-id app: {e}")),
        };
        let ret = match ReturnUrl::parse(self.config.callback_base(), &url) {
            Ok(r) => r,
            Err(e) => return End::Failed(format!("return url: {e}")),
        };
        loop {
            if Instant::now() > deadline {
                return End::Lost;
            }
            match complete_attempt(&self.transports[pref], &mut flow, &ret).await {
                Ok(o) => return End::Authenticated(o),
                Err(e) if retryable(&e) => self.retry(&mut pref).await,
                Err(e) => return Self::failed(&flow, &e),
            }
        }
    }
}

/// Runs the soak.
pub async fn run(config: SoakConfig) -> Result<SoakReport, String> {
    if config.flows == 0 || config.concurrency == 0 {
        return Err("flows and concurrency must be positive".into());
    }
    // (The helper panics if redis-server is missing or does not start: an error here.)
    let mut redis = tokio::task::spawn_blocking(RedisServer::start_durable)
        .await
        .map_err(|_| "redis-server did not start (is it installed? scripts/bootstrap.sh)")?;
    let sim = Arc::new(start_simulator(0).await?);
    let key = EncryptionKey::generate("soak").map_err(|e| e.to_string())?;
    let max_connections = 4 * config.concurrency + 64;
    let mut a = Instance::start(
        &sim,
        &redis.url(),
        &key,
        config.claim_lease,
        max_connections,
    )
    .await?;
    let b = Instance::start(
        &sim,
        &redis.url(),
        &key,
        config.claim_lease,
        max_connections,
    )
    .await?;
    let transport = |base: &str| {
        HttpTransport::new(HttpTransportConfig::new(base)).map_err(|e| format!("transport: {e}"))
    };
    let flow_config = FlowConfig::new(DEMO_CALLBACK_BASE, sidkit_app::DeviceLinkPolicy::demo())
        .map_err(|e| format!("flow config: {e}"))?;
    let phones = Arc::new(Phones {
        transports: [transport(&a.base_url)?, transport(&b.base_url)?],
        config: flow_config,
        retries: AtomicUsize::new(0),
    });

    let mut report = SoakReport {
        flows: config.flows,
        ..SoakReport::default()
    };
    // The faults, each once its number of flows has started (the flows in flight meet it).
    let mut faults: Vec<(usize, bool)> = Vec::new();
    if let Some(n) = config.redis_restart_after {
        faults.push((n, true));
    }
    if let Some(n) = config.kill_after {
        faults.push((n, false));
    }
    faults.sort();
    faults.reverse();
    let t0 = Instant::now();
    let permits = Arc::new(Semaphore::new(config.concurrency));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..config.flows {
        let permit = permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|e| e.to_string())?;
        let (phones, sim) = (phones.clone(), sim.clone());
        let deadline = Instant::now() + config.flow_deadline;
        tasks.spawn(async move {
            let end = phones.run(&sim, i % 2, deadline).await;
            drop(permit);
            end
        });
        while let Some(&(_, is_redis)) = faults.last().filter(|(n, _)| *n <= i + 1) {
            faults.pop();
            if is_redis {
                redis.kill();
                tokio::time::sleep(config.redis_down_for).await;
                redis = tokio::task::spawn_blocking(move || {
                    let mut r = redis;
                    r.restart();
                    r
                })
                .await
                .map_err(|_| "redis-server did not restart")?;
                report.redis_restarts += 1;
            } else {
                a.kill();
                report.kills += 1;
            }
        }
    }
    let mut ends = Vec::with_capacity(config.flows);
    while let Some(e) = tasks.join_next().await {
        ends.push(e);
    }
    report.wall = t0.elapsed();
    report.retries = phones.retries.load(Ordering::Relaxed);

    let mut refs = Vec::new();
    for e in ends {
        match e.map_err(|e| format!("a flow task failed: {e}"))? {
            End::Authenticated(FlowOutcome::Authenticated { identity, app_data }) => {
                report.authenticated += 1;
                if identity.document_number != DEMO_ACCOUNT {
                    report.wrong_identity += 1;
                }
                refs.push(app_data.unwrap_or_default());
            }
            End::Authenticated(other) => {
                *report
                    .failed
                    .entry(format!("outcome {other:?}"))
                    .or_default() += 1;
            }
            End::Failed(code) => *report.failed.entry(code).or_default() += 1,
            End::Expired => report.expired += 1,
            End::Lost => report.lost += 1,
        }
    }
    let distinct: HashSet<&String> = refs.iter().collect();
    report.duplicate_refs = refs.len() - distinct.len();

    // The references in the store, then each redeemed once, through an instance of its own.
    let stored = count_refs(&redis.url()).await?;
    report.unreferenced_refs = stored.saturating_sub(report.authenticated);
    if stored < report.authenticated {
        report.redeem_failures += report.authenticated - stored;
    }
    let store = Arc::new(EncryptedStore::new(
        Arc::new(
            RedisStore::connect(&redis.url(), PREFIX)
                .await
                .map_err(|e| e.to_string())?,
        ),
        key,
    ));
    let checker = Backend::new(backend_config(&sim, DEMO_CALLBACK_BASE)?.with_store(store))
        .map_err(|e| e.to_string())?;
    for r in &distinct {
        let first = checker
            .redeem_session_ref(r)
            .await
            .map_err(|e| e.to_string())?;
        let second = checker
            .redeem_session_ref(r)
            .await
            .map_err(|e| e.to_string())?;
        match (first, second) {
            (Some(_), None) => report.redeemed_once += 1,
            _ => report.redeem_failures += 1,
        }
    }
    drop((a, b));
    Ok(report)
}

/// How many session references the store holds.
async fn count_refs(url: &str) -> Result<usize, String> {
    let client = redis::Client::open(url).map_err(|e| e.to_string())?;
    let mut conn = client
        .get_multiplexed_async_connection()
        .await
        .map_err(|e| e.to_string())?;
    let mut cursor: u64 = 0;
    let mut n = 0;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{PREFIX}ref:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await
            .map_err(|e| e.to_string())?;
        n += keys.len();
        if next == 0 {
            return Ok(n);
        }
        cursor = next;
    }
}
