//! Verification of a finished Smart-ID session into a [`FlowOutcome`]: the full response check
//! ([`sidkit_verify`], against the configured trust store, with the callback check the
//! presentation requires), the fresh one-time session reference put in the outcome's `appData`,
//! and recording the outcome with that reference until it is redeemed.

use std::time::SystemTime;

use sidkit_contract::{FlowOutcome, Identity, SignatureResult};
use sidkit_proto::b64;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::FlowType;
use sidkit_proto::secret::random_bytes;
use sidkit_verify::{
    verify_authentication, verify_signature, AuthenticationSession, CallbackCheck, Certificate,
    OfferedFlows, SignatureSession, VerificationContext, VerifiedCertificate, VerifyError,
};

use crate::error::FlowError;
use crate::record::{ref_key, FlowAddr, FlowRecord, SESSION_REF_PREFIX};
use crate::util::to_json;
use crate::Backend;

/// `Failed` for a completed session whose `endResult` is not `OK` (a missing result counts as
/// `SERVER_ERROR`); `None` for `OK`.
pub(crate) fn failed_outcome(status: &sidkit_proto::models::SessionStatus) -> Option<FlowOutcome> {
    let end = status
        .result
        .as_ref()
        .map(|r| r.end_result.clone())
        .unwrap_or(sidkit_proto::models::EndResult::ServerError);
    if end == sidkit_proto::models::EndResult::Ok {
        return None;
    }
    let interaction = status
        .result
        .as_ref()
        .and_then(|r| r.details.as_ref())
        .and_then(|d| d.interaction.clone());
    Some(FlowOutcome::Failed {
        end_result: end,
        interaction,
    })
}

/// A fresh one-time session reference for `appData`: `sr1.` + 256 random bits, Base64URL.
pub(crate) fn new_session_ref() -> Result<String, FlowError> {
    Ok(format!(
        "{SESSION_REF_PREFIX}{}",
        b64::encode_url(&random_bytes(32).map_err(FlowError::internal)?)
    ))
}

impl Backend {
    /// Verifies the completed session `status` of `rec` (offered `flow`, with `callback`)
    /// into an outcome with a fresh session reference; a failed check is
    /// [`FlowError::VerificationFailed`]. A session that did not end `OK` was reported before
    /// it got here, so [`VerifyError::SessionEnded`] is [`FlowError::Internal`].
    pub(crate) async fn verify(
        &self,
        rec: &FlowRecord,
        status: &sidkit_proto::models::SessionStatus,
        callback: CallbackCheck<'_>,
        flow: FlowType,
    ) -> Result<FlowOutcome, FlowError> {
        let trust = &self.cfg.trust_store;
        let ctx = self.verification_context(trust, SystemTime::now());
        let app_data = Some(new_session_ref()?);
        // Everything but revocation first: a response that fails any other check causes no
        // OCSP or CRL fetch.
        let (outcome, verified) =
            self.verify_with(&ctx, rec, status, callback, flow, app_data.clone())?;
        let Some(service) = self.cfg.revocation.as_ref().filter(|s| s.is_enabled()) else {
            self.verified(rec, &verified);
            return Ok(outcome);
        };
        let cert = status
            .cert
            .as_ref()
            .ok_or_else(|| FlowError::internal("a verified response without a certificate"))
            .and_then(|c| Certificate::from_base64(&c.value).map_err(FlowError::internal))?;
        let answers = service
            .answers(trust, &cert, ctx.at)
            .await
            .map_err(FlowError::VerificationFailed)?;
        // Again with the fetched, already checked answers: revocation decides now.
        let ctx = ctx.with_revocation_checker(&answers);
        let (outcome, verified) = self.verify_with(&ctx, rec, status, callback, flow, app_data)?;
        self.verified(rec, &verified);
        Ok(outcome)
    }

