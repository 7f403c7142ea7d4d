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
//! | 5 | all Smart-ID scheme policy OIDs of the reported level and purpose | `Policy` |
//! | 6 | key usage / EKU for authentication or signing | `Purpose` |
//! | 7 | level ≥ requested; QC statements of qualified signing certificates | `Level` |
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
mod cert;
mod chain;
mod crypto;
mod error;
mod failure;
mod identity;
mod oid;
mod profile;
mod revocation;
mod session;
mod trust;

use std::time::SystemTime;

use serde::{Serialize, Serializer};

pub use cert::{CertFingerprint, Certificate};
pub use error::{Result, VerifyError};
pub use failure::{VerificationFailure, VerificationStep};
pub use identity::{date_of_birth_from_code, BirthDate, Identity};
pub use revocation::{RevocationChecker, RevocationRequest, RevocationStatus};
pub use session::{
    AuthenticationSession, CallbackCheck, CertificateChoiceSession, OfferedFlows, SessionKind,
    SignatureSession,
};
pub use trust::{sk_ca, CertRole, TrustStore};

use profile::Purpose;
use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::callback::{CallbackBinding, VerifiedCallback, DEFAULT_TOKEN_PARAM};
use sidkit_proto::env::SchemeName;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::interactions::Interactions;
use sidkit_proto::models::SessionType;
use sidkit_proto::models::{
    CertificateLevel, EndResult, FlowType, HashAlgorithm, ResponseSignatureAlgorithmParameters,
    SessionSignature, SessionState, SessionStatus, SignatureAlgorithm, SignatureProtocol, Subject,
};
use sidkit_proto::SessionEnded;

/// Everything verification needs besides the session and the response: the environment's
/// scheme name, the trust store, the verification instant and an optional revocation checker.
#[derive(Clone, Copy)]
pub struct VerificationContext<'a> {
    /// `smart-id` (LIVE) or `smart-id-demo` (DEMO): the first field of the ACSP_V2 payload.
    pub scheme_name: SchemeName,
    /// The configured CA certificates.
    pub trust_store: &'a TrustStore,
    /// The instant certificates must be valid at (normally now).
    pub at: SystemTime,
    /// OCSP (or other) revocation checks; without one, revocation is not checked and results
    /// say so (`revocationChecked: false`).
    pub revocation: Option<&'a dyn RevocationChecker>,
}

impl std::fmt::Debug for VerificationContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerificationContext")
            .field("scheme_name", &self.scheme_name)
            .field("anchors", &self.trust_store.anchors().len())
            .field("at", &self.at)
            .field("revocation", &self.revocation.is_some())
            .finish()
    }
}

impl<'a> VerificationContext<'a> {
    /// A context without revocation checking.
    pub fn new(scheme_name: SchemeName, trust_store: &'a TrustStore, at: SystemTime) -> Self {
        VerificationContext {
            scheme_name,
            trust_store,
            at,
            revocation: None,
        }
    }

    /// Adds a revocation checker.
    pub fn with_revocation_checker(mut self, checker: &'a dyn RevocationChecker) -> Self {
        self.revocation = Some(checker);
        self
    }
}

/// The verified end-entity certificate.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VerifiedCertificate {
    /// DER (serialized as standard Base64 under `value`).
    #[serde(rename = "value", serialize_with = "ser_b64")]
    pub der: Vec<u8>,
    /// Subject (RFC 4514).
    pub subject: String,
    /// Issuer (RFC 4514).
    pub issuer: String,
    /// Serial number, upper-case hex.
    pub serial_number: String,
    /// Start of validity.
    #[serde(serialize_with = "ser_time")]
    pub not_before: SystemTime,
    /// End of validity.
    #[serde(serialize_with = "ser_time")]
    pub not_after: SystemTime,
    /// Subjects of the issuers, nearest first; the last is the trust anchor.
    pub chain: Vec<String>,
    /// Whether a revocation checker confirmed every non-anchor certificate of the chain.
    pub revocation_checked: bool,
}

