//! The errors of the phone side: [`AppError`] and what it carries, [`FlowFailure`] (a flow
//! operation failed), [`LinkRejection`] (a device link refused before launch) and
//! [`RouteRejection`] (a URL that is not the return of a pending flow).

use std::fmt;

use sidkit_contract::OutcomeKind;
use sidkit_proto::models::{DeviceLinkType, SessionType};
use sidkit_proto::ProtoError;

use crate::state::FlowState;

/// Shorthand for `std::result::Result<T, AppError>`.
pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// Everything that can go wrong on the phone side of a flow.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AppError {
    /// An argument, a configuration value or a message breaks a rule (length, alphabet,
    /// allowed values). `field` names it.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field, e.g. `callbackBase`.
        field: &'static str,
        /// Why, safe to log.
        reason: String,
    },
    /// A flow operation failed: cancelled, expired, not possible in the flow's state, a
    /// contract violation by the app's backend, a transport failure, or a bad snapshot.
    #[error("flow failed: {0}")]
    Flow(FlowFailure),
    /// A device link was refused before launch (spec §4.1; not an allowed base, wrong link or
    /// session type, malformed).
    #[error("device link rejected: {0}")]
    LinkRejected(LinkRejection),
    /// An incoming URL is not the return of a pending flow of this app (foreign, unknown,
    /// replayed, stale or malformed).
    #[error("return URL rejected: {0}")]
    ReturnUrlRejected(RouteRejection),
}

impl AppError {
    /// Builds an [`AppError::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        AppError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// A stable, machine-readable code (`invalid_input`, `flow_cancelled`,
    /// `link_base_not_allowed`, `return_url_replayed`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            AppError::InvalidInput { .. } => "invalid_input",
            AppError::Flow(f) => f.code(),
            AppError::LinkRejected(r) => r.code(),
            AppError::ReturnUrlRejected(r) => r.code(),
        }
    }

    /// Whether repeating the same operation may succeed (a busy flow, a transport failure
    /// that says so).
    pub fn is_retryable(&self) -> bool {
        match self {
            AppError::Flow(f) => f.is_retryable(),
            AppError::InvalidInput { .. }
            | AppError::LinkRejected(_)
            | AppError::ReturnUrlRejected(_) => false,
        }
    }
}

impl From<ProtoError> for AppError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::InvalidInput { field, reason } => AppError::InvalidInput { field, reason },
        }
    }
}

impl From<FlowFailure> for AppError {
    fn from(f: FlowFailure) -> Self {
        AppError::Flow(f)
    }
}

impl From<LinkRejection> for AppError {
    fn from(r: LinkRejection) -> Self {
        AppError::LinkRejected(r)
    }
}

impl From<RouteRejection> for AppError {
    fn from(r: RouteRejection) -> Self {
        AppError::ReturnUrlRejected(r)
    }
}

/// Why a flow operation failed (other than a rejected link or return URL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FlowFailure {
    /// The flow was cancelled.
    Cancelled,
    /// The flow's overall deadline passed.
    Expired,
    /// The operation is not possible in the flow's current state.
    InvalidState {
        /// The state the flow is in.
        state: FlowState,
        /// The operation that was attempted.
        operation: &'static str,
    },
    /// The same operation is already in progress.
    Busy(&'static str),
    /// The backend's answer violates the contract.
    BadResponse(String),
    /// The app's transport failed; retrying the same operation may help when `retryable`.
    Transport {
        /// Whether repeating the operation may succeed.
        retryable: bool,
        /// What the transport reported.
        reason: String,
    },
    /// A snapshot could not be restored.
    Snapshot(String),
    /// The flow finished, but its outcome was handed to an earlier request of this flow (a
    /// completion whose answer was lost, e.g. when the app was killed while it was in
    /// flight): the backend delivers an identity or signature once. Start a new flow.
    OutcomeDelivered(OutcomeKind),
}

impl FlowFailure {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            FlowFailure::Cancelled => "flow_cancelled",
            FlowFailure::Expired => "flow_expired",
            FlowFailure::InvalidState { .. } => "flow_invalid_state",
            FlowFailure::Busy(_) => "flow_busy",
            FlowFailure::BadResponse(_) => "flow_bad_response",
            FlowFailure::Transport { .. } => "flow_transport",
            FlowFailure::Snapshot(_) => "flow_snapshot",
            FlowFailure::OutcomeDelivered(_) => "flow_outcome_delivered",
        }
    }

    /// Whether repeating the same operation may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            FlowFailure::Busy(_) => true,
            FlowFailure::Transport { retryable, .. } => *retryable,
            FlowFailure::Cancelled
            | FlowFailure::Expired
            | FlowFailure::InvalidState { .. }
            | FlowFailure::BadResponse(_)
            | FlowFailure::Snapshot(_)
            | FlowFailure::OutcomeDelivered(_) => false,
        }
    }
}

