//! Callback URLs of same-device flows (spec §7).
//!
//! 1. [`create_callback_url`] appends a fresh random `value` token (256 bits) to the RP's
//!    callback base, giving the `initialCallbackUrl` of one session.
//! 2. When the Smart-ID app opens `initialCallbackUrl&sessionSecretDigest=…[&userChallengeVerifier=…]`,
//!    the backend checks it with [`CallbackBinding::check`] (steps 1–2 of §7.3, and the format of
//!    the verifier), wrapped in [`OneShotCallback`] so that it is accepted at most once. The URL
//!    is parsed by [`crate::return_url`], the same parser as the phone's return-URL router, and
//!    recognised by the fingerprint of its canonical form.
//! 3. After polling, [`VerifiedCallback::check_user_challenge`] performs step 3 against
//!    `signature.userChallenge`.
//!
//! Every comparison of a token, digest or challenge runs in constant time.
//!
//! **The recommended check is [`OneShotCallback::accept`]** (the backend kit does the same with
//! an atomic claim in its session store, so that it holds across instances). The other checks
//! are marked *low-level*: [`CallbackBinding::check`] and [`verify_callback_url`] (the same
//! checks from the `initialCallbackUrl` and the session secret, plus step 3; for tools such as
//! `smartid verify-callback`) do not make a callback single-use.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::b64;
use crate::error::{CallbackFailure, ProtoError, Result};
use crate::models::SessionType;
use crate::return_url::{CanonicalBase, CanonicalReturnUrl, ReturnUrlFingerprint};
use crate::secret::{ct_eq, random_bytes, SessionSecret, SessionSecretDigest, REDACTED};
use crate::url::parse_https;

pub use crate::secret::InitialCallbackUrl;

pub use crate::return_url::{
    DEFAULT_TOKEN_PARAM, MAX_CALLBACK_URL_LEN, PARAM_SESSION_SECRET_DIGEST,
    PARAM_USER_CHALLENGE_VERIFIER,
};

/// Random bytes in a callback token (256 bits; the spec asks for an unpredictable value, and
/// this project requires at least 128 bits).
pub const TOKEN_BYTES: usize = 32;

/// Checks an `initialCallbackUrl` as the RP API does (`^https://([^|#]+)$`, at most 1800
/// characters) plus this crate's stricter URL syntax, and requires a query (the per-session
/// random parameter lives there).
pub fn validate_initial_callback_url(url: &str) -> Result<()> {
    if url.len() > MAX_CALLBACK_URL_LEN {
        return Err(ProtoError::invalid(
            "initialCallbackUrl",
            format!(
                "must be at most {MAX_CALLBACK_URL_LEN} characters, got {}",
                url.len()
            ),
        ));
    }
    let u = parse_https("initialCallbackUrl", url)?;
    if u.query.is_none_or(str::is_empty) {
        return Err(ProtoError::invalid(
            "initialCallbackUrl",
            "must carry a random per-session query parameter (e.g. ?value=…)",
        ));
    }
    Ok(())
}

/// The random per-session token placed in the callback URL.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct CallbackToken(String);

impl CallbackToken {
    /// A fresh token: 32 bytes from the OS CSPRNG, Base64URL (43 characters).
    pub fn random() -> Result<Self> {
        Ok(CallbackToken(b64::encode_url(&random_bytes(TOKEN_BYTES)?)))
    }

    /// Wraps an existing token (at least 22 Base64URL characters, i.e. ≥128 bits).
    pub fn from_string(s: impl Into<String>) -> Result<Self> {
        let s = s.into();
        if s.len() < 22 || s.len() > 128 || !b64::is_url_alphabet(&s) {
            return Err(ProtoError::invalid(
                "value",
                "callback token must be 22 to 128 Base64URL characters (at least 128 bits)",
            ));
        }
        Ok(CallbackToken(s))
    }

    /// The token text.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `BASE64URL_NOPAD(SHA-256(token))`: a commitment the backend may give the phone so that it
    /// can recognise its own return URL without learning the token in advance.
    pub fn commitment(&self) -> String {
        token_commitment(&self.0)
    }
}

