//! Shared helpers of the end-to-end tests: a client for a simulator, the mock device over HTTP,
//! a pending device-link session, and the signature check.
//!
//! Two checks of a completed session: a deliberately small one written from the spec alone
//! (`verify_acsp_v2` / `verify_raw_digest`: RSASSA-PSS / PKCS#1 v1.5 against the public key of
//! the returned certificate, plus "the certificate is the account's"), and the full response
//! verifier of `sidkit_verify` against the simulator's CA ([`trust_store`],
//! [`verifier`]). Two independent implementations agreeing is the point.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

use rsa::pkcs8::DecodePublicKey;
use rsa::{Pkcs1v15Sign, Pss, PublicKey};
use sha2::Digest as _;
use sidkit_client::{ClientConfig, PollOptions, SmartIdClient};
use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::device_link::DeviceLinkType;
use sidkit_proto::env::{RelyingParty, SchemeName};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::{HashAlgorithm, SessionStatus, Subject};
use sidkit_proto::request::AuthenticationRequestBuilder;
use sidkit_simulator::{MockDeviceRequest, MockDeviceResponse, Simulator, SimulatorConfig};
use sidkit_verify::{TrustStore, VerificationContext};

/// A trust store with the simulator's test CA (root and intermediate) only.
pub fn trust_store(sim: &Simulator) -> TrustStore {
    let mut trust = TrustStore::new();
    assert_eq!(trust.add_pem(sim.user_ca_pem().as_bytes()).unwrap(), 2);
    trust
}

/// A verification context for the simulator's DEMO scheme, now.
pub fn verifier(trust: &TrustStore) -> VerificationContext<'_> {
    VerificationContext::new(SchemeName::SmartIdDemo, trust, SystemTime::now())
}

/// A simulator with a short notification user delay.
pub async fn simulator() -> Simulator {
    Simulator::start(SimulatorConfig::default().user_delay(Duration::from_millis(300)))
        .await
        .expect("simulator starts")
}

/// A client for an `http` simulator.
pub fn client(sim: &Simulator) -> SmartIdClient {
    SmartIdClient::new(ClientConfig::new(sim.environment())).expect("client")
}

/// Fast poll options for tests (1 s long polls, 30 s deadline).
pub fn fast_poll() -> PollOptions {
    PollOptions {
        long_poll_timeout: Duration::from_secs(1),
        deadline: Duration::from_secs(30),
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(100),
        max_consecutive_failures: 4,
    }
}

pub fn device_link_interactions() -> Interactions {
    Interactions::new(
        InteractionFlow::DeviceLink,
        vec![
            Interaction::confirmation_message("Log in to sidkit test bank? Longer text.").unwrap(),
            Interaction::display_text_and_pin("Log in to sidkit test bank").unwrap(),
        ],
    )
    .unwrap()
}

pub fn notification_interactions() -> Interactions {
    Interactions::new(
        InteractionFlow::Notification,
        vec![Interaction::display_text_and_pin("Sign in to sidkit bank").unwrap()],
    )
    .unwrap()
}

/// The next callback, failing the test after 10 s instead of hanging.
pub async fn next_callback(sim: &Simulator) -> sidkit_simulator::CallbackEvent {
    tokio::time::timeout(Duration::from_secs(10), sim.next_callback())
        .await
        .expect("a callback within 10 s")
}

/// `POST /mock/device-link` over HTTP, like a test harness against SK's Mock Service.
pub async fn mock_device(
    sim: &Simulator,
    document_number: &str,
    device_link: &str,
    link_type: DeviceLinkType,
    initial_callback_url: Option<&str>,
) -> Result<MockDeviceResponse, (u16, serde_json::Value)> {
    let body = MockDeviceRequest {
        document_number: document_number.to_owned(),
        device_link: device_link.to_owned(),
        flow_type: link_type.as_str().to_owned(),
        browser_cookie: link_type
            .is_same_device()
            .then(|| "sid=abc; x=y".to_owned()),
        initial_callback_url: initial_callback_url.map(str::to_owned),
    };
    let resp = reqwest::Client::new()
        .post(sim.mock_url())
        .header("content-type", "application/json")
        .body(serde_json::to_vec(&body).unwrap())
        .send()
        .await
        .expect("mock request");
    let status = resp.status().as_u16();
    let bytes = resp.bytes().await.unwrap();
    if status == 200 {
        Ok(serde_json::from_slice(&bytes).expect("mock response JSON"))
    } else {
        Err((status, serde_json::from_slice(&bytes).unwrap_or_default()))
    }
}

fn public_key(cert_der: &[u8]) -> PublicKey {
    let der = rustls_pki_cert(cert_der);
    let cert = webpki::EndEntityCert::try_from(&der).expect("certificate parses");
    PublicKey::from_public_key_der(cert.subject_public_key_info().as_ref()).expect("RSA key")
}

fn rustls_pki_cert(der: &[u8]) -> rustls::pki_types::CertificateDer<'static> {
    rustls::pki_types::CertificateDer::from(der.to_vec())
}

fn hash(alg: HashAlgorithm, msg: &[u8]) -> Vec<u8> {
    match alg {
        HashAlgorithm::Sha256 => sha2::Sha256::digest(msg).to_vec(),
        HashAlgorithm::Sha384 => sha2::Sha384::digest(msg).to_vec(),
        HashAlgorithm::Sha512 => sha2::Sha512::digest(msg).to_vec(),
        other => panic!("test helper does not do {other}"),
    }
}

