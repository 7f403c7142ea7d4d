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

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
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
async fn in_batches<T, F, Fut>(n: usize, task: F) -> Result<Vec<T>, String>
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
async fn measure_pending(
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

/// What a pending-flow run ([`run_pending`]) measured.
#[derive(Debug, Clone)]
pub struct PendingReport {
    /// Flows started and left pending.
    pub flows: usize,
    /// Growth of the process's resident memory per pending flow, in bytes: the backend's
    /// record, the simulator's session, HTTP and allocator slack (all in this process).
    pub rss_per_pending_flow: Option<u64>,
    /// Bytes of store payload (key + record) per pending flow.
    pub store_bytes_per_pending_flow: usize,
    /// Growth of the process's resident memory per Smart-ID session created directly on the
    /// simulator, without the backend (the same request the backend sends): the simulator's
    /// share of `rss_per_pending_flow`.
    pub rss_per_simulator_session: Option<u64>,
}

impl std::fmt::Display for PendingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kb = |b: Option<u64>| b.map_or("n/a".to_owned(), |b| format!("{b} bytes"));
        writeln!(f, "pending flows: {}", self.flows)?;
        writeln!(
            f,
            "RSS per pending flow (backend + simulator session): {}",
            kb(self.rss_per_pending_flow)
        )?;
        writeln!(
            f,
            "RSS per simulator session alone: {}",
            kb(self.rss_per_simulator_session)
        )?;
        if let (Some(a), Some(b)) = (self.rss_per_pending_flow, self.rss_per_simulator_session) {
            writeln!(
                f,
                "backend's share per pending flow: {} bytes",
                a.saturating_sub(b)
            )?;
        }
        write!(
            f,
            "store payload per pending flow: {} bytes",
            self.store_bytes_per_pending_flow
        )
    }
}

/// Starts `flows` App2App flows on one reference backend (in-memory store) and leaves them
/// pending, after as many Smart-ID sessions created on the simulator directly: the memory per
/// pending flow, and the simulator's share of it.
pub async fn run_pending(flows: usize) -> Result<PendingReport, String> {
    use sidkit_proto::request::AuthenticationRequestBuilder;
    let store = Arc::new(MemoryStore::new());
    let sim = Arc::new(crate::reference::start_simulator(0).await?);
    let options = crate::reference::ReferenceOptions {
        store: Some(store.clone()),
        revocation: sidkit_backend::RevocationMode::Off,
        admission: sidkit_backend::AdmissionConfig {
            starts_per_minute: 0,
            max_pending_flows: 2 * flows + 1000,
            ..sidkit_backend::AdmissionConfig::default()
        },
        ..Default::default()
    };
    let serve = sidkit_backend::ServeConfig {
        max_connections: 1024,
        ..sidkit_backend::ServeConfig::default()
    };
    let stack = Stack::on_with_options(sim.clone(), 0, options, serve).await?;
    let phone = Phone::new(&stack.server.base_url(), DEMO_ACCOUNT)?;
    // Warm-up: the allocator's arenas, connections and lazy statics, on both paths.
    measure_pending(&phone, &store, 200).await?;
    let client = stack.backend.config().client.clone();
    let rp = stack.backend.config().relying_party.clone();
    let session = || {
        let (client, rp) = (client.clone(), rp.clone());
        async move {
            use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
            let shown = Interaction::display_text_and_pin("Log in to the load run")
                .map_err(|e| e.to_string())?;
            let interactions = Interactions::new(InteractionFlow::DeviceLink, vec![shown])
                .map_err(|e| e.to_string())?;
            let req = AuthenticationRequestBuilder::new(&rp)
                .interactions(interactions)
                .build_device_link()
                .map_err(|e| e.to_string())?;
            client
                .create_device_link_authentication(&sidkit_proto::models::Subject::Anonymous, &req)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    };
    let direct = |n: usize| in_batches(n, session);
    direct(200).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_bytes();
    direct(flows).await?;
    let after = rss_bytes();
    let rss_per_simulator_session = match (before, after) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) / flows as u64),
        _ => None,
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (rss_per_pending_flow, store_bytes_per_pending_flow) =
        measure_pending(&phone, &store, flows).await?;
    stack.server.shutdown().await;
    Ok(PendingReport {
        flows,
        rss_per_pending_flow,
        store_bytes_per_pending_flow,
        rss_per_simulator_session,
    })
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

