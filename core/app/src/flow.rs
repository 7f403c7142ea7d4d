//! The sans-IO state machine of one mobile Smart-ID flow.
//!
//! Longer than 600 lines because it is one state machine: its transitions (start, launch,
//! return, complete, poll, cancel, deadline, snapshot) share one state and read best together.
//! Its configuration (`config`), errors (`error`) and states (`state`) live in their own modules.
//!
//! [`Flow`] does no I/O and reads no clock: every method takes the current time as Unix
//! milliseconds and returns the request to send, or takes the answer (or failure) of the app's
//! transport. The UniFFI layer drives it with the app's transport; tests drive it directly.
//!
//! ```text
//!             begin_start                on_start_response (link checked)
//!   Created ─────────────▶ Starting ───────────────────────────────▶ ReadyToLaunch ──mark_launched──▶ AwaitingReturn
//!      ▲                      │  └─────────────────────────────────▶ ShowingQr (QR)        │               │
//!      └──on_start_error──────┘             (QR: poll → next link)        │               │ accept_return_url
//!         (retryable)                                                     │               ▼
//!                                                              poll: finished          Completing ──on_complete_response──▶ Finished
//!                                                                     └───────────────────────────────────────────────────▶ Finished
//!   any non-terminal state ──cancel──▶ Cancelled       ──deadline──▶ Expired       ──fatal error──▶ Failed
//! ```

use std::fmt;

use crate::config::{FlowConfig, FlowSpec};
use crate::error::{AppError, Result};
use crate::error::{FlowFailure, LinkRejection, RouteRejection};
use crate::router::ReturnUrl;
use crate::snapshot::{FlowSnapshot, SnapshotStage};
use crate::state::FlowState;
use sidkit_contract::{
    decode_commitment, validate_context, CancelFlowRequest, CompleteFlowRequest, FlowKey, FlowKind,
    FlowOutcome, PollFlowRequest, PollFlowResponse, Presentation, StartFlowRequest,
    StartFlowResponse,
};
use sidkit_proto::b64;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::secret::{ct_eq, random_bytes};

/// What the app does after a successful start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NextStep {
    /// Open this App2App link (Android `ACTION_VIEW`, iOS `UIApplication.open`), then call
    /// [`Flow::mark_launched`].
    LaunchApp {
        /// The checked device link.
        device_link: String,
    },
    /// Show this link as a QR code and poll for the next one every second.
    ShowQr {
        /// The checked QR device link.
        device_link: String,
    },
}

/// What to do with a return URL that matched this flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReturnDisposition {
    /// Send this to the backend.
    Complete(CompleteFlowRequest),
    /// The same URL is already with the backend; wait for that call to finish.
    InFlight,
    /// The same URL already completed the flow; this is its outcome.
    AlreadyFinished(FlowOutcome),
}

/// What to do for a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollDisposition {
    /// Send this to the backend.
    Send(PollFlowRequest),
    /// A completion is in flight; wait for it instead.
    AwaitCompletion,
    /// The flow is already finished with this outcome.
    Finished(FlowOutcome),
}

/// The result of a poll.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PollProgress {
    /// Still running. For QR flows the link to show now; for App2App the link to relaunch if
    /// the user wants to go back to Smart-ID.
    Waiting {
        /// The current device link.
        device_link: String,
    },
    /// The flow is over.
    Finished(FlowOutcome),
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Session {
    handle: String,
    session_type: SessionType,
    device_link: String,
    link_base: String,
    session_token: String,
    elapsed_seconds: Option<u64>,
    commitment: Option<[u8; 32]>,
}

/// One mobile Smart-ID flow. See the [module documentation](self) for the state diagram.
#[derive(Debug)]
pub struct Flow {
    config: FlowConfig,
    id: String,
    spec: FlowSpec,
    idempotency_key: String,
    flow_key: FlowKey,
    created_at_ms: u64,
    deadline_ms: u64,
    state: FlowState,
    session: Option<Session>,
    return_fingerprint: Option<[u8; 32]>,
    outcome: Option<FlowOutcome>,
    failure: Option<AppError>,
    polling: bool,
}

