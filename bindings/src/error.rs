//! The one error type of the FFI surface (`SidkitException` in Kotlin, `SidkitError` in Swift).

use sidkit_app::{AppError, FlowFailure, LinkRejection, RouteRejection};
use sidkit_proto::ProtoError;

/// Why a device link was refused before launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum LinkRejectionKind {
    /// Not a well-formed Smart-ID device link (not `https`, parameters missing, out of order,
    /// duplicated or malformed).
    Malformed,
    /// The base is not on the allow-list (LIVE / DEMO presets plus the configured extras).
    BaseNotAllowed,
    /// `deviceLinkType` is not `App2App` (phone) or `QR` (tablet) as the flow needs.
    WrongLinkType,
    /// `sessionType` does not fit the flow kind.
    SessionTypeMismatch,
    /// A later QR link belongs to another Smart-ID session.
    SessionChanged,
    /// A later QR link is older than the one shown; keep showing the current one.
    Stale,
}

/// Why an incoming URL was not taken as the return of a pending flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum ReturnUrlRejectionKind {
    /// Not a strict `https` URL, or its query is not what a Smart-ID return carries.
    Malformed,
    /// Not on the app's callback base: not a Smart-ID return at all.
    ForeignBase,
    /// No flow of this app has this return's token (another installation, a forgotten flow,
    /// or a forgery).
    UnknownFlow,
    /// The flow already took a different return URL.
    Replayed,
    /// The flow was cancelled, expired or failed.
    Stale,
    /// The parameters do not fit the flow's session type.
    SessionTypeMismatch,
}

/// What went wrong with a flow operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum FlowErrorKind {
    /// The flow was cancelled.
    Cancelled,
    /// The flow's deadline passed.
    Expired,
    /// The operation is not possible in the flow's state.
    InvalidState,
    /// The same operation is already running for this flow (retry later).
    Busy,
    /// The backend's answer violates the contract.
    BadResponse,
    /// The snapshot could not be restored.
    Snapshot,
    /// The flow finished, but its outcome was handed to an earlier request of this flow (a
    /// completion whose answer was lost): the backend delivers an identity or signature
    /// once. Start a new flow.
    OutcomeDelivered,
    /// The backend speaks another major version of the sidkit contract (its
    /// `Sidkit-Contract` header, or its `contract_version` problem): update the app or the
    /// backend. Thrown by [`check_contract_version`](crate::check_contract_version).
    ContractVersion,
}

/// Everything that can go wrong: the one error type of this library. Each variant says
/// whether repeating the same call may succeed (`isRetryable`) and has a stable `code`.
///
/// The app's transport throws the `Transport` variant for network failures and the `Backend`
/// variant for error responses of its backend (see `backendErrorFromJson` with the `json`
/// feature); anything else it throws arrives as the `Unexpected` variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, uniffi::Error)]
pub enum SidkitError {
    /// An argument or configuration value is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field, e.g. `callbackBase`.
        field: String,
        /// Why.
        reason: String,
    },
    /// The device link from the backend failed the check before launch.
    #[error("device link rejected ({kind:?}): {reason}")]
    LinkRejected {
        /// What failed.
        kind: LinkRejectionKind,
        /// Details (safe to log).
        reason: String,
    },
    /// The URL is not the return of a pending flow of this app.
    #[error("return URL rejected ({kind:?}): {reason}")]
    ReturnUrlRejected {
        /// What failed.
        kind: ReturnUrlRejectionKind,
        /// Details (safe to log; never contains the URL's token).
        reason: String,
    },
    /// A flow operation failed.
    #[error("flow error ({kind:?}): {reason}")]
    Flow {
        /// What failed.
        kind: FlowErrorKind,
        /// Details.
        reason: String,
    },
    /// The transport could not reach the backend (thrown by the app's transport).
    #[error("transport failed: {reason}")]
    Transport {
        /// Details.
        reason: String,
        /// Whether repeating the call may succeed (e.g. a timeout or no network).
        retryable: bool,
    },
    /// The backend answered with an error (thrown by the app's transport).
    #[error("backend error {backend_code} (HTTP {http_status}): {reason}")]
    Backend {
        /// The HTTP status.
        http_status: u16,
        /// The contract's error code, e.g. `callback_rejected`.
        backend_code: String,
        /// The backend's message.
        reason: String,
        /// Whether repeating the call may succeed.
        retryable: bool,
    },
    /// The app's transport threw something that is not this error type.
    #[error("unexpected error from the app's transport: {reason}")]
    Unexpected {
        /// The foreign exception's text.
        reason: String,
    },
}

