//! Smart-ID environments: LIVE, DEMO and custom (e.g. the local simulator).
//!
//! An environment fixes three things that must agree with each other (spec §1): the RP API base
//! URL, the scheme name used in the authCode and ACSP_V2 payloads (`smart-id` / `smart-id-demo`),
//! and the device-link bases the Smart-ID app of that environment claims.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{ProtoError, Result};

/// The scheme name of an environment: the first field of the authCode payload (spec §5) and of
/// the ACSP_V2 signed payload (spec §8.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SchemeName {
    /// `smart-id`: LIVE.
    #[serde(rename = "smart-id")]
    SmartId,
    /// `smart-id-demo`: DEMO.
    #[serde(rename = "smart-id-demo")]
    SmartIdDemo,
}

impl SchemeName {
    /// The exact protocol string.
    pub const fn as_str(self) -> &'static str {
        match self {
            SchemeName::SmartId => "smart-id",
            SchemeName::SmartIdDemo => "smart-id-demo",
        }
    }
}

impl fmt::Display for SchemeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SchemeName {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "smart-id" => Ok(SchemeName::SmartId),
            "smart-id-demo" => Ok(SchemeName::SmartIdDemo),
            other => Err(ProtoError::invalid(
                "schemeName",
                format!("expected `smart-id` or `smart-id-demo`, got `{other}`"),
            )),
        }
    }
}

/// The LIVE RP API v3 base URL.
pub const LIVE_BASE_URL: &str = "https://rp-api.smart-id.com/v3/";
/// The DEMO RP API v3 base URL.
pub const DEMO_BASE_URL: &str = "https://sid.demo.sk.ee/smart-id-rp/v3/";
/// The DEMO Mock Service base (spec §11).
pub const DEMO_MOCK_URL: &str = "https://sid.demo.sk.ee/mock/";
/// The device-link base of LIVE (documentation example response).
pub const LIVE_DEVICE_LINK_BASE: &str = "https://smart-id.com/device-link";
/// The device-link base observed in DEMO.
pub const DEMO_DEVICE_LINK_BASE: &str = "https://sid.demo.sk.ee/device-link";
/// The public `relyingPartyUUID` of the DEMO environment.
pub const DEMO_RELYING_PARTY_UUID: &str = "00000000-0000-4000-8000-000000000000";
/// The public `relyingPartyName` of the DEMO environment.
pub const DEMO_RELYING_PARTY_NAME: &str = "DEMO";

/// How a base URL accepted by [`parse_base_url`] is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaseUrlScheme {
    /// `https://`: TLS (the caller configures the trusted CAs and pins).
    Https,
    /// `http://` on a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`): local development
    /// and tests only.
    LoopbackHttp,
}

/// A base URL that passed [`parse_base_url`], borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ParsedBaseUrl<'a> {
    /// `https`, or plain `http` on a loopback host.
    pub scheme: BaseUrlScheme,
    /// Host as written (registered name, dotted IPv4 or `[v6]` literal).
    pub host: &'a str,
    /// Port, if written explicitly.
    pub port: Option<u16>,
    /// Path, starting with `/`, or empty.
    pub path: &'a str,
}

/// Parses a base URL: the RP API base of a Smart-ID environment, or another service base that
/// paths are appended to. The host is compared after parsing, never by prefix:
///
/// * `https://` (lowercase), or `http://` only when the parsed host is a loopback host
///   (`localhost`, `127.0.0.0/8` written as four decimal octets, `[::1]`); every other scheme is refused;
/// * the strict syntax of this module: ASCII, no user info (an `@` anywhere before the path:
///   `http://localhost:1@evil.example/` is a request to `evil.example`), no `\`, no
///   fragment, a valid host and port;
/// * no query (paths are appended to the base).
pub fn parse_base_url<'a>(field: &'static str, input: &'a str) -> Result<ParsedBaseUrl<'a>> {
    let (scheme, rest) = if let Some(rest) = input.strip_prefix("https://") {
        (BaseUrlScheme::Https, rest)
    } else if let Some(rest) = input.strip_prefix("http://") {
        (BaseUrlScheme::LoopbackHttp, rest)
    } else {
        return Err(ProtoError::invalid(
            field,
            "must start with `https://` (lowercase; plain `http://` only on a loopback host)",
        ));
    };
    let u = crate::url::parse_after_scheme(field, input, rest)?;
    if u.query.is_some() {
        return Err(ProtoError::invalid(field, "must not contain a query (`?`)"));
    }
    if scheme == BaseUrlScheme::LoopbackHttp && !crate::url::is_loopback_host(u.host) {
        return Err(ProtoError::invalid(
            field,
            format!(
                "plain http is accepted only for a loopback host (localhost, 127.0.0.0/8, [::1]), not `{}`",
                u.host
            ),
        ));
    }
    Ok(ParsedBaseUrl {
        scheme,
        host: u.host,
        port: u.port,
        path: u.path,
    })
}

