//! Device links and the authCode (spec §4, §5, §6).
//!
//! Longer than 600 lines because the link builder, the QR ticker and the strict parser of the
//! same format belong together: the parser must accept exactly what the builder produces.
//!
//! ```text
//! deviceLink      = deviceLinkBase ?deviceLinkType=T [&elapsedSeconds=N (QR only)]
//!                   &sessionToken=…&sessionType=auth|sign|cert&version=1.0&lang=…&authCode=…
//! authCodePayload = schemeName|signatureProtocol|rpChallengeOrDigest|B64(rpName)|B64(brokeredRpName)
//!                   |interactions|initialCallbackUrl (empty for QR)|unprotectedDeviceLink
//! authCode        = BASE64URL_NOPAD(HMAC-SHA256(B64DECODE(sessionSecret), authCodePayload))
//! ```
//!
//! [`DeviceLinkSigner`] is prepared once per session: it validates the inputs and absorbs the
//! fixed part of the payload into a keyed HMAC state, so each link (one per second for QR) costs
//! one HMAC over the variable tail only. [`parse_device_link`] takes a link apart again, strictly,
//! for the phone-side check before launch and for server-side verification
//! ([`verify_device_link`]).

use std::fmt;
use std::time::{Duration, Instant};

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::b64;
use crate::callback::InitialCallbackUrl;
use crate::env::SchemeName;
use crate::error::{ProtoError, Result};
pub use crate::models::{DeviceLinkType, SessionType};
use crate::secret::{ct_eq, SessionSecret};
use crate::validate;

type HmacSha256 = Hmac<Sha256>;

/// The only `version` value.
pub const DEVICE_LINK_VERSION: &str = "1.0";

/// Length of an authCode: 32 bytes of HMAC in Base64URL without padding.
pub const AUTH_CODE_LEN: usize = 43;

/// Everything the authCode of a session depends on, except the session secret and the
/// per-link `deviceLinkType` / `elapsedSeconds`.
///
/// `Debug` redacts what must not leave the backend: the rpChallenge of an authentication and
/// the `initialCallbackUrl`'s token.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceLinkParams {
    /// `smart-id` (LIVE) or `smart-id-demo` (DEMO).
    pub scheme_name: SchemeName,
    /// `deviceLinkBase` from the session response, verbatim.
    pub device_link_base: String,
    /// `sessionToken` from the session response, verbatim.
    pub session_token: String,
    /// `auth`, `sign` or `cert`.
    pub session_type: SessionType,
    /// The rpChallenge (auth) or digest (sign) Base64 text exactly as sent; empty for `cert`.
    pub rp_challenge_or_digest: String,
    /// `relyingPartyName` exactly as sent.
    pub relying_party_name: String,
    /// Brokered RP name, if the RP is a broker.
    pub brokered_rp_name: Option<String>,
    /// `interactions` Base64 exactly as sent; empty for `cert`.
    pub interactions: String,
    /// `initialCallbackUrl` exactly as sent, if the session has one. Used for Web2App/App2App
    /// links, left out (empty field) for QR links.
    pub initial_callback_url: Option<InitialCallbackUrl>,
    /// ISO 639-2 code for the fallback page, e.g. `eng`.
    pub lang: String,
}

impl fmt::Debug for DeviceLinkParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The rpChallenge must never reach the RP app (spec §4.3); a digest is not secret.
        let challenge_or_digest: &dyn fmt::Debug = match self.session_type {
            SessionType::Auth => &crate::secret::REDACTED,
            _ => &self.rp_challenge_or_digest,
        };
        f.debug_struct("DeviceLinkParams")
            .field("scheme_name", &self.scheme_name)
            .field("device_link_base", &self.device_link_base)
            .field("session_token", &self.session_token)
            .field("session_type", &self.session_type)
            .field("rp_challenge_or_digest", challenge_or_digest)
            .field("relying_party_name", &self.relying_party_name)
            .field("brokered_rp_name", &self.brokered_rp_name)
            .field("interactions", &self.interactions)
            .field("initial_callback_url", &self.initial_callback_url)
            .field("lang", &self.lang)
            .finish()
    }
}

