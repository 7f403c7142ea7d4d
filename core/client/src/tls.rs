//! TLS for the RP API: an explicit root store, SPKI-SHA256 pinning, and the mapping of TLS
//! errors to [`TlsFailure`].
//!
//! The certificate of the RP API host is first validated the normal way (rustls' WebPKI
//! verifier with only the configured roots: chain, validity, host name, signatures), and then
//! its public key must match one of the configured pins. Pins are matched against the
//! **end-entity** certificate only: an intermediate presented by the server is not proof of
//! anything (public intermediates can be sent by anyone), so pinning it would be weaker than it
//! looks. Several pins are allowed so that SK's next key can be added before the yearly
//! rotation (see `docs/client.md`).

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, OtherError, RootCertStore, SignatureScheme};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::api::{ApiFailure, TlsFailure, TransportKind};
use crate::error::{ClientError, Result};
use sidkit_proto::b64;
use sidkit_proto::secret::ct_eq;

/// The canonical prefix of a pin (as used by curl's `--pinnedpubkey` and the PHP client).
pub const PIN_PREFIX: &str = "sha256//";

/// A SHA-256 hash of a DER `SubjectPublicKeyInfo`: one pin.
///
/// Text form: `sha256//` followed by the standard Base64 of the 32-byte hash (the single-slash
/// form `sha256/…` is accepted too). Compute one from a certificate with
/// [`SpkiPin::of_certificate_der`] / [`SpkiPin::of_certificate_pem`], or with
/// `openssl x509 -in cert.pem -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SpkiPin([u8; 32]);

impl SpkiPin {
    /// The pin of a DER `SubjectPublicKeyInfo`.
    pub fn of_spki_der(spki: &[u8]) -> Self {
        SpkiPin(Sha256::digest(spki).into())
    }

    /// The pin of the public key of a DER certificate.
    pub fn of_certificate_der(cert: &[u8]) -> Result<Self> {
        let der = CertificateDer::from(cert);
        let parsed = webpki::EndEntityCert::try_from(&der)
            .map_err(|e| ClientError::invalid("certificate", format!("cannot parse: {e}")))?;
        Ok(Self::of_spki_der(parsed.subject_public_key_info().as_ref()))
    }

    /// The pins of every certificate in a PEM text (e.g. a server certificate file).
    pub fn of_certificate_pem(pem: &str) -> Result<Vec<Self>> {
        let certs = parse_pem_certificates("certificate", pem.as_bytes())?;
        certs
            .iter()
            .map(|c| Self::of_certificate_der(c.as_ref()))
            .collect()
    }

    /// The raw 32-byte hash.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn matches(&self, other: &[u8; 32]) -> bool {
        ct_eq(&self.0, other)
    }
}

impl fmt::Display for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{PIN_PREFIX}{}", b64::encode_std(&self.0))
    }
}

impl fmt::Debug for SpkiPin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SpkiPin({self})")
    }
}

impl FromStr for SpkiPin {
    type Err = ClientError;
    fn from_str(s: &str) -> Result<Self> {
        let s = s.trim();
        let body = s
            .strip_prefix(PIN_PREFIX)
            .or_else(|| s.strip_prefix("sha256/"))
            .ok_or_else(|| {
                ClientError::invalid(
                    "spkiPin",
                    "must look like sha256//<Base64 of the SHA-256 of the SubjectPublicKeyInfo>",
                )
            })?;
        let bytes = b64::decode_std("spkiPin", body)?;
        let arr: [u8; 32] = bytes
            .try_into()
            .map_err(|_| ClientError::invalid("spkiPin", "must be a 32-byte SHA-256 hash"))?;
        Ok(SpkiPin(arr))
    }
}

