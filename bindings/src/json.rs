//! JSON encoding of the app ↔ backend contract, for transports that speak HTTP + JSON.
//!
//! Encoders never fail. Decoders check everything the contract requires and fail with
//! the `Flow` error with kind `BadResponse`. The JSON itself is read and written by the small
//! hand-written codec `sidkit_contract::codec` (feature `codec`; not serde: see there why, and
//! how it is kept equal to the backend's serde encoding).

use sidkit_contract as c;
use sidkit_contract::codec;

use crate::error::{FlowErrorKind, SidkitError};
use crate::types::{
    CompleteFlowRequest, FlowOutcome, PollFlowResponse, StartFlowRequest, StartFlowResponse,
};

/// Longest JSON document the decoders accept.
const MAX_JSON_LEN: usize = 256 * 1024;

fn decode<T>(
    what: &str,
    json: &str,
    read: fn(&str) -> Result<T, String>,
) -> Result<T, SidkitError> {
    let bad = |reason: String| SidkitError::Flow {
        kind: FlowErrorKind::BadResponse,
        reason,
    };
    if json.len() > MAX_JSON_LEN {
        return Err(bad(format!("{what} is longer than {MAX_JSON_LEN} bytes")));
    }
    read(json).map_err(|e| bad(format!("{what} is not valid contract JSON: {e}")))
}

fn checked<T>(r: sidkit_proto::Result<()>, v: T) -> Result<T, SidkitError> {
    r.map_err(|e| SidkitError::Flow {
        kind: FlowErrorKind::BadResponse,
        reason: e.to_string(),
    })?;
    Ok(v)
}

/// The JSON body of `POST /flows`.
#[uniffi::export]
pub fn start_flow_request_to_json(request: StartFlowRequest) -> String {
    codec::encode_start_flow_request(&c::StartFlowRequest::from(request))
}

/// Reads the `201` body of `POST /flows`.
#[uniffi::export]
pub fn start_flow_response_from_json(json: String) -> Result<StartFlowResponse, SidkitError> {
    let r = decode(
        "start-flow response",
        &json,
        codec::decode_start_flow_response,
    )?;
    checked(r.validate(), r.into())
}

/// The JSON body of `POST /flows/{flowHandle}/complete`.
#[uniffi::export]
pub fn complete_flow_request_to_json(request: CompleteFlowRequest) -> String {
    codec::encode_complete_flow_request(&c::CompleteFlowRequest::from(request))
}

/// Reads the `200` body of `POST /flows/{flowHandle}/complete`.
#[uniffi::export]
pub fn flow_outcome_from_json(json: String) -> Result<FlowOutcome, SidkitError> {
    let o = decode("flow outcome", &json, codec::decode_flow_outcome)?;
    checked(o.validate(), o.into())
}

/// Reads the `200` body of `GET /flows/{flowHandle}`.
#[uniffi::export]
pub fn poll_flow_response_from_json(json: String) -> Result<PollFlowResponse, SidkitError> {
    let r = decode("poll response", &json, codec::decode_poll_flow_response)?;
    checked(r.validate(), r.into())
}

