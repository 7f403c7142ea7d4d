//! HTTP endpoints: the RP API v3 and the mock device. This module assembles the router; the
//! endpoints live in the submodules:
//!
//! * [`sessions`]: `POST` of every session-creating endpoint (authentication, signature,
//!   certificate choice, linked signature) and `signature/certificate/{doc}`, with the request
//!   bodies parsed in [`request`];
//! * [`status`]: the long-polled `GET session/{id}`;
//! * [`device`]: the mock device (`POST /mock/device-link`) that plays the Smart-ID app, with
//!   the QR freshness window in [`qr`];
//! * [`ocsp`]: the OCSP responder of the test CA (`POST /ocsp`);
//! * [`problem`]: RFC 9457 error responses and JSON answers; [`fault`]: injected faults.

mod device;
mod fault;
mod ocsp;
mod problem;
mod qr;
mod request;
mod sessions;
mod status;

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::Router;

use crate::config::{MOCK_DEVICE_PATH, OCSP_PATH, RP_API_PATH};
use crate::state::SimState;

pub(crate) use device::mock_device;
pub use device::{MockDeviceRequest, MockDeviceResponse};
pub(crate) use fault::DropConnection;

use device::mock_device_http;
use problem::problem;
use request::{Kind, Subj};
use sessions::create;
use status::session_status;

type St = State<Arc<SimState>>;

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
        .route(OCSP_PATH, post(ocsp::ocsp))
        .fallback(|| async { problem(404, "No such endpoint", None, None) })
        .with_state(state)
}

/// The OCSP responder alone: what the plain-HTTP listener of an HTTPS simulator serves (OCSP
/// travels over plain HTTP, RFC 6960 Appendix A).
pub(crate) fn ocsp_router(state: Arc<SimState>) -> Router {
    Router::new()
        .route(OCSP_PATH, post(ocsp::ocsp))
        .fallback(|| async { problem(404, "No such endpoint", None, None) })
        .with_state(state)
}
