//! Secret values: zeroized on drop, printed as `[redacted]`, compared in constant time.
//!
//! * [`SessionSecret`]: the `sessionSecret` of a device-link session (HMAC key of the authCode).
//! * [`RpChallenge`]: the random challenge of an authentication session.
//! * [`ct_eq`]: constant-time comparison of byte strings.
//! * [`random_bytes`]: bytes from the operating system's CSPRNG.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::b64;
use crate::error::{ProtoError, Result};

/// The text every secret prints as.
pub const REDACTED: &str = "[redacted]";

/// Compares two byte strings in time that depends only on their lengths.
#[doc(hidden)]
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.ct_eq(b).into()
}

/// Fills a buffer of `n` bytes from the operating system's CSPRNG.
///
/// Fails only if the OS refuses to provide randomness, which is reported as an error rather than
/// a panic.
pub fn random_bytes(n: usize) -> Result<Zeroizing<Vec<u8>>> {
    let mut buf = Zeroizing::new(vec![0u8; n]);
    getrandom::fill(&mut buf)
        .map_err(|e| ProtoError::invalid("random", format!("the OS CSPRNG failed: {e}")))?;
    Ok(buf)
}

/// The `sessionSecret` returned when a device-link session is created.
///
/// It is the HMAC key for every `authCode` of the session and the pre-image of the callback's
/// `sessionSecretDigest`. It must stay in the RP backend (spec §4.3): this type has no `Serialize`
/// implementation, prints as `[redacted]` and zeroizes its memory when dropped. Use
/// [`SessionSecret::expose_base64`] deliberately where the secret must be persisted (e.g. a
/// shared session store).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SessionSecret {
    bytes: Vec<u8>,
    text: String,
}

impl SessionSecret {
    /// Minimum length of the Base64 text (OpenAPI `minLength: 24`, i.e. at least 16 bytes).
    pub const MIN_BASE64_LEN: usize = 24;
    /// Maximum accepted length of the Base64 text (a defensive bound; the API returns 44).
    pub const MAX_BASE64_LEN: usize = 512;

    /// Parses the `sessionSecret` from its standard Base64 text.
    pub fn from_base64(text: &str) -> Result<Self> {
        if text.len() < Self::MIN_BASE64_LEN {
            return Err(ProtoError::invalid(
                "sessionSecret",
                format!(
                    "must be at least {} Base64 characters, got {}",
                    Self::MIN_BASE64_LEN,
                    text.len()
                ),
            ));
        }
        if text.len() > Self::MAX_BASE64_LEN {
            return Err(ProtoError::invalid(
                "sessionSecret",
                format!("longer than {} characters", Self::MAX_BASE64_LEN),
            ));
        }
        let bytes = b64::decode_std("sessionSecret", text)?;
        Ok(SessionSecret {
            bytes,
            text: text.to_owned(),
        })
    }

    /// The decoded key bytes (the HMAC key of the authCode).
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The Base64 text exactly as received. Handle with care.
    pub fn expose_base64(&self) -> &str {
        &self.text
    }

    /// `sessionSecretDigest = BASE64URL_NOPAD(SHA-256(BASE64_DECODE(sessionSecret)))` (spec §7.3).
    pub fn digest(&self) -> SessionSecretDigest {
        SessionSecretDigest(Sha256::digest(&self.bytes).into())
    }
}

impl fmt::Debug for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SessionSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl PartialEq for SessionSecret {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.bytes, &other.bytes)
    }
}
impl Eq for SessionSecret {}

impl<'de> Deserialize<'de> for SessionSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        SessionSecret::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// SHA-256 of the decoded session secret: what the Smart-ID app appends to the callback URL as
/// `sessionSecretDigest` (Base64URL without padding). Not itself secret, but it is compared in
/// constant time.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SessionSecretDigest(pub [u8; 32]);

impl SessionSecretDigest {
    /// Base64URL without padding (43 characters), as it appears in the callback URL.
    pub fn to_base64url(&self) -> String {
        b64::encode_url(&self.0)
    }

    /// Parses the callback parameter form (43 Base64URL characters).
    pub fn from_base64url(s: &str) -> Result<Self> {
        let v = b64::decode_url("sessionSecretDigest", s)?;
        let arr: [u8; 32] = v.try_into().map_err(|_| {
            ProtoError::invalid("sessionSecretDigest", "must decode to exactly 32 bytes")
        })?;
        Ok(SessionSecretDigest(arr))
    }

