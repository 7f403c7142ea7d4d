//! The load harness (`smartid load`, and the `load` integration test): N concurrent App2App
//! authentications over loopback against one reference backend with the in-memory store, and
//! the memory of N pending flows. A measurement, not a test of speed: it asserts only that
//! every flow ends authenticated.
//!
//! Two modes. [`run`]: simulator, backend and phones share the caller's runtime, so the figures
//! are those of the whole system on the machine. [`run_backend_only`]: the simulator (which
//! plays Smart-ID and signs every session with the test user's RSA key, most of the CPU) and
//! the backend kit each run on a runtime of their own, and the CPU time of each runtime's
//! threads is read from Linux's `/proc/self/task/<tid>/schedstat`: the backend's CPU time per
//! flow, and from it the flows per second one core of the backend alone sustains.
//!
//! Revocation checking is off in both (unlike the reference backend's default): the harness
//! measures the flow machinery and the store; with it on, every completion validates the chain
//! twice more (the OCSP answers themselves would be cached).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sidkit_backend::MemoryStore;
use sidkit_contract::{FlowKind, FlowOutcome, Presentation};

use sidkit_simulator::Simulator;

use crate::phone::Phone;
use crate::reference::{Stack, DEMO_ACCOUNT};

mod pending;
mod qr;

pub use pending::{run_pending, PendingReport};
pub use qr::{run_qr_streams, QrStreamsReport};

/// What a load run measured.
#[derive(Debug, Clone)]
pub struct LoadReport {
    /// Concurrent flows.
    pub flows: usize,
    /// Flows that ended `Authenticated`.
    pub authenticated: usize,
    /// Wall time of the whole concurrent run.
    pub wall: Duration,
    /// Median / 99th percentile of one flow, start to verified outcome (3 contract calls and
    /// the simulated Smart-ID app).
    pub flow_p50: Duration,
    /// See `flow_p50`.
    pub flow_p99: Duration,
    /// Median / 99th percentile of `POST /flows/{h}/complete` (callback check, Smart-ID poll,
    /// full verification).
    pub complete_p50: Duration,
    /// See `complete_p50`.
    pub complete_p99: Duration,
    /// Resident memory growth of the process per pending flow (backend store + simulator
    /// session + HTTP buffers), in bytes.
    pub rss_per_pending_flow: Option<u64>,
    /// Bytes of store payload (key + record JSON) per pending flow.
    pub store_bytes_per_pending_flow: usize,
    /// CPU time per flow of each part, when measured ([`run_backend_only`] on Linux).
    pub cpu: Option<CpuPerFlow>,
}

/// CPU time per authenticated flow, by part ([`run_backend_only`]).
#[derive(Debug, Clone, Copy)]
pub struct CpuPerFlow {
    /// The backend kit's runtime: the contract routes, the Smart-ID client, verification.
    pub backend: Duration,
    /// The simulator's runtime: Smart-ID's side, the signing included.
    pub simulator: Duration,
    /// The whole process (backend, simulator, the phones and the harness).
    pub process: Duration,
}

impl CpuPerFlow {
    /// Flows per second one core of the backend alone sustains: 1 s over its CPU per flow.
    pub fn backend_flows_per_core_second(&self) -> f64 {
        1.0 / self.backend.as_secs_f64().max(1e-9)
    }
}

