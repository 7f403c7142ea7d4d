//! Interactions: what the Smart-ID app shows the user (spec §2.2).
//!
//! `interactions` travels as standard Base64 of a minified JSON array. The exact Base64 text that
//! was sent is part of the authCode and (hashed) of the ACSP_V2 payload, so [`Interactions`]
//! keeps it byte-for-byte: it is either produced once by [`Interactions::new`] or taken verbatim
//! by [`Interactions::from_base64`], and never re-serialized.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::b64;
use crate::error::{ProtoError, Result};

/// The type of an interaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum InteractionType {
    /// `displayTextAndPIN`: a text of at most 60 characters on the PIN screen.
    DisplayTextAndPin,
    /// `confirmationMessage`: a text of at most 200 characters on a confirmation screen.
    ConfirmationMessage,
    /// `confirmationMessageAndVerificationCodeChoice`: confirmation plus picking the right
    /// verification code out of three. Notification flows only.
    ConfirmationMessageAndVerificationCodeChoice,
}

impl InteractionType {
    /// The protocol string.
    pub const fn as_str(self) -> &'static str {
        match self {
            InteractionType::DisplayTextAndPin => "displayTextAndPIN",
            InteractionType::ConfirmationMessage => "confirmationMessage",
            InteractionType::ConfirmationMessageAndVerificationCodeChoice => {
                "confirmationMessageAndVerificationCodeChoice"
            }
        }
    }

    /// Parses the protocol string.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "displayTextAndPIN" => Some(InteractionType::DisplayTextAndPin),
            "confirmationMessage" => Some(InteractionType::ConfirmationMessage),
            "confirmationMessageAndVerificationCodeChoice" => {
                Some(InteractionType::ConfirmationMessageAndVerificationCodeChoice)
            }
            _ => None,
        }
    }

    /// The maximum text length of this type (60 or 200).
    pub const fn max_text_len(self) -> usize {
        match self {
            InteractionType::DisplayTextAndPin => 60,
            _ => 200,
        }
    }

    /// The JSON name of this type's text field.
    pub const fn text_field(self) -> &'static str {
        match self {
            InteractionType::DisplayTextAndPin => "displayText60",
            _ => "displayText200",
        }
    }
}

impl fmt::Display for InteractionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which kind of session the interactions are for; decides which types are allowed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InteractionFlow {
    /// Device-link sessions (QR, Web2App, App2App): no verification-code choice.
    DeviceLink,
    /// Notification sessions: all three types.
    Notification,
    /// A notification signature linked to a device-link certificate choice: the device-link set.
    LinkedNotification,
}

impl InteractionFlow {
    /// Whether `t` may be used in this flow.
    pub fn allows(self, t: InteractionType) -> bool {
        match self {
            InteractionFlow::Notification => true,
            InteractionFlow::DeviceLink | InteractionFlow::LinkedNotification => {
                t != InteractionType::ConfirmationMessageAndVerificationCodeChoice
            }
        }
    }
}

/// One interaction: a type and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interaction {
    kind: InteractionType,
    text: String,
}

impl Interaction {
    /// `displayTextAndPIN` with a text of 1–60 characters.
    pub fn display_text_and_pin(text: impl Into<String>) -> Result<Self> {
        Self::new(InteractionType::DisplayTextAndPin, text)
    }

    /// `confirmationMessage` with a text of 1–200 characters.
    pub fn confirmation_message(text: impl Into<String>) -> Result<Self> {
        Self::new(InteractionType::ConfirmationMessage, text)
    }

    /// `confirmationMessageAndVerificationCodeChoice` with a text of 1–200 characters.
    pub fn confirmation_message_and_verification_code_choice(
        text: impl Into<String>,
    ) -> Result<Self> {
        Self::new(
            InteractionType::ConfirmationMessageAndVerificationCodeChoice,
            text,
        )
    }

    /// An interaction of type `kind`; checks the text length.
    ///
    /// Length is counted in UTF-16 code units, the way the (Java) server counts `String`
    /// length; for text without emoji or other astral characters this equals the number of
    /// characters, otherwise it is the stricter count.
    pub fn new(kind: InteractionType, text: impl Into<String>) -> Result<Self> {
        let text = text.into();
        let len = text.encode_utf16().count();
        if len == 0 {
            return Err(ProtoError::invalid(
                "interactions",
                format!("{} of {kind} must not be empty", kind.text_field()),
            ));
        }
        if len > kind.max_text_len() {
            return Err(ProtoError::invalid(
                "interactions",
                format!(
                    "{} of {kind} must be at most {} characters, got {len}",
                    kind.text_field(),
                    kind.max_text_len()
                ),
            ));
        }
        if text.chars().any(|c| c.is_control() && c != '\n') {
            return Err(ProtoError::invalid(
                "interactions",
                format!(
                    "{} of {kind} contains a control character",
                    kind.text_field()
                ),
            ));
        }
        Ok(Interaction { kind, text })
    }

