//! Differential tests of the hand-written contract codec (`sidkit_contract::codec`, feature
//! `codec`) against serde: the contract's derives with serde_json, which is what the backend kit
//! reads and writes. Encoding must agree byte for byte; decoding must accept the same documents
//! with the same values and refuse the same documents, except for the stricter cases listed in
//! `src/codec.rs`, which are checked here one by one (the fuzz target `contract_codec` checks the
//! same on arbitrary input). The inputs: the contract's samples with every optional field set
//! and unset (as `core/contract/examples/contract_samples.rs`), each field removed, replaced by
//! a value of every JSON type and by edge numbers, unknown fields of every type, hostile text
//! (deep nesting, bad escapes, bad numbers, duplicate keys, trailing bytes) and random edits.
//!
//! Over 600 lines on purpose: the fixtures, the mutation helpers and the groups of cases share
//! their helpers and are read together against the list of differences in `src/codec.rs`.
#![cfg(feature = "codec")]

use std::fmt::Debug;

use serde::de::DeserializeOwned;
use serde_json::{json, Value as J};
use sidkit_contract as c;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::models::{CertificateLevel, EndResult};

use sidkit_contract::codec;

type Hand<T> = fn(&str) -> Result<T, String>;

/// The input, shortened for a failure message.
fn short(input: &str) -> String {
    input.chars().take(300).collect()
}

/// Both readers give the same value, or both refuse.
fn agree<T: PartialEq + Debug + DeserializeOwned>(input: &str, hand: Hand<T>) {
    let h = hand(input);
    let s = serde_json::from_str::<T>(input);
    match (&h, &s) {
        (Ok(a), Ok(b)) => assert_eq!(a, b, "different values for {}", short(input)),
        (Err(_), Err(_)) => {}
        _ => panic!("hand {h:?} but serde {s:?} for {}", short(input)),
    }
}

/// serde accepts, the hand-written reader refuses (a documented strictness).
fn stricter<T: Debug + DeserializeOwned>(input: &str, hand: Hand<T>) {
    assert!(
        serde_json::from_str::<T>(input).is_ok(),
        "serde refuses {}",
        short(input)
    );
    assert!(hand(input).is_err(), "hand accepts {}", short(input));
}

fn identity() -> c::Identity {
    c::Identity {
        given_name: "Õie-Mai".into(),
        surname: "O'Brien \"B\"".into(),
        identifier: "PNOEE-40404040009".into(),
        country: "EE".into(),
        document_number: "PNOEE-40404040009-MOCK-Q".into(),
        certificate_level: CertificateLevel::Qualified,
        date_of_birth: Some("1904-04-04".into()),
    }
}

fn signature() -> c::SignatureResult {
    c::SignatureResult {
        document_number: "PNOEE-40404040009-MOCK-Q".into(),
        certificate_level: CertificateLevel::Qscd,
        signature_algorithm: "rsassa-pss".into(),
        signature_value: "AAEC".into(),
        certificate: Some("AAEC".into()),
    }
}

fn start_responses() -> Vec<c::StartFlowResponse> {
    let full = c::StartFlowResponse {
        flow_handle: "fh_0123456789abcdef".into(),
        session_type: SessionType::Auth,
        device_link: "https://sid.demo.sk.ee/device-link?x=1&y=\u{1F600}".into(),
        callback_base: Some("https://app.example/cb".into()),
        callback_commitment: Some("A".repeat(43)),
        expires_in_ms: 1000,
    };
    let bare = c::StartFlowResponse {
        session_type: SessionType::Cert,
        callback_base: None,
        callback_commitment: None,
        expires_in_ms: u64::MAX,
        ..full.clone()
    };
    vec![full, bare]
}

fn outcomes() -> Vec<c::FlowOutcome> {
    let mut bare_identity = identity();
    bare_identity.date_of_birth = None;
    let mut bare_signature = signature();
    bare_signature.certificate = None;
    vec![
        c::FlowOutcome::Authenticated {
            identity: identity(),
            app_data: Some("sr1.x\n\t\u{7}".into()),
        },
        c::FlowOutcome::Authenticated {
            identity: bare_identity,
            app_data: None,
        },
        c::FlowOutcome::Signed {
            signature: signature(),
            app_data: Some("sr1.x".into()),
        },
        c::FlowOutcome::Signed {
            signature: bare_signature,
            app_data: None,
        },
        c::FlowOutcome::Failed {
            end_result: EndResult::UserRefusedInteraction,
            interaction: Some("displayTextAndPIN".into()),
        },
        c::FlowOutcome::Failed {
            end_result: EndResult::Unknown("NEW_END".into()),
            interaction: None,
        },
    ]
}

