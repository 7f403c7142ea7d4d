//! Device link + authCode versus a bare HMAC-SHA256 over the same payload bytes, and callback
//! verification.
//!
//! Run: `cargo bench -p sidkit-proto --bench device_link`

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion};
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use sidkit_proto::callback::{
    create_callback_url_with, CallbackBinding, CallbackToken, OneShotCallback,
};
use sidkit_proto::device_link::{
    auth_code_payload, DeviceLinkParams, DeviceLinkSigner, DeviceLinkType, SessionType,
};
use sidkit_proto::env::SchemeName;
use sidkit_proto::secret::SessionSecret;

const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";

fn params() -> DeviceLinkParams {
    DeviceLinkParams {
        scheme_name: SchemeName::SmartId,
        device_link_base: "https://smart-id.com/device-link".into(),
        session_token: "wGIrqveE6AuGDATZKmR1mtAZ".into(),
        session_type: SessionType::Auth,
        rp_challenge_or_digest: "GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==".into(),
        relying_party_name: "DEMO".into(),
        brokered_rp_name: Some("Example RP".into()),
        interactions: "W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d".into(),
        initial_callback_url: Some("https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ".into()),
        lang: "eng".into(),
    }
}

fn links(c: &mut Criterion) {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let p = params();
    let key = secret.expose_bytes().to_vec();
    let signer = DeviceLinkSigner::new(&p, &secret).unwrap();

    let qr_payload = auth_code_payload(&p, DeviceLinkType::Qr, Some(22)).into_bytes();
    let app_payload = auth_code_payload(&p, DeviceLinkType::App2App, None).into_bytes();

    let mut g = c.benchmark_group("authcode");
    g.bench_function("bare_hmac_sha256/qr_payload", |b| {
        b.iter(|| {
            let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(&key)).unwrap();
            m.update(black_box(&qr_payload));
            black_box(m.finalize().into_bytes())
        })
    });
    g.bench_function("qr_link/prepared_signer", |b| {
        let mut e = 0u64;
        b.iter(|| {
            e += 1;
            black_box(signer.qr_link(black_box(e % 120)))
        })
    });
    g.bench_function("bare_hmac_sha256/app2app_payload", |b| {
        b.iter(|| {
            let mut m = <Hmac<Sha256> as KeyInit>::new_from_slice(black_box(&key)).unwrap();
            m.update(black_box(&app_payload));
            black_box(m.finalize().into_bytes())
        })
    });
    g.bench_function("app2app_link/prepared_signer", |b| {
        b.iter(|| black_box(signer.same_device_link(DeviceLinkType::App2App).unwrap()))
    });
    g.bench_function("app2app_link/including_validation_and_prepare", |b| {
        b.iter(|| {
            let s = DeviceLinkSigner::new(black_box(&p), &secret).unwrap();
            black_box(s.same_device_link(DeviceLinkType::App2App).unwrap())
        })
    });
    g.finish();
}

fn callbacks(c: &mut Criterion) {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let initial = create_callback_url_with(
        "https://rp.example.com/callback-url",
        "value",
        CallbackToken::from_string("RrKjjT4aggzu27YBddX1bQ").unwrap(),
    )
    .unwrap();
    let binding = CallbackBinding::new(&initial, &secret, SessionType::Auth);
    let url = format!(
        "{}&sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc&userChallengeVerifier=XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c",
        initial.url()
    );
    let mut g = c.benchmark_group("callback");
    g.bench_function("binding_check+user_challenge", |b| {
        b.iter(|| {
            let v = binding.check(black_box(&url)).unwrap();
            v.check_user_challenge("GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00")
                .unwrap();
        })
    });
    g.bench_function("one_shot_accept", |b| {
        b.iter_batched(
            || OneShotCallback::new(binding.clone()),
            |guard| black_box(guard.accept(&url).unwrap()),
            criterion::BatchSize::SmallInput,
        )
    });
    g.finish();
}

criterion_group!(benches, links, callbacks);
criterion_main!(benches);
