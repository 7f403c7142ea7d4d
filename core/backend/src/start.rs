//! Starting a flow (`POST /flows`): the idempotency-key handling (a retry with the same key
//! and body gets the same answer), the RP's [`FlowPolicy`](crate::FlowPolicy) plan, the
//! Smart-ID session it asks for, the callback URL and its token, the new flow handle and the
//! first device link, and the record stored under the handle's hash.

use sidkit_contract::{FlowKind, Presentation, StartFlowRequest, StartFlowResponse};
use sidkit_proto::b64;
use sidkit_proto::callback::create_callback_url;
use sidkit_proto::device_link::DeviceLinkType;
use sidkit_proto::models::Subject;
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};
use sidkit_proto::secret::{ct_eq, random_bytes};

use crate::error::FlowError;
use crate::record::{
    idem_key, request_fp, FlowAddr, FlowRecord, IdemEntry, Stage, FLOW_HANDLE_PREFIX,
};
use crate::util::{from_json, now_ms, to_json};
use crate::Backend;

impl Backend {
    /// `POST /flows`: starts a Smart-ID session for the app. `idempotency_header` is the
    /// `Idempotency-Key` header, which must equal the body's `idempotencyKey` when present. A
    /// retry with the same key and body returns the same answer; the same key with another
    /// body, or with another `flowKeyChallenge`, is [`FlowError::IdempotencyConflict`] (an
    /// `Idempotency-Key` is scoped to the flow key: it never returns another app's handle).
    ///
    /// Fails with [`FlowError::ContractVersion`] for a request without `flowKeyChallenge` (a
    /// contract-1 client), [`FlowError::RateLimited`] when the instance keeps
    /// [`AdmissionConfig::max_pending_flows`](crate::AdmissionConfig::max_pending_flows) pending
    /// flows (the per-address limit is [`Backend::admit`], which the router calls first),
    /// [`FlowError::Invalid`] or [`FlowError::BadRequest`] for a request the
    /// contract refuses, [`FlowError::Policy`] when the RP's policy refuses the flow,
    /// [`FlowError::SmartId`] when Smart-ID does, [`FlowError::StartInProgress`] or
    /// [`FlowError::EarlierStartExpired`] for a retry to repeat, [`FlowError::Store`] and
    /// [`FlowError::Internal`].
    pub async fn start_flow(
        &self,
        request: StartFlowRequest,
        idempotency_header: Option<&str>,
    ) -> Result<StartFlowResponse, FlowError> {
        let Some(challenge) = request.flow_key_challenge.clone() else {
            return Err(FlowError::ContractVersion);
        };
        request.validate().map_err(FlowError::Invalid)?;
        if let Some(h) = idempotency_header {
            if !ct_eq(h.as_bytes(), request.idempotency_key.as_bytes()) {
                return Err(FlowError::bad_request(
                    "the Idempotency-Key header differs from the body's idempotencyKey",
                ));
            }
        }
        let fp = request_fp(&request, &challenge);
        let store = &self.cfg.store;
        let ikey = idem_key(&request.idempotency_key);
        let lease = self.cfg.claim_lease.as_millis() as u64;
        let entry = to_json(&IdemEntry {
            fp: fp.clone(),
            handle: None,
            lease_until_ms: Some(now_ms() + lease),
        })?;
        // The version of the idempotency entry this request holds while it creates the flow.
        let held = if store.insert(&ikey, &entry, self.cfg.flow_ttl).await? {
            1
        } else {
            // A retry: answer as the first time.
            let Some(v) = store.get(&ikey).await? else {
                return Err(FlowError::EarlierStartExpired);
            };
            let e: IdemEntry = from_json(&v.value)?;
            if !ct_eq(e.fp.as_bytes(), fp.as_bytes()) {
                return Err(FlowError::IdempotencyConflict);
            }
            match e.handle {
                Some(handle) => {
                    let (_, rec) = self.load(&FlowAddr::new(&handle, &challenge)).await?;
                    let mut resp = rec.start_response.clone();
                    resp.expires_in_ms = rec.expires_at_ms.saturating_sub(now_ms()).max(1);
                    if rec.presentation == Presentation::Qr {
                        resp.device_link = self.qr_link(&rec)?;
                    }
                    return Ok(resp);
                }
                // The instance creating it died (its lease ran out): take the start over.
                None if e.lease_until_ms.is_some_and(|l| now_ms() >= l) => {
                    if !store
                        .replace(&ikey, v.version, &entry, self.cfg.flow_ttl)
                        .await?
                    {
                        return Err(FlowError::StartInProgress);
                    }
                    v.version + 1
                }
                None => return Err(FlowError::StartInProgress),
            }
        };
        // The instance's cap on pending flows (admission control), then the new flow.
        let now = now_ms();
        let result = match self
            .admission
            .reserve(now, now + self.cfg.flow_ttl.as_millis() as u64)
        {
            Ok(()) => {
                let r = self.create(&request, &challenge, fp.clone()).await;
                if r.is_err() {
                    self.admission.release();
                }
                r
            }
            Err(e) => Err(e),
        };
        match result {
            Ok((handle, resp)) => {
                let e = to_json(&IdemEntry {
                    fp,
                    handle: Some(handle),
                    lease_until_ms: None,
                })?;
                match store.replace(&ikey, held, &e, self.cfg.flow_ttl).await {
                    // (A store failure here: the flow exists and this answer is good; only a
                    // retry of a lost answer would find the entry without its handle.)
                    Ok(true) | Err(_) => Ok(resp),
                    // This start took longer than its lease and a retry took it over: the
                    // retry's flow is the one; this one's Smart-ID session is never used and
                    // expires. The client retries and gets the other's answer.
                    Ok(false) => Err(FlowError::StartInProgress),
                }
            }
            Err(e) => {
                // Give the key up for a retry, unless a retry already took the start over.
                let _ = store.remove_if_version(&ikey, held).await;
                Err(e)
            }
        }
    }

