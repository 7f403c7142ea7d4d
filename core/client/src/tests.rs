//! Unit tests of the client: HTTP plumbing against one-shot loopback servers.
use super::*;
use sidkit_proto::env::SchemeName;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A one-shot HTTP server on loopback that answers every connection with `response`.
async fn serve(response: impl Into<Vec<u8>>) -> String {
    let response: &'static [u8] = Vec::leak(response.into());
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = l.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf).await;
            let _ = s.write_all(response).await;
            let _ = s.shutdown().await;
        }
    });
    format!("http://{addr}/v3/")
}

fn client(base: &str) -> SmartIdClient {
    let env = Environment::custom("t", base, SchemeName::SmartIdDemo, vec![]).unwrap();
    SmartIdClient::new(ClientConfig::new(env)).unwrap()
}

const SID: &str = "fa20fd1e-e320-4c68-8315-f6a507a0b4a9";

#[tokio::test]
async fn maps_error_statuses_and_bodies() {
    let body = r#"{"type":"about:blank","status":404,"title":"Not Found","detail":"expired"}"#;
    let base = serve(format!(
        "HTTP/1.1 404 Not Found\r\ncontent-type: application/problem+json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    ))
    .await;
    let e = client(&base)
        .session_status(SID, Duration::from_secs(1))
        .await
        .unwrap_err();
    match e {
        ClientError::Api(ApiFailure::SessionNotFound(p)) => {
            assert_eq!(p.detail.as_deref(), Some("expired"))
        }
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn malformed_and_oversized_bodies() {
    let base =
        serve(b"HTTP/1.1 200 OK\r\ncontent-length: 9\r\nconnection: close\r\n\r\n{\"state\":")
            .await;
    let e = client(&base)
        .session_status(SID, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api_malformed_response");
    let base =
        serve(b"HTTP/1.1 200 OK\r\ncontent-length: 99999999\r\nconnection: close\r\n\r\n{").await;
    let e = client(&base)
        .session_status(SID, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(e.to_string().contains("larger than"), "{e}");
}

#[tokio::test]
async fn closed_connection_is_retryable_transport_failure() {
    let base = serve(b"").await;
    let e = client(&base)
        .session_status(SID, Duration::from_secs(1))
        .await
        .unwrap_err();
    assert!(
        matches!(e, ClientError::Api(ApiFailure::Transport { .. })),
        "{e:?}"
    );
    assert!(e.is_retryable());
}

#[tokio::test]
async fn refuses_bad_input_before_sending() {
    let c = client("http://127.0.0.1:9/v3/");
    assert!(c
        .session_status("../etc/passwd", Duration::from_secs(1))
        .await
        .unwrap_err()
        .is_invalid_input());
    assert!(c
        .session_status(SID, Duration::from_millis(500))
        .await
        .unwrap_err()
        .is_invalid_input());
    assert!(c
        .session_status(SID, Duration::from_secs(121))
        .await
        .unwrap_err()
        .is_invalid_input());
}
