//! The checks of spec §8, one function per step (or group of steps), shared by the three
//! entry points of `response.rs`. Each returns the typed [`VerificationFailure`] of the first
//! check that fails.

use std::sync::Arc;

use crate::cache::{CacheKey, CachedRevocation, ProfileFacts, VerifiedChain};
use crate::cert::Certificate;
use crate::chain;
use crate::context::VerificationContext;
use crate::crypto;
use crate::error::{Result, VerifyError};
use crate::failure::VerificationFailure;
use crate::identity::CertificateIdentity;
use crate::profile::{self, LevelProof, Purpose};
use crate::results::RevocationRecord;
use crate::results::VerifiedCertificate;
use crate::revocation::{RevocationRequest, RevocationStatus};
use crate::session::{CallbackCheck, OfferedFlows};
use sidkit_proto::b64;
use sidkit_proto::callback::{CallbackBinding, VerifiedCallback, DEFAULT_TOKEN_PARAM};
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::interactions::Interactions;
use sidkit_proto::models::{
    CertificateLevel, EndResult, FlowType, HashAlgorithm, ResponseSignatureAlgorithmParameters,
    SessionSignature, SessionState, SessionStatus, SessionType, SignatureAlgorithm,
    SignatureProtocol, Subject,
};
use sidkit_proto::SessionEnded;

/// Step 1: checks a callback URL against the session's `initialCallbackUrl` and secret.
pub(crate) fn step1_callback(
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
pub(crate) struct Completed<'r> {
    pub(crate) signature: &'r SessionSignature,
    pub(crate) flow: FlowType,
    pub(crate) document_number: &'r str,
    pub(crate) cert_value: &'r str,
    /// `cert.certificateLevel`: unsigned, only checked not to claim more than the certificate
    /// proves (step 7).
    pub(crate) claimed_level: CertificateLevel,
    pub(crate) claimed_level_text: &'r str,
}

pub(crate) fn missing(field: &'static str) -> VerifyError {
    VerificationFailure::MissingField(field).into()
}

pub(crate) fn malformed(field: &'static str, reason: impl Into<String>) -> VerifyError {
    VerificationFailure::MalformedField {
        field,
        reason: reason.into(),
    }
    .into()
}

/// Step 2: state, endResult, protocol, mandatory fields, flow type, callback presence.
pub(crate) fn step2_response<'r>(
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
    let claimed_level = cert.level().ok_or_else(|| {
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
        claimed_level,
        claimed_level_text: &cert.certificate_level,
    })
}

/// Step 2 (continued): `interactionTypeUsed` is present and one of the requested interactions.
pub(crate) fn check_interaction_used<'r>(
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
pub(crate) fn signature_value(sig: &SessionSignature) -> Result<Vec<u8>> {
    let v = sig
        .value
        .as_deref()
        .ok_or_else(|| missing("signature.value"))?;
    b64::decode_std("signature.value", v)
        .map_err(|_| malformed("signature.value", "not canonical standard Base64"))
}

/// Step 4: the end-entity certificate, its key, the chain and revocation. With a
/// [`VerifiedCertCache`](crate::VerifiedCertCache) in `ctx`, a chain verified before against
/// the same trust store, still within its entry's lifetime and with every certificate valid at
/// `ctx.at`, is reused (revocation is still checked, or taken from answers kept with the entry
/// until their earliest `nextUpdate`).
pub(crate) fn step4_certificate(
    ctx: &VerificationContext<'_>,
    cert_value: &str,
) -> Result<(Arc<VerifiedChain>, VerifiedCertificate)> {
    let malformed_cert = |e: VerifyError| match e {
        VerifyError::InvalidInput { reason, .. } => {
            VerificationFailure::CertificateMalformed(reason)
        }
        other => VerificationFailure::CertificateMalformed(other.to_string()),
    };
    let der = b64::decode_std("cert.value", cert_value).map_err(|e| malformed_cert(e.into()))?;
    let cached = ctx.cert_cache.map(|cache| {
        let key: CacheKey = (
            crate::cert::CertFingerprint::of(&der).0,
            ctx.trust_store.identity(),
        );
        (cache, key)
    });
    if let Some((cache, key)) = &cached {
        if let Some((chain, kept)) = cache.lookup(key, &der, ctx.at) {
            let mut verified = chain.base.clone();
            if let Some(checker) = ctx.revocation {
                match kept.filter(|k| k.covers(ctx.at)) {
                    Some(k) => {
                        verified.revocation_checked = true;
                        verified.revocation = k.records;
                    }
                    None => {
                        let issuers: Vec<&Certificate> = chain.issuers.iter().collect();
                        let (records, all_checked) =
                            match check_revocation(checker, &chain.cert, &issuers, ctx.at) {
                                Ok(r) => r,
                                Err(e) => {
                                    cache.remove(key);
                                    return Err(e);
                                }
                            };
                        if let Some(k) = CachedRevocation::of(&records, ctx.at) {
                            cache.keep_revocation(key, &chain, k);
                        }
                        verified.revocation_checked = all_checked;
                        verified.revocation = records;
                    }
                }
            }
            return Ok((chain, verified));
        }
    }
    let cert = Certificate::from_der(&der).map_err(malformed_cert)?;
    // A CA certificate of the store is never a user certificate, whatever its extensions say
    // (an anchor or intermediate without basicConstraints is not marked as a CA).
    if ctx.trust_store.contains(&cert) {
        return Err(VerificationFailure::BasicConstraints {
            certificate: cert.display_name(),
            reason: "a CA certificate of the trust store was sent as the user certificate".into(),
        }
        .into());
    }
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
    let (revocation, revocation_checked) = match ctx.revocation {
        Some(checker) => check_revocation(checker, &cert, &path.issuers, ctx.at)?,
        None => (Vec::new(), false),
    };
    let base = VerifiedCertificate {
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
        revocation_checked: false,
        revocation: Vec::new(),
    };
    let issuers = path.issuers.iter().map(|c| (*c).clone()).collect();
    let chain = Arc::new(VerifiedChain::new(cert, key, issuers, base));
    if let Some((cache, key)) = cached {
        let kept = CachedRevocation::of(&revocation, ctx.at).filter(|_| ctx.revocation.is_some());
        cache.insert(key, chain.clone(), kept, ctx.at);
    }
    let mut verified = chain.base.clone();
    verified.revocation_checked = revocation_checked;
    verified.revocation = revocation;
    Ok((chain, verified))
}

