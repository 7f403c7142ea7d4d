//! `smartid serve`: the reference backend (embedded simulator, or SK DEMO) on loopback, with the
//! server limits of [`sidkit_backend::serve`] and admission control.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use clap::Args;
use sidkit_cli::demo_env::{DemoEnvArgs, EnvName};
use sidkit_cli::reference::{
    certificate_status_lines, describe_revocation, ReferenceOptions, DEMO_ACCOUNT,
    DEMO_CALLBACK_BASE, DEV_APP_PATH,
};

use crate::cmd_demo::{fail, SimRevocation};
use crate::error::{CliError, CmdResult};
use crate::serve_obs::{with_metrics, METRICS_PATH};
use crate::serve_store::StoreArgs;

/// Arguments of `smartid serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Port of the reference backend (the contract and the dev route).
    #[arg(long, default_value_t = 8090)]
    port: u16,
    /// Port of the simulator's RP API.
    #[arg(long, default_value_t = 8089)]
    sim_port: u16,
    /// Address to bind: loopback only (an Android emulator reaches the host's loopback as
    /// 10.0.2.2; the iOS simulator shares it).
    #[arg(long, default_value = "127.0.0.1")]
    bind: IpAddr,
    /// Environment: `sim` (embedded simulator and the `/dev/smart-id-app` route, default) or
    /// `demo` (SK DEMO, sid.demo.sk.ee: needs `--ca-dir`, `--tls-ca`, `--tls-pin`; no dev
    /// route, a real phone with the Smart-ID DEMO app plays Smart-ID).
    #[arg(long, value_enum, default_value = "sim")]
    env: EnvName,
    /// The App2App callback base: the App Link / Universal Link your app claims (its
    /// `SidkitConfig` callback base). The default is the demo phone's.
    #[arg(long, default_value = DEMO_CALLBACK_BASE)]
    callback_base: String,
    /// `--env sim`: revocation checking of the simulator's certificates: `ocsp` (default; fail
    /// closed, against the simulator's OCSP responder that the certificates' AIA names; each
    /// verified flow prints a `flow …: certificate status: …` line) or `off`.
    #[arg(long, value_enum, default_value = "ocsp")]
    revocation: SimRevocation,
    #[command(flatten)]
    store: StoreArgs,
    #[command(flatten)]
    demo_env: DemoEnvArgs,
    #[command(flatten)]
    limits: ServeLimits,
    #[command(flatten)]
    log: crate::serve_obs::LogArgs,
}

/// The server limits of `smartid serve` ([`sidkit_backend::ServeConfig`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeLimits {
    /// Close a connection that has not sent a complete request head this long after it began
    /// waiting for one (new, half-sent or idle keep-alive connections), in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    header_timeout_ms: u64,
    /// Fail a request whose body takes longer than this to arrive, in milliseconds.
    #[arg(long, default_value_t = 10_000)]
    body_timeout_ms: u64,
    /// Serve at most this many connections at once; more are closed as they arrive.
    #[arg(long, default_value_t = 1024)]
    max_connections: usize,
    /// Starts a client address may make per minute (`429 rate_limited` beyond, with bursts of
    /// 10); 0, the default here, turns the limit off: the reference backend serves one
    /// developer, the demo and load runs from loopback. The backend kit's default is 20.
    #[arg(long, default_value_t = 0)]
    starts_per_minute: u32,
    /// The most flows kept pending at once (`429 rate_limited` beyond).
    #[arg(long, default_value_t = 10_000)]
    max_pending_flows: usize,
}

impl ServeLimits {
    fn admission(&self) -> sidkit_backend::AdmissionConfig {
        sidkit_backend::AdmissionConfig {
            starts_per_minute: self.starts_per_minute,
            max_pending_flows: self.max_pending_flows,
            ..sidkit_backend::AdmissionConfig::default()
        }
    }

    fn config(&self) -> Result<sidkit_backend::ServeConfig, CliError> {
        if self.header_timeout_ms == 0 || self.body_timeout_ms == 0 || self.max_connections == 0 {
            return Err(CliError::Input(
                "--header-timeout-ms, --body-timeout-ms and --max-connections must be positive"
                    .into(),
            ));
        }
        Ok(sidkit_backend::ServeConfig {
            header_read_timeout: std::time::Duration::from_millis(self.header_timeout_ms),
            body_timeout: std::time::Duration::from_millis(self.body_timeout_ms),
            max_connections: self.max_connections,
            ..sidkit_backend::ServeConfig::default()
        })
    }
}

