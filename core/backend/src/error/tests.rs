//! Every FlowError variant against the problem it is answered with (code, status, detail,
//! retryability), pinned byte for byte.
use super::*;
use sidkit_client::api::TransportKind;
use sidkit_client::ApiFailure;
use sidkit_proto::session_end::EndResult;
use sidkit_proto::SessionEnded;
use sidkit_verify::VerificationFailure;

fn ended(end_result: EndResult) -> SessionEnded {
    SessionEnded {
        end_result,
        interaction: None,
    }
}

/// Which variant `e` is; exhaustive, so a new variant must be added to [`cases`].
fn variant(e: &FlowError) -> usize {
    match e {
        FlowError::Invalid(_) => 0,
        FlowError::BadRequest { .. } => 1,
        FlowError::NotFound => 2,
        FlowError::Cancelled => 3,
        FlowError::Expired => 4,
        FlowError::CallbackRejected(_) => 5,
        FlowError::CompletedWithAnotherUrl => 6,
        FlowError::CompletingWithAnotherUrl => 7,
        FlowError::IdempotencyConflict => 8,
        FlowError::EarlierStartExpired => 9,
        FlowError::StartInProgress => 10,
        FlowError::CompletionInProgress => 11,
        FlowError::LinkedSignaturePending => 12,
        FlowError::Contended => 13,
        FlowError::VerificationFailed(_) => 14,
        FlowError::SmartId(_) => 15,
        FlowError::Store(_) => 16,
        FlowError::Policy(_) => 17,
        FlowError::Recorded(_) => 18,
        FlowError::Internal(_) => 19,
        FlowError::ContractVersion => 20,
        FlowError::FlowFinished => 21,
        FlowError::MethodNotAllowed => 22,
        FlowError::PayloadTooLarge { .. } => 23,
        FlowError::UnsupportedMediaType => 24,
        FlowError::RateLimited { .. } => 25,
    }
}
const VARIANTS: usize = 26;

/// Status and retryability of every contract code, as the backend answered before
/// `FlowError` (`ErrorBody::new`).
const STATUS: [(&str, u16, bool); 14] = [
    ("bad_request", 400, false),
    ("flow_not_found", 404, false),
    ("flow_expired", 410, false),
    ("callback_rejected", 403, false),
    ("verification_failed", 403, false),
    ("rate_limited", 429, true),
    ("unavailable", 503, true),
    ("internal", 500, false),
    ("idempotency_conflict", 409, false),
    ("contract_version", 400, false),
    ("flow_finished", 409, false),
    ("method_not_allowed", 405, false),
    ("payload_too_large", 413, false),
    ("unsupported_media_type", 415, false),
];

