//! The axum router of the contract (`docs/openapi.yaml`): the one place where a
//! [`FlowError`] becomes the [`Problem`] a request is answered with.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::sse::{Event, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Extension;
use axum::Router;
use serde::Serialize;
use std::net::SocketAddr;

use super::{Backend, FlowError, Problem};
use crate::record::FlowAddr;
use sidkit_contract::{
    CompleteFlowRequest, PollFlowResponse, StartFlowRequest, CONTRACT_VERSION,
    CONTRACT_VERSION_HEADER, FLOW_KEY_HEADER, PROBLEM_JSON,
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
/// | `GET /flows/{flowHandle}/qr` | server-sent events for web and tablet pages: every second `event: pending` with the QR link of that second (from the stored flow, never held back by a slow upstream call), and, once a status check running beside the ticks sees the flow end, `event: finished` or `event: problem` |
///
/// Every route but `POST /flows` needs the flow's key in the `Sidkit-Flow-Key` header
/// ([`FLOW_KEY_HEADER`]); without it the flow is not found. Web pages read the QR stream with
/// `fetch()` (which can send the header), not `EventSource` (which cannot).
///
/// Every answer carries `Sidkit-Contract: 2` and `Cache-Control: no-store`; errors are
/// `application/problem+json` ([`ErrorBody`](sidkit_contract::ErrorBody)): a handler's [`FlowError`] is answered as
/// [`FlowError::problem`] (with `Retry-After: 1` when it is retryable), a body that is not
/// JSON or not the request's as [`FlowError::BadRequest`], a body over 64 KiB as
/// [`FlowError::PayloadTooLarge`] (`413`), one that is not `application/json` as
/// [`FlowError::UnsupportedMediaType`] (`415`), another method on a contract path as
/// [`FlowError::MethodNotAllowed`] (`405`, with `Allow`) and any other path as
/// [`FlowError::NotFound`]. Nest it under any prefix
/// (`Router::new().nest("/smart-id", backend.router())`) and add your own authentication
/// layer in front of it.
pub fn router(backend: Backend) -> Router {
    Router::new()
        .route("/flows", post(start))
        .route("/flows/{handle}", get(poll).delete(cancel))
        .route("/flows/{handle}/complete", post(complete))
        .route("/flows/{handle}/qr", get(qr_events))
        .method_not_allowed_fallback(method_not_allowed)
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::map_response(stamp))
        .with_state(backend)
}

async fn method_not_allowed() -> Response {
    problem_response(FlowError::MethodNotAllowed)
}

async fn not_found() -> Response {
    problem_response(FlowError::NotFound)
}

/// The `Sidkit-Flow-Key` header, if it is there and text.
fn flow_key(headers: &HeaderMap) -> Option<&str> {
    headers.get(FLOW_KEY_HEADER).and_then(|v| v.to_str().ok())
}

/// What names the flow of a flow-scoped request: the handle of the path and the
/// `Sidkit-Flow-Key` header. A path that does not decode is rejected with a `400` problem.
struct FlowRef {
    handle: String,
    key: Option<zeroize::Zeroizing<String>>,
}

impl FlowRef {
    fn key(&self) -> Option<&str> {
        self.key.as_deref().map(String::as_str)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for FlowRef {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Response> {
        let handle = match Path::<String>::from_request_parts(parts, state).await {
            Ok(Path(h)) => h,
            Err(_) => {
                return Err(problem_response(FlowError::bad_request(
                    "the path's flow handle is not valid percent-encoded UTF-8",
                )))
            }
        };
        let key = flow_key(&parts.headers).map(|k| zeroize::Zeroizing::new(k.to_owned()));
        Ok(FlowRef { handle, key })
    }
}

/// The request body, or the problem of one that could not be read (too large: `413`).
fn body_bytes(body: Result<Bytes, BytesRejection>) -> Result<Bytes, FlowError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            FlowError::PayloadTooLarge { limit: MAX_BODY }
        } else {
            FlowError::bad_request(format!("the request body could not be read: {e}"))
        }
    })
}

