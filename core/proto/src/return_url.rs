//! The one parser and canonical form of a Smart-ID return URL (spec §7.2–7.3).
//!
//! A return URL is the `initialCallbackUrl` of a same-device session (the RP's callback base
//! plus its per-session `value` token) with what the Smart-ID app appends:
//! `sessionSecretDigest` and, for authentication, `userChallengeVerifier`. The phone's
//! return-URL router (`sidkit-app`) and the backend's check ([`crate::callback::CallbackBinding::check`])
//! both parse it with [`CanonicalReturnUrl::parse`], so they accept exactly the same set of
//! URLs, and both recognise a URL by the same [`ReturnUrlFingerprint`], computed over the
//! canonical form and not over the string as received.
//!
//! # Spellings
//!
//! Every spelling of the genuine return URL is either **refused by both halves before anything
//! is claimed** or **the same URL** (same canonical form, same fingerprint); no spelling is
//! accepted as a different URL. Per re-spelling:
//!
//! | Re-spelling | Rule |
//! |---|---|
//! | parameters in another order (base parameters, `value`, `sessionSecretDigest`, `userChallengeVerifier`) | the same URL |
//! | host in another case (`RP.Example.com`) | the same URL (host names are case-insensitive) |
//! | the default port written out (`:443`, also `:0443`) | the same URL (ports compare by number; 443 is the default) |
//! | empty path instead of `/` (`https://rp.example.com?value=…`) | the same URL |
//! | empty parameters: `&&`, a trailing `&`, `?&`, a bare `?` | refused |
//! | a parameter without `=` (`?flag`), or with an empty name (`?=x`) | refused |
//! | any parameter twice, a missing or changed base parameter | refused |
//! | any parameter other than the base's, `value`, `sessionSecretDigest`, `userChallengeVerifier` | refused |
//! | other percent-encoding (`%2D` for `-`, `%7c` for `%7C`), in the path or a parameter | refused: escapes compare as written, nothing is decoded |
//! | `value`, `sessionSecretDigest` or `userChallengeVerifier` not in the exact Base64URL format | refused (no `%`-escapes, no padding, no `+` or `/`) |
//! | scheme in another case (`HTTPS://`), another scheme, user info, a fragment (even an empty `#`) | refused |
//! | path in another case, with a trailing `/` added or removed, or with `.`/`..` segments | refused |
//!
//! The mapped re-spellings are the ones a URL parser on the way (a browser, an OS link
//! handler) may apply to the genuine URL: it must still be recognised. The refused ones never
//! come out of the Smart-ID app (it appends `&name=value` to the `initialCallbackUrl` it was
//! given), so refusing them costs nothing; refusing instead of mapping keeps the accepted set
//! small. Because a callback base with an empty query parameter, a parameter without `=` or a
//! parameter twice would make its own genuine return URL unacceptable, such bases are refused
//! when they are configured ([`CanonicalBase::parse`]).
//!
//! # Canonical form and fingerprint
//!
//! The canonical form is `https://` + lowercase host + `:port` (only when not 443) + path
//! (`/` when empty) + `?` + the base's parameters sorted by name, exactly as written in the
//! base, then `value=…`, then `&sessionSecretDigest=…` and `&userChallengeVerifier=…` when
//! present ([`CanonicalReturnUrl::to_canonical_string`]). The fingerprint is
//! `SHA-256("sidkit canonical return url v1" || 0x00 || lp(canonical base) || lp(token parameter name) || lp(value) || opt(sessionSecretDigest) || opt(userChallengeVerifier))`
//! with `lp(x)` = 4-byte big-endian length of `x`, then `x`; `opt(none)` = `0x00`,
//! `opt(x)` = `0x01 || lp(x)`.

use std::fmt;

use sha2::{Digest as _, Sha256};
use zeroize::Zeroize;

use crate::b64;
use crate::error::{CallbackFailure, ProtoError, Result};
use crate::secret::ct_eq;
use crate::url::parse_https;

