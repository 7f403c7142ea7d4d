//! The reference backend: the embedded Smart-ID simulator and the backend kit's router on
//! loopback, plus a development-only route that plays the Smart-ID app. It checks the
//! revocation of the simulator's certificates by default: OCSP, fail closed, against the
//! simulator's responder (named in every certificate's AIA, as SK's certificates name theirs).
//!
//! | route | what |
//! |---|---|
//! | `/flows…` | the contract ([`sidkit_backend::router`]) |
//! | `POST /dev/smart-id-app` | development only: the simulated Smart-ID app opens a device link (`{"deviceLink","documentNumber"?}`) and answers `{"endResult","callback","returnUrl"?}`; the return URL is what the OS would hand to the RP app. For a certificate choice the answer waits (up to a minute) for the linked signature, whose end opens the choice's callback |

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use sidkit_backend::{
    AdmissionConfig, Backend, BackendConfig, RevocationMode, RevocationPolicy, RevocationService,
    ServeConfig, ServeStats, SessionStore, VerifiedHook,
};
use sidkit_client::{ClientConfig, SmartIdClient};
use sidkit_simulator::{Simulator, SimulatorConfig};
use sidkit_verify::{TrustStore, VerifiedCertificate};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The App2App callback base of the reference backend and the demo phone (an App Link the
/// demo app would claim).
pub const DEMO_CALLBACK_BASE: &str = "https://app.sidkit.example/smart-id/return";
/// The account the simulated user has (SK's DEMO device-link test account).
pub const DEMO_ACCOUNT: &str = "PNOEE-40404040009-MOCK-Q";
/// Path of the development route that plays the Smart-ID app.
pub const DEV_APP_PATH: &str = "/dev/smart-id-app";

/// Body of `POST /dev/smart-id-app`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAppRequest {
    /// The device link the RP app would open (App2App) or show (QR).
    pub device_link: String,
    /// The simulated user's account (default [`DEMO_ACCOUNT`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub document_number: Option<String>,
}

/// Answer of `POST /dev/smart-id-app`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DevAppResponse {
    /// The session's `endResult`.
    pub end_result: String,
    /// `delivered`, `none`, ... (the simulator's callback report).
    pub callback: String,
    /// The callback URL the Smart-ID app opened: the return URL for the RP app.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_url: Option<String>,
}

/// Starts a simulator for the reference backend (`user_delay` for notification-style waits).
pub async fn start_simulator(port: u16) -> Result<Simulator, String> {
    Simulator::start(
        SimulatorConfig::default()
            .port(port)
            .user_delay(Duration::from_millis(300)),
    )
    .await
    .map_err(|e| format!("cannot start the simulator: {e}"))
}

/// A backend on `sim` trusting only the simulator's test CA, with `store` (in-memory when
/// `None`).
pub fn backend_for(
    sim: &Simulator,
    store: Option<Arc<dyn SessionStore>>,
) -> Result<Backend, String> {
    backend_with_callback_base(sim, store, DEMO_CALLBACK_BASE)
}

/// The admission limits of the reference backend: no per-address limit (it serves one developer,
/// the demo and the load harness, all from loopback), the kit's cap on pending flows.
pub fn reference_admission() -> AdmissionConfig {
    AdmissionConfig {
        starts_per_minute: 0,
        ..AdmissionConfig::default()
    }
}

/// [`backend_for`] with the app's own App2App callback base (its App Link / Universal Link).
pub fn backend_with_callback_base(
    sim: &Simulator,
    store: Option<Arc<dyn SessionStore>>,
    callback_base: &str,
) -> Result<Backend, String> {
    backend_with(sim, store, callback_base, reference_admission())
}

/// [`backend_with_callback_base`] with the admission limits `admission`.
pub fn backend_with(
    sim: &Simulator,
    store: Option<Arc<dyn SessionStore>>,
    callback_base: &str,
    admission: AdmissionConfig,
) -> Result<Backend, String> {
    reference_backend(
        sim,
        ReferenceOptions {
            store,
            callback_base: callback_base.to_owned(),
            admission,
            ..ReferenceOptions::default()
        },
    )
}

/// How the reference backend is set up on a simulator.
#[derive(Clone)]
pub struct ReferenceOptions {
    /// The session store (in-memory when `None`).
    pub store: Option<Arc<dyn SessionStore>>,
    /// The App2App callback base (default [`DEMO_CALLBACK_BASE`]).
    pub callback_base: String,
    /// Admission limits (default [`reference_admission`]).
    pub admission: AdmissionConfig,
    /// Revocation checking of the simulator's certificates (default
    /// [`RevocationMode::Ocsp`], fail closed, responders from the AIA: the simulator's).
    pub revocation: RevocationMode,
    /// Called after every successful verification (e.g. to report the certificate status).
    pub on_verified: Option<VerifiedHook>,
}

