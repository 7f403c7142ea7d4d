//! Property tests: device links round-trip through the parser and the server-side check, any
//! tampering is detected, and no parser panics on arbitrary input.

use proptest::prelude::*;
use sidkit_proto::callback::{create_callback_url, CallbackBinding};
use sidkit_proto::device_link::{
    auth_code, auth_code_payload, parse_device_link, verify_device_link, DeviceLinkParams,
    DeviceLinkSigner, DeviceLinkType, SessionType,
};
use sidkit_proto::env::SchemeName;
use sidkit_proto::interactions::Interactions;
use sidkit_proto::secret::SessionSecret;
use sidkit_proto::{b64, url};

const INTERACTIONS: &str =
    "W3sidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IkxvZyBpbiB0byBEZW1vIEJhbmsifV0=";

fn session_type() -> impl Strategy<Value = SessionType> {
    prop_oneof![
        Just(SessionType::Auth),
        Just(SessionType::Sign),
        Just(SessionType::Cert)
    ]
}

fn link_type() -> impl Strategy<Value = DeviceLinkType> {
    prop_oneof![
        Just(DeviceLinkType::Qr),
        Just(DeviceLinkType::Web2App),
        Just(DeviceLinkType::App2App)
    ]
}

prop_compose! {
    fn params()(
        st in session_type(),
        demo in any::<bool>(),
        token in "[a-zA-Z0-9]{24,48}",
        name in "[A-Za-z0-9 .&äöüõ]{1,10}",
        broker in proptest::option::of("[A-Za-z0-9]{1,20}"),
        host in "[a-z]{1,12}",
        path in "(/[a-z0-9-]{1,8}){0,3}",
        lang in "[a-z]{3}",
        challenge in proptest::collection::vec(any::<u8>(), 32..=64),
        digest in prop_oneof![
            proptest::collection::vec(any::<u8>(), 32),
            proptest::collection::vec(any::<u8>(), 48),
            proptest::collection::vec(any::<u8>(), 64),
        ],
        cb_token in "[A-Za-z0-9_-]{22,43}",
    ) -> DeviceLinkParams {
        let name = name.trim().to_owned();
        let name = if name.is_empty() { "RP".to_owned() } else { name };
        let (c, i) = match st {
            SessionType::Auth => (b64::encode_std(&challenge), INTERACTIONS.to_owned()),
            SessionType::Sign => (b64::encode_std(&digest), INTERACTIONS.to_owned()),
            SessionType::Cert => (String::new(), String::new()),
        };
        DeviceLinkParams {
            scheme_name: if demo { SchemeName::SmartIdDemo } else { SchemeName::SmartId },
            device_link_base: format!("https://{host}.example{path}"),
            session_token: token,
            session_type: st,
            rp_challenge_or_digest: c,
            relying_party_name: name,
            brokered_rp_name: broker,
            interactions: i,
            initial_callback_url: Some(format!("https://rp.example.com/cb?value={cb_token}").into()),
            lang,
        }
    }
}

