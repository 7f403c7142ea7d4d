//! `smartid load`: the load harness against the reference backend on loopback.

use clap::Args;

use crate::error::{CliError, CmdResult};

/// The harness or its environment failed (exit code 3).
fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Environment(e.to_string())
}

/// Arguments of `smartid load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Concurrent flows (1 to 5000).
    #[arg(long, default_value_t = 500)]
    flows: usize,
    /// Run the simulator and the backend kit on runtimes of their own and report the CPU time
    /// each took per flow, and the flows per second one core of the backend alone sustains
    /// (Linux).
    #[arg(long)]
    backend_only: bool,
    /// Instead of App2App flows: start this many QR flows (1 to 5000), open one event stream
    /// for each, and report the link events, Smart-ID status calls and App2App start latency
    /// while they are open, and how many streams past the cap were refused.
    #[arg(long, value_name = "N")]
    qr_streams: Option<usize>,
    /// The instance's cap on open QR streams in a --qr-streams run.
    #[arg(long, default_value_t = 1000, value_name = "N")]
    qr_stream_cap: usize,
    /// Instead of App2App flows: start this many App2App flows (1 to 20000) and leave them
    /// pending, after as many Smart-ID sessions made on the simulator directly, and report the
    /// memory per pending flow and the simulator's share of it.
    #[arg(long, value_name = "N")]
    pending: Option<usize>,
    /// Seconds a --qr-streams run measures with the streams open (1 to 300; a few long polls
    /// of the backend, 10 s each by default, for a steady figure).
    #[arg(long, default_value_t = 30, value_name = "S")]
    seconds: u64,
}

/// `smartid load`.
pub fn load(a: LoadArgs) -> CmdResult {
    if !(1..=5000).contains(&a.flows) {
        return Err(CliError::Input("--flows must be 1 to 5000".into()));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(fail)?;
    if let Some(flows) = a.pending {
        if !(1..=20_000).contains(&flows) || a.backend_only || a.qr_streams.is_some() {
            return Err(CliError::Input(
                "--pending must be 1 to 20000 (and without --backend-only or --qr-streams)".into(),
            ));
        }
        let report = rt
            .block_on(sidkit_cli::load::run_pending(flows))
            .map_err(fail)?;
        return Ok(report.to_string());
    }
    if let Some(streams) = a.qr_streams {
        if !(1..=5000).contains(&streams) || a.backend_only {
            return Err(CliError::Input(
                "--qr-streams must be 1 to 5000 (and without --backend-only)".into(),
            ));
        }
        if !(1..=300).contains(&a.seconds) || a.qr_stream_cap == 0 {
            return Err(CliError::Input(
                "--seconds must be 1 to 300 and --qr-stream-cap positive".into(),
            ));
        }
        let window = std::time::Duration::from_secs(a.seconds);
        let report = rt
            .block_on(sidkit_cli::load::run_qr_streams(
                streams,
                a.qr_stream_cap,
                window,
            ))
            .map_err(fail)?;
        let admitted = streams.min(a.qr_stream_cap);
        if report.opened != admitted || report.refused != streams - admitted || report.other != 0 {
            return Err(fail(format!(
                "expected {admitted} streams open and {} refused with 429:\n{report}",
                streams - admitted
            )));
        }
        return Ok(report.to_string());
    }
    let report = if a.backend_only {
        rt.block_on(sidkit_cli::load::run_backend_only(a.flows))
    } else {
        rt.block_on(sidkit_cli::load::run(a.flows))
    }
    .map_err(fail)?;
    if report.authenticated != report.flows {
        return Err(fail(format!(
            "only {} of {} flows authenticated",
            report.authenticated, report.flows
        )));
    }
    Ok(report.to_string())
}

/// Arguments of `smartid soak` (feature `redis-store`).
#[cfg(feature = "redis-store")]
#[derive(Debug, Args)]
pub struct SoakArgs {
    /// Flows in all.
    #[arg(long, default_value_t = 2000)]
    flows: usize,
    /// Flows running at once.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// Kill and restart Redis once this many flows have started (0: never; default: a third
    /// of --flows).
    #[arg(long)]
    redis_restart_after: Option<usize>,
    /// Kill backend instance A once this many flows have started (0: never; default: two
    /// thirds of --flows).
    #[arg(long)]
    kill_after: Option<usize>,
}

/// `smartid soak`: exit 0 if every flow ended exactly once, 3 otherwise.
#[cfg(feature = "redis-store")]
pub fn soak(a: SoakArgs) -> CmdResult {
    if a.flows == 0 || a.concurrency == 0 || a.concurrency > 1000 {
        return Err(CliError::Input(
            "--flows must be positive and --concurrency 1 to 1000".into(),
        ));
    }
    let after = |n: Option<usize>, default: usize| match n.unwrap_or(default) {
        0 => None,
        n => Some(n),
    };
    let config = sidkit_cli::soak::SoakConfig {
        flows: a.flows,
        concurrency: a.concurrency,
        redis_restart_after: after(a.redis_restart_after, a.flows / 3),
        kill_after: after(a.kill_after, 2 * a.flows / 3),
        ..sidkit_cli::soak::SoakConfig::short()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(fail)?;
    let report = rt.block_on(sidkit_cli::soak::run(config)).map_err(fail)?;
    if !report.holds() {
        return Err(fail(report));
    }
    Ok(report.to_string())
}
