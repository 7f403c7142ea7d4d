//! The check of a device link before the app launches it or shows it as a QR code.
//!
//! The link comes from the app's own backend, but the phone still refuses to open anything that
//! is not a well-formed Smart-ID device link on an allowed base: a compromised or misconfigured
//! backend must not be able to make the app open an arbitrary URL, and a link for the wrong
//! session type or link type would fail later in a way the user cannot understand.

use crate::error::{AppError, LinkRejection, Result};
use sidkit_proto::device_link::{parse_device_link, DeviceLinkType, ParsedDeviceLink, SessionType};
use sidkit_proto::env::{Environment, DEMO_DEVICE_LINK_BASE, LIVE_DEVICE_LINK_BASE};

/// The allow-list of device-link bases the app opens links on.
///
/// Bases are compared byte for byte with everything before the link's `?` (the RP API returns
/// `deviceLinkBase` verbatim and links must be built on it unchanged, spec §4.1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceLinkPolicy {
    bases: Vec<String>,
}

impl DeviceLinkPolicy {
    /// LIVE: `https://smart-id.com/device-link`.
    pub fn live() -> Self {
        DeviceLinkPolicy {
            bases: vec![LIVE_DEVICE_LINK_BASE.to_owned()],
        }
    }

    /// DEMO: `https://sid.demo.sk.ee/device-link`.
    pub fn demo() -> Self {
        DeviceLinkPolicy {
            bases: vec![DEMO_DEVICE_LINK_BASE.to_owned()],
        }
    }

    /// The device-link bases of an [`Environment`].
    pub fn for_environment(env: &Environment) -> Result<Self> {
        Self::new(env.device_link_bases.clone())
    }

    /// A custom allow-list (e.g. a local simulator). Each base must be an `https` URL without
    /// query or fragment; the list must not be empty.
    pub fn new(bases: Vec<String>) -> Result<Self> {
        let mut p = DeviceLinkPolicy { bases: Vec::new() };
        for b in bases {
            p = p.with_base(&b)?;
        }
        if p.bases.is_empty() {
            return Err(AppError::invalid(
                "deviceLinkBases",
                "the allow-list of device-link bases must not be empty",
            ));
        }
        Ok(p)
    }

    /// Adds a base to the allow-list.
    pub fn with_base(mut self, base: &str) -> Result<Self> {
        let u = sidkit_proto::url::parse_https("deviceLinkBase", base)?;
        if u.query.is_some() {
            return Err(AppError::invalid(
                "deviceLinkBase",
                "must not contain `?`: the link parameters are appended to it",
            ));
        }
        if !self.bases.iter().any(|b| b == base) {
            self.bases.push(base.to_owned());
        }
        Ok(self)
    }

    /// The allowed bases.
    pub fn bases(&self) -> &[String] {
        &self.bases
    }

    /// Checks `link` before it is opened or shown: a strictly well-formed device link
    /// ([`parse_device_link`]: `https`, parameters in order and exactly once, 24+ character
    /// session token, 43-character authCode, `version=1.0`), on an allowed base, of
    /// `expected_type`, for `expected_session`.
    pub fn check(
        &self,
        link: &str,
        expected_type: DeviceLinkType,
        expected_session: SessionType,
    ) -> std::result::Result<ParsedDeviceLink, LinkRejection> {
        if !link.starts_with("https://") {
            return Err(LinkRejection::Malformed(
                "must start with `https://`".to_owned(),
            ));
        }
        let parsed =
            parse_device_link(link).map_err(|e| LinkRejection::Malformed(e.reason().to_owned()))?;
        if !self.bases.contains(&parsed.device_link_base) {
            return Err(LinkRejection::BaseNotAllowed(
                parsed.device_link_base.chars().take(120).collect(),
            ));
        }
        if parsed.link_type != expected_type {
            return Err(LinkRejection::WrongLinkType {
                expected: expected_type,
                actual: parsed.link_type,
            });
        }
        if parsed.session_type != expected_session {
            return Err(LinkRejection::SessionTypeMismatch {
                expected: expected_session,
                actual: parsed.session_type,
            });
        }
        Ok(parsed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo";

    #[test]
    fn accepts_the_documented_app2app_link() {
        let p = DeviceLinkPolicy::live()
            .check(LINK, DeviceLinkType::App2App, SessionType::Auth)
            .unwrap();
        assert_eq!(p.session_token, "wGIrqveE6AuGDATZKmR1mtAZ");
    }

    #[test]
    fn rejections_are_typed() {
        let live = DeviceLinkPolicy::live();
        let chk = |l: &str| live.check(l, DeviceLinkType::App2App, SessionType::Auth);
        assert_eq!(
            chk(&LINK.replace("https://smart-id.com", "https://evil.example")),
            Err(LinkRejection::BaseNotAllowed(
                "https://evil.example/device-link".into()
            ))
        );
        assert!(matches!(
            DeviceLinkPolicy::demo().check(LINK, DeviceLinkType::App2App, SessionType::Auth),
            Err(LinkRejection::BaseNotAllowed(_))
        ));
        assert!(matches!(
            chk(&LINK.replace("https://", "http://")),
            Err(LinkRejection::Malformed(_))
        ));
        assert!(matches!(
            chk(&LINK.replace("App2App", "Web2App")),
            Err(LinkRejection::WrongLinkType {
                expected: DeviceLinkType::App2App,
                actual: DeviceLinkType::Web2App
            })
        ));
        assert!(matches!(
            chk(&LINK.replace("sessionType=auth", "sessionType=sign")),
            Err(LinkRejection::SessionTypeMismatch { .. })
        ));
        assert!(matches!(
            chk(&LINK.replace("wGIrqveE6AuGDATZKmR1mtAZ", "short")),
            Err(LinkRejection::Malformed(_))
        ));
        assert!(matches!(
            chk(&format!("{LINK}&x=1")),
            Err(LinkRejection::Malformed(_))
        ));
        assert!(matches!(
            chk(&LINK.replace("authCode=00N", "authCode=0N")),
            Err(LinkRejection::Malformed(_))
        ));
        assert!(matches!(chk(""), Err(LinkRejection::Malformed(_))));
    }

    #[test]
    fn custom_policies() {
        assert!(DeviceLinkPolicy::new(vec![]).is_err());
        assert!(DeviceLinkPolicy::new(vec!["http://localhost/device-link".into()]).is_err());
        assert!(DeviceLinkPolicy::new(vec!["https://sim.local/device-link?x".into()]).is_err());
        let p = DeviceLinkPolicy::live()
            .with_base(DEMO_DEVICE_LINK_BASE)
            .unwrap()
            .with_base(DEMO_DEVICE_LINK_BASE)
            .unwrap();
        assert_eq!(p.bases().len(), 2);
        assert_eq!(
            DeviceLinkPolicy::for_environment(&Environment::demo()).unwrap(),
            DeviceLinkPolicy::demo()
        );
    }
}
