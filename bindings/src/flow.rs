//! [`SidkitFlow`], the object the app holds per Smart-ID flow (the client that creates and
//! routes them is in `client`). It drives the sans-IO state machine of `sidkit_app` with the
//! app's [`BackendTransport`].

use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use sidkit_app::{
    AppError, Flow, FlowFailure, FlowState, NextStep, PollDisposition, PollProgress,
    ReturnDisposition, ReturnUrl,
};

use crate::error::SidkitError;
use crate::qr::{QrCode, QrErrorCorrection};
use crate::sync::{lock, race, Either, Signal};
use crate::transport::BackendTransport;
use crate::types::{
    FlowKind, FlowOutcome, FlowProgress, FlowStatus, FlowStep, Presentation, SessionType,
};

/// How many finished, cancelled, expired or failed flows a client keeps (to answer a repeated
/// return URL idempotently and to recognise replays); older ones are forgotten.
pub(crate) const MAX_TERMINAL_FLOWS: usize = 64;

/// The wall clock in Unix milliseconds (0 if the clock is before 1970).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The code of a core error as the error's `code` reports it.
fn ffi_code(e: &AppError) -> String {
    match e {
        AppError::Flow(FlowFailure::Transport { .. }) => "transport".to_owned(),
        other => other.code().to_owned(),
    }
}

/// One Smart-ID flow: authentication, signature, or certificate choice + signature, on this
/// phone (App2App) or on another device (QR).
///
/// Typical App2App use (Kotlin):
///
/// ```kotlin
/// val flow = client.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
/// when (val step = flow.start()) {
///     is FlowStep.LaunchApp -> { startActivity(Intent(ACTION_VIEW, Uri.parse(step.deviceLink))); flow.markLaunched() }
///     is FlowStep.ShowQr -> error("not a QR flow")
/// }
/// snapshotStore.save(flow.snapshot())   // survive process death (holds the flow key:
///                                       // a store that is neither backed up nor synced)
/// // ... the return URL arrives in the App Link handler:
/// val outcome = client.handleReturnUrl(intent.data.toString())
/// ```
///
/// All methods are safe to call from any thread. Suspending methods can be cancelled by
/// cancelling the calling coroutine / task; [`cancel`](Self::cancel) ends the flow.
#[derive(uniffi::Object)]
pub struct SidkitFlow {
    inner: Mutex<Flow>,
    transport: Arc<dyn BackendTransport>,
    signal: Signal,
}

/// Which in-flight transition to undo when a suspended call is abandoned.
#[derive(Clone, Copy)]
enum Pending {
    Start,
    Completion,
    Poll,
}

/// Undoes the in-flight transition if the future holding it is dropped before it finishes
/// (the app cancelled its coroutine or task).
struct InFlight<'a> {
    flow: &'a SidkitFlow,
    what: Pending,
    armed: bool,
}

impl<'a> InFlight<'a> {
    fn new(flow: &'a SidkitFlow, what: Pending) -> Self {
        InFlight {
            flow,
            what,
            armed: true,
        }
    }

    fn disarm(&mut self) {
        self.armed = false;
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.flow.update(|f| match self.what {
                Pending::Start => f.abort_start(),
                Pending::Completion => f.abort_completion(),
                Pending::Poll => f.abort_poll(),
            });
        }
    }
}

impl SidkitFlow {
    pub(crate) fn new(flow: Flow, transport: Arc<dyn BackendTransport>) -> Arc<Self> {
        Arc::new(SidkitFlow {
            inner: Mutex::new(flow),
            transport,
            signal: Signal::default(),
        })
    }

    /// Reads the state machine.
    fn read<R>(&self, f: impl FnOnce(&Flow) -> R) -> R {
        f(&lock(&self.inner))
    }

    /// Changes the state machine and wakes everything waiting on this flow.
    fn update<R>(&self, f: impl FnOnce(&mut Flow) -> R) -> R {
        let r = f(&mut lock(&self.inner));
        self.signal.notify();
        r
    }

