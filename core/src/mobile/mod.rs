//! The mobile side of App2App and QR flows, sans-IO: what an RP's Android or iOS app runs
//! (through the UniFFI bindings of `sidkit-mobile`), and the contract it speaks with its own
//! backend.
//!
//! The phone is a thin client (spec §12.2): it asks its backend to start a flow, checks the
//! device link it gets back, opens it (or shows it as a QR code), recognises the return URL and
//! hands it to the backend, which verifies everything and answers with the outcome. The phone
//! never holds `sessionSecret`, `sessionID`, `rpChallenge`, `digest` or `initialCallbackUrl`.
//!
//! | item | what |
//! |---|---|
//! | [`contract`] | the JSON messages between app and backend ([`StartFlowRequest`](contract::StartFlowRequest), [`FlowOutcome`](contract::FlowOutcome), ...) |
//! | [`Flow`] | the state machine of one flow (start, link check, launch, return, complete, poll, cancel, deadline, snapshot) |
//! | [`DeviceLinkPolicy`] | the device-link check before launch (allow-list of bases, link type, session type) |
//! | [`CallbackBase`], [`ReturnUrl`] | the return-URL router (callback base + token commitment) |
//! | [`FlowSnapshot`] | the versioned, secret-free persisted form of a pending flow |
//! | [`qr`] | QR module matrix and SVG of a link (feature `qr`) |
//! | `http` | the contract over HTTPS for native Rust hosts: `BackendTransport`, `HttpTransport` (feature `http-transport`) |
//!
//! See `docs/mobile-flow.md` for the state diagram and the design of the router and snapshot.

pub mod contract;
pub mod flow;
#[cfg(feature = "http-transport")]
pub mod http;
pub mod link;
#[cfg(feature = "qr")]
pub mod qr;
pub mod router;
pub mod snapshot;

pub use flow::{
    Flow, FlowConfig, FlowFailure, FlowSpec, FlowState, NextStep, PollDisposition, PollProgress,
    ReturnDisposition, DEFAULT_MAX_FLOW_DURATION_MS, MAX_MAX_FLOW_DURATION_MS,
    MIN_MAX_FLOW_DURATION_MS,
};
pub use link::{DeviceLinkPolicy, LinkRejection};
pub use router::{CallbackBase, ReturnUrl, RouteRejection};
pub use snapshot::{FlowSnapshot, SnapshotStage, MAX_SNAPSHOT_LEN, SNAPSHOT_VERSION};

#[cfg(test)]
mod tests;
