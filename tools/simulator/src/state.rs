//! The simulator's state: accounts, sessions, faults, callbacks; and the simulated user's
//! actions (signing, completing, calling back).

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::callback::user_challenge_of;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::env::SchemeName;
use sidkit_proto::interactions::Interactions;
use sidkit_proto::models::{
    CertificateLevel, EndResult, FlowType, HashAlgorithm, MaskGenAlgorithm, MaskGenParameters,
    ResponseCertificate, ResponseSignatureAlgorithmParameters, ResultDetails, SessionResult,
    SessionSignature, SessionState, SessionStatus, SignatureAlgorithm,
};
use sidkit_proto::secret::{random_bytes, SessionSecret};
use sidkit_testpki::TestPki;
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use crate::accounts::{Account, Outcome};
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

pub(crate) struct Inner {
    pub accounts: Vec<Account>,
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
    pub tls: Option<Arc<ServerTls>>,
    pub inner: Mutex<Inner>,
    pub callback_notify: Notify,
    pub callback_http: reqwest::Client,
    /// TCP connections accepted so far.
    pub connections: AtomicU64,
}

impl SimState {
    pub fn new(mut cfg: SimulatorConfig) -> Result<Self, SimulatorError> {
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
        let pki = TestPki::generate(&cfg.pki_name)?;
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
            accounts.push(Account::create(&pki, spec)?);
        }
        let tls = if cfg.https {
            Some(Arc::new(ServerTls::generate()?))
        } else {
            None
        };
        let callback_http = callback_client(&cfg.callbacks, tls.as_deref())?;
        Ok(SimState {
            pki,
            tls,
            inner: Mutex::new(Inner {
                accounts,
                sessions: HashMap::new(),
                tokens: HashMap::new(),
                faults: FaultQueue::default(),
                clock_offset: Duration::ZERO,
                callbacks: Vec::new(),
                callback_cursor: 0,
                idempotency: HashMap::new(),
            }),
            callback_notify: Notify::new(),
            callback_http,
            connections: AtomicU64::new(0),
            cfg,
        })
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

/// The result of the simulated user's action.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    pub status: SessionStatus,
    /// ACSP_V2 only: the verifier whose SHA-256 is `signature.userChallenge`.
    pub user_challenge_verifier: Option<String>,
}

fn random(n: usize) -> Result<Vec<u8>, String> {
    random_bytes(n)
        .map(|b| b.to_vec())
        .map_err(|e| e.to_string())
}

fn pss_parameters(h: HashAlgorithm) -> ResponseSignatureAlgorithmParameters {
    ResponseSignatureAlgorithmParameters {
        hash_algorithm: Some(h.as_str().to_owned()),
        mask_gen_algorithm: Some(MaskGenAlgorithm {
            algorithm: "id-mgf1".to_owned(),
            parameters: Some(MaskGenParameters {
                hash_algorithm: h.as_str().to_owned(),
            }),
        }),
        salt_length: Some(h.output_len() as u32),
        trailer_field: Some("0xbc".to_owned()),
    }
}

fn legacy_hash(alg: SignatureAlgorithm) -> HashAlgorithm {
    match alg {
        SignatureAlgorithm::Sha256WithRsaEncryption => HashAlgorithm::Sha256,
        SignatureAlgorithm::Sha384WithRsaEncryption => HashAlgorithm::Sha384,
        _ => HashAlgorithm::Sha512,
    }
}