fn polls() -> Vec<c::PollFlowResponse> {
    let mut v = vec![
        c::PollFlowResponse::Pending {
            device_link: Some("https://sid.demo.sk.ee/device-link?x=1".into()),
        },
        c::PollFlowResponse::Pending { device_link: None },
        c::PollFlowResponse::Finished {
            result: c::OutcomeKind::Signed,
            outcome: None,
        },
    ];
    v.extend(outcomes().into_iter().map(c::PollFlowResponse::finished));
    v
}

fn problems() -> Vec<c::ErrorBody> {
    let mut v: Vec<c::ErrorBody> = c::error_codes::ALL
        .iter()
        .map(|code| c::ErrorBody::new(code, "detail \u{0}\u{1f}\u{7f}"))
        .collect();
    v.push(c::ErrorBody {
        problem_type: String::new(),
        title: String::new(),
        status: None,
        code: "x".into(),
        detail: String::new(),
        retryable: true,
    });
    v
}

/// Every fixture of `T`, serde-encoded, as a JSON object.
fn objects<T: serde::Serialize>(values: &[T]) -> Vec<serde_json::Map<String, J>> {
    values
        .iter()
        .map(|v| match serde_json::to_value(v).unwrap() {
            J::Object(m) => m,
            other => panic!("not an object: {other}"),
        })
        .collect()
}

/// Values put in place of a field (every JSON type and the edge numbers of the integer fields).
fn replacements() -> Vec<J> {
    let mut v = vec![
        J::Null,
        json!(true),
        json!(false),
        json!(""),
        json!("x"),
        json!("auth"),
        json!("QUALIFIED"),
        json!("failed"),
        json!("pending"),
        json!([]),
        json!({}),
        json!([1, "a"]),
        json!({"result": "failed", "endResult": "TIMEOUT"}),
    ];
    for n in [
        "0",
        "-0",
        "1",
        "-1",
        "400",
        "65535",
        "65536",
        "1.0",
        "1.5",
        "1e3",
        "1E+2",
        "-1e-2",
        "18446744073709551615",
        "18446744073709551616",
        "99999999999999999999999999",
        "1e400",
        "0e999",
    ] {
        v.push(serde_json::from_str(n).unwrap_or(J::Null));
    }
    v
}

/// Raw number texts as field values (serde_json::Value would normalise them).
const RAW_NUMBERS: &[&str] = &[
    "0",
    "-0",
    "7",
    "1000",
    "1.0",
    "1e3",
    "-1",
    "65536",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "1e400",
    "-1e400",
    "1e-400",
    "0e400",
    "0.0000",
    "01",
    "1.",
    ".5",
    "+1",
    "1e",
    "1e+",
    "-",
    "0x10",
    "NaN",
    "Infinity",
];

fn mutate_all<T: PartialEq + Debug + DeserializeOwned>(
    objs: &[serde_json::Map<String, J>],
    hand: Hand<T>,
) {
    let reps = replacements();
    for obj in objs {
        let text = J::Object(obj.clone()).to_string();
        agree(&text, hand);
        for (k, _) in obj.iter() {
            // removed
            let mut m = obj.clone();
            m.remove(k);
            agree(&J::Object(m).to_string(), hand);
            // replaced
            for r in &reps {
                let mut m = obj.clone();
                m.insert(k.clone(), r.clone());
                agree(&J::Object(m).to_string(), hand);
            }
            // replaced by raw number text
            for n in RAW_NUMBERS {
                let mut m = obj.clone();
                m.insert(k.clone(), json!("@@N@@"));
                let t = J::Object(m).to_string().replace("\"@@N@@\"", n);
                agree(&t, hand);
            }
            // the field twice (a known field: both refuse)
            let dup = text.replacen('{', &format!("{{{}:{},", J::from(k.clone()), obj[k]), 1);
            agree(&dup, hand);
        }
        // unknown fields of every type, and raw numbers in an unknown field
        for r in &reps {
            let mut m = obj.clone();
            m.insert("zzUnknown".into(), r.clone());
            agree(&J::Object(m).to_string(), hand);
        }
        for n in RAW_NUMBERS {
            let t = text.replacen('{', &format!("{{\"zzUnknown\":{n},"), 1);
            agree(&t, hand);
        }
        // whitespace and trailing bytes
        for t in [
            format!(" \n\t\r{text} \n"),
            format!("{text}x"),
            format!("{text}{{}}"),
            format!("{text},"),
            format!("\u{feff}{text}"),
            text.replace(':', " : ").replace(',', " ,\n "),
            text.replacen(',', ",,", 1),
            text.replacen('}', ",}", 1),
            text[..text.len() - 1].to_owned(),
            format!("[{text}]"),
        ] {
            agree(&t, hand);
        }
    }
}

