//! The bodies of the session-creating requests: which endpoint ([`Kind`]) for whom ([`Subj`]),
//! parsed and validated with the `sidkit_proto` models into the fields the simulator needs
//! ([`Parsed`]), and the fields a request type must not carry.

use serde::de::DeserializeOwned;
use serde_json::Value;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::interactions::Interactions;
use sidkit_proto::models::{
    CertificateByDocumentNumberRequest, CertificateLevel, DeviceLinkAuthenticationRequest,
    DeviceLinkCertificateChoiceRequest, DeviceLinkSignatureRequest, HashAlgorithm,
    LinkedNotificationSignatureRequest, NotificationAuthenticationRequest,
    NotificationCertificateChoiceRequest, NotificationSignatureRequest, SignatureAlgorithm,
};

use super::problem::{bad_request, problem, Rejection};

/// Which session-creating endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    DlAuth,
    NotifAuth,
    DlSign,
    NotifSign,
    Linked,
    DlCert,
    NotifCert,
    CertByDoc,
}

/// Whom the endpoint's path names: nobody (anonymous), a person (etsi) or a document.
pub(super) enum Subj {
    Anonymous,
    Etsi(String),
    Document(String),
}

/// The fields of any session-creating request that the simulator needs.
pub(super) struct Parsed {
    pub(super) rp_uuid: String,
    pub(super) rp_name: String,
    pub(super) level: Option<CertificateLevel>,
    pub(super) share_ip: bool,
    pub(super) session_type: SessionType,
    pub(super) rp_challenge_or_digest: String,
    pub(super) interactions: Option<Interactions>,
    pub(super) signature_algorithm: Option<SignatureAlgorithm>,
    pub(super) hash_algorithm: Option<HashAlgorithm>,
    pub(super) initial_callback_url: Option<String>,
    pub(super) linked_session_id: Option<String>,
}

fn parse_as<T: DeserializeOwned>(
    v: Value,
    validate: impl FnOnce(&T) -> sidkit_proto::Result<()>,
) -> Result<T, Rejection> {
    let r: T = serde_json::from_value(v).map_err(|e| {
        Box::new(problem(
            400,
            format!("Invalid request body: {e}"),
            None,
            None,
        ))
    })?;
    validate(&r).map_err(|e| Box::new(bad_request(&e)))?;
    Ok(r)
}

fn share(p: &Option<sidkit_proto::models::RequestProperties>) -> bool {
    p.as_ref()
        .and_then(|p| p.share_md_client_ip_address)
        .unwrap_or(false)
}

