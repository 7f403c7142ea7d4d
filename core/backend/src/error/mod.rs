//! The error types of the backend kit: [`FlowError`] (a request on a flow failed), the one
//! conversion of it into the [`Problem`] the router answers with, [`BackendError`] (building a
//! [`Backend`](crate::Backend)) and [`StoreError`] (a [`SessionStore`](crate::SessionStore)
//! operation failed).
//!
//! Every [`Backend`](crate::Backend) method that serves the contract fails with a typed
//! [`FlowError`], carrying the cause where there is one (a [`ClientError`], a [`VerifyError`],
//! a [`CallbackFailure`], a [`StoreError`], ...). The [router](crate::router) answers it as an
//! RFC 9457 problem, with `impl From<FlowError> for Problem` ([`FlowError::problem`]), the one
//! mapping from errors to problems (the record of a finished flow stores its problem in the same
//! form).

use std::fmt;

use sidkit_client::ClientError;
use sidkit_contract::{error_codes as codes, ErrorBody};
use sidkit_proto::{CallbackFailure, ProtoError};
use sidkit_verify::VerifyError;

/// A contract error: the RFC 9457 problem the router answers with (the contract's
/// [`ErrorBody`]). Built from a [`FlowError`] (`Problem::from`), or by a
/// [`FlowPolicy`](crate::FlowPolicy) that refuses a flow.
pub type Problem = ErrorBody;

