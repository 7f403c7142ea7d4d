//! The device-link parser and the pre-launch link check on arbitrary input: they never panic,
//! and an accepted link is exactly the normative concatenation of its parts (spec §4.1), so the
//! parser cannot accept anything a backend would not have built. Also feeds the input to the
//! snapshot reader (snapshots come from app storage and are not trusted).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidkit_app::{DeviceLinkPolicy, FlowSnapshot};
use sidkit_proto::device_link::{parse_device_link, DeviceLinkType, SessionType};

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    let candidates = [
        input.to_owned(),
        format!("https://smart-id.com/device-link?{input}"),
    ];
    let policy = DeviceLinkPolicy::live();
    for link in &candidates {
        if let Ok(p) = parse_device_link(link) {
            let mut rebuilt = format!("{}?deviceLinkType={}", p.device_link_base, p.link_type);
            if let Some(e) = p.elapsed_seconds {
                rebuilt.push_str(&format!("&elapsedSeconds={e}"));
            }
            rebuilt.push_str(&format!(
                "&sessionToken={}&sessionType={}&version=1.0&lang={}",
                p.session_token, p.session_type, p.lang
            ));
            assert_eq!(rebuilt, p.unprotected);
            assert_eq!(format!("{}&authCode={}", p.unprotected, p.auth_code), *link);
            assert_eq!(
                p.elapsed_seconds.is_some(),
                p.link_type == DeviceLinkType::Qr
            );
            assert_eq!(p.auth_code.len(), 43);
        }
        for t in [DeviceLinkType::App2App, DeviceLinkType::Qr] {
            for s in [SessionType::Auth, SessionType::Sign, SessionType::Cert] {
                if let Ok(p) = policy.check(link, t, s) {
                    assert_eq!(p.device_link_base, "https://smart-id.com/device-link");
                    assert_eq!((p.link_type, p.session_type), (t, s));
                }
            }
        }
    }
    if let Ok(s) = FlowSnapshot::decode(input) {
        assert_eq!(FlowSnapshot::decode(&s.encode()).ok(), Some(s));
    }
});