impl Serialize for SpkiPin {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SpkiPin {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

/// Parses every `CERTIFICATE` block of a PEM text; fails if there is none.
pub(crate) fn parse_pem_certificates(
    what: &'static str,
    pem: &[u8],
) -> Result<Vec<CertificateDer<'static>>> {
    let certs = CertificateDer::pem_slice_iter(pem)
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|e| ClientError::invalid(what, format!("invalid PEM: {e}")))?;
    if certs.is_empty() {
        return Err(ClientError::invalid(
            what,
            "contains no PEM CERTIFICATE block",
        ));
    }
    Ok(certs)
}

/// Builds a root store from PEM texts (each may hold several certificates).
pub(crate) fn root_store(pems: &[Vec<u8>]) -> Result<RootCertStore> {
    let mut roots = RootCertStore::empty();
    for pem in pems {
        for cert in parse_pem_certificates("caCertificates", pem)? {
            roots
                .add(cert)
                .map_err(|e| ClientError::invalid("caCertificates", format!("unusable CA: {e}")))?;
        }
    }
    if roots.is_empty() {
        return Err(ClientError::invalid(
            "caCertificates",
            "no CA certificate configured: an https base URL needs an explicit root store",
        ));
    }
    Ok(roots)
}

/// The error placed inside rustls' `CertificateError::Other` when no pin matches; found again
/// by [`classify`] to report [`TlsFailure::PinMismatch`].
#[derive(Debug)]
struct PinMismatch {
    presented: SpkiPin,
}

impl fmt::Display for PinMismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "server public key {} matches no configured pin",
            self.presented
        )
    }
}

impl std::error::Error for PinMismatch {}

/// A [`ServerCertVerifier`] that runs the WebPKI verifier and then checks the SPKI pins.
#[derive(Debug)]
struct PinnedVerifier {
    inner: Arc<WebPkiServerVerifier>,
    pins: Vec<SpkiPin>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> std::result::Result<ServerCertVerified, rustls::Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        if self.pins.is_empty() {
            // Only reachable with `allow_unpinned`, which the configuration documents as unsafe.
            return Ok(verified);
        }
        let cert = webpki::EndEntityCert::try_from(end_entity)
            .map_err(|_| rustls::Error::InvalidCertificate(CertificateError::BadEncoding))?;
        let presented = SpkiPin::of_spki_der(cert.subject_public_key_info().as_ref());
        // Check every pin (no early exit), each comparison in constant time.
        let matched = self
            .pins
            .iter()
            .fold(false, |acc, p| p.matches(presented.as_bytes()) | acc);
        if matched {
            Ok(verified)
        } else {
            Err(rustls::Error::InvalidCertificate(CertificateError::Other(
                OtherError(Arc::new(PinMismatch { presented })),
            )))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> std::result::Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

/// A rustls client configuration (ring provider, TLS 1.3 and 1.2, HTTP/1.1 ALPN) that trusts
/// only `roots` and, unless `pins` is empty, only keys in `pins`.
pub(crate) fn rustls_config(
    roots: RootCertStore,
    pins: Vec<SpkiPin>,
) -> Result<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let inner = WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider.clone())
        .build()
        .map_err(|e| {
            ClientError::invalid("caCertificates", format!("cannot build verifier: {e}"))
        })?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| ClientError::invalid("tls", e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(PinnedVerifier { inner, pins }))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

/// A rustls client configuration (ring provider, TLS 1.3 and 1.2, HTTP/1.1 ALPN) that trusts
/// only the CA certificates in `ca_pems` (PEM texts) and, unless `pins` is empty, only server
/// keys whose SPKI hash is in `pins`: the TLS policy of [`SmartIdClient`](crate::SmartIdClient),
/// for other HTTPS clients of an RP (e.g. a native app's transport to its own backend).
pub fn pinned_tls_config(ca_pems: &[Vec<u8>], pins: Vec<SpkiPin>) -> Result<rustls::ClientConfig> {
    rustls_config(root_store(ca_pems)?, pins)
}

/// Maps a reqwest error to a typed failure: TLS failures (with pin mismatches recognised),
/// timeouts, connection failures, and everything else. The request URL is never included.
pub(crate) fn classify(e: reqwest::Error) -> ApiFailure {
    let e = e.without_url();
    if let Some(tls) = find_tls_failure(&e) {
        return ApiFailure::Tls(tls);
    }
    let kind = if e.is_timeout() {
        TransportKind::Timeout
    } else if e.is_connect() {
        TransportKind::Connect
    } else if e.is_request() || e.is_body() || e.is_decode() {
        TransportKind::Connection
    } else {
        TransportKind::Other
    };
    ApiFailure::Transport {
        kind,
        message: chain_message(&e),
    }
}

/// `e: source: source…`, skipping repeated texts.
fn chain_message(e: &(dyn std::error::Error + 'static)) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut cur = Some(e);
    while let Some(err) = cur {
        let s = err.to_string();
        if !parts.iter().any(|p| p.contains(&s)) {
            parts.push(s);
        }
        cur = err.source();
    }
    parts.join(": ")
}

fn find_tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<TlsFailure> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(r) = err.downcast_ref::<rustls::Error>() {
            return Some(map_rustls(r));
        }
        // `io::Error::source` skips the wrapped error itself, so look inside explicitly.
        if let Some(io) = err.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                if let Some(found) = find_tls_failure(inner) {
                    return Some(found);
                }
            }
        }
        cur = err.source();
    }
    None
}