impl DeviceLinkParams {
    /// Checks every field against the rules of spec §4–5.
    pub fn validate(&self) -> Result<()> {
        validate_base(&self.device_link_base)?;
        validate::session_token(&self.session_token)?;
        validate::relying_party_name(&self.relying_party_name)?;
        if let Some(b) = &self.brokered_rp_name {
            validate::display_name("brokeredRpName", b)?;
        }
        validate::lang(&self.lang)?;
        match self.session_type {
            SessionType::Auth => {
                crate::secret::RpChallenge::from_base64(&self.rp_challenge_or_digest)?;
                crate::interactions::Interactions::from_base64(&self.interactions)?;
            }
            SessionType::Sign => {
                validate::digest(&self.rp_challenge_or_digest)?;
                crate::interactions::Interactions::from_base64(&self.interactions)?;
            }
            SessionType::Cert => {
                if !self.rp_challenge_or_digest.is_empty() {
                    return Err(ProtoError::invalid(
                        "rpChallenge",
                        "certificate-choice sessions have no rpChallenge or digest",
                    ));
                }
                if !self.interactions.is_empty() {
                    return Err(ProtoError::invalid(
                        "interactions",
                        "certificate-choice sessions have no interactions",
                    ));
                }
            }
        }
        if let Some(cb) = &self.initial_callback_url {
            crate::callback::validate_initial_callback_url(cb)?;
        }
        Ok(())
    }
}

fn validate_base(base: &str) -> Result<()> {
    let u = crate::url::parse_https("deviceLinkBase", base)?;
    if u.query.is_some() {
        return Err(ProtoError::invalid(
            "deviceLinkBase",
            "must not contain `?`: the link parameters are appended to it",
        ));
    }
    Ok(())
}

/// A finished device link: the URL to open or to encode in a QR code.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceLink {
    url: String,
    auth_code_at: usize,
}

impl DeviceLink {
    /// The whole link.
    pub fn as_str(&self) -> &str {
        &self.url
    }

    /// The link without `&authCode=…` (`unprotectedDeviceLink`).
    pub fn unprotected(&self) -> &str {
        &self.url[..self.auth_code_at - "&authCode=".len()]
    }

    /// The authCode.
    pub fn auth_code(&self) -> &str {
        &self.url[self.auth_code_at..]
    }

    /// Consumes the link into its URL string.
    pub fn into_string(self) -> String {
        self.url
    }
}

impl fmt::Display for DeviceLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl fmt::Debug for DeviceLink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DeviceLink({})", self.url)
    }
}

/// Builds the unprotected device link into `out` (cleared first).
fn write_unprotected(
    out: &mut String,
    base: &str,
    link_type: DeviceLinkType,
    elapsed_seconds: Option<u64>,
    token: &str,
    session_type: SessionType,
    lang: &str,
) {
    use std::fmt::Write as _;
    out.clear();
    out.push_str(base);
    out.push_str("?deviceLinkType=");
    out.push_str(link_type.as_str());
    if let Some(e) = elapsed_seconds {
        // Writing to a String cannot fail.
        let _ = write!(out, "&elapsedSeconds={e}");
    }
    out.push_str("&sessionToken=");
    out.push_str(token);
    out.push_str("&sessionType=");
    out.push_str(session_type.as_str());
    out.push_str("&version=");
    out.push_str(DEVICE_LINK_VERSION);
    out.push_str("&lang=");
    out.push_str(lang);
}

/// The authCode payload fields 1–6 joined with `|`, with a trailing `|`.
fn payload_prefix(p: &DeviceLinkParams) -> String {
    let mut s = String::with_capacity(256 + p.interactions.len());
    s.push_str(p.scheme_name.as_str());
    s.push('|');
    if let Some(proto) = p.session_type.signature_protocol() {
        s.push_str(proto.as_str());
    }
    s.push('|');
    s.push_str(&p.rp_challenge_or_digest);
    s.push('|');
    s.push_str(&b64::encode_std(p.relying_party_name.as_bytes()));
    s.push('|');
    if let Some(b) = &p.brokered_rp_name {
        s.push_str(&b64::encode_std(b.as_bytes()));
    }
    s.push('|');
    s.push_str(&p.interactions);
    s.push('|');
    s
}

/// The exact authCode payload (spec §5) for a link of `link_type`, as a string. Mostly useful
/// for tests and diagnostics: [`DeviceLinkSigner`] computes the same bytes without building it.
pub fn auth_code_payload(
    p: &DeviceLinkParams,
    link_type: DeviceLinkType,
    elapsed_seconds: Option<u64>,
) -> String {
    let mut link = String::new();
    write_unprotected(
        &mut link,
        &p.device_link_base,
        link_type,
        elapsed_seconds,
        &p.session_token,
        p.session_type,
        &p.lang,
    );
    let mut s = payload_prefix(p);
    if link_type.is_same_device() {
        s.push_str(p.initial_callback_url.as_deref().unwrap_or(""));
    }
    s.push('|');
    s.push_str(&link);
    s
}

