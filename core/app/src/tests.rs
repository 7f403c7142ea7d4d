//! Tests of the mobile flow against a backend simulated with the crate's own backend pieces
//! (real device links signed with a session secret, real callback URLs and binding checks).
//!
//! Longer than 600 lines because it holds every scenario of the flow (App2App, QR, each end
//! result, replays, forgeries, process death, deadlines, property tests) on one shared fixture.

use proptest::prelude::*;

use super::*;
use sidkit_contract::*;
use sidkit_proto::b64;
use sidkit_proto::callback::{
    create_callback_url, CallbackBinding, InitialCallback, OneShotCallback,
};
use sidkit_proto::device_link::{DeviceLinkParams, DeviceLinkSigner, DeviceLinkType, SessionType};
use sidkit_proto::env::{SchemeName, LIVE_DEVICE_LINK_BASE};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::{CertificateLevel, EndResult};
use sidkit_proto::secret::{RpChallenge, SessionSecret};

const CALLBACK_BASE: &str = "https://rp.example.com/sid/return";
const T0: u64 = 1_767_225_600_000;

fn config() -> FlowConfig {
    FlowConfig::new(CALLBACK_BASE, DeviceLinkPolicy::live()).unwrap()
}

/// One Smart-ID session as the RP backend holds it.
struct BackendSession {
    signer: DeviceLinkSigner,
    secret: SessionSecret,
    callback: Option<InitialCallback>,
    session_type: SessionType,
    handle: String,
}

fn random_token(n: usize) -> String {
    let bytes = sidkit_proto::secret::random_bytes(n).unwrap();
    bytes
        .iter()
        .map(|b| {
            let a = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
            a[usize::from(*b) % a.len()] as char
        })
        .collect()
}

impl BackendSession {
    fn new(kind: FlowKind, presentation: Presentation) -> Self {
        let session_type = kind.session_type();
        let secret = SessionSecret::from_base64(&b64::encode_std(
            &sidkit_proto::secret::random_bytes(32).unwrap(),
        ))
        .unwrap();
        let interactions = Interactions::new(
            InteractionFlow::DeviceLink,
            vec![Interaction::display_text_and_pin("Log in to the bank").unwrap()],
        )
        .unwrap();
        let (challenge, interactions) = match session_type {
            SessionType::Auth => (
                RpChallenge::random().unwrap().expose_base64().to_owned(),
                interactions.as_base64().to_owned(),
            ),
            SessionType::Sign => (
                b64::encode_std(&[7u8; 64]),
                interactions.as_base64().to_owned(),
            ),
            SessionType::Cert => (String::new(), String::new()),
        };
        let callback = match presentation {
            Presentation::App2App => Some(create_callback_url(CALLBACK_BASE).unwrap()),
            Presentation::Qr => None,
        };
        let params = DeviceLinkParams {
            scheme_name: SchemeName::SmartId,
            device_link_base: LIVE_DEVICE_LINK_BASE.into(),
            session_token: random_token(24),
            session_type,
            rp_challenge_or_digest: challenge,
            relying_party_name: "DEMO".into(),
            brokered_rp_name: None,
            interactions,
            initial_callback_url: callback.as_ref().map(|c| c.url().into()),
            lang: "eng".into(),
        };
        BackendSession {
            signer: DeviceLinkSigner::new(&params, &secret).unwrap(),
            secret,
            callback,
            session_type,
            handle: format!("fh_{}", random_token(20)),
        }
    }

    fn start_response(&self) -> StartFlowResponse {
        let (link, base, commitment) = match &self.callback {
            Some(cb) => (
                self.signer
                    .same_device_link(DeviceLinkType::App2App)
                    .unwrap()
                    .into_string(),
                Some(CALLBACK_BASE.to_owned()),
                Some(cb.token().commitment()),
            ),
            None => (self.signer.qr_link(0).into_string(), None, None),
        };
        StartFlowResponse {
            flow_handle: self.handle.clone(),
            session_type: self.session_type,
            device_link: link,
            callback_base: base,
            callback_commitment: commitment,
            expires_in_ms: 120_000,
        }
    }

    /// What the Smart-ID app opens when the user is done.
    fn return_url(&self) -> String {
        let cb = self.callback.as_ref().unwrap();
        let digest = self.secret.digest().to_base64url();
        match self.session_type {
            SessionType::Auth => format!(
                "{}&sessionSecretDigest={digest}&userChallengeVerifier=XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c",
                cb.url()
            ),
            _ => format!("{}&sessionSecretDigest={digest}", cb.url()),
        }
    }

    fn one_shot(&self) -> OneShotCallback {
        OneShotCallback::new(CallbackBinding::new(
            self.callback.as_ref().unwrap(),
            &self.secret,
            self.session_type,
        ))
    }
}

fn identity() -> Identity {
    Identity {
        given_name: "QUALIFIED OK1".into(),
        surname: "TESTNUMBER".into(),
        identifier: "PNOEE-30303039914".into(),
        country: "EE".into(),
        document_number: "PNOEE-30303039914-MOCK-Q".into(),
        certificate_level: CertificateLevel::Qualified,
        date_of_birth: Some("1903-03-03".into()),
    }
}

fn authenticated() -> FlowOutcome {
    FlowOutcome::Authenticated {
        identity: identity(),
        app_data: Some("rp-session-42".into()),
    }
}

fn signed() -> FlowOutcome {
    FlowOutcome::Signed {
        signature: SignatureResult {
            document_number: "PNOEE-30303039914-MOCK-Q".into(),
            certificate_level: CertificateLevel::Qualified,
            signature_algorithm: "rsassa-pss".into(),
            signature_value: b64::encode_std(&[1u8; 256]),
            certificate: None,
        },
        app_data: None,
    }
}

