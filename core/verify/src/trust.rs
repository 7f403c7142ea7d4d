//! [`TrustStore`]: the explicitly configured trust anchors and intermediate CAs. The system
//! trust store is never consulted.

use std::collections::HashSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use super::cert::{CertFingerprint, Certificate};
use super::crypto::{self, PublicKey};
use crate::error::{Result, VerifyError};

/// Where a certificate went when added with [`TrustStore::add`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertRole {
    /// A trust anchor (self-issued: subject equals issuer).
    Anchor,
    /// An intermediate CA (must chain to an anchor).
    Intermediate,
}

/// Trust anchors (roots) and intermediate CA certificates for Smart-ID chains.
///
/// Only what is added here is trusted. Load SK's published CA files (see
/// [`sk_ca`]) for LIVE or DEMO, optionally pin them with
/// [`require_fingerprints`](Self::require_fingerprints).
///
/// ```no_run
/// use sidkit_verify::{sk_ca, TrustStore};
/// let mut store = TrustStore::new();
/// store.load_dir("/etc/smart-id/ca/live")?;
/// store.require_fingerprints(&sk_ca::live_fingerprints())?;
/// # Ok::<(), sidkit_verify::VerifyError>(())
/// ```
///
/// The store keeps the parsed public keys of its certificates and remembers which of its own
/// certificates it has already seen correctly signed by which of its CAs (keyed by the SHA-256
/// of both), so that the static part of a chain is verified once, not per response. Clones
/// share that memory.
#[derive(Debug, Clone, Default)]
#[doc(alias(
    "DefaultTrustedCACertStore",
    "FileTrustedCAStoreBuilder",
    "TrustedCACertStore"
))]
pub struct TrustStore {
    anchors: Vec<Certificate>,
    intermediates: Vec<Certificate>,
    anchor_keys: Vec<Result<PublicKey, String>>,
    intermediate_keys: Vec<Result<PublicKey, String>>,
    verified: Arc<Mutex<HashSet<(CertFingerprint, CertFingerprint)>>>,
    /// SHA-256 over the sorted fingerprints of the anchors and of the intermediates: what the
    /// [`VerifiedCertCache`](crate::VerifiedCertCache) keys entries by, so that a chain
    /// verified against one store is never reused for another. Kept current by every `add`.
    identity: [u8; 32],
}

fn io_err(path: &Path, e: std::io::Error) -> VerifyError {
    VerifyError::invalid("trustStore", format!("cannot read {}: {e}", path.display()))
}

impl TrustStore {
    /// An empty store (which trusts nothing).
    pub fn new() -> Self {
        Self::default()
    }

    /// A store with every certificate of the directory `dir` (see [`load_dir`](Self::load_dir)).
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self> {
        let mut s = Self::new();
        s.load_dir(dir)?;
        Ok(s)
    }

    /// SK's production (LIVE) Smart-ID CA hierarchy, bundled with the crate: 3 roots and 6
    /// intermediates (see [`sk_ca::LIVE`]). Every embedded certificate is checked against its
    /// pinned SHA-256 fingerprint before the store is returned.
    ///
    /// ```
    /// use sidkit_verify::TrustStore;
    /// let store = TrustStore::sk_live()?;
    /// assert_eq!(store.anchors().len(), 3);
    /// # Ok::<(), sidkit_verify::VerifyError>(())
    /// ```
    pub fn sk_live() -> Result<Self> {
        Self::from_bundled(sk_ca::LIVE)
    }

    /// SK's DEMO Smart-ID CA hierarchy ("TEST of ..."), bundled with the crate: 3 roots and 4
    /// intermediates (see [`sk_ca::DEMO`]). Only for SK's DEMO environment: never trust it in
    /// production.
    pub fn sk_demo() -> Result<Self> {
        Self::from_bundled(sk_ca::DEMO)
    }

    fn from_bundled(set: &[sk_ca::SkCa]) -> Result<Self> {
        let mut s = Self::new();
        for ca in set {
            let mut certs = Certificate::from_pem(ca.pem.as_bytes())?;
            if certs.len() != 1 || certs[0].fingerprint() != ca.fingerprint() {
                return Err(VerifyError::invalid(
                    "trustStore",
                    format!(
                        "bundled CA file {} does not match its pinned fingerprint",
                        ca.file
                    ),
                ));
            }
            s.add(certs.remove(0));
        }
        Ok(s)
    }

