//! The official test vectors of the protocol reference: authCode (§5.1, all nine), callback
//! digest and user challenge (§7.4), verification code (§9).

use sidkit_proto::callback::{user_challenge_of, verify_callback_url, ExpectedCallback};
use sidkit_proto::device_link::{
    auth_code, auth_code_payload, parse_device_link, verify_device_link, DeviceLinkParams,
    DeviceLinkSigner, DeviceLinkType, SessionType,
};
use sidkit_proto::env::SchemeName;
use sidkit_proto::secret::{RpChallenge, SessionSecret};
use sidkit_proto::{vc, CallbackFailure};

const SECRET: &str = "B98ODiVCebRedSwdTk51zFSaGYyHtY1H2A0ocAi3/Ps=";
const RP_CHALLENGE: &str =
    "GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==";
const DIGEST: &str =
    "FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==";
const INTERACTIONS: &str = "W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d";
const CALLBACK: &str = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ";
const BASE: &str = "https://smart-id.com/device-link";
const TOKEN: &str = "wGIrqveE6AuGDATZKmR1mtAZ";

fn params(session_type: SessionType) -> DeviceLinkParams {
    let (challenge, interactions) = match session_type {
        SessionType::Auth => (RP_CHALLENGE, INTERACTIONS),
        SessionType::Sign => (DIGEST, INTERACTIONS),
        SessionType::Cert => ("", ""),
    };
    DeviceLinkParams {
        scheme_name: SchemeName::SmartId,
        device_link_base: BASE.into(),
        session_token: TOKEN.into(),
        session_type,
        rp_challenge_or_digest: challenge.into(),
        relying_party_name: "DEMO".into(),
        brokered_rp_name: Some("Example RP".into()),
        interactions: interactions.into(),
        initial_callback_url: Some(CALLBACK.into()),
        lang: "eng".into(),
    }
}

struct Vector {
    name: &'static str,
    link_type: DeviceLinkType,
    session_type: SessionType,
    payload: &'static str,
    auth_code: &'static str,
}

/// §5.1, copied from the reference: the exact payload bytes and the authCode of V1–V9.
const VECTORS: &[Vector] = &[
    Vector {
        name: "V1 Web2App/auth",
        link_type: DeviceLinkType::Web2App,
        session_type: SessionType::Auth,
        payload: "smart-id|ACSP_V2|GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==|REVNTw==|RXhhbXBsZSBSUA==|W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d|https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|https://smart-id.com/device-link?deviceLinkType=Web2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng",
        auth_code: "aegUh6gCKkXBJhhvtJqSTWB5_2W8TDQt5eZ7db6krv0",
    },
    Vector {
        name: "V2 Web2App/sign",
        link_type: DeviceLinkType::Web2App,
        session_type: SessionType::Sign,
        payload: "smart-id|RAW_DIGEST_SIGNATURE|FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==|REVNTw==|RXhhbXBsZSBSUA==|W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d|https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|https://smart-id.com/device-link?deviceLinkType=Web2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=sign&version=1.0&lang=eng",
        auth_code: "R0iNcUp8nK1nqrcVFWerXUfWMSjwDOMC6MAHKrckaH8",
    },
    Vector {
        name: "V3 Web2App/cert",
        link_type: DeviceLinkType::Web2App,
        session_type: SessionType::Cert,
        payload: "smart-id|||REVNTw==|RXhhbXBsZSBSUA==||https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|https://smart-id.com/device-link?deviceLinkType=Web2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=cert&version=1.0&lang=eng",
        auth_code: "PI1qYa9_l6zR-v6Pkre6ycSm7S3BGiOQSe5OQlw4UJg",
    },
    Vector {
        name: "V4 App2App/auth",
        link_type: DeviceLinkType::App2App,
        session_type: SessionType::Auth,
        payload: "smart-id|ACSP_V2|GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==|REVNTw==|RXhhbXBsZSBSUA==|W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d|https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng",
        auth_code: "00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo",
    },
    Vector {
        name: "V5 App2App/sign",
        link_type: DeviceLinkType::App2App,
        session_type: SessionType::Sign,
        payload: "smart-id|RAW_DIGEST_SIGNATURE|FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==|REVNTw==|RXhhbXBsZSBSUA==|W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d|https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=sign&version=1.0&lang=eng",
        auth_code: "8QZ16rkBW_ffkq6osT7UH1DbUlF9gEOZevgj-A0VNbM",
    },
    Vector {
        name: "V6 App2App/cert",
        link_type: DeviceLinkType::App2App,
        session_type: SessionType::Cert,
        payload: "smart-id|||REVNTw==|RXhhbXBsZSBSUA==||https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=cert&version=1.0&lang=eng",
        auth_code: "AtayuRPP3N59wXF8Cijwjt3pQ16knW2L-5VLDTRD_KU",
    },
    Vector {
        name: "V7 QR/auth",
        link_type: DeviceLinkType::Qr,
        session_type: SessionType::Auth,
        payload: "smart-id|ACSP_V2|GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==|REVNTw==|RXhhbXBsZSBSUA==|W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d||https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng",
        auth_code: "OY1eHaD4UYedrBwtqUbSkpa0w7ttm4FllPkCD_3wlE0",
    },
    Vector {
        name: "V8 QR/sign",
        link_type: DeviceLinkType::Qr,
        session_type: SessionType::Sign,
        payload: "smart-id|RAW_DIGEST_SIGNATURE|FNZFFya5wGLv9b27fZngaWrOBqle4tGwxZuDFRBdPl1RQvxJsfoqvTbjafd+8BcehMOQGvak6zlP+F8tga4bfQ==|REVNTw==|RXhhbXBsZSBSUA==|W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d||https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=sign&version=1.0&lang=eng",
        auth_code: "5PZVhiNDTnt1MjLz8_YCjnNtR7p0iGevaL2G1ajfMco",
    },
    Vector {
        name: "V9 QR/cert",
        link_type: DeviceLinkType::Qr,
        session_type: SessionType::Cert,
        payload: "smart-id|||REVNTw==|RXhhbXBsZSBSUA==|||https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=cert&version=1.0&lang=eng",
        auth_code: "T5pDDPAjoMS0byqS-FoaWVjlubODXoCCF4XDB4HeYNo",
    },
];