/// A verified authentication.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthenticationResult {
    /// The authenticated person.
    #[serde(flatten)]
    pub identity: Identity,
    /// `result.documentNumber` (consistent with the identity); use it for later requests.
    pub document_number: String,
    /// The certificate level (verified to satisfy the request).
    pub certificate_level: CertificateLevel,
    /// How the user completed the session.
    pub flow_type: FlowType,
    /// The interaction the app showed.
    pub interaction_type_used: String,
    /// `deviceIpAddress`, when shared.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_ip_address: Option<String>,
    /// The verified certificate.
    pub certificate: VerifiedCertificate,
}

/// A verified RAW_DIGEST_SIGNATURE signature.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureResult {
    /// The signer.
    #[serde(flatten)]
    pub identity: Identity,
    /// `result.documentNumber`.
    pub document_number: String,
    /// The certificate level (verified to satisfy the request).
    pub certificate_level: CertificateLevel,
    /// How the user completed the session.
    pub flow_type: FlowType,
    /// The interaction the app showed.
    pub interaction_type_used: String,
    /// The signature value (serialized as standard Base64).
    #[serde(serialize_with = "ser_b64")]
    pub signature_value: Vec<u8>,
    /// The signature algorithm (as requested).
    pub signature_algorithm: SignatureAlgorithm,
    /// The hash algorithm of the digest (and of PSS/MGF1).
    pub hash_algorithm: HashAlgorithm,
    /// The PSS salt length (`None` for PKCS#1 v1.5).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub salt_length: Option<usize>,
    /// The verified certificate (embed it in the signature container).
    pub certificate: VerifiedCertificate,
}

/// A verified certificate choice.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CertificateChoiceResult {
    /// The certificate holder.
    #[serde(flatten)]
    pub identity: Identity,
    /// `result.documentNumber`: use it for the signature request (linked S5 or `document/…`).
    pub document_number: String,
    /// The certificate level (verified to satisfy the request).
    pub certificate_level: CertificateLevel,
    /// How the user completed the session.
    pub flow_type: FlowType,
    /// The verified signing certificate.
    pub certificate: VerifiedCertificate,
}

fn ser_b64<S: Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&b64::encode_std(v))
}

fn ser_time<S: Serializer>(t: &SystemTime, s: S) -> std::result::Result<S::Ok, S::Error> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    s.serialize_str(&rfc3339(secs))
}

/// Formats seconds since the Unix epoch as `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

// ---------------------------------------------------------------------------------------------
// The steps
// ---------------------------------------------------------------------------------------------

/// Step 1: checks a callback URL against the session's `initialCallbackUrl` and secret.
fn step1_callback(
    check: CallbackCheck<'_>,
    initial_callback_url: Option<&str>,
    session_type: SessionType,
) -> Result<Option<VerifiedCallback>> {
    match check {
        CallbackCheck::None | CallbackCheck::DeferredToLinkedSignature => Ok(None),
        CallbackCheck::Verified(v) => Ok(Some(v.clone())),
        CallbackCheck::Url {
            callback_url,
            session_secret,
        } => {
            let initial = initial_callback_url.ok_or_else(|| {
                VerifyError::invalid(
                    "initialCallbackUrl",
                    "a callback URL was given but the session has no initialCallbackUrl",
                )
            })?;
            let parsed = sidkit_proto::url::parse_https("initialCallbackUrl", initial)?;
            let mut tokens = parsed
                .query_pairs()
                .filter(|(n, _)| *n == DEFAULT_TOKEN_PARAM);
            let token = match (tokens.next(), tokens.next()) {
                (Some((_, t)), None) => t,
                _ => {
                    return Err(VerifyError::invalid(
                        "initialCallbackUrl",
                        "has no single `value` token; check the callback with CallbackBinding and pass CallbackCheck::Verified",
                    ))
                }
            };
            let binding = CallbackBinding::from_parts(
                initial,
                DEFAULT_TOKEN_PARAM,
                token,
                session_secret.digest(),
                session_type,
            );
            binding
                .check(callback_url)
                .map(Some)
                .map_err(VerifyError::from)
        }
    }
}

