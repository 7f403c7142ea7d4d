//! One full authentication verification (spec §8: callback, response, user challenge,
//! certificate chain with ECDSA P-384 CAs, Smart-ID profile, identity, RSASSA-PSS SHA-512
//! signature) with 4096- and 6144-bit user keys.
//!
//! `cargo bench -p sidkit-verify --bench verify`
//! (key generation for the fixtures takes a while before measuring starts).

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion};
use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::callback::{create_callback_url, user_challenge_of};
use sidkit_proto::env::{RelyingParty, SchemeName};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::{FlowType, HashAlgorithm, SessionStatus, Subject};
use sidkit_proto::request::AuthenticationRequestBuilder;
use sidkit_proto::secret::{random_bytes, SessionSecret};
use sidkit_testpki::{TestPki, UserCertSpec};
use sidkit_verify::{
    verify_authentication, AuthenticationSession, CallbackCheck, OfferedFlows, TrustStore,
    VerificationContext,
};

struct Fixture {
    store: TrustStore,
    request: sidkit_proto::models::DeviceLinkAuthenticationRequest,
    status: SessionStatus,
    secret: SessionSecret,
    callback_url: String,
}

fn fixture(bits: usize) -> Fixture {
    let pki = TestPki::generate("TEST of sidkit bench").expect("pki");
    let mut spec = UserCertSpec::authentication("PNOEE-30001010004", "MARY", "TESTNUMBER");
    spec.key_bits = bits;
    let user = pki.issue(&spec).expect("user");
    let mut store = TrustStore::new();
    store.add_der(pki.root.der()).expect("root");
    store.add_der(pki.intermediate.der()).expect("intermediate");
    let initial = create_callback_url("https://rp.example.com/app-callback").expect("callback");
    let request = AuthenticationRequestBuilder::new(&RelyingParty::demo())
        .interactions(
            Interactions::new(
                InteractionFlow::DeviceLink,
                vec![Interaction::display_text_and_pin("Log in to Example Bank").expect("text")],
            )
            .expect("interactions"),
        )
        .initial_callback_url(initial.url())
        .build_device_link()
        .expect("request");
    let secret = SessionSecret::from_base64(&b64::encode_std(&random_bytes(32).expect("rng")))
        .expect("secret");
    let verifier = b64::encode_url(&random_bytes(32).expect("rng"));
    let user_challenge = user_challenge_of(&verifier);
    let server_random = b64::encode_std(&random_bytes(18).expect("rng"));
    let payload = AcspV2Payload {
        scheme_name: SchemeName::SmartIdDemo,
        server_random: &server_random,
        rp_challenge: request
            .signature_protocol_parameters
            .rp_challenge
            .expose_base64(),
        user_challenge: &user_challenge,
        relying_party_name: &request.relying_party_name,
        brokered_rp_name: None,
        interactions: request.interactions.as_base64(),
        interaction_type_used: "displayTextAndPIN",
        initial_callback_url: request.initial_callback_url.as_deref(),
        flow_type: "App2App",
    };
    let status = user
        .acsp_v2_status(
            &payload,
            HashAlgorithm::Sha512,
            "PNOEE-30001010004-MOCK-Q",
            "QUALIFIED",
        )
        .expect("status");
    let callback_url = format!(
        "{}&sessionSecretDigest={}&userChallengeVerifier={verifier}",
        initial.url(),
        secret.digest().to_base64url()
    );
    Fixture {
        store,
        request,
        status,
        secret,
        callback_url,
    }
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify_authentication");
    for bits in [4096usize, 6144] {
        let f = fixture(bits);
        let ctx = VerificationContext::new(SchemeName::SmartIdDemo, &f.store, SystemTime::now());
        let session = AuthenticationSession::device_link(
            &f.request,
            Subject::Anonymous,
            OfferedFlows::of(&[FlowType::Qr, FlowType::App2App]),
        );
        // Sanity: the fixture verifies before it is measured.
        let cb = CallbackCheck::Url {
            callback_url: &f.callback_url,
            session_secret: &f.secret,
        };
        verify_authentication(&ctx, &session, &f.status, cb).expect("fixture verifies");
        group.bench_function(format!("rsa{bits}_pss_sha512_p384_chain"), |b| {
            b.iter(|| {
                let r = verify_authentication(
                    black_box(&ctx),
                    black_box(&session),
                    black_box(&f.status),
                    CallbackCheck::Url {
                        callback_url: &f.callback_url,
                        session_secret: &f.secret,
                    },
                );
                black_box(r.expect("verifies"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