fn pss_verify(
    key: &PublicKey,
    alg: HashAlgorithm,
    digest: &[u8],
    sig: &[u8],
) -> Result<(), String> {
    let r = match alg {
        HashAlgorithm::Sha256 => key.verify(Pss::<sha2::Sha256>::new_with_salt(32), digest, sig),
        HashAlgorithm::Sha384 => key.verify(Pss::<sha2::Sha384>::new_with_salt(48), digest, sig),
        HashAlgorithm::Sha512 => key.verify(Pss::<sha2::Sha512>::new_with_salt(64), digest, sig),
        other => return Err(format!("unsupported {other}")),
    };
    r.map_err(|e| format!("signature does not verify: {e}"))
}

fn cert_der(status: &SessionStatus) -> Vec<u8> {
    b64::decode_std("cert", &status.cert.as_ref().expect("cert").value).expect("cert Base64")
}

/// What the RP sent when it created an authentication session.
pub struct SentAuth<'a> {
    pub scheme: SchemeName,
    pub rp_challenge: &'a str,
    pub relying_party_name: &'a str,
    pub interactions: &'a str,
    pub initial_callback_url: Option<&'a str>,
}

/// Checks an ACSP_V2 signature of a completed authentication session against the returned
/// certificate's key; `expected_cert` is the account's authentication certificate.
pub fn verify_acsp_v2(
    status: &SessionStatus,
    sent: &SentAuth<'_>,
    expected_cert: &[u8],
) -> Result<(), String> {
    assert_eq!(status.signature_protocol.as_deref(), Some("ACSP_V2"));
    let sig = status.signature.as_ref().ok_or("no signature")?;
    let der = cert_der(status);
    if der != expected_cert {
        return Err("certificate is not the account's authentication certificate".into());
    }
    let params = sig
        .signature_algorithm_parameters
        .as_ref()
        .ok_or("no params")?;
    let alg: HashAlgorithm = params
        .hash_algorithm
        .as_deref()
        .ok_or("no hash")?
        .parse()
        .unwrap();
    assert_eq!(params.salt_length, Some(alg.output_len() as u32));
    assert_eq!(params.trailer_field.as_deref(), Some("0xbc"));
    let payload = AcspV2Payload {
        scheme_name: sent.scheme,
        server_random: sig.server_random.as_deref().ok_or("no serverRandom")?,
        rp_challenge: sent.rp_challenge,
        user_challenge: sig.user_challenge.as_deref().ok_or("no userChallenge")?,
        relying_party_name: sent.relying_party_name,
        brokered_rp_name: None,
        interactions: sent.interactions,
        interaction_type_used: status.interaction_type_used.as_deref().ok_or("no itu")?,
        initial_callback_url: sent.initial_callback_url,
        flow_type: sig.flow_type.as_deref().ok_or("no flowType")?,
    }
    .to_bytes();
    let value = b64::decode_std("value", sig.value.as_deref().ok_or("no value")?).unwrap();
    pss_verify(&public_key(&der), alg, &hash(alg, &payload), &value)
}

/// Checks a RAW_DIGEST_SIGNATURE over `digest` against the returned certificate's key.
pub fn verify_raw_digest(
    status: &SessionStatus,
    digest: &[u8],
    expected_cert: &[u8],
) -> Result<(), String> {
    assert_eq!(
        status.signature_protocol.as_deref(),
        Some("RAW_DIGEST_SIGNATURE")
    );
    let sig = status.signature.as_ref().ok_or("no signature")?;
    let der = cert_der(status);
    if der != expected_cert {
        return Err("certificate is not the account's signing certificate".into());
    }
    let value = b64::decode_std("value", sig.value.as_deref().ok_or("no value")?).unwrap();
    let key = public_key(&der);
    match sig.signature_algorithm.as_deref() {
        Some("rsassa-pss") => {
            let p = sig
                .signature_algorithm_parameters
                .as_ref()
                .ok_or("no params")?;
            let alg: HashAlgorithm = p
                .hash_algorithm
                .as_deref()
                .ok_or("no hash")?
                .parse()
                .unwrap();
            pss_verify(&key, alg, digest, &value)
        }
        Some("sha256WithRSAEncryption") => key
            .verify(Pkcs1v15Sign::new::<sha2::Sha256>(), digest, &value)
            .map_err(|e| e.to_string()),
        Some("sha512WithRSAEncryption") => key
            .verify(Pkcs1v15Sign::new::<sha2::Sha512>(), digest, &value)
            .map_err(|e| e.to_string()),
        other => Err(format!("unexpected algorithm {other:?}")),
    }
}

/// A fresh digest (SHA-512 of `data`) in standard Base64, and its bytes.
pub fn digest_of(data: &[u8]) -> (String, Vec<u8>) {
    let d = sha2::Sha512::digest(data).to_vec();
    (b64::encode_std(&d), d)
}

/// A device-link authentication that nobody completes (until the test does).
pub async fn pending_device_link(
    client: &SmartIdClient,
    rp: &RelyingParty,
) -> sidkit_client::DeviceLinkSession {
    let request = AuthenticationRequestBuilder::new(rp)
        .interactions(device_link_interactions())
        .build_device_link()
        .unwrap();
    client
        .create_device_link_authentication(&Subject::Anonymous, &request)
        .await
        .unwrap()
}
