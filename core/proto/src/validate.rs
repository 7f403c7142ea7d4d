//! Field validators shared by the request builders, the CLI and the simulator.

use crate::b64;
use crate::error::{ProtoError, Result};

/// `relyingPartyUUID`: a canonical UUID (`8-4-4-4-12` hex digits).
pub fn relying_party_uuid(s: &str) -> Result<()> {
    uuid("relyingPartyUUID", s)
}

/// A canonical UUID (`8-4-4-4-12` hex digits, either case).
pub fn uuid(field: &'static str, s: &str) -> Result<()> {
    let groups: Vec<&str> = s.split('-').collect();
    let ok = groups.len() == 5
        && groups
            .iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
    if ok {
        Ok(())
    } else {
        Err(ProtoError::invalid(
            field,
            "must be a UUID like 00000000-0000-4000-8000-000000000000",
        ))
    }
}

/// Longest `relyingPartyName` in UTF-8 bytes (Java client README, v3.0.3 docs).
pub const RELYING_PARTY_NAME_MAX_BYTES: usize = 32;

/// `relyingPartyName` (and a brokered RP name): 1–32 UTF-8 bytes, no control characters, no
/// leading or trailing whitespace (the bytes are reused verbatim in the authCode, so a stray
/// space would silently break it).
pub fn relying_party_name(s: &str) -> Result<()> {
    display_name("relyingPartyName", s)
}

/// Same rules as [`relying_party_name`], reported under `field`.
pub fn display_name(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() {
        return Err(ProtoError::invalid(field, "must not be empty"));
    }
    if s.len() > RELYING_PARTY_NAME_MAX_BYTES {
        return Err(ProtoError::invalid(
            field,
            format!(
                "must be at most {RELYING_PARTY_NAME_MAX_BYTES} UTF-8 bytes, got {}",
                s.len()
            ),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ProtoError::invalid(
            field,
            "must not contain control characters",
        ));
    }
    if s.trim() != s {
        return Err(ProtoError::invalid(
            field,
            "must not start or end with whitespace",
        ));
    }
    Ok(())
}

/// `nonce`: 1–30 characters (signature and certificate-choice requests only).
pub fn nonce(s: &str) -> Result<()> {
    let n = s.chars().count();
    if n == 0 || n > 30 {
        return Err(ProtoError::invalid(
            "nonce",
            format!("must be 1 to 30 characters, got {n}"),
        ));
    }
    if s.chars().any(char::is_control) {
        return Err(ProtoError::invalid(
            "nonce",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// `digest` of a signature request: standard Base64, 44–88 characters, i.e. 32–64 bytes (the
/// SHA-256 … SHA-512 family). Returns the decoded bytes.
pub fn digest(s: &str) -> Result<Vec<u8>> {
    if !(44..=88).contains(&s.len()) {
        return Err(ProtoError::invalid(
            "digest",
            format!("must be 44 to 88 Base64 characters, got {}", s.len()),
        ));
    }
    let bytes = b64::decode_std("digest", s)?;
    if !matches!(bytes.len(), 32 | 48 | 64) {
        return Err(ProtoError::invalid(
            "digest",
            format!(
                "must be a SHA-256/384/512 (or SHA3) hash of 32, 48 or 64 bytes, got {} bytes",
                bytes.len()
            ),
        ));
    }
    Ok(bytes)
}

/// `sessionToken`: at least 24 characters of `[a-zA-Z0-9]` (OpenAPI).
pub fn session_token(s: &str) -> Result<()> {
    if s.len() < 24 || s.len() > 256 {
        return Err(ProtoError::invalid(
            "sessionToken",
            format!("must be 24 to 256 characters, got {}", s.len()),
        ));
    }
    if !s.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(ProtoError::invalid(
            "sessionToken",
            "must contain only the characters a-z, A-Z and 0-9",
        ));
    }
    Ok(())
}

/// `lang`: an ISO 639-2 three-letter lowercase code (e.g. `eng`, `est`).
pub fn lang(s: &str) -> Result<()> {
    if s.len() == 3 && s.bytes().all(|b| b.is_ascii_lowercase()) {
        Ok(())
    } else {
        Err(ProtoError::invalid(
            "lang",
            format!("must be a three-letter lowercase ISO 639-2 code such as `eng`, got `{s}`"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        assert!(relying_party_uuid("00000000-0000-4000-8000-000000000000").is_ok());
        assert!(relying_party_uuid("DE305D54-75B4-431B-ADB2-EB6B9E546016").is_ok());
        assert!(relying_party_uuid("00000000-0000-4000-8000-00000000000").is_err());
        assert!(relying_party_uuid("00000000000040008000000000000000").is_err());
        assert!(relying_party_uuid("g0000000-0000-4000-8000-000000000000").is_err());
    }

    #[test]
    fn names() {
        assert!(relying_party_name("DEMO").is_ok());
        assert!(relying_party_name("Pank ÕÄÖÜ").is_ok());
        assert!(relying_party_name("").is_err());
        assert!(relying_party_name(" DEMO").is_err());
        assert!(relying_party_name("a\nb").is_err());
        assert!(relying_party_name(&"x".repeat(33)).is_err());
        assert!(relying_party_name(&"õ".repeat(17)).is_err(), "34 bytes");
    }

    #[test]
    fn nonces_and_digests() {
        assert!(nonce("a").is_ok());
        assert!(nonce(&"a".repeat(30)).is_ok());
        assert!(nonce("").is_err());
        assert!(nonce(&"a".repeat(31)).is_err());
        assert!(digest("FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==").is_ok());
        assert!(digest(&b64::encode_std(&[1u8; 32])).is_ok());
        assert!(digest(&b64::encode_std(&[1u8; 40])).is_err());
        assert!(digest("short").is_err());
    }

    #[test]
    fn tokens_and_langs() {
        assert!(session_token("wGIrqveE6AuGDATZKmR1mtAZ").is_ok());
        assert!(session_token("wGIrqveE6AuGDATZKmR1mtA").is_err());
        assert!(session_token("wGIrqveE6AuGDATZKmR1mtA_").is_err());
        assert!(lang("eng").is_ok());
        assert!(lang("EN").is_err());
        assert!(lang("Eng").is_err());
    }
}
