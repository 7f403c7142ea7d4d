//! # sidkit-backend
//!
//! The backend kit: everything a Rust RP backend needs to serve the app ↔
//! backend contract (`docs/openapi.yaml`, [`sidkit_contract`]) to the mobile SDK.
//!
//! [`Backend`] creates the Smart-ID session with the [`SmartIdClient`], keeps the
//! secret-bearing state in a [`SessionStore`], builds App2App and QR device links (a fresh QR
//! link on every poll, never precomputed), checks the return URL (§7.3: token binding and
//! `sessionSecretDigest`) before it claims the flow, claims it exactly once across instances
//! (a compare-and-set in the store), polls Smart-ID, verifies the response fully
//! ([`sidkit_verify`], against an explicit trust store), and answers with the outcome.
//! [`Backend::router`] mounts it as an axum [`Router`](axum::Router).
//!
//! `certificateChoiceAndSignature` flows start a device-link certificate choice (C2); a
//! background task (and every poll or completion, on any instance) verifies the choice once it
//! ends `OK` (its callback deferred, spec §7.2), creates the linked notification signature (S5)
//! on the chosen document exactly once (a compare-and-set claim in the store), and waits for
//! it. The App2App return URL is C2's callback, checked against C2's binding; it finishes the
//! flow with S5 verified (`signed`).
//!
//! Security properties:
//! * the app receives only the opaque flow handle (144 random bits, `fh_…`), the device link,
//!   the callback base and `token_commitment(token)`; never `sessionID`, `sessionSecret`,
//!   `rpChallenge`, the digest or the callback token;
//! * the store is keyed by `SHA-256(handle)`, so a store dump does not reveal live handles;
//! * a return URL that fails the callback checks is rejected (`callback_rejected`) without
//!   touching the flow, so a forger cannot burn a legitimate flow;
//! * completion is one-shot: the first valid return URL claims the flow; the identical URL
//!   again gets the identical answer (idempotent), any other URL `callback_rejected`;
//! * after a successful completion the handle is retired: it starts, completes, polls and
//!   cancels nothing any more; only the identical completion (or a repeated poll of a QR flow)
//!   returns the same outcome until the flow expires. The outcome carries a fresh, one-time
//!   session reference in `appData` (`sr1.` + 256 random bits), which the backend redeems
//!   with [`Backend::redeem_session_ref`] to learn who authenticated.
//!
//! Errors: [`Backend::start_flow`], [`complete_flow`](Backend::complete_flow),
//! [`poll_flow`](Backend::poll_flow) and [`cancel_flow`](Backend::cancel_flow) fail with a
//! typed [`FlowError`], one variant per kind of failure, carrying its cause where there is one
//! (the [`ClientError`](sidkit_client::ClientError) of a failed RP API call, the
//! [`VerifyError`](sidkit_verify::VerifyError) of a response that failed verification, the
//! [`CallbackFailure`](sidkit_proto::CallbackFailure) of a rejected return URL, a
//! [`StoreError`], ...). The [`router`] turns it into the RFC 9457 [`Problem`] the app gets
//! (`Problem::from`, [`FlowError::problem`]; the table of codes is on [`FlowError`]). The
//! record of a finished flow keeps its problem in that form, so that every instance repeats it
//! byte for byte ([`FlowError::Recorded`]). A [`FlowPolicy`] refuses a flow with a [`Problem`]
//! of its choice ([`FlowError::Policy`]).
//! [`Backend::new`] fails with a [`BackendError`]; [`SessionStore`] operations and
//! [`Backend::redeem_session_ref`] with a [`StoreError`].
//!
//! [`SmartIdClient`]: sidkit_client::SmartIdClient

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

// The modules, along the trust boundaries. Leaves: `error` (the error types and their one
// conversion into a contract problem), `util`, `store` (and `redis_tls`, `redis_store`), `config`; `record`
// (the stored flow state and its keys), `revocation_http` and `revocation` (fetching and
// checking OCSP / CRLs); then `outcome` (verification into outcomes), `linked`
// (the certificate-choice -> signature driver), and the handlers `start`, `complete` and `poll` (declared after
// `Backend`, below); `router` on top. Each may use the ones before it, and the crate root
// only for `Backend` and the re-exports.
mod admission;
mod config;
mod encrypted_store;
mod error;
mod linked;
mod outcome;
mod record;
mod revocation;
mod revocation_http;
mod router;
mod serve;
mod store;
mod streams;
mod util;

