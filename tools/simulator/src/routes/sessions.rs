//! Session creation (spec §2): the `POST` endpoints of authentication, signature, certificate
//! choice and linked signature sessions (device link and notification), and
//! `signature/certificate/{doc}`: subject and relying-party checks, idempotency, and the new
//! session with its device-link data or simulated notification user.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde_json::{json, Value};
use sidkit_proto::device_link::SessionType;
use sidkit_proto::ident::{DocumentNumber, SemanticsIdentifier};
use sidkit_proto::models::{CertificateLevel, EndResult};
use tokio::sync::watch;
use tokio::time::Instant;

use super::fault::{apply_fault, FaultEffect};
use super::problem::{bad_request, json_response, no_account, problem, Rejection};
use super::request::{forbidden_field, parse_request, Kind, Parsed, Subj};
use crate::accounts::Outcome;
use crate::faults::FaultScope;
use crate::ids::{new_session_id, new_session_secret, new_session_token, new_vc};
use crate::state::{level_ok, DeviceData, Flow, Session, SessionData, SimState};
use crate::user::spawn_user;

pub(super) async fn create(
    State(st): State<Arc<SimState>>,
    kind: Kind,
    subj: Subj,
    body: Bytes,
) -> Response {
    // The account the path names, if it exists (unknown accounts answer 404 after validation).
    let (keys, account_doc) = {
        let inner = st.lock();
        match &subj {
            Subj::Anonymous => (vec![], None),
            Subj::Etsi(id) => {
                if let Err(e) = SemanticsIdentifier::parse_without_check_digit(id) {
                    return bad_request(&e);
                }
                match inner.account(id) {
                    Some(a) => (
                        vec![id.clone(), a.spec.document_number.clone()],
                        Some(a.spec.document_number.clone()),
                    ),
                    None => (vec![id.clone()], None),
                }
            }
            Subj::Document(d) => {
                if let Err(e) = DocumentNumber::new(d.clone()) {
                    return bad_request(&e);
                }
                match inner.account(d).filter(|a| a.spec.document_number == *d) {
                    Some(a) => (vec![d.clone(), a.spec.identity.clone()], Some(d.clone())),
                    None => (vec![d.clone()], None),
                }
            }
        }
    };
    if let FaultEffect::Respond(r) = apply_fault(&st, FaultScope::CreateSession, &keys).await {
        return r;
    }
    let value: Value = match serde_json::from_slice(&body) {
        Ok(Value::Object(m)) => {
            if let Some(f) = forbidden_field(kind, &m) {
                return problem(
                    400,
                    format!("Invalid request: {f} is not allowed here"),
                    None,
                    Some(f),
                );
            }
            Value::Object(m)
        }
        Ok(_) => return problem(400, "Request body must be a JSON object", None, None),
        Err(e) => return problem(400, format!("Malformed JSON: {e}"), None, None),
    };
    let req = match parse_request(kind, value) {
        Ok(r) => r,
        Err(resp) => return *resp,
    };
    // Relying-party authorisation.
    let Some(rp) = st
        .cfg
        .relying_parties
        .iter()
        .find(|p| p.relying_party.uuid.eq_ignore_ascii_case(&req.rp_uuid))
    else {
        return problem(
            401,
            "relyingPartyUUID is not authorised from this address",
            None,
            None,
        );
    };
    if rp.relying_party.name.to_lowercase() != req.rp_name.to_lowercase() {
        return problem(
            403,
            "relyingPartyName does not match the relying party",
            None,
            Some("relyingPartyName"),
        );
    }
    if req.level == Some(CertificateLevel::Advanced) && !rp.allow_advanced {
        return problem(
            403,
            "Relying party may not use ADVANCED certificates",
            None,
            Some("certificateLevel"),
        );
    }
    if req.share_ip && !rp.allow_ip_sharing {
        return problem(
            403,
            "Relying party may not request shareMdClientIpAddress",
            None,
            Some("requestProperties.shareMdClientIpAddress"),
        );
    }
    // The person or account of the path.
    if !matches!(subj, Subj::Anonymous) {
        let inner = st.lock();
        let ok = account_doc
            .as_deref()
            .and_then(|d| inner.account(d))
            .is_some_and(|a| level_ok(a.spec.level, req.level));
        if !ok {
            return no_account();
        }
    }
    if kind == Kind::CertByDoc {
        return certificate_by_document(&st, account_doc.as_deref().unwrap_or_default());
    }
    // Idempotency of signature and certificate-choice requests (spec §2.1).
    let idem_key = matches!(
        kind,
        Kind::DlSign | Kind::NotifSign | Kind::Linked | Kind::DlCert | Kind::NotifCert
    )
    .then(|| (format!("{kind:?}{}", keys.join("/")), body.to_vec()));
    if let Some(k) = &idem_key {
        let mut inner = st.lock();
        st.housekeeping(&mut inner);
        if let Some((_, status, v)) = inner.idempotency.get(k) {
            return json_response(*status, v);
        }
    }
    let (status, response) = match new_session(&st, kind, req, account_doc) {
        Ok(x) => x,
        Err(resp) => return *resp,
    };
    if let Some(k) = idem_key {
        st.lock()
            .idempotency
            .insert(k, (Instant::now(), status, response.clone()));
    }
    json_response(status, &response)
}