/// Longest allowed `initialCallbackUrl` (OpenAPI `maxLength`).
pub const MAX_CALLBACK_URL_LEN: usize = 1800;
/// Longest accepted return URL: an `initialCallbackUrl` of at most
/// [`MAX_CALLBACK_URL_LEN`] characters plus what the Smart-ID app appends (a 43-character
/// digest and a verifier of at most 256 characters, with their names), with room to spare.
pub const MAX_RECEIVED_URL_LEN: usize = MAX_CALLBACK_URL_LEN + 512;
/// Name of the random per-session parameter.
pub const DEFAULT_TOKEN_PARAM: &str = "value";
/// Query parameter names the Smart-ID app appends.
pub const PARAM_SESSION_SECRET_DIGEST: &str = "sessionSecretDigest";
/// Query parameter names the Smart-ID app appends (authentication only).
pub const PARAM_USER_CHALLENGE_VERIFIER: &str = "userChallengeVerifier";

const FINGERPRINT_DOMAIN: &[u8] = b"sidkit canonical return url v1";

/// The `name=value` parameters of a query, in order, by the one rule of this module: no query,
/// or a non-empty query whose every `&`-separated segment is `name=value` with a non-empty
/// name (the value may be empty). Nothing is decoded.
fn strict_params(query: Option<&str>) -> std::result::Result<Vec<(&str, &str)>, &'static str> {
    let Some(q) = query else {
        return Ok(Vec::new());
    };
    if q.is_empty() {
        return Err("has an empty query (a bare `?`)");
    }
    q.split('&')
        .map(|seg| {
            if seg.is_empty() {
                return Err("has an empty query parameter (`&&`, or a leading or trailing `&`)");
            }
            match seg.split_once('=') {
                Some((n, v)) if !n.is_empty() => Ok((n, v)),
                _ => Err("every query parameter must be `name=value` with a non-empty name"),
            }
        })
        .collect()
}

fn truncated(name: &str) -> String {
    name.chars().take(40).collect()
}

fn is_token(v: &str) -> bool {
    (22..=128).contains(&v.len()) && b64::is_url_alphabet(v)
}

fn is_digest(d: &str) -> bool {
    d.len() == 43
        && b64::is_url_alphabet(d)
        && b64::decode_url(PARAM_SESSION_SECRET_DIGEST, d).is_ok()
}

fn is_verifier(v: &str) -> bool {
    (1..=256).contains(&v.len()) && b64::is_url_alphabet(v)
}

/// A callback base in canonical form: what a return URL must be on. See the
/// [module documentation](self) for the rules.
#[derive(Clone, PartialEq, Eq)]
pub struct CanonicalBase {
    canonical: String,
    host: String,
    port: u16,
    path: String,
    /// Sorted by name; names are unique.
    params: Vec<(String, String)>,
    token_param: String,
}

impl fmt::Debug for CanonicalBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CanonicalBase({})", self.canonical)
    }
}

impl CanonicalBase {
    /// Parses a callback base (the RP's App Link / Universal Link, before `value` is added):
    /// a strict `https` URL (lowercase `https://`, ASCII, valid percent-escapes, no raw `|`)
    /// of at most [`MAX_CALLBACK_URL_LEN`] characters, without fragment or user info, whose
    /// query, if any, is non-empty
    /// `name=value` parameters (no `&&`, no leading or trailing `&`, no bare `?`), each name at
    /// most once and none of `value`, `sessionSecretDigest`, `userChallengeVerifier`.
    pub fn parse(base: &str) -> Result<Self> {
        Self::with_token_param(base, DEFAULT_TOKEN_PARAM)
    }