/// `BASE64URL_NOPAD(HMAC-SHA256(key, payload))`: the authCode of a payload.
pub fn auth_code(secret: &SessionSecret, payload: &[u8]) -> String {
    let mut mac = keyed(secret);
    mac.update(payload);
    b64::encode_url(&mac.finalize().into_bytes())
}

fn keyed(secret: &SessionSecret) -> HmacSha256 {
    // HMAC accepts keys of any length; `new_from_slice` cannot fail for HMAC.
    match <HmacSha256 as KeyInit>::new_from_slice(secret.expose_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    }
}

/// Builds the device links of one session.
///
/// Create it when the session-creation response arrives; it holds HMAC state derived from the
/// session secret (zeroized on drop, never printed).
#[derive(Clone)]
#[doc(alias("DeviceLinkBuilder", "AuthCode", "authCode"))]
pub struct DeviceLinkSigner {
    base: String,
    token: String,
    session_type: SessionType,
    lang: String,
    qr_mac: HmacSha256,
    same_device_mac: Option<HmacSha256>,
}

impl fmt::Debug for DeviceLinkSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceLinkSigner")
            .field("base", &self.base)
            .field("session_type", &self.session_type)
            .field("has_callback", &self.same_device_mac.is_some())
            .field("key", &crate::secret::REDACTED)
            .finish()
    }
}

impl DeviceLinkSigner {
    /// Validates `params` and prepares the keyed HMAC states.
    pub fn new(params: &DeviceLinkParams, secret: &SessionSecret) -> Result<Self> {
        params.validate()?;
        let mut prefixed = keyed(secret);
        prefixed.update(payload_prefix(params).as_bytes());
        let mut qr_mac = prefixed.clone();
        qr_mac.update(b"|");
        let same_device_mac = params.initial_callback_url.as_ref().map(|cb| {
            let mut m = prefixed.clone();
            m.update(cb.as_bytes());
            m.update(b"|");
            m
        });
        Ok(DeviceLinkSigner {
            base: params.device_link_base.clone(),
            token: params.session_token.clone(),
            session_type: params.session_type,
            lang: params.lang.clone(),
            qr_mac,
            same_device_mac,
        })
    }

    /// The session type the links are for.
    pub fn session_type(&self) -> SessionType {
        self.session_type
    }

    /// Whether Web2App/App2App links can be built (the session has a callback URL).
    pub fn supports_same_device(&self) -> bool {
        self.same_device_mac.is_some()
    }

    /// A link of `link_type`. `elapsed_seconds` is required for QR and forbidden otherwise;
    /// Web2App/App2App links need a session created with an `initialCallbackUrl`.
    pub fn link(
        &self,
        link_type: DeviceLinkType,
        elapsed_seconds: Option<u64>,
    ) -> Result<DeviceLink> {
        match (link_type, elapsed_seconds) {
            (DeviceLinkType::Qr, Some(e)) => Ok(self.qr_link(e)),
            (DeviceLinkType::Qr, None) => Err(ProtoError::invalid(
                "elapsedSeconds",
                "required for QR links",
            )),
            (_, Some(_)) => Err(ProtoError::invalid(
                "elapsedSeconds",
                "allowed only for QR links, not for Web2App/App2App",
            )),
            (t, None) => self.same_device_link(t),
        }
    }

    /// The QR link for `elapsed_seconds` since the session response was received. The callback
    /// field of the payload is empty, even if the session has a callback URL.
    pub fn qr_link(&self, elapsed_seconds: u64) -> DeviceLink {
        self.finish(&self.qr_mac, DeviceLinkType::Qr, Some(elapsed_seconds))
    }

    /// The Web2App or App2App link (built once per session, no `elapsedSeconds`).
    pub fn same_device_link(&self, link_type: DeviceLinkType) -> Result<DeviceLink> {
        if !link_type.is_same_device() {
            return Err(ProtoError::invalid(
                "deviceLinkType",
                "QR links need elapsedSeconds; use qr_link",
            ));
        }
        let mac = self.same_device_mac.as_ref().ok_or_else(|| {
            ProtoError::invalid(
                "initialCallbackUrl",
                "Web2App and App2App links need a session created with an initialCallbackUrl",
            )
        })?;
        Ok(self.finish(mac, link_type, None))
    }

