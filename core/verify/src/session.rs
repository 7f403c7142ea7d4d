//! What the backend kept from session creation: the values of the request that the response
//! is checked against, the flows it offered, and the person it targeted.

use std::fmt;

use crate::error::{Result, VerifyError};
use sidkit_proto::callback::VerifiedCallback;
use sidkit_proto::interactions::{InteractionFlow, Interactions};
use sidkit_proto::models::{
    CertificateLevel, DeviceLinkAuthenticationRequest, DeviceLinkCertificateChoiceRequest,
    DeviceLinkSignatureRequest, FlowType, HashAlgorithm, LinkedNotificationSignatureRequest,
    NotificationAuthenticationRequest, NotificationCertificateChoiceRequest,
    NotificationSignatureRequest, SignatureAlgorithm, Subject,
};
use sidkit_proto::secret::SessionSecret;

/// The set of flow types a relying party offered for one session (spec §3: "RP must check the
/// returned `flowType` was one it actually offered").
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct OfferedFlows(u8);

const fn bit(f: FlowType) -> u8 {
    match f {
        FlowType::Qr => 1,
        FlowType::Web2App => 2,
        FlowType::App2App => 4,
        FlowType::Notification => 8,
    }
}

impl OfferedFlows {
    /// No flow.
    pub const NONE: OfferedFlows = OfferedFlows(0);
    /// Only `QR`.
    pub const QR: OfferedFlows = OfferedFlows(bit(FlowType::Qr));
    /// Only `Web2App`.
    pub const WEB2APP: OfferedFlows = OfferedFlows(bit(FlowType::Web2App));
    /// Only `App2App`.
    pub const APP2APP: OfferedFlows = OfferedFlows(bit(FlowType::App2App));
    /// Only `Notification`.
    pub const NOTIFICATION: OfferedFlows = OfferedFlows(bit(FlowType::Notification));

    /// The flows in `flows`.
    pub fn of(flows: &[FlowType]) -> Self {
        flows.iter().fold(Self::NONE, |acc, f| acc.with(*f))
    }

    /// Adds a flow.
    pub const fn with(self, f: FlowType) -> Self {
        OfferedFlows(self.0 | bit(f))
    }

    /// Whether `f` was offered.
    pub const fn contains(self, f: FlowType) -> bool {
        self.0 & bit(f) != 0
    }

    /// Whether no flow was offered.
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The offered flows, in the order QR, Web2App, App2App, Notification.
    pub fn iter(self) -> impl Iterator<Item = FlowType> {
        FlowType::ALL
            .iter()
            .copied()
            .filter(move |f| self.contains(*f))
    }
}

impl fmt::Debug for OfferedFlows {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter()).finish()
    }
}

impl From<&[FlowType]> for OfferedFlows {
    fn from(flows: &[FlowType]) -> Self {
        Self::of(flows)
    }
}

/// How the session was started.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionKind {
    /// A device-link session (`QR`, `Web2App`, `App2App`).
    DeviceLink,
    /// A notification session.
    Notification,
    /// A notification signature linked to a device-link certificate choice (S5).
    LinkedNotification,
}

/// The callback evidence for a session (spec §7.3 and §8 steps 1 and 3).
#[derive(Clone, Copy)]
pub enum CallbackCheck<'a> {
    /// No callback was received. Right for `QR` and `Notification` flows; a same-device flow
    /// then fails with [`CallbackRequired`](super::VerificationFailure::CallbackRequired).
    None,
    /// The backend already checked the callback URL (token binding and
    /// `sessionSecretDigest`) with [`CallbackBinding::check`](sidkit_proto::callback::CallbackBinding::check)
    /// or [`OneShotCallback::accept`](sidkit_proto::callback::OneShotCallback::accept); the verifier
    /// performs step 3 (`userChallengeVerifier`) for authentication.
    Verified(&'a VerifiedCallback),
    /// The callback URL as received and the session's secret: the verifier checks that the URL
    /// is the session's `initialCallbackUrl` with its `value` token plus the parameters the
    /// Smart-ID app appends, and the `sessionSecretDigest` (step 1), then step 3. It does not
    /// make the callback single-use; the backend must still invalidate it (§7.3 step 5).
    Url {
        /// The full callback URL the app opened.
        callback_url: &'a str,
        /// The `sessionSecret` of the session that carried the `initialCallbackUrl`.
        session_secret: &'a SessionSecret,
    },
    /// Only for a device-link certificate choice that a linked notification signature (S5)
    /// follows: the Smart-ID app opens the callback only after the linked signature completes
    /// (spec §7.2), so the callback is checked by [`verify_signature`](super::verify_signature)
    /// of the linked session instead.
    DeferredToLinkedSignature,
}

