//! # sidkit-backend
//!
//! The backend kit: everything a Rust RP backend needs to serve the app ↔
//! backend contract (`docs/openapi.yaml`, [`sidkit_contract`]) to the mobile SDK.
//!
//! [`Backend`] creates the Smart-ID session with the [`SmartIdClient`](sidkit_client::SmartIdClient), keeps the
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

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod complete;
mod config;
mod error;
mod linked;
mod outcome;
mod problem;
mod record;
mod router;
mod start;
mod store;
mod util;

#[cfg(feature = "redis-store")]
mod redis_store;

use std::sync::Arc;

pub use config::{BackendConfig, DemoPolicy, FlowPlan, FlowPolicy, SignPlan};
pub use error::{BackendError, StoreError};
pub use problem::Problem;
pub use record::{FLOW_HANDLE_PREFIX, SESSION_REF_PREFIX};
pub use router::router;
pub use store::{MemoryStore, SessionStore, Versioned};

#[cfg(feature = "redis-store")]
pub use redis_store::RedisStore;

use linked::LinkedProgress;
use problem::{internal, map_client_error, problem};
use record::{ref_key, Stage};
use sidkit_contract::{
    error_codes as codes, FlowKind, FlowOutcome, PollFlowResponse, Presentation, MAX_EXPIRES_IN_MS,
};
use sidkit_proto::models::{EndResult, FlowType, SessionState};

use sidkit_verify::CallbackCheck;

/// The backend half of the contract. Cheap to clone; see the [module documentation](self).
#[derive(Clone, Debug)]
pub struct Backend {
    cfg: Arc<BackendConfig>,
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
        Ok(Backend {
            cfg: Arc::new(config),
        })
    }

    /// The configuration.
    pub fn config(&self) -> &BackendConfig {
        &self.cfg
    }

    /// An axum router serving the contract (see [`router`]).
    pub fn router(&self) -> axum::Router {
        router(self.clone())
    }

    /// Redeems a session reference from an outcome's `appData` (one time): the verified
    /// outcome it stands for, or `None` if unknown, already redeemed or expired. The app sends
    /// it to the backend's own login endpoint, which calls this to learn who authenticated.
    pub async fn redeem_session_ref(
        &self,
        app_data: &str,
    ) -> Result<Option<FlowOutcome>, StoreError> {
        if !app_data.starts_with(SESSION_REF_PREFIX) || app_data.len() > 128 {
            return Ok(None);
        }
        match self.cfg.store.take(&ref_key(app_data)).await? {
            Some(json) => Ok(serde_json::from_str(&json).ok()),
            None => Ok(None),
        }
    }

    /// `GET /flows/{flowHandle}`: the flow's status. Pending QR flows get a QR link computed
    /// now; a finished Smart-ID session is verified (QR) or reported (App2App failures, which
    /// may come without a callback).
    pub async fn poll_flow(&self, handle: &str) -> Result<PollFlowResponse, Problem> {
        let (v, rec) = self.load(handle).await?;
        match &rec.stage {
            Stage::Done {
                outcome,
                problem: p,
                ..
            } => {
                return match (outcome, p) {
                    (Some(o), _) => Ok(PollFlowResponse::Finished {
                        outcome: o.as_ref().clone(),
                    }),
                    (None, Some(p)) => Err(p.as_ref().clone()),
                    _ => Err(internal("finished flow without a result")),
                }
            }
            Stage::Cancelled => {
                return Err(problem(codes::FLOW_NOT_FOUND, "the flow was cancelled"))
            }
            Stage::Completing { .. } => return Ok(PollFlowResponse::Pending { device_link: None }),
            Stage::Pending => {}
        }
        if Self::expired(&rec) {
            return Err(problem(codes::FLOW_EXPIRED, "the flow expired"));
        }
        if rec.kind == FlowKind::CertificateChoiceAndSignature {
            let progress = self
                .advance_linked(handle, sidkit_client::MIN_LONG_POLL)
                .await?;
            if progress == LinkedProgress::Settled {
                return Box::pin(self.poll_flow(handle)).await;
            }
            let (_, rec) = self.load(handle).await?;
            // A pending QR flow carries the current link (as for the other kinds, also after
            // the scan, while the user signs).
            let device_link = match rec.presentation {
                Presentation::Qr => Some(self.qr_link(&rec)?),
                Presentation::App2App => None,
            };
            return Ok(PollFlowResponse::Pending { device_link });
        }
        let status = self
            .cfg
            .client
            .session_status(&rec.session_id, sidkit_client::MIN_LONG_POLL)
            .await
            .map_err(map_client_error)?;
        if status.state == SessionState::Complete {
            let end = status
                .result
                .as_ref()
                .map(|r| r.end_result.clone())
                .unwrap_or(EndResult::ServerError);
            let (outcome, p) = if end != EndResult::Ok {
                let interaction = status
                    .result
                    .as_ref()
                    .and_then(|r| r.details.as_ref())
                    .and_then(|d| d.interaction.clone());
                (
                    Some(FlowOutcome::Failed {
                        end_result: end,
                        interaction,
                    }),
                    None,
                )
            } else if rec.presentation == Presentation::App2App {
                // Needs the callback: wait for the app's completion.
                return Ok(PollFlowResponse::Pending { device_link: None });
            } else {
                match self
                    .verify(&rec, &status, CallbackCheck::None, FlowType::Qr)
                    .await
                {
                    Ok(o) => (Some(o), None),
                    Err(p) => (None, Some(p)),
                }
            };
            let mut done = rec.clone();
            done.stage = Stage::Done {
                fp: None,
                outcome: outcome.clone().map(Box::new),
                problem: p.clone().map(Box::new),
            };
            if self.save(handle, v.version, &done).await? {
                if let Some(o) = &outcome {
                    self.store_session_ref(o, &rec).await;
                }
                return match (outcome, p) {
                    (Some(o), _) => Ok(PollFlowResponse::Finished { outcome: o }),
                    (_, Some(p)) => Err(p),
                    _ => Err(internal("no result")),
                };
            }
            // Another poll finished it first: answer with its result.
            return Box::pin(self.poll_flow(handle)).await;
        }
        let device_link = match rec.presentation {
            Presentation::Qr => Some(self.qr_link(&rec)?),
            Presentation::App2App => None,
        };
        Ok(PollFlowResponse::Pending { device_link })
    }

    /// Checks that `handle` names a live flow (for the QR event stream).
    pub(crate) async fn peek(&self, handle: &str) -> Result<(), Problem> {
        self.load(handle).await.map(|_| ())
    }

    /// `DELETE /flows/{flowHandle}`: the user cancelled. A pending flow is closed (its return
    /// URL will be refused); a finished one is left as it is.
    pub async fn cancel_flow(&self, handle: &str) -> Result<(), Problem> {
        let (v, rec) = self.load(handle).await?;
        if matches!(rec.stage, Stage::Pending) {
            let mut c = rec.clone();
            c.stage = Stage::Cancelled;
            let _ = self.save(handle, v.version, &c).await?;
        }
        Ok(())
    }
}