/// What a QR event stream run ([`run_qr_streams`]) measured.
#[derive(Debug, Clone)]
pub struct QrStreamsReport {
    /// QR flows started, one stream asked for each.
    pub streams: usize,
    /// The instance's cap ([`sidkit_backend::AdmissionConfig::max_qr_streams`]).
    pub cap: usize,
    /// Streams answered `200`.
    pub opened: usize,
    /// Streams answered `429` problem+json with a `Retry-After`.
    pub refused: usize,
    /// Any other answer (a failure of the run).
    pub other: usize,
    /// The measured window, with every admitted stream open.
    pub window: Duration,
    /// `pending` events the open streams received in the window.
    pub events: u64,
    /// `GET session/{id}` calls Smart-ID (the simulator) received in the window.
    pub upstream_calls: u64,
    /// The backend's [`sidkit_backend::BackendConfig::qr_stream_long_poll`].
    pub long_poll: Duration,
    /// Latency of an App2App start (`POST /flows`) made every 100 ms during the window, beside
    /// the streams: p50 and p99.
    pub start_p50: Duration,
    /// See `start_p50`.
    pub start_p99: Duration,
    /// How many of those starts there were.
    pub starts: usize,
}

impl std::fmt::Display for QrStreamsReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secs = self.window.as_secs_f64().max(1e-9);
        writeln!(
            f,
            "qr streams: {} asked, cap {}: {} open, {} refused (429 + Retry-After), {} other",
            self.streams, self.cap, self.opened, self.refused, self.other
        )?;
        writeln!(
            f,
            "window {:.1} s: {:.0} link events/s ({:.2} per open stream per second)",
            secs,
            self.events as f64 / secs,
            self.events as f64 / secs / self.opened.max(1) as f64
        )?;
        writeln!(
            f,
            "upstream status calls: {:.1}/s ({:.3} per open stream per second; long poll {} s)",
            self.upstream_calls as f64 / secs,
            self.upstream_calls as f64 / secs / self.opened.max(1) as f64,
            self.long_poll.as_secs()
        )?;
        write!(
            f,
            "App2App start beside them: p50 {:.1} ms, p99 {:.1} ms ({} starts)",
            ms(self.start_p50),
            ms(self.start_p99),
            self.starts
        )
    }
}

