//! Load: 500 concurrent App2App flows over loopback (bounded, loopback only), then 200 in the
//! backend-only mode. Asserts only correctness; prints the latency percentiles, memory per
//! pending flow and (backend-only mode) CPU per flow: a measurement, never a timing assertion.
//! `cargo run -p sidkit-cli --release -- load --flows 500 [--backend-only]` gives optimised
//! figures. One test, so that the runs never hold their connections at the same time. Last, a
//! small run of the QR stream mode (`smartid load --qr-streams N`).

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_flows_in_both_modes() {
    let report = sidkit_cli::load::run(500).await.expect("load run");
    println!("{report}");
    assert_eq!(report.authenticated, 500);
    assert!(
        report.cpu.is_none(),
        "only the backend-only mode measures CPU"
    );

    // The simulator and the backend on runtimes of their own: the CPU figures exist on Linux
    // and the two parts' shares are within the process's.
    let report = sidkit_cli::load::run_backend_only(200)
        .await
        .expect("backend-only load run");
    println!("{report}");
    assert_eq!(report.authenticated, 200);
    if cfg!(target_os = "linux") {
        let cpu = report.cpu.expect("schedstat CPU figures on Linux");
        assert!(cpu.backend > std::time::Duration::ZERO, "{cpu:?}");
        assert!(cpu.simulator > std::time::Duration::ZERO, "{cpu:?}");
        assert!(cpu.backend + cpu.simulator <= cpu.process, "{cpu:?}");
    }

    // QR event streams: 24 asked of an instance that admits 16; the rest are refused with 429
    // and Retry-After; every open stream gets its links, and the streams' status checks reach
    // Smart-ID (the window outlasts one 10 s long poll: each stream's first check, started as
    // it opened, ends inside the window and the next one starts; at least half must be seen
    // so that a late answer at the window's edge does not count as a failure).
    let report = sidkit_cli::load::run_qr_streams(24, 16, std::time::Duration::from_secs(11))
        .await
        .expect("qr stream run");
    println!("{report}");
    assert_eq!(
        (report.opened, report.refused, report.other),
        (16, 8, 0),
        "{report}"
    );
    assert!(report.events >= 16 * 8, "{report}");
    assert!(report.upstream_calls >= 8, "{report}");
    assert!(report.starts > 0);

    // Pending flows on a fresh backend, after as many sessions made on the simulator directly.
    let report = sidkit_cli::load::run_pending(300)
        .await
        .expect("pending run");
    println!("{report}");
    assert!(report.store_bytes_per_pending_flow > 0, "{report}");
    if cfg!(target_os = "linux") {
        assert!(report.rss_per_pending_flow.is_some(), "{report}");
        assert!(report.rss_per_simulator_session.is_some(), "{report}");
    }
}