    fn finish(&self, mac: &HmacSha256, t: DeviceLinkType, elapsed: Option<u64>) -> DeviceLink {
        let mut url = String::with_capacity(self.base.len() + self.token.len() + 128);
        write_unprotected(
            &mut url,
            &self.base,
            t,
            elapsed,
            &self.token,
            self.session_type,
            &self.lang,
        );
        let mut mac = mac.clone();
        mac.update(url.as_bytes());
        let tag = mac.finalize().into_bytes();
        url.push_str("&authCode=");
        let auth_code_at = url.len();
        b64::encode_url_into(&tag, &mut url);
        DeviceLink { url, auth_code_at }
    }
}

/// Produces the dynamic QR link once per second (spec §6).
///
/// Sans-IO: the caller supplies the clock. `received_at` is the moment the session-creation
/// response was received; `elapsedSeconds` counts whole seconds from it.
#[derive(Debug, Clone)]
#[doc(alias("QrCodeGenerator"))]
pub struct QrTicker {
    signer: DeviceLinkSigner,
    received_at: Instant,
    last: Option<u64>,
}

/// One frame of the dynamic QR code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrFrame {
    /// `elapsedSeconds` of this frame.
    pub elapsed_seconds: u64,
    /// The link to encode.
    pub link: DeviceLink,
    /// When the next frame is due.
    pub next_at: Instant,
}

impl QrTicker {
    /// A ticker for the session whose response arrived at `received_at`.
    pub fn new(signer: DeviceLinkSigner, received_at: Instant) -> Self {
        QrTicker {
            signer,
            received_at,
            last: None,
        }
    }

    /// The frame for instant `now` (always computed fresh).
    pub fn frame_at(&self, now: Instant) -> QrFrame {
        let elapsed = now.saturating_duration_since(self.received_at).as_secs();
        QrFrame {
            elapsed_seconds: elapsed,
            link: self.signer.qr_link(elapsed),
            next_at: self.received_at + Duration::from_secs(elapsed + 1),
        }
    }

    /// The frame for `now` if its second differs from the last frame returned by `poll`, or
    /// `None` if the current frame is still fresh. Drive it with a timer that fires at
    /// [`QrFrame::next_at`] (or simply every few hundred milliseconds).
    pub fn poll(&mut self, now: Instant) -> Option<QrFrame> {
        let elapsed = now.saturating_duration_since(self.received_at).as_secs();
        if self.last == Some(elapsed) {
            return None;
        }
        self.last = Some(elapsed);
        Some(self.frame_at(now))
    }

    /// The moment the session response was received.
    pub fn received_at(&self) -> Instant {
        self.received_at
    }
}

/// A device link taken apart by [`parse_device_link`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedDeviceLink {
    /// `deviceLinkBase` (everything before `?`).
    pub device_link_base: String,
    /// `deviceLinkType`
    pub link_type: DeviceLinkType,
    /// `elapsedSeconds` (QR only).
    pub elapsed_seconds: Option<u64>,
    /// `sessionToken`
    pub session_token: String,
    /// `sessionType`
    pub session_type: SessionType,
    /// `lang`
    pub lang: String,
    /// `authCode`
    pub auth_code: String,
    /// The link without `&authCode=…`.
    pub unprotected: String,
}

fn link_err(reason: impl Into<String>) -> ProtoError {
    ProtoError::invalid("deviceLink", reason)
}

/// Longest device link accepted by the parser.
pub const MAX_DEVICE_LINK_LEN: usize = 2048;

