//! Serving a router on a TCP listener with the limits a server on the open internet needs:
//! [`serve`] and its [`ServeConfig`].
//!
//! `axum::serve` has no header-read timeout, no idle timeout, no body timeout and no connection
//! cap: a few hundred idle or half-sent connections keep their sockets (and up to ~400 KiB of
//! read buffer each) forever. [`serve`] runs hyper's HTTP/1.1 connection directly, with:
//!
//! * a **header-read timeout** ([`ServeConfig::header_read_timeout`], hyper's own timer): it
//!   runs whenever the connection waits for a request head, so it closes connections that send
//!   nothing, send their headers too slowly (slowloris), or sit idle on keep-alive after a
//!   response;
//! * a **header size cap** ([`ServeConfig::max_header_bytes`]): hyper's read buffer, so a
//!   half-sent request pins at most that much memory; larger heads are answered `431`;
//! * a **request-body timeout** ([`ServeConfig::body_timeout`], tower-http's
//!   `RequestBodyTimeoutLayer`): a body that stops arriving fails the read, which the contract's
//!   router answers `400` as problem+json;
//! * a **connection cap** ([`ServeConfig::max_connections`]): past it, a new connection is closed
//!   at once instead of consuming a file descriptor and a task;
//! * **graceful shutdown**: when `shutdown` resolves, the listener closes, every connection
//!   finishes its in-flight request and closes, and after [`ServeConfig::shutdown_grace`] the
//!   rest are dropped.
//!
//! Long answers are not cut: a completion that waits for Smart-ID and the QR event stream run as
//! long as their handlers decide (the stream ends with its flow).

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ConnectInfo;
use axum::Router;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tower::ServiceExt as _;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The limits of [`serve`]. [`ServeConfig::default`] suits a backend behind a gateway and on its
/// own alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServeConfig {
    /// How long a connection may take to send a request head, counted from when it starts
    /// waiting for one (a new connection, or a keep-alive connection after a response), so it
    /// is also the idle timeout. Default 10 s.
    pub header_read_timeout: Duration,
    /// How long reading a request body may take. Default 10 s.
    pub body_timeout: Duration,
    /// The largest request head (start line and headers), in bytes, at least 8192. Default
    /// 16 KiB.
    pub max_header_bytes: usize,
    /// The most connections served at once; more are closed as they arrive. Default 1024.
    pub max_connections: usize,
    /// How long a graceful shutdown waits for open connections. Default 10 s.
    pub shutdown_grace: Duration,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            header_read_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            max_header_bytes: 16 * 1024,
            max_connections: 1024,
            shutdown_grace: Duration::from_secs(10),
        }
    }
}

/// What a [`serve`] run did, for logs and tests.
#[derive(Debug, Default)]
pub struct ServeStats {
    accepted: AtomicU64,
    refused: AtomicU64,
    open: AtomicU64,
}

impl ServeStats {
    /// Connections served so far.
    pub fn accepted(&self) -> u64 {
        self.accepted.load(Ordering::Relaxed)
    }

    /// Connections closed on arrival because [`ServeConfig::max_connections`] were open.
    pub fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Connections open now.
    pub fn open(&self) -> u64 {
        self.open.load(Ordering::Relaxed)
    }
}

/// Serves `router` on `listener` over HTTP/1.1 with the limits of `config` until `shutdown`
/// resolves, then shuts down gracefully. `stats` (if given) counts the connections.
///
/// `axum::serve` has no header-read timeout, no idle timeout, no body timeout and no connection
/// cap: a few hundred idle or half-sent connections keep their sockets (and up to ~400 KiB of
/// read buffer each) forever. [`serve`] runs hyper's HTTP/1.1 connection directly, with:
///
/// * a **header-read timeout** ([`ServeConfig::header_read_timeout`], hyper's own timer): it
///   runs whenever the connection waits for a request head, so it closes connections that send
///   nothing, send their headers too slowly (slowloris), or sit idle on keep-alive after a
///   response;
/// * a **header size cap** ([`ServeConfig::max_header_bytes`]): hyper's read buffer, so a
///   half-sent request pins at most that much memory; larger heads are answered `431`;
/// * a **request-body timeout** ([`ServeConfig::body_timeout`], tower-http's
///   `RequestBodyTimeoutLayer`): a body that stops arriving fails the read, which the contract's
///   router answers `400` as problem+json;
/// * a **connection cap** ([`ServeConfig::max_connections`]): past it, a new connection is closed
///   at once instead of consuming a file descriptor and a task;
/// * **graceful shutdown**: when `shutdown` resolves, the listener closes, every connection
///   finishes its in-flight request and closes, and after [`ServeConfig::shutdown_grace`] the
///   rest are dropped.
///
/// Long answers are not cut: a completion that waits for Smart-ID and the QR event stream run as
/// long as their handlers decide (the stream ends with its flow).
///
/// ```no_run
/// # async fn run(backend: sidkit_backend::Backend) -> std::io::Result<()> {
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8090").await?;
/// let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
/// // Keep `stop`; `stop.send(())` (e.g. on SIGTERM) shuts the server down gracefully.
/// sidkit_backend::serve(
///     listener,
///     backend.router(),
///     sidkit_backend::ServeConfig::default(),
///     None,
///     async { let _ = stopped.await; },
/// )
/// .await;
/// # drop(stop);
/// # Ok(()) }
/// ```
pub async fn serve<F>(
    listener: TcpListener,
    router: Router,
    config: ServeConfig,
    stats: Option<Arc<ServeStats>>,
    shutdown: F,
) where
    F: Future<Output = ()> + Send,
{
    let stats = stats.unwrap_or_default();
    let app = router.layer(RequestBodyTimeoutLayer::new(config.body_timeout));
    let permits = Arc::new(Semaphore::new(config.max_connections.max(1)));
    let graceful = GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.header_read_timeout)
        .max_buf_size(config.max_header_bytes.max(8192));
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (tcp, peer) = tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => match accepted {
                Ok(x) => x,
                // Out of file descriptors or a connection reset before accept: back off a
                // little rather than spin.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else {
            stats.refused.fetch_add(1, Ordering::Relaxed);
            drop(tcp);
            continue;
        };
        stats.accepted.fetch_add(1, Ordering::Relaxed);
        stats.open.fetch_add(1, Ordering::Relaxed);
        let _ = tcp.set_nodelay(true);
        // The peer's address for admission control (`ConnectInfo`, as axum's own serve
        // provides it).
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
            req.extensions_mut().insert(ConnectInfo(peer));
            app.clone().oneshot(req.map(axum::body::Body::new))
        });
        let conn = http.serve_connection(TokioIo::new(tcp), service);
        let conn = graceful.watch(conn);
        let stats = stats.clone();
        tokio::spawn(async move {
            let _ = conn.await;
            stats.open.fetch_sub(1, Ordering::Relaxed);
            drop(permit);
        });
    }
    drop(listener);
    tokio::select! {
        _ = graceful.shutdown() => {}
        _ = tokio::time::sleep(config.shutdown_grace) => {}
    }
}
