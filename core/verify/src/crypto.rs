//! Public keys and signature checks: RSA (PKCS#1 v1.5 and RSASSA-PSS) and ECDSA on P-256,
//! P-384 and P-521. Which backend does the arithmetic:
//!
//! * RSASSA-PSS over a whole message with one of the fixed parameter sets of ring and
//!   aws-lc-rs (SHA-256/384/512, MGF1 with the same hash, salt = hash length, 2048–8192-bit
//!   modulus: Smart-ID's ACSP_V2 signatures and PSS-signed certificates): aws-lc-rs with the
//!   `aws-lc` feature (the default), through a parsed key kept with the [`RsaKey`] (AWS-LC keeps
//!   the key's Montgomery context, so a cached certificate's key is prepared once), else ring
//!   (which rebuilds it on every call).
//! * ECDSA P-256/SHA-256, P-384/SHA-384 and P-521/SHA-512 (the CA signatures of SK's chains):
//!   aws-lc-rs with the `aws-lc` feature, through a parsed key kept with the trust store's
//!   [`PublicKey`]; the signature's DER is still decoded (strictly) here, AWS-LC gets the fixed
//!   `r || s` form. Without the feature, and for every other hash, RustCrypto (`p256`, `p384`,
//!   `p521`).
//! * Everything else (other PSS salts and hashes, every prehashed signature of
//!   RAW_DIGEST_SIGNATURE, PKCS#1 v1.5): the `rsa` crate.
//!
//! Key acceptance is decided here, never by a backend: every backend sees only keys and
//! signature encodings this module accepted, and all of them agree on every input (see the
//! tests in `crypto/tests.rs`).
//!
//! (Past 600 lines on purpose: the key types, their strict checks and the three arithmetic
//! backends stay side by side in one file, so that a reviewer sees every acceptance rule next to
//! each backend that applies it.)

use std::sync::OnceLock;

use p256::ecdsa::signature::hazmat::PrehashVerifier;
use rsa::pkcs1::DecodeRsaPublicKey;
use rsa::traits::PublicKeyParts;
use rsa::PublicKey as RsaPublicKey;
use rsa::{Pkcs1v15Sign, Pss};
use sha2::Digest as _;
use x509_cert::der::oid::ObjectIdentifier;
use x509_cert::der::{Decode, Encode};
use x509_cert::spki::AlgorithmIdentifierOwned;

use super::asn1;
use super::cert::Certificate;
use super::oid;
use sidkit_proto::models::HashAlgorithm;

/// The smallest RSA modulus accepted anywhere (end-entity and CA keys).
pub(crate) const MIN_RSA_BITS: usize = 2048;

/// A public key the verifier can check signatures with.
#[derive(Debug, Clone)]
pub(crate) enum PublicKey {
    Rsa(RsaKey),
    P256(EcKey<p256::ecdsa::VerifyingKey>),
    P384(EcKey<p384::ecdsa::VerifyingKey>),
    P521(EcKey<p521::ecdsa::VerifyingKey>),
}

/// An EC public key (RustCrypto's, which decided it is a valid point of the curve) and, with
/// the `aws-lc` feature, the same point parsed by AWS-LC for the curve's own hash (P-256 with
/// SHA-256, P-384 with SHA-384, P-521 with SHA-512).
#[derive(Debug, Clone)]
pub(crate) struct EcKey<K> {
    key: K,
    #[cfg(feature = "aws-lc")]
    aws: Option<aws_lc_rs::signature::ParsedPublicKey>,
}

impl<K> EcKey<K> {
    /// `key`, decoded from the SEC1 point `point`.
    #[cfg_attr(not(feature = "aws-lc"), allow(unused_variables))]
    fn new(key: K, point: &[u8], curve: EcCurve) -> Self {
        EcKey {
            key,
            #[cfg(feature = "aws-lc")]
            aws: aws_lc_rs::signature::ParsedPublicKey::new(curve.aws_fixed(), point).ok(),
        }
    }
}

/// The curves of [`EcKey`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum EcCurve {
    P256,
    P384,
    P521,
}

