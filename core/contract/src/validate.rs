//! Field checks shared by the messages: callback base, context, flow handle, callback
//! commitment, text, date and Base64 fields.

use sidkit_proto::b64;
use sidkit_proto::{ProtoError, Result};
use zeroize::Zeroizing;

use crate::limits::*;

/// Checks an app's callback base (its App Link / Universal Link for Smart-ID returns) by the
/// rules both halves apply: at most [`MAX_CALLBACK_BASE_LEN`] characters, and a base by
/// [`CanonicalBase::parse`](sidkit_proto::return_url::CanonicalBase::parse) (a strict `https`
/// URL whose query carries none of the parameters the backend and the Smart-ID app add —
/// `value`, `sessionSecretDigest`, `userChallengeVerifier` — no parameter twice and no empty
/// one), so that the return URL the Smart-ID app builds from it is accepted by the router and
/// the backend.
pub fn validate_callback_base(url: &str) -> Result<()> {
    if url.len() > MAX_CALLBACK_BASE_LEN {
        return Err(ProtoError::invalid(
            "callbackBase",
            format!("must be at most {MAX_CALLBACK_BASE_LEN} characters"),
        ));
    }
    sidkit_proto::return_url::CanonicalBase::parse(url).map(|_| ())
}

/// Checks an app context reference: 1 to [`MAX_CONTEXT_LEN`] bytes, no control characters.
pub fn validate_context(c: &str) -> Result<()> {
    if c.is_empty() || c.len() > MAX_CONTEXT_LEN {
        return Err(ProtoError::invalid(
            "context",
            format!("must be 1 to {MAX_CONTEXT_LEN} bytes"),
        ));
    }
    if c.chars().any(char::is_control) {
        return Err(ProtoError::invalid(
            "context",
            "must not contain control characters",
        ));
    }
    Ok(())
}

/// Checks a URL-safe identifier (`A-Z a-z 0-9 - _ . ~`) of `min..=max` characters.
pub(crate) fn validate_token_like(
    field: &'static str,
    s: &str,
    min: usize,
    max: usize,
) -> Result<()> {
    if s.len() < min || s.len() > max {
        return Err(ProtoError::invalid(
            field,
            format!("must be {min} to {max} characters, got {}", s.len()),
        ));
    }
    if !s
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~'))
    {
        return Err(ProtoError::invalid(
            field,
            "may contain only A-Z, a-z, 0-9, `-`, `_`, `.` and `~`",
        ));
    }
    Ok(())
}

/// Checks a flow handle: URL-safe (it goes into request paths), 16 to 256 characters, and not a
/// UUID. Smart-ID `sessionID`s are UUIDs and must never reach the phone (spec §4.3); a handle
/// shaped like one is refused so that a backend that leaks the `sessionID` fails loudly.
pub fn validate_flow_handle(h: &str) -> Result<()> {
    validate_token_like("flowHandle", h, MIN_FLOW_HANDLE_LEN, MAX_FLOW_HANDLE_LEN)?;
    if sidkit_proto::validate::uuid("flowHandle", h).is_ok() {
        return Err(ProtoError::invalid(
            "flowHandle",
            "looks like a Smart-ID sessionID (a UUID); the backend must hand out an opaque handle instead",
        ));
    }
    Ok(())
}

/// Checks a callback-token commitment: 43 Base64URL characters decoding to 32 bytes.
pub fn decode_commitment(c: &str) -> Result<[u8; 32]> {
    decode_b64url_32("callbackCommitment", c).map(|b| *b)
}

/// Decodes `text`, 43 characters of canonical BASE64URL without padding, into 32 bytes (a
/// SHA-256 or a key); the decoding buffer is zeroized.
pub(crate) fn decode_b64url_32(field: &'static str, text: &str) -> Result<Zeroizing<[u8; 32]>> {
    if text.len() != 43 {
        return Err(ProtoError::invalid(
            field,
            "must be 43 Base64URL characters without padding (32 bytes)",
        ));
    }
    let bytes = Zeroizing::new(b64::decode_url(field, text)?);
    let mut out = Zeroizing::new([0u8; 32]);
    if bytes.len() != out.len() {
        return Err(ProtoError::invalid(field, "must decode to 32 bytes"));
    }
    out.copy_from_slice(&bytes);
    Ok(out)
}

pub(crate) fn validate_app_data(d: Option<&str>) -> Result<()> {
    match d {
        Some(d) if d.len() > MAX_APP_DATA_LEN => Err(ProtoError::invalid(
            "appData",
            format!("must be at most {MAX_APP_DATA_LEN} bytes"),
        )),
        _ => Ok(()),
    }
}

pub(crate) fn check_text(field: &'static str, s: &str) -> Result<()> {
    if s.is_empty() || s.len() > MAX_TEXT_LEN || s.chars().any(char::is_control) {
        return Err(ProtoError::invalid(
            field,
            format!("must be 1 to {MAX_TEXT_LEN} bytes without control characters"),
        ));
    }
    Ok(())
}

pub(crate) fn validate_date(d: &str) -> Result<()> {
    let b = d.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    let ok = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && digits(0..4)
        && digits(5..7)
        && digits(8..10);
    let month_day = ok
        && matches!(d[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(d[8..10].parse::<u8>(), Ok(1..=31));
    if month_day {
        Ok(())
    } else {
        Err(ProtoError::invalid(
            "dateOfBirth",
            "must be a date YYYY-MM-DD",
        ))
    }
}

pub(crate) fn check_base64(field: &'static str, s: &str) -> Result<()> {
    if s.len() > MAX_BASE64_LEN {
        return Err(ProtoError::invalid(
            field,
            format!("must be at most {MAX_BASE64_LEN} characters"),
        ));
    }
    b64::decode_std(field, s).map(|_| ())
}