    /// Constant-time comparison with the Base64URL text received in a callback. Malformed text
    /// simply does not match.
    pub fn matches_base64url(&self, received: &str) -> bool {
        let mut buf = [0u8; 64];
        // Decode without allocating; any decoding problem means "no match".
        use base64::Engine as _;
        match base64::engine::general_purpose::URL_SAFE_NO_PAD.decode_slice(received, &mut buf) {
            Ok(32) => ct_eq(&buf[..32], &self.0),
            _ => false,
        }
    }
}

impl fmt::Debug for SessionSecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SessionSecretDigest({})", self.to_base64url())
    }
}

/// The random challenge of an authentication session (`signatureProtocolParameters.rpChallenge`).
///
/// 32–64 bytes from a CSPRNG, sent as standard Base64. It must never reach the RP app (spec
/// §4.3): it prints as `[redacted]` and is zeroized on drop. It serializes (it has to be sent to
/// the RP API) as the exact Base64 text it was created from.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
#[doc(alias("RpChallengeGenerator"))]
pub struct RpChallenge {
    bytes: Vec<u8>,
    text: String,
}

impl RpChallenge {
    /// Shortest allowed challenge in bytes.
    pub const MIN_BYTES: usize = 32;
    /// Longest allowed challenge in bytes (and the recommended length).
    pub const MAX_BYTES: usize = 64;

    /// A fresh 64-byte challenge from the OS CSPRNG (the documented recommendation).
    pub fn random() -> Result<Self> {
        Self::random_with_len(Self::MAX_BYTES)
    }

    /// A fresh challenge of `len` bytes (32–64) from the OS CSPRNG.
    pub fn random_with_len(len: usize) -> Result<Self> {
        Self::check_len(len)?;
        let bytes = random_bytes(len)?;
        Ok(RpChallenge {
            text: b64::encode_std(&bytes),
            bytes: bytes.to_vec(),
        })
    }

    /// Parses a challenge from its standard Base64 text (44–88 characters, 32–64 bytes).
    pub fn from_base64(text: &str) -> Result<Self> {
        if !(44..=88).contains(&text.len()) {
            return Err(ProtoError::invalid(
                "rpChallenge",
                format!(
                    "must be 44 to 88 Base64 characters (32 to 64 bytes), got {} characters",
                    text.len()
                ),
            ));
        }
        let bytes = b64::decode_std("rpChallenge", text)?;
        Self::check_len(bytes.len())?;
        Ok(RpChallenge {
            bytes,
            text: text.to_owned(),
        })
    }

    fn check_len(len: usize) -> Result<()> {
        if !(Self::MIN_BYTES..=Self::MAX_BYTES).contains(&len) {
            return Err(ProtoError::invalid(
                "rpChallenge",
                format!("must be 32 to 64 bytes, got {len}"),
            ));
        }
        Ok(())
    }