/// The parts of a completed response every session type needs.
struct Completed<'r> {
    signature: &'r SessionSignature,
    flow: FlowType,
    document_number: &'r str,
    cert_value: &'r str,
    reported_level: CertificateLevel,
    reported_level_text: &'r str,
}

fn missing(field: &'static str) -> VerifyError {
    VerificationFailure::MissingField(field).into()
}

fn malformed(field: &'static str, reason: impl Into<String>) -> VerifyError {
    VerificationFailure::MalformedField {
        field,
        reason: reason.into(),
    }
    .into()
}

/// Step 2: state, endResult, protocol, mandatory fields, flow type, callback presence.
fn step2_response<'r>(
    status: &'r SessionStatus,
    protocol: Option<SignatureProtocol>,
    offered: OfferedFlows,
    callback: &CallbackCheck<'_>,
    callback_always_required: bool,
) -> Result<Completed<'r>> {
    if status.state != SessionState::Complete {
        return Err(VerificationFailure::NotComplete.into());
    }
    let result = status.result.as_ref().ok_or_else(|| missing("result"))?;
    if result.end_result != EndResult::Ok {
        return Err(SessionEnded {
            end_result: result.end_result.clone(),
            interaction: result.details.as_ref().and_then(|d| d.interaction.clone()),
        }
        .into());
    }
    let expected = protocol.map(SignatureProtocol::as_str);
    if status.signature_protocol.as_deref() != expected {
        return Err(VerificationFailure::ProtocolMismatch {
            expected,
            received: status.signature_protocol.clone(),
        }
        .into());
    }
    let document_number = result
        .document_number
        .as_deref()
        .ok_or_else(|| missing("result.documentNumber"))?;
    DocumentNumber::new(document_number)
        .map_err(|_| malformed("result.documentNumber", "not a document number"))?;
    let cert = status.cert.as_ref().ok_or_else(|| missing("cert"))?;
    let reported_level = cert.level().ok_or_else(|| {
        malformed(
            "cert.certificateLevel",
            format!("unknown level `{}`", cert.certificate_level),
        )
    })?;
    let signature = status
        .signature
        .as_ref()
        .ok_or_else(|| missing("signature"))?;
    let flow_text = signature
        .flow_type
        .as_deref()
        .ok_or_else(|| missing("signature.flowType"))?;
    let flow = FlowType::parse(flow_text)
        .filter(|f| offered.contains(*f))
        .ok_or_else(|| VerificationFailure::FlowTypeNotOffered {
            flow_type: flow_text.chars().take(64).collect(),
        })?;
    let same_device = matches!(flow, FlowType::Web2App | FlowType::App2App);
    let have_callback = matches!(
        callback,
        CallbackCheck::Verified(_) | CallbackCheck::Url { .. }
    );
    let deferred = matches!(callback, CallbackCheck::DeferredToLinkedSignature);
    if (same_device || callback_always_required) && !have_callback && !deferred {
        return Err(VerificationFailure::CallbackRequired { flow_type: flow }.into());
    }
    if !same_device && !callback_always_required && have_callback {
        return Err(VerificationFailure::UnexpectedCallback { flow_type: flow }.into());
    }
    Ok(Completed {
        signature,
        flow,
        document_number,
        cert_value: &cert.value,
        reported_level,
        reported_level_text: &cert.certificate_level,
    })
}

/// Step 2 (continued): `interactionTypeUsed` is present and one of the requested interactions.
fn check_interaction_used<'r>(
    status: &'r SessionStatus,
    interactions: &Interactions,
) -> Result<&'r str> {
    let used = status
        .interaction_type_used
        .as_deref()
        .ok_or_else(|| missing("interactionTypeUsed"))?;
    if interactions
        .list()
        .iter()
        .any(|i| i.kind().as_str() == used)
    {
        Ok(used)
    } else {
        Err(VerificationFailure::InteractionNotRequested {
            interaction: used.chars().take(64).collect(),
        }
        .into())
    }
}

