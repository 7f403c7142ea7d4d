//! The simulated user and Smart-ID app: what they and the server produce when the user of an
//! account acts on a session with the scripted outcome (an ACSP_V2 authentication signature, a
//! raw digest signature, a certificate, or a failure), and the notification user who acts
//! after the user delay (opening a certificate choice's deferred callback after its linked
//! signature).

use std::sync::Arc;
use std::time::Duration;

use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::callback::user_challenge_of;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::env::SchemeName;
use sidkit_proto::models::{
    EndResult, FlowType, HashAlgorithm, MaskGenAlgorithm, MaskGenParameters, ResponseCertificate,
    ResponseSignatureAlgorithmParameters, SessionResult, SessionSignature, SessionState,
    SessionStatus, SignatureAlgorithm,
};

use crate::accounts::{Account, Outcome};
use crate::ids::random;
use crate::state::{complete_locked, failure_status, SessionData, SimState};

/// The result of the simulated user's action.
#[derive(Debug, Clone)]
pub(crate) struct Completion {
    pub status: SessionStatus,
    /// ACSP_V2 only: the verifier whose SHA-256 is `signature.userChallenge`.
    pub user_challenge_verifier: Option<String>,
}

fn pss_parameters(h: HashAlgorithm) -> ResponseSignatureAlgorithmParameters {
    ResponseSignatureAlgorithmParameters {
        hash_algorithm: Some(h.as_str().to_owned()),
        mask_gen_algorithm: Some(MaskGenAlgorithm {
            algorithm: "id-mgf1".to_owned(),
            parameters: Some(MaskGenParameters {
                hash_algorithm: h.as_str().to_owned(),
            }),
        }),
        salt_length: Some(h.output_len() as u32),
        trailer_field: Some("0xbc".to_owned()),
    }
}

fn legacy_hash(alg: SignatureAlgorithm) -> HashAlgorithm {
    match alg {
        SignatureAlgorithm::Sha256WithRsaEncryption => HashAlgorithm::Sha256,
        SignatureAlgorithm::Sha384WithRsaEncryption => HashAlgorithm::Sha384,
        _ => HashAlgorithm::Sha512,
    }
}

