//! The client for SK's automated-testing interface (`sidkit_client::mock`, issue 13 item 6),
//! against the simulator's mock endpoint, which speaks the same API: an RP's CI drives DEMO
//! device-link sessions end to end with it. Also: a LIVE client refuses to call it, and bad
//! requests are typed errors before anything is sent.

mod common;

use std::time::Instant;

use common::*;
use sidkit_client::mock::MockDeviceLinkRequest;
use sidkit_client::{ClientConfig, ClientError, DeviceLinkSession, SmartIdClient, SpkiPin};
use sidkit_proto::callback::create_callback_url;
use sidkit_proto::device_link::DeviceLinkType;
use sidkit_proto::env::Environment;
use sidkit_proto::models::{EndResult, SessionState, Subject};
use sidkit_proto::request::AuthenticationRequestBuilder;

const ADULT: &str = "PNOEE-40404040009-MOCK-Q";
const REFUSES: &str = "PNOEE-30403039917-MOCK-Q";

async fn end_result(client: &SmartIdClient, session_id: &str) -> EndResult {
    let s = client
        .poll_until_complete(session_id, &fast_poll())
        .await
        .map(|s| s.result.unwrap().end_result);
    match s {
        Ok(e) => e,
        Err(ClientError::SessionEnded(e)) => e.end_result,
        Err(e) => panic!("{e}"),
    }
}

/// An anonymous device-link authentication on the simulator, with `callback` as its
/// `initialCallbackUrl` (App2App / Web2App) or none (QR only).
async fn anonymous_authentication(
    sim: &sidkit_simulator::Simulator,
    client: &SmartIdClient,
    callback: Option<&str>,
) -> DeviceLinkSession {
    let mut builder = AuthenticationRequestBuilder::new(&sim.relying_party())
        .interactions(device_link_interactions());
    if let Some(url) = callback {
        builder = builder.initial_callback_url(url);
    }
    client
        .create_device_link_authentication(
            &Subject::Anonymous,
            &builder.build_device_link().unwrap(),
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app2app_and_qr_sessions_driven_through_the_mock_service() {
    let sim = simulator().await;
    let client = client(&sim);
    assert_eq!(
        client.mock_device_link_url().unwrap(),
        sim.mock_url(),
        "the mock endpoint on the RP API host"
    );
    // App2App: the mock opens the link as the account, then the callback (with the cookie).
    for (account, expected) in [(ADULT, EndResult::Ok), (REFUSES, EndResult::UserRefused)] {
        let callback = create_callback_url("https://rp.example.com/cb").unwrap();
        let session = anonymous_authentication(&sim, &client, Some(callback.url())).await;
        let link = session
            .signer()
            .unwrap()
            .same_device_link(DeviceLinkType::App2App)
            .unwrap();
        let req =
            MockDeviceLinkRequest::same_device(account, link.as_str(), callback.url(), "sid=abc")
                .unwrap();
        // The callback token and the cookie never print.
        let debug = format!("{req:?}");
        assert!(
            !debug.contains("sid=abc") && !debug.contains(callback.url()),
            "{debug}"
        );
        client.mock_device_link(&req).await.unwrap();
        assert_eq!(end_result(&client, session.session_id()).await, expected);
    }
    // QR: the code shown this second.
    let session = anonymous_authentication(&sim, &client, None).await;
    let frame = session.qr_ticker().unwrap().frame_at(Instant::now());
    let req = MockDeviceLinkRequest::qr(ADULT, frame.link.as_str()).unwrap();
    client.mock_device_link(&req).await.unwrap();
    assert_eq!(
        end_result(&client, session.session_id()).await,
        EndResult::Ok
    );
    let st = client
        .session_status(session.session_id(), std::time::Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(st.state, SessionState::Complete);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals() {
    let sim = simulator().await;
    let client = client(&sim);
    let session = anonymous_authentication(&sim, &client, None).await;
    let qr = session.qr_ticker().unwrap().frame_at(Instant::now()).link;
    // A link with a wrong authCode: the mock (like SK's) answers 400, a typed API error.
    let i = qr.as_str().find("authCode=").unwrap() + "authCode=".len();
    let mut forged = qr.as_str().to_owned();
    let c = if &forged[i..i + 1] == "A" { "B" } else { "A" };
    forged.replace_range(i..i + 1, c);
    let e = client
        .mock_device_link(&MockDeviceLinkRequest::qr(ADULT, &forged).unwrap())
        .await
        .unwrap_err();
    let ClientError::Api(failure) = &e else {
        panic!("{e}")
    };
    assert_eq!(failure.status(), Some(400), "{e}");
    // Checked before sending: the wrong constructor for the link type, a bad document number,
    // a same-device request without a cookie or with a non-https callback URL.
    assert!(MockDeviceLinkRequest::same_device(
        ADULT,
        qr.as_str(),
        "https://rp.example.com/cb?value=x",
        "a=b"
    )
    .is_err());
    assert!(MockDeviceLinkRequest::qr("not a document", qr.as_str()).is_err());
    assert!(MockDeviceLinkRequest::qr(ADULT, "https://example.com/").is_err());
    let app2app = session
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::App2App);
    if let Ok(link) = app2app {
        assert!(MockDeviceLinkRequest::qr(ADULT, link.as_str()).is_err());
        assert!(MockDeviceLinkRequest::same_device(
            ADULT,
            link.as_str(),
            "https://rp.example.com/cb",
            ""
        )
        .is_err());
        assert!(MockDeviceLinkRequest::same_device(
            ADULT,
            link.as_str(),
            "http://rp.example.com/cb",
            "a=b"
        )
        .is_err());
    }
    // LIVE has no Mock Service: refused without a request.
    let live = SmartIdClient::new(
        ClientConfig::new(Environment::live())
            .with_ca_pem(sim.user_ca_pem())
            .with_pin(SpkiPin::of_spki_der(b"any key: nothing is sent")),
    )
    .unwrap();
    assert_eq!(live.mock_device_link_url(), None);
    let e = live
        .mock_device_link(&MockDeviceLinkRequest::qr(ADULT, qr.as_str()).unwrap())
        .await
        .unwrap_err();
    assert!(
        e.is_invalid_input() && e.to_string().contains("only in DEMO"),
        "{e}"
    );
}
