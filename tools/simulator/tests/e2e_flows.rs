//! End to end over loopback: the client creates every kind of session against the simulator,
//! the mock device (or the simulated notification user) completes it, the poller returns the
//! result, and the response is verified twice: by a small signature check written from the
//! spec (tests/common) and by the full verifier of `sidkit_verify` (chain to the
//! simulator's CA, profile, identity, callback, signature).
//!
//! The file is past 600 lines because it exercises one subject, every kind of session end to
//! end, and each test spells out its whole flow (create, device link or notification, poll,
//! both checks) rather than hiding it in helpers, so that it reads as a walkthrough of the
//! protocol.

mod common;

use common::*;
use sidkit_proto::callback::{create_callback_url, CallbackBinding};
use sidkit_proto::device_link::{DeviceLinkType, SessionType};
use sidkit_proto::env::SchemeName;
use sidkit_proto::ident::{DocumentNumber, SemanticsIdentifier};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::{HashAlgorithm, SignatureAlgorithm, Subject};
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};
use sidkit_proto::vc::verification_code;
use sidkit_verify::{
    verify_authentication, verify_certificate_choice, verify_signature, AuthenticationSession,
    CallbackCheck, CertificateChoiceSession, OfferedFlows, SignatureSession,
};

const ADULT: &str = "PNOEE-40404040009-MOCK-Q";
const ADULT_ID: &str = "PNOEE-40404040009";
const NOTIF_OK: &str = "PNOEE-40504040001-DEM0-Q";

