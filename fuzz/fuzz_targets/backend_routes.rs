//! The backend kit's axum router (`sidkit_backend::Backend::router`) driven by a script of
//! requests, through `tower::ServiceExt::oneshot` on one tokio runtime per process. Its
//! upstream is a real Smart-ID RP API: the simulator (`sidkit-simulator`), in-process on
//! loopback, started once per process, so starts succeed and later calls act on real flows;
//! the simulated Smart-ID app can open the links and deliver genuine return URLs. Store:
//! `MemoryStore`; admission limits off (no per-address limit, caps far above what a run
//! reaches), so `429` comes only from what the fuzzer does, not from the harness.
//!
//! The input is a script, one action a line (unknown lines are skipped; at most 48 actions):
//!
//! ```text
//! start [auth|sign|cert|KIND] [app2app|qr|PRES] [lang=L] [ctx=C|ctx=-] [idem=reuse:I]
//!       [idem_header=same|none|other] [chal=good|bad|none|flow:I] [ct=TYPE]
//! poll I [KEY] [handle=H]     cancel I [KEY] [handle=H]     qr I [KEY] [handle=H]
//! complete I [url=cb:J[+SUFFIX]|url=raw:URL] [KEY] [handle=H] [body_handle=H] [ct=TYPE]
//! app I                       the simulated Smart-ID app opens flow I's latest link
//! outcome ok|refused|timeout|wrongvc|unusable|interaction|protocol|server
//! fault 500|503|580|400|401|404|480|drop|malformed [create|status]
//! raw METHOD PATH [h:NAME=VALUE]... [pad=N] [body=REST OF LINE]
//! ```
//!
//! `I`, `J` pick a flow / return URL of this input (modulo their count); `KEY` is `key=own`
//! (default), `key=none`, `key=bad`, `key=other` or `key=flow:J`; `H` is `own`, `unknown`,
//! `flow:J` or `raw:TEXT`. In `raw`, `{h:I}` and `{k:I}` stand for flow I's handle and key.
//!
//! Properties (beyond: no panic, no hang):
//! * every answer carries `Sidkit-Contract: 2` and `Cache-Control: no-store`, and has a status
//!   that `docs/openapi.yaml` lists for the operation (`checks::documented`): `405` with the
//!   route's `Allow` on other methods, `404` on other paths;
//! * every error is `application/problem+json`, a valid contract problem whose `code`,
//!   `type`, `title`, `status` and `retryable` match the HTTP status, with `Retry-After` exactly
//!   on `429`/`503`;
//! * no 5xx but the documented upstream ones: `500` only for a failed Smart-ID call, `503` only
//!   for an unreachable Smart-ID (and only after a fault was injected) or an operation to
//!   repeat;
//! * 2xx bodies are valid contract messages that the app's `Flow` accepts (start), of the
//!   flow's session type, with device links the device-link policy accepts;
//! * every new flow has a Smart-ID session of its own (its device link's `sessionToken`);
//! * a flow answers only to its own key: with any other key a valid handle is `404` with the
//!   body of an unknown handle; a cancelled flow polls and completes nothing (`404`);
//! * a completion succeeds only with a return URL that the app's router accepts and whose
//!   token is the flow's (its commitment), and the identical completion gets the identical
//!   answer; an authenticated or signed outcome is delivered once (later polls carry none);
//! * an `Idempotency-Key` retry with the same body and challenge gets the same flow, with
//!   another body or challenge `409` (never the original handle).
//!
//! Time: the simulator answers status requests at once (its `NoLongPoll` fault on every
//! status call), or each poll of a running session would wait the RP API's one-second long
//! poll. Background drivers of `certificateChoiceAndSignature` flows then poll ten times a
//! second for the flow's life (10 s here), so at most 4 such starts are sent per 10 s; over
//! the budget a script's start of that kind is skipped.
#![no_main]

#[path = "backend_routes/checks.rs"]
mod checks;
#[path = "backend_routes/world.rs"]
mod world;

use axum::http::{header, Method, Request};
use checks::{check_answer, check_poll, check_qr_event, check_start, Answer, Route};
use libfuzzer_sys::fuzz_target;
use sidkit_contract::{FlowKind, FlowOutcome, PollFlowResponse, Presentation, StartFlowResponse};
use world::{flow_key, send, world, World, CALLBACK_BASE, DEMO_ACCOUNT};

