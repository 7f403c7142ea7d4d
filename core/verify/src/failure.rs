//! [`VerificationFailure`]: which check of spec §8 a Smart-ID response failed.

use std::fmt;

use sidkit_proto::models::{CertificateLevel, FlowType};
use sidkit_proto::CallbackFailure;

/// The check of spec §8 that failed, in the order the checks run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum VerificationStep {
    /// Step 1 (same-device flows): the callback URL (token binding, `sessionSecretDigest`).
    Callback,
    /// Step 2: the shape of the session status (`state`, `signatureProtocol`, mandatory fields).
    Response,
    /// Step 2: `signature.flowType` is one the relying party offered, and the callback matches it.
    FlowType,
    /// Step 3 (same-device authentication): `userChallengeVerifier` against `userChallenge`.
    UserChallenge,
    /// Step 4: the end-entity certificate itself (encoding, key).
    Certificate,
    /// Step 4: the chain to a configured trust anchor and its signatures.
    Chain,
    /// Step 4: validity periods at the verification instant.
    Validity,
    /// Step 4: basic constraints, CA key usage, critical extensions.
    BasicConstraints,
    /// Step 4: revocation status from the configured checker (OCSP).
    Revocation,
    /// Step 5: the Smart-ID scheme certificate policies.
    Policy,
    /// Step 6: key usage / extended key usage for the session's purpose.
    Purpose,
    /// Step 7: the certificate level its policies and QC statements prove, against the
    /// response's unsigned `cert.certificateLevel` and the request.
    Level,
    /// Step 8: the identity in the certificate and the known person of the session.
    Identity,
    /// Step 9: the signature value and its algorithm parameters.
    Signature,
}

impl VerificationStep {
    /// A short stable name (`callback`, `response`, `flow_type`, `user_challenge`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            VerificationStep::Callback => "callback",
            VerificationStep::Response => "response",
            VerificationStep::FlowType => "flow_type",
            VerificationStep::UserChallenge => "user_challenge",
            VerificationStep::Certificate => "certificate",
            VerificationStep::Chain => "chain",
            VerificationStep::Validity => "validity",
            VerificationStep::BasicConstraints => "basic_constraints",
            VerificationStep::Revocation => "revocation",
            VerificationStep::Policy => "policy",
            VerificationStep::Purpose => "purpose",
            VerificationStep::Level => "level",
            VerificationStep::Identity => "identity",
            VerificationStep::Signature => "signature",
        }
    }
}

