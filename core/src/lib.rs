//! # sidkit-core
//!
//! A sans-IO implementation of the Smart-ID Relying Party API v3 (SK ID Solutions): everything
//! an RP backend and an RP mobile app need to run Smart-ID authentication and signing with
//! App2App, Web2App, QR and notification flows, without any network or TLS code in this
//! crate's default build.
//!
//! | module | what |
//! |---|---|
//! | [`acsp`] | the ACSP_V2 signed payload of authentication |
//! | [`api`] | typed failures of RP API calls (HTTP status, RFC 9457 bodies, TLS, transport) |
//! | `client` | async HTTPS client and session poller (feature `client`) |
//! | [`env`](mod@env) | LIVE / DEMO / custom environments, scheme names |
//! | [`models`] | JSON wire models of every request and response |
//! | [`request`] | typed builders that enforce the spec's rules |
//! | [`interactions`] | interactions, kept byte-for-byte as Base64 |
//! | [`device_link`] | device links, authCode, dynamic QR ticker, link parser |
//! | [`callback`] | callback URLs, binding checks, one-shot guard |
//! | [`mobile`] | the phone side: App2App/QR flow state machine, link check, return-URL router, snapshot, app↔backend contract |
//! | [`vc`] | verification codes of notification flows |
//! | [`ident`] | semantics identifiers (with national check digits) and document numbers |
//! | [`secret`] | zeroizing, redacted secrets and constant-time comparison |
//! | `verify` | response verification: signatures, certificate chains, Smart-ID profile (feature `verify`, default) |
//!
//! The protocol reference is the project's `smartid-rp-api-v3.md` (section numbers in the
//! documentation refer to it).
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod acsp;
pub mod api;
pub mod b64;
#[cfg(feature = "backend")]
pub mod backend;
pub mod callback;
#[cfg(feature = "client")]
pub mod client;
pub mod device_link;
pub mod env;
mod error;
pub mod ident;
pub mod interactions;
pub mod mobile;
pub mod models;
pub mod request;
pub mod secret;
#[cfg(feature = "test-pki")]
pub mod testpki;
pub mod url;
pub mod validate;
pub mod vc;
#[cfg(feature = "verify")]
pub mod verify;

pub use api::ApiFailure;
pub use error::{CallbackFailure, Error, Result};