/// `BASE64URL_NOPAD(SHA-256(UTF-8 token))`.
pub fn token_commitment(token: &str) -> String {
    b64::encode_url(&Sha256::digest(token.as_bytes()))
}

impl fmt::Debug for CallbackToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// An `initialCallbackUrl` together with its token (both zeroized on drop, redacted in
/// `Debug`).
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct InitialCallback {
    url: String,
    token: CallbackToken,
}

impl InitialCallback {
    /// The full `initialCallbackUrl` to put in the session request.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The token that was appended.
    pub fn token(&self) -> &CallbackToken {
        &self.token
    }
}

impl fmt::Debug for InitialCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("InitialCallback")
            .field("url", &"[redacted: contains the token]")
            .finish()
    }
}

impl From<&InitialCallback> for InitialCallbackUrl {
    fn from(c: &InitialCallback) -> Self {
        InitialCallbackUrl::new(c.url.clone())
    }
}

/// Builds an `initialCallbackUrl` from the RP's callback base by appending `value=<token>` with a
/// fresh 256-bit token. Any `|` in the base is percent-encoded as `%7C`; the base must then
/// pass [`CanonicalBase::parse`] (`https`, no fragment, no empty or repeated query parameter,
/// no `value`, `sessionSecretDigest` or `userChallengeVerifier` parameter), so that the return
/// URL the Smart-ID app builds from it is accepted.
#[doc(alias("CallbackUrlUtil", "createCallbackUrl"))]
pub fn create_callback_url(base: &str) -> Result<InitialCallback> {
    create_callback_url_with(base, DEFAULT_TOKEN_PARAM, CallbackToken::random()?)
}

/// Like [`create_callback_url`] with a custom parameter name and a given token.
pub fn create_callback_url_with(
    base: &str,
    param: &str,
    token: CallbackToken,
) -> Result<InitialCallback> {
    let encoded = base.replace('|', "%7C");
    // The one rule of a callback base (crate::return_url): a base whose genuine return URL
    // could not be accepted is refused here, when the session is created.
    CanonicalBase::with_token_param(&encoded, param)?;
    let sep = if encoded.contains('?') { "&" } else { "?" };
    let url = format!("{encoded}{sep}{param}={}", token.expose());
    validate_initial_callback_url(&url)?;
    Ok(InitialCallback { url, token })
}

/// Checks that the App2App and Web2App callback bases differ (spec §7.1): otherwise a Web2App
/// callback can be routed into the app. Bases on the same host also must not be path prefixes of
/// each other, since App Links / Universal Links match path prefixes.
pub fn check_callback_bases_differ(app2app_base: &str, web2app_base: &str) -> Result<()> {
    let a = parse_https("app2appCallbackBase", app2app_base)?;
    let w = parse_https("web2appCallbackBase", web2app_base)?;
    if a.origin_key() != w.origin_key() {
        return Ok(());
    }
    let norm = |p: &str| {
        let mut s = p.trim_end_matches('/').to_owned();
        s.push('/');
        s
    };
    let (pa, pw) = (norm(a.path), norm(w.path));
    if pa == pw {
        return Err(ProtoError::invalid(
            "initialCallbackUrl",
            "App2App and Web2App callbacks must use different bases (same host and path)",
        ));
    }
    if pa.starts_with(&pw) || pw.starts_with(&pa) {
        return Err(ProtoError::invalid(
            "initialCallbackUrl",
            "App2App and Web2App callback paths on the same host must not be prefixes of each other",
        ));
    }
    Ok(())
}

/// What the backend keeps from session creation to check a callback: the callback URL, its
/// token, and the SHA-256 digest of the session secret (not the secret itself). The URL and the
/// token are secret until the callback arrives: `Debug` prints neither, and every field is
/// zeroized on drop.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize, Zeroize, ZeroizeOnDrop)]
#[serde(rename_all = "camelCase")]
pub struct CallbackBinding {
    /// The `initialCallbackUrl` sent in the session request.
    pub initial_callback_url: String,
    /// Name of the token parameter (`value`).
    pub token_param: String,
    /// The token.
    pub token: String,
    /// Base64URL SHA-256 of the decoded session secret.
    pub session_secret_digest: String,
    /// `auth`, `sign` or `cert`: only `auth` callbacks carry a `userChallengeVerifier`.
    pub session_type: String,
}

