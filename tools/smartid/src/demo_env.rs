//! `--env demo`: the backend kit against SK's DEMO environment (`sid.demo.sk.ee`) instead of
//! the embedded simulator, for `smartid serve` and `smartid demo`.
//!
//! Everything that decides trust is explicit and checked before any network use:
//! * the RP API client trusts only the CA files given with `--tls-ca` and accepts the host
//!   only with a key named by `--tls-pin` (spec §10; see `docs/client.md`): no system store;
//! * responses are verified against the CA certificates in `--ca-dir` (SK's DEMO CAs), loaded
//!   with [`TrustStore::from_dir`] and, with `--ca-fingerprint`, pinned to exactly those files
//!   ([`TrustStore::require_fingerprints`]);
//! * the relying party is SK's public DEMO one unless `--rp-uuid` and `--rp-name` are given.
//!
//! [`DemoEnvArgs::resolve`] builds the [`DemoEnvConfig`] without network, so `--check-config`
//! can print it and exit.

use std::path::PathBuf;

use clap::{Args, ValueEnum};
use sidkit_backend::{Backend, BackendConfig, SessionStore};
use sidkit_client::{ClientConfig, SmartIdClient, SpkiPin};
use sidkit_proto::env::{Environment, RelyingParty};
use sidkit_verify::{CertFingerprint, TrustStore};

use crate::reference::DEMO_CALLBACK_BASE;

/// Where the backend's Smart-ID sessions run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EnvName {
    /// The embedded offline simulator (default).
    Sim,
    /// SK's DEMO environment (`sid.demo.sk.ee`): needs network and a real Smart-ID DEMO app.
    Demo,
}

/// The trust and identity settings of `--env demo` (ignored with `--env sim`).
#[derive(Debug, Clone, Default, Args)]
pub struct DemoEnvArgs {
    /// `--env demo`: directory with the CA certificates Smart-ID DEMO user certificates chain to
    /// (PEM or DER files, e.g. SK's TEST_* CA files). Required.
    #[arg(long, value_name = "DIR")]
    pub ca_dir: Option<PathBuf>,
    /// `--env demo`: the SHA-256 fingerprint (hex) every certificate in `--ca-dir` must have
    /// (repeat for each file); a file that is not listed is refused.
    #[arg(long = "ca-fingerprint", value_name = "HEX")]
    pub ca_fingerprints: Vec<String>,
    /// `--env demo`: PEM file with the CA that issues the RP API host's TLS certificate
    /// (DigiCert Global Root G2 for sid.demo.sk.ee, from a copy you verified). Required, may
    /// be repeated: the client trusts nothing else.
    #[arg(long = "tls-ca", value_name = "FILE")]
    pub tls_ca: Vec<PathBuf>,
    /// `--env demo`: SPKI pin of the RP API host's key, `sha256//<Base64>` (repeat for the
    /// current and the next key). Required.
    #[arg(long = "tls-pin", value_name = "PIN")]
    pub tls_pins: Vec<String>,
    /// `--env demo`: your relying party UUID (default: SK's public DEMO relying party).
    #[arg(long, value_name = "UUID", requires = "rp_name")]
    pub rp_uuid: Option<String>,
    /// `--env demo`: your relying party name, exactly as registered (with `--rp-uuid`).
    #[arg(long, value_name = "NAME", requires = "rp_uuid")]
    pub rp_name: Option<String>,
    /// Print the resolved configuration and exit without network (`--env demo`).
    #[arg(long)]
    pub check_config: bool,
}

/// The resolved `--env demo` configuration.
#[derive(Debug, Clone)]
pub struct DemoEnvConfig {
    /// The RP API client configuration (DEMO environment, explicit roots and pins).
    pub client: ClientConfig,
    /// The relying party.
    pub relying_party: RelyingParty,
    /// The response-verification trust store from `--ca-dir`.
    pub trust_store: TrustStore,
    /// Whether `--ca-fingerprint` pinned the trust store.
    pub fingerprints_pinned: bool,
}

fn need(flag: &str, why: &str) -> String {
    format!("--env demo needs {flag}: {why}")
}

