//! Issue 16 item 10: no type of this crate that holds a secret prints it through `Debug`. Every
//! request, response, builder, binding and callback type of a same-device session is formatted
//! with `{:?}` (and `{:#?}`), and the output must contain none of the session's secrets: the
//! callback token (also inside the `initialCallbackUrl` and the return URL), the session secret
//! (standard Base64), the rpChallenge and the userChallengeVerifier.

use std::time::Instant;

use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::callback::{
    create_callback_url, user_challenge_of, CallbackBinding, OneShotCallback,
};
use sidkit_proto::device_link::{DeviceLinkParams, DeviceLinkSigner, QrTicker};
use sidkit_proto::env::{RelyingParty, SchemeName};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::*;
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};
use sidkit_proto::return_url::{CanonicalBase, CanonicalReturnUrl};
use sidkit_proto::secret::{RpChallenge, SessionSecret};

const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";
const VERIFIER: &str = "XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";
const DIGEST: &str =
    "FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==";

fn interactions(flow: InteractionFlow) -> Interactions {
    Interactions::new(
        flow,
        vec![Interaction::display_text_and_pin("Log in to Example Bank").unwrap()],
    )
    .unwrap()
}

/// Fails if any formatting of `value` contains one of `secrets`.
fn assert_redacted(what: &str, value: &dyn std::fmt::Debug, secrets: &[&str]) {
    for text in [format!("{value:?}"), format!("{value:#?}")] {
        for s in secrets {
            assert!(
                !text.contains(s),
                "{what} prints a secret through Debug ({s}):\n{text}"
            );
        }
    }
}

#[test]
fn no_request_response_or_binding_type_prints_a_secret() {
    let rp = RelyingParty::demo();
    let initial = create_callback_url("https://rp.example.com/app-callback?lang=et").unwrap();
    let token = initial.token().expose().to_owned();
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let challenge = RpChallenge::random().unwrap();
    let challenge_b64 = challenge.expose_base64().to_owned();
    let secrets: &[&str] = &[&token, SECRET, &challenge_b64, VERIFIER];
    let check = |what: &str, v: &dyn std::fmt::Debug| assert_redacted(what, v, secrets);

    check("InitialCallback", &initial);
    check("CallbackToken", initial.token());
    check("SessionSecret", &secret);
    check("RpChallenge", &challenge);

    // Builders and request bodies.
    let auth_builder = AuthenticationRequestBuilder::new(&rp)
        .rp_challenge(challenge.clone())
        .interactions(interactions(InteractionFlow::DeviceLink))
        .initial_callback_url(initial.url());
    check("AuthenticationRequestBuilder", &auth_builder);
    let auth = auth_builder.build_device_link().unwrap();
    check("DeviceLinkAuthenticationRequest", &auth);
    let notification_auth = AuthenticationRequestBuilder::new(&rp)
        .rp_challenge(challenge.clone())
        .interactions(interactions(InteractionFlow::Notification))
        .build_notification()
        .unwrap();
    check("NotificationAuthenticationRequest", &notification_auth);
    let sign_builder = SignatureRequestBuilder::new(&rp, DIGEST, HashAlgorithm::Sha512)
        .interactions(interactions(InteractionFlow::DeviceLink))
        .initial_callback_url(initial.url());
    check("SignatureRequestBuilder", &sign_builder);
    let sign = sign_builder.build_device_link().unwrap();
    check("DeviceLinkSignatureRequest", &sign);
    let cert_builder =
        CertificateChoiceRequestBuilder::new(&rp).initial_callback_url(initial.url());
    check("CertificateChoiceRequestBuilder", &cert_builder);
    let cert = cert_builder.build_device_link().unwrap();
    check("DeviceLinkCertificateChoiceRequest", &cert);

    // The session response and the device links.
    let response: DeviceLinkSessionResponse = serde_json::from_value(serde_json::json!({
        "sessionID": "de305d54-75b4-431b-adb2-eb6b9e546014",
        "sessionToken": "wGIrqveE6AuGDATZKmR1mtAZ",
        "sessionSecret": SECRET,
        "deviceLinkBase": "https://smart-id.com/device-link",
    }))
    .unwrap();
    check("DeviceLinkSessionResponse", &response);
    let params = DeviceLinkParams {
        scheme_name: SchemeName::SmartIdDemo,
        device_link_base: response.device_link_base.clone(),
        session_token: response.session_token.clone(),
        session_type: SessionType::Auth,
        rp_challenge_or_digest: challenge_b64.clone(),
        relying_party_name: rp.name.clone(),
        brokered_rp_name: None,
        interactions: auth.interactions.as_base64().to_owned(),
        initial_callback_url: auth.initial_callback_url.clone(),
        lang: "eng".into(),
    };
    check("DeviceLinkParams", &params);
    let signer = DeviceLinkSigner::new(&params, &secret).unwrap();
    check("DeviceLinkSigner", &signer);
    check("QrTicker", &QrTicker::new(signer, Instant::now()));

    // The signed payload of the response (spec §8.1).
    let uc = user_challenge_of(VERIFIER);
    let payload = AcspV2Payload {
        scheme_name: SchemeName::SmartIdDemo,
        server_random: "c2VydmVyUmFuZG9t",
        rp_challenge: &challenge_b64,
        user_challenge: &uc,
        relying_party_name: &rp.name,
        brokered_rp_name: None,
        interactions: auth.interactions.as_base64(),
        interaction_type_used: "displayTextAndPIN",
        initial_callback_url: Some(initial.url()),
        flow_type: "App2App",
    };
    check("AcspV2Payload", &payload);

    // What the backend keeps, and the callback as it comes back.
    let binding = CallbackBinding::new(&initial, &secret, SessionType::Auth);
    check("CallbackBinding", &binding);
    let returned = format!(
        "{}&sessionSecretDigest={}&userChallengeVerifier={VERIFIER}",
        initial.url(),
        secret.digest().to_base64url()
    );
    let one_shot = OneShotCallback::new(binding.clone());
    check("OneShotCallback", &one_shot);
    let verified = one_shot.accept(&returned).unwrap();
    check("VerifiedCallback", &verified);
    check("OneShotCallback (used)", &one_shot);
    let base = CanonicalBase::from_initial_callback_url(initial.url(), "value").unwrap();
    check("CanonicalBase", &base);
    let parsed = CanonicalReturnUrl::parse(&base, &returned).unwrap();
    check("CanonicalReturnUrl", &parsed);
    check("ReturnUrlFingerprint", &parsed.fingerprint());
}

/// Every copy of the callback token or the `initialCallbackUrl` is zeroized on drop.
#[test]
fn secret_copies_zeroize_on_drop() {
    fn zeroized_on_drop<T: zeroize::ZeroizeOnDrop>() {}
    zeroized_on_drop::<sidkit_proto::callback::CallbackToken>();
    zeroized_on_drop::<sidkit_proto::callback::InitialCallback>();
    zeroized_on_drop::<sidkit_proto::callback::InitialCallbackUrl>();
    zeroized_on_drop::<CallbackBinding>();
    zeroized_on_drop::<SessionSecret>();
    zeroized_on_drop::<RpChallenge>();
}
