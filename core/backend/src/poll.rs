//! The rest of a flow's life after its start: polling (`GET /flows/{flowHandle}`, which
//! computes a fresh QR link for pending QR flows and verifies or reports a finished session),
//! the live-flow check behind the QR event stream of the [router](crate::router), cancelling
//! (`DELETE /flows/{flowHandle}`), and redeeming the one-time session reference of an outcome.

use sidkit_contract::{FlowKind, FlowOutcome, PollFlowResponse, Presentation};
use sidkit_proto::models::{EndResult, FlowType, SessionState};
use sidkit_verify::CallbackCheck;

use crate::error::{FlowError, StoreError};
use crate::linked::LinkedProgress;
use crate::record::{recorded, ref_key, Stage, SESSION_REF_PREFIX};
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

    /// `GET /flows/{flowHandle}`: the flow's status. Pending QR flows get a QR link computed
    /// now; a finished Smart-ID session is verified (QR) or reported (App2App failures, which
    /// may come without a callback).
    ///
    /// Fails with [`FlowError::NotFound`], [`FlowError::Cancelled`], [`FlowError::Expired`],
    /// [`FlowError::VerificationFailed`] (a QR flow whose response fails verification),
    /// [`FlowError::Recorded`] (a repeated poll of such a flow), [`FlowError::SmartId`],
    /// [`FlowError::Invalid`] for a malformed handle, [`FlowError::Store`] and
    /// [`FlowError::Internal`].
    pub async fn poll_flow(&self, handle: &str) -> Result<PollFlowResponse, FlowError> {
        let (v, rec) = self.load(handle).await?;
        match &rec.stage {
            Stage::Done {
                outcome,
                problem: p,
                ..
            } => return recorded(outcome, p).map(|outcome| PollFlowResponse::Finished { outcome }),
            Stage::Cancelled => return Err(FlowError::Cancelled),
            Stage::Completing { .. } => return Ok(PollFlowResponse::Pending { device_link: None }),
            Stage::Pending => {}
        }
        if Self::expired(&rec) {
            return Err(FlowError::Expired);
        }
        if rec.kind == FlowKind::CertificateChoiceAndSignature {
            let progress = self
                .advance_linked(handle, sidkit_client::MIN_LONG_POLL)
                .await?;
            if progress == LinkedProgress::Settled {
                return Box::pin(self.poll_flow(handle)).await;
            }
            let (_, rec) = self.load(handle).await?;
            // A pending QR flow carries the current link (as for the other kinds, also after
            // the scan, while the user signs).
            let device_link = match rec.presentation {
                Presentation::Qr => Some(self.qr_link(&rec)?),
                Presentation::App2App => None,
            };
            return Ok(PollFlowResponse::Pending { device_link });
        }
        let status = self
            .cfg
            .client
            .session_status(&rec.session_id, sidkit_client::MIN_LONG_POLL)
            .await?;
        if status.state == SessionState::Complete {
            let end = status
                .result
                .as_ref()
                .map(|r| r.end_result.clone())
                .unwrap_or(EndResult::ServerError);
            let result = if end != EndResult::Ok {
                let interaction = status
                    .result
                    .as_ref()
                    .and_then(|r| r.details.as_ref())
                    .and_then(|d| d.interaction.clone());
                Ok(FlowOutcome::Failed {
                    end_result: end,
                    interaction,
                })
            } else if rec.presentation == Presentation::App2App {
                // Needs the callback: wait for the app's completion.
                return Ok(PollFlowResponse::Pending { device_link: None });
            } else {
                self.verify(&rec, &status, CallbackCheck::None, FlowType::Qr)
                    .await
            };
            let mut done = rec.clone();
            done.stage = Stage::done(None, &result);
            if self.save(handle, v.version, &done).await? {
                if let Ok(o) = &result {
                    self.store_session_ref(o, &rec).await;
                }
                return result.map(|outcome| PollFlowResponse::Finished { outcome });
            }
            // Another poll finished it first: answer with its result.
            return Box::pin(self.poll_flow(handle)).await;
        }
        let device_link = match rec.presentation {
            Presentation::Qr => Some(self.qr_link(&rec)?),
            Presentation::App2App => None,
        };
        Ok(PollFlowResponse::Pending { device_link })
    }

    /// Checks that `handle` names a live flow (for the QR event stream).
    pub(crate) async fn peek(&self, handle: &str) -> Result<(), FlowError> {
        self.load(handle).await.map(|_| ())
    }

    /// `DELETE /flows/{flowHandle}`: the user cancelled. A pending flow is closed (its return
    /// URL will be refused); a finished one is left as it is.
    ///
    /// Fails with [`FlowError::NotFound`], [`FlowError::Invalid`] for a malformed handle and
    /// [`FlowError::Store`] (or [`FlowError::Internal`] for a corrupt record).
    pub async fn cancel_flow(&self, handle: &str) -> Result<(), FlowError> {
        let (v, rec) = self.load(handle).await?;
        if matches!(rec.stage, Stage::Pending) {
            let mut c = rec.clone();
            c.stage = Stage::Cancelled;
            let _ = self.save(handle, v.version, &c).await?;
        }
        Ok(())
    }
}