/// Why a request on a flow failed: the error of every [`Backend`](crate::Backend) method that
/// serves the contract. The [router](crate::router) answers it as the [`Problem`] of
/// [`FlowError::problem`]; [`FlowError::code`] is that problem's `code`:
///
/// | variant | `code` | status | retryable |
/// |---|---|---|---|
/// | [`Invalid`](Self::Invalid), [`BadRequest`](Self::BadRequest) | `bad_request` | 400 | no |
/// | [`NotFound`](Self::NotFound), [`Cancelled`](Self::Cancelled) | `flow_not_found` | 404 | no |
/// | [`Expired`](Self::Expired) | `flow_expired` | 410 | no |
/// | [`CallbackRejected`](Self::CallbackRejected), [`CompletedWithAnotherUrl`](Self::CompletedWithAnotherUrl), [`CompletingWithAnotherUrl`](Self::CompletingWithAnotherUrl) | `callback_rejected` | 403 | no |
/// | [`IdempotencyConflict`](Self::IdempotencyConflict) | `idempotency_conflict` | 409 | no |
/// | [`RateLimited`](Self::RateLimited) | `rate_limited` | 429 (with `Retry-After`) | yes |
/// | [`ContractVersion`](Self::ContractVersion) | `contract_version` | 400 | no |
/// | [`FlowFinished`](Self::FlowFinished) | `flow_finished` | 409 | no |
/// | [`MethodNotAllowed`](Self::MethodNotAllowed) | `method_not_allowed` | 405 | no |
/// | [`PayloadTooLarge`](Self::PayloadTooLarge) | `payload_too_large` | 413 | no |
/// | [`UnsupportedMediaType`](Self::UnsupportedMediaType) | `unsupported_media_type` | 415 | no |
/// | [`EarlierStartExpired`](Self::EarlierStartExpired), [`StartInProgress`](Self::StartInProgress), [`CompletionInProgress`](Self::CompletionInProgress), [`LinkedSignaturePending`](Self::LinkedSignaturePending), [`Contended`](Self::Contended), [`Store`](Self::Store) | `unavailable` | 503 | yes |
/// | [`VerificationFailed`](Self::VerificationFailed) | `verification_failed` | 403 | no |
/// | [`SmartId`](Self::SmartId) | `unavailable` if [`ClientError::is_retryable`], else `bad_request` for [`ClientError::InvalidInput`], else `internal` | 503 / 400 / 500 | yes / no / no |
/// | [`Policy`](Self::Policy), [`Recorded`](Self::Recorded) | the problem's own | the problem's own | the problem's own |
/// | [`Internal`](Self::Internal) | `internal` | 500 | no |
///
/// The problem's `detail` is the error's [`Display`](fmt::Display) text: a fixed sentence, the
/// cause's text (prefixed for [`SmartId`](Self::SmartId)), or a [`Policy`](Self::Policy) or
/// [`Recorded`](Self::Recorded) problem's own `detail`; a text over the contract's 4096 bytes
/// is cut, ending in `…`. The backend never builds one from a
/// session secret, a callback token or a flow handle.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FlowError {
    /// A request field breaks a contract rule (the start or completion request, the flow
    /// handle), or the request the RP's [`FlowPlan`](crate::FlowPlan) makes of it breaks a
    /// rule of the RP API (`bad_request`).
    #[error("{0}")]
    Invalid(ProtoError),
    /// A request breaks a rule across its parts (the `Idempotency-Key` header differs from the
    /// body's, the body's flow handle from the path's, a QR flow is completed with a return
    /// URL) or is not the JSON the contract expects (`bad_request`).
    #[error("{detail}")]
    BadRequest {
        /// What is wrong, for the problem's `detail`.
        detail: String,
    },
    /// No flow has this handle and flow key: it never existed, the store dropped it at its
    /// expiry, or the request's `Sidkit-Flow-Key` is missing, malformed or not the flow's
    /// (all answered alike, so that a handle alone reveals nothing) (`flow_not_found`).
    #[error("no flow has this handle")]
    NotFound,
    /// The flow was cancelled (`DELETE /flows/{flowHandle}`): it completes and polls nothing
    /// any more (`flow_not_found`).
    #[error("the flow was cancelled")]
    Cancelled,
    /// The flow's time is up (`flow_expired`).
    #[error("the flow expired")]
    Expired,
    /// The return URL failed the callback checks of spec §7.3 (`callback_rejected`). The flow
    /// is untouched.
    #[error("{0}")]
    CallbackRejected(CallbackFailure),
    /// The flow was already completed with another return URL (`callback_rejected`).
    #[error("the flow was already completed with another return URL")]
    CompletedWithAnotherUrl,
    /// The flow is being completed with another return URL (`callback_rejected`).
    #[error("the flow is being completed with another return URL")]
    CompletingWithAnotherUrl,
    /// The `Idempotency-Key` of a start was used for a start with another body or another
    /// `flowKeyChallenge` (`idempotency_conflict`).
    #[error("this Idempotency-Key was used for a different flow")]
    IdempotencyConflict,
    /// A start refused by admission control: the client address's budget of starts is spent,
    /// or the instance keeps as many pending flows as it may ([`AdmissionConfig`](crate::AdmissionConfig))
    /// (`rate_limited`, answered with `Retry-After`).
    #[error("too many flows started; retry in {retry_after_secs} s")]
    RateLimited {
        /// When to retry, in seconds (at least 1).
        retry_after_secs: u64,
    },
    /// A start without `flowKeyChallenge`: a client of contract 1 (`contract_version`).
    #[error("this backend speaks sidkit contract 2: the start request needs flowKeyChallenge")]
    ContractVersion,
    /// A cancellation of a flow whose Smart-ID session already ended, or that is completing or
    /// finished: it is left as it is, to be completed or polled (`flow_finished`).
    #[error("the Smart-ID session already ended: complete or poll the flow")]
    FlowFinished,
    /// The path exists, but not with this method (`method_not_allowed`).
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The request body is larger than the router accepts (`payload_too_large`).
    #[error("the request body is larger than {limit} bytes")]
    PayloadTooLarge {
        /// The largest accepted body, in bytes.
        limit: usize,
    },
    /// The request body is not `application/json` (`unsupported_media_type`).
    #[error("Content-Type must be application/json")]
    UnsupportedMediaType,
    /// A retried start found its earlier start's key gone, just expired (`unavailable`).
    #[error("the earlier start with this key just expired; retry")]
    EarlierStartExpired,
    /// A start with the same `Idempotency-Key` is still creating its flow (`unavailable`).
    #[error("a start with this Idempotency-Key is in progress; retry")]
    StartInProgress,
    /// The same return URL is being verified (here or on another instance) and did not finish
    /// in time (`unavailable`).
    #[error("the completion is still being verified; retry")]
    CompletionInProgress,
    /// A `certificateChoiceAndSignature` completion came before its linked signature was
    /// recorded, and it did not get recorded in time (`unavailable`).
    #[error("the linked signature is not recorded yet; retry")]
    LinkedSignaturePending,
    /// The flow's record changed under every compare-and-set attempt (`unavailable`).
    #[error("the flow is changing too often; retry")]
    Contended,
    /// The Smart-ID response failed verification (`verification_failed`).
    #[error("{0}")]
    VerificationFailed(VerifyError),
    /// A call to the RP API failed: `unavailable` ("Smart-ID is unavailable: …") if retrying
    /// may help ([`ClientError::is_retryable`]), `bad_request` (the error's text) for input
    /// Smart-ID refused before sending ([`ClientError::InvalidInput`]), otherwise `internal`
    /// ("Smart-ID call failed: …").
    #[error("{}", smart_id_detail(.0))]
    SmartId(ClientError),
    /// The session store failed (`unavailable`).
    #[error("{0}")]
    Store(StoreError),
    /// The RP's [`FlowPolicy`](crate::FlowPolicy) refused the start with this problem, which
    /// is answered as it is.
    #[error("{}", .0.detail)]
    Policy(Problem),
    /// The problem a finished flow was recorded with (by this or another instance), answered
    /// again as it is: the identical completion or a repeated poll gets the identical answer.
    #[error("{}", .0.detail)]
    Recorded(Problem),
    /// Something that should not happen: a corrupt or inconsistent store entry, a failed
    /// serialization or random source, a policy plan the flow kind cannot use (`internal`).
    /// The text names what failed.
    #[error("{0}")]
    Internal(String),
}

/// How a failed RP API call is answered (the decision of [`FlowError::SmartId`]).
enum ClientAnswer {
    Unavailable,
    BadRequest,
    Failed,
}

