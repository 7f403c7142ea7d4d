//! The contract checks of `backend_routes`: for every answer the routes and their documented
//! statuses (`docs/openapi.yaml`), the headers and the RFC 9457 problem bodies; for the 2xx
//! answers of starts, polls and QR streams their bodies.

use axum::http::{header, HeaderMap, Method, StatusCode};
use sidkit_contract::{
    error_codes, ErrorBody, FlowOutcome, PollFlowResponse, Presentation, StartFlowRequest,
    StartFlowResponse, PROBLEM_JSON, PROBLEM_TYPE_PREFIX,
};

use super::world::CALLBACK_BASE;
use super::Flow;

/// A route of the contract, as the router matches the raw path (a `{flowHandle}` segment is
/// any non-empty segment; nothing is normalised).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// `/flows`
    Start,
    /// `/flows/{flowHandle}`
    Flow,
    /// `/flows/{flowHandle}/complete`
    Complete,
    /// `/flows/{flowHandle}/qr`
    Qr,
    /// Anything else (the router's fallback).
    Other,
}

impl Route {
    pub fn of(path: &str) -> Route {
        let Some(rest) = path.strip_prefix("/flows") else {
            return Route::Other;
        };
        if rest.is_empty() {
            return Route::Start;
        }
        let Some(rest) = rest.strip_prefix('/') else {
            return Route::Other;
        };
        let mut segs = rest.split('/');
        let handle = segs.next().unwrap_or_default();
        if handle.is_empty() {
            return Route::Other;
        }
        match (segs.next(), segs.next()) {
            (None, _) => Route::Flow,
            (Some("complete"), None) => Route::Complete,
            (Some("qr"), None) => Route::Qr,
            _ => Route::Other,
        }
    }

    /// The methods of the route (`Allow` of a `405`); GET routes answer HEAD too (axum).
    pub fn methods(self) -> &'static [&'static str] {
        match self {
            Route::Start | Route::Complete => &["POST"],
            Route::Flow => &["GET", "HEAD", "DELETE"],
            Route::Qr => &["GET", "HEAD"],
            Route::Other => &[],
        }
    }
}

/// The statuses `docs/openapi.yaml` lists for the operation (a HEAD is answered as its GET,
/// without the body). Any other method on a contract path is `405`, any other path `404`. The
/// `default` of `startFlow` (a flow policy's own problem) is not used: the fuzzed backend runs
/// the `DemoPolicy`, which refuses only with `400`.
pub fn documented(route: Route, method: &Method) -> &'static [u16] {
    let get = method == Method::GET || method == Method::HEAD;
    match route {
        Route::Start if method == Method::POST => &[201, 400, 404, 409, 413, 415, 429, 500, 503],
        Route::Flow if get => &[200, 400, 403, 404, 410, 500, 503],
        Route::Flow if method == Method::DELETE => &[204, 400, 404, 409, 500, 503],
        Route::Qr if get => &[200, 400, 404, 429, 500, 503],
        Route::Complete if method == Method::POST => &[200, 400, 403, 404, 410, 413, 415, 500, 503],
        Route::Other => &[404],
        _ => &[405],
    }
}

/// The `detail`s a `503 unavailable` may have: Smart-ID unreachable, or an operation to repeat.
const RETRY_DETAILS: [&str; 5] = [
    "the earlier start with this key just expired; retry",
    "a start with this Idempotency-Key is in progress; retry",
    "the completion is still being verified; retry",
    "the linked signature is not recorded yet; retry",
    "the flow is changing too often; retry",
];

/// An answer, as the fuzz target read it.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    /// The body (for an event stream: its first frame).
    pub body: Vec<u8>,
}

