//! The flow state as stored: [`FlowRecord`] (the secret-bearing state of one flow) with its
//! [`Stage`] and [`LinkedStage`], the [`IdemEntry`] of an idempotency key, the public handle and
//! session-reference formats, the store keys (hashes of the handles, never the handles), and
//! the [`Backend`]'s access to records: load, compare-and-set save, expiry and the QR link.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sidkit_contract::{
    ErrorBody, FlowKind, FlowOutcome, Presentation, StartFlowRequest, StartFlowResponse,
};
use sidkit_proto::device_link::{DeviceLinkParams, DeviceLinkSigner, SessionType};
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::{
    DeviceLinkAuthenticationRequest, DeviceLinkCertificateChoiceRequest,
    DeviceLinkSignatureRequest, FlowType, LinkedNotificationSignatureRequest, Subject,
};
use sidkit_proto::secret::{ct_eq, SessionSecret};

use crate::error::FlowError;
use crate::store::Versioned;
use crate::util::{from_json, hash_hex, now_ms, to_json};
use crate::Backend;

/// Prefix of the session references the backend puts in `appData`.
pub const SESSION_REF_PREFIX: &str = "sr1.";
/// Prefix of flow handles.
pub const FLOW_HANDLE_PREFIX: &str = "fh_";

/// Where a flow is, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "s", rename_all = "camelCase")]
pub(crate) enum Stage {
    Pending,
    /// A valid return URL (its canonical fingerprint) claimed the flow; verification runs. The
    /// claim is a lease: once `lease_until_ms` has passed without a result (the claiming
    /// instance died), the identical completion on any instance takes the claim over.
    Completing {
        fp: String,
        #[serde(default)]
        lease_until_ms: u64,
    },
    /// Finished: the outcome or the problem (as answered, so that every instance repeats it
    /// byte for byte), the canonical return URL that finished it (None for QR flows, which
    /// finish by polling), and whether a successful outcome was handed out already (to the
    /// completion, or to the first poll after the flow finished): later reads get only its
    /// kind.
    Done {
        fp: Option<String>,
        outcome: Option<Box<FlowOutcome>>,
        problem: Option<Box<ErrorBody>>,
        #[serde(default)]
        delivered: bool,
    },
    Cancelled,
}

impl Stage {
    /// The stage of a flow finished with `result`; a failure is kept as the problem it is
    /// answered with ([`FlowError::problem`]), the form every instance reads back.
    /// `delivered`: the request writing it answers with the outcome.
    pub(crate) fn done(
        fp: Option<String>,
        result: &Result<FlowOutcome, FlowError>,
        delivered: bool,
    ) -> Stage {
        let (outcome, problem) = match result {
            Ok(o) => (Some(Box::new(o.clone())), None),
            Err(e) => (None, Some(Box::new(e.problem()))),
        };
        Stage::Done {
            fp,
            outcome,
            problem,
            delivered,
        }
    }
}

/// The result a finished flow was stored with ([`Stage::Done`]): its outcome, or its problem
/// as [`FlowError::Recorded`].
pub(crate) fn recorded(
    outcome: &Option<Box<FlowOutcome>>,
    problem: &Option<Box<ErrorBody>>,
) -> Result<FlowOutcome, FlowError> {
    match (outcome, problem) {
        (Some(o), _) => Ok(o.as_ref().clone()),
        (None, Some(p)) => Err(FlowError::Recorded(p.as_ref().clone())),
        (None, None) => Err(FlowError::internal("finished flow without a result")),
    }
}

/// The secret-bearing state of one flow. Never leaves the backend.
#[derive(Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FlowRecord {
    /// `BASE64URL(SHA-256(flowKey))` from the start request; the flow key itself is never
    /// stored.
    pub(crate) flow_key_challenge: String,
    pub(crate) kind: FlowKind,
    pub(crate) presentation: Presentation,
    pub(crate) request_fp: String,
    pub(crate) session_id: String,
    pub(crate) session_secret: String,
    pub(crate) device_link_base: String,
    pub(crate) session_token: String,
    pub(crate) lang: String,
    pub(crate) auth_request: Option<DeviceLinkAuthenticationRequest>,
    pub(crate) sign_request: Option<DeviceLinkSignatureRequest>,
    pub(crate) subject_document: Option<String>,
    pub(crate) subject_etsi: Option<String>,
    pub(crate) callback_token: Option<String>,
    /// `certificateChoiceAndSignature`: the certificate choice (C2) request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) cert_request: Option<DeviceLinkCertificateChoiceRequest>,
    /// `certificateChoiceAndSignature`: the linked signature (S5) request, built at the start
    /// (its `linkedSessionID` is the C2 `sessionID`; the digest is the policy's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) linked_request: Option<LinkedNotificationSignatureRequest>,
    /// `certificateChoiceAndSignature`: set once C2 ended `OK` and was verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) linked: Option<LinkedStage>,
    pub(crate) received_at_ms: u64,
    pub(crate) expires_at_ms: u64,
    pub(crate) start_response: StartFlowResponse,
    pub(crate) stage: Stage,
}

