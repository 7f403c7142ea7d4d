//! A small strict JSON reader and writer (RFC 8259) and the mapping of the contract messages,
//! written by hand (feature `codec`, off by default; it adds no dependency).
//!
//! The contract types are serde types, and the backend kit reads and writes them with serde.
//! A program that only needs the JSON of the phone's side of the contract (the mobile library's
//! `json` feature) can use this module instead, and so not carry serde's per-type code (about
//! 170 KB of stripped library; this is a few KB): the encoders of the two requests the phone
//! sends ([`encode_start_flow_request`], [`encode_complete_flow_request`]) and the decoders of
//! what it receives ([`decode_start_flow_response`], [`decode_poll_flow_response`],
//! [`decode_flow_outcome`], [`decode_error_body`]). The decoders read the JSON only: callers
//! still run the message's `validate()`.
//!
//! The tests of `tests/codec_equiv.rs` and the fuzz target `contract_codec` check that both
//! agree byte for byte on what is encoded and on what is accepted, with the differences below.
//!
//! Reading is serde's reading of the same types (unknown fields ignored, `null` for an absent
//! optional field, exact unsigned integers: no sign, fraction or exponent, in range; for the
//! internally tagged enums, every number of the document must fit an `f64`, as serde's
//! buffering requires), except where this reader is stricter on input no conforming backend
//! writes:
//!
//! * a key twice in one object is refused (serde refuses a known field twice, but ignores a
//!   repeated unknown one);
//! * nesting deeper than [`MAX_DEPTH`] is refused everywhere (serde_json skips unknown values of
//!   a plain struct without a depth limit);
//! * a lone UTF-16 surrogate escape is refused everywhere (serde_json lets one pass inside an
//!   unknown value of a plain struct);
//! * a message must be a JSON object (serde's derive also reads a struct from an array of its
//!   fields in order).
//!
//! Over 600 lines on purpose: the reader, the writer and the per-type mapping are one unit whose
//! every rule is compared with serde; kept in one file, the list above sits next to all the
//! code it describes.

use crate as c;
use sidkit_proto::device_link::SessionType;
use sidkit_proto::models::{CertificateLevel, EndResult};

/// Deepest nesting of arrays and objects accepted (serde_json's recursion limit: 127 levels).
pub const MAX_DEPTH: usize = 128;

/// What every function of this module returns: the error is a short English reason (with the
/// byte offset for syntax errors), for logs and error messages, not for matching on.
pub type R<T> = Result<T, String>;

/// A parsed JSON value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null`.
    Null,
    /// `true` or `false`.
    Bool(bool),
    /// A number exactly as written (its syntax checked); converted only where a field needs it.
    Number(String),
    /// A string, its escapes decoded.
    Str(String),
    /// An array, in document order.
    Array(Vec<Value>),
    /// Members in document order; keys are unique.
    Object(Vec<(String, Value)>),
}

