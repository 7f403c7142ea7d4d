//! A test PKI that issues Smart-ID-like certificates (crate `sidkit-testpki`, `publish = false`,
//! a dev-dependency of the layers and a dependency of the simulator only). **Never use it in
//! production**: its CAs are generated on the fly and trusted by nobody.
//!
//! Longer than 600 lines because it is one generator of certificate hierarchies with every
//! profile knob the verification tests turn (test-only crate).
//!
//! It exists so that the response verifier, the simulator and the end-to-end tests can run the
//! whole protocol offline: a root and an intermediate CA (ECDSA or RSA), and end-entity
//! certificates with the extensions of the SK "Certificate and OCSP Profile for Smart-ID"
//! (subject serialNumber/givenName/surname, certificate policies, key usage, extended key usage,
//! QC statements, an OCSP URL), each of which a test can change or leave out to exercise one
//! rejection at a time.
//!
//! RSA keys are generated with the `rsa` crate and cached per `(bits, slot)` for the whole
//! process, because RSA key generation dominates the cost.
//!
//! [`redis_server`] starts a private `redis-server` (plain, or TLS with a CA generated for the
//! test) for the tests of the Redis session store.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, SystemTime};

use rcgen::{
    BasicConstraints, CertificateParams, CustomExtension, DistinguishedName, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, SerialNumber,
};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePrivateKey;
use rsa::{Pkcs1v15Sign, PrivateKey as RsaPrivateKey, Pss};

use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::models::{
    CertificateLevel, EndResult, FlowType, HashAlgorithm, MaskGenAlgorithm, MaskGenParameters,
    ResponseCertificate, ResponseSignatureAlgorithmParameters, SessionResult, SessionSignature,
    SessionState, SessionStatus, SignatureAlgorithm,
};
use sidkit_proto::{ProtoError, Result};

pub mod ocsp;
pub mod openssl_pki;
pub mod redis_server;

fn err(what: &str, e: impl std::fmt::Display) -> ProtoError {
    ProtoError::invalid("testPki", format!("{what}: {e}"))
}

/// Well-known object identifiers of the Smart-ID certificate profile.
pub mod oid {
    /// Smart-ID scheme policy, qualified (`1.3.6.1.4.1.10015.17.2`).
    pub const SMART_ID_QUALIFIED: &str = "1.3.6.1.4.1.10015.17.2";
    /// Smart-ID scheme policy, non-qualified (`1.3.6.1.4.1.10015.17.1`).
    pub const SMART_ID_NON_QUALIFIED: &str = "1.3.6.1.4.1.10015.17.1";
    /// ETSI NCP+ (`0.4.0.2042.1.2`): qualified authentication.
    pub const ETSI_NCP_PLUS: &str = "0.4.0.2042.1.2";
    /// ETSI NCP (`0.4.0.2042.1.1`): non-qualified.
    pub const ETSI_NCP: &str = "0.4.0.2042.1.1";
    /// ETSI QCP-n-qscd (`0.4.0.194112.1.2`): qualified signature on a QSCD.
    pub const ETSI_QCP_N_QSCD: &str = "0.4.0.194112.1.2";
    /// Smart-ID authentication EKU (`1.3.6.1.4.1.62306.5.7.0`), certificates since April 2025.
    pub const EKU_SMART_ID_AUTH: &str = "1.3.6.1.4.1.62306.5.7.0";
    /// `id-kp-clientAuth` (`1.3.6.1.5.5.7.3.2`): the legacy authentication EKU.
    pub const EKU_CLIENT_AUTH: &str = "1.3.6.1.5.5.7.3.2";
    /// `id-etsi-qcs-QcCompliance` (`0.4.0.1862.1.1`).
    pub const QCS_COMPLIANCE: &str = "0.4.0.1862.1.1";
    /// `id-etsi-qcs-QcSSCD` (`0.4.0.1862.1.4`).
    pub const QCS_SSCD: &str = "0.4.0.1862.1.4";
    /// `id-etsi-qcs-QcType` (`0.4.0.1862.1.6`).
    pub const QCS_TYPE: &str = "0.4.0.1862.1.6";
    /// `id-etsi-qct-esign` (`0.4.0.1862.1.6.1`).
    pub const QCT_ESIGN: &str = "0.4.0.1862.1.6.1";
    /// `id-qcs-pkixQCSyntax-v2` (`1.3.6.1.5.5.7.11.2`).
    pub const QCS_PKIX_SYNTAX_V2: &str = "1.3.6.1.5.5.7.11.2";
    /// `id-etsi-qcs-semanticsId-Natural` (`0.4.0.194121.1.1`).
    pub const SEMANTICS_ID_NATURAL: &str = "0.4.0.194121.1.1";
}

fn oid_arcs(s: &str) -> Result<Vec<u64>> {
    let arcs: Option<Vec<u64>> = s.split('.').map(|a| a.parse().ok()).collect();
    match arcs {
        Some(a) if a.len() >= 2 => Ok(a),
        _ => Err(err("OID", s)),
    }
}

// ---- minimal DER writer for the extensions rcgen has no builder for ----

fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
}

fn der_tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    der_len(content.len(), &mut out);
    out.extend_from_slice(content);
    out
}

fn der_seq(items: &[Vec<u8>]) -> Vec<u8> {
    der_tlv(0x30, &items.concat())
}

fn der_oid(s: &str) -> Result<Vec<u8>> {
    let arcs = oid_arcs(s)?;
    let mut body = Vec::new();
    let mut push_arc = |mut v: u64| {
        let mut tmp = vec![(v & 0x7f) as u8];
        v >>= 7;
        while v > 0 {
            tmp.push(0x80 | (v & 0x7f) as u8);
            v >>= 7;
        }
        tmp.reverse();
        body.extend(tmp);
    };
    push_arc(arcs[0] * 40 + arcs[1]);
    for &a in &arcs[2..] {
        push_arc(a);
    }
    Ok(der_tlv(0x06, &body))
}

