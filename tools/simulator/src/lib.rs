//! # sidkit-simulator
//!
//! An offline stand-in for the Smart-ID RP API v3, for tests and demos: it implements every
//! endpoint of spec §2 and the long-polled `GET session/{id}`, validates requests as the spec
//! says (answering `400`/`401`/`403`/`404` with RFC 9457 bodies), and has a mock device
//! compatible with SK's Mock Service (`POST /mock/device-link`, spec §11) that checks device
//! links and their authCode exactly as the server would, then signs with test keys whose
//! certificates chain to a generated Smart-ID-like test CA. An OCSP responder (`POST /ocsp`)
//! answers for that CA's certificates, named in their AIA extension as SK's are.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use sidkit_simulator::{CrlReason, Outcome, Simulator, SimulatorConfig};
//!
//! let sim = Simulator::start(SimulatorConfig::default()).await?;
//! println!("RP API at {}", sim.base_url());          // http://127.0.0.1:PORT/smart-id-rp/v3/
//! println!("mock device at {}", sim.mock_url());     // http://127.0.0.1:PORT/mock/device-link
//! sim.set_outcome("PNOEE-40404040009-MOCK-Q", Outcome::UserRefused)?;
//! let ca_pem = sim.user_ca_pem();                    // trust this to verify the certificates
//! println!("OCSP at {}", sim.ocsp_url());            // http://127.0.0.1:PORT/ocsp (in every AIA)
//! sim.revoke("PNOEE-40404040009-MOCK-Q", CrlReason::KeyCompromise)?;
//! # let _ = ca_pem;
//! sim.shutdown().await;
//! # Ok(()) }
//! ```
//!
//! See `docs/simulator.md` for the scripted accounts, the faults and the QR freshness window.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod accounts;
mod callbacks;
mod config;
mod error;
mod events;
mod faults;
mod ids;
mod routes;
mod server;
mod state;
mod tls;
mod user;

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use sidkit_proto::env::{Environment, RelyingParty};
use sidkit_testpki::{TestPki, TestUser, UserCertSpec};
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use accounts::{default_accounts, AccountInfo, AccountSpec, Outcome, Revocation};
pub use config::{
    CallbackHandler, CallbackMode, RelyingPartyPermissions, SimulatorConfig, MOCK_DEVICE_PATH,
    OCSP_PATH, RP_API_PATH,
};
pub use error::SimulatorError;
pub use events::CallbackEvent;
pub use faults::{Fault, FaultKind, FaultScope};
pub use routes::{MockDeviceRequest, MockDeviceResponse};
pub use sidkit_testpki::ocsp::CrlReason;

/// A running simulator. Dropping it stops the server; [`shutdown`](Self::shutdown) also
/// waits for it.
pub struct Simulator {
    state: Arc<state::SimState>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
    ocsp_task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("addr", &self.addr)
            .field("https", &self.state.tls.is_some())
            .finish_non_exhaustive()
    }
}

impl Simulator {
    /// Generates the test PKI (and TLS identity), creates the accounts, binds the socket and
    /// starts serving on the current tokio runtime.
    ///
    /// In HTTPS mode a second, plain-HTTP listener on the same address (another free port)
    /// serves the OCSP responder: OCSP travels over plain HTTP, as SK's does.
    pub async fn start(config: SimulatorConfig) -> Result<Simulator, SimulatorError> {
        let listener = tokio::net::TcpListener::bind(config.bind).await?;
        let addr = listener.local_addr()?;
        let ocsp_listener = if config.https {
            Some(tokio::net::TcpListener::bind(SocketAddr::new(config.bind.ip(), 0)).await?)
        } else {
            None
        };
        let ocsp_addr = match &ocsp_listener {
            Some(l) => l.local_addr()?,
            None => addr,
        };
        let ocsp_url = format!("http://{}{OCSP_PATH}", loopback(ocsp_addr));
        let state = Arc::new(state::SimState::new(config, ocsp_url)?);
        let (tx, rx) = watch::channel(false);
        let ocsp_task = ocsp_listener.map(|l| {
            tokio::spawn(server::serve(
                l,
                state.clone(),
                rx.clone(),
                server::Listener::OcspOnly,
            ))
        });
        let task = tokio::spawn(server::serve(
            listener,
            state.clone(),
            rx,
            server::Listener::Main,
        ));
        Ok(Simulator {
            state,
            addr,
            shutdown: tx,
            task: Some(task),
            ocsp_task,
        })
    }