impl Default for ReferenceOptions {
    fn default() -> Self {
        ReferenceOptions {
            store: None,
            callback_base: DEMO_CALLBACK_BASE.to_owned(),
            admission: reference_admission(),
            revocation: RevocationMode::Ocsp,
            on_verified: None,
        }
    }
}

impl std::fmt::Debug for ReferenceOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReferenceOptions")
            .field("callback_base", &self.callback_base)
            .field("revocation", &self.revocation)
            .finish_non_exhaustive()
    }
}

/// The revocation service of the reference backend for `mode`: fail closed, OCSP responders
/// (and CRL locations) from the certificates, plain HTTP; `None` for [`RevocationMode::Off`].
pub fn reference_revocation(
    mode: RevocationMode,
) -> Result<Option<Arc<RevocationService>>, String> {
    if mode == RevocationMode::Off {
        return Ok(None);
    }
    RevocationService::http(RevocationPolicy::new(mode))
        .map(|s| Some(Arc::new(s)))
        .map_err(|e| format!("revocation client: {e}"))
}

/// How [`reference_backend`] checks revocation, as one line: `revocation: OCSP against
/// http://127.0.0.1:PORT/ocsp (the simulator's responder, from the AIA), fail closed`.
pub fn describe_revocation(sim: &Simulator, mode: RevocationMode) -> String {
    let what = match mode {
        RevocationMode::Off => {
            return "revocation: off (results say revocationChecked: false)".into()
        }
        RevocationMode::Ocsp => "OCSP",
        RevocationMode::Crl => "CRL (the simulator's certificates name none: fails closed)",
        RevocationMode::OcspThenCrl => "OCSP, then CRL",
    };
    format!(
        "revocation: {what} against {} (the simulator's responder, from the AIA), fail closed",
        sim.ocsp_url()
    )
}

/// How the revocation status of a verified certificate (and its intermediates) was
/// established, one line each, then `revocationChecked: true|false`: e.g. `certificate status:
/// good (OCSP, http://127.0.0.1:PORT/ocsp, next update 2025-01-01T12:10:00Z) for
/// SERIALNUMBER=PNOEE-…`.
pub fn certificate_status_lines(c: &VerifiedCertificate) -> Vec<String> {
    let mut out = Vec::new();
    if c.revocation.is_empty() {
        out.push("certificate status: not checked (revocation checking is off)".to_owned());
    }
    for r in &c.revocation {
        out.push(match (&r.evidence, &r.unchecked_reason) {
            (Some(e), _) if r.checked => format!(
                "certificate status: good ({}, {}{}) for {}",
                e.method.as_str().to_uppercase(),
                e.source,
                // The RFC 3339 form the result's JSON has.
                serde_json::to_value(e)
                    .ok()
                    .and_then(|v| v["nextUpdate"]
                        .as_str()
                        .map(|t| format!(", next update {t}")))
                    .unwrap_or_default(),
                r.certificate
            ),
            (None, _) if r.checked => format!("certificate status: good for {}", r.certificate),
            (_, reason) => format!(
                "certificate status: NOT checked ({}) for {}",
                reason.as_deref().unwrap_or("no reason given"),
                r.certificate
            ),
        });
    }
    out.push(format!("revocationChecked: {}", c.revocation_checked));
    out
}

/// A backend on `sim` as `options` say.
pub fn reference_backend(sim: &Simulator, options: ReferenceOptions) -> Result<Backend, String> {
    let mut config = backend_config(sim, &options.callback_base)?.with_admission(options.admission);
    if let Some(s) = options.store {
        config = config.with_store(s);
    }
    if let Some(r) = reference_revocation(options.revocation)? {
        config = config.with_revocation(r);
    }
    if let Some(h) = options.on_verified {
        config = config.with_on_verified(h);
    }
    Backend::new(config).map_err(|e| format!("backend: {e}"))
}

/// The configuration of a backend on `sim` (the RP API client, the simulator's relying party,
/// a trust store of only its test CA, `callback_base`), with the kit's defaults otherwise (no
/// revocation checking): for tests that change one setting.
pub fn backend_config(sim: &Simulator, callback_base: &str) -> Result<BackendConfig, String> {
    let client = SmartIdClient::new(ClientConfig::new(sim.environment()))
        .map_err(|e| format!("client: {e}"))?;
    let mut trust = TrustStore::new();
    trust
        .add_pem(sim.user_ca_pem().as_bytes())
        .map_err(|e| format!("trust store: {e}"))?;
    Ok(BackendConfig::new(
        client,
        sim.relying_party(),
        trust,
        callback_base,
    ))
}

/// The contract router plus the development route on `sim`.
pub fn app(backend: &Backend, sim: Arc<Simulator>) -> Router {
    backend.router().merge(
        Router::new()
            .route(DEV_APP_PATH, post(dev_app))
            .with_state(sim),
    )
}

