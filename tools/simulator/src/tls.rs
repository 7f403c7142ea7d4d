//! The simulator's own TLS identity (HTTPS mode): a generated CA and a loopback server
//! certificate, with a pre-generated "next" key so that pin rotation can be rehearsed.

use std::sync::{Arc, Mutex, RwLock};

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use sha2::{Digest as _, Sha256};

use crate::error::SimulatorError;

fn tls_err(what: &str, e: impl std::fmt::Display) -> SimulatorError {
    SimulatorError::Tls(format!("{what}: {e}"))
}

/// `sha256//<Base64 of SHA-256(SubjectPublicKeyInfo)>` of a key.
pub(crate) fn spki_pin(key: &KeyPair) -> String {
    let digest = Sha256::digest(key.subject_public_key_info());
    format!("sha256//{}", sidkit_proto::b64::encode_std(&digest))
}

/// The TLS CA and the current server certificate.
pub(crate) struct ServerTls {
    ca_params: CertificateParams,
    ca_key: KeyPair,
    ca_pem: String,
    current: RwLock<(Arc<CertifiedKey>, String, String)>,
    next_key: Mutex<KeyPair>,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

fn new_key() -> Result<KeyPair, SimulatorError> {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| tls_err("key", e))
}

impl ServerTls {
    pub(crate) fn generate() -> Result<Self, SimulatorError> {
        let mut ca_params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "sidkit simulator");
        // A distinct name per simulator, so that a client trusting another simulator's CA
        // fails with "unknown issuer" rather than a confusing signature error.
        let tag: String = sidkit_proto::secret::random_bytes(4)?
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        dn.push(DnType::CommonName, format!("sidkit simulator TLS CA {tag}"));
        ca_params.distinguished_name = dn;
        ca_params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = new_key()?;
        let ca_cert = ca_params
            .self_signed(&ca_key)
            .map_err(|e| tls_err("CA", e))?;
        let tls = ServerTls {
            ca_pem: ca_cert.pem(),
            current: RwLock::new((
                Arc::new(certified_key(&ca_key, ca_cert.der().to_vec())?),
                String::new(),
                String::new(),
            )),
            next_key: Mutex::new(new_key()?),
            ca_params,
            ca_key,
        };
        tls.rotate()?;
        Ok(tls)
    }

    /// The CA certificate (PEM) that clients must trust.
    pub(crate) fn ca_pem(&self) -> String {
        self.ca_pem.clone()
    }

    /// The pin of the key the server presents now.
    pub(crate) fn current_pin(&self) -> String {
        self.current.read().map(|c| c.1.clone()).unwrap_or_default()
    }

    /// The server certificate (PEM) presented now.
    pub(crate) fn current_cert_pem(&self) -> String {
        self.current.read().map(|c| c.2.clone()).unwrap_or_default()
    }

    /// The pin of the key the server will present after the next [`rotate`](Self::rotate).
    pub(crate) fn next_pin(&self) -> String {
        self.next_key
            .lock()
            .map(|k| spki_pin(&k))
            .unwrap_or_default()
    }

    /// Issues a new server certificate for the pre-generated next key, switches to it, and
    /// generates a new next key. Returns the pin of the new current key.
    pub(crate) fn rotate(&self) -> Result<String, SimulatorError> {
        let key = {
            let mut next = self
                .next_key
                .lock()
                .map_err(|_| tls_err("lock", "poisoned"))?;
            std::mem::replace(&mut *next, new_key()?)
        };
        let mut params = CertificateParams::new(vec![
            "localhost".to_owned(),
            "127.0.0.1".to_owned(),
            "::1".to_owned(),
        ])
        .map_err(|e| tls_err("server certificate", e))?;
        params
            .distinguished_name
            .push(DnType::CommonName, "sidkit simulator");
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let cert = params
            .signed_by(&key, &Issuer::from_params(&self.ca_params, &self.ca_key))
            .map_err(|e| tls_err("server certificate", e))?;
        let pin = spki_pin(&key);
        let certified = certified_key(&key, cert.der().to_vec())?;
        let mut cur = self
            .current
            .write()
            .map_err(|_| tls_err("lock", "poisoned"))?;
        *cur = (Arc::new(certified), pin.clone(), cert.pem());
        Ok(pin)
    }
}

/// A rustls `CertifiedKey` for `key` with the one-certificate chain `cert_der`.
fn certified_key(key: &KeyPair, cert_der: Vec<u8>) -> Result<CertifiedKey, SimulatorError> {
    let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    let signing = rustls::crypto::ring::sign::any_supported_type(&der)
        .map_err(|e| tls_err("signing key", e))?;
    Ok(CertifiedKey::new(
        vec![CertificateDer::from(cert_der)],
        signing,
    ))
}

/// Serves whatever certificate is current (so a rotation takes effect for new connections).
#[derive(Debug)]
pub(crate) struct Resolver(pub Arc<ServerTls>);

impl ResolvesServerCert for Resolver {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.0.current.read().ok().map(|c| c.0.clone())
    }
}

/// The rustls server configuration (ring provider, TLS 1.2/1.3, HTTP/1.1).
pub(crate) fn server_config(tls: Arc<ServerTls>) -> Result<rustls::ServerConfig, SimulatorError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut cfg = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| tls_err("server config", e))?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(Resolver(tls)));
    cfg.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(cfg)
}