fn ext(oid: &str, content: Vec<u8>) -> Result<CustomExtension> {
    Ok(CustomExtension::from_oid_content(&oid_arcs(oid)?, content))
}

/// `certificatePolicies` with the given policy OIDs.
fn policies_ext(policies: &[String]) -> Result<CustomExtension> {
    let infos = policies
        .iter()
        .map(|p| Ok(der_seq(&[der_oid(p)?])))
        .collect::<Result<Vec<_>>>()?;
    ext("2.5.29.32", der_seq(&infos))
}

/// QC statements: compliance (optional), SSCD (optional), QcType with `types` (left out when
/// empty), and the natural-person semantics.
fn qc_statements_ext(compliance: bool, sscd: bool, types: &[String]) -> Result<CustomExtension> {
    let mut stmts = Vec::new();
    if compliance {
        stmts.push(der_seq(&[der_oid(oid::QCS_COMPLIANCE)?]));
    }
    if sscd {
        stmts.push(der_seq(&[der_oid(oid::QCS_SSCD)?]));
    }
    if !types.is_empty() {
        let oids = types
            .iter()
            .map(|t| der_oid(t))
            .collect::<Result<Vec<_>>>()?;
        stmts.push(der_seq(&[der_oid(oid::QCS_TYPE)?, der_seq(&oids)]));
    }
    stmts.push(der_seq(&[
        der_oid(oid::QCS_PKIX_SYNTAX_V2)?,
        der_seq(&[der_oid(oid::SEMANTICS_ID_NATURAL)?]),
    ]));
    ext("1.3.6.1.5.5.7.1.3", der_seq(&stmts))
}

/// `subjectDirectoryAttributes` with `dateOfBirth` (GeneralizedTime at noon UTC, as SK does).
fn date_of_birth_ext((y, m, d): (u16, u8, u8)) -> Result<CustomExtension> {
    let time = format!("{y:04}{m:02}{d:02}120000Z");
    let attr = der_seq(&[
        der_oid("1.3.6.1.5.5.7.9.1")?,
        der_tlv(0x31, &der_tlv(0x18, time.as_bytes())),
    ]);
    ext("2.5.29.9", der_seq(&[attr]))
}

/// `authorityInfoAccess` with one OCSP URL.
fn aia_ext(ocsp_url: &str) -> Result<CustomExtension> {
    let desc = der_seq(&[
        der_oid("1.3.6.1.5.5.7.48.1")?,
        der_tlv(0x86, ocsp_url.as_bytes()),
    ]);
    ext("1.3.6.1.5.5.7.1.1", der_seq(&[desc]))
}

/// Splits the content of a constructed DER element into its raw child elements (for the
/// well-formed DER that rcgen produces; lengths up to four bytes).
fn der_children(mut content: &[u8]) -> Result<Vec<&[u8]>> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let first = *content.get(1).ok_or_else(|| err("DER", "truncated"))?;
        let (hdr, len) = if first < 0x80 {
            (2, usize::from(first))
        } else {
            let n = usize::from(first & 0x7f);
            let bytes = content
                .get(2..2 + n)
                .ok_or_else(|| err("DER", "truncated"))?;
            (
                2 + n,
                bytes.iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
            )
        };
        let end = hdr + len;
        out.push(content.get(..end).ok_or_else(|| err("DER", "truncated"))?);
        content = &content[end..];
    }
    Ok(out)
}

/// The content of a single DER element.
fn der_content(element: &[u8]) -> Result<&[u8]> {
    let first = *element.get(1).ok_or_else(|| err("DER", "truncated"))?;
    let hdr = if first < 0x80 {
        2
    } else {
        2 + usize::from(first & 0x7f)
    };
    element.get(hdr..).ok_or_else(|| err("DER", "truncated"))
}

/// `AlgorithmIdentifier` of RSASSA-PSS with `hash` (SHA-2), MGF1 with the same hash and a salt
/// of the hash length.
fn pss_algorithm_identifier(alg: HashAlgorithm) -> Result<Vec<u8>> {
    let hash_oid = match alg {
        HashAlgorithm::Sha256 => "2.16.840.1.101.3.4.2.1",
        HashAlgorithm::Sha384 => "2.16.840.1.101.3.4.2.2",
        HashAlgorithm::Sha512 => "2.16.840.1.101.3.4.2.3",
        other => {
            return Err(err(
                "RSASSA-PSS certificate",
                format!("{other} not supported"),
            ))
        }
    };
    let hash_ai = der_seq(&[der_oid(hash_oid)?, vec![0x05, 0x00]]);
    let mgf = der_seq(&[der_oid("1.2.840.113549.1.1.8")?, hash_ai.clone()]);
    let salt = der_tlv(0x02, &[alg.output_len() as u8]);
    let params = der_seq(&[
        der_tlv(0xa0, &hash_ai),
        der_tlv(0xa1, &mgf),
        der_tlv(0xa2, &salt),
    ]);
    Ok(der_seq(&[der_oid("1.2.840.113549.1.1.10")?, params]))
}

// ---- keys ----

type KeyCache = Mutex<HashMap<(usize, u32), Arc<RsaPrivateKey>>>;

/// An RSA key of `bits` bits, generated once per `(bits, slot)` and process.
pub fn rsa_key(bits: usize, slot: u32) -> Result<Arc<RsaPrivateKey>> {
    static CACHE: OnceLock<KeyCache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(k) = cache
        .lock()
        .map_err(|e| err("key cache", e))?
        .get(&(bits, slot))
    {
        return Ok(k.clone());
    }
    // Generated outside the lock; a concurrent generation of the same slot just loses the race.
    let key = Arc::new(
        RsaPrivateKey::new(&mut getrandom::SysRng, bits)
            .map_err(|e| err("RSA key generation", e))?,
    );
    let mut guard = cache.lock().map_err(|e| err("key cache", e))?;
    Ok(guard.entry((bits, slot)).or_insert(key).clone())
}

