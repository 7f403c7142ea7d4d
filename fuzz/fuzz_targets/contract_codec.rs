//! The contract's hand-written JSON codec (`sidkit_contract::codec`, feature `codec`: what the
//! mobile library's `json` feature reads and writes with) against serde_json with the
//! contract's derives (what the backend kit reads and writes). The input is read as one
//! document by every decoder (start response, poll response, flow outcome, error body), and
//! also cut at NUL bytes into the fields of a start and a complete request. Never a panic, and:
//!
//! * the codec never accepts what serde refuses, and when both accept, the values are equal
//!   (so `validate()` judges both alike: whatever the codec accepts and validates, serde
//!   accepts and validates);
//! * when serde accepts and the codec refuses, the refusal is one of the codec's documented
//!   strictness cases, named by its reason and confirmed on the input with independent code: a
//!   key twice in one object, nesting of `MAX_DEPTH` levels or more, a lone UTF-16 surrogate
//!   escape, a struct written as an array; or, in the two internally tagged messages, a number
//!   within a few units of the 16th digit of `f64::MAX` (where `fits_f64` is documented to
//!   judge a number otherwise than serde_json, in either direction);
//! * the codec's JSON reader (`codec::parse`) accepts nothing serde_json refuses as JSON;
//! * the encoders write exactly serde_json's bytes for requests built from the input, and
//!   serde reads them back to the same request.
#![no_main]

use std::collections::HashSet;
use std::fmt::Debug;

use libfuzzer_sys::fuzz_target;
use serde::de::{DeserializeOwned, IgnoredAny};
use serde_json::Value as J;
use sidkit_contract::codec;
use sidkit_contract::*;

/// What the independent scan of a document found (only the documented strictness cases).
#[derive(Default, Debug)]
struct Scan {
    /// Deepest nesting of arrays and objects.
    max_depth: usize,
    /// A `\uD800`–`\uDBFF` escape not followed by a `\uDC00`–`\uDFFF` one, or a lone
    /// `\uDC00`–`\uDFFF` one.
    lone_surrogate: bool,
    /// One object with the same (decoded) key twice.
    duplicate_key: bool,
    /// A number within a few units of the 16th significant digit of ±`f64::MAX`.
    near_f64_max: bool,
}

fn hex4(b: &[u8]) -> Option<u32> {
    let s = std::str::from_utf8(b.get(..4)?).ok()?;
    u32::from_str_radix(s, 16).ok()
}

