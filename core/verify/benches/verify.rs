//! Full authentication verifications (spec §8: callback, response, user challenge,
//! certificate chain with ECDSA P-384 CAs, Smart-ID profile, identity, RSASSA-PSS SHA-512
//! signature) with 4096- and 6144-bit user keys, without and with a [`VerifiedCertCache`]:
//!
//! * `full/…`: no cache, the same certificate every call;
//! * `rotating/…`: a new certificate every call (64 certificates in turn; with a cache of 16,
//!   so every call misses and pays for the insertion too);
//! * `repeated/…`: the same certificate every call with a cache (a hit: the signature check
//!   and the request checks only);
//! * `parts/…`: where the time goes: certificate parsing, path validation (the user
//!   certificate's P-384 signature; the intermediate's is remembered by the trust store), the
//!   user certificate's ECDSA P-384/SHA-384 signature alone with AWS-LC (the `aws-lc` feature),
//!   `p384` (RustCrypto) and `ring`, and the RSA-PSS check alone with AWS-LC (a parsed key,
//!   reused as a cache hit reuses it), `ring` (which takes the modulus and exponent on every
//!   call) and `rsa`.
//!
//! `cargo bench -p sidkit-verify --bench verify -- --warm-up-time 1 --measurement-time 3`
//! (key generation for the fixtures takes a while before measuring starts).

use std::hint::black_box;
use std::time::SystemTime;

use criterion::{criterion_group, criterion_main, Criterion};
use sha2::Digest as _;
use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::callback::{create_callback_url, user_challenge_of};
use sidkit_proto::env::{RelyingParty, SchemeName};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::{FlowType, HashAlgorithm, SessionStatus, Subject};
use sidkit_proto::request::AuthenticationRequestBuilder;
use sidkit_proto::secret::{random_bytes, SessionSecret};
use sidkit_testpki::{TestPki, TestUser, UserCertSpec};
use sidkit_verify::{
    verify_authentication, AuthenticationSession, CallbackCheck, Certificate, OfferedFlows,
    TrustStore, VerificationContext, VerifiedCertCache,
};

/// One completed session: the request, the signed status, the callback.
struct Login {
    request: sidkit_proto::models::DeviceLinkAuthenticationRequest,
    status: SessionStatus,
    secret: SessionSecret,
    callback_url: String,
    payload: Vec<u8>,
}

fn login(user: &TestUser) -> Login {
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
    let payload = payload.to_bytes();
    let callback_url = format!(
        "{}&sessionSecretDigest={}&userChallengeVerifier={verifier}",
        initial.url(),
        secret.digest().to_base64url()
    );
    Login {
        request,
        status,
        secret,
        callback_url,
        payload,
    }
}

fn verify(ctx: &VerificationContext<'_>, l: &Login) {
    let session = AuthenticationSession::device_link(
        &l.request,
        Subject::Anonymous,
        OfferedFlows::of(&[FlowType::Qr, FlowType::App2App]),
    );
    let r = verify_authentication(
        black_box(ctx),
        black_box(&session),
        black_box(&l.status),
        CallbackCheck::Url {
            callback_url: &l.callback_url,
            session_secret: &l.secret,
        },
    );
    black_box(r.expect("verifies"));
}

