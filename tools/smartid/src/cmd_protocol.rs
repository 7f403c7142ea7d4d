//! Protocol commands: device-link, verification-code, session-secret-digest, verify-callback.

use clap::Args;
use sidkit_proto::callback::{verify_callback_url, ExpectedCallback, DEFAULT_TOKEN_PARAM};
use sidkit_proto::device_link::{DeviceLinkParams, DeviceLinkSigner, DeviceLinkType, SessionType};
use sidkit_proto::env::SchemeName;
use sidkit_proto::return_url::CanonicalBase;
use sidkit_proto::secret::RpChallenge;
use sidkit_proto::vc;

use crate::error::{CliError, CmdResult};
use std::path::PathBuf;

use crate::secret_arg::{read_inline_or_file, secret_arg, SecretArg, SessionSecretArgs};

/// Arguments of `smartid device-link`.
#[derive(Debug, Args)]
pub struct DeviceLinkArgs {
    /// deviceLinkBase from the session response, used verbatim.
    #[arg(long)]
    device_link_base: String,
    /// QR, Web2App or App2App.
    #[arg(long)]
    link_type: String,
    /// auth, sign or cert.
    #[arg(long)]
    session_type: String,
    /// sessionToken from the session response.
    #[arg(long)]
    session_token: String,
    #[command(flatten)]
    secret: SessionSecretArgs,
    /// smart-id (LIVE) or smart-id-demo (DEMO).
    #[arg(long)]
    scheme: String,
    /// relyingPartyName exactly as sent.
    #[arg(long)]
    rp_name: String,
    /// Brokered RP name, if the RP is a broker.
    #[arg(long)]
    brokered_rp_name: Option<String>,
    /// rpChallenge (auth sessions), Base64 as sent.
    #[arg(long, conflicts_with = "digest")]
    rp_challenge: Option<String>,
    /// digest (sign sessions), Base64 as sent.
    #[arg(long)]
    digest: Option<String>,
    /// interactions Base64 as sent (auth and sign sessions).
    #[arg(long)]
    interactions: Option<String>,
    /// initialCallbackUrl of the session (required for Web2App/App2App; accepted for QR and
    /// left out of the QR payload). It carries the callback token: prefer --callback-url-file.
    #[arg(long, value_name = "URL", value_parser = secret_arg)]
    callback_url: Option<SecretArg>,
    /// Read the initialCallbackUrl from this file, or from stdin with `-`.
    #[arg(long, value_name = "PATH|-", conflicts_with = "callback_url")]
    callback_url_file: Option<PathBuf>,
    /// elapsedSeconds since the session response was received (QR only).
    #[arg(long)]
    elapsed_seconds: Option<u64>,
    /// ISO 639-2 language of the fallback page.
    #[arg(long, default_value = "eng")]
    lang: String,
}

fn input(msg: impl Into<String>) -> CliError {
    CliError::Input(msg.into())
}

/// `smartid device-link`: prints the device link.
pub fn device_link(a: DeviceLinkArgs) -> CmdResult {
    let link_type: DeviceLinkType = a.link_type.parse()?;
    let session_type: SessionType = a.session_type.parse()?;
    let scheme: SchemeName = a.scheme.parse()?;
    let secret = a.secret.read()?;
    let challenge_or_digest = match (session_type, a.rp_challenge, a.digest) {
        (SessionType::Auth, Some(c), None) => {
            RpChallenge::from_base64(&c)?;
            c
        }
        (SessionType::Auth, _, Some(_)) => {
            return Err(input(
                "--digest is for sign sessions; auth sessions take --rp-challenge",
            ))
        }
        (SessionType::Auth, None, None) => return Err(input("auth sessions need --rp-challenge")),
        (SessionType::Sign, None, Some(d)) => d,
        (SessionType::Sign, Some(_), _) => {
            return Err(input(
                "--rp-challenge is for auth sessions; sign sessions take --digest",
            ))
        }
        (SessionType::Sign, None, None) => return Err(input("sign sessions need --digest")),
        (SessionType::Cert, None, None) => String::new(),
        (SessionType::Cert, _, _) => {
            return Err(input(
                "cert sessions take neither --rp-challenge nor --digest",
            ))
        }
    };
    let interactions = match (session_type, a.interactions) {
        (SessionType::Cert, Some(_)) => return Err(input("cert sessions take no --interactions")),
        (SessionType::Cert, None) => String::new(),
        (_, Some(i)) => i,
        (t, None) => return Err(input(format!("{t} sessions need --interactions"))),
    };
    let callback_url = read_inline_or_file(
        a.callback_url.as_ref(),
        a.callback_url_file.as_deref(),
        "--callback-url-file",
    )?;
    match (link_type, a.elapsed_seconds, &callback_url) {
        (DeviceLinkType::Qr, None, _) => return Err(input("QR links need --elapsed-seconds")),
        (t, Some(_), _) if t.is_same_device() => {
            return Err(input(format!(
                "--elapsed-seconds is allowed only for QR links, not {t}"
            )))
        }
        (t, None, None) if t.is_same_device() => {
            return Err(input(format!("{t} links need --callback-url")))
        }
        _ => {}
    }
    let params = DeviceLinkParams {
        scheme_name: scheme,
        device_link_base: a.device_link_base,
        session_token: a.session_token,
        session_type,
        rp_challenge_or_digest: challenge_or_digest,
        relying_party_name: a.rp_name,
        brokered_rp_name: a.brokered_rp_name,
        interactions,
        initial_callback_url: callback_url.as_deref().map(|u| u.as_str().into()),
        lang: a.lang,
    };
    let signer = DeviceLinkSigner::new(&params, &secret)?;
    Ok(signer.link(link_type, a.elapsed_seconds)?.into_string())
}

