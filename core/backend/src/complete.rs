//! Completing an App2App flow (`POST /flows/{flowHandle}/complete`): everything that can be
//! checked before the flow is claimed is checked first, so that a forged URL cannot end the
//! victim's flow: the return URL against the flow's callback binding (§7.3: token and
//! `sessionSecretDigest`), then the Smart-ID session's status is fetched and, for
//! authentication, SHA-256 of the URL's `userChallengeVerifier` compared with the status's
//! `userChallenge` (a forger who holds a genuine `value` and digest but not the verifier is
//! refused here). Only then is the flow claimed exactly once (a compare-and-set in the store,
//! across instances, keyed by the fingerprint of the return URL's canonical form,
//! [`sidkit_proto::return_url`]) and the response verified into the outcome. The identical
//! return URL again (any accepted spelling of it, with the flow key) gets the identical answer;
//! any other is `callback_rejected`.

use std::time::Duration;

use sidkit_client::{ClientError, PollOptions};
use sidkit_contract::{CompleteFlowRequest, FlowKind, FlowOutcome, Presentation};
use sidkit_proto::callback::{check_user_challenge, CallbackBinding, DEFAULT_TOKEN_PARAM};
use sidkit_proto::models::{FlowType, SessionStatus};
use sidkit_proto::secret::ct_eq;
use sidkit_proto::SessionEnded;
use sidkit_verify::CallbackCheck;

use crate::error::FlowError;
use crate::record::{recorded, FlowAddr, FlowRecord, Stage};
use crate::util::now_ms;
use crate::Backend;

impl Backend {
    /// `POST /flows/{flowHandle}/complete`: checks the return URL against the flow (§7.3),
    /// claims the flow once, waits for the Smart-ID session, verifies the response and answers
    /// with the outcome. `flow_key` is the `Sidkit-Flow-Key` header: without the flow's key the
    /// flow is [`FlowError::NotFound`]. The identical completion (same key, same return URL)
    /// again gets the same outcome; see the [module documentation](crate).
    ///
    /// Fails with [`FlowError::CallbackRejected`] for a return URL that fails the checks
    /// (the flow is untouched), [`FlowError::CompletedWithAnotherUrl`] or
    /// [`FlowError::CompletingWithAnotherUrl`] once another URL claimed the flow,
    /// [`FlowError::NotFound`], [`FlowError::Cancelled`], [`FlowError::Expired`],
    /// [`FlowError::VerificationFailed`], [`FlowError::SmartId`], [`FlowError::Recorded`] (the
    /// identical URL again, after a failure), [`FlowError::CompletionInProgress`] or
    /// [`FlowError::LinkedSignaturePending`] (retry), and the errors of a bad request or store.
    pub async fn complete_flow(
        &self,
        path_handle: &str,
        flow_key: Option<&str>,
        request: CompleteFlowRequest,
    ) -> Result<FlowOutcome, FlowError> {
        request.validate().map_err(FlowError::Invalid)?;
        if !ct_eq(path_handle.as_bytes(), request.flow_handle.as_bytes()) {
            return Err(FlowError::bad_request(
                "the body's flowHandle differs from the path's",
            ));
        }
        let addr = FlowAddr::of_request(path_handle, flow_key)?;
        let (v, mut rec) = self.load(&addr).await?;
        if rec.presentation != Presentation::App2App {
            return Err(FlowError::bad_request(
                "QR flows finish by polling, not with a return URL",
            ));
        }
        // §7.3 before anything changes: a forged or foreign URL must not burn the flow.
        let (Some(cb_url), Some(token)) = (rec.initial_callback_url(), &rec.callback_token) else {
            return Err(FlowError::internal("App2App flow without a callback"));
        };
        let binding = CallbackBinding::from_parts(
            cb_url,
            DEFAULT_TOKEN_PARAM,
            token,
            rec.secret()?.digest(),
            rec.session_type(),
        );
        let verified = binding
            .check(&request.return_url)
            .map_err(FlowError::CallbackRejected)?;
        // The fingerprint of the URL's canonical form: every accepted spelling of the genuine
        // URL is the same URL (sidkit_proto::return_url), not the first spelling to arrive.
        let fp = verified.return_url_fingerprint().to_hex();
        // The session's status, fetched once before the claim (it is needed for verification
        // anyway) so that the verifier can be checked while the flow is still untouched.
        let mut status: Option<Result<SessionStatus, ClientError>> = None;
        let mut v = v;
        let wait_until =
            std::time::Instant::now() + self.cfg.completion_timeout + Duration::from_secs(5);
        loop {
            match &rec.stage {
                Stage::Done {
                    fp: done_fp,
                    outcome,
                    problem: p,
                    ..
                } => {
                    let same = done_fp
                        .as_ref()
                        .is_some_and(|d| ct_eq(d.as_bytes(), fp.as_bytes()));
                    if !same {
                        return Err(FlowError::CompletedWithAnotherUrl);
                    }
                    return recorded(outcome, p);
                }
                Stage::Cancelled => return Err(FlowError::Cancelled),
                Stage::Completing {
                    fp: c,
                    lease_until_ms,
                } => {
                    if !ct_eq(c.as_bytes(), fp.as_bytes()) {
                        return Err(FlowError::CompletingWithAnotherUrl);
                    }
                    if Self::expired(&rec) {
                        return Err(FlowError::Expired);
                    }
                    if now_ms() < *lease_until_ms {
                        // The same URL is being verified (here or on another instance): wait,
                        // boundedly (the client retries).
                        if std::time::Instant::now() >= wait_until {
                            return Err(FlowError::CompletionInProgress);
                        }
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        let (nv, nrec) = self.load(&addr).await?;
                        v = nv;
                        rec = nrec;
                        continue;
                    }
                    // The lease ran out without a result: the claimer died. Take the claim
                    // over (below, by compare-and-set, so one instance wins).
                    tracing::warn!(flow = %rec.log_tag(), "completion claim expired: taking it over");
                    metrics::counter!("sidkit_claim_takeovers_total").increment(1);
                }
                Stage::Pending => {
                    if Self::expired(&rec) {
                        return Err(FlowError::Expired);
                    }
                    if rec.kind == FlowKind::CertificateChoiceAndSignature
                        && rec
                            .linked
                            .as_ref()
                            .and_then(|l| l.session_id.as_ref())
                            .is_none()
                    {
                        // The linked signature is not recorded yet (the app calls back only
                        // after it, so another instance is about to): drive, then look again.
                        if std::time::Instant::now() >= wait_until {
                            return Err(FlowError::LinkedSignaturePending);
                        }
                        self.advance_linked(&addr, sidkit_client::MIN_LONG_POLL)
                            .await?;
                        let (nv, nrec) = self.load(&addr).await?;
                        v = nv;
                        rec = nrec;
                        continue;
                    }
                }
            }
            let fetched = match &status {
                Some(s) => s.clone(),
                None => {
                    let s = self.await_session(&rec).await?;
                    status = Some(s.clone());
                    s
                }
            };
            // Smart-ID unreachable for now: answer before the claim, so that the
            // app's retry of the same URL can still complete the flow.
            if let Err(e) = &fetched {
                if e.is_retryable() && !matches!(e, ClientError::SessionEnded(_)) {
                    return Err(FlowError::SmartId(e.clone()));
                }
            }
            // Step 3 of §7.3 before the claim. Only a completed session with a
            // signature carries `userChallenge`; a session that ended otherwise has
            // nothing to compare, and finishes the flow as that end result.
            if let (Ok(st), Some(verifier)) = (&fetched, verified.user_challenge_verifier()) {
                if let Some(uc) = st
                    .signature
                    .as_ref()
                    .and_then(|s| s.user_challenge.as_deref())
                {
                    check_user_challenge(verifier, uc).map_err(FlowError::CallbackRejected)?;
                }
            }
            // Claim the flow (or take over an expired claim), once across instances.
            let mut claimed = rec.clone();
            claimed.stage = Stage::Completing {
                fp: fp.clone(),
                lease_until_ms: now_ms() + self.cfg.claim_lease.as_millis() as u64,
            };
            if self.save(&addr, v.version, &claimed).await? {
                tracing::debug!(flow = %rec.log_tag(), "completion claimed");
                let result = self.finish_app2app(&claimed, &verified, fetched).await;
                let mut done = claimed.clone();
                done.stage = Stage::done(Some(fp.clone()), &result, true);
                // Version v+1 is ours unless the lease ran out and another instance took the
                // claim over: then its answer is the flow's.
                if self
                    .record_done(&addr, v.version + 1, &done, &result)
                    .await?
                {
                    return result;
                }
            }
            let (nv, nrec) = self.load(&addr).await?;
            v = nv;
            rec = nrec;
        }
    }