impl EcCurve {
    /// The hash AWS-LC's prepared key verifies with.
    #[cfg(feature = "aws-lc")]
    fn own_hash(self) -> CertHash {
        match self {
            EcCurve::P256 => CertHash::Sha256,
            EcCurve::P384 => CertHash::Sha384,
            EcCurve::P521 => CertHash::Sha512,
        }
    }

    #[cfg(feature = "aws-lc")]
    fn aws_fixed(self) -> &'static aws_lc_rs::signature::EcdsaVerificationAlgorithm {
        match self {
            EcCurve::P256 => &aws_lc_rs::signature::ECDSA_P256_SHA256_FIXED,
            EcCurve::P384 => &aws_lc_rs::signature::ECDSA_P384_SHA384_FIXED,
            EcCurve::P521 => &aws_lc_rs::signature::ECDSA_P521_SHA512_FIXED,
        }
    }
}

/// Bit length of a big-endian unsigned integer.
fn bit_len(n: &[u8]) -> usize {
    let n = &n[n.iter().take_while(|b| **b == 0).count()..];
    match n.first() {
        Some(&b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    }
}

/// Bit length of an RSA modulus.
#[cfg(test)]
pub(crate) fn rsa_bits(key: &RsaPublicKey) -> usize {
    bit_len(&key.n_bytes())
}

/// An RSA public key: its PKCS#1 DER, modulus and exponent (checked by [`RsaKey::from_pkcs1_der`]
/// against the `rsa` crate's rules), and each backend's prepared form, made on first use and
/// kept with the key (so a key of a cached certificate is prepared once).
#[derive(Debug, Clone)]
pub(crate) struct RsaKey {
    der: Box<[u8]>,
    /// Big-endian, without leading zeros.
    n: Box<[u8]>,
    e: Box<[u8]>,
    bits: usize,
    /// The `rsa` crate's key (its construction computes the Montgomery parameters: only made
    /// for a combination the other backends do not have).
    rustcrypto: OnceLock<Option<RsaPublicKey>>,
    /// AWS-LC's parsed key per PSS hash (SHA-256, SHA-384, SHA-512).
    #[cfg(feature = "aws-lc")]
    aws_pss: [OnceLock<Option<aws_lc_rs::signature::ParsedPublicKey>>; 3],
}

impl RsaKey {
    /// The key of a PKCS#1 `RSAPublicKey`, if the `rsa` crate accepts it (a 1024–8192-bit odd
    /// modulus, an odd exponent in 3..=2^33-1) and the modulus has at least
    /// [`MIN_RSA_BITS`]. The checks are made on the integers directly: the `rsa` crate's key
    /// (whose construction costs as much as a third of a verification) is only built when a
    /// signature needs it. The error of a refused key is the `rsa` crate's own.
    pub(crate) fn from_pkcs1_der(der: &[u8]) -> Result<Self, String> {
        let quick = rsa::pkcs1::RsaPublicKeyRef::from_der(der)
            .ok()
            .and_then(|k| {
                let n = k.modulus.as_bytes();
                let e = k.public_exponent.as_bytes();
                rsa_components_ok(n, e).then(|| (n.to_vec(), e.to_vec()))
            });
        let (n, e, rustcrypto) = match quick {
            Some((n, e)) => (n, e, OnceLock::new()),
            None => {
                // Refused by the quick checks: the `rsa` crate says why (and, should it accept
                // what they refused, it decides).
                let key = RsaPublicKey::from_pkcs1_der(der).map_err(|e| format!("RSA key: {e}"))?;
                (
                    key.n_bytes().to_vec(),
                    key.e_bytes().to_vec(),
                    OnceLock::from(Some(key)),
                )
            }
        };
        let bits = bit_len(&n);
        if bits < MIN_RSA_BITS {
            return Err(format!("RSA key of {bits} bits (minimum {MIN_RSA_BITS})"));
        }
        Ok(RsaKey {
            der: der.into(),
            n: n.into(),
            e: e.into(),
            bits,
            rustcrypto,
            #[cfg(feature = "aws-lc")]
            aws_pss: Default::default(),
        })
    }

    /// The key of `key` (tests).
    #[cfg(test)]
    pub(crate) fn of(key: &RsaPublicKey) -> Self {
        use rsa::pkcs1::EncodeRsaPublicKey as _;
        Self::from_pkcs1_der(key.to_pkcs1_der().expect("encodes").as_bytes()).expect("accepted")
    }

    /// The modulus length in bits.
    #[cfg(test)]
    pub(crate) fn bits(&self) -> usize {
        self.bits
    }

    /// The modulus length in bytes (the length of every signature).
    pub(crate) fn size(&self) -> usize {
        self.bits.div_ceil(8)
    }

    /// The `rsa` crate's key, built on first use (`None`: it refuses a key the quick checks
    /// accepted, which the tests rule out; every signature then fails).
    fn rustcrypto(&self) -> Option<&RsaPublicKey> {
        self.rustcrypto
            .get_or_init(|| RsaPublicKey::from_pkcs1_der(&self.der).ok())
            .as_ref()
    }
}

/// The `rsa` crate's rules for a public key (`PublicKey::new`: modulus of 1024–8192 bits, odd;
/// exponent odd, 2..=2^33-1, below the modulus) on big-endian integers without leading zeros.
fn rsa_components_ok(n: &[u8], e: &[u8]) -> bool {
    let bits = bit_len(n);
    let e_bits = bit_len(e);
    if !(1024..=8192).contains(&bits) || n.last().is_none_or(|b| b & 1 == 0) || e_bits > 34 {
        return false;
    }
    let e = e.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    (2..=(1 << 33) - 1).contains(&e) && e & 1 == 1
}

fn params_null_or_absent(params: Option<&x509_cert::der::Any>) -> bool {
    match params {
        None => true,
        Some(p) => p.to_der().is_ok_and(|d| d == [0x05, 0x00]),
    }
}

/// The subject public key of `cert`.
pub(crate) fn public_key(cert: &Certificate) -> Result<PublicKey, String> {
    let spki = cert.tbs().subject_public_key_info();
    let bits = spki
        .subject_public_key
        .as_bytes()
        .ok_or("subjectPublicKey has unused bits")?;
    let alg = &spki.algorithm;
    if alg.oid == oid::RSA_ENCRYPTION {
        if !params_null_or_absent(alg.parameters.as_ref()) {
            return Err("rsaEncryption with parameters".into());
        }
        return RsaKey::from_pkcs1_der(bits).map(PublicKey::Rsa);
    }
    if alg.oid == oid::EC_PUBLIC_KEY {
        let curve = alg
            .parameters
            .as_ref()
            .ok_or("EC key without curve")?
            .decode_as::<ObjectIdentifier>()
            .map_err(|_| {
                "EC key with explicit curve parameters (only named curves are accepted)"
            })?;
        let bad = |e: p256::ecdsa::Error| format!("EC point: {e}");
        return if curve == oid::P256 {
            p256::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(|k| PublicKey::P256(EcKey::new(k, bits, EcCurve::P256)))
                .map_err(bad)
        } else if curve == oid::P384 {
            p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(|k| PublicKey::P384(EcKey::new(k, bits, EcCurve::P384)))
                .map_err(bad)
        } else if curve == oid::P521 {
            p521::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(|k| PublicKey::P521(EcKey::new(k, bits, EcCurve::P521)))
                .map_err(bad)
        } else {
            Err(format!("unsupported EC curve {curve}"))
        };
    }
    Err(format!("unsupported public key algorithm {}", alg.oid))
}

/// A hash used in certificate signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CertHash {
    Sha256,
    Sha384,
    Sha512,
}

