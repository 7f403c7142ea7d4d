//! Errors on the wire: [`ErrorBody`] (RFC 9457 problem details), the stable problem codes
//! ([`error_codes`]) and the contract version header.

use std::fmt;

use serde::{Deserialize, Serialize};

use sidkit_proto::{ProtoError, Result};

use crate::validate::*;

/// The contract's version: the `Sidkit-Contract` response header of every answer and the
/// `info.version` major of `docs/openapi.yaml`. Version 2 binds every flow to the app that
/// started it ([`FlowKey`](crate::FlowKey)); a client reads the header and refuses a major it
/// does not speak ([`check_contract_version`]).
pub const CONTRACT_VERSION: u32 = 2;
/// Name of the response header that carries [`CONTRACT_VERSION`].
pub const CONTRACT_VERSION_HEADER: &str = "Sidkit-Contract";
/// Media type of error bodies (RFC 9457).
pub const PROBLEM_JSON: &str = "application/problem+json";
/// Prefix of the `type` URI of the contract's problems: `urn:sidkit:problem:<code>`.
pub const PROBLEM_TYPE_PREFIX: &str = "urn:sidkit:problem:";

/// Backend → phone: the body of every error response, an RFC 9457 problem details object
/// (`application/problem+json`) with two extension members, `code` and `retryable`:
///
/// ```json
/// {"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,
///  "detail":"the return URL does not belong to this flow","code":"callback_rejected","retryable":false}
/// ```
///
/// Readers use `code` (stable) and `retryable`; `type` is `urn:sidkit:problem:<code>`. A legacy
/// body with `message` instead of `detail` is still read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    /// `urn:sidkit:problem:<code>` (RFC 9457 `type`).
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub problem_type: String,
    /// A short, fixed summary of the problem type (RFC 9457 `title`).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub title: String,
    /// The HTTP status code (RFC 9457 `status`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// A stable code, one of [`error_codes`] or a backend-specific one.
    pub code: String,
    /// A human-readable explanation of this occurrence (RFC 9457 `detail`; not for end users;
    /// no secrets). Read from `message` in legacy bodies.
    #[serde(default, alias = "message")]
    pub detail: String,
    /// Whether repeating the same call may succeed (e.g. `unavailable`, `rate_limited`).
    #[serde(default)]
    pub retryable: bool,
}

impl ErrorBody {
    /// A problem for one of the contract's [`error_codes`]: `type`, `title`, `status` and
    /// `retryable` follow from the code (unknown codes get status 500, not retryable).
    pub fn new(code: &str, detail: impl Into<String>) -> Self {
        let (status, title, retryable) = error_codes::describe(code);
        ErrorBody {
            problem_type: format!("{PROBLEM_TYPE_PREFIX}{code}"),
            title: title.to_owned(),
            status: Some(status),
            code: code.to_owned(),
            detail: detail.into(),
            retryable,
        }
    }

    /// The HTTP status to answer with: `status`, or the code's default.
    pub fn http_status(&self) -> u16 {
        self.status
            .unwrap_or_else(|| error_codes::describe(&self.code).0)
    }

    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_text("code", &self.code)?;
        if self.detail.len() > 4096 {
            return Err(ProtoError::invalid("detail", "must be at most 4096 bytes"));
        }
        if self.title.len() > 256 || self.problem_type.len() > 256 {
            return Err(ProtoError::invalid(
                "title",
                "type and title must be at most 256 bytes",
            ));
        }
        if let Some(s) = self.status {
            if !(400..=599).contains(&s) {
                return Err(ProtoError::invalid(
                    "status",
                    "must be an HTTP error status (400-599)",
                ));
            }
        }
        Ok(())
    }
}

impl fmt::Display for ErrorBody {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.detail)
    }
}