impl fmt::Debug for CallbackCheck<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            CallbackCheck::None => "None",
            CallbackCheck::Verified(_) => "Verified",
            CallbackCheck::Url { .. } => "Url",
            CallbackCheck::DeferredToLinkedSignature => "DeferredToLinkedSignature",
        })
    }
}

fn check_offered(kind: SessionKind, flows: OfferedFlows, callback: Option<&str>) -> Result<()> {
    if flows.is_empty() {
        return Err(VerifyError::invalid(
            "offeredFlows",
            "at least one flow must be offered",
        ));
    }
    let device_link = OfferedFlows::QR
        .with(FlowType::Web2App)
        .with(FlowType::App2App);
    match kind {
        SessionKind::DeviceLink => {
            if flows.contains(FlowType::Notification) {
                return Err(VerifyError::invalid(
                    "offeredFlows",
                    "a device-link session cannot complete as Notification",
                ));
            }
            if (flows.contains(FlowType::Web2App) || flows.contains(FlowType::App2App))
                && callback.is_none()
            {
                return Err(VerifyError::invalid(
                    "offeredFlows",
                    "Web2App/App2App need an initialCallbackUrl in the request",
                ));
            }
        }
        SessionKind::LinkedNotification => {
            if !flows.contains(FlowType::Notification) {
                return Err(VerifyError::invalid(
                    "offeredFlows",
                    "a linked signature must accept Notification",
                ));
            }
            if (flows.contains(FlowType::Web2App) || flows.contains(FlowType::App2App))
                && callback.is_none()
            {
                return Err(VerifyError::invalid(
                    "offeredFlows",
                    "a linked signature reports a same-device flow only after a same-device \
                     certificate choice with an initialCallbackUrl",
                ));
            }
        }
        SessionKind::Notification => {
            if flows.0 & device_link.0 != 0 {
                return Err(VerifyError::invalid(
                    "offeredFlows",
                    "a notification session can only complete as Notification",
                ));
            }
        }
    }
    Ok(())
}

/// What is verified of an authentication session (ACSP_V2).
#[derive(Clone)]
pub struct AuthenticationSession<'a> {
    /// How the session was started.
    pub kind: SessionKind,
    /// `relyingPartyName` exactly as sent.
    pub relying_party_name: &'a str,
    /// The brokered RP name, if the RP is a broker (spec §8.1; configured with SK).
    pub brokered_rp_name: Option<&'a str>,
    /// `rpChallenge` exactly as sent (standard Base64).
    pub rp_challenge: &'a str,
    /// `signatureAlgorithm` of the request (`rsassa-pss`).
    pub signature_algorithm: SignatureAlgorithm,
    /// `signatureAlgorithmParameters.hashAlgorithm` of the request.
    pub hash_algorithm: HashAlgorithm,
    /// `interactions` exactly as sent.
    pub interactions: &'a Interactions,
    /// `initialCallbackUrl` exactly as sent (device-link sessions with same-device flows).
    pub initial_callback_url: Option<&'a str>,
    /// The requested level (`QUALIFIED` when the request left it out).
    pub certificate_level: CertificateLevel,
    /// The person the endpoint targeted (`anonymous`, `etsi/…`, `document/…`).
    pub subject: Subject,
    /// The flows offered for the session.
    pub offered_flows: OfferedFlows,
}

impl<'a> AuthenticationSession<'a> {
    /// From a device-link authentication request body (A1–A3), the endpoint's subject, and the
    /// flows the relying party offered (e.g. QR and App2App).
    pub fn device_link(
        request: &'a DeviceLinkAuthenticationRequest,
        subject: Subject,
        offered_flows: OfferedFlows,
    ) -> Self {
        let p = &request.signature_protocol_parameters;
        AuthenticationSession {
            kind: SessionKind::DeviceLink,
            relying_party_name: &request.relying_party_name,
            brokered_rp_name: None,
            rp_challenge: p.rp_challenge.expose_base64(),
            signature_algorithm: p.signature_algorithm,
            hash_algorithm: p.signature_algorithm_parameters.hash_algorithm,
            interactions: &request.interactions,
            initial_callback_url: request.initial_callback_url.as_deref(),
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject,
            offered_flows,
        }
    }