    /// The bound socket address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http(s)://127.0.0.1:PORT` (the loopback origin, also when bound to all interfaces).
    pub fn origin(&self) -> String {
        let scheme = if self.state.tls.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", loopback(self.addr))
    }

    /// The OCSP responder's URL, `http://127.0.0.1:PORT/ocsp`, as every certificate of the
    /// test CA (user certificates and the intermediate) names it in its AIA extension. Plain
    /// HTTP also in HTTPS mode (then on a port of its own).
    pub fn ocsp_url(&self) -> String {
        self.state.ocsp_url.clone()
    }

    /// OCSP requests answered so far (counted after faults).
    pub fn ocsp_requests(&self) -> u64 {
        self.state
            .ocsp_requests
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The RP API v3 base URL, ending in `/`.
    pub fn base_url(&self) -> String {
        format!("{}{RP_API_PATH}", self.origin())
    }

    /// The mock device endpoint URL.
    pub fn mock_url(&self) -> String {
        format!("{}{MOCK_DEVICE_PATH}", self.origin())
    }

    /// An [`Environment`] for clients of this simulator (custom base URL, the simulator's
    /// scheme name and device-link base).
    pub fn environment(&self) -> Environment {
        Environment {
            name: "SIMULATOR".to_owned(),
            base_url: self.base_url(),
            scheme_name: self.state.cfg.scheme_name,
            device_link_bases: vec![self.state.cfg.device_link_base.clone()],
        }
    }

    /// The first configured relying party (the DEMO one by default).
    pub fn relying_party(&self) -> RelyingParty {
        self.state.cfg.relying_parties[0].relying_party.clone()
    }

    /// PEM of the Smart-ID test CA (root, then intermediate) that issued every user
    /// certificate: what a response verifier must trust.
    pub fn user_ca_pem(&self) -> String {
        format!(
            "{}{}",
            self.state.pki.root.pem(),
            self.state.pki.intermediate.pem()
        )
    }

    /// The test PKI (root and intermediate CA).
    pub fn pki(&self) -> &TestPki {
        &self.state.pki
    }

    /// PEM of the CA that issued the HTTPS server certificate (HTTPS mode only).
    pub fn tls_ca_pem(&self) -> Option<String> {
        self.state.tls.as_ref().map(|t| t.ca_pem())
    }

    /// PEM of the HTTPS server certificate presented now (HTTPS mode only).
    pub fn tls_server_cert_pem(&self) -> Option<String> {
        self.state.tls.as_ref().map(|t| t.current_cert_pem())
    }

    /// `sha256//…` pin of the HTTPS server key presented now (HTTPS mode only).
    pub fn tls_pin(&self) -> Option<String> {
        self.state.tls.as_ref().map(|t| t.current_pin())
    }

    /// The pin of the key the server will present after [`rotate_tls_key`](Self::rotate_tls_key):
    /// publish it in the clients' configuration before rotating.
    pub fn next_tls_pin(&self) -> Option<String> {
        self.state.tls.as_ref().map(|t| t.next_pin())
    }

    /// Switches the HTTPS server to the pre-announced next key (new connections only) and
    /// returns its pin.
    pub fn rotate_tls_key(&self) -> Result<String, SimulatorError> {
        match &self.state.tls {
            Some(t) => t.rotate(),
            None => Err(SimulatorError::Config("not in HTTPS mode".into())),
        }
    }

    /// Writes the CA certificates as PEM into `dir`: `root.pem.crt` and
    /// `intermediate.pem.crt` (the Smart-ID test CA, for response verification) and, in HTTPS
    /// mode, `tls-ca.pem.crt` (for the RP API connection). Returns the paths.
    pub fn write_ca_files(&self, dir: &Path) -> Result<Vec<PathBuf>, SimulatorError> {
        let mut files = self.state.pki.write_pem_files(dir)?;
        if let Some(t) = &self.state.tls {
            let p = dir.join("tls-ca.pem.crt");
            std::fs::write(&p, t.ca_pem())?;
            files.push(p);
        }
        Ok(files)
    }

    /// Information about an account, by document number or semantics identifier.
    pub fn account(&self, key: &str) -> Option<AccountInfo> {
        let inner = self.state.lock();
        inner.account(key).map(|a| inner.info(a))
    }

    /// Every account.
    pub fn accounts(&self) -> Vec<AccountInfo> {
        let inner = self.state.lock();
        inner.accounts.iter().map(|a| inner.info(a)).collect()
    }

    /// Creates another account (its document number must be new).
    pub fn add_account(&self, spec: AccountSpec) -> Result<AccountInfo, SimulatorError> {
        let account = accounts::Account::create(&self.state.pki, spec, &self.state.ocsp_url)?;
        let mut inner = self.state.lock();
        if inner.account(&account.spec.document_number).is_some() {
            return Err(SimulatorError::Config(format!(
                "account {} exists already",
                account.spec.document_number
            )));
        }
        inner.register(&account);
        let info = inner.info(&account);
        inner.accounts.push(account);
        Ok(info)
    }

    /// Revokes both certificates of an account (document number or identity) now, for
    /// `reason`: from now on the OCSP responder answers `revoked` for them. The user still
    /// signs; a verifier that checks revocation refuses the result.
    pub fn revoke(&self, key: &str, reason: CrlReason) -> Result<(), SimulatorError> {
        let mut inner = self.state.lock();
        let serials = inner
            .account(key)
            .map(|a| a.serials.clone())
            .ok_or_else(|| SimulatorError::Config(format!("no account {key}")))?;
        for s in &serials {
            inner.revoke(s, Revocation::now(reason));
        }
        Ok(())
    }

    /// Issues a user certificate from the test CA's intermediate as `spec` describes, with
    /// this simulator's OCSP URL in its AIA (whatever `spec.ocsp_url` says), and records it as
    /// issued: the responder answers `good` for it until
    /// [`revoke_certificate`](Self::revoke_certificate). For tests that sign their own
    /// responses with the returned key.
    pub fn issue_certificate(&self, spec: &UserCertSpec) -> Result<TestUser, SimulatorError> {
        let mut spec = spec.clone();
        spec.ocsp_url = Some(self.state.ocsp_url.clone());
        let user = self.state.pki.issue(&spec)?;
        let serial = sidkit_testpki::ocsp::serial_of(&user.cert_der)?;
        self.state
            .lock()
            .certificates
            .insert(serial, state::CertRecord::default());
        Ok(user)
    }

    /// Revokes a certificate this simulator issued (an account's, or one from
    /// [`issue_certificate`](Self::issue_certificate)). Fails for any other certificate (the
    /// responder answers `unknown` for those anyway).
    pub fn revoke_certificate(
        &self,
        cert_der: &[u8],
        revocation: Revocation,
    ) -> Result<(), SimulatorError> {
        let serial = sidkit_testpki::ocsp::serial_of(cert_der)?;
        if self.state.lock().revoke(&serial, revocation) {
            Ok(())
        } else {
            Err(SimulatorError::Config(
                "the simulator did not issue this certificate".into(),
            ))
        }
    }

    /// Changes what the user of an account (document number or identity) does from now on.
    pub fn set_outcome(&self, key: &str, outcome: Outcome) -> Result<(), SimulatorError> {
        self.with_account(key, |a| a.spec.outcome = outcome)
    }

    /// Changes how long the user of an account takes in notification flows.
    pub fn set_user_delay(&self, key: &str, delay: Duration) -> Result<(), SimulatorError> {
        self.with_account(key, |a| a.spec.user_delay = Some(delay))
    }

    fn with_account(
        &self,
        key: &str,
        f: impl FnOnce(&mut accounts::Account),
    ) -> Result<(), SimulatorError> {
        let mut inner = self.state.lock();
        match inner.account_mut(key) {
            Some(a) => {
                f(a);
                Ok(())
            }
            None => Err(SimulatorError::Config(format!("no account {key}"))),
        }
    }

    /// Queues a fault (see [`Fault`]).
    pub fn inject_fault(&self, fault: Fault) {
        self.state.lock().faults.push(fault);
    }

    /// Removes every queued fault.
    pub fn clear_faults(&self) {
        self.state.lock().faults.clear();
    }

    /// Moves the simulator's clock forward: QR freshness and session lifetime see `by` more
    /// elapsed time. Timers (notification users, long polls) still run in real time.
    pub fn advance_clock(&self, by: Duration) {
        self.state.lock().clock_offset += by;
    }

    /// How many `GET session/{id}` requests this session received (counted before faults).
    pub fn status_requests(&self, session_id: &str) -> u32 {
        self.state
            .lock()
            .sessions
            .get(session_id)
            .map_or(0, |s| s.status_requests)
    }

    /// How many `GET session/{id}` requests all sessions received so far (counted before
    /// faults): the upstream load a relying party puts on Smart-ID.
    pub fn total_status_requests(&self) -> u64 {
        self.state
            .lock()
            .sessions
            .values()
            .map(|s| u64::from(s.status_requests))
            .sum()
    }

    /// TCP connections accepted so far (to observe connection reuse).
    pub fn connections(&self) -> u64 {
        self.state
            .connections
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    /// How long after its creation the session completed (`None` while it runs): the user
    /// time of poll-count measurements.
    pub fn completion_time(&self, session_id: &str) -> Option<Duration> {
        let inner = self.state.lock();
        let s = inner.sessions.get(session_id)?;
        Some(s.completed_at?.saturating_duration_since(s.created))
    }

    /// Every callback delivered so far.
    pub fn callbacks(&self) -> Vec<CallbackEvent> {
        self.state.lock().callbacks.clone()
    }

    /// Waits for the next callback not yet returned by this method.
    pub async fn next_callback(&self) -> CallbackEvent {
        loop {
            let notified = self.state.callback_notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut inner = self.state.lock();
                if let Some(ev) = inner.callbacks.get(inner.callback_cursor).cloned() {
                    inner.callback_cursor += 1;
                    return ev;
                }
            }
            notified.await;
        }
    }

    /// The mock device in-process: the same checks and effects as `POST /mock/device-link`.
    /// `Err` carries the `400` reason.
    pub async fn mock_device(
        &self,
        request: MockDeviceRequest,
    ) -> Result<MockDeviceResponse, String> {
        routes::mock_device(&self.state, request).await
    }

    /// The simulated Smart-ID app opens a device link on the user's phone: like
    /// [`mock_device`](Self::mock_device), but for a same-device link it takes the session's
    /// `initialCallbackUrl` from the simulated server (as the real app does) instead of from
    /// the caller, who in an App2App flow is the RP app and must not know it. Returns the mock
    /// device's answer and, when the app opened one, the callback URL (the return URL the OS
    /// hands to the RP app).
    pub async fn open_device_link(
        &self,
        document_number: &str,
        device_link: &str,
    ) -> Result<(MockDeviceResponse, Option<String>), String> {
        let parsed =
            sidkit_proto::device_link::parse_device_link(device_link).map_err(|e| e.to_string())?;
        let (session_id, callback) = {
            let inner = self.state.lock();
            let id = inner
                .tokens
                .get(&parsed.session_token)
                .cloned()
                .ok_or("no session has this sessionToken (unknown or expired)")?;
            let cb = inner
                .sessions
                .get(&id)
                .and_then(|s| s.data.initial_callback_url.clone());
            (id, cb)
        };
        let same_device = parsed.link_type != sidkit_proto::device_link::DeviceLinkType::Qr;
        let request = MockDeviceRequest {
            document_number: document_number.to_owned(),
            device_link: device_link.to_owned(),
            flow_type: parsed.link_type.as_str().to_owned(),
            browser_cookie: same_device.then(|| "sidkit-sim=1".to_owned()),
            initial_callback_url: if same_device { callback } else { None },
        };
        let resp = self.mock_device(request).await?;
        let url = self
            .callbacks()
            .into_iter()
            .rev()
            .find(|e| e.session_id == session_id)
            .map(|e| e.url);
        Ok((resp, url))
    }

    /// Like [`open_device_link`](Self::open_device_link), but when the callback is deferred (a
    /// device-link certificate choice, whose callback the app opens only after the linked
    /// signature, spec §7.2) waits up to `max_wait` for it, as the user stays in the Smart-ID
    /// app until the RP's linked signature is signed too. The answer's `callback` is then
    /// `delivered` with the URL, `none` if the linked signature ended without a callback, or
    /// still `deferred` when `max_wait` passed.
    pub async fn open_device_link_and_wait(
        &self,
        document_number: &str,
        device_link: &str,
        max_wait: Duration,
    ) -> Result<(MockDeviceResponse, Option<String>), String> {
        let (mut resp, url) = self.open_device_link(document_number, device_link).await?;
        if resp.callback != "deferred" {
            return Ok((resp, url));
        }
        let parsed =
            sidkit_proto::device_link::parse_device_link(device_link).map_err(|e| e.to_string())?;
        let deadline = tokio::time::Instant::now() + max_wait;
        let mut linked_done_at: Option<tokio::time::Instant> = None;
        loop {
            {
                let inner = self.state.lock();
                let session_id = inner.tokens.get(&parsed.session_token).cloned();
                if let Some(id) = session_id {
                    if let Some(ev) = inner.callbacks.iter().rev().find(|e| e.session_id == id) {
                        resp.callback = if ev.error.is_some() {
                            "failed"
                        } else {
                            "delivered"
                        }
                        .into();
                        resp.callback_http_status = ev.http_status;
                        resp.callback_error = ev.error.clone();
                        return Ok((resp, Some(ev.url.clone())));
                    }
                    let linked_done = inner
                        .sessions
                        .get(&id)
                        .and_then(|c| c.linked_by.as_ref())
                        .and_then(|l| inner.sessions.get(l))
                        .is_some_and(|l| l.status.is_some());
                    if linked_done && linked_done_at.is_none() {
                        linked_done_at = Some(tokio::time::Instant::now());
                    }
                }
            }
            let now = tokio::time::Instant::now();
            // The linked signature ended: its callback (if any) follows at once.
            if linked_done_at.is_some_and(|t| now >= t + Duration::from_secs(2)) {
                resp.callback = "none".into();
                return Ok((resp, None));
            }
            if now >= deadline {
                return Ok((resp, None));
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Stops accepting connections, closes open ones and waits for the server task.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
        if let Some(t) = self.ocsp_task.take() {
            let _ = t.await;
        }
    }
}

/// `addr` with an unspecified IP replaced by `127.0.0.1`.
fn loopback(addr: SocketAddr) -> SocketAddr {
    let ip = if addr.ip().is_unspecified() {
        IpAddr::V4(Ipv4Addr::LOCALHOST)
    } else {
        addr.ip()
    };
    SocketAddr::new(ip, addr.port())
}

impl Drop for Simulator {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}