    /// Waits (at most the completion timeout) for the flow's Smart-ID session to end: the
    /// status, or the client's failure (a session that ended without `OK` included). A flow
    /// whose linked signature was never created is an internal error.
    async fn await_session(
        &self,
        rec: &FlowRecord,
    ) -> Result<Result<SessionStatus, ClientError>, FlowError> {
        let options = PollOptions {
            deadline: self.cfg.completion_timeout,
            ..PollOptions::default()
        };
        // A certificate choice's return URL finishes its linked signature.
        let session_id = if rec.kind == FlowKind::CertificateChoiceAndSignature {
            rec.linked
                .as_ref()
                .and_then(|l| l.session_id.clone())
                .ok_or_else(|| FlowError::internal("the linked signature was not created"))?
        } else {
            rec.session_id.clone()
        };
        Ok(self
            .cfg
            .client
            .poll_until_complete(&session_id, &options)
            .await)
    }

    /// The outcome of a claimed flow from the session's status (fetched before the claim).
    async fn finish_app2app(
        &self,
        rec: &FlowRecord,
        verified: &sidkit_proto::callback::VerifiedCallback,
        status: Result<SessionStatus, ClientError>,
    ) -> Result<FlowOutcome, FlowError> {
        match status {
            Ok(status) => {
                self.verify(
                    rec,
                    &status,
                    CallbackCheck::Verified(verified),
                    FlowType::App2App,
                )
                .await
            }
            Err(ClientError::SessionEnded(SessionEnded {
                end_result,
                interaction,
            })) => Ok(FlowOutcome::Failed {
                end_result,
                interaction,
            }),
            Err(e @ (ClientError::InvalidInput { .. } | ClientError::Api(_))) => {
                Err(FlowError::SmartId(e))
            }
        }
    }
}