/// Parses a device link strictly: `https` base without query, parameters present exactly once
/// and in the normative order, `elapsedSeconds` exactly for QR, `version=1.0`, a well-formed
/// session token, lang and authCode. Never panics, whatever the input.
pub fn parse_device_link(link: &str) -> Result<ParsedDeviceLink> {
    if link.len() > MAX_DEVICE_LINK_LEN {
        return Err(link_err(format!("longer than {MAX_DEVICE_LINK_LEN} bytes")));
    }
    let q = link
        .find('?')
        .ok_or_else(|| link_err("has no `?` and no parameters"))?;
    let base = &link[..q];
    validate_base(base).map_err(|e| link_err(format!("base: {}", e.reason())))?;
    let query = &link[q + 1..];
    if query.contains(['#', '?', '%', '+', ' ']) {
        return Err(link_err(
            "parameters must not contain `#`, `?`, `%`, `+` or spaces (device links are never URL-encoded)",
        ));
    }
    let mut pairs = query.split('&').map(|p| match p.find('=') {
        Some(i) => Ok((&p[..i], &p[i + 1..])),
        None => Err(link_err(format!(
            "parameter `{}` has no value",
            truncate(p)
        ))),
    });
    let mut expect = |name: &'static str| -> Result<&str> {
        match pairs.next() {
            Some(Ok((n, v))) if n == name => {
                if v.is_empty() {
                    Err(link_err(format!("`{name}` is empty")))
                } else {
                    Ok(v)
                }
            }
            Some(Ok((n, _))) => Err(link_err(format!(
                "expected `{name}` but found `{}` (parameters must come in the normative order)",
                truncate(n)
            ))),
            Some(Err(e)) => Err(e),
            None => Err(link_err(format!("missing `{name}`"))),
        }
    };
    let t = expect("deviceLinkType")?;
    let link_type = DeviceLinkType::parse(t)
        .ok_or_else(|| link_err(format!("unknown deviceLinkType `{}`", truncate(t))))?;
    let elapsed_seconds = if link_type == DeviceLinkType::Qr {
        let e = expect("elapsedSeconds")?;
        let ok = e.len() <= 10
            && e.bytes().all(|b| b.is_ascii_digit())
            && (e == "0" || !e.starts_with('0'));
        if !ok {
            return Err(link_err("elapsedSeconds must be a plain decimal number"));
        }
        Some(
            e.parse::<u64>()
                .map_err(|_| link_err("elapsedSeconds out of range"))?,
        )
    } else {
        None
    };
    let token = expect("sessionToken")?;
    validate::session_token(token)
        .map_err(|_| link_err("sessionToken must be at least 24 characters of a-z, A-Z, 0-9"))?;
    let st = expect("sessionType")?;
    let session_type = SessionType::parse(st)
        .ok_or_else(|| link_err(format!("unknown sessionType `{}`", truncate(st))))?;
    let version = expect("version")?;
    if version != DEVICE_LINK_VERSION {
        return Err(link_err(format!(
            "version must be {DEVICE_LINK_VERSION}, got `{}`",
            truncate(version)
        )));
    }
    let lang = expect("lang")?;
    validate::lang(lang).map_err(|_| link_err("lang must be a three-letter lowercase code"))?;
    let auth_code = expect("authCode")?;
    if auth_code.len() != AUTH_CODE_LEN || !b64::is_url_alphabet(auth_code) {
        return Err(link_err(
            "authCode must be 43 Base64URL characters without padding",
        ));
    }
    if b64::decode_url("authCode", auth_code).is_err() {
        return Err(link_err("authCode is not canonical Base64URL"));
    }
    if let Some(extra) = pairs.next() {
        let name = extra.map(|(n, _)| n.to_owned()).unwrap_or_default();
        return Err(link_err(format!(
            "unexpected parameter `{}` after authCode",
            truncate(&name)
        )));
    }
    let unprotected_len = link.len() - "&authCode=".len() - AUTH_CODE_LEN;
    Ok(ParsedDeviceLink {
        device_link_base: base.to_owned(),
        link_type,
        elapsed_seconds,
        session_token: token.to_owned(),
        session_type,
        lang: lang.to_owned(),
        auth_code: auth_code.to_owned(),
        unprotected: link[..unprotected_len].to_owned(),
    })
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Server-side check of a device link (what the Smart-ID backend does, and what the simulator
/// does): the link parses, belongs to this session (base, token, session type) and its authCode
/// is the HMAC of the payload built from `params`, compared in constant time.
///
/// `params.lang` is ignored in favour of the link's own `lang` (it only affects the fallback
/// page and is part of the authenticated link).
pub fn verify_device_link(
    link: &str,
    params: &DeviceLinkParams,
    secret: &SessionSecret,
) -> Result<ParsedDeviceLink> {
    let parsed = parse_device_link(link)?;
    if parsed.device_link_base != params.device_link_base {
        return Err(link_err("deviceLinkBase does not belong to this session"));
    }
    if !ct_eq(
        parsed.session_token.as_bytes(),
        params.session_token.as_bytes(),
    ) {
        return Err(link_err("sessionToken does not belong to this session"));
    }
    if parsed.session_type != params.session_type {
        return Err(link_err(format!(
            "sessionType {} does not match the session ({})",
            parsed.session_type, params.session_type
        )));
    }
    if parsed.link_type.is_same_device() && params.initial_callback_url.is_none() {
        return Err(link_err(
            "same-device link for a session created without initialCallbackUrl",
        ));
    }
    let mut payload = payload_prefix(params);
    if parsed.link_type.is_same_device() {
        payload.push_str(params.initial_callback_url.as_deref().unwrap_or(""));
    }
    payload.push('|');
    payload.push_str(&parsed.unprotected);
    let expected = auth_code(secret, payload.as_bytes());
    if !ct_eq(expected.as_bytes(), parsed.auth_code.as_bytes()) {
        return Err(link_err("authCode does not match"));
    }
    Ok(parsed)
}