async fn stamp(mut r: Response) -> Response {
    let h = r.headers_mut();
    h.insert(
        CONTRACT_VERSION_HEADER,
        HeaderValue::from_str(&CONTRACT_VERSION.to_string())
            .unwrap_or(HeaderValue::from_static("2")),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

/// The answer to a failed request: `e` as its problem.
fn problem_response(e: FlowError) -> Response {
    let wait = crate::admission::retry_after(&e);
    let p = Problem::from(e);
    // The problem's code and status: its detail may quote the request.
    if p.http_status() >= 500 {
        tracing::warn!(code = %p.code, status = p.http_status(), "request failed");
    } else {
        tracing::debug!(code = %p.code, status = p.http_status(), "request refused");
    }
    metrics::counter!("sidkit_problems_total", "code" => p.code.clone()).increment(1);
    let status = StatusCode::from_u16(p.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = serde_json::to_vec(&p).unwrap_or_default();
    let mut r = (status, body).into_response();
    r.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    if let Some(wait) = wait {
        if let Ok(v) = HeaderValue::from_str(&wait.as_secs().to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
    } else if p.retryable {
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
        Err(e) => problem_response(FlowError::internal(e)),
    }
}

fn parse<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<T, FlowError> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let essence = ct.split(';').next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("application/json") {
        return Err(FlowError::UnsupportedMediaType);
    }
    let body = body_bytes(body)?;
    serde_json::from_slice(&body)
        .map_err(|e| FlowError::bad_request(format!("invalid request body: {e}")))
}

async fn start(
    State(b): State<Backend>,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    // Admission first: a refused client costs no parsing and no Smart-ID session.
    if let Some(Extension(ConnectInfo(addr))) = peer {
        if let Err(e) = b.admit(addr.ip()) {
            return problem_response(e);
        }
    }
    let req: StartFlowRequest = match parse(&headers, body) {
        Ok(r) => r,
        Err(e) => return problem_response(e),
    };
    let idem = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    match b.start_flow(req, idem).await {
        Ok(r) => json_response(StatusCode::CREATED, &r),
        Err(e) => problem_response(e),
    }
}

async fn complete(
    State(b): State<Backend>,
    flow: FlowRef,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let req: CompleteFlowRequest = match parse(&headers, body) {
        Ok(r) => r,
        Err(e) => return problem_response(e),
    };
    match b.complete_flow(&flow.handle, flow.key(), req).await {
        Ok(o) => json_response(StatusCode::OK, &o),
        Err(e) => problem_response(e),
    }
}

async fn poll(State(b): State<Backend>, flow: FlowRef) -> Response {
    match b.poll_flow(&flow.handle, flow.key()).await {
        Ok(r) => json_response(StatusCode::OK, &r),
        Err(e) => problem_response(e),
    }
}

async fn cancel(State(b): State<Backend>, flow: FlowRef) -> Response {
    match b.cancel_flow(&flow.handle, flow.key()).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => problem_response(e),
    }
}

type PollFuture = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<PollFlowResponse, FlowError>> + Send>,
>;
type LinkFuture =
    std::pin::Pin<Box<dyn std::future::Future<Output = Result<Option<String>, FlowError>> + Send>>;

/// The QR event stream. Two things run side by side, so that a slow upstream status call
/// (a long poll, a slow network) never holds the QR code back:
///
/// * every second a `pending` event with the link of that second, computed from the stored
///   record without any upstream call ([`Backend::qr_tick`]);
/// * at most one status check ([`Backend::poll_flow`]'s logic, with a long poll of
///   [`BackendConfig::qr_stream_long_poll`](crate::BackendConfig::qr_stream_long_poll)) at a
///   time, started on a tick when none is running: when it sees the flow end, the stream
///   sends `finished` or `problem` and ends.
struct QrEvents {
    backend: Backend,
    addr: FlowAddr,
    /// This stream's registration: a newer stream of the same flow ends this one.
    ticket: crate::streams::StreamTicket,
    interval: tokio::time::Interval,
    /// The status check in flight.
    status: Option<PollFuture>,
    /// The link of the current tick being computed.
    link: Option<LinkFuture>,
    done: bool,
}

/// The event for a status check's answer; `None` while the flow is pending.
fn status_event(r: Result<PollFlowResponse, FlowError>) -> Option<Event> {
    match r {
        Ok(PollFlowResponse::Pending { .. }) => None,
        Ok(resp) => Some(
            Event::default()
                .event("finished")
                .data(serde_json::to_string(&resp).unwrap_or_default()),
        ),
        Err(e) => Some(problem_event(e)),
    }
}

fn problem_event(e: FlowError) -> Event {
    Event::default()
        .event("problem")
        .data(serde_json::to_string(&Problem::from(e)).unwrap_or_default())
}

impl QrEvents {
    /// Polls the status check in flight; the final event if it saw the flow end.
    fn poll_status(&mut self, cx: &mut std::task::Context<'_>) -> Option<Event> {
        let fut = self.status.as_mut()?;
        let std::task::Poll::Ready(r) = fut.as_mut().poll(cx) else {
            return None;
        };
        self.status = None;
        status_event(r)
    }

    /// Starts a status check and polls it once, so that it registers
    /// its waker; the final event if it is done at once.
    fn check_status(
        &mut self,
        cx: &mut std::task::Context<'_>,
        long_poll: std::time::Duration,
    ) -> Option<Event> {
        let (b, a) = (self.backend.clone(), self.addr.clone());
        self.status = Some(Box::pin(async move { b.poll_at(&a, long_poll).await }));
        self.poll_status(cx)
    }

    fn end_with(&mut self, event: Event) -> Option<Result<Event, std::convert::Infallible>> {
        self.done = true;
        self.status = None;
        self.link = None;
        Some(Ok(event))
    }
}

impl futures_core::Stream for QrEvents {
    type Item = Result<Event, std::convert::Infallible>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        if self.done {
            return Poll::Ready(None);
        }
        // The status check first: an ended flow ends the stream even if a tick is due.
        if let Some(last) = self.poll_status(cx) {
            return Poll::Ready(self.end_with(last));
        }
        if self.link.is_none() {
            if self.interval.poll_tick(cx).is_pending() {
                return Poll::Pending;
            }
            // Replaced by a newer stream of the same flow (a reloaded page): end quietly.
            if !self.ticket.is_current() {
                self.done = true;
                return Poll::Ready(None);
            }
            if self.status.is_none() {
                let wait = self.backend.config().qr_stream_long_poll;
                if let Some(last) = self.check_status(cx, wait) {
                    return Poll::Ready(self.end_with(last));
                }
            }
            let (b, a) = (self.backend.clone(), self.addr.clone());
            self.link = Some(Box::pin(async move { b.qr_tick(&a).await }));
        }
        let Some(fut) = self.link.as_mut() else {
            return Poll::Pending;
        };
        let r = match fut.as_mut().poll(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(r) => r,
        };
        self.link = None;
        match r {
            Ok(Some(link)) => {
                let resp = PollFlowResponse::Pending {
                    device_link: Some(link),
                };
                let data = serde_json::to_string(&resp).unwrap_or_default();
                Poll::Ready(Some(Ok(Event::default().event("pending").data(data))))
            }
            // The flow is no longer pending: the status check reports how it ended. One in
            // flight is never replaced (it may be the one that recorded the end and carries
            // the outcome, which is handed out once), so after a cancellation or the expiry
            // the last event can come up to one long poll late; the links stop at once. With
            // none in flight, a new one reads the stored end at once.
            Ok(None) => {
                if self.status.is_none() {
                    if let Some(last) = self.check_status(cx, sidkit_client::MIN_LONG_POLL) {
                        return Poll::Ready(self.end_with(last));
                    }
                }
                // Poll again so that the interval registers its waker (it was last seen ready).
                cx.waker().wake_by_ref();
                Poll::Pending
            }
            Err(e) => Poll::Ready(self.end_with(problem_event(e))),
        }
    }
}

async fn qr_events(State(b): State<Backend>, flow: FlowRef) -> Response {
    // Check the handle and key first so that an unknown flow is a plain problem response.
    let addr = match b.peek(&flow.handle, flow.key()).await {
        Ok(a) => a,
        Err(e) => return problem_response(e),
    };
    let ticket = match b.open_qr_stream(&addr).await {
        Ok(t) => t,
        Err(e) => return problem_response(e),
    };
    let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    Sse::new(QrEvents {
        backend: b,
        addr,
        ticket,
        interval,
        status: None,
        link: None,
        done: false,
    })
    .into_response()
}