/// The signature value, decoded.
fn signature_value(sig: &SessionSignature) -> Result<Vec<u8>> {
    let v = sig
        .value
        .as_deref()
        .ok_or_else(|| missing("signature.value"))?;
    b64::decode_std("signature.value", v)
        .map_err(|_| malformed("signature.value", "not canonical standard Base64"))
}

/// Step 4: the end-entity certificate, its key, the chain and revocation.
fn step4_certificate(
    ctx: &VerificationContext<'_>,
    cert_value: &str,
) -> Result<(Certificate, rsa::PublicKey, VerifiedCertificate)> {
    let cert = Certificate::from_base64(cert_value).map_err(|e| match e {
        VerifyError::InvalidInput { reason, .. } => {
            VerificationFailure::CertificateMalformed(reason)
        }
        other => VerificationFailure::CertificateMalformed(other.to_string()),
    })?;
    let key = match crypto::public_key(&cert) {
        Ok(crypto::PublicKey::Rsa(k)) => k,
        Ok(_) => {
            return Err(VerificationFailure::WeakKey(
                "not an RSA key (Smart-ID signs with RSA)".into(),
            )
            .into())
        }
        Err(e) => return Err(VerificationFailure::WeakKey(e).into()),
    };
    let path = chain::build(&cert, ctx.trust_store, ctx.at)?;
    match cert.basic_constraints() {
        Ok(Some(bc)) if bc.ca => {
            return Err(VerificationFailure::BasicConstraints {
                certificate: cert.display_name(),
                reason: "end-entity certificate is marked as a CA".into(),
            }
            .into())
        }
        Ok(_) => {}
        Err(e) => return Err(VerificationFailure::CertificateMalformed(e).into()),
    }
    let mut revocation_checked = false;
    if let Some(checker) = ctx.revocation {
        let mut subject = &cert;
        // Every certificate but the anchor (the last issuer).
        for issuer in &path.issuers {
            let status = checker.check(&RevocationRequest {
                certificate: subject,
                issuer,
                at: ctx.at,
            });
            match status {
                RevocationStatus::Good => {}
                RevocationStatus::Revoked { reason } => {
                    return Err(VerificationFailure::Revoked {
                        certificate: subject.display_name(),
                        reason,
                    }
                    .into())
                }
                RevocationStatus::Unknown { reason } => {
                    return Err(VerificationFailure::RevocationUnknown {
                        certificate: subject.display_name(),
                        reason,
                    }
                    .into())
                }
            }
            subject = issuer;
        }
        revocation_checked = true;
    }
    let verified = VerifiedCertificate {
        der: cert.der().to_vec(),
        subject: cert.subject().to_owned(),
        issuer: cert.issuer(),
        serial_number: cert.serial_hex(),
        not_before: cert.not_before(),
        not_after: cert.not_after(),
        chain: path
            .issuers
            .iter()
            .map(|c| c.subject().to_owned())
            .collect(),
        revocation_checked,
    };
    Ok((cert, key, verified))
}

/// Steps 5–8: policy, purpose, level, identity.
fn steps5_to_8(
    cert: &Certificate,
    purpose: Purpose,
    completed: &Completed<'_>,
    requested: CertificateLevel,
    subject: &Subject,
) -> Result<Identity> {
    profile::check_policies(cert, purpose, completed.reported_level)?;
    profile::check_purpose(cert, purpose)?;
    profile::check_level(
        cert,
        purpose,
        requested,
        completed.reported_level,
        completed.reported_level_text,
    )?;
    let identity = Identity::from_certificate(cert)?;
    let doc = completed.document_number;
    match subject {
        Subject::Anonymous => {}
        Subject::Etsi(id) => {
            let expected = id.to_string();
            if identity.identity_code != expected {
                return Err(VerificationFailure::IdentityMismatch {
                    expected,
                    received: identity.identity_code,
                }
                .into());
            }
        }
        Subject::Document(d) => {
            if d.as_str() != doc {
                return Err(VerificationFailure::IdentityMismatch {
                    expected: d.to_string(),
                    received: doc.to_owned(),
                }
                .into());
            }
        }
    }
    // The document number belongs to the certificate's holder: `PNOEE-30001010004-XXXX-Q`.
    let prefix_ok = doc
        .strip_prefix(identity.identity_code.as_str())
        .is_some_and(|rest| rest.len() > 1 && rest.starts_with('-'));
    if !prefix_ok {
        return Err(VerificationFailure::IdentityMismatch {
            expected: format!("a document number of {}", identity.identity_code),
            received: doc.to_owned(),
        }
        .into());
    }
    Ok(identity)
}