/// Every variant (and every branch of the RP API decision) with the `code` and `detail`
/// of its problem, as the backend answered before `FlowError`.
fn cases() -> Vec<(FlowError, &'static str, String)> {
    let refused = ClientError::SessionEnded(ended(EndResult::UserRefused));
    let server_error = ClientError::SessionEnded(ended(EndResult::ServerError));
    let transport = ClientError::Api(ApiFailure::Transport {
        kind: TransportKind::Connect,
        message: "connection refused".into(),
    });
    let deadline = ClientError::Api(ApiFailure::DeadlineExceeded);
    let verify = VerifyError::Verification(VerificationFailure::NotComplete);
    let verify_ended = VerifyError::SessionEnded(ended(EndResult::Timeout));
    let unavailable = |e: &ClientError| format!("Smart-ID is unavailable: {e}");
    let failed = |e: &ClientError| format!("Smart-ID call failed: {e}");
    let s = |t: &str| t.to_owned();
    use FlowError as E;
    vec![
        (
            E::Invalid(ProtoError::invalid("flowHandle", "must start with fh_")),
            "bad_request",
            s("invalid flowHandle: must start with fh_"),
        ),
        (
            E::BadRequest {
                detail: s("the body's flowHandle differs"),
            },
            "bad_request",
            s("the body's flowHandle differs"),
        ),
        (E::NotFound, "flow_not_found", s("no flow has this handle")),
        (E::Cancelled, "flow_not_found", s("the flow was cancelled")),
        (E::Expired, "flow_expired", s("the flow expired")),
        (
            E::CallbackRejected(CallbackFailure::TokenMismatch),
            "callback_rejected",
            s("token binding failed: `value` does not belong to this session"),
        ),
        (
            E::CompletedWithAnotherUrl,
            "callback_rejected",
            s("the flow was already completed with another return URL"),
        ),
        (
            E::CompletingWithAnotherUrl,
            "callback_rejected",
            s("the flow is being completed with another return URL"),
        ),
        (
            E::IdempotencyConflict,
            "idempotency_conflict",
            s("this Idempotency-Key was used for a different flow"),
        ),
        (
            E::RateLimited {
                retry_after_secs: 3,
            },
            "rate_limited",
            s("too many flows started; retry in 3 s"),
        ),
        (
            E::ContractVersion,
            "contract_version",
            s("this backend speaks sidkit contract 2: the start request needs flowKeyChallenge"),
        ),
        (
            E::FlowFinished,
            "flow_finished",
            s("the Smart-ID session already ended: complete or poll the flow"),
        ),
        (
            E::MethodNotAllowed,
            "method_not_allowed",
            s("this method is not allowed here"),
        ),
        (
            E::PayloadTooLarge { limit: 65536 },
            "payload_too_large",
            s("the request body is larger than 65536 bytes"),
        ),
        (
            E::UnsupportedMediaType,
            "unsupported_media_type",
            s("Content-Type must be application/json"),
        ),
        (
            E::EarlierStartExpired,
            "unavailable",
            s("the earlier start with this key just expired; retry"),
        ),
        (
            E::StartInProgress,
            "unavailable",
            s("a start with this Idempotency-Key is in progress; retry"),
        ),
        (
            E::CompletionInProgress,
            "unavailable",
            s("the completion is still being verified; retry"),
        ),
        (
            E::LinkedSignaturePending,
            "unavailable",
            s("the linked signature is not recorded yet; retry"),
        ),
        (
            E::Contended,
            "unavailable",
            s("the flow is changing too often; retry"),
        ),
        (
            E::VerificationFailed(verify.clone()),
            "verification_failed",
            verify.to_string(),
        ),
        (
            E::VerificationFailed(VerifyError::invalid("documentNumber", "is empty")),
            "verification_failed",
            s("invalid documentNumber: is empty"),
        ),
        (
            E::VerificationFailed(verify_ended.clone()),
            "verification_failed",
            verify_ended.to_string(),
        ),
        (
            E::SmartId(server_error.clone()),
            "unavailable",
            unavailable(&server_error),
        ),
        (
            E::SmartId(transport.clone()),
            "unavailable",
            unavailable(&transport),
        ),
        (
            E::SmartId(ClientError::invalid("relyingPartyName", "is empty")),
            "bad_request",
            s("invalid relyingPartyName: is empty"),
        ),
        (E::SmartId(refused.clone()), "internal", failed(&refused)),
        (E::SmartId(deadline.clone()), "internal", failed(&deadline)),
        (
            E::Store(StoreError::new("connection reset")),
            "unavailable",
            s("session store failed: connection reset"),
        ),
        (
            E::Policy(ErrorBody::new("bad_request", "no signer for this context")),
            "bad_request",
            s("no signer for this context"),
        ),
        (
            E::Recorded(ErrorBody::new(
                "verification_failed",
                "verification failed: x",
            )),
            "verification_failed",
            s("verification failed: x"),
        ),
        (
            E::internal("corrupt store entry: EOF"),
            "internal",
            s("corrupt store entry: EOF"),
        ),
    ]
}

#[test]
fn every_variant_maps_to_its_problem() {
    let cases = cases();
    let mut seen = [false; VARIANTS];
    for (e, code, detail) in cases {
        let (_, status, retryable) = STATUS
            .into_iter()
            .find(|(c, ..)| *c == code)
            .expect("a contract code");
        seen[variant(&e)] = true;
        let p = e.problem();
        assert_eq!(e.code(), code, "{e:?}");
        assert_eq!(p.code, code, "{e:?}");
        assert_eq!(p.status, Some(status), "{e:?}");
        assert_eq!(p.http_status(), status, "{e:?}");
        assert_eq!(p.retryable, retryable, "{e:?}");
        assert_eq!(p.detail, detail, "{e:?}");
        assert_eq!(e.to_string(), detail, "{e:?}");
        assert_eq!(
            p.problem_type,
            format!("urn:sidkit:problem:{code}"),
            "{e:?}"
        );
        assert_eq!(p.title, codes::describe(code).1, "{e:?}");
        // The same as the helpers built before FlowError: ErrorBody::new(code, detail).
        assert_eq!(p, ErrorBody::new(code, detail), "{e:?}");
        assert_eq!(Problem::from(e.clone()), p, "{e:?}");
        assert!(p.validate().is_ok(), "{e:?}");
    }
    assert!(seen.iter().all(|s| *s), "a variant has no case: {seen:?}");
}