fn bench(c: &mut Criterion) {
    let pki = TestPki::generate("TEST of sidkit bench").expect("pki");
    let mut store = TrustStore::new();
    store.add_der(pki.root.der()).expect("root");
    store.add_der(pki.intermediate.der()).expect("intermediate");
    let now = SystemTime::now();
    let ctx = VerificationContext::new(SchemeName::SmartIdDemo, &store, now);
    let issue = |bits: usize| {
        let mut spec = UserCertSpec::authentication("PNOEE-30001010004", "MARY", "TESTNUMBER");
        spec.key_bits = bits;
        pki.issue(&spec).expect("user")
    };

    let mut full = c.benchmark_group("full");
    let mut users = Vec::new();
    for bits in [4096usize, 6144] {
        let user = issue(bits);
        let l = login(&user);
        verify(&ctx, &l);
        full.bench_function(format!("rsa{bits}_pss_sha512_p384_chain"), |b| {
            b.iter(|| verify(&ctx, &l))
        });
        users.push((bits, user, l));
    }
    full.finish();

    let mut rotating = c.benchmark_group("rotating");
    for bits in [4096usize, 6144] {
        // 64 certificates (same key size, a new certificate each): every call a new one.
        let logins: Vec<Login> = (0..64).map(|_| login(&issue(bits))).collect();
        let mut i = 0;
        rotating.bench_function(format!("rsa{bits}_no_cache"), |b| {
            b.iter(|| {
                i = (i + 1) % logins.len();
                verify(&ctx, &logins[i])
            })
        });
        let cache = VerifiedCertCache::new(16);
        let cached = ctx.with_cert_cache(&cache);
        rotating.bench_function(format!("rsa{bits}_cache_miss"), |b| {
            b.iter(|| {
                i = (i + 1) % logins.len();
                verify(&cached, &logins[i])
            })
        });
        assert_eq!(cache.stats().hits, 0, "rotating certificates never hit");
    }
    rotating.finish();

    let mut repeated = c.benchmark_group("repeated");
    for (bits, _, l) in &users {
        let cache = VerifiedCertCache::new(1024);
        let cached = ctx.with_cert_cache(&cache);
        verify(&cached, l);
        repeated.bench_function(format!("rsa{bits}_cache_hit"), |b| {
            b.iter(|| verify(&cached, l))
        });
        assert_eq!(cache.stats().misses, 1, "the same certificate always hits");
    }
    repeated.finish();

    let mut parts = c.benchmark_group("parts");
    let (_, user, l) = &users[0];
    parts.bench_function("parse_user_certificate", |b| {
        b.iter(|| black_box(Certificate::from_der(black_box(&user.cert_der)).expect("cert")))
    });
    let cert = Certificate::from_der(&user.cert_der).expect("cert");
    parts.bench_function("path_validation_p384", |b| {
        b.iter(|| black_box(store.verify_chain(black_box(&cert), now).expect("chain")))
    });
    {
        // The user certificate's signature by the (P-384) intermediate, SHA-384.
        use x509_cert::der::{Decode as _, Encode as _};
        let parsed = x509_cert::Certificate::from_der(&user.cert_der).expect("cert");
        let tbs = parsed.tbs_certificate().to_der().expect("tbs");
        let sig_der = parsed.signature().raw_bytes().to_vec();
        let ca = x509_cert::Certificate::from_der(pki.intermediate.der()).expect("ca");
        let point = ca
            .tbs_certificate()
            .subject_public_key_info()
            .subject_public_key
            .raw_bytes()
            .to_vec();
        #[cfg(feature = "aws-lc")]
        {
            use aws_lc_rs::signature as aws;
            let key = aws::ParsedPublicKey::new(&aws::ECDSA_P384_SHA384_ASN1, &point).expect("key");
            parts.bench_function("p384_ecdsa_sha384_aws_lc", |b| {
                b.iter(|| {
                    key.verify_sig(black_box(&tbs), black_box(&sig_der))
                        .expect("aws-lc verifies")
                })
            });
        }
        {
            use p384::ecdsa::signature::hazmat::PrehashVerifier;
            let key = p384::ecdsa::VerifyingKey::from_sec1_bytes(&point).expect("key");
            let sig = p384::ecdsa::Signature::from_der(&sig_der).expect("sig");
            parts.bench_function("p384_ecdsa_sha384_rustcrypto", |b| {
                b.iter(|| {
                    let digest = sha2::Sha384::digest(black_box(&tbs));
                    key.verify_prehash(&digest, black_box(&sig))
                        .expect("p384 verifies")
                })
            });
        }
        let key = ring::signature::UnparsedPublicKey::new(
            &ring::signature::ECDSA_P384_SHA384_ASN1,
            &point,
        );
        parts.bench_function("p384_ecdsa_sha384_ring", |b| {
            b.iter(|| {
                key.verify(black_box(&tbs), black_box(&sig_der))
                    .expect("ring verifies")
            })
        });
    }
    let sig = b64::decode_std(
        "v",
        l.status
            .signature
            .as_ref()
            .and_then(|s| s.value.as_deref())
            .expect("value"),
    )
    .expect("b64");
    for (bits, user, l) in &users {
        let sig = if *bits == 4096 {
            sig.clone()
        } else {
            b64::decode_std(
                "v",
                l.status
                    .signature
                    .as_ref()
                    .and_then(|s| s.value.as_deref())
                    .expect("value"),
            )
            .expect("b64")
        };
        let key = user.private_key().to_public_key();
        use rsa::traits::PublicKeyParts;
        let (n, e) = (key.n_bytes(), key.e_bytes());
        parts.bench_function(format!("rsa{bits}_pss_sha512_ring"), |b| {
            b.iter(|| {
                let k = ring::signature::RsaPublicKeyComponents {
                    n: &n[..],
                    e: &e[..],
                };
                k.verify(
                    &ring::signature::RSA_PSS_2048_8192_SHA512,
                    black_box(&l.payload),
                    black_box(&sig),
                )
                .expect("ring verifies")
            })
        });
        #[cfg(feature = "aws-lc")]
        {
            use aws_lc_rs::signature as aws;
            let key = aws::RsaPublicKeyComponents {
                n: &n[..],
                e: &e[..],
            }
            .to_parsed_public_key(&aws::RSA_PSS_2048_8192_SHA512)
            .expect("key");
            parts.bench_function(format!("rsa{bits}_pss_sha512_aws_lc_prepared"), |b| {
                b.iter(|| {
                    key.verify_sig(black_box(&l.payload), black_box(&sig))
                        .expect("aws-lc verifies")
                })
            });
        }
        parts.bench_function(format!("rsa{bits}_pss_sha512_rsa_crate"), |b| {
            b.iter(|| {
                let digest = sha2::Sha512::digest(black_box(&l.payload));
                key.verify(
                    rsa::Pss::<sha2::Sha512>::new_with_salt(64),
                    &digest,
                    black_box(&sig),
                )
                .expect("rsa verifies")
            })
        });
    }
    parts.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
