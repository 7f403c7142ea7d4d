//! The simulated server's own checks, seen from outside: the mock device refuses device links
//! the real server would refuse (wrong scheme, tampered authCode or token, relabelled session
//! type, QR codes from the future or stale, mismatched flowType, unknown or wrong account,
//! second use, same-device cookie and callback URL), and sessions time out, signature
//! requests are idempotent and raw requests the typed client never sends are refused with RFC
//! 9457 bodies.

mod common;

use std::time::Duration;

use common::*;
use sidkit_client::ClientError as Error;
use sidkit_client::{ClientConfig, SmartIdClient};
use sidkit_proto::device_link::DeviceLinkType;
use sidkit_proto::env::{Environment, SchemeName};
use sidkit_proto::ident::DocumentNumber;
use sidkit_proto::models::{EndResult, HashAlgorithm, Subject};
use sidkit_proto::request::{AuthenticationRequestBuilder, SignatureRequestBuilder};
use sidkit_proto::SessionEnded;
use sidkit_simulator::{Simulator, SimulatorConfig};

const ADULT: &str = "PNOEE-40404040009-MOCK-Q";
const NOTIF_OK: &str = "PNOEE-40504040001-DEM0-Q";

fn doc(s: &str) -> Subject {
    Subject::Document(DocumentNumber::new(s).unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mock_device_refuses_bad_links() {
    let sim = Simulator::start(SimulatorConfig::default()).await.unwrap();
    let client = client(&sim);
    let rp = sim.relying_party();
    let reason = |r: Result<_, (u16, serde_json::Value)>| {
        let (status, body) = r.unwrap_err();
        assert_eq!(status, 400);
        body["detail"].as_str().unwrap_or_default().to_owned()
    };

    // A link built for LIVE (scheme smart-id) against this DEMO-like simulator.
    let live_env = Environment {
        scheme_name: SchemeName::SmartId,
        ..sim.environment()
    };
    let live_client = SmartIdClient::new(ClientConfig::new(live_env)).unwrap();
    let session = pending_device_link(&live_client, &rp).await;
    let link = session.signer().unwrap().qr_link(0);
    let r = reason(mock_device(&sim, ADULT, link.as_str(), DeviceLinkType::Qr, None).await);
    assert!(r.contains("schemeName smart-id"), "{r}");

    let session = pending_device_link(&client, &rp).await;
    let signer = session.signer().unwrap();
    let good = signer.qr_link(0);
    // Tampered authCode / token.
    let mut tampered = good.as_str().to_owned();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    let r = reason(mock_device(&sim, ADULT, &tampered, DeviceLinkType::Qr, None).await);
    assert!(r.contains("authCode"), "{r}");
    let relabelled = good
        .as_str()
        .replace("sessionType=auth", "sessionType=sign");
    let r = reason(mock_device(&sim, ADULT, &relabelled, DeviceLinkType::Qr, None).await);
    assert!(r.contains("sessionType"), "{r}");
    // From the future, and stale.
    let r = reason(
        mock_device(
            &sim,
            ADULT,
            signer.qr_link(30).as_str(),
            DeviceLinkType::Qr,
            None,
        )
        .await,
    );
    assert!(r.contains("ahead"), "{r}");
    sim.advance_clock(Duration::from_secs(10));
    let r = reason(mock_device(&sim, ADULT, good.as_str(), DeviceLinkType::Qr, None).await);
    assert!(r.contains("stale"), "{r}");
    // flowType that differs from the link, unknown account.
    let fresh = signer.qr_link(10);
    let r = reason(
        mock_device(
            &sim,
            ADULT,
            fresh.as_str(),
            DeviceLinkType::Web2App,
            Some("https://x/?a=b"),
        )
        .await,
    );
    assert!(r.contains("flowType"), "{r}");
    let r = reason(
        mock_device(
            &sim,
            "PNOEE-30505050067-NONE-Q",
            fresh.as_str(),
            DeviceLinkType::Qr,
            None,
        )
        .await,
    );
    assert!(r.contains("unknown documentNumber"), "{r}");
    // The fresh link works once; a second use is refused.
    mock_device(&sim, ADULT, fresh.as_str(), DeviceLinkType::Qr, None)
        .await
        .unwrap();
    let r = reason(mock_device(&sim, ADULT, fresh.as_str(), DeviceLinkType::Qr, None).await);
    assert!(r.contains("already complete"), "{r}");

    // Same-device checks: cookie, callback URL, and the account of an etsi session.
    let callback =
        sidkit_proto::callback::create_callback_url("https://rp.example.com/cb").unwrap();
    let request = AuthenticationRequestBuilder::new(&rp)
        .interactions(device_link_interactions())
        .initial_callback_url(callback.url())
        .build_device_link()
        .unwrap();
    let session = client
        .create_device_link_authentication(
            &Subject::Etsi("PNOEE-40404040009".parse().unwrap()),
            &request,
        )
        .await
        .unwrap();
    let link = session
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::App2App)
        .unwrap();
    let r = reason(
        mock_device(
            &sim,
            ADULT,
            link.as_str(),
            DeviceLinkType::App2App,
            Some("https://rp.example.com/cb?value=other"),
        )
        .await,
    );
    assert!(r.contains("initialCallbackUrl"), "{r}");
    let r = reason(
        mock_device(
            &sim,
            NOTIF_OK,
            link.as_str(),
            DeviceLinkType::App2App,
            Some(callback.url()),
        )
        .await,
    );
    assert!(r.contains("not the user"), "{r}");
    let no_cookie = sidkit_simulator::MockDeviceRequest {
        document_number: ADULT.into(),
        device_link: link.as_str().into(),
        flow_type: "App2App".into(),
        browser_cookie: None,
        initial_callback_url: Some(callback.url().into()),
    };
    assert!(sim
        .mock_device(no_cookie.clone())
        .await
        .unwrap_err()
        .contains("browserCookie"));
    let ok = sim
        .mock_device(sidkit_simulator::MockDeviceRequest {
            browser_cookie: Some("a=b".into()),
            ..no_cookie
        })
        .await
        .unwrap();
    assert_eq!(ok.end_result, "OK");
    assert_eq!(ok.callback, "delivered");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_lifetime_idempotency_and_raw_validation() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();

    // A session nobody completes times out (clock advanced past the 120 s lifetime).
    let session = pending_device_link(&client, &rp).await;
    sim.advance_clock(Duration::from_secs(121));
    assert!(matches!(
        client
            .poll_until_complete(session.session_id(), &fast_poll())
            .await
            .unwrap_err(),
        Error::SessionEnded(SessionEnded {
            end_result: EndResult::Timeout,
            ..
        })
    ));

    // Identical signature requests within 15 s return the same session; a nonce changes that.
    let (digest, _) = digest_of(b"idempotent");
    let build = |nonce: Option<&str>| {
        let b = SignatureRequestBuilder::new(&rp, &digest, HashAlgorithm::Sha512)
            .interactions(notification_interactions());
        match nonce {
            Some(n) => b.nonce(n),
            None => b,
        }
        .build_notification()
        .unwrap()
    };
    let a = client
        .create_notification_signature(&doc(NOTIF_OK), &build(None))
        .await
        .unwrap();
    let b = client
        .create_notification_signature(&doc(NOTIF_OK), &build(None))
        .await
        .unwrap();
    let c = client
        .create_notification_signature(&doc(NOTIF_OK), &build(Some("n1")))
        .await
        .unwrap();
    assert_eq!(a, b);
    assert_ne!(a.session_id, c.session_id);

    // Raw requests the typed client would never send.
    let http = reqwest::Client::new();
    let post = |path: &str, body: &str| {
        http.post(format!("{}{path}", sim.base_url()))
            .header("content-type", "application/json")
            .body(body.to_owned())
            .send()
    };
    let r = post(
        "authentication/notification/document/PNOEE-40504040001-DEM0-Q",
        "{not json",
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = serde_json::from_slice(&r.bytes().await.unwrap()).unwrap();
    assert_eq!(problem["type"], "about:blank");
    assert_eq!(problem["status"], 400);
    let mut body = serde_json::to_value(
        AuthenticationRequestBuilder::new(&rp)
            .interactions(notification_interactions())
            .build_notification()
            .unwrap(),
    )
    .unwrap();
    body["nonce"] = "x".into();
    let r = post(
        "authentication/notification/document/PNOEE-40504040001-DEM0-Q",
        &body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    body.as_object_mut().unwrap().remove("nonce");
    body["interactions"] = "W10=".into(); // []
    let r = post(
        "authentication/notification/document/PNOEE-40504040001-DEM0-Q",
        &body.to_string(),
    )
    .await
    .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .get(format!(
            "{}session/{}?timeoutMs=999",
            sim.base_url(),
            session.session_id()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = http
        .get(format!("{}nothing/here", sim.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
}
