//! Logs and metrics of `smartid serve`: readable or JSON logs through `tracing-subscriber`
//! (`--log-format text|json`, `--log-level` as an `EnvFilter` directive, e.g. `info` or
//! `sidkit_backend=debug,info`), and the Prometheus text endpoint `GET /metrics` over the
//! counters the client and the backend kit record through the `metrics` facade.
//!
//! What is logged is decided where it is emitted: codes, kinds, results, latencies and
//! [`log_tag`](sidkit_proto::secret::log_tag)s of sessions, never a secret, a callback token,
//! a flow key, a handle or personal data (`tools/smartid/tests/logging.rs` greps a full run).

use axum::http::{header, HeaderValue};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use clap::{Args, ValueEnum};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

use crate::error::CliError;

/// The path of the Prometheus endpoint.
pub const METRICS_PATH: &str = "/metrics";

/// Log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One readable line per event.
    Text,
    /// One JSON object per line (for log shippers).
    Json,
}

/// The logging options of `smartid serve`.
#[derive(Debug, Clone, Args)]
pub struct LogArgs {
    /// Log format on stderr.
    #[arg(long, value_enum, default_value = "text")]
    log_format: LogFormat,
    /// What to log: a level (`info`, `debug`) or `EnvFilter` directives
    /// (`sidkit_backend=debug,info`).
    #[arg(long, default_value = "info", value_name = "FILTER")]
    log_level: String,
}

impl LogArgs {
    /// Installs the log subscriber (stderr) and the Prometheus recorder; the handle renders
    /// `/metrics`.
    pub fn install(&self) -> Result<PrometheusHandle, CliError> {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.log_level)
            .map_err(|e| CliError::Input(format!("--log-level {}: {e}", self.log_level)))?;
        let builder = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(true);
        let installed = match self.log_format {
            LogFormat::Text => builder.try_init(),
            LogFormat::Json => builder.json().flatten_event(true).try_init(),
        };
        installed.map_err(|e| CliError::Environment(format!("cannot install the logger: {e}")))?;
        PrometheusBuilder::new()
            .install_recorder()
            .map_err(|e| CliError::Environment(format!("cannot install the metrics recorder: {e}")))
    }
}

/// `router` with `GET /metrics` (Prometheus text format 0.0.4) rendered from `handle`.
pub fn with_metrics(router: Router, handle: PrometheusHandle) -> Router {
    router.route(
        METRICS_PATH,
        get(move || {
            let handle = handle.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
                    )],
                    handle.render(),
                )
                    .into_response()
            }
        }),
    )
}
