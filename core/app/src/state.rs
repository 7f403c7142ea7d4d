//! [`FlowState`]: where a flow is (a leaf module: the state machine, its errors and the
//! snapshot all name it).

use std::fmt;

/// Where a flow is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowState {
    /// Created locally; nothing sent yet (also after a retryable start failure).
    Created,
    /// The start request is with the backend.
    Starting,
    /// App2App: the link passed the checks; the app should open it.
    ReadyToLaunch,
    /// App2App: the link was opened; waiting for the return URL (or for the user to come back).
    AwaitingReturn,
    /// QR: a link is being shown; the app polls for the next link and the outcome.
    ShowingQr,
    /// The return URL is with the backend.
    Completing,
    /// Done with an outcome (which may be a Smart-ID failure such as a refusal).
    Finished,
    /// Cancelled by the app.
    Cancelled,
    /// The overall deadline passed.
    Expired,
    /// Ended by an error that cannot be retried.
    Failed,
}

impl FlowState {
    /// `true` for `Finished`, `Cancelled`, `Expired` and `Failed`.
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            FlowState::Finished | FlowState::Cancelled | FlowState::Expired | FlowState::Failed
        )
    }

    /// A stable name, e.g. `awaitingReturn`.
    pub const fn as_str(self) -> &'static str {
        match self {
            FlowState::Created => "created",
            FlowState::Starting => "starting",
            FlowState::ReadyToLaunch => "readyToLaunch",
            FlowState::AwaitingReturn => "awaitingReturn",
            FlowState::ShowingQr => "showingQr",
            FlowState::Completing => "completing",
            FlowState::Finished => "finished",
            FlowState::Cancelled => "cancelled",
            FlowState::Expired => "expired",
            FlowState::Failed => "failed",
        }
    }
}

impl fmt::Display for FlowState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
