//! The persisted form of a pending flow.
//!
//! When the user switches to the Smart-ID app, the OS may kill the RP app. The app stores a
//! snapshot (Android `Bundle` / `SavedStateHandle`, iOS `UserDefaults` or scene state) and
//! restores the flow when it is started again by the return URL.
//!
//! The snapshot is one line of JSON with a version field first:
//!
//! ```json
//! {"v":1,"id":"…","kind":"authentication","presentation":"app2app","lang":"eng",
//!  "stage":"awaitingReturn","flowHandle":"…","sessionType":"auth",
//!  "deviceLink":"https://smart-id.com/device-link?deviceLinkType=App2App&…",
//!  "callbackBase":"https://rp.example.com/sid/return","callbackCommitment":"…",
//!  "createdAtMs":1767225600000,"deadlineMs":1767225900000}
//! ```
//!
//! It holds nothing secret: no session secret, session ID, challenge, digest or callback URL
//! (the phone never has them) and not the callback token (only its SHA-256 commitment). The
//! device link may be on the phone by design (spec §12.2). Unknown fields and unknown versions
//! are rejected; a future version will add a reader for this one.

use serde::{Deserialize, Serialize};

use crate::device_link::SessionType;
use crate::error::{Error, Result};
use crate::mobile::contract::{
    decode_commitment, session_type_str, validate_flow_handle, FlowKind, Presentation,
};
use crate::mobile::flow::FlowFailure;

/// The snapshot format version this crate writes.
pub const SNAPSHOT_VERSION: u32 = 1;
/// Longest snapshot accepted by [`FlowSnapshot::decode`].
pub const MAX_SNAPSHOT_LEN: usize = 8 * 1024;

/// Where the flow was when the snapshot was taken.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum SnapshotStage {
    /// App2App link checked, not yet opened.
    ReadyToLaunch,
    /// App2App link opened; waiting for the return URL.
    AwaitingReturn,
    /// QR code being shown.
    ShowingQr,
}

/// A secret-free snapshot of a pending flow (see the [module documentation](self)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct FlowSnapshot {
    /// The format version, always [`SNAPSHOT_VERSION`] (serialized first, as `v`).
    #[serde(rename = "v")]
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
    /// The Smart-ID session type.
    #[serde(with = "session_type_str")]
    pub session_type: SessionType,
    /// The device link (App2App) or the latest QR link.
    pub device_link: String,
    /// App2App: the callback base the flow was started with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_base: Option<String>,
    /// App2App: the commitment to the callback token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callback_commitment: Option<String>,
    /// Creation time, Unix ms.
    pub created_at_ms: u64,
    /// Overall deadline, Unix ms.
    pub deadline_ms: u64,
}

#[derive(Deserialize)]
struct VersionOnly {
    v: u32,
}

fn snap_err(why: impl Into<String>) -> Error {
    FlowFailure::Snapshot(why.into()).into()
}

impl FlowSnapshot {
    /// Checks the fields (the flow checks the link and the callback base on restore).
    pub fn validate(&self) -> Result<()> {
        if self.version != SNAPSHOT_VERSION {
            return Err(Error::invalid("v", format!("must be {SNAPSHOT_VERSION}")));
        }
        let id_ok = self.id.len() == 22 && crate::b64::is_url_alphabet(&self.id);
        if !id_ok {
            return Err(Error::invalid("id", "must be 22 Base64URL characters"));
        }
        crate::validate::lang(&self.lang)?;
        validate_flow_handle(&self.flow_handle)?;
        if let Some(c) = &self.callback_commitment {
            decode_commitment(c)?;
        }
        if self.deadline_ms < self.created_at_ms
            || self.deadline_ms - self.created_at_ms > crate::mobile::flow::MAX_MAX_FLOW_DURATION_MS
        {
            return Err(Error::invalid(
                "deadlineMs",
                "must be within 60 minutes after createdAtMs",
            ));
        }
        Ok(())
    }

    /// The snapshot as one line of JSON, version first.
    pub fn encode(&self) -> String {
        // Serializing plain strings, numbers and enums to a String cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a snapshot written by [`encode`](Self::encode). Fails with
    /// [`FlowFailure::Snapshot`] on anything else: too long, not JSON, an unknown version,
    /// unknown or missing fields, invalid values.
    pub fn decode(s: &str) -> Result<Self> {
        if s.len() > MAX_SNAPSHOT_LEN {
            return Err(snap_err(format!("longer than {MAX_SNAPSHOT_LEN} bytes")));
        }
        let version: VersionOnly =
            serde_json::from_str(s).map_err(|e| snap_err(format!("not a flow snapshot: {e}")))?;
        if version.v != SNAPSHOT_VERSION {
            return Err(snap_err(format!(
                "unsupported snapshot version {} (this build reads version {SNAPSHOT_VERSION})",
                version.v
            )));
        }
        let snapshot: FlowSnapshot =
            serde_json::from_str(s).map_err(|e| snap_err(format!("invalid snapshot: {e}")))?;
        snapshot.validate().map_err(|e| snap_err(e.to_string()))?;
        Ok(snapshot)
    }
}