impl fmt::Debug for CallbackBinding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackBinding")
            .field("token_param", &self.token_param)
            .field("token", &REDACTED)
            .field("session_type", &self.session_type)
            .finish()
    }
}

/// The result of a successful [`CallbackBinding::check`].
#[derive(Clone, PartialEq, Eq)]
pub struct VerifiedCallback {
    user_challenge_verifier: Option<String>,
    fingerprint: ReturnUrlFingerprint,
}

impl fmt::Debug for VerifiedCallback {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedCallback")
            .field(
                "has_user_challenge_verifier",
                &self.user_challenge_verifier.is_some(),
            )
            .finish()
    }
}

impl VerifiedCallback {
    /// The `userChallengeVerifier` (authentication only), as received.
    pub fn user_challenge_verifier(&self) -> Option<&str> {
        self.user_challenge_verifier.as_deref()
    }

    /// The fingerprint of the return URL's canonical form
    /// ([`CanonicalReturnUrl::fingerprint`]): the same for every accepted spelling of the URL,
    /// and what the phone's router computes for it too. Use it, not the string as received, to
    /// recognise the same return URL arriving again.
    pub fn return_url_fingerprint(&self) -> &ReturnUrlFingerprint {
        &self.fingerprint
    }

    /// Step 3 of §7.3: `BASE64URL(SHA-256(ASCII(userChallengeVerifier))) == signature.userChallenge`,
    /// in constant time. Fails if there is no verifier.
    pub fn check_user_challenge(
        &self,
        signature_user_challenge: &str,
    ) -> Result<(), CallbackFailure> {
        let v =
            self.user_challenge_verifier
                .as_deref()
                .ok_or(CallbackFailure::MissingParameter(
                    PARAM_USER_CHALLENGE_VERIFIER,
                ))?;
        check_user_challenge(v, signature_user_challenge)
    }
}

/// `BASE64URL_NOPAD(SHA-256(ASCII bytes of userChallengeVerifier))`: the `userChallenge` that
/// the session status must report.
pub fn user_challenge_of(verifier: &str) -> String {
    b64::encode_url(&Sha256::digest(verifier.as_bytes()))
}

/// *Low-level* (prefer [`VerifiedCallback::check_user_challenge`] on the result of
/// [`OneShotCallback::accept`]): compares `SHA-256(verifier)` with `signature.userChallenge` in
/// constant time.
pub fn check_user_challenge(
    verifier: &str,
    signature_user_challenge: &str,
) -> Result<(), CallbackFailure> {
    let expected = user_challenge_of(verifier);
    if ct_eq(expected.as_bytes(), signature_user_challenge.as_bytes()) {
        Ok(())
    } else {
        Err(CallbackFailure::UserChallengeMismatch)
    }
}

impl CallbackBinding {
    /// Records what is needed to check the callback of a session.
    pub fn new(
        initial: &InitialCallback,
        secret: &SessionSecret,
        session_type: SessionType,
    ) -> Self {
        Self::from_parts(
            initial.url(),
            DEFAULT_TOKEN_PARAM,
            initial.token().expose(),
            secret.digest(),
            session_type,
        )
    }

    /// Records a binding from its parts.
    pub fn from_parts(
        initial_callback_url: &str,
        token_param: &str,
        token: &str,
        session_secret_digest: SessionSecretDigest,
        session_type: SessionType,
    ) -> Self {
        CallbackBinding {
            initial_callback_url: initial_callback_url.to_owned(),
            token_param: token_param.to_owned(),
            token: token.to_owned(),
            session_secret_digest: session_secret_digest.to_base64url(),
            session_type: session_type.as_str().to_owned(),
        }
    }

    /// The session type recorded in the binding.
    pub fn session_type(&self) -> Result<SessionType> {
        self.session_type.parse()
    }