    async fn create(
        &self,
        request: &StartFlowRequest,
        challenge: &str,
        fp: String,
    ) -> Result<(String, StartFlowResponse), FlowError> {
        let plan = self.cfg.policy.plan(request).map_err(FlowError::Policy)?;
        let rp = &self.cfg.relying_party;
        let app2app = request.presentation == Presentation::App2App;
        let callback = if app2app {
            Some(create_callback_url(&self.cfg.callback_base).map_err(FlowError::internal)?)
        } else {
            None
        };
        let client = &self.cfg.client;
        let mut cert_request = None;
        let mut linked_request = None;
        let (session, auth_request, sign_request) = match request.kind {
            FlowKind::Authentication => {
                let mut b = AuthenticationRequestBuilder::new(rp).interactions(plan.interactions);
                if let Some(l) = plan.certificate_level {
                    b = b.certificate_level(l);
                }
                if let Some(cb) = &callback {
                    b = b.initial_callback_url(cb.url());
                }
                let req = b.build_device_link().map_err(FlowError::Invalid)?;
                let s = client
                    .create_device_link_authentication(&plan.subject, &req)
                    .await?;
                (s, Some(req), None)
            }
            FlowKind::Signature => {
                let sign = plan
                    .sign
                    .as_ref()
                    .ok_or_else(|| FlowError::internal("the flow policy gave no data to sign"))?;
                let mut b = SignatureRequestBuilder::new(
                    rp,
                    b64::encode_std(&sign.digest),
                    sign.hash_algorithm,
                )
                .interactions(plan.interactions)
                .nonce(session_nonce()?);
                if let Some(l) = plan.certificate_level {
                    b = b.certificate_level(l);
                }
                if let Some(cb) = &callback {
                    b = b.initial_callback_url(cb.url());
                }
                let req = b.build_device_link().map_err(FlowError::Invalid)?;
                let s = client
                    .create_device_link_signature(&plan.subject, &req)
                    .await?;
                (s, None, Some(req))
            }
            FlowKind::CertificateChoiceAndSignature => {
                let sign = plan
                    .sign
                    .as_ref()
                    .ok_or_else(|| FlowError::internal("the flow policy gave no data to sign"))?;
                if plan.subject != Subject::Anonymous {
                    return Err(FlowError::internal(
                        "a certificate choice is anonymous: the user picks the signer",
                    ));
                }
                let mut b = CertificateChoiceRequestBuilder::new(rp).nonce(session_nonce()?);
                if let Some(l) = plan.certificate_level {
                    b = b.certificate_level(l);
                }
                if let Some(cb) = &callback {
                    b = b.initial_callback_url(cb.url());
                }
                let req = b.build_device_link().map_err(FlowError::Invalid)?;
                let s = client.create_device_link_certificate_choice(&req).await?;
                let mut lb = SignatureRequestBuilder::new(
                    rp,
                    b64::encode_std(&sign.digest),
                    sign.hash_algorithm,
                )
                .interactions(plan.interactions);
                if let Some(l) = plan.certificate_level {
                    lb = lb.certificate_level(l);
                }
                linked_request = Some(
                    lb.build_linked(s.response.session_id.clone())
                        .map_err(FlowError::Invalid)?,
                );
                cert_request = Some(req);
                (s, None, None)
            }
        };
        let received_at_ms = now_ms();
        let handle = format!(
            "{FLOW_HANDLE_PREFIX}{}",
            b64::encode_url(&random_bytes(18).map_err(FlowError::internal)?)
        );
        let (subject_document, subject_etsi) = match &plan.subject {
            Subject::Document(d) => (Some(d.to_string()), None),
            Subject::Etsi(e) => (None, Some(e.to_string())),
            Subject::Anonymous => (None, None),
        };
        let mut rec = FlowRecord {
            flow_key_challenge: challenge.to_owned(),
            kind: request.kind,
            presentation: request.presentation,
            request_fp: fp,
            session_id: session.response.session_id.clone(),
            session_secret: session.response.session_secret.expose_base64().to_owned(),
            device_link_base: session.response.device_link_base.clone(),
            session_token: session.response.session_token.clone(),
            lang: request.lang.clone(),
            auth_request,
            sign_request,
            subject_document,
            subject_etsi,
            callback_token: callback.as_ref().map(|c| c.token().expose().to_owned()),
            cert_request,
            linked_request,
            linked: None,
            received_at_ms,
            expires_at_ms: received_at_ms + self.cfg.flow_ttl.as_millis() as u64,
            start_response: StartFlowResponse {
                flow_handle: handle.clone(),
                session_type: request.kind.session_type(),
                device_link: String::new(),
                callback_base: callback.as_ref().map(|_| self.cfg.callback_base.clone()),
                callback_commitment: callback.as_ref().map(|c| c.token().commitment()),
                expires_in_ms: self.cfg.flow_ttl.as_millis() as u64,
            },
            stage: Stage::Pending,
        };
        let link = if app2app {
            rec.signer(self.cfg.client.environment().scheme_name)?
                .same_device_link(DeviceLinkType::App2App)
                .map_err(FlowError::internal)?
                .into_string()
        } else {
            self.qr_link(&rec)?
        };
        rec.start_response.device_link = link;
        let json = to_json(&rec)?;
        let addr = FlowAddr::new(&handle, challenge);
        let inserted = self
            .cfg
            .store
            .insert(addr.store_key(), &json, self.cfg.flow_ttl)
            .await?;
        if !inserted {
            return Err(FlowError::internal("flow handle collision"));
        }
        if rec.kind == FlowKind::CertificateChoiceAndSignature {
            self.spawn_linked_driver(addr);
        }
        tracing::info!(
            flow = %rec.log_tag(),
            kind = rec.kind.as_str(),
            presentation = rec.presentation.as_str(),
            "flow started"
        );
        metrics::counter!(
            "sidkit_flows_started_total",
            "kind" => rec.kind.as_str(),
            "presentation" => rec.presentation.as_str()
        )
        .increment(1);
        Ok((handle, rec.start_response.clone()))
    }
}

/// A fresh `nonce` for a flow's signature or certificate-choice request. Smart-ID answers an
/// identical request within 15 s with the same session (RP API §2.1); a QR flow's request has
/// no callback token to set it apart, so without a nonce two users' QR certificate choices (or
/// two QR signatures of one document) started together would share one session.
fn session_nonce() -> Result<String, FlowError> {
    Ok(b64::encode_url(
        &random_bytes(15).map_err(FlowError::internal)?,
    ))
}
