//! The driver of `certificateChoiceAndSignature` flows: the certificate choice (C2) is
//! verified once it ends `OK` (its callback deferred to the linked signature, spec §7.2), the
//! linked notification signature (S5) is created on the chosen document exactly once (a
//! compare-and-set claim in the store, so on any instance), and S5 is awaited. A background
//! task drives each such flow; polls and completions drive it as well.

use std::time::{Duration, SystemTime};

use sidkit_contract::{FlowOutcome, Presentation};
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::{FlowType, SessionState};
use sidkit_verify::{
    verify_certificate_choice, CallbackCheck, CertificateChoiceSession, OfferedFlows, VerifyError,
};

use crate::error::FlowError;
use crate::outcome::failed_outcome;
use crate::record::{FlowAddr, FlowRecord, LinkedStage, Stage};
use crate::store::Versioned;
use crate::Backend;

/// How far [`Backend::advance_linked`] got.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkedProgress {
    /// Still waiting for the user (C2 or S5 running) or for another instance.
    Running,
    /// S5 ended `OK`; an App2App flow now waits for the return URL.
    AwaitCallback,
    /// The flow is no longer pending (finished, cancelled, completing or expired).
    Settled,
}

/// How long the background driver of a `certificateChoiceAndSignature` flow long-polls.
const LINKED_LONG_POLL: Duration = Duration::from_secs(10);

