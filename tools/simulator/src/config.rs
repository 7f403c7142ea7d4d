//! How a simulator is started: [`SimulatorConfig`], the relying parties it accepts
//! ([`RelyingPartyPermissions`]), how callbacks are delivered ([`CallbackMode`]), and the paths
//! of its endpoints.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use sidkit_proto::env::{RelyingParty, SchemeName, DEMO_DEVICE_LINK_BASE};

use crate::accounts::{default_accounts, AccountSpec};
use crate::events::CallbackEvent;

/// Path of the RP API under the simulator's origin (like DEMO's `/smart-id-rp/v3/`).
pub const RP_API_PATH: &str = "/smart-id-rp/v3/";
/// Path of the mock device endpoint.
pub const MOCK_DEVICE_PATH: &str = "/mock/device-link";
/// Path of the OCSP responder (RFC 6960 over HTTP `POST`) for the simulator's test CA.
pub const OCSP_PATH: &str = "/ocsp";

/// A relying party the simulator accepts, with its permissions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingPartyPermissions {
    /// `relyingPartyUUID` and `relyingPartyName` (the name is compared case-insensitively, as
    /// SK does).
    pub relying_party: RelyingParty,
    /// May request `ADVANCED` certificates (otherwise `403`, like the DEMO UUID).
    pub allow_advanced: bool,
    /// May set `shareMdClientIpAddress` (otherwise `403`).
    pub allow_ip_sharing: bool,
}

impl RelyingPartyPermissions {
    /// A relying party with every permission.
    pub fn full(relying_party: RelyingParty) -> Self {
        RelyingPartyPermissions {
            relying_party,
            allow_advanced: true,
            allow_ip_sharing: true,
        }
    }
}

/// A function that receives every callback in-process.
pub type CallbackHandler = Arc<dyn Fn(&CallbackEvent) + Send + Sync>;

/// How the simulated app delivers callbacks (they are always also recorded; see
/// [`Simulator::callbacks`](crate::Simulator::callbacks) and
/// [`Simulator::next_callback`](crate::Simulator::next_callback)).
#[derive(Clone, Default)]
pub enum CallbackMode {
    /// Only record them.
    #[default]
    Record,
    /// Call a function (in the simulator's task; keep it short).
    Handler(CallbackHandler),
    /// `GET` the callback URL like SK's Mock Service, with the `browserCookie` as `Cookie`.
    /// Only loopback hosts (`127.0.0.1`, `localhost`, `[::1]`) are contacted; anything else is
    /// recorded with an error. `plain_http` rewrites `https://` to `http://` (for an RP
    /// backend that listens without TLS on loopback); otherwise the simulator's TLS CA and
    /// `extra_ca_pem` are trusted.
    HttpGet {
        /// Use `http://` instead of `https://`.
        plain_http: bool,
        /// More CA certificates (PEM) to trust for the RP backend.
        extra_ca_pem: Vec<String>,
    },
}

impl std::fmt::Debug for CallbackMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallbackMode::Record => f.write_str("Record"),
            CallbackMode::Handler(_) => f.write_str("Handler(..)"),
            CallbackMode::HttpGet { plain_http, .. } => f
                .debug_struct("HttpGet")
                .field("plain_http", plain_http)
                .finish_non_exhaustive(),
        }
    }
}

/// How a simulator is started. `SimulatorConfig::default()` gives an `http` server on a free
/// loopback port that behaves like DEMO (`smart-id-demo`, the DEMO relying party, SK's DEMO
/// test accounts).
#[derive(Debug, Clone)]
pub struct SimulatorConfig {
    /// Address to bind (default `127.0.0.1:0`, a free port).
    pub bind: SocketAddr,
    /// Serve HTTPS with a generated CA and loopback server certificate (for pinning tests).
    pub https: bool,
    /// Scheme name the simulated server and app use in authCode and ACSP_V2 payloads.
    pub scheme_name: SchemeName,
    /// `deviceLinkBase` returned for device-link sessions.
    pub device_link_base: String,
    /// Accepted relying parties (default: the DEMO one, without ADVANCED or IP sharing).
    pub relying_parties: Vec<RelyingPartyPermissions>,
    /// Accounts to create (default: [`default_accounts`]).
    pub accounts: Vec<AccountSpec>,
    /// How long the simulated user takes in notification flows and linked signatures before
    /// the scripted outcome (default 1 s; per-account override in [`AccountSpec`]).
    pub user_delay: Duration,
    /// A running session nobody completes ends with `TIMEOUT` after this (default 120 s).
    pub session_lifetime: Duration,
    /// Completed sessions answer `404` after this (default 10 minutes).
    pub completed_retention: Duration,
    /// QR freshness window: how far a QR link's `elapsedSeconds` may lag behind the
    /// simulator's own count (default 5 s; see `docs/simulator.md`).
    pub qr_max_age: Duration,
    /// How callbacks are delivered.
    pub callbacks: CallbackMode,
    /// Also open the callback (with `sessionSecretDigest` only) when a same-device session
    /// ends with something other than `OK` (default `false`; the spec leaves this open).
    pub callback_on_failure: bool,
    /// Name prefix of the generated Smart-ID test CA.
    pub pki_name: String,
    /// How long an OCSP answer is valid: `nextUpdate` − `thisUpdate` (default 10 minutes;
    /// a backend caches good answers that long).
    pub ocsp_validity: Duration,
}

impl Default for SimulatorConfig {
    fn default() -> Self {
        SimulatorConfig {
            bind: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0),
            https: false,
            scheme_name: SchemeName::SmartIdDemo,
            device_link_base: DEMO_DEVICE_LINK_BASE.to_owned(),
            relying_parties: vec![RelyingPartyPermissions {
                relying_party: RelyingParty::demo(),
                allow_advanced: false,
                allow_ip_sharing: false,
            }],
            accounts: default_accounts(),
            user_delay: Duration::from_secs(1),
            session_lifetime: Duration::from_secs(120),
            completed_retention: Duration::from_secs(600),
            qr_max_age: Duration::from_secs(5),
            callbacks: CallbackMode::Record,
            callback_on_failure: false,
            pki_name: "TEST of sidkit simulator".to_owned(),
            ocsp_validity: Duration::from_secs(600),
        }
    }
}

impl SimulatorConfig {
    /// Binds to `port` on loopback (0 = any free port).
    pub fn port(mut self, port: u16) -> Self {
        self.bind.set_port(port);
        self
    }

    /// Serves HTTPS.
    pub fn https(mut self, on: bool) -> Self {
        self.https = on;
        self
    }

    /// Sets the notification user delay.
    pub fn user_delay(mut self, d: Duration) -> Self {
        self.user_delay = d;
        self
    }

    /// Sets the callback delivery.
    pub fn callbacks(mut self, mode: CallbackMode) -> Self {
        self.callbacks = mode;
        self
    }

    /// Adds an accepted relying party.
    pub fn relying_party(mut self, rp: RelyingPartyPermissions) -> Self {
        self.relying_parties.push(rp);
        self
    }
}
