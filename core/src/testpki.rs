//! A test PKI that issues Smart-ID-like certificates (feature `test-pki`). **Never use it in
//! production**: its CAs are generated on the fly and trusted by nobody.
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
use sha2::Digest as _;

use crate::error::{Error, Result};
use crate::models::{CertificateLevel, HashAlgorithm};

fn err(what: &str, e: impl std::fmt::Display) -> Error {
    Error::invalid("testPki", format!("{what}: {e}"))
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

/// QC statements: compliance, SSCD (optional), type esign, and the natural-person semantics.
fn qc_statements_ext(sscd: bool) -> Result<CustomExtension> {
    let mut stmts = vec![der_seq(&[der_oid(oid::QCS_COMPLIANCE)?])];
    if sscd {
        stmts.push(der_seq(&[der_oid(oid::QCS_SSCD)?]));
    }
    stmts.push(der_seq(&[
        der_oid(oid::QCS_TYPE)?,
        der_seq(&[der_oid(oid::QCT_ESIGN)?]),
    ]));
    stmts.push(der_seq(&[
        der_oid(oid::QCS_PKIX_SYNTAX_V2)?,
        der_seq(&[der_oid(oid::SEMANTICS_ID_NATURAL)?]),
    ]));
    ext("1.3.6.1.5.5.7.1.3", der_seq(&stmts))
}

/// `authorityInfoAccess` with one OCSP URL.
fn aia_ext(ocsp_url: &str) -> Result<CustomExtension> {
    let desc = der_seq(&[
        der_oid("1.3.6.1.5.5.7.48.1")?,
        der_tlv(0x86, ocsp_url.as_bytes()),
    ]);
    ext("1.3.6.1.5.5.7.1.1", der_seq(&[desc]))
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

fn ca_keypair(kind: CaKeyType, slot: u32) -> Result<KeyPair> {
    match kind {
        CaKeyType::EcdsaP256 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(|e| err("CA key", e))
        }
        CaKeyType::EcdsaP384 => {
            KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).map_err(|e| err("CA key", e))
        }
        CaKeyType::Rsa2048 => rcgen_rsa_keypair(&*rsa_key(2048, 1000 + slot)?),
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
    let mut b = crate::secret::random_bytes(16)?.to_vec();
    b[0] &= 0x7f;
    Ok(SerialNumber::from(b))
}

/// One generated CA: its certificate and signing key.
pub struct TestCa {
    params: CertificateParams,
    key: KeyPair,
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

fn ca_params(cn: &str, spec: &PkiSpec, is_ca: bool) -> Result<CertificateParams> {
    let mut p = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CountryName, "EE");
    dn.push(DnType::OrganizationName, "sidkit test PKI");
    dn.push(DnType::CommonName, cn);
    p.distinguished_name = dn;
    p.is_ca = if is_ca {
        IsCa::Ca(BasicConstraints::Unconstrained)
    } else {
        IsCa::ExplicitNoCa
    };
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = dt(spec.not_before)?;
    p.not_after = dt(spec.not_after)?;
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
        let root_params = ca_params(&format!("{} ROOT", spec.name), spec, true)?;
        let root_key = ca_keypair(spec.root_key, 0)?;
        let root_cert = root_params
            .self_signed(&root_key)
            .map_err(|e| err("root", e))?;
        let root = TestCa {
            der: root_cert.der().to_vec(),
            pem: root_cert.pem(),
            params: root_params,
            key: root_key,
        };
        let int_params = ca_params(
            &format!("{} EID-Q", spec.name),
            spec,
            !spec.intermediate_not_ca,
        )?;
        let int_key = ca_keypair(spec.intermediate_key, 1)?;
        let int_cert = int_params
            .signed_by(&int_key, &root.issuer())
            .map_err(|e| err("intermediate", e))?;
        let intermediate = TestCa {
            der: int_cert.der().to_vec(),
            pem: int_cert.pem(),
            params: int_params,
            key: int_key,
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

    /// Issues an end-entity certificate from the intermediate.
    pub fn issue(&self, spec: &UserCertSpec) -> Result<TestUser> {
        self.issue_from(&self.intermediate, spec)
    }

    /// Issues an end-entity certificate directly from `ca` (e.g. the root, to test chains).
    pub fn issue_from(&self, ca: &TestCa, spec: &UserCertSpec) -> Result<TestUser> {
        let key = rsa_key(spec.key_bits, spec.key_slot)?;
        let spki = RsaSpki(
            key.to_public_key()
                .to_pkcs1_der()
                .map_err(|e| err("RSA public key", e))?
                .into_vec(),
        );
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
            p.custom_extensions
                .push(qc_statements_ext(spec.purpose == CertPurpose::Signing)?);
        }
        if let Some(url) = &spec.ocsp_url {
            p.custom_extensions.push(aia_ext(url)?);
        }
        let cert = p
            .signed_by(&spki, &ca.issuer())
            .map_err(|e| err("end-entity", e))?;
        Ok(TestUser {
            cert_der: cert.der().to_vec(),
            key,
        })
    }
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
            ocsp_url: Some("http://ocsp.sidkit.invalid/".to_owned()),
            not_before: now - Duration::from_secs(86_400),
            not_after: now + Duration::from_secs(3 * 365 * 86_400),
            key_bits: 2048,
            key_slot: 0,
            ca_true: false,
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

fn hash(alg: HashAlgorithm, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => sha2::Sha256::digest(msg).to_vec(),
        HashAlgorithm::Sha384 => sha2::Sha384::digest(msg).to_vec(),
        HashAlgorithm::Sha512 => sha2::Sha512::digest(msg).to_vec(),
        HashAlgorithm::Sha3_256 => sha3::Sha3_256::digest(msg).to_vec(),
        HashAlgorithm::Sha3_384 => sha3::Sha3_384::digest(msg).to_vec(),
        HashAlgorithm::Sha3_512 => sha3::Sha3_512::digest(msg).to_vec(),
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

impl TestUser {
    /// The certificate as standard Base64 (the `cert.value` of a session status).
    pub fn cert_base64(&self) -> String {
        crate::b64::encode_std(&self.cert_der)
    }

    /// RSASSA-PSS over `message` (hashed with `alg`, MGF1 with `alg`, salt = hash length,
    /// trailer 0xbc): an ACSP_V2 signature.
    pub fn sign_pss(&self, alg: HashAlgorithm, message: &[u8]) -> Result<Vec<u8>> {
        self.sign_pss_prehashed(alg, &hash(alg, message))
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
        let digest = sha2::Sha512::digest(b"payload");
        public
            .verify(Pss::<sha2::Sha512>::new_with_salt(64), &digest, &sig)
            .unwrap();
        assert!(public
            .verify(Pss::<sha2::Sha512>::new_with_salt(64), &digest, &[0u8; 256])
            .is_err());
    }
}