#[uniffi::export]
impl SidkitError {
    /// Whether repeating the same call may succeed (transport and backend errors that say so,
    /// and `Busy`). Everything else needs a change first (new flow, other input).
    pub fn is_retryable(&self) -> bool {
        match self {
            SidkitError::Transport { retryable, .. } | SidkitError::Backend { retryable, .. } => {
                *retryable
            }
            SidkitError::Flow { kind, .. } => *kind == FlowErrorKind::Busy,
            _ => false,
        }
    }

    /// A stable, machine-readable code (`flow_cancelled`, `link_base_not_allowed`,
    /// `return_url_replayed`, `transport`, `backend`, ...), for logs and analytics.
    pub fn code(&self) -> String {
        match self {
            SidkitError::InvalidInput { .. } => "invalid_input",
            SidkitError::LinkRejected { kind, .. } => match kind {
                LinkRejectionKind::Malformed => "link_malformed",
                LinkRejectionKind::BaseNotAllowed => "link_base_not_allowed",
                LinkRejectionKind::WrongLinkType => "link_wrong_type",
                LinkRejectionKind::SessionTypeMismatch => "link_session_type_mismatch",
                LinkRejectionKind::SessionChanged => "link_session_changed",
                LinkRejectionKind::Stale => "link_stale",
            },
            SidkitError::ReturnUrlRejected { kind, .. } => match kind {
                ReturnUrlRejectionKind::Malformed => "return_url_malformed",
                ReturnUrlRejectionKind::ForeignBase => "return_url_foreign",
                ReturnUrlRejectionKind::UnknownFlow => "return_url_unknown_flow",
                ReturnUrlRejectionKind::Replayed => "return_url_replayed",
                ReturnUrlRejectionKind::Stale => "return_url_stale",
                ReturnUrlRejectionKind::SessionTypeMismatch => "return_url_session_type_mismatch",
            },
            SidkitError::Flow { kind, .. } => match kind {
                FlowErrorKind::Cancelled => "flow_cancelled",
                FlowErrorKind::Expired => "flow_expired",
                FlowErrorKind::InvalidState => "flow_invalid_state",
                FlowErrorKind::Busy => "flow_busy",
                FlowErrorKind::BadResponse => "flow_bad_response",
                FlowErrorKind::Snapshot => "flow_snapshot",
                FlowErrorKind::OutcomeDelivered => "flow_outcome_delivered",
                FlowErrorKind::ContractVersion => "contract_version",
            },
            SidkitError::Transport { .. } => "transport",
            SidkitError::Backend { .. } => "backend",
            SidkitError::Unexpected { .. } => "unexpected",
        }
        .to_owned()
    }
}

impl From<uniffi::UnexpectedUniFFICallbackError> for SidkitError {
    fn from(e: uniffi::UnexpectedUniFFICallbackError) -> Self {
        SidkitError::Unexpected { reason: e.reason }
    }
}

impl From<ProtoError> for SidkitError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::InvalidInput { field, reason } => SidkitError::InvalidInput {
                field: field.to_owned(),
                reason,
            },
        }
    }
}

