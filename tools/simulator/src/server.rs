//! The accept loop: plain HTTP/1.1 or HTTPS on one listener, with support for the
//! "dropped connection" fault. An HTTPS simulator also runs a plain-HTTP loop that serves
//! only the OCSP responder.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tower::ServiceExt as _;

use crate::routes::{ocsp_router, router, DropConnection};
use crate::state::SimState;

/// The error a connection's service returns to make hyper close it without a response.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// What a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Listener {
    /// Every route, over HTTPS in HTTPS mode.
    Main,
    /// Only the OCSP responder, over plain HTTP (the second listener of an HTTPS simulator).
    OcspOnly,
}

pub(crate) async fn serve(
    listener: TcpListener,
    state: Arc<SimState>,
    shutdown: watch::Receiver<bool>,
    what: Listener,
) {
    let (app, tls) = match what {
        Listener::OcspOnly => (ocsp_router(state.clone()), None),
        Listener::Main => {
            let tls = match &state.tls {
                Some(t) => match crate::tls::server_config(t.clone()) {
                    Ok(cfg) => Some(tokio_rustls::TlsAcceptor::from(Arc::new(cfg))),
                    Err(_) => return,
                },
                None => None,
            };
            (router(state.clone()), tls)
        }
    };
    let mut stop = shutdown.clone();
    loop {
        let (tcp, _peer) = tokio::select! {
            _ = stop.wait_for(|s| *s) => break,
            r = listener.accept() => match r {
                Ok(x) => x,
                Err(_) => continue,
            },
        };
        let _ = tcp.set_nodelay(true);
        state
            .connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let app = app.clone();
        let tls = tls.clone();
        let mut stop = shutdown.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |req: Request<Incoming>| {
                let app = app.clone();
                async move {
                    let resp = match app.oneshot(req.map(Body::new)).await {
                        Ok(r) => r,
                        Err(never) => match never {},
                    };
                    if resp.extensions().get::<DropConnection>().is_some() {
                        Err(Dropped)
                    } else {
                        Ok(resp)
                    }
                }
            });
            let http = hyper::server::conn::http1::Builder::new();
            match tls {
                Some(acceptor) => {
                    let Ok(stream) = acceptor.accept(tcp).await else {
                        return;
                    };
                    let conn = http.serve_connection(TokioIo::new(stream), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.wait_for(|s| *s) => {}
                    }
                }
                None => {
                    let conn = http.serve_connection(TokioIo::new(tcp), service);
                    tokio::select! {
                        _ = conn => {}
                        _ = stop.wait_for(|s| *s) => {}
                    }
                }
            }
        });
    }
}