/// Parses one JSON document (RFC 8259: one value, whitespace around it, nothing else), with the
/// strictness listed in the [module documentation](self): duplicate keys, nesting deeper than
/// [`MAX_DEPTH`] and lone surrogate escapes are refused.
pub fn parse(text: &str) -> R<Value> {
    let mut p = Parser {
        s: text,
        b: text.as_bytes(),
        i: 0,
        depth: MAX_DEPTH,
    };
    p.ws();
    let v = p.value()?;
    p.ws();
    if p.i != p.b.len() {
        return Err(p.err("trailing characters"));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a str,
    b: &'a [u8],
    i: usize,
    /// Nesting levels left.
    depth: usize,
}

impl Parser<'_> {
    fn err(&self, what: &str) -> String {
        format!("{what} at byte {}", self.i)
    }

    fn peek(&self) -> Option<u8> {
        self.b.get(self.i).copied()
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.i += 1;
        }
    }

    fn expect(&mut self, c: u8, what: &str) -> R<()> {
        if self.peek() == Some(c) {
            self.i += 1;
            Ok(())
        } else {
            Err(self.err(what))
        }
    }

    fn literal(&mut self, lit: &str, v: Value) -> R<Value> {
        if self
            .b
            .get(self.i..)
            .is_some_and(|r| r.starts_with(lit.as_bytes()))
        {
            self.i += lit.len();
            Ok(v)
        } else {
            Err(self.err("invalid literal"))
        }
    }

    fn value(&mut self) -> R<Value> {
        match self.peek() {
            None => Err(self.err("unexpected end of input")),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'"') => self.string().map(Value::Str),
            Some(b'[') => self.nested(Self::array),
            Some(b'{') => self.nested(Self::object),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.err("expected a JSON value")),
        }
    }

    fn nested(&mut self, f: fn(&mut Self) -> R<Value>) -> R<Value> {
        self.depth -= 1;
        if self.depth == 0 {
            return Err(self.err("nested too deeply"));
        }
        let v = f(self);
        self.depth += 1;
        v
    }

    fn array(&mut self) -> R<Value> {
        self.i += 1;
        let mut items = Vec::new();
        self.ws();
        if self.peek() == Some(b']') {
            self.i += 1;
            return Ok(Value::Array(items));
        }
        loop {
            self.ws();
            items.push(self.value()?);
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                _ => return Err(self.err("expected `,` or `]`")),
            }
        }
    }

    fn object(&mut self) -> R<Value> {
        self.i += 1;
        let mut members: Vec<(String, Value)> = Vec::new();
        self.ws();
        if self.peek() == Some(b'}') {
            self.i += 1;
            return Ok(Value::Object(members));
        }
        loop {
            self.ws();
            if self.peek() != Some(b'"') {
                return Err(self.err("expected a string key"));
            }
            let key = self.string()?;
            self.ws();
            self.expect(b':', "expected `:`")?;
            self.ws();
            let v = self.value()?;
            members.push((key, v));
            self.ws();
            match self.peek() {
                Some(b',') => self.i += 1,
                Some(b'}') => {
                    self.i += 1;
                    break;
                }
                _ => return Err(self.err("expected `,` or `}`")),
            }
        }
        // Duplicate keys, in O(n log n) (a hostile body may have tens of thousands of keys).
        let mut keys: Vec<&str> = members.iter().map(|(k, _)| k.as_str()).collect();
        keys.sort_unstable();
        if let Some(w) = keys.windows(2).find(|w| w[0] == w[1]) {
            return Err(format!("duplicate key `{}`", w[0]));
        }
        Ok(Value::Object(members))
    }

    fn string(&mut self) -> R<String> {
        self.i += 1;
        let mut out = String::new();
        let mut start = self.i;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.err("unterminated string"));
            };
            match c {
                b'"' | b'\\' => {
                    // Runs are split at ASCII bytes only, so the slice is always valid UTF-8.
                    out.push_str(self.s.get(start..self.i).unwrap_or_default());
                    self.i += 1;
                    if c == b'"' {
                        return Ok(out);
                    }
                    self.escape(&mut out)?;
                    start = self.i;
                }
                0..=0x1f => return Err(self.err("control character in string")),
                _ => self.i += 1,
            }
        }
    }

    fn escape(&mut self, out: &mut String) -> R<()> {
        let Some(c) = self.peek() else {
            return Err(self.err("unterminated escape"));
        };
        self.i += 1;
        let ch = match c {
            b'"' => '"',
            b'\\' => '\\',
            b'/' => '/',
            b'b' => '\u{8}',
            b'f' => '\u{c}',
            b'n' => '\n',
            b'r' => '\r',
            b't' => '\t',
            b'u' => {
                let hi = self.hex4()?;
                let cp = match hi {
                    0xD800..=0xDBFF => {
                        if self.b.get(self.i..self.i + 2) != Some(b"\\u") {
                            return Err(self.err("lone leading surrogate in escape"));
                        }
                        self.i += 2;
                        let lo = self.hex4()?;
                        if !(0xDC00..=0xDFFF).contains(&lo) {
                            return Err(self.err("invalid trailing surrogate in escape"));
                        }
                        0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                    }
                    0xDC00..=0xDFFF => return Err(self.err("lone trailing surrogate in escape")),
                    _ => hi,
                };
                char::from_u32(cp).ok_or_else(|| self.err("invalid escape"))?
            }
            _ => return Err(self.err("invalid escape")),
        };
        out.push(ch);
        Ok(())
    }

    fn hex4(&mut self) -> R<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = match self.peek() {
                Some(c @ b'0'..=b'9') => c - b'0',
                Some(c @ b'a'..=b'f') => c - b'a' + 10,
                Some(c @ b'A'..=b'F') => c - b'A' + 10,
                _ => return Err(self.err("invalid hex escape")),
            };
            v = v * 16 + u32::from(d);
            self.i += 1;
        }
        Ok(v)
    }

    fn digits(&mut self) -> usize {
        let from = self.i;
        while let Some(b'0'..=b'9') = self.peek() {
            self.i += 1;
        }
        self.i - from
    }

    fn number(&mut self) -> R<Value> {
        let start = self.i;
        if self.peek() == Some(b'-') {
            self.i += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.i += 1;
                if let Some(b'0'..=b'9') = self.peek() {
                    return Err(self.err("invalid number (leading zero)"));
                }
            }
            Some(b'1'..=b'9') => {
                self.digits();
            }
            _ => return Err(self.err("invalid number")),
        }
        if self.peek() == Some(b'.') {
            self.i += 1;
            if self.digits() == 0 {
                return Err(self.err("invalid number (no digit after `.`)"));
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.i += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.i += 1;
            }
            if self.digits() == 0 {
                return Err(self.err("invalid number (no digit in exponent)"));
            }
        }
        Ok(Value::Number(
            self.s.get(start..self.i).unwrap_or_default().to_owned(),
        ))
    }
}