/// What the simulated app and server produce when `account`'s user acts on `data` through
/// `flow_type` with `outcome`.
pub(crate) fn complete_with(
    data: &SessionData,
    account: &Account,
    outcome: &Outcome,
    flow_type: FlowType,
    scheme: SchemeName,
) -> Result<Completion, String> {
    if *outcome != Outcome::Ok {
        let interaction = match outcome {
            Outcome::UserRefusedInteraction(i) => Some(i.clone().unwrap_or_else(|| {
                data.interactions
                    .as_ref()
                    .and_then(|l| l.list().first())
                    .map_or("displayTextAndPIN", |i| i.kind().as_str())
                    .to_owned()
            })),
            _ => None,
        };
        return Ok(Completion {
            status: failure_status(outcome.end_result(), interaction),
            user_challenge_verifier: None,
        });
    }
    let level = account.spec.level.as_str().to_owned();
    let result = Some(SessionResult {
        end_result: EndResult::Ok,
        document_number: Some(account.spec.document_number.clone()),
        details: None,
    });
    let interaction_used = data
        .interactions
        .as_ref()
        .and_then(|l| l.list().first())
        .map(|i| i.kind().as_str().to_owned());
    let device_ip = data.share_ip.then(|| "127.0.0.1".to_owned());
    match data.session_type {
        SessionType::Auth => {
            let interactions = data
                .interactions
                .as_ref()
                .ok_or("authentication session without interactions")?;
            let used = interaction_used.clone().unwrap_or_default();
            let hash = data.hash_algorithm.unwrap_or(HashAlgorithm::Sha512);
            let server_random = b64::encode_std(&random(24)?);
            let verifier = b64::encode_url(&random(32)?);
            let user_challenge = user_challenge_of(&verifier);
            let payload = AcspV2Payload {
                scheme_name: scheme,
                server_random: &server_random,
                rp_challenge: &data.rp_challenge_or_digest,
                user_challenge: &user_challenge,
                relying_party_name: &data.rp_name,
                brokered_rp_name: None,
                interactions: interactions.as_base64(),
                interaction_type_used: &used,
                initial_callback_url: data.initial_callback_url.as_deref(),
                flow_type: flow_type.as_str(),
            }
            .to_bytes();
            let sig = account
                .auth
                .sign_pss(hash, &payload)
                .map_err(|e| e.to_string())?;
            Ok(Completion {
                status: SessionStatus {
                    state: SessionState::Complete,
                    result,
                    signature_protocol: Some("ACSP_V2".to_owned()),
                    signature: Some(SessionSignature {
                        value: Some(b64::encode_std(&sig)),
                        server_random: Some(server_random),
                        user_challenge: Some(user_challenge),
                        flow_type: Some(flow_type.as_str().to_owned()),
                        signature_algorithm: Some("rsassa-pss".to_owned()),
                        signature_algorithm_parameters: Some(pss_parameters(hash)),
                    }),
                    cert: Some(ResponseCertificate {
                        value: account.auth.cert_base64(),
                        certificate_level: level,
                    }),
                    interaction_type_used: Some(used),
                    device_ip_address: device_ip,
                    ignored_properties: None,
                },
                user_challenge_verifier: Some(verifier),
            })
        }
        SessionType::Sign => {
            let digest = b64::decode_std("digest", &data.rp_challenge_or_digest)
                .map_err(|e| e.to_string())?;
            let alg = data
                .signature_algorithm
                .unwrap_or(SignatureAlgorithm::RsassaPss);
            let (sig, params) = if alg == SignatureAlgorithm::RsassaPss {
                let h = data.hash_algorithm.unwrap_or(HashAlgorithm::Sha512);
                let s = account.sign.sign_pss_prehashed(h, &digest);
                (s, Some(pss_parameters(h)))
            } else {
                let s = account
                    .sign
                    .sign_pkcs1v15_prehashed(legacy_hash(alg), &digest);
                (s, None)
            };
            let sig = sig.map_err(|e| e.to_string())?;
            Ok(Completion {
                status: SessionStatus {
                    state: SessionState::Complete,
                    result,
                    signature_protocol: Some("RAW_DIGEST_SIGNATURE".to_owned()),
                    signature: Some(SessionSignature {
                        value: Some(b64::encode_std(&sig)),
                        flow_type: Some(flow_type.as_str().to_owned()),
                        signature_algorithm: Some(alg.as_str().to_owned()),
                        signature_algorithm_parameters: params,
                        ..Default::default()
                    }),
                    cert: Some(ResponseCertificate {
                        value: account.sign.cert_base64(),
                        certificate_level: level,
                    }),
                    interaction_type_used: interaction_used,
                    device_ip_address: device_ip,
                    ignored_properties: None,
                },
                user_challenge_verifier: None,
            })
        }
        SessionType::Cert => Ok(Completion {
            status: SessionStatus {
                state: SessionState::Complete,
                result,
                signature_protocol: None,
                signature: Some(SessionSignature {
                    flow_type: Some(flow_type.as_str().to_owned()),
                    ..Default::default()
                }),
                cert: Some(ResponseCertificate {
                    value: account.sign.cert_base64(),
                    certificate_level: level,
                }),
                interaction_type_used: None,
                device_ip_address: device_ip,
                ignored_properties: None,
            },
            user_challenge_verifier: None,
        }),
    }
}

/// Completes a notification or linked session after the user's delay.
pub(crate) fn spawn_user(state: Arc<SimState>, session_id: String, delay: Duration) {
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        user_acts(&state, &session_id).await;
    });
}

async fn user_acts(state: &Arc<SimState>, session_id: &str) {
    let (data, account, linked_flow) = {
        let inner = state.lock();
        let Some(s) = inner.sessions.get(session_id) else {
            return;
        };
        if s.status.is_some() {
            return;
        }
        let Some(account) = s.data.account.as_deref().and_then(|d| inner.account(d)) else {
            return;
        };
        // A linked signature happens in the app that made the certificate choice.
        let linked_flow = s
            .data
            .linked_from
            .as_deref()
            .and_then(|c| inner.sessions.get(c))
            .and_then(|c| c.status.as_ref())
            .and_then(|st| st.signature.as_ref())
            .and_then(|sig| sig.flow());
        (s.data.clone(), account.clone(), linked_flow)
    };
    let flow_type = linked_flow.unwrap_or(FlowType::Notification);
    let completion = complete_with(
        &data,
        &account,
        &account.spec.outcome,
        flow_type,
        state.cfg.scheme_name,
    )
    .unwrap_or_else(|_| Completion {
        status: failure_status(EndResult::ServerError, None),
        user_challenge_verifier: None,
    });
    let ok = completion.status.end_result() == Some(&EndResult::Ok);
    let pending = {
        let mut inner = state.lock();
        if let Some(s) = inner.sessions.get_mut(session_id) {
            complete_locked(s, completion.status);
        }
        // The certificate choice's callback opens once the linked signature is done.
        match data.linked_from.as_deref() {
            Some(c) if ok || state.cfg.callback_on_failure => inner
                .sessions
                .get_mut(c)
                .and_then(|c| c.pending_callback.take()),
            _ => None,
        }
    };
    if let Some(p) = pending {
        state.deliver_callback(p.event).await;
    }
}