/// A flow this input started.
struct Flow {
    handle: String,
    key: String,
    kind: FlowKind,
    presentation: Presentation,
    resp: StartFlowResponse,
    /// The latest device link (QR: from the latest pending poll) and when it was read.
    link: String,
    link_at: std::time::Instant,
    opened: bool,
    cancelled: bool,
    /// An authenticated or signed outcome was handed out.
    delivered: bool,
    /// The body of the first successful completion.
    completed: Option<Vec<u8>>,
}

/// An `Idempotency-Key` this input used: the request and challenge, and the flow it got.
struct Idem {
    key: String,
    body: sidkit_contract::StartFlowRequest,
    handle: Option<String>,
    at: std::time::Instant,
}

#[derive(Default)]
struct Script {
    flows: Vec<Flow>,
    urls: Vec<String>,
    idems: Vec<Idem>,
    fault: bool,
}

const UNKNOWN_HANDLE: &str = "fh_fuzzUnknownHandle0000";

fn opt<'a>(toks: &[&'a str], name: &str) -> Option<&'a str> {
    toks.iter()
        .find_map(|t| t.strip_prefix(name)?.strip_prefix('='))
}

fn index(s: &str, n: usize) -> Option<usize> {
    (n > 0).then(|| s.parse::<usize>().unwrap_or(0) % n)
}

impl Script {
    fn flow_index(&self, toks: &[&str], at: usize) -> Option<usize> {
        index(toks.get(at).copied().unwrap_or("0"), self.flows.len())
    }

    /// The key a request on flow `i` sends, and whether it is the flow's own.
    fn key(&self, w: &World, toks: &[&str], i: Option<usize>) -> (Option<String>, bool) {
        let own = i.map(|i| self.flows[i].key.clone());
        match opt(toks, "key").unwrap_or("own") {
            "none" => (None, false),
            "bad" => (Some("not-a-flow-key".to_owned()), false),
            "other" => (Some(flow_key(w.next_id()).0), false),
            t if t.starts_with("flow:") => {
                let j = index(&t[5..], self.flows.len());
                let k = j.map(|j| self.flows[j].key.clone());
                let same = k.is_some() && k == own;
                (k.or_else(|| Some(flow_key(0).0)), same)
            }
            _ => (own.clone().or_else(|| Some(flow_key(0).0)), own.is_some()),
        }
    }

    /// The handle a request on flow `i` names, and whether it is the flow's own.
    fn handle(&self, spec: Option<&str>, i: Option<usize>) -> (String, bool) {
        let own = i.map(|i| self.flows[i].handle.clone());
        match spec.unwrap_or("own") {
            "unknown" => (UNKNOWN_HANDLE.to_owned(), false),
            t if t.starts_with("raw:") => (t[4..].to_owned(), own.as_deref() == Some(&t[4..])),
            t if t.starts_with("flow:") => {
                let h = index(&t[5..], self.flows.len()).map(|j| self.flows[j].handle.clone());
                let same = h.is_some() && h == own;
                (h.unwrap_or_else(|| UNKNOWN_HANDLE.to_owned()), same)
            }
            _ => (
                own.clone().unwrap_or_else(|| UNKNOWN_HANDLE.to_owned()),
                own.is_some(),
            ),
        }
    }

    async fn run(&mut self, w: &World, line: &str) {
        let toks: Vec<&str> = line.split_whitespace().collect();
        match toks.first().copied() {
            Some("start") => self.start(w, &toks).await,
            Some("poll") => self.on_flow(w, &toks, Method::GET, "").await,
            Some("cancel") => self.on_flow(w, &toks, Method::DELETE, "").await,
            Some("qr") => self.on_flow(w, &toks, Method::GET, "/qr").await,
            Some("complete") => self.complete(w, &toks).await,
            Some("app") => self.app(w, &toks).await,
            Some("outcome") => w.set_outcome(toks.get(1).copied().unwrap_or("ok")),
            Some("fault") => {
                w.fault(toks.get(1).copied().unwrap_or("503"), toks.get(2).copied());
                self.fault = true;
            }
            Some("raw") => self.raw(w, line, &toks).await,
            _ => {}
        }
    }

