//! `sidkit_backend::serve` against hostile connections on loopback: idle sockets, half-sent
//! headers (slowloris), idle keep-alive, stalled bodies, oversized heads, more connections than
//! the cap, and a graceful shutdown with a request in flight. Every bound is a generous multiple
//! of the configured timeout (a correctness check, not a timing measurement).

use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use sidkit_backend::{serve, ServeConfig, ServeStats};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

const TIMEOUT: Duration = Duration::from_millis(300);

struct Running {
    addr: std::net::SocketAddr,
    stats: Arc<ServeStats>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

async fn start(max_connections: usize) -> Running {
    let router = Router::new()
        .route("/ok", get(|| async { "ok" }))
        .route(
            "/slow",
            get(|| async {
                tokio::time::sleep(Duration::from_millis(400)).await;
                "slow"
            }),
        )
        .route("/echo", post(|body: String| async move { body }));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = ServeConfig {
        header_read_timeout: TIMEOUT,
        body_timeout: TIMEOUT,
        max_header_bytes: 8192,
        max_connections,
        shutdown_grace: Duration::from_secs(5),
    };
    let stats = Arc::new(ServeStats::default());
    let (stop, stopped) = oneshot::channel::<()>();
    let s = stats.clone();
    let task = tokio::spawn(async move {
        serve(listener, router, config, Some(s), async {
            let _ = stopped.await;
        })
        .await
    });
    Running {
        addr,
        stats,
        stop: Some(stop),
        task,
    }
}

/// Reads until the server closes the connection (or `within` passes: then `None`).
async fn closed_within(c: &mut TcpStream, within: Duration) -> Option<Vec<u8>> {
    let mut got = Vec::new();
    let read = async {
        let mut buf = [0u8; 4096];
        loop {
            match c.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(within, read).await.ok().map(|_| got)
}

async fn get_ok(addr: std::net::SocketAddr) -> String {
    let mut c = TcpStream::connect(addr).await.unwrap();
    c.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let got = closed_within(&mut c, Duration::from_secs(5))
        .await
        .expect("answered");
    String::from_utf8_lossy(&got).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn silent_half_sent_and_idle_keep_alive_connections_are_closed() {
    let s = start(64).await;
    // A connection that sends nothing.
    let mut silent = TcpStream::connect(s.addr).await.unwrap();
    // Slowloris: a request head that never ends.
    let mut half = TcpStream::connect(s.addr).await.unwrap();
    half.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    // Keep-alive: one request answered, then idle.
    let mut idle = TcpStream::connect(s.addr).await.unwrap();
    idle.write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut buf = [0u8; 1024];
    let n = idle.read(&mut buf).await.unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 200"));
    for (name, c) in [
        ("silent", &mut silent),
        ("half-sent", &mut half),
        ("idle keep-alive", &mut idle),
    ] {
        assert!(
            closed_within(c, TIMEOUT * 10).await.is_some(),
            "the {name} connection was not closed"
        );
    }
    // The server still answers.
    assert!(get_ok(s.addr).await.starts_with("HTTP/1.1 200"));
    drop(s.stop);
    let _ = s.task.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stalled_body_and_an_oversized_head_are_refused() {
    let s = start(64).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(
        b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100\r\n\r\nonly ten b",
    )
    .await
    .unwrap();
    let got = closed_within(&mut c, TIMEOUT * 10)
        .await
        .expect("a stalled body ends the request");
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.is_empty() || !text.starts_with("HTTP/1.1 200"),
        "{text}"
    );
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    let big = format!(
        "GET /ok HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(20_000)
    );
    let _ = c.write_all(big.as_bytes()).await;
    let got = closed_within(&mut c, Duration::from_secs(5))
        .await
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&got);
    assert!(
        text.is_empty() || text.starts_with("HTTP/1.1 431"),
        "{text}"
    );
    drop(s.stop);
    let _ = s.task.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_past_the_cap_are_closed_until_the_idle_ones_time_out() {
    let s = start(8).await;
    let mut held = Vec::new();
    for _ in 0..8 {
        held.push(TcpStream::connect(s.addr).await.unwrap());
    }
    // Let the server accept them all.
    for _ in 0..50 {
        if s.stats.open() == 8 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(s.stats.open(), 8);
    // The ninth is closed at once, without an answer.
    let mut extra = TcpStream::connect(s.addr).await.unwrap();
    let _ = extra
        .write_all(b"GET /ok HTTP/1.1\r\nHost: x\r\n\r\n")
        .await;
    let got = closed_within(&mut extra, Duration::from_secs(2))
        .await
        .expect("closed at once");
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(s.stats.refused() >= 1);
    // The idle ones time out, and the server serves again.
    for c in &mut held {
        assert!(closed_within(c, TIMEOUT * 10).await.is_some());
    }
    for _ in 0..50 {
        if s.stats.open() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(get_ok(s.addr).await.starts_with("HTTP/1.1 200"));
    drop(s.stop);
    let _ = s.task.await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_graceful_shutdown_finishes_the_request_in_flight() {
    let mut s = start(64).await;
    let mut c = TcpStream::connect(s.addr).await.unwrap();
    c.write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let _ = s.stop.take().unwrap().send(());
    let got = closed_within(&mut c, Duration::from_secs(5))
        .await
        .expect("closed after the answer");
    let text = String::from_utf8_lossy(&got);
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(text.ends_with("slow"), "{text}");
    tokio::time::timeout(Duration::from_secs(5), s.task)
        .await
        .expect("serve returned")
        .unwrap();
    assert!(TcpStream::connect(s.addr).await.is_err());
}
