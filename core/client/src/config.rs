//! Configuration of [`SmartIdClient`](super::SmartIdClient): environment, trust anchors, pins,
//! timeouts and connection pool — built in code, read from a JSON file, or read from
//! environment variables, so that a pin rotation or a new CA never needs a code change.
//!
//! # JSON file
//!
//! ```json
//! {
//!   "environment": "live",
//!   "caFiles": ["/etc/sidkit/DigiCertGlobalRootG2.pem"],
//!   "spkiPins": ["sha256//<current key>", "sha256//<next key>"],
//!   "connectTimeoutMs": 5000,
//!   "requestTimeoutMs": 30000
//! }
//! ```
//!
//! `environment` is `"live"`, `"demo"`, or an object
//! `{"name": "…", "baseUrl": "…", "schemeName": "smart-id-demo", "deviceLinkBases": ["…"]}`.
//! Relative `caFiles` are resolved against the directory of the file. Unknown keys are
//! rejected (a typo must not silently drop a pin). Every key is listed on
//! [`ClientConfigFile`].
//!
//! # Environment variables
//!
//! [`ClientConfig::from_env`] reads `SIDKIT_CLIENT_CONFIG` (path of a JSON file as above), then
//! applies these overrides: `SIDKIT_ENVIRONMENT` (`live`/`demo`), `SIDKIT_BASE_URL` and
//! `SIDKIT_SCHEME_NAME` (a custom environment; the scheme is required unless a file or preset
//! gives it), `SIDKIT_CA_FILES` (comma-separated paths),
//! `SIDKIT_SPKI_PINS` (comma-separated pins), `SIDKIT_CONNECT_TIMEOUT_MS`,
//! `SIDKIT_REQUEST_TIMEOUT_MS`, `SIDKIT_LONG_POLL_GRACE_MS`, `SIDKIT_PROXY`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::tls::SpkiPin;
use crate::error::{ClientError, Result};
use sidkit_proto::env::BaseUrlScheme;
use sidkit_proto::env::{Environment, SchemeName};

/// Trust settings for the RP API host.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// PEM files with the CA certificates that may issue the RP API host's certificate (e.g.
    /// DigiCert Global Root G2 for LIVE and DEMO). Nothing else is trusted: no system store, no
    /// bundled roots.
    pub ca_files: Vec<PathBuf>,
    /// CA certificates given inline as PEM text (same role as `ca_files`).
    pub ca_pem: Vec<String>,
    /// SHA-256 pins of the end-entity certificate's public key: the current key and the next
    /// one. A connection is accepted when the key matches any of them.
    pub spki_pins: Vec<SpkiPin>,
    /// Accept an `https` host without pins. **Unsafe**; SK requires pinning (spec §10). Only
    /// for staging setups that cannot pin.
    pub allow_unpinned: bool,
}

/// Everything a [`SmartIdClient`](super::SmartIdClient) needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientConfig {
    /// LIVE, DEMO, or a custom base URL (e.g. the simulator on loopback).
    pub environment: Environment,
    /// Root store and pins (required for `https` base URLs).
    pub tls: TlsConfig,
    /// Time allowed to establish the TCP and TLS connection. Default 5 s.
    pub connect_timeout: Duration,
    /// Time allowed for a whole non-polling request (send and complete response). Default 30 s.
    pub request_timeout: Duration,
    /// Extra time a long poll may take beyond the `timeoutMs` the server was asked to wait.
    /// Default 5 s.
    pub long_poll_grace: Duration,
    /// How long an idle pooled connection is kept for reuse. Default 60 s.
    pub pool_idle_timeout: Duration,
    /// Most idle connections kept to the RP API host. Default 32.
    pub pool_max_idle_per_host: usize,
    /// An outbound HTTP(S) proxy URL (`http://proxy:3128`); TLS and pins still apply end to end
    /// through the `CONNECT` tunnel. `None` (the default) also ignores `HTTPS_PROXY` & co.
    pub proxy: Option<String>,
    /// The `User-Agent` header.
    pub user_agent: String,
    /// Largest response body accepted. Default 1 MiB.
    pub max_response_bytes: usize,
}

