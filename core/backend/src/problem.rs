//! The contract errors the backend answers with: [`Problem`] (an RFC 9457 problem, the
//! contract's [`ErrorBody`]), the helpers that build one, and the mapping of RP API client
//! errors to problems.

use sidkit_client::ClientError;
use sidkit_contract::{error_codes as codes, ErrorBody};

/// A contract error: the RFC 9457 problem the router answers with.
pub type Problem = ErrorBody;

/// A problem with the contract error `code` and a human-readable `detail`.
pub(crate) fn problem(code: &str, detail: impl Into<String>) -> Problem {
    ErrorBody::new(code, detail)
}

/// An `internal` problem: something that should not happen (a corrupt record, a failed
/// random source, ...).
pub(crate) fn internal(e: impl std::fmt::Display) -> Problem {
    problem(codes::INTERNAL, format!("{e}"))
}

/// The problem for a failed RP API call: `unavailable` if retrying may help, `bad_request` for
/// input Smart-ID refused, `internal` otherwise.
pub(crate) fn map_client_error(e: ClientError) -> Problem {
    if e.is_retryable() {
        problem(codes::UNAVAILABLE, format!("Smart-ID is unavailable: {e}"))
    } else if matches!(e, ClientError::InvalidInput { .. }) {
        problem(codes::BAD_REQUEST, e.to_string())
    } else {
        problem(codes::INTERNAL, format!("Smart-ID call failed: {e}"))
    }
}