/// What the simulated app and server produce when `account`'s user acts on `data` through
/// `flow_type` with `outcome`.
pub(crate) fn complete_with(
    data: &SessionData,
    account: &Account,
    outcome: &Outcome,
    flow_type: FlowType,
    scheme: SchemeName,
) -> Result<Completion, String> {
    if *outcome != Outcome::Ok {
        let interaction = match outcome {
            Outcome::UserRefusedInteraction(i) => Some(i.clone().unwrap_or_else(|| {
                data.interactions
                    .as_ref()
                    .and_then(|l| l.list().first())
                    .map_or("displayTextAndPIN", |i| i.kind().as_str())
                    .to_owned()
            })),
            _ => None,
        };
        return Ok(Completion {
            status: failure_status(outcome.end_result(), interaction),
            user_challenge_verifier: None,
        });
    }
    let level = account.spec.level.as_str().to_owned();
    let result = Some(SessionResult {
        end_result: EndResult::Ok,
        document_number: Some(account.spec.document_number.clone()),
        details: None,
    });
    let interaction_used = data
        .interactions
        .as_ref()
        .and_then(|l| l.list().first())
        .map(|i| i.kind().as_str().to_owned());
    let device_ip = data.share_ip.then(|| "127.0.0.1".to_owned());
    match data.session_type {
        SessionType::Auth => {
            let interactions = data
                .interactions
                .as_ref()
                .ok_or("authentication session without interactions")?;
            let used = interaction_used.clone().unwrap_or_default();
            let hash = data.hash_algorithm.unwrap_or(HashAlgorithm::Sha512);
            let server_random = b64::encode_std(&random(24)?);
            let verifier = b64::encode_url(&random(32)?);
            let user_challenge = user_challenge_of(&verifier);
            let payload = AcspV2Payload {
                scheme_name: scheme,
                server_random: &server_random,
                rp_challenge: &data.rp_challenge_or_digest,
                user_challenge: &user_challenge,
                relying_party_name: &data.rp_name,
                brokered_rp_name: None,
                interactions: interactions.as_base64(),
                interaction_type_used: &used,
                initial_callback_url: data.initial_callback_url.as_deref(),
                flow_type: flow_type.as_str(),
            }
            .to_bytes();
            let sig = account
                .auth
                .sign_pss(hash, &payload)
                .map_err(|e| e.to_string())?;
            Ok(Completion {
                status: SessionStatus {
                    state: SessionState::Complete,
                    result,
                    signature_protocol: Some("ACSP_V2".to_owned()),
                    signature: Some(SessionSignature {
                        value: Some(b64::encode_std(&sig)),
                        server_random: Some(server_random),
                        user_challenge: Some(user_challenge),
                        flow_type: Some(flow_type.as_str().to_owned()),
                        signature_algorithm: Some("rsassa-pss".to_owned()),
                        signature_algorithm_parameters: Some(pss_parameters(hash)),
                    }),
                    cert: Some(ResponseCertificate {
                        value: account.auth.cert_base64(),
                        certificate_level: level,
                    }),
                    interaction_type_used: Some(used),
                    device_ip_address: device_ip,
                    ignored_properties: None,
                },
                user_challenge_verifier: Some(verifier),
            })
        }
        SessionType::Sign => {
            let digest = b64::decode_std("digest", &data.rp_challenge_or_digest)
                .map_err(|e| e.to_string())?;
            let alg = data
                .signature_algorithm
                .unwrap_or(SignatureAlgorithm::RsassaPss);
            let (sig, params) = if alg == SignatureAlgorithm::RsassaPss {
                let h = data.hash_algorithm.unwrap_or(HashAlgorithm::Sha512);
                let s = account.sign.sign_pss_prehashed(h, &digest);
                (s, Some(pss_parameters(h)))
            } else {
                let s = account
                    .sign
                    .sign_pkcs1v15_prehashed(legacy_hash(alg), &digest);
                (s, None)
            };
            let sig = sig.map_err(|e| e.to_string())?;
            Ok(Completion {
                status: SessionStatus {
                    state: SessionState::Complete,
                    result,
                    signature_protocol: Some("RAW_DIGEST_SIGNATURE".to_owned()),
                    signature: Some(SessionSignature {
                        value: Some(b64::encode_std(&sig)),
                        flow_type: Some(flow_type.as_str().to_owned()),
                        signature_algorithm: Some(alg.as_str().to_owned()),
                        signature_algorithm_parameters: params,
                        ..Default::default()
                    }),
                    cert: Some(ResponseCertificate {
                        value: account.sign.cert_base64(),
                        certificate_level: level,
                    }),
                    interaction_type_used: interaction_used,
                    device_ip_address: device_ip,
                    ignored_properties: None,
                },
                user_challenge_verifier: None,
            })
        }
        SessionType::Cert => Ok(Completion {
            status: SessionStatus {
                state: SessionState::Complete,
                result,
                signature_protocol: None,
                signature: Some(SessionSignature {
                    flow_type: Some(flow_type.as_str().to_owned()),
                    ..Default::default()
                }),
                cert: Some(ResponseCertificate {
                    value: account.sign.cert_base64(),
                    certificate_level: level,
                }),
                interaction_type_used: None,
                device_ip_address: device_ip,
                ignored_properties: None,
            },
            user_challenge_verifier: None,
        }),
    }
}