    /// From a notification authentication request body (A4, A5) and the endpoint's subject.
    pub fn notification(request: &'a NotificationAuthenticationRequest, subject: Subject) -> Self {
        let p = &request.signature_protocol_parameters;
        AuthenticationSession {
            kind: SessionKind::Notification,
            relying_party_name: &request.relying_party_name,
            brokered_rp_name: None,
            rp_challenge: p.rp_challenge.expose_base64(),
            signature_algorithm: p.signature_algorithm,
            hash_algorithm: p.signature_algorithm_parameters.hash_algorithm,
            interactions: &request.interactions,
            initial_callback_url: None,
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject,
            offered_flows: OfferedFlows::NOTIFICATION,
        }
    }

    /// Sets the brokered RP name.
    pub fn with_brokered_rp_name(mut self, name: &'a str) -> Self {
        self.brokered_rp_name = Some(name);
        self
    }

    pub(crate) fn validate(&self) -> Result<()> {
        sidkit_proto::validate::relying_party_name(self.relying_party_name)?;
        sidkit_proto::secret::RpChallenge::from_base64(self.rp_challenge)?;
        if self.signature_algorithm != SignatureAlgorithm::RsassaPss {
            return Err(VerifyError::invalid(
                "signatureAlgorithm",
                "authentication supports only rsassa-pss",
            ));
        }
        if self.certificate_level == CertificateLevel::Qscd {
            return Err(VerifyError::invalid(
                "certificateLevel",
                "authentication allows ADVANCED or QUALIFIED only",
            ));
        }
        self.interactions.check_flow(match self.kind {
            SessionKind::Notification => InteractionFlow::Notification,
            _ => InteractionFlow::DeviceLink,
        })?;
        if self.kind == SessionKind::LinkedNotification {
            return Err(VerifyError::invalid(
                "kind",
                "authentication has no linked sessions",
            ));
        }
        if let Some(u) = self.initial_callback_url {
            sidkit_proto::callback::validate_initial_callback_url(u)?;
        }
        check_offered(self.kind, self.offered_flows, self.initial_callback_url)
    }
}

/// What is verified of a signature session (RAW_DIGEST_SIGNATURE).
#[derive(Clone)]
pub struct SignatureSession<'a> {
    /// How the session was started.
    pub kind: SessionKind,
    /// `digest` exactly as sent (standard Base64 of the hash of the data to be signed).
    pub digest: &'a str,
    /// `signatureAlgorithm` of the request.
    pub signature_algorithm: SignatureAlgorithm,
    /// `hashAlgorithm` of the request (`rsassa-pss`), `None` for the legacy PKCS#1 v1.5
    /// algorithms.
    pub hash_algorithm: Option<HashAlgorithm>,
    /// `interactions` exactly as sent.
    pub interactions: &'a Interactions,
    /// The `initialCallbackUrl` whose callback completes this session: the request's own for
    /// device-link sessions; for a linked notification signature (S5), the one of the
    /// preceding device-link certificate choice (the callback arrives after S5 completes).
    pub initial_callback_url: Option<&'a str>,
    /// The requested level (`QUALIFIED` when the request left it out).
    pub certificate_level: CertificateLevel,
    /// The person the endpoint targeted.
    pub subject: Subject,
    /// The flows offered for the session.
    pub offered_flows: OfferedFlows,
}

impl<'a> SignatureSession<'a> {
    fn hash_of(
        alg: SignatureAlgorithm,
        p: &'a sidkit_proto::models::RawDigestParameters,
    ) -> Option<HashAlgorithm> {
        match alg {
            SignatureAlgorithm::RsassaPss => p
                .signature_algorithm_parameters
                .as_ref()
                .map(|s| s.hash_algorithm),
            _ => None,
        }
    }

    /// From a device-link signature request body (S1, S2), the endpoint's subject and the
    /// offered flows.
    pub fn device_link(
        request: &'a DeviceLinkSignatureRequest,
        subject: Subject,
        offered_flows: OfferedFlows,
    ) -> Self {
        let p = &request.signature_protocol_parameters;
        SignatureSession {
            kind: SessionKind::DeviceLink,
            digest: &p.digest,
            signature_algorithm: p.signature_algorithm,
            hash_algorithm: Self::hash_of(p.signature_algorithm, p),
            interactions: &request.interactions,
            initial_callback_url: request.initial_callback_url.as_deref(),
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject,
            offered_flows,
        }
    }

