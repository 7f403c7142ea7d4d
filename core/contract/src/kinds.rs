//! What a flow is: [`FlowKind`] and [`Presentation`], and the serde form of the session type.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use sidkit_proto::device_link::{DeviceLinkType, SessionType};

/// What the user does in the Smart-ID app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum FlowKind {
    /// Authentication (device-link session type `auth`).
    Authentication,
    /// Signature with a known document number or identity (session type `sign`).
    Signature,
    /// Certificate choice followed by a linked notification signature: the user picks the
    /// signing certificate in the app, the backend builds the digest and starts the linked
    /// signature, and the callback comes after the signature (session type `cert`).
    CertificateChoiceAndSignature,
}

impl FlowKind {
    /// The device-link `sessionType` this flow's link must carry.
    pub const fn session_type(self) -> SessionType {
        match self {
            FlowKind::Authentication => SessionType::Auth,
            FlowKind::Signature => SessionType::Sign,
            FlowKind::CertificateChoiceAndSignature => SessionType::Cert,
        }
    }

    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            FlowKind::Authentication => "authentication",
            FlowKind::Signature => "signature",
            FlowKind::CertificateChoiceAndSignature => "certificateChoiceAndSignature",
        }
    }

    /// Parses the JSON name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            FlowKind::Authentication,
            FlowKind::Signature,
            FlowKind::CertificateChoiceAndSignature,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

impl fmt::Display for FlowKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the device link reaches the Smart-ID app.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Presentation {
    /// Same device: the app opens an `App2App` link and gets a return URL back.
    #[serde(rename = "app2app")]
    App2App,
    /// Other device (tablet, kiosk): the app shows a dynamic QR code, a new link every second
    /// fetched from the backend, and learns the outcome by polling.
    #[serde(rename = "qr")]
    Qr,
}

impl Presentation {
    /// The `deviceLinkType` of this presentation's links.
    pub const fn link_type(self) -> DeviceLinkType {
        match self {
            Presentation::App2App => DeviceLinkType::App2App,
            Presentation::Qr => DeviceLinkType::Qr,
        }
    }

    /// The JSON name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Presentation::App2App => "app2app",
            Presentation::Qr => "qr",
        }
    }

    /// Parses the JSON name.
    pub fn parse(s: &str) -> Option<Self> {
        [Presentation::App2App, Presentation::Qr]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

impl fmt::Display for Presentation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Serde for [`SessionType`] as its protocol string (`auth`, `sign`, `cert`).
pub(crate) mod session_type_str {
    use super::*;

    pub fn serialize<S: Serializer>(t: &SessionType, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(t.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<SessionType, D::Error> {
        let s = String::deserialize(d)?;
        SessionType::parse(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown sessionType `{s}`")))
    }
}
