//! The transport the app supplies: how the SDK talks to the app's own backend.

use crate::error::SidkitError;
use crate::types::{
    CancelFlowRequest, CompleteFlowRequest, FlowOutcome, PollFlowRequest, PollFlowResponse,
    StartFlowRequest, StartFlowResponse,
};

/// The app's connection to its own RP backend, implemented in Kotlin (`suspend fun`) or Swift
/// (`async throws`). The SDK has no HTTP stack of its own: the app keeps its HTTP client,
/// authentication, certificate pinning and retry policy.
///
/// Each method maps onto one HTTP call of the contract (see `docs/mobile-flow.md`); the JSON
/// helpers (`startFlowRequestToJson`, `startFlowResponseFromJson`, `flowOutcomeFromJson`,
/// `pollFlowResponseFromJson`, `backendErrorFromJson`) do the encoding.
///
/// Contract for implementations:
/// * Throw the `Transport(reason, retryable)` variant of this library's error type when the
///   backend could not be reached (`retryable = true` for timeouts and connectivity problems),
///   and the `Backend` variant for an error response (use `backendErrorFromJson`). Anything
///   else thrown arrives as the `Unexpected` variant and ends the operation.
/// * The calls must be cancellable: when the app cancels the flow (or the caller's coroutine
///   / task is cancelled) the SDK stops waiting for the call.
/// * Do not retry `complete_flow` with a different URL; the same request may be repeated (the
///   backend answers it idempotently).
/// * Send `flow_key` as the `Sidkit-Flow-Key` request header of `complete_flow`, `poll_flow`
///   and `cancel_flow`, and nowhere else: not in the URL, not in a log, not in an analytics
///   event. It is the proof that the request comes from the app that started the flow (sidkit
///   contract 2, PKCE-style: `start_flow`'s request carries only its hash,
///   `flowKeyChallenge`). A backend that does not see the flow's key answers `404`.
/// * Check the `Sidkit-Contract` header of every response with [`check_contract_version`]
///   and throw its error for a backend of another major version.
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait BackendTransport: Send + Sync {
    /// `POST /flows`: ask the backend to start a Smart-ID session for this flow.
    async fn start_flow(&self, request: StartFlowRequest)
        -> Result<StartFlowResponse, SidkitError>;

    /// `POST /flows/{flowHandle}/complete` with `Sidkit-Flow-Key: <flow_key>`: hand over the
    /// return URL; the backend verifies the callback and the Smart-ID response and answers
    /// with the outcome.
    async fn complete_flow(
        &self,
        request: CompleteFlowRequest,
        flow_key: String,
    ) -> Result<FlowOutcome, SidkitError>;

    /// `GET /flows/{flowHandle}` with `Sidkit-Flow-Key: <flow_key>`: the flow's status (QR
    /// flows: the current QR link).
    async fn poll_flow(
        &self,
        request: PollFlowRequest,
        flow_key: String,
    ) -> Result<PollFlowResponse, SidkitError>;

    /// `DELETE /flows/{flowHandle}` with `Sidkit-Flow-Key: <flow_key>`: the user cancelled.
    async fn cancel_flow(
        &self,
        request: CancelFlowRequest,
        flow_key: String,
    ) -> Result<(), SidkitError>;
}

/// The name of the request header that carries the flow key: `Sidkit-Flow-Key`.
#[uniffi::export]
pub fn flow_key_header() -> String {
    sidkit_contract::FLOW_KEY_HEADER.to_owned()
}

/// The major version of the sidkit contract this library speaks (2).
#[uniffi::export]
pub fn contract_version() -> u32 {
    sidkit_contract::CONTRACT_VERSION
}

/// Checks the `Sidkit-Contract` header of a backend response (`None` when it is missing):
/// the `Flow` error of kind `ContractVersion` unless it names the major version this library
/// speaks. A transport calls it on every response, error responses included, before it reads
/// the body.
#[uniffi::export]
pub fn check_contract_version(header: Option<String>) -> Result<(), SidkitError> {
    sidkit_contract::check_contract_version(header.as_deref()).map_err(|e| SidkitError::Flow {
        kind: crate::error::FlowErrorKind::ContractVersion,
        reason: e.to_string(),
    })
}