    async fn start(&mut self, w: &World, toks: &[&str]) {
        let kind = match toks.get(1).copied().unwrap_or("auth") {
            "auth" => "authentication",
            "sign" => "signature",
            "cert" => "certificateChoiceAndSignature",
            other => other,
        };
        let pres = toks.get(2).copied().unwrap_or("app2app");
        let id = w.next_id();
        let (key, challenge) = flow_key(id);
        let reuse = opt(toks, "idem")
            .and_then(|t| t.strip_prefix("reuse:"))
            .and_then(|i| index(i, self.idems.len()));
        let idem = match reuse {
            Some(i) => self.idems[i].key.clone(),
            None => format!("fuzz-idem-{id:08}"),
        };
        let mut body = serde_json::json!({
            "kind": kind,
            "presentation": pres,
            "lang": opt(toks, "lang").unwrap_or("eng"),
            "idempotencyKey": idem,
        });
        let default_ctx = (kind == "signature").then_some(DEMO_ACCOUNT);
        match opt(toks, "ctx").or(default_ctx) {
            Some("-") | None => {}
            Some(c) => body["context"] = c.into(),
        }
        let chal = opt(toks, "chal").unwrap_or("good");
        match chal {
            "none" => {}
            "bad" => body["flowKeyChallenge"] = "not-a-challenge".into(),
            t if t.starts_with("flow:") => {
                let c = index(&t[5..], self.flows.len())
                    .map(|j| world::challenge_of(&self.flows[j].key))
                    .unwrap_or_else(|| challenge.clone());
                body["flowKeyChallenge"] = c.into();
            }
            _ => body["flowKeyChallenge"] = challenge.clone().into(),
        }
        let text = body.to_string();
        let mut req = Request::post("/flows");
        match opt(toks, "idem_header").unwrap_or("same") {
            "none" => {}
            "other" => req = req.header("idempotency-key", "fuzz-idem-other-0000"),
            _ => req = req.header("idempotency-key", idem.as_str()),
        }
        let ct = opt(toks, "ct").unwrap_or("application/json");
        let Ok(req) = req
            .header(header::CONTENT_TYPE, ct)
            .body(text.clone().into_bytes())
        else {
            return;
        };
        if !w.cert_budget(&text) {
            return;
        }
        let a = self.send(w, req).await;
        if a.status.as_u16() != 201 {
            if a.status.as_u16() == 409 {
                // Only a reused key with another body or challenge conflicts.
                assert!(reuse.is_some(), "409 for a fresh Idempotency-Key");
            }
            return;
        }
        let parsed: sidkit_contract::StartFlowRequest =
            serde_json::from_str(&text).expect("a started flow's request parses");
        let resp = check_start(&a, &parsed);
        if let Some(i) = reuse.filter(|i| self.idems[*i].at.elapsed().as_secs() < 5) {
            let first = &self.idems[i];
            if first.body == parsed {
                if let Some(h) = &first.handle {
                    assert_eq!(&resp.flow_handle, h, "an idempotent retry got another flow");
                }
            } else {
                panic!("an Idempotency-Key reused with another body or challenge started a flow");
            }
        } else if reuse.is_none() {
            let handle = Some(resp.flow_handle.clone());
            self.idems.push(Idem {
                key: idem,
                body: parsed.clone(),
                handle,
                at: std::time::Instant::now(),
            });
        }
        if self.flows.iter().any(|f| f.handle == resp.flow_handle) {
            return;
        }
        // A new flow has a Smart-ID session of its own: another flow's device link would hand
        // one user's session (and its result) to another.
        let token = |l: &str| {
            sidkit_proto::device_link::parse_device_link(l)
                .map(|p| p.session_token)
                .ok()
        };
        let mine = token(&resp.device_link);
        if let Some(other) = self
            .flows
            .iter()
            .find(|f| token(&f.resp.device_link) == mine)
        {
            panic!(
                "flows {} and {} share one Smart-ID session",
                other.handle, resp.flow_handle
            );
        }
        self.flows.push(Flow {
            handle: resp.flow_handle.clone(),
            key,
            kind: parsed.kind,
            presentation: parsed.presentation,
            link: resp.device_link.clone(),
            link_at: std::time::Instant::now(),
            resp,
            opened: false,
            cancelled: false,
            delivered: false,
            completed: None,
        });
    }