    /// A verification context for `at` against `trust`, with the configured certificate
    /// cache.
    pub(crate) fn verification_context<'a>(
        &'a self,
        trust: &'a sidkit_verify::TrustStore,
        at: SystemTime,
    ) -> VerificationContext<'a> {
        let ctx = VerificationContext::new(self.cfg.client.environment().scheme_name, trust, at);
        match self.cfg.cert_cache.as_deref() {
            Some(cache) => ctx.with_cert_cache(cache),
            None => ctx,
        }
    }

    /// Logs how the verified certificate's revocation status was established and calls the
    /// configured hook.
    fn verified(&self, rec: &FlowRecord, c: &VerifiedCertificate) {
        let sources: Vec<&str> = c
            .revocation
            .iter()
            .filter_map(|r| r.evidence.as_ref().map(|e| e.source.as_str()))
            .collect();
        tracing::info!(
            flow = %rec.log_tag(),
            kind = rec.kind.as_str(),
            revocation_checked = c.revocation_checked,
            revocation_sources = %sources.join(" "),
            "response verified"
        );
        if let Some(hook) = &self.cfg.on_verified {
            hook(rec.kind, c);
        }
    }

    /// The synchronous verification of `verify` in `ctx`: the outcome and the verified
    /// certificate.
    fn verify_with(
        &self,
        ctx: &VerificationContext<'_>,
        rec: &FlowRecord,
        status: &sidkit_proto::models::SessionStatus,
        callback: CallbackCheck<'_>,
        flow: FlowType,
        app_data: Option<String>,
    ) -> Result<(FlowOutcome, VerifiedCertificate), FlowError> {
        let ctx = *ctx;
        let offered = OfferedFlows::of(&[flow]);
        let subject = rec.subject()?;
        let vf = |e: VerifyError| {
            // The failed step and check only: never the response's personal data.
            let (step, code) = match &e {
                VerifyError::Verification(f) => (f.step().as_str(), f.code()),
                VerifyError::InvalidInput { field, .. } => ("input", *field),
                VerifyError::SessionEnded(_) => ("response", "session_ended"),
            };
            tracing::warn!(
                flow = %rec.log_tag(),
                kind = rec.kind.as_str(),
                step,
                code,
                "verification failed"
            );
            metrics::counter!("sidkit_verification_failures_total", "step" => step, "code" => code)
                .increment(1);
            match e {
                VerifyError::SessionEnded(_) => FlowError::internal(e),
                VerifyError::InvalidInput { .. } | VerifyError::Verification(_) => {
                    FlowError::VerificationFailed(e)
                }
            }
        };
        let outcome = if let (Some(req), Some(l)) = (&rec.linked_request, &rec.linked) {
            let document = DocumentNumber::new(l.document.as_str()).map_err(FlowError::internal)?;
            let session = SignatureSession::linked(req, document, rec.initial_callback_url())
                .with_certificate_choice_flow(l.choice_flow);
            let r = verify_signature(&ctx, &session, status, callback).map_err(vf)?;
            let outcome = FlowOutcome::Signed {
                signature: SignatureResult {
                    document_number: r.document_number,
                    certificate_level: r.certificate_level,
                    signature_algorithm: r.signature_algorithm.as_str().to_owned(),
                    signature_value: b64::encode_std(&r.signature_value),
                    certificate: Some(b64::encode_std(&r.certificate.der)),
                },
                app_data,
            };
            (outcome, r.certificate)
        } else if let Some(req) = &rec.auth_request {
            let session = AuthenticationSession::device_link(req, subject, offered);
            let r = verify_authentication(&ctx, &session, status, callback).map_err(vf)?;
            let id = r.identity;
            let outcome = FlowOutcome::Authenticated {
                identity: Identity {
                    given_name: id.given_name.clone().unwrap_or_else(|| "-".to_owned()),
                    surname: id.surname.clone().unwrap_or_else(|| "-".to_owned()),
                    identifier: id.identity_code.clone(),
                    country: id.country.clone(),
                    document_number: r.document_number,
                    certificate_level: r.certificate_level,
                    date_of_birth: id.date_of_birth.map(|d| d.to_string()),
                },
                app_data,
            };
            (outcome, r.certificate)
        } else if let Some(req) = &rec.sign_request {
            let session = SignatureSession::device_link(req, subject, offered);
            let r = verify_signature(&ctx, &session, status, callback).map_err(vf)?;
            let outcome = FlowOutcome::Signed {
                signature: SignatureResult {
                    document_number: r.document_number,
                    certificate_level: r.certificate_level,
                    signature_algorithm: r.signature_algorithm.as_str().to_owned(),
                    signature_value: b64::encode_std(&r.signature_value),
                    certificate: Some(b64::encode_std(&r.certificate.der)),
                },
                app_data,
            };
            (outcome, r.certificate)
        } else {
            return Err(FlowError::internal("flow record without a request"));
        };
        Ok(outcome)
    }

    /// Records `done` (a `Stage::Done` with `result`) over version `version` of the flow at
    /// `addr`, and with it the session reference of a successful outcome, so that
    /// [`Backend::redeem_session_ref`] can redeem it once. Whether the record was ours to write
    /// (`false`: another instance or request recorded the flow first).
    ///
    /// The reference is stored first: an instance that dies between the two writes leaves an
    /// unreferenced session reference (its value never left the instance; it expires with the
    /// flow) and a flow that another instance finishes, never an outcome handed out whose
    /// reference cannot be redeemed. A reference that cannot be stored fails the call with
    /// [`FlowError::Store`] before the flow is recorded (a retry finishes it); one whose flow
    /// was recorded by someone else first is removed again.
    pub(crate) async fn record_done(
        &self,
        addr: &FlowAddr,
        version: u64,
        done: &FlowRecord,
        result: &Result<FlowOutcome, FlowError>,
    ) -> Result<bool, FlowError> {
        let session_ref = match result {
            Ok(
                FlowOutcome::Authenticated { app_data, .. } | FlowOutcome::Signed { app_data, .. },
            ) => app_data
                .as_deref()
                .filter(|r| r.starts_with(SESSION_REF_PREFIX)),
            _ => None,
        };
        let key = session_ref.map(ref_key);
        if let (Some(key), Ok(o)) = (&key, result) {
            let json = to_json(o)?;
            if !self
                .cfg
                .store
                .insert(key, &json, self.ttl_left(done))
                .await?
            {
                return Err(FlowError::internal("a session reference is already in use"));
            }
        }
        let saved = self.save(addr, version, done).await?;
        if saved {
            let result_label = match result {
                Ok(FlowOutcome::Authenticated { .. }) => "authenticated".to_owned(),
                Ok(FlowOutcome::Signed { .. }) => "signed".to_owned(),
                Ok(FlowOutcome::Failed { end_result, .. }) => end_result.code().to_owned(),
                Err(e) => e.code().to_owned(),
            };
            tracing::info!(
                flow = %done.log_tag(),
                kind = done.kind.as_str(),
                presentation = done.presentation.as_str(),
                result = %result_label,
                "flow finished"
            );
            metrics::counter!(
                "sidkit_flows_finished_total",
                "kind" => done.kind.as_str(),
                "result" => result_label
            )
            .increment(1);
        }
        if !saved {
            if let Some(key) = &key {
                // Best effort: if this fails too, the reference expires with the flow.
                let _ = self.cfg.store.remove(key).await;
            }
        }
        Ok(saved)
    }
}