impl ClientConfig {
    /// A configuration for `environment` with default timeouts and no CAs or pins yet.
    pub fn new(environment: Environment) -> Self {
        ClientConfig {
            environment,
            tls: TlsConfig::default(),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            long_poll_grace: Duration::from_secs(5),
            pool_idle_timeout: Duration::from_secs(60),
            pool_max_idle_per_host: 32,
            proxy: None,
            user_agent: concat!("sidkit/", env!("CARGO_PKG_VERSION")).to_owned(),
            max_response_bytes: 1 << 20,
        }
    }

    /// Adds a CA certificate file (PEM).
    pub fn with_ca_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.tls.ca_files.push(path.into());
        self
    }

    /// Adds CA certificates given as PEM text.
    pub fn with_ca_pem(mut self, pem: impl Into<String>) -> Self {
        self.tls.ca_pem.push(pem.into());
        self
    }

    /// Adds an SPKI pin.
    pub fn with_pin(mut self, pin: SpkiPin) -> Self {
        self.tls.spki_pins.push(pin);
        self
    }

    /// Parses a JSON configuration (see the module documentation). Relative `caFiles` are
    /// resolved against `base_dir`.
    pub fn from_json(json: &str, base_dir: Option<&Path>) -> Result<Self> {
        let file: ClientConfigFile = serde_json::from_str(json)
            .map_err(|e| ClientError::invalid("clientConfig", format!("invalid JSON: {e}")))?;
        file.into_config(base_dir)
    }

    /// Reads a JSON configuration file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ClientError::invalid(
                "clientConfig",
                format!("cannot read {}: {e}", path.display()),
            )
        })?;
        Self::from_json(&text, path.parent())
    }

    /// Reads the configuration from the process environment (see the module documentation).
    pub fn from_env() -> Result<Self> {
        Self::from_env_with(|k| std::env::var(k).ok())
    }

    /// Like [`from_env`](Self::from_env) with an explicit variable lookup (for tests and for
    /// applications with their own settings source).
    pub fn from_env_with(get: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let mut cfg = match get("SIDKIT_CLIENT_CONFIG") {
            Some(path) => Self::from_file(Path::new(&path))?,
            None => match (get("SIDKIT_ENVIRONMENT"), get("SIDKIT_BASE_URL")) {
                (None, None) => {
                    return Err(ClientError::invalid(
                        "clientConfig",
                        "set SIDKIT_CLIENT_CONFIG, SIDKIT_ENVIRONMENT or SIDKIT_BASE_URL",
                    ))
                }
                _ => Self::new(Environment::live()),
            },
        };
        if let Some(env) = get("SIDKIT_ENVIRONMENT") {
            cfg.environment = Environment::preset(&env)?;
        }
        if let Some(url) = get("SIDKIT_BASE_URL") {
            let scheme = match get("SIDKIT_SCHEME_NAME") {
                Some(s) => s.parse()?,
                // Without a file or preset there is nothing to take the scheme from, and a
                // wrong scheme silently breaks every authCode: make it explicit.
                None if get("SIDKIT_CLIENT_CONFIG").is_none()
                    && get("SIDKIT_ENVIRONMENT").is_none() =>
                {
                    return Err(ClientError::invalid(
                        "clientConfig",
                        "SIDKIT_BASE_URL needs SIDKIT_SCHEME_NAME (smart-id or smart-id-demo)",
                    ))
                }
                None => cfg.environment.scheme_name,
            };
            let bases = cfg.environment.device_link_bases.clone();
            cfg.environment = Environment::custom("CUSTOM", url, scheme, bases)?;
        }
        if let Some(files) = get("SIDKIT_CA_FILES") {
            cfg.tls.ca_files = split_list(&files).map(PathBuf::from).collect();
        }
        if let Some(pins) = get("SIDKIT_SPKI_PINS") {
            cfg.tls.spki_pins = split_list(&pins).map(str::parse).collect::<Result<_>>()?;
        }
        let ms = |k: &str| -> Result<Option<Duration>> {
            get(k)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map(Duration::from_millis)
                        .map_err(|_| {
                            ClientError::invalid(
                                "clientConfig",
                                format!("{k} must be milliseconds"),
                            )
                        })
                })
                .transpose()
        };
        if let Some(d) = ms("SIDKIT_CONNECT_TIMEOUT_MS")? {
            cfg.connect_timeout = d;
        }
        if let Some(d) = ms("SIDKIT_REQUEST_TIMEOUT_MS")? {
            cfg.request_timeout = d;
        }
        if let Some(d) = ms("SIDKIT_LONG_POLL_GRACE_MS")? {
            cfg.long_poll_grace = d;
        }
        if let Some(p) = get("SIDKIT_PROXY") {
            cfg.proxy = Some(p);
        }
        Ok(cfg)
    }

    /// Checks the combination: the base URL by [`check_base_url`] (`https`, or plain `http`
    /// only on a loopback host, as parsed; no user info), `https` needs CAs and pins (unless
    /// `allow_unpinned`), timeouts must be positive.
    pub fn validate(&self) -> Result<()> {
        let base = &self.environment.base_url;
        if check_base_url(base)? == BaseUrlScheme::Https {
            if self.tls.ca_files.is_empty() && self.tls.ca_pem.is_empty() {
                return Err(ClientError::invalid(
                    "caCertificates",
                    "an https base URL needs at least one configured CA (no system trust store is used)",
                ));
            }
            if self.tls.spki_pins.is_empty() && !self.tls.allow_unpinned {
                return Err(ClientError::invalid(
                    "spkiPins",
                    "an https base URL needs at least one SPKI pin (or allowUnpinned, which is unsafe)",
                ));
            }
        }
        if !base.ends_with('/') {
            return Err(ClientError::invalid("baseUrl", "must end with `/`"));
        }
        for (name, d) in [
            ("connectTimeout", self.connect_timeout),
            ("requestTimeout", self.request_timeout),
        ] {
            if d.is_zero() {
                return Err(ClientError::invalid(name, "must be positive"));
            }
        }
        if self.max_response_bytes < 4096 {
            return Err(ClientError::invalid(
                "maxResponseBytes",
                "must be at least 4096 bytes",
            ));
        }
        Ok(())
    }

    /// Whether the base URL is plain `http` (loopback only; [`validate`](Self::validate)
    /// checked it).
    pub(crate) fn is_plain_http(&self) -> bool {
        matches!(
            check_base_url(&self.environment.base_url),
            Ok(BaseUrlScheme::LoopbackHttp)
        )
    }

    /// The PEM texts of every configured CA (files read now).
    pub(crate) fn ca_pems(&self) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        for f in &self.tls.ca_files {
            out.push(std::fs::read(f).map_err(|e| {
                ClientError::invalid("caFiles", format!("cannot read {}: {e}", f.display()))
            })?);
        }
        out.extend(self.tls.ca_pem.iter().map(|p| p.as_bytes().to_vec()));
        Ok(out)
    }
}