fn refused() -> FlowOutcome {
    FlowOutcome::Failed {
        end_result: EndResult::UserRefused,
        interaction: None,
    }
}

fn started(kind: FlowKind, presentation: Presentation) -> (Flow, BackendSession, NextStep) {
    let mut flow = Flow::new(config(), FlowSpec::new(kind, presentation), T0).unwrap();
    let req = flow.begin_start(T0).unwrap();
    req.validate().unwrap();
    assert_eq!(req.kind, kind);
    let backend = BackendSession::new(kind, presentation);
    let step = flow
        .on_start_response(backend.start_response(), T0 + 50)
        .unwrap();
    (flow, backend, step)
}

fn ret(url: &str) -> ReturnUrl {
    ReturnUrl::parse(&CallbackBase::new(CALLBACK_BASE).unwrap(), url).unwrap()
}

fn flow_failure(e: AppError) -> FlowFailure {
    match e {
        AppError::Flow(f) => f,
        other => panic!("expected a flow failure, got {other:?}"),
    }
}

fn route_rejection(e: AppError) -> RouteRejection {
    match e {
        AppError::ReturnUrlRejected(r) => r,
        other => panic!("expected a route rejection, got {other:?}"),
    }
}

#[test]
fn app2app_authentication_end_to_end() {
    let (mut flow, backend, step) = started(FlowKind::Authentication, Presentation::App2App);
    let NextStep::LaunchApp { device_link } = step else {
        panic!("{step:?}")
    };
    assert!(device_link.contains("deviceLinkType=App2App"));
    assert_eq!(flow.state(), FlowState::ReadyToLaunch);
    assert_eq!(flow.session_type(), Some(SessionType::Auth));
    flow.mark_launched(T0 + 100).unwrap();
    flow.mark_launched(T0 + 101).unwrap();
    assert_eq!(flow.state(), FlowState::AwaitingReturn);

    let url = backend.return_url();
    let r = ret(&url);
    assert!(flow.matches(&r));
    let ReturnDisposition::Complete(req) = flow.accept_return_url(&r, T0 + 5000).unwrap() else {
        panic!()
    };
    req.validate().unwrap();
    assert_eq!(req.flow_handle, backend.handle);
    assert_eq!(req.return_url, url);
    assert_eq!(flow.state(), FlowState::Completing);
    // The backend's own checks accept what the phone forwarded.
    let verified = backend.one_shot().accept(&req.return_url).unwrap();
    assert!(verified.user_challenge_verifier().is_some());
    // The same URL again while in flight: wait for it.
    assert_eq!(
        flow.accept_return_url(&r, T0 + 5001).unwrap(),
        ReturnDisposition::InFlight
    );
    let out = flow.on_complete_response(authenticated()).unwrap();
    assert_eq!(out, authenticated());
    assert_eq!(flow.state(), FlowState::Finished);
    assert_eq!(flow.outcome(), Some(&authenticated()));
    // The same URL once more: the same outcome, without a backend call.
    assert_eq!(
        flow.accept_return_url(&r, T0 + 6000).unwrap(),
        ReturnDisposition::AlreadyFinished(authenticated())
    );
    // Same token, different URL: a replay.
    let other = ret(&url.replace("userChallengeVerifier=X", "userChallengeVerifier=Y"));
    assert_eq!(
        route_rejection(flow.accept_return_url(&other, T0 + 6000).unwrap_err()),
        RouteRejection::Replayed
    );
    assert!(flow.snapshot().is_none());
}

#[test]
fn signature_and_certificate_choice_flows() {
    for kind in [FlowKind::Signature, FlowKind::CertificateChoiceAndSignature] {
        let (mut flow, backend, _) = started(kind, Presentation::App2App);
        assert_eq!(flow.session_type(), Some(kind.session_type()));
        let r = ret(&backend.return_url());
        assert!(!r.has_user_challenge_verifier());
        assert!(matches!(
            flow.accept_return_url(&r, T0 + 1000).unwrap(),
            ReturnDisposition::Complete(_)
        ));
        assert!(backend.one_shot().accept(r.expose()).is_ok());
        // An authentication outcome cannot end a signing flow.
        let mut f2 = started(kind, Presentation::App2App).0;
        let r2 = ret(&started(kind, Presentation::App2App).1.return_url());
        assert!(!f2.matches(&r2));
        assert_eq!(
            route_rejection(f2.accept_return_url(&r2, T0).unwrap_err()),
            RouteRejection::UnknownFlow
        );
        let e = flow.on_complete_response(authenticated()).unwrap_err();
        assert!(matches!(flow_failure(e), FlowFailure::BadResponse(_)));
        assert_eq!(flow.state(), FlowState::Failed);
        let (mut flow, backend, _) = started(kind, Presentation::App2App);
        flow.accept_return_url(&ret(&backend.return_url()), T0)
            .unwrap();
        assert_eq!(flow.on_complete_response(signed()).unwrap(), signed());
    }
}

#[test]
fn user_challenge_verifier_only_for_authentication() {
    let (mut flow, backend, _) = started(FlowKind::Signature, Presentation::App2App);
    let url = format!(
        "{}&userChallengeVerifier=XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c",
        backend.return_url()
    );
    assert_eq!(
        route_rejection(flow.accept_return_url(&ret(&url), T0).unwrap_err()),
        RouteRejection::SessionTypeMismatch
    );
    assert_eq!(flow.state(), FlowState::ReadyToLaunch);
}

