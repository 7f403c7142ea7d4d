//! Load: 500 concurrent App2App flows over loopback (bounded, loopback only), then 200 in the
//! backend-only mode. Asserts only correctness; prints the latency percentiles, memory per
//! pending flow and (backend-only mode) CPU per flow: a measurement, never a timing assertion.
//! `cargo run -p sidkit-cli --release -- load --flows 500 [--backend-only]` gives optimised
//! figures. One test, so that the two runs never hold their connections at the same time.

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
}
