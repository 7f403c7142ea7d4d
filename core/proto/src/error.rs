//! The error types of the protocol layer.
//!
//! * [`ProtoError`]: the caller passed something the RP API does not allow (length, alphabet,
//!   allowed values, combination of options). Fix the input; retrying unchanged can never
//!   succeed. Nothing was sent or computed.
//! * [`CallbackFailure`]: a Smart-ID callback URL failed one of the mandatory checks of spec
//!   §7.3 (what the callback checks of [`crate::callback`] return). Deny the login or signature.
//!
//! The layers above have their own error types (`VerifyError`, `ClientError`, `AppError`, ...)
//! that wrap these; the `sidkit` facade aggregates them all.

use std::fmt;

/// Shorthand for `std::result::Result<T, ProtoError>`.
pub type Result<T, E = ProtoError> = std::result::Result<T, E>;

/// A protocol rule was violated by the caller's input.
///
/// An enum with one kind today, so that the layers above can match it exhaustively and a new
/// kind is a compile error there rather than a silently misfiled value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtoError {
    /// An input violates a rule of the RP API (length, alphabet, allowed values, combination of
    /// options). `field` is the protocol name of the offending field (e.g. `rpChallenge`).
    #[error("invalid {field}: {reason}")]
    InvalidInput {
        /// Protocol name of the field, e.g. `initialCallbackUrl`.
        field: &'static str,
        /// Human-readable explanation, safe to log (never contains secret material).
        reason: String,
    },
}

impl ProtoError {
    /// Builds a [`ProtoError::InvalidInput`].
    pub fn invalid(field: &'static str, reason: impl Into<String>) -> Self {
        ProtoError::InvalidInput {
            field,
            reason: reason.into(),
        }
    }

    /// The protocol name of the offending field.
    pub fn field(&self) -> &'static str {
        match self {
            ProtoError::InvalidInput { field, .. } => field,
        }
    }

    /// The explanation, without the field name.
    pub fn reason(&self) -> &str {
        match self {
            ProtoError::InvalidInput { reason, .. } => reason,
        }
    }

    /// A stable, machine-readable code: `invalid_input`.
    pub fn code(&self) -> &'static str {
        match self {
            ProtoError::InvalidInput { .. } => "invalid_input",
        }
    }
}

/// The check of spec §7.3 that a callback failed.
#[derive(Debug, Clone, PartialEq, Eq)]
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

impl std::error::Error for CallbackFailure {}