#[test]
fn fixtures_decode_the_same_and_round_trip() {
    for v in start_responses() {
        let t = serde_json::to_string(&v).unwrap();
        assert_eq!(codec::decode_start_flow_response(&t).unwrap(), v);
    }
    for v in outcomes() {
        let t = serde_json::to_string(&v).unwrap();
        assert_eq!(codec::decode_flow_outcome(&t).unwrap(), v);
    }
    for v in polls() {
        let t = serde_json::to_string(&v).unwrap();
        assert_eq!(codec::decode_poll_flow_response(&t).unwrap(), v);
    }
    for v in problems() {
        let t = serde_json::to_string(&v).unwrap();
        assert_eq!(codec::decode_error_body(&t).unwrap(), v);
    }
}

#[test]
fn mutated_fixtures_are_accepted_and_refused_alike() {
    mutate_all(
        &objects(&start_responses()),
        codec::decode_start_flow_response,
    );
    mutate_all(&objects(&outcomes()), codec::decode_flow_outcome);
    mutate_all(&objects(&polls()), codec::decode_poll_flow_response);
    mutate_all(&objects(&problems()), codec::decode_error_body);
    // nested objects of a tagged enum, mutated inside
    for o in objects(&outcomes()) {
        for inner in ["identity", "signature"] {
            let Some(J::Object(im)) = o.get(inner) else {
                continue;
            };
            for (k, _) in im.iter() {
                for r in replacements() {
                    let mut m = im.clone();
                    m.insert(k.clone(), r);
                    let mut outer = o.clone();
                    outer.insert(inner.into(), J::Object(m));
                    agree(&J::Object(outer).to_string(), codec::decode_flow_outcome);
                }
                let mut m = im.clone();
                m.remove(k);
                let mut outer = o.clone();
                outer.insert(inner.into(), J::Object(m));
                agree(&J::Object(outer).to_string(), codec::decode_flow_outcome);
            }
        }
    }
}