/// ProtoError codes of [`ErrorBody::code`] that the backend contract defines.
pub mod error_codes {
    /// The request is malformed (`400`).
    pub const BAD_REQUEST: &str = "bad_request";
    /// No flow with this handle for this app (`404`).
    pub const FLOW_NOT_FOUND: &str = "flow_not_found";
    /// The flow has expired (`410`).
    pub const FLOW_EXPIRED: &str = "flow_expired";
    /// The return URL failed the callback checks of spec §7.3 (`403`).
    pub const CALLBACK_REJECTED: &str = "callback_rejected";
    /// The Smart-ID response failed verification (`403`).
    pub const VERIFICATION_FAILED: &str = "verification_failed";
    /// Too many requests (`429`, retryable).
    pub const RATE_LIMITED: &str = "rate_limited";
    /// Smart-ID or the backend is temporarily unavailable (`503`, retryable).
    pub const UNAVAILABLE: &str = "unavailable";
    /// Anything else (`500`).
    pub const INTERNAL: &str = "internal";
    /// A start with the same `Idempotency-Key` but a different body or another
    /// `flowKeyChallenge` (`409`).
    pub const IDEMPOTENCY_CONFLICT: &str = "idempotency_conflict";
    /// A request of another contract version (a start without `flowKeyChallenge`) (`400`).
    pub const CONTRACT_VERSION: &str = "contract_version";
    /// A cancellation of a flow whose Smart-ID session already ended, or that is completing or
    /// finished: complete or poll it instead (`409`).
    pub const FLOW_FINISHED: &str = "flow_finished";
    /// The path exists but not with this method (`405`, with `Allow`).
    pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
    /// The request body is larger than the backend accepts (`413`).
    pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
    /// The request body is not `application/json` (`415`).
    pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";

    /// Every code above.
    pub const ALL: [&str; 14] = [
        BAD_REQUEST,
        FLOW_NOT_FOUND,
        FLOW_EXPIRED,
        CALLBACK_REJECTED,
        VERIFICATION_FAILED,
        RATE_LIMITED,
        UNAVAILABLE,
        INTERNAL,
        IDEMPOTENCY_CONFLICT,
        CONTRACT_VERSION,
        FLOW_FINISHED,
        METHOD_NOT_ALLOWED,
        PAYLOAD_TOO_LARGE,
        UNSUPPORTED_MEDIA_TYPE,
    ];

    /// HTTP status, RFC 9457 title and retryability of a code (unknown codes: 500, not
    /// retryable).
    pub fn describe(code: &str) -> (u16, &'static str, bool) {
        match code {
            BAD_REQUEST => (400, "Bad request", false),
            FLOW_NOT_FOUND => (404, "Flow not found", false),
            FLOW_EXPIRED => (410, "Flow expired", false),
            CALLBACK_REJECTED => (403, "Callback rejected", false),
            VERIFICATION_FAILED => (403, "Verification failed", false),
            RATE_LIMITED => (429, "Rate limited", true),
            UNAVAILABLE => (503, "Service unavailable", true),
            IDEMPOTENCY_CONFLICT => (409, "Idempotency key conflict", false),
            CONTRACT_VERSION => (400, "Unsupported contract version", false),
            FLOW_FINISHED => (409, "Flow already finished", false),
            METHOD_NOT_ALLOWED => (405, "Method not allowed", false),
            PAYLOAD_TOO_LARGE => (413, "Payload too large", false),
            UNSUPPORTED_MEDIA_TYPE => (415, "Unsupported media type", false),
            _ => (500, "Internal error", false),
        }
    }
}

/// Checks the `Sidkit-Contract` header of a backend answer: `Ok` for [`CONTRACT_VERSION`], an
/// [`InvalidInput`](ProtoError::InvalidInput) naming the header for a missing, malformed or
/// other major (a backend of another contract version must not be half-understood).
pub fn check_contract_version(header: Option<&str>) -> Result<()> {
    let Some(h) = header else {
        return Err(ProtoError::invalid(
            CONTRACT_VERSION_HEADER,
            format!("is missing: the backend does not speak sidkit contract {CONTRACT_VERSION}"),
        ));
    };
    let major = h.trim().split('.').next().unwrap_or("");
    match major.parse::<u32>() {
        Ok(v) if v == CONTRACT_VERSION => Ok(()),
        Ok(v) => Err(ProtoError::invalid(
            CONTRACT_VERSION_HEADER,
            format!(
                "the backend speaks sidkit contract {v}, this library speaks {CONTRACT_VERSION}"
            ),
        )),
        Err(_) => Err(ProtoError::invalid(
            CONTRACT_VERSION_HEADER,
            "is not a contract version number",
        )),
    }
}