fn rcgen_rsa_keypair(key: &RsaPrivateKey) -> Result<KeyPair> {
    let der = key.to_pkcs8_der().map_err(|e| err("PKCS#8", e))?;
    KeyPair::from_pkcs8_der_and_sign_algo(&der.as_bytes().into(), &rcgen::PKCS_RSA_SHA256)
        .map_err(|e| err("rcgen RSA key", e))
}

/// An RSA public key (PKCS#1 `RSAPublicKey` DER) for rcgen.
struct RsaSpki(Vec<u8>);

impl PublicKeyData for RsaSpki {
    fn der_bytes(&self) -> &[u8] {
        &self.0
    }
    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_RSA_SHA256
    }
}

/// The key type of a test CA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaKeyType {
    /// ECDSA P-256 with SHA-256.
    EcdsaP256,
    /// ECDSA P-384 with SHA-384 (like SK's `…E` hierarchy).
    EcdsaP384,
    /// RSA-2048 with SHA-256 (like SK's `…R` hierarchy).
    Rsa2048,
}

fn ca_keypair(kind: CaKeyType, slot: u32) -> Result<(KeyPair, Option<Arc<RsaPrivateKey>>)> {
    match kind {
        CaKeyType::EcdsaP256 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
            .map(|k| (k, None))
            .map_err(|e| err("CA key", e)),
        CaKeyType::EcdsaP384 => KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384)
            .map(|k| (k, None))
            .map_err(|e| err("CA key", e)),
        CaKeyType::Rsa2048 => {
            let key = rsa_key(2048, 1000 + slot)?;
            Ok((rcgen_rsa_keypair(&key)?, Some(key)))
        }
    }
}

fn dt(t: SystemTime) -> Result<time::OffsetDateTime> {
    let secs = t
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|e| err("time", e))?
        .as_secs();
    time::OffsetDateTime::from_unix_timestamp(secs as i64).map_err(|e| err("time", e))
}

fn serial() -> Result<SerialNumber> {
    let mut b = sidkit_proto::secret::random_bytes(16)?.to_vec();
    b[0] &= 0x7f;
    Ok(SerialNumber::from(b))
}

/// One generated CA: its certificate and signing key.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
    rsa: Option<Arc<RsaPrivateKey>>,
    der: Vec<u8>,
    pem: String,
}

impl std::fmt::Debug for TestCa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestCa").finish_non_exhaustive()
    }
}

impl TestCa {
    /// DER of the CA certificate.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// PEM of the CA certificate.
    pub fn pem(&self) -> &str {
        &self.pem
    }

    fn issuer(&self) -> Issuer<'_, &KeyPair> {
        Issuer::from_params(&self.params, &self.key)
    }
}

/// How a test CA hierarchy is generated.
#[derive(Debug, Clone)]
pub struct PkiSpec {
    /// Name prefix of the CAs, e.g. `TEST of sidkit`.
    pub name: String,
    /// Key type of the root.
    pub root_key: CaKeyType,
    /// Key type of the intermediate.
    pub intermediate_key: CaKeyType,
    /// Validity start of both CAs.
    pub not_before: SystemTime,
    /// Validity end of both CAs.
    pub not_after: SystemTime,
    /// Leave `cA=TRUE` out of the intermediate (to test basic-constraints checks).
    pub intermediate_not_ca: bool,
    /// Leave the basicConstraints extension out of the intermediate altogether (wins over
    /// `intermediate_not_ca` and `intermediate_path_len`).
    pub intermediate_without_basic_constraints: bool,
    /// `pathLenConstraint` of the intermediate (`None`: unconstrained). `Some(0)` forbids a
    /// CA below it (see [`TestPki::issue_ca`]).
    pub intermediate_path_len: Option<u8>,
    /// `pathLenConstraint` of the root (`None`: unconstrained). `Some(0)` forbids the
    /// intermediate (to test path-length checks).
    pub root_path_len: Option<u8>,
    /// Leave the basicConstraints extension out of the root (wins over `root_path_len`).
    pub root_without_basic_constraints: bool,
    /// Key usages of the intermediate (`keyCertSign` and `cRLSign` by default).
    pub intermediate_key_usages: Vec<KeyUsagePurpose>,
    /// OCSP responder URL for the intermediate's AIA extension, where the root's responder
    /// answers for it (`None` by default: no AIA).
    pub intermediate_ocsp_url: Option<String>,
}

impl PkiSpec {
    /// An ECDSA P-384 root and intermediate, valid from a day ago for ten years.
    pub fn new(name: impl Into<String>) -> Self {
        let now = SystemTime::now();
        PkiSpec {
            name: name.into(),
            root_key: CaKeyType::EcdsaP384,
            intermediate_key: CaKeyType::EcdsaP384,
            not_before: now - Duration::from_secs(86_400),
            not_after: now + Duration::from_secs(10 * 365 * 86_400),
            intermediate_not_ca: false,
            intermediate_without_basic_constraints: false,
            intermediate_path_len: None,
            root_path_len: None,
            root_without_basic_constraints: false,
            intermediate_key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
            intermediate_ocsp_url: None,
        }
    }
}

/// A root CA and an intermediate CA that issue Smart-ID-like end-entity certificates.
pub struct TestPki {
    /// The self-signed root (the trust anchor).
    pub root: TestCa,
    /// The intermediate that issues end-entity certificates.
    pub intermediate: TestCa,
}

impl std::fmt::Debug for TestPki {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestPki").finish_non_exhaustive()
    }
}