impl CertHash {
    fn from_oid(o: &ObjectIdentifier) -> Option<Self> {
        if *o == oid::SHA256 {
            Some(CertHash::Sha256)
        } else if *o == oid::SHA384 {
            Some(CertHash::Sha384)
        } else if *o == oid::SHA512 {
            Some(CertHash::Sha512)
        } else {
            None
        }
    }

    fn digest(self, data: &[u8]) -> Vec<u8> {
        match self {
            CertHash::Sha256 => sha2::Sha256::digest(data).to_vec(),
            CertHash::Sha384 => sha2::Sha384::digest(data).to_vec(),
            CertHash::Sha512 => sha2::Sha512::digest(data).to_vec(),
        }
    }

    fn output_len(self) -> usize {
        match self {
            CertHash::Sha256 => 32,
            CertHash::Sha384 => 48,
            CertHash::Sha512 => 64,
        }
    }
}

/// An accepted certificate signature algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CertSigAlg {
    RsaPkcs1(CertHash),
    RsaPss { hash: CertHash, salt_len: usize },
    Ecdsa(CertHash),
}

fn cert_sig_alg(alg: &AlgorithmIdentifierOwned) -> Result<CertSigAlg, String> {
    let o = alg.oid;
    let params = alg.parameters.as_ref();
    let pkcs1 = |h| {
        if params_null_or_absent(params) {
            Ok(CertSigAlg::RsaPkcs1(h))
        } else {
            Err(format!("{o} with unexpected parameters"))
        }
    };
    let ecdsa = |h| {
        if params.is_none() {
            Ok(CertSigAlg::Ecdsa(h))
        } else {
            Err(format!("{o} with parameters"))
        }
    };
    if o == oid::SHA256_WITH_RSA {
        pkcs1(CertHash::Sha256)
    } else if o == oid::SHA384_WITH_RSA {
        pkcs1(CertHash::Sha384)
    } else if o == oid::SHA512_WITH_RSA {
        pkcs1(CertHash::Sha512)
    } else if o == oid::ECDSA_SHA256 {
        ecdsa(CertHash::Sha256)
    } else if o == oid::ECDSA_SHA384 {
        ecdsa(CertHash::Sha384)
    } else if o == oid::ECDSA_SHA512 {
        ecdsa(CertHash::Sha512)
    } else if o == oid::RSASSA_PSS {
        let der = params
            .ok_or("RSASSA-PSS without parameters")?
            .to_der()
            .map_err(|e| e.to_string())?;
        let p = rsa::pkcs1::RsaPssParams::<x509_cert::der::Any>::from_der(&der)
            .map_err(|e| format!("RSASSA-PSS parameters: {e}"))?;
        let hash = CertHash::from_oid(&p.hash.oid).ok_or_else(|| {
            format!(
                "RSASSA-PSS with hash {} (SHA-1 is not accepted)",
                p.hash.oid
            )
        })?;
        let mgf_hash = p
            .mask_gen
            .parameters
            .as_ref()
            .map(|a| a.oid)
            .ok_or("RSASSA-PSS MGF1 without hash")?;
        if p.mask_gen.oid != oid::MGF1 || mgf_hash != p.hash.oid {
            return Err(
                "RSASSA-PSS with a mask generation function other than MGF1 with the same hash"
                    .into(),
            );
        }
        Ok(CertSigAlg::RsaPss {
            hash,
            salt_len: usize::from(p.salt_len),
        })
    } else {
        Err(format!("unsupported signature algorithm {o}"))
    }
}

