//! The three entry points: [`verify_authentication`], [`verify_signature`] and
//! [`verify_certificate_choice`], each running the steps of spec §8 in order for its session
//! kind.

use crate::context::VerificationContext;
use crate::crypto;
use crate::error::{Result, VerifyError};
use crate::failure::VerificationFailure;
use crate::profile::Purpose;
use crate::results::{VerifiedAuthentication, VerifiedCertificateChoice, VerifiedSignature};
use crate::session::{
    AuthenticationSession, CallbackCheck, CertificateChoiceSession, SessionKind, SignatureSession,
};
use crate::steps::*;
use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::models::{SessionStatus, SessionType, SignatureAlgorithm, SignatureProtocol};

/// Verifies a completed authentication session (ACSP_V2) and returns the authenticated
/// identity. Runs steps 1–9 of spec §8 in order (see the module documentation).
///
/// `callback` must carry the callback for `Web2App`/`App2App` flows and must be
/// [`CallbackCheck::None`] for `QR`/`Notification` flows.
#[doc(alias(
    "AuthenticationResponseValidator",
    "DeviceLinkAuthenticationResponseValidator",
    "NotificationAuthenticationResponseValidator"
))]
pub fn verify_authentication(
    ctx: &VerificationContext<'_>,
    session: &AuthenticationSession<'_>,
    status: &SessionStatus,
    callback: CallbackCheck<'_>,
) -> Result<VerifiedAuthentication> {
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
    let (chain, verified_cert) = step4_certificate(ctx, completed.cert_value)?;
    // 5–8
    let (identity, certificate_level) = steps5_to_8(
        &chain,
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
    if !crypto::verify_pss(&chain.key, hash, salt, &payload, &value) {
        return Err(VerificationFailure::SignatureInvalid.into());
    }
    Ok(VerifiedAuthentication {
        identity,
        document_number: completed.document_number.to_owned(),
        certificate_level,
        flow_type: completed.flow,
        interaction_type_used: interaction_used.to_owned(),
        device_ip_address: status.device_ip_address.clone(),
        ignored_properties: status.ignored_properties.clone().unwrap_or_default(),
        certificate: verified_cert,
    })
}

/// Verifies a completed signature session (RAW_DIGEST_SIGNATURE): the signature over the
/// request's `digest` with the requested algorithm (RSASSA-PSS, or a legacy PKCS#1 v1.5
/// algorithm only if the request asked for it), the signing certificate and its holder.
#[doc(alias("SignatureResponseValidator"))]
pub fn verify_signature(
    ctx: &VerificationContext<'_>,
    session: &SignatureSession<'_>,
    status: &SessionStatus,
    callback: CallbackCheck<'_>,
) -> Result<VerifiedSignature> {
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
    let (chain, verified_cert) = step4_certificate(ctx, completed.cert_value)?;
    // 5–8
    let (identity, certificate_level) = steps5_to_8(
        &chain,
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
            crypto::verify_pss_prehashed(&chain.key, hash, salt, &digest, &value),
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
            crypto::verify_pkcs1v15_prehashed(&chain.key, hash, &digest, &value),
            None,
        )
    };
    if !ok {
        return Err(VerificationFailure::SignatureInvalid.into());
    }
    Ok(VerifiedSignature {
        identity,
        document_number: completed.document_number.to_owned(),
        certificate_level,
        flow_type: completed.flow,
        interaction_type_used: interaction_used.to_owned(),
        signature_value: value,
        signature_algorithm: session.signature_algorithm,
        hash_algorithm: hash,
        salt_length,
        device_ip_address: status.device_ip_address.clone(),
        ignored_properties: status.ignored_properties.clone().unwrap_or_default(),
        certificate: verified_cert,
    })
}

/// Verifies a completed certificate-choice session: callback and flow type, then the signing
/// certificate (chain, policies, `nonRepudiation`, QC statements for qualified, level) and its
/// holder. There is no signature value to check.
#[doc(alias("CertificateChoiceResponseValidator"))]
pub fn verify_certificate_choice(
    ctx: &VerificationContext<'_>,
    session: &CertificateChoiceSession<'_>,
    status: &SessionStatus,
    callback: CallbackCheck<'_>,
) -> Result<VerifiedCertificateChoice> {
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
    let (chain, verified_cert) = step4_certificate(ctx, completed.cert_value)?;
    // 5–8
    let (identity, certificate_level) = steps5_to_8(
        &chain,
        Purpose::Signing,
        &completed,
        session.certificate_level,
        &session.subject,
    )?;
    Ok(VerifiedCertificateChoice {
        identity,
        document_number: completed.document_number.to_owned(),
        certificate_level,
        flow_type: completed.flow,
        device_ip_address: status.device_ip_address.clone(),
        ignored_properties: status.ignored_properties.clone().unwrap_or_default(),
        certificate: verified_cert,
    })
}
