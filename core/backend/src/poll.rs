//! The rest of a flow's life after its start: polling (`GET /flows/{flowHandle}`, which
//! computes a fresh QR link for pending QR flows and verifies or reports a finished session),
//! the live-flow check behind the QR event stream of the [router](crate::router), cancelling
//! (`DELETE /flows/{flowHandle}`), and redeeming the one-time session reference of an outcome.

use sidkit_contract::{FlowKind, FlowOutcome, PollFlowResponse, Presentation};
use sidkit_proto::models::{FlowType, SessionState};
use sidkit_verify::CallbackCheck;

use crate::error::{FlowError, StoreError};
use crate::linked::LinkedProgress;
use crate::outcome::failed_outcome;
use crate::record::{recorded, ref_key, FlowAddr, Stage, SESSION_REF_PREFIX};
use crate::Backend;

impl Backend {
    /// Redeems a session reference from an outcome's `appData` (one time): the verified
    /// outcome it stands for, or `None` if unknown, already redeemed or expired. The app sends
    /// it to the backend's own login endpoint, which calls this to learn who authenticated.
    pub async fn redeem_session_ref(
        &self,
        app_data: &str,
    ) -> Result<Option<FlowOutcome>, StoreError> {
        if !app_data.starts_with(SESSION_REF_PREFIX) || app_data.len() > 128 {
            return Ok(None);
        }
        match self.cfg.store.take(&ref_key(app_data)).await? {
            Some(json) => Ok(serde_json::from_str(&json).ok()),
            None => Ok(None),
        }
    }

    /// `GET /flows/{flowHandle}`: the flow's status. `flow_key` is the `Sidkit-Flow-Key`
    /// header: without the flow's key the flow is [`FlowError::NotFound`]. Pending QR flows get
    /// a QR link computed now; a finished Smart-ID session is verified (QR) or reported
    /// (App2App failures, which may come without a callback). A successful outcome is handed
    /// out once: to the poll that finished the flow (or the first poll after a background
    /// finish), later polls, and every poll of a completed App2App flow, get only its kind
    /// ([`PollFlowResponse::finished_delivered`]).
    ///
    /// Fails with [`FlowError::NotFound`], [`FlowError::Cancelled`], [`FlowError::Expired`],
    /// [`FlowError::VerificationFailed`] (a QR flow whose response fails verification),
    /// [`FlowError::Recorded`] (a repeated poll of such a flow), [`FlowError::SmartId`],
    /// [`FlowError::Invalid`] for a malformed handle, [`FlowError::Store`] and
    /// [`FlowError::Internal`].
    pub async fn poll_flow(
        &self,
        handle: &str,
        flow_key: Option<&str>,
    ) -> Result<PollFlowResponse, FlowError> {
        let addr = FlowAddr::of_request(handle, flow_key)?;
        self.poll_at(&addr, sidkit_client::MIN_LONG_POLL).await
    }

    /// [`Backend::poll_flow`] at a checked address; a pending flow's status check waits on
    /// Smart-ID for at most `long_poll` (an app's poll: the shortest, so that its answer comes
    /// soon; a QR event stream's: [`BackendConfig::qr_stream_long_poll`](crate::BackendConfig::qr_stream_long_poll),
    /// since its ticks do not wait for it).
    pub(crate) async fn poll_at(
        &self,
        addr: &FlowAddr,
        long_poll: std::time::Duration,
    ) -> Result<PollFlowResponse, FlowError> {
        let (v, rec) = self.load(addr).await?;
        match &rec.stage {
            Stage::Done {
                outcome,
                problem: p,
                delivered,
                fp,
            } => {
                let result = recorded(outcome, p)?;
                if *delivered || matches!(result, FlowOutcome::Failed { .. }) {
                    return Ok(PollFlowResponse::finished_delivered(&result));
                }
                // Finished in the background (QR certificate choice + signature): this poll
                // is the first to see it and takes the outcome, exactly once.
                let mut taken = rec.clone();
                taken.stage = Stage::Done {
                    fp: fp.clone(),
                    outcome: outcome.clone(),
                    problem: p.clone(),
                    delivered: true,
                };
                if self.save(addr, v.version, &taken).await? {
                    return Ok(PollFlowResponse::finished(result));
                }
                return Box::pin(self.poll_at(addr, long_poll)).await;
            }
            Stage::Cancelled => return Err(FlowError::Cancelled),
            Stage::Completing { .. } => return Ok(PollFlowResponse::Pending { device_link: None }),
            Stage::Pending => {}
        }
        if Self::expired(&rec) {
            return Err(FlowError::Expired);
        }
        if rec.kind == FlowKind::CertificateChoiceAndSignature {
            let progress = self.advance_linked(addr, long_poll).await?;
            if progress == LinkedProgress::Settled {
                return Box::pin(self.poll_at(addr, long_poll)).await;
            }
            let (_, rec) = self.load(addr).await?;
            // A pending QR flow carries the current link (as for the other kinds, also after
            // the scan, while the user signs).
            let device_link = match rec.presentation {
                Presentation::Qr => Some(self.qr_link(&rec)?),
                Presentation::App2App => None,
            };
            return Ok(PollFlowResponse::Pending { device_link });
        }
        let status = self
            .status
            .get(&self.cfg.client, &rec.session_id, long_poll)
            .await?;
        if status.state == SessionState::Complete {
            let result = if let Some(failed) = failed_outcome(&status) {
                Ok(failed)
            } else if rec.presentation == Presentation::App2App {
                // Needs the callback: wait for the app's completion.
                return Ok(PollFlowResponse::Pending { device_link: None });
            } else {
                self.verify(&rec, &status, CallbackCheck::None, FlowType::Qr)
                    .await
            };
            let mut done = rec.clone();
            done.stage = Stage::done(None, &result, true);
            if self.record_done(addr, v.version, &done, &result).await? {
                return result.map(PollFlowResponse::finished);
            }
            // Another poll finished it first: answer as a later reader.
            return Box::pin(self.poll_at(addr, long_poll)).await;
        }
        let device_link = match rec.presentation {
            Presentation::Qr => Some(self.qr_link(&rec)?),
            Presentation::App2App => None,
        };
        Ok(PollFlowResponse::Pending { device_link })
    }