    /// The raw challenge bytes (input of the verification code, spec §9).
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The Base64 text exactly as sent (used in the authCode and ACSP_V2 payloads).
    pub fn expose_base64(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for RpChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for RpChallenge {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl PartialEq for RpChallenge {
    fn eq(&self, other: &Self) -> bool {
        ct_eq(&self.bytes, &other.bytes)
    }
}
impl Eq for RpChallenge {}

impl Serialize for RpChallenge {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for RpChallenge {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        RpChallenge::from_base64(&text).map_err(serde::de::Error::custom)
    }
}

/// An `initialCallbackUrl` as it is kept and sent (the field of the device-link request bodies
/// and of [`DeviceLinkParams`](crate::device_link::DeviceLinkParams); also exported as
/// `callback::InitialCallbackUrl`): the URL carries the
/// session's callback token, so `Debug` prints only the part before the query
/// (`InitialCallbackUrl("https://rp.example.com/cb?[redacted]")`) and the text is zeroized on
/// drop. It serializes as the plain string, derefs to `str`, and has no `Display`: write
/// [`expose`](Self::expose) where the URL itself is needed.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(transparent)]
pub struct InitialCallbackUrl(String);

impl InitialCallbackUrl {
    /// Wraps a URL (checked where it is used: [`validate_initial_callback_url`](crate::callback::validate_initial_callback_url)).
    pub fn new(url: impl Into<String>) -> Self {
        InitialCallbackUrl(url.into())
    }

    /// The URL, with its token.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for InitialCallbackUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for InitialCallbackUrl {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl From<String> for InitialCallbackUrl {
    fn from(url: String) -> Self {
        InitialCallbackUrl(url)
    }
}

impl From<&str> for InitialCallbackUrl {
    fn from(url: &str) -> Self {
        InitialCallbackUrl(url.to_owned())
    }
}

impl PartialEq<str> for InitialCallbackUrl {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for InitialCallbackUrl {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl fmt::Debug for InitialCallbackUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.split_once('?') {
            // The base (before the query) is configuration, not a secret.
            Some((base, _)) => write!(f, "InitialCallbackUrl(\"{base}?{REDACTED}\")"),
            None => write!(f, "InitialCallbackUrl({REDACTED})"),
        }
    }
}

/// A short, stable tag of an identifier for logs: the first 8 bytes of
/// `SHA-256("sidkit log tag" ‖ 0 ‖ value)` in hex. Logs correlate a session or flow by it
/// without holding the identifier itself (a `sessionID` lets anyone who can reach the RP API
/// read the session's status; a flow handle names a flow).
pub fn log_tag(value: &str) -> String {
    use sha2::Digest as _;
    let mut h = sha2::Sha256::new();
    h.update(b"sidkit log tag\0");
    h.update(value.as_bytes());
    h.finalize()[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";

    #[test]
    fn session_secret_digest_vector() {
        // spec §7.4
        let s = SessionSecret::from_base64(SECRET).unwrap();
        assert_eq!(s.expose_bytes().len(), 32);
        assert_eq!(
            s.digest().to_base64url(),
            "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"
        );
        assert!(s
            .digest()
            .matches_base64url("U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"));
        // the counter-check of §7.4: hashing the Base64 text is wrong
        assert!(!s
            .digest()
            .matches_base64url("TIRImorSPPxBbNSJhTSPpY4GYM3ZXdHkXj2LFVUL2QI"));
        assert!(!s.digest().matches_base64url("not base64!"));
        assert!(!s.digest().matches_base64url(""));
    }

    #[test]
    fn secrets_are_redacted() {
        let s = SessionSecret::from_base64(SECRET).unwrap();
        assert_eq!(format!("{s:?}"), REDACTED);
        assert_eq!(format!("{s}"), REDACTED);
        let c = RpChallenge::random().unwrap();
        assert_eq!(format!("{c:?} {c}"), "[redacted] [redacted]");
        assert!(!format!("{c:?}").contains(c.expose_base64()));
    }

    #[test]
    fn session_secret_rejects_bad_input() {
        assert!(SessionSecret::from_base64("short").is_err());
        assert!(
            SessionSecret::from_base64("B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3_Ps=").is_err()
        );
        assert!(SessionSecret::from_base64("B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps").is_err());
    }

    #[test]
    fn rp_challenge_lengths() {
        for len in [32, 48, 64] {
            let c = RpChallenge::random_with_len(len).unwrap();
            assert_eq!(c.expose_bytes().len(), len);
            let back = RpChallenge::from_base64(c.expose_base64()).unwrap();
            assert_eq!(back, c);
        }
        assert!(RpChallenge::random_with_len(31).is_err());
        assert!(RpChallenge::random_with_len(65).is_err());
        // 31 bytes encodes to 44 characters but is still too short
        let short = b64::encode_std(&[7u8; 31]);
        assert_eq!(short.len(), 44);
        assert!(RpChallenge::from_base64(&short).is_err());
        assert!(RpChallenge::from_base64(&b64::encode_std(&[7u8; 65])).is_err());
        // two fresh challenges differ
        assert_ne!(
            RpChallenge::random().unwrap(),
            RpChallenge::random().unwrap()
        );
    }

    #[test]
    fn rp_challenge_serde_roundtrip_keeps_text() {
        let text = "GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==";
        let c: RpChallenge = serde_json::from_str(&format!("\"{text}\"")).unwrap();
        assert_eq!(serde_json::to_string(&c).unwrap(), format!("\"{text}\""));
    }

    #[test]
    fn log_tags_are_short_stable_and_distinct() {
        let a = log_tag("ce1b8838-e9ee-493f-9201-7d0f1bceb4e2");
        assert_eq!(a.len(), 16);
        assert_eq!(a, log_tag("ce1b8838-e9ee-493f-9201-7d0f1bceb4e2"));
        assert_ne!(a, log_tag("ce1b8838-e9ee-493f-9201-7d0f1bceb4e3"));
        assert!(!a.contains("ce1b8838"));
    }
}
