//! The contract JSON the phone receives from its backend (`sidkit_contract`), read as the
//! mobile library reads it (`serde_json` then `validate()`, as in the bindings' `*_from_json`
//! and `sidkit_app::Flow`). The input is up to three documents separated by NUL bytes: the
//! first is read as every message type; the first also drives an app `Flow` as its start
//! response and the second as its poll response. Never a panic, and:
//!
//! * round trip: whatever parses serializes, parses back to an equal value and serializes to
//!   the same text again;
//! * `validate()` accepts nothing the contract refuses: each accepted message is re-checked
//!   with independent code (flow handle, 43-character Base64URL commitment and challenge
//!   decoding to exactly 32 bytes, `https` URLs, expiry range, text and date fields, standard
//!   Base64, a finished poll's `result` against its outcome, the problem's ranges);
//! * the 32-byte Base64URL decoders (`decode_commitment`, `validate_flow_key_challenge`,
//!   `FlowKey::parse`) accept exactly the canonical 43-character encodings of 32 bytes, and
//!   decode them to the bytes an independent decoder gets; a parsed key's challenge is the
//!   Base64URL of the SHA-256 of those bytes;
//! * an app `Flow` that accepts a start response got a valid one of its session type, whose
//!   link passed the device-link policy and, for App2App, whose callback base is the app's;
//!   an accepted poll answer validates, and a finished one carries an outcome that fits the
//!   flow's kind; its snapshot restores.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde::{de::DeserializeOwned, Serialize};
use sha2::{Digest, Sha256};
use sidkit_app::{DeviceLinkPolicy, Flow, FlowConfig, FlowSpec, PollProgress};
use sidkit_contract::*;

const CALLBACK_BASE: &str = "https://rp.example.com/smart-id/return";
const NOW: u64 = 1_700_000_000_000;

/// Parses `json` as `T`; if it parses, checks the round trip and returns the value.
fn round_trip<T: DeserializeOwned + Serialize + PartialEq + std::fmt::Debug>(
    json: &[u8],
) -> Option<T> {
    let v: T = serde_json::from_slice(json).ok()?;
    let text = serde_json::to_string(&v).expect("a parsed message serializes");
    let back: T = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "{} does not parse back: {e}: {text}",
            std::any::type_name::<T>()
        )
    });
    assert_eq!(back, v, "round trip changed the value: {text}");
    assert_eq!(serde_json::to_string(&back).unwrap(), text);
    Some(v)
}

