//! `smartid verify-response` end to end: fixtures (a generated CA hierarchy, request bodies,
//! signed session statuses) are written to a temporary directory at test time. Past 600 lines:
//! the fixture builders and every `verify-response` case share this file (a split would repeat
//! the builders).

mod cli_run;

use std::path::{Path, PathBuf};

use cli_run::{smartid, Out};

use sidkit_proto::acsp::AcspV2Payload;
use sidkit_proto::b64;
use sidkit_proto::callback::{create_callback_url, user_challenge_of};
use sidkit_proto::env::{RelyingParty, SchemeName};
use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
use sidkit_proto::models::*;
use sidkit_proto::request::{
    AuthenticationRequestBuilder, CertificateChoiceRequestBuilder, SignatureRequestBuilder,
};
use sidkit_proto::secret::{random_bytes, SessionSecret};
use sidkit_testpki::{TestPki, TestUser, UserCertSpec};

const IDENTITY: &str = "PNOEE-30001010004";
const DOC: &str = "PNOEE-30001010004-MOCK-Q";

struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let d = std::env::temp_dir().join(format!(
            "sidkit-cli-{name}-{}-{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos()
        ));
        std::fs::create_dir_all(&d).unwrap();
        Dir(d)
    }

    fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, content).unwrap();
        p.to_str().unwrap().to_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A generated PKI written to `<dir>/ca`.
fn pki(dir: &Dir) -> TestPki {
    let pki = TestPki::generate("TEST of sidkit CLI").unwrap();
    pki.write_pem_files(Path::new(&dir.path("ca"))).unwrap();
    pki
}

fn interactions() -> Interactions {
    Interactions::new(
        InteractionFlow::DeviceLink,
        vec![Interaction::display_text_and_pin("Log in to Example Bank").unwrap()],
    )
    .unwrap()
}

/// Writes `request.json` and `status.json` of a valid device-link authentication completed
/// with `flow`; returns the callback URL and the session secret.
fn auth_files(dir: &Dir, user: &TestUser, flow: FlowType, scheme: SchemeName) -> (String, String) {
    let initial = create_callback_url("https://rp.example.com/app-callback").unwrap();
    let request = AuthenticationRequestBuilder::new(&RelyingParty::demo())
        .interactions(interactions())
        .initial_callback_url(initial.url())
        .build_device_link()
        .unwrap();
    let secret_b64 = b64::encode_std(&random_bytes(32).unwrap());
    let secret = SessionSecret::from_base64(&secret_b64).unwrap();
    let verifier = b64::encode_url(&random_bytes(32).unwrap());
    let uc = user_challenge_of(&verifier);
    let server_random = b64::encode_std(&random_bytes(18).unwrap());
    let payload = AcspV2Payload {
        scheme_name: scheme,
        server_random: &server_random,
        rp_challenge: request
            .signature_protocol_parameters
            .rp_challenge
            .expose_base64(),
        user_challenge: &uc,
        relying_party_name: "DEMO",
        brokered_rp_name: None,
        interactions: request.interactions.as_base64(),
        interaction_type_used: "displayTextAndPIN",
        initial_callback_url: request.initial_callback_url.as_deref(),
        flow_type: flow.as_str(),
    };
    let status = user
        .acsp_v2_status(&payload, HashAlgorithm::Sha512, DOC, "QUALIFIED")
        .unwrap();
    dir.write("request.json", serde_json::to_string(&request).unwrap());
    dir.write("status.json", serde_json::to_string(&status).unwrap());
    let callback = format!(
        "{}&sessionSecretDigest={}&userChallengeVerifier={verifier}",
        initial.url(),
        secret.digest().to_base64url()
    );
    (callback, secret_b64)
}

fn user(pki: &TestPki, spec: UserCertSpec) -> TestUser {
    pki.issue(&spec).unwrap()
}

fn auth_user(pki: &TestPki) -> TestUser {
    user(
        pki,
        UserCertSpec::authentication(IDENTITY, "MARY ÄNN", "TESTNUMBER"),
    )
}