fn client_answer(e: &ClientError) -> ClientAnswer {
    match e {
        ClientError::InvalidInput { .. } | ClientError::SessionEnded(_) | ClientError::Api(_)
            if e.is_retryable() =>
        {
            ClientAnswer::Unavailable
        }
        ClientError::InvalidInput { .. } => ClientAnswer::BadRequest,
        ClientError::SessionEnded(_) | ClientError::Api(_) => ClientAnswer::Failed,
    }
}

/// The detail of a [`FlowError::SmartId`].
fn smart_id_detail(e: &ClientError) -> String {
    match client_answer(e) {
        ClientAnswer::Unavailable => format!("Smart-ID is unavailable: {e}"),
        ClientAnswer::BadRequest => e.to_string(),
        ClientAnswer::Failed => format!("Smart-ID call failed: {e}"),
    }
}

impl FlowError {
    /// A [`FlowError::BadRequest`].
    pub(crate) fn bad_request(detail: impl Into<String>) -> Self {
        FlowError::BadRequest {
            detail: detail.into(),
        }
    }

    /// A [`FlowError::Internal`] with `e`'s text.
    pub(crate) fn internal(e: impl fmt::Display) -> Self {
        FlowError::Internal(e.to_string())
    }

    /// The contract code of the problem this error is answered with: one of
    /// [`error_codes`](sidkit_contract::error_codes), or a [`Policy`](Self::Policy) or
    /// [`Recorded`](Self::Recorded) problem's own.
    pub fn code(&self) -> &str {
        match self {
            FlowError::Invalid(_) | FlowError::BadRequest { .. } => codes::BAD_REQUEST,
            FlowError::NotFound | FlowError::Cancelled => codes::FLOW_NOT_FOUND,
            FlowError::Expired => codes::FLOW_EXPIRED,
            FlowError::CallbackRejected(_)
            | FlowError::CompletedWithAnotherUrl
            | FlowError::CompletingWithAnotherUrl => codes::CALLBACK_REJECTED,
            FlowError::IdempotencyConflict => codes::IDEMPOTENCY_CONFLICT,
            FlowError::RateLimited { .. } => codes::RATE_LIMITED,
            FlowError::ContractVersion => codes::CONTRACT_VERSION,
            FlowError::FlowFinished => codes::FLOW_FINISHED,
            FlowError::MethodNotAllowed => codes::METHOD_NOT_ALLOWED,
            FlowError::PayloadTooLarge { .. } => codes::PAYLOAD_TOO_LARGE,
            FlowError::UnsupportedMediaType => codes::UNSUPPORTED_MEDIA_TYPE,
            FlowError::EarlierStartExpired
            | FlowError::StartInProgress
            | FlowError::CompletionInProgress
            | FlowError::LinkedSignaturePending
            | FlowError::Contended
            | FlowError::Store(_) => codes::UNAVAILABLE,
            FlowError::VerificationFailed(_) => codes::VERIFICATION_FAILED,
            FlowError::SmartId(e) => match client_answer(e) {
                ClientAnswer::Unavailable => codes::UNAVAILABLE,
                ClientAnswer::BadRequest => codes::BAD_REQUEST,
                ClientAnswer::Failed => codes::INTERNAL,
            },
            FlowError::Policy(p) | FlowError::Recorded(p) => &p.code,
            FlowError::Internal(_) => codes::INTERNAL,
        }
    }

    /// The problem the router answers with: `code` as [`FlowError::code`], `type`, `title`,
    /// `status` and `retryable` as [`ErrorBody::new`] gives them for the code, the error's
    /// text as `detail` (cut to the contract's 4096 bytes, ending in `…`, if longer); a
    /// [`Policy`](Self::Policy) or [`Recorded`](Self::Recorded) problem as it is.
    pub fn problem(&self) -> Problem {
        match self {
            FlowError::Policy(p) | FlowError::Recorded(p) => p.clone(),
            other => ErrorBody::new(other.code(), clip_detail(other.to_string())),
        }
    }
}

/// The longest `detail` of a contract problem, in bytes (`ErrorBody::validate`).
const MAX_DETAIL_LEN: usize = 4096;

/// `detail` cut to [`MAX_DETAIL_LEN`] bytes on a character boundary, ending in `…` when cut: a
/// long cause (an upstream error body, a refused field echoed in its reason) must not make the
/// problem one the contract, and so the app, refuses.
fn clip_detail(mut detail: String) -> String {
    if detail.len() > MAX_DETAIL_LEN {
        let mut end = MAX_DETAIL_LEN - '…'.len_utf8();
        while !detail.is_char_boundary(end) {
            end -= 1;
        }
        detail.truncate(end);
        detail.push('…');
    }
    detail
}

/// The one conversion of a flow error into the contract's answer ([`FlowError::problem`]).
impl From<FlowError> for Problem {
    fn from(e: FlowError) -> Self {
        match e {
            FlowError::Policy(p) | FlowError::Recorded(p) => p,
            other => other.problem(),
        }
    }
}

impl From<StoreError> for FlowError {
    fn from(e: StoreError) -> Self {
        FlowError::Store(e)
    }
}

impl From<ClientError> for FlowError {
    fn from(e: ClientError) -> Self {
        FlowError::SmartId(e)
    }
}

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

#[cfg(test)]
mod tests;
