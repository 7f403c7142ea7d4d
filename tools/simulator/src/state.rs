//! The simulator's state: accounts, sessions (what the server knows of each, and its status),
//! faults, recorded callbacks and idempotency; housekeeping (session lifetime and retention),
//! and completing a session.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use sidkit_proto::device_link::SessionType;
use sidkit_proto::interactions::Interactions;
use sidkit_proto::models::{
    CertificateLevel, EndResult, HashAlgorithm, ResultDetails, SessionResult, SessionState,
    SessionStatus, SignatureAlgorithm,
};
use sidkit_proto::secret::SessionSecret;
use sidkit_testpki::ocsp::{CrlReason, OcspCertStatus, TestOcspResponder};
use sidkit_testpki::{PkiSpec, TestPki};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::accounts::{Account, AccountInfo, Revocation};
use crate::callbacks::{callback_client, http_get_callback};
use crate::config::{CallbackMode, SimulatorConfig};
use crate::error::SimulatorError;
use crate::events::CallbackEvent;
use crate::faults::FaultQueue;
use crate::tls::ServerTls;

/// How a session reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flow {
    /// Device link (QR, Web2App, App2App): completed by the mock device.
    DeviceLink,
    /// Push notification: completed by the simulated user after the user delay.
    Notification,
    /// Linked notification signature after a device-link certificate choice.
    Linked,
}

/// Device-link data of a session.
#[derive(Debug, Clone)]
pub(crate) struct DeviceData {
    pub token: String,
    pub secret: SessionSecret,
    pub base: String,
}

/// What the server knows about a session from its creation request.
#[derive(Debug, Clone)]
pub(crate) struct SessionData {
    pub id: String,
    pub flow: Flow,
    pub session_type: SessionType,
    pub rp_name: String,
    /// rpChallenge (auth) or digest (sign) Base64 as sent; empty for cert.
    pub rp_challenge_or_digest: String,
    pub interactions: Option<Interactions>,
    pub signature_algorithm: Option<SignatureAlgorithm>,
    pub hash_algorithm: Option<HashAlgorithm>,
    pub initial_callback_url: Option<String>,
    pub share_ip: bool,
    /// The requested certificate level (`None`: the default, `QUALIFIED`).
    pub level: Option<CertificateLevel>,
    /// Document number of the user, when known (etsi/document sessions, or after the device).
    pub account: Option<String>,
    pub device: Option<DeviceData>,
    /// For a linked signature: the certificate-choice session it is linked to.
    pub linked_from: Option<String>,
}

/// A callback that waits for the linked signature of a device-link certificate choice.
#[derive(Debug, Clone)]
pub(crate) struct PendingCallback {
    pub event: CallbackEvent,
}

pub(crate) struct Session {
    pub data: SessionData,
    pub created: Instant,
    pub status: Option<SessionStatus>,
    pub completed_at: Option<Instant>,
    pub done: watch::Sender<bool>,
    pub status_requests: u32,
    /// A device already acted on this session.
    pub device_used: bool,
    /// For a certificate choice: the linked signature that used it.
    pub linked_by: Option<String>,
    pub pending_callback: Option<PendingCallback>,
}

/// A certificate the simulator's CA issued: what its OCSP responder answers for it.
#[derive(Debug, Clone, Default)]
pub(crate) struct CertRecord {
    /// Revocation time and reason, once revoked.
    pub revoked: Option<(SystemTime, Option<CrlReason>)>,
}

pub(crate) struct Inner {
    pub accounts: Vec<Account>,
    /// Every user certificate the intermediate issued, by serial (INTEGER content octets).
    pub certificates: HashMap<Vec<u8>, CertRecord>,
    pub sessions: HashMap<String, Session>,
    pub tokens: HashMap<String, String>,
    pub faults: FaultQueue,
    pub clock_offset: Duration,
    pub callbacks: Vec<CallbackEvent>,
    pub callback_cursor: usize,
    /// `(path, body)` of recent signature requests → (when, response status, response body).
    pub idempotency: HashMap<(String, Vec<u8>), (Instant, u16, serde_json::Value)>,
}

