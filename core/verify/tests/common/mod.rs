//! Fixtures for the verification tests: a generated Smart-ID-like PKI, requests built with the
//! crate's own builders, and session statuses signed like the Smart-ID app does. Each test
//! starts from a valid fixture and changes exactly one thing.
#![allow(dead_code)]

use std::time::{Duration, SystemTime};

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
use sidkit_testpki::{PkiSpec, TestPki, TestUser, UserCertSpec};
use sidkit_verify::*;
use sidkit_verify::{Result, VerifyError as Error};

pub const IDENTITY: &str = "PNOEE-30001010004";
pub const DOC: &str = "PNOEE-30001010004-MOCK-Q";
pub const CALLBACK_BASE: &str = "https://rp.example.com/callback";
pub const SCHEME: SchemeName = SchemeName::SmartIdDemo;

/// A generated hierarchy and a trust store holding its root and intermediate.
pub struct Pki {
    pub pki: TestPki,
    pub store: TrustStore,
}

impl Pki {
    pub fn new() -> Self {
        Self::with(&PkiSpec::new("TEST of sidkit"))
    }

    pub fn with(spec: &PkiSpec) -> Self {
        let pki = TestPki::generate_with(spec).unwrap();
        let mut store = TrustStore::new();
        store.add_der(pki.root.der()).unwrap();
        store.add_der(pki.intermediate.der()).unwrap();
        Pki { pki, store }
    }

    pub fn issue(&self, spec: &UserCertSpec) -> TestUser {
        self.pki.issue(spec).unwrap()
    }

    pub fn ctx(&self) -> VerificationContext<'_> {
        VerificationContext::new(SCHEME, &self.store, SystemTime::now())
    }
}

pub fn auth_spec() -> UserCertSpec {
    UserCertSpec::authentication(IDENTITY, "MARY ÄNN", "O’CONNEŽ-ŠUSLIK TESTNUMBER")
}

pub fn sign_spec() -> UserCertSpec {
    UserCertSpec::signing(IDENTITY, "MARY ÄNN", "O’CONNEŽ-ŠUSLIK TESTNUMBER")
}

pub fn random_b64(n: usize) -> String {
    b64::encode_std(&random_bytes(n).unwrap())
}

pub fn secret() -> SessionSecret {
    SessionSecret::from_base64(&random_b64(32)).unwrap()
}

pub fn expect_failure<T: std::fmt::Debug>(r: Result<T>) -> VerificationFailure {
    match r {
        Err(Error::Verification(f)) => f,
        other => panic!("expected a verification failure, got {other:?}"),
    }
}

pub fn days(n: u64) -> Duration {
    Duration::from_secs(n * 86_400)
}

fn device_link_interactions() -> Interactions {
    Interactions::new(
        InteractionFlow::DeviceLink,
        vec![
            Interaction::confirmation_message("Log in to Example Bank as the account holder?")
                .unwrap(),
            Interaction::display_text_and_pin("Log in to Example Bank").unwrap(),
        ],
    )
    .unwrap()
}

fn notification_interactions() -> Interactions {
    Interactions::new(
        InteractionFlow::Notification,
        vec![
            Interaction::confirmation_message_and_verification_code_choice("Pay 10 EUR?").unwrap(),
            Interaction::display_text_and_pin("Pay 10 EUR").unwrap(),
        ],
    )
    .unwrap()
}

/// The callback URL the Smart-ID app opens: `initialCallbackUrl` plus its parameters.
pub fn callback_url_for(initial: &str, secret: &SessionSecret, verifier: Option<&str>) -> String {
    let mut u = format!(
        "{initial}&sessionSecretDigest={}",
        secret.digest().to_base64url()
    );
    if let Some(v) = verifier {
        u.push_str("&userChallengeVerifier=");
        u.push_str(v);
    }
    u
}

// ---------------------------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------------------------