    async fn send(&self, w: &World, req: Request<Vec<u8>>) -> Answer {
        let method = req.method().clone();
        let route = Route::of(req.uri().path());
        let a = send(w, req).await;
        check_answer(route, &method, &a, self.fault);
        a
    }

    /// A poll, cancel or QR stream of a flow.
    async fn on_flow(&mut self, w: &World, toks: &[&str], method: Method, suffix: &str) {
        let i = self.flow_index(toks, 1);
        let (key, own_key) = self.key(w, toks, i);
        let (handle, own_handle) = self.handle(opt(toks, "handle"), i);
        let mut req = Request::builder()
            .method(method.clone())
            .uri(format!("/flows/{handle}{suffix}"));
        if let Some(k) = &key {
            req = req.header("sidkit-flow-key", k.as_str());
        }
        let Ok(req) = req.body(Vec::new()) else {
            return;
        };
        let expected = if suffix.is_empty() {
            Route::Flow
        } else {
            Route::Qr
        };
        let on_route = Route::of(req.uri().path()) == expected;
        let a = self.send(w, req).await;
        if !on_route {
            return;
        }
        let s = a.status.as_u16();
        let genuine = own_key && own_handle;
        if !genuine && sidkit_contract::validate_flow_handle(&handle).is_ok() {
            assert_eq!(
                s, 404,
                "a request without the flow's key or handle answered {s}"
            );
            assert_eq!(a.body, w.not_found, "not the body of an unknown handle");
        }
        let Some(i) = i.filter(|_| genuine) else {
            return;
        };
        let f = &mut self.flows[i];
        if f.cancelled && suffix.is_empty() && method == Method::GET {
            // (410 if it expired instead: a cancel of an expired flow leaves it as it is.)
            assert!(s == 404 || s == 410, "a cancelled flow polled {s}");
        }
        match (s, suffix, &method) {
            (200, "", &Method::GET) => {
                let p: PollFlowResponse =
                    serde_json::from_slice(&a.body).expect("poll answer parses");
                check_poll(f, &p);
            }
            (204, _, _) => {
                assert!(a.body.is_empty());
                assert!(
                    f.completed.is_none() && !f.delivered,
                    "a finished flow was cancelled"
                );
                f.cancelled = true;
            }
            (200, "/qr", _) => check_qr_event(f, &a),
            _ => {}
        }
    }

    async fn complete(&mut self, w: &World, toks: &[&str]) {
        let i = self.flow_index(toks, 1);
        let (key, own_key) = self.key(w, toks, i);
        let (handle, own_handle) = self.handle(opt(toks, "handle"), i);
        let (body_handle, _) = self.handle(opt(toks, "body_handle").or(opt(toks, "handle")), i);
        let new = w.drain_callbacks(&self.flows).await;
        self.urls.extend(new);
        let url = match opt(toks, "url").unwrap_or("cb:0") {
            t if t.starts_with("raw:") => t[4..].to_owned(),
            t => {
                let spec = t.strip_prefix("cb:").unwrap_or("0");
                let (j, suffix) = spec.split_once('+').unwrap_or((spec, ""));
                let base = index(j, self.urls.len())
                    .map(|j| self.urls[j].clone())
                    .unwrap_or_else(|| format!("{CALLBACK_BASE}?value=fuzzfuzzfuzzfuzzfuzzfuzz"));
                base + suffix
            }
        };
        let body = serde_json::json!({"flowHandle": body_handle, "returnUrl": url}).to_string();
        let mut req = Request::post(format!("/flows/{handle}/complete")).header(
            header::CONTENT_TYPE,
            opt(toks, "ct").unwrap_or("application/json"),
        );
        if let Some(k) = &key {
            req = req.header("sidkit-flow-key", k.as_str());
        }
        let Ok(req) = req.body(body.into_bytes()) else {
            return;
        };
        let a = self.send(w, req).await;
        let s = a.status.as_u16();
        let genuine = own_key && own_handle && body_handle == handle;
        if s == 404 && !genuine {
            assert_eq!(a.body, w.not_found, "not the body of an unknown handle");
        }
        if s != 200 {
            return;
        }
        let i = i
            .filter(|_| genuine)
            .expect("a completion without the flow's key and handle succeeded");
        let f = &mut self.flows[i];
        assert!(!f.cancelled, "a cancelled flow completed");
        let o: FlowOutcome = serde_json::from_slice(&a.body).expect("outcome parses");
        assert!(o.validate().is_ok() && o.fits(f.kind), "bad outcome {o:?}");
        // The URL is one the app routes to this flow: its token's commitment is the flow's.
        let base = sidkit_app::CallbackBase::new(CALLBACK_BASE).expect("base");
        let r = sidkit_app::ReturnUrl::parse(&base, &url).unwrap_or_else(|e| {
            panic!("the backend completed with a URL the app refuses ({e}): {url}")
        });
        let c = f
            .resp
            .callback_commitment
            .as_deref()
            .map(sidkit_contract::decode_commitment);
        assert_eq!(
            c.and_then(Result::ok).as_ref(),
            Some(r.commitment()),
            "completed with another flow's URL"
        );
        match &f.completed {
            Some(first) => assert_eq!(
                first, &a.body,
                "the identical completion got another answer"
            ),
            None => f.completed = Some(a.body.clone()),
        }
        f.delivered |= !matches!(o, FlowOutcome::Failed { .. });
    }