fn mismatch(
    field: &'static str,
    expected: impl Into<String>,
    received: Option<&str>,
) -> VerifyError {
    VerificationFailure::SignatureAlgorithmMismatch {
        field,
        expected: expected.into(),
        received: received
            .map(|r| r.chars().take(64).collect())
            .unwrap_or_else(|| "absent".into()),
    }
    .into()
}

/// Step 9 (parameters): the response's `signatureAlgorithm` equals the request's.
fn check_algorithm(sig: &SessionSignature, requested: SignatureAlgorithm) -> Result<()> {
    let got = sig.signature_algorithm.as_deref();
    if got != Some(requested.as_str()) {
        return Err(mismatch("signatureAlgorithm", requested.as_str(), got));
    }
    Ok(())
}

/// Step 9 (parameters): RSASSA-PSS parameters of the response equal what the request implies
/// (hash, MGF1 with the same hash, salt = hash length, trailer 0xbc). Returns the salt length.
fn check_pss_parameters(
    params: Option<&ResponseSignatureAlgorithmParameters>,
    hash: HashAlgorithm,
) -> Result<usize> {
    let p = params.ok_or_else(|| mismatch("signatureAlgorithmParameters", "present", None))?;
    let h = hash.as_str();
    if p.hash_algorithm.as_deref() != Some(h) {
        return Err(mismatch("hashAlgorithm", h, p.hash_algorithm.as_deref()));
    }
    let mgf = p.mask_gen_algorithm.as_ref();
    let mgf_alg = mgf.map(|m| m.algorithm.as_str());
    if mgf_alg != Some("id-mgf1") {
        return Err(mismatch("maskGenAlgorithm", "id-mgf1", mgf_alg));
    }
    let mgf_hash = mgf
        .and_then(|m| m.parameters.as_ref())
        .map(|p| p.hash_algorithm.as_str());
    if mgf_hash != Some(h) {
        return Err(mismatch(
            "maskGenAlgorithm.parameters.hashAlgorithm",
            h,
            mgf_hash,
        ));
    }
    let want_salt = hash.output_len();
    if p.salt_length.map(|s| s as usize) != Some(want_salt) {
        let got = p.salt_length.map(|s| s.to_string());
        return Err(mismatch(
            "saltLength",
            want_salt.to_string(),
            got.as_deref(),
        ));
    }
    if p.trailer_field.as_deref() != Some("0xbc") {
        return Err(mismatch("trailerField", "0xbc", p.trailer_field.as_deref()));
    }
    Ok(want_salt)
}

// ---------------------------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------------------------