impl std::fmt::Display for LoadReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "flows: {} concurrent, {} authenticated, wall {:.2} s",
            self.flows,
            self.authenticated,
            self.wall.as_secs_f64()
        )?;
        writeln!(
            f,
            "flow latency (start → verified outcome): p50 {:.1} ms, p99 {:.1} ms",
            ms(self.flow_p50),
            ms(self.flow_p99)
        )?;
        writeln!(
            f,
            "complete latency (POST /flows/{{h}}/complete): p50 {:.1} ms, p99 {:.1} ms",
            ms(self.complete_p50),
            ms(self.complete_p99)
        )?;
        match self.rss_per_pending_flow {
            Some(b) => writeln!(f, "memory per pending flow: {b} bytes RSS (process growth)")?,
            None => writeln!(f, "memory per pending flow: RSS not available on this OS")?,
        }
        write!(
            f,
            "store payload per pending flow: {} bytes",
            self.store_bytes_per_pending_flow
        )?;
        if let Some(c) = &self.cpu {
            write!(
                f,
                "\nthroughput: {:.0} flows/s (wall, all parts on this machine)\n\
                 cpu per flow: backend {:.3} ms, simulator {:.3} ms, process {:.3} ms\n\
                 backend alone: {:.0} flows/s per core",
                self.flows as f64 / self.wall.as_secs_f64().max(1e-9),
                ms(c.backend),
                ms(c.simulator),
                ms(c.process),
                c.backend_flows_per_core_second()
            )?;
        }
        Ok(())
    }
}

pub(crate) fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

pub(crate) fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// Resident set size of this process (Linux `/proc/self/statm`).
pub fn rss_bytes() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: u64 = s.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

/// The CPU time the threads of a runtime used, read from `/proc/self/task/<tid>/schedstat`
/// (nanoseconds on the CPU). Threads register when they start ([`CpuMeter::runtime`]).
#[derive(Debug, Clone, Default)]
pub struct CpuMeter {
    tids: Arc<std::sync::Mutex<Vec<u32>>>,
}

fn this_tid() -> Option<u32> {
    let link = std::fs::read_link("/proc/thread-self").ok()?;
    link.file_name()?.to_str()?.parse().ok()
}

fn thread_cpu(tid: u32) -> Option<Duration> {
    let s = std::fs::read_to_string(format!("/proc/self/task/{tid}/schedstat")).ok()?;
    Some(Duration::from_nanos(
        s.split_whitespace().next()?.parse().ok()?,
    ))
}

impl CpuMeter {
    /// A multi-threaded runtime (`workers` worker threads) whose threads, blocking ones too,
    /// this meter counts.
    pub fn runtime(&self, name: &str, workers: usize) -> std::io::Result<tokio::runtime::Runtime> {
        let tids = self.tids.clone();
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .thread_name(name)
            .on_thread_start(move || {
                if let Some(t) = this_tid() {
                    tids.lock().unwrap_or_else(|p| p.into_inner()).push(t);
                }
            })
            .enable_all()
            .build()
    }

    /// CPU time of the counted threads so far; `None` where `/proc` has no schedstat. (A
    /// thread that has exited no longer counts: measure differences over a phase in which
    /// the runtime keeps its threads.)
    pub fn cpu(&self) -> Option<Duration> {
        let tids = self.tids.lock().unwrap_or_else(|p| p.into_inner()).clone();
        if tids.is_empty() {
            return None;
        }
        let mut read = tids.iter().filter_map(|&t| thread_cpu(t)).peekable();
        read.peek()?;
        Some(read.sum())
    }

    /// CPU time of every thread of this process.
    pub fn process_cpu() -> Option<Duration> {
        let tasks = std::fs::read_dir("/proc/self/task").ok()?;
        let mut read = tasks
            .filter_map(|e| thread_cpu(e.ok()?.file_name().to_str()?.parse().ok()?))
            .peekable();
        read.peek()?;
        Some(read.sum())
    }
}

/// Where the simulated Smart-ID app runs: on the caller's runtime, or on the simulator's own.
#[derive(Clone)]
enum SmartIdApp {
    /// Through the reference backend's development route (`POST /dev/smart-id-app`).
    DevRoute,
    /// Directly on the simulator, on its runtime.
    Direct(Arc<Simulator>, tokio::runtime::Handle),
}

