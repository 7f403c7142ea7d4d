//! [`VerifyError`]: the error type of response verification.

use sidkit_proto::{CallbackFailure, ProtoError, SessionEnded};

use crate::failure::VerificationFailure;

/// Shorthand for `std::result::Result<T, VerifyError>`.
pub type Result<T, E = VerifyError> = std::result::Result<T, E>;

/// Everything response verification can report.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// The caller's own input is unusable (a malformed request body, an empty trust store
    /// directory, a certificate file that does not parse). Nothing was verified.
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending field or input, e.g. `trustStore`.
        field: &'static str,
        /// Why, safe to log.
        reason: String,
    },
    /// The session completed with an `endResult` other than `OK`: not a verification failure,
    /// but there is nothing to verify.
    #[error(transparent)]
    SessionEnded(SessionEnded),
    /// A completed session's response failed verification (spec §8): a signature, the
    /// certificate chain, a Smart-ID profile rule, the identity, or the callback. The
    /// [`VerificationFailure`] names the check. Deny.
    #[error("response verification failed: {0}")]
    Verification(VerificationFailure),
}

impl VerifyError {
    /// Builds a [`VerifyError::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        VerifyError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// `true` when the caller's own input was refused (nothing was verified).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, VerifyError::InvalidInput { .. })
    }

    /// A stable, machine-readable code: `invalid_input`, the end result's code, or the failed
    /// check's ([`VerificationFailure::code`]).
    pub fn code(&self) -> &'static str {
        match self {
            VerifyError::InvalidInput { .. } => "invalid_input",
            VerifyError::SessionEnded(e) => e.code(),
            VerifyError::Verification(f) => f.code(),
        }
    }

    /// Only a session that ended with `SERVER_ERROR` may succeed when repeated (as a new
    /// session); a failed verification never does.
    pub fn is_retryable(&self) -> bool {
        match self {
            VerifyError::SessionEnded(e) => e.is_retryable(),
            VerifyError::InvalidInput { .. } | VerifyError::Verification(_) => false,
        }
    }
}

impl From<ProtoError> for VerifyError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::InvalidInput { field, reason } => {
                VerifyError::InvalidInput { field, reason }
            }
        }
    }
}

/// A callback URL that fails its checks during verification is a verification failure
/// (step 1 or 3 of spec §8).
impl From<CallbackFailure> for VerifyError {
    fn from(f: CallbackFailure) -> Self {
        VerifyError::Verification(VerificationFailure::Callback(f))
    }
}

impl From<VerificationFailure> for VerifyError {
    fn from(f: VerificationFailure) -> Self {
        VerifyError::Verification(f)
    }
}

impl From<SessionEnded> for VerifyError {
    fn from(e: SessionEnded) -> Self {
        VerifyError::SessionEnded(e)
    }
}
