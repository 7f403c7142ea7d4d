//! The data to be signed, as a signature request needs it (feature `signable`): the digest of
//! the data under one of the six Smart-ID hash algorithms, in the standard Base64 the request's
//! `digest` takes. [`SignableHash`] plays the part of the Java client's `SignableData` (hash the
//! data here, [`SignableHash::of_data`]) and `SignableHash` (a digest computed elsewhere, e.g.
//! by a signature library over a document's signed attributes, [`SignableHash::from_digest`]),
//! and [`SignatureRequestBuilder::for_hash`](crate::request::SignatureRequestBuilder::for_hash)
//! starts a request from it, so the digest and its algorithm cannot disagree.
//!
//! ```
//! use sidkit_proto::models::HashAlgorithm;
//! use sidkit_proto::signable::SignableHash;
//!
//! let h = SignableHash::of_data(b"Hello World!", HashAlgorithm::Sha256);
//! assert_eq!(h.to_base64(), "f4OxZX/x/FO5LcGBSKHWXfwtSx+j1ncoSt3SABJtkGk=");
//! assert_eq!(h.digest().len(), 32);
//! ```

use sha2::Digest as _;

use crate::b64;
use crate::error::{ProtoError, Result};
use crate::models::HashAlgorithm;

/// `HASH(data)` under `algorithm` (32, 48 or 64 bytes).
pub fn digest(algorithm: HashAlgorithm, data: &[u8]) -> Vec<u8> {
    match algorithm {
        HashAlgorithm::Sha256 => sha2::Sha256::digest(data).to_vec(),
        HashAlgorithm::Sha384 => sha2::Sha384::digest(data).to_vec(),
        HashAlgorithm::Sha512 => sha2::Sha512::digest(data).to_vec(),
        HashAlgorithm::Sha3_256 => sha3::Sha3_256::digest(data).to_vec(),
        HashAlgorithm::Sha3_384 => sha3::Sha3_384::digest(data).to_vec(),
        HashAlgorithm::Sha3_512 => sha3::Sha3_512::digest(data).to_vec(),
    }
}

/// A digest to be signed with the algorithm that produced it; the length always fits the
/// algorithm.
#[derive(Clone, PartialEq, Eq)]
pub struct SignableHash {
    algorithm: HashAlgorithm,
    digest: Vec<u8>,
}

impl std::fmt::Debug for SignableHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SignableHash({} {})", self.algorithm, self.to_base64())
    }
}

impl SignableHash {
    /// Hashes `data` with `algorithm` (the Java client's `SignableData`).
    pub fn of_data(data: &[u8], algorithm: HashAlgorithm) -> Self {
        SignableHash {
            algorithm,
            digest: digest(algorithm, data),
        }
    }

    /// A digest computed elsewhere (the Java client's `SignableHash`); its length must be the
    /// algorithm's output length.
    pub fn from_digest(digest: &[u8], algorithm: HashAlgorithm) -> Result<Self> {
        if digest.len() != algorithm.output_len() {
            return Err(ProtoError::invalid(
                "digest",
                format!(
                    "a {algorithm} digest is {} bytes, got {}",
                    algorithm.output_len(),
                    digest.len()
                ),
            ));
        }
        Ok(SignableHash {
            algorithm,
            digest: digest.to_vec(),
        })
    }

    /// A digest given in standard Base64 (padded, as the request carries it).
    pub fn from_base64(digest: &str, algorithm: HashAlgorithm) -> Result<Self> {
        let bytes = b64::decode_std("digest", digest)?;
        Self::from_digest(&bytes, algorithm)
    }

    /// The hash algorithm (the request's `signatureAlgorithmParameters.hashAlgorithm`).
    pub fn algorithm(&self) -> HashAlgorithm {
        self.algorithm
    }

    /// The digest bytes.
    pub fn digest(&self) -> &[u8] {
        &self.digest
    }

    /// The digest in standard Base64: the signature request's `digest`.
    pub fn to_base64(&self) -> String {
        b64::encode_std(&self.digest)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_are_checked() {
        for alg in [
            HashAlgorithm::Sha256,
            HashAlgorithm::Sha3_384,
            HashAlgorithm::Sha512,
        ] {
            let n = alg.output_len();
            assert!(SignableHash::from_digest(&vec![7; n], alg).is_ok());
            let e = SignableHash::from_digest(&vec![7; n - 1], alg).unwrap_err();
            assert!(e.to_string().contains(&format!("{n} bytes")), "{e}");
            assert!(SignableHash::from_digest(&vec![7; n + 1], alg).is_err());
        }
        assert!(SignableHash::from_base64("not base64!", HashAlgorithm::Sha256).is_err());
        let h = SignableHash::of_data(b"x", HashAlgorithm::Sha384);
        assert_eq!(
            SignableHash::from_base64(&h.to_base64(), HashAlgorithm::Sha384).unwrap(),
            h
        );
        // The same bytes under another algorithm of another length are refused.
        assert!(SignableHash::from_base64(&h.to_base64(), HashAlgorithm::Sha256).is_err());
    }
}
