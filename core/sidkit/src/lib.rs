//! # sidkit
//!
//! Smart-ID (SK ID Solutions, RP API v3) for Rust relying parties: the protocol, response
//! verification, the RP API client, and the backend kit that serves sidkit's Android and iOS
//! libraries. This crate re-exports the layers behind features and aggregates their errors in
//! one [`Error`]; each layer is also a crate of its own.
//!
//! | module | crate | feature | what |
//! |---|---|---|---|
//! | [`acsp`], [`callback`], [`device_link`], [`env`](mod@env), [`ident`], [`interactions`], [`models`], [`request`], [`return_url`], [`secret`], [`session_end`], [`vc`] | `sidkit-proto` | always | the sans-IO RP API v3 |
//! | `qr` | `sidkit-proto` | `qr` | QR module matrix and SVG of a device link |
//! | `verify` | `sidkit-verify` | `verify` (default) | response verification: signatures, chains, Smart-ID profile, identity |
//! | `contract` | `sidkit-contract` | `contract` | the app ↔ backend contract (`docs/openapi.yaml`) |
//! | `app` | `sidkit-app` | `app` | the phone's flow state machine (for native Rust hosts) |
//! | `client` | `sidkit-client` | `client` | the async RP API client over HTTPS |
//! | `backend` | `sidkit-backend` | `backend`, `redis-store` | the backend kit: axum router, session stores |
//!
//! ## Start here: a backend for sidkit's mobile libraries
//!
//! `cargo add sidkit --features backend`. The kit creates the Smart-ID sessions, hands the app
//! only an opaque flow handle and the device link, checks the return URL once, polls and
//! verifies the response fully, and answers with the outcome (see `docs/backend.md`):
//!
//! ```no_run
//! # #[cfg(feature = "backend")]
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use sidkit::backend::{router, Backend, BackendConfig};
//! use sidkit::client::{ClientConfig, SmartIdClient};
//! use sidkit::env::{Environment, RelyingParty};
//! use sidkit::verify::TrustStore;
//!
//! let client = SmartIdClient::new(ClientConfig::from_env()?)?;
//! let config = BackendConfig::new(
//!     client,
//!     RelyingParty::new("00000000-0000-4000-8000-000000000000", "Example Bank")?,
//!     TrustStore::sk_live()?,
//!     "https://app.example.com/smart-id/return",
//! );
//! let app = router(Backend::new(config)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:8090").await?;
//! axum::serve(listener, app).await?;
//! # let _ = Environment::live();
//! # Ok(()) }
//! ```
//!
//! ## Or the protocol alone
//!
//! Every value is computed byte for byte as the spec says; nothing does I/O:
//!
//! ```
//! use sidkit::callback::create_callback_url;
//! use sidkit::env::RelyingParty;
//! use sidkit::interactions::{Interaction, InteractionFlow, Interactions};
//! use sidkit::request::AuthenticationRequestBuilder;
//!
//! let callback = create_callback_url("https://rp.example.com/smart-id/return")?;
//! let request = AuthenticationRequestBuilder::new(&RelyingParty::demo())
//!     .interactions(Interactions::new(
//!         InteractionFlow::DeviceLink,
//!         vec![Interaction::display_text_and_pin("Log in to Example Bank")?],
//!     )?)
//!     .initial_callback_url(callback.url())
//!     .build_device_link()?;
//! assert_eq!(request.initial_callback_url.as_deref(), Some(callback.url()));
//! # Ok::<(), sidkit::Error>(())
//! ```
//!
//! ## Coming from the official Java client
//!
//! | smart-id-java-client 3.x | sidkit |
//! |---|---|
//! | `SmartIdClient` | `client::SmartIdClient` |
//! | `SessionStatusPoller` | `client::Poller`, `SmartIdClient::poll_until_complete` |
//! | `DeviceLinkAuthenticationSessionRequestBuilder`, `NotificationAuthenticationSessionRequestBuilder` | [`request::AuthenticationRequestBuilder`] |
//! | `DeviceLinkSignatureSessionRequestBuilder`, `NotificationSignatureSessionRequestBuilder`, `LinkedNotificationSignatureSessionRequestBuilder` | [`request::SignatureRequestBuilder`] |
//! | `DeviceLinkCertificateChoiceSessionRequestBuilder`, `NotificationCertificateChoiceSessionRequestBuilder` | [`request::CertificateChoiceRequestBuilder`] |
//! | `DeviceLinkBuilder`, `AuthCode` | [`device_link::DeviceLinkSigner`] |
//! | `QrCodeGenerator` | [`device_link::QrTicker`] (links) and `qr` (images, feature `qr`) |
//! | `CallbackUrlUtil` | [`callback::create_callback_url`], [`callback::OneShotCallback`] |
//! | `RpChallengeGenerator`, `RpChallenge` | [`secret::RpChallenge`] |
//! | `VerificationCodeCalculator` | [`vc`] |
//! | `DeviceLinkAuthenticationResponseValidator`, `NotificationAuthenticationResponseValidator` | `verify::verify_authentication` (returns `VerifiedAuthentication`) |
//! | `SignatureResponseValidator` | `verify::verify_signature` |
//! | `CertificateChoiceResponseValidator` | `verify::verify_certificate_choice` |
//! | `DefaultTrustedCACertStore`, `FileTrustedCAStoreBuilder`, `TrustedCACertStore` | `verify::TrustStore` (`sk_live()`, `sk_demo()`, `from_dir`) |
//! | `AuthenticationIdentity` | `verify::CertificateIdentity` |
//! | `SemanticsIdentifier` | [`ident::SemanticsIdentifier`] |
//!
//! The protocol reference is the project's `smartid-rp-api-v3.md` (section numbers in the
//! documentation refer to it).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