#[test]
fn link_checks_at_start_end_the_flow() {
    type Mutation = Box<dyn Fn(&mut StartFlowResponse)>;
    let cases: Vec<(&str, Mutation, &str)> = vec![
        (
            "foreign base",
            Box::new(|r| r.device_link = r.device_link.replace("smart-id.com", "smart-id.evil")),
            "link_base_not_allowed",
        ),
        (
            "QR link in an App2App flow",
            Box::new(|r| {
                r.device_link = r.device_link.replace(
                    "deviceLinkType=App2App",
                    "deviceLinkType=QR&elapsedSeconds=1",
                )
            }),
            "link_wrong_type",
        ),
        (
            "session type",
            Box::new(|r| {
                r.device_link = r
                    .device_link
                    .replace("sessionType=auth", "sessionType=sign")
            }),
            "link_session_type_mismatch",
        ),
        (
            "plain http",
            Box::new(|r| r.device_link = r.device_link.replace("https://", "http://")),
            "link_malformed",
        ),
        (
            "truncated authCode",
            Box::new(|r| {
                r.device_link.pop();
            }),
            "link_malformed",
        ),
        (
            "sessionID as handle",
            Box::new(|r| r.flow_handle = "fa20fd1e-e320-4c68-8315-f6a507a0b4a9".into()),
            "flow_bad_response",
        ),
        (
            "response session type",
            Box::new(|r| r.session_type = SessionType::Cert),
            "flow_bad_response",
        ),
        (
            "other callback base",
            Box::new(|r| r.callback_base = Some("https://rp.example.com/web/return".into())),
            "flow_bad_response",
        ),
        (
            "no commitment",
            Box::new(|r| r.callback_commitment = None),
            "flow_bad_response",
        ),
        (
            "bad commitment",
            Box::new(|r| r.callback_commitment = Some("abc".into())),
            "flow_bad_response",
        ),
        (
            "no expiry",
            Box::new(|r| r.expires_in_ms = 0),
            "flow_bad_response",
        ),
    ];
    for (name, mutate, code) in cases {
        let mut flow = Flow::new(
            config(),
            FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
            T0,
        )
        .unwrap();
        flow.begin_start(T0).unwrap();
        let mut resp =
            BackendSession::new(FlowKind::Authentication, Presentation::App2App).start_response();
        mutate(&mut resp);
        let e = flow.on_start_response(resp, T0).unwrap_err();
        assert_eq!(e.code(), code, "{name}: {e}");
        assert_eq!(flow.state(), FlowState::Failed, "{name}");
        assert_eq!(flow.failure().map(AppError::code), Some(code), "{name}");
        assert!(flow.snapshot().is_none());
        assert_eq!(
            flow.begin_start(T0).unwrap_err().code(),
            "flow_invalid_state"
        );
    }
}

#[test]
fn start_retries_keep_the_idempotency_key() {
    let mut flow = Flow::new(
        config(),
        FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
        T0,
    )
    .unwrap();
    let first = flow.begin_start(T0).unwrap();
    assert_eq!(
        flow_failure(flow.begin_start(T0).unwrap_err()),
        FlowFailure::Busy("start")
    );
    flow.on_start_error(true, "connection reset");
    assert_eq!(flow.state(), FlowState::Created);
    let second = flow.begin_start(T0 + 10).unwrap();
    assert_eq!(first, second);
    flow.on_start_error(false, "HTTP 403");
    assert_eq!(flow.state(), FlowState::Failed);
    assert_eq!(flow.failure().map(AppError::code), Some("flow_transport"));
    // Another flow gets another key.
    let mut other = Flow::new(
        config(),
        FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
        T0,
    )
    .unwrap();
    let other_start = other.begin_start(T0).unwrap();
    assert_ne!(other_start.idempotency_key, first.idempotency_key);
    assert_ne!(other.id(), flow.id());
    // Each flow has its own key; the start carries only its challenge, the same on a retry.
    assert_ne!(other.flow_key(), flow.flow_key());
    let challenge = first.flow_key_challenge.clone().unwrap();
    assert_eq!(challenge, flow.flow_key().challenge());
    assert!(flow.flow_key().matches(&challenge));
    assert_eq!(second.flow_key_challenge, Some(challenge));
    assert_ne!(other_start.flow_key_challenge, first.flow_key_challenge);
    assert!(!format!("{first:?}").contains(flow.flow_key().expose()));
}