/// Starts `streams` QR flows on one reference backend whose stream cap is `cap`, asks for
/// each flow's event stream, and once every admitted stream is open measures for `window`:
/// the link events they receive, the status calls Smart-ID gets, and the latency of App2App
/// starts made beside them. Streams past the cap must be refused `429` with `Retry-After`.
pub async fn run_qr_streams(
    streams: usize,
    cap: usize,
    window: Duration,
) -> Result<QrStreamsReport, String> {
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    let sim = Arc::new(crate::reference::start_simulator(0).await?);
    let serve = sidkit_backend::ServeConfig {
        max_connections: 2 * streams + 256,
        ..sidkit_backend::ServeConfig::default()
    };
    let options = crate::reference::ReferenceOptions {
        store: Some(Arc::new(MemoryStore::new())),
        revocation: sidkit_backend::RevocationMode::Off,
        admission: sidkit_backend::AdmissionConfig {
            starts_per_minute: 0,
            max_qr_streams: cap,
            ..sidkit_backend::AdmissionConfig::default()
        },
        ..Default::default()
    };
    let stack = Stack::on_with_options(sim.clone(), 0, options, serve).await?;
    let base = stack.server.base_url();
    let long_poll = stack.backend.config().qr_stream_long_poll;
    let phone = Phone::new(&base, DEMO_ACCOUNT)?;

    // The QR flows, 50 at a time.
    let flows = in_batches(streams, || {
        let phone = phone.clone();
        async move {
            let (flow, _) = phone
                .start(FlowKind::Authentication, Presentation::Qr, None)
                .await
                .map_err(|e| e.to_string())?;
            let handle = flow.flow_handle().ok_or("no flow handle")?.to_owned();
            Ok::<_, String>((handle, flow.flow_key().expose().to_owned()))
        }
    })
    .await?;

    // One stream per flow. Each task reports its status when it has the answer, then counts
    // the events that arrive while `measuring` is set, until `stop`.
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(0)
        .build()
        .map_err(|e| e.to_string())?;
    let measuring = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(tokio::sync::Notify::new());
    let events = Arc::new(AtomicU64::new(0));
    let (answered_tx, mut answered_rx) = tokio::sync::mpsc::unbounded_channel();
    let mut tasks = Vec::with_capacity(streams);
    for (handle, key) in flows {
        let (http, base) = (http.clone(), base.clone());
        let (measuring, stop, events) = (measuring.clone(), stop.clone(), events.clone());
        let answered = answered_tx.clone();
        tasks.push(tokio::spawn(async move {
            let r = http
                .get(format!("{base}flows/{handle}/qr"))
                .header(sidkit_contract::FLOW_KEY_HEADER, key)
                .send()
                .await;
            let mut r = match r {
                Ok(r) => r,
                Err(_) => {
                    let _ = answered.send(0u16);
                    return;
                }
            };
            let status = r.status().as_u16();
            let refused_properly = status == 429
                && r.headers().contains_key(reqwest::header::RETRY_AFTER)
                && r.headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
            let _ = answered.send(if status == 429 && !refused_properly {
                1
            } else {
                status
            });
            drop(answered);
            if status != 200 {
                return;
            }
            let read = async {
                while let Ok(Some(chunk)) = r.chunk().await {
                    if measuring.load(Ordering::Relaxed) {
                        let n = chunk.windows(14).filter(|w| w == b"event: pending").count();
                        events.fetch_add(n as u64, Ordering::Relaxed);
                    }
                }
            };
            tokio::select! {
                _ = read => {}
                _ = stop.notified() => {}
            }
        }));
    }
    drop(answered_tx);
    let (mut opened, mut refused, mut other) = (0, 0, 0);
    for _ in 0..streams {
        let Some(status) = answered_rx.recv().await else {
            break;
        };
        match status {
            200 => opened += 1,
            429 => refused += 1,
            _ => other += 1,
        }
    }

    // The window: let the first ticks pass, then count.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    measuring.store(true, Ordering::Relaxed);
    let calls0 = sim.total_status_requests();
    let t0 = Instant::now();
    let mut starts = Vec::new();
    while t0.elapsed() < window {
        let t = Instant::now();
        phone
            .start(FlowKind::Authentication, Presentation::App2App, None)
            .await
            .map_err(|e| e.to_string())?;
        starts.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(100).saturating_sub(t.elapsed())).await;
    }
    let calls1 = sim.total_status_requests();
    let elapsed = t0.elapsed();
    measuring.store(false, Ordering::Relaxed);
    stop.notify_waiters();
    for t in tasks {
        t.abort();
    }
    starts.sort();
    stack.server.shutdown().await;
    Ok(QrStreamsReport {
        streams,
        cap,
        opened,
        refused,
        other,
        window: elapsed,
        events: events.load(Ordering::Relaxed),
        upstream_calls: calls1.saturating_sub(calls0),
        long_poll,
        start_p50: percentile(&starts, 0.5),
        start_p99: percentile(&starts, 0.99),
        starts: starts.len(),
    })
}