/// Checks the signature of `cert` with `issuer_key`.
pub(crate) fn verify_certificate_signature(
    cert: &Certificate,
    issuer_key: &PublicKey,
) -> Result<(), String> {
    let parsed = cert.parsed();
    if parsed.signature_algorithm() != parsed.tbs_certificate().signature() {
        return Err("signatureAlgorithm differs from tbsCertificate.signature".into());
    }
    let sig = parsed
        .signature()
        .as_bytes()
        .ok_or("signature BIT STRING has unused bits")?;
    verify_signed_data(
        parsed.signature_algorithm(),
        cert.tbs_der(),
        sig,
        issuer_key,
    )
}

/// Checks a signature by `key` with the certificate-style algorithm `alg` (PKCS#1 v1.5,
/// RSASSA-PSS or ECDSA with SHA-256/384/512) over `signed` (the raw bytes as received): the
/// signatures of certificates, OCSP responses and CRLs.
pub(crate) fn verify_signed_data(
    alg: &AlgorithmIdentifierOwned,
    signed: &[u8],
    sig: &[u8],
    key: &PublicKey,
) -> Result<(), String> {
    let alg = cert_sig_alg(alg)?;
    let tbs = signed;
    let issuer_key = key;
    let ok = match (alg, issuer_key) {
        (CertSigAlg::RsaPkcs1(h), PublicKey::Rsa(k)) => {
            let scheme = match h {
                CertHash::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
                CertHash::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
                CertHash::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
            };
            k.rustcrypto()
                .is_some_and(|k| k.verify(scheme, &h.digest(tbs), sig).is_ok())
        }
        (CertSigAlg::RsaPss { hash, salt_len }, PublicKey::Rsa(k)) => {
            if salt_len < hash.output_len() {
                return Err(format!(
                    "RSASSA-PSS salt of {salt_len} bytes is shorter than the hash"
                ));
            }
            let alg = match hash {
                CertHash::Sha256 => HashAlgorithm::Sha256,
                CertHash::Sha384 => HashAlgorithm::Sha384,
                CertHash::Sha512 => HashAlgorithm::Sha512,
            };
            verify_pss(k, alg, salt_len, tbs, sig)
        }
        (CertSigAlg::Ecdsa(h), key) => match key {
            PublicKey::P256(k) => verify_ecdsa(k, EcCurve::P256, h, tbs, sig),
            PublicKey::P384(k) => verify_ecdsa(k, EcCurve::P384, h, tbs, sig),
            PublicKey::P521(k) => verify_ecdsa(k, EcCurve::P521, h, tbs, sig),
            PublicKey::Rsa(_) => return Err("ECDSA signature but the issuer key is RSA".into()),
        },
        (_, _) => return Err("RSA signature but the issuer key is not RSA".into()),
    };
    if ok {
        Ok(())
    } else {
        Err("signature value does not verify with the issuer's key".into())
    }
}