    /// Registers a QR event stream for the flow at `addr`: only QR flows have one
    /// ([`FlowError::BadRequest`] for App2App), one per flow (this one replaces an older one),
    /// at most [`AdmissionConfig::max_qr_streams`](crate::AdmissionConfig::max_qr_streams) on
    /// this instance ([`FlowError::RateLimited`]).
    pub(crate) async fn open_qr_stream(
        &self,
        addr: &FlowAddr,
    ) -> Result<crate::streams::StreamTicket, FlowError> {
        let (_, rec) = self.load(addr).await?;
        if rec.presentation != Presentation::Qr {
            return Err(FlowError::bad_request(
                "App2App flows have no QR stream: the app polls GET /flows/{flowHandle}",
            ));
        }
        self.streams
            .open(addr.store_key(), self.cfg.admission.max_qr_streams)
    }

    /// How many QR event streams are open on this instance.
    pub fn open_qr_streams(&self) -> usize {
        self.streams.len()
    }

    /// The QR link of this second for a pending QR flow, from the stored record alone (no
    /// upstream call: the QR event stream sends one every second while its status check,
    /// which may wait on a long poll, runs beside it); `None` once the flow is no longer
    /// pending or its time is up (the status check then reports how it ended).
    pub(crate) async fn qr_tick(&self, addr: &FlowAddr) -> Result<Option<String>, FlowError> {
        let (_, rec) = self.load(addr).await?;
        if !matches!(rec.stage, Stage::Pending)
            || Self::expired(&rec)
            || rec.presentation != Presentation::Qr
        {
            return Ok(None);
        }
        self.qr_link(&rec).map(Some)
    }

    /// Checks that the request names a live flow with its key (for the QR event stream).
    pub(crate) async fn peek(
        &self,
        handle: &str,
        flow_key: Option<&str>,
    ) -> Result<FlowAddr, FlowError> {
        let addr = FlowAddr::of_request(handle, flow_key)?;
        self.load(&addr).await.map(|_| addr)
    }

    /// `DELETE /flows/{flowHandle}`: the user cancelled. `flow_key` is the `Sidkit-Flow-Key`
    /// header: without the flow's key the flow is [`FlowError::NotFound`]. A pending flow whose
    /// Smart-ID session is still running is closed (its return URL will be refused); an
    /// already cancelled or expired one is left as it is. A flow whose Smart-ID session already
    /// ended, or that is completing or finished, is not cancelled ([`FlowError::FlowFinished`]):
    /// a cancellation racing the user's confirmation cannot turn a genuine completion into a
    /// refusal.
    ///
    /// Fails with [`FlowError::NotFound`], [`FlowError::FlowFinished`], [`FlowError::SmartId`]
    /// when Smart-ID cannot tell whether the session ended (retry; the flow is untouched),
    /// [`FlowError::Invalid`] for a malformed handle, [`FlowError::Contended`],
    /// [`FlowError::Store`] and [`FlowError::Internal`].
    pub async fn cancel_flow(&self, handle: &str, flow_key: Option<&str>) -> Result<(), FlowError> {
        let addr = FlowAddr::of_request(handle, flow_key)?;
        for _ in 0..16 {
            let (v, rec) = self.load(&addr).await?;
            match rec.stage {
                Stage::Cancelled => return Ok(()),
                Stage::Completing { .. } | Stage::Done { .. } => {
                    return Err(FlowError::FlowFinished)
                }
                Stage::Pending if Self::expired(&rec) => return Ok(()),
                Stage::Pending => {}
            }
            // The session that ends the flow: a certificate choice's linked signature once it
            // exists (before it, the user has not signed anything yet).
            let session_id = if rec.kind == FlowKind::CertificateChoiceAndSignature {
                rec.linked.as_ref().and_then(|l| l.session_id.clone())
            } else {
                Some(rec.session_id.clone())
            };
            if let Some(id) = session_id {
                match self
                    .status
                    .get(&self.cfg.client, &id, sidkit_client::MIN_LONG_POLL)
                    .await
                {
                    Ok(st) if st.state == SessionState::Complete => {
                        return Err(FlowError::FlowFinished)
                    }
                    Ok(_) => {}
                    Err(e) if e.is_retryable() => return Err(FlowError::SmartId(e)),
                    // Smart-ID no longer knows the session: it cannot complete any more.
                    Err(_) => {}
                }
            }
            let mut c = rec.clone();
            c.stage = Stage::Cancelled;
            if self.save(&addr, v.version, &c).await? {
                return Ok(());
            }
        }
        Err(FlowError::Contended)
    }
}