impl SmartIdApp {
    async fn open(&self, phone: &Phone, link: String) -> Result<String, String> {
        let url = match self {
            SmartIdApp::DevRoute => {
                phone
                    .smart_id_app(&link)
                    .await
                    .map_err(|e| e.to_string())?
                    .return_url
            }
            SmartIdApp::Direct(sim, rt) => {
                let sim = sim.clone();
                rt.spawn(async move {
                    sim.open_device_link_and_wait(DEMO_ACCOUNT, &link, Duration::from_secs(60))
                        .await
                })
                .await
                .map_err(|e| e.to_string())??
                .1
            }
        };
        url.ok_or_else(|| "no return URL".to_owned())
    }
}

/// Runs `flows` concurrent App2App authentications, then measures `flows` pending flows, with
/// simulator, backend and phones on the caller's runtime.
pub async fn run(flows: usize) -> Result<LoadReport, String> {
    let store = Arc::new(MemoryStore::new());
    let sim = Arc::new(crate::reference::start_simulator(0).await?);
    let stack = stack_on(sim, store.clone(), flows).await?;
    let report = drive(&stack, &store, flows, SmartIdApp::DevRoute, None).await;
    stack.server.shutdown().await;
    report
}

/// [`run`] with the simulator and the backend kit each on a runtime of its own (two worker
/// threads each), the phones on the caller's: the report's [`LoadReport::cpu`] says how much
/// CPU each part took per flow (on Linux).
pub async fn run_backend_only(flows: usize) -> Result<LoadReport, String> {
    let (sim_meter, backend_meter) = (CpuMeter::default(), CpuMeter::default());
    let sim_rt = sim_meter
        .runtime("simulator", 2)
        .map_err(|e| e.to_string())?;
    let backend_rt = backend_meter
        .runtime("backend", 2)
        .map_err(|e| e.to_string())?;
    let report = async {
        let sim = Arc::new(
            sim_rt
                .spawn(crate::reference::start_simulator(0))
                .await
                .map_err(|e| e.to_string())??,
        );
        let store = Arc::new(MemoryStore::new());
        let stack = backend_rt
            .spawn(stack_on(sim.clone(), store.clone(), flows))
            .await
            .map_err(|e| e.to_string())??;
        let app = SmartIdApp::Direct(sim, sim_rt.handle().clone());
        let meters = Meters {
            backend: backend_meter,
            simulator: sim_meter,
        };
        let report = drive(&stack, &store, flows, app, Some(&meters)).await;
        let server = stack.server;
        let _ = backend_rt.spawn(server.shutdown()).await;
        report
    }
    .await;
    // Dropping a runtime inside another one's context would block; let them wind down.
    sim_rt.shutdown_background();
    backend_rt.shutdown_background();
    report
}

/// The CPU meters of a [`run_backend_only`] run.
struct Meters {
    backend: CpuMeter,
    simulator: CpuMeter,
}

/// The reference backend on `sim` with `store` and revocation checking off, serving `flows`
/// phones: every phone may hold a connection of its own, so the cap must not be what is
/// measured.
async fn stack_on(
    sim: Arc<Simulator>,
    store: Arc<MemoryStore>,
    flows: usize,
) -> Result<Stack, String> {
    let serve = sidkit_backend::ServeConfig {
        max_connections: 2 * flows + 64,
        ..sidkit_backend::ServeConfig::default()
    };
    let options = crate::reference::ReferenceOptions {
        store: Some(store),
        revocation: sidkit_backend::RevocationMode::Off,
        ..Default::default()
    };
    Stack::on_with_options(sim, 0, options, serve).await
}

