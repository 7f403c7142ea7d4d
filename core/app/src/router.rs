//! The return-URL router: given any URL the OS hands to the app, decide whether it is the
//! return of one of this app's pending Smart-ID flows, and which one.
//!
//! The phone must not learn the callback URL in advance (spec §4.3), so it cannot compare the
//! incoming URL with it. Instead:
//!
//! 1. The URL must be on the app's own **callback base** (its App Link / Universal Link:
//!    scheme `https`, host, port and path; any query parameters of the base unchanged).
//! 2. Its query may contain only the base's own parameters, the per-session `value` token, and
//!    what the Smart-ID app appends (`sessionSecretDigest`, `userChallengeVerifier`), each at
//!    most once and well-formed.
//!
//!    Steps 1 and 2 are [`CanonicalReturnUrl::parse`] of `sidkit-proto`, the very parser the
//!    backend's callback check uses, so the phone and the backend accept exactly the same
//!    URLs: parameter order, host case, an explicit `:443` and an empty path are the same URL;
//!    empty parameters (`&&`, a trailing `&`, `?&`), other percent-encodings and fragments are
//!    refused (see `sidkit_proto::return_url`).
//! 3. The backend gave each flow a **commitment** `BASE64URL(SHA-256(value))` when it started.
//!    The router hashes the incoming `value` and compares it, in constant time, with the
//!    commitment of every pending flow. The phone thus recognises its own return without ever
//!    holding the token before the return arrives.
//!
//! The router is a filter, not the security check: the backend still performs the binding,
//! digest, challenge and one-shot checks of spec §7.3 when the flow is completed.
//! `sessionSecretDigest` and `userChallengeVerifier` are format-checked when present but not
//! required here: whether the Smart-ID app calls back after a refusal, and with which
//! parameters, is not documented (spec, open question 1), and the backend decides.

use std::fmt;

use sha2::{Digest as _, Sha256};
use subtle::{ConditionallySelectable, ConstantTimeEq};

use crate::error::{Result, RouteRejection};
use sidkit_contract::validate_callback_base;
use sidkit_proto::return_url::{CanonicalBase, CanonicalReturnUrl};
use sidkit_proto::CallbackFailure;

/// The router's answer for a URL the shared parser refused.
fn rejection(f: CallbackFailure) -> RouteRejection {
    match f {
        CallbackFailure::WrongBase => RouteRejection::ForeignBase,
        CallbackFailure::Malformed(why) => RouteRejection::Malformed(why),
        CallbackFailure::MissingParameter(p) => RouteRejection::Malformed(format!("missing `{p}`")),
        CallbackFailure::DuplicateParameter(p) => {
            RouteRejection::Malformed(format!("parameter `{p}` appears twice"))
        }
        other => RouteRejection::Malformed(other.to_string()),
    }
}

/// The app's callback base: the `https` App Link / Universal Link its backend puts, plus
/// `?value=<token>`, into `initialCallbackUrl`.
#[derive(Clone, PartialEq, Eq)]
pub struct CallbackBase {
    url: String,
    canonical: CanonicalBase,
}

impl fmt::Debug for CallbackBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CallbackBase({})", self.url)
    }
}

impl CallbackBase {
    /// Parses and checks a callback base: a strict `https` URL, no fragment, at most 1700
    /// characters (leaving room for the token within the API's 1800), no parameter named
    /// `value`, `sessionSecretDigest` or `userChallengeVerifier`, and no empty or repeated
    /// parameter (the rules of `CanonicalBase::parse`, which the backend applies too).
    pub fn new(url: &str) -> Result<Self> {
        validate_callback_base(url)?;
        Ok(CallbackBase {
            url: url.to_owned(),
            canonical: CanonicalBase::parse(url)?,
        })
    }

    /// The base as configured.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The base in canonical form, as the backend's check sees it.
    pub fn canonical(&self) -> &CanonicalBase {
        &self.canonical
    }
}

