//! The one error type of the crate.
//!
//! Every fallible function returns [`Result<T>`](Result). The variants are grouped by what a caller
//! does about them:
//!
//! * [`Error::InvalidInput`]: the caller passed something the protocol does not allow. Fix the input;
//!   retrying unchanged can never succeed. Nothing was sent or computed.
//! * [`Error::Callback`]: a Smart-ID callback URL failed one of the mandatory checks of spec §7.3.
//!   Deny the login/signature; [`CallbackFailure`] names the check.
//! * [`Error::SessionEnded`]: the user refused, timed out, or the session failed on the Smart-ID
//!   side; the `endResult` says which.
//! * [`Error::Api`]: a call to the RP API failed (HTTP status, transport, TLS, polling);
//!   [`ApiFailure`] names what and says whether a retry may help.
//!
//! Later layers (response verification, the HTTP client, the App2App flow) add their own variants,
//! each carrying a small enum that names exactly what failed.

use std::fmt;

use crate::api::ApiFailure;
use crate::models::EndResult;

/// Shorthand for `std::result::Result<T, sidkit_core::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can go wrong in this crate.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An input violates a rule of the RP API (length, alphabet, allowed values, combination of
    /// options). `field` is the protocol name of the offending field (e.g. `rpChallenge`).
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Protocol name of the field, e.g. `initialCallbackUrl`.
        field: &'static str,
        /// Human-readable explanation, safe to log (never contains secret material).
        reason: String,
    },

    /// A callback from the Smart-ID app failed verification (spec §7.3). The login or signature
    /// must be denied.
    #[error("callback rejected: {0}")]
    Callback(CallbackFailure),

    /// The session completed with an `endResult` other than `OK` (the user refused, timed out,
    /// …). Show the user a message for `end_result`; for the account-related results show one
    /// and the same message (spec §10, against user enumeration).
    #[error("Smart-ID session ended with {end_result}{}", interaction.as_deref().map(|i| format!(" (interaction {i})")).unwrap_or_default())]
    SessionEnded {
        /// The `endResult`.
        end_result: EndResult,
        /// `result.details.interaction` for `USER_REFUSED_INTERACTION`.
        interaction: Option<String>,
    },

    /// A completed session's response failed verification (spec §8): a signature, the
    /// certificate chain, a Smart-ID profile rule, the identity, or the callback. The
    /// [`VerificationFailure`](crate::verify::VerificationFailure) names the check. Deny.
    #[cfg(feature = "verify")]
    #[error("response verification failed: {0}")]
    Verification(crate::verify::VerificationFailure),
    /// A call to the RP API failed: an error status with its RFC 9457 details, a transport or
    /// TLS failure, a malformed response, or the poller's deadline or cancellation.
    /// [`ApiFailure::retryable`] says whether a retry may help.
    #[error("RP API call failed: {0}")]
    Api(ApiFailure),
    /// A mobile flow operation failed: cancelled, expired, not possible in the flow's state, a
    /// contract violation by the app's backend, a transport failure, or a bad snapshot.
    #[error("flow failed: {0}")]
    Flow(crate::mobile::FlowFailure),

    /// A device link was refused before launch (spec §4.1; not an allowed base, wrong link or
    /// session type, malformed).
    #[error("device link rejected: {0}")]
    LinkRejected(crate::mobile::LinkRejection),

    /// An incoming URL is not the return of a pending flow of this app (foreign, unknown,
    /// replayed, stale or malformed).
    #[error("return URL rejected: {0}")]
    ReturnUrlRejected(crate::mobile::RouteRejection),
}

impl Error {
    /// Builds an [`Error::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        Error::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// `true` when the error is caused by the caller's input (as opposed to a failed check of
    /// something received from Smart-ID or from a user's device).
    pub fn is_invalid_input(&self) -> bool {
        matches!(self, Error::InvalidInput { .. })
    }