fn secret_from(bytes: &[u8]) -> SessionSecret {
    SessionSecret::from_base64(&b64::encode_std(bytes)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// build → parse gives back every field; the server-side check accepts the link; the
    /// prepared signer agrees with the plain HMAC over the documented payload.
    #[test]
    fn build_parse_verify_round_trip(
        p in params(),
        lt in link_type(),
        elapsed in 0u64..100_000,
        key in proptest::collection::vec(any::<u8>(), 16..64),
    ) {
        let secret = secret_from(&key);
        let e = (lt == DeviceLinkType::Qr).then_some(elapsed);
        let link = DeviceLinkSigner::new(&p, &secret).unwrap().link(lt, e).unwrap();
        let parsed = parse_device_link(link.as_str()).unwrap();
        prop_assert_eq!(&parsed.device_link_base, &p.device_link_base);
        prop_assert_eq!(parsed.link_type, lt);
        prop_assert_eq!(parsed.elapsed_seconds, e);
        prop_assert_eq!(&parsed.session_token, &p.session_token);
        prop_assert_eq!(parsed.session_type, p.session_type);
        prop_assert_eq!(&parsed.lang, &p.lang);
        prop_assert_eq!(parsed.auth_code.len(), 43);
        prop_assert_eq!(parsed.unprotected.as_str(), link.unprotected());
        let payload = auth_code_payload(&p, lt, e);
        // Every field is Base64, a token, a URL without raw `|`, or a fixed word: always exactly
        // 8 fields and 7 separators.
        prop_assert_eq!(payload.matches('|').count(), 7);
        prop_assert_eq!(auth_code(&secret, payload.as_bytes()), parsed.auth_code.clone());
        prop_assert!(verify_device_link(link.as_str(), &p, &secret).is_ok());
    }

    /// Changing any single character of a link makes the server-side check fail.
    #[test]
    fn any_single_character_change_is_detected(
        p in params(),
        lt in link_type(),
        pos in any::<prop::sample::Index>(),
        replacement in prop::char::range('!', '~'),
    ) {
        let secret = secret_from(&[42u8; 32]);
        let e = (lt == DeviceLinkType::Qr).then_some(5);
        let link = DeviceLinkSigner::new(&p, &secret).unwrap().link(lt, e).unwrap().into_string();
        let i = pos.index(link.len());
        let original = link.as_bytes()[i] as char;
        prop_assume!(original != replacement);
        let mut tampered = link.clone();
        tampered.replace_range(i..=i, &replacement.to_string());
        prop_assert!(verify_device_link(&tampered, &p, &secret).is_err(), "{}", tampered);
    }

    /// A different key or scheme never verifies.
    #[test]
    fn wrong_key_or_scheme_fails(p in params(), lt in link_type()) {
        let secret = secret_from(&[1u8; 32]);
        let e = (lt == DeviceLinkType::Qr).then_some(0);
        let link = DeviceLinkSigner::new(&p, &secret).unwrap().link(lt, e).unwrap();
        prop_assert!(verify_device_link(link.as_str(), &p, &secret_from(&[2u8; 32])).is_err());
        let mut other = p.clone();
        other.scheme_name = match p.scheme_name {
            SchemeName::SmartId => SchemeName::SmartIdDemo,
            SchemeName::SmartIdDemo => SchemeName::SmartId,
        };
        prop_assert!(verify_device_link(link.as_str(), &other, &secret).is_err());
    }

    /// The parsers never panic, whatever the input.
    #[test]
    fn parsers_never_panic(s in ".{0,300}") {
        let _ = parse_device_link(&s);
        let _ = url::parse_https("x", &s);
        let _ = Interactions::from_base64(&s);
        let _ = sidkit_proto::ident::DocumentNumber::new(s.clone());
        let _ = s.parse::<sidkit_proto::ident::SemanticsIdentifier>();
    }

    /// Mutations of a valid link never panic the parser.
    #[test]
    fn parser_survives_mutated_links(
        cut in 0usize..400,
        insert in ".{0,8}",
        at in 0usize..400,
    ) {
        let link = "https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=OY1eHaD4UYedrBwtqUbSkpa0w7ttm4FllPkCD_3wlE0";
        let mut s: String = link.chars().take(cut).collect();
        let at = at.min(s.len());
        if s.is_char_boundary(at) {
            s.insert_str(at, &insert);
        }
        let _ = parse_device_link(&s);
    }

    /// Callback checks never panic on arbitrary URLs, and accept only the genuine one.
    #[test]
    fn callback_check_never_panics(tail in ".{0,200}") {
        let secret = secret_from(&[9u8; 32]);
        let initial = create_callback_url("https://rp.example.com/cb").unwrap();
        let b = CallbackBinding::new(&initial, &secret, SessionType::Sign);
        let _ = b.check(&tail);
        let forged = format!("{}{}", initial.url(), tail);
        let genuine = format!("{}&sessionSecretDigest={}", initial.url(), secret.digest().to_base64url());
        if forged != genuine {
            prop_assert!(b.check(&forged).is_err(), "accepted {}", forged);
        }
        prop_assert!(b.check(&genuine).is_ok());
    }
}