/// The basicConstraints extension of a test CA certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaBasicConstraints {
    /// `cA=TRUE`, with an optional `pathLenConstraint`.
    Ca {
        /// `pathLenConstraint` (`None`: unconstrained).
        path_len: Option<u8>,
    },
    /// The extension with `cA=FALSE`.
    NotCa,
    /// No basicConstraints extension at all.
    Absent,
}

impl CaBasicConstraints {
    fn is_ca(self) -> IsCa {
        match self {
            CaBasicConstraints::Ca { path_len: None } => IsCa::Ca(BasicConstraints::Unconstrained),
            CaBasicConstraints::Ca { path_len: Some(n) } => {
                IsCa::Ca(BasicConstraints::Constrained(n))
            }
            CaBasicConstraints::NotCa => IsCa::ExplicitNoCa,
            CaBasicConstraints::Absent => IsCa::NoCa,
        }
    }
}

/// A further CA below one of a hierarchy's CAs, for [`TestPki::issue_ca`] (longer chains,
/// path-length constraints below the root).
#[derive(Debug, Clone)]
pub struct SubCaSpec {
    /// Common name of the CA.
    pub common_name: String,
    /// Key type (an RSA sub-CA always uses the same cached key).
    pub key: CaKeyType,
    /// Its basicConstraints.
    pub basic_constraints: CaBasicConstraints,
    /// Key usages (`keyCertSign` and `cRLSign` by default).
    pub key_usages: Vec<KeyUsagePurpose>,
}

impl SubCaSpec {
    /// An ECDSA P-256 CA with `cA=TRUE`, no path-length constraint, `keyCertSign` and `cRLSign`.
    pub fn new(common_name: impl Into<String>) -> Self {
        SubCaSpec {
            common_name: common_name.into(),
            key: CaKeyType::EcdsaP256,
            basic_constraints: CaBasicConstraints::Ca { path_len: None },
            key_usages: vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
        }
    }
}

fn ca_params(
    cn: &str,
    validity: (SystemTime, SystemTime),
    constraints: CaBasicConstraints,
    key_usages: &[KeyUsagePurpose],
) -> Result<CertificateParams> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "EE");
    dn.push(DnType::OrganizationName, "sidkit test PKI");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = constraints.is_ca();
    p.key_usages = key_usages.to_vec();
    p.not_before = dt(validity.0)?;
    p.not_after = dt(validity.1)?;
    p.serial_number = Some(serial()?);
    p.use_authority_key_identifier_extension = true;
    Ok(p)
}

impl TestPki {
    /// Generates a hierarchy with the defaults of [`PkiSpec::new`].
    pub fn generate(name: &str) -> Result<Self> {
        Self::generate_with(&PkiSpec::new(name))
    }

    /// Generates a hierarchy as described by `spec`.
    pub fn generate_with(spec: &PkiSpec) -> Result<Self> {
        let validity = (spec.not_before, spec.not_after);
        let root_constraints = if spec.root_without_basic_constraints {
            CaBasicConstraints::Absent
        } else {
            CaBasicConstraints::Ca {
                path_len: spec.root_path_len,
            }
        };
        let root_params = ca_params(
            &format!("{} ROOT", spec.name),
            validity,
            root_constraints,
            &[KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign],
        )?;
        let (root_key, root_rsa) = ca_keypair(spec.root_key, 0)?;
        let root_cert = root_params
            .self_signed(&root_key)
            .map_err(|e| err("root", e))?;
        let root = TestCa {
            der: root_cert.der().to_vec(),
            pem: root_cert.pem(),
            params: root_params,
            key: root_key,
            rsa: root_rsa,
        };
        let int_constraints = if spec.intermediate_without_basic_constraints {
            CaBasicConstraints::Absent
        } else if spec.intermediate_not_ca {
            CaBasicConstraints::NotCa
        } else {
            CaBasicConstraints::Ca {
                path_len: spec.intermediate_path_len,
            }
        };
        let mut int_params = ca_params(
            &format!("{} EID-Q", spec.name),
            validity,
            int_constraints,
            &spec.intermediate_key_usages,
        )?;
        if let Some(url) = &spec.intermediate_ocsp_url {
            int_params.custom_extensions.push(aia_ext(url)?);
        }
        let (int_key, int_rsa) = ca_keypair(spec.intermediate_key, 1)?;
        let int_cert = int_params
            .signed_by(&int_key, &root.issuer())
            .map_err(|e| err("intermediate", e))?;
        let intermediate = TestCa {
            der: int_cert.der().to_vec(),
            pem: int_cert.pem(),
            params: int_params,
            key: int_key,
            rsa: int_rsa,
        };
        Ok(TestPki { root, intermediate })
    }

    /// Writes `root.pem.crt` and `intermediate.pem.crt` into `dir` (created if needed).
    pub fn write_pem_files(&self, dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        std::fs::create_dir_all(dir)?;
        let root = dir.join("root.pem.crt");
        let int = dir.join("intermediate.pem.crt");
        std::fs::write(&root, self.root.pem())?;
        std::fs::write(&int, self.intermediate.pem())?;
        Ok(vec![root, int])
    }

