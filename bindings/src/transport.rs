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
/// * Throw `SidkitError.Transport(reason, retryable)` when the backend could not be reached
///   (`retryable = true` for timeouts and connectivity problems), and `SidkitError.Backend`
///   for an error response (use `backendErrorFromJson`). Anything else thrown arrives as
///   `SidkitError.Unexpected` and ends the operation.
/// * The calls must be cancellable: when the app cancels the flow (or the caller's coroutine
///   / task is cancelled) the SDK stops waiting for the call.
/// * Do not retry `complete_flow` with a different URL; the same request may be repeated (the
///   backend answers it idempotently).
#[uniffi::export(with_foreign)]
#[async_trait::async_trait]
pub trait BackendTransport: Send + Sync {
    /// `POST /flows`: ask the backend to start a Smart-ID session for this flow.
    async fn start_flow(&self, request: StartFlowRequest)
        -> Result<StartFlowResponse, SidkitError>;

    /// `POST /flows/{flowHandle}/complete`: hand over the return URL; the backend verifies the
    /// callback and the Smart-ID response and answers with the outcome.
    async fn complete_flow(&self, request: CompleteFlowRequest)
        -> Result<FlowOutcome, SidkitError>;

    /// `GET /flows/{flowHandle}`: the flow's status (QR flows: the current QR link).
    async fn poll_flow(&self, request: PollFlowRequest) -> Result<PollFlowResponse, SidkitError>;

    /// `DELETE /flows/{flowHandle}`: the user cancelled.
    async fn cancel_flow(&self, request: CancelFlowRequest) -> Result<(), SidkitError>;
}
