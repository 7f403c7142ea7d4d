//! The long-polled `GET session/{id}` (spec §4): `timeoutMs`, injected faults, and waiting for
//! the session to complete, time out or the poll's deadline.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::json;
use tokio::time::Instant;

use super::fault::{apply_fault, FaultEffect};
use super::problem::{bad_request, json_response, problem};
use crate::faults::FaultScope;
use crate::state::SimState;

/// Default `timeoutMs` when the query has none (the OpenAPI default).
const DEFAULT_TIMEOUT_MS: u64 = 60_500;

pub(super) async fn session_status(
    State(st): State<Arc<SimState>>,
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