fn base_args(dir: &Dir) -> Vec<String> {
    vec![
        "verify-response".into(),
        "--request".into(),
        dir.path("request.json"),
        "--status".into(),
        dir.path("status.json"),
        "--scheme".into(),
        "smart-id-demo".into(),
        "--trust-dir".into(),
        dir.path("ca"),
    ]
}

fn run(args: &[String]) -> Out {
    smartid(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

fn with(mut v: Vec<String>, extra: &[&str]) -> Vec<String> {
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn app2app_authentication_with_callback() {
    let dir = Dir::new("app2app");
    let pki = pki(&dir);
    let (cb, secret) = auth_files(
        &dir,
        &auth_user(&pki),
        FlowType::App2App,
        SchemeName::SmartIdDemo,
    );
    let out = run(&with(
        base_args(&dir),
        &["--callback-url", &cb, "--session-secret", &secret],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stderr.is_empty(), "{}", out.stderr);
    assert_eq!(out.stdout.lines().count(), 1);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["sessionType"], "authentication");
    assert_eq!(v["identityCode"], IDENTITY);
    assert_eq!(v["givenName"], "MARY ÄNN");
    assert_eq!(v["surname"], "TESTNUMBER");
    assert_eq!(v["country"], "EE");
    assert_eq!(v["documentNumber"], DOC);
    assert_eq!(v["certificateLevel"], "QUALIFIED");
    assert_eq!(v["flowType"], "App2App");
    assert_eq!(v["dateOfBirth"], "1900-01-01");
    // Without the callback the same response is refused.
    let out = run(&base_args(&dir));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("flow_type") && out.stderr.contains("callback"),
        "{}",
        out.stderr
    );
    // With another session's secret.
    let other = b64::encode_std(&random_bytes(32).unwrap());
    let out = run(&with(
        base_args(&dir),
        &["--callback-url", &cb, "--session-secret", &other],
    ));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("sessionSecretDigest"), "{}", out.stderr);
    // With the known person of an etsi/ endpoint, and with someone else.
    let out = run(&with(
        base_args(&dir),
        &[
            "--callback-url",
            &cb,
            "--session-secret",
            &secret,
            "--subject",
            "etsi/PNOEE-30001010004",
        ],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&with(
        base_args(&dir),
        &[
            "--callback-url",
            &cb,
            "--session-secret",
            &secret,
            "--subject",
            "etsi/PNOEE-40404040009",
        ],
    ));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("identity"), "{}", out.stderr);
}

#[test]
fn qr_authentication_and_failed_checks() {
    let dir = Dir::new("qr");
    let pki = pki(&dir);
    auth_files(
        &dir,
        &auth_user(&pki),
        FlowType::Qr,
        SchemeName::SmartIdDemo,
    );
    let out = run(&base_args(&dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["flowType"], "QR");
    // The flow was not offered.
    let out = run(&with(base_args(&dir), &["--offered-flows", "App2App"]));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("flow_type: flowType `QR` was not offered"),
        "{}",
        out.stderr
    );
    // LIVE scheme name against a DEMO signature.
    let mut live = base_args(&dir);
    live[6] = "smart-id".into();
    let out = run(&live);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("signature: signature value does not verify"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    // Before the certificate was valid.
    let out = run(&with(base_args(&dir), &["--at", "2001-01-01T00:00:00Z"]));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("validity"), "{}", out.stderr);
    // A tampered signature value.
    let mut status: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("status.json")).unwrap()).unwrap();
    let v = status["signature"]["value"].as_str().unwrap().to_owned();
    let mut raw = b64::decode_std("v", &v).unwrap();
    raw[10] ^= 1;
    status["signature"]["value"] = b64::encode_std(&raw).into();
    dir.write("status.json", status.to_string());
    let out = run(&base_args(&dir));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("[verification_signature_invalid]"),
        "{}",
        out.stderr
    );
    // The user refused: the session ended without OK, nothing failed to verify (exit 3).
    status["result"]["endResult"] = "USER_REFUSED".into();
    dir.write("status.json", status.to_string());
    let out = run(&base_args(&dir));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        !out.stderr.contains("verification failed"),
        "{}",
        out.stderr
    );
    assert!(out.stderr.contains("USER_REFUSED"), "{}", out.stderr);
    // Still running.
    status["state"] = "RUNNING".into();
    dir.write("status.json", status.to_string());
    let out = run(&base_args(&dir));
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not COMPLETE"), "{}", out.stderr);
}

