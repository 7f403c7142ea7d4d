//! The RP API error-body parser (`sidkit_client::api`) on hostile bodies: the first two bytes
//! of the input are the HTTP status (big-endian), the rest is the body. It never panics, and:
//!
//! * the status is the response's, whatever the body says; a body that is not problem JSON
//!   gives the status alone (nothing of it is copied);
//! * every text kept from the body is clipped (at most 512 characters plus `…`), has no
//!   control characters, and is what the body said (a prefix of the field without them), in
//!   order, at most 16 `errors[]` entries;
//! * the failure's variant, `code()`, `retryable()` and `status()` follow the status table of
//!   the module (independently re-stated below), for each of the three endpoints;
//!   `user_message()` is one of five fixed sentences, so it never echoes the server;
//! * the backend's answer to such a failure (`FlowError::SmartId`) is a valid contract
//!   problem: `unavailable` (503) exactly when the failure is retryable, `internal` (500)
//!   otherwise, and its `ErrorBody::validate()` accepts it (the contract limits `detail` to
//!   4096 bytes, so a huge upstream body must not make the backend break its own contract).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidkit_backend::FlowError;
use sidkit_client::api::{ApiFailure, ApiProblem, Endpoint};
use sidkit_client::ClientError;

const USER_MESSAGES: [&str; 5] = [
    "Smart-ID cannot be used for this request. Check your Smart-ID app or contact Smart-ID support.",
    "The Smart-ID session has expired. Please start again.",
    "Smart-ID is under maintenance. Please try again later.",
    "Smart-ID is temporarily unavailable. Please try again in a moment.",
    "Smart-ID is not available right now because of a technical problem.",
];

/// `s` as the parser must keep it: control characters dropped, at most 512 characters, `…`
/// when the original had more.
fn clipped(s: &str) -> String {
    let mut out: String = s.chars().filter(|c| !c.is_control()).take(512).collect();
    if s.chars().count() > 512 {
        out.push('…');
    }
    out
}

fn check_text(kept: &str) {
    assert!(
        kept.chars().count() <= 513,
        "not clipped: {} chars",
        kept.chars().count()
    );
    assert!(
        !kept.chars().any(char::is_control),
        "control character kept: {kept:?}"
    );
}

/// The strings of `errors[].<field>` (or `alt` when absent) of a JSON body, in order.
fn error_fields(v: &serde_json::Value, field: &str, alt: Option<&str>) -> Vec<String> {
    let Some(errors) = v.get("errors").and_then(|e| e.as_array()) else {
        return Vec::new();
    };
    errors
        .iter()
        .filter_map(|e| {
            e.get(field)
                .and_then(|x| x.as_str())
                .or_else(|| alt.and_then(|a| e.get(a)).and_then(|x| x.as_str()))
        })
        .take(16)
        .map(clipped)
        .collect()
}

fn expected_code(endpoint: Endpoint, status: u16) -> &'static str {
    match status {
        400 => "api_bad_request",
        401 => "api_unauthorized",
        403 => "api_forbidden",
        404 if endpoint == Endpoint::SessionStatus => "api_session_not_found",
        404 | 471 | 472 => "api_no_suitable_account",
        480 => "api_client_too_old",
        580 => "api_maintenance",
        500..=599 => "api_server_error",
        _ => "api_unexpected_status",
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 {
        return;
    }
    let status = u16::from_be_bytes([data[0], data[1]]);
    let body = &data[2..];

    let p = ApiProblem::from_body(status, body);
    assert_eq!(p.status, status);
    let json = serde_json::from_slice::<sidkit_proto::models::ProblemDetails>(body).is_ok();
    if !json {
        assert_eq!(
            p,
            ApiProblem::status_only(status),
            "a non-problem body was copied"
        );
    } else {
        // The independent reading of the same body (when `serde_json::Value` can hold it:
        // the typed parse skips unknown members without checking their UTF-8 or number range,
        // so the body is read lossily, and a huge number elsewhere ends the comparison).
        let lossy = String::from_utf8_lossy(body);
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(&lossy) {
            let text = |k: &str| v.get(k).and_then(|x| x.as_str()).map(clipped);
            assert_eq!(p.title, text("title"));
            assert_eq!(p.detail, text("detail"));
            assert_eq!(p.codes, error_fields(&v, "code", None));
            assert_eq!(p.params, error_fields(&v, "paramName", Some("pointer")));
        }
    }
    for t in p
        .title
        .iter()
        .chain(&p.detail)
        .chain(&p.codes)
        .chain(&p.params)
    {
        check_text(t);
    }
    assert!(p.codes.len() <= 16 && p.params.len() <= 16);

    for endpoint in [
        Endpoint::CreateSession,
        Endpoint::CertificateByDocumentNumber,
        Endpoint::SessionStatus,
    ] {
        let f = ApiFailure::from_response(endpoint, status, body);
        assert_eq!(f.problem(), Some(&p));
        assert_eq!(f.status(), Some(status));
        assert_eq!(f.code(), expected_code(endpoint, status), "status {status}");
        let retryable = matches!(status, 500..=599 | 408 | 429);
        assert_eq!(f.retryable(), retryable, "status {status}");
        assert!(USER_MESSAGES.contains(&f.user_message()));
        // Account errors are indistinguishable to users.
        if f.code() == "api_no_suitable_account" {
            assert_eq!(f.user_message(), USER_MESSAGES[0]);
        }
        // The server's text appears only in the log form (Display), never in the user message.
        let shown = f.to_string();
        assert!(shown.contains(&format!("HTTP {status}")));

        let e = ClientError::Api(f.clone());
        assert_eq!(e.is_retryable(), retryable);
        assert_eq!(e.code(), f.code());
        let problem = FlowError::SmartId(e).problem();
        let (code, http) = if retryable {
            ("unavailable", 503)
        } else {
            ("internal", 500)
        };
        assert_eq!(problem.code, code);
        assert_eq!(problem.http_status(), http);
        assert_eq!(problem.retryable, retryable);
        assert_eq!(problem.problem_type, format!("urn:sidkit:problem:{code}"));
        if let Err(err) = problem.validate() {
            panic!(
                "the backend's problem for an upstream {status} breaks the contract: {err} \
                 (detail {} bytes)",
                problem.detail.len()
            );
        }
    }
});