/// The measured part: a warm-up flow, `flows` concurrent authentications, `flows` pending ones.
async fn drive(
    stack: &Stack,
    store: &MemoryStore,
    flows: usize,
    app: SmartIdApp,
    meters: Option<&Meters>,
) -> Result<LoadReport, String> {
    let phone = Phone::new(&stack.server.base_url(), DEMO_ACCOUNT)?;
    // Warm-up (connections, lazy statics).
    one_flow(&phone, &app).await?;

    let cpu_at = || meters.map(|m| (m.backend.cpu(), m.simulator.cpu(), CpuMeter::process_cpu()));
    let cpu0 = cpu_at();
    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(flows);
    for _ in 0..flows {
        let (phone, app) = (phone.clone(), app.clone());
        tasks.push(tokio::spawn(async move { one_flow(&phone, &app).await }));
    }
    let mut flow_lat = Vec::with_capacity(flows);
    let mut complete_lat = Vec::with_capacity(flows);
    let mut authenticated = 0;
    for t in tasks {
        let (outcome, f, c) = t.await.map_err(|e| e.to_string())??;
        if matches!(outcome, FlowOutcome::Authenticated { .. }) {
            authenticated += 1;
        }
        flow_lat.push(f);
        complete_lat.push(c);
    }
    let wall = t0.elapsed();
    let cpu = match (cpu0, cpu_at()) {
        (Some((Some(b0), Some(s0), Some(p0))), Some((Some(b1), Some(s1), Some(p1)))) => {
            let per = |a: Duration, b: Duration| b.saturating_sub(a) / flows as u32;
            Some(CpuPerFlow {
                backend: per(b0, b1),
                simulator: per(s0, s1),
                process: per(p0, p1),
            })
        }
        _ => None,
    };
    flow_lat.sort();
    complete_lat.sort();

    // Pending flows: started, never completed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (rss_per_pending_flow, store_bytes_per_pending_flow) =
        measure_pending(&phone, store, flows).await?;
    Ok(LoadReport {
        flows,
        authenticated,
        wall,
        flow_p50: percentile(&flow_lat, 0.5),
        flow_p99: percentile(&flow_lat, 0.99),
        complete_p50: percentile(&complete_lat, 0.5),
        complete_p99: percentile(&complete_lat, 0.99),
        rss_per_pending_flow,
        store_bytes_per_pending_flow,
        cpu,
    })
}

/// Runs `n` tasks made by `task`, 50 at a time (so that a run of thousands neither opens
/// thousands of connections at once nor queues behind one), and collects their results.
pub(crate) async fn in_batches<T, F, Fut>(n: usize, task: F) -> Result<Vec<T>, String>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, String>> + Send + 'static,
    T: Send + 'static,
{
    let mut out = Vec::with_capacity(n);
    for chunk in 0..n.div_ceil(50) {
        let batch: Vec<_> = (0..50.min(n - chunk * 50))
            .map(|_| tokio::spawn(task()))
            .collect();
        for b in batch {
            out.push(b.await.map_err(|e| e.to_string())??);
        }
    }
    Ok(out)
}

/// Starts `flows` App2App flows (50 at a time) and leaves them pending: the process's RSS
/// growth per flow (where `/proc` has it) and the store payload per flow.
pub(crate) async fn measure_pending(
    phone: &Phone,
    store: &MemoryStore,
    flows: usize,
) -> Result<(Option<u64>, usize), String> {
    let store_before = store.payload_bytes();
    let rss_before = rss_bytes();
    let pending = in_batches(flows, || {
        let phone = phone.clone();
        async move {
            phone
                .start(FlowKind::Authentication, Presentation::App2App, None)
                .await
                .map(|(f, _)| f)
                .map_err(|e| e.to_string())
        }
    })
    .await?;
    let rss_after = rss_bytes();
    let store_after = store.payload_bytes();
    let rss = match (rss_before, rss_after) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) / flows as u64),
        _ => None,
    };
    drop(pending);
    Ok((rss, store_after.saturating_sub(store_before) / flows))
}

/// One App2App authentication: its outcome, its latency and that of its completion.
async fn one_flow(
    phone: &Phone,
    app: &SmartIdApp,
) -> Result<(FlowOutcome, Duration, Duration), String> {
    let t = Instant::now();
    let (mut flow, device_link) = phone
        .launch(FlowKind::Authentication, None)
        .await
        .map_err(|e| e.to_string())?;
    let url = app.open(phone, device_link).await?;
    let tc = Instant::now();
    let outcome = phone
        .deliver_return_url(&mut flow, &url)
        .await
        .map_err(|e| e.to_string())?;
    Ok((outcome, t.elapsed(), tc.elapsed()))
}
