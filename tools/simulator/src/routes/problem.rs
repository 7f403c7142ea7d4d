//! Error and JSON responses: RFC 9457 `application/problem+json` bodies (with the `errors`
//! list of `code` / `paramName`), the common ones (`400` for an invalid value, `404` for no
//! suitable account), and plain JSON answers.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{json, Value};
use sidkit_proto::ProtoError;

/// An error response (boxed: responses are large).
pub(super) type Rejection = Box<Response>;

fn title(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        413 => "Content Too Large",
        415 => "Unsupported Media Type",
        471 => "No suitable account of requested type found",
        472 => "Person should view Smart-ID app or Smart-ID self-service portal now",
        480 => "Client too old",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        580 => "System under maintenance",
        _ => "Error",
    }
}

/// An RFC 9457 problem response.
pub(super) fn problem(
    status: u16,
    detail: impl Into<String>,
    code: Option<&str>,
    param: Option<&str>,
) -> Response {
    let mut body = json!({
        "type": "about:blank",
        "status": status,
        "title": title(status),
        "detail": detail.into(),
    });
    if code.is_some() || param.is_some() {
        let mut e = serde_json::Map::new();
        if let Some(c) = code {
            e.insert("code".into(), c.into());
        }
        if let Some(p) = param {
            e.insert("paramName".into(), p.into());
        }
        body["errors"] = Value::Array(vec![Value::Object(e)]);
    }
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "application/problem+json")],
        body.to_string(),
    )
        .into_response()
}

pub(super) fn bad_request(e: &ProtoError) -> Response {
    match e {
        ProtoError::InvalidInput { field, reason } => {
            problem(400, format!("Invalid {field}: {reason}"), None, Some(field))
        }
    }
}

pub(super) fn no_account() -> Response {
    problem(
        404,
        "No suitable account found",
        Some("NO_SUITABLE_ACCOUNT_FOUND"),
        None,
    )
}

pub(super) fn json_response(status: u16, value: &impl Serialize) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    match serde_json::to_string(value) {
        Ok(s) => (status, [(header::CONTENT_TYPE, "application/json")], s).into_response(),
        Err(e) => problem(500, format!("serialisation failed: {e}"), None, None),
    }
}
