//! The RP's configuration of a [`Backend`](crate::Backend): [`BackendConfig`] (client,
//! relying party, trust store, callback base, store, policy, timings) and the per-flow
//! decisions of a [`FlowPolicy`] ([`FlowPlan`], [`SignPlan`]), with the [`DemoPolicy`] for
//! demos and tests.

use crate::admission::AdmissionConfig;
use std::sync::Arc;
use std::time::Duration;

use sha2::{Digest as _, Sha256};
use sidkit_client::SmartIdClient;
use sidkit_contract::{FlowKind, StartFlowRequest};
use sidkit_proto::env::RelyingParty;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::{CertificateLevel, HashAlgorithm, Subject};
use sidkit_proto::ProtoError;
use sidkit_verify::{TrustStore, VerifiedCertCache, VerifiedCertificate};

use crate::error::{FlowError, Problem};
use crate::revocation::RevocationService;
use crate::store::{MemoryStore, SessionStore};

/// What the backend asks Smart-ID for, decided by the RP's [`FlowPolicy`] for each start.
#[derive(Debug, Clone)]
pub struct FlowPlan {
    /// Who: `Anonymous` for authentication of an unknown user, or the person / account.
    /// Signatures need a known person or account.
    pub subject: Subject,
    /// What the Smart-ID app shows (a device-link interaction list).
    pub interactions: Interactions,
    /// Requested certificate level (default `QUALIFIED`).
    pub certificate_level: Option<CertificateLevel>,
    /// For signature flows: what to sign.
    pub sign: Option<SignPlan>,
}

/// The data of a signature flow.
#[derive(Debug, Clone)]
pub struct SignPlan {
    /// The hash of the data to be signed.
    pub digest: Vec<u8>,
    /// The algorithm that produced `digest`.
    pub hash_algorithm: HashAlgorithm,
}

/// The RP's decisions for each flow an app starts: who is asked, what is shown, what is signed.
/// The app sends only an opaque `context`; the policy resolves it (e.g. the document to sign and
/// the signer known from the app's login) and may refuse with a [`Problem`]: one with a
/// contract code (`FlowError::BadRequest { detail }.problem()`, see [`FlowError::problem`], or
/// [`ErrorBody::new`](sidkit_contract::ErrorBody::new)) or any problem of the RP's own.
/// [`Backend::start_flow`](crate::Backend::start_flow) fails with it as
/// [`FlowError::Policy`], and the router answers it unchanged.
pub trait FlowPolicy: Send + Sync + 'static {
    /// The plan for `request`, or the problem to answer with.
    fn plan(&self, request: &StartFlowRequest) -> Result<FlowPlan, Problem>;
}

/// A policy for demos and tests: anonymous authentication; signatures by the account whose
/// document number is the `context` (e.g. `PNOEE-40404040009-MOCK-Q`), over SHA-256 of
/// `"sidkit demo document for <context>"`; certificate choice and signature by whoever picks a
/// certificate, over SHA-256 of `"sidkit demo document for <context>"` (`context` optional,
/// default `the chosen certificate`). Real backends resolve the signer and the document from
/// their own session instead.
#[derive(Debug, Clone)]
pub struct DemoPolicy {
    /// The text shown in the Smart-ID app (at most 60 characters).
    pub display_text: String,
}

impl Default for DemoPolicy {
    fn default() -> Self {
        DemoPolicy {
            display_text: "Log in to the sidkit demo".to_owned(),
        }
    }
}

impl FlowPolicy for DemoPolicy {
    fn plan(&self, request: &StartFlowRequest) -> Result<FlowPlan, Problem> {
        let bad = |e: ProtoError| FlowError::Invalid(e).problem();
        let text = match request.kind {
            FlowKind::Authentication => self.display_text.clone(),
            _ => "Sign the sidkit demo document".to_owned(),
        };
        let interactions = Interactions::new(
            InteractionFlow::DeviceLink,
            vec![Interaction::display_text_and_pin(text).map_err(bad)?],
        )
        .map_err(bad)?;
        match request.kind {
            FlowKind::Authentication => Ok(FlowPlan {
                subject: Subject::Anonymous,
                interactions,
                certificate_level: None,
                sign: None,
            }),
            FlowKind::Signature => {
                let Some(ctx) = &request.context else {
                    return Err(FlowError::bad_request(
                        "a signature flow needs the signer's document number as context",
                    )
                    .problem());
                };
                let doc = DocumentNumber::new(ctx.as_str()).map_err(bad)?;
                let digest = Sha256::digest(format!("sidkit demo document for {ctx}")).to_vec();
                Ok(FlowPlan {
                    subject: Subject::Document(doc),
                    interactions,
                    certificate_level: None,
                    sign: Some(SignPlan {
                        digest,
                        hash_algorithm: HashAlgorithm::Sha256,
                    }),
                })
            }
            FlowKind::CertificateChoiceAndSignature => {
                // The signer is whoever picks a certificate; the document is the RP's choice.
                let what = request
                    .context
                    .as_deref()
                    .unwrap_or("the chosen certificate");
                let digest = Sha256::digest(format!("sidkit demo document for {what}")).to_vec();
                Ok(FlowPlan {
                    subject: Subject::Anonymous,
                    interactions,
                    certificate_level: None,
                    sign: Some(SignPlan {
                        digest,
                        hash_algorithm: HashAlgorithm::Sha256,
                    }),
                })
            }
        }
    }
}

