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
    let report = rt.block_on(sidkit_cli::load::run(a.flows)).map_err(fail)?;
    if report.authenticated != report.flows {
        return Err(fail(format!(
            "only {} of {} flows authenticated",
            report.authenticated, report.flows
        )));
    }
    Ok(report.to_string())
}