/// The field length of each curve's scalars (bytes of `r` and of `s`).
fn ec_field_len(curve: EcCurve) -> usize {
    match curve {
        EcCurve::P256 => 32,
        EcCurve::P384 => 48,
        EcCurve::P521 => 66,
    }
}

/// A RustCrypto ECDSA verifying key of one of the three curves.
pub(crate) trait EcVerifier {
    /// Verifies the fixed-size `r || s` signature `fixed` over the prehashed `digest`.
    fn verify_fixed(&self, digest: &[u8], fixed: &[u8]) -> bool;
}

impl EcVerifier for p256::ecdsa::VerifyingKey {
    fn verify_fixed(&self, digest: &[u8], fixed: &[u8]) -> bool {
        p256::ecdsa::Signature::from_slice(fixed)
            .is_ok_and(|s| self.verify_prehash(digest, &s).is_ok())
    }
}

impl EcVerifier for p384::ecdsa::VerifyingKey {
    fn verify_fixed(&self, digest: &[u8], fixed: &[u8]) -> bool {
        p384::ecdsa::Signature::from_slice(fixed)
            .is_ok_and(|s| self.verify_prehash(digest, &s).is_ok())
    }
}

impl EcVerifier for p521::ecdsa::VerifyingKey {
    fn verify_fixed(&self, digest: &[u8], fixed: &[u8]) -> bool {
        p521::ecdsa::Signature::from_slice(fixed)
            .is_ok_and(|s| self.verify_prehash(digest, &s).is_ok())
    }
}

/// ECDSA with `hash` over `message`: the DER signature `sig` decoded strictly here, then AWS-LC
/// (the `aws-lc` feature, for the curve's own hash) or RustCrypto checks `r || s`.
fn verify_ecdsa<K: EcVerifier>(
    key: &EcKey<K>,
    curve: EcCurve,
    hash: CertHash,
    message: &[u8],
    sig: &[u8],
) -> bool {
    let Ok(fixed) = asn1::ecdsa_signature_to_fixed(sig, ec_field_len(curve)) else {
        return false;
    };
    #[cfg(feature = "aws-lc")]
    if let Some(aws) = key.aws.as_ref().filter(|_| hash == curve.own_hash()) {
        return aws.verify_sig(message, &fixed).is_ok();
    }
    verify_ecdsa_rustcrypto(key, hash, message, &fixed)
}