    /// Re-signs `cert_der`, issued by the RSA CA `ca`, with RSASSA-PSS (`alg` SHA-256, -384
    /// or -512; MGF1 with the same hash; salt of the hash length), replacing both signature
    /// algorithm identifiers. Fails if `ca` does not have an RSA key.
    pub fn resign_pss(ca: &TestCa, cert_der: &[u8], alg: HashAlgorithm) -> Result<Vec<u8>> {
        let key = ca
            .rsa
            .as_ref()
            .ok_or_else(|| err("RSASSA-PSS certificate", "the CA key is not RSA"))?;
        let outer = der_children(der_content(cert_der)?)?;
        let tbs_fields = der_children(der_content(
            outer.first().ok_or_else(|| err("DER", "empty"))?,
        )?)?;
        let ai = pss_algorithm_identifier(alg)?;
        // version [0], serialNumber, signature, issuer, …
        let mut fields: Vec<Vec<u8>> = tbs_fields.iter().map(|f| f.to_vec()).collect();
        *fields
            .get_mut(2)
            .ok_or_else(|| err("DER", "short tbsCertificate"))? = ai.clone();
        let tbs = der_seq(&fields);
        let sig = sign_pss_with_salt(
            key,
            alg,
            &sidkit_proto::signable::digest(alg, &tbs),
            alg.output_len(),
        )?;
        let mut bits = vec![0u8];
        bits.extend(sig);
        Ok(der_seq(&[tbs, ai, der_tlv(0x03, &bits)]))
    }

    /// Issues an end-entity certificate from the intermediate.
    pub fn issue(&self, spec: &UserCertSpec) -> Result<TestUser> {
        self.issue_from(&self.intermediate, spec)
    }

    /// Issues an end-entity certificate directly from `ca` (e.g. the root, to test chains).
    pub fn issue_from(&self, ca: &TestCa, spec: &UserCertSpec) -> Result<TestUser> {
        let (p, key) = user_params(spec)?;
        let spki = RsaSpki(
            key.to_public_key()
                .to_pkcs1_der()
                .map_err(|e| err("RSA public key", e))?
                .into_vec(),
        );
        let cert = p
            .signed_by(&spki, &ca.issuer())
            .map_err(|e| err("end-entity", e))?;
        Ok(TestUser {
            cert_der: cert.der().to_vec(),
            key,
        })
    }

    /// Issues a CA certificate from `issuer` (the root, the intermediate or another sub-CA),
    /// valid as long as `issuer`: for longer chains and path-length constraints below the root.
    pub fn issue_ca(&self, issuer: &TestCa, spec: &SubCaSpec) -> Result<TestCa> {
        let validity = (
            issuer.params.not_before.into(),
            issuer.params.not_after.into(),
        );
        let params = ca_params(
            &spec.common_name,
            validity,
            spec.basic_constraints,
            &spec.key_usages,
        )?;
        let (key, rsa) = ca_keypair(spec.key, 2)?;
        let cert = params
            .signed_by(&key, &issuer.issuer())
            .map_err(|e| err("sub-CA", e))?;
        Ok(TestCa {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            params,
            key,
            rsa,
        })
    }

    /// Issues an end-entity certificate from the intermediate, as [`issue`](Self::issue) does,
    /// and returns it as a [`TestCa`] so that its key can sign further certificates with
    /// [`issue_from`](Self::issue_from): an end entity acting as an issuer, which a verifier
    /// must never accept.
    pub fn issue_end_entity_as_ca(&self, spec: &UserCertSpec) -> Result<TestCa> {
        let (params, rsa) = user_params(spec)?;
        let key = rcgen_rsa_keypair(&rsa)?;
        let cert = params
            .signed_by(&key, &self.intermediate.issuer())
            .map_err(|e| err("end-entity", e))?;
        Ok(TestCa {
            der: cert.der().to_vec(),
            pem: cert.pem(),
            params,
            key,
            rsa: Some(rsa),
        })
    }

    /// Re-encodes `cert_der` with the bytes of its signature value (the content of the
    /// signature BIT STRING after the unused-bits octet) replaced by `f(signature)`: to add
    /// leading or trailing bytes to a signature, or re-encode an ECDSA signature. The
    /// `tbsCertificate` is left as it is.
    pub fn replace_signature(cert_der: &[u8], f: impl FnOnce(&[u8]) -> Vec<u8>) -> Result<Vec<u8>> {
        let outer = der_children(der_content(cert_der)?)?;
        let [tbs, alg, bits] = outer[..] else {
            return Err(err("DER", "a certificate has three fields"));
        };
        let sig = der_content(bits)?
            .get(1..)
            .ok_or_else(|| err("DER", "empty signature BIT STRING"))?;
        let mut new_bits = vec![0u8];
        new_bits.extend(f(sig));
        Ok(der_seq(&[
            tbs.to_vec(),
            alg.to_vec(),
            der_tlv(0x03, &new_bits),
        ]))
    }
}

/// The parameters of an end-entity certificate for `spec`, and its (cached) RSA key.
fn user_params(spec: &UserCertSpec) -> Result<(CertificateParams, Arc<RsaPrivateKey>)> {
    let key = rsa_key(spec.key_bits, spec.key_slot)?;
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, spec.country.as_str());
    dn.push(
        DnType::CommonName,
        format!("{},{}", spec.surname, spec.given_name),
    );
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 4]),
        spec.surname.as_str(),
    );
    dn.push(
        DnType::CustomDnType(vec![2, 5, 4, 42]),
        spec.given_name.as_str(),
    );
    if let Some(sn) = &spec.serial_number {
        dn.push(DnType::CustomDnType(vec![2, 5, 4, 5]), sn.as_str());
    }
    p.distinguished_name = dn;
    p.is_ca = if spec.ca_true {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else if spec.omit_basic_constraints {
        IsCa::NoCa
    } else {
        IsCa::ExplicitNoCa
    };
    p.key_usages = spec.key_usages.clone();
    p.extended_key_usages = spec
        .extended_key_usages
        .iter()
        .map(|o| Ok(ExtendedKeyUsagePurpose::Other(oid_arcs(o)?)))
        .collect::<Result<_>>()?;
    p.not_before = dt(spec.not_before)?;
    p.not_after = dt(spec.not_after)?;
    p.serial_number = Some(serial()?);
    p.use_authority_key_identifier_extension = true;
    if !spec.policies.is_empty() {
        p.custom_extensions.push(policies_ext(&spec.policies)?);
    }
    if spec.qc_statements {
        p.custom_extensions.push(qc_statements_ext(
            spec.qc_compliance,
            spec.qc_sscd,
            &spec.qc_types,
        )?);
    }
    if let Some(dob) = spec.date_of_birth {
        p.custom_extensions.push(date_of_birth_ext(dob)?);
    }
    for x in &spec.extra_extensions {
        let mut e = ext(&x.oid, x.value.clone())?;
        e.set_criticality(x.critical);
        p.custom_extensions.push(e);
    }
    if let Some(url) = &spec.ocsp_url {
        p.custom_extensions.push(aia_ext(url)?);
    }
    Ok((p, key))
}

