//! The persisted form of a pending flow.
//!
//! When the user switches to the Smart-ID app, the OS may kill the RP app. The app stores a
//! snapshot (see below for where) and restores the flow when it is started again by the
//! return URL.
//!
//! The snapshot is one line of JSON, a flat object with the version first:
//!
//! ```json
//! {"v":2,"id":"…","kind":"authentication","presentation":"app2app","lang":"eng",
//!  "stage":"awaitingReturn","flowHandle":"…","flowKey":"…","sessionType":"auth",
//!  "deviceLink":"https://smart-id.com/device-link?deviceLinkType=App2App&…",
//!  "callbackBase":"https://rp.example.com/sid/return","callbackCommitment":"…",
//!  "createdAtMs":1767225600000,"deadlineMs":1767225900000}
//! ```
//!
//! **It holds a secret: the flow key** (`flowKey`, since version 2, sidkit contract 2), the
//! proof that a request on the flow comes from this app. Whoever reads a snapshot can poll,
//! complete and cancel that one flow until it ends (minutes), so store it like a session
//! cookie: the Android wrapper keeps it in `noBackupFilesDir`, excluded from backup and device
//! transfer, the iOS wrapper in the Keychain with `kSecAttrAccessibleWhenUnlockedThisDeviceOnly`;
//! never in backed-up preferences, `UserDefaults`, a `Bundle` or scene storage. The key prints
//! as `[redacted]` in `Debug`. Nothing else in it is secret: no session secret, session ID,
//! challenge, digest or callback URL (the phone never has them) and not the callback token
//! (only its SHA-256 commitment). The device link may be on the phone by design (spec §12.2).
//! A version-1 snapshot (contract 1, no key) is refused: start a new flow.
//!
//! The reader is strict: a flat object of strings without escape sequences and unsigned
//! integers, every field once, no unknown field, and a version it knows; a future version will
//! add a reader for this one. The codec is written by hand (no serde), which keeps JSON
//! machinery out of a mobile library built without the JSON contract helpers.

use std::fmt::Write as _;

use crate::error::FlowFailure;
use crate::error::{AppError, Result};
use sidkit_contract::{decode_commitment, validate_flow_handle, FlowKey, FlowKind, Presentation};
use sidkit_proto::device_link::SessionType;

/// The snapshot format version this crate writes.
pub const SNAPSHOT_VERSION: u32 = 2;
/// Longest snapshot accepted by [`FlowSnapshot::decode`].
pub const MAX_SNAPSHOT_LEN: usize = 8 * 1024;

/// Where the flow was when the snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SnapshotStage {
    /// App2App link checked, not yet opened.
    ReadyToLaunch,
    /// App2App link opened; waiting for the return URL.
    AwaitingReturn,
    /// QR code being shown.
    ShowingQr,
}

impl SnapshotStage {
    /// The JSON name (`readyToLaunch`, `awaitingReturn`, `showingQr`).
    pub const fn as_str(self) -> &'static str {
        match self {
            SnapshotStage::ReadyToLaunch => "readyToLaunch",
            SnapshotStage::AwaitingReturn => "awaitingReturn",
            SnapshotStage::ShowingQr => "showingQr",
        }
    }

    /// Parses the JSON name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            SnapshotStage::ReadyToLaunch,
            SnapshotStage::AwaitingReturn,
            SnapshotStage::ShowingQr,
        ]
        .into_iter()
        .find(|x| x.as_str() == s)
    }
}