    /// Like [`parse`](Self::parse) for a base whose per-session token parameter is named
    /// `token_param` instead of `value`.
    pub fn with_token_param(base: &str, token_param: &str) -> Result<Self> {
        const FIELD: &str = "callbackBase";
        if token_param.is_empty() || !b64::is_url_alphabet(token_param) {
            return Err(ProtoError::invalid(
                FIELD,
                "token parameter name must be non-empty and URL-safe",
            ));
        }
        if [PARAM_SESSION_SECRET_DIGEST, PARAM_USER_CHALLENGE_VERIFIER].contains(&token_param) {
            return Err(ProtoError::invalid(
                FIELD,
                "token parameter name collides with a parameter the Smart-ID app appends",
            ));
        }
        if base.len() > MAX_CALLBACK_URL_LEN {
            return Err(ProtoError::invalid(
                FIELD,
                format!("must be at most {MAX_CALLBACK_URL_LEN} characters"),
            ));
        }
        let u = parse_https(FIELD, base)?;
        let mut params: Vec<(String, String)> = Vec::new();
        for (n, v) in strict_params(u.query).map_err(|why| ProtoError::invalid(FIELD, why))? {
            if [
                DEFAULT_TOKEN_PARAM,
                token_param,
                PARAM_SESSION_SECRET_DIGEST,
                PARAM_USER_CHALLENGE_VERIFIER,
            ]
            .contains(&n)
            {
                return Err(ProtoError::invalid(
                    FIELD,
                    format!(
                        "must not carry a `{n}` parameter: the backend and the Smart-ID app add it"
                    ),
                ));
            }
            if params.iter().any(|(p, _)| p == n) {
                return Err(ProtoError::invalid(
                    FIELD,
                    format!("parameter `{}` appears twice", truncated(n)),
                ));
            }
            params.push((n.to_owned(), v.to_owned()));
        }
        params.sort();
        let (host, port) = u.origin_key();
        let path = if u.path.is_empty() { "/" } else { u.path };
        let mut canonical = format!("https://{host}");
        if port != 443 {
            canonical.push_str(&format!(":{port}"));
        }
        canonical.push_str(path);
        for (i, (n, v)) in params.iter().enumerate() {
            canonical.push(if i == 0 { '?' } else { '&' });
            canonical.push_str(n);
            canonical.push('=');
            canonical.push_str(v);
        }
        Ok(CanonicalBase {
            canonical,
            host,
            port,
            path: path.to_owned(),
            params,
            token_param: token_param.to_owned(),
        })
    }

    /// The base of an `initialCallbackUrl`: the URL without its one `token_param` parameter
    /// (which must be there exactly once, non-empty), parsed by
    /// [`with_token_param`](Self::with_token_param).
    pub fn from_initial_callback_url(initial: &str, token_param: &str) -> Result<Self> {
        const FIELD: &str = "initialCallbackUrl";
        let u = parse_https(FIELD, initial)?;
        let params = strict_params(u.query).map_err(|why| ProtoError::invalid(FIELD, why))?;
        let tokens = params.iter().filter(|(n, _)| *n == token_param).count();
        if tokens != 1
            || params
                .iter()
                .any(|(n, v)| *n == token_param && v.is_empty())
        {
            return Err(ProtoError::invalid(
                FIELD,
                format!("must carry the `{token_param}` parameter exactly once"),
            ));
        }
        Self::with_token_param(&rebuild(&u, &params, &[token_param]), token_param)
    }

    /// The canonical base (`https://host[:port]/path[?sorted parameters]`).
    pub fn as_str(&self) -> &str {
        &self.canonical
    }

    /// Name of the per-session token parameter (`value`).
    pub fn token_param(&self) -> &str {
        &self.token_param
    }
}