/// Every variant of the phone layer's error is mapped explicitly: a new kind in `sidkit-app`
/// is a compile error here, never a silently misfiled value.
impl From<AppError> for SidkitError {
    fn from(e: AppError) -> Self {
        match e {
            AppError::InvalidInput { field, reason } => SidkitError::InvalidInput {
                field: field.to_owned(),
                reason,
            },
            AppError::Flow(f) => {
                let reason = f.to_string();
                let kind = match f {
                    FlowFailure::Transport { retryable, reason } => {
                        return SidkitError::Transport { reason, retryable }
                    }
                    FlowFailure::Cancelled => FlowErrorKind::Cancelled,
                    FlowFailure::Expired => FlowErrorKind::Expired,
                    FlowFailure::InvalidState { .. } => FlowErrorKind::InvalidState,
                    FlowFailure::Busy(_) => FlowErrorKind::Busy,
                    FlowFailure::BadResponse(_) => FlowErrorKind::BadResponse,
                    FlowFailure::Snapshot(_) => FlowErrorKind::Snapshot,
                    FlowFailure::OutcomeDelivered(_) => FlowErrorKind::OutcomeDelivered,
                };
                SidkitError::Flow { kind, reason }
            }
            AppError::LinkRejected(r) => SidkitError::LinkRejected {
                reason: r.to_string(),
                kind: match r {
                    LinkRejection::Malformed(_) => LinkRejectionKind::Malformed,
                    LinkRejection::BaseNotAllowed(_) => LinkRejectionKind::BaseNotAllowed,
                    LinkRejection::WrongLinkType { .. } => LinkRejectionKind::WrongLinkType,
                    LinkRejection::SessionTypeMismatch { .. } => {
                        LinkRejectionKind::SessionTypeMismatch
                    }
                    LinkRejection::SessionChanged => LinkRejectionKind::SessionChanged,
                    LinkRejection::Stale => LinkRejectionKind::Stale,
                },
            },
            AppError::ReturnUrlRejected(r) => SidkitError::ReturnUrlRejected {
                reason: r.to_string(),
                kind: match r {
                    RouteRejection::Malformed(_) => ReturnUrlRejectionKind::Malformed,
                    RouteRejection::ForeignBase => ReturnUrlRejectionKind::ForeignBase,
                    RouteRejection::UnknownFlow => ReturnUrlRejectionKind::UnknownFlow,
                    RouteRejection::Replayed => ReturnUrlRejectionKind::Replayed,
                    RouteRejection::Stale => ReturnUrlRejectionKind::Stale,
                    RouteRejection::SessionTypeMismatch => {
                        ReturnUrlRejectionKind::SessionTypeMismatch
                    }
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_the_core_codes() {
        let cases: Vec<AppError> = vec![
            FlowFailure::Cancelled.into(),
            FlowFailure::Expired.into(),
            FlowFailure::Busy("poll").into(),
            FlowFailure::BadResponse("x".into()).into(),
            FlowFailure::Snapshot("x".into()).into(),
            LinkRejection::Malformed("x".into()).into(),
            LinkRejection::BaseNotAllowed("x".into()).into(),
            LinkRejection::SessionChanged.into(),
            LinkRejection::Stale.into(),
            RouteRejection::ForeignBase.into(),
            RouteRejection::UnknownFlow.into(),
            RouteRejection::Replayed.into(),
            RouteRejection::Stale.into(),
            RouteRejection::SessionTypeMismatch.into(),
            RouteRejection::Malformed("x".into()).into(),
            AppError::invalid("lang", "x"),
        ];
        for e in cases {
            let code = e.code();
            let ffi = SidkitError::from(e);
            assert_eq!(ffi.code(), code, "{ffi:?}");
        }
        let t = SidkitError::from(AppError::from(FlowFailure::Transport {
            retryable: true,
            reason: "offline".into(),
        }));
        assert!(t.is_retryable());
        assert_eq!(t.code(), "transport");
        assert!(SidkitError::from(AppError::from(FlowFailure::Busy("x"))).is_retryable());
        assert!(!SidkitError::from(AppError::from(FlowFailure::Expired)).is_retryable());
    }
}