    /// Whether `cert` is one of the store's anchors or intermediates (same DER).
    pub(crate) fn contains(&self, cert: &Certificate) -> bool {
        self.anchors
            .iter()
            .chain(&self.intermediates)
            .any(|c| c.fingerprint() == cert.fingerprint())
    }

    /// Adds a trust anchor. Adding a certificate twice has no effect.
    pub fn add_anchor(&mut self, cert: Certificate) {
        if !self.contains(&cert) {
            self.anchor_keys.push(crypto::public_key(&cert));
            self.anchors.push(cert);
            self.refresh_identity();
        }
    }

    /// Adds an intermediate CA certificate. It is trusted only if it chains to an anchor.
    pub fn add_intermediate(&mut self, cert: Certificate) {
        if !self.contains(&cert) {
            self.intermediate_keys.push(crypto::public_key(&cert));
            self.intermediates.push(cert);
            self.refresh_identity();
        }
    }

    /// Recomputes [`identity`](Self::identity): SHA-256 of a domain tag, then the sorted
    /// anchor fingerprints, then the sorted intermediate fingerprints, each list with its
    /// length (so that no certificate can move between the roles unnoticed).
    fn refresh_identity(&mut self) {
        use sha2::Digest as _;
        let mut h = sha2::Sha256::new();
        h.update(b"sidkit-verify trust store v1");
        for list in [&self.anchors, &self.intermediates] {
            let mut fps: Vec<[u8; 32]> = list.iter().map(|c| c.fingerprint().0).collect();
            fps.sort_unstable();
            h.update((fps.len() as u64).to_be_bytes());
            for fp in fps {
                h.update(fp);
            }
        }
        self.identity = h.finalize().into();
    }

    /// A digest identifying the store's contents (anchors and intermediates, whatever order
    /// they were added in): equal for stores that trust the same certificates in the same
    /// roles.
    pub(crate) fn identity(&self) -> [u8; 32] {
        self.identity
    }

    /// Adds a certificate as an anchor if it is self-issued, else as an intermediate.
    pub fn add(&mut self, cert: Certificate) -> CertRole {
        if cert.is_self_issued() {
            self.add_anchor(cert);
            CertRole::Anchor
        } else {
            self.add_intermediate(cert);
            CertRole::Intermediate
        }
    }

    /// Adds one DER certificate (role by [`add`](Self::add)).
    pub fn add_der(&mut self, der: &[u8]) -> Result<CertRole> {
        Ok(self.add(Certificate::from_der(der)?))
    }

    /// Adds every `CERTIFICATE` block of a PEM text; returns how many were found.
    pub fn add_pem(&mut self, pem: &[u8]) -> Result<usize> {
        let certs = Certificate::from_pem(pem)?;
        let n = certs.len();
        for c in certs {
            self.add(c);
        }
        Ok(n)
    }

