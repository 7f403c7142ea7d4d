//! A bounded slowloris run against the reference backend (`smartid serve`'s stack) on loopback:
//! hundreds of connections that send nothing or only part of a request head. The server keeps
//! answering real flows meanwhile, and closes every one of those connections within its
//! header-read timeout. Prints the counts (a measurement; the bounds are generous multiples).

mod common;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use common::*;
use sidkit_backend::ServeConfig;
use sidkit_cli::reference::Stack;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const IDLE: usize = 300;
const HALF_SENT: usize = 300;
const HEADER_TIMEOUT: Duration = Duration::from_secs(1);

/// Waits until the server closes `c`; the time it took, or `None` after `within`.
async fn closed(mut c: TcpStream, within: Duration) -> Option<Duration> {
    let t0 = Instant::now();
    let mut buf = [0u8; 512];
    let read = async {
        loop {
            match c.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, read)
        .await
        .ok()
        .map(|_| t0.elapsed())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_and_half_sent_connections_neither_take_the_server_offline_nor_stay_open() {
    let sim = std::sync::Arc::new(
        sidkit_cli::reference::start_simulator(0)
            .await
            .expect("simulator"),
    );
    let config = ServeConfig {
        header_read_timeout: HEADER_TIMEOUT,
        max_connections: 2 * (IDLE + HALF_SENT),
        ..ServeConfig::default()
    };
    let stack = Stack::on_with(sim, 0, None, config).await.expect("stack");
    let addr: SocketAddr = stack.server.addr;
    let mut attackers = Vec::new();
    for i in 0..IDLE + HALF_SENT {
        let mut c = TcpStream::connect(addr).await.expect("connect");
        if i >= IDLE {
            c.write_all(b"POST /flows HTTP/1.1\r\nHost: x\r\nContent-Type: application/js")
                .await
                .unwrap();
        }
        attackers.push(c);
    }
    // A real user meanwhile: a whole App2App authentication.
    let phone = phone(&stack, "PNOEE-40404040009-MOCK-Q");
    authenticate(&phone, "a flow completes during the attack").await;
    // Every attacking connection is closed by the server, within its timeout (plus slack).
    let mut set = tokio::task::JoinSet::new();
    for c in attackers {
        set.spawn(closed(c, HEADER_TIMEOUT * 10));
    }
    let waits = set.join_all().await;
    let open = waits.iter().filter(|w| w.is_none()).count();
    let slowest = waits.iter().flatten().max().copied().unwrap_or_default();
    println!(
        "slowloris: {IDLE} idle + {HALF_SENT} half-sent connections, {} closed by the server (slowest after {:?}), {open} left open; server accepted {}, refused {}",
        waits.len() - open,
        slowest,
        stack.server.stats.accepted(),
        stack.server.stats.refused()
    );
    assert_eq!(open, 0, "connections the server did not close");
    for _ in 0..100 {
        if stack.server.stats.open() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(stack.server.stats.open(), 0);
    // And it still serves.
    authenticate(&phone, "serves after the attack").await;
}