fn random_id() -> Result<String> {
    Ok(b64::encode_url(&random_bytes(16)?))
}

fn bad_response(why: impl fmt::Display) -> AppError {
    FlowFailure::BadResponse(why.to_string()).into()
}

impl Flow {
    /// A new flow in state [`FlowState::Created`], with a random local id, idempotency key and
    /// [`FlowKey`] (256 bits from the OS CSPRNG; only its challenge goes to the backend in the
    /// start request, the key itself in every later request).
    pub fn new(config: FlowConfig, spec: FlowSpec, now_ms: u64) -> Result<Self> {
        sidkit_proto::validate::lang(&spec.lang)?;
        if let Some(c) = &spec.context {
            validate_context(c)?;
        }
        let deadline_ms = now_ms.saturating_add(config.max_duration_ms());
        Ok(Flow {
            config,
            id: random_id()?,
            spec,
            idempotency_key: random_id()?,
            flow_key: FlowKey::generate()?,
            created_at_ms: now_ms,
            deadline_ms,
            state: FlowState::Created,
            session: None,
            return_fingerprint: None,
            outcome: None,
            failure: None,
            polling: false,
        })
    }

    /// The local id of the flow (random, stable across snapshots).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The flow's kind.
    pub fn kind(&self) -> FlowKind {
        self.spec.kind
    }

    /// App2App or QR.
    pub fn presentation(&self) -> Presentation {
        self.spec.presentation
    }

    /// The current state.
    pub fn state(&self) -> FlowState {
        self.state
    }

    /// The Smart-ID session type, once started.
    pub fn session_type(&self) -> Option<SessionType> {
        self.session.as_ref().map(|s| s.session_type)
    }