/// A relying party's identity towards the RP API.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RelyingParty {
    /// `relyingPartyUUID`, issued by SK.
    pub uuid: String,
    /// `relyingPartyName`, pre-registered with SK. Used byte-for-byte in authCode and ACSP_V2.
    pub name: String,
}

impl RelyingParty {
    /// The public DEMO relying party (`00000000-0000-4000-8000-000000000000` / `DEMO`).
    pub fn demo() -> Self {
        RelyingParty {
            uuid: DEMO_RELYING_PARTY_UUID.to_owned(),
            name: DEMO_RELYING_PARTY_NAME.to_owned(),
        }
    }

    /// Validates both fields: a canonical UUID and a name of 1–32 UTF-8 bytes.
    pub fn new(uuid: impl Into<String>, name: impl Into<String>) -> Result<Self> {
        let rp = RelyingParty {
            uuid: uuid.into(),
            name: name.into(),
        };
        crate::validate::relying_party_uuid(&rp.uuid)?;
        crate::validate::relying_party_name(&rp.name)?;
        Ok(rp)
    }
}

/// A Smart-ID environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Environment {
    /// A short label for logs (`LIVE`, `DEMO`, or a custom name).
    pub name: String,
    /// The RP API v3 base URL, ending in `/`.
    pub base_url: String,
    /// The scheme name used in authCode and ACSP_V2 payloads.
    pub scheme_name: SchemeName,
    /// Device-link bases the Smart-ID app of this environment claims; links built on another base
    /// are rejected by the mobile link check.
    pub device_link_bases: Vec<String>,
}

impl Environment {
    /// LIVE: `https://rp-api.smart-id.com/v3/`, scheme `smart-id`.
    pub fn live() -> Self {
        Environment {
            name: "LIVE".into(),
            base_url: LIVE_BASE_URL.into(),
            scheme_name: SchemeName::SmartId,
            device_link_bases: vec![LIVE_DEVICE_LINK_BASE.into()],
        }
    }

    /// DEMO: `https://sid.demo.sk.ee/smart-id-rp/v3/`, scheme `smart-id-demo`.
    pub fn demo() -> Self {
        Environment {
            name: "DEMO".into(),
            base_url: DEMO_BASE_URL.into(),
            scheme_name: SchemeName::SmartIdDemo,
            device_link_bases: vec![DEMO_DEVICE_LINK_BASE.into()],
        }
    }

    /// A custom environment, e.g. a local simulator. `base_url` must be `https://` (or
    /// `http://` on a loopback host, for tests) and gets a trailing `/` if it has none. It is
    /// parsed by [`parse_base_url`]: the host is compared after parsing (user info
    /// such as `http://localhost:1@evil.example/` is refused), and a query or fragment is
    /// refused.
    pub fn custom(
        name: impl Into<String>,
        base_url: impl Into<String>,
        scheme_name: SchemeName,
        device_link_bases: Vec<String>,
    ) -> Result<Self> {
        let mut base_url = base_url.into();
        parse_base_url("baseUrl", &base_url)?;
        if !base_url.ends_with('/') {
            base_url.push('/');
        }
        Ok(Environment {
            name: name.into(),
            base_url,
            scheme_name,
            device_link_bases,
        })
    }