impl Drop for FlowRecord {
    fn drop(&mut self) {
        use zeroize::Zeroize as _;
        self.session_secret.zeroize();
        self.callback_token.zeroize();
    }
}

/// The linked signature of a `certificateChoiceAndSignature` flow, as stored.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LinkedStage {
    /// The document number of the verified certificate choice.
    pub(crate) document: String,
    /// The `flowType` the certificate choice completed with.
    pub(crate) choice_flow: FlowType,
    /// The S5 `sessionID`, once created. `None` while the instance that won the
    /// compare-and-set creates it.
    pub(crate) session_id: Option<String>,
}

/// Idempotency-key entry: the request's fingerprint (over the body and its
/// `flowKeyChallenge`) and, once created, the flow's handle. While the flow is being created,
/// the creating instance holds it until `lease_until_ms`: a retry after that (the instance
/// died) takes the start over.
#[derive(Serialize, Deserialize)]
pub(crate) struct IdemEntry {
    pub(crate) fp: String,
    pub(crate) handle: Option<String>,
    /// Unix milliseconds; absent in entries written before leases (never taken over).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) lease_until_ms: Option<u64>,
}

/// Where a flow is stored: `flow:` + `SHA-256` of its handle and its flow-key challenge. A
/// store dump does not reveal live handles, and a request with the handle but without the
/// flow's key looks up a flow that does not exist, the same path as an unknown handle.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct FlowAddr {
    store_key: String,
    challenge: String,
}

impl FlowAddr {
    /// The address of `handle` as the owner of `challenge` sees it.
    pub(crate) fn new(handle: &str, challenge: &str) -> Self {
        FlowAddr {
            store_key: format!(
                "flow:{}",
                hash_hex("sidkit flow", &format!("{handle}\n{challenge}"))
            ),
            challenge: challenge.to_owned(),
        }
    }

    /// The address a request names with the handle in its path and the `Sidkit-Flow-Key`
    /// header: [`FlowError::Invalid`] for a malformed handle, [`FlowError::NotFound`] for a
    /// missing or malformed key (answered as an unknown flow).
    pub(crate) fn of_request(handle: &str, flow_key: Option<&str>) -> Result<Self, FlowError> {
        sidkit_contract::validate_flow_handle(handle).map_err(FlowError::Invalid)?;
        let key = flow_key
            .and_then(|k| sidkit_contract::FlowKey::parse(k).ok())
            .ok_or(FlowError::NotFound)?;
        Ok(FlowAddr::new(handle, &key.challenge()))
    }

    pub(crate) fn store_key(&self) -> &str {
        &self.store_key
    }
}

/// The store key of an `Idempotency-Key`.
pub(crate) fn idem_key(key: &str) -> String {
    format!("idem:{}", hash_hex("sidkit idempotency key", key))
}

/// The store key of a one-time session reference.
pub(crate) fn ref_key(r: &str) -> String {
    format!("ref:{}", hash_hex("sidkit session ref", r))
}

/// The fingerprint of a start request (what an idempotent retry must repeat): its body and its
/// `flowKeyChallenge`, so that an `Idempotency-Key` is scoped to the flow key.
pub(crate) fn request_fp(r: &StartFlowRequest, challenge: &str) -> String {
    hash_hex(
        "sidkit start request",
        &format!(
            "{}\n{}\n{}\n{}\n{}",
            challenge,
            r.kind,
            r.presentation,
            r.lang,
            r.context.as_deref().unwrap_or("\u{0}")
        ),
    )
}

impl FlowRecord {
    /// The flow's tag in logs: [`log_tag`](sidkit_proto::secret::log_tag) of its Smart-ID
    /// session (the RP API client tags the session's span alike).
    pub(crate) fn log_tag(&self) -> String {
        sidkit_proto::secret::log_tag(&self.session_id)
    }

    pub(crate) fn secret(&self) -> Result<SessionSecret, FlowError> {
        SessionSecret::from_base64(&self.session_secret).map_err(FlowError::internal)
    }

    pub(crate) fn session_type(&self) -> SessionType {
        self.kind.session_type()
    }