    /// From a notification signature request body (S3, S4) and the endpoint's subject.
    pub fn notification(request: &'a NotificationSignatureRequest, subject: Subject) -> Self {
        let p = &request.signature_protocol_parameters;
        SignatureSession {
            kind: SessionKind::Notification,
            digest: &p.digest,
            signature_algorithm: p.signature_algorithm,
            hash_algorithm: Self::hash_of(p.signature_algorithm, p),
            interactions: &request.interactions,
            initial_callback_url: None,
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject,
            offered_flows: OfferedFlows::NOTIFICATION,
        }
    }

    /// From a linked notification signature request body (S5), the document number of its
    /// path, and the `initialCallbackUrl` of the preceding device-link certificate choice if
    /// that one was same-device (its callback is then required here).
    pub fn linked(
        request: &'a LinkedNotificationSignatureRequest,
        document_number: sidkit_proto::ident::DocumentNumber,
        certificate_choice_callback_url: Option<&'a str>,
    ) -> Self {
        let p = &request.signature_protocol_parameters;
        SignatureSession {
            kind: SessionKind::LinkedNotification,
            digest: &p.digest,
            signature_algorithm: p.signature_algorithm,
            hash_algorithm: Self::hash_of(p.signature_algorithm, p),
            interactions: &request.interactions,
            initial_callback_url: certificate_choice_callback_url,
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject: Subject::Document(document_number),
            offered_flows: OfferedFlows::NOTIFICATION,
        }
    }

    /// For a linked signature (S5): also accept the `flowType` that the preceding device-link
    /// certificate choice completed with (from its verified
    /// [`VerifiedCertificateChoice::flow_type`](super::VerifiedCertificateChoice::flow_type)).
    ///
    /// The spec does not say which `flowType` a linked signature reports: the session is a
    /// notification session, but the user signs in the app that made the choice (spec §7.2).
    /// By default only `Notification` is accepted; this admits the choice's flow as well, and
    /// nothing else. A same-device choice flow still requires the callback (the choice's).
    pub fn with_certificate_choice_flow(mut self, flow: FlowType) -> Self {
        if self.kind == SessionKind::LinkedNotification {
            self.offered_flows = self.offered_flows.with(flow);
        }
        self
    }

    /// The decoded digest and the hash algorithm that produced it.
    pub(crate) fn validate(&self) -> Result<(Vec<u8>, HashAlgorithm)> {
        let digest = sidkit_proto::validate::digest(self.digest)?;
        let hash = match (self.signature_algorithm, self.hash_algorithm) {
            (SignatureAlgorithm::RsassaPss, Some(h)) => h,
            (SignatureAlgorithm::RsassaPss, None) => {
                return Err(VerifyError::invalid(
                    "hashAlgorithm",
                    "required for rsassa-pss",
                ))
            }
            (_, Some(_)) => {
                return Err(VerifyError::invalid(
                    "hashAlgorithm",
                    "must be absent for the PKCS#1 v1.5 algorithms",
                ))
            }
            (SignatureAlgorithm::Sha256WithRsaEncryption, None) => HashAlgorithm::Sha256,
            (SignatureAlgorithm::Sha384WithRsaEncryption, None) => HashAlgorithm::Sha384,
            (SignatureAlgorithm::Sha512WithRsaEncryption, None) => HashAlgorithm::Sha512,
        };
        if digest.len() != hash.output_len() {
            return Err(VerifyError::invalid(
                "digest",
                format!(
                    "is {} bytes but {hash} produces {}",
                    digest.len(),
                    hash.output_len()
                ),
            ));
        }
        self.interactions.check_flow(match self.kind {
            SessionKind::DeviceLink => InteractionFlow::DeviceLink,
            SessionKind::Notification => InteractionFlow::Notification,
            SessionKind::LinkedNotification => InteractionFlow::LinkedNotification,
        })?;
        if let Some(u) = self.initial_callback_url {
            sidkit_proto::callback::validate_initial_callback_url(u)?;
        }
        if self.kind == SessionKind::LinkedNotification
            && !matches!(self.subject, Subject::Document(_))
        {
            return Err(VerifyError::invalid(
                "subject",
                "a linked signature targets a document number",
            ));
        }
        check_offered(self.kind, self.offered_flows, self.initial_callback_url)?;
        Ok((digest, hash))
    }
}