/// The error to throw from a transport for an error response of the backend: the contract's
/// RFC 9457 problem body (`application/problem+json`: `{"type", "title", "status", "detail",
/// "code", "retryable"}`; a legacy `message` is read as `detail`) becomes the `Backend` variant of
/// this library's error type. A body that is not a contract error still gives a `Backend` error, coded `http_<status>`, retryable for 429,
/// 502, 503 and 504.
#[uniffi::export]
pub fn backend_error_from_json(http_status: u16, json: String) -> SidkitError {
    let parsed = decode("error body", &json, codec::decode_error_body)
        .ok()
        .filter(|b| b.validate().is_ok());
    match parsed {
        Some(b) => SidkitError::Backend {
            http_status,
            backend_code: b.code,
            reason: b.detail,
            retryable: b.retryable,
        },
        None => SidkitError::Backend {
            http_status,
            backend_code: format!("http_{http_status}"),
            reason: "the backend's error body is not a contract error".to_owned(),
            retryable: matches!(http_status, 429 | 502 | 503 | 504),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::{FailureReason, FlowKind, Presentation};

    #[test]
    fn round_trips_and_rejections() {
        let req = StartFlowRequest {
            kind: FlowKind::Signature,
            presentation: Presentation::Qr,
            lang: "est".into(),
            context: Some("doc-17".into()),
            idempotency_key: "k0123456789abcdef".into(),
            flow_key_challenge: "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0".into(),
        };
        assert_eq!(
            start_flow_request_to_json(req),
            r#"{"kind":"signature","presentation":"qr","lang":"est","context":"doc-17","idempotencyKey":"k0123456789abcdef","flowKeyChallenge":"Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"}"#
        );
        // A finished poll after the outcome was delivered: the kind only.
        assert_eq!(
            poll_flow_response_from_json(r#"{"status":"finished","result":"signed"}"#.into())
                .unwrap(),
            PollFlowResponse::Finished {
                result: crate::types::OutcomeKind::Signed,
                outcome: None
            }
        );
        // Contract 1's finished shape (no result) is not read.
        assert!(poll_flow_response_from_json(
            r#"{"status":"finished","outcome":{"result":"failed","endResult":"TIMEOUT"}}"#.into()
        )
        .is_err());
        crate::check_contract_version(Some("2".into())).unwrap();
        for bad in [None, Some("1".to_owned()), Some("x".to_owned())] {
            assert_eq!(
                crate::check_contract_version(bad).unwrap_err().code(),
                "contract_version"
            );
        }
        let o =
            flow_outcome_from_json(r#"{"result":"failed","endResult":"TIMEOUT"}"#.into()).unwrap();
        assert_eq!(
            o,
            FlowOutcome::Failed {
                reason: FailureReason::Timeout,
                interaction: None
            }
        );
        for bad in [
            "",
            "{}",
            r#"{"result":"failed","endResult":"OK"}"#,
            r#"{"result":"won"}"#,
        ] {
            let e = flow_outcome_from_json(bad.into()).unwrap_err();
            assert_eq!(e.code(), "flow_bad_response", "{bad}");
        }
        let e = start_flow_response_from_json(
            r#"{"flowHandle":"fa20fd1e-e320-4c68-8315-f6a507a0b4a9","sessionType":"auth","deviceLink":"x","expiresInMs":1}"#.into(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "flow_bad_response");
        assert!(poll_flow_response_from_json(r#"{"status":"pending"}"#.into()).is_ok());
        let e = backend_error_from_json(
            403,
            r#"{"code":"callback_rejected","message":"digest mismatch","retryable":false}"#.into(),
        );
        assert_eq!(
            e,
            SidkitError::Backend {
                http_status: 403,
                backend_code: "callback_rejected".into(),
                reason: "digest mismatch".into(),
                retryable: false
            }
        );
        let e = backend_error_from_json(
            403,
            r#"{"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,"detail":"forged token","code":"callback_rejected","retryable":false}"#.into(),
        );
        assert_eq!(
            e,
            SidkitError::Backend {
                http_status: 403,
                backend_code: "callback_rejected".into(),
                reason: "forged token".into(),
                retryable: false
            }
        );
        let e = backend_error_from_json(503, "<html>".into());
        assert!(e.is_retryable());
        assert!(!backend_error_from_json(500, "<html>".into()).is_retryable());
    }

    #[test]
    fn the_contract_rules_still_apply_after_decoding() {
        let ok = r#"{"flowHandle":"fh_0123456789abcdef","sessionType":"auth","deviceLink":"https://x","expiresInMs":1000}"#;
        assert!(start_flow_response_from_json(ok.into()).is_ok());
        for bad in [
            ok.replace("1000", "0"),
            ok.replace("1000", "1800001"),
            ok.replace("fh_0123456789abcdef", "short"),
            ok.replace("https://x", ""),
            format!("{}{}", ok, " ".repeat(256 * 1024)),
        ] {
            let e = start_flow_response_from_json(bad.clone()).unwrap_err();
            assert_eq!(
                e.code(),
                "flow_bad_response",
                "{}",
                &bad[..bad.len().min(300)]
            );
        }
        for bad in [
            r#"{"status":"finished","result":"signed","outcome":{"result":"failed","endResult":"TIMEOUT"}}"#,
            r#"{"status":"finished","result":"failed"}"#,
            r#"{"status":"pending","deviceLink":""}"#,
        ] {
            let e = poll_flow_response_from_json(bad.into()).unwrap_err();
            assert_eq!(e.code(), "flow_bad_response", "{bad}");
        }
        let who = r#"{"result":"authenticated","identity":{"givenName":"Õie-Mai","surname":"O'Brien","identifier":"PNOEE-40404040009","country":"EE","documentNumber":"PNOEE-40404040009-MOCK-Q","certificateLevel":"QUALIFIED","dateOfBirth":"1904-04-04"}}"#;
        assert!(flow_outcome_from_json(who.into()).is_ok());
        let e = flow_outcome_from_json(who.replace("\"EE\"", "\"ee\"")).unwrap_err();
        assert_eq!(e.code(), "flow_bad_response");
        // An error body that breaks a rule is not a contract error.
        let e = backend_error_from_json(400, r#"{"code":"x","status":200}"#.into());
        assert!(
            matches!(e, crate::SidkitError::Backend { ref backend_code, .. } if backend_code == "http_400")
        );
    }
}