impl DemoEnvArgs {
    /// Checks the arguments and loads the trust material: the configuration, or one clear
    /// line saying what is wrong. No network.
    pub fn resolve(&self) -> Result<DemoEnvConfig, String> {
        let ca_dir = self.ca_dir.as_ref().ok_or_else(|| {
            need(
                "--ca-dir DIR",
                "the CA certificates Smart-ID DEMO user certificates chain to (responses are verified against them)",
            )
        })?;
        if !ca_dir.is_dir() {
            return Err(format!("--ca-dir {}: not a directory", ca_dir.display()));
        }
        let trust_store = TrustStore::from_dir(ca_dir)
            .map_err(|e| format!("--ca-dir {}: {e}", ca_dir.display()))?;
        if trust_store.is_empty() {
            return Err(format!(
                "--ca-dir {}: no CA certificate (only intermediates?)",
                ca_dir.display()
            ));
        }
        let fingerprints = self
            .ca_fingerprints
            .iter()
            .map(|h| {
                CertFingerprint::from_hex(h.trim())
                    .map_err(|e| format!("--ca-fingerprint {h}: {e}"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if !fingerprints.is_empty() {
            trust_store
                .require_fingerprints(&fingerprints)
                .map_err(|e| format!("--ca-dir {}: {e}", ca_dir.display()))?;
        }
        if self.tls_ca.is_empty() {
            return Err(need(
                "--tls-ca FILE",
                "the RP API client trusts only explicitly configured CAs (DigiCert Global Root G2 issues sid.demo.sk.ee; docs/client.md)",
            ));
        }
        if self.tls_pins.is_empty() {
            return Err(need(
                "--tls-pin sha256//<Base64>",
                "the RP API host's key must be pinned (spec §10; docs/client.md)",
            ));
        }
        let mut client = ClientConfig::new(Environment::demo());
        for f in &self.tls_ca {
            if !f.is_file() {
                return Err(format!("--tls-ca {}: no such file", f.display()));
            }
            client = client.with_ca_file(f.clone());
        }
        for p in &self.tls_pins {
            let pin: SpkiPin = p.parse().map_err(|e| format!("--tls-pin {p}: {e}"))?;
            client = client.with_pin(pin);
        }
        client
            .validate()
            .map_err(|e| format!("RP API client: {e}"))?;
        let relying_party = match (&self.rp_uuid, &self.rp_name) {
            (Some(u), Some(n)) => RelyingParty::new(u.as_str(), n.as_str())
                .map_err(|e| format!("--rp-uuid/--rp-name: {e}"))?,
            (None, None) => RelyingParty::demo(),
            _ => return Err("--rp-uuid and --rp-name go together".into()),
        };
        Ok(DemoEnvConfig {
            client,
            relying_party,
            trust_store,
            fingerprints_pinned: !fingerprints.is_empty(),
        })
    }
}

impl DemoEnvConfig {
    /// A backend kit on SK DEMO with this configuration, `callback_base` and `store`
    /// (in-memory when `None`). Builds the TLS client (reads the CA files); no request yet.
    pub fn backend(
        &self,
        callback_base: &str,
        store: Option<std::sync::Arc<dyn SessionStore>>,
    ) -> Result<Backend, String> {
        let client =
            SmartIdClient::new(self.client.clone()).map_err(|e| format!("RP API client: {e}"))?;
        let mut config = BackendConfig::new(
            client,
            self.relying_party.clone(),
            self.trust_store.clone(),
            callback_base,
        );
        if let Some(s) = store {
            config = config.with_store(s);
        }
        Backend::new(config).map_err(|e| format!("backend: {e}"))
    }

    /// The resolved configuration as `key: value` lines (no secrets: there are none).
    pub fn describe(&self, callback_base: &str) -> String {
        let env = &self.client.environment;
        let mut out = vec![
            format!("environment: {}", env.name),
            format!("rp-api-base-url: {}", env.base_url),
            format!("scheme-name: {}", env.scheme_name.as_str()),
            format!("device-link-bases: {}", env.device_link_bases.join(", ")),
            format!(
                "relying-party: {} ({})",
                self.relying_party.name, self.relying_party.uuid
            ),
            format!(
                "tls-ca-files: {}",
                self.client
                    .tls
                    .ca_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            format!("tls-pins: {}", self.client.tls.spki_pins.len()),
            format!("callback-base: {callback_base}"),
            format!(
                "trust-store: {} anchors, {} intermediates{}",
                self.trust_store.anchors().len(),
                self.trust_store.intermediates().len(),
                if self.fingerprints_pinned {
                    " (fingerprints pinned)"
                } else {
                    ""
                }
            ),
        ];
        for c in self
            .trust_store
            .anchors()
            .iter()
            .chain(self.trust_store.intermediates())
        {
            out.push(format!(
                "  ca: {} sha256 {}",
                c.subject(),
                c.fingerprint().to_hex()
            ));
        }
        out.join("\n")
    }
}

/// The default App2App callback base of `--env demo` (the demo app's App Link).
pub const fn default_callback_base() -> &'static str {
    DEMO_CALLBACK_BASE
}