/// A completed, valid authentication session.
pub struct Auth {
    pub flow: FlowType,
    pub hash: HashAlgorithm,
    pub device_link: DeviceLinkAuthenticationRequest,
    pub notification: NotificationAuthenticationRequest,
    pub offered: OfferedFlows,
    pub subject: Subject,
    pub brokered_rp_name: Option<String>,
    pub secret: SessionSecret,
    pub verifier: String,
    pub callback_url: String,
    pub server_random: String,
    pub interaction_used: String,
    pub level: String,
    pub doc: String,
    pub user: TestUser,
    pub status: SessionStatus,
}

impl Auth {
    pub fn new(pki: &Pki, flow: FlowType) -> Self {
        Self::with(pki, flow, HashAlgorithm::Sha512, &auth_spec())
    }

    pub fn with(pki: &Pki, flow: FlowType, hash: HashAlgorithm, spec: &UserCertSpec) -> Self {
        let initial = create_callback_url(CALLBACK_BASE).unwrap();
        let device_link = AuthenticationRequestBuilder::new(&RelyingParty::demo())
            .hash_algorithm(hash)
            .interactions(device_link_interactions())
            .initial_callback_url(initial.url())
            .build_device_link()
            .unwrap();
        let notification = AuthenticationRequestBuilder::new(&RelyingParty::demo())
            .hash_algorithm(hash)
            .interactions(notification_interactions())
            .build_notification()
            .unwrap();
        let secret = secret();
        let verifier = b64::encode_url(&random_bytes(32).unwrap());
        let callback_url = callback_url_for(initial.url(), &secret, Some(&verifier));
        let offered = match flow {
            FlowType::Notification => OfferedFlows::NOTIFICATION,
            _ => OfferedFlows::of(&[FlowType::Qr, FlowType::Web2App, FlowType::App2App]),
        };
        let mut a = Auth {
            flow,
            hash,
            device_link,
            notification,
            offered,
            subject: Subject::Anonymous,
            brokered_rp_name: None,
            secret,
            verifier,
            callback_url,
            server_random: random_b64(18),
            interaction_used: "displayTextAndPIN".into(),
            level: spec.level().as_str().into(),
            doc: DOC.into(),
            user: pki.issue(spec),
            status: SessionStatus {
                state: SessionState::Running,
                result: None,
                signature_protocol: None,
                signature: None,
                cert: None,
                interaction_type_used: None,
                device_ip_address: None,
                ignored_properties: None,
            },
        };
        a.sign();
        a
    }

    pub fn rp_challenge(&self) -> &str {
        match self.flow {
            FlowType::Notification => &self.notification.signature_protocol_parameters.rp_challenge,
            _ => &self.device_link.signature_protocol_parameters.rp_challenge,
        }
        .expose_base64()
    }

    pub fn interactions(&self) -> &Interactions {
        match self.flow {
            FlowType::Notification => &self.notification.interactions,
            _ => &self.device_link.interactions,
        }
    }

    pub fn user_challenge(&self) -> String {
        user_challenge_of(&self.verifier)
    }

    /// The payload the app signs for the current fixture values.
    pub fn payload_bytes(&self, scheme: SchemeName, callback_in_payload: Option<&str>) -> Vec<u8> {
        let uc = self.user_challenge();
        AcspV2Payload {
            scheme_name: scheme,
            server_random: &self.server_random,
            rp_challenge: self.rp_challenge(),
            user_challenge: &uc,
            relying_party_name: "DEMO",
            brokered_rp_name: self.brokered_rp_name.as_deref(),
            interactions: self.interactions().as_base64(),
            interaction_type_used: &self.interaction_used,
            initial_callback_url: callback_in_payload,
            flow_type: self.flow.as_str(),
        }
        .to_bytes()
    }

