//! HTTP endpoints: the RP API v3 and the mock device.

use sidkit_proto::ProtoError;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use sidkit_proto::device_link::{
    parse_device_link, verify_device_link, DeviceLinkParams, DeviceLinkType, SessionType,
};
use sidkit_proto::env::SchemeName;
use sidkit_proto::ident::{DocumentNumber, SemanticsIdentifier};
use sidkit_proto::interactions::Interactions;
use sidkit_proto::models::{
    CertificateByDocumentNumberRequest, CertificateLevel, DeviceLinkAuthenticationRequest,
    DeviceLinkCertificateChoiceRequest, DeviceLinkSignatureRequest, EndResult, FlowType,
    HashAlgorithm, LinkedNotificationSignatureRequest, NotificationAuthenticationRequest,
    NotificationCertificateChoiceRequest, NotificationSignatureRequest, SignatureAlgorithm,
};
use tokio::sync::watch;
use tokio::time::Instant;

use crate::config::{MOCK_DEVICE_PATH, RP_API_PATH};
use crate::events::CallbackEvent;
use crate::faults::{FaultKind, FaultScope};
use crate::state::{
    callback_url, complete_locked, complete_with, level_ok, new_session_id, new_session_secret,
    new_session_token, new_vc, spawn_user, DeviceData, Flow, PendingCallback, Session, SessionData,
    SimState,
};

/// Marker extension: the connection is closed instead of sending this response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

type St = State<Arc<SimState>>;

/// An error response (boxed: responses are large).
type Rejection = Box<Response>;

fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        471 => "No suitable account of requested type found",
        472 => "Person should view Smart-ID app or Smart-ID self-service portal now",
        480 => "Client too old",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        580 => "System under maintenance",
        _ => "Error",
    }
}