/// [`verify_ecdsa`] with RustCrypto only, on the fixed `r || s` form.
fn verify_ecdsa_rustcrypto<K: EcVerifier>(
    key: &EcKey<K>,
    hash: CertHash,
    message: &[u8],
    fixed: &[u8],
) -> bool {
    key.key.verify_fixed(&hash.digest(message), fixed)
}

/// `HASH(data)` for the Smart-ID hash algorithms.
pub(crate) fn digest(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    sidkit_proto::signable::digest(alg, data)
}

/// The ring algorithm for RSASSA-PSS with `alg` (message hash and MGF1), a salt of
/// `salt_len` bytes and `key`, when ring has that fixed parameter set and accepts the key:
/// SHA-256/384/512 with salt = hash length, a 2048–8192-bit modulus and an odd exponent in
/// 3..=2^33-1. `None`: not one of ring's combinations (the `rsa` crate verifies it).
///
/// aws-lc-rs has the same parameter sets and key range (`fixed_pss_index` says which).
#[cfg(any(test, not(feature = "aws-lc")))]
fn ring_pss(
    key: &RsaKey,
    alg: HashAlgorithm,
    salt_len: usize,
) -> Option<&'static ring::signature::RsaParameters> {
    let params = match fixed_pss_index(key, alg, salt_len)? {
        0 => &ring::signature::RSA_PSS_2048_8192_SHA256,
        1 => &ring::signature::RSA_PSS_2048_8192_SHA384,
        _ => &ring::signature::RSA_PSS_2048_8192_SHA512,
    };
    Some(params)
}

/// Which of the fixed PSS parameter sets of ring and aws-lc-rs (0: SHA-256, 1: SHA-384, 2:
/// SHA-512, MGF1 with the same hash, salt = hash length) fits `alg`, `salt_len` and `key` (a
/// 2048–8192-bit modulus and an odd exponent in 3..=2^33-1), if any.
fn fixed_pss_index(key: &RsaKey, alg: HashAlgorithm, salt_len: usize) -> Option<usize> {
    let index = match alg {
        HashAlgorithm::Sha256 => 0,
        HashAlgorithm::Sha384 => 1,
        HashAlgorithm::Sha512 => 2,
        _ => return None,
    };
    if salt_len != alg.output_len() || !(2048..=8192).contains(&key.bits) {
        return None;
    }
    if bit_len(&key.e) > 34 {
        return None;
    }
    let e = key.e.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    if !(3..=(1 << 33) - 1).contains(&e) || e.is_multiple_of(2) {
        return None;
    }
    Some(index)
}