async fn dev_app(State(sim): State<Arc<Simulator>>, Json(req): Json<DevAppRequest>) -> Response {
    let doc = req.document_number.as_deref().unwrap_or(DEMO_ACCOUNT);
    // A certificate choice's callback waits for the linked signature: the simulated user stays
    // in the Smart-ID app and signs it too (up to a minute).
    match sim
        .open_device_link_and_wait(doc, &req.device_link, Duration::from_secs(60))
        .await
    {
        Ok((r, url)) => Json(DevAppResponse {
            end_result: r.end_result,
            callback: r.callback,
            return_url: url,
        })
        .into_response(),
        Err(e) => (StatusCode::BAD_REQUEST, e).into_response(),
    }
}

/// A running HTTP server; dropping it stops the server.
#[derive(Debug)]
pub struct Server {
    /// The bound address.
    pub addr: SocketAddr,
    /// The connection counters of the server.
    pub stats: Arc<ServeStats>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves `router` on `addr` (port 0: a free port) with the default limits
    /// ([`ServeConfig::default`]).
    pub async fn start(router: Router, addr: SocketAddr) -> Result<Server, String> {
        Self::start_with(router, addr, ServeConfig::default()).await
    }

    /// Serves `router` on `addr` with the timeouts and connection cap of `config`
    /// ([`sidkit_backend::serve`]).
    pub async fn start_with(
        router: Router,
        addr: SocketAddr,
        config: ServeConfig,
    ) -> Result<Server, String> {
        let stats = Arc::new(ServeStats::default());
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|e| format!("cannot bind {addr}: {e}"))?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let (stop, stopped) = oneshot::channel::<()>();
        let stats_out = stats.clone();
        let task = tokio::spawn(async move {
            sidkit_backend::serve(listener, router, config, Some(stats), async {
                let _ = stopped.await;
            })
            .await;
        });
        Ok(Server {
            addr,
            stats: stats_out,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT/`.
    pub fn base_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Stops the server gracefully: no new connections, the requests in flight are answered
    /// (bounded by the shutdown grace of its [`ServeConfig`]), then it waits for the server.
    pub async fn shutdown(mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.task.take() {
            t.abort();
        }
    }
}

/// The whole reference stack: simulator, backend, HTTP server.
#[derive(Debug)]
pub struct Stack {
    /// The simulator (shared with the dev route).
    pub sim: Arc<Simulator>,
    /// The backend.
    pub backend: Backend,
    /// The HTTP server of contract + dev route.
    pub server: Server,
}

impl Stack {
    /// Starts a simulator and a backend on loopback (ports 0 = free ones).
    pub async fn start(
        sim_port: u16,
        backend_port: u16,
        store: Option<Arc<dyn SessionStore>>,
    ) -> Result<Stack, String> {
        let sim = Arc::new(start_simulator(sim_port).await?);
        Self::on(sim, backend_port, store).await
    }

    /// A backend and server on an existing simulator (e.g. a second instance).
    pub async fn on(
        sim: Arc<Simulator>,
        backend_port: u16,
        store: Option<Arc<dyn SessionStore>>,
    ) -> Result<Stack, String> {
        Self::on_with(sim, backend_port, store, ServeConfig::default()).await
    }

    /// A simulator, and a backend set up as `options` say, on loopback (ports 0 = free ones).
    pub async fn start_with_options(
        sim_port: u16,
        backend_port: u16,
        options: ReferenceOptions,
    ) -> Result<Stack, String> {
        let sim = Arc::new(start_simulator(sim_port).await?);
        let backend = reference_backend(&sim, options)?;
        let server = Server::start(
            app(&backend, sim.clone()),
            SocketAddr::from(([127, 0, 0, 1], backend_port)),
        )
        .await?;
        Ok(Stack {
            sim,
            backend,
            server,
        })
    }

    /// [`Stack::on`] with the server limits of `config`.
    pub async fn on_with(
        sim: Arc<Simulator>,
        backend_port: u16,
        store: Option<Arc<dyn SessionStore>>,
        config: ServeConfig,
    ) -> Result<Stack, String> {
        let options = ReferenceOptions {
            store,
            ..ReferenceOptions::default()
        };
        Self::on_with_options(sim, backend_port, options, config).await
    }

    /// A backend set up as `options` say, and its server with the limits of `config`, on an
    /// existing simulator.
    pub async fn on_with_options(
        sim: Arc<Simulator>,
        backend_port: u16,
        options: ReferenceOptions,
        config: ServeConfig,
    ) -> Result<Stack, String> {
        let backend = reference_backend(&sim, options)?;
        let server = Server::start_with(
            app(&backend, sim.clone()),
            SocketAddr::from(([127, 0, 0, 1], backend_port)),
            config,
        )
        .await?;
        Ok(Stack {
            sim,
            backend,
            server,
        })
    }
}