#[test]
fn only_contract_codes_except_the_passed_through_problems() {
    for (e, ..) in cases() {
        if !matches!(e, FlowError::Policy(_) | FlowError::Recorded(_)) {
            assert!(codes::ALL.contains(&e.code()), "{e:?}");
        }
    }
}

#[test]
fn policy_and_recorded_problems_pass_through_unchanged() {
    let own = ErrorBody {
        problem_type: "https://rp.example/problems/kyc".into(),
        title: "KYC required".into(),
        status: Some(451),
        code: "kyc_required".into(),
        detail: "the user must finish KYC first".into(),
        retryable: false,
    };
    for e in [
        FlowError::Policy(own.clone()),
        FlowError::Recorded(own.clone()),
    ] {
        assert_eq!(e.code(), "kyc_required");
        assert_eq!(e.to_string(), "the user must finish KYC first");
        assert_eq!(e.problem(), own);
        assert_eq!(Problem::from(e), own);
    }
}

#[test]
fn problem_json_is_pinned() {
    let json = serde_json::to_string(&Problem::from(FlowError::NotFound)).unwrap();
    assert_eq!(
        json,
        r#"{"type":"urn:sidkit:problem:flow_not_found","title":"Flow not found","status":404,"code":"flow_not_found","detail":"no flow has this handle","retryable":false}"#
    );
    let json = serde_json::to_string(&Problem::from(FlowError::Store(StoreError::new(
        "redis down",
    ))))
    .unwrap();
    assert_eq!(
        json,
        r#"{"type":"urn:sidkit:problem:unavailable","title":"Service unavailable","status":503,"code":"unavailable","detail":"session store failed: redis down","retryable":true}"#
    );
}

#[test]
fn conversions_keep_the_cause() {
    let e = StoreError::new("x");
    assert_eq!(FlowError::from(e.clone()), FlowError::Store(e));
    let c = ClientError::Api(ApiFailure::Cancelled);
    assert_eq!(FlowError::from(c.clone()), FlowError::SmartId(c));
}

/// Found by the `api_error_body` fuzz target: the contract limits a problem's `detail` to 4096
/// bytes (`ErrorBody::validate`, `docs/openapi.yaml`), and the app drops a problem body that
/// breaks it. An upstream error body with many long field errors (the RP API client keeps 16 of
/// up to 512 characters each), or a long refused field echoed in the detail, must still give
/// a valid problem, clipped on a character boundary.
#[test]
fn long_details_are_clipped_to_the_contract_limit() {
    let errors: Vec<String> = (0..16)
        .map(|i| format!(r#"{{"code":"{}","paramName":"é{}"}}"#, "C".repeat(512), i))
        .collect();
    let body = format!(
        r#"{{"title":"Bad Request","errors":[{}]}}"#,
        errors.join(",")
    );
    let api = ApiFailure::from_response(
        sidkit_client::api::Endpoint::CreateSession,
        400,
        body.as_bytes(),
    );
    let long_lang = ProtoError::invalid("lang", format!("got `{}`", "é".repeat(5000)));
    for e in [
        FlowError::SmartId(ClientError::Api(api)),
        FlowError::Invalid(long_lang),
    ] {
        let full = e.to_string();
        assert!(full.len() > 4096);
        let p = e.problem();
        assert!(p.validate().is_ok(), "{} bytes", p.detail.len());
        assert!(p.detail.len() <= 4096);
        let kept = p.detail.strip_suffix('…').expect("marked as clipped");
        assert!(full.starts_with(kept));
        assert_eq!(Problem::from(e), p);
    }
    // Short details are kept as they are.
    assert_eq!(
        FlowError::NotFound.problem().detail,
        "no flow has this handle"
    );
}
