//! The helpers that build the contract errors the backend answers with: a [`Problem`] for a
//! contract code, and the ones for an internal failure and a failed RP API call, which are
//! [`FlowError`]'s mapping.

use sidkit_client::ClientError;
use sidkit_contract::ErrorBody;

use crate::error::FlowError;
pub(crate) use crate::error::Problem;

/// A problem with the contract error `code` and a human-readable `detail`.
pub(crate) fn problem(code: &str, detail: impl Into<String>) -> Problem {
    ErrorBody::new(code, detail)
}

/// An `internal` problem: something that should not happen (a corrupt record, a failed
/// random source, ...).
pub(crate) fn internal(e: impl std::fmt::Display) -> Problem {
    FlowError::internal(e).problem()
}

/// The problem for a failed RP API call ([`FlowError::SmartId`]): `unavailable` if retrying
/// may help, `bad_request` for input Smart-ID refused, `internal` otherwise.
pub(crate) fn map_client_error(e: ClientError) -> Problem {
    FlowError::SmartId(e).problem()
}