    /// (Re)builds the session status, signing the payload of the current fixture values.
    pub fn sign(&mut self) {
        let uc = self.user_challenge();
        let payload = AcspV2Payload {
            scheme_name: SCHEME,
            server_random: &self.server_random,
            rp_challenge: self.rp_challenge(),
            user_challenge: &uc,
            relying_party_name: "DEMO",
            brokered_rp_name: self.brokered_rp_name.as_deref(),
            interactions: self.interactions().as_base64(),
            interaction_type_used: &self.interaction_used,
            initial_callback_url: self.device_link.initial_callback_url.as_deref(),
            flow_type: self.flow.as_str(),
        };
        self.status = self
            .user
            .acsp_v2_status(&payload, self.hash, &self.doc, &self.level)
            .unwrap();
    }

    pub fn session(&self) -> AuthenticationSession<'_> {
        let s = match self.flow {
            FlowType::Notification => {
                AuthenticationSession::notification(&self.notification, self.subject.clone())
            }
            _ => AuthenticationSession::device_link(
                &self.device_link,
                self.subject.clone(),
                self.offered,
            ),
        };
        match &self.brokered_rp_name {
            Some(b) => s.with_brokered_rp_name(b),
            None => s,
        }
    }

    /// The callback evidence the backend would have for this flow.
    pub fn callback(&self) -> CallbackCheck<'_> {
        match self.flow {
            FlowType::Web2App | FlowType::App2App => CallbackCheck::Url {
                callback_url: &self.callback_url,
                session_secret: &self.secret,
            },
            _ => CallbackCheck::None,
        }
    }

    pub fn verify(&self, pki: &Pki) -> Result<VerifiedAuthentication> {
        self.verify_with(&pki.ctx(), self.callback())
    }

    pub fn verify_with(
        &self,
        ctx: &VerificationContext<'_>,
        callback: CallbackCheck<'_>,
    ) -> Result<VerifiedAuthentication> {
        verify_authentication(ctx, &self.session(), &self.status, callback)
    }

    pub fn signature_mut(&mut self) -> &mut SessionSignature {
        self.status.signature.as_mut().unwrap()
    }
}

// ---------------------------------------------------------------------------------------------
// Signing and certificate choice
// ---------------------------------------------------------------------------------------------

/// A completed, valid signature session.
pub struct Sign {
    pub flow: FlowType,
    pub algorithm: SignatureAlgorithm,
    pub hash: HashAlgorithm,
    pub digest: Vec<u8>,
    pub device_link: DeviceLinkSignatureRequest,
    pub notification: NotificationSignatureRequest,
    pub offered: OfferedFlows,
    pub subject: Subject,
    pub level_requested: Option<CertificateLevel>,
    pub secret: SessionSecret,
    pub callback_url: String,
    pub level: String,
    pub doc: String,
    pub user: TestUser,
    pub status: SessionStatus,
}

impl Sign {
    pub fn new(pki: &Pki, flow: FlowType) -> Self {
        Self::with(
            pki,
            flow,
            SignatureAlgorithm::RsassaPss,
            HashAlgorithm::Sha512,
            &sign_spec(),
            None,
        )
    }