/// Checks a base URL that HTTP requests are sent to (the RP API base of a [`ClientConfig`], or
/// another service's base, e.g. a backend's contract base), and says whether it is `https` or
/// plain `http` on a loopback host.
///
/// The URL is parsed twice and both readings must agree: by the strict
/// [`sidkit_proto::env::parse_base_url`] (`https://`, or `http://` only when the parsed host is
/// `localhost`, `127.0.0.0/8` or `[::1]`; no user info, no query or fragment), and by the URL
/// parser reqwest connects with, whose host, port and scheme must be the same, with no user
/// info. So `http://localhost:1@evil.example/`, which a prefix match took for loopback and
/// reqwest sends to `evil.example` without TLS, is refused.
pub fn check_base_url(url: &str) -> Result<BaseUrlScheme> {
    let strict = sidkit_proto::env::parse_base_url("baseUrl", url)?;
    let parsed = reqwest::Url::parse(url)
        .map_err(|e| ClientError::invalid("baseUrl", format!("is not a URL: {e}")))?;
    let scheme = match strict.scheme {
        BaseUrlScheme::Https => "https",
        BaseUrlScheme::LoopbackHttp => "http",
    };
    let default_port = if scheme == "https" { 443 } else { 80 };
    let agrees = parsed.scheme() == scheme
        && parsed.username().is_empty()
        && parsed.password().is_none()
        && parsed
            .host_str()
            .is_some_and(|h| h.eq_ignore_ascii_case(strict.host))
        && parsed.port_or_known_default() == Some(strict.port.unwrap_or(default_port))
        && parsed.query().is_none()
        && parsed.fragment().is_none();
    if !agrees {
        return Err(ClientError::invalid(
            "baseUrl",
            "is read differently by the HTTP client (host, port or user info); write it plainly",
        ));
    }
    Ok(strict.scheme)
}