    /// Changes the state machine and returns the signal generation observed under the same
    /// lock, so that a later change cannot be missed.
    fn update_watch<R>(&self, f: impl FnOnce(&mut Flow) -> R) -> (R, u64) {
        let mut g = lock(&self.inner);
        let r = f(&mut g);
        let gen = self.signal.generation();
        drop(g);
        (r, gen)
    }

    pub(crate) fn commitment(&self) -> Option<[u8; 32]> {
        self.read(|f| f.commitment().copied())
    }

    pub(crate) fn is_terminal(&self) -> bool {
        self.read(|f| f.state().is_terminal())
    }
}

#[uniffi::export]
impl SidkitFlow {
    /// The flow's local id (random; stable across snapshot and restore).
    pub fn id(&self) -> String {
        self.read(|f| f.id().to_owned())
    }

    /// The flow kind.
    pub fn kind(&self) -> FlowKind {
        self.read(|f| f.kind().into())
    }

    /// App2App or QR.
    pub fn presentation(&self) -> Presentation {
        self.read(|f| f.presentation().into())
    }

    /// The Smart-ID session type, once started.
    pub fn session_type(&self) -> Option<SessionType> {
        self.read(|f| f.session_type().map(Into::into))
    }

    /// The current device link (App2App link or latest QR link), once started.
    pub fn device_link(&self) -> Option<String> {
        self.read(|f| f.device_link().map(str::to_owned))
    }

    /// The overall deadline, Unix milliseconds.
    pub fn deadline_epoch_ms(&self) -> u64 {
        self.read(Flow::deadline_ms)
    }

    /// Milliseconds until the deadline (0 when passed). Useful as a timeout for the app's own
    /// timers (`withTimeout(flow.remainingMs())`).
    pub fn remaining_ms(&self) -> u64 {
        self.read(|f| f.remaining_ms(now_ms()))
    }

    /// Where the flow is. Also applies the deadline.
    pub fn status(&self) -> FlowStatus {
        self.tick();
        self.read(|f| {
            let link = || f.device_link().unwrap_or_default().to_owned();
            match f.state() {
                FlowState::Created => FlowStatus::Created,
                FlowState::Starting => FlowStatus::Starting,
                FlowState::ReadyToLaunch => FlowStatus::ReadyToLaunch {
                    device_link: link(),
                },
                FlowState::AwaitingReturn => FlowStatus::AwaitingReturn {
                    device_link: link(),
                },
                FlowState::ShowingQr => FlowStatus::ShowingQr {
                    device_link: link(),
                },
                FlowState::Completing => FlowStatus::Completing,
                FlowState::Finished => match f.outcome() {
                    Some(o) => FlowStatus::Finished {
                        outcome: o.clone().into(),
                    },
                    None => FlowStatus::Failed {
                        code: "flow_invalid_state".to_owned(),
                        reason: "finished without an outcome".to_owned(),
                    },
                },
                FlowState::Cancelled => FlowStatus::Cancelled,
                FlowState::Expired => FlowStatus::Expired,
                FlowState::Failed => match f.failure() {
                    Some(e) => FlowStatus::Failed {
                        code: ffi_code(e),
                        reason: e.to_string(),
                    },
                    None => FlowStatus::Failed {
                        code: "flow_invalid_state".to_owned(),
                        reason: "failed without a cause".to_owned(),
                    },
                },
            }
        })
    }

    /// Applies the deadline now (the flow also checks it on every call). Returns `true` if the
    /// flow is over (finished, cancelled, expired or failed).
    pub fn tick(&self) -> bool {
        let (changed, terminal) = {
            let mut f = lock(&self.inner);
            let before = f.state();
            let after = f.tick(now_ms());
            (before != after, after.is_terminal())
        };
        if changed {
            self.signal.notify();
        }
        terminal
    }

