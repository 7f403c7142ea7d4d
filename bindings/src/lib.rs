//! # sidkit-mobile
//!
//! The UniFFI surface of sidkit for Android (Kotlin, package `dev.sidkit.ffi`) and iOS (Swift,
//! module `SidKit`): Smart-ID authentication and signing from a relying party's app through
//! App2App links, or QR codes on a tablet.
//!
//! The app creates one [`SidkitClient`] with its callback base (an App Link / Universal Link),
//! the allowed Smart-ID device-link bases, and a [`BackendTransport`] to its own backend; then, per
//! flow, `createFlow` → `start` → open the link → `handleReturnUrl` → outcome. The phone never
//! holds the Smart-ID session secret, session ID, challenge, digest or callback URL: the
//! backend does the Smart-ID side and all verification. See `docs/mobile-flow.md`.
//!
//! The library has no async runtime, no HTTP stack and no backend code: its futures are driven
//! by the app's coroutines / tasks, and its only I/O is the app's transport.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod client;
mod error;
mod flow;
#[cfg(feature = "json")]
mod json;
mod qr;
mod sync;
mod transport;
mod types;

pub use client::SidkitClient;
pub use error::{FlowErrorKind, LinkRejectionKind, ReturnUrlRejectionKind, SidkitError};
pub use flow::SidkitFlow;
#[cfg(feature = "json")]
pub use json::{
    backend_error_from_json, complete_flow_request_to_json, flow_outcome_from_json,
    poll_flow_response_from_json, start_flow_request_to_json, start_flow_response_from_json,
};
pub use qr::{qr_code, qr_svg, QrCode, QrErrorCorrection};
pub use transport::{check_contract_version, contract_version, flow_key_header, BackendTransport};
pub use types::*;

uniffi::setup_scaffolding!();

/// The version of this library (`major.minor.patch`).
#[uniffi::export]
pub fn sidkit_version() -> String {
    env!("CARGO_PKG_VERSION").to_owned()
}