#[test]
fn an_outcome_delivered_to_an_earlier_request_ends_the_flow() {
    let (mut f, _, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.mark_launched(T0).unwrap();
    f.begin_poll(T0 + 10).unwrap();
    let e = f
        .on_poll_response(PollFlowResponse::finished_delivered(&authenticated()))
        .unwrap_err();
    assert_eq!(
        flow_failure(e),
        FlowFailure::OutcomeDelivered(sidkit_contract::OutcomeKind::Authenticated)
    );
    assert_eq!(f.state(), FlowState::Failed);
    assert_eq!(
        f.failure().map(AppError::code),
        Some("flow_outcome_delivered")
    );
    // A finished answer whose kind does not fit its outcome is a bad response.
    let (mut g, _, _) = started(FlowKind::Authentication, Presentation::Qr);
    g.begin_poll(T0 + 10).unwrap();
    let lying = PollFlowResponse::Finished {
        result: sidkit_contract::OutcomeKind::Failed,
        outcome: Some(authenticated()),
    };
    assert_eq!(
        g.on_poll_response(lying).unwrap_err().code(),
        "flow_bad_response"
    );
}

#[test]
fn cancel_at_any_point() {
    // Created, Starting, ReadyToLaunch, AwaitingReturn, Completing, ShowingQr.
    let mut f = Flow::new(
        config(),
        FlowSpec::new(FlowKind::Signature, Presentation::App2App),
        T0,
    )
    .unwrap();
    assert_eq!(f.cancel(), None);
    assert_eq!(f.state(), FlowState::Cancelled);
    assert_eq!(
        flow_failure(f.begin_start(T0).unwrap_err()),
        FlowFailure::Cancelled
    );

    let mut f = Flow::new(
        config(),
        FlowSpec::new(FlowKind::Signature, Presentation::App2App),
        T0,
    )
    .unwrap();
    f.begin_start(T0).unwrap();
    assert_eq!(f.cancel(), None);
    let resp = BackendSession::new(FlowKind::Signature, Presentation::App2App).start_response();
    assert_eq!(
        flow_failure(f.on_start_response(resp, T0).unwrap_err()),
        FlowFailure::Cancelled
    );

    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    assert_eq!(
        f.cancel(),
        Some(CancelFlowRequest {
            flow_handle: backend.handle.clone()
        })
    );
    assert_eq!(f.cancel(), None, "cancelling twice changes nothing");
    assert_eq!(
        route_rejection(
            f.accept_return_url(&ret(&backend.return_url()), T0)
                .unwrap_err()
        ),
        RouteRejection::Stale
    );
    assert_eq!(
        flow_failure(f.begin_poll(T0).unwrap_err()),
        FlowFailure::Cancelled
    );
    assert_eq!(
        flow_failure(f.mark_launched(T0).unwrap_err()),
        FlowFailure::Cancelled
    );

    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.accept_return_url(&ret(&backend.return_url()), T0)
        .unwrap();
    assert!(f.cancel().is_some());
    assert_eq!(
        flow_failure(f.on_complete_response(authenticated()).unwrap_err()),
        FlowFailure::Cancelled
    );
    assert!(f.outcome().is_none());

    let (mut f, _, _) = started(FlowKind::Authentication, Presentation::Qr);
    assert!(f.cancel().is_some());
    assert_eq!(f.state(), FlowState::Cancelled);

    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.accept_return_url(&ret(&backend.return_url()), T0)
        .unwrap();
    f.on_complete_response(authenticated()).unwrap();
    assert_eq!(f.cancel(), None, "a finished flow stays finished");
    assert_eq!(f.state(), FlowState::Finished);
}

#[test]
fn deadlines() {
    let cfg = config().with_max_duration_ms(60_000).unwrap();
    assert!(config().with_max_duration_ms(999).is_err());
    assert!(config().with_max_duration_ms(3_600_001).is_err());
    let mut f = Flow::new(
        cfg.clone(),
        FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
        T0,
    )
    .unwrap();
    assert_eq!(f.deadline_ms(), T0 + 60_000);
    assert_eq!(f.remaining_ms(T0 + 59_000), 1000);
    assert_eq!(f.tick(T0 + 59_999), FlowState::Created);
    assert_eq!(
        flow_failure(f.begin_start(T0 + 60_000).unwrap_err()),
        FlowFailure::Expired
    );
    assert_eq!(f.remaining_ms(T0 + 70_000), 0);

    // The backend's shorter expiry wins.
    let mut f = Flow::new(
        cfg,
        FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
        T0,
    )
    .unwrap();
    f.begin_start(T0).unwrap();
    let backend = BackendSession::new(FlowKind::Authentication, Presentation::App2App);
    let mut resp = backend.start_response();
    resp.expires_in_ms = 10_000;
    f.on_start_response(resp, T0 + 1000).unwrap();
    assert_eq!(f.deadline_ms(), T0 + 11_000);
    let r = ret(&backend.return_url());
    assert_eq!(
        route_rejection(f.accept_return_url(&r, T0 + 11_000).unwrap_err()),
        RouteRejection::Stale
    );
    assert_eq!(f.state(), FlowState::Expired);
    assert_eq!(f.cancel(), None);
}

#[test]
fn retryable_completion_accepts_only_the_same_url_again() {
    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    let url = backend.return_url();
    f.accept_return_url(&ret(&url), T0).unwrap();
    f.on_complete_error(true, "timeout");
    assert_eq!(f.state(), FlowState::AwaitingReturn);
    let other = url.replace("userChallengeVerifier=X", "userChallengeVerifier=Z");
    assert_eq!(
        route_rejection(f.accept_return_url(&ret(&other), T0).unwrap_err()),
        RouteRejection::Replayed
    );
    assert!(matches!(
        f.accept_return_url(&ret(&url), T0).unwrap(),
        ReturnDisposition::Complete(_)
    ));
    f.on_complete_error(false, "HTTP 403 callback_rejected");
    assert_eq!(f.state(), FlowState::Failed);
    assert_eq!(
        route_rejection(f.accept_return_url(&ret(&url), T0).unwrap_err()),
        RouteRejection::Stale
    );
}

#[test]
fn a_url_the_backend_refused_is_forgotten() {
    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    let url = backend.return_url();
    let forged = url.replace("userChallengeVerifier=X", "userChallengeVerifier=Z");
    assert_ne!(forged, url);
    assert!(matches!(
        f.accept_return_url(&ret(&forged), T0).unwrap(),
        ReturnDisposition::Complete(_)
    ));
    // callback_rejected: the backend did not touch the flow; the genuine URL is taken next.
    f.on_complete_refused();
    assert_eq!(f.state(), FlowState::AwaitingReturn);
    let ReturnDisposition::Complete(req) = f.accept_return_url(&ret(&url), T0).unwrap() else {
        panic!()
    };
    assert_eq!(req.return_url, url);
    f.on_complete_response(authenticated()).unwrap();
    // Outside `Completing` it changes nothing.
    f.on_complete_refused();
    assert_eq!(f.state(), FlowState::Finished);
}

#[test]
fn abandoned_calls_roll_back() {
    let mut f = Flow::new(
        config(),
        FlowSpec::new(FlowKind::Authentication, Presentation::App2App),
        T0,
    )
    .unwrap();
    f.begin_start(T0).unwrap();
    f.abort_completion();
    f.abort_poll();
    assert_eq!(f.state(), FlowState::Starting);
    f.abort_start();
    assert_eq!(f.state(), FlowState::Created);
    f.begin_start(T0).unwrap();
    let backend = BackendSession::new(FlowKind::Authentication, Presentation::App2App);
    f.on_start_response(backend.start_response(), T0).unwrap();
    f.accept_return_url(&ret(&backend.return_url()), T0)
        .unwrap();
    f.abort_start();
    f.abort_poll();
    assert_eq!(f.state(), FlowState::Completing);
    f.abort_completion();
    assert_eq!(f.state(), FlowState::AwaitingReturn);
    assert!(matches!(
        f.begin_poll(T0).unwrap(),
        PollDisposition::Send(_)
    ));
    assert_eq!(
        flow_failure(f.begin_poll(T0).unwrap_err()),
        FlowFailure::Busy("poll")
    );
    f.abort_poll();
    assert!(matches!(
        f.begin_poll(T0).unwrap(),
        PollDisposition::Send(_)
    ));
}

#[test]
fn app2app_resume_without_return_url() {
    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.mark_launched(T0).unwrap();
    let PollDisposition::Send(req) = f.begin_poll(T0 + 10).unwrap() else {
        panic!()
    };
    assert_eq!(req.flow_handle, backend.handle);
    let link = f.device_link().unwrap().to_owned();
    assert_eq!(
        f.on_poll_response(PollFlowResponse::Pending { device_link: None })
            .unwrap(),
        PollProgress::Waiting { device_link: link }
    );
    // The user refused; the Smart-ID app did not call back.
    f.begin_poll(T0 + 20).unwrap();
    assert_eq!(
        f.on_poll_response(PollFlowResponse::finished(refused()))
            .unwrap(),
        PollProgress::Finished(refused())
    );
    assert_eq!(f.state(), FlowState::Finished);
    assert_eq!(
        f.begin_poll(T0 + 30).unwrap(),
        PollDisposition::Finished(refused())
    );
    // A return URL arriving after that is not accepted again.
    assert_eq!(
        route_rejection(
            f.accept_return_url(&ret(&backend.return_url()), T0)
                .unwrap_err()
        ),
        RouteRejection::Replayed
    );

    // While a completion is in flight, a poll waits for it; a finished poll wins the race.
    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.accept_return_url(&ret(&backend.return_url()), T0)
        .unwrap();
    assert_eq!(f.begin_poll(T0).unwrap(), PollDisposition::AwaitCompletion);
    assert_eq!(
        f.on_poll_response(PollFlowResponse::finished(authenticated()))
            .unwrap(),
        PollProgress::Finished(authenticated())
    );
    assert_eq!(
        f.on_complete_response(authenticated()).unwrap(),
        authenticated()
    );

    // A pending App2App poll must not carry a link; a fatal poll error ends the flow.
    let (mut f, _, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.begin_poll(T0).unwrap();
    let e = f
        .on_poll_response(PollFlowResponse::Pending {
            device_link: Some("https://x".into()),
        })
        .unwrap_err();
    assert_eq!(e.code(), "flow_bad_response");
    let (mut f, _, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.begin_poll(T0).unwrap();
    f.on_poll_error(true, "offline");
    assert_eq!(f.state(), FlowState::ReadyToLaunch);
    f.begin_poll(T0).unwrap();
    f.on_poll_error(false, "flow_not_found");
    assert_eq!(f.state(), FlowState::Failed);
}

#[test]
fn qr_stream() {
    let (mut f, backend, step) = started(FlowKind::Authentication, Presentation::Qr);
    let NextStep::ShowQr { device_link } = step else {
        panic!()
    };
    assert!(device_link.contains("deviceLinkType=QR&elapsedSeconds=0"));
    assert_eq!(f.state(), FlowState::ShowingQr);
    assert!(f.commitment().is_none());
    assert_eq!(
        f.mark_launched(T0).unwrap_err().code(),
        "flow_invalid_state"
    );
    for second in 1..=3 {
        f.begin_poll(T0 + second * 1000).unwrap();
        let link = backend.signer.qr_link(second).into_string();
        assert_eq!(
            f.on_poll_response(PollFlowResponse::Pending {
                device_link: Some(link.clone())
            })
            .unwrap(),
            PollProgress::Waiting {
                device_link: link.clone()
            }
        );
        assert_eq!(f.device_link(), Some(link.as_str()));
    }
    // An older link is refused but does not end the flow.
    f.begin_poll(T0).unwrap();
    let e = f
        .on_poll_response(PollFlowResponse::Pending {
            device_link: Some(backend.signer.qr_link(2).into_string()),
        })
        .unwrap_err();
    assert_eq!(e.code(), "link_stale");
    assert_eq!(f.state(), FlowState::ShowingQr);
    // A missing link is a contract violation.
    let (mut g, _, _) = started(FlowKind::Authentication, Presentation::Qr);
    g.begin_poll(T0).unwrap();
    assert_eq!(
        g.on_poll_response(PollFlowResponse::Pending { device_link: None })
            .unwrap_err()
            .code(),
        "flow_bad_response"
    );
    // A link of another session ends the flow.
    let other = BackendSession::new(FlowKind::Authentication, Presentation::Qr);
    f.begin_poll(T0).unwrap();
    let e = f
        .on_poll_response(PollFlowResponse::Pending {
            device_link: Some(other.signer.qr_link(9).into_string()),
        })
        .unwrap_err();
    assert_eq!(e.code(), "link_session_changed");
    assert_eq!(f.state(), FlowState::Failed);
    // A finished poll ends the flow with the outcome.
    let (mut f, _, _) = started(FlowKind::Signature, Presentation::Qr);
    f.begin_poll(T0).unwrap();
    assert_eq!(
        f.on_poll_response(PollFlowResponse::finished(signed()))
            .unwrap(),
        PollProgress::Finished(signed())
    );
    // QR flows have no callback fields.
    let mut f = Flow::new(
        config(),
        FlowSpec::new(FlowKind::Authentication, Presentation::Qr),
        T0,
    )
    .unwrap();
    f.begin_start(T0).unwrap();
    let mut resp = BackendSession::new(FlowKind::Authentication, Presentation::Qr).start_response();
    resp.callback_commitment = Some(b64::encode_url(&[0u8; 32]));
    assert_eq!(
        f.on_start_response(resp, T0).unwrap_err().code(),
        "flow_bad_response"
    );
}

#[test]
fn snapshot_restore_after_process_death() {
    let (mut f, backend, _) = started(FlowKind::Authentication, Presentation::App2App);
    f.mark_launched(T0 + 10).unwrap();
    let text = f.snapshot().unwrap().encode();
    assert!(text.starts_with(r#"{"v":2,"id":""#), "{text}");
    assert!(text.len() < 760, "{} bytes", text.len());
    // It holds the flow key (the one secret it has, and the same key the flow sends) ...
    let key_field = format!(r#""flowKey":"{}""#, f.flow_key().expose());
    assert!(text.contains(&key_field), "{text}");
    // ... but not the callback token, not the callback URL, not the session secret.
    let token = backend
        .callback
        .as_ref()
        .unwrap()
        .token()
        .expose()
        .to_owned();
    assert!(!text.contains(&token));
    assert!(!text.contains(backend.callback.as_ref().unwrap().url()));
    assert!(!text.contains(backend.secret.expose_base64()));
    assert!(!text.contains("sessionSecret") && !text.contains("rpChallenge"));

    // The process dies; a new one restores the flow and takes the return URL.
    let snap = FlowSnapshot::decode(&text).unwrap();
    let mut g = Flow::restore(config(), &snap, T0 + 60_000).unwrap();
    assert_eq!(g.id(), f.id());
    assert_eq!(g.flow_key(), f.flow_key());
    assert_eq!(g.state(), FlowState::AwaitingReturn);
    assert_eq!(g.deadline_ms(), f.deadline_ms());
    let ReturnDisposition::Complete(req) = g
        .accept_return_url(&ret(&backend.return_url()), T0 + 60_000)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(req.flow_handle, backend.handle);
    // Completing is saved as awaiting the return.
    assert_eq!(g.snapshot().unwrap().stage, SnapshotStage::AwaitingReturn);
    g.on_complete_response(authenticated()).unwrap();

    // A restored flow past its deadline is expired.
    let h = Flow::restore(config(), &snap, f.deadline_ms()).unwrap();
    assert_eq!(h.state(), FlowState::Expired);

    // QR flows round-trip too.
    let (q, _, _) = started(FlowKind::CertificateChoiceAndSignature, Presentation::Qr);
    let qs = FlowSnapshot::decode(&q.snapshot().unwrap().encode()).unwrap();
    assert_eq!(
        Flow::restore(config(), &qs, T0).unwrap().state(),
        FlowState::ShowingQr
    );
}

#[test]
fn bad_snapshots_are_refused() {
    let (f, _, _) = started(FlowKind::Authentication, Presentation::App2App);
    let text = f.snapshot().unwrap().encode();
    let code = |s: &str| FlowSnapshot::decode(s).unwrap_err().code();
    assert_eq!(
        code(&text.replace(r#"{"v":2"#, r#"{"v":3"#)),
        "flow_snapshot"
    );
    assert_eq!(
        code(&text.replace(r#"{"v":2"#, r#"{"v":1"#)),
        "flow_snapshot"
    );
    assert_eq!(
        code(&text.replace(r#""lang":"eng""#, r#""lang":"eng","x":1"#)),
        "flow_snapshot"
    );
    assert_eq!(code(&text[..text.len() - 1]), "flow_snapshot");
    assert_eq!(code(""), "flow_snapshot");
    assert_eq!(code("[]"), "flow_snapshot");
    assert_eq!(code(&"x".repeat(MAX_SNAPSHOT_LEN + 1)), "flow_snapshot");
    assert_eq!(
        code(&text.replace(r#""lang":"eng""#, r#""lang":"EN""#)),
        "flow_snapshot"
    );
    let snap = FlowSnapshot::decode(&text).unwrap();
    let restore = |s: FlowSnapshot, cfg: FlowConfig| Flow::restore(cfg, &s, T0).unwrap_err().code();
    // Another callback base (the app was reconfigured).
    let other = FlowConfig::new("https://rp.example.com/other", DeviceLinkPolicy::live()).unwrap();
    assert_eq!(restore(snap.clone(), other), "flow_snapshot");
    // Another allow-list.
    let demo = FlowConfig::new(CALLBACK_BASE, DeviceLinkPolicy::demo()).unwrap();
    assert_eq!(restore(snap.clone(), demo), "link_base_not_allowed");
    // A tampered link.
    let mut s = snap.clone();
    s.device_link = s.device_link.replace("smart-id.com", "evil.example");
    assert_eq!(restore(s, config()), "link_base_not_allowed");
    let mut s = snap.clone();
    s.stage = SnapshotStage::ShowingQr;
    assert_eq!(restore(s, config()), "flow_snapshot");
    let mut s = snap.clone();
    s.kind = FlowKind::Signature;
    assert_eq!(restore(s, config()), "flow_snapshot");
    let mut s = snap.clone();
    s.callback_commitment = None;
    assert_eq!(restore(s, config()), "flow_snapshot");
    let mut s = snap;
    s.deadline_ms = s.created_at_ms + 3_600_001;
    assert_eq!(restore(s, config()), "flow_snapshot");
}

#[test]
fn routing_among_many_flows() {
    let mut flows = Vec::new();
    let mut backends = Vec::new();
    for i in 0..20 {
        let kind = [
            FlowKind::Authentication,
            FlowKind::Signature,
            FlowKind::CertificateChoiceAndSignature,
        ][i % 3];
        let (f, b, _) = started(kind, Presentation::App2App);
        flows.push(f);
        backends.push(b);
    }
    let base = CallbackBase::new(CALLBACK_BASE).unwrap();
    for (i, b) in backends.iter().enumerate() {
        let r = ReturnUrl::parse(&base, &b.return_url()).unwrap();
        let commitments: Vec<&[u8; 32]> = flows.iter().filter_map(Flow::commitment).collect();
        assert_eq!(r.find(commitments), Some(i));
    }
    // A return for an unknown session on our base.
    let stranger = BackendSession::new(FlowKind::Authentication, Presentation::App2App);
    let r = ReturnUrl::parse(&base, &stranger.return_url()).unwrap();
    assert_eq!(r.find(flows.iter().filter_map(Flow::commitment)), None);
}

#[test]
fn error_codes_and_messages() {
    let e: AppError = FlowFailure::InvalidState {
        state: FlowState::Finished,
        operation: "start",
    }
    .into();
    assert_eq!(e.code(), "flow_invalid_state");
    assert_eq!(
        e.to_string(),
        "flow failed: cannot start a flow in state finished"
    );
    let e: AppError = LinkRejection::WrongLinkType {
        expected: DeviceLinkType::App2App,
        actual: DeviceLinkType::Qr,
    }
    .into();
    assert_eq!(
        e.to_string(),
        "device link rejected: deviceLinkType is QR, expected App2App"
    );
    let e: AppError = RouteRejection::ForeignBase.into();
    assert_eq!(e.code(), "return_url_foreign");
    assert!(FlowFailure::Busy("poll").is_retryable());
    assert!(!FlowFailure::Expired.is_retryable());
}

/// Events a hostile or confused app and backend can throw at a flow.
#[derive(Debug, Clone)]
enum Event {
    Start,
    StartOk,
    StartBad,
    StartErr(bool),
    Launch,
    Return(bool),
    CompleteOk,
    CompleteWrongKind,
    CompleteErr(bool),
    Poll,
    PollPending,
    PollFinished,
    PollErr(bool),
    Cancel,
    Abort,
    Tick(u32),
    Snapshot,
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        Just(Event::Start),
        Just(Event::StartOk),
        Just(Event::StartBad),
        any::<bool>().prop_map(Event::StartErr),
        Just(Event::Launch),
        any::<bool>().prop_map(Event::Return),
        Just(Event::CompleteOk),
        Just(Event::CompleteWrongKind),
        any::<bool>().prop_map(Event::CompleteErr),
        Just(Event::Poll),
        Just(Event::PollPending),
        Just(Event::PollFinished),
        any::<bool>().prop_map(Event::PollErr),
        Just(Event::Cancel),
        Just(Event::Abort),
        (0u32..200_000).prop_map(Event::Tick),
        Just(Event::Snapshot),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Whatever the order of events, the flow never panics, terminal states are final, and the
    /// state always agrees with what the flow exposes.
    #[test]
    fn state_machine_invariants(
        events in proptest::collection::vec(event(), 1..40),
        qr in any::<bool>(),
        kind in prop_oneof![Just(FlowKind::Authentication), Just(FlowKind::Signature)],
    ) {
        let presentation = if qr { Presentation::Qr } else { Presentation::App2App };
        let cfg = config().with_max_duration_ms(100_000).unwrap();
        let mut f = Flow::new(cfg.clone(), FlowSpec::new(kind, presentation), T0).unwrap();
        let backend = BackendSession::new(kind, presentation);
        let mut now = T0;
        let mut terminal: Option<FlowState> = None;
        let good = if kind == FlowKind::Authentication { authenticated() } else { signed() };
        let wrong = if kind == FlowKind::Authentication { signed() } else { authenticated() };
        for ev in events {
            match ev {
                Event::Start => { let _ = f.begin_start(now); }
                Event::StartOk => { let _ = f.on_start_response(backend.start_response(), now); }
                Event::StartBad => {
                    let mut r = backend.start_response();
                    r.device_link = r.device_link.replace("smart-id.com", "evil.example");
                    let _ = f.on_start_response(r, now);
                }
                Event::StartErr(r) => f.on_start_error(r, "x"),
                Event::Launch => { let _ = f.mark_launched(now); }
                Event::Return(same) => {
                    if !qr {
                        let mut url = backend.return_url();
                        if !same { url.push_str("&userChallengeVerifier=AAAA"); }
                        if let Ok(r) = ReturnUrl::parse(cfg.callback_base(), &url) {
                            let _ = f.accept_return_url(&r, now);
                        }
                    }
                }
                Event::CompleteOk => { let _ = f.on_complete_response(good.clone()); }
                Event::CompleteWrongKind => { let _ = f.on_complete_response(wrong.clone()); }
                Event::CompleteErr(r) => f.on_complete_error(r, "x"),
                Event::Poll => { let _ = f.begin_poll(now); }
                Event::PollPending => {
                    let device_link = qr.then(|| backend.signer.qr_link((now - T0) / 1000).into_string());
                    let _ = f.on_poll_response(PollFlowResponse::Pending { device_link });
                }
                Event::PollFinished => {
                    let _ = f.on_poll_response(PollFlowResponse::finished(refused()));
                }
                Event::PollErr(r) => f.on_poll_error(r, "x"),
                Event::Cancel => { let _ = f.cancel(); }
                Event::Abort => {
                    f.abort_start();
                    f.abort_completion();
                    f.abort_poll();
                }
                Event::Tick(ms) => { now += u64::from(ms); f.tick(now); }
                Event::Snapshot => {
                    if let Some(s) = f.snapshot() {
                        let back = FlowSnapshot::decode(&s.encode()).unwrap();
                        prop_assert_eq!(&back, &s);
                        let g = Flow::restore(cfg.clone(), &back, now).unwrap();
                        prop_assert_eq!(g.id(), f.id());
                        prop_assert!(g.state() == f.state() || g.state() == FlowState::Expired
                            || (f.state() == FlowState::Completing && g.state() == FlowState::AwaitingReturn));
                    }
                }
            }
            let st = f.state();
            if let Some(t) = terminal {
                prop_assert_eq!(st, t, "a terminal state changed");
            }
            if st.is_terminal() {
                terminal = Some(st);
            }
            prop_assert_eq!(st == FlowState::Finished, f.outcome().is_some());
            prop_assert_eq!(st == FlowState::Failed, f.failure().is_some());
            if let Some(o) = f.outcome() {
                prop_assert!(o.fits(kind));
            }
            let resumable = matches!(st, FlowState::ReadyToLaunch | FlowState::AwaitingReturn
                | FlowState::ShowingQr | FlowState::Completing);
            prop_assert_eq!(f.snapshot().is_some(), resumable);
            if qr {
                prop_assert!(!matches!(st, FlowState::ReadyToLaunch | FlowState::AwaitingReturn | FlowState::Completing));
            } else {
                prop_assert!(st != FlowState::ShowingQr);
            }
            if f.device_link().is_some() {
                prop_assert!(f.flow_handle().is_some());
            }
        }
    }

    /// The router never panics on arbitrary input, and whatever it accepts is on the base and
    /// carries a well-formed token.
    #[test]
    fn router_total_on_arbitrary_strings(s in ".{0,300}") {
        let base = CallbackBase::new(CALLBACK_BASE).unwrap();
        if let Ok(r) = ReturnUrl::parse(&base, &s) {
            prop_assert!(s.starts_with(CALLBACK_BASE) || s.to_ascii_lowercase().starts_with(CALLBACK_BASE));
            prop_assert!(s.contains("value="));
            let _ = r.commitment();
        }
        let _ = sidkit_proto::device_link::parse_device_link(&s);
        let _ = FlowSnapshot::decode(&s);
    }

    /// Return URLs assembled from plausible pieces: accepted exactly when they are well-formed.
    #[test]
    fn router_on_plausible_urls(
        path in prop_oneof![Just("/sid/return"), Just("/sid/return/"), Just("/sid"), Just("/SID/return")],
        host in prop_oneof![Just("rp.example.com"), Just("RP.Example.com"), Just("rp.example.com:443"), Just("rp.example.com.evil"), Just("rp.example.com:444")],
        params in proptest::collection::vec(
            (prop_oneof![Just("value"), Just("sessionSecretDigest"), Just("userChallengeVerifier"), Just("other")],
             "[A-Za-z0-9_-]{0,50}"), 0..5),
    ) {
        let base = CallbackBase::new(CALLBACK_BASE).unwrap();
        let q: Vec<String> = params.iter().map(|(n, v)| format!("{n}={v}")).collect();
        let url = format!("https://{host}{path}?{}", q.join("&"));
        let res = ReturnUrl::parse(&base, &url);
        let on_base = path == "/sid/return" && !host.contains("evil") && !host.contains("444");
        if !on_base {
            prop_assert!(matches!(res, Err(RouteRejection::ForeignBase) | Err(RouteRejection::Malformed(_))));
        }
        if res.is_ok() {
            prop_assert!(on_base);
            let names: Vec<&str> = params.iter().map(|(n, _)| *n).collect();
            prop_assert_eq!(names.iter().filter(|n| **n == "value").count(), 1);
            prop_assert!(!names.contains(&"other"));
            let token = &params.iter().find(|(n, _)| *n == "value").unwrap().1;
            prop_assert!(token.len() >= 22);
            let expected: [u8; 32] = b64::decode_url("c", &sidkit_proto::callback::token_commitment(token)).unwrap().try_into().unwrap();
            let accepted = res.unwrap();
            prop_assert_eq!(accepted.commitment(), &expected);
        }
    }
}