    /// A stable, machine-readable code for logs and for mapping to API problem types.
    pub fn code(&self) -> &'static str {
        match self {
            Error::InvalidInput { .. } => "invalid_input",
            Error::Callback(f) => f.code(),
            Error::Flow(f) => f.code(),
            Error::LinkRejected(r) => r.code(),
            Error::ReturnUrlRejected(r) => r.code(),
            Error::SessionEnded { end_result, .. } => match end_result {
                EndResult::Ok => "session_ok",
                EndResult::UserRefused => "user_refused",
                EndResult::Timeout => "timeout",
                EndResult::DocumentUnusable => "document_unusable",
                EndResult::WrongVc => "wrong_vc",
                EndResult::RequiredInteractionNotSupportedByApp => {
                    "required_interaction_not_supported_by_app"
                }
                EndResult::UserRefusedCertChoice => "user_refused_cert_choice",
                EndResult::UserRefusedInteraction => "user_refused_interaction",
                EndResult::ProtocolFailure => "protocol_failure",
                EndResult::ExpectedLinkedSession => "expected_linked_session",
                EndResult::ServerError => "server_error",
                EndResult::AccountUnusable => "account_unusable",
                EndResult::Unknown(_) => "session_failed",
            },
            #[cfg(feature = "verify")]
            Error::Verification(f) => f.code(),
            Error::Api(f) => f.code(),
        }
    }

    /// Whether retrying the same operation later may succeed (network trouble, maintenance,
    /// a server error). Bad input and failed verifications are never retryable; a refused or
    /// timed-out session needs a new session, not a retry.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::SessionEnded { end_result, .. } => *end_result == EndResult::ServerError,
            Error::Api(f) => f.retryable(),
            Error::Flow(f) => f.is_retryable(),
            _ => false,
        }
    }
}

/// The check of spec §7.3 that a callback failed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CallbackFailure {
    /// The callback URL could not be parsed or is not an `https` URL.
    Malformed(String),
    /// The callback does not point at the callback base the session was created with.
    WrongBase,
    /// A mandatory query parameter (`value`, `sessionSecretDigest`, `userChallengeVerifier`) is
    /// missing.
    MissingParameter(&'static str),
    /// A query parameter appears more than once.
    DuplicateParameter(String),
    /// The random per-session token (`value`) does not match the session (binding check, step 1).
    TokenMismatch,
    /// `sessionSecretDigest` does not match the session's secret (step 2).
    SessionSecretDigestMismatch,
    /// SHA-256 of `userChallengeVerifier` does not equal `signature.userChallenge` (step 3).
    UserChallengeMismatch,
    /// `userChallengeVerifier` was present for a session type that has none (signature or
    /// certificate choice), which a genuine Smart-ID app never sends.
    UnexpectedParameter(&'static str),
    /// This callback was already accepted once (or an attempt with the right token was already
    /// made). A callback is single-use (step 5).
    AlreadyUsed,
}

impl CallbackFailure {
    /// A stable, machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            CallbackFailure::Malformed(_) => "callback_malformed",
            CallbackFailure::WrongBase => "callback_wrong_base",
            CallbackFailure::MissingParameter(_) => "callback_missing_parameter",
            CallbackFailure::DuplicateParameter(_) => "callback_duplicate_parameter",
            CallbackFailure::TokenMismatch => "callback_token_mismatch",
            CallbackFailure::SessionSecretDigestMismatch => {
                "callback_session_secret_digest_mismatch"
            }
            CallbackFailure::UserChallengeMismatch => "callback_user_challenge_mismatch",
            CallbackFailure::UnexpectedParameter(_) => "callback_unexpected_parameter",
            CallbackFailure::AlreadyUsed => "callback_already_used",
        }
    }
}

impl fmt::Display for CallbackFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CallbackFailure::Malformed(why) => write!(f, "malformed callback URL: {why}"),
            CallbackFailure::WrongBase => {
                f.write_str("callback URL does not match the session's initialCallbackUrl")
            }
            CallbackFailure::MissingParameter(p) => write!(f, "missing parameter `{p}`"),
            CallbackFailure::DuplicateParameter(p) => write!(f, "parameter `{p}` appears twice"),
            CallbackFailure::TokenMismatch => {
                f.write_str("token binding failed: `value` does not belong to this session")
            }
            CallbackFailure::SessionSecretDigestMismatch => {
                f.write_str("sessionSecretDigest does not match the session secret")
            }
            CallbackFailure::UserChallengeMismatch => {
                f.write_str("userChallengeVerifier does not match signature.userChallenge")
            }
            CallbackFailure::UnexpectedParameter(p) => {
                write!(f, "unexpected parameter `{p}` for this session type")
            }
            CallbackFailure::AlreadyUsed => f.write_str("callback was already used"),
        }
    }
}

impl From<ApiFailure> for Error {
    fn from(f: ApiFailure) -> Self {
        Error::Api(f)
    }
}

impl From<CallbackFailure> for Error {
    fn from(f: CallbackFailure) -> Self {
        Error::Callback(f)
    }
}