/// `url` without its query parameters named in `drop` (the others in their order).
fn rebuild(u: &crate::url::HttpsUrl<'_>, params: &[(&str, &str)], drop: &[&str]) -> String {
    let mut out = u.without_query().to_owned();
    let mut first = true;
    for (n, v) in params.iter().filter(|(n, _)| !drop.contains(n)) {
        out.push(if first { '?' } else { '&' });
        first = false;
        out.push_str(n);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// A return URL that passed [`CanonicalReturnUrl::parse`]: on its base, with the token and,
/// if present, a well-formed `sessionSecretDigest` and `userChallengeVerifier`. Holds the
/// callback token (zeroized on drop, redacted in `Debug`).
///
/// Parsing checks no secret: whether the token, the digest and the verifier are the
/// session's is for the backend ([`crate::callback::CallbackBinding::check`]).
pub struct CanonicalReturnUrl<'a> {
    base: &'a CanonicalBase,
    value: String,
    session_secret_digest: Option<String>,
    user_challenge_verifier: Option<String>,
}

impl Drop for CanonicalReturnUrl<'_> {
    fn drop(&mut self) {
        self.value.zeroize();
        self.session_secret_digest.zeroize();
        self.user_challenge_verifier.zeroize();
    }
}

impl fmt::Debug for CanonicalReturnUrl<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CanonicalReturnUrl")
            .field("base", &self.base.canonical)
            .field("value", &crate::secret::REDACTED)
            .field(
                "has_session_secret_digest",
                &self.session_secret_digest.is_some(),
            )
            .field(
                "has_user_challenge_verifier",
                &self.user_challenge_verifier.is_some(),
            )
            .finish()
    }
}

impl<'a> CanonicalReturnUrl<'a> {
    /// Parses `received` as a return URL on `base`, by the rules of the
    /// [module documentation](self). Never panics, whatever the input. Fails with
    ///
    /// * [`CallbackFailure::WrongBase`]: another host, port or path, or a base parameter
    ///   missing, changed or repeated;
    /// * [`CallbackFailure::MissingParameter`]: no `value`;
    /// * [`CallbackFailure::DuplicateParameter`]: `value`, `sessionSecretDigest` or
    ///   `userChallengeVerifier` twice;
    /// * [`CallbackFailure::Malformed`]: anything else (not a strict `https` URL, longer than
    ///   [`MAX_RECEIVED_URL_LEN`], an empty or `=`-less parameter, an unknown parameter, a
    ///   token, digest or verifier not in its format).
    pub fn parse(
        base: &'a CanonicalBase,
        received: &str,
    ) -> std::result::Result<Self, CallbackFailure> {
        let malformed = |why: &str| CallbackFailure::Malformed(why.to_owned());
        if received.len() > MAX_RECEIVED_URL_LEN {
            return Err(malformed("URL too long"));
        }
        let u = parse_https("returnUrl", received).map_err(|e| malformed(e.reason()))?;
        let path = if u.path.is_empty() { "/" } else { u.path };
        if u.origin_key() != (base.host.clone(), base.port) || path != base.path {
            return Err(CallbackFailure::WrongBase);
        }
        let mut token = None;
        let mut digest = None;
        let mut verifier = None;
        let mut base_seen = vec![false; base.params.len()];
        for (name, value) in strict_params(u.query).map_err(malformed)? {
            let slot = if name == base.token_param {
                &mut token
            } else if name == PARAM_SESSION_SECRET_DIGEST {
                &mut digest
            } else if name == PARAM_USER_CHALLENGE_VERIFIER {
                &mut verifier
            } else {
                let Ok(i) = base.params.binary_search_by(|(n, _)| n.as_str().cmp(name)) else {
                    return Err(CallbackFailure::Malformed(format!(
                        "unexpected parameter `{}`",
                        truncated(name)
                    )));
                };
                let (Some(seen), Some((_, expected))) = (base_seen.get_mut(i), base.params.get(i))
                else {
                    return Err(CallbackFailure::WrongBase);
                };
                if *seen || expected != value {
                    return Err(CallbackFailure::WrongBase);
                }
                *seen = true;
                continue;
            };
            if slot.is_some() {
                return Err(CallbackFailure::DuplicateParameter(truncated(name)));
            }
            *slot = Some(value);
        }
        if base_seen.iter().any(|s| !s) {
            return Err(CallbackFailure::WrongBase);
        }
        let token = token.ok_or(CallbackFailure::MissingParameter(DEFAULT_TOKEN_PARAM))?;
        if !is_token(token) {
            return Err(malformed(
                "value must be 22 to 128 Base64URL characters (at least 128 bits)",
            ));
        }
        if digest.is_some_and(|d| !is_digest(d)) {
            return Err(malformed(
                "sessionSecretDigest must be 43 Base64URL characters (SHA-256)",
            ));
        }
        if verifier.is_some_and(|v| !is_verifier(v)) {
            return Err(malformed(
                "userChallengeVerifier must be 1 to 256 Base64URL characters",
            ));
        }
        Ok(CanonicalReturnUrl {
            base,
            value: token.to_owned(),
            session_secret_digest: digest.map(str::to_owned),
            user_challenge_verifier: verifier.map(str::to_owned),
        })
    }