pub(super) fn parse_request(kind: Kind, v: Value) -> Result<Parsed, Rejection> {
    use Kind::*;
    Ok(match kind {
        DlAuth => {
            let r = parse_as(v, DeviceLinkAuthenticationRequest::validate)?;
            let p = &r.signature_protocol_parameters;
            Parsed {
                rp_challenge_or_digest: p.rp_challenge.expose_base64().to_owned(),
                hash_algorithm: Some(p.signature_algorithm_parameters.hash_algorithm),
                signature_algorithm: Some(p.signature_algorithm),
                session_type: SessionType::Auth,
                share_ip: share(&r.request_properties),
                level: r.certificate_level,
                interactions: Some(r.interactions),
                initial_callback_url: r.initial_callback_url.map(|u| u.expose().to_owned()),
                linked_session_id: None,
                rp_uuid: r.relying_party_uuid,
                rp_name: r.relying_party_name,
            }
        }
        NotifAuth => {
            let r = parse_as(v, NotificationAuthenticationRequest::validate)?;
            let p = &r.signature_protocol_parameters;
            Parsed {
                rp_challenge_or_digest: p.rp_challenge.expose_base64().to_owned(),
                hash_algorithm: Some(p.signature_algorithm_parameters.hash_algorithm),
                signature_algorithm: Some(p.signature_algorithm),
                session_type: SessionType::Auth,
                share_ip: share(&r.request_properties),
                level: r.certificate_level,
                interactions: Some(r.interactions),
                initial_callback_url: None,
                linked_session_id: None,
                rp_uuid: r.relying_party_uuid,
                rp_name: r.relying_party_name,
            }
        }
        DlSign => {
            let r = parse_as(v, DeviceLinkSignatureRequest::validate)?;
            let p = r.signature_protocol_parameters;
            Parsed {
                hash_algorithm: p.signature_algorithm_parameters.map(|s| s.hash_algorithm),
                signature_algorithm: Some(p.signature_algorithm),
                rp_challenge_or_digest: p.digest,
                session_type: SessionType::Sign,
                share_ip: share(&r.request_properties),
                level: r.certificate_level,
                interactions: Some(r.interactions),
                initial_callback_url: r.initial_callback_url.map(|u| u.expose().to_owned()),
                linked_session_id: None,
                rp_uuid: r.relying_party_uuid,
                rp_name: r.relying_party_name,
            }
        }
        NotifSign => {
            let r = parse_as(v, NotificationSignatureRequest::validate)?;
            let p = r.signature_protocol_parameters;
            Parsed {
                hash_algorithm: p.signature_algorithm_parameters.map(|s| s.hash_algorithm),
                signature_algorithm: Some(p.signature_algorithm),
                rp_challenge_or_digest: p.digest,
                session_type: SessionType::Sign,
                share_ip: share(&r.request_properties),
                level: r.certificate_level,
                interactions: Some(r.interactions),
                initial_callback_url: None,
                linked_session_id: None,
                rp_uuid: r.relying_party_uuid,
                rp_name: r.relying_party_name,
            }
        }
        Linked => {
            let r = parse_as(v, LinkedNotificationSignatureRequest::validate)?;
            let p = r.signature_protocol_parameters;
            Parsed {
                hash_algorithm: p.signature_algorithm_parameters.map(|s| s.hash_algorithm),
                signature_algorithm: Some(p.signature_algorithm),
                rp_challenge_or_digest: p.digest,
                session_type: SessionType::Sign,
                share_ip: share(&r.request_properties),
                level: r.certificate_level,
                interactions: Some(r.interactions),
                initial_callback_url: None,
                linked_session_id: Some(r.linked_session_id),
                rp_uuid: r.relying_party_uuid,
                rp_name: r.relying_party_name,
            }
        }
        DlCert => {
            let r = parse_as(v, DeviceLinkCertificateChoiceRequest::validate)?;
            cert_parsed(
                r.relying_party_uuid,
                r.relying_party_name,
                r.certificate_level,
                share(&r.request_properties),
                r.initial_callback_url.map(|u| u.expose().to_owned()),
            )
        }
        NotifCert => {
            let r = parse_as(v, NotificationCertificateChoiceRequest::validate)?;
            cert_parsed(
                r.relying_party_uuid,
                r.relying_party_name,
                r.certificate_level,
                share(&r.request_properties),
                None,
            )
        }
        CertByDoc => {
            let r = parse_as(v, CertificateByDocumentNumberRequest::validate)?;
            cert_parsed(
                r.relying_party_uuid,
                r.relying_party_name,
                r.certificate_level,
                false,
                None,
            )
        }
    })
}

fn cert_parsed(
    rp_uuid: String,
    rp_name: String,
    level: Option<CertificateLevel>,
    share_ip: bool,
    initial_callback_url: Option<String>,
) -> Parsed {
    Parsed {
        rp_uuid,
        rp_name,
        level,
        share_ip,
        session_type: SessionType::Cert,
        rp_challenge_or_digest: String::new(),
        interactions: None,
        signature_algorithm: None,
        hash_algorithm: None,
        initial_callback_url,
        linked_session_id: None,
    }
}

/// Fields that a request type must not carry (the models ignore unknown fields, the server
/// does not).
pub(super) fn forbidden_field(
    kind: Kind,
    body: &serde_json::Map<String, Value>,
) -> Option<&'static str> {
    use Kind::*;
    if matches!(kind, DlAuth | NotifAuth) && body.contains_key("nonce") {
        return Some("nonce");
    }
    if matches!(kind, NotifAuth | NotifSign | Linked | NotifCert | CertByDoc)
        && body.contains_key("initialCallbackUrl")
    {
        return Some("initialCallbackUrl");
    }
    if matches!(kind, DlCert | NotifCert | CertByDoc)
        && (body.contains_key("interactions") || body.contains_key("signatureProtocol"))
    {
        return Some("interactions");
    }
    None
}