impl Answer {
    pub fn content_type(&self) -> &str {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// The body as a contract problem (panics if it is none).
    pub fn problem(&self) -> ErrorBody {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "a {} answer whose body is not a problem ({e}): {:?}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// The checks every answer passes: the contract headers, a documented status, and for every
/// error a well-formed problem that matches it. `upstream_fault`: a fault was injected into the
/// simulator in this input (only then may Smart-ID be "unavailable").
pub fn check_answer(route: Route, method: &Method, a: &Answer, upstream_fault: bool) {
    let s = a.status.as_u16();
    let ctx = || format!("{method} {route:?} answered {s}");
    assert_eq!(
        a.headers
            .get("sidkit-contract")
            .and_then(|v| v.to_str().ok()),
        Some("2"),
        "{}: no Sidkit-Contract: 2",
        ctx()
    );
    assert_eq!(
        a.headers
            .get(header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "{}",
        ctx()
    );
    assert!(
        documented(route, method).contains(&s),
        "{}: not a status docs/openapi.yaml lists for it",
        ctx()
    );
    if s < 400 {
        return;
    }
    assert_eq!(a.content_type(), PROBLEM_JSON, "{}", ctx());
    if s == 405 {
        let allow = a
            .headers
            .get(header::ALLOW)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{}: 405 without Allow", ctx()));
        let mut got: Vec<&str> = allow.split(',').map(str::trim).collect();
        let mut want = route.methods().to_vec();
        got.sort_unstable();
        want.sort_unstable();
        assert_eq!(got, want, "{}: Allow", ctx());
    }
    let retryable = s == 429 || s == 503;
    assert_eq!(
        a.headers.contains_key(header::RETRY_AFTER),
        retryable,
        "{}: Retry-After",
        ctx()
    );
    if let Some(v) = a.headers.get(header::RETRY_AFTER) {
        let secs: u64 = v
            .to_str()
            .ok()
            .and_then(|v| v.parse().ok())
            .expect("Retry-After is seconds");
        assert!(secs >= 1, "{}: Retry-After {secs}", ctx());
    }
    if *method == Method::HEAD {
        return;
    }
    let p = a.problem();
    assert!(p.validate().is_ok(), "{}: invalid problem {p:?}", ctx());
    assert!(
        error_codes::ALL.contains(&p.code.as_str()),
        "{}: code {}",
        ctx(),
        p.code
    );
    let (status, title, retry) = error_codes::describe(&p.code);
    assert_eq!(
        status,
        s,
        "{}: code {} belongs to another status",
        ctx(),
        p.code
    );
    assert_eq!(p.status, Some(s), "{}: problem status", ctx());
    assert_eq!(
        p.problem_type,
        format!("{PROBLEM_TYPE_PREFIX}{}", p.code),
        "{}",
        ctx()
    );
    assert_eq!(p.title, title, "{}", ctx());
    assert_eq!(p.retryable, retry, "{}", ctx());
    // No 5xx but the documented upstream ones: a failed Smart-ID call, or an operation to repeat.
    match s {
        500 => assert!(
            p.detail.starts_with("Smart-ID call failed: "),
            "{}: an internal error that is not an upstream failure: {:?}",
            ctx(),
            p.detail
        ),
        503 => {
            let smart_id = p.detail.starts_with("Smart-ID is unavailable: ");
            assert!(
                smart_id || RETRY_DETAILS.contains(&p.detail.as_str()),
                "{}: unavailable for another reason: {:?}",
                ctx(),
                p.detail
            );
            assert!(
                !smart_id || upstream_fault,
                "{}: the loopback simulator is healthy, yet {:?}",
                ctx(),
                p.detail
            );
        }
        _ => {}
    }
}

/// A `201` of a start of `req`: a valid start response of the request's session type that the
/// app's `Flow` accepts.
pub fn check_start(a: &Answer, req: &StartFlowRequest) -> StartFlowResponse {
    assert_eq!(a.content_type(), "application/json");
    let resp: StartFlowResponse = serde_json::from_slice(&a.body).expect("start answer parses");
    assert!(resp.validate().is_ok(), "invalid start answer {resp:?}");
    assert_eq!(resp.session_type, req.kind.session_type());
    let config = sidkit_app::FlowConfig::new(CALLBACK_BASE, sidkit_app::DeviceLinkPolicy::demo())
        .expect("config");
    let spec = sidkit_app::FlowSpec::new(req.kind, req.presentation);
    let mut flow = sidkit_app::Flow::new(config, spec, 1).expect("flow");
    flow.begin_start(1).expect("begin");
    if let Err(e) = flow.on_start_response(resp.clone(), 1) {
        panic!("the app refuses the backend's start answer ({e}): {resp:?}");
    }
    resp
}

pub fn check_poll(f: &mut Flow, p: &PollFlowResponse) {
    assert!(p.validate().is_ok(), "invalid poll answer {p:?}");
    match p {
        PollFlowResponse::Pending { device_link } => {
            assert_eq!(
                device_link.is_some(),
                f.presentation == Presentation::Qr,
                "{p:?}"
            );
            if let Some(l) = device_link {
                let policy = sidkit_app::DeviceLinkPolicy::demo();
                let parsed = policy
                    .check(l, Presentation::Qr.link_type(), f.kind.session_type())
                    .unwrap_or_else(|e| panic!("a polled QR link the app refuses ({e:?}): {l}"));
                assert_eq!(parsed.session_type, f.kind.session_type());
                f.link = l.clone();
                f.link_at = std::time::Instant::now();
            }
        }
        PollFlowResponse::Finished { result: _, outcome } => {
            if let Some(o) = outcome {
                assert!(o.fits(f.kind), "{o:?} for a {} flow", f.kind);
                if !matches!(o, FlowOutcome::Failed { .. }) {
                    assert!(!f.delivered, "an outcome was delivered twice");
                    f.delivered = true;
                }
            }
        }
    }
}

/// The first event of a QR stream: `pending` with the link of this second, or the last one.
pub fn check_qr_event(f: &mut Flow, a: &Answer) {
    assert_eq!(
        f.presentation,
        Presentation::Qr,
        "an App2App flow has a QR stream"
    );
    assert!(
        a.content_type().starts_with("text/event-stream"),
        "{}",
        a.content_type()
    );
    let text = std::str::from_utf8(&a.body).expect("events are text");
    let (event, data) = text
        .strip_prefix("event: ")
        .and_then(|t| t.split_once("\ndata: "))
        .unwrap_or_else(|| panic!("not an event: {text:?}"));
    let data = data
        .strip_suffix("\n\n")
        .unwrap_or_else(|| panic!("unterminated event {text:?}"));
    assert!(!data.contains('\n'), "multi-line data");
    match event {
        "pending" | "finished" => {
            let p: PollFlowResponse = serde_json::from_str(data).expect("event data parses");
            assert_eq!(
                matches!(p, PollFlowResponse::Pending { .. }),
                event == "pending"
            );
            check_poll(f, &p);
        }
        "problem" => {
            let p: ErrorBody = serde_json::from_str(data).expect("problem parses");
            assert!(p.validate().is_ok() && error_codes::ALL.contains(&p.code.as_str()));
        }
        other => panic!("unknown event {other}"),
    }
}
