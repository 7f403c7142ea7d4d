//! Random identifiers and secrets of new sessions: `sessionID`, `sessionToken`,
//! `sessionSecret` and the verification code.

use sidkit_proto::b64;
use sidkit_proto::secret::{random_bytes, SessionSecret};

pub(crate) fn random(n: usize) -> Result<Vec<u8>, String> {
    random_bytes(n)
        .map(|b| b.to_vec())
        .map_err(|e| e.to_string())
}

/// A random UUID v4 (the `sessionID`).
pub(crate) fn new_session_id() -> Result<String, String> {
    let mut b = random(16)?;
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    Ok(format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    ))
}

/// A random `sessionToken`: 24 characters of `A-Z a-z 0-9` (uniform, by rejection sampling).
pub(crate) fn new_session_token() -> Result<String, String> {
    const ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(24);
    while out.len() < 24 {
        for b in random(32)? {
            if b < 248 && out.len() < 24 {
                out.push(ALNUM[usize::from(b % 62)] as char);
            }
        }
    }
    Ok(out)
}

/// A random `sessionSecret` (32 bytes).
pub(crate) fn new_session_secret() -> Result<SessionSecret, String> {
    SessionSecret::from_base64(&b64::encode_std(&random(32)?)).map_err(|e| e.to_string())
}

/// A random four-digit verification code (notification signing).
pub(crate) fn new_vc() -> Result<String, String> {
    let b = random(2)?;
    Ok(format!("{:04}", u16::from_be_bytes([b[0], b[1]]) % 10_000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_identifiers_have_the_protocol_formats() {
        for _ in 0..50 {
            let id = new_session_id().unwrap();
            sidkit_proto::validate::uuid("sessionID", &id).unwrap();
            assert_eq!(&id[14..15], "4");
            let t = new_session_token().unwrap();
            sidkit_proto::validate::session_token(&t).unwrap();
            assert_eq!(t.len(), 24);
            assert_eq!(new_session_secret().unwrap().expose_bytes().len(), 32);
            let vc = new_vc().unwrap();
            assert!(vc.len() == 4 && vc.bytes().all(|c| c.is_ascii_digit()));
        }
    }
}