    /// Looks up a preset by name: `live` or `demo` (case-insensitive).
    pub fn preset(name: &str) -> Result<Self> {
        match name.to_ascii_lowercase().as_str() {
            "live" | "prod" | "production" => Ok(Self::live()),
            "demo" => Ok(Self::demo()),
            other => Err(ProtoError::invalid(
                "environment",
                format!("unknown preset `{other}` (expected `live` or `demo`)"),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn presets() {
        assert_eq!(Environment::live().scheme_name.as_str(), "smart-id");
        assert_eq!(Environment::demo().scheme_name.as_str(), "smart-id-demo");
        assert_eq!(Environment::preset("DEMO").unwrap(), Environment::demo());
        assert!(Environment::preset("staging").is_err());
        assert_eq!(
            RelyingParty::demo(),
            RelyingParty::new("00000000-0000-4000-8000-000000000000", "DEMO").unwrap()
        );
    }

    #[test]
    fn custom_base_url_rules() {
        let e = Environment::custom(
            "sim",
            "http://127.0.0.1:8080/v3",
            SchemeName::SmartIdDemo,
            vec![],
        )
        .unwrap();
        assert_eq!(e.base_url, "http://127.0.0.1:8080/v3/");
        assert!(
            Environment::custom("x", "http://example.com/", SchemeName::SmartId, vec![]).is_err()
        );
        assert!(Environment::custom(
            "x",
            "http://127.0.0.1.evil.com/",
            SchemeName::SmartId,
            vec![]
        )
        .is_err());
        assert!(Environment::custom("x", "https://a/#x", SchemeName::SmartId, vec![]).is_err());
    }

    /// Issue 16 item 8: the base URL is parsed, not prefix-matched. User info is refused (it
    /// would move the host behind an `@`), and plain http needs a parsed loopback host.
    #[test]
    fn base_url_is_parsed_not_prefix_matched() {
        for bad in [
            "http://localhost:1@evil.example/",
            "http://localhost@evil.example/",
            "http://127.0.0.1@evil.example/",
            "http://127.0.0.1:80@evil.example:80/v3/",
            "http://[::1]@evil.example/",
            "http://localhost\\@evil.example/",
            "http://localhost.evil.example/",
            "http://127.0.0.1.nip.io/",
            "https://user:pw@rp-api.example.com/v3/",
            "https://@rp-api.example.com/v3/",
            "http://localhost:99999/",
            "http:///v3/",
            "ftp://localhost/",
        ] {
            assert!(
                Environment::custom("x", bad, SchemeName::SmartIdDemo, vec![]).is_err(),
                "{bad}"
            );
        }
        for good in [
            "http://127.0.0.1:8080/v3/",
            "http://localhost/",
            "http://[::1]:9000/x/",
            "https://rp-api.smart-id.com/v3/",
            "https://sid.demo.sk.ee:443/smart-id-rp/v3/",
        ] {
            Environment::custom("x", good, SchemeName::SmartIdDemo, vec![]).expect(good);
        }
    }

    #[test]
    fn base_urls_and_loopback_hosts() {
        for (host, loopback) in [
            ("localhost", true),
            ("LocalHost", true),
            ("127.0.0.1", true),
            ("127.3.2.1", true),
            ("[::1]", true),
            ("0177.0.0.1", false),
            ("127.1", false),
            ("127.0.0.1.nip.io", false),
            ("localhost.evil.example", false),
            ("[::ffff:127.0.0.1]", false),
            ("10.0.2.2", false),
        ] {
            assert_eq!(crate::url::is_loopback_host(host), loopback, "{host}");
        }
        let b = parse_base_url("b", "http://127.0.0.1:8080/v3/").unwrap();
        assert_eq!(
            (b.scheme, b.host, b.port, b.path),
            (BaseUrlScheme::LoopbackHttp, "127.0.0.1", Some(8080), "/v3/")
        );
        let b = parse_base_url("b", "https://rp-api.smart-id.com/v3/").unwrap();
        assert_eq!(b.scheme, BaseUrlScheme::Https);
        for bad in [
            "http://localhost:1@evil.example/",
            "https://u@rp-api.smart-id.com/v3/",
            "http://10.0.2.2:8090/",
            "https://rp-api.smart-id.com/v3/?x",
            "HTTP://localhost/",
            "http://localhost\\evil.example/",
            "http://localhost/\\@evil.example/",
        ] {
            assert!(parse_base_url("b", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scheme_parse() {
        assert_eq!(
            "smart-id".parse::<SchemeName>().unwrap(),
            SchemeName::SmartId
        );
        assert!("Smart-ID".parse::<SchemeName>().is_err());
    }
}
