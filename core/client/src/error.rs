//! [`ClientError`]: the error type of the RP API client.

use sidkit_proto::{ProtoError, SessionEnded};

use crate::api::ApiFailure;

/// Shorthand for `std::result::Result<T, ClientError>`.
pub type Result<T, E = ClientError> = std::result::Result<T, E>;

/// Everything the RP API client can report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// A request or the client's configuration breaks a rule; nothing was sent. Fix the input;
    /// retrying unchanged can never succeed.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field, e.g. `baseUrl`.
        field: &'static str,
        /// Why, safe to log.
        reason: String,
    },
    /// The session completed with an `endResult` other than `OK` (the user refused, timed out,
    /// ...).
    #[error(transparent)]
    SessionEnded(SessionEnded),
    /// A call to the RP API failed: an error status with its RFC 9457 details, a transport or
    /// TLS failure, a malformed response, or the poller's deadline or cancellation.
    /// [`ApiFailure::retryable`] says whether a retry may help.
    #[error("RP API call failed: {0}")]
    Api(ApiFailure),
}

impl ClientError {
    /// Builds a [`ClientError::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ClientError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// `true` when the caller's input was refused before anything was sent.
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, ClientError::InvalidInput { .. })
    }

    /// A stable, machine-readable code (`invalid_input`, `user_refused`, `api_timeout`, ...).
    pub fn code(&self) -> &'static str {
        match self {
            ClientError::InvalidInput { .. } => "invalid_input",
            ClientError::SessionEnded(e) => e.code(),
            ClientError::Api(f) => f.code(),
        }
    }

    /// Whether retrying the same operation later may succeed (network trouble, maintenance, a
    /// server error). Bad input never is; a refused or timed-out session needs a new session.
    pub fn is_retryable(&self) -> bool {
        match self {
            ClientError::InvalidInput { .. } => false,
            ClientError::SessionEnded(e) => e.is_retryable(),
            ClientError::Api(f) => f.retryable(),
        }
    }
}

impl From<ProtoError> for ClientError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::InvalidInput { field, reason } => {
                ClientError::InvalidInput { field, reason }
            }
        }
    }
}

impl From<ApiFailure> for ClientError {
    fn from(f: ApiFailure) -> Self {
        ClientError::Api(f)
    }
}

impl From<SessionEnded> for ClientError {
    fn from(e: SessionEnded) -> Self {
        ClientError::SessionEnded(e)
    }
}