    /// Asks the backend for a Smart-ID session and checks the device link it returns (https,
    /// allowed base, `App2App` or `QR` as the presentation needs, well-formed token and
    /// authCode, matching session type, the callback base and commitment).
    ///
    /// After a retryable error (`error.isRetryable()`) call `start()` again; the retry carries
    /// the same idempotency key.
    pub async fn start(&self) -> Result<FlowStep, SidkitError> {
        let (req, gen) = self.update_watch(|f| f.begin_start(now_ms()));
        let req = req?;
        let mut guard = InFlight::new(self, Pending::Start);
        let mut call = self.transport.start_flow(req.into());
        let result = self
            .await_call(call.as_mut(), gen, |s| s == FlowState::Starting)
            .await;
        guard.disarm();
        match result {
            Some(Ok(resp)) => {
                let step = self.update(|f| f.on_start_response(resp.into(), now_ms()))?;
                Ok(match step {
                    NextStep::LaunchApp { device_link } => FlowStep::LaunchApp { device_link },
                    NextStep::ShowQr { device_link } => FlowStep::ShowQr { device_link },
                })
            }
            Some(Err(e)) => {
                let reason = e.to_string();
                self.update(|f| f.on_start_error(e.is_retryable(), &reason));
                Err(e)
            }
            None => Err(self.read(|f| f.state_error("start")).into()),
        }
    }

    /// Records that the app opened the App2App link (`ReadyToLaunch` → `AwaitingReturn`).
    pub fn mark_launched(&self) -> Result<(), SidkitError> {
        Ok(self.update(|f| f.mark_launched(now_ms()))?)
    }

    /// Hands this flow's return URL to the backend and returns the verified outcome.
    ///
    /// The URL must be on the configured callback base and carry this flow's token (checked
    /// against the commitment). The same URL arriving twice is answered once: a second call
    /// while the first is running waits for it, and a call after the flow finished returns the
    /// same outcome without contacting the backend. A different URL for a flow that already
    /// took one is rejected as replayed. Prefer `SidkitClient.handleReturnUrl`, which also
    /// finds the flow.
    pub async fn complete(&self, return_url: String) -> Result<FlowOutcome, SidkitError> {
        loop {
            let (disp, gen) = self.update_watch(|f| {
                let ret = ReturnUrl::parse(f.config().callback_base(), &return_url)
                    .map_err(AppError::from)?;
                f.accept_return_url(&ret, now_ms())
            });
            match disp? {
                ReturnDisposition::AlreadyFinished(o) => return Ok(o.into()),
                ReturnDisposition::InFlight => self.signal.changed(gen).await,
                ReturnDisposition::Complete(req) => return self.send_completion(req, gen).await,
            }
        }
    }

    /// Asks the backend where the flow is. For QR flows call it about once a second: it
    /// returns the QR link to show now, or the outcome. For App2App flows call it when the app
    /// comes back to the foreground without a return URL (the Smart-ID app may not call back
    /// after a refusal): it returns the outcome if the session ended, else the link to reopen.
    pub async fn poll(&self) -> Result<FlowProgress, SidkitError> {
        loop {
            let (disp, gen) = self.update_watch(|f| f.begin_poll(now_ms()));
            let req = match disp? {
                PollDisposition::Finished(o) => {
                    return Ok(FlowProgress::Finished { outcome: o.into() })
                }
                PollDisposition::AwaitCompletion => {
                    self.signal.changed(gen).await;
                    continue;
                }
                PollDisposition::Send(req) => req,
            };
            let mut guard = InFlight::new(self, Pending::Poll);
            let mut call = self.transport.poll_flow(req.into(), self.flow_key());
            let result = self
                .await_call(call.as_mut(), gen, |s| !s.is_terminal())
                .await;
            guard.disarm();
            return match result {
                Some(Ok(resp)) => {
                    let p = self.update(|f| f.on_poll_response(resp.into()))?;
                    Ok(match p {
                        PollProgress::Waiting { device_link } => {
                            FlowProgress::Waiting { device_link }
                        }
                        PollProgress::Finished(o) => FlowProgress::Finished { outcome: o.into() },
                    })
                }
                Some(Err(e)) => {
                    let reason = e.to_string();
                    self.update(|f| f.on_poll_error(e.is_retryable(), &reason));
                    Err(e)
                }
                None => {
                    self.update(Flow::abort_poll);
                    match self.read(|f| f.outcome().cloned()) {
                        Some(o) => Ok(FlowProgress::Finished { outcome: o.into() }),
                        None => Err(self.read(|f| f.state_error("poll")).into()),
                    }
                }
            };
        }
    }

