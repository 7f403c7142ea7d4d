//! The mock device (spec §11, SK's Mock Service format): `POST /mock/device-link` and its
//! in-process form. It plays the Smart-ID app: checks the device link and its authCode exactly
//! as the server would (and the QR freshness, see [`super::qr`]), lets the account's scripted
//! user act, and opens the callback of same-device flows (deferred for a certificate choice
//! until its linked signature).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sidkit_proto::device_link::{
    parse_device_link, verify_device_link, DeviceLinkParams, DeviceLinkType, SessionType,
};
use sidkit_proto::env::SchemeName;
use sidkit_proto::models::{EndResult, FlowType};
use sidkit_proto::ProtoError;

use super::problem::{json_response, problem};
use super::qr::check_qr_freshness;
use crate::callbacks::callback_url;
use crate::events::CallbackEvent;
use crate::state::{complete_locked, level_ok, PendingCallback, SimState};
use crate::user::complete_with;

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

pub(super) async fn mock_device_http(State(st): State<Arc<SimState>>, body: Bytes) -> Response {
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
            initial_callback_url: s.data.initial_callback_url.as_deref().map(Into::into),
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