/// A URL that passed the stateless checks of the router: on the callback base, with a
/// well-formed query. Holds the commitment of its token and the fingerprint of its canonical
/// form. The URL itself (with the token) is redacted in `Debug` and zeroized on drop.
#[derive(Clone, PartialEq, Eq)]
pub struct ReturnUrl {
    url: String,
    commitment: [u8; 32],
    fingerprint: [u8; 32],
    has_digest: bool,
    has_verifier: bool,
}

impl Drop for ReturnUrl {
    fn drop(&mut self) {
        // The URL carries the callback token, the digest and the verifier.
        zeroize::Zeroize::zeroize(&mut self.url);
    }
}

impl fmt::Debug for ReturnUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReturnUrl")
            .field("token", &sidkit_proto::secret::REDACTED)
            .field("has_session_secret_digest", &self.has_digest)
            .field("has_user_challenge_verifier", &self.has_verifier)
            .finish()
    }
}

impl ReturnUrl {
    /// Checks `url` against `base` (steps 1 and 2 of the module documentation) with
    /// [`CanonicalReturnUrl::parse`]. Never panics, whatever the input.
    pub fn parse(base: &CallbackBase, url: &str) -> std::result::Result<Self, RouteRejection> {
        let r = CanonicalReturnUrl::parse(&base.canonical, url).map_err(rejection)?;
        Ok(ReturnUrl {
            url: url.to_owned(),
            commitment: Sha256::digest(r.value().as_bytes()).into(),
            fingerprint: *r.fingerprint().as_bytes(),
            has_digest: r.session_secret_digest().is_some(),
            has_verifier: r.user_challenge_verifier().is_some(),
        })
    }

    /// The URL as received (it contains the callback token: do not log it).
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// `SHA-256(value)`, to compare with the flows' commitments.
    pub fn commitment(&self) -> &[u8; 32] {
        &self.commitment
    }

    /// The fingerprint of the URL's canonical form
    /// (`sidkit_proto::return_url::CanonicalReturnUrl::fingerprint`), to recognise the same
    /// URL arriving twice: the same for every accepted spelling of it, and the same the
    /// backend computes.
    pub fn fingerprint(&self) -> &[u8; 32] {
        &self.fingerprint
    }

    /// Whether the URL carries `sessionSecretDigest`.
    pub fn has_session_secret_digest(&self) -> bool {
        self.has_digest
    }

    /// Whether the URL carries `userChallengeVerifier` (authentication only).
    pub fn has_user_challenge_verifier(&self) -> bool {
        self.has_verifier
    }

