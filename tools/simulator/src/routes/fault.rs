//! What an injected fault (see [`crate::faults`]) does to the request at hand: a delay, an
//! error status, a dropped connection, malformed JSON, or a status answer without long poll.

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use super::problem::problem;
use crate::faults::{FaultKind, FaultScope};
use crate::state::SimState;

/// Marker extension: the connection is closed instead of sending this response.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DropConnection;

/// What a fault does to the request at hand.
pub(super) enum FaultEffect {
    /// Nothing (no fault, or a delay that has been waited out).
    None,
    /// Send this instead of the normal response.
    Respond(Response),
    /// Answer a status request without long polling.
    NoLongPoll,
}

/// Applies the first queued fault for this request, if any.
pub(super) async fn apply_fault(st: &SimState, scope: FaultScope, keys: &[String]) -> FaultEffect {
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
