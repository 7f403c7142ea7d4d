//! The flow key: proof that a request comes from the app that started the flow (PKCE, RFC 7636,
//! applied to a whole flow).
//!
//! When the app starts a flow it draws a 256-bit [`FlowKey`] from the OS CSPRNG and sends only
//! its [challenge](FlowKey::challenge), `BASE64URL(SHA-256(flowKey))`, in the start request
//! (`flowKeyChallenge`). Every later request on the flow carries the key itself in the
//! [`FLOW_KEY_HEADER`] (`Sidkit-Flow-Key`) header. The backend stores the challenge only and
//! answers a missing or wrong key exactly like an unknown flow handle, so a handle read from a
//! log, a URL or a snapshot is worth nothing without the key.

use std::fmt;

use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use sidkit_proto::secret::{ct_eq, random_bytes, REDACTED};
use sidkit_proto::{b64, Result};

use crate::validate::decode_b64url_32;

/// The request header that carries the flow key (`Sidkit-Flow-Key: <BASE64URL(flowKey)>`).
pub const FLOW_KEY_HEADER: &str = "Sidkit-Flow-Key";

/// Length of a flow key and of a challenge in BASE64URL without padding (32 bytes).
pub const FLOW_KEY_LEN: usize = 43;

/// A flow's key: 32 random bytes, zeroized on drop, printed as `[redacted]`.
#[derive(Clone)]
pub struct FlowKey {
    bytes: Zeroizing<[u8; 32]>,
    text: Zeroizing<String>,
}

impl FlowKey {
    /// A new key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self> {
        let random = random_bytes(32)?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        bytes.copy_from_slice(&random);
        let text = Zeroizing::new(b64::encode_url(&bytes[..]));
        Ok(FlowKey { bytes, text })
    }

    /// Parses a key from its header form (43 characters of BASE64URL without padding).
    pub fn parse(text: &str) -> Result<Self> {
        let bytes = decode_b64url_32(FLOW_KEY_HEADER, text)?;
        Ok(FlowKey {
            bytes,
            text: Zeroizing::new(text.to_owned()),
        })
    }

    /// The header value, `BASE64URL(key)`. Send it only in [`FLOW_KEY_HEADER`], never in a URL
    /// or a log.
    pub fn expose(&self) -> &str {
        &self.text
    }

    /// The challenge to send in the start request: `BASE64URL(SHA-256(key))`, the hash over
    /// the key's 32 bytes (not over its text form).
    pub fn challenge(&self) -> String {
        b64::encode_url(&Sha256::digest(&self.bytes[..]))
    }

    /// Whether this key belongs to `challenge` (compared in constant time).
    pub fn matches(&self, challenge: &str) -> bool {
        ct_eq(self.challenge().as_bytes(), challenge.as_bytes())
    }
}

/// Constant-time comparison of the keys.
impl PartialEq for FlowKey {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.bytes[..], &other.bytes[..])
    }
}

impl Eq for FlowKey {}

impl fmt::Debug for FlowKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FlowKey({REDACTED})")
    }
}

/// Checks a `flowKeyChallenge`: 43 characters of BASE64URL without padding (a SHA-256).
pub fn validate_flow_key_challenge(challenge: &str) -> Result<()> {
    decode_b64url_32("flowKeyChallenge", challenge).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_and_challenge_round_trip() {
        let k = FlowKey::generate().unwrap();
        assert_eq!(k.expose().len(), FLOW_KEY_LEN);
        let c = k.challenge();
        assert_eq!(c.len(), FLOW_KEY_LEN);
        validate_flow_key_challenge(&c).unwrap();
        assert!(k.matches(&c));
        let again = FlowKey::parse(k.expose()).unwrap();
        assert!(again.matches(&c));
        let other = FlowKey::generate().unwrap();
        assert!(!other.matches(&c));
        assert_ne!(k.expose(), other.expose());
    }

    #[test]
    fn challenge_is_sha256_of_the_key_bytes() {
        // Key 00 01 .. 1f; challenge computed independently (Python hashlib).
        let k = FlowKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap();
        assert_eq!(k.challenge(), "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0");
    }

    #[test]
    fn malformed_keys_are_refused() {
        for bad in [
            "",
            "short",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh=",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh+",
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8A",
            // 43 characters whose last one carries bits that do not fit 32 bytes.
            "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",
        ] {
            assert!(FlowKey::parse(bad).is_err(), "{bad}");
            assert!(validate_flow_key_challenge(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn prints_redacted() {
        let k = FlowKey::generate().unwrap();
        let s = format!("{k:?}");
        assert_eq!(s, "FlowKey([redacted])");
        assert!(!s.contains(k.expose()));
    }
}
