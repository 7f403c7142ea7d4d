//! `smartid verify-response`: full response verification (spec §8) of a session status against
//! the session-creation body that was sent.

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use clap::Args;
use serde_json::Value;
use sidkit_proto::env::SchemeName;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::{
    DeviceLinkAuthenticationRequest, DeviceLinkCertificateChoiceRequest,
    DeviceLinkSignatureRequest, FlowType, LinkedNotificationSignatureRequest,
    NotificationAuthenticationRequest, NotificationCertificateChoiceRequest,
    NotificationSignatureRequest, SessionStatus, Subject,
};
use sidkit_verify::VerifyError;
use sidkit_verify::{
    verify_authentication, verify_certificate_choice, verify_signature, AuthenticationSession,
    CallbackCheck, CertFingerprint, CertificateChoiceSession, OfferedFlows, SignatureSession,
    TrustStore, VerificationContext,
};

use crate::error::{CliError, CmdResult};
use crate::secret_arg::{read_inline_or_file, secret_arg, SecretArg, SessionSecretArgs};
use crate::verify_revocation::{revocation_answers, status_lines, RevocationArg};

/// A trust set bundled with sidkit: SK's published CA certificates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BundledTrust {
    /// SK's production hierarchy (`TrustStore::sk_live`).
    SkLive,
    /// SK's DEMO hierarchy, "TEST of ..." (`TrustStore::sk_demo`).
    SkDemo,
}

/// Arguments of `smartid verify-response`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("trust_source").required(true).args(["trust", "trust_dir"])))]
pub struct VerifyResponseArgs {
    /// The session-creation request body exactly as sent (JSON). Its shape selects
    /// authentication, signature or certificate choice.
    #[arg(long, value_name = "REQUEST.json")]
    request: PathBuf,
    /// The session status response (JSON) of `GET session/{sessionID}`.
    #[arg(long, value_name = "STATUS.json")]
    status: PathBuf,
    /// smart-id (LIVE) or smart-id-demo (DEMO).
    #[arg(long)]
    scheme: String,
    /// A bundled trust set: SK's LIVE or DEMO CA certificates, as published by SK and pinned
    /// by fingerprint in sidkit. Either this or --trust-dir.
    #[arg(long, value_enum, value_name = "SET")]
    trust: Option<BundledTrust>,
    /// Directory of trusted CA certificates (PEM or DER): self-signed ones are the trust
    /// anchors, the others intermediates. Nothing else is trusted. Either this or --trust.
    #[arg(long, value_name = "DIR")]
    trust_dir: Option<PathBuf>,
    /// Require every certificate of the trust store to have one of these SHA-256 fingerprints
    /// (hex, `:` allowed). Repeatable.
    #[arg(long = "pin-sha256", value_name = "HEX")]
    pins: Vec<String>,
    /// The callback URL the Smart-ID app opened (same-device flows); needs the session's
    /// secret (--session-secret or --session-secret-file) to check its digest. It carries the
    /// callback token and shows in the process list: prefer --callback-url-file.
    #[arg(long, value_name = "URL", value_parser = secret_arg, requires = "session_secret_source")]
    callback_url: Option<SecretArg>,
    /// Read the callback URL from this file, or from stdin with `-`.
    #[arg(
        long,
        value_name = "PATH|-",
        conflicts_with = "callback_url",
        requires = "session_secret_source"
    )]
    callback_url_file: Option<PathBuf>,
    #[command(flatten)]
    secret: SessionSecretArgs,
    /// Verification instant (RFC 3339, e.g. 2026-05-01T12:00:00Z); default: now.
    #[arg(long, value_name = "RFC3339")]
    at: Option<String>,
    /// The endpoint's target: anonymous, etsi/PNOEE-…, or document/PNOEE-…-Q. The identity or
    /// document number is then compared with the response.
    #[arg(long, default_value = "anonymous")]
    subject: String,
    /// Flows the RP offered, comma-separated (QR,Web2App,App2App,Notification). Default: every
    /// flow the request body allows. Required for a signature or certificate-choice body
    /// without initialCallbackUrl, which fits both a device-link (QR) and a notification
    /// session: the unverified response's flowType does not choose the verifier.
    #[arg(long, value_delimiter = ',')]
    offered_flows: Vec<String>,
    /// The brokered RP name, if the RP is a broker (part of the ACSP_V2 payload).
    #[arg(long)]
    brokered_rp_name: Option<String>,
    /// Check the revocation status of the user certificate and its intermediates: `ocsp`
    /// (responders from the certificates' AIA), `crl` (their CRL distribution points),
    /// `ocsp-then-crl`, or `off` (the default; the result says `revocationChecked: false`).
    /// Fails closed: a status that cannot be established is exit 3, a revoked certificate
    /// exit 1.
    #[arg(long, value_enum, default_value = "off")]
    revocation: RevocationArg,
    /// With --revocation: accept a certificate whose status cannot be established and report
    /// it as unchecked (a revoked one still fails).
    #[arg(long, requires = "revocation")]
    revocation_soft_fail: bool,
    /// For a linked notification signature (S5): the initialCallbackUrl of the preceding
    /// device-link certificate choice, whose callback completes it (it carries that session's
    /// callback token: prefer --linked-callback-url-file).
    #[arg(long, value_name = "URL", value_parser = secret_arg)]
    linked_callback_url: Option<SecretArg>,
    /// Read the linked initialCallbackUrl from this file, or from stdin with `-`.
    #[arg(long, value_name = "PATH|-", conflicts_with = "linked_callback_url")]
    linked_callback_url_file: Option<PathBuf>,
}