/// A snapshot of a pending flow, holding its flow key (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSnapshot {
    /// The format version, always [`SNAPSHOT_VERSION`] (written first, as `v`).
    pub version: u32,
    /// The local flow id.
    pub id: String,
    /// The flow kind.
    pub kind: FlowKind,
    /// App2App or QR.
    pub presentation: Presentation,
    /// Fallback-page language.
    pub lang: String,
    /// Where the flow was.
    pub stage: SnapshotStage,
    /// The backend's flow handle.
    pub flow_handle: String,
    /// The flow key (secret; prints as `[redacted]`).
    pub flow_key: FlowKey,
    /// The Smart-ID session type.
    pub session_type: SessionType,
    /// The device link (App2App) or the latest QR link.
    pub device_link: String,
    /// App2App: the callback base the flow was started with.
    pub callback_base: Option<String>,
    /// App2App: the commitment to the callback token.
    pub callback_commitment: Option<String>,
    /// Creation time, Unix ms.
    pub created_at_ms: u64,
    /// Overall deadline, Unix ms.
    pub deadline_ms: u64,
}

fn snap_err(why: impl Into<String>) -> AppError {
    FlowFailure::Snapshot(why.into()).into()
}

/// Appends `"key":"value"` with JSON string escaping.
fn put_str(out: &mut String, key: &str, value: &str) {
    if out.len() > 1 {
        out.push(',');
    }
    out.push('"');
    out.push_str(key);
    out.push_str("\":\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn put_num(out: &mut String, key: &str, value: u64) {
    if out.len() > 1 {
        out.push(',');
    }
    let _ = write!(out, "\"{key}\":{value}");
}

/// A value of the flat snapshot object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Value<'a> {
    Str(&'a str),
    Num(u64),
}

/// Reads a flat JSON object whose values are strings without escapes or unsigned integers.
fn parse_flat(s: &str) -> std::result::Result<Vec<(&str, Value<'_>)>, String> {
    let b = s.as_bytes();
    let mut i = 0;
    let ws = |i: &mut usize| {
        while matches!(b.get(*i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            *i += 1;
        }
    };
    let string = |i: &mut usize| -> std::result::Result<&str, String> {
        if b.get(*i) != Some(&b'"') {
            return Err(format!("expected a string at byte {}", *i));
        }
        let start = *i + 1;
        let mut j = start;
        loop {
            match b.get(j) {
                None => return Err("unterminated string".to_owned()),
                Some(b'"') => break,
                Some(b'\\') => return Err("escape sequences are not used in snapshots".to_owned()),
                Some(c) if *c < 0x20 => return Err("control character in a string".to_owned()),
                Some(_) => j += 1,
            }
        }
        *i = j + 1;
        s.get(start..j)
            .ok_or_else(|| "invalid UTF-8 boundary".to_owned())
    };
    let mut out = Vec::new();
    ws(&mut i);
    if b.get(i) != Some(&b'{') {
        return Err("not a JSON object".to_owned());
    }
    i += 1;
    ws(&mut i);
    if b.get(i) == Some(&b'}') {
        i += 1;
    } else {
        loop {
            ws(&mut i);
            let key = string(&mut i)?;
            ws(&mut i);
            if b.get(i) != Some(&b':') {
                return Err(format!("expected `:` after `{key}`"));
            }
            i += 1;
            ws(&mut i);
            let value = match b.get(i) {
                Some(b'"') => Value::Str(string(&mut i)?),
                Some(c) if c.is_ascii_digit() => {
                    let start = i;
                    while b.get(i).is_some_and(u8::is_ascii_digit) {
                        i += 1;
                    }
                    let digits = s.get(start..i).unwrap_or_default();
                    if digits.len() > 1 && digits.starts_with('0') {
                        return Err(format!("`{key}` has a leading zero"));
                    }
                    Value::Num(
                        digits
                            .parse()
                            .map_err(|_| format!("`{key}` is out of range"))?,
                    )
                }
                _ => return Err(format!("`{key}` must be a string or an unsigned integer")),
            };
            out.push((key, value));
            ws(&mut i);
            match b.get(i) {
                Some(b',') => i += 1,
                Some(b'}') => {
                    i += 1;
                    break;
                }
                _ => return Err(format!("expected `,` or `}}` after `{key}`")),
            }
        }
    }
    ws(&mut i);
    if i != b.len() {
        return Err("trailing characters after the object".to_owned());
    }
    Ok(out)
}

impl FlowSnapshot {
    /// Checks the fields (the flow checks the link and the callback base on restore).
    pub fn validate(&self) -> Result<()> {
        if self.version != SNAPSHOT_VERSION {
            return Err(AppError::invalid(
                "v",
                format!("must be {SNAPSHOT_VERSION}"),
            ));
        }
        let id_ok = self.id.len() == 22 && sidkit_proto::b64::is_url_alphabet(&self.id);
        if !id_ok {
            return Err(AppError::invalid("id", "must be 22 Base64URL characters"));
        }
        sidkit_proto::validate::lang(&self.lang)?;
        validate_flow_handle(&self.flow_handle)?;
        if self.device_link.is_empty() || self.device_link.len() > 2048 {
            return Err(AppError::invalid(
                "deviceLink",
                "must be 1 to 2048 characters",
            ));
        }
        if let Some(b) = &self.callback_base {
            sidkit_proto::url::parse_https("callbackBase", b)?;
        }
        if let Some(c) = &self.callback_commitment {
            decode_commitment(c)?;
        }
        if self.deadline_ms < self.created_at_ms
            || self.deadline_ms - self.created_at_ms > crate::config::MAX_MAX_FLOW_DURATION_MS
        {
            return Err(AppError::invalid(
                "deadlineMs",
                "must be within 60 minutes after createdAtMs",
            ));
        }
        Ok(())
    }

    /// The snapshot as one line of JSON, version first, in the documented field order.
    pub fn encode(&self) -> String {
        let mut s = String::with_capacity(256 + self.device_link.len());
        s.push('{');
        put_num(&mut s, "v", u64::from(self.version));
        put_str(&mut s, "id", &self.id);
        put_str(&mut s, "kind", self.kind.as_str());
        put_str(&mut s, "presentation", self.presentation.as_str());
        put_str(&mut s, "lang", &self.lang);
        put_str(&mut s, "stage", self.stage.as_str());
        put_str(&mut s, "flowHandle", &self.flow_handle);
        put_str(&mut s, "flowKey", self.flow_key.expose());
        put_str(&mut s, "sessionType", self.session_type.as_str());
        put_str(&mut s, "deviceLink", &self.device_link);
        if let Some(b) = &self.callback_base {
            put_str(&mut s, "callbackBase", b);
        }
        if let Some(c) = &self.callback_commitment {
            put_str(&mut s, "callbackCommitment", c);
        }
        put_num(&mut s, "createdAtMs", self.created_at_ms);
        put_num(&mut s, "deadlineMs", self.deadline_ms);
        s.push('}');
        s
    }

    /// Reads a snapshot written by [`encode`](Self::encode). Fails with
    /// [`FlowFailure::Snapshot`] on anything else: too long, not the snapshot's JSON shape, an
    /// unknown version, unknown, repeated or missing fields, invalid values.
    pub fn decode(s: &str) -> Result<Self> {
        if s.len() > MAX_SNAPSHOT_LEN {
            return Err(snap_err(format!("longer than {MAX_SNAPSHOT_LEN} bytes")));
        }
        // The version first, so that a newer format gets a clear error.
        if let Some(rest) = s.trim_start().strip_prefix("{\"v\":") {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Ok(v) = digits.parse::<u64>() {
                if v == 1 {
                    return Err(snap_err(
                        "snapshot version 1 has no flow key (sidkit contract 1): start a new flow",
                    ));
                }
                if v != u64::from(SNAPSHOT_VERSION) {
                    return Err(snap_err(format!(
                        "unsupported snapshot version {v} (this build reads version {SNAPSHOT_VERSION})"
                    )));
                }
            }
        }
        let fields = parse_flat(s).map_err(|e| snap_err(format!("not a flow snapshot: {e}")))?;
        let mut slots: [Option<Value<'_>>; 14] = [None; 14];
        const KEYS: [&str; 14] = [
            "v",
            "id",
            "kind",
            "presentation",
            "lang",
            "stage",
            "flowHandle",
            "flowKey",
            "sessionType",
            "deviceLink",
            "callbackBase",
            "callbackCommitment",
            "createdAtMs",
            "deadlineMs",
        ];
        for (key, value) in fields {
            let i = KEYS
                .iter()
                .position(|k| *k == key)
                .ok_or_else(|| snap_err(format!("unknown field `{}`", truncate(key))))?;
            let slot = slots
                .get_mut(i)
                .ok_or_else(|| snap_err("internal: field index"))?;
            if slot.replace(value).is_some() {
                return Err(snap_err(format!("field `{key}` appears twice")));
            }
        }
        let get = |i: usize| slots.get(i).copied().flatten();
        let text = |i: usize| -> Result<Option<&str>> {
            match get(i) {
                None => Ok(None),
                Some(Value::Str(s)) => Ok(Some(s)),
                Some(Value::Num(_)) => Err(snap_err(format!("`{}` must be a string", KEYS[i]))),
            }
        };
        let req_text = |i: usize| -> Result<&str> {
            text(i)?.ok_or_else(|| snap_err(format!("missing field `{}`", KEYS[i])))
        };
        let num = |i: usize| -> Result<u64> {
            match get(i) {
                Some(Value::Num(n)) => Ok(n),
                Some(Value::Str(_)) => Err(snap_err(format!("`{}` must be a number", KEYS[i]))),
                None => Err(snap_err(format!("missing field `{}`", KEYS[i]))),
            }
        };
        let version = u32::try_from(num(0)?).map_err(|_| snap_err("version out of range"))?;
        let kind = req_text(2)?;
        let presentation = req_text(3)?;
        let stage = req_text(5)?;
        let session_type = req_text(8)?;
        let snapshot = FlowSnapshot {
            version,
            id: req_text(1)?.to_owned(),
            kind: FlowKind::parse(kind)
                .ok_or_else(|| snap_err(format!("unknown kind `{}`", truncate(kind))))?,
            presentation: Presentation::parse(presentation).ok_or_else(|| {
                snap_err(format!("unknown presentation `{}`", truncate(presentation)))
            })?,
            lang: req_text(4)?.to_owned(),
            stage: SnapshotStage::parse(stage)
                .ok_or_else(|| snap_err(format!("unknown stage `{}`", truncate(stage))))?,
            flow_handle: req_text(6)?.to_owned(),
            flow_key: FlowKey::parse(req_text(7)?).map_err(|e| snap_err(e.to_string()))?,
            session_type: SessionType::parse(session_type).ok_or_else(|| {
                snap_err(format!("unknown sessionType `{}`", truncate(session_type)))
            })?,
            device_link: req_text(9)?.to_owned(),
            callback_base: text(10)?.map(str::to_owned),
            callback_commitment: text(11)?.map(str::to_owned),
            created_at_ms: num(12)?,
            deadline_ms: num(13)?,
        };
        snapshot.validate().map_err(|e| snap_err(e.to_string()))?;
        Ok(snapshot)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> FlowSnapshot {
        FlowSnapshot {
            version: SNAPSHOT_VERSION,
            id: "AAAAAAAAAAAAAAAAAAAAAA".into(),
            kind: FlowKind::Authentication,
            presentation: Presentation::App2App,
            lang: "eng".into(),
            stage: SnapshotStage::AwaitingReturn,
            flow_handle: "fh_0123456789abcdef".into(),
            flow_key: FlowKey::parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8").unwrap(),
            session_type: SessionType::Auth,
            device_link: "https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo".into(),
            callback_base: Some("https://rp.example.com/smart-id/return".into()),
            callback_commitment: Some("A".repeat(43)),
            created_at_ms: 1_767_225_600_000,
            deadline_ms: 1_767_225_900_000,
        }
    }

    #[test]
    fn the_documented_format() {
        let text = sample().encode();
        assert_eq!(
            text,
            concat!(
                r#"{"v":2,"id":"AAAAAAAAAAAAAAAAAAAAAA","kind":"authentication","presentation":"app2app","lang":"eng","#,
                r#""stage":"awaitingReturn","flowHandle":"fh_0123456789abcdef","flowKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","sessionType":"auth","#,
                r#""deviceLink":"https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo","#,
                r#""callbackBase":"https://rp.example.com/smart-id/return","callbackCommitment":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA","#,
                r#""createdAtMs":1767225600000,"deadlineMs":1767225900000}"#
            )
        );
        assert_eq!(FlowSnapshot::decode(&text).unwrap(), sample());
        // Any JSON whitespace and field order is read, too.
        let spaced = text
            .replace(',', " ,\n ")
            .replace(':', " : ")
            .replace("https : ", "https:");
        assert_eq!(
            FlowSnapshot::decode(&format!(" {spaced} ")).unwrap(),
            sample()
        );
        let mut qr = sample();
        qr.presentation = Presentation::Qr;
        qr.stage = SnapshotStage::ShowingQr;
        qr.callback_base = None;
        qr.callback_commitment = None;
        assert!(!qr.encode().contains("callback"));
        assert_eq!(FlowSnapshot::decode(&qr.encode()).unwrap(), qr);
    }

    #[test]
    fn strict_reader() {
        let text = sample().encode();
        let bad = [
            text.replace(r#"{"v":2"#, r#"{"v":3"#),
            text.replace(r#"{"v":2"#, r#"{"v":1"#),
            text.replace(r#"{"v":2"#, r#"{"v":02"#),
            text.replace(r#"{"v":2"#, r#"{"v":"2""#),
            // The flow key: required, well-formed.
            text.replace(
                r#""flowKey":"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8","#,
                "",
            ),
            text.replace(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh",
            ),
            text.replace(
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8",
                "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9",
            ),
            text.replace(r#""lang":"eng""#, r#""lang":"eng","lang":"eng""#),
            text.replace(r#""lang":"eng""#, r#""lang":"eng","x":1"#),
            text.replace(r#""lang":"eng","#, ""),
            text.replace(r#""lang":"eng""#, r#""lang":"e\u006eg""#),
            text.replace(r#""lang":"eng""#, r#""lang":null"#),
            text.replace(r#""lang":"eng""#, r#""lang":{"a":1}"#),
            text.replace(r#""createdAtMs":1767225600000"#, r#""createdAtMs":-1"#),
            text.replace(
                r#""createdAtMs":1767225600000"#,
                r#""createdAtMs":99999999999999999999999"#,
            ),
            text.replace(r#""kind":"authentication""#, r#""kind":"payment""#),
            text.replace(r#""stage":"awaitingReturn""#, r#""stage":"done""#),
            format!("{text}x"),
            text[..text.len() - 1].to_owned(),
            "{}".to_owned(),
            "[]".to_owned(),
            String::new(),
            "{\"v\":2,}".to_owned(),
        ];
        for b in bad {
            let e = FlowSnapshot::decode(&b).unwrap_err();
            assert_eq!(e.code(), "flow_snapshot", "{b}");
        }
        assert!(
            FlowSnapshot::decode(&text.replace(r#"{"v":2"#, r#"{"v":3"#))
                .unwrap_err()
                .to_string()
                .contains("unsupported snapshot version 3")
        );
        assert!(
            FlowSnapshot::decode(&text.replace(r#"{"v":2"#, r#"{"v":1"#))
                .unwrap_err()
                .to_string()
                .contains("no flow key")
        );
        // The key never shows in Debug.
        let dbg = format!("{:?}", sample());
        assert!(
            !dbg.contains("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"),
            "{dbg}"
        );
        assert!(dbg.contains("[redacted]"), "{dbg}");
        // Escaping keeps the output valid JSON even for values the reader then refuses.
        let mut odd = sample();
        odd.lang = "a\"\\\u{1}".into();
        assert!(odd.encode().contains(r#""lang":"a\"\\\u0001""#));
        assert!(FlowSnapshot::decode(&odd.encode()).is_err());
    }
}
