//! # sidkit-verify
//!
//! Response verification (spec §8): everything an RP backend must check before it trusts a
//! completed Smart-ID session, in the spec's order, with a typed error naming the failed check.
//!
//! | step | check | failure ([`VerificationFailure`]) |
//! |---|---|---|
//! | 1 | callback URL: token binding, `sessionSecretDigest` (same-device flows) | `Callback` |
//! | 2 | `state` `COMPLETE`, `endResult` `OK`, `signatureProtocol`, mandatory fields, `flowType` offered, callback present exactly for same-device flows | [`VerifyError::SessionEnded`], `NotComplete`, `MissingField`, `MalformedField`, `ProtocolMismatch`, `FlowTypeNotOffered`, `CallbackRequired`, `UnexpectedCallback`, `InteractionNotRequested` |
//! | 3 | `userChallengeVerifier` against `signature.userChallenge` (same-device authentication) | `Callback(UserChallengeMismatch)` |
//! | 4 | end-entity certificate and key (RSA ≥ 2048 bits), chain to the [`TrustStore`], signatures, validity, basic constraints, critical extensions, revocation hook | `CertificateMalformed`, `WeakKey`, `UntrustedChain`, `ChainSignature`, `Validity`, `BasicConstraints`, `Revoked`, `RevocationUnknown` |
//! | 5 | all Smart-ID scheme policy OIDs of the qualified (or else the non-qualified) profile of the purpose | `Policy` |
//! | 6 | key usage / EKU for authentication or signing | `Purpose` |
//! | 7 | the level the certificate proves (policies; QC statements of signing certificates, `QcSSCD` for `QSCD`): the response's unsigned `cert.certificateLevel` claims no more, and it is ≥ requested | `LevelNotProven`, `Level` |
//! | 8 | identity from the subject `serialNumber`; the targeted person / document number | `Identity`, `IdentityMismatch` |
//! | 9 | signature with the algorithm and parameters of the response, checked against the request | `SignatureAlgorithmMismatch`, `SignatureInvalid` |
//!
//! Inputs that are the caller's own fault (a malformed request body, an empty trust store
//! directory) are [`VerifyError::InvalidInput`].
//!
//! ```no_run
//! use std::time::SystemTime;
//! use sidkit_proto::env::SchemeName;
//! use sidkit_proto::models::{DeviceLinkAuthenticationRequest, FlowType, SessionStatus, Subject};
//! use sidkit_proto::secret::SessionSecret;
//! use sidkit_verify::{
//!     verify_authentication, AuthenticationSession, CallbackCheck, OfferedFlows, TrustStore,
//!     VerificationContext,
//! };
//! # fn load() -> (DeviceLinkAuthenticationRequest, SessionStatus, SessionSecret, String) { unimplemented!() }
//! let (request, status, secret, callback_url) = load();
//! let trust = TrustStore::from_dir("/etc/smart-id/ca/live")?;
//! let ctx = VerificationContext::new(SchemeName::SmartId, &trust, SystemTime::now());
//! let session = AuthenticationSession::device_link(
//!     &request,
//!     Subject::Anonymous,
//!     OfferedFlows::of(&[FlowType::Qr, FlowType::App2App]),
//! );
//! let result = verify_authentication(
//!     &ctx,
//!     &session,
//!     &status,
//!     CallbackCheck::Url { callback_url: &callback_url, session_secret: &secret },
//! )?;
//! println!("{} {:?}", result.identity.identity_code, result.identity.surname);
//! # Ok::<(), sidkit_verify::VerifyError>(())
//! ```

#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod asn1;
mod cache;
mod cert;
mod chain;
mod context;
mod crl;
mod crypto;
mod error;
mod failure;
mod identity;
mod ocsp;
mod ocsp_types;
mod oid;
mod profile;
mod response;
mod results;
mod revocation;
mod session;
mod steps;
mod trust;

pub use cache::{CacheStats, VerifiedCertCache};
pub use cert::{CertFingerprint, Certificate};
pub use context::VerificationContext;
pub use crl::check_crl;
pub use error::{Result, VerifyError};
pub use failure::{VerificationFailure, VerificationStep};
pub use identity::{date_of_birth_from_code, BirthDate, CertificateIdentity};
pub use ocsp::{check_ocsp_response, CertIdHash, NonceRequirement, OcspOptions, OcspRequest};
pub use response::{verify_authentication, verify_certificate_choice, verify_signature};
pub use results::{
    RevocationEvidence, RevocationMethod, RevocationRecord, VerifiedAuthentication,
    VerifiedCertificate, VerifiedCertificateChoice, VerifiedSignature,
};
pub use revocation::{
    CertRevocationStatus, RevocationAnswer, RevocationAnswers, RevocationChecker, RevocationError,
    RevocationReason, RevocationRequest, RevocationStatus,
};
pub use session::{
    AuthenticationSession, CallbackCheck, CertificateChoiceSession, OfferedFlows, SessionKind,
    SignatureSession,
};
pub use trust::{sk_ca, CertRole, TrustStore};