    /// The base the URL is on.
    pub fn base(&self) -> &'a CanonicalBase {
        self.base
    }

    /// The per-session token (`value`). A secret of the session: do not log it.
    pub fn value(&self) -> &str {
        &self.value
    }

    /// `sessionSecretDigest`, if present (format-checked, not compared with anything).
    pub fn session_secret_digest(&self) -> Option<&str> {
        self.session_secret_digest.as_deref()
    }

    /// `userChallengeVerifier`, if present (format-checked, not compared with anything).
    pub fn user_challenge_verifier(&self) -> Option<&str> {
        self.user_challenge_verifier.as_deref()
    }

    /// The canonical spelling of the URL (see the [module documentation](self)). It contains
    /// the token: do not log it.
    pub fn to_canonical_string(&self) -> String {
        let mut s = self.base.canonical.clone();
        s.push(if self.base.params.is_empty() {
            '?'
        } else {
            '&'
        });
        s.push_str(&self.base.token_param);
        s.push('=');
        s.push_str(&self.value);
        for (name, v) in [
            (PARAM_SESSION_SECRET_DIGEST, &self.session_secret_digest),
            (PARAM_USER_CHALLENGE_VERIFIER, &self.user_challenge_verifier),
        ] {
            if let Some(v) = v {
                s.push('&');
                s.push_str(name);
                s.push('=');
                s.push_str(v);
            }
        }
        s
    }

    /// The fingerprint of the canonical form: equal for every accepted spelling of one URL,
    /// different when the base, `value`, `sessionSecretDigest` or `userChallengeVerifier`
    /// differ (or one is present in only one of them).
    pub fn fingerprint(&self) -> ReturnUrlFingerprint {
        fn lp(h: &mut Sha256, x: &str) {
            // Every part is shorter than MAX_RECEIVED_URL_LEN, far below u32::MAX.
            h.update((x.len() as u32).to_be_bytes());
            h.update(x.as_bytes());
        }
        let mut h = Sha256::new();
        h.update(FINGERPRINT_DOMAIN);
        h.update([0]);
        lp(&mut h, &self.base.canonical);
        lp(&mut h, &self.base.token_param);
        lp(&mut h, &self.value);
        for part in [&self.session_secret_digest, &self.user_challenge_verifier] {
            match part {
                None => h.update([0]),
                Some(x) => {
                    h.update([1]);
                    lp(&mut h, x);
                }
            }
        }
        ReturnUrlFingerprint(h.finalize().into())
    }
}

/// The SHA-256 fingerprint of a return URL's canonical form
/// ([`CanonicalReturnUrl::fingerprint`]): what recognises the same return URL arriving again.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ReturnUrlFingerprint([u8; 32]);

impl ReturnUrlFingerprint {
    /// The 32 bytes.
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Lower-case hex (64 characters).
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// Compares with another fingerprint in constant time.
    pub fn ct_eq(&self, other: &ReturnUrlFingerprint) -> bool {
        ct_eq(&self.0, &other.0)
    }
}

impl fmt::Debug for ReturnUrlFingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReturnUrlFingerprint({})", self.to_hex())
    }
}
