//! Every scripted outcome and fault maps to the right typed error; the poller retries what is
//! retryable, stops on what is not, honours its deadline and cancellation, and stays within
//! `ceil(user time / long-poll timeout) + 1` status requests.

mod common;

use std::time::Duration;

use common::*;
use sidkit_client::api::{ApiFailure, TransportKind};
use sidkit_client::ClientError as Error;
use sidkit_client::{CancelHandle, ClientConfig, PollOptions, SmartIdClient};
use sidkit_proto::device_link::DeviceLinkType;
use sidkit_proto::env::RelyingParty;
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::{CertificateLevel, EndResult, HashAlgorithm, Subject};
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};
use sidkit_proto::SessionEnded;
use sidkit_simulator::{Fault, FaultScope, Outcome, Simulator, SimulatorConfig};

const ADULT: &str = "PNOEE-40404040009-MOCK-Q";
const NOTIF_OK: &str = "PNOEE-40504040001-DEM0-Q";

fn doc(s: &str) -> Subject {
    Subject::Document(DocumentNumber::new(s).unwrap())
}

async fn notification_auth(
    client: &SmartIdClient,
    rp: &RelyingParty,
    subject: &Subject,
) -> Result<String, Error> {
    let request = AuthenticationRequestBuilder::new(rp)
        .interactions(notification_interactions())
        .build_notification()
        .unwrap();
    client
        .create_notification_authentication(subject, &request)
        .await
        .map(|r| r.session_id)
}