fn certificate_by_document(st: &SimState, doc: &str) -> Response {
    let inner = st.lock();
    let Some(a) = inner.account(doc) else {
        return no_account();
    };
    if a.spec.outcome == Outcome::DocumentUnusable {
        return json_response(200, &json!({"state": "DOCUMENT_UNUSABLE"}));
    }
    json_response(
        200,
        &json!({"state": "OK", "cert": {
            "value": a.sign.cert_base64(),
            "certificateLevel": a.spec.level.as_str(),
        }}),
    )
}

fn new_session(
    st: &Arc<SimState>,
    kind: Kind,
    req: Parsed,
    account: Option<String>,
) -> Result<(u16, Value), Rejection> {
    let err500 = |e: String| Box::new(problem(500, e, None, None));
    let id = new_session_id().map_err(err500)?;
    let flow = match kind {
        Kind::DlAuth | Kind::DlSign | Kind::DlCert => Flow::DeviceLink,
        Kind::Linked => Flow::Linked,
        _ => Flow::Notification,
    };
    let device = if flow == Flow::DeviceLink {
        Some(DeviceData {
            token: new_session_token().map_err(err500)?,
            secret: new_session_secret().map_err(err500)?,
            base: st.cfg.device_link_base.clone(),
        })
    } else {
        None
    };
    let mut inner = st.lock();
    st.housekeeping(&mut inner);
    if let Some(linked) = &req.linked_session_id {
        let c = inner
            .sessions
            .get(linked)
            .filter(|c| c.data.flow == Flow::DeviceLink && c.data.session_type == SessionType::Cert)
            .ok_or_else(|| {
                Box::new(problem(
                    400,
                    "linkedSessionID is not a device-link certificate-choice session",
                    None,
                    Some("linkedSessionID"),
                ))
            })?;
        let completed_ok = c.status.as_ref().and_then(|s| s.end_result()) == Some(&EndResult::Ok);
        if !completed_ok {
            return Err(Box::new(problem(
                400,
                "linked certificate choice has not completed with OK",
                None,
                Some("linkedSessionID"),
            )));
        }
        if c.data.account != account {
            return Err(Box::new(problem(
                400,
                "documentNumber differs from the linked certificate choice",
                None,
                Some("linkedSessionID"),
            )));
        }
        if c.linked_by.is_some() {
            return Err(Box::new(problem(
                400,
                "linked certificate choice was already used",
                None,
                Some("linkedSessionID"),
            )));
        }
    }
    let response = match (&device, kind) {
        (Some(d), _) => json!({
            "sessionID": id,
            "sessionToken": d.token,
            "sessionSecret": d.secret.expose_base64(),
            "deviceLinkBase": d.base,
        }),
        (None, Kind::NotifSign) => json!({
            "sessionID": id,
            "vc": {"type": "numeric4", "value": new_vc().map_err(err500)?},
        }),
        (None, _) => json!({ "sessionID": id }),
    };
    if let Some(d) = &device {
        inner.tokens.insert(d.token.clone(), id.clone());
    }
    if let Some(linked) = &req.linked_session_id {
        if let Some(c) = inner.sessions.get_mut(linked) {
            c.linked_by = Some(id.clone());
        }
    }
    let delay = account
        .as_deref()
        .and_then(|d| inner.account(d))
        .and_then(|a| a.spec.user_delay)
        .unwrap_or(st.cfg.user_delay);
    let (done, _) = watch::channel(false);
    inner.sessions.insert(
        id.clone(),
        Session {
            data: SessionData {
                id: id.clone(),
                flow,
                session_type: req.session_type,
                rp_name: req.rp_name,
                rp_challenge_or_digest: req.rp_challenge_or_digest,
                interactions: req.interactions,
                signature_algorithm: req.signature_algorithm,
                hash_algorithm: req.hash_algorithm,
                initial_callback_url: req.initial_callback_url,
                share_ip: req.share_ip,
                level: req.level,
                account,
                device,
                linked_from: req.linked_session_id,
            },
            created: Instant::now(),
            status: None,
            completed_at: None,
            done,
            status_requests: 0,
            device_used: false,
            linked_by: None,
            pending_callback: None,
        },
    );
    drop(inner);
    if flow != Flow::DeviceLink {
        spawn_user(st.clone(), id, delay);
    }
    Ok((200, response))
}