/// An arbitrary extension for [`UserCertSpec::extra_extensions`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtraExtension {
    /// Dotted OID.
    pub oid: String,
    /// The `critical` flag.
    pub critical: bool,
    /// DER of the extension value (the content of `extnValue`).
    pub value: Vec<u8>,
}

/// What an end-entity certificate is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertPurpose {
    /// Authentication (ACSP_V2).
    Authentication,
    /// Qualified or advanced electronic signatures (RAW_DIGEST_SIGNATURE).
    Signing,
}

/// Every field of a Smart-ID-like end-entity certificate; start from
/// [`UserCertSpec::authentication`] or [`UserCertSpec::signing`] and change what a test needs.
#[derive(Debug, Clone)]
pub struct UserCertSpec {
    /// Authentication or signing.
    pub purpose: CertPurpose,
    /// Subject `serialNumber`, e.g. `PNOEE-30303039914` (`None` leaves it out).
    pub serial_number: Option<String>,
    /// Subject `givenName`.
    pub given_name: String,
    /// Subject `surname`.
    pub surname: String,
    /// Subject `C`.
    pub country: String,
    /// Certificate policy OIDs.
    pub policies: Vec<String>,
    /// Key usage bits.
    pub key_usages: Vec<KeyUsagePurpose>,
    /// Extended key usage OIDs.
    pub extended_key_usages: Vec<String>,
    /// Whether to include QC statements (qualified certificates).
    pub qc_statements: bool,
    /// Include `QcCompliance` in the QC statements (default `true`).
    pub qc_compliance: bool,
    /// Include `QcSSCD` in the QC statements (default: for signing certificates).
    pub qc_sscd: bool,
    /// OIDs under `QcType` (default: `id-etsi-qct-esign`; empty leaves `QcType` out).
    pub qc_types: Vec<String>,
    /// `dateOfBirth` in a subject directory attributes extension (year, month, day).
    pub date_of_birth: Option<(u16, u8, u8)>,
    /// Further extensions, e.g. an unknown critical one.
    pub extra_extensions: Vec<ExtraExtension>,
    /// OCSP responder URL for the AIA extension.
    pub ocsp_url: Option<String>,
    /// `notBefore`.
    pub not_before: SystemTime,
    /// `notAfter`.
    pub not_after: SystemTime,
    /// RSA key size.
    pub key_bits: usize,
    /// Which cached key of that size to use (different slots give different keys).
    pub key_slot: u32,
    /// Wrongly mark the end-entity as a CA (to test basic constraints).
    pub ca_true: bool,
    /// Leave the basicConstraints extension out (allowed for end entities: "absent or
    /// `cA=FALSE`"); ignored when `ca_true` is set.
    pub omit_basic_constraints: bool,
}

impl UserCertSpec {
    fn base(purpose: CertPurpose, identity: &str, given_name: &str, surname: &str) -> Self {
        let now = SystemTime::now();
        let country = identity.get(3..5).unwrap_or("EE").to_owned();
        UserCertSpec {
            purpose,
            serial_number: Some(identity.to_owned()),
            given_name: given_name.to_owned(),
            surname: surname.to_owned(),
            country,
            policies: Vec::new(),
            key_usages: Vec::new(),
            extended_key_usages: Vec::new(),
            qc_statements: true,
            qc_compliance: true,
            qc_sscd: purpose == CertPurpose::Signing,
            qc_types: vec![oid::QCT_ESIGN.into()],
            date_of_birth: None,
            extra_extensions: Vec::new(),
            ocsp_url: Some("http://ocsp.sidkit.invalid/".to_owned()),
            not_before: now - Duration::from_secs(86_400),
            not_after: now + Duration::from_secs(3 * 365 * 86_400),
            key_bits: 2048,
            key_slot: 0,
            ca_true: false,
            omit_basic_constraints: false,
        }
    }

    /// A qualified authentication certificate of the current profile: Smart-ID qualified +
    /// NCP+ policies, `digitalSignature`, EKU `1.3.6.1.4.1.62306.5.7.0`, QC statements.
    pub fn authentication(identity: &str, given_name: &str, surname: &str) -> Self {
        let mut s = Self::base(CertPurpose::Authentication, identity, given_name, surname);
        s.policies = vec![oid::SMART_ID_QUALIFIED.into(), oid::ETSI_NCP_PLUS.into()];
        s.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        s.extended_key_usages = vec![oid::EKU_SMART_ID_AUTH.into()];
        s
    }

    /// A qualified signing certificate: Smart-ID qualified + QCP-n-qscd policies,
    /// `nonRepudiation`, QC statements with SSCD.
    pub fn signing(identity: &str, given_name: &str, surname: &str) -> Self {
        let mut s = Self::base(CertPurpose::Signing, identity, given_name, surname);
        s.policies = vec![oid::SMART_ID_QUALIFIED.into(), oid::ETSI_QCP_N_QSCD.into()];
        s.key_usages = vec![KeyUsagePurpose::ContentCommitment];
        s
    }

    /// Turns the spec into the non-qualified (ADVANCED) variant: Smart-ID non-qualified + NCP
    /// policies, no QC statements.
    pub fn advanced(mut self) -> Self {
        self.policies = vec![oid::SMART_ID_NON_QUALIFIED.into(), oid::ETSI_NCP.into()];
        self.qc_statements = false;
        self
    }