    /// The backend's handle of the flow, once started.
    pub fn flow_handle(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.handle.as_str())
    }

    /// The flow key: send [`FlowKey::expose`] as the `Sidkit-Flow-Key` header
    /// ([`FLOW_KEY_HEADER`](sidkit_contract::FLOW_KEY_HEADER)) of every request on the flow
    /// after the start (complete, poll, cancel, the QR stream), and nowhere else.
    pub fn flow_key(&self) -> &FlowKey {
        &self.flow_key
    }

    /// The current device link (App2App link, or the latest QR link), once started.
    pub fn device_link(&self) -> Option<&str> {
        self.session.as_ref().map(|s| s.device_link.as_str())
    }

    /// The commitment to the callback token (App2App flows, once started).
    pub fn commitment(&self) -> Option<&[u8; 32]> {
        self.session.as_ref().and_then(|s| s.commitment.as_ref())
    }

    /// The outcome, once finished.
    pub fn outcome(&self) -> Option<&FlowOutcome> {
        self.outcome.as_ref()
    }

    /// The error that ended the flow, in state [`FlowState::Failed`].
    pub fn failure(&self) -> Option<&AppError> {
        self.failure.as_ref()
    }

    /// When the flow was created (Unix ms).
    pub fn created_at_ms(&self) -> u64 {
        self.created_at_ms
    }

    /// The overall deadline (Unix ms).
    pub fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// Milliseconds left until the deadline (0 when passed).
    pub fn remaining_ms(&self, now_ms: u64) -> u64 {
        self.deadline_ms.saturating_sub(now_ms)
    }

    /// The configuration the flow runs with.
    pub fn config(&self) -> &FlowConfig {
        &self.config
    }

    /// Moves a non-terminal flow whose deadline has passed to [`FlowState::Expired`]. Returns
    /// the state afterwards. Call it from a timer or when the app comes to the foreground.
    pub fn tick(&mut self, now_ms: u64) -> FlowState {
        if !self.state.is_terminal() && now_ms >= self.deadline_ms {
            self.state = FlowState::Expired;
            self.polling = false;
        }
        self.state
    }

    /// The error for `operation` in the current state: [`FlowFailure::Cancelled`],
    /// [`FlowFailure::Expired`] or [`FlowFailure::InvalidState`].
    pub fn state_error(&self, operation: &'static str) -> AppError {
        match self.state {
            FlowState::Cancelled => FlowFailure::Cancelled.into(),
            FlowState::Expired => FlowFailure::Expired.into(),
            state => FlowFailure::InvalidState { state, operation }.into(),
        }
    }

    /// Ends the flow with an error; `make` builds the error (stored and returned).
    fn fail(&mut self, make: impl Fn() -> AppError) -> AppError {
        self.state = FlowState::Failed;
        self.polling = false;
        self.failure = Some(make());
        make()
    }

    /// `Created` → `Starting`: the request to send to the backend. After a retryable failure
    /// the flow is `Created` again and the retry carries the same idempotency key.
    pub fn begin_start(&mut self, now_ms: u64) -> Result<StartFlowRequest> {
        self.tick(now_ms);
        match self.state {
            FlowState::Created => {}
            FlowState::Starting => return Err(FlowFailure::Busy("start").into()),
            _ => return Err(self.state_error("start")),
        }
        self.state = FlowState::Starting;
        Ok(StartFlowRequest {
            kind: self.spec.kind,
            presentation: self.spec.presentation,
            lang: self.spec.lang.clone(),
            context: self.spec.context.clone(),
            idempotency_key: self.idempotency_key.clone(),
            flow_key_challenge: Some(self.flow_key.challenge()),
        })
    }

    /// `Starting` → `ReadyToLaunch` / `ShowingQr`: checks the backend's answer (shape, session
    /// type, the device link against the allow-list, the callback base and commitment) and
    /// tells the app what to do. Any violation ends the flow in `Failed`.
    pub fn on_start_response(&mut self, resp: StartFlowResponse, now_ms: u64) -> Result<NextStep> {
        if self.state != FlowState::Starting {
            return Err(self.state_error("accept a start response for"));
        }
        if let Err(e) = resp.validate() {
            let msg = e.to_string();
            return Err(self.fail(|| bad_response(&msg)));
        }
        let expected = self.spec.kind.session_type();
        if resp.session_type != expected {
            let msg = format!(
                "sessionType {} does not fit a {} flow (expected {expected})",
                resp.session_type, self.spec.kind
            );
            return Err(self.fail(|| bad_response(&msg)));
        }
        let link_type = self.spec.presentation.link_type();
        let parsed = match self
            .config
            .link_policy()
            .check(&resp.device_link, link_type, expected)
        {
            Ok(p) => p,
            Err(r) => return Err(self.fail(|| AppError::LinkRejected(r.clone()))),
        };
        let commitment = match self.spec.presentation {
            Presentation::App2App => {
                let (Some(base), Some(c)) = (&resp.callback_base, &resp.callback_commitment) else {
                    return Err(self.fail(|| {
                        bad_response("App2App flows need callbackBase and callbackCommitment")
                    }));
                };
                if base != self.config.callback_base().as_str() {
                    let msg = format!(
                        "the backend's callback base `{base}` is not the app's `{}`",
                        self.config.callback_base().as_str()
                    );
                    return Err(self.fail(|| bad_response(&msg)));
                }
                match decode_commitment(c) {
                    Ok(c) => Some(c),
                    Err(e) => {
                        let msg = e.to_string();
                        return Err(self.fail(|| bad_response(&msg)));
                    }
                }
            }
            Presentation::Qr => {
                if resp.callback_base.is_some() || resp.callback_commitment.is_some() {
                    return Err(self.fail(|| {
                        bad_response("QR flows have no callback: callbackBase and callbackCommitment must be absent")
                    }));
                }
                None
            }
        };
        self.deadline_ms = self
            .deadline_ms
            .min(now_ms.saturating_add(resp.expires_in_ms));
        self.session = Some(Session {
            handle: resp.flow_handle,
            session_type: resp.session_type,
            device_link: resp.device_link.clone(),
            link_base: parsed.device_link_base,
            session_token: parsed.session_token,
            elapsed_seconds: parsed.elapsed_seconds,
            commitment,
        });
        Ok(match self.spec.presentation {
            Presentation::App2App => {
                self.state = FlowState::ReadyToLaunch;
                NextStep::LaunchApp {
                    device_link: resp.device_link,
                }
            }
            Presentation::Qr => {
                self.state = FlowState::ShowingQr;
                NextStep::ShowQr {
                    device_link: resp.device_link,
                }
            }
        })
    }

    /// The start request failed in the transport. Retryable: back to `Created` (start again);
    /// otherwise the flow ends in `Failed`.
    pub fn on_start_error(&mut self, retryable: bool, reason: &str) {
        if self.state != FlowState::Starting {
            return;
        }
        if retryable {
            self.state = FlowState::Created;
        } else {
            self.fail(|| {
                FlowFailure::Transport {
                    retryable: false,
                    reason: reason.to_owned(),
                }
                .into()
            });
        }
    }

    /// `ReadyToLaunch` → `AwaitingReturn`: the app opened the link. Idempotent.
    pub fn mark_launched(&mut self, now_ms: u64) -> Result<()> {
        self.tick(now_ms);
        match self.state {
            FlowState::ReadyToLaunch => {
                self.state = FlowState::AwaitingReturn;
                Ok(())
            }
            FlowState::AwaitingReturn => Ok(()),
            _ => Err(self.state_error("mark as launched")),
        }
    }

    /// Whether `ret` carries this flow's callback token (constant-time comparison of the
    /// commitments).
    pub fn matches(&self, ret: &ReturnUrl) -> bool {
        self.commitment()
            .is_some_and(|c| ct_eq(c, ret.commitment()))
    }

    /// A return URL arrived for this flow (normally found through the router). Decides, by
    /// state: send it to the backend (`ReadyToLaunch`/`AwaitingReturn` → `Completing`), wait
    /// for the identical URL already in flight, return the outcome the identical URL already
    /// produced, or reject it ([`RouteRejection::Replayed`] for a different URL after one was
    /// taken, [`RouteRejection::Stale`] for a cancelled, expired or failed flow).
    pub fn accept_return_url(&mut self, ret: &ReturnUrl, now_ms: u64) -> Result<ReturnDisposition> {
        if !self.matches(ret) {
            return Err(RouteRejection::UnknownFlow.into());
        }
        if ret.has_user_challenge_verifier() && self.session_type() != Some(SessionType::Auth) {
            return Err(RouteRejection::SessionTypeMismatch.into());
        }
        self.tick(now_ms);
        let same = self
            .return_fingerprint
            .as_ref()
            .map(|f| ct_eq(f, ret.fingerprint()));
        match self.state {
            FlowState::Finished => match (same, &self.outcome) {
                (Some(true), Some(o)) => Ok(ReturnDisposition::AlreadyFinished(o.clone())),
                _ => Err(RouteRejection::Replayed.into()),
            },
            FlowState::Completing => match same {
                Some(true) => Ok(ReturnDisposition::InFlight),
                _ => Err(RouteRejection::Replayed.into()),
            },
            FlowState::ReadyToLaunch | FlowState::AwaitingReturn => {
                if same == Some(false) {
                    return Err(RouteRejection::Replayed.into());
                }
                let handle = match &self.session {
                    Some(s) => s.handle.clone(),
                    None => return Err(self.state_error("complete")),
                };
                self.state = FlowState::Completing;
                self.return_fingerprint = Some(*ret.fingerprint());
                Ok(ReturnDisposition::Complete(CompleteFlowRequest {
                    flow_handle: handle,
                    return_url: ret.expose().to_owned(),
                }))
            }
            FlowState::Cancelled | FlowState::Expired | FlowState::Failed => {
                Err(RouteRejection::Stale.into())
            }
            FlowState::Created | FlowState::Starting | FlowState::ShowingQr => {
                Err(RouteRejection::UnknownFlow.into())
            }
        }
    }

    /// Checks an outcome from the backend and finishes the flow with it.
    fn finish(&mut self, outcome: FlowOutcome) -> Result<FlowOutcome> {
        if let Err(e) = outcome.validate() {
            let msg = e.to_string();
            return Err(self.fail(|| bad_response(&msg)));
        }
        if !outcome.fits(self.spec.kind) {
            let msg = format!("a {} flow cannot end with this outcome", self.spec.kind);
            return Err(self.fail(|| bad_response(&msg)));
        }
        self.state = FlowState::Finished;
        self.polling = false;
        self.outcome = Some(outcome.clone());
        Ok(outcome)
    }

    /// `Completing` → `Finished`: the backend verified the return and answered with the
    /// outcome. If a poll already finished the flow, its outcome is returned.
    pub fn on_complete_response(&mut self, outcome: FlowOutcome) -> Result<FlowOutcome> {
        match (self.state, &self.outcome) {
            (FlowState::Completing, _) => self.finish(outcome),
            (FlowState::Finished, Some(o)) => Ok(o.clone()),
            _ => Err(self.state_error("accept a completion for")),
        }
    }

    /// The completion failed in the transport. Retryable: back to `AwaitingReturn`, and only
    /// the same return URL is accepted again; otherwise the flow ends in `Failed`.
    pub fn on_complete_error(&mut self, retryable: bool, reason: &str) {
        if self.state != FlowState::Completing {
            return;
        }
        if retryable {
            self.state = FlowState::AwaitingReturn;
        } else {
            self.fail(|| {
                FlowFailure::Transport {
                    retryable: false,
                    reason: reason.to_owned(),
                }
                .into()
            });
        }
    }

    /// The backend refused the return URL before touching the flow (problem
    /// `callback_rejected`: a forged or re-spelled URL, or a wrong `userChallengeVerifier`):
    /// `Completing` → `AwaitingReturn`, and the URL is forgotten, so that the genuine return
    /// URL arriving later is still taken (the backend keeps the flow open for it, too). No
    /// effect in any other state.
    pub fn on_complete_refused(&mut self) {
        if self.state == FlowState::Completing {
            self.state = FlowState::AwaitingReturn;
            self.return_fingerprint = None;
        }
    }

    /// Asks for the flow's status: the next QR link, or (App2App, when the app returns to the
    /// foreground without a return URL) whether the session ended without a callback.
    pub fn begin_poll(&mut self, now_ms: u64) -> Result<PollDisposition> {
        self.tick(now_ms);
        match self.state {
            FlowState::ReadyToLaunch | FlowState::AwaitingReturn | FlowState::ShowingQr => {}
            FlowState::Completing => return Ok(PollDisposition::AwaitCompletion),
            FlowState::Finished => {
                if let Some(o) = &self.outcome {
                    return Ok(PollDisposition::Finished(o.clone()));
                }
                return Err(self.state_error("poll"));
            }
            _ => return Err(self.state_error("poll")),
        }
        if self.polling {
            return Err(FlowFailure::Busy("poll").into());
        }
        let handle = match &self.session {
            Some(s) => s.handle.clone(),
            None => return Err(self.state_error("poll")),
        };
        self.polling = true;
        Ok(PollDisposition::Send(PollFlowRequest {
            flow_handle: handle,
        }))
    }

    /// Applies the answer to a poll. A new QR link must belong to the same session (base and
    /// session token) and must not be older than the one shown.
    pub fn on_poll_response(&mut self, resp: PollFlowResponse) -> Result<PollProgress> {
        self.polling = false;
        match self.state {
            FlowState::ReadyToLaunch
            | FlowState::AwaitingReturn
            | FlowState::ShowingQr
            | FlowState::Completing => {}
            FlowState::Finished => {
                if let Some(o) = &self.outcome {
                    return Ok(PollProgress::Finished(o.clone()));
                }
                return Err(self.state_error("accept a poll response for"));
            }
            _ => return Err(self.state_error("accept a poll response for")),
        }
        if let Err(e) = resp.validate() {
            let msg = e.to_string();
            return Err(self.fail(|| bad_response(&msg)));
        }
        let device_link = match resp {
            PollFlowResponse::Finished {
                outcome: Some(outcome),
                ..
            } => return self.finish(outcome).map(PollProgress::Finished),
            PollFlowResponse::Finished {
                outcome: None,
                result,
            } => {
                // Another request of this flow (one that holds the key: this app, e.g. a
                // completion whose answer was lost) took the outcome.
                return Err(self.fail(|| FlowFailure::OutcomeDelivered(result).into()));
            }
            PollFlowResponse::Pending { device_link } => device_link,
        };
        let Some(session) = self.session.as_ref() else {
            return Err(self.state_error("accept a poll response for"));
        };
        let current = session.device_link.clone();
        match (self.spec.presentation, device_link) {
            (Presentation::App2App, None) => Ok(PollProgress::Waiting {
                device_link: current,
            }),
            (Presentation::App2App, Some(_)) => {
                Err(self
                    .fail(|| bad_response("a pending App2App flow must not carry a deviceLink")))
            }
            (Presentation::Qr, None) => {
                Err(self
                    .fail(|| bad_response("a pending QR flow must carry the current deviceLink")))
            }
            (Presentation::Qr, Some(link)) => {
                let session_type = session.session_type;
                let parsed = match self.config.link_policy().check(
                    &link,
                    Presentation::Qr.link_type(),
                    session_type,
                ) {
                    Ok(p) => p,
                    Err(r) => return Err(self.fail(|| AppError::LinkRejected(r.clone()))),
                };
                if parsed.device_link_base != session.link_base
                    || !ct_eq(
                        parsed.session_token.as_bytes(),
                        session.session_token.as_bytes(),
                    )
                {
                    return Err(self.fail(|| LinkRejection::SessionChanged.into()));
                }
                if parsed.elapsed_seconds < session.elapsed_seconds {
                    // Not fatal: keep showing the newer link already on screen.
                    return Err(LinkRejection::Stale.into());
                }
                if let Some(s) = self.session.as_mut() {
                    s.device_link = link.clone();
                    s.elapsed_seconds = parsed.elapsed_seconds;
                }
                Ok(PollProgress::Waiting { device_link: link })
            }
        }
    }

    /// The poll failed in the transport. Not retryable: the flow ends in `Failed`.
    pub fn on_poll_error(&mut self, retryable: bool, reason: &str) {
        self.polling = false;
        let pollable = matches!(
            self.state,
            FlowState::ReadyToLaunch | FlowState::AwaitingReturn | FlowState::ShowingQr
        );
        if pollable && !retryable {
            self.fail(|| {
                FlowFailure::Transport {
                    retryable: false,
                    reason: reason.to_owned(),
                }
                .into()
            });
        }
    }

    /// Cancels the flow from any non-terminal state. Returns the request that tells the
    /// backend, if the flow got as far as the backend; `None` if there is nothing to tell or
    /// the flow was already over (then nothing changes).
    pub fn cancel(&mut self) -> Option<CancelFlowRequest> {
        if self.state.is_terminal() {
            return None;
        }
        self.state = FlowState::Cancelled;
        self.polling = false;
        self.session.as_ref().map(|s| CancelFlowRequest {
            flow_handle: s.handle.clone(),
        })
    }

    /// Undoes `begin_start` whose transport call was abandoned (the caller dropped the
    /// future): `Starting` → `Created`. No effect in any other state.
    pub fn abort_start(&mut self) {
        if self.state == FlowState::Starting {
            self.state = FlowState::Created;
        }
    }

    /// Undoes `accept_return_url` whose completion call was abandoned: `Completing` →
    /// `AwaitingReturn` (the same return URL is accepted again). No effect in any other state.
    pub fn abort_completion(&mut self) {
        if self.state == FlowState::Completing {
            self.state = FlowState::AwaitingReturn;
        }
    }

    /// Forgets a poll whose call was abandoned, so that the next poll is not `Busy`.
    pub fn abort_poll(&mut self) {
        self.polling = false;
    }

    /// A snapshot to persist while the user is in the Smart-ID app, or `None` if there is
    /// nothing to resume (not started yet, or over). It holds the flow key, a secret: store it
    /// where it is neither backed up nor synced (see [`FlowSnapshot`]). A flow that is
    /// completing is saved as awaiting its return: after a restart, deliver the return URL
    /// again (the identical completion is answered with the same outcome) or poll.
    pub fn snapshot(&self) -> Option<FlowSnapshot> {
        let stage = match self.state {
            FlowState::ReadyToLaunch => SnapshotStage::ReadyToLaunch,
            FlowState::AwaitingReturn | FlowState::Completing => SnapshotStage::AwaitingReturn,
            FlowState::ShowingQr => SnapshotStage::ShowingQr,
            _ => return None,
        };
        let s = self.session.as_ref()?;
        Some(FlowSnapshot {
            version: crate::snapshot::SNAPSHOT_VERSION,
            id: self.id.clone(),
            kind: self.spec.kind,
            presentation: self.spec.presentation,
            lang: self.spec.lang.clone(),
            stage,
            flow_handle: s.handle.clone(),
            flow_key: self.flow_key.clone(),
            session_type: s.session_type,
            device_link: s.device_link.clone(),
            callback_base: s
                .commitment
                .map(|_| self.config.callback_base().as_str().to_owned()),
            callback_commitment: s.commitment.map(|c| b64::encode_url(&c)),
            created_at_ms: self.created_at_ms,
            deadline_ms: self.deadline_ms,
        })
    }

    /// Rebuilds a flow from a snapshot after the app was restarted. Everything is checked again
    /// (the link against the allow-list, the callback base against `config`), so a tampered or
    /// outdated snapshot fails with [`FlowFailure::Snapshot`] or a [`LinkRejection`]. A flow
    /// whose deadline has passed comes back `Expired`.
    pub fn restore(config: FlowConfig, snapshot: &FlowSnapshot, now_ms: u64) -> Result<Self> {
        let snap_err = |why: String| -> AppError { FlowFailure::Snapshot(why).into() };
        snapshot.validate().map_err(|e| snap_err(e.to_string()))?;
        if snapshot.session_type != snapshot.kind.session_type() {
            return Err(snap_err("sessionType does not fit the flow kind".into()));
        }
        let parsed = config.link_policy().check(
            &snapshot.device_link,
            snapshot.presentation.link_type(),
            snapshot.session_type,
        )?;
        let commitment = match snapshot.presentation {
            Presentation::App2App => {
                if snapshot.callback_base.as_deref() != Some(config.callback_base.as_str()) {
                    return Err(snap_err(
                        "the snapshot was taken with another callback base".into(),
                    ));
                }
                let c = snapshot
                    .callback_commitment
                    .as_deref()
                    .ok_or_else(|| snap_err("App2App snapshot without commitment".into()))?;
                Some(decode_commitment(c).map_err(|e| snap_err(e.to_string()))?)
            }
            Presentation::Qr => {
                if snapshot.callback_base.is_some() || snapshot.callback_commitment.is_some() {
                    return Err(snap_err("QR snapshot with callback fields".into()));
                }
                None
            }
        };
        let state = match (snapshot.presentation, snapshot.stage) {
            (Presentation::App2App, SnapshotStage::ReadyToLaunch) => FlowState::ReadyToLaunch,
            (Presentation::App2App, SnapshotStage::AwaitingReturn) => FlowState::AwaitingReturn,
            (Presentation::Qr, SnapshotStage::ShowingQr) => FlowState::ShowingQr,
            _ => return Err(snap_err("stage does not fit the presentation".into())),
        };
        let mut flow = Flow {
            config,
            id: snapshot.id.clone(),
            spec: FlowSpec {
                kind: snapshot.kind,
                presentation: snapshot.presentation,
                lang: snapshot.lang.clone(),
                context: None,
            },
            idempotency_key: random_id()?,
            flow_key: snapshot.flow_key.clone(),
            created_at_ms: snapshot.created_at_ms,
            deadline_ms: snapshot.deadline_ms,
            state,
            session: Some(Session {
                handle: snapshot.flow_handle.clone(),
                session_type: snapshot.session_type,
                device_link: snapshot.device_link.clone(),
                link_base: parsed.device_link_base,
                session_token: parsed.session_token,
                elapsed_seconds: parsed.elapsed_seconds,
                commitment,
            }),
            return_fingerprint: None,
            outcome: None,
            failure: None,
            polling: false,
        };
        flow.tick(now_ms);
        Ok(flow)
    }
}