impl Backend {
    /// Drives a `certificateChoiceAndSignature` flow in the background until its linked
    /// signature ends (or the flow settles otherwise): the Smart-ID app opens the certificate
    /// choice's callback only after the linked signature, so nobody else may be asking. Polls
    /// and completions drive the flow as well (on any instance); the store's compare-and-set
    /// makes every step happen once.
    pub(crate) fn spawn_linked_driver(&self, addr: FlowAddr) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        let backend = self.clone();
        rt.spawn(async move {
            let deadline = std::time::Instant::now() + backend.cfg.flow_ttl;
            while std::time::Instant::now() < deadline {
                let started = std::time::Instant::now();
                match backend.advance_linked(&addr, LINKED_LONG_POLL).await {
                    Ok(LinkedProgress::Running) => {}
                    Ok(_) => break,
                    // The flow is gone: nothing left to drive.
                    Err(FlowError::NotFound | FlowError::Cancelled | FlowError::Expired) => break,
                    Err(_) => tokio::time::sleep(Duration::from_secs(1)).await,
                }
                if started.elapsed() < Duration::from_millis(100) {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
    }

    /// Applies `f` to the pending flow at `addr` with compare-and-set, retrying on conflicts.
    /// Does nothing once the flow is no longer pending (a completion owns a `Completing`
    /// record; finished and cancelled flows stay as they are).
    async fn update_pending(
        &self,
        addr: &FlowAddr,
        f: impl Fn(&mut FlowRecord),
    ) -> Result<bool, FlowError> {
        for _ in 0..16 {
            let (v, mut rec) = self.load(addr).await?;
            if !matches!(rec.stage, Stage::Pending) {
                return Ok(false);
            }
            f(&mut rec);
            if self.save(addr, v.version, &rec).await? {
                return Ok(true);
            }
        }
        Err(FlowError::Contended)
    }

    /// Finishes the pending flow (version `v`) with `result` (QR and failures: no return URL).
    async fn finish_pending(
        &self,
        addr: &FlowAddr,
        v: &Versioned,
        rec: &FlowRecord,
        result: Result<FlowOutcome, FlowError>,
    ) -> Result<bool, FlowError> {
        let mut done = rec.clone();
        done.stage = Stage::done(None, &result, false);
        self.record_done(addr, v.version, &done, &result).await
    }

    /// One step of a `certificateChoiceAndSignature` flow: waits (at most `long_poll`) for the
    /// certificate choice (C2); once it ended `OK`, verifies it (its callback is deferred to
    /// the linked signature, spec §7.2), claims the creation of the linked signature (S5) in
    /// the store, creates it on the chosen document and records its `sessionID`; then waits
    /// for S5. Failures of C2 or S5 finish the flow as `failed`; a QR flow is verified and
    /// finished here, an App2App flow waits for the return URL.
    pub(crate) async fn advance_linked(
        &self,
        addr: &FlowAddr,
        long_poll: Duration,
    ) -> Result<LinkedProgress, FlowError> {
        let (v, rec) = self.load(addr).await?;
        if !matches!(rec.stage, Stage::Pending) || Self::expired(&rec) {
            return Ok(LinkedProgress::Settled);
        }
        let client = &self.cfg.client;
        let app2app = rec.presentation == Presentation::App2App;
        match rec.linked.clone() {
            None => {
                let status = self.status.get(client, &rec.session_id, long_poll).await?;
                if status.state != SessionState::Complete {
                    return Ok(LinkedProgress::Running);
                }
                if let Some(failed) = failed_outcome(&status) {
                    self.finish_pending(addr, &v, &rec, Ok(failed)).await?;
                    return Ok(LinkedProgress::Settled);
                }
                let (Some(cert_req), Some(linked_req)) = (&rec.cert_request, &rec.linked_request)
                else {
                    return Err(FlowError::internal(
                        "certificate-choice flow without its requests",
                    ));
                };
                let flow = if app2app {
                    FlowType::App2App
                } else {
                    FlowType::Qr
                };
                let ctx = self.verification_context(&self.cfg.trust_store, SystemTime::now());
                let check = if app2app {
                    CallbackCheck::DeferredToLinkedSignature
                } else {
                    CallbackCheck::None
                };
                let chosen = match verify_certificate_choice(
                    &ctx,
                    &CertificateChoiceSession::device_link(cert_req, OfferedFlows::of(&[flow])),
                    &status,
                    check,
                )
                .and_then(|c| {
                    DocumentNumber::new(c.document_number.as_str())
                        .map(|d| (c, d))
                        .map_err(VerifyError::from)
                }) {
                    Ok(c) => c,
                    Err(e) => {
                        let failed = Err(FlowError::VerificationFailed(e));
                        self.finish_pending(addr, &v, &rec, failed).await?;
                        return Ok(LinkedProgress::Settled);
                    }
                };
                let (chosen, document) = chosen;
                // Claim the creation: exactly one caller (on any instance) creates S5.
                let mut claimed = rec.clone();
                claimed.linked = Some(LinkedStage {
                    document: chosen.document_number.clone(),
                    choice_flow: chosen.flow_type,
                    session_id: None,
                });
                if !self.save(addr, v.version, &claimed).await? {
                    return Ok(LinkedProgress::Running);
                }
                match client
                    .create_linked_notification_signature(&document, linked_req)
                    .await
                {
                    Ok(created) => {
                        let sid = created.session_id.clone();
                        self.update_pending(addr, |r| {
                            if let Some(l) = &mut r.linked {
                                l.session_id = Some(sid.clone());
                            }
                        })
                        .await?;
                        Ok(LinkedProgress::Running)
                    }
                    Err(e) => {
                        let done = Stage::done(None, &Err(FlowError::SmartId(e)), false);
                        self.update_pending(addr, |r| r.stage = done.clone())
                            .await?;
                        Ok(LinkedProgress::Settled)
                    }
                }
            }
            Some(LinkedStage {
                session_id: None, ..
            }) => {
                // Another caller is creating S5.
                tokio::time::sleep(Duration::from_millis(100)).await;
                Ok(LinkedProgress::Running)
            }
            Some(LinkedStage {
                session_id: Some(sid),
                ..
            }) => {
                let status = self.status.get(client, &sid, long_poll).await?;
                if status.state != SessionState::Complete {
                    return Ok(LinkedProgress::Running);
                }
                if let Some(failed) = failed_outcome(&status) {
                    self.finish_pending(addr, &v, &rec, Ok(failed)).await?;
                    return Ok(LinkedProgress::Settled);
                }
                if app2app {
                    return Ok(LinkedProgress::AwaitCallback);
                }
                let result = self
                    .verify(&rec, &status, CallbackCheck::None, FlowType::Qr)
                    .await;
                self.finish_pending(addr, &v, &rec, result).await?;
                Ok(LinkedProgress::Settled)
            }
        }
    }
}