    pub fn with(
        pki: &Pki,
        flow: FlowType,
        algorithm: SignatureAlgorithm,
        hash: HashAlgorithm,
        spec: &UserCertSpec,
        level_requested: Option<CertificateLevel>,
    ) -> Self {
        let digest = sidkit_proto::signable::digest(hash, b"the document to be signed");
        let doc_number: sidkit_proto::ident::DocumentNumber = DOC.parse().unwrap();
        let initial = create_callback_url(CALLBACK_BASE).unwrap();
        let mut b =
            SignatureRequestBuilder::new(&RelyingParty::demo(), b64::encode_std(&digest), hash)
                .interactions(device_link_interactions())
                .initial_callback_url(initial.url());
        let mut n =
            SignatureRequestBuilder::new(&RelyingParty::demo(), b64::encode_std(&digest), hash)
                .interactions(notification_interactions());
        if algorithm != SignatureAlgorithm::RsassaPss {
            b = b.legacy_pkcs1(algorithm);
            n = n.legacy_pkcs1(algorithm);
        }
        if let Some(l) = level_requested {
            b = b.certificate_level(l);
            n = n.certificate_level(l);
        }
        let device_link = b.build_device_link().unwrap();
        let notification = n.build_notification().unwrap();
        let secret = secret();
        let callback_url = callback_url_for(initial.url(), &secret, None);
        let offered = match flow {
            FlowType::Notification => OfferedFlows::NOTIFICATION,
            _ => OfferedFlows::of(&[FlowType::Qr, FlowType::Web2App, FlowType::App2App]),
        };
        let user = pki.issue(spec);
        let level = spec.level().as_str().to_owned();
        let status = user
            .raw_digest_status(
                &digest,
                algorithm,
                hash,
                flow,
                "displayTextAndPIN",
                DOC,
                &level,
            )
            .unwrap();
        Sign {
            flow,
            algorithm,
            hash,
            digest,
            device_link,
            notification,
            offered,
            subject: Subject::Document(doc_number),
            level_requested,
            secret,
            callback_url,
            level,
            doc: DOC.into(),
            user,
            status,
        }
    }

    pub fn session(&self) -> SignatureSession<'_> {
        match self.flow {
            FlowType::Notification => {
                SignatureSession::notification(&self.notification, self.subject.clone())
            }
            _ => {
                SignatureSession::device_link(&self.device_link, self.subject.clone(), self.offered)
            }
        }
    }

    pub fn callback(&self) -> CallbackCheck<'_> {
        match self.flow {
            FlowType::Web2App | FlowType::App2App => CallbackCheck::Url {
                callback_url: &self.callback_url,
                session_secret: &self.secret,
            },
            _ => CallbackCheck::None,
        }
    }

    pub fn verify(&self, pki: &Pki) -> Result<VerifiedSignature> {
        verify_signature(&pki.ctx(), &self.session(), &self.status, self.callback())
    }

    pub fn signature_mut(&mut self) -> &mut SessionSignature {
        self.status.signature.as_mut().unwrap()
    }
}

/// A completed, valid device-link certificate choice.
pub struct Choice {
    pub flow: FlowType,
    pub request: DeviceLinkCertificateChoiceRequest,
    pub offered: OfferedFlows,
    pub secret: SessionSecret,
    pub callback_url: String,
    pub user: TestUser,
    pub status: SessionStatus,
}

impl Choice {
    pub fn new(
        pki: &Pki,
        flow: FlowType,
        spec: &UserCertSpec,
        level: Option<CertificateLevel>,
    ) -> Self {
        let initial = create_callback_url(CALLBACK_BASE).unwrap();
        let mut b = CertificateChoiceRequestBuilder::new(&RelyingParty::demo())
            .initial_callback_url(initial.url());
        if let Some(l) = level {
            b = b.certificate_level(l);
        }
        let request = b.build_device_link().unwrap();
        let secret = secret();
        let callback_url = callback_url_for(initial.url(), &secret, None);
        let user = pki.issue(spec);
        let status = user.certificate_choice_status(flow, DOC, spec.level().as_str());
        Choice {
            flow,
            request,
            offered: OfferedFlows::of(&[FlowType::Qr, FlowType::Web2App, FlowType::App2App]),
            secret,
            callback_url,
            user,
            status,
        }
    }

    pub fn session(&self) -> CertificateChoiceSession<'_> {
        CertificateChoiceSession::device_link(&self.request, self.offered)
    }

    pub fn callback(&self) -> CallbackCheck<'_> {
        match self.flow {
            FlowType::Web2App | FlowType::App2App => CallbackCheck::Url {
                callback_url: &self.callback_url,
                session_secret: &self.secret,
            },
            _ => CallbackCheck::None,
        }
    }

    pub fn verify(&self, pki: &Pki) -> Result<VerifiedCertificateChoice> {
        verify_certificate_choice(&pki.ctx(), &self.session(), &self.status, self.callback())
    }
}