impl Inner {
    /// An account by document number or semantics identifier.
    pub fn account(&self, key: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.spec.document_number == key)
            .or_else(|| self.accounts.iter().find(|a| a.spec.identity == key))
    }

    /// Records the certificates of `account` as issued, revoked when its spec says so.
    pub fn register(&mut self, account: &Account) {
        let revoked = account
            .spec
            .revocation
            .map(|r| (r.time.unwrap_or_else(SystemTime::now), r.reason));
        for serial in &account.serials {
            self.certificates
                .insert(serial.clone(), CertRecord { revoked });
        }
    }

    /// Marks the certificate with `serial` revoked (it must have been issued here); `false`
    /// if it was not.
    pub fn revoke(&mut self, serial: &[u8], revocation: Revocation) -> bool {
        match self.certificates.get_mut(serial) {
            Some(c) => {
                c.revoked = Some((
                    revocation.time.unwrap_or_else(SystemTime::now),
                    revocation.reason,
                ));
                true
            }
            None => false,
        }
    }

    /// Public information about `account`, with the revocation of its certificates.
    pub fn info(&self, account: &Account) -> AccountInfo {
        let revocation = self
            .certificates
            .get(&account.serials[0])
            .and_then(|c| c.revoked)
            .map(|(t, reason)| Revocation {
                time: Some(t),
                reason,
            });
        account.info(revocation)
    }

    pub fn account_mut(&mut self, key: &str) -> Option<&mut Account> {
        let i = self
            .accounts
            .iter()
            .position(|a| a.spec.document_number == key)
            .or_else(|| self.accounts.iter().position(|a| a.spec.identity == key))?;
        self.accounts.get_mut(i)
    }
}

pub(crate) struct SimState {
    pub cfg: SimulatorConfig,
    pub pki: TestPki,
    /// The OCSP responder for the root and the intermediate.
    pub ocsp: TestOcspResponder,
    /// The OCSP URL written into every certificate's AIA extension.
    pub ocsp_url: String,
    /// OCSP requests answered so far.
    pub ocsp_requests: AtomicU64,
    pub tls: Option<Arc<ServerTls>>,
    pub inner: Mutex<Inner>,
    pub callback_notify: Notify,
    pub callback_http: reqwest::Client,
    /// TCP connections accepted so far.
    pub connections: AtomicU64,
}

impl SimState {
    /// The state for `cfg`; certificates name `ocsp_url` as their OCSP responder.
    pub fn new(mut cfg: SimulatorConfig, ocsp_url: String) -> Result<Self, SimulatorError> {
        if cfg.relying_parties.is_empty() {
            return Err(SimulatorError::Config(
                "at least one relying party is needed".into(),
            ));
        }
        for rp in &cfg.relying_parties {
            sidkit_proto::env::RelyingParty::new(
                rp.relying_party.uuid.clone(),
                rp.relying_party.name.clone(),
            )?;
        }
        sidkit_proto::url::parse_https("deviceLinkBase", &cfg.device_link_base)?;
        let pki = TestPki::generate_with(&PkiSpec {
            intermediate_ocsp_url: Some(ocsp_url.clone()),
            ..PkiSpec::new(cfg.pki_name.as_str())
        })?;
        let ocsp = TestOcspResponder::new(&[&pki.root, &pki.intermediate])?;
        let mut accounts = Vec::new();
        for spec in std::mem::take(&mut cfg.accounts) {
            if accounts
                .iter()
                .any(|a: &Account| a.spec.document_number == spec.document_number)
            {
                return Err(SimulatorError::Config(format!(
                    "duplicate account {}",
                    spec.document_number
                )));
            }
            accounts.push(Account::create(&pki, spec, &ocsp_url)?);
        }
        let tls = if cfg.https {
            Some(Arc::new(ServerTls::generate()?))
        } else {
            None
        };
        let callback_http = callback_client(&cfg.callbacks, tls.as_deref())?;
        let mut inner = Inner {
            accounts: Vec::new(),
            certificates: HashMap::new(),
            sessions: HashMap::new(),
            tokens: HashMap::new(),
            faults: FaultQueue::default(),
            clock_offset: Duration::ZERO,
            callbacks: Vec::new(),
            callback_cursor: 0,
            idempotency: HashMap::new(),
        };
        for a in &accounts {
            inner.register(a);
        }
        inner.accounts = accounts;
        Ok(SimState {
            pki,
            ocsp,
            ocsp_url,
            ocsp_requests: AtomicU64::new(0),
            tls,
            inner: Mutex::new(inner),
            callback_notify: Notify::new(),
            callback_http,
            connections: AtomicU64::new(0),
            cfg,
        })
    }