    /// The interaction type.
    pub fn kind(&self) -> InteractionType {
        self.kind
    }

    /// The display text.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// The wire form of one element, used for strict parsing.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInteraction {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "displayText60")]
    display_text_60: Option<String>,
    #[serde(rename = "displayText200")]
    display_text_200: Option<String>,
}

/// The wire form of one element, used for serializing (field order: `type` first).
#[derive(Serialize)]
struct WireInteraction<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "displayText60", skip_serializing_if = "Option::is_none")]
    display_text_60: Option<&'a str>,
    #[serde(rename = "displayText200", skip_serializing_if = "Option::is_none")]
    display_text_200: Option<&'a str>,
}

/// An ordered, validated list of interactions together with the exact Base64 text sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Interactions {
    list: Vec<Interaction>,
    base64: String,
}

impl Interactions {
    /// Validates `list` for `flow` and encodes it (minified JSON, then standard Base64).
    ///
    /// Rules: at least one interaction, no type twice, only types allowed for the flow. The
    /// order is the order of preference.
    pub fn new(flow: InteractionFlow, list: Vec<Interaction>) -> Result<Self> {
        check_list(&list)?;
        let wire: Vec<WireInteraction<'_>> = list
            .iter()
            .map(|i| WireInteraction {
                kind: i.kind.as_str(),
                display_text_60: (i.kind == InteractionType::DisplayTextAndPin)
                    .then_some(i.text.as_str()),
                display_text_200: (i.kind != InteractionType::DisplayTextAndPin)
                    .then_some(i.text.as_str()),
            })
            .collect();
        let json = serde_json::to_vec(&wire)
            .map_err(|e| ProtoError::invalid("interactions", format!("cannot encode: {e}")))?;
        let out = Interactions {
            list,
            base64: b64::encode_std(&json),
        };
        out.check_flow(flow)?;
        Ok(out)
    }

    /// Takes an `interactions` Base64 string as sent (or to be sent) and keeps it verbatim.
    /// The content is decoded and validated with the same rules as [`Interactions::new`], with
    /// every type allowed; call [`Interactions::check_flow`] for a specific flow.
    pub fn from_base64(text: &str) -> Result<Self> {
        if text.len() > 16 * 1024 {
            return Err(ProtoError::invalid("interactions", "longer than 16 KiB"));
        }
        let json = b64::decode_std("interactions", text)?;
        let raw: Vec<RawInteraction> = serde_json::from_slice(&json).map_err(|e| {
            ProtoError::invalid(
                "interactions",
                format!("Base64 content is not a JSON array of interactions: {e}"),
            )
        })?;
        let mut list = Vec::with_capacity(raw.len());
        for r in raw {
            let kind = InteractionType::parse(&r.kind).ok_or_else(|| {
                ProtoError::invalid(
                    "interactions",
                    format!("unknown interaction type `{}`", r.kind),
                )
            })?;
            let text = match (kind, r.display_text_60, r.display_text_200) {
                (InteractionType::DisplayTextAndPin, Some(t), None) => t,
                (InteractionType::DisplayTextAndPin, _, _) => {
                    return Err(ProtoError::invalid(
                        "interactions",
                        "displayTextAndPIN needs displayText60 and no displayText200",
                    ))
                }
                (k, None, Some(t)) => {
                    let _ = k;
                    t
                }
                (k, _, _) => {
                    return Err(ProtoError::invalid(
                        "interactions",
                        format!("{k} needs displayText200 and no displayText60"),
                    ))
                }
            };
            list.push(Interaction::new(kind, text)?);
        }
        check_list(&list)?;
        Ok(Interactions {
            list,
            base64: text.to_owned(),
        })
    }

    /// Fails if an interaction type is not allowed in `flow`.
    pub fn check_flow(&self, flow: InteractionFlow) -> Result<()> {
        if let Some(i) = self.list.iter().find(|i| !flow.allows(i.kind)) {
            return Err(ProtoError::invalid(
                "interactions",
                format!("{} is not allowed in {flow:?} sessions", i.kind),
            ));
        }
        Ok(())
    }

    /// The Base64 text exactly as sent.
    pub fn as_base64(&self) -> &str {
        &self.base64
    }

    /// The interactions, in order of preference.
    pub fn list(&self) -> &[Interaction] {
        &self.list
    }

    /// Whether an interaction of type `t` was offered.
    pub fn contains(&self, t: InteractionType) -> bool {
        self.list.iter().any(|i| i.kind == t)
    }
}