    pub(crate) fn subject(&self) -> Result<Subject, FlowError> {
        if let Some(d) = &self.subject_document {
            return Ok(Subject::Document(
                DocumentNumber::new(d.as_str()).map_err(FlowError::internal)?,
            ));
        }
        if let Some(e) = &self.subject_etsi {
            return Ok(Subject::Etsi(e.parse().map_err(FlowError::internal)?));
        }
        Ok(Subject::Anonymous)
    }

    pub(crate) fn signer(
        &self,
        scheme: sidkit_proto::env::SchemeName,
    ) -> Result<DeviceLinkSigner, FlowError> {
        let (challenge, rp_name, interactions, callback) =
            match (&self.auth_request, &self.sign_request) {
                _ if self.cert_request.is_some() => {
                    let c = self
                        .cert_request
                        .as_ref()
                        .ok_or_else(|| FlowError::internal("no C2"))?;
                    (
                        String::new(),
                        c.relying_party_name.clone(),
                        String::new(),
                        c.initial_callback_url.clone(),
                    )
                }
                (Some(a), _) => (
                    a.signature_protocol_parameters
                        .rp_challenge
                        .expose_base64()
                        .to_owned(),
                    a.relying_party_name.clone(),
                    a.interactions.as_base64().to_owned(),
                    a.initial_callback_url.clone(),
                ),
                (None, Some(s)) => (
                    s.signature_protocol_parameters.digest.clone(),
                    s.relying_party_name.clone(),
                    s.interactions.as_base64().to_owned(),
                    s.initial_callback_url.clone(),
                ),
                (None, None) => return Err(FlowError::internal("flow record without a request")),
            };
        let params = DeviceLinkParams {
            scheme_name: scheme,
            device_link_base: self.device_link_base.clone(),
            session_token: self.session_token.clone(),
            session_type: self.session_type(),
            rp_challenge_or_digest: challenge,
            relying_party_name: rp_name,
            brokered_rp_name: None,
            interactions,
            initial_callback_url: callback,
            lang: self.lang.clone(),
        };
        DeviceLinkSigner::new(&params, &self.secret()?).map_err(FlowError::internal)
    }

    pub(crate) fn initial_callback_url(&self) -> Option<&str> {
        if let Some(c) = &self.cert_request {
            return c.initial_callback_url.as_deref();
        }
        self.auth_request
            .as_ref()
            .and_then(|a| a.initial_callback_url.as_deref())
            .or_else(|| {
                self.sign_request
                    .as_ref()
                    .and_then(|s| s.initial_callback_url.as_deref())
            })
    }
}

impl Backend {
    /// How long `rec` has left to live (at least 1 ms), the TTL of its next write.
    pub(crate) fn ttl_left(&self, rec: &FlowRecord) -> Duration {
        Duration::from_millis(rec.expires_at_ms.saturating_sub(now_ms()).max(1))
    }

    /// The flow at `addr` and its version; [`FlowError::NotFound`] if there is none (or the
    /// store dropped it at its expiry).
    pub(crate) async fn load(&self, addr: &FlowAddr) -> Result<(Versioned, FlowRecord), FlowError> {
        let v = self
            .cfg
            .store
            .get(addr.store_key())
            .await?
            .ok_or(FlowError::NotFound)?;
        let rec: FlowRecord = from_json(&v.value)?;
        // The address already depends on the challenge; compare it anyway (constant time).
        if !ct_eq(rec.flow_key_challenge.as_bytes(), addr.challenge.as_bytes()) {
            return Err(FlowError::NotFound);
        }
        Ok((v, rec))
    }

    /// Writes `rec` if the flow is still at `version` (compare-and-set); `false` if it changed.
    pub(crate) async fn save(
        &self,
        addr: &FlowAddr,
        version: u64,
        rec: &FlowRecord,
    ) -> Result<bool, FlowError> {
        let json = to_json(rec)?;
        Ok(self
            .cfg
            .store
            .replace(addr.store_key(), version, &json, self.ttl_left(rec))
            .await?)
    }

    /// Whether the flow's time is up.
    pub(crate) fn expired(rec: &FlowRecord) -> bool {
        now_ms() >= rec.expires_at_ms
    }

    /// The current QR link: `elapsedSeconds` counted from when the session response arrived,
    /// computed now (never in advance).
    pub(crate) fn qr_link(&self, rec: &FlowRecord) -> Result<String, FlowError> {
        let elapsed = now_ms().saturating_sub(rec.received_at_ms) / 1000;
        Ok(rec
            .signer(self.cfg.client.environment().scheme_name)?
            .qr_link(elapsed)
            .into_string())
    }
}