/// Independent Base64URL (no padding) of exactly 32 bytes: 43 characters, 2 unused zero bits.
fn b64url_32(s: &str) -> Option<[u8; 32]> {
    let b = s.as_bytes();
    if b.len() != 43 {
        return None;
    }
    let mut bits: u64 = 0;
    let mut n = 0;
    let mut out = Vec::with_capacity(33);
    for &c in b {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = bits << 6 | u64::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    (n == 2 && bits == 0).then(|| out.try_into().ok()).flatten()
}

fn is_uuid(s: &str) -> bool {
    let g: Vec<&str> = s.split('-').collect();
    g.len() == 5
        && g.iter()
            .zip([8, 4, 4, 4, 12])
            .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn good_handle(h: &str) -> bool {
    (16..=256).contains(&h.len())
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~".contains(&b))
        && !is_uuid(h)
}

fn good_text(s: &str) -> bool {
    (1..=256).contains(&s.len()) && !s.chars().any(char::is_control)
}

fn good_https(s: &str) -> bool {
    s.starts_with("https://")
        && url::Url::parse(s).is_ok_and(|u| u.scheme() == "https" && u.host().is_some())
}

fn good_b64(s: &str) -> bool {
    use base64::Engine as _;
    !s.is_empty()
        && s.len() <= 32 * 1024
        && base64::engine::general_purpose::STANDARD.decode(s).is_ok()
}

fn good_date(d: &str) -> bool {
    let b = d.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && matches!(d[5..7].parse::<u8>(), Ok(1..=12))
        && matches!(d[8..10].parse::<u8>(), Ok(1..=31))
}

/// A Smart-ID document number's shape: `PNO`/`IDC`/`PAS`, an upper-case country, `-`, then
/// letters, digits and `-`; 7 to 100 characters.
fn good_document_number(d: &str) -> bool {
    let b = d.as_bytes();
    (7..=100).contains(&b.len())
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && matches!(&b[..3], b"PNO" | b"IDC" | b"PAS")
        && b[3..5].iter().all(u8::is_ascii_uppercase)
        && b[5] == b'-'
}

fn check_outcome(o: &FlowOutcome) {
    match o {
        FlowOutcome::Authenticated {
            identity: i,
            app_data,
        } => {
            for t in [&i.given_name, &i.surname, &i.identifier] {
                assert!(good_text(t), "identity text {t:?}");
            }
            assert!(i.country.len() == 2 && i.country.bytes().all(|b| b.is_ascii_uppercase()));
            assert!(
                good_document_number(&i.document_number),
                "{:?}",
                i.document_number
            );
            assert!(
                i.date_of_birth.as_deref().is_none_or(good_date),
                "{:?}",
                i.date_of_birth
            );
            assert!(app_data.as_ref().is_none_or(|d| d.len() <= 16 * 1024));
        }
        FlowOutcome::Signed {
            signature: s,
            app_data,
        } => {
            assert!(good_text(&s.signature_algorithm));
            assert!(good_b64(&s.signature_value), "signatureValue");
            assert!(s.certificate.as_deref().is_none_or(good_b64), "certificate");
            assert!(
                good_document_number(&s.document_number),
                "{:?}",
                s.document_number
            );
            assert!(app_data.as_ref().is_none_or(|d| d.len() <= 16 * 1024));
        }
        FlowOutcome::Failed {
            end_result,
            interaction,
        } => {
            assert_ne!(*end_result, sidkit_proto::models::EndResult::Ok);
            if let sidkit_proto::models::EndResult::Unknown(s) = end_result {
                assert!(good_text(s));
            }
            assert!(interaction.as_deref().is_none_or(good_text));
        }
    }
}

fn check_32(s: &str) {
    let expected = b64url_32(s);
    assert_eq!(
        decode_commitment(s).ok(),
        expected,
        "decode_commitment({s:?})"
    );
    assert_eq!(validate_flow_key_challenge(s).is_ok(), expected.is_some());
    let key = FlowKey::parse(s);
    assert_eq!(key.is_ok(), expected.is_some(), "FlowKey::parse({s:?})");
    if let (Ok(k), Some(bytes)) = (key, expected) {
        assert_eq!(k.expose(), s);
        let challenge = k.challenge();
        assert_eq!(b64url_32(&challenge), Some(Sha256::digest(bytes).into()));
        assert!(k.matches(&challenge));
    }
}

fn check_messages(json: &[u8]) {
    if let Some(r) = round_trip::<StartFlowResponse>(json) {
        if r.validate().is_ok() {
            assert!(
                good_handle(&r.flow_handle),
                "flowHandle {:?}",
                r.flow_handle
            );
            assert!(!r.device_link.is_empty());
            assert!(r
                .callback_commitment
                .as_deref()
                .is_none_or(|c| b64url_32(c).is_some()));
            assert!(
                r.callback_base.as_deref().is_none_or(good_https),
                "{:?}",
                r.callback_base
            );
            assert!((1..=MAX_EXPIRES_IN_MS).contains(&r.expires_in_ms));
        }
    }
    if let Some(r) = round_trip::<PollFlowResponse>(json) {
        if r.validate().is_ok() {
            match &r {
                PollFlowResponse::Pending { device_link } => {
                    assert!(device_link.as_deref().is_none_or(|l| !l.is_empty()))
                }
                PollFlowResponse::Finished { result, outcome } => match outcome {
                    Some(o) => {
                        assert_eq!(o.kind(), *result);
                        check_outcome(o);
                    }
                    None => assert_ne!(*result, OutcomeKind::Failed),
                },
            }
        }
    }
    if let Some(o) = round_trip::<FlowOutcome>(json) {
        if o.validate().is_ok() {
            check_outcome(&o);
        }
    }
    if let Some(e) = round_trip::<ErrorBody>(json) {
        if e.validate().is_ok() {
            assert!(good_text(&e.code) && e.detail.len() <= 4096);
            assert!(e.title.len() <= 256 && e.problem_type.len() <= 256);
            assert!(e.status.is_none_or(|s| (400..=599).contains(&s)));
        }
        let (status, _, retryable) = error_codes::describe(&e.code);
        if error_codes::ALL.contains(&e.code.as_str()) {
            assert_eq!(ErrorBody::new(&e.code, "x").http_status(), status);
            assert_eq!(ErrorBody::new(&e.code, "x").retryable, retryable);
        }
    }
    if let Some(r) = round_trip::<StartFlowRequest>(json) {
        if r.validate().is_ok() {
            assert!(r.lang.len() == 3 && r.lang.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(r
                .context
                .as_ref()
                .is_none_or(|c| (1..=1024).contains(&c.len()) && !c.chars().any(char::is_control)));
            assert!((16..=128).contains(&r.idempotency_key.len()));
            assert!(r
                .flow_key_challenge
                .as_deref()
                .and_then(b64url_32)
                .is_some());
        }
    }
    if let Some(r) = round_trip::<CompleteFlowRequest>(json) {
        if r.validate().is_ok() {
            assert!(good_handle(&r.flow_handle));
            assert!(
                r.return_url.len() <= 4096 && good_https(&r.return_url),
                "{:?}",
                r.return_url
            );
        }
    }
    let _ = round_trip::<Identity>(json);
    let _ = round_trip::<SignatureResult>(json);
}

fn drive_flow(start: &[u8], poll: Option<&[u8]>) {
    let Ok(resp) = serde_json::from_slice::<StartFlowResponse>(start) else {
        return;
    };
    let poll: Option<PollFlowResponse> = poll.and_then(|p| serde_json::from_slice(p).ok());
    let policy = DeviceLinkPolicy::live();
    let config = FlowConfig::new(CALLBACK_BASE, policy.clone()).expect("valid callback base");
    for kind in [
        FlowKind::Authentication,
        FlowKind::Signature,
        FlowKind::CertificateChoiceAndSignature,
    ] {
        for presentation in [Presentation::App2App, Presentation::Qr] {
            let mut flow =
                Flow::new(config.clone(), FlowSpec::new(kind, presentation), NOW).expect("flow");
            flow.begin_start(NOW).expect("a new flow starts");
            if flow.on_start_response(resp.clone(), NOW).is_err() {
                continue;
            }
            assert!(
                resp.validate().is_ok(),
                "the flow accepted an invalid start response"
            );
            assert_eq!(resp.session_type, kind.session_type());
            assert!(policy
                .check(
                    &resp.device_link,
                    presentation.link_type(),
                    kind.session_type()
                )
                .is_ok());
            assert_eq!(flow.flow_handle(), Some(resp.flow_handle.as_str()));
            match presentation {
                Presentation::App2App => {
                    assert_eq!(resp.callback_base.as_deref(), Some(CALLBACK_BASE));
                    let c = resp.callback_commitment.as_deref().and_then(b64url_32);
                    assert_eq!(flow.commitment(), c.as_ref());
                }
                Presentation::Qr => {
                    assert!(resp.callback_base.is_none() && resp.callback_commitment.is_none())
                }
            }
            if let Some(snap) = flow.snapshot() {
                let text = snap.encode();
                let back = sidkit_app::FlowSnapshot::decode(&text).expect("own snapshot decodes");
                assert!(
                    Flow::restore(config.clone(), &back, NOW).is_ok(),
                    "own snapshot does not restore"
                );
            }
            let Some(p) = &poll else { continue };
            let _ = flow.begin_poll(NOW);
            match flow.on_poll_response(p.clone()) {
                Ok(PollProgress::Finished(o)) => {
                    assert!(p.validate().is_ok());
                    assert!(o.validate().is_ok() && o.fits(kind));
                }
                Ok(_) => assert!(
                    p.validate().is_ok(),
                    "the flow accepted an invalid poll answer"
                ),
                Err(_) => {}
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut parts = data.splitn(3, |b| *b == 0);
    let first = parts.next().unwrap_or_default();
    let second = parts.next();
    check_messages(first);
    if let Some(s) = second {
        check_messages(s);
    }
    drive_flow(first, second);
    if let Ok(text) = std::str::from_utf8(first) {
        check_32(text.trim());
        let _ = check_contract_version(Some(text));
        if check_contract_version(Some(text)).is_ok() {
            let major = text.trim().split('.').next().unwrap_or_default();
            assert_eq!(major.parse::<u32>().ok(), Some(CONTRACT_VERSION));
        }
    }
});
