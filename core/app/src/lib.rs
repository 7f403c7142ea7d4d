//! # sidkit-app
//!
//! The phone side of App2App and QR flows, sans-IO: what an RP's Android or iOS app runs
//! (through the UniFFI bindings of `sidkit-mobile`), speaking the contract of `sidkit-contract`
//! with its own backend.
//!
//! The phone is a thin client (spec §12.2): it asks its backend to start a flow, checks the
//! device link it gets back, opens it (or shows it as a QR code), recognises the return URL and
//! hands it to the backend, which verifies everything and answers with the outcome. The phone
//! never holds `sessionSecret`, `sessionID`, `rpChallenge`, `digest` or `initialCallbackUrl`.
//!
//! | item | what |
//! |---|---|
//! | [`Flow`] | the state machine of one flow (start, link check, launch, return, complete, poll, cancel, deadline, snapshot) |
//! | [`FlowConfig`], [`FlowSpec`] | what the app and one flow are configured with |
//! | [`DeviceLinkPolicy`] | the device-link check before launch (allow-list of bases, link type, session type) |
//! | [`CallbackBase`], [`ReturnUrl`] | the return-URL router (callback base + token commitment) |
//! | [`FlowSnapshot`] | the versioned, secret-free persisted form of a pending flow |
//! | [`AppError`] | what went wrong: [`FlowFailure`], [`LinkRejection`], [`RouteRejection`], invalid input |
//!
//! The modules depend on each other in one direction only: `state` ← `error` ← `link`,
//! `router` ← `config`, `snapshot` ← `flow`.
//!
//! See `docs/mobile-flow.md` for the state diagram and the design of the router and snapshot.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod config;
pub mod error;
pub mod flow;
pub mod link;
pub mod router;
pub mod snapshot;
pub mod state;

pub use config::{
    FlowConfig, FlowSpec, DEFAULT_MAX_FLOW_DURATION_MS, MAX_MAX_FLOW_DURATION_MS,
    MIN_MAX_FLOW_DURATION_MS,
};
pub use error::{AppError, FlowFailure, LinkRejection, Result, RouteRejection};
pub use flow::{Flow, NextStep, PollDisposition, PollProgress, ReturnDisposition};
pub use link::DeviceLinkPolicy;
pub use router::{CallbackBase, ReturnUrl};
pub use snapshot::{FlowSnapshot, SnapshotStage, MAX_SNAPSHOT_LEN, SNAPSHOT_VERSION};
pub use state::FlowState;

#[cfg(test)]
mod tests;