impl fmt::Display for FlowFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FlowFailure::Cancelled => f.write_str("the flow was cancelled"),
            FlowFailure::Expired => f.write_str("the flow's deadline passed"),
            FlowFailure::InvalidState { state, operation } => {
                write!(f, "cannot {operation} a flow in state {state}")
            }
            FlowFailure::Busy(op) => write!(f, "a {op} of this flow is already in progress"),
            FlowFailure::BadResponse(why) => write!(f, "the backend's answer is invalid: {why}"),
            FlowFailure::Transport { retryable, reason } => write!(
                f,
                "transport failed ({}): {reason}",
                if *retryable { "retryable" } else { "fatal" }
            ),
            FlowFailure::Snapshot(why) => write!(f, "snapshot rejected: {why}"),
            FlowFailure::OutcomeDelivered(kind) => write!(
                f,
                "the flow finished ({}) and its outcome was delivered to an earlier request; start a new flow",
                kind.as_str()
            ),
        }
    }
}

/// Why a device link was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkRejection {
    /// Not a well-formed device link: not `https`, parameters missing, out of order, duplicated
    /// or malformed (token, authCode, lang, version, elapsedSeconds).
    Malformed(String),
    /// The link's base is not on the allow-list of Smart-ID device-link bases.
    BaseNotAllowed(String),
    /// `deviceLinkType` is not the one this flow uses (`App2App` on the phone, `QR` on a tablet).
    WrongLinkType {
        /// What the flow expects.
        expected: DeviceLinkType,
        /// What the link carries.
        actual: DeviceLinkType,
    },
    /// `sessionType` does not fit the flow (`auth` for authentication, `sign` for signature,
    /// `cert` for certificate choice + signature).
    SessionTypeMismatch {
        /// What the flow expects.
        expected: SessionType,
        /// What the link carries.
        actual: SessionType,
    },
    /// A later QR link of the flow belongs to another session (different base or session
    /// token): the backend switched sessions under the user's eyes.
    SessionChanged,
    /// A later QR link is older than the one already shown (`elapsedSeconds` went backwards).
    Stale,
}

impl LinkRejection {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            LinkRejection::Malformed(_) => "link_malformed",
            LinkRejection::BaseNotAllowed(_) => "link_base_not_allowed",
            LinkRejection::WrongLinkType { .. } => "link_wrong_type",
            LinkRejection::SessionTypeMismatch { .. } => "link_session_type_mismatch",
            LinkRejection::SessionChanged => "link_session_changed",
            LinkRejection::Stale => "link_stale",
        }
    }
}

impl fmt::Display for LinkRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinkRejection::Malformed(why) => write!(f, "malformed device link: {why}"),
            LinkRejection::BaseNotAllowed(base) => {
                write!(f, "device-link base `{base}` is not on the allow-list")
            }
            LinkRejection::WrongLinkType { expected, actual } => {
                write!(f, "deviceLinkType is {actual}, expected {expected}")
            }
            LinkRejection::SessionTypeMismatch { expected, actual } => {
                write!(f, "sessionType is {actual}, expected {expected}")
            }
            LinkRejection::SessionChanged => {
                f.write_str("QR link belongs to a different Smart-ID session than the flow")
            }
            LinkRejection::Stale => f.write_str("QR link is older than the one already shown"),
        }
    }
}

/// Why an incoming URL was not accepted as the return of a pending flow.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RouteRejection {
    /// Not a strict `https` URL, too long, or its query is not what a Smart-ID return carries
    /// (missing `value`, unknown, duplicated or malformed parameters).
    Malformed(String),
    /// Not on the app's callback base (another host, port or path): not a Smart-ID return.
    ForeignBase,
    /// On the callback base and well-formed, but no flow of this app has this token: a return
    /// for another installation, a flow this app has forgotten, or a forgery.
    UnknownFlow,
    /// The flow already took a different return URL (replay or tampering).
    Replayed,
    /// The flow is no longer waiting: it was cancelled, expired or failed.
    Stale,
    /// The parameters do not fit the flow's session type (`userChallengeVerifier` is sent only
    /// for authentication).
    SessionTypeMismatch,
}

impl RouteRejection {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            RouteRejection::Malformed(_) => "return_url_malformed",
            RouteRejection::ForeignBase => "return_url_foreign",
            RouteRejection::UnknownFlow => "return_url_unknown_flow",
            RouteRejection::Replayed => "return_url_replayed",
            RouteRejection::Stale => "return_url_stale",
            RouteRejection::SessionTypeMismatch => "return_url_session_type_mismatch",
        }
    }
}

impl fmt::Display for RouteRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RouteRejection::Malformed(why) => write!(f, "malformed return URL: {why}"),
            RouteRejection::ForeignBase => {
                f.write_str("URL is not on this app's Smart-ID callback base")
            }
            RouteRejection::UnknownFlow => {
                f.write_str("no pending Smart-ID flow of this app matches the return URL")
            }
            RouteRejection::Replayed => {
                f.write_str("the flow already received a different return URL")
            }
            RouteRejection::Stale => {
                f.write_str("the flow is no longer waiting (cancelled, expired or failed)")
            }
            RouteRejection::SessionTypeMismatch => {
                f.write_str("return URL parameters do not fit the flow's session type")
            }
        }
    }
}