/// `initialCallbackUrl&sessionSecretDigest=…[&userChallengeVerifier=…]`.
pub(crate) fn callback_url(
    initial: &str,
    secret: &SessionSecret,
    verifier: Option<&str>,
) -> String {
    let sep = if initial.contains('?') { '&' } else { '?' };
    let mut url = format!(
        "{initial}{sep}sessionSecretDigest={}",
        secret.digest().to_base64url()
    );
    if let Some(v) = verifier {
        url.push_str("&userChallengeVerifier=");
        url.push_str(v);
    }
    url
}

/// Whether `requested` (default `QUALIFIED`) is satisfied by an account of `level`.
pub(crate) fn level_ok(level: CertificateLevel, requested: Option<CertificateLevel>) -> bool {
    level.satisfies(requested.unwrap_or(CertificateLevel::Qualified))
}

/// Completes a notification or linked session after the user's delay.
pub(crate) fn spawn_user(state: Arc<SimState>, session_id: String, delay: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        user_acts(&state, &session_id).await;
    });
}

async fn user_acts(state: &Arc<SimState>, session_id: &str) {
    let (data, account, linked_flow) = {
        let inner = state.lock();
        let Some(s) = inner.sessions.get(session_id) else {
            return;
        };
        if s.status.is_some() {
            return;
        }
        let Some(account) = s.data.account.as_deref().and_then(|d| inner.account(d)) else {
            return;
        };
        // A linked signature happens in the app that made the certificate choice.
        let linked_flow = s
            .data
            .linked_from
            .as_deref()
            .and_then(|c| inner.sessions.get(c))
            .and_then(|c| c.status.as_ref())
            .and_then(|st| st.signature.as_ref())
            .and_then(|sig| sig.flow());
        (s.data.clone(), account.clone(), linked_flow)
    };
    let flow_type = linked_flow.unwrap_or(FlowType::Notification);
    let completion = complete_with(
        &data,
        &account,
        &account.spec.outcome,
        flow_type,
        state.cfg.scheme_name,
    )
    .unwrap_or_else(|_| Completion {
        status: failure_status(EndResult::ServerError, None),
        user_challenge_verifier: None,
    });
    let ok = completion.status.end_result() == Some(&EndResult::Ok);
    let pending = {
        let mut inner = state.lock();
        if let Some(s) = inner.sessions.get_mut(session_id) {
            complete_locked(s, completion.status);
        }
        // The certificate choice's callback opens once the linked signature is done.
        match data.linked_from.as_deref() {
            Some(c) if ok || state.cfg.callback_on_failure => inner
                .sessions
                .get_mut(c)
                .and_then(|c| c.pending_callback.take()),
            _ => None,
        }
    };
    if let Some(p) = pending {
        state.deliver_callback(p.event).await;
    }
}

