//! How a Smart-ID session ended: [`EndResult`] (`result.endResult`) and [`SessionEnded`], the
//! failure of a session that completed with anything but `OK`. A leaf module: the error types of
//! the client and of verification both carry it.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::interactions::InteractionType;

/// `result.endResult` of a completed session.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum EndResult {
    /// `OK`
    Ok,
    /// `USER_REFUSED`
    UserRefused,
    /// `TIMEOUT`
    Timeout,
    /// `DOCUMENT_UNUSABLE`
    DocumentUnusable,
    /// `WRONG_VC`
    WrongVc,
    /// `REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP`
    RequiredInteractionNotSupportedByApp,
    /// `USER_REFUSED_CERT_CHOICE`
    UserRefusedCertChoice,
    /// `USER_REFUSED_INTERACTION`
    UserRefusedInteraction,
    /// `PROTOCOL_FAILURE`
    ProtocolFailure,
    /// `EXPECTED_LINKED_SESSION`
    ExpectedLinkedSession,
    /// `SERVER_ERROR`
    ServerError,
    /// `ACCOUNT_UNUSABLE`
    AccountUnusable,
    /// A value this version does not know; treated as a failure.
    Unknown(String),
}

impl EndResult {
    /// Every known value (without `Unknown`).
    pub const KNOWN: &'static [EndResult] = &[
        EndResult::Ok,
        EndResult::UserRefused,
        EndResult::Timeout,
        EndResult::DocumentUnusable,
        EndResult::WrongVc,
        EndResult::RequiredInteractionNotSupportedByApp,
        EndResult::UserRefusedCertChoice,
        EndResult::UserRefusedInteraction,
        EndResult::ProtocolFailure,
        EndResult::ExpectedLinkedSession,
        EndResult::ServerError,
        EndResult::AccountUnusable,
    ];

    /// The protocol string.
    pub fn as_str(&self) -> &str {
        match self {
            EndResult::Ok => "OK",
            EndResult::UserRefused => "USER_REFUSED",
            EndResult::Timeout => "TIMEOUT",
            EndResult::DocumentUnusable => "DOCUMENT_UNUSABLE",
            EndResult::WrongVc => "WRONG_VC",
            EndResult::RequiredInteractionNotSupportedByApp => {
                "REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP"
            }
            EndResult::UserRefusedCertChoice => "USER_REFUSED_CERT_CHOICE",
            EndResult::UserRefusedInteraction => "USER_REFUSED_INTERACTION",
            EndResult::ProtocolFailure => "PROTOCOL_FAILURE",
            EndResult::ExpectedLinkedSession => "EXPECTED_LINKED_SESSION",
            EndResult::ServerError => "SERVER_ERROR",
            EndResult::AccountUnusable => "ACCOUNT_UNUSABLE",
            EndResult::Unknown(s) => s,
        }
    }

    /// Parses a protocol string; unknown values become [`EndResult::Unknown`].
    pub fn parse(s: &str) -> Self {
        Self::KNOWN
            .iter()
            .find(|k| k.as_str() == s)
            .cloned()
            .unwrap_or_else(|| EndResult::Unknown(s.to_owned()))
    }
}

impl fmt::Display for EndResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EndResult {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EndResult {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Ok(EndResult::parse(&String::deserialize(d)?))
    }
}

impl EndResult {
    /// A stable, machine-readable code (`user_refused`, `timeout`, ...; `session_failed` for a
    /// value this version does not know).
    pub fn code(&self) -> &'static str {
        match self {
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
        }
    }
}

/// The session completed with an `endResult` other than `OK` (the user refused, timed out,
/// ...). Show the user a message for `end_result`; for the account-related results show one and
/// the same message (spec §10, against user enumeration).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Smart-ID session ended with {end_result}{}", interaction.as_deref().map(|i| format!(" (interaction {i})")).unwrap_or_default())]
pub struct SessionEnded {
    /// The `endResult`.
    pub end_result: EndResult,
    /// `result.details.interaction` for `USER_REFUSED_INTERACTION`.
    pub interaction: Option<String>,
}

/// What the user refused in a `USER_REFUSED_INTERACTION` session, from
/// `result.details.interaction` (unsigned, like every end result: tell the user, never decide
/// on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefusedInteraction {
    /// `displayTextAndPIN`: refused on the PIN screen with the short text.
    DisplayTextAndPin,
    /// `confirmationMessage`: refused the long confirmation text.
    ConfirmationMessage,
    /// `confirmationMessageAndVerificationCodeChoice`: refused the confirmation with the
    /// verification-code choice (notification flows).
    ConfirmationMessageAndVerificationCodeChoice,
    /// `details.interaction` missing, or a value this version does not know (kept as sent).
    Unreported(Option<String>),
}

impl RefusedInteraction {
    /// Classifies `details.interaction`.
    pub fn from_detail(detail: Option<&str>) -> Self {
        match detail.and_then(InteractionType::parse) {
            Some(InteractionType::DisplayTextAndPin) => RefusedInteraction::DisplayTextAndPin,
            Some(InteractionType::ConfirmationMessage) => RefusedInteraction::ConfirmationMessage,
            Some(InteractionType::ConfirmationMessageAndVerificationCodeChoice) => {
                RefusedInteraction::ConfirmationMessageAndVerificationCodeChoice
            }
            None => RefusedInteraction::Unreported(detail.map(str::to_owned)),
        }
    }

    /// The interaction type, when known.
    pub fn interaction_type(&self) -> Option<InteractionType> {
        match self {
            RefusedInteraction::DisplayTextAndPin => Some(InteractionType::DisplayTextAndPin),
            RefusedInteraction::ConfirmationMessage => Some(InteractionType::ConfirmationMessage),
            RefusedInteraction::ConfirmationMessageAndVerificationCodeChoice => {
                Some(InteractionType::ConfirmationMessageAndVerificationCodeChoice)
            }
            RefusedInteraction::Unreported(_) => None,
        }
    }

    /// A stable code: `user_refused_display_text_and_pin`, `user_refused_confirmation_message`,
    /// `user_refused_confirmation_message_and_verification_code_choice`, or
    /// `user_refused_interaction` when unreported.
    pub fn code(&self) -> &'static str {
        match self {
            RefusedInteraction::DisplayTextAndPin => "user_refused_display_text_and_pin",
            RefusedInteraction::ConfirmationMessage => "user_refused_confirmation_message",
            RefusedInteraction::ConfirmationMessageAndVerificationCodeChoice => {
                "user_refused_confirmation_message_and_verification_code_choice"
            }
            RefusedInteraction::Unreported(_) => "user_refused_interaction",
        }
    }
}

impl SessionEnded {
    /// The stable code of the end result ([`EndResult::code`]).
    pub fn code(&self) -> &'static str {
        self.end_result.code()
    }

    /// For `USER_REFUSED_INTERACTION`, what was refused; `None` for any other end result.
    pub fn refused_interaction(&self) -> Option<RefusedInteraction> {
        (self.end_result == EndResult::UserRefusedInteraction)
            .then(|| RefusedInteraction::from_detail(self.interaction.as_deref()))
    }

    /// Only `SERVER_ERROR` may go away on a retry; a refused or timed-out session needs a new
    /// session.
    pub fn is_retryable(&self) -> bool {
        self.end_result == EndResult::ServerError
    }
}