/// RSASSA-PSS over `message` with ring, or `None` when ring has no parameter set for it (see
/// [`ring_pss`]).
#[cfg(any(test, not(feature = "aws-lc")))]
pub(crate) fn verify_pss_ring(
    key: &RsaKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> Option<bool> {
    let params = ring_pss(key, alg, salt_len)?;
    if sig.len() != key.size() {
        return Some(false);
    }
    let components = ring::signature::RsaPublicKeyComponents {
        n: &key.n[..],
        e: &key.e[..],
    };
    Some(components.verify(params, message, sig).is_ok())
}

/// RSASSA-PSS over `message` with aws-lc-rs through the key's prepared AWS-LC key (made on
/// first use for this hash), or `None` when it has no parameter set for it (the same sets as
/// ring, see [`fixed_pss_index`]) or refuses the key.
#[cfg(feature = "aws-lc")]
pub(crate) fn verify_pss_aws(
    key: &RsaKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> Option<bool> {
    use aws_lc_rs::signature as aws;
    let index = fixed_pss_index(key, alg, salt_len)?;
    let prepared = key.aws_pss[index]
        .get_or_init(|| {
            let params = match index {
                0 => &aws::RSA_PSS_2048_8192_SHA256,
                1 => &aws::RSA_PSS_2048_8192_SHA384,
                _ => &aws::RSA_PSS_2048_8192_SHA512,
            };
            aws::RsaPublicKeyComponents {
                n: &key.n[..],
                e: &key.e[..],
            }
            .to_parsed_public_key(params)
            .ok()
        })
        .as_ref()?;
    if sig.len() != key.size() {
        return Some(false);
    }
    Some(prepared.verify_sig(message, sig).is_ok())
}

/// RSASSA-PSS over `message` with the `rsa` crate (hashing `message` with `alg` first).
pub(crate) fn verify_pss_rustcrypto(
    key: &RsaKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> bool {
    verify_pss_prehashed(key, alg, salt_len, &digest(alg, message), sig)
}

/// Verifies RSASSA-PSS over `message` (`alg` for the message hash and MGF1, salt of
/// `salt_len` bytes, trailer 0xbc): with aws-lc-rs (the `aws-lc` feature) or ring where they
/// have the parameter set, else with `rsa`.
pub(crate) fn verify_pss(
    key: &RsaKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> bool {
    #[cfg(feature = "aws-lc")]
    let fast = verify_pss_aws(key, alg, salt_len, message, sig);
    #[cfg(not(feature = "aws-lc"))]
    let fast = verify_pss_ring(key, alg, salt_len, message, sig);
    fast.unwrap_or_else(|| verify_pss_rustcrypto(key, alg, salt_len, message, sig))
}

/// Verifies RSASSA-PSS over an already computed `hash` (`alg` for the message hash and MGF1,
/// salt of `salt_len` bytes, trailer 0xbc).
pub(crate) fn verify_pss_prehashed(
    key: &RsaKey,
    alg: HashAlgorithm,
    salt_len: usize,
    hash: &[u8],
    sig: &[u8],
) -> bool {
    if sig.len() != key.size() || hash.len() != alg.output_len() {
        return false;
    }
    let Some(key) = key.rustcrypto() else {
        return false;
    };
    match alg {
        HashAlgorithm::Sha256 => {
            key.verify(Pss::<sha2::Sha256>::new_with_salt(salt_len), hash, sig)
        }
        HashAlgorithm::Sha384 => {
            key.verify(Pss::<sha2::Sha384>::new_with_salt(salt_len), hash, sig)
        }
        HashAlgorithm::Sha512 => {
            key.verify(Pss::<sha2::Sha512>::new_with_salt(salt_len), hash, sig)
        }
        HashAlgorithm::Sha3_256 => {
            key.verify(Pss::<sha3::Sha3_256>::new_with_salt(salt_len), hash, sig)
        }
        HashAlgorithm::Sha3_384 => {
            key.verify(Pss::<sha3::Sha3_384>::new_with_salt(salt_len), hash, sig)
        }
        HashAlgorithm::Sha3_512 => {
            key.verify(Pss::<sha3::Sha3_512>::new_with_salt(salt_len), hash, sig)
        }
    }
    .is_ok()
}

/// Verifies PKCS#1 v1.5 (`sha…WithRSAEncryption`) over an already computed `hash`.
pub(crate) fn verify_pkcs1v15_prehashed(
    key: &RsaKey,
    alg: HashAlgorithm,
    hash: &[u8],
    sig: &[u8],
) -> bool {
    if sig.len() != key.size() || hash.len() != alg.output_len() {
        return false;
    }
    let Some(key) = key.rustcrypto() else {
        return false;
    };
    let scheme = match alg {
        HashAlgorithm::Sha256 => Pkcs1v15Sign::new::<sha2::Sha256>(),
        HashAlgorithm::Sha384 => Pkcs1v15Sign::new::<sha2::Sha384>(),
        HashAlgorithm::Sha512 => Pkcs1v15Sign::new::<sha2::Sha512>(),
        _ => return false,
    };
    key.verify(scheme, hash, sig).is_ok()
}

#[cfg(test)]
mod tests;
