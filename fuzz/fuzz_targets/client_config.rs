//! The RP API client's configuration readers on arbitrary input: `ClientConfig::from_json`
//! (the whole input, with and without a base directory), `ClientConfig::from_env_with` (the
//! input's lines as `NAME=VALUE` variables; a one-letter `NAME` `a`..`k` stands for the
//! `SIDKIT_*` variable of that index in `VARS`, so the fuzzer need not guess the names) and
//! `check_base_url` (the input and every value). They never panic, and:
//!
//! * every base URL a reader accepts is `https://`, or `http://` to a loopback host
//!   (`localhost`, `127.0.0.0/8`, `[::1]`), with no user info, query or fragment, ending in
//!   `/`; once `validate()` accepts the configuration, the URL parser reqwest connects with
//!   (crate `url`) reads it the same way;
//! * `check_base_url` accepts a URL only if the strict parser and the `url` crate agree on its
//!   scheme, host and port (the host the strict parser checked is the one connected to), and
//!   then `Environment::custom` accepts it too;
//! * `validate()` on an accepted configuration succeeds exactly when the documented rules
//!   hold (re-stated independently in `expected_valid`): the base URL passes `check_base_url`,
//!   an `https` base has a CA and a pin (or `allowUnpinned`), the timeouts are positive and
//!   `maxResponseBytes` is at least 4096;
//! * accepted pins print as `sha256//<Base64>` and read back to the same pin; relative
//!   `caFiles` are resolved against the base directory.
//!
//! `SIDKIT_CLIENT_CONFIG` (a file path) is never passed: the target reads no files.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use sidkit_client::{check_base_url, ClientConfig};
use sidkit_proto::env::{BaseUrlScheme, Environment, SchemeName};

const VARS: [&str; 11] = [
    "SIDKIT_ENVIRONMENT",
    "SIDKIT_BASE_URL",
    "SIDKIT_SCHEME_NAME",
    "SIDKIT_CA_FILES",
    "SIDKIT_SPKI_PINS",
    "SIDKIT_CONNECT_TIMEOUT_MS",
    "SIDKIT_REQUEST_TIMEOUT_MS",
    "SIDKIT_LONG_POLL_GRACE_MS",
    "SIDKIT_PROXY",
    "SIDKIT_NAME_UNKNOWN",
    "SIDKIT_CLIENT_CONFIG_NOT",
];

/// Whether `url`, read by the `url` crate, is a base the rules allow: `https`, or `http` to a
/// loopback host; no user info, query or fragment.
fn allowed_by_url_crate(url: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(url).map_err(|e| format!("url crate refuses it: {e}"))?;
    let loopback = match u.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(a)) => a.is_loopback(),
        Some(url::Host::Ipv6(a)) => a.is_loopback(),
        None => false,
    };
    match u.scheme() {
        "https" if u.host().is_some() => {}
        "http" if loopback => {}
        other => return Err(format!("scheme {other} to host {:?}", u.host_str())),
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("user info".into());
    }
    if u.query().is_some() || u.fragment().is_some() {
        return Err("query or fragment".into());
    }
    Ok(u)
}

/// The rules on a base URL a reader accepted (before `validate()`), by the text itself:
/// `https://`, or `http://` to a loopback host; no user info (`@`) in the authority; no query
/// or fragment; a trailing `/`.
fn check_accepted_base(base: &str) {
    assert!(
        base.ends_with('/'),
        "base URL without trailing slash: {base:?}"
    );
    let (https, rest) = match (base.strip_prefix("https://"), base.strip_prefix("http://")) {
        (Some(r), _) => (true, r),
        (None, Some(r)) => (false, r),
        _ => panic!("accepted base URL with another scheme: {base:?}"),
    };
    let authority = rest.split('/').next().unwrap_or_default();
    assert!(!authority.contains('@'), "user info accepted: {base:?}");
    assert!(
        !base.contains('?') && !base.contains('#'),
        "query or fragment: {base:?}"
    );
    if !https {
        let host = match authority.rsplit_once(':') {
            Some((h, p)) if !p.contains(']') => h,
            _ => authority,
        };
        let loopback = host.eq_ignore_ascii_case("localhost")
            || host == "[::1]"
            || host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
                .is_some_and(|a| a.is_loopback())
            || host.split('.').count() == 4
                && host
                    .parse::<std::net::Ipv4Addr>()
                    .is_ok_and(|a| a.octets()[0] == 127);
        assert!(
            loopback,
            "plain http to a non-loopback host accepted: {base:?}"
        );
    }
}