/// The revocation part of step 4: `checker` on every certificate of the path but the anchor
/// (`issuers`: nearest first, the anchor last). Returns the records and whether every one was
/// confirmed; a revoked or unknown status is the failure.
fn check_revocation(
    checker: &dyn crate::revocation::RevocationChecker,
    cert: &Certificate,
    issuers: &[&Certificate],
    at: std::time::SystemTime,
) -> Result<(Vec<RevocationRecord>, bool)> {
    let mut subject = cert;
    let mut all_checked = true;
    let mut revocation = Vec::new();
    // Every certificate but the anchor (the last issuer).
    for issuer in issuers {
        let status = checker.check(&RevocationRequest {
            certificate: subject,
            issuer,
            at,
        });
        let record = |checked, evidence, unchecked_reason| RevocationRecord {
            certificate: subject.subject().to_owned(),
            checked,
            evidence,
            unchecked_reason,
        };
        match status {
            RevocationStatus::Good => revocation.push(record(true, None, None)),
            RevocationStatus::Confirmed(evidence) => {
                revocation.push(record(true, Some(evidence), None))
            }
            RevocationStatus::Unchecked { reason } => {
                all_checked = false;
                revocation.push(record(false, None, Some(reason)));
            }
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
    Ok((revocation, all_checked))
}

/// Steps 5–8: policy, purpose, level, identity. Returns the identity and the level the
/// certificate proves (never the response's unsigned `cert.certificateLevel`, which is only
/// checked not to claim more). The certificate-only results are kept in `chain` (and so in
/// the cache) once they succeeded; the request's level, the claimed level and the targeted
/// person are checked every time.
pub(crate) fn steps5_to_8(
    chain: &VerifiedChain,
    purpose: Purpose,
    completed: &Completed<'_>,
    requested: CertificateLevel,
    subject: &Subject,
) -> Result<(CertificateIdentity, CertificateLevel)> {
    let check_claims = |proven, why| {
        profile::check_level_claims(
            proven,
            why,
            requested,
            completed.claimed_level,
            completed.claimed_level_text,
        )
    };
    let (identity, level) = match chain.facts(purpose) {
        Some(f) => (f.identity.clone(), check_claims(f.proven, f.why_no_higher)?),
        None => {
            let cert = &chain.cert;
            let policies = profile::policy_profile(cert, purpose, completed.claimed_level)?;
            profile::check_purpose(cert, purpose)?;
            let (proven, why_no_higher) = match profile::proven_level(cert, purpose, policies)? {
                LevelProof::Proven(level, why) => (level, why),
                LevelProof::Incomplete(reason) => {
                    return Err(VerificationFailure::Level {
                        requested,
                        certificate: None,
                        reason,
                    }
                    .into())
                }
            };
            let level = check_claims(proven, why_no_higher)?;
            let identity = CertificateIdentity::from_certificate(cert)?;
            chain.set_facts(
                purpose,
                ProfileFacts {
                    proven,
                    why_no_higher,
                    identity: identity.clone(),
                },
            );
            (identity, level)
        }
    };
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
    Ok((identity, level))
}

pub(crate) fn mismatch(
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
pub(crate) fn check_algorithm(sig: &SessionSignature, requested: SignatureAlgorithm) -> Result<()> {
    let got = sig.signature_algorithm.as_deref();
    if got != Some(requested.as_str()) {
        return Err(mismatch("signatureAlgorithm", requested.as_str(), got));
    }
    Ok(())
}

/// Step 9 (parameters): RSASSA-PSS parameters of the response equal what the request implies
/// (hash, MGF1 with the same hash, salt = hash length, trailer 0xbc). Returns the salt length.
pub(crate) fn check_pss_parameters(
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