    /// *Low-level* (prefer [`OneShotCallback::accept`]): stateless checks of a received callback
    /// URL (steps 1 and 2 of §7.3, and the presence and
    /// format of `userChallengeVerifier` for authentication):
    ///
    /// * it parses, by [`CanonicalReturnUrl::parse`], as a return URL on the base of the
    ///   session's `initialCallbackUrl` (same host, port and path, the original query
    ///   parameters unchanged, only `value`, `sessionSecretDigest` and `userChallengeVerifier`
    ///   added, each at most once; the same parser as the phone's router, so both accept the
    ///   same URLs);
    /// * `value` equals the session's token (constant time);
    /// * `sessionSecretDigest` is present and equals SHA-256 of the session secret (constant
    ///   time);
    /// * `userChallengeVerifier` is present for `auth` and absent otherwise.
    ///
    /// The result carries the [fingerprint](VerifiedCallback::return_url_fingerprint) of the
    /// URL's canonical form. This does **not** make the callback single-use; use
    /// [`OneShotCallback`] or an atomic take from a session store for that.
    pub fn check(&self, received: &str) -> Result<VerifiedCallback, CallbackFailure> {
        let base = self.canonical_base()?;
        let parsed = CanonicalReturnUrl::parse(&base, received)?;
        self.check_parsed(&parsed)
    }

    /// The canonical base of the stored `initialCallbackUrl` (the URL without its token).
    fn canonical_base(&self) -> Result<CanonicalBase, CallbackFailure> {
        CanonicalBase::from_initial_callback_url(&self.initial_callback_url, &self.token_param)
            .map_err(|_| CallbackFailure::Malformed("stored initialCallbackUrl is invalid".into()))
    }

    fn check_token(&self, parsed: &CanonicalReturnUrl<'_>) -> Result<(), CallbackFailure> {
        if ct_eq(parsed.value().as_bytes(), self.token.as_bytes()) {
            Ok(())
        } else {
            Err(CallbackFailure::TokenMismatch)
        }
    }

    /// The checks of [`check`](Self::check) after parsing.
    fn check_parsed(
        &self,
        parsed: &CanonicalReturnUrl<'_>,
    ) -> Result<VerifiedCallback, CallbackFailure> {
        self.check_token(parsed)?;
        let digest = parsed
            .session_secret_digest()
            .ok_or(CallbackFailure::MissingParameter(
                PARAM_SESSION_SECRET_DIGEST,
            ))?;
        let expected =
            SessionSecretDigest::from_base64url(&self.session_secret_digest).map_err(|_| {
                CallbackFailure::Malformed("stored sessionSecretDigest is invalid".into())
            })?;
        if !expected.matches_base64url(digest) {
            return Err(CallbackFailure::SessionSecretDigestMismatch);
        }
        let is_auth = self.session_type == SessionType::Auth.as_str();
        let verifier = match (is_auth, parsed.user_challenge_verifier()) {
            (true, None) => {
                return Err(CallbackFailure::MissingParameter(
                    PARAM_USER_CHALLENGE_VERIFIER,
                ))
            }
            // Its format was checked by the parser.
            (true, Some(v)) => Some(v.to_owned()),
            (false, Some(_)) => {
                return Err(CallbackFailure::UnexpectedParameter(
                    PARAM_USER_CHALLENGE_VERIFIER,
                ))
            }
            (false, None) => None,
        };
        Ok(VerifiedCallback {
            user_challenge_verifier: verifier,
            fingerprint: parsed.fingerprint(),
        })
    }
}

/// A [`CallbackBinding`] that accepts at most one callback (spec §7.3 step 5).
///
/// The first call that parses as a return URL on the session's base
/// ([`CanonicalReturnUrl::parse`]) and whose token matches consumes the binding, whether or not
/// the remaining checks pass: a callback with the right token and a wrong digest is an attack,
/// and the session must not be completable afterwards. A URL the parser refuses (another base,
/// a re-spelling such as `&&`, a malformed parameter) consumes nothing.
#[derive(Debug)]
#[doc(alias("CallbackUrlUtil", "validateCallbackUrl"))]
pub struct OneShotCallback {
    binding: CallbackBinding,
    used: AtomicBool,
}

impl OneShotCallback {
    /// Wraps a binding.
    pub fn new(binding: CallbackBinding) -> Self {
        OneShotCallback {
            binding,
            used: AtomicBool::new(false),
        }
    }

    /// The wrapped binding.
    pub fn binding(&self) -> &CallbackBinding {
        &self.binding
    }