fn doc(s: &str) -> DocumentNumber {
    DocumentNumber::new(s).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_link_authentication_anonymous_qr() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let interactions = device_link_interactions();
    let request = AuthenticationRequestBuilder::new(&rp)
        .interactions(interactions.clone())
        .build_device_link()
        .unwrap();
    let session = client
        .create_device_link_authentication(&Subject::Anonymous, &request)
        .await
        .unwrap();
    // The backend renders the QR code once per second; the phone scans the current frame.
    let ticker = session.qr_ticker().unwrap();
    let frame = ticker.frame_at(std::time::Instant::now());
    let poll = {
        let client = client.clone();
        let id = session.session_id().to_owned();
        tokio::spawn(async move { client.poll_until_complete(&id, &fast_poll()).await })
    };
    let r = mock_device(&sim, ADULT, frame.link.as_str(), DeviceLinkType::Qr, None)
        .await
        .unwrap();
    assert_eq!(r.end_result, "OK");
    assert_eq!(r.callback, "none");
    let status = poll.await.unwrap().unwrap();
    assert_eq!(
        status.result.as_ref().unwrap().document_number.as_deref(),
        Some(ADULT)
    );
    assert_eq!(
        status.signature.as_ref().unwrap().flow_type.as_deref(),
        Some("QR")
    );
    let account = sim.account(ADULT).unwrap();
    verify_acsp_v2(
        &status,
        &SentAuth {
            scheme: SchemeName::SmartIdDemo,
            rp_challenge: request
                .signature_protocol_parameters
                .rp_challenge
                .expose_base64(),
            relying_party_name: &rp.name,
            interactions: interactions.as_base64(),
            // The session has no callback; for QR it would be left out anyway.
            initial_callback_url: None,
        },
        &account.auth_cert_der,
    )
    .unwrap();
    let trust = trust_store(&sim);
    let verified = verify_authentication(
        &verifier(&trust),
        &AuthenticationSession::device_link(&request, Subject::Anonymous, OfferedFlows::QR),
        &status,
        CallbackCheck::None,
    )
    .unwrap();
    assert_eq!(verified.document_number, ADULT);
    assert_eq!(verified.identity.identity_code, ADULT_ID);
    // Another relying party name is another signed payload: the full verifier refuses it.
    let mut other_rp = request.clone();
    other_rp.relying_party_name = "Another RP".into();
    assert!(verify_authentication(
        &verifier(&trust),
        &AuthenticationSession::device_link(&other_rp, Subject::Anonymous, OfferedFlows::QR),
        &status,
        CallbackCheck::None,
    )
    .is_err());
    // The same check fails if any signed input differs (the test cannot pass vacuously).
    assert!(verify_acsp_v2(
        &status,
        &SentAuth {
            scheme: SchemeName::SmartId,
            rp_challenge: request
                .signature_protocol_parameters
                .rp_challenge
                .expose_base64(),
            relying_party_name: &rp.name,
            interactions: interactions.as_base64(),
            initial_callback_url: None,
        },
        &account.auth_cert_der,
    )
    .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_link_authentication_etsi_app2app_with_callback() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let callback = create_callback_url("https://rp.example.com/app2app-callback").unwrap();
    let request = AuthenticationRequestBuilder::new(&rp)
        .interactions(device_link_interactions())
        .initial_callback_url(callback.url())
        .build_device_link()
        .unwrap();
    let subject = Subject::Etsi(ADULT_ID.parse::<SemanticsIdentifier>().unwrap());
    let session = client
        .create_device_link_authentication(&subject, &request)
        .await
        .unwrap();
    let binding = CallbackBinding::new(
        &callback,
        &session.response.session_secret,
        SessionType::Auth,
    );
    let link = session
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::App2App)
        .unwrap();
    let r = mock_device(
        &sim,
        ADULT,
        link.as_str(),
        DeviceLinkType::App2App,
        Some(callback.url()),
    )
    .await
    .unwrap();
    assert_eq!(r.callback, "delivered");
    let cb = next_callback(&sim).await;
    assert_eq!(cb.flow_type.as_str(), "App2App");
    assert_eq!(cb.browser_cookie.as_deref(), Some("sid=abc; x=y"));
    // Polling after the callback, as a same-device-only UI may do.
    let status = client
        .poll_until_complete(session.session_id(), &fast_poll())
        .await
        .unwrap();
    // §7.3: token binding and sessionSecretDigest, then userChallengeVerifier vs the signature.
    let verified = binding.check(&cb.url).unwrap();
    verified
        .check_user_challenge(
            status
                .signature
                .as_ref()
                .unwrap()
                .user_challenge
                .as_deref()
                .unwrap(),
        )
        .unwrap();
    let account = sim.account(ADULT).unwrap();
    verify_acsp_v2(
        &status,
        &SentAuth {
            scheme: SchemeName::SmartIdDemo,
            rp_challenge: request
                .signature_protocol_parameters
                .rp_challenge
                .expose_base64(),
            relying_party_name: &rp.name,
            interactions: request.interactions.as_base64(),
            initial_callback_url: Some(callback.url()),
        },
        &account.auth_cert_der,
    )
    .unwrap();
    let trust = trust_store(&sim);
    let full = verify_authentication(
        &verifier(&trust),
        &AuthenticationSession::device_link(&request, subject.clone(), OfferedFlows::APP2APP),
        &status,
        CallbackCheck::Url {
            callback_url: &cb.url,
            session_secret: &session.response.session_secret,
        },
    )
    .unwrap();
    assert_eq!(full.identity.identity_code, ADULT_ID);
    // Same-device without its callback is refused by the full verifier.
    assert!(verify_authentication(
        &verifier(&trust),
        &AuthenticationSession::device_link(&request, subject.clone(), OfferedFlows::APP2APP),
        &status,
        CallbackCheck::None,
    )
    .is_err());
    // A callback for another session's secret is rejected.
    let other = sidkit_proto::secret::SessionSecret::from_base64(
        "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=",
    )
    .unwrap();
    assert!(CallbackBinding::new(&callback, &other, SessionType::Auth)
        .check(&cb.url)
        .is_err());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_link_authentication_document_web2app() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let callback = create_callback_url("https://rp.example.com/web2app-callback").unwrap();
    let request = AuthenticationRequestBuilder::new(&rp)
        .interactions(device_link_interactions())
        .initial_callback_url(callback.url())
        .hash_algorithm(HashAlgorithm::Sha256)
        .build_device_link()
        .unwrap();
    let session = client
        .create_device_link_authentication(&Subject::Document(doc(ADULT)), &request)
        .await
        .unwrap();
    let link = session
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::Web2App)
        .unwrap();
    mock_device(
        &sim,
        ADULT,
        link.as_str(),
        DeviceLinkType::Web2App,
        Some(callback.url()),
    )
    .await
    .unwrap();
    let status = client
        .poll_until_complete(session.session_id(), &fast_poll())
        .await
        .unwrap();
    assert_eq!(
        status.signature.as_ref().unwrap().flow_type.as_deref(),
        Some("Web2App")
    );
    assert_eq!(
        status.interaction_type_used.as_deref(),
        Some("confirmationMessage")
    );
    verify_acsp_v2(
        &status,
        &SentAuth {
            scheme: SchemeName::SmartIdDemo,
            rp_challenge: request
                .signature_protocol_parameters
                .rp_challenge
                .expose_base64(),
            relying_party_name: &rp.name,
            interactions: request.interactions.as_base64(),
            initial_callback_url: Some(callback.url()),
        },
        &sim.account(ADULT).unwrap().auth_cert_der,
    )
    .unwrap();
    let cb = next_callback(&sim).await;
    let checked = CallbackBinding::new(
        &callback,
        &session.response.session_secret,
        SessionType::Auth,
    )
    .check(&cb.url)
    .unwrap();
    let trust = trust_store(&sim);
    let full = verify_authentication(
        &verifier(&trust),
        &AuthenticationSession::device_link(
            &request,
            Subject::Document(doc(ADULT)),
            OfferedFlows::WEB2APP,
        ),
        &status,
        CallbackCheck::Verified(&checked),
    )
    .unwrap();
    assert_eq!(full.document_number, ADULT);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_authentication_etsi_and_document() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    for subject in [
        Subject::Etsi("PNOEE-40504040001".parse().unwrap()),
        Subject::Document(doc(NOTIF_OK)),
    ] {
        let request = AuthenticationRequestBuilder::new(&rp)
            .interactions(notification_interactions())
            .build_notification()
            .unwrap();
        let vc = verification_code(&request.signature_protocol_parameters.rp_challenge);
        assert_eq!(vc.len(), 4);
        let created = client
            .create_notification_authentication(&subject, &request)
            .await
            .unwrap();
        let status = client
            .poll_until_complete(&created.session_id, &fast_poll())
            .await
            .unwrap();
        assert_eq!(
            status.signature.as_ref().unwrap().flow_type.as_deref(),
            Some("Notification")
        );
        verify_acsp_v2(
            &status,
            &SentAuth {
                scheme: SchemeName::SmartIdDemo,
                rp_challenge: request
                    .signature_protocol_parameters
                    .rp_challenge
                    .expose_base64(),
                relying_party_name: &rp.name,
                interactions: request.interactions.as_base64(),
                initial_callback_url: None,
            },
            &sim.account(NOTIF_OK).unwrap().auth_cert_der,
        )
        .unwrap();
        let trust = trust_store(&sim);
        let full = verify_authentication(
            &verifier(&trust),
            &AuthenticationSession::notification(&request, subject.clone()),
            &status,
            CallbackCheck::None,
        )
        .unwrap();
        assert_eq!(full.identity.identity_code, "PNOEE-40504040001");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_link_signature_etsi_qr_and_document_app2app() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let account = sim.account(ADULT).unwrap();

    // etsi + QR, RSASSA-PSS with SHA-512.
    let (digest_b64, digest) = digest_of(b"contract #1");
    let request = SignatureRequestBuilder::new(&rp, &digest_b64, HashAlgorithm::Sha512)
        .interactions(device_link_interactions())
        .build_device_link()
        .unwrap();
    let session = client
        .create_device_link_signature(&Subject::Etsi(ADULT_ID.parse().unwrap()), &request)
        .await
        .unwrap();
    let link = session.signer().unwrap().qr_link(0);
    mock_device(&sim, ADULT, link.as_str(), DeviceLinkType::Qr, None)
        .await
        .unwrap();
    let status = client
        .poll_until_complete(session.session_id(), &fast_poll())
        .await
        .unwrap();
    verify_raw_digest(&status, &digest, &account.sign_cert_der).unwrap();
    let trust = trust_store(&sim);
    let full = verify_signature(
        &verifier(&trust),
        &SignatureSession::device_link(
            &request,
            Subject::Etsi(ADULT_ID.parse().unwrap()),
            OfferedFlows::QR,
        ),
        &status,
        CallbackCheck::None,
    )
    .unwrap();
    assert_eq!(full.identity.identity_code, ADULT_ID);
    // Another document's digest: the full verifier refuses the signature too.
    let other_digest = digest_of(b"contract #2").0;
    let mut other = request.clone();
    other.signature_protocol_parameters.digest = other_digest;
    assert!(verify_signature(
        &verifier(&trust),
        &SignatureSession::device_link(
            &other,
            Subject::Etsi(ADULT_ID.parse().unwrap()),
            OfferedFlows::QR,
        ),
        &status,
        CallbackCheck::None,
    )
    .is_err());
    assert!(verify_raw_digest(
        &status,
        &digest_of(b"contract #2").1,
        &account.sign_cert_der
    )
    .is_err());

    // document + App2App, legacy PKCS#1 v1.5 with SHA-256.
    let digest =
        sha2::Digest::finalize(<sha2::Sha256 as sha2::Digest>::new_with_prefix(b"doc")).to_vec();
    let callback = create_callback_url("https://rp.example.com/app2app-callback").unwrap();
    let request = SignatureRequestBuilder::new(
        &rp,
        sidkit_proto::b64::encode_std(&digest),
        HashAlgorithm::Sha256,
    )
    .legacy_pkcs1(SignatureAlgorithm::Sha256WithRsaEncryption)
    .interactions(device_link_interactions())
    .initial_callback_url(callback.url())
    .build_device_link()
    .unwrap();
    let session = client
        .create_device_link_signature(&Subject::Document(doc(ADULT)), &request)
        .await
        .unwrap();
    let link = session
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::App2App)
        .unwrap();
    mock_device(
        &sim,
        ADULT,
        link.as_str(),
        DeviceLinkType::App2App,
        Some(callback.url()),
    )
    .await
    .unwrap();
    let status = client
        .poll_until_complete(session.session_id(), &fast_poll())
        .await
        .unwrap();
    assert_eq!(
        status
            .signature
            .as_ref()
            .unwrap()
            .signature_algorithm
            .as_deref(),
        Some("sha256WithRSAEncryption")
    );
    verify_raw_digest(&status, &digest, &account.sign_cert_der).unwrap();
    // Signature callbacks carry sessionSecretDigest only.
    let cb = next_callback(&sim).await;
    assert!(!cb.url.contains("userChallengeVerifier"));
    CallbackBinding::new(
        &callback,
        &session.response.session_secret,
        SessionType::Sign,
    )
    .check(&cb.url)
    .unwrap();
    let full = verify_signature(
        &verifier(&trust),
        &SignatureSession::device_link(
            &request,
            Subject::Document(doc(ADULT)),
            OfferedFlows::APP2APP,
        ),
        &status,
        CallbackCheck::Url {
            callback_url: &cb.url,
            session_secret: &session.response.session_secret,
        },
    )
    .unwrap();
    assert_eq!(
        full.signature_algorithm,
        SignatureAlgorithm::Sha256WithRsaEncryption
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_signature_etsi_and_document() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let account = sim.account(NOTIF_OK).unwrap();
    for (i, subject) in [
        Subject::Etsi("PNOEE-40504040001".parse().unwrap()),
        Subject::Document(doc(NOTIF_OK)),
    ]
    .into_iter()
    .enumerate()
    {
        let (digest_b64, digest) = digest_of(format!("invoice {i}").as_bytes());
        let request = SignatureRequestBuilder::new(&rp, &digest_b64, HashAlgorithm::Sha512)
            .interactions(
                Interactions::new(
                    InteractionFlow::Notification,
                    vec![
                        Interaction::confirmation_message_and_verification_code_choice(
                            "Sign invoice?",
                        )
                        .unwrap(),
                    ],
                )
                .unwrap(),
            )
            .build_notification()
            .unwrap();
        let created = client
            .create_notification_signature(&subject, &request)
            .await
            .unwrap();
        let vc = created.vc.as_ref().unwrap();
        assert_eq!(vc.vc_type, "numeric4");
        assert!(vc.value.len() == 4 && vc.value.bytes().all(|b| b.is_ascii_digit()));
        let status = client
            .poll_until_complete(&created.session_id, &fast_poll())
            .await
            .unwrap();
        verify_raw_digest(&status, &digest, &account.sign_cert_der).unwrap();
        let trust = trust_store(&sim);
        verify_signature(
            &verifier(&trust),
            &SignatureSession::notification(&request, subject.clone()),
            &status,
            CallbackCheck::None,
        )
        .unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_choice_then_linked_signature_app2app() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let account = sim.account(ADULT).unwrap();
    let callback = create_callback_url("https://rp.example.com/app2app-callback").unwrap();
    let request = CertificateChoiceRequestBuilder::new(&rp)
        .initial_callback_url(callback.url())
        .build_device_link()
        .unwrap();
    let choice = client
        .create_device_link_certificate_choice(&request)
        .await
        .unwrap();
    let link = choice
        .signer()
        .unwrap()
        .same_device_link(DeviceLinkType::App2App)
        .unwrap();
    let r = mock_device(
        &sim,
        ADULT,
        link.as_str(),
        DeviceLinkType::App2App,
        Some(callback.url()),
    )
    .await
    .unwrap();
    // The callback waits for the linked signature (spec §7.2).
    assert_eq!(r.callback, "deferred");
    let status = client
        .poll_until_complete(choice.session_id(), &fast_poll())
        .await
        .unwrap();
    assert!(status.signature_protocol.is_none());
    assert_eq!(
        status.signature.as_ref().unwrap().flow_type.as_deref(),
        Some("App2App")
    );
    assert_eq!(
        sidkit_proto::b64::decode_std("cert", &status.cert.as_ref().unwrap().value).unwrap(),
        account.sign_cert_der
    );
    let document = doc(status
        .result
        .as_ref()
        .unwrap()
        .document_number
        .as_deref()
        .unwrap());
    assert!(sim.callbacks().is_empty());
    // The choice is verified now; its callback is checked with the linked signature.
    let trust = trust_store(&sim);
    let chosen = verify_certificate_choice(
        &verifier(&trust),
        &CertificateChoiceSession::device_link(&request, OfferedFlows::APP2APP),
        &status,
        CallbackCheck::DeferredToLinkedSignature,
    )
    .unwrap();
    assert_eq!(chosen.document_number, ADULT);

    // Linked notification signature on the chosen account.
    let (digest_b64, digest) = digest_of(b"linked document");
    let linked = SignatureRequestBuilder::new(&rp, &digest_b64, HashAlgorithm::Sha512)
        .interactions(device_link_interactions())
        .build_linked(choice.session_id())
        .unwrap();
    let created = client
        .create_linked_notification_signature(&document, &linked)
        .await
        .unwrap();
    let status = client
        .poll_until_complete(&created.session_id, &fast_poll())
        .await
        .unwrap();
    verify_raw_digest(&status, &digest, &account.sign_cert_der).unwrap();
    // Now the certificate choice's callback arrives, bound to its secret.
    let cb = next_callback(&sim).await;
    assert_eq!(cb.session_type, SessionType::Cert);
    CallbackBinding::new(
        &callback,
        &choice.response.session_secret,
        SessionType::Cert,
    )
    .check(&cb.url)
    .unwrap();
    verify_signature(
        &verifier(&trust),
        &SignatureSession::linked(&linked, document.clone(), Some(callback.url()))
            .with_certificate_choice_flow(chosen.flow_type),
        &status,
        CallbackCheck::Url {
            callback_url: &cb.url,
            session_secret: &choice.response.session_secret,
        },
    )
    .unwrap();
    // A certificate choice links only once.
    let again = SignatureRequestBuilder::new(&rp, &digest_of(b"other").0, HashAlgorithm::Sha512)
        .interactions(device_link_interactions())
        .build_linked(choice.session_id())
        .unwrap();
    let e = client
        .create_linked_notification_signature(&document, &again)
        .await
        .unwrap_err();
    assert_eq!(e.code(), "api_bad_request", "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notification_certificate_choice_and_certificate_by_document_number() {
    let sim = simulator().await;
    let client = client(&sim);
    let rp = sim.relying_party();
    let account = sim.account(NOTIF_OK).unwrap();
    let request = CertificateChoiceRequestBuilder::new(&rp)
        .build_notification()
        .unwrap();
    let created = client
        .create_notification_certificate_choice(&"PNOEE-40504040001".parse().unwrap(), &request)
        .await
        .unwrap();
    let status = client
        .poll_until_complete(&created.session_id, &fast_poll())
        .await
        .unwrap();
    assert_eq!(
        sidkit_proto::b64::decode_std("cert", &status.cert.as_ref().unwrap().value).unwrap(),
        account.sign_cert_der
    );
    let trust = trust_store(&sim);
    let chosen = verify_certificate_choice(
        &verifier(&trust),
        &CertificateChoiceSession::notification(
            &request,
            Subject::Etsi("PNOEE-40504040001".parse().unwrap()),
        ),
        &status,
        CallbackCheck::None,
    )
    .unwrap();
    assert_eq!(chosen.document_number, NOTIF_OK);
    let cert = client
        .certificate_by_document_number(
            &doc(NOTIF_OK),
            &CertificateChoiceRequestBuilder::new(&rp)
                .build_by_document_number()
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(cert.certificate_level, "QUALIFIED");
    assert_eq!(
        sidkit_proto::b64::decode_std("cert", &cert.value).unwrap(),
        account.sign_cert_der
    );
}