// ---- writing

/// Appends `s` as a JSON string, escaped as serde_json does: `"` and `\`, the short escapes
/// `\b \f \n \r \t`, other control characters as `\u00xx`; everything else as is.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                let b = c as usize;
                out.push_str("\\u00");
                out.push(char::from(HEX[b >> 4]));
                out.push(char::from(HEX[b & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A JSON object of string members, written in order.
struct ObjectWriter(String);

impl ObjectWriter {
    fn new() -> Self {
        ObjectWriter(String::from("{"))
    }

    fn field(&mut self, key: &str, value: &str) {
        if self.0.len() > 1 {
            self.0.push(',');
        }
        write_str(&mut self.0, key);
        self.0.push(':');
        write_str(&mut self.0, value);
    }

    /// Skipped when `None` (serde's `skip_serializing_if = "Option::is_none"`).
    fn opt(&mut self, key: &str, value: Option<&str>) {
        if let Some(v) = value {
            self.field(key, v);
        }
    }

    fn finish(mut self) -> String {
        self.0.push('}');
        self.0
    }
}

/// The JSON of a start request, byte for byte as serde_json writes it (`serde_json::to_string`).
pub fn encode_start_flow_request(r: &c::StartFlowRequest) -> String {
    let mut w = ObjectWriter::new();
    w.field("kind", r.kind.as_str());
    w.field("presentation", r.presentation.as_str());
    w.field("lang", &r.lang);
    w.opt("context", r.context.as_deref());
    w.field("idempotencyKey", &r.idempotency_key);
    w.opt("flowKeyChallenge", r.flow_key_challenge.as_deref());
    w.finish()
}

/// The JSON of a complete request, byte for byte as serde_json writes it (`serde_json::to_string`).
pub fn encode_complete_flow_request(r: &c::CompleteFlowRequest) -> String {
    let mut w = ObjectWriter::new();
    w.field("flowHandle", &r.flow_handle);
    w.field("returnUrl", &r.return_url);
    w.finish()
}

// ---- reading

/// The members of one object, taken out field by field; what is left is ignored.
struct Fields(Vec<(String, Value)>);

impl Fields {
    fn of(v: Value, what: &str) -> R<Self> {
        match v {
            Value::Object(m) => Ok(Fields(m)),
            _ => Err(format!("{what} must be a JSON object")),
        }
    }

    /// The value of `key`, `None` when absent or `null`.
    fn take(&mut self, key: &str) -> Option<Value> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        match self.0.swap_remove(i).1 {
            Value::Null => None,
            v => Some(v),
        }
    }

    /// Like [`Fields::take`], but `null` stays a value (for fields that are not optional).
    fn take_raw(&mut self, key: &str) -> Option<Value> {
        let i = self.0.iter().position(|(k, _)| k == key)?;
        Some(self.0.swap_remove(i).1)
    }

    fn string(&mut self, key: &str) -> R<String> {
        match self.take_raw(key) {
            None => Err(missing(key)),
            Some(v) => as_string(key, v),
        }
    }

    fn opt_string(&mut self, key: &str) -> R<Option<String>> {
        self.take(key).map(|v| as_string(key, v)).transpose()
    }

    fn object(&mut self, key: &str) -> R<Fields> {
        match self.take_raw(key) {
            None => Err(missing(key)),
            Some(v) => Fields::of(v, &format!("`{key}`")),
        }
    }
}

fn missing(key: &str) -> String {
    format!("missing field `{key}`")
}

fn as_string(key: &str, v: Value) -> R<String> {
    match v {
        Value::Str(s) => Ok(s),
        _ => Err(format!("`{key}` must be a string")),
    }
}

/// An exact unsigned integer of at most `max`: digits only (no sign, fraction or exponent).
fn as_unsigned(key: &str, v: &Value, max: u64) -> R<u64> {
    let bad = || format!("`{key}` must be an integer from 0 to {max}");
    match v {
        Value::Number(n) if n.bytes().all(|b| b.is_ascii_digit()) => {
            n.parse::<u64>().ok().filter(|&x| x <= max).ok_or_else(bad)
        }
        _ => Err(bad()),
    }
}

/// serde buffers an internally tagged enum's members before reading them, and its buffer holds
/// every number as `u64`, `i64` or `f64`: a number outside all three is refused.
fn check_numbers_fit(v: &Value) -> R<()> {
    match v {
        Value::Number(n) if !fits_f64(n) => Err(format!("number {n} is out of range")),
        Value::Array(items) => items.iter().try_for_each(check_numbers_fit),
        Value::Object(m) => m.iter().try_for_each(|(_, v)| check_numbers_fit(v)),
        _ => Ok(()),
    }
}

/// Whether a number (JSON syntax, already checked) is within `f64`'s range, judged from its
/// digits and exponent rather than with a float parser, whose tables alone cost 15 KB: finite
/// below 10^308 and from 10^309 on not, and in between compared with `f64::MAX`'s first 17
/// digits (a number within one unit of the 17th digit of `f64::MAX` may be judged otherwise
/// than by serde_json, which itself does not round exactly there).
pub fn fits_f64(n: &str) -> bool {
    let n = n.strip_prefix('-').unwrap_or(n);
    let (mantissa, exp) = match n.find(['e', 'E']) {
        Some(i) => (&n[..i], &n[i + 1..]),
        None => (n, ""),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = || int.bytes().chain(frac.bytes());
    let zeros = digits().take_while(|&b| b == b'0').count();
    if zeros == int.len() + frac.len() {
        return true; // zero
    }
    let (neg, exp_digits) = match exp.as_bytes().first() {
        Some(b'-') => (true, &exp[1..]),
        Some(b'+') => (false, &exp[1..]),
        _ => (false, exp),
    };
    let e = exp_digits
        .bytes()
        .fold(0i64, |a, b| (a * 10 + i64::from(b - b'0')).min(1_000_000));
    // The value is 0.<significant digits> × 10^magnitude.
    let magnitude = int.len() as i64 - zeros as i64 + if neg { -e } else { e };
    match magnitude {
        m if m < 309 => true,
        309 => {
            let mut sig = digits().skip(zeros).chain(std::iter::repeat(b'0')).take(17);
            b"17976931348623158"
                .iter()
                .map(|&d| (sig.next().unwrap_or(b'0'), d))
                .find(|(a, b)| a != b)
                .is_none_or(|(a, b)| a < b)
        }
        _ => false,
    }
}

fn tag(f: &mut Fields, key: &str) -> R<String> {
    f.string(key)
}

/// Reads a start response (the `201` body of `POST /flows`); the caller still runs
/// [`StartFlowResponse::validate`](crate::StartFlowResponse::validate).
pub fn decode_start_flow_response(text: &str) -> R<c::StartFlowResponse> {
    let mut f = Fields::of(parse(text)?, "the start-flow response")?;
    let flow_handle = f.string("flowHandle")?;
    let st = f.string("sessionType")?;
    let session_type =
        SessionType::parse(&st).ok_or_else(|| format!("unknown sessionType `{st}`"))?;
    let device_link = f.string("deviceLink")?;
    let callback_base = f.opt_string("callbackBase")?;
    let callback_commitment = f.opt_string("callbackCommitment")?;
    let expires_in_ms = match f.take_raw("expiresInMs") {
        None => return Err(missing("expiresInMs")),
        Some(v) => as_unsigned("expiresInMs", &v, u64::MAX)?,
    };
    Ok(c::StartFlowResponse {
        flow_handle,
        session_type,
        device_link,
        callback_base,
        callback_commitment,
        expires_in_ms,
    })
}

/// Reads a flow outcome (the `200` body of `POST /flows/{flowHandle}/complete`); the caller still
/// runs [`FlowOutcome::validate`](crate::FlowOutcome::validate).
pub fn decode_flow_outcome(text: &str) -> R<c::FlowOutcome> {
    let v = parse(text)?;
    check_numbers_fit(&v)?;
    flow_outcome(Fields::of(v, "the flow outcome")?)
}

fn flow_outcome(mut f: Fields) -> R<c::FlowOutcome> {
    let t = tag(&mut f, "result")?;
    match t.as_str() {
        "authenticated" => {
            let identity = identity(f.object("identity")?)?;
            let app_data = f.opt_string("appData")?;
            Ok(c::FlowOutcome::Authenticated { identity, app_data })
        }
        "signed" => {
            let signature = signature(f.object("signature")?)?;
            let app_data = f.opt_string("appData")?;
            Ok(c::FlowOutcome::Signed {
                signature,
                app_data,
            })
        }
        "failed" => {
            let end_result = EndResult::parse(&f.string("endResult")?);
            let interaction = f.opt_string("interaction")?;
            Ok(c::FlowOutcome::Failed {
                end_result,
                interaction,
            })
        }
        other => Err(format!("unknown result `{other}`")),
    }
}

fn certificate_level(f: &mut Fields) -> R<CertificateLevel> {
    let s = f.string("certificateLevel")?;
    CertificateLevel::parse(&s).ok_or_else(|| format!("unknown certificateLevel `{s}`"))
}

fn identity(mut f: Fields) -> R<c::Identity> {
    Ok(c::Identity {
        given_name: f.string("givenName")?,
        surname: f.string("surname")?,
        identifier: f.string("identifier")?,
        country: f.string("country")?,
        document_number: f.string("documentNumber")?,
        certificate_level: certificate_level(&mut f)?,
        date_of_birth: f.opt_string("dateOfBirth")?,
    })
}

fn signature(mut f: Fields) -> R<c::SignatureResult> {
    Ok(c::SignatureResult {
        document_number: f.string("documentNumber")?,
        certificate_level: certificate_level(&mut f)?,
        signature_algorithm: f.string("signatureAlgorithm")?,
        signature_value: f.string("signatureValue")?,
        certificate: f.opt_string("certificate")?,
    })
}

/// Reads a poll response (the `200` body of `GET /flows/{flowHandle}`); the caller still runs
/// [`PollFlowResponse::validate`](crate::PollFlowResponse::validate).
pub fn decode_poll_flow_response(text: &str) -> R<c::PollFlowResponse> {
    let v = parse(text)?;
    check_numbers_fit(&v)?;
    let mut f = Fields::of(v, "the poll response")?;
    let t = tag(&mut f, "status")?;
    match t.as_str() {
        "pending" => Ok(c::PollFlowResponse::Pending {
            device_link: f.opt_string("deviceLink")?,
        }),
        "finished" => {
            let r = f.string("result")?;
            let result = match r.as_str() {
                "authenticated" => c::OutcomeKind::Authenticated,
                "signed" => c::OutcomeKind::Signed,
                "failed" => c::OutcomeKind::Failed,
                _ => return Err(format!("unknown result `{r}`")),
            };
            let outcome = match f.take("outcome") {
                None => None,
                Some(v) => Some(flow_outcome(Fields::of(v, "`outcome`")?)?),
            };
            Ok(c::PollFlowResponse::Finished { result, outcome })
        }
        other => Err(format!("unknown status `{other}`")),
    }
}

/// Reads a problem body (`application/problem+json`; a legacy `message` is read as `detail`, not
/// both); the caller still runs [`ErrorBody::validate`](crate::ErrorBody::validate).
pub fn decode_error_body(text: &str) -> R<c::ErrorBody> {
    let mut f = Fields::of(parse(text)?, "the error body")?;
    let problem_type = match f.take_raw("type") {
        None => String::new(),
        Some(v) => as_string("type", v)?,
    };
    let title = match f.take_raw("title") {
        None => String::new(),
        Some(v) => as_string("title", v)?,
    };
    let status = match f.take("status") {
        None => None,
        Some(v) => {
            let n = as_unsigned("status", &v, u64::from(u16::MAX))?;
            Some(u16::try_from(n).map_err(|_| "`status` is out of range".to_owned())?)
        }
    };
    let code = f.string("code")?;
    let detail = match (f.take_raw("detail"), f.take_raw("message")) {
        (Some(_), Some(_)) => return Err("duplicate field `detail` (and `message`)".to_owned()),
        (None, None) => String::new(),
        (Some(v), None) | (None, Some(v)) => as_string("detail", v)?,
    };
    let retryable = match f.take_raw("retryable") {
        None => false,
        Some(Value::Bool(b)) => b,
        Some(_) => return Err("`retryable` must be true or false".to_owned()),
    };
    Ok(c::ErrorBody {
        problem_type,
        title,
        status,
        code,
        detail,
        retryable,
    })
}
