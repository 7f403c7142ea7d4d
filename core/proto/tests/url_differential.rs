//! The strict `https` parser against an independent WHATWG URL parser (the `url` crate, which
//! follows the rules browsers and the platforms' link handling apply): every URL the strict
//! parser accepts must parse there too, to the same host and port, with no path rewritten.
//! The fuzz target `contract_json` found a host (`1.2.3.999` and the like) the two read
//! differently; this runs the comparison on every test run.

use proptest::prelude::*;
use sidkit_proto::url::parse_https;

fn assert_agrees(input: &str) {
    let Ok(ours) = parse_https("u", input) else {
        return;
    };
    let theirs = url::Url::parse(input)
        .unwrap_or_else(|e| panic!("strict parser accepts {input:?}, WHATWG refuses it: {e}"));
    assert_eq!(theirs.scheme(), "https", "{input:?}");
    let host = theirs.host_str().unwrap_or_default();
    let ours_host = ours.host.to_ascii_lowercase();
    if ours_host.starts_with('[') {
        let a: std::net::Ipv6Addr = ours_host[1..ours_host.len() - 1].parse().unwrap();
        let b: std::net::Ipv6Addr = host[1..host.len() - 1].parse().unwrap();
        assert_eq!(a, b, "{input:?}");
    } else {
        assert_eq!(host, ours_host, "{input:?}");
    }
    assert_eq!(theirs.port(), ours.port.filter(|&p| p != 443), "{input:?}");
    let path = if ours.path.is_empty() { "/" } else { ours.path };
    assert_eq!(theirs.path(), path, "{input:?}: path rewritten");
}

#[test]
fn known_divergences_are_refused() {
    for s in [
        "https://1.2.3.999/",
        "https://1.2.3.4.5/",
        "https://a.1/",
        "https://0x7f.1/",
        "https://010.0.0.1/",
        "https://[1]/",
        "https://[:::]/",
        "https://xn--a.example/",
        "https://a.example/x/%2E%2e/y",
    ] {
        assert!(parse_https("u", s).is_err(), "{s}");
        assert_agrees(s);
    }
}

fn host_part() -> impl Strategy<Value = String> {
    prop_oneof![
        "[0-9a-fA-FxX.-]{1,20}",
        "(0|1|01|00|255|256|0x1|0X1f|a|xn--|xn--ls8h|-)(\\.(0|1|01|255|256|0x|a|b-c|xn--a)){0,4}",
        "\\[[0-9a-f:.]{0,20}\\]",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4000, ..ProptestConfig::default() })]

    #[test]
    fn strict_accepts_only_what_whatwg_reads_the_same(
        host in host_part(),
        port in prop::option::of("[0-9]{0,6}"),
        path in "(/(\\.|\\.\\.|%2e|%2E|a|%41|~|x\\.y|;|=|:)){0,4}",
        query in prop::option::of("[a-z=&%0-9]{0,10}"),
    ) {
        let mut s = format!("https://{host}");
        if let Some(p) = port { s.push(':'); s.push_str(&p); }
        s.push_str(&path);
        if let Some(q) = query { s.push('?'); s.push_str(&q); }
        assert_agrees(&s);
    }
}