/// `smartid serve`: runs until Ctrl-C.
pub fn serve(a: ServeArgs) -> CmdResult {
    if !a.bind.is_loopback() {
        return Err(CliError::Input(format!(
            "--bind {} is not a loopback address; the reference backend is a development tool",
            a.bind
        )));
    }
    if a.env == EnvName::Demo {
        return serve_demo_env(a);
    } else if a.demo_env.check_config {
        return Err(CliError::Input(
            "--check-config checks the --env demo configuration; add --env demo".into(),
        ));
    }
    sidkit_app::CallbackBase::new(&a.callback_base)
        .map_err(|e| CliError::Input(format!("--callback-base {}: {e}", a.callback_base)))?;
    let (sim_port, callback_base, admission) =
        (a.sim_port, a.callback_base.clone(), a.limits.admission());
    let revocation = a.revocation.mode();
    run_server(&a, move |store| async move {
        let sim = Arc::new(
            sidkit_cli::reference::start_simulator(sim_port)
                .await
                .map_err(fail)?,
        );
        // Each verified flow says how its certificate's status was established (best effort:
        // a closed stdout must not fail the flow, so no `println!`, which panics then).
        let on_verified: sidkit_backend::VerifiedHook =
            Arc::new(|kind, c: &sidkit_verify::VerifiedCertificate| {
                use std::io::Write as _;
                let mut out = std::io::stdout().lock();
                for line in certificate_status_lines(c) {
                    let _ = writeln!(out, "flow {kind}: {line}");
                }
                let _ = out.flush();
            });
        let options = ReferenceOptions {
            store,
            callback_base: callback_base.clone(),
            admission,
            revocation,
            on_verified: Some(on_verified),
        };
        let backend = sidkit_cli::reference::reference_backend(&sim, options).map_err(fail)?;
        let banner = vec![
            format!("dev-smart-id-app: POST {{base}}{DEV_APP_PATH} {{\"deviceLink\",\"documentNumber\"?}}"),
            format!("callback-base: {callback_base}"),
            format!("device-link-base: {}", sidkit_proto::env::DEMO_DEVICE_LINK_BASE),
            format!("rp-api-base-url: {}", sim.base_url()),
            format!("ocsp-url: {}", sim.ocsp_url()),
            describe_revocation(&sim, revocation),
            format!("default-account: {DEMO_ACCOUNT}"),
        ];
        Ok((sidkit_cli::reference::app(&backend, sim), banner))
    })
}

/// `smartid serve --env demo`: the contract router on SK DEMO, no development route.
fn serve_demo_env(a: ServeArgs) -> CmdResult {
    let cfg = a.demo_env.resolve().map_err(CliError::Input)?;
    sidkit_app::CallbackBase::new(&a.callback_base)
        .map_err(|e| CliError::Input(format!("--callback-base {}: {e}", a.callback_base)))?;
    if a.demo_env.check_config {
        a.limits.config()?;
        a.store.resolve()?;
        // Builds the TLS client and the backend (reads the CA files); no request.
        cfg.backend(&a.callback_base, None)
            .map_err(CliError::Input)?;
        return Ok(cfg.describe(&a.callback_base));
    }
    let callback_base = a.callback_base.clone();
    run_server(&a, move |store| async move {
        let backend = cfg
            .backend(&callback_base, store)
            .map_err(CliError::Input)?;
        let banner = vec![
            cfg.describe(&callback_base),
            "Smart-ID: SK DEMO; a real phone with the Smart-ID DEMO app plays the user (no /dev/smart-id-app route).".to_owned(),
        ];
        Ok((backend.router(), banner))
    })
}

/// What both environments share: checks the limits and the store, installs logging and
/// metrics, starts the runtime, opens the store, lets `build` make the router and its banner
/// lines (`{base}` in a line becomes the backend URL without its final `/`), serves it with the
/// limits on `--bind`/`--port`, prints the banner (ending in `Ctrl-C stops.`) and runs until
/// Ctrl-C.
fn run_server<F, Fut>(a: &ServeArgs, build: F) -> CmdResult
where
    F: FnOnce(Option<Arc<dyn sidkit_backend::SessionStore>>) -> Fut,
    Fut: std::future::Future<Output = Result<(axum::Router, Vec<String>), CliError>>,
{
    let limits = a.limits.config()?;
    let store = a.store.resolve()?;
    let metrics = a.log.install()?;
    let addr = SocketAddr::new(a.bind, a.port);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(fail)?;
    rt.block_on(async move {
        let store_line = store.describe();
        let store = store.open().await?;
        let (router, banner) = build(store).await?;
        let server =
            sidkit_cli::reference::Server::start_with(with_metrics(router, metrics), addr, limits)
                .await
                .map_err(fail)?;
        let base = server.base_url();
        let origin = base.trim_end_matches('/');
        println!("backend-url: {base}");
        println!("contract: POST /flows, GET|DELETE /flows/{{flowHandle}}, POST /flows/{{flowHandle}}/complete (docs/openapi.yaml)");
        println!("metrics: GET {origin}{METRICS_PATH} (Prometheus text)");
        for line in banner {
            println!("{}", line.replace("{base}", origin));
        }
        println!("{store_line}");
        println!("Ctrl-C stops.");
        tokio::signal::ctrl_c().await.map_err(fail)?;
        server.shutdown().await;
        Ok(String::new())
    })
}
