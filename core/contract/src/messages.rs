//! The request and response bodies of the contract's calls (start, complete, poll, cancel).

use serde::{Deserialize, Serialize};

use sidkit_proto::device_link::SessionType;
use sidkit_proto::{ProtoError, Result};

use crate::kinds::*;
use crate::limits::*;
use crate::outcome::*;
use crate::validate::*;

/// Phone → backend: start a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlowRequest {
    /// What the user is asked to do.
    pub kind: FlowKind,
    /// Same-device link or QR code.
    pub presentation: Presentation,
    /// ISO 639-2 code of the Smart-ID fallback page (`eng`, `est`, ...).
    pub lang: String,
    /// An opaque reference of the app's own (e.g. the id of the document or payment to sign),
    /// resolved by the backend. Never a digest: the backend computes what is signed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// A random key, the same for retries of one flow's start, so that a retried request does
    /// not create a second Smart-ID session (maps onto an `Idempotency-Key` header).
    pub idempotency_key: String,
}

impl StartFlowRequest {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        sidkit_proto::validate::lang(&self.lang)?;
        if let Some(c) = &self.context {
            validate_context(c)?;
        }
        validate_token_like("idempotencyKey", &self.idempotency_key, 16, 128)
    }
}

/// Backend → phone: the flow was started.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StartFlowResponse {
    /// Opaque handle of this flow at the backend (never the Smart-ID `sessionID`).
    pub flow_handle: String,
    /// `sessionType` of the Smart-ID session (`auth`, `sign`, `cert`).
    #[serde(with = "session_type_str")]
    pub session_type: SessionType,
    /// The finished device link: `App2App` for [`Presentation::App2App`], the first `QR` link
    /// for [`Presentation::Qr`].
    pub device_link: String,
    /// App2App only: the callback base the backend put in `initialCallbackUrl` (without the
    /// token). Must equal the app's configured callback base.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_base: Option<String>,
    /// App2App only: `BASE64URL(SHA-256(value token))` of the session's callback URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_commitment: Option<String>,
    /// How long the backend keeps the flow open, in milliseconds from now.
    pub expires_in_ms: u64,
}

impl StartFlowResponse {
    /// Checks the shape of the response (the flow checks the link and its fit to the request).
    pub fn validate(&self) -> Result<()> {
        validate_flow_handle(&self.flow_handle)?;
        if self.device_link.is_empty() {
            return Err(ProtoError::invalid("deviceLink", "must not be empty"));
        }
        if let Some(c) = &self.callback_commitment {
            decode_commitment(c)?;
        }
        if let Some(b) = &self.callback_base {
            sidkit_proto::url::parse_https("callbackBase", b)?;
        }
        if self.expires_in_ms == 0 || self.expires_in_ms > MAX_EXPIRES_IN_MS {
            return Err(ProtoError::invalid(
                "expiresInMs",
                format!("must be 1 to {MAX_EXPIRES_IN_MS}"),
            ));
        }
        Ok(())
    }
}

/// Phone → backend: the return URL of an App2App flow arrived; verify it and finish.
///
/// The backend performs the checks of spec §7.3 (token binding to this flow handle, the
/// `sessionSecretDigest`, the `userChallengeVerifier`, full response verification, one-shot).
/// It must be idempotent: the same handle and the same return URL again yield the same outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
    /// The full URL the OS delivered to the app.
    pub return_url: String,
}

impl CompleteFlowRequest {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        validate_flow_handle(&self.flow_handle)?;
        if self.return_url.is_empty() || self.return_url.len() > MAX_RETURN_URL_LEN {
            return Err(ProtoError::invalid(
                "returnUrl",
                format!("must be 1 to {MAX_RETURN_URL_LEN} characters"),
            ));
        }
        sidkit_proto::url::parse_https("returnUrl", &self.return_url).map(|_| ())
    }
}

/// Phone → backend: what is the state of the flow? For QR flows this fetches the current QR
/// link (once a second); for App2App flows the app calls it when it comes back to the
/// foreground without a return URL (the Smart-ID app may not call back after a refusal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
}

/// Phone → backend: the user cancelled; drop the flow (Smart-ID itself has no cancel call, the
/// session simply runs out).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CancelFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
}

/// Backend → phone: the answer to a poll.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "status",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum PollFlowResponse {
    /// The Smart-ID session is still running.
    Pending {
        /// QR flows: the current QR link (required). App2App flows: absent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        device_link: Option<String>,
    },
    /// The flow is over.
    Finished {
        /// The verified outcome.
        outcome: FlowOutcome,
    },
}

impl PollFlowResponse {
    /// Checks the shape.
    pub fn validate(&self) -> Result<()> {
        match self {
            PollFlowResponse::Pending { device_link } => match device_link {
                Some(l) if l.is_empty() => {
                    Err(ProtoError::invalid("deviceLink", "must not be empty"))
                }
                _ => Ok(()),
            },
            PollFlowResponse::Finished { outcome } => outcome.validate(),
        }
    }
}