fn elapsed(t: DeviceLinkType) -> Option<u64> {
    (t == DeviceLinkType::Qr).then_some(22)
}

#[test]
fn all_nine_auth_code_vectors() {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    assert_eq!(VECTORS.len(), 9);
    for v in VECTORS {
        let p = params(v.session_type);
        // 1. the payload bytes are exactly the reference's
        let payload = auth_code_payload(&p, v.link_type, elapsed(v.link_type));
        assert_eq!(payload, v.payload, "{}: payload", v.name);
        assert_eq!(payload.matches('|').count(), 7, "{}: 8 fields", v.name);
        // 2. the bare HMAC of those bytes is the published authCode
        assert_eq!(
            auth_code(&secret, v.payload.as_bytes()),
            v.auth_code,
            "{}",
            v.name
        );
        // 3. the prepared signer (prefix absorbed once) produces the same code and link
        let signer = DeviceLinkSigner::new(&p, &secret).unwrap();
        let link = signer.link(v.link_type, elapsed(v.link_type)).unwrap();
        assert_eq!(link.auth_code(), v.auth_code, "{}: signer", v.name);
        let unprotected = v.payload.rsplit('|').next().unwrap();
        assert_eq!(link.unprotected(), unprotected, "{}", v.name);
        assert_eq!(
            link.as_str(),
            format!("{unprotected}&authCode={}", v.auth_code),
            "{}: link",
            v.name
        );
        // 4. the parser takes it apart and the server-side check accepts it
        let parsed = parse_device_link(link.as_str()).unwrap();
        assert_eq!(parsed.link_type, v.link_type);
        assert_eq!(parsed.session_type, v.session_type);
        assert_eq!(parsed.elapsed_seconds, elapsed(v.link_type));
        assert_eq!(parsed.auth_code, v.auth_code);
        assert_eq!(parsed.unprotected, unprotected);
        verify_device_link(link.as_str(), &p, &secret).unwrap();
    }
}

#[test]
fn documented_example_links() {
    // §4.1 examples, verbatim.
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let web2app_auth = DeviceLinkSigner::new(&params(SessionType::Auth), &secret)
        .unwrap()
        .link(DeviceLinkType::Web2App, None)
        .unwrap();
    assert_eq!(web2app_auth.as_str(), "https://smart-id.com/device-link?deviceLinkType=Web2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=aegUh6gCKkXBJhhvtJqSTWB5_2W8TDQt5eZ7db6krv0");
    let qr_auth = DeviceLinkSigner::new(&params(SessionType::Auth), &secret)
        .unwrap()
        .qr_link(22);
    assert_eq!(qr_auth.as_str(), "https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=OY1eHaD4UYedrBwtqUbSkpa0w7ttm4FllPkCD_3wlE0");
}

#[test]
fn wrong_scheme_name_changes_the_code() {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    let mut p = params(SessionType::Auth);
    p.scheme_name = SchemeName::SmartIdDemo;
    let link = DeviceLinkSigner::new(&p, &secret)
        .unwrap()
        .link(DeviceLinkType::App2App, None)
        .unwrap();
    assert_ne!(
        link.auth_code(),
        "00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo"
    );
    // A server expecting LIVE rejects the DEMO-scheme link.
    let live = params(SessionType::Auth);
    assert!(verify_device_link(link.as_str(), &live, &secret).is_err());
}

#[test]
fn callback_digest_and_user_challenge_vectors() {
    let secret = SessionSecret::from_base64(SECRET).unwrap();
    assert_eq!(
        secret.digest().to_base64url(),
        "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"
    );
    assert_eq!(
        user_challenge_of("XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c"),
        "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00"
    );
    // The documented callback example verifies end to end.
    let url = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ&sessionSecretDigest=U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc&userChallengeVerifier=XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c";
    let initial = "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ";
    let auth = ExpectedCallback::Authentication {
        user_challenge: "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00",
    };
    let ok = verify_callback_url(url, initial, &secret, auth).unwrap();
    assert_eq!(
        ok.user_challenge_verifier(),
        Some("XtPfaGa8JnGtYrJjboooUf0KfY9sMEHrWFpSQrsUv9c")
    );
    // Hashing the Base64 text instead of the decoded secret is the classic mistake.
    let wrong = url.replace(
        "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc",
        "TIRImorSPPxBbNSJhTSPpY4GYM3ZXdHkXj2LFVUL2QI",
    );
    assert!(matches!(
        verify_callback_url(&wrong, initial, &secret, auth),
        Err(CallbackFailure::SessionSecretDigestMismatch)
    ));
}

#[test]
fn verification_code_7180() {
    let c = RpChallenge::from_base64(RP_CHALLENGE).unwrap();
    assert_eq!(vc::verification_code(&c), "7180");
}