impl fmt::Display for VerificationStep {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a Smart-ID response was rejected. Every variant names one check; [`step`](Self::step)
/// says which step of spec §8 it belongs to and [`code`](Self::code) gives a stable code.
///
/// A session that ended with an `endResult` other than `OK` is not a verification failure: it
/// is reported as [`VerifyError::SessionEnded`](crate::VerifyError::SessionEnded).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerificationFailure {
    /// A check of the callback URL failed (token, base URL, `sessionSecretDigest`, or, in step
    /// 3, `userChallengeVerifier`).
    Callback(CallbackFailure),
    /// The flow was same-device (`Web2App`/`App2App`) but no callback was presented: the
    /// session must not be accepted before the user has returned through the callback.
    CallbackRequired {
        /// The flow type of the response.
        flow_type: FlowType,
    },
    /// A callback was presented for a flow that never opens one (`QR`, `Notification`).
    UnexpectedCallback {
        /// The flow type of the response.
        flow_type: FlowType,
    },
    /// `state` is not `COMPLETE`: there is nothing to verify yet.
    NotComplete,
    /// A field that must be present in a completed session is missing.
    MissingField(&'static str),
    /// A field has a value that breaks the protocol's format.
    MalformedField {
        /// Protocol name of the field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// `signatureProtocol` differs from the protocol of the session's request.
    ProtocolMismatch {
        /// What the request used (`None` for certificate choice, which has no protocol).
        expected: Option<&'static str>,
        /// What the response says.
        received: Option<String>,
    },
    /// `signature.flowType` is not one of the flows the relying party offered.
    FlowTypeNotOffered {
        /// The received flow type.
        flow_type: String,
    },
    /// `interactionTypeUsed` is not one of the interactions of the request.
    InteractionNotRequested {
        /// The received interaction type.
        interaction: String,
    },
    /// The end-entity certificate cannot be parsed.
    CertificateMalformed(String),
    /// The end-entity key is not an RSA key of at least 2048 bits.
    WeakKey(String),
    /// No chain from the certificate to a configured trust anchor exists.
    UntrustedChain {
        /// The certificate whose issuer was not found.
        certificate: String,
        /// That certificate's issuer name.
        issuer: String,
    },
    /// A certificate's signature does not verify with its issuer's key, or uses an algorithm
    /// that is not accepted.
    ChainSignature {
        /// The certificate whose signature failed.
        certificate: String,
        /// Why.
        reason: String,
    },
    /// A certificate of the chain is expired or not yet valid at the verification instant.
    Validity {
        /// The certificate.
        certificate: String,
        /// Why.
        reason: String,
    },
    /// Basic constraints (or CA key usage, path length, an unsupported critical extension)
    /// forbid the chain.
    BasicConstraints {
        /// The certificate.
        certificate: String,
        /// Why.
        reason: String,
    },
    /// The revocation checker reports the certificate as revoked.
    Revoked {
        /// The certificate.
        certificate: String,
        /// Revocation reason, if known.
        reason: Option<String>,
    },
    /// The revocation checker could not establish the status (fail closed).
    RevocationUnknown {
        /// The certificate.
        certificate: String,
        /// Why.
        reason: String,
    },
    /// The certificate lacks Smart-ID scheme policy OIDs required for its level and purpose.
    Policy {
        /// The missing policy OIDs.
        missing: Vec<String>,
        /// What they were required for.
        profile: &'static str,
    },
    /// Key usage / extended key usage do not allow the session's purpose.
    Purpose(String),
    /// The level the certificate proves is lower than requested, or the certificate has the
    /// qualified signature policies without the QC statements of the qualified profile (and so
    /// proves no level at all).
    Level {
        /// The level the request asked for.
        requested: CertificateLevel,
        /// The level the certificate proves (its policies and, for signing, its QC statements;
        /// never the response's `cert.certificateLevel`); `None` when it proves none.
        certificate: Option<CertificateLevel>,
        /// Why it does not satisfy the request.
        reason: String,
    },
    /// The response's `cert.certificateLevel`, which is not signed, claims a higher level than
    /// the certificate proves (e.g. `QSCD` for an authentication certificate, or for a signing
    /// certificate without the `QcSSCD` statement).
    LevelNotProven {
        /// `cert.certificateLevel` as received.
        claimed: String,
        /// The level the certificate proves.
        certificate: CertificateLevel,
        /// Why the certificate proves no more.
        reason: String,
    },
    /// The subject carries no usable identity (`serialNumber`).
    Identity(String),
    /// The identity differs from the person the session was created for.
    IdentityMismatch {
        /// The expected identity (`PNOEE-…` or a document number).
        expected: String,
        /// What the response/certificate carries.
        received: String,
    },
    /// `signatureAlgorithm` or one of its parameters differs from what the request asked for,
    /// or is not accepted.
    SignatureAlgorithmMismatch {
        /// The field (`signatureAlgorithm`, `hashAlgorithm`, `maskGenAlgorithm`, `saltLength`,
        /// `trailerField`).
        field: &'static str,
        /// What was required.
        expected: String,
        /// What the response says.
        received: String,
    },
    /// The signature value does not verify with the certificate's key.
    SignatureInvalid,
}

impl VerificationFailure {
    /// The step of spec §8 this failure belongs to.
    pub fn step(&self) -> VerificationStep {
        use VerificationFailure as F;
        match self {
            F::Callback(CallbackFailure::UserChallengeMismatch) => VerificationStep::UserChallenge,
            F::Callback(_) => VerificationStep::Callback,
            F::CallbackRequired { .. } | F::UnexpectedCallback { .. } => VerificationStep::FlowType,
            F::FlowTypeNotOffered { .. } => VerificationStep::FlowType,
            F::NotComplete
            | F::MissingField(_)
            | F::MalformedField { .. }
            | F::ProtocolMismatch { .. }
            | F::InteractionNotRequested { .. } => VerificationStep::Response,
            F::CertificateMalformed(_) | F::WeakKey(_) => VerificationStep::Certificate,
            F::UntrustedChain { .. } | F::ChainSignature { .. } => VerificationStep::Chain,
            F::Validity { .. } => VerificationStep::Validity,
            F::BasicConstraints { .. } => VerificationStep::BasicConstraints,
            F::Revoked { .. } | F::RevocationUnknown { .. } => VerificationStep::Revocation,
            F::Policy { .. } => VerificationStep::Policy,
            F::Purpose(_) => VerificationStep::Purpose,
            F::Level { .. } | F::LevelNotProven { .. } => VerificationStep::Level,
            F::Identity(_) | F::IdentityMismatch { .. } => VerificationStep::Identity,
            F::SignatureAlgorithmMismatch { .. } | F::SignatureInvalid => {
                VerificationStep::Signature
            }
        }
    }

    /// A stable, machine-readable code (`verification_signature_invalid`, …; callback failures
    /// keep the codes of [`CallbackFailure`]).
    pub fn code(&self) -> &'static str {
        use VerificationFailure as F;
        match self {
            F::Callback(c) => c.code(),
            F::CallbackRequired { .. } => "verification_callback_required",
            F::UnexpectedCallback { .. } => "verification_unexpected_callback",
            F::NotComplete => "verification_not_complete",
            F::MissingField(_) => "verification_missing_field",
            F::MalformedField { .. } => "verification_malformed_field",
            F::ProtocolMismatch { .. } => "verification_protocol_mismatch",
            F::FlowTypeNotOffered { .. } => "verification_flow_type_not_offered",
            F::InteractionNotRequested { .. } => "verification_interaction_not_requested",
            F::CertificateMalformed(_) => "verification_certificate_malformed",
            F::WeakKey(_) => "verification_weak_key",
            F::UntrustedChain { .. } => "verification_untrusted_chain",
            F::ChainSignature { .. } => "verification_chain_signature",
            F::Validity { .. } => "verification_validity",
            F::BasicConstraints { .. } => "verification_basic_constraints",
            F::Revoked { .. } => "verification_revoked",
            F::RevocationUnknown { .. } => "verification_revocation_unknown",
            F::Policy { .. } => "verification_policy",
            F::Purpose(_) => "verification_purpose",
            F::Level { .. } => "verification_level",
            F::LevelNotProven { .. } => "verification_level_not_proven",
            F::Identity(_) => "verification_identity",
            F::IdentityMismatch { .. } => "verification_identity_mismatch",
            F::SignatureAlgorithmMismatch { .. } => "verification_signature_algorithm_mismatch",
            F::SignatureInvalid => "verification_signature_invalid",
        }
    }
}

impl fmt::Display for VerificationFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use VerificationFailure as F;
        write!(f, "{}: ", self.step())?;
        match self {
            F::Callback(c) => write!(f, "{c}"),
            F::CallbackRequired { flow_type } => write!(
                f,
                "flowType {flow_type} is same-device, but no callback was presented"
            ),
            F::UnexpectedCallback { flow_type } => write!(
                f,
                "a callback was presented, but flowType {flow_type} never opens one"
            ),
            F::NotComplete => f.write_str("session state is not COMPLETE"),
            F::MissingField(field) => write!(f, "`{field}` is missing"),
            F::MalformedField { field, reason } => write!(f, "`{field}` is malformed: {reason}"),
            F::ProtocolMismatch { expected, received } => write!(
                f,
                "signatureProtocol is {} but the request used {}",
                received.as_deref().unwrap_or("absent"),
                expected.unwrap_or("none (certificate choice)")
            ),
            F::FlowTypeNotOffered { flow_type } => {
                write!(f, "flowType `{flow_type}` was not offered for this session")
            }
            F::InteractionNotRequested { interaction } => write!(
                f,
                "interactionTypeUsed `{interaction}` is not one of the requested interactions"
            ),
            F::CertificateMalformed(why) => write!(f, "certificate cannot be parsed: {why}"),
            F::WeakKey(why) => write!(f, "unacceptable end-entity key: {why}"),
            F::UntrustedChain {
                certificate,
                issuer,
            } => write!(
                f,
                "no trusted issuer `{issuer}` for `{certificate}` in the trust store"
            ),
            F::ChainSignature {
                certificate,
                reason,
            } => write!(f, "signature of `{certificate}` does not verify: {reason}"),
            F::Validity {
                certificate,
                reason,
            } => write!(f, "`{certificate}` {reason}"),
            F::BasicConstraints {
                certificate,
                reason,
            } => write!(f, "`{certificate}`: {reason}"),
            F::Revoked {
                certificate,
                reason,
            } => match reason {
                Some(r) => write!(f, "`{certificate}` is revoked ({r})"),
                None => write!(f, "`{certificate}` is revoked"),
            },
            F::RevocationUnknown {
                certificate,
                reason,
            } => write!(
                f,
                "revocation status of `{certificate}` is unknown: {reason}"
            ),
            F::Policy { missing, profile } => write!(
                f,
                "certificate lacks the policy OIDs of the {profile} profile: {}",
                missing.join(", ")
            ),
            F::Purpose(why) => write!(f, "{why}"),
            F::Level {
                requested, reason, ..
            } => write!(
                f,
                "the certificate does not satisfy the requested level {requested}: {reason}"
            ),
            F::LevelNotProven {
                claimed,
                certificate,
                reason,
            } => write!(
                f,
                "cert.certificateLevel claims {claimed}, but the certificate proves {certificate}: {reason}"
            ),
            F::Identity(why) => write!(f, "{why}"),
            F::IdentityMismatch { expected, received } => write!(
                f,
                "session was for `{expected}` but the response carries `{received}`"
            ),
            F::SignatureAlgorithmMismatch {
                field,
                expected,
                received,
            } => write!(f, "{field} is `{received}`, expected `{expected}`"),
            F::SignatureInvalid => {
                f.write_str("signature value does not verify with the certificate's key")
            }
        }
    }
}
