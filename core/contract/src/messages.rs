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
    /// not create a second Smart-ID session (maps onto an `Idempotency-Key` header). It is
    /// scoped to `flowKeyChallenge`: the same key with another challenge is a conflict.
    pub idempotency_key: String,
    /// `BASE64URL(SHA-256(flowKey))` of the flow's [`FlowKey`](crate::FlowKey) (43
    /// characters). Required in contract 2; a request without it is a contract-1 client,
    /// which a contract-2 backend refuses with the problem `contract_version`. Every later
    /// request on the flow carries the key itself in the `Sidkit-Flow-Key` header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flow_key_challenge: Option<String>,
}

impl StartFlowRequest {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        sidkit_proto::validate::lang(&self.lang)?;
        if let Some(c) = &self.context {
            validate_context(c)?;
        }
        validate_token_like("idempotencyKey", &self.idempotency_key, 16, 128)?;
        match &self.flow_key_challenge {
            Some(c) => crate::validate_flow_key_challenge(c),
            None => Err(ProtoError::invalid(
                "flowKeyChallenge",
                "is required (sidkit contract 2)",
            )),
        }
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

/// Phone → backend: the return URL of an App2App flow arrived; verify it and finish. Sent with
/// the flow key in the `Sidkit-Flow-Key` header.
///
/// The backend performs the checks of spec §7.3 (token binding to this flow handle, the
/// `sessionSecretDigest`, the `userChallengeVerifier`, full response verification, one-shot).
/// It must be idempotent: the same handle, flow key and return URL again yield the same
/// outcome. `flowHandle` must equal the handle in the path.
///
/// The return URL carries the callback token, the `sessionSecretDigest` and the
/// `userChallengeVerifier`: `Debug` prints only the part before its query.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CompleteFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
    /// The full URL the OS delivered to the app.
    pub return_url: String,
}

impl std::fmt::Debug for CompleteFlowRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompleteFlowRequest")
            .field("flow_handle", &self.flow_handle)
            .field("return_url", &RedactedUrl(&self.return_url))
            .finish()
    }
}

/// A URL printed without its query (`https://rp.example.com/cb?[redacted]`).
pub(crate) struct RedactedUrl<'a>(pub(crate) &'a str);

impl std::fmt::Debug for RedactedUrl<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let redacted = sidkit_proto::secret::REDACTED;
        match self.0.split_once('?') {
            Some((base, _)) if !base.contains('#') => write!(f, "\"{base}?{redacted}\""),
            _ => f.write_str(redacted),
        }
    }
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

/// Phone → backend (with the flow key in `Sidkit-Flow-Key`): what is the state of the flow? For QR flows this fetches the current QR
/// link (once a second); for App2App flows the app calls it when it comes back to the
/// foreground without a return URL (the Smart-ID app may not call back after a refusal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PollFlowRequest {
    /// The flow's handle.
    pub flow_handle: String,
}

/// Phone → backend (with the flow key in `Sidkit-Flow-Key`): the user cancelled; drop the flow
/// (Smart-ID itself has no cancel call, the session simply runs out). A flow whose Smart-ID
/// session already ended is not cancelled (problem `flow_finished`).
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
        /// How it ended.
        result: OutcomeKind,
        /// The verified outcome: present for the request that finished the flow (the poll
        /// that saw a QR session end) and for [`FlowOutcome::Failed`], which carries no
        /// personal data. Absent for every later read of an authenticated or signed flow: the
        /// identity, signature and `appData` are delivered once.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        outcome: Option<FlowOutcome>,
    },
}

impl PollFlowResponse {
    /// The answer for a flow that finished with `outcome`, carrying it.
    pub fn finished(outcome: FlowOutcome) -> Self {
        PollFlowResponse::Finished {
            result: outcome.kind(),
            outcome: Some(outcome),
        }
    }

    /// The answer for a flow that finished with `outcome` to a reader after its delivery:
    /// the kind only, except for a failure (no personal data), which is repeated in full.
    pub fn finished_delivered(outcome: &FlowOutcome) -> Self {
        PollFlowResponse::Finished {
            result: outcome.kind(),
            outcome: match outcome {
                FlowOutcome::Failed { .. } => Some(outcome.clone()),
                _ => None,
            },
        }
    }
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
            PollFlowResponse::Finished { result, outcome } => match outcome {
                Some(o) if o.kind() != *result => Err(ProtoError::invalid(
                    "result",
                    format!(
                        "is {} but the outcome is {}",
                        result.as_str(),
                        o.kind().as_str()
                    ),
                )),
                Some(o) => o.validate(),
                None if *result == OutcomeKind::Failed => Err(ProtoError::invalid(
                    "outcome",
                    "a failed flow's outcome is always repeated",
                )),
                None => Ok(()),
            },
        }
    }
}