pub use sidkit_proto::{
    acsp, callback, device_link, env, ident, interactions, models, request, return_url, secret,
    session_end, vc,
};
pub use sidkit_proto::{CallbackFailure, ProtoError, SessionEnded};

#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
pub use sidkit_proto::qr;

#[cfg(feature = "verify")]
#[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
pub use sidkit_verify as verify;

#[cfg(feature = "contract")]
#[cfg_attr(docsrs, doc(cfg(feature = "contract")))]
pub use sidkit_contract as contract;

#[cfg(feature = "app")]
#[cfg_attr(docsrs, doc(cfg(feature = "app")))]
pub use sidkit_app as app;

#[cfg(feature = "client")]
#[cfg_attr(docsrs, doc(cfg(feature = "client")))]
pub use sidkit_client as client;

#[cfg(feature = "backend")]
#[cfg_attr(docsrs, doc(cfg(feature = "backend")))]
pub use sidkit_backend as backend;

/// Shorthand for `std::result::Result<T, sidkit::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every error of the enabled layers, for code that uses several of them. Each variant wraps
/// the layer's own error unchanged (`?` converts); [`code`](Self::code) and
/// [`is_retryable`](Self::is_retryable) delegate to it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// Input that breaks a protocol rule.
    #[error(transparent)]
    Proto(#[from] ProtoError),
    /// A callback URL failed a check of spec §7.3.
    #[error("callback rejected: {0}")]
    Callback(#[from] CallbackFailure),
    /// Response verification failed, or the session ended without `OK`.
    #[cfg(feature = "verify")]
    #[cfg_attr(docsrs, doc(cfg(feature = "verify")))]
    #[error(transparent)]
    Verify(#[from] sidkit_verify::VerifyError),
    /// The RP API client failed (bad input, the session ended without `OK`, an API failure).
    #[cfg(feature = "client")]
    #[cfg_attr(docsrs, doc(cfg(feature = "client")))]
    #[error(transparent)]
    Client(#[from] sidkit_client::ClientError),
    /// The phone-side flow failed.
    #[cfg(feature = "app")]
    #[cfg_attr(docsrs, doc(cfg(feature = "app")))]
    #[error(transparent)]
    App(#[from] sidkit_app::AppError),
    /// The backend kit could not be set up, or its store failed.
    #[cfg(feature = "backend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "backend")))]
    #[error(transparent)]
    Backend(#[from] sidkit_backend::BackendError),
    /// A flow request of the backend kit failed (what its router answers as a problem).
    #[cfg(feature = "backend")]
    #[cfg_attr(docsrs, doc(cfg(feature = "backend")))]
    #[error(transparent)]
    Flow(#[from] sidkit_backend::FlowError),
}

impl Error {
    /// The stable, machine-readable code of the wrapped error (a flow error answered by a flow
    /// policy's own problem, with the `backend` feature, carries that problem's code).
    pub fn code(&self) -> &str {
        match self {
            Error::Proto(e) => e.code(),
            Error::Callback(f) => f.code(),
            #[cfg(feature = "verify")]
            Error::Verify(e) => e.code(),
            #[cfg(feature = "client")]
            Error::Client(e) => e.code(),
            #[cfg(feature = "app")]
            Error::App(e) => e.code(),
            #[cfg(feature = "backend")]
            Error::Backend(e) => e.code(),
            #[cfg(feature = "backend")]
            Error::Flow(e) => e.code(),
        }
    }

    /// Whether repeating the same operation later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Proto(_) | Error::Callback(_) => false,
            #[cfg(feature = "verify")]
            Error::Verify(e) => e.is_retryable(),
            #[cfg(feature = "client")]
            Error::Client(e) => e.is_retryable(),
            #[cfg(feature = "app")]
            Error::App(e) => e.is_retryable(),
            #[cfg(feature = "backend")]
            Error::Backend(e) => matches!(e, sidkit_backend::BackendError::Store(_)),
            #[cfg(feature = "backend")]
            Error::Flow(e) => e.problem().retryable,
        }
    }
}

#[cfg(feature = "backend")]
impl From<sidkit_backend::StoreError> for Error {
    fn from(e: sidkit_backend::StoreError) -> Self {
        Error::Backend(e.into())
    }
}

#[cfg(feature = "client")]
impl From<sidkit_client::ApiFailure> for Error {
    fn from(f: sidkit_client::ApiFailure) -> Self {
        Error::Client(f.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_errors_convert_and_keep_their_codes() {
        let e: Error = ProtoError::invalid("lang", "x").into();
        assert_eq!(e.code(), "invalid_input");
        assert!(!e.is_retryable());
        let e: Error = CallbackFailure::TokenMismatch.into();
        assert_eq!(e.code(), "callback_token_mismatch");
    }

    #[cfg(feature = "verify")]
    #[test]
    fn verification_failures_keep_their_step_code() {
        let e: Error = sidkit_verify::VerifyError::from(CallbackFailure::AlreadyUsed).into();
        assert_eq!(e.code(), "callback_already_used");
        let ended = SessionEnded {
            end_result: models::EndResult::ServerError,
            interaction: None,
        };
        let e: Error = sidkit_verify::VerifyError::from(ended).into();
        assert_eq!(e.code(), "server_error");
        assert!(e.is_retryable());
    }
}