    /// Adds the certificates of one file: PEM (any number of blocks) or a single DER
    /// certificate. Returns how many were read.
    pub fn load_file(&mut self, path: impl AsRef<Path>) -> Result<usize> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|e| io_err(path, e))?;
        let named = |e: VerifyError| match e {
            VerifyError::InvalidInput { field, reason } => VerifyError::InvalidInput {
                field,
                reason: format!("{}: {reason}", path.display()),
            },
            other => other,
        };
        if bytes.windows(11).any(|w| w == b"-----BEGIN ") {
            self.add_pem(&bytes).map_err(named)
        } else {
            self.add_der(&bytes).map(|_| 1).map_err(named)
        }
    }

    /// Adds every certificate file of a directory (not recursive). Files ending in `.pem`,
    /// `.crt`, `.cer` or `.der`, and any file containing a PEM block, must hold valid
    /// certificates; other files (README, …) are skipped. Returns how many certificates were
    /// read; a directory without any certificate is an error.
    pub fn load_dir(&mut self, dir: impl AsRef<Path>) -> Result<usize> {
        let dir = dir.as_ref();
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| io_err(dir, e))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()
            .map_err(|e| io_err(dir, e))?;
        paths.sort();
        let mut n = 0;
        for p in paths {
            if !p.is_file() {
                continue;
            }
            let cert_like = p.extension().and_then(|e| e.to_str()).is_some_and(|e| {
                ["pem", "crt", "cer", "der"]
                    .iter()
                    .any(|x| e.eq_ignore_ascii_case(x))
            });
            if cert_like {
                n += self.load_file(&p)?;
            } else {
                let bytes = std::fs::read(&p).map_err(|e| io_err(&p, e))?;
                if bytes
                    .windows(27)
                    .any(|w| w == b"-----BEGIN CERTIFICATE-----")
                {
                    n += self.load_file(&p)?;
                }
            }
        }
        if n == 0 {
            return Err(VerifyError::invalid(
                "trustStore",
                format!("no certificate found in {}", dir.display()),
            ));
        }
        Ok(n)
    }

    /// The trust anchors.
    pub fn anchors(&self) -> &[Certificate] {
        &self.anchors
    }

    /// The intermediate CAs.
    pub fn intermediates(&self) -> &[Certificate] {
        &self.intermediates
    }

    /// Anchors with their parsed public keys.
    pub(crate) fn anchor_entries(
        &self,
    ) -> impl Iterator<Item = (&Certificate, &Result<PublicKey, String>)> {
        self.anchors.iter().zip(&self.anchor_keys)
    }

    /// Intermediates with their parsed public keys.
    pub(crate) fn intermediate_entries(
        &self,
    ) -> impl Iterator<Item = (&Certificate, &Result<PublicKey, String>)> {
        self.intermediates.iter().zip(&self.intermediate_keys)
    }

    /// Verifies `cert`'s signature with `issuer_key`, remembering successes when `cert` is one
    /// of the store's own certificates.
    pub(crate) fn verify_signature(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        issuer_key: &PublicKey,
    ) -> Result<(), String> {
        let pair = (cert.fingerprint(), issuer.fingerprint());
        let own = self.contains(cert);
        if own {
            if let Ok(seen) = self.verified.lock() {
                if seen.contains(&pair) {
                    return Ok(());
                }
            }
        }
        crypto::verify_certificate_signature(cert, issuer_key)?;
        if own {
            if let Ok(mut seen) = self.verified.lock() {
                seen.insert(pair);
            }
        }
        Ok(())
    }

    /// Whether the store has no anchor (and so trusts nothing).
    pub fn is_empty(&self) -> bool {
        self.anchors.is_empty()
    }

    /// Fails unless every certificate in the store has one of the `allowed` SHA-256
    /// fingerprints: pins the store to known CA files, so that a file swapped on disk is
    /// noticed.
    pub fn require_fingerprints(&self, allowed: &[CertFingerprint]) -> Result<()> {
        for c in self.anchors.iter().chain(&self.intermediates) {
            if !allowed.contains(&c.fingerprint()) {
                return Err(VerifyError::invalid(
                    "trustStore",
                    format!(
                        "certificate `{}` (SHA-256 {}) is not among the pinned fingerprints",
                        c.subject(),
                        c.fingerprint()
                    ),
                ));
            }
        }
        Ok(())
    }
}

/// SK ID Solutions' published Smart-ID CA certificates, bundled with the crate: file names (as
/// SK distributes them), subjects, SHA-256 fingerprints and the PEM itself. Build a store from
/// them with [`TrustStore::sk_live`] / [`TrustStore::sk_demo`], or pin a store loaded from
/// your own copies with [`live_fingerprints`](sk_ca::live_fingerprints) / [`demo_fingerprints`](sk_ca::demo_fingerprints).
pub mod sk_ca {
    use super::CertFingerprint;

    /// One published CA certificate.
    #[derive(Debug, Clone, Copy, PartialEq, Eq)]
    pub struct SkCa {
        /// File name in SK's distribution.
        pub file: &'static str,
        /// Subject common name.
        pub common_name: &'static str,
        /// SHA-256 of the DER, upper-case hex.
        pub sha256: &'static str,
        /// The certificate as SK publishes it (PEM), bundled with the crate.
        pub pem: &'static str,
    }