#[test]
fn hostile_text_is_refused_alike() {
    let problem = r#"{"code":"x","detail":"y"}"#;
    for t in [
        "",
        " ",
        "null",
        "true",
        "1",
        "\"x\"",
        "[]",
        "{",
        "}",
        "{\"code\"}",
        "{\"code\":}",
        "{\"code\":\"x\",}",
        "{,\"code\":\"x\"}",
        "{'code':'x'}",
        "{code:\"x\"}",
        "{\"code\":\"x\"}",
        "{\"code\":\"x\" \"detail\":\"y\"}",
        "{\"code\":\"\\x\"}",
        "{\"code\":\"\\u12\"}",
        "{\"code\":\"\\u12G4\"}",
        "{\"code\":\"\\ud800\"}",
        "{\"code\":\"\\udc00\"}",
        "{\"code\":\"\\ud800\\u0041\"}",
        "{\"code\":\"\\ud83d\\ude00\"}",
        "{\"code\":\"\\uD83D\\uDE00\"}",
        "{\"code\":\"\\u0000\"}",
        "{\"code\":\"a\u{1}b\"}",
        "{\"code\":\"a\u{7f}b\"}",
        "{\"code\":\"tab\there\"}",
        "{\"code\":\"\\/\\b\\f\\n\\r\\t\\\"\\\\\"}",
        "{\"code\":\"x\",\"retryable\":tru}",
        "{\"code\":\"x\",\"retryable\":True}",
        "{\"code\":\"x\",\"retryable\":nul}",
        "{\"code\":\"x\",\"zz\":nulls}",
        "{\"code\":\"x\",\"zz\":[1,]}",
        "{\"code\":\"x\",\"zz\":[,1]}",
        "{\"code\":\"x\",\"zz\":{\"a\"}}",
        "{\"code\":\"x\",\"zz\":\"\\ud800\\udc00\"}",
        "{\"code\":\"x\",\"zz\":\"\\q\"}",
        "{\"code\":\"x\",\"zz\":\"a\u{0}\"}",
        "{\"code\":\"x\",\"zz\":[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}",
        "{\"code\":\"x\",\"detail\":\"a\",\"message\":\"b\"}",
        "{\"code\":\"x\",\"message\":\"b\"}",
        "{\"code\":\"x\",\"message\":null}",
        "{\"code\":\"x\",\"status\":null}",
        "{\"code\":\"x\",\"type\":null}",
        "{\"code\":\"x\",\"code\":\"x\"}",
        "{\"\\u0063ode\":\"x\"}",
        "{\"code\":\"x\"}\u{0}",
        problem,
    ] {
        agree(t, codec::decode_error_body);
        agree(t, codec::decode_flow_outcome);
        agree(t, codec::decode_poll_flow_response);
        agree(t, codec::decode_start_flow_response);
    }
    // Nesting: 127 levels are read, 128 are not, by both (in a tagged enum, where serde reads
    // every value), and neither overflows the stack on a deep document.
    let nested = |n: usize| {
        format!(
            "{{\"result\":\"failed\",\"endResult\":\"TIMEOUT\",\"zz\":{}{}}}",
            "[".repeat(n - 1),
            "]".repeat(n - 1)
        )
    };
    assert!(codec::decode_flow_outcome(&nested(127)).is_ok());
    agree(&nested(127), codec::decode_flow_outcome);
    agree(&nested(128), codec::decode_flow_outcome);
    agree(&nested(100_000), codec::decode_flow_outcome);
    assert!(codec::parse(&"[".repeat(200_000)).is_err());
    assert!(codec::parse(&"{\"a\":".repeat(100_000)).is_err());
    // Many keys: the duplicate check is not quadratic.
    let many: String = (0..40_000).map(|i| format!("\"k{i}\":0,")).collect();
    agree(
        &format!("{{{many}\"code\":\"x\"}}"),
        codec::decode_error_body,
    );
    agree(
        &format!("{{{many}\"code\":\"x\",\"code\":\"y\"}}"),
        codec::decode_error_body,
    );
    stricter(
        &format!("{{{many}\"code\":\"x\",\"k7\":1}}"),
        codec::decode_error_body,
    );
}

