//! # sidkit-proto
//!
//! A sans-IO implementation of the Smart-ID Relying Party API v3 (SK ID Solutions): the wire
//! models, the request builders that enforce the spec's rules, device links and the authCode
//! (with the dynamic-QR ticker), callback URLs and their one-shot checks, verification codes,
//! environments and identifiers. No network, TLS or async code: the RP API client
//! (`sidkit-client`), response verification (`sidkit-verify`), the app ↔ backend contract
//! (`sidkit-contract`), the phone's flow (`sidkit-app`) and the backend kit (`sidkit-backend`)
//! build on it. Most users depend on the `sidkit` facade instead.
//!
//! | module | what |
//! |---|---|
//! | [`acsp`] | the ACSP_V2 signed payload of authentication |
//! | [`env`](mod@env) | LIVE / DEMO / custom environments, scheme names, the relying party |
//! | [`models`] | JSON wire models of every request and response |
//! | [`request`] | typed builders that enforce the spec's rules |
//! | [`interactions`] | interactions, kept byte-for-byte as Base64 |
//! | [`device_link`] | device links, authCode, dynamic QR ticker, link parser |
//! | [`callback`] | callback URLs, binding checks, one-shot guard |
//! | [`return_url`] | the one parser, canonical form and fingerprint of a return URL |
//! | [`vc`] | verification codes of notification flows |
//! | [`ident`] | semantics identifiers (with national check digits) and document numbers |
//! | [`secret`] | zeroizing, redacted secrets and constant-time comparison |
//! | [`session_end`] | [`EndResult`](session_end::EndResult) and [`SessionEnded`] |
//! | `qr` | QR module matrix, SVG and PNG of a device link (feature `qr`) |
//! | `signable` | the digest of the data to be signed, for signature requests (feature `signable`) |
//!
//! Errors: [`ProtoError`] for input that breaks a protocol rule, [`CallbackFailure`] for a
//! callback URL that fails a check of spec §7.3.
//!
//! The protocol reference is the project's `smartid-rp-api-v3.md` (section numbers in the
//! documentation refer to it).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub mod acsp;
pub mod callback;
pub mod device_link;
pub mod env;
mod error;
pub mod ident;
pub mod interactions;
pub mod models;
#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
pub mod qr;
pub mod request;
pub mod return_url;
pub mod secret;
pub mod session_end;
#[cfg(feature = "signable")]
#[cfg_attr(docsrs, doc(cfg(feature = "signable")))]
pub mod signable;
pub mod vc;

// Helpers shared by sidkit's own crates. Not part of the public API: hidden from the
// documentation, and may change in any release.
#[doc(hidden)]
pub mod b64;
#[doc(hidden)]
pub mod url;
#[doc(hidden)]
pub mod validate;

pub use error::{CallbackFailure, ProtoError, Result};
pub use session_end::SessionEnded;