    impl SkCa {
        /// The fingerprint as a value.
        pub fn fingerprint(&self) -> CertFingerprint {
            // The table below is checked by unit tests: every entry is 64 hex digits.
            CertFingerprint::from_hex(self.sha256).unwrap_or(CertFingerprint([0; 32]))
        }
    }

    /// The LIVE hierarchy.
    pub const LIVE: &[SkCa] = &[
        SkCa {
            file: "EE_Certification_Centre_Root_CA.pem.crt",
            common_name: "EE Certification Centre Root CA",
            sha256: "3E84BA4342908516E77573C0992F0979CA084E4685681FF195CCBA8A229B8A76",
            pem: include_str!("../ca/live/EE_Certification_Centre_Root_CA.pem.crt"),
        },
        SkCa {
            file: "EID-SK_2016.pem.crt",
            common_name: "EID-SK 2016",
            sha256: "E73F1F19A4459A6067A45E84DB585D6C1DF8F12A739D733F5B28996546F1875A",
            pem: include_str!("../ca/live/EID-SK_2016.pem.crt"),
        },
        SkCa {
            file: "EID_NQ_2021E.pem.crt",
            common_name: "SK ID Solutions EID-NQ 2021E",
            sha256: "925CD662B3CAF6C67E5481B34A7F89079FFC3587E74D2365342C1A67F30DD478",
            pem: include_str!("../ca/live/EID_NQ_2021E.pem.crt"),
        },
        SkCa {
            file: "EID_NQ_2021R.pem.crt",
            common_name: "SK ID Solutions EID-NQ 2021R",
            sha256: "90A1217AEFD8B635CAAF132DCC3D76A10D6D1001521B161A25266984E8AF34EB",
            pem: include_str!("../ca/live/EID_NQ_2021R.pem.crt"),
        },
        SkCa {
            file: "EID_Q_2024E.pem.crt",
            common_name: "SK ID Solutions EID-Q 2024E",
            sha256: "95C4E7E2B5C2617E877442F4276146F8895CEE8BAA33340EFA03E45A66D62D25",
            pem: include_str!("../ca/live/EID_Q_2024E.pem.crt"),
        },
        SkCa {
            file: "EID_Q_2024R.pem.crt",
            common_name: "SK ID Solutions EID-Q 2024R",
            sha256: "C66244D29CF8033B1D4A6F16D8B0F9DB7B27CDABCE5AD0C05EFF70EDA1257235",
            pem: include_str!("../ca/live/EID_Q_2024R.pem.crt"),
        },
        SkCa {
            file: "NQ-SK_2016.pem.crt",
            common_name: "NQ-SK 2016",
            sha256: "B5CFE6B0B2AA861A0B367C0C05395A538AD493A9DF011544A8EFC4687FDB2CC8",
            pem: include_str!("../ca/live/NQ-SK_2016.pem.crt"),
        },
        SkCa {
            file: "SK_ID_Solutions_ROOT_G1E.pem.crt",
            common_name: "SK ID Solutions ROOT G1E",
            sha256: "A272DE102A8038F7E100EACFB6DB1C930D3CB9F51D76B218DE3A4A433BCFD182",
            pem: include_str!("../ca/live/SK_ID_Solutions_ROOT_G1E.pem.crt"),
        },
        SkCa {
            file: "SK_ID_Solutions_ROOT_G1R.pem.crt",
            common_name: "SK ID Solutions ROOT G1R",
            sha256: "D012DA1A62193928C5B4D89D2A72495B1F77EA5D54F23956BC1DF2F75528FEFB",
            pem: include_str!("../ca/live/SK_ID_Solutions_ROOT_G1R.pem.crt"),
        },
    ];

