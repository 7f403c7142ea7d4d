//! The session-status poller: long polls with an overall deadline, jittered exponential backoff
//! on retryable failures, and cancellation.
//!
//! # Request bound
//!
//! Consecutive status requests *start* at least one long-poll timeout `T` apart: if the server
//! (or a proxy) answers `RUNNING` early, the poller waits out the rest of `T` before asking
//! again. So when the user needs time `U` after polling started, a session that completes
//! without transport failures costs at most `ceil(U / T) + 1` status requests, whatever the
//! server does. Each retried failure adds one request, and at most
//! [`PollOptions::max_consecutive_failures`] failures in a row are retried.
//!
//! # Cancellation
//!
//! Dropping the future stops polling at once (the in-flight request is aborted). A
//! [`CancelHandle`] stops it from elsewhere (another task, a UI "cancel" button): the poll
//! then returns [`ApiFailure::Cancelled`]. The RP API has no cancel endpoint; the session
//! simply expires on the Smart-ID side.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;
use tokio::time::Instant;

use super::SmartIdClient;
use crate::api::ApiFailure;
use crate::error::{ClientError, Result};
use sidkit_proto::models::{EndResult, SessionState, SessionStatus};
use sidkit_proto::SessionEnded;

/// Shortest long-poll timeout the RP API accepts (`timeoutMs` minimum).
pub const MIN_LONG_POLL: Duration = Duration::from_millis(1000);
/// Longest long-poll timeout the RP API accepts (`timeoutMs` maximum).
pub const MAX_LONG_POLL: Duration = Duration::from_millis(120_000);

/// How the poller behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions {
    /// `timeoutMs` of each long poll (1–120 s). Default 30 s: shorter than the idle timeouts
    /// of common proxies and load balancers.
    pub long_poll_timeout: Duration,
    /// Overall deadline from the start of polling; then [`ApiFailure::DeadlineExceeded`].
    /// Default 5 minutes (longer than any Smart-ID user interaction).
    pub deadline: Duration,
    /// First backoff delay after a retryable failure. Default 250 ms.
    pub initial_backoff: Duration,
    /// Largest backoff delay. Default 8 s.
    pub max_backoff: Duration,
    /// Retryable failures in a row after which the last one is returned. Default 6.
    pub max_consecutive_failures: u32,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            long_poll_timeout: Duration::from_secs(30),
            deadline: Duration::from_secs(300),
            initial_backoff: Duration::from_millis(250),
            max_backoff: Duration::from_secs(8),
            max_consecutive_failures: 6,
        }
    }
}

impl PollOptions {
    /// Checks the ranges: long-poll timeout within 1–120 s, positive deadline and backoff.
    pub fn validate(&self) -> Result<()> {
        if !(MIN_LONG_POLL..=MAX_LONG_POLL).contains(&self.long_poll_timeout) {
            return Err(ClientError::invalid(
                "longPollTimeout",
                "must be between 1 s and 120 s (timeoutMs 1000..120000)",
            ));
        }
        if self.deadline.is_zero() {
            return Err(ClientError::invalid("deadline", "must be positive"));
        }
        if self.initial_backoff.is_zero() || self.max_backoff < self.initial_backoff {
            return Err(ClientError::invalid(
                "backoff",
                "initial backoff must be positive and not above the maximum",
            ));
        }
        Ok(())
    }

    /// The largest number of status requests a session that completes after `user_time` of
    /// polling costs without failures: `ceil(user_time / long_poll_timeout) + 1`.
    pub fn request_bound(&self, user_time: Duration) -> u64 {
        let t = self.long_poll_timeout.as_nanos().max(1);
        (user_time.as_nanos().div_ceil(t) as u64) + 1
    }

    /// The backoff before retry number `attempt` (1-based): exponential from
    /// `initial_backoff`, capped at `max_backoff`, then scaled by a random factor in
    /// `[0.5, 1.0)` so that many pollers do not retry in lockstep.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .initial_backoff
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
        let capped = exp.min(self.max_backoff);
        capped.mul_f64(0.5 + 0.5 * unit_random())
    }
}