    /// Turns an authentication spec into the legacy profile (before April 2025):
    /// `digitalSignature`, `keyEncipherment`, `dataEncipherment` and EKU `clientAuth`.
    pub fn legacy_authentication(mut self) -> Self {
        self.key_usages = vec![
            KeyUsagePurpose::DigitalSignature,
            KeyUsagePurpose::KeyEncipherment,
            KeyUsagePurpose::DataEncipherment,
        ];
        self.extended_key_usages = vec![oid::EKU_CLIENT_AUTH.into()];
        self
    }

    /// The level this spec describes.
    pub fn level(&self) -> CertificateLevel {
        if self.policies.iter().any(|p| p == oid::SMART_ID_QUALIFIED) {
            CertificateLevel::Qualified
        } else {
            CertificateLevel::Advanced
        }
    }
}

/// An issued end-entity certificate with its private key: what the simulated Smart-ID app
/// signs with.
#[derive(Clone)]
pub struct TestUser {
    /// The certificate, DER.
    pub cert_der: Vec<u8>,
    key: Arc<RsaPrivateKey>,
}

impl std::fmt::Debug for TestUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestUser").finish_non_exhaustive()
    }
}

fn sign_pss_with<D>(key: &RsaPrivateKey, digest: &[u8]) -> Result<Vec<u8>>
where
    D: sha2::Digest + rsa::signature::digest::FixedOutputReset,
{
    let salt_len = <D as sha2::Digest>::output_size();
    key.sign_with_rng(
        &mut getrandom::SysRng,
        Pss::<D>::new_with_salt(salt_len),
        digest,
    )
    .map_err(|e| err("PSS signature", e))
}

fn sign_pss_with_salt(
    key: &RsaPrivateKey,
    alg: HashAlgorithm,
    digest: &[u8],
    salt_len: usize,
) -> Result<Vec<u8>> {
    fn go<D>(key: &RsaPrivateKey, digest: &[u8], salt_len: usize) -> Result<Vec<u8>>
    where
        D: sha2::Digest + rsa::signature::digest::FixedOutputReset,
    {
        key.sign_with_rng(
            &mut getrandom::SysRng,
            Pss::<D>::new_with_salt(salt_len),
            digest,
        )
        .map_err(|e| err("PSS signature", e))
    }
    match alg {
        HashAlgorithm::Sha256 => go::<sha2::Sha256>(key, digest, salt_len),
        HashAlgorithm::Sha384 => go::<sha2::Sha384>(key, digest, salt_len),
        HashAlgorithm::Sha512 => go::<sha2::Sha512>(key, digest, salt_len),
        HashAlgorithm::Sha3_256 => go::<sha3::Sha3_256>(key, digest, salt_len),
        HashAlgorithm::Sha3_384 => go::<sha3::Sha3_384>(key, digest, salt_len),
        HashAlgorithm::Sha3_512 => go::<sha3::Sha3_512>(key, digest, salt_len),
    }
}

/// `signatureAlgorithmParameters` of a response for RSASSA-PSS with `hash`: MGF1 with `hash`,
/// salt = hash length, trailer `0xbc`.
pub fn pss_response_parameters(hash: HashAlgorithm) -> ResponseSignatureAlgorithmParameters {
    ResponseSignatureAlgorithmParameters {
        hash_algorithm: Some(hash.as_str().to_owned()),
        mask_gen_algorithm: Some(MaskGenAlgorithm {
            algorithm: "id-mgf1".to_owned(),
            parameters: Some(MaskGenParameters {
                hash_algorithm: hash.as_str().to_owned(),
            }),
        }),
        salt_length: Some(hash.output_len() as u32),
        trailer_field: Some("0xbc".to_owned()),
    }
}

impl TestUser {
    /// RSASSA-PSS over an already computed hash with an explicit salt length (to produce
    /// signatures whose salt differs from what a response claims).
    pub fn sign_pss_prehashed_with_salt(
        &self,
        alg: HashAlgorithm,
        digest: &[u8],
        salt_len: usize,
    ) -> Result<Vec<u8>> {
        sign_pss_with_salt(&self.key, alg, digest, salt_len)
    }

    /// The certificate as standard Base64 (the `cert.value` of a session status).
    pub fn cert_base64(&self) -> String {
        sidkit_proto::b64::encode_std(&self.cert_der)
    }

    /// RSASSA-PSS over `message` (hashed with `alg`, MGF1 with `alg`, salt = hash length,
    /// trailer 0xbc): an ACSP_V2 signature.
    pub fn sign_pss(&self, alg: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        self.sign_pss_prehashed(alg, &sidkit_proto::signable::digest(alg, message))
    }

    /// RSASSA-PSS over an already computed hash `digest` (a RAW_DIGEST_SIGNATURE).
    pub fn sign_pss_prehashed(&self, alg: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let k = &*self.key;
        match alg {
            HashAlgorithm::Sha256 => sign_pss_with::<sha2::Sha256>(k, digest),
            HashAlgorithm::Sha384 => sign_pss_with::<sha2::Sha384>(k, digest),
            HashAlgorithm::Sha512 => sign_pss_with::<sha2::Sha512>(k, digest),
            HashAlgorithm::Sha3_256 => sign_pss_with::<sha3::Sha3_256>(k, digest),
            HashAlgorithm::Sha3_384 => sign_pss_with::<sha3::Sha3_384>(k, digest),
            HashAlgorithm::Sha3_512 => sign_pss_with::<sha3::Sha3_512>(k, digest),
        }
    }

