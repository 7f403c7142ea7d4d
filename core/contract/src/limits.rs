//! The contract's size limits (every one is also in `docs/openapi.yaml`).

/// Shortest accepted flow handle.
pub const MIN_FLOW_HANDLE_LEN: usize = 16;
/// Longest accepted flow handle.
pub const MAX_FLOW_HANDLE_LEN: usize = 256;
/// Longest accepted `context` of a start request.
pub const MAX_CONTEXT_LEN: usize = 1024;
/// Longest accepted `appData` of an outcome.
pub const MAX_APP_DATA_LEN: usize = 16 * 1024;
/// Longest accepted flow lifetime a backend may announce (`expiresInMs`): 30 minutes.
pub const MAX_EXPIRES_IN_MS: u64 = 30 * 60 * 1000;
/// Longest accepted return URL (the callback URL is at most 1800 characters, plus what the
/// Smart-ID app appends).
pub const MAX_RETURN_URL_LEN: usize = 4096;

/// Longest accepted callback base (the backend appends `?value=<token>` or `&value=<token>`,
/// and `initialCallbackUrl` may be at most 1800 characters).
pub const MAX_CALLBACK_BASE_LEN: usize = 1700;

/// Longest accepted text field of an identity or signature result.
pub const MAX_TEXT_LEN: usize = 256;
/// Longest accepted Base64 signature value or certificate.
pub const MAX_BASE64_LEN: usize = 32 * 1024;