#[test]
fn untrusted_chain() {
    let dir = Dir::new("untrusted");
    let _trusted = pki(&dir);
    let other = TestPki::generate("TEST of somebody else").unwrap();
    auth_files(
        &dir,
        &auth_user(&other),
        FlowType::Qr,
        SchemeName::SmartIdDemo,
    );
    let out = run(&base_args(&dir));
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("chain: no trusted issuer"),
        "{}",
        out.stderr
    );
    // SK's real DEMO CAs (the bundled set, and the same files as a directory) do not trust a
    // generated certificate either.
    let mut bundled = base_args(&dir);
    bundled.truncate(7);
    bundled.extend(["--trust".into(), "sk-demo".into()]);
    let out = run(&bundled);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("chain"), "{}", out.stderr);
    let demo = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../core/verify/ca/demo");
    let mut args = base_args(&dir);
    args[8] = demo.to_str().unwrap().into();
    let out = run(&args);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("chain"), "{}", out.stderr);
    // Both or neither trust source is bad input.
    let out = run(&with(base_args(&dir), &["--trust", "sk-live"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    bundled.truncate(7);
    let out = run(&bundled);
    assert_eq!(out.code, 2, "{}", out.stderr);
}

#[test]
fn signature_and_certificate_choice() {
    let dir = Dir::new("sign");
    let pki = pki(&dir);
    let signer = user(&pki, UserCertSpec::signing(IDENTITY, "MARY", "TESTNUMBER"));
    // A SHA-256 digest of some document (any 32 bytes do for verification).
    let digest = random_bytes(32).unwrap().to_vec();
    let request = SignatureRequestBuilder::new(
        &RelyingParty::demo(),
        b64::encode_std(&digest),
        HashAlgorithm::Sha256,
    )
    .interactions(interactions())
    .build_device_link()
    .unwrap();
    let status = signer
        .raw_digest_status(
            &digest,
            SignatureAlgorithm::RsassaPss,
            HashAlgorithm::Sha256,
            FlowType::Qr,
            "displayTextAndPIN",
            DOC,
            "QUALIFIED",
        )
        .unwrap();
    dir.write("request.json", serde_json::to_string(&request).unwrap());
    dir.write("status.json", serde_json::to_string(&status).unwrap());
    // A body without callback URL fits a QR-only device-link session and a notification
    // session: the caller says which one it started.
    let qr_args = || with(base_args(&dir), &["--offered-flows", "QR"]);
    let out = run(&with(qr_args(), &["--subject", &format!("document/{DOC}")]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["sessionType"], "signature");
    assert_eq!(v["signatureAlgorithm"], "rsassa-pss");
    assert_eq!(v["hashAlgorithm"], "SHA-256");
    assert_eq!(
        v["signatureValue"],
        status.signature.as_ref().unwrap().value.clone().unwrap()
    );
    assert_eq!(v["identityCode"], IDENTITY);
    // A legacy PKCS#1 v1.5 response to this PSS request is a downgrade.
    let legacy = signer
        .raw_digest_status(
            &digest,
            SignatureAlgorithm::Sha256WithRsaEncryption,
            HashAlgorithm::Sha256,
            FlowType::Qr,
            "displayTextAndPIN",
            DOC,
            "QUALIFIED",
        )
        .unwrap();
    dir.write("status.json", serde_json::to_string(&legacy).unwrap());
    let out = run(&qr_args());
    assert_eq!(out.code, 1);
    assert!(
        out.stderr
            .contains("signatureAlgorithm is `sha256WithRSAEncryption`"),
        "{}",
        out.stderr
    );

    // Certificate choice.
    let request = CertificateChoiceRequestBuilder::new(&RelyingParty::demo())
        .build_device_link()
        .unwrap();
    let status = signer.certificate_choice_status(FlowType::Qr, DOC, "QUALIFIED");
    dir.write("request.json", serde_json::to_string(&request).unwrap());
    dir.write("status.json", serde_json::to_string(&status).unwrap());
    let out = run(&qr_args());
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["sessionType"], "certificateChoice");
    assert_eq!(v["documentNumber"], DOC);
    // An authentication certificate is not a signing certificate.
    let status = auth_user(&pki).certificate_choice_status(FlowType::Qr, DOC, "QUALIFIED");
    dir.write("status.json", serde_json::to_string(&status).unwrap());
    let out = run(&qr_args());
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("policy"), "{}", out.stderr);
}

#[test]
fn bad_input_exits_2() {
    let dir = Dir::new("input");
    let pki = pki(&dir);
    let (cb, secret) = auth_files(
        &dir,
        &auth_user(&pki),
        FlowType::App2App,
        SchemeName::SmartIdDemo,
    );
    dir.write("garbage.json", "{not json");
    dir.write("array.json", "[]");
    dir.write("weird.json", r#"{"signatureProtocol":"ACSP_V9"}"#);
    std::fs::create_dir_all(dir.path("empty")).unwrap();
    let cases: Vec<Vec<String>> = vec![
        with(base_args(&dir), &["--callback-url", &cb]),
        with(base_args(&dir), &["--session-secret", &secret]),
        with(base_args(&dir), &["--at", "yesterday"]),
        with(base_args(&dir), &["--subject", "person/PNOEE-30001010004"]),
        with(base_args(&dir), &["--subject", "etsi/PNOEE-30001010005"]),
        with(base_args(&dir), &["--offered-flows", "QR,Carrier"]),
        with(base_args(&dir), &["--pin-sha256", "00"]),
        with(base_args(&dir), &["--pin-sha256", &"00".repeat(32)]),
        with(
            base_args(&dir),
            &["--callback-url", &cb, "--session-secret", "short"],
        ),
        {
            let mut a = base_args(&dir);
            a[6] = "smart-id-live".into();
            a
        },
        {
            let mut a = base_args(&dir);
            a[8] = dir.path("empty");
            a
        },
        {
            let mut a = base_args(&dir);
            a[2] = dir.path("missing.json");
            a
        },
        {
            let mut a = base_args(&dir);
            a[2] = dir.path("garbage.json");
            a
        },
        {
            let mut a = base_args(&dir);
            a[2] = dir.path("array.json");
            a
        },
        {
            let mut a = base_args(&dir);
            a[2] = dir.path("weird.json");
            a
        },
        {
            let mut a = base_args(&dir);
            a[4] = dir.path("garbage.json");
            a
        },
    ];
    for args in cases {
        let out = run(&args);
        assert_eq!(out.code, 2, "{args:?}: stderr={}", out.stderr);
        assert!(out.stdout.is_empty(), "{args:?}");
        assert!(!out.stderr.is_empty(), "{args:?}");
    }
    // A pin set that matches is accepted.
    let pins: Vec<String> = ["root.pem.crt", "intermediate.pem.crt"]
        .iter()
        .map(|f| {
            let pem = std::fs::read(Path::new(&dir.path("ca")).join(f)).unwrap();
            let c = sidkit_verify::Certificate::from_pem(&pem)
                .unwrap()
                .remove(0);
            c.fingerprint().to_hex()
        })
        .collect();
    let out = run(&with(
        base_args(&dir),
        &[
            "--callback-url",
            &cb,
            "--session-secret",
            &secret,
            "--pin-sha256",
            &pins[0],
            "--pin-sha256",
            &pins[1],
        ],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
}

/// Issue 16 item 9: a request body that fits both a device-link (QR) session and a notification
/// session is not classified by the unverified response's `flowType`: without `--offered-flows`
/// the command refuses to guess (exit 2); with it, the caller's choice decides.
#[test]
fn the_response_does_not_choose_its_own_verifier() {
    let dir = Dir::new("ambiguous");
    let pki = pki(&dir);
    let signer = user(&pki, UserCertSpec::signing(IDENTITY, "MARY", "TESTNUMBER"));
    let digest = random_bytes(32).unwrap().to_vec();
    // No initialCallbackUrl: the body fits S1/S2 (QR only) and S3/S4 alike.
    let request = SignatureRequestBuilder::new(
        &RelyingParty::demo(),
        b64::encode_std(&digest),
        HashAlgorithm::Sha256,
    )
    .interactions(interactions())
    .build_device_link()
    .unwrap();
    let status = signer
        .raw_digest_status(
            &digest,
            SignatureAlgorithm::RsassaPss,
            HashAlgorithm::Sha256,
            FlowType::Notification,
            "displayTextAndPIN",
            DOC,
            "QUALIFIED",
        )
        .unwrap();
    dir.write("request.json", serde_json::to_string(&request).unwrap());
    dir.write("status.json", serde_json::to_string(&status).unwrap());
    let subject = format!("document/{DOC}");
    let args = with(base_args(&dir), &["--subject", &subject]);
    let out = run(&args);
    assert_eq!(out.code, 2, "{}{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("--offered-flows"), "{}", out.stderr);
    assert!(out.stdout.is_empty());
    // The caller says what was started.
    let out = run(&with(args.clone(), &["--offered-flows", "Notification"]));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = run(&with(args, &["--offered-flows", "QR"]));
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("was not offered"), "{}", out.stderr);
}

/// `--revocation` (issue 13, item 1): with the user certificate's OCSP responder unreachable
/// (a closed loopback port), the check fails closed as an environment failure (exit 3), soft
/// fail verifies and reports every certificate below the anchor as unchecked, and `off` (the
/// default) says `revocationChecked: false` without a list. Good, revoked and unknown answers
/// from a real responder: [`revocation_against_the_simulators_responder`].
#[test]
fn revocation_fails_closed_or_soft() {
    let dir = Dir::new("revocation");
    let pki = pki(&dir);
    let mut spec = UserCertSpec::authentication(IDENTITY, "MARY ÄNN", "TESTNUMBER");
    spec.ocsp_url = Some("http://127.0.0.1:1/".to_owned());
    auth_files(
        &dir,
        &user(&pki, spec),
        FlowType::Qr,
        SchemeName::SmartIdDemo,
    );

    let out = run(&base_args(&dir));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["certificate"]["revocationChecked"], false);
    assert!(v["certificate"].get("revocation").is_none());

    let out = run(&with(base_args(&dir), &["--revocation", "ocsp"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("revocation"), "{}", out.stderr);
    let out = run(&with(base_args(&dir), &["--revocation", "ocsp-then-crl"]));
    assert_eq!(out.code, 3, "{}", out.stderr);

    let out = run(&with(
        base_args(&dir),
        &["--revocation", "ocsp", "--revocation-soft-fail"],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    let c = &v["certificate"];
    assert_eq!(c["revocationChecked"], false, "{c}");
    let list = c["revocation"]
        .as_array()
        .expect("a revocation record per certificate");
    assert!(!list.is_empty(), "{c}");
    assert!(list.iter().all(|r| r["checked"] == false), "{c}");

    let out = run(&with(base_args(&dir), &["--revocation", "sometimes"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
    let out = run(&with(base_args(&dir), &["--revocation-soft-fail"]));
    assert_eq!(out.code, 2, "{}", out.stderr);
}

/// `--revocation` against a real responder, the simulator's (`POST /ocsp`, named in the AIA of
/// the certificates it issues; the chain is the simulator's test CA): a good certificate
/// verifies (exit 0, `revocationChecked: true`, stderr says `good (OCSP, <url>)` for the user
/// certificate and the intermediate), a revoked one fails (exit 1, the reason named), one the
/// simulator did not issue is `unknown`, so its status is not established (exit 3, fail
/// closed) unless soft fail reports it unchecked. `ocsp-then-crl` takes the OCSP answer;
/// `crl` finds no CRL location in these certificates (exit 3).
#[test]
fn revocation_against_the_simulators_responder() {
    use sidkit_simulator::{CrlReason, Revocation, Simulator, SimulatorConfig};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let sim = rt
        .block_on(Simulator::start(SimulatorConfig::default()))
        .unwrap();
    let url = sim.ocsp_url();
    let spec = UserCertSpec::authentication(IDENTITY, "MARY ÄNN", "TESTNUMBER");
    let setup = |name: &str, user: &TestUser| {
        let dir = Dir::new(name);
        sim.write_ca_files(Path::new(&dir.path("ca"))).unwrap();
        auth_files(&dir, user, FlowType::Qr, SchemeName::SmartIdDemo);
        dir
    };

    let good = setup("ocsp-good", &sim.issue_certificate(&spec).unwrap());
    for mode in ["ocsp", "ocsp-then-crl"] {
        let out = run(&with(base_args(&good), &["--revocation", mode]));
        assert_eq!(out.code, 0, "{mode}: {}", out.stderr);
        let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        let c = &v["certificate"];
        assert_eq!(c["revocationChecked"], true, "{c}");
        let list = c["revocation"].as_array().unwrap();
        assert_eq!(
            list.len(),
            2,
            "the user certificate and the intermediate: {c}"
        );
        for r in list {
            assert_eq!(r["checked"], true, "{r}");
            assert_eq!(r["method"], "ocsp", "{r}");
            assert_eq!(r["source"], url.as_str(), "{r}");
            assert!(r["nextUpdate"].is_string(), "{r}");
        }
        let expect = format!("certificate status: good (OCSP, {url}) for SERIALNUMBER={IDENTITY}");
        assert!(out.stderr.contains(&expect), "{}", out.stderr);
        assert!(out.stderr.contains("EID-Q"), "{}", out.stderr);
    }
    let out = run(&with(base_args(&good), &["--revocation", "crl"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(
        out.stderr.contains("no OCSP responder or CRL location"),
        "{}",
        out.stderr
    );

    let revoked_user = sim.issue_certificate(&spec).unwrap();
    sim.revoke_certificate(
        &revoked_user.cert_der,
        Revocation::now(CrlReason::KeyCompromise),
    )
    .unwrap();
    let revoked = setup("ocsp-revoked", &revoked_user);
    for extra in [
        &["--revocation", "ocsp"][..],
        &["--revocation", "ocsp", "--revocation-soft-fail"],
    ] {
        let out = run(&with(base_args(&revoked), extra));
        assert_eq!(out.code, 1, "{extra:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("is revoked (keyCompromise"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains(&url), "{}", out.stderr);
        assert!(out.stdout.is_empty(), "{}", out.stdout);
    }

    let mut stranger_spec = spec.clone();
    stranger_spec.ocsp_url = Some(url.clone());
    let unknown = setup("ocsp-unknown", &sim.pki().issue(&stranger_spec).unwrap());
    let out = run(&with(base_args(&unknown), &["--revocation", "ocsp"]));
    assert_eq!(out.code, 3, "{}", out.stderr);
    assert!(out.stderr.contains("answered `unknown`"), "{}", out.stderr);
    let out = run(&with(
        base_args(&unknown),
        &["--revocation", "ocsp", "--revocation-soft-fail"],
    ));
    assert_eq!(out.code, 0, "{}", out.stderr);
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["certificate"]["revocationChecked"], false);
    assert!(
        out.stderr.contains("certificate status: not checked"),
        "{}",
        out.stderr
    );
    assert!(sim.ocsp_requests() >= 8);
    rt.block_on(sim.shutdown());
}
