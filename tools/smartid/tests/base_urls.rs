//! Issue 16 item 8: the contract base URL of the phone's transport is parsed, not
//! prefix-matched, so `http://localhost:1@evil.example/` is not "plain http on loopback".

use sidkit_cli::http_transport::{HttpTransport, HttpTransportConfig};

#[test]
fn plain_http_needs_a_parsed_loopback_host_and_no_user_info() {
    for bad in [
        "http://localhost:1@evil.example/",
        "http://localhost@evil.example/",
        "http://127.0.0.1:8090@evil.example/",
        "http://[::1]@evil.example/",
        "http://localhost.evil.example/",
        "http://127.0.0.1.nip.io/",
        "https://user:pw@backend.example.com/",
        "http://127.0.0.1:8090/?x=1",
        "http://127.0.0.1:8090/#f",
        "http:/127.0.0.1/",
        "ftp://127.0.0.1/",
    ] {
        assert!(
            HttpTransport::new(HttpTransportConfig::new(bad)).is_err(),
            "{bad}"
        );
    }
    for good in [
        "http://127.0.0.1:8090/",
        "http://localhost:8090",
        "http://[::1]:8090/api/",
    ] {
        HttpTransport::new(HttpTransportConfig::new(good)).expect(good);
    }
}