/// A uniformly random number in `[0, 1)` from the OS CSPRNG (0.5 if it is unavailable: jitter
/// is not a security property).
fn unit_random() -> f64 {
    let mut b = [0u8; 8];
    if getrandom::fill(&mut b).is_err() {
        return 0.5;
    }
    (u64::from_le_bytes(b) >> 11) as f64 / (1u64 << 53) as f64
}

/// Stops one or more pollers from elsewhere. Cloning gives another handle to the same flag.
#[derive(Debug, Clone, Default)]
pub struct CancelHandle {
    inner: Arc<CancelInner>,
}

#[derive(Debug, Default)]
struct CancelInner {
    cancelled: AtomicBool,
    notify: Notify,
}

impl CancelHandle {
    /// A new, not yet cancelled handle.
    pub fn new() -> Self {
        Self::default()
    }

    /// Cancels: every poller using this handle returns [`ApiFailure::Cancelled`] promptly.
    pub fn cancel(&self) {
        self.inner.cancelled.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancelled.load(Ordering::SeqCst)
    }

    /// Resolves once the handle is cancelled.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }
}

/// Polls one session until it completes. Create it with [`SmartIdClient::poller`].
#[derive(Debug)]
#[doc(alias("SessionStatusPoller"))]
pub struct Poller<'c> {
    client: &'c SmartIdClient,
    session_id: String,
    options: PollOptions,
    cancel: CancelHandle,
    requests: u32,
    retries: u32,
}

impl<'c> Poller<'c> {
    pub(super) fn new(client: &'c SmartIdClient, session_id: String, options: PollOptions) -> Self {
        Poller {
            client,
            session_id,
            options,
            cancel: CancelHandle::new(),
            requests: 0,
            retries: 0,
        }
    }

    /// Uses `cancel` to stop this poller (instead of its own private handle).
    pub fn with_cancel(mut self, cancel: &CancelHandle) -> Self {
        self.cancel = cancel.clone();
        self
    }

    /// The handle that cancels this poller.
    pub fn cancel_handle(&self) -> CancelHandle {
        self.cancel.clone()
    }

    /// Status requests sent so far (including failed ones).
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// Retried failures so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// Polls until the session is `COMPLETE` and returns the status when `endResult` is `OK`.
    ///
    /// * Any other `endResult` → [`ClientError::SessionEnded`] (with `details.interaction`).
    /// * Retryable failures (transport, `5xx`, `580`) are retried with jittered backoff, up to
    ///   [`PollOptions::max_consecutive_failures`] in a row.
    /// * Non-retryable failures (e.g. `404` session not found) are returned at once.
    /// * The deadline → [`ApiFailure::DeadlineExceeded`]; the cancel handle →
    ///   [`ApiFailure::Cancelled`].
    pub async fn run(&mut self) -> Result<SessionStatus> {
        use tracing::Instrument as _;
        self.options.validate()?;
        sidkit_proto::validate::uuid("sessionID", &self.session_id)?;
        let span = tracing::info_span!(
            "smartid_session",
            session = %sidkit_proto::secret::log_tag(&self.session_id)
        );
        let started = Instant::now();
        let deadline = started + self.options.deadline;
        let cancel = self.cancel.clone();
        let r = tokio::select! {
            biased;
            _ = cancel.cancelled() => Err(ApiFailure::Cancelled.into()),
            r = tokio::time::timeout_at(deadline, self.run_loop(deadline)).instrument(span.clone()) => match r {
                Ok(r) => r,
                Err(_) => Err(ApiFailure::DeadlineExceeded.into()),
            },
        };
        let _enter = span.enter();
        let elapsed_ms = started.elapsed().as_millis() as u64;
        match &r {
            Ok(_) => tracing::info!(
                end_result = "OK",
                polls = self.requests,
                elapsed_ms,
                "Smart-ID session ended"
            ),
            Err(e) => tracing::info!(
                end_result = e.code(),
                polls = self.requests,
                elapsed_ms,
                "Smart-ID session ended without OK"
            ),
        }
        r
    }