    /// Finds the flow whose commitment matches, comparing with every candidate in constant
    /// time (no early exit). Returns the index of the first match.
    pub fn find<'a, I>(&self, commitments: I) -> Option<usize>
    where
        I: IntoIterator<Item = &'a [u8; 32]>,
    {
        let mut found = subtle::Choice::from(0);
        let mut index = 0u64;
        for (i, c) in commitments.into_iter().enumerate() {
            let eq = c.ct_eq(&self.commitment);
            let take = eq & !found;
            index = u64::conditional_select(&index, &(i as u64), take);
            found |= eq;
        }
        if bool::from(found) {
            usize::try_from(index).ok()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sidkit_proto::b64;
    use sidkit_proto::callback::token_commitment;

    const TOKEN: &str = "RrKjjT4aggzu27YBddX1bQ";
    const DIGEST: &str = "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc";
    const VERIFIER: &str = "XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";

    fn base() -> CallbackBase {
        CallbackBase::new("https://rp.example.com/callback-url").unwrap()
    }

    fn commitment_bytes(token: &str) -> [u8; 32] {
        b64::decode_url("c", &token_commitment(token))
            .unwrap()
            .try_into()
            .unwrap()
    }

    #[test]
    fn accepts_the_documented_callbacks() {
        let auth = format!("https://rp.example.com/callback-url?value={TOKEN}&sessionSecretDigest={DIGEST}&userChallengeVerifier={VERIFIER}");
        let r = ReturnUrl::parse(&base(), &auth).unwrap();
        assert_eq!(r.commitment(), &commitment_bytes(TOKEN));
        assert!(r.has_session_secret_digest() && r.has_user_challenge_verifier());
        assert!(!format!("{r:?}").contains(TOKEN));
        let sign = format!(
            "https://RP.example.com:443/callback-url?sessionSecretDigest={DIGEST}&value={TOKEN}"
        );
        let r = ReturnUrl::parse(&base(), &sign).unwrap();
        assert!(!r.has_user_challenge_verifier());
    }

    #[test]
    fn rejections() {
        let b = base();
        let ok = format!("value={TOKEN}&sessionSecretDigest={DIGEST}");
        let at = |url: String| ReturnUrl::parse(&b, &url);
        for foreign in [
            format!("https://rp.example.com/callback-url/x?{ok}"),
            format!("https://rp.example.com/Callback-url?{ok}"),
            format!("https://rp.example.org/callback-url?{ok}"),
            format!("https://rp.example.com:8443/callback-url?{ok}"),
            format!("https://evil.rp.example.com/callback-url?{ok}"),
        ] {
            assert_eq!(
                at(foreign.clone()),
                Err(RouteRejection::ForeignBase),
                "{foreign}"
            );
        }
        for bad in [
            format!("http://rp.example.com/callback-url?{ok}"),
            format!("myapp://callback-url?{ok}"),
            "https://rp.example.com/callback-url".to_owned(),
            format!("https://rp.example.com/callback-url?{ok}&value={TOKEN}"),
            format!("https://rp.example.com/callback-url?{ok}&x=1"),
            format!("https://rp.example.com/callback-url?{ok}&"),
            format!("https://rp.example.com/callback-url?{ok}#f"),
            format!("https://rp.example.com/callback-url?sessionSecretDigest={DIGEST}"),
            "https://rp.example.com/callback-url?value=short".to_owned(),
            format!("https://rp.example.com/callback-url?value={TOKEN}&sessionSecretDigest=abc"),
            format!("https://rp.example.com/callback-url?value={TOKEN}&userChallengeVerifier="),
            format!("https://rp.example.com/callback-url?value={TOKEN}&userChallengeVerifier=a+b"),
            format!(
                "https://rp.example.com/callback-url?{ok}{}",
                "&a=b".repeat(2000)
            ),
            String::new(),
        ] {
            assert!(
                matches!(at(bad.clone()), Err(RouteRejection::Malformed(_))),
                "{bad}: {:?}",
                at(bad.clone())
            );
        }
    }

    #[test]
    fn base_query_parameters_must_come_back_unchanged() {
        let b = CallbackBase::new("https://rp.example.com/cb?app=bank&v=2").unwrap();
        let p = |q: &str| ReturnUrl::parse(&b, &format!("https://rp.example.com/cb?{q}"));
        assert!(p(&format!("app=bank&v=2&value={TOKEN}")).is_ok());
        assert!(p(&format!(
            "v=2&value={TOKEN}&app=bank&sessionSecretDigest={DIGEST}"
        ))
        .is_ok());
        assert_eq!(
            p(&format!("app=other&v=2&value={TOKEN}")),
            Err(RouteRejection::ForeignBase)
        );
        assert_eq!(
            p(&format!("app=bank&value={TOKEN}")),
            Err(RouteRejection::ForeignBase)
        );
        assert_eq!(
            p(&format!("app=bank&app=bank&v=2&value={TOKEN}")),
            Err(RouteRejection::ForeignBase)
        );
        assert!(CallbackBase::new("https://rp.example.com/cb?value=1").is_err());
        assert!(CallbackBase::new("https://rp.example.com/cb?a=1&a=2").is_err());
        assert!(CallbackBase::new("http://rp.example.com/cb").is_err());
    }

    #[test]
    fn find_matches_in_constant_time_over_all_candidates() {
        let r = ReturnUrl::parse(
            &base(),
            &format!("https://rp.example.com/callback-url?value={TOKEN}"),
        )
        .unwrap();
        let other = commitment_bytes("AAAAAAAAAAAAAAAAAAAAAA");
        let mine = commitment_bytes(TOKEN);
        assert_eq!(r.find([&other, &other, &mine, &mine]), Some(2));
        assert_eq!(r.find([&mine]), Some(0));
        assert_eq!(r.find([&other]), None);
        assert_eq!(r.find(std::iter::empty()), None);
    }
}