fn input(msg: impl Into<String>) -> CliError {
    CliError::Input(msg.into())
}

fn read_json(path: &PathBuf, what: &str) -> Result<Value, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| input(format!("cannot read {what} {}: {e}", path.display())))?;
    serde_json::from_str(&text)
        .map_err(|e| input(format!("{what} {} is not JSON: {e}", path.display())))
}

fn parse<T: serde::de::DeserializeOwned>(v: &Value, what: &str) -> Result<T, CliError> {
    serde_json::from_value(v.clone()).map_err(|e| input(format!("{what}: {e}")))
}

/// Maps a verification error to exit 1 naming the check, an input error to exit 2.
fn failed(e: VerifyError) -> CliError {
    match e {
        VerifyError::Verification(f) => CliError::Failed(format!("{f} [{}]", f.code())),
        other => CliError::from(other),
    }
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
pub fn parse_rfc3339(s: &str) -> Result<SystemTime, CliError> {
    let bad = || {
        input(format!(
            "--at `{s}` is not an RFC 3339 timestamp (2026-05-01T12:00:00Z)"
        ))
    };
    let b = s.as_bytes();
    if b.len() < 20
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't')
        || b[13] != b':'
        || b[16] != b':'
    {
        return Err(bad());
    }
    let num = |r: std::ops::Range<usize>| -> Result<i64, CliError> {
        let t = s.get(r).ok_or_else(bad)?;
        if !t.bytes().all(|c| c.is_ascii_digit()) {
            return Err(bad());
        }
        t.parse().map_err(|_| bad())
    };
    let (y, mo, d, h, mi, se) = (
        num(0..4)?,
        num(5..7)?,
        num(8..10)?,
        num(11..13)?,
        num(14..16)?,
        num(17..19)?,
    );
    let mut rest = &s[19..];
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        if n == 0 {
            return Err(bad());
        }
        rest = &frac[n..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && rest.as_bytes()[3] == b':' => {
            let sign = match rest.as_bytes()[0] {
                b'+' => 1,
                b'-' => -1,
                _ => return Err(bad()),
            };
            let oh = num_in(rest, 1..3).ok_or_else(bad)?;
            let om = num_in(rest, 4..6).ok_or_else(bad)?;
            if oh > 23 || om > 59 {
                return Err(bad());
            }
            sign * (oh * 3600 + om * 60)
        }
        _ => return Err(bad()),
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let mdays = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&mo)
        || d < 1
        || d > mdays[(mo - 1) as usize]
        || h > 23
        || mi > 59
        || se > 60
    {
        return Err(bad());
    }
    // Howard Hinnant's days_from_civil.
    let yy = if mo <= 2 { y - 1 } else { y };
    let era = yy.div_euclid(400);
    let yoe = yy.rem_euclid(400);
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let secs = days * 86_400 + h * 3600 + mi * 60 + se.min(59) - offset;
    u64::try_from(secs)
        .map(|s| SystemTime::UNIX_EPOCH + Duration::from_secs(s))
        .map_err(|_| bad())
}