#[cfg(feature = "redis-store")]
mod redis_store;
#[cfg(feature = "redis-store")]
mod redis_tls;

use std::sync::Arc;

pub use admission::AdmissionConfig;
pub use config::{
    BackendConfig, DemoPolicy, FlowPlan, FlowPolicy, SignPlan, VerifiedHook,
    DEFAULT_CERT_CACHE_ENTRIES, DEFAULT_QR_STREAM_LONG_POLL,
};
pub use encrypted_store::{EncryptedStore, EncryptionKey};
pub use error::{BackendError, FlowError, Problem, StoreError};
pub use record::{FLOW_HANDLE_PREFIX, SESSION_REF_PREFIX};
pub use revocation::{
    RevocationMode, RevocationPolicy, RevocationService, SK_DEMO_OCSP_URL, SK_LIVE_OCSP_URL,
};
pub use revocation_http::{HttpTransport, RevocationTransport, TransportError};
pub use router::router;
pub use serve::{serve, ServeConfig, ServeStats};
pub use store::{MemoryStore, SessionStore, Versioned, MAX_TTL};

#[cfg(feature = "redis-store")]
pub use redis_store::RedisStore;
#[cfg(feature = "redis-store")]
pub use redis_tls::RedisTls;

use sidkit_contract::MAX_EXPIRES_IN_MS;

/// The backend half of the contract. Cheap to clone; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Backend {
    cfg: Arc<BackendConfig>,
    admission: Arc<admission::Admission>,
    streams: Arc<streams::Streams>,
    status: Arc<streams::SharedStatus>,
}

impl Backend {
    /// A backend; checks the configuration (callback base, trust store, TTL).
    pub fn new(config: BackendConfig) -> Result<Self, BackendError> {
        sidkit_contract::validate_callback_base(&config.callback_base)?;
        if config.trust_store.is_empty() {
            return Err(BackendError::invalid(
                "trustStore",
                "is empty: responses cannot be verified",
            ));
        }
        let ttl = config.flow_ttl.as_millis() as u64;
        if !(1000..=MAX_EXPIRES_IN_MS).contains(&ttl) {
            return Err(BackendError::invalid(
                "flowTtl",
                format!("must be 1 s to {} ms", MAX_EXPIRES_IN_MS),
            ));
        }
        let wait = config.qr_stream_long_poll;
        if !(sidkit_client::MIN_LONG_POLL..=sidkit_client::MAX_LONG_POLL).contains(&wait)
            || !wait.as_nanos().is_multiple_of(1_000_000)
        {
            return Err(BackendError::invalid(
                "qrStreamLongPoll",
                "must be 1 s to 120 s, in whole milliseconds",
            ));
        }
        Ok(Backend {
            admission: Arc::new(admission::Admission::new(config.admission.clone())),
            streams: Arc::default(),
            status: Arc::default(),
            cfg: Arc::new(config),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BackendConfig {
        &self.cfg
    }

    /// Admission control for a start from `client` (its address, as the [`router`] sees it
    /// through [`serve`]'s `ConnectInfo`, or the address a trusted gateway forwards): takes one
    /// of the address's starts ([`AdmissionConfig::starts_per_minute`]), or
    /// [`FlowError::RateLimited`]. [`Backend::start_flow`] applies the per-instance cap on
    /// pending flows itself.
    pub fn admit(&self, client: std::net::IpAddr) -> Result<(), FlowError> {
        self.admission.admit_client(client, util::now_ms())
    }

    /// An axum router serving the contract (see [`router`]).
    pub fn router(&self) -> axum::Router {
        router(self.clone())
    }
}

// The handlers, each an `impl Backend` block, in the order of a flow's life: rustdoc lists
// their methods in this order (blank lines keep rustfmt from sorting them).
mod start;

mod complete;

mod poll;