/// Called with the verified certificate of every successful verification, after revocation
/// checking (when on): for an audit log of how each certificate's status was established
/// ([`VerifiedCertificate::revocation_checked`], [`VerifiedCertificate::revocation`]). Keep
/// it short; it runs in the completing request.
pub type VerifiedHook = Arc<dyn Fn(FlowKind, &VerifiedCertificate) + Send + Sync>;

/// Everything a [`Backend`](crate::Backend) needs.
#[derive(Clone)]
pub struct BackendConfig {
    /// The RP API client.
    pub client: SmartIdClient,
    /// `relyingPartyUUID` and `relyingPartyName`.
    pub relying_party: RelyingParty,
    /// The CA certificates Smart-ID user certificates must chain to.
    pub trust_store: Arc<TrustStore>,
    /// The app's App2App callback base (its App Link / Universal Link); the backend appends
    /// `?value=<token>` per session. Must equal the mobile SDK's configured callback base.
    pub callback_base: String,
    /// Where flows live.
    pub store: Arc<dyn SessionStore>,
    /// Who is asked and what is shown or signed.
    pub policy: Arc<dyn FlowPolicy>,
    /// How long a flow stays open (default 5 minutes; at most 30 minutes).
    pub flow_ttl: Duration,
    /// How long a completion waits for the Smart-ID session to end (default 30 s).
    pub completion_timeout: Duration,
    /// The limits on starting flows (per client address and per instance).
    pub admission: AdmissionConfig,
    /// How long a completion's claim holds (default 15 s). The claim is taken after the Smart-ID
    /// status is fetched, so the claimer only verifies and records; if it has not recorded a
    /// result when the lease runs out (the instance died after the claim), the identical
    /// completion on any instance takes the claim over and finishes the verification. Starts
    /// hold their `Idempotency-Key` for as long: a retry of a start whose instance died takes
    /// it over after the lease (a start still running then loses it and answers
    /// `unavailable`, so that its client's retry gets the one flow). Keep it above the RP API
    /// client's request timeout.
    pub claim_lease: Duration,
    /// Revocation checking of the user certificate's chain (OCSP / CRL), done after the rest
    /// of the response verified. `None` (the default): not checked, outcomes are verified
    /// without it (see [`RevocationService`]).
    pub revocation: Option<Arc<RevocationService>>,
    /// Verified user certificate chains reused across sessions, so that a repeat login costs
    /// the signature check only (see [`VerifiedCertCache`]; every request-dependent check still
    /// runs). Default: [`DEFAULT_CERT_CACHE_ENTRIES`] certificates for at most an hour;
    /// `None` verifies every chain in full.
    pub cert_cache: Option<Arc<VerifiedCertCache>>,
    /// Called after every successful verification (see [`VerifiedHook`]); `None` by default.
    pub on_verified: Option<VerifiedHook>,
    /// How long a QR event stream's status check waits on Smart-ID (`timeoutMs` of its long
    /// poll; 1–120 s, default [`DEFAULT_QR_STREAM_LONG_POLL`]). The stream's per-second links
    /// come from the stored flow and never wait for it, and a long poll answers as soon as the
    /// session ends, so a longer wait costs no latency: it only divides the upstream status
    /// calls per open stream (one per `qr_stream_long_poll` instead of one a second). Keep it
    /// below the idle timeout of any proxy between the backend and Smart-ID.
    pub qr_stream_long_poll: Duration,
}

/// The default [`BackendConfig::qr_stream_long_poll`]: 10 s.
pub const DEFAULT_QR_STREAM_LONG_POLL: Duration = Duration::from_secs(10);

/// How many verified user certificates a [`BackendConfig`] caches by default.
pub const DEFAULT_CERT_CACHE_ENTRIES: usize = 1024;

impl std::fmt::Debug for BackendConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BackendConfig")
            .field("relying_party", &self.relying_party.name)
            .field("callback_base", &self.callback_base)
            .field("flow_ttl", &self.flow_ttl)
            .field("admission", &self.admission)
            .finish_non_exhaustive()
    }
}

