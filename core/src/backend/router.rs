//! The axum router of the contract (`docs/openapi.yaml`).

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Serialize;

use super::{Backend, Problem};
use crate::mobile::contract::{
    error_codes as codes, CompleteFlowRequest, ErrorBody, StartFlowRequest, CONTRACT_VERSION,
    CONTRACT_VERSION_HEADER, PROBLEM_JSON,
};

/// Largest accepted request body.
const MAX_BODY: usize = 64 * 1024;

/// The contract's routes on `backend`:
///
/// | route | handler |
/// |---|---|
/// | `POST /flows` | [`Backend::start_flow`] (`201`) |
/// | `GET /flows/{flowHandle}` | [`Backend::poll_flow`] |
/// | `DELETE /flows/{flowHandle}` | [`Backend::cancel_flow`] (`204`) |
/// | `POST /flows/{flowHandle}/complete` | [`Backend::complete_flow`] |
///
/// Every answer carries `Sidkit-Contract: 1` and `Cache-Control: no-store`; errors are
/// `application/problem+json` ([`ErrorBody`]). Nest it under any prefix
/// (`Router::new().nest("/smart-id", backend.router())`) and add your own authentication
/// layer in front of it.
pub fn router(backend: Backend) -> Router {
    Router::new()
        .route("/flows", post(start))
        .route("/flows/{handle}", get(poll).delete(cancel))
        .route("/flows/{handle}/complete", post(complete))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(stamp))
        .with_state(backend)
}

async fn stamp(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        CONTRACT_VERSION_HEADER,
        HeaderValue::from_str(&CONTRACT_VERSION.to_string())
            .unwrap_or(HeaderValue::from_static("1")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

fn problem_response(p: Problem) -> Response {
    let status = StatusCode::from_u16(p.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&p).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if p.retryable {
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    }
    r
}

fn json_response<T: Serialize>(status: StatusCode, v: &T) -> Response {
    match serde_json::to_vec(v) {
        Ok(body) => {
            let mut r = (status, body).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            r
        }
        Err(e) => problem_response(ErrorBody::new(codes::INTERNAL, e.to_string())),
    }
}

fn parse<T: serde::de::DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, Problem> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct.starts_with("application/json") {
        return Err(ErrorBody::new(
            codes::BAD_REQUEST,
            "Content-Type must be application/json",
        ));
    }
    serde_json::from_slice(body)
        .map_err(|e| ErrorBody::new(codes::BAD_REQUEST, format!("invalid request body: {e}")))
}

async fn start(State(b): State<Backend>, headers: HeaderMap, body: Bytes) -> Response {
    let req: StartFlowRequest = match parse(&headers, &body) {
        Ok(r) => r,
        Err(p) => return problem_response(p),
    };
    let idem = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    match b.start_flow(req, idem).await {
        Ok(r) => json_response(StatusCode::CREATED, &r),
        Err(p) => problem_response(p),
    }
}

async fn complete(
    State(b): State<Backend>,
    Path(handle): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let req: CompleteFlowRequest = match parse(&headers, &body) {
        Ok(r) => r,
        Err(p) => return problem_response(p),
    };
    match b.complete_flow(&handle, req).await {
        Ok(o) => json_response(StatusCode::OK, &o),
        Err(p) => problem_response(p),
    }
}

async fn poll(State(b): State<Backend>, Path(handle): Path<String>) -> Response {
    match b.poll_flow(&handle).await {
        Ok(r) => json_response(StatusCode::OK, &r),
        Err(p) => problem_response(p),
    }
}

async fn cancel(State(b): State<Backend>, Path(handle): Path<String>) -> Response {
    match b.cancel_flow(&handle).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(p) => problem_response(p),
    }
}
