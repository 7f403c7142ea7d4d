//! Small helpers shared by the flow modules: the wall clock in milliseconds, domain-separated
//! SHA-256 fingerprints, and the JSON encoding of stored entries (zeroized on drop, since they
//! hold secrets).

use std::time::{SystemTime, UNIX_EPOCH};

use serde::Serialize;
use sha2::{Digest as _, Sha256};
use zeroize::Zeroizing;

use crate::error::FlowError;

/// Milliseconds since the Unix epoch (0 if the clock is before it).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Lower-case hex of `SHA-256(domain || 0x00 || s)`.
pub(crate) fn hash_hex(domain: &str, s: &str) -> String {
    let mut h = Sha256::new();
    h.update(domain.as_bytes());
    h.update([0]);
    h.update(s.as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// `v` as JSON, for the store.
pub(crate) fn to_json<T: Serialize>(v: &T) -> Result<Zeroizing<String>, FlowError> {
    serde_json::to_string(v)
        .map(Zeroizing::new)
        .map_err(FlowError::internal)
}

/// A store entry decoded from JSON; a corrupt entry is [`FlowError::Internal`].
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, FlowError> {
    // serde_json's message can quote the offending value, and a stored record holds the
    // session secret: report only where the entry broke, never what it holds.
    serde_json::from_str(s).map_err(|e| {
        FlowError::Internal(format!(
            "corrupt store entry ({:?} error at line {} column {})",
            e.classify(),
            e.line(),
            e.column()
        ))
    })
}