/// Verifies a completed authentication session (ACSP_V2) and returns the authenticated
/// identity. Runs steps 1–9 of spec §8 in order (see the module documentation).
///
/// `callback` must carry the callback for `Web2App`/`App2App` flows and must be
/// [`CallbackCheck::None`] for `QR`/`Notification` flows.
pub fn verify_authentication(
    ctx: &VerificationContext<'_>,
    session: &AuthenticationSession<'_>,
    status: &SessionStatus,
    callback: CallbackCheck<'_>,
) -> Result<AuthenticationResult> {
    session.validate()?;
    if matches!(callback, CallbackCheck::DeferredToLinkedSignature) {
        return Err(VerifyError::invalid(
            "callback",
            "only a device-link certificate choice can defer its callback",
        ));
    }
    // 1
    let verified_callback =
        step1_callback(callback, session.initial_callback_url, SessionType::Auth)?;
    // 2
    let completed = step2_response(
        status,
        Some(SignatureProtocol::AcspV2),
        session.offered_flows,
        &callback,
        false,
    )?;
    let sig = completed.signature;
    let interaction_used = check_interaction_used(status, session.interactions)?;
    let server_random = sig
        .server_random
        .as_deref()
        .ok_or_else(|| missing("signature.serverRandom"))?;
    if server_random.len() < 24 || b64::decode_std("signature.serverRandom", server_random).is_err()
    {
        return Err(malformed(
            "signature.serverRandom",
            "must be canonical standard Base64 of at least 24 characters",
        ));
    }
    let user_challenge = sig
        .user_challenge
        .as_deref()
        .ok_or_else(|| missing("signature.userChallenge"))?;
    if user_challenge.len() != 43
        || b64::decode_url("signature.userChallenge", user_challenge).is_err()
    {
        return Err(malformed(
            "signature.userChallenge",
            "must be 43 Base64URL characters (SHA-256)",
        ));
    }
    let value = signature_value(sig)?;
    // 3
    if let Some(cb) = &verified_callback {
        cb.check_user_challenge(user_challenge)?;
    }
    // 4
    let (cert, key, verified_cert) = step4_certificate(ctx, completed.cert_value)?;
    // 5–8
    let identity = steps5_to_8(
        &cert,
        Purpose::Authentication,
        &completed,
        session.certificate_level,
        &session.subject,
    )?;
    // 9
    check_algorithm(sig, session.signature_algorithm)?;
    let hash = session.hash_algorithm;
    let salt = check_pss_parameters(sig.signature_algorithm_parameters.as_ref(), hash)?;
    let payload = AcspV2Payload {
        scheme_name: ctx.scheme_name,
        server_random,
        rp_challenge: session.rp_challenge,
        user_challenge,
        relying_party_name: session.relying_party_name,
        brokered_rp_name: session.brokered_rp_name,
        interactions: session.interactions.as_base64(),
        interaction_type_used: interaction_used,
        initial_callback_url: session.initial_callback_url,
        flow_type: completed.flow.as_str(),
    }
    .to_bytes();
    let digest = crypto::digest(hash, &payload);
    if !crypto::verify_pss_prehashed(&key, hash, salt, &digest, &value) {
        return Err(VerificationFailure::SignatureInvalid.into());
    }
    Ok(AuthenticationResult {
        identity,
        document_number: completed.document_number.to_owned(),
        certificate_level: completed.reported_level,
        flow_type: completed.flow,
        interaction_type_used: interaction_used.to_owned(),
        device_ip_address: status.device_ip_address.clone(),
        certificate: verified_cert,
    })
}