    /// PKCS#1 v1.5 over an already computed hash `digest` (the legacy `sha…WithRSAEncryption`).
    pub fn sign_pkcs1v15_prehashed(&self, alg: HashAlgorithm, digest: &[u8]) -> Result<Vec<u8>> {
        let scheme = match alg {
            HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
            HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
            HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
            other => {
                return Err(err(
                    "PKCS#1 v1.5",
                    format!("{other} is not a legacy algorithm"),
                ))
            }
        };
        self.key
            .sign_with_rng(&mut getrandom::SysRng, scheme, digest)
            .map_err(|e| err("PKCS#1 v1.5 signature", e))
    }

    /// A completed ACSP_V2 session status as the RP API returns it: `payload` (built from the
    /// request and the response values it names) signed with RSASSA-PSS (`hash`, MGF1 with
    /// `hash`, salt = hash length), this user's certificate, `interactionTypeUsed` and
    /// `flowType` taken from the payload.
    pub fn acsp_v2_status(
        &self,
        payload: &AcspV2Payload<'_>,
        hash: HashAlgorithm,
        document_number: &str,
        certificate_level: &str,
    ) -> Result<SessionStatus> {
        let value = self.sign_pss(hash, &payload.to_bytes())?;
        Ok(self.completed_status(
            Some("ACSP_V2"),
            SessionSignature {
                value: Some(sidkit_proto::b64::encode_std(&value)),
                server_random: Some(payload.server_random.to_owned()),
                user_challenge: Some(payload.user_challenge.to_owned()),
                flow_type: Some(payload.flow_type.to_owned()),
                signature_algorithm: Some("rsassa-pss".to_owned()),
                signature_algorithm_parameters: Some(pss_response_parameters(hash)),
            },
            Some(payload.interaction_type_used),
            document_number,
            certificate_level,
        ))
    }

    /// A completed RAW_DIGEST_SIGNATURE session status: `digest` signed with `algorithm`
    /// (RSASSA-PSS with `hash`, or PKCS#1 v1.5 for the legacy algorithms, whose hash must then
    /// match).
    #[allow(clippy::too_many_arguments)]
    pub fn raw_digest_status(
        &self,
        digest: &[u8],
        algorithm: SignatureAlgorithm,
        hash: HashAlgorithm,
        flow_type: FlowType,
        interaction_type_used: &str,
        document_number: &str,
        certificate_level: &str,
    ) -> Result<SessionStatus> {
        let (value, params) = if algorithm == SignatureAlgorithm::RsassaPss {
            (
                self.sign_pss_prehashed(hash, digest)?,
                Some(pss_response_parameters(hash)),
            )
        } else {
            (self.sign_pkcs1v15_prehashed(hash, digest)?, None)
        };
        Ok(self.completed_status(
            Some("RAW_DIGEST_SIGNATURE"),
            SessionSignature {
                value: Some(sidkit_proto::b64::encode_std(&value)),
                flow_type: Some(flow_type.as_str().to_owned()),
                signature_algorithm: Some(algorithm.as_str().to_owned()),
                signature_algorithm_parameters: params,
                ..SessionSignature::default()
            },
            Some(interaction_type_used),
            document_number,
            certificate_level,
        ))
    }

    /// A completed certificate-choice session status (no signature protocol, no value).
    pub fn certificate_choice_status(
        &self,
        flow_type: FlowType,
        document_number: &str,
        certificate_level: &str,
    ) -> SessionStatus {
        self.completed_status(
            None,
            SessionSignature {
                flow_type: Some(flow_type.as_str().to_owned()),
                ..SessionSignature::default()
            },
            None,
            document_number,
            certificate_level,
        )
    }

    fn completed_status(
        &self,
        protocol: Option<&str>,
        signature: SessionSignature,
        interaction_type_used: Option<&str>,
        document_number: &str,
        certificate_level: &str,
    ) -> SessionStatus {
        SessionStatus {
            state: SessionState::Complete,
            result: Some(SessionResult {
                end_result: EndResult::Ok,
                document_number: Some(document_number.to_owned()),
                details: None,
            }),
            signature_protocol: protocol.map(str::to_owned),
            signature: Some(signature),
            cert: Some(ResponseCertificate {
                value: self.cert_base64(),
                certificate_level: certificate_level.to_owned(),
            }),
            interaction_type_used: interaction_type_used.map(str::to_owned),
            device_ip_address: None,
            ignored_properties: None,
        }
    }

    /// The private key (for tests that need to sign something unusual).
    pub fn private_key(&self) -> &RsaPrivateKey {
        &self.key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_oid_encoding() {
        // 1.2.840.113549 -> 06 06 2a 86 48 86 f7 0d
        assert_eq!(
            der_oid("1.2.840.113549").unwrap(),
            vec![0x06, 0x06, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d]
        );
        assert!(der_oid("1").is_err());
        assert!(der_oid("1.x").is_err());
        let mut long = Vec::new();
        der_len(300, &mut long);
        assert_eq!(long, vec![0x82, 0x01, 0x2c]);
    }

    #[test]
    fn issues_and_signs() {
        let pki = TestPki::generate("TEST of sidkit unit").unwrap();
        let user = pki
            .issue(&UserCertSpec::authentication(
                "PNOEE-30303039914",
                "OK",
                "TESTNUMBER",
            ))
            .unwrap();
        assert!(pki.root.pem().starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(user.cert_der.len() > 500);
        let sig = user.sign_pss(HashAlgorithm::Sha512, b"payload").unwrap();
        assert_eq!(sig.len(), 256);
        // The signature verifies with the public key.
        let public = user.private_key().to_public_key();
        let digest = sidkit_proto::signable::digest(HashAlgorithm::Sha512, b"payload");
        public
            .verify(Pss::<sha2::Sha512>::new_with_salt(64), &digest, &sig)
            .unwrap();
        assert!(public
            .verify(Pss::<sha2::Sha512>::new_with_salt(64), &digest, &[0u8; 256])
            .is_err());
    }
}