fn num_in(s: &str, r: std::ops::Range<usize>) -> Option<i64> {
    let t = s.get(r)?;
    t.bytes()
        .all(|c| c.is_ascii_digit())
        .then(|| t.parse().ok())?
}

fn parse_subject(s: &str) -> Result<Subject, CliError> {
    if s == "anonymous" {
        return Ok(Subject::Anonymous);
    }
    if let Some(id) = s.strip_prefix("etsi/") {
        return Ok(Subject::Etsi(id.parse()?));
    }
    if let Some(doc) = s.strip_prefix("document/") {
        return Ok(Subject::Document(DocumentNumber::new(doc)?));
    }
    Err(input(
        "--subject must be anonymous, etsi/<PNOEE-…> or document/<document number>",
    ))
}

fn parse_flows(list: &[String]) -> Result<Option<OfferedFlows>, CliError> {
    if list.is_empty() {
        return Ok(None);
    }
    let mut flows = OfferedFlows::NONE;
    for f in list {
        flows = flows.with(f.trim().parse::<FlowType>()?);
    }
    Ok(Some(flows))
}

/// The session type a request body describes.
enum Kind {
    DeviceLinkAuth(Box<DeviceLinkAuthenticationRequest>),
    NotificationAuth(Box<NotificationAuthenticationRequest>),
    DeviceLinkSign(Box<DeviceLinkSignatureRequest>),
    NotificationSign(Box<NotificationSignatureRequest>),
    LinkedSign(Box<LinkedNotificationSignatureRequest>),
    DeviceLinkCert(Box<DeviceLinkCertificateChoiceRequest>),
    NotificationCert(Box<NotificationCertificateChoiceRequest>),
}

const SAME_DEVICE: [FlowType; 3] = [FlowType::Qr, FlowType::Web2App, FlowType::App2App];

/// Classifies the request body. A body that fits both a device-link QR-only session and a
/// notification session (a signature or certificate choice without callback URL) is decided
/// by `--offered-flows` alone; without it the command refuses to guess. The response (not yet
/// verified) never chooses its own verifier.
fn classify(req: &Value, offered: Option<OfferedFlows>) -> Result<Kind, CliError> {
    let obj = req
        .as_object()
        .ok_or_else(|| input("the request is not a JSON object"))?;
    let has = |k: &str| obj.contains_key(k);
    let wants_notification = || match offered {
        Some(f) => Ok(f.contains(FlowType::Notification)),
        None => Err(input(
            "the request body fits both a device-link (QR) session and a notification session; \
             say which one was started with --offered-flows QR or --offered-flows Notification",
        )),
    };
    let protocol = obj
        .get("signatureProtocol")
        .map(|p| p.as_str().unwrap_or("?"));
    let kind = match protocol {
        Some("ACSP_V2") if has("vcType") => {
            Kind::NotificationAuth(Box::new(parse(req, "authentication request")?))
        }
        Some("ACSP_V2") => Kind::DeviceLinkAuth(Box::new(parse(req, "authentication request")?)),
        Some("RAW_DIGEST_SIGNATURE") if has("linkedSessionID") => {
            Kind::LinkedSign(Box::new(parse(req, "linked signature request")?))
        }
        Some("RAW_DIGEST_SIGNATURE") if !has("initialCallbackUrl") && wants_notification()? => {
            Kind::NotificationSign(Box::new(parse(req, "signature request")?))
        }
        Some("RAW_DIGEST_SIGNATURE") => {
            Kind::DeviceLinkSign(Box::new(parse(req, "signature request")?))
        }
        None if !has("initialCallbackUrl") && wants_notification()? => {
            Kind::NotificationCert(Box::new(parse(req, "certificate choice request")?))
        }
        None => Kind::DeviceLinkCert(Box::new(parse(req, "certificate choice request")?)),
        Some(other) => {
            return Err(input(format!(
                "unknown signatureProtocol `{other}` in the request"
            )))
        }
    };
    let valid = match &kind {
        Kind::DeviceLinkAuth(r) => r.validate(),
        Kind::NotificationAuth(r) => r.validate(),
        Kind::DeviceLinkSign(r) => r.validate(),
        Kind::NotificationSign(r) => r.validate(),
        Kind::LinkedSign(r) => r.validate(),
        Kind::DeviceLinkCert(r) => r.validate(),
        Kind::NotificationCert(r) => r.validate(),
    };
    valid?;
    Ok(kind)
}