    /// Cancels the flow at any point: it ends at once (a running `start`, `complete` or
    /// `poll` returns a `Cancelled` error), then the backend is told if the flow got that far.
    /// Cancelling a flow that is already over changes nothing. An error of the backend call is
    /// returned, but the flow is cancelled regardless.
    pub async fn cancel(&self) -> Result<(), SidkitError> {
        let req = self.update(Flow::cancel);
        if let Some(req) = req {
            self.transport
                .cancel_flow(req.into(), self.flow_key())
                .await?;
        }
        Ok(())
    }

    /// A snapshot to store while the user is in the Smart-ID app, or `null` when there is
    /// nothing to resume. Restore it with `SidkitClient.restoreFlow`. It holds the flow's key
    /// (a secret for this one flow): store it where it is neither backed up nor synced
    /// (Android: `noBackupFilesDir`; iOS: the Keychain, `WhenUnlockedThisDeviceOnly`), never
    /// in a `Bundle`, `SharedPreferences`, `UserDefaults` or scene storage.
    pub fn snapshot(&self) -> Option<String> {
        self.read(|f| f.snapshot().map(|s| s.encode()))
    }

    /// The QR code of the current QR link (QR flows).
    pub fn qr_code(&self, error_correction: QrErrorCorrection) -> Result<QrCode, SidkitError> {
        let link = self.device_link().ok_or_else(|| SidkitError::Flow {
            kind: crate::error::FlowErrorKind::InvalidState,
            reason: "the flow has no device link yet".to_owned(),
        })?;
        crate::qr::qr_code(link, error_correction)
    }
}

/// Whether the backend refused a return URL without touching the flow (`callback_rejected`).
fn is_refused(e: &SidkitError) -> bool {
    matches!(e, SidkitError::Backend { backend_code, .. }
        if backend_code == sidkit_contract::error_codes::CALLBACK_REJECTED)
}

impl SidkitFlow {
    /// The flow key's header form, for the transport's `Sidkit-Flow-Key`.
    fn flow_key(&self) -> String {
        self.read(|f| f.flow_key().expose().to_owned())
    }

    async fn send_completion(
        &self,
        req: sidkit_contract::CompleteFlowRequest,
        gen: u64,
    ) -> Result<FlowOutcome, SidkitError> {
        let mut guard = InFlight::new(self, Pending::Completion);
        let mut call = self.transport.complete_flow(req.into(), self.flow_key());
        let result = self
            .await_call(call.as_mut(), gen, |s| s == FlowState::Completing)
            .await;
        guard.disarm();
        match result {
            Some(Ok(outcome)) => Ok(self
                .update(|f| f.on_complete_response(outcome.into()))?
                .into()),
            // The backend refused this URL without touching the flow: the genuine one may follow.
            Some(Err(e)) if is_refused(&e) => {
                self.update(Flow::on_complete_refused);
                Err(e)
            }
            Some(Err(e)) => {
                let reason = e.to_string();
                self.update(|f| f.on_complete_error(e.is_retryable(), &reason));
                Err(e)
            }
            // A poll may have finished the flow meanwhile; otherwise it was cancelled or expired.
            None => match self.read(|f| f.outcome().cloned()) {
                Some(o) => Ok(o.into()),
                None => Err(self.read(|f| f.state_error("complete")).into()),
            },
        }
    }

    /// Awaits a transport call unless the flow leaves the states `waiting` accepts first
    /// (cancelled, expired, finished by another call): `None` then, and the call is dropped by
    /// the caller, which cancels it on the foreign side.
    async fn await_call<T, F>(
        &self,
        mut call: std::pin::Pin<&mut F>,
        mut gen: u64,
        waiting: impl Fn(FlowState) -> bool,
    ) -> Option<Result<T, SidkitError>>
    where
        F: std::future::Future<Output = Result<T, SidkitError>> + ?Sized,
    {
        loop {
            match race(call.as_mut(), self.signal.changed(gen)).await {
                Either::Left(result) => return Some(result),
                Either::Right(()) => {
                    let (state, g) = self.update_watch(|f| f.state());
                    gen = g;
                    if !waiting(state) {
                        return None;
                    }
                }
            }
        }
    }
}