/// What is verified of a certificate-choice session.
#[derive(Clone)]
pub struct CertificateChoiceSession<'a> {
    /// How the session was started (device link C2 or notification C3).
    pub kind: SessionKind,
    /// `initialCallbackUrl` exactly as sent (device-link sessions with same-device flows).
    pub initial_callback_url: Option<&'a str>,
    /// The requested level (`QUALIFIED` when the request left it out).
    pub certificate_level: CertificateLevel,
    /// The person the endpoint targeted (`anonymous` for C2, `etsi/…` for C3).
    pub subject: Subject,
    /// The flows offered for the session.
    pub offered_flows: OfferedFlows,
}

impl<'a> CertificateChoiceSession<'a> {
    /// From a device-link certificate-choice request body (C2) and the offered flows.
    pub fn device_link(
        request: &'a DeviceLinkCertificateChoiceRequest,
        offered_flows: OfferedFlows,
    ) -> Self {
        CertificateChoiceSession {
            kind: SessionKind::DeviceLink,
            initial_callback_url: request.initial_callback_url.as_deref(),
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject: Subject::Anonymous,
            offered_flows,
        }
    }

    /// From a notification certificate-choice request body (C3) and the endpoint's subject.
    pub fn notification(
        request: &'a NotificationCertificateChoiceRequest,
        subject: Subject,
    ) -> Self {
        CertificateChoiceSession {
            kind: SessionKind::Notification,
            initial_callback_url: None,
            certificate_level: request
                .certificate_level
                .unwrap_or(CertificateLevel::Qualified),
            subject,
            offered_flows: OfferedFlows::NOTIFICATION,
        }
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if self.kind == SessionKind::LinkedNotification {
            return Err(VerifyError::invalid(
                "kind",
                "certificate choice has no linked sessions",
            ));
        }
        if let Some(u) = self.initial_callback_url {
            sidkit_proto::callback::validate_initial_callback_url(u)?;
        }
        check_offered(self.kind, self.offered_flows, self.initial_callback_url)
    }
}

/// `initialCallbackUrl` for `Debug`: the base, the query (which holds the callback token)
/// redacted.
fn callback_for_debug(url: Option<&str>) -> Option<String> {
    url.map(|u| match u.split_once('?') {
        Some((base, _)) => format!("{base}?{}", sidkit_proto::secret::REDACTED),
        None => u.to_owned(),
    })
}

/// Prints everything but the `rpChallenge` and the callback token.
impl std::fmt::Debug for AuthenticationSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthenticationSession")
            .field("kind", &self.kind)
            .field("relying_party_name", &self.relying_party_name)
            .field("brokered_rp_name", &self.brokered_rp_name)
            .field("rp_challenge", &sidkit_proto::secret::REDACTED)
            .field("signature_algorithm", &self.signature_algorithm)
            .field("hash_algorithm", &self.hash_algorithm)
            .field("interactions", &self.interactions)
            .field(
                "initial_callback_url",
                &callback_for_debug(self.initial_callback_url),
            )
            .field("certificate_level", &self.certificate_level)
            .field("subject", &self.subject)
            .field("offered_flows", &self.offered_flows)
            .finish()
    }
}

/// Prints everything but the callback token.
impl std::fmt::Debug for SignatureSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignatureSession")
            .field("kind", &self.kind)
            .field("digest", &self.digest)
            .field("signature_algorithm", &self.signature_algorithm)
            .field("hash_algorithm", &self.hash_algorithm)
            .field("interactions", &self.interactions)
            .field(
                "initial_callback_url",
                &callback_for_debug(self.initial_callback_url),
            )
            .field("certificate_level", &self.certificate_level)
            .field("subject", &self.subject)
            .field("offered_flows", &self.offered_flows)
            .finish_non_exhaustive()
    }
}

/// Prints everything but the callback token.
impl std::fmt::Debug for CertificateChoiceSession<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateChoiceSession")
            .field("kind", &self.kind)
            .field(
                "initial_callback_url",
                &callback_for_debug(self.initial_callback_url),
            )
            .field("certificate_level", &self.certificate_level)
            .field("subject", &self.subject)
            .field("offered_flows", &self.offered_flows)
            .finish()
    }
}