/// Arguments of `smartid verification-code`.
#[derive(Debug, Args)]
pub struct VerificationCodeArgs {
    /// rpChallenge, standard Base64 (32–64 bytes).
    #[arg(long)]
    rp_challenge: String,
}

/// `smartid verification-code`: prints the four digits.
pub fn verification_code(a: VerificationCodeArgs) -> CmdResult {
    let c = RpChallenge::from_base64(&a.rp_challenge)?;
    Ok(vc::verification_code(&c))
}

/// Arguments of `smartid session-secret-digest`.
#[derive(Debug, Args)]
pub struct SessionSecretDigestArgs {
    #[command(flatten)]
    secret: SessionSecretArgs,
}

/// `smartid session-secret-digest`: prints the Base64URL digest.
pub fn session_secret_digest(a: SessionSecretDigestArgs) -> CmdResult {
    let s = a.secret.read()?;
    Ok(s.digest().to_base64url())
}

/// Arguments of `smartid verify-callback`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("callback_source").required(true).args(["callback_url", "callback_url_file"])))]
#[command(group(clap::ArgGroup::new("initial_source").required(true).args(["initial_callback_url", "initial_callback_url_file"])))]
pub struct VerifyCallbackArgs {
    /// The full callback URL the Smart-ID app opened. It carries the callback token and shows
    /// in the process list: prefer --callback-url-file.
    #[arg(long, value_name = "URL", value_parser = secret_arg)]
    callback_url: Option<SecretArg>,
    /// Read the callback URL from this file, or from stdin with `-`.
    #[arg(long, value_name = "PATH|-")]
    callback_url_file: Option<PathBuf>,
    /// The session's initialCallbackUrl exactly as sent, with its `value` token: the callback
    /// must be on its base, with its parameters unchanged and nothing added but what the
    /// Smart-ID app appends. Prefer --initial-callback-url-file.
    #[arg(long, value_name = "URL", value_parser = secret_arg)]
    initial_callback_url: Option<SecretArg>,
    /// Read the initialCallbackUrl from this file, or from stdin with `-`.
    #[arg(long, value_name = "PATH|-")]
    initial_callback_url_file: Option<PathBuf>,
    /// auth, sign or cert: only auth callbacks carry a userChallengeVerifier.
    #[arg(long)]
    session_type: String,
    #[command(flatten)]
    secret: SessionSecretArgs,
    /// signature.userChallenge from the session status: required for auth (the callback's
    /// userChallengeVerifier must hash to it), refused for sign and cert.
    #[arg(long, required_if_eq("session_type", "auth"))]
    user_challenge: Option<String>,
}

/// `smartid verify-callback`: every stateless check of spec §7.3 (steps 1 to 3) against the
/// session's `initialCallbackUrl`, secret and, for authentication, `signature.userChallenge`.
/// Prints `valid` or fails with exit 1 naming the check.
pub fn verify_callback(a: VerifyCallbackArgs) -> CmdResult {
    let given = "clap requires one of the two";
    let callback_url = read_inline_or_file(
        a.callback_url.as_ref(),
        a.callback_url_file.as_deref(),
        "--callback-url-file",
    )?
    .ok_or_else(|| input(format!("--callback-url: {given}")))?;
    let initial_callback_url = read_inline_or_file(
        a.initial_callback_url.as_ref(),
        a.initial_callback_url_file.as_deref(),
        "--initial-callback-url-file",
    )?
    .ok_or_else(|| input(format!("--initial-callback-url: {given}")))?;
    let secret = a.secret.read()?;
    let session_type: SessionType = a.session_type.parse()?;
    // A bad initialCallbackUrl is bad input, not a failed check.
    CanonicalBase::from_initial_callback_url(&initial_callback_url, DEFAULT_TOKEN_PARAM)
        .map_err(|e| input(format!("--initial-callback-url: {e}")))?;
    let expected = match (session_type, a.user_challenge.as_deref()) {
        (SessionType::Auth, Some(uc)) => {
            if uc.len() != 43 || !sidkit_proto::b64::is_url_alphabet(uc) {
                return Err(input(
                    "--user-challenge must be 43 Base64URL characters (signature.userChallenge)",
                ));
            }
            ExpectedCallback::Authentication { user_challenge: uc }
        }
        (SessionType::Auth, None) => {
            return Err(input(
                "auth callbacks need --user-challenge (signature.userChallenge)",
            ))
        }
        (t, Some(_)) => {
            return Err(input(format!(
            "--user-challenge is for auth sessions; {t} callbacks carry no userChallengeVerifier"
        )))
        }
        (SessionType::Sign, None) => ExpectedCallback::Signature,
        (SessionType::Cert, None) => ExpectedCallback::CertificateChoice,
    };
    verify_callback_url(&callback_url, &initial_callback_url, &secret, expected)?;
    Ok("valid".to_owned())
}
