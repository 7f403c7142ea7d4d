//! The load harness (`smartid load`, and the `load` integration test): N concurrent App2App
//! authentications over loopback against one reference backend with the in-memory store, and
//! the memory of N pending flows. A measurement, not a test of speed: it asserts only that
//! every flow ends authenticated. Revocation checking is off here (unlike the reference
//! backend's default): it measures the flow machinery and the store, and with it on every
//! completion validates the chain twice more (the OCSP answers themselves would be cached).

use std::sync::Arc;
use std::time::{Duration, Instant};

use sidkit_backend::MemoryStore;
use sidkit_contract::{FlowKind, FlowOutcome, Presentation};

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
        )
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

/// Runs `flows` concurrent App2App authentications, then measures `flows` pending flows.
pub async fn run(flows: usize) -> Result<LoadReport, String> {
    let store = Arc::new(MemoryStore::new());
    // Every phone may hold a connection of its own: the cap must not be what is measured.
    let sim = Arc::new(crate::reference::start_simulator(0).await?);
    let serve = sidkit_backend::ServeConfig {
        max_connections: 2 * flows + 64,
        ..sidkit_backend::ServeConfig::default()
    };
    let options = crate::reference::ReferenceOptions {
        store: Some(store.clone()),
        revocation: sidkit_backend::RevocationMode::Off,
        ..Default::default()
    };
    let stack = Stack::on_with_options(sim, 0, options, serve).await?;
    let phone = Phone::new(&stack.server.base_url(), DEMO_ACCOUNT)?;
    // Warm-up (connections, lazy statics).
    phone
        .app2app(FlowKind::Authentication, None, &mut |_| {})
        .await
        .map_err(|e| e.to_string())?;

    let t0 = Instant::now();
    let mut tasks = Vec::with_capacity(flows);
    for _ in 0..flows {
        let phone = phone.clone();
        tasks.push(tokio::spawn(async move {
            let t = Instant::now();
            let (mut flow, device_link) = phone
                .launch(FlowKind::Authentication, None)
                .await
                .map_err(|e| e.to_string())?;
            let app = phone
                .smart_id_app(&device_link)
                .await
                .map_err(|e| e.to_string())?;
            let url = app.return_url.ok_or("no return URL")?;
            let tc = Instant::now();
            let outcome = phone
                .deliver_return_url(&mut flow, &url)
                .await
                .map_err(|e| e.to_string())?;
            Ok::<_, String>((outcome, t.elapsed(), tc.elapsed()))
        }));
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
    flow_lat.sort();
    complete_lat.sort();

    // Pending flows: started, never completed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let store_before = store.payload_bytes();
    let rss_before = rss_bytes();
    let mut pending = Vec::with_capacity(flows);
    for chunk in 0..flows.div_ceil(50) {
        let mut batch = Vec::new();
        for _ in 0..50.min(flows - chunk * 50) {
            let phone = phone.clone();
            batch.push(tokio::spawn(async move {
                phone
                    .start(FlowKind::Authentication, Presentation::App2App, None)
                    .await
                    .map(|(f, _)| f)
                    .map_err(|e| e.to_string())
            }));
        }
        for b in batch {
            pending.push(b.await.map_err(|e| e.to_string())??);
        }
    }
    let rss_after = rss_bytes();
    let store_after = store.payload_bytes();
    let rss_per_pending_flow = match (rss_before, rss_after) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) / flows as u64),
        _ => None,
    };
    drop(pending);
    stack.server.shutdown().await;
    Ok(LoadReport {
        flows,
        authenticated,
        wall,
        flow_p50: percentile(&flow_lat, 0.5),
        flow_p99: percentile(&flow_lat, 0.99),
        complete_p50: percentile(&complete_lat, 0.5),
        complete_p99: percentile(&complete_lat, 0.99),
        rss_per_pending_flow,
        store_bytes_per_pending_flow: store_after.saturating_sub(store_before) / flows,
    })
}