fn split_list(s: &str) -> impl Iterator<Item = &str> {
    s.split(',').map(str::trim).filter(|x| !x.is_empty())
}

/// The `environment` key of a configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum EnvironmentSetting {
    /// `"live"` or `"demo"`.
    Preset(String),
    /// A custom environment.
    Custom {
        /// A label for logs.
        name: String,
        /// The RP API v3 base URL.
        #[serde(rename = "baseUrl")]
        base_url: String,
        /// `smart-id` or `smart-id-demo`.
        #[serde(rename = "schemeName")]
        scheme_name: SchemeName,
        /// Device-link bases of the environment's app.
        #[serde(rename = "deviceLinkBases", default)]
        device_link_bases: Vec<String>,
    },
}

/// The JSON configuration file format (camelCase keys; unknown keys are an error).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClientConfigFile {
    /// `"live"`, `"demo"` or a custom environment object.
    pub environment: EnvironmentSetting,
    /// CA certificate PEM files.
    #[serde(default)]
    pub ca_files: Vec<PathBuf>,
    /// Inline CA certificate PEM texts.
    #[serde(default)]
    pub ca_pem: Vec<String>,
    /// `sha256//…` pins of the RP API host's public key (current and next).
    #[serde(default)]
    pub spki_pins: Vec<SpkiPin>,
    /// Accept an https host without pins (unsafe).
    #[serde(default)]
    pub allow_unpinned: bool,
    /// Connect timeout in milliseconds.
    pub connect_timeout_ms: Option<u64>,
    /// Request timeout in milliseconds.
    pub request_timeout_ms: Option<u64>,
    /// Long-poll grace in milliseconds.
    pub long_poll_grace_ms: Option<u64>,
    /// Pool idle timeout in milliseconds.
    pub pool_idle_timeout_ms: Option<u64>,
    /// Most idle pooled connections.
    pub pool_max_idle_per_host: Option<usize>,
    /// Outbound proxy URL.
    pub proxy: Option<String>,
    /// `User-Agent` header.
    pub user_agent: Option<String>,
    /// Largest accepted response body in bytes.
    pub max_response_bytes: Option<usize>,
}