    /// Whether a callback with the right token has been presented.
    pub fn is_used(&self) -> bool {
        self.used.load(Ordering::Acquire)
    }

    /// Checks `received` and consumes the binding. A second call with the right token fails
    /// with [`CallbackFailure::AlreadyUsed`].
    pub fn accept(&self, received: &str) -> Result<VerifiedCallback, CallbackFailure> {
        let base = self.binding.canonical_base()?;
        let parsed = CanonicalReturnUrl::parse(&base, received)?;
        self.binding.check_token(&parsed)?;
        if self
            .used
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return Err(CallbackFailure::AlreadyUsed);
        }
        self.binding.check_parsed(&parsed)
    }
}

/// The session a callback belongs to, for [`verify_callback_url`]: what decides whether a
/// `userChallengeVerifier` must be there, and what it must hash to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpectedCallback<'a> {
    /// An authentication session: the callback must carry a `userChallengeVerifier` whose
    /// SHA-256 equals `signature.userChallenge` of the session status (§7.3 step 3).
    Authentication {
        /// `signature.userChallenge` from the session status.
        user_challenge: &'a str,
    },
    /// A signature session: the callback carries no `userChallengeVerifier`.
    Signature,
    /// A certificate-choice session: the callback carries no `userChallengeVerifier`.
    CertificateChoice,
}

impl ExpectedCallback<'_> {
    /// The session type (`auth`, `sign`, `cert`).
    pub fn session_type(&self) -> SessionType {
        match self {
            ExpectedCallback::Authentication { .. } => SessionType::Auth,
            ExpectedCallback::Signature => SessionType::Sign,
            ExpectedCallback::CertificateChoice => SessionType::Cert,
        }
    }
}

/// Every stateless check of a received callback URL (spec §7.3 steps 1–3) against the
/// session's `initialCallbackUrl` (as sent, with its `value` token) and secret, for tools such
/// as `smartid verify-callback` and for backends that keep no [`CallbackBinding`]:
///
/// * the URL is a return URL on the base of `initial_callback_url`
///   ([`CanonicalReturnUrl::parse`]: same host, port and path, the original query parameters
///   unchanged, nothing added but `value`, `sessionSecretDigest` and `userChallengeVerifier`,
///   each at most once);
/// * `value` is the token of `initial_callback_url`, `sessionSecretDigest` matches `secret`;
/// * for [`ExpectedCallback::Authentication`], a `userChallengeVerifier` whose SHA-256 is the
///   session's `signature.userChallenge`; for the other session types, no verifier.
///
/// All comparisons are constant-time. This is [`CallbackBinding::check`] plus
/// [`VerifiedCallback::check_user_challenge`]; it does **not** make the callback single-use
/// (use [`OneShotCallback`] or an atomic take from a session store for that).
///
/// An `initial_callback_url` without exactly one `value` token is
/// [`CallbackFailure::Malformed`]; check it first with
/// [`CanonicalBase::from_initial_callback_url`] to report it as bad input.
pub fn verify_callback_url(
    received: &str,
    initial_callback_url: &str,
    secret: &SessionSecret,
    expected: ExpectedCallback<'_>,
) -> Result<VerifiedCallback, CallbackFailure> {
    let malformed = |e: ProtoError| CallbackFailure::Malformed(e.reason().to_owned());
    CanonicalBase::from_initial_callback_url(initial_callback_url, DEFAULT_TOKEN_PARAM)
        .map_err(malformed)?;
    let token = parse_https("initialCallbackUrl", initial_callback_url)
        .map_err(malformed)?
        .query_pairs()
        .find(|(n, _)| *n == DEFAULT_TOKEN_PARAM)
        .map(|(_, v)| zeroize::Zeroizing::new(v.to_owned()))
        .ok_or(CallbackFailure::MissingParameter(DEFAULT_TOKEN_PARAM))?;
    let binding = CallbackBinding::from_parts(
        initial_callback_url,
        DEFAULT_TOKEN_PARAM,
        &token,
        secret.digest(),
        expected.session_type(),
    );
    let verified = binding.check(received)?;
    if let ExpectedCallback::Authentication { user_challenge } = expected {
        verified.check_user_challenge(user_challenge)?;
    }
    Ok(verified)
}
