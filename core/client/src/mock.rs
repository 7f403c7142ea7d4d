//! SK's automated-testing interface (the DEMO Mock Service, spec §11): device-link sessions in
//! DEMO do not complete by themselves, so an RP's CI plays the Smart-ID app by posting the
//! device link to `https://sid.demo.sk.ee/mock/device-link` (SK's "autosigner" API). The test
//! account's document number selects the outcome; for same-device flows the Mock Service then
//! opens the callback URL with the browser cookie, and the session result is read with
//! [`SmartIdClient::session_status`] as usual. The simulator's mock endpoint speaks the same
//! API.
//!
//! The Mock Service exists only in DEMO: a client for LIVE refuses to call it.

use reqwest::header::{HeaderValue, ACCEPT, CONTENT_TYPE};
use serde::Serialize;
use zeroize::Zeroizing;

use sidkit_proto::device_link::{parse_device_link, DeviceLinkType};
use sidkit_proto::env::LIVE_BASE_URL;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::secret::REDACTED;

use crate::api::Endpoint;
use crate::{ClientError, Result, SmartIdClient};

/// The Mock Service's path on the RP API host.
pub const MOCK_DEVICE_LINK_PATH: &str = "/mock/device-link";

/// What the Mock Service is asked to do: open `device_link` as the test account
/// `document_number`. Build it with [`MockDeviceLinkRequest::qr`] or
/// [`MockDeviceLinkRequest::same_device`], which check it.
#[derive(Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct MockDeviceLinkRequest {
    document_number: String,
    device_link: String,
    flow_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    browser_cookie: Option<Zeroizing<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    initial_callback_url: Option<Zeroizing<String>>,
}

impl std::fmt::Debug for MockDeviceLinkRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MockDeviceLinkRequest")
            .field("document_number", &self.document_number)
            .field("device_link", &self.device_link)
            .field("flow_type", &self.flow_type)
            .field(
                "browser_cookie",
                &self.browser_cookie.as_ref().map(|_| REDACTED),
            )
            .field(
                "initial_callback_url",
                &self.initial_callback_url.as_ref().map(|_| REDACTED),
            )
            .finish()
    }
}

fn flow_name(t: DeviceLinkType) -> &'static str {
    match t {
        DeviceLinkType::Qr => "QR",
        DeviceLinkType::Web2App => "Web2App",
        DeviceLinkType::App2App => "App2App",
    }
}

impl MockDeviceLinkRequest {
    fn checked(document_number: &str, device_link: &str) -> Result<(String, DeviceLinkType)> {
        let doc = DocumentNumber::new(document_number)
            .map_err(|e| ClientError::invalid("documentNumber", e.to_string()))?;
        let link = parse_device_link(device_link)
            .map_err(|e| ClientError::invalid("deviceLink", e.to_string()))?;
        Ok((doc.as_str().to_owned(), link.link_type))
    }

    /// The test account `document_number` scans the QR code of `device_link` (a `QR` link
    /// with its `elapsedSeconds` and authCode, as shown that second).
    pub fn qr(document_number: &str, device_link: &str) -> Result<Self> {
        let (doc, t) = Self::checked(document_number, device_link)?;
        if t != DeviceLinkType::Qr {
            return Err(ClientError::invalid(
                "deviceLink",
                format!("a {} link is not a QR code: use same_device", flow_name(t)),
            ));
        }
        Ok(MockDeviceLinkRequest {
            document_number: doc,
            device_link: device_link.to_owned(),
            flow_type: "QR",
            browser_cookie: None,
            initial_callback_url: None,
        })
    }

    /// The test account `document_number` opens the Web2App or App2App `device_link`; the Mock
    /// Service then opens `initial_callback_url` (the session's, with its token) with the
    /// `sessionSecretDigest` and `userChallengeVerifier` appended and sends `browser_cookie`
    /// (`a=b; c=d`) with it. Both are secrets of the session and print as `[redacted]`.
    pub fn same_device(
        document_number: &str,
        device_link: &str,
        initial_callback_url: &str,
        browser_cookie: &str,
    ) -> Result<Self> {
        let (doc, t) = Self::checked(document_number, device_link)?;
        if t == DeviceLinkType::Qr {
            return Err(ClientError::invalid(
                "deviceLink",
                "a QR link has no callback: use qr",
            ));
        }
        if !initial_callback_url.starts_with("https://") || initial_callback_url.len() > 2048 {
            return Err(ClientError::invalid(
                "initialCallbackUrl",
                "must be the session's https initialCallbackUrl",
            ));
        }
        if browser_cookie.is_empty()
            || browser_cookie.len() > 4096
            || browser_cookie.chars().any(char::is_control)
        {
            return Err(ClientError::invalid(
                "browserCookie",
                "required for same-device flows: 1 to 4096 characters without control characters",
            ));
        }
        Ok(MockDeviceLinkRequest {
            document_number: doc,
            device_link: device_link.to_owned(),
            flow_type: flow_name(t),
            browser_cookie: Some(Zeroizing::new(browser_cookie.to_owned())),
            initial_callback_url: Some(Zeroizing::new(initial_callback_url.to_owned())),
        })
    }
}

impl SmartIdClient {
    /// The Mock Service's URL for this client's environment: `/mock/device-link` on the RP API
    /// host (`https://sid.demo.sk.ee/mock/device-link` for DEMO); `None` for LIVE, which has
    /// no Mock Service.
    pub fn mock_device_link_url(&self) -> Option<String> {
        let base = &self.environment.base_url;
        if base == LIVE_BASE_URL || self.environment.name == "LIVE" {
            return None;
        }
        let url = reqwest::Url::parse(base).ok()?;
        let origin = url.origin().ascii_serialization();
        Some(format!("{origin}{MOCK_DEVICE_LINK_PATH}"))
    }

    /// `POST /mock/device-link` (DEMO only): the Mock Service plays the Smart-ID app for
    /// `request`. `Ok` once it accepted the link (`200`); read the result with
    /// [`SmartIdClient::session_status`]. A client for LIVE fails with
    /// [`ClientError::InvalidInput`] without sending anything; a refused link (`400`: a wrong
    /// authCode, a stale QR code, an unknown account) is [`ClientError::Api`].
    pub async fn mock_device_link(&self, request: &MockDeviceLinkRequest) -> Result<()> {
        let Some(url) = self.mock_device_link_url() else {
            return Err(ClientError::invalid(
                "environment",
                "the Mock Service exists only in DEMO, not in LIVE",
            ));
        };
        let body = Zeroizing::new(
            serde_json::to_vec(request)
                .map_err(|e| ClientError::invalid("request", format!("cannot serialise: {e}")))?,
        );
        let req = self
            .http
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .timeout(self.request_timeout)
            .body(body.to_vec());
        // The answer's body is not specified by SK; only the status counts.
        let _: serde_json::Value = match self.execute(req, Endpoint::MockDevice).await {
            Ok(v) => v,
            Err(ClientError::Api(crate::ApiFailure::MalformedResponse { status, .. }))
                if (200..300).contains(&status) =>
            {
                serde_json::Value::Null
            }
            Err(e) => return Err(e),
        };
        Ok(())
    }
}
