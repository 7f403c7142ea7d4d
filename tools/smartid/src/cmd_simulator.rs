//! `smartid simulator`: the offline Smart-ID simulator as a standalone loopback server.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use sidkit_simulator::{CallbackMode, Simulator, SimulatorConfig};

use crate::error::{CliError, CmdResult};

/// Arguments of `smartid simulator`.
#[derive(Debug, Args)]
pub struct SimulatorArgs {
    /// TCP port to listen on (0 picks a free one; the URLs are printed).
    #[arg(long, default_value_t = 8089)]
    port: u16,
    /// Address to bind. Only loopback addresses are accepted: the simulator is a test tool.
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Write the test CA certificates (PEM) into this directory: root.pem.crt and
    /// intermediate.pem.crt (Smart-ID user certificates), and tls-ca.pem.crt with --https.
    #[arg(long)]
    ca_out: Option<PathBuf>,
    /// Serve HTTPS with a generated CA and server certificate (its pin is printed).
    #[arg(long)]
    https: bool,
    /// Scheme name of the simulated environment: smart-id-demo (default) or smart-id.
    #[arg(long, default_value = "smart-id-demo")]
    scheme: String,
    /// How long the simulated user takes in notification flows, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    user_delay_ms: u64,
    /// Open same-device callbacks with a GET, like SK's Mock Service (loopback hosts only).
    #[arg(long)]
    callback_get: bool,
    /// With --callback-get: use http:// instead of https:// for the callback URL.
    #[arg(long, requires = "callback_get")]
    callback_plain_http: bool,
}

/// `smartid simulator`: serves until Ctrl-C. The URLs and settings are printed first.
pub fn simulator(a: SimulatorArgs) -> CmdResult {
    if !a.bind.is_loopback() {
        return Err(CliError::Input(format!(
            "--bind {} is not a loopback address; the simulator only serves loopback",
            a.bind
        )));
    }
    let mut config = SimulatorConfig {
        bind: SocketAddr::new(a.bind, a.port),
        https: a.https,
        scheme_name: a.scheme.parse()?,
        user_delay: Duration::from_millis(a.user_delay_ms),
        ..SimulatorConfig::default()
    };
    if a.callback_get {
        config.callbacks = CallbackMode::HttpGet {
            plain_http: a.callback_plain_http,
            extra_ca_pem: Vec::new(),
        };
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| CliError::Environment(format!("cannot start the runtime: {e}")))?;
    runtime.block_on(async move {
        let sim = Simulator::start(config)
            .await
            .map_err(|e| CliError::Environment(format!("cannot start the simulator: {e}")))?;
        let rp = sim.relying_party();
        let mut lines = vec![
            format!("rp-api-base-url: {}", sim.base_url()),
            format!("mock-device-url: {}", sim.mock_url()),
            format!("ocsp-url: {}", sim.ocsp_url()),
            format!("relying-party-uuid: {}", rp.uuid),
            format!("relying-party-name: {}", rp.name),
            format!("scheme-name: {}", sim.environment().scheme_name),
        ];
        if let Some(pin) = sim.tls_pin() {
            lines.push(format!("tls-spki-pin: {pin}"));
            if let Some(next) = sim.next_tls_pin() {
                lines.push(format!("tls-next-spki-pin: {next}"));
            }
        }
        if let Some(dir) = &a.ca_out {
            let files = sim
                .write_ca_files(dir)
                .map_err(|e| CliError::Environment(format!("cannot write the CA files: {e}")))?;
            for f in files {
                lines.push(format!("ca-file: {}", f.display()));
            }
        }
        for acc in sim.accounts() {
            let revoked = if acc.revocation.is_some() {
                " (certificates revoked)"
            } else {
                ""
            };
            lines.push(format!(
                "account: {} {} {:?}{revoked}",
                acc.document_number, acc.level, acc.outcome
            ));
        }
        println!("{}", lines.join("\n"));
        eprintln!("simulator running; press Ctrl-C to stop");
        tokio::signal::ctrl_c()
            .await
            .map_err(|e| CliError::Environment(format!("cannot wait for Ctrl-C: {e}")))?;
        sim.shutdown().await;
        Ok("simulator stopped".to_owned())
    })
}