fn callback_client(
    mode: &CallbackMode,
    tls: Option<&ServerTls>,
) -> Result<reqwest::Client, SimulatorError> {
    let mut roots = rustls::RootCertStore::empty();
    let mut pems: Vec<String> = tls.map(|t| vec![t.ca_pem()]).unwrap_or_default();
    if let CallbackMode::HttpGet { extra_ca_pem, .. } = mode {
        pems.extend(extra_ca_pem.iter().cloned());
    }
    use rustls::pki_types::pem::PemObject;
    for pem in &pems {
        for cert in rustls::pki_types::CertificateDer::pem_slice_iter(pem.as_bytes()) {
            let cert = cert.map_err(|e| SimulatorError::Tls(format!("callback CA: {e}")))?;
            roots
                .add(cert)
                .map_err(|e| SimulatorError::Tls(format!("callback CA: {e}")))?;
        }
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut builder = reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    if !roots.is_empty() {
        let tls = rustls::ClientConfig::builder_with_provider(provider)
            .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
            .map_err(|e| SimulatorError::Tls(e.to_string()))?
            .with_root_certificates(roots)
            .with_no_client_auth();
        builder = builder.use_preconfigured_tls(tls);
    }
    builder
        .build()
        .map_err(|e| SimulatorError::Tls(format!("callback client: {e}")))
}

async fn http_get_callback(
    client: &reqwest::Client,
    event: &CallbackEvent,
    plain_http: bool,
) -> Result<u16, String> {
    let url =
        sidkit_proto::url::parse_https("callbackUrl", &event.url).map_err(|e| e.to_string())?;
    let host = url.host.to_ascii_lowercase();
    if !matches!(host.as_str(), "127.0.0.1" | "localhost" | "[::1]") {
        return Err(format!(
            "not delivered: {host} is not a loopback host (the simulator only calls loopback)"
        ));
    }
    let target = if plain_http {
        format!("http://{}", &event.url["https://".len()..])
    } else {
        event.url.clone()
    };
    let mut req = client.get(target);
    if let Some(c) = &event.browser_cookie {
        req = req.header(reqwest::header::COOKIE, c);
    }
    req.send()
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| e.without_url().to_string())
}

/// A random UUID v4 (the `sessionID`).
pub(crate) fn new_session_id() -> Result<String, String> {
    let mut b = random(16)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A random `sessionToken`: 24 characters of `A-Z a-z 0-9` (uniform, by rejection sampling).
pub(crate) fn new_session_token() -> Result<String, String> {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(24);
    while out.len() < 24 {
        for b in random(32)? {
            if b < 248 && out.len() < 24 {
                out.push(ALNUM[usize::from(b % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// A random `sessionSecret` (32 bytes).
pub(crate) fn new_session_secret() -> Result<SessionSecret, String> {
    SessionSecret::from_base64(&b64::encode_std(&random(32)?)).map_err(|e| e.to_string())
}

/// A random four-digit verification code (notification signing).
pub(crate) fn new_vc() -> Result<String, String> {
    let b = random(2)?;
    Ok(format!("{:04}", u16::from_be_bytes([b[0], b[1]]) % 10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identifiers_have_the_protocol_formats() {
        for _ in 0..50 {
            let id = new_session_id().unwrap();
            sidkit_proto::validate::uuid("sessionID", &id).unwrap();
            assert_eq!(&id[14..15], "4");
            let t = new_session_token().unwrap();
            sidkit_proto::validate::session_token(&t).unwrap();
            assert_eq!(t.len(), 24);
            assert_eq!(new_session_secret().unwrap().expose_bytes().len(), 32);
            let vc = new_vc().unwrap();
            assert!(vc.len() == 4 && vc.bytes().all(|c| c.is_ascii_digit()));
        }
    }

    #[test]
    fn callback_url_shape() {
        let secret =
            SessionSecret::from_base64("B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=").unwrap();
        assert_eq!(
            callback_url("https://rp.example.com/cb?value=x", &secret, Some("v")),
            "https://rp.example.com/cb?value=x&sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc&userChallengeVerifier=v"
        );
    }
}