impl ClientConfigFile {
    /// Converts the file contents to a configuration; relative CA paths are resolved against
    /// `base_dir`.
    pub fn into_config(self, base_dir: Option<&Path>) -> Result<ClientConfig> {
        let environment = match self.environment {
            EnvironmentSetting::Preset(p) => Environment::preset(&p)?,
            EnvironmentSetting::Custom {
                name,
                base_url,
                scheme_name,
                device_link_bases,
            } => Environment::custom(name, base_url, scheme_name, device_link_bases)?,
        };
        let mut c = ClientConfig::new(environment);
        c.tls = TlsConfig {
            ca_files: self
                .ca_files
                .into_iter()
                .map(|p| match base_dir {
                    Some(d) if p.is_relative() => d.join(p),
                    _ => p,
                })
                .collect(),
            ca_pem: self.ca_pem,
            spki_pins: self.spki_pins,
            allow_unpinned: self.allow_unpinned,
        };
        let ms = Duration::from_millis;
        if let Some(v) = self.connect_timeout_ms {
            c.connect_timeout = ms(v);
        }
        if let Some(v) = self.request_timeout_ms {
            c.request_timeout = ms(v);
        }
        if let Some(v) = self.long_poll_grace_ms {
            c.long_poll_grace = ms(v);
        }
        if let Some(v) = self.pool_idle_timeout_ms {
            c.pool_idle_timeout = ms(v);
        }
        if let Some(v) = self.pool_max_idle_per_host {
            c.pool_max_idle_per_host = v;
        }
        c.proxy = self.proxy;
        if let Some(v) = self.user_agent {
            c.user_agent = v;
        }
        if let Some(v) = self.max_response_bytes {
            c.max_response_bytes = v;
        }
        Ok(c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn pin(n: u8) -> SpkiPin {
        SpkiPin::of_spki_der(&[n])
    }

    #[test]
    fn json_file_format() {
        let json = format!(
            r#"{{"environment":"demo","caFiles":["ca.pem","/abs/root.pem"],"spkiPins":["{}","{}"],
                "connectTimeoutMs":1500,"requestTimeoutMs":9000,"poolMaxIdlePerHost":4}}"#,
            pin(1),
            pin(2)
        );
        let c = ClientConfig::from_json(&json, Some(Path::new("/etc/sidkit"))).unwrap();
        assert_eq!(c.environment, Environment::demo());
        assert_eq!(
            c.tls.ca_files,
            vec![
                PathBuf::from("/etc/sidkit/ca.pem"),
                PathBuf::from("/abs/root.pem")
            ]
        );
        assert_eq!(c.tls.spki_pins, vec![pin(1), pin(2)]);
        assert_eq!(c.connect_timeout, Duration::from_millis(1500));
        assert_eq!(c.request_timeout, Duration::from_secs(9));
        assert_eq!(c.pool_max_idle_per_host, 4);
        c.validate().unwrap();
    }

