//! The rest of a flow's life after its start: polling (`GET /flows/{flowHandle}`, which
//! computes a fresh QR link for pending QR flows and verifies or reports a finished session),
//! the live-flow check behind the QR event stream of the [router](crate::router), cancelling
//! (`DELETE /flows/{flowHandle}`), and redeeming the one-time session reference of an outcome.

use sidkit_contract::{
    error_codes as codes, FlowKind, FlowOutcome, PollFlowResponse, Presentation,
};
use sidkit_proto::models::{EndResult, FlowType, SessionState};
use sidkit_verify::CallbackCheck;

use crate::error::StoreError;
use crate::linked::LinkedProgress;
use crate::problem::{internal, map_client_error, problem, Problem};
use crate::record::{ref_key, Stage, SESSION_REF_PREFIX};
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
    pub async fn poll_flow(&self, handle: &str) -> Result<PollFlowResponse, Problem> {
        let (v, rec) = self.load(handle).await?;
        match &rec.stage {
            Stage::Done {
                outcome,
                problem: p,
                ..
            } => {
                return match (outcome, p) {
                    (Some(o), _) => Ok(PollFlowResponse::Finished {
                        outcome: o.as_ref().clone(),
                    }),
                    (None, Some(p)) => Err(p.as_ref().clone()),
                    _ => Err(internal("finished flow without a result")),
                }
            }
            Stage::Cancelled => {
                return Err(problem(codes::FLOW_NOT_FOUND, "the flow was cancelled"))
            }
            Stage::Completing { .. } => return Ok(PollFlowResponse::Pending { device_link: None }),
            Stage::Pending => {}
        }
        if Self::expired(&rec) {
            return Err(problem(codes::FLOW_EXPIRED, "the flow expired"));
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
            .await
            .map_err(map_client_error)?;
        if status.state == SessionState::Complete {
            let end = status
                .result
                .as_ref()
                .map(|r| r.end_result.clone())
                .unwrap_or(EndResult::ServerError);
            let (outcome, p) = if end != EndResult::Ok {
                let interaction = status
                    .result
                    .as_ref()
                    .and_then(|r| r.details.as_ref())
                    .and_then(|d| d.interaction.clone());
                (
                    Some(FlowOutcome::Failed {
                        end_result: end,
                        interaction,
                    }),
                    None,
                )
            } else if rec.presentation == Presentation::App2App {
                // Needs the callback: wait for the app's completion.
                return Ok(PollFlowResponse::Pending { device_link: None });
            } else {
                match self
                    .verify(&rec, &status, CallbackCheck::None, FlowType::Qr)
                    .await
                {
                    Ok(o) => (Some(o), None),
                    Err(p) => (None, Some(p)),
                }
            };
            let mut done = rec.clone();
            done.stage = Stage::Done {
                fp: None,
                outcome: outcome.clone().map(Box::new),
                problem: p.clone().map(Box::new),
            };
            if self.save(handle, v.version, &done).await? {
                if let Some(o) = &outcome {
                    self.store_session_ref(o, &rec).await;
                }
                return match (outcome, p) {
                    (Some(o), _) => Ok(PollFlowResponse::Finished { outcome: o }),
                    (_, Some(p)) => Err(p),
                    _ => Err(internal("no result")),
                };
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
    pub(crate) async fn peek(&self, handle: &str) -> Result<(), Problem> {
        self.load(handle).await.map(|_| ())
    }

    /// `DELETE /flows/{flowHandle}`: the user cancelled. A pending flow is closed (its return
    /// URL will be refused); a finished one is left as it is.
    pub async fn cancel_flow(&self, handle: &str) -> Result<(), Problem> {
        let (v, rec) = self.load(handle).await?;
        if matches!(rec.stage, Stage::Pending) {
            let mut c = rec.clone();
            c.stage = Stage::Cancelled;
            let _ = self.save(handle, v.version, &c).await?;
        }
        Ok(())
    }
}