    /// The DEMO hierarchy ("TEST of …").
    pub const DEMO: &[SkCa] = &[
        SkCa {
            file: "TEST_EE_Certification_Centre_Root_CA.pem.crt",
            common_name: "TEST of EE Certification Centre Root CA",
            sha256: "8740698FA393E60179E94A18795EA7DBA3D081FDC15479A78FC561B42DA2C70D",
            pem: include_str!("../ca/demo/TEST_EE_Certification_Centre_Root_CA.pem.crt"),
        },
        SkCa {
            file: "TEST_EID-NQ_2021E.pem.crt",
            common_name: "TEST of SK ID Solutions EID-NQ 2021E",
            sha256: "1EDB56BF2B6314EB26D24744542795D17CE7874B3A70C80189E35741ADC4FAF2",
            pem: include_str!("../ca/demo/TEST_EID-NQ_2021E.pem.crt"),
        },
        SkCa {
            file: "TEST_EID-NQ_2021R.pem.crt",
            common_name: "TEST of SK ID Solutions EID-NQ 2021R",
            sha256: "EE3767DD291CEE3F4EE91461A1BF14F414778599A01A5BBC6F9EC107E68A5A5A",
            pem: include_str!("../ca/demo/TEST_EID-NQ_2021R.pem.crt"),
        },
        SkCa {
            file: "TEST_SK_ROOT_G1_2021E.pem.crt",
            common_name: "TEST of SK ID Solutions ROOT G1E",
            sha256: "84242DD8E1A1878F76FF2B5CA0C8EF22C8A8863CF072E56A9F0DC28ADD96B143",
            pem: include_str!("../ca/demo/TEST_SK_ROOT_G1_2021E.pem.crt"),
        },
        SkCa {
            file: "TEST_SK_ROOT_G1_2021R.pem.crt",
            common_name: "TEST of SK ID Solutions ROOT G1R",
            sha256: "97290DFB07895A3501A5E5564A0DD4D89CD6A9FDED5BAE7FF6E0E747002E23C9",
            pem: include_str!("../ca/demo/TEST_SK_ROOT_G1_2021R.pem.crt"),
        },
        SkCa {
            file: "TEST_of_SK_ID_Solutions_EID-Q_2024E.pem.crt",
            common_name: "TEST of SK ID Solutions EID-Q 2024E",
            sha256: "063A4E908785A2B45FBA27A22D45D9F2BBAA9A382E5B103E1D1036832CEE6AC2",
            pem: include_str!("../ca/demo/TEST_of_SK_ID_Solutions_EID-Q_2024E.pem.crt"),
        },
        SkCa {
            file: "TEST_of_SK_ID_Solutions_EID-Q_2024R.pem.crt",
            common_name: "TEST of SK ID Solutions EID-Q 2024R",
            sha256: "913D3009B08E7CA3095F6732F38397B3132EB77F9905CF2C0DE82C780CCB64DF",
            pem: include_str!("../ca/demo/TEST_of_SK_ID_Solutions_EID-Q_2024R.pem.crt"),
        },
    ];

    /// Fingerprints of [`LIVE`].
    pub fn live_fingerprints() -> Vec<CertFingerprint> {
        LIVE.iter().map(SkCa::fingerprint).collect()
    }

    /// Fingerprints of [`DEMO`].
    pub fn demo_fingerprints() -> Vec<CertFingerprint> {
        DEMO.iter().map(SkCa::fingerprint).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sk_table_is_well_formed() {
        for ca in sk_ca::LIVE.iter().chain(sk_ca::DEMO) {
            let fp = CertFingerprint::from_hex(ca.sha256).unwrap();
            assert_eq!(fp.to_hex(), ca.sha256);
        }
    }

    #[test]
    fn fingerprint_hex() {
        let s = "3E:84:BA:43:42:90:85:16:E7:75:73:C0:99:2F:09:79:CA:08:4E:46:85:68:1F:F1:95:CC:BA:8A:22:9B:8A:76";
        assert_eq!(
            CertFingerprint::from_hex(s).unwrap().to_hex(),
            s.replace(':', "")
        );
        assert_eq!(
            CertFingerprint::from_hex(&s.to_lowercase())
                .unwrap()
                .to_hex(),
            s.replace(':', "")
        );
        assert!(CertFingerprint::from_hex("3E84").is_err());
        assert!(CertFingerprint::from_hex(&"G".repeat(64)).is_err());
    }
}