fn check_list(list: &[Interaction]) -> Result<()> {
    if list.is_empty() {
        return Err(ProtoError::invalid(
            "interactions",
            "at least one interaction is required",
        ));
    }
    for (i, a) in list.iter().enumerate() {
        if list[..i].iter().any(|b| b.kind == a.kind) {
            return Err(ProtoError::invalid(
                "interactions",
                format!("{} appears more than once", a.kind),
            ));
        }
    }
    Ok(())
}

impl fmt::Debug for Interactions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Interactions")
            .field("list", &self.list)
            .field("base64", &self.base64)
            .finish()
    }
}

impl Serialize for Interactions {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.base64)
    }
}

impl<'de> Deserialize<'de> for Interactions {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        Interactions::from_base64(&String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC_B64: &str = "W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d";

    #[test]
    fn doc_example_encodes_byte_for_byte() {
        let i = Interactions::new(
            InteractionFlow::DeviceLink,
            vec![
                Interaction::confirmation_message("Longer description of the transaction context")
                    .unwrap(),
                Interaction::display_text_and_pin("Short description of the transaction context")
                    .unwrap(),
            ],
        )
        .unwrap();
        assert_eq!(i.as_base64(), DOC_B64);
        let back = Interactions::from_base64(DOC_B64).unwrap();
        assert_eq!(back, i);
    }

    #[test]
    fn keeps_foreign_base64_verbatim() {
        // The docs serialise `€` as \u20ac: a different byte string for the same JSON value.
        let json = r#"[{"type":"displayTextAndPIN","displayText60":"Pay 5 \u20ac"}]"#;
        let text = b64::encode_std(json.as_bytes());
        let i = Interactions::from_base64(&text).unwrap();
        assert_eq!(i.as_base64(), text);
        assert_eq!(i.list()[0].text(), "Pay 5 €");
        assert_eq!(serde_json::to_string(&i).unwrap(), format!("\"{text}\""));
    }

    #[test]
    fn rules() {
        let pin = || Interaction::display_text_and_pin("x").unwrap();
        let vc = || Interaction::confirmation_message_and_verification_code_choice("x").unwrap();
        assert!(Interactions::new(InteractionFlow::DeviceLink, vec![]).is_err());
        assert!(Interactions::new(InteractionFlow::DeviceLink, vec![pin(), pin()]).is_err());
        assert!(Interactions::new(InteractionFlow::DeviceLink, vec![vc()]).is_err());
        assert!(Interactions::new(InteractionFlow::LinkedNotification, vec![vc()]).is_err());
        assert!(Interactions::new(InteractionFlow::Notification, vec![vc(), pin()]).is_ok());
        assert!(Interaction::display_text_and_pin("a".repeat(60)).is_ok());
        assert!(Interaction::display_text_and_pin("a".repeat(61)).is_err());
        assert!(Interaction::confirmation_message("ä".repeat(200)).is_ok());
        assert!(Interaction::confirmation_message("a".repeat(201)).is_err());
        assert!(Interaction::confirmation_message("").is_err());
        // 30 emoji are 60 UTF-16 units: allowed; 31 are not.
        assert!(Interaction::display_text_and_pin("😀".repeat(30)).is_ok());
        assert!(Interaction::display_text_and_pin("😀".repeat(31)).is_err());
    }

    #[test]
    fn strict_parsing() {
        let enc = |s: &str| b64::encode_std(s.as_bytes());
        for bad in [
            r#"[]"#,
            r#"{}"#,
            r#"[{"type":"displayTextAndPIN"}]"#,
            r#"[{"type":"displayTextAndPIN","displayText200":"x"}]"#,
            r#"[{"type":"confirmationMessage","displayText60":"x"}]"#,
            r#"[{"type":"confirmationMessage","displayText200":"x","displayText60":"y"}]"#,
            r#"[{"type":"somethingElse","displayText200":"x"}]"#,
            r#"[{"type":"displayTextAndPIN","displayText60":"x","extra":1}]"#,
            r#"[{"type":"displayTextAndPIN","displayText60":""}]"#,
        ] {
            assert!(Interactions::from_base64(&enc(bad)).is_err(), "{bad}");
        }
        assert!(Interactions::from_base64("not base64").is_err());
        let vc = enc(
            r#"[{"type":"confirmationMessageAndVerificationCodeChoice","displayText200":"x"}]"#,
        );
        let i = Interactions::from_base64(&vc).unwrap();
        assert!(i.check_flow(InteractionFlow::Notification).is_ok());
        assert!(i.check_flow(InteractionFlow::DeviceLink).is_err());
    }
}