/// An RFC 9457 problem response.
pub(crate) fn problem(
    status: u16,
    detail: impl Into<String>,
    code: Option<&str>,
    param: Option<&str>,
) -> Response {
    let mut body = json!({
        "type": "about:blank",
        "status": status,
        "title": title(status),
        "detail": detail.into(),
    });
    if code.is_some() || param.is_some() {
        let mut e = serde_json::Map::new();
        if let Some(c) = code {
            e.insert("code".into(), c.into());
        }
        if let Some(p) = param {
            e.insert("paramName".into(), p.into());
        }
        body["errors"] = Value::Array(vec![Value::Object(e)]);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

fn bad_request(e: &ProtoError) -> Response {
    match e {
        ProtoError::InvalidInput { field, reason } => {
            problem(400, format!("Invalid {field}: {reason}"), None, Some(field))
        }
    }
}

fn no_account() -> Response {
    problem(
        404,
        "No suitable account found",
        Some("NO_SUITABLE_ACCOUNT_FOUND"),
        None,
    )
}

fn json_response(status: u16, value: &impl Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    match serde_json::to_string(value) {
        Ok(s) => (status, [(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => problem(500, format!("serialisation failed: {e}"), None, None),
    }
}

/// What a fault does to the request at hand.
enum FaultEffect {
    /// Nothing (no fault, or a delay that has been waited out).
    None,
    /// Send this instead of the normal response.
    Respond(Response),
    /// Answer a status request without long polling.
    NoLongPoll,
}

/// Applies the first queued fault for this request, if any.
async fn apply_fault(st: &SimState, scope: FaultScope, keys: &[String]) -> FaultEffect {
    let keys: Vec<&str> = keys.iter().map(String::as_str).collect();
    let Some(fault) = st.lock().faults.take(scope, &keys) else {
        return FaultEffect::None;
    };
    let respond = match fault {
        FaultKind::Delay(d) => {
            tokio::time::sleep(d).await;
            return FaultEffect::None;
        }
        FaultKind::NoLongPoll => return FaultEffect::NoLongPoll,
        FaultKind::Status(s) => Some(problem(s, "Injected fault", None, None)),
        FaultKind::DropConnection => {
            let mut r = Response::new(Body::empty());
            r.extensions_mut().insert(DropConnection);
            Some(r)
        }
        FaultKind::MalformedJson => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                r#"{"state":"RUNNING","result":{"endRes"#,
            )
                .into_response(),
        ),
    };
    match respond {
        Some(r) => FaultEffect::Respond(r),
        None => FaultEffect::None,
    }
}

/// The routes of a simulator.
pub(crate) fn router(state: Arc<SimState>) -> Router {
    use Kind::*;
    let api = Router::new()
        .route(
            "/authentication/device-link/anonymous",
            post(|s: St, b: Bytes| create(s, DlAuth, Subj::Anonymous, b)),
        )
        .route(
            "/authentication/device-link/etsi/{id}",
            post(|s: St, Path(id): Path<String>, b: Bytes| create(s, DlAuth, Subj::Etsi(id), b)),
        )
        .route(
            "/authentication/device-link/document/{doc}",
            post(|s: St, Path(d): Path<String>, b: Bytes| create(s, DlAuth, Subj::Document(d), b)),
        )
        .route(
            "/authentication/notification/etsi/{id}",
            post(|s: St, Path(id): Path<String>, b: Bytes| create(s, NotifAuth, Subj::Etsi(id), b)),
        )
        .route(
            "/authentication/notification/document/{doc}",
            post(|s: St, Path(d): Path<String>, b: Bytes| {
                create(s, NotifAuth, Subj::Document(d), b)
            }),
        )
        .route(
            "/signature/device-link/etsi/{id}",
            post(|s: St, Path(id): Path<String>, b: Bytes| create(s, DlSign, Subj::Etsi(id), b)),
        )
        .route(
            "/signature/device-link/document/{doc}",
            post(|s: St, Path(d): Path<String>, b: Bytes| create(s, DlSign, Subj::Document(d), b)),
        )
        .route(
            "/signature/notification/etsi/{id}",
            post(|s: St, Path(id): Path<String>, b: Bytes| create(s, NotifSign, Subj::Etsi(id), b)),
        )
        .route(
            "/signature/notification/document/{doc}",
            post(|s: St, Path(d): Path<String>, b: Bytes| {
                create(s, NotifSign, Subj::Document(d), b)
            }),
        )
        .route(
            "/signature/notification/linked/{doc}",
            post(|s: St, Path(d): Path<String>, b: Bytes| create(s, Linked, Subj::Document(d), b)),
        )
        .route(
            "/signature/certificate/{doc}",
            post(|s: St, Path(d): Path<String>, b: Bytes| {
                create(s, CertByDoc, Subj::Document(d), b)
            }),
        )
        .route(
            "/signature/certificate-choice/device-link/anonymous",
            post(|s: St, b: Bytes| create(s, DlCert, Subj::Anonymous, b)),
        )
        .route(
            "/signature/certificate-choice/notification/etsi/{id}",
            post(|s: St, Path(id): Path<String>, b: Bytes| create(s, NotifCert, Subj::Etsi(id), b)),
        )
        .route("/session/{id}", get(session_status));
    Router::new()
        .nest(RP_API_PATH.trim_end_matches('/'), api)
        .route(MOCK_DEVICE_PATH, post(mock_device_http))
        .fallback(|| async { problem(404, "No such endpoint", None, None) })
        .with_state(state)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    DlAuth,
    NotifAuth,
    DlSign,
    NotifSign,
    Linked,
    DlCert,
    NotifCert,
    CertByDoc,
}

enum Subj {
    Anonymous,
    Etsi(String),
    Document(String),
}

/// The fields of any session-creating request that the simulator needs.
struct Parsed {
    rp_uuid: String,
    rp_name: String,
    level: Option<CertificateLevel>,
    share_ip: bool,
    session_type: SessionType,
    rp_challenge_or_digest: String,
    interactions: Option<Interactions>,
    signature_algorithm: Option<SignatureAlgorithm>,
    hash_algorithm: Option<HashAlgorithm>,
    initial_callback_url: Option<String>,
    linked_session_id: Option<String>,
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

fn parse_request(kind: Kind, v: Value) -> Result<Parsed, Rejection> {
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
                initial_callback_url: r.initial_callback_url,
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
                initial_callback_url: r.initial_callback_url,
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
                r.initial_callback_url,
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
fn forbidden_field(kind: Kind, body: &serde_json::Map<String, Value>) -> Option<&'static str> {
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

async fn create(State(st): St, kind: Kind, subj: Subj, body: Bytes) -> Response {
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
    if a.spec.outcome == crate::accounts::Outcome::DocumentUnusable {
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

/// Default `timeoutMs` when the query has none (the OpenAPI default).
const DEFAULT_TIMEOUT_MS: u64 = 60_500;

async fn session_status(
    State(st): St,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    if let Err(e) = sidkit_proto::validate::uuid("sessionID", &id) {
        return bad_request(&e);
    }
    let timeout_ms = match q.get("timeoutMs") {
        None => DEFAULT_TIMEOUT_MS,
        Some(v) => match v.parse::<u64>() {
            Ok(ms) if (1000..=120_000).contains(&ms) => ms,
            _ => {
                return problem(
                    400,
                    "timeoutMs must be an integer between 1000 and 120000",
                    None,
                    Some("timeoutMs"),
                )
            }
        },
    };
    let keys = {
        let mut inner = st.lock();
        st.housekeeping(&mut inner);
        let Some(s) = inner.sessions.get_mut(&id) else {
            return problem(404, "Session does not exist or has expired", None, None);
        };
        s.status_requests += 1;
        let doc = s.data.account.clone();
        let mut keys: Vec<String> = doc.iter().cloned().collect();
        if let Some(a) = doc.as_deref().and_then(|d| inner.account(d)) {
            keys.push(a.spec.identity.clone());
        }
        keys
    };
    let wait = match apply_fault(&st, FaultScope::SessionStatus, &keys).await {
        FaultEffect::Respond(r) => return r,
        FaultEffect::NoLongPoll => Duration::ZERO,
        FaultEffect::None => Duration::from_millis(timeout_ms),
    };
    let deadline = Instant::now() + wait;
    loop {
        let (mut rx, wait) = {
            let mut inner = st.lock();
            st.housekeeping(&mut inner);
            let offset = inner.clock_offset;
            let Some(s) = inner.sessions.get(&id) else {
                return problem(404, "Session does not exist or has expired", None, None);
            };
            if let Some(status) = &s.status {
                return json_response(200, status);
            }
            let now = Instant::now();
            if now >= deadline {
                return json_response(200, &json!({"state": "RUNNING"}));
            }
            let until_expiry =
                (s.created + st.cfg.session_lifetime).saturating_duration_since(now + offset);
            (
                s.done.subscribe(),
                (deadline - now).min(until_expiry + Duration::from_millis(1)),
            )
        };
        let _ = tokio::time::timeout(wait, rx.wait_for(|done| *done)).await;
    }
}

/// Body of `POST /mock/device-link` (SK's Mock Service format).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockDeviceRequest {
    /// The account that acts (mandatory even for anonymous sessions; it selects the outcome).
    pub document_number: String,
    /// The full device link, with its authCode.
    pub device_link: String,
    /// `QR`, `Web2App` or `App2App`.
    pub flow_type: String,
    /// The browser's cookies (required for Web2App/App2App; sent with the callback GET).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub browser_cookie: Option<String>,
    /// The session's `initialCallbackUrl` (required for Web2App/App2App, ignored for QR).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_callback_url: Option<String>,
}

/// Answer of the mock device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MockDeviceResponse {
    /// The `endResult` the session completed with.
    pub end_result: String,
    /// `delivered`, `failed` (see `callback_error`), `deferred` (a certificate choice waits
    /// for its linked signature), or `none` (QR flows, or a failure without
    /// `callback_on_failure`).
    pub callback: String,
    /// The callback GET's HTTP status, in GET mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_http_status: Option<u16>,
    /// Why delivering the callback failed, if it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_error: Option<String>,
}

async fn mock_device_http(State(st): St, body: Bytes) -> Response {
    let req: MockDeviceRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return problem(400, format!("Invalid request body: {e}"), None, None),
    };
    match mock_device(&st, req).await {
        Ok(r) => json_response(200, &r),
        Err(reason) => problem(400, reason, None, None),
    }
}

fn other_scheme(s: SchemeName) -> SchemeName {
    match s {
        SchemeName::SmartId => SchemeName::SmartIdDemo,
        SchemeName::SmartIdDemo => SchemeName::SmartId,
    }
}

/// The mock device: checks the link like the server, then the user acts (spec §11).
pub(crate) async fn mock_device(
    st: &Arc<SimState>,
    req: MockDeviceRequest,
) -> Result<MockDeviceResponse, String> {
    let flow_type = match req.flow_type.as_str() {
        "QR" => FlowType::Qr,
        "Web2App" => FlowType::Web2App,
        "App2App" => FlowType::App2App,
        other => {
            return Err(format!(
                "flowType must be QR, Web2App or App2App, got `{other}`"
            ))
        }
    };
    let parsed = parse_device_link(&req.device_link).map_err(|e| e.to_string())?;
    if parsed.link_type.as_str() != flow_type.as_str() {
        return Err(format!(
            "flowType {} does not match the link's deviceLinkType {}",
            flow_type, parsed.link_type
        ));
    }
    let same_device = parsed.link_type != DeviceLinkType::Qr;
    if same_device {
        if req.browser_cookie.as_deref().is_none_or(str::is_empty) {
            return Err("browserCookie is required for Web2App and App2App".into());
        }
        if req.initial_callback_url.is_none() {
            return Err("initialCallbackUrl is required for Web2App and App2App".into());
        }
    }
    // Find the session and check the link exactly as the server does.
    let (data, account) = {
        let mut inner = st.lock();
        st.housekeeping(&mut inner);
        let id = inner
            .tokens
            .get(&parsed.session_token)
            .cloned()
            .ok_or("no session has this sessionToken (unknown or expired)")?;
        let s = inner.sessions.get(&id).ok_or("session expired")?;
        let device = s.data.device.as_ref().ok_or("not a device-link session")?;
        if s.status.is_some() || s.device_used {
            return Err("session is already complete".into());
        }
        let params = DeviceLinkParams {
            scheme_name: st.cfg.scheme_name,
            device_link_base: device.base.clone(),
            session_token: device.token.clone(),
            session_type: s.data.session_type,
            rp_challenge_or_digest: s.data.rp_challenge_or_digest.clone(),
            relying_party_name: s.data.rp_name.clone(),
            brokered_rp_name: None,
            interactions: s
                .data
                .interactions
                .as_ref()
                .map(|i| i.as_base64().to_owned())
                .unwrap_or_default(),
            initial_callback_url: s.data.initial_callback_url.clone(),
            lang: parsed.lang.clone(),
        };
        if let Err(e) = verify_device_link(&req.device_link, &params, &device.secret) {
            let wrong_scheme = DeviceLinkParams {
                scheme_name: other_scheme(st.cfg.scheme_name),
                ..params.clone()
            };
            if verify_device_link(&req.device_link, &wrong_scheme, &device.secret).is_ok() {
                return Err(format!(
                    "authCode was computed with schemeName {} but this environment uses {}",
                    wrong_scheme.scheme_name, st.cfg.scheme_name
                ));
            }
            return Err(format!("device link refused: {}", reason(&e)));
        }
        if same_device && req.initial_callback_url != s.data.initial_callback_url {
            return Err("initialCallbackUrl does not match the session's".into());
        }
        if let Some(e) = parsed.elapsed_seconds {
            check_qr_freshness(e, SimState::elapsed(&inner, s.created), st.cfg.qr_max_age)?;
        }
        let account = inner
            .account(&req.document_number)
            .filter(|a| a.spec.document_number == req.document_number)
            .cloned()
            .ok_or_else(|| format!("unknown documentNumber {}", req.document_number))?;
        if let Some(doc) = &s.data.account {
            if *doc != account.spec.document_number {
                return Err("documentNumber is not the user this session was created for".into());
            }
        }
        if !level_ok(account.spec.level, s.data.level) {
            return Err(format!(
                "account {} does not satisfy the requested certificateLevel",
                account.spec.document_number
            ));
        }
        let s = inner.sessions.get_mut(&id).ok_or("session expired")?;
        s.device_used = true;
        s.data.account = Some(account.spec.document_number.clone());
        (s.data.clone(), account)
    };
    let completion = complete_with(
        &data,
        &account,
        &account.spec.outcome,
        flow_type,
        st.cfg.scheme_name,
    )
    .map_err(|e| format!("signing failed: {e}"))?;
    let end_result = completion
        .status
        .end_result()
        .cloned()
        .unwrap_or(EndResult::ServerError);
    let ok = end_result == EndResult::Ok;
    let secret = data.device.as_ref().map(|d| d.secret.clone());
    let event = match (&data.initial_callback_url, secret) {
        (Some(cb), Some(secret)) if same_device && (ok || st.cfg.callback_on_failure) => {
            Some(CallbackEvent {
                url: callback_url(cb, &secret, completion.user_challenge_verifier.as_deref()),
                session_id: data.id.clone(),
                session_type: data.session_type,
                flow_type,
                document_number: account.spec.document_number.clone(),
                browser_cookie: req.browser_cookie.clone(),
                http_status: None,
                error: None,
            })
        }
        _ => None,
    };
    // A device-link certificate choice opens its callback only after the linked signature.
    let defer = ok && data.session_type == SessionType::Cert && event.is_some();
    {
        let mut inner = st.lock();
        if let Some(s) = inner.sessions.get_mut(&data.id) {
            complete_locked(s, completion.status);
            if defer {
                s.pending_callback = event.clone().map(|event| PendingCallback { event });
            }
        }
    }
    let mut resp = MockDeviceResponse {
        end_result: end_result.as_str().to_owned(),
        callback: "none".into(),
        callback_http_status: None,
        callback_error: None,
    };
    match event {
        Some(_) if defer => resp.callback = "deferred".into(),
        Some(ev) => {
            let ev = st.deliver_callback(ev).await;
            resp.callback = if ev.error.is_some() {
                "failed"
            } else {
                "delivered"
            }
            .into();
            resp.callback_http_status = ev.http_status;
            resp.callback_error = ev.error;
        }
        None => {}
    }
    Ok(resp)
}

fn reason(e: &ProtoError) -> String {
    e.reason().to_owned()
}

/// The QR freshness window. With `s` the simulator's elapsed time since the session was
/// created and `e` the link's `elapsedSeconds`, a link is fresh when
/// `e ≤ s + 1 s` (not from the future, allowing one second of rounding and transit) and
/// `s < e + 1 s + max_age` (the second `e` ended less than `max_age` ago).
pub(crate) fn check_qr_freshness(e: u64, s: Duration, max_age: Duration) -> Result<(), String> {
    let e_d = Duration::from_secs(e);
    if e_d > s + Duration::from_secs(1) {
        return Err(format!(
            "stale or forged QR code: elapsedSeconds {e} is ahead of the session's age ({} s)",
            s.as_secs()
        ));
    }
    if s >= e_d + Duration::from_secs(1) + max_age {
        return Err(format!(
            "stale QR code: elapsedSeconds {e} but the session is {} s old (window {} s)",
            s.as_secs(),
            max_age.as_secs()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_window() {
        let s = |ms| Duration::from_millis(ms);
        let max = Duration::from_secs(5);
        assert!(check_qr_freshness(0, s(0), max).is_ok());
        assert!(check_qr_freshness(1, s(0), max).is_ok(), "rounding");
        assert!(check_qr_freshness(2, s(500), max).is_err(), "future");
        assert!(check_qr_freshness(3, s(8_999), max).is_ok());
        assert!(check_qr_freshness(3, s(9_000), max).is_err(), "stale");
        assert!(check_qr_freshness(0, s(1_500), Duration::ZERO).is_err());
    }
}