/// Verifies a completed signature session (RAW_DIGEST_SIGNATURE): the signature over the
/// request's `digest` with the requested algorithm (RSASSA-PSS, or a legacy PKCS#1 v1.5
/// algorithm only if the request asked for it), the signing certificate and its holder.
pub fn verify_signature(
    ctx: &VerificationContext<'_>,
    session: &SignatureSession<'_>,
    status: &SessionStatus,
    callback: CallbackCheck<'_>,
) -> Result<SignatureResult> {
    let (digest, hash) = session.validate()?;
    if matches!(callback, CallbackCheck::DeferredToLinkedSignature) {
        return Err(VerifyError::invalid(
            "callback",
            "only a device-link certificate choice can defer its callback",
        ));
    }
    let linked_with_callback =
        session.kind == SessionKind::LinkedNotification && session.initial_callback_url.is_some();
    // 1 (a linked signature's callback is the certificate choice's: session type `cert`)
    let callback_session_type = if session.kind == SessionKind::LinkedNotification {
        SessionType::Cert
    } else {
        SessionType::Sign
    };
    let verified_callback = step1_callback(
        callback,
        session.initial_callback_url,
        callback_session_type,
    )?;
    debug_assert!(verified_callback
        .as_ref()
        .is_none_or(|c| c.user_challenge_verifier().is_none()));
    // 2
    let completed = step2_response(
        status,
        Some(SignatureProtocol::RawDigestSignature),
        session.offered_flows,
        &callback,
        linked_with_callback,
    )?;
    let sig = completed.signature;
    let interaction_used = check_interaction_used(status, session.interactions)?;
    let value = signature_value(sig)?;
    // 3 does not apply to signatures. 4
    let (cert, key, verified_cert) = step4_certificate(ctx, completed.cert_value)?;
    // 5–8
    let identity = steps5_to_8(
        &cert,
        Purpose::Signing,
        &completed,
        session.certificate_level,
        &session.subject,
    )?;
    // 9
    check_algorithm(sig, session.signature_algorithm)?;
    let params = sig.signature_algorithm_parameters.as_ref();
    let (ok, salt_length) = if session.signature_algorithm == SignatureAlgorithm::RsassaPss {
        let salt = check_pss_parameters(params, hash)?;
        (
            crypto::verify_pss_prehashed(&key, hash, salt, &digest, &value),
            Some(salt),
        )
    } else {
        if let Some(p) = params {
            let only_hash = p.mask_gen_algorithm.is_none()
                && p.salt_length.is_none()
                && p.trailer_field.is_none();
            let hash_ok = p
                .hash_algorithm
                .as_deref()
                .is_none_or(|h| h == hash.as_str());
            if !(only_hash && hash_ok) {
                return Err(mismatch(
                    "signatureAlgorithmParameters",
                    format!(
                        "absent (or hashAlgorithm {hash}) for {}",
                        session.signature_algorithm
                    ),
                    Some("PSS-style parameters"),
                ));
            }
        }
        (
            crypto::verify_pkcs1v15_prehashed(&key, hash, &digest, &value),
            None,
        )
    };
    if !ok {
        return Err(VerificationFailure::SignatureInvalid.into());
    }
    Ok(SignatureResult {
        identity,
        document_number: completed.document_number.to_owned(),
        certificate_level: completed.reported_level,
        flow_type: completed.flow,
        interaction_type_used: interaction_used.to_owned(),
        signature_value: value,
        signature_algorithm: session.signature_algorithm,
        hash_algorithm: hash,
        salt_length,
        certificate: verified_cert,
    })
}

/// Verifies a completed certificate-choice session: callback and flow type, then the signing
/// certificate (chain, policies, `nonRepudiation`, QC statements for qualified, level) and its
/// holder. There is no signature value to check.
pub fn verify_certificate_choice(
    ctx: &VerificationContext<'_>,
    session: &CertificateChoiceSession<'_>,
    status: &SessionStatus,
    callback: CallbackCheck<'_>,
) -> Result<CertificateChoiceResult> {
    session.validate()?;
    if matches!(callback, CallbackCheck::DeferredToLinkedSignature)
        && session.kind != SessionKind::DeviceLink
    {
        return Err(VerifyError::invalid(
            "callback",
            "only a device-link certificate choice can defer its callback",
        ));
    }
    // 1
    step1_callback(callback, session.initial_callback_url, SessionType::Cert)?;
    // 2
    let completed = step2_response(status, None, session.offered_flows, &callback, false)?;
    // 4
    let (cert, _key, verified_cert) = step4_certificate(ctx, completed.cert_value)?;
    // 5–8
    let identity = steps5_to_8(
        &cert,
        Purpose::Signing,
        &completed,
        session.certificate_level,
        &session.subject,
    )?;
    Ok(CertificateChoiceResult {
        identity,
        document_number: completed.document_number.to_owned(),
        certificate_level: completed.reported_level,
        flow_type: completed.flow,
        certificate: verified_cert,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_formatting() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_924_991_999), "2030-12-31T23:59:59Z");
        assert_eq!(rfc3339(4_102_444_800), "2100-01-01T00:00:00Z");
    }
}
