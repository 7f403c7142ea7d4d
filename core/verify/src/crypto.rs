//! Public keys and signature checks: RSA (PKCS#1 v1.5 and RSASSA-PSS) and ECDSA on P-256,
//! P-384 and P-521, from RustCrypto, except RSASSA-PSS over a whole message whose parameters
//! are one of ring's fixed sets (SHA-256/384/512, MGF1 with the same hash, salt = hash length,
//! 2048–8192-bit modulus): ring verifies those (it is faster; Smart-ID's ACSP_V2 signatures
//! and PSS-signed certificates are of that kind). Everything else, and every prehashed
//! signature (RAW_DIGEST_SIGNATURE: ring only verifies messages it hashes itself), stays on
//! `rsa`. Both paths agree on every input (see the tests at the end of this file).

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
    Rsa(RsaPublicKey),
    P256(p256::ecdsa::VerifyingKey),
    P384(p384::ecdsa::VerifyingKey),
    P521(p521::ecdsa::VerifyingKey),
}

/// Bit length of an RSA modulus.
pub(crate) fn rsa_bits(key: &RsaPublicKey) -> usize {
    let n = key.n_bytes();
    match n.first() {
        Some(&b) => n.len() * 8 - b.leading_zeros() as usize,
        None => 0,
    }
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
        let key = RsaPublicKey::from_pkcs1_der(bits).map_err(|e| format!("RSA key: {e}"))?;
        let n = rsa_bits(&key);
        if n < MIN_RSA_BITS {
            return Err(format!("RSA key of {n} bits (minimum {MIN_RSA_BITS})"));
        }
        return Ok(PublicKey::Rsa(key));
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
                .map(PublicKey::P256)
                .map_err(bad)
        } else if curve == oid::P384 {
            p384::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(PublicKey::P384)
                .map_err(bad)
        } else if curve == oid::P521 {
            p521::ecdsa::VerifyingKey::from_sec1_bytes(bits)
                .map(PublicKey::P521)
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
            k.verify(scheme, &h.digest(tbs), sig).is_ok()
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
        (CertSigAlg::Ecdsa(h), key) => {
            let digest = h.digest(tbs);
            match key {
                PublicKey::P256(k) => asn1::ecdsa_signature_to_fixed(sig, 32)
                    .ok()
                    .and_then(|s| p256::ecdsa::Signature::from_slice(&s).ok())
                    .is_some_and(|s| k.verify_prehash(&digest, &s).is_ok()),
                PublicKey::P384(k) => asn1::ecdsa_signature_to_fixed(sig, 48)
                    .ok()
                    .and_then(|s| p384::ecdsa::Signature::from_slice(&s).ok())
                    .is_some_and(|s| k.verify_prehash(&digest, &s).is_ok()),
                PublicKey::P521(k) => asn1::ecdsa_signature_to_fixed(sig, 66)
                    .ok()
                    .and_then(|s| p521::ecdsa::Signature::from_slice(&s).ok())
                    .is_some_and(|s| k.verify_prehash(&digest, &s).is_ok()),
                PublicKey::Rsa(_) => return Err("ECDSA signature but the issuer key is RSA".into()),
            }
        }
        (_, _) => return Err("RSA signature but the issuer key is not RSA".into()),
    };
    if ok {
        Ok(())
    } else {
        Err("signature value does not verify with the issuer's key".into())
    }
}

/// `HASH(data)` for the Smart-ID hash algorithms.
pub(crate) fn digest(alg: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    sidkit_proto::signable::digest(alg, data)
}

/// The ring algorithm for RSASSA-PSS with `alg` (message hash and MGF1), a salt of
/// `salt_len` bytes and `key`, when ring has that fixed parameter set and accepts the key:
/// SHA-256/384/512 with salt = hash length, a 2048–8192-bit modulus and an odd exponent in
/// 3..=2^33-1. `None`: not one of ring's combinations (the `rsa` crate verifies it).
fn ring_pss(
    key: &RsaPublicKey,
    alg: HashAlgorithm,
    salt_len: usize,
) -> Option<&'static ring::signature::RsaParameters> {
    let params = match alg {
        HashAlgorithm::Sha256 => &ring::signature::RSA_PSS_2048_8192_SHA256,
        HashAlgorithm::Sha384 => &ring::signature::RSA_PSS_2048_8192_SHA384,
        HashAlgorithm::Sha512 => &ring::signature::RSA_PSS_2048_8192_SHA512,
        _ => return None,
    };
    if salt_len != alg.output_len() || !(2048..=8192).contains(&rsa_bits(key)) {
        return None;
    }
    let e = key.e_bytes();
    if e.len() > 8 {
        return None;
    }
    let e = e.iter().fold(0u64, |acc, b| acc << 8 | u64::from(*b));
    if !(3..=(1 << 33) - 1).contains(&e) || e.is_multiple_of(2) {
        return None;
    }
    Some(params)
}

/// RSASSA-PSS over `message` with ring, or `None` when ring has no parameter set for it (see
/// [`ring_pss`]).
pub(crate) fn verify_pss_ring(
    key: &RsaPublicKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> Option<bool> {
    let params = ring_pss(key, alg, salt_len)?;
    if sig.len() != key.size() {
        return Some(false);
    }
    let (n, e) = (key.n_bytes(), key.e_bytes());
    let components = ring::signature::RsaPublicKeyComponents {
        n: &n[..],
        e: &e[..],
    };
    Some(components.verify(params, message, sig).is_ok())
}

/// RSASSA-PSS over `message` with the `rsa` crate (hashing `message` with `alg` first).
pub(crate) fn verify_pss_rustcrypto(
    key: &RsaPublicKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> bool {
    verify_pss_prehashed(key, alg, salt_len, &digest(alg, message), sig)
}

/// Verifies RSASSA-PSS over `message` (`alg` for the message hash and MGF1, salt of
/// `salt_len` bytes, trailer 0xbc): with ring where it has the parameter set, else with `rsa`.
pub(crate) fn verify_pss(
    key: &RsaPublicKey,
    alg: HashAlgorithm,
    salt_len: usize,
    message: &[u8],
    sig: &[u8],
) -> bool {
    verify_pss_ring(key, alg, salt_len, message, sig)
        .unwrap_or_else(|| verify_pss_rustcrypto(key, alg, salt_len, message, sig))
}

/// Verifies RSASSA-PSS over an already computed `hash` (`alg` for the message hash and MGF1,
/// salt of `salt_len` bytes, trailer 0xbc).
pub(crate) fn verify_pss_prehashed(
    key: &RsaPublicKey,
    alg: HashAlgorithm,
    salt_len: usize,
    hash: &[u8],
    sig: &[u8],
) -> bool {
    if sig.len() != key.size() || hash.len() != alg.output_len() {
        return false;
    }
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
    key: &RsaPublicKey,
    alg: HashAlgorithm,
    hash: &[u8],
    sig: &[u8],
) -> bool {
    if sig.len() != key.size() || hash.len() != alg.output_len() {
        return false;
    }
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