    /// What the OCSP responder says about `serial` issued by the CA `ca_der`: the root issued
    /// only the intermediate; the intermediate every registered certificate.
    pub fn ocsp_status(&self, ca_der: &[u8], serial: &[u8]) -> OcspCertStatus {
        if ca_der == self.pki.root.der() {
            return match sidkit_testpki::ocsp::serial_of(self.pki.intermediate.der()) {
                Ok(s) if s == serial => OcspCertStatus::Good,
                _ => OcspCertStatus::Unknown,
            };
        }
        if ca_der != self.pki.intermediate.der() {
            return OcspCertStatus::Unknown;
        }
        match self.lock().certificates.get(serial) {
            Some(CertRecord {
                revoked: Some((time, reason)),
            }) => OcspCertStatus::Revoked {
                time: *time,
                reason: *reason,
            },
            Some(_) => OcspCertStatus::Good,
            None => OcspCertStatus::Unknown,
        }
    }

    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent data (every update is a single
        // assignment), so a poisoned lock is simply taken over.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Time elapsed since `created` on the simulator's (possibly advanced) clock.
    pub fn elapsed(inner: &Inner, created: Instant) -> Duration {
        (Instant::now() + inner.clock_offset).saturating_duration_since(created)
    }

    /// Times out running sessions past their lifetime and forgets old completed ones.
    pub fn housekeeping(&self, inner: &mut Inner) {
        let lifetime = self.cfg.session_lifetime;
        let retention = self.cfg.completed_retention;
        let now = Instant::now();
        let offset = inner.clock_offset;
        let mut forget = Vec::new();
        for (id, s) in inner.sessions.iter_mut() {
            match s.completed_at {
                None if (now + offset).saturating_duration_since(s.created) >= lifetime => {
                    complete_locked(s, failure_status(EndResult::Timeout, None));
                }
                Some(at) if now.saturating_duration_since(at) >= retention => {
                    forget.push(id.clone());
                }
                _ => {}
            }
        }
        for id in forget {
            if let Some(s) = inner.sessions.remove(&id) {
                if let Some(d) = s.data.device {
                    inner.tokens.remove(&d.token);
                }
            }
        }
        inner
            .idempotency
            .retain(|_, (at, _, _)| now.saturating_duration_since(*at) < IDEMPOTENCY_WINDOW);
    }

    /// Records a callback and delivers it according to the configured mode.
    pub async fn deliver_callback(&self, mut event: CallbackEvent) -> CallbackEvent {
        match &self.cfg.callbacks {
            CallbackMode::Record => {}
            CallbackMode::Handler(h) => h(&event),
            CallbackMode::HttpGet { plain_http, .. } => {
                match http_get_callback(&self.callback_http, &event, *plain_http).await {
                    Ok(status) => event.http_status = Some(status),
                    Err(e) => event.error = Some(e),
                }
            }
        }
        self.lock().callbacks.push(event.clone());
        self.callback_notify.notify_waiters();
        event
    }
}

/// How long identical signature requests return the same session (spec §2.1).
pub(crate) const IDEMPOTENCY_WINDOW: Duration = Duration::from_secs(15);

/// Marks a session complete and wakes its long polls.
pub(crate) fn complete_locked(s: &mut Session, status: SessionStatus) {
    if s.status.is_some() {
        return;
    }
    s.status = Some(status);
    s.completed_at = Some(Instant::now());
    let _ = s.done.send(true);
}

/// A `COMPLETE` status with a failure end result.
pub(crate) fn failure_status(end_result: EndResult, interaction: Option<String>) -> SessionStatus {
    SessionStatus {
        state: SessionState::Complete,
        result: Some(SessionResult {
            end_result,
            document_number: None,
            details: interaction.map(|i| ResultDetails {
                interaction: Some(i),
            }),
        }),
        signature_protocol: None,
        signature: None,
        cert: None,
        interaction_type_used: None,
        device_ip_address: None,
        ignored_properties: None,
    }
}

/// Whether `requested` (default `QUALIFIED`) is satisfied by an account of `level`.
pub(crate) fn level_ok(level: CertificateLevel, requested: Option<CertificateLevel>) -> bool {
    level.satisfies(requested.unwrap_or(CertificateLevel::Qualified))
}