    async fn app(&mut self, w: &World, toks: &[&str]) {
        let Some(i) = self.flow_index(toks, 1) else {
            return;
        };
        let f = &mut self.flows[i];
        let fresh = !f.opened && f.link_at.elapsed() < std::time::Duration::from_secs(3);
        f.opened = true;
        let r = w.sim.open_device_link(DEMO_ACCOUNT, &f.link).await;
        if fresh {
            if let Err(e) = &r {
                panic!(
                    "the simulated Smart-ID app refused the backend's fresh link ({e}): {}",
                    f.link
                );
            }
        }
        let new = w.drain_callbacks(&self.flows).await;
        self.urls.extend(new);
    }

    async fn raw(&mut self, w: &World, line: &str, toks: &[&str]) {
        let (Some(m), Some(path)) = (toks.get(1), toks.get(2)) else {
            return;
        };
        let Ok(method) = Method::from_bytes(m.as_bytes()) else {
            return;
        };
        let subst = |s: &str| -> String {
            let mut out = s.to_owned();
            for (n, f) in self.flows.iter().enumerate() {
                out = out
                    .replace(&format!("{{h:{n}}}"), &f.handle)
                    .replace(&format!("{{k:{n}}}"), &f.key);
            }
            out
        };
        let mut req = Request::builder().method(method).uri(subst(path));
        for t in &toks[3..] {
            if let Some((n, v)) = t.strip_prefix("h:").and_then(|h| h.split_once('=')) {
                req = req.header(n, subst(v));
            }
        }
        let mut body = line
            .split_once(" body=")
            .map(|(_, b)| subst(b))
            .unwrap_or_default()
            .into_bytes();
        if let Some(n) = opt(toks, "pad").and_then(|n| n.parse::<usize>().ok()) {
            body.resize(body.len() + n.min(100_000), b' ');
        }
        if !w.cert_budget(&String::from_utf8_lossy(&body)) {
            return;
        }
        let Ok(req) = req.body(body) else { return };
        let route = Route::of(req.uri().path());
        let method = req.method().clone();
        let a = self.send(w, req).await;
        match (route, a.status.as_u16()) {
            (Route::Start, 201) => {
                let text = line
                    .split_once(" body=")
                    .map(|(_, b)| subst(b))
                    .unwrap_or_default();
                if let Ok(parsed) = serde_json::from_str(text.trim_end()) {
                    check_start(&a, &parsed);
                }
            }
            (Route::Flow, 200) if method == Method::GET => {
                let p: PollFlowResponse =
                    serde_json::from_slice(&a.body).expect("poll answer parses");
                assert!(p.validate().is_ok(), "invalid poll answer {p:?}");
            }
            (Route::Complete, 200) => {
                let o: FlowOutcome = serde_json::from_slice(&a.body).expect("outcome parses");
                assert!(o.validate().is_ok(), "invalid outcome {o:?}");
            }
            (Route::Flow, 204) => assert!(a.body.is_empty()),
            _ => {}
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(script) = std::str::from_utf8(data) else {
        return;
    };
    let w = world();
    w.rt.block_on(async {
        w.reset();
        let mut s = Script::default();
        for line in script.lines().take(48) {
            s.run(w, line).await;
        }
    });
});