fn device_link_flows(offered: Option<OfferedFlows>, callback: Option<&str>) -> OfferedFlows {
    offered.unwrap_or_else(|| match callback {
        Some(_) => OfferedFlows::of(&SAME_DEVICE),
        None => OfferedFlows::QR,
    })
}

fn notification_flows(offered: Option<OfferedFlows>) -> Result<(), CliError> {
    match offered {
        Some(f) if f != OfferedFlows::NOTIFICATION => Err(input(
            "--offered-flows: a notification request completes only as Notification",
        )),
        _ => Ok(()),
    }
}

/// `smartid verify-response`: prints the verified result as one JSON object.
pub fn verify_response(a: VerifyResponseArgs) -> CmdResult {
    let scheme: SchemeName = a.scheme.parse()?;
    let at = match &a.at {
        Some(t) => parse_rfc3339(t)?,
        None => SystemTime::now(),
    };
    let subject = parse_subject(&a.subject)?;
    let offered = parse_flows(&a.offered_flows)?;
    let trust = match (a.trust, &a.trust_dir) {
        (Some(BundledTrust::SkLive), None) => TrustStore::sk_live()?,
        (Some(BundledTrust::SkDemo), None) => TrustStore::sk_demo()?,
        (None, Some(dir)) => {
            let trust = TrustStore::from_dir(dir)?;
            if trust.is_empty() {
                return Err(input(format!(
                    "--trust-dir {} holds no self-signed (root) certificate",
                    dir.display()
                )));
            }
            trust
        }
        _ => return Err(input("give exactly one of --trust and --trust-dir")),
    };
    if !a.pins.is_empty() {
        let pins = a
            .pins
            .iter()
            .map(|p| CertFingerprint::from_hex(p))
            .collect::<Result<Vec<_>, _>>()?;
        trust.require_fingerprints(&pins)?;
    }
    let callback_url = read_inline_or_file(
        a.callback_url.as_ref(),
        a.callback_url_file.as_deref(),
        "--callback-url-file",
    )?;
    let linked_callback_url = read_inline_or_file(
        a.linked_callback_url.as_ref(),
        a.linked_callback_url_file.as_deref(),
        "--linked-callback-url-file",
    )?;
    if a.secret.is_given() && callback_url.is_none() {
        return Err(input(
            "the session secret is for checking a callback: add --callback-url",
        ));
    }
    let secret = a.secret.read_optional()?;
    let callback = match (callback_url.as_deref(), &secret) {
        (Some(url), Some(s)) => CallbackCheck::Url {
            callback_url: url,
            session_secret: s,
        },
        _ => CallbackCheck::None,
    };
    if a.revocation_soft_fail && a.revocation == RevocationArg::Off {
        return Err(input(
            "--revocation-soft-fail needs --revocation ocsp|crl|ocsp-then-crl",
        ));
    }
    let request = read_json(&a.request, "request")?;
    let status_json = read_json(&a.status, "status")?;
    let status: SessionStatus = parse(&status_json, "status")?;
    let ctx = VerificationContext::new(scheme, &trust, at);
    let kind = classify(&request, offered)?;
    if linked_callback_url.is_some() && !matches!(kind, Kind::LinkedSign(_)) {
        return Err(input(
            "--linked-callback-url is only for linked signature requests",
        ));
    }
    let brokered = a.brokered_rp_name.as_deref();
    if brokered.is_some() && !matches!(kind, Kind::DeviceLinkAuth(_) | Kind::NotificationAuth(_)) {
        return Err(input(
            "--brokered-rp-name is only for authentication requests",
        ));
    }
    let verify_all = |ctx: &VerificationContext<'_>,
                      failed: &dyn Fn(VerifyError) -> CliError|
     -> Result<(&str, serde_json::Result<Value>), CliError> {
        Ok(match &kind {
            Kind::DeviceLinkAuth(r) => {
                let flows = device_link_flows(offered, r.initial_callback_url.as_deref());
                let mut s = AuthenticationSession::device_link(r, subject.clone(), flows);
                s.brokered_rp_name = brokered;
                let res = verify_authentication(ctx, &s, &status, callback).map_err(failed)?;
                ("authentication", serde_json::to_value(res))
            }
            Kind::NotificationAuth(r) => {
                notification_flows(offered)?;
                let mut s = AuthenticationSession::notification(r, subject.clone());
                s.brokered_rp_name = brokered;
                let res = verify_authentication(ctx, &s, &status, callback).map_err(failed)?;
                ("authentication", serde_json::to_value(res))
            }
            Kind::DeviceLinkSign(r) => {
                let flows = device_link_flows(offered, r.initial_callback_url.as_deref());
                let s = SignatureSession::device_link(r, subject.clone(), flows);
                let res = verify_signature(ctx, &s, &status, callback).map_err(failed)?;
                ("signature", serde_json::to_value(res))
            }
            Kind::NotificationSign(r) => {
                notification_flows(offered)?;
                let s = SignatureSession::notification(r, subject.clone());
                let res = verify_signature(ctx, &s, &status, callback).map_err(failed)?;
                ("signature", serde_json::to_value(res))
            }
            Kind::LinkedSign(r) => {
                notification_flows(offered)?;
                let Subject::Document(doc) = subject.clone() else {
                    return Err(input(
                        "a linked signature request needs --subject document/<document number>",
                    ));
                };
                let s = SignatureSession::linked(
                    r,
                    doc,
                    linked_callback_url.as_deref().map(String::as_str),
                );
                let res = verify_signature(ctx, &s, &status, callback).map_err(failed)?;
                ("signature", serde_json::to_value(res))
            }
            Kind::DeviceLinkCert(r) => {
                let flows = device_link_flows(offered, r.initial_callback_url.as_deref());
                let s = CertificateChoiceSession::device_link(r, flows);
                if !matches!(subject, Subject::Anonymous) {
                    return Err(input(
                        "a device-link certificate choice is anonymous; drop --subject",
                    ));
                }
                let res = verify_certificate_choice(ctx, &s, &status, callback).map_err(failed)?;
                ("certificateChoice", serde_json::to_value(res))
            }
            Kind::NotificationCert(r) => {
                notification_flows(offered)?;
                let s = CertificateChoiceSession::notification(r, subject.clone());
                let res = verify_certificate_choice(ctx, &s, &status, callback).map_err(failed)?;
                ("certificateChoice", serde_json::to_value(res))
            }
        })
    };
    let (session_type, value) = verify_all(&ctx, &failed)?;
    let (session_type, value) = if a.revocation == RevocationArg::Off {
        (session_type, value)
    } else {
        let first = value
            .as_ref()
            .map_err(|e| CliError::Environment(format!("cannot serialize the result: {e}")))?;
        let answers = revocation_answers(
            first,
            &trust,
            at,
            a.revocation,
            a.revocation_soft_fail,
            &failed,
        )?;
        let ctx = ctx.with_revocation_checker(&answers);
        // A status that could not be established is the environment (exit 3); a revoked
        // certificate, or any other failed check, is a failed verification (exit 1).
        let revocation_failed = |e: VerifyError| match &e {
            VerifyError::Verification(f) if f.code() == "verification_revocation_unknown" => {
                CliError::Environment(format!("{f} [{}]", f.code()))
            }
            _ => failed(e),
        };
        verify_all(&ctx, &revocation_failed)?
    };
    let mut value =
        value.map_err(|e| CliError::Environment(format!("cannot serialize the result: {e}")))?;
    for line in status_lines(&value) {
        eprintln!("{line}");
    }
    if let Value::Object(m) = &mut value {
        m.insert("sessionType".into(), Value::String(session_type.into()));
    }
    Ok(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: &str) -> u64 {
        parse_rfc3339(s)
            .ok()
            .unwrap()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs()
    }

    #[test]
    fn rfc3339() {
        assert_eq!(secs("1970-01-01T00:00:00Z"), 0);
        assert_eq!(secs("2000-02-29T00:00:00Z"), 951_782_400);
        assert_eq!(secs("2026-06-01T00:00:00Z"), 1_780_272_000);
        assert_eq!(secs("2026-06-01T02:30:00+02:30"), 1_780_272_000);
        assert_eq!(secs("2026-05-31T21:00:00.123-03:00"), 1_780_272_000);
        for bad in [
            "2026-06-01",
            "2026-06-01 00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z",
            "2026-06-01T24:00:00Z",
            "2026-06-01T00:00:00",
            "2026-06-01T00:00:00+0200",
            "1969-12-31T23:59:59Z",
            "2026-06-01T00:00:00.Z",
        ] {
            assert!(parse_rfc3339(bad).is_err(), "{bad}");
        }
    }
}
