//! Strict Base64 helpers.
//!
//! The RP API mixes two alphabets: standard Base64 with `=` padding (rpChallenge, digest,
//! sessionSecret, interactions, certificates, signatures, the Base64 of relying-party names) and
//! Base64URL without padding (authCode, sessionSecretDigest, userChallenge). The decoders here
//! accept only the canonical form: correct alphabet, correct padding, zero unused bits.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;

use crate::error::{ProtoError, Result};

/// Standard Base64 with padding (RFC 4648 §4).
pub fn encode_std(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Base64URL without padding (RFC 4648 §5, padding removed as in §3.2).
pub fn encode_url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Appends Base64URL without padding to `out`.
pub(crate) fn encode_url_into(bytes: &[u8], out: &mut String) {
    URL_SAFE_NO_PAD.encode_string(bytes, out);
}

/// Decodes canonical standard Base64 (padding required, no whitespace, zero unused bits).
pub fn decode_std(field: &'static str, s: &str) -> Result<Vec<u8>> {
    if s.is_empty() {
        return Err(ProtoError::invalid(field, "must not be empty"));
    }
    STANDARD.decode(s).map_err(|e| {
        ProtoError::invalid(
            field,
            format!("not canonical standard Base64 (RFC 4648 §4 with padding): {e}"),
        )
    })
}

/// Decodes canonical Base64URL without padding.
pub fn decode_url(field: &'static str, s: &str) -> Result<Vec<u8>> {
    if s.is_empty() {
        return Err(ProtoError::invalid(field, "must not be empty"));
    }
    URL_SAFE_NO_PAD.decode(s).map_err(|e| {
        ProtoError::invalid(
            field,
            format!("not canonical Base64URL without padding (RFC 4648 §5): {e}"),
        )
    })
}

/// `true` if every byte of `s` is in the Base64URL alphabet (`A-Z a-z 0-9 - _`).
pub fn is_url_alphabet(s: &str) -> bool {
    s.bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn std_is_strict() {
        assert_eq!(decode_std("x", "REVNTw==").unwrap(), b"DEMO");
        assert!(decode_std("x", "REVNTw").is_err(), "padding required");
        assert!(decode_std("x", "REVNTx==").is_err(), "non-zero unused bits");
        assert!(decode_std("x", "REVN Tw==").is_err(), "whitespace");
        assert!(decode_std("x", "REVN-w==").is_err(), "url alphabet");
        assert!(decode_std("x", "").is_err());
    }

    #[test]
    fn url_is_strict() {
        assert_eq!(encode_url(&[0xfb, 0xff]), "-_8");
        assert_eq!(decode_url("x", "-_8").unwrap(), vec![0xfb, 0xff]);
        assert!(decode_url("x", "-_8=").is_err(), "no padding allowed");
        assert!(decode_url("x", "+/8").is_err(), "std alphabet");
    }
}
