//! Load: 500 concurrent App2App flows over loopback (bounded, loopback only). Asserts only
//! correctness; prints the latency percentiles and memory per pending flow (a measurement,
//! never a timing assertion). `cargo run -p sidkit-cli --release -- load --flows 500` gives
//! optimised figures.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_concurrent_flows() {
    let report = sidkit_cli::load::run(500).await.expect("load run");
    println!("{report}");
    assert_eq!(report.authenticated, 500);
}