    #[test]
    fn json_rejects_typos_and_bad_pins() {
        let e = ClientConfig::from_json(r#"{"environment":"live","spkiPin":["x"]}"#, None);
        assert!(e.unwrap_err().to_string().contains("unknown field"));
        assert!(
            ClientConfig::from_json(r#"{"environment":"live","spkiPins":["md5//x"]}"#, None)
                .is_err()
        );
        assert!(ClientConfig::from_json(r#"{"environment":"staging"}"#, None).is_err());
    }

    #[test]
    fn custom_environment_object() {
        let c = ClientConfig::from_json(
            r#"{"environment":{"name":"sim","baseUrl":"http://127.0.0.1:9000/v3","schemeName":"smart-id-demo"}}"#,
            None,
        )
        .unwrap();
        assert_eq!(c.environment.base_url, "http://127.0.0.1:9000/v3/");
        assert!(c.is_plain_http());
        c.validate().unwrap();
    }

    #[test]
    fn https_needs_cas_and_pins() {
        let c = ClientConfig::new(Environment::live());
        assert!(c.validate().unwrap_err().to_string().contains("CA"));
        let c = c.with_ca_pem("pem");
        assert!(c.validate().unwrap_err().to_string().contains("pin"));
        let mut unpinned = c.clone();
        unpinned.tls.allow_unpinned = true;
        unpinned.validate().unwrap();
        c.with_pin(pin(1)).validate().unwrap();
        // Plain http to a non-loopback host is refused even if the Environment was built by hand.
        let mut e = Environment::live();
        e.base_url = "http://rp-api.smart-id.com/v3/".into();
        assert!(ClientConfig::new(e).validate().is_err());
    }

    /// Issue 16 item 8: `http://localhost:1@evil.example/` is plain http to evil.example, not
    /// to a loopback host; the rule compares the host as reqwest parses it.
    #[test]
    fn base_url_is_parsed_not_prefix_matched() {
        for bad in [
            "http://localhost:1@evil.example/v3/",
            "http://127.0.0.1@evil.example/v3/",
            "http://[::1]:1@evil.example/v3/",
            "https://user:pw@rp-api.smart-id.com/v3/",
        ] {
            let mut e = Environment::live();
            e.base_url = bad.into();
            let c = ClientConfig::new(e).with_ca_pem("pem").with_pin(pin(1));
            assert!(c.validate().is_err(), "{bad}");
            let vars = |k: &str| match k {
                "SIDKIT_BASE_URL" => Some(bad.to_owned()),
                "SIDKIT_SCHEME_NAME" => Some("smart-id-demo".to_owned()),
                _ => None,
            };
            assert!(ClientConfig::from_env_with(vars).is_err(), "{bad}");
        }
    }

    #[test]
    fn environment_variables() {
        let vars: HashMap<&str, String> = [
            (
                "SIDKIT_BASE_URL",
                "http://localhost:8080/smart-id-rp/v3/".to_owned(),
            ),
            ("SIDKIT_SCHEME_NAME", "smart-id-demo".to_owned()),
            ("SIDKIT_CA_FILES", " /a.pem, /b.pem ,".to_owned()),
            ("SIDKIT_SPKI_PINS", format!("{},{}", pin(1), pin(2))),
            ("SIDKIT_CONNECT_TIMEOUT_MS", "250".to_owned()),
        ]
        .into_iter()
        .collect();
        let c = ClientConfig::from_env_with(|k| vars.get(k).cloned()).unwrap();
        assert_eq!(c.environment.scheme_name, SchemeName::SmartIdDemo);
        assert_eq!(
            c.environment.base_url,
            "http://localhost:8080/smart-id-rp/v3/"
        );
        assert_eq!(c.tls.ca_files.len(), 2);
        assert_eq!(c.tls.spki_pins, vec![pin(1), pin(2)]);
        assert_eq!(c.connect_timeout, Duration::from_millis(250));
        assert!(ClientConfig::from_env_with(|_| None).is_err());
        let no_scheme =
            |k: &str| (k == "SIDKIT_BASE_URL").then(|| "http://127.0.0.1:1/v3/".to_owned());
        assert!(ClientConfig::from_env_with(no_scheme).is_err());
        let demo_proxy = |k: &str| match k {
            "SIDKIT_ENVIRONMENT" => Some("demo".to_owned()),
            "SIDKIT_BASE_URL" => Some("http://127.0.0.1:1/v3/".to_owned()),
            _ => None,
        };
        let c = ClientConfig::from_env_with(demo_proxy).unwrap();
        assert_eq!(c.environment.scheme_name, SchemeName::SmartIdDemo);
        let bad = |k: &str| (k == "SIDKIT_ENVIRONMENT").then(|| "live".to_owned());
        let live = ClientConfig::from_env_with(bad).unwrap();
        assert_eq!(live.environment, Environment::live());
        let bad_ms = |k: &str| match k {
            "SIDKIT_ENVIRONMENT" => Some("demo".to_owned()),
            "SIDKIT_REQUEST_TIMEOUT_MS" => Some("soon".to_owned()),
            _ => None,
        };
        assert!(ClientConfig::from_env_with(bad_ms).is_err());
    }
}