impl BackendConfig {
    /// A configuration with an in-memory store, the [`DemoPolicy`] and default timings.
    pub fn new(
        client: SmartIdClient,
        relying_party: RelyingParty,
        trust_store: TrustStore,
        callback_base: impl Into<String>,
    ) -> Self {
        BackendConfig {
            client,
            relying_party,
            trust_store: Arc::new(trust_store),
            callback_base: callback_base.into(),
            store: Arc::new(MemoryStore::new()),
            policy: Arc::new(DemoPolicy::default()),
            flow_ttl: Duration::from_secs(300),
            completion_timeout: Duration::from_secs(30),
            admission: AdmissionConfig::default(),
            claim_lease: Duration::from_secs(15),
            revocation: None,
            cert_cache: Some(Arc::new(VerifiedCertCache::new(DEFAULT_CERT_CACHE_ENTRIES))),
            on_verified: None,
            qr_stream_long_poll: DEFAULT_QR_STREAM_LONG_POLL,
        }
    }

    /// Uses `wait` as the QR event streams' long poll (see
    /// [`BackendConfig::qr_stream_long_poll`]; [`Backend::new`](crate::Backend::new) refuses
    /// values outside 1–120 s).
    pub fn with_qr_stream_long_poll(mut self, wait: Duration) -> Self {
        self.qr_stream_long_poll = wait;
        self
    }

    /// Uses `cache` for verified certificate chains (`None`: no cache).
    pub fn with_cert_cache(mut self, cache: Option<Arc<VerifiedCertCache>>) -> Self {
        self.cert_cache = cache;
        self
    }

    /// Uses `lease` for completion claims (see [`BackendConfig::claim_lease`]).
    pub fn with_claim_lease(mut self, lease: Duration) -> Self {
        self.claim_lease = lease;
        self
    }

    /// Uses the admission limits `admission`.
    pub fn with_admission(mut self, admission: AdmissionConfig) -> Self {
        self.admission = admission;
        self
    }

    /// Checks revocation with `service` (a [`RevocationService`] with a policy whose mode is
    /// [`RevocationMode::Off`](crate::RevocationMode::Off) checks nothing).
    pub fn with_revocation(mut self, service: Arc<RevocationService>) -> Self {
        self.revocation = Some(service);
        self
    }

    /// Calls `hook` after every successful verification (see [`VerifiedHook`]).
    pub fn with_on_verified(mut self, hook: VerifiedHook) -> Self {
        self.on_verified = Some(hook);
        self
    }

    /// Uses `store`.
    pub fn with_store(mut self, store: Arc<dyn SessionStore>) -> Self {
        self.store = store;
        self
    }

    /// Uses `policy`.
    pub fn with_policy(mut self, policy: Arc<dyn FlowPolicy>) -> Self {
        self.policy = policy;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A configuration with `trust`, against a Smart-ID that is never called.
    fn config(trust: TrustStore) -> BackendConfig {
        let env = sidkit_proto::env::Environment::custom(
            "test",
            "http://127.0.0.1:9/",
            sidkit_proto::env::SchemeName::SmartIdDemo,
            vec![],
        )
        .unwrap();
        let client = SmartIdClient::new(sidkit_client::ClientConfig::new(env)).unwrap();
        BackendConfig::new(
            client,
            RelyingParty::demo(),
            trust,
            "https://rp.example.com/callback",
        )
    }

    #[test]
    fn a_certificate_cache_is_on_by_default() {
        let cfg = config(TrustStore::new());
        let cache = cfg.cert_cache.as_ref().map(|c| c.capacity());
        assert_eq!(cache, Some(DEFAULT_CERT_CACHE_ENTRIES));
        assert!(cfg.with_cert_cache(None).cert_cache.is_none());
    }

    #[test]
    fn the_qr_stream_long_poll_is_what_the_rp_api_accepts() {
        let cfg = config(TrustStore::sk_demo().unwrap());
        assert_eq!(cfg.qr_stream_long_poll, DEFAULT_QR_STREAM_LONG_POLL);
        for ms in [1_000, 10_000, 120_000] {
            let c = cfg
                .clone()
                .with_qr_stream_long_poll(Duration::from_millis(ms));
            assert!(crate::Backend::new(c).is_ok(), "{ms} ms");
        }
        for wait in [
            Duration::from_millis(999),
            Duration::from_millis(120_001),
            Duration::from_micros(1_500_500),
            Duration::ZERO,
        ] {
            let c = cfg.clone().with_qr_stream_long_poll(wait);
            let Err(e) = crate::Backend::new(c) else {
                panic!("{wait:?} accepted");
            };
            assert!(e.to_string().contains("qrStreamLongPoll"), "{e}");
        }
    }
}