#[test]
fn the_documented_strictness() {
    // A repeated unknown key.
    stricter(r#"{"code":"x","zz":1,"zz":2}"#, codec::decode_error_body);
    stricter(
        r#"{"result":"failed","endResult":"TIMEOUT","zz":1,"zz":2}"#,
        codec::decode_flow_outcome,
    );
    // Deep nesting in an unknown value of a plain struct.
    stricter(
        &format!(
            "{{\"code\":\"x\",\"zz\":{}{}}}",
            "[".repeat(500),
            "]".repeat(500)
        ),
        codec::decode_error_body,
    );
    // A lone surrogate in an unknown value of a plain struct.
    stricter(r#"{"code":"x","zz":"\ud800"}"#, codec::decode_error_body);
    // A struct as the array of its fields.
    stricter(r#"["", "", null, "x"]"#, codec::decode_error_body);
    // (serde refuses a variant index as the tag, like this reader.)
    agree(r#"{"status":0}"#, codec::decode_poll_flow_response);
}

/// A small deterministic generator (xorshift64*), so that failures repeat.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

#[test]
fn random_edits_of_the_fixtures_are_read_alike() {
    const PIECES: &[&str] = &[
        "{",
        "}",
        "[",
        "]",
        "\"",
        ":",
        ",",
        "\\",
        " ",
        "0",
        "1",
        "-",
        ".",
        "e",
        "n",
        "t",
        "f",
        "u",
        "null",
        "true",
        "\\u0041",
        "\\ud83d\\ude00",
        "é",
        "\u{1}",
    ];
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let texts: Vec<String> = objects(&start_responses())
        .into_iter()
        .chain(objects(&outcomes()))
        .chain(objects(&polls()))
        .chain(objects(&problems()))
        .map(|m| J::Object(m).to_string())
        .collect();
    for _ in 0..20_000 {
        let mut chars: Vec<String> = texts[rng.below(texts.len())]
            .chars()
            .map(String::from)
            .collect();
        for _ in 0..1 + rng.below(2) {
            let at = rng.below(chars.len());
            match rng.below(3) {
                0 => {
                    chars.remove(at);
                }
                1 => chars.insert(at, PIECES[rng.below(PIECES.len())].to_owned()),
                _ => chars[at] = PIECES[rng.below(PIECES.len())].to_owned(),
            }
        }
        let t: String = chars.concat();
        agree(&t, codec::decode_start_flow_response);
        agree(&t, codec::decode_flow_outcome);
        agree(&t, codec::decode_poll_flow_response);
        agree(&t, codec::decode_error_body);
    }
}

fn random_string(rng: &mut Rng) -> String {
    let len = rng.below(24);
    (0..len)
        .map(|_| match rng.below(4) {
            0 => char::from(rng.below(0x80) as u8),
            1 => char::from_u32(rng.below(0x20) as u32).unwrap_or('a'),
            2 => char::from_u32(0x80 + rng.below(0x800) as u32).unwrap_or('é'),
            _ => char::from_u32(rng.below(0x11_0000) as u32).unwrap_or('\u{1F600}'),
        })
        .collect()
}

#[test]
fn encoding_is_serdes_byte_for_byte() {
    let mut rng = Rng(42);
    let all_ascii: String = (0u8..0x80).map(char::from).collect();
    for i in 0..5_000 {
        let s = |rng: &mut Rng| {
            if i == 0 {
                all_ascii.clone()
            } else {
                random_string(rng)
            }
        };
        let req = c::StartFlowRequest {
            kind: [
                c::FlowKind::Authentication,
                c::FlowKind::Signature,
                c::FlowKind::CertificateChoiceAndSignature,
            ][i % 3],
            presentation: [c::Presentation::App2App, c::Presentation::Qr][i % 2],
            lang: s(&mut rng),
            context: (i % 3 != 0).then(|| s(&mut rng)),
            idempotency_key: s(&mut rng),
            flow_key_challenge: (i % 5 != 0).then(|| s(&mut rng)),
        };
        let hand = codec::encode_start_flow_request(&req);
        assert_eq!(hand, serde_json::to_string(&req).unwrap());
        assert_eq!(
            serde_json::from_str::<c::StartFlowRequest>(&hand).unwrap(),
            req
        );
        let done = c::CompleteFlowRequest {
            flow_handle: s(&mut rng),
            return_url: s(&mut rng),
        };
        let hand = codec::encode_complete_flow_request(&done);
        assert_eq!(hand, serde_json::to_string(&done).unwrap());
        assert_eq!(
            serde_json::from_str::<c::CompleteFlowRequest>(&hand).unwrap(),
            done
        );
        // and the reader reads what serde writes, for every string
        let p = c::ErrorBody {
            detail: s(&mut rng),
            ..c::ErrorBody::new("x", "")
        };
        let t = serde_json::to_string(&p).unwrap();
        assert_eq!(codec::decode_error_body(&t).unwrap(), p);
    }
}

#[test]
fn the_f64_range_check_matches_a_float_parser() {
    let mut cases: Vec<String> = [
        "0",
        "-0",
        "0.0",
        "0e999999999999999999",
        "1",
        "-1",
        "1e308",
        "1e309",
        "-1e309",
        "1.7976931348623157e308",
        "1.7976931348623158e308",
        "1.7976931348623159e308",
        "1.8e308",
        "179769313486231570000000000000000000000e270",
        "0.00001e313",
        "0.1e309",
        "10e307",
        "100e307",
        "1e-400",
        "1e-99999999999999999999",
        "1e99999999999999999999",
        "123456789012345678901234567890",
        "0.000000000000000000001",
        "5E+3",
        "2.5e-3",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let mut rng = Rng(7);
    for _ in 0..5_000 {
        let int = rng.below(1_000_000).to_string();
        let e = rng.below(700) as i64 - 350;
        cases.push(format!("{int}.{}e{e}", rng.below(1000)));
    }
    for n in &cases {
        let want = n.parse::<f64>().unwrap().is_finite();
        assert_eq!(codec::fits_f64(n), want, "{n}");
    }
}