fn api(e: Error) -> ApiFailure {
    match e {
        Error::Api(f) => f,
        other => panic!("expected Error::Api, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_scripted_outcome_maps_to_session_ended() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let cases: Vec<(&str, EndResult, Option<&str>, &str)> = vec![
        (
            "PNOEE-30403039917-MOCK-Q",
            EndResult::UserRefused,
            None,
            "user_refused",
        ),
        (
            "PNOEE-30403039928-MOCK-Q",
            EndResult::UserRefusedInteraction,
            Some("displayTextAndPIN"),
            "user_refused_interaction",
        ),
        (
            "PNOEE-30403039946-MOCK-Q",
            EndResult::UserRefusedInteraction,
            Some("confirmationMessage"),
            "user_refused_interaction",
        ),
        (
            "PNOEE-30403039972-MOCK-Q",
            EndResult::WrongVc,
            None,
            "wrong_vc",
        ),
        (
            "PNOEE-30403039983-MOCK-Q",
            EndResult::Timeout,
            None,
            "timeout",
        ),
        (
            "PNOEE-30505050001-SIM1-Q",
            EndResult::DocumentUnusable,
            None,
            "document_unusable",
        ),
        (
            "PNOEE-30505050012-SIM2-Q",
            EndResult::RequiredInteractionNotSupportedByApp,
            None,
            "required_interaction_not_supported_by_app",
        ),
        (
            "PNOEE-30505050023-SIM3-Q",
            EndResult::ProtocolFailure,
            None,
            "protocol_failure",
        ),
        (
            "PNOEE-30505050034-SIM4-Q",
            EndResult::ServerError,
            None,
            "server_error",
        ),
    ];
    let mut tasks = tokio::task::JoinSet::new();
    for (document, expected, interaction, code) in cases {
        let client = client.clone();
        let rp = rp.clone();
        tasks.spawn(async move {
            let id = notification_auth(&client, &rp, &doc(document))
                .await
                .unwrap();
            let e = client
                .poll_until_complete(&id, &fast_poll())
                .await
                .unwrap_err();
            assert_eq!(e.code(), code, "{document}");
            assert_eq!(e.is_retryable(), expected == EndResult::ServerError);
            match e {
                Error::SessionEnded(SessionEnded {
                    end_result,
                    interaction: got,
                }) => {
                    assert_eq!(end_result, expected, "{document}");
                    assert_eq!(got.as_deref(), interaction, "{document}");
                }
                other => panic!("{document}: {other:?}"),
            }
        });
    }
    while let Some(r) = tasks.join_next().await {
        r.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scripted_outcome_through_the_mock_device() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    sim.set_outcome(ADULT, Outcome::UserRefusedInteraction(None))
        .unwrap();
    let session = pending_device_link(&client, &rp).await;
    let link = session.signer().unwrap().qr_link(0);
    let r = mock_device(&sim, ADULT, link.as_str(), DeviceLinkType::Qr, None)
        .await
        .unwrap();
    assert_eq!(r.end_result, "USER_REFUSED_INTERACTION");
    match client
        .poll_until_complete(session.session_id(), &fast_poll())
        .await
        .unwrap_err()
    {
        // None scripted: the first interaction the session offered.
        Error::SessionEnded(SessionEnded {
            end_result: EndResult::UserRefusedInteraction,
            interaction: Some(i),
        }) => assert_eq!(i, "confirmationMessage"),
        other => panic!("{other:?}"),
    }
    // The certificate endpoint reports DOCUMENT_UNUSABLE as a typed error too.
    let e = client
        .certificate_by_document_number(
            &DocumentNumber::new("PNOEE-30505050001-SIM1-Q").unwrap(),
            &CertificateChoiceRequestBuilder::new(&rp)
                .build_by_document_number()
                .unwrap(),
        )
        .await
        .unwrap_err();
    assert!(matches!(
        e,
        Error::SessionEnded(SessionEnded {
            end_result: EndResult::DocumentUnusable,
            ..
        })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_errors_map_to_typed_failures() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();

    // 401: unknown relying party UUID.
    let stranger = RelyingParty::new("11111111-1111-4111-8111-111111111111", "DEMO").unwrap();
    let f = api(notification_auth(&client, &stranger, &doc(NOTIF_OK))
        .await
        .unwrap_err());
    assert!(matches!(f, ApiFailure::Unauthorized(_)), "{f:?}");
    assert!(!f.retryable());

    // 403: name mismatch, ADVANCED without permission, IP sharing without permission.
    let wrong_name = RelyingParty::new(rp.uuid.clone(), "OTHER").unwrap();
    let f = api(notification_auth(&client, &wrong_name, &doc(NOTIF_OK))
        .await
        .unwrap_err());
    assert!(matches!(f, ApiFailure::Forbidden(_)), "{f:?}");
    let advanced = AuthenticationRequestBuilder::new(&rp)
        .interactions(notification_interactions())
        .certificate_level(CertificateLevel::Advanced)
        .build_notification()
        .unwrap();
    let f = api(client
        .create_notification_authentication(&doc(NOTIF_OK), &advanced)
        .await
        .unwrap_err());
    assert_eq!(f.code(), "api_forbidden");
    let share_ip = AuthenticationRequestBuilder::new(&rp)
        .interactions(notification_interactions())
        .share_md_client_ip_address(true)
        .build_notification()
        .unwrap();
    let f = api(client
        .create_notification_authentication(&doc(NOTIF_OK), &share_ip)
        .await
        .unwrap_err());
    assert_eq!(f.code(), "api_forbidden");

    // 404 on creation: an unknown person, and a Basic-only account asked for QUALIFIED, are
    // the same error to the user.
    let unknown = Subject::Etsi("PNOEE-30505050056".parse().unwrap());
    let f1 = api(notification_auth(&client, &rp, &unknown).await.unwrap_err());
    let f2 = api(
        notification_auth(&client, &rp, &doc("PNOEE-40404049996-MOCK-NQ"))
            .await
            .unwrap_err(),
    );
    for f in [&f1, &f2] {
        assert!(matches!(f, ApiFailure::NoSuitableAccount(_)), "{f:?}");
        assert_eq!(
            f.problem().unwrap().codes,
            vec!["NO_SUITABLE_ACCOUNT_FOUND"]
        );
    }
    assert_eq!(f1.user_message(), f2.user_message());

    // 404 on status: the session does not exist.
    let f = api(client
        .session_status(
            "00000000-0000-4000-8000-000000000001",
            Duration::from_secs(1),
        )
        .await
        .unwrap_err());
    assert!(matches!(f, ApiFailure::SessionNotFound(_)), "{f:?}");

    // 400: a linked signature that names no certificate choice.
    let linked = SignatureRequestBuilder::new(&rp, digest_of(b"x").0, HashAlgorithm::Sha512)
        .interactions(device_link_interactions())
        .build_linked("00000000-0000-4000-8000-000000000002")
        .unwrap();
    let f = api(client
        .create_linked_notification_signature(&DocumentNumber::new(ADULT).unwrap(), &linked)
        .await
        .unwrap_err());
    match f {
        ApiFailure::BadRequest(p) => assert_eq!(p.params, vec!["linkedSessionID"]),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_faults_map_to_typed_failures() {
    let sim = simulator().await;
    let mut cfg = ClientConfig::new(sim.environment());
    cfg.request_timeout = Duration::from_millis(500);
    let client = SmartIdClient::new(cfg).unwrap();
    let rp = sim.relying_party();
    let cases: Vec<(Fault, &str, bool)> = vec![
        (Fault::status(471), "api_no_suitable_account", false),
        (Fault::status(472), "api_no_suitable_account", false),
        (Fault::status(480), "api_client_too_old", false),
        (Fault::status(580), "api_maintenance", true),
        (Fault::status(500), "api_server_error", true),
        (Fault::status(503), "api_server_error", true),
        (Fault::status(401), "api_unauthorized", false),
        (Fault::drop_connection(), "api_transport", true),
        (Fault::malformed_json(), "api_malformed_response", false),
        (Fault::delay(Duration::from_secs(3)), "api_transport", true),
    ];
    for (fault, code, retryable) in cases {
        let what = format!("{fault:?}");
        sim.inject_fault(fault.on(FaultScope::CreateSession).for_account(NOTIF_OK));
        let e = notification_auth(&client, &rp, &doc(NOTIF_OK))
            .await
            .unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert_eq!(e.is_retryable(), retryable, "{what}");
        if what.contains("Delay") {
            assert!(matches!(
                e,
                Error::Api(ApiFailure::Transport {
                    kind: TransportKind::Timeout,
                    ..
                })
            ));
        }
    }
    // Used up: the next request succeeds; a fault for another account does not hit this one.
    sim.inject_fault(Fault::status(500).for_account("PNOEE-30403039917-MOCK-Q"));
    notification_auth(&client, &rp, &doc(NOTIF_OK))
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_retries_transient_failures_then_succeeds() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    for f in [
        Fault::status(503),
        Fault::status(580),
        Fault::drop_connection(),
    ] {
        sim.inject_fault(f.on(FaultScope::SessionStatus));
    }
    let id = notification_auth(&client, &rp, &doc(NOTIF_OK))
        .await
        .unwrap();
    let mut poller = client.poller(&id, fast_poll());
    poller.run().await.unwrap();
    assert_eq!(poller.retries(), 3);
    assert_eq!(poller.requests(), sim.status_requests(&id));
    assert!(poller.requests() >= 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_gives_up_and_does_not_retry_permanent_errors() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    // Too many retryable failures in a row: the last one is returned.
    sim.inject_fault(Fault::status(503).on(FaultScope::SessionStatus).times(10));
    let id = notification_auth(&client, &rp, &doc(NOTIF_OK))
        .await
        .unwrap();
    let opts = PollOptions {
        max_consecutive_failures: 2,
        ..fast_poll()
    };
    let mut poller = client.poller(&id, opts);
    let f = api(poller.run().await.unwrap_err());
    assert!(matches!(f, ApiFailure::ServerError(_)));
    assert_eq!(poller.requests(), 3);
    sim.clear_faults();

    // A permanent error stops at once.
    sim.inject_fault(Fault::status(480).on(FaultScope::SessionStatus));
    let id = notification_auth(&client, &rp, &doc(NOTIF_OK))
        .await
        .unwrap();
    let mut poller = client.poller(&id, fast_poll());
    assert_eq!(
        api(poller.run().await.unwrap_err()).code(),
        "api_client_too_old"
    );
    assert_eq!(poller.requests(), 1);
    let mut poller = client.poller("00000000-0000-4000-8000-000000000003", fast_poll());
    assert!(matches!(
        api(poller.run().await.unwrap_err()),
        ApiFailure::SessionNotFound(_)
    ));
    assert_eq!(poller.requests(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poller_deadline_cancel_handle_and_drop() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();

    // Deadline.
    let session = pending_device_link(&client, &rp).await;
    let opts = PollOptions {
        deadline: Duration::from_millis(1500),
        ..fast_poll()
    };
    let f = api(client
        .poll_until_complete(session.session_id(), &opts)
        .await
        .unwrap_err());
    assert_eq!(f, ApiFailure::DeadlineExceeded);

    // Cancel handle, from another task, while a long poll is in flight.
    let session = pending_device_link(&client, &rp).await;
    let cancel = CancelHandle::new();
    let task = {
        let client = client.clone();
        let cancel = cancel.clone();
        let id = session.session_id().to_owned();
        tokio::spawn(async move {
            let mut p = client.poller(&id, fast_poll()).with_cancel(&cancel);
            p.run().await
        })
    };
    while sim.status_requests(session.session_id()) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    cancel.cancel();
    let f = api(task.await.unwrap().unwrap_err());
    assert_eq!(f, ApiFailure::Cancelled);
    assert!(!f.retryable());

    // Dropping the future stops polling: no request after the drop.
    let session = pending_device_link(&client, &rp).await;
    let task = {
        let client = client.clone();
        let id = session.session_id().to_owned();
        tokio::spawn(async move { client.poll_until_complete(&id, &fast_poll()).await })
    };
    while sim.status_requests(session.session_id()) == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    task.abort(); // drops the poll future while its long poll is in flight
    assert!(task.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert_eq!(sim.status_requests(session.session_id()), 1);
}

/// The figure of issue 4: status requests per completed session versus
/// `ceil(user time / long-poll timeout) + 1`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poll_count_stays_within_bound() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let client = client(&sim);
    let rp = sim.relying_party();
    sim.add_account(
        sidkit_simulator::AccountSpec::new("PNOEE-30505050045-SIM5-Q", "SLOW", "USER")
            .user_delay(Duration::from_millis(2500)),
    )
    .unwrap();
    sim.add_account(
        sidkit_simulator::AccountSpec::new("PNOEE-30505050056-SIM6-Q", "SLOW", "PROXY")
            .user_delay(Duration::from_millis(2500)),
    )
    .unwrap();
    // A proxy that cuts every long poll of the second user short: pacing keeps the bound.
    sim.inject_fault(
        Fault::no_long_poll()
            .for_account("PNOEE-30505050056-SIM6-Q")
            .times(1000),
    );

    let notification = |document: &'static str, t: Duration| {
        let client = client.clone();
        let rp = rp.clone();
        async move {
            let id = notification_auth(&client, &rp, &doc(document))
                .await
                .unwrap();
            let opts = PollOptions {
                long_poll_timeout: t,
                ..fast_poll()
            };
            let mut p = client.poller(&id, opts.clone());
            p.run().await.unwrap();
            (id, p.requests(), opts)
        }
    };
    let device_link = async {
        let session = pending_device_link(&client, &rp).await;
        let opts = PollOptions {
            long_poll_timeout: Duration::from_secs(1),
            ..fast_poll()
        };
        let poll = {
            let client = client.clone();
            let id = session.session_id().to_owned();
            let opts = opts.clone();
            tokio::spawn(async move {
                let mut p = client.poller(&id, opts);
                p.run().await.map(|_| p.requests())
            })
        };
        tokio::time::sleep(Duration::from_millis(1700)).await;
        let link = session.signer().unwrap().qr_link(1);
        mock_device(&sim, ADULT, link.as_str(), DeviceLinkType::Qr, None)
            .await
            .unwrap();
        let requests = poll.await.unwrap().unwrap();
        (session.session_id().to_owned(), requests, opts)
    };
    let (a, b, c, d) = tokio::join!(
        notification("PNOEE-30505050045-SIM5-Q", Duration::from_secs(1)),
        notification("PNOEE-30505050045-SIM5-Q", Duration::from_secs(2)),
        notification("PNOEE-30505050056-SIM6-Q", Duration::from_secs(1)),
        device_link,
    );
    for (label, (id, requests, opts)) in [
        ("notification, T=1s", a),
        ("notification, T=2s", b),
        ("notification behind a proxy that cuts long polls, T=1s", c),
        ("device link (QR), T=1s", d),
    ] {
        // The user time counted from the session's creation (on the simulator) is at least the
        // user time counted from the start of polling.
        let user_time = sim.completion_time(&id).unwrap();
        let bound = opts.request_bound(user_time);
        println!(
            "poll count: {label}: user time {:.2} s, {requests} status requests, bound {bound}",
            user_time.as_secs_f64()
        );
        assert_eq!(u64::from(requests), u64::from(sim.status_requests(&id)));
        assert!(
            u64::from(requests) <= bound,
            "{label}: {requests} > {bound}"
        );
    }
}
