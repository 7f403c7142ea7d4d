//! The error types of the backend kit: [`BackendError`] (building a [`Backend`](crate::Backend))
//! and [`StoreError`] (a [`SessionStore`](crate::SessionStore) operation failed).
//!
//! Requests are answered with a [`Problem`](crate::Problem) (RFC 9457); these types are for the
//! code that sets the kit up and for store implementations.

use sidkit_proto::ProtoError;

/// Why the backend kit could not be set up.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BackendError {
    /// A configuration value is unusable (callback base, trust store, TTL).
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// The offending setting, e.g. `trustStore`.
        field: &'static str,
        /// Why.
        reason: String,
    },
    /// The session store failed.
    #[error(transparent)]
    Store(StoreError),
}

impl BackendError {
    /// Builds a [`BackendError::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        BackendError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// A stable, machine-readable code: `invalid_input` or `store_failed`.
    pub fn code(&self) -> &'static str {
        match self {
            BackendError::InvalidInput { .. } => "invalid_input",
            BackendError::Store(_) => "store_failed",
        }
    }
}

impl From<ProtoError> for BackendError {
    fn from(e: ProtoError) -> Self {
        match e {
            ProtoError::InvalidInput { field, reason } => {
                BackendError::InvalidInput { field, reason }
            }
        }
    }
}

impl From<StoreError> for BackendError {
    fn from(e: StoreError) -> Self {
        BackendError::Store(e)
    }
}

/// A [`SessionStore`](crate::SessionStore) operation failed (the store is unreachable, a lock is
/// poisoned, ...). The request that needed it is answered `503`; retrying later may succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("session store failed: {reason}")]
pub struct StoreError {
    reason: String,
}

impl StoreError {
    /// A store failure; `reason` must be safe to log (no keys or values).
    pub fn new(reason: impl Into<String>) -> Self {
        StoreError {
            reason: reason.into(),
        }
    }

    /// Why.
    pub fn reason(&self) -> &str {
        &self.reason
    }
}