fn map_rustls(e: &rustls::Error) -> TlsFailure {
    match e {
        rustls::Error::InvalidCertificate(CertificateError::Other(other)) => {
            match other.0.downcast_ref::<PinMismatch>() {
                Some(p) => TlsFailure::PinMismatch {
                    presented: p.presented.to_string(),
                },
                None => TlsFailure::InvalidCertificate(e.to_string()),
            }
        }
        rustls::Error::InvalidCertificate(_) => TlsFailure::InvalidCertificate(e.to_string()),
        other => TlsFailure::Handshake(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pin_text_forms() {
        let p = SpkiPin::of_spki_der(b"spki");
        let text = p.to_string();
        assert!(text.starts_with("sha256//"));
        assert_eq!(text.parse::<SpkiPin>().unwrap(), p);
        assert_eq!(
            text.replacen("sha256//", "sha256/", 1)
                .parse::<SpkiPin>()
                .unwrap(),
            p
        );
        assert!("sha1//AAAA".parse::<SpkiPin>().is_err());
        assert!("sha256//AAAA".parse::<SpkiPin>().is_err(), "too short");
        assert!(
            b64::encode_std(&[0u8; 32]).parse::<SpkiPin>().is_err(),
            "no prefix"
        );
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<SpkiPin>(&json).unwrap(), p);
    }

    #[test]
    fn pem_errors() {
        assert!(parse_pem_certificates("x", b"not pem").is_err());
        assert!(root_store(&[]).is_err());
        assert!(SpkiPin::of_certificate_der(b"\x30\x03\x02\x01\x00").is_err());
    }

    #[test]
    fn classify_pin_mismatch_inside_io_error() {
        let presented = SpkiPin::of_spki_der(b"k");
        let rustls_err = rustls::Error::InvalidCertificate(CertificateError::Other(OtherError(
            Arc::new(PinMismatch { presented }),
        )));
        let io = std::io::Error::other(rustls_err);
        assert_eq!(
            find_tls_failure(&io),
            Some(TlsFailure::PinMismatch {
                presented: presented.to_string()
            })
        );
        let io = std::io::Error::other(rustls::Error::InvalidCertificate(
            CertificateError::UnknownIssuer,
        ));
        assert!(matches!(
            find_tls_failure(&io),
            Some(TlsFailure::InvalidCertificate(_))
        ));
        assert_eq!(find_tls_failure(&std::io::Error::other("plain")), None);
    }
}