/// `validate()`'s documented rules, independently.
fn expected_valid(c: &ClientConfig) -> bool {
    let Ok(scheme) = check_base_url(&c.environment.base_url) else {
        return false;
    };
    let https_ok = scheme == BaseUrlScheme::LoopbackHttp
        || ((!c.tls.ca_files.is_empty() || !c.tls.ca_pem.is_empty())
            && (!c.tls.spki_pins.is_empty() || c.tls.allow_unpinned));
    https_ok
        && c.environment.base_url.ends_with('/')
        && !c.connect_timeout.is_zero()
        && !c.request_timeout.is_zero()
        && c.max_response_bytes >= 4096
}

fn check_config(c: &ClientConfig) {
    let base = &c.environment.base_url;
    check_accepted_base(base);
    let valid = c.validate();
    if valid.is_ok() {
        if let Err(why) = allowed_by_url_crate(base) {
            panic!("validated base URL {base:?} breaks the rules as reqwest reads it: {why}");
        }
    }
    assert_eq!(
        valid.is_ok(),
        expected_valid(c),
        "validate() = {valid:?} for {base:?}"
    );
    for pin in &c.tls.spki_pins {
        let text = pin.to_string();
        assert!(text.starts_with("sha256//"));
        assert_eq!(text.parse::<sidkit_client::SpkiPin>().ok(), Some(*pin));
    }
}

fn check_url(s: &str) {
    let Ok(scheme) = check_base_url(s) else {
        return;
    };
    let u = match allowed_by_url_crate(s) {
        Ok(u) => u,
        Err(why) => panic!("check_base_url accepted {s:?}: {why}"),
    };
    let strict = sidkit_proto::env::parse_base_url("baseUrl", s).expect("accepted, so strict");
    assert!(u
        .host_str()
        .is_some_and(|h| h.eq_ignore_ascii_case(strict.host)));
    assert_eq!(
        u.port_or_known_default(),
        Some(
            strict
                .port
                .unwrap_or(if u.scheme() == "https" { 443 } else { 80 })
        )
    );
    assert_eq!(scheme == BaseUrlScheme::Https, u.scheme() == "https");
    let env = Environment::custom("fuzz", s, SchemeName::SmartIdDemo, vec![])
        .expect("check_base_url accepted it, so must a custom environment");
    check_accepted_base(&env.base_url);
}

fuzz_target!(|data: &[u8]| {
    let Ok(input) = std::str::from_utf8(data) else {
        return;
    };
    check_url(input);
    for base_dir in [None, Some(Path::new("/etc/sidkit"))] {
        if let Ok(c) = ClientConfig::from_json(input, base_dir) {
            check_config(&c);
            if base_dir.is_some() {
                assert!(
                    c.tls.ca_files.iter().all(|p| p.is_absolute()),
                    "{:?}",
                    c.tls.ca_files
                );
            }
        }
    }
    let mut vars: Vec<(String, String)> = Vec::new();
    for line in input.lines() {
        let Some((name, value)) = line.split_once('=') else {
            continue;
        };
        let name = match name.as_bytes() {
            [b @ b'a'..=b'k'] => VARS[usize::from(b - b'a')].to_owned(),
            _ => name.to_owned(),
        };
        check_url(value);
        vars.push((name, value.to_owned()));
    }
    let get = |k: &str| {
        if k == "SIDKIT_CLIENT_CONFIG" {
            return None;
        }
        vars.iter()
            .rev()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
    };
    if let Ok(c) = ClientConfig::from_env_with(get) {
        check_config(&c);
    }
});
