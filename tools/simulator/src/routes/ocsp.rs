//! `POST /ocsp`: the OCSP responder (RFC 6960, Appendix A) of the simulator's test CA, for the
//! certificates it issued (`good`, or `revoked` with time and reason for revoked accounts and
//! certificates; `unknown` for serials it did not issue), signed by the CA's delegated
//! responder (see [`sidkit_testpki::ocsp`]).
//!
//! HTTP-level errors are RFC 9457 problems like everywhere else: a `Content-Type` other than
//! `application/ocsp-request` is `415`, a body over [`MAX_OCSP_REQUEST_BYTES`] is `413`; a body
//! that is not an OCSP request gets a `200` OCSP answer with `malformedRequest`, as RFC 6960
//! prescribes. Faults with scope [`FaultScope::Ocsp`] apply.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::SystemTime;

use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use sidkit_testpki::ocsp::{OCSP_REQUEST_CONTENT_TYPE, OCSP_RESPONSE_CONTENT_TYPE};

use super::fault::{apply_fault, FaultEffect};
use super::problem::problem;
use crate::faults::FaultScope;
use crate::state::SimState;

/// The largest OCSP request body accepted (a request for one certificate is about 100 bytes).
pub(crate) const MAX_OCSP_REQUEST_BYTES: usize = 16 * 1024;

pub(super) async fn ocsp(
    State(st): State<Arc<SimState>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase());
    if content_type.as_deref() != Some(OCSP_REQUEST_CONTENT_TYPE) {
        return problem(
            415,
            format!("Content-Type must be {OCSP_REQUEST_CONTENT_TYPE}"),
            None,
            None,
        );
    }
    let Ok(request) = axum::body::to_bytes(body, MAX_OCSP_REQUEST_BYTES).await else {
        return problem(
            413,
            format!("An OCSP request is at most {MAX_OCSP_REQUEST_BYTES} bytes"),
            None,
            None,
        );
    };
    if let FaultEffect::Respond(r) = apply_fault(&st, FaultScope::Ocsp, &[]).await {
        return r;
    }
    st.ocsp_requests.fetch_add(1, Ordering::Relaxed);
    let reply = st.ocsp.respond(
        &request,
        SystemTime::now(),
        st.cfg.ocsp_validity,
        |ca, serial| st.ocsp_status(ca, serial),
    );
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, OCSP_RESPONSE_CONTENT_TYPE)],
        reply.der,
    )
        .into_response()
}
