//! `smartid load --qr-streams N`: QR event streams under the instance's cap, the upstream
//! status calls they cost and the latency of other requests beside them.

use std::sync::Arc;
use std::time::{Duration, Instant};

use sidkit_backend::MemoryStore;
use sidkit_contract::{FlowKind, Presentation};

use super::{in_batches, ms, percentile};
use crate::phone::Phone;
use crate::reference::{Stack, DEMO_ACCOUNT};

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