/// The text of one string starting after its opening quote: (decoded text, index after the
/// closing quote, whether it holds a lone surrogate escape).
fn scan_string(b: &[u8], mut i: usize) -> (Vec<u8>, usize, bool) {
    let mut out = Vec::new();
    let mut lone = false;
    while i < b.len() {
        match b[i] {
            b'"' => return (out, i + 1, lone),
            b'\\' if i + 1 < b.len() => {
                if b[i + 1] == b'u' {
                    let hi = hex4(&b[i + 2..]).unwrap_or(0);
                    i += 6;
                    if (0xD800..0xDC00).contains(&hi) {
                        let lo = (b.get(i..i + 2) == Some(b"\\u"))
                            .then(|| hex4(&b[i + 2..]))
                            .flatten();
                        match lo {
                            Some(lo) if (0xDC00..0xE000).contains(&lo) => {
                                let cp = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                                let c = char::from_u32(cp).unwrap_or('\u{fffd}');
                                out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                                i += 6;
                            }
                            _ => lone = true,
                        }
                    } else if (0xDC00..0xE000).contains(&hi) {
                        lone = true;
                    } else {
                        let c = char::from_u32(hi).unwrap_or('\u{fffd}');
                        out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                } else {
                    let c = match b[i + 1] {
                        b'b' => 8,
                        b'f' => 12,
                        b'n' => b'\n',
                        b'r' => b'\r',
                        b't' => b'\t',
                        c => c,
                    };
                    out.push(c);
                    i += 2;
                }
            }
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    (out, i, lone)
}

/// `n` (JSON number syntax) is 0.d₁d₂… × 10^309 with d₁…d₁₅ = 179769313486231 (±`f64::MAX`
/// is 0.17976931348623157… × 10^309).
fn near_f64_max(n: &str) -> bool {
    let n = n.trim_start_matches('-');
    let (mantissa, exp) = match n.find(['e', 'E']) {
        Some(i) => (&n[..i], n[i + 1..].parse::<i64>().unwrap_or(i64::MAX / 2)),
        None => (n, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits: String = format!("{int}{frac}");
    let zeros = digits.bytes().take_while(|&b| b == b'0').count();
    let sig = &digits[zeros..];
    let magnitude = int.len() as i64 - zeros as i64 + exp;
    magnitude == 309 && sig.starts_with("179769313486231")
}

/// Scans a document with independent code for the codec's documented strictness cases.
fn scan(text: &str) -> Scan {
    let b = text.as_bytes();
    let mut s = Scan::default();
    // One entry per open array (`None`) or object (the keys seen so far).
    let mut stack: Vec<Option<HashSet<Vec<u8>>>> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'{' | b'[' => {
                stack.push((b[i] == b'{').then(HashSet::new));
                s.max_depth = s.max_depth.max(stack.len());
                i += 1;
            }
            b'}' | b']' => {
                stack.pop();
                i += 1;
            }
            b'"' => {
                let (decoded, next, lone) = scan_string(b, i + 1);
                s.lone_surrogate |= lone;
                i = next;
                let mut j = i;
                while j < b.len() && b" \t\r\n".contains(&b[j]) {
                    j += 1;
                }
                if b.get(j) == Some(&b':') {
                    if let Some(Some(keys)) = stack.last_mut() {
                        s.duplicate_key |= !keys.insert(decoded);
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let from = i;
                while i < b.len() && b"+-.eE0123456789".contains(&b[i]) {
                    i += 1;
                }
                s.near_f64_max |= near_f64_max(&text[from..i]);
            }
            _ => i += 1,
        }
    }
    s
}

/// Whether some object member named `key` of the document holds an array (the root counts for
/// an empty key).
fn array_at(v: &J, key: &str) -> bool {
    match v {
        J::Array(items) => key.is_empty() || items.iter().any(|x| array_at(x, key)),
        J::Object(m) => m
            .iter()
            .any(|(k, x)| (k == key && x.is_array()) || array_at(x, key)),
        _ => false,
    }
}

/// serde accepts `text`, the codec refused it with `reason`: the refusal must be a documented
/// case, confirmed on the text.
fn check_documented(text: &str, reason: &str, tagged: bool) {
    let s = scan(text);
    if reason.contains("duplicate key") {
        assert!(s.duplicate_key, "no duplicate key, but: {reason}");
    } else if reason.contains("nested too deeply") {
        assert!(s.max_depth >= codec::MAX_DEPTH, "{s:?}, but: {reason}");
    } else if reason.contains("surrogate") {
        assert!(s.lone_surrogate, "no lone surrogate, but: {reason}");
    } else if reason.contains("must be a JSON object") {
        // "the poll response must be a JSON object" (the root) or "`identity` must be ...".
        let key = reason.split('`').nth(1).unwrap_or("");
        let is_array = if key.is_empty() {
            text.trim_start_matches([' ', '\t', '\r', '\n'])
                .starts_with('[')
        } else {
            serde_json::from_str::<J>(text).map_or(true, |v| array_at(&v, key))
        };
        assert!(is_array, "no array for {key:?}, but: {reason}");
    } else if tagged && reason.contains("out of range") {
        assert!(s.near_f64_max, "no number near f64::MAX, but: {reason}");
    } else {
        panic!("serde accepts, the codec refuses for an undocumented reason: {reason}");
    }
}

/// The codec's decoder and serde agree on `text` (up to the documented strictness).
fn differential<T: PartialEq + Debug + DeserializeOwned>(
    text: &str,
    hand: fn(&str) -> codec::R<T>,
    tagged: bool,
) {
    let h = hand(text);
    let s = serde_json::from_str::<T>(text);
    match (h, s) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "the codec and serde read different values"),
        (Err(_), Err(_)) => {}
        (Err(reason), Ok(_)) => check_documented(text, &reason, tagged),
        (Ok(a), Err(e)) => {
            let documented =
                tagged && e.to_string().contains("out of range") && scan(text).near_f64_max;
            assert!(documented, "the codec accepts {a:?}, serde refuses: {e}");
        }
    }
}

/// Up to six fields cut from the input at NUL bytes (invalid UTF-8 replaced).
fn fields(data: &[u8]) -> Vec<String> {
    let mut v: Vec<String> = data
        .splitn(6, |b| *b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect();
    v.resize(6, String::new());
    v
}

fn check_encoders(data: &[u8]) {
    let flags = data.first().copied().unwrap_or(0);
    let f = fields(data.get(1..).unwrap_or_default());
    let start = StartFlowRequest {
        kind: [
            FlowKind::Authentication,
            FlowKind::Signature,
            FlowKind::CertificateChoiceAndSignature,
        ][usize::from(flags % 3)],
        presentation: if flags & 4 == 0 {
            Presentation::App2App
        } else {
            Presentation::Qr
        },
        lang: f[0].clone(),
        context: (flags & 8 != 0).then(|| f[1].clone()),
        idempotency_key: f[2].clone(),
        flow_key_challenge: (flags & 16 != 0).then(|| f[3].clone()),
    };
    let hand = codec::encode_start_flow_request(&start);
    assert_eq!(hand, serde_json::to_string(&start).unwrap());
    assert_eq!(
        serde_json::from_str::<StartFlowRequest>(&hand).unwrap(),
        start
    );
    let complete = CompleteFlowRequest {
        flow_handle: f[4].clone(),
        return_url: f[5].clone(),
    };
    let hand = codec::encode_complete_flow_request(&complete);
    assert_eq!(hand, serde_json::to_string(&complete).unwrap());
    assert_eq!(
        serde_json::from_str::<CompleteFlowRequest>(&hand).unwrap(),
        complete
    );
}

fuzz_target!(|data: &[u8]| {
    check_encoders(data);
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if codec::parse(text).is_ok() {
        assert!(
            serde_json::from_str::<IgnoredAny>(text).is_ok(),
            "the codec's reader accepts what serde_json refuses as JSON"
        );
    }
    differential(text, codec::decode_start_flow_response, false);
    differential(text, codec::decode_poll_flow_response, true);
    differential(text, codec::decode_flow_outcome, true);
    differential(text, codec::decode_error_body, false);
});