    async fn run_loop(&mut self, deadline: Instant) -> Result<SessionStatus> {
        let t = self.options.long_poll_timeout;
        let mut failures = 0u32;
        let mut last_start: Option<Instant> = None;
        loop {
            if let Some(prev) = last_start {
                // Pacing: never start two requests less than one long-poll timeout apart.
                tokio::time::sleep_until(prev + t).await;
            }
            let remaining = deadline.saturating_duration_since(Instant::now());
            let timeout = remaining.clamp(MIN_LONG_POLL, t);
            let start = Instant::now();
            self.requests += 1;
            match self.client.session_status(&self.session_id, timeout).await {
                Ok(status) => {
                    tracing::debug!(state = ?status.state, "Smart-ID session status");
                    failures = 0;
                    match status.state {
                        SessionState::Running => last_start = Some(start),
                        SessionState::Complete => return finish(status),
                    }
                }
                Err(ClientError::Api(f)) if f.retryable() => {
                    failures += 1;
                    if failures > self.options.max_consecutive_failures {
                        return Err(f.into());
                    }
                    self.retries += 1;
                    last_start = None;
                    tokio::time::sleep(self.options.backoff(failures)).await;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Turns a `COMPLETE` status into the poll result.
fn finish(status: SessionStatus) -> Result<SessionStatus> {
    let Some(result) = &status.result else {
        return Err(ApiFailure::MalformedResponse {
            status: 200,
            reason: "state COMPLETE without result".into(),
        }
        .into());
    };
    match &result.end_result {
        EndResult::Ok => Ok(status),
        other => Err(ClientError::SessionEnded(SessionEnded {
            end_result: other.clone(),
            interaction: result.details.as_ref().and_then(|d| d.interaction.clone()),
        })),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_formula() {
        let o = PollOptions {
            long_poll_timeout: Duration::from_secs(1),
            ..Default::default()
        };
        assert_eq!(o.request_bound(Duration::from_millis(2500)), 4);
        assert_eq!(o.request_bound(Duration::from_secs(3)), 4);
        assert_eq!(o.request_bound(Duration::ZERO), 1);
        let o = PollOptions::default();
        assert_eq!(o.request_bound(Duration::from_secs(45)), 3);
    }

    #[test]
    fn backoff_is_jittered_exponential_and_capped() {
        let o = PollOptions::default();
        for attempt in 1..=30 {
            let full = o
                .initial_backoff
                .saturating_mul(1 << (attempt - 1).min(20))
                .min(o.max_backoff);
            let b = o.backoff(attempt);
            assert!(
                b >= full / 2 && b <= full,
                "attempt {attempt}: {b:?} vs {full:?}"
            );
        }
        // Jitter: many draws are not all equal.
        let draws: std::collections::HashSet<_> = (0..20).map(|_| o.backoff(3)).collect();
        assert!(draws.len() > 1);
    }

    #[test]
    fn option_ranges() {
        let mut o = PollOptions::default();
        o.validate().unwrap();
        o.long_poll_timeout = Duration::from_millis(999);
        assert!(o.validate().is_err());
        o.long_poll_timeout = Duration::from_secs(121);
        assert!(o.validate().is_err());
        o = PollOptions {
            max_backoff: Duration::from_millis(1),
            ..Default::default()
        };
        assert!(o.validate().is_err());
    }

    #[tokio::test]
    async fn cancel_handle_wakes_waiters() {
        let h = CancelHandle::new();
        let h2 = h.clone();
        let waiter = tokio::spawn(async move { h2.cancelled().await });
        tokio::task::yield_now().await;
        h.cancel();
        waiter.await.unwrap();
        assert!(h.is_cancelled());
        // Already cancelled: resolves immediately.
        h.cancelled().await;
    }

    #[test]
    fn finish_maps_end_results() {
        let s: SessionStatus = serde_json::from_str(
            r#"{"state":"COMPLETE","result":{"endResult":"USER_REFUSED_INTERACTION","details":{"interaction":"displayTextAndPIN"}}}"#,
        )
        .unwrap();
        match finish(s) {
            Err(ClientError::SessionEnded(SessionEnded {
                end_result: EndResult::UserRefusedInteraction,
                interaction: Some(i),
            })) => assert_eq!(i, "displayTextAndPIN"),
            other => panic!("{other:?}"),
        }
        let s: SessionStatus = serde_json::from_str(r#"{"state":"COMPLETE"}"#).unwrap();
        assert!(matches!(
            finish(s),
            Err(ClientError::Api(ApiFailure::MalformedResponse { .. }))
        ));
    }
}
