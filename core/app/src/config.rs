//! What a flow is configured with: [`FlowConfig`] (per app), [`FlowSpec`] (per flow) and the
//! limits of the overall deadline.

use sidkit_contract::{FlowKind, Presentation};

use crate::error::{AppError, Result};
use crate::link::DeviceLinkPolicy;
use crate::router::CallbackBase;

/// Default overall deadline of a flow: 5 minutes.
pub const DEFAULT_MAX_FLOW_DURATION_MS: u64 = 5 * 60 * 1000;
/// Shortest configurable overall deadline: 1 second.
pub const MIN_MAX_FLOW_DURATION_MS: u64 = 1000;
/// Longest configurable overall deadline: 60 minutes.
pub const MAX_MAX_FLOW_DURATION_MS: u64 = 60 * 60 * 1000;

/// What a flow needs to know about the app, shared by all its flows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowConfig {
    pub(crate) callback_base: CallbackBase,
    link_policy: DeviceLinkPolicy,
    max_duration_ms: u64,
}

impl FlowConfig {
    /// `callback_base` is the app's App Link / Universal Link for Smart-ID returns (the backend
    /// appends `?value=<token>` to it); `link_policy` the allowed device-link bases.
    pub fn new(callback_base: &str, link_policy: DeviceLinkPolicy) -> Result<Self> {
        Ok(FlowConfig {
            callback_base: CallbackBase::new(callback_base)?,
            link_policy,
            max_duration_ms: DEFAULT_MAX_FLOW_DURATION_MS,
        })
    }

    /// Sets the overall deadline of each flow (1 s to 60 min; default 5 min). A backend's
    /// shorter `expiresInMs` wins.
    pub fn with_max_duration_ms(mut self, ms: u64) -> Result<Self> {
        if !(MIN_MAX_FLOW_DURATION_MS..=MAX_MAX_FLOW_DURATION_MS).contains(&ms) {
            return Err(AppError::invalid(
                "maxFlowDurationMs",
                format!("must be {MIN_MAX_FLOW_DURATION_MS} to {MAX_MAX_FLOW_DURATION_MS}"),
            ));
        }
        self.max_duration_ms = ms;
        Ok(self)
    }

    /// The callback base.
    pub fn callback_base(&self) -> &CallbackBase {
        &self.callback_base
    }

    /// The device-link allow-list.
    pub fn link_policy(&self) -> &DeviceLinkPolicy {
        &self.link_policy
    }

    /// The overall deadline of a flow in milliseconds.
    pub fn max_duration_ms(&self) -> u64 {
        self.max_duration_ms
    }
}

/// What flow the app wants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowSpec {
    /// Authentication, signature, or certificate choice + signature.
    pub kind: FlowKind,
    /// App2App on this phone or QR for another device.
    pub presentation: Presentation,
    /// ISO 639-2 code of the Smart-ID fallback page.
    pub lang: String,
    /// The app's opaque reference of what to sign, resolved by the backend.
    pub context: Option<String>,
}

impl FlowSpec {
    /// A spec with `lang = "eng"` and no context.
    pub fn new(kind: FlowKind, presentation: Presentation) -> Self {
        FlowSpec {
            kind,
            presentation,
            lang: "eng".to_owned(),
            context: None,
        }
    }
}
