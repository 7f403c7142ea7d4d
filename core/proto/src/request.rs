//! Typed builders for every session-creating request.
//!
//! Each builder starts from the relying party, fills in safe defaults (a fresh 64-byte
//! rpChallenge, `rsassa-pss` with SHA-512) and refuses, in `build_*`, anything the RP API would
//! reject: the result has passed the request type's `validate()`.
//!
//! ```
//! use sidkit_proto::env::RelyingParty;
//! use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
//! use sidkit_proto::request::AuthenticationRequestBuilder;
//!
//! let interactions = Interactions::new(
//!     InteractionFlow::DeviceLink,
//!     vec![Interaction::display_text_and_pin("Log in to Example Bank")?],
//! )?;
//! let request = AuthenticationRequestBuilder::new(&RelyingParty::demo())
//!     .interactions(interactions)
//!     .initial_callback_url("https://rp.example.com/app-callback?value=RrKjjT4aggzu27YBddX1bQ")
//!     .build_device_link()?;
//! assert_eq!(request.signature_protocol_parameters.rp_challenge.expose_bytes().len(), 64);
//! # Ok::<(), sidkit_proto::ProtoError>(())
//! ```

use crate::callback::InitialCallbackUrl;
use crate::env::RelyingParty;
use crate::error::{ProtoError, Result};
use crate::interactions::Interactions;
use crate::models::*;
use crate::secret::RpChallenge;

fn props(share_ip: Option<bool>) -> Option<RequestProperties> {
    share_ip.map(|b| RequestProperties {
        share_md_client_ip_address: Some(b),
    })
}

fn need_interactions(i: Option<Interactions>) -> Result<Interactions> {
    i.ok_or_else(|| ProtoError::invalid("interactions", "at least one interaction is required"))
}

/// Builds authentication requests (device-link A1–A3 and notification A4–A5).
#[derive(Debug, Clone)]
#[doc(alias(
    "DeviceLinkAuthenticationSessionRequestBuilder",
    "NotificationAuthenticationSessionRequestBuilder"
))]
pub struct AuthenticationRequestBuilder {
    rp: RelyingParty,
    rp_challenge: Option<RpChallenge>,
    hash_algorithm: HashAlgorithm,
    certificate_level: Option<CertificateLevel>,
    interactions: Option<Interactions>,
    initial_callback_url: Option<InitialCallbackUrl>,
    share_md_client_ip_address: Option<bool>,
    capabilities: Option<Vec<String>>,
}

impl AuthenticationRequestBuilder {
    /// Starts a request for `rp`.
    pub fn new(rp: &RelyingParty) -> Self {
        AuthenticationRequestBuilder {
            rp: rp.clone(),
            rp_challenge: None,
            hash_algorithm: HashAlgorithm::Sha512,
            certificate_level: None,
            interactions: None,
            initial_callback_url: None,
            share_md_client_ip_address: None,
            capabilities: None,
        }
    }

    /// Uses this challenge instead of a fresh random one (tests, or a challenge generated
    /// elsewhere).
    pub fn rp_challenge(mut self, c: RpChallenge) -> Self {
        self.rp_challenge = Some(c);
        self
    }

    /// The RSASSA-PSS hash (default SHA-512).
    pub fn hash_algorithm(mut self, h: HashAlgorithm) -> Self {
        self.hash_algorithm = h;
        self
    }

    /// `ADVANCED` or `QUALIFIED` (`QSCD` is rejected at build time).
    pub fn certificate_level(mut self, l: CertificateLevel) -> Self {
        self.certificate_level = Some(l);
        self
    }

    /// The interactions (required).
    pub fn interactions(mut self, i: Interactions) -> Self {
        self.interactions = Some(i);
        self
    }

    /// The `initialCallbackUrl` (device-link requests with Web2App/App2App only).
    pub fn initial_callback_url(mut self, url: impl Into<String>) -> Self {
        self.initial_callback_url = Some(InitialCallbackUrl::new(url));
        self
    }

    /// `requestProperties.shareMdClientIpAddress`.
    pub fn share_md_client_ip_address(mut self, b: bool) -> Self {
        self.share_md_client_ip_address = Some(b);
        self
    }

    /// `capabilities` (only when agreed with SK).
    pub fn capabilities(mut self, c: Vec<String>) -> Self {
        self.capabilities = Some(c);
        self
    }

    fn params(&mut self) -> Result<AcspV2Parameters> {
        let c = match self.rp_challenge.take() {
            Some(c) => c,
            None => RpChallenge::random()?,
        };
        Ok(AcspV2Parameters {
            rp_challenge: c,
            signature_algorithm: SignatureAlgorithm::RsassaPss,
            signature_algorithm_parameters: SignatureAlgorithmParameters {
                hash_algorithm: self.hash_algorithm,
            },
        })
    }

    /// A device-link authentication request body.
    pub fn build_device_link(mut self) -> Result<DeviceLinkAuthenticationRequest> {
        let r = DeviceLinkAuthenticationRequest {
            relying_party_uuid: self.rp.uuid.clone(),
            relying_party_name: self.rp.name.clone(),
            initial_callback_url: self.initial_callback_url.take(),
            certificate_level: self.certificate_level,
            signature_protocol: SignatureProtocol::AcspV2,
            signature_protocol_parameters: self.params()?,
            interactions: need_interactions(self.interactions.take())?,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities.take(),
        };
        r.validate()?;
        Ok(r)
    }

    /// A notification authentication request body (`vcType` `numeric4`). Fails if a callback
    /// URL was set: notification flows have none.
    pub fn build_notification(mut self) -> Result<NotificationAuthenticationRequest> {
        if self.initial_callback_url.is_some() {
            return Err(ProtoError::invalid(
                "initialCallbackUrl",
                "notification requests have no callback URL",
            ));
        }
        let r = NotificationAuthenticationRequest {
            relying_party_uuid: self.rp.uuid.clone(),
            relying_party_name: self.rp.name.clone(),
            certificate_level: self.certificate_level,
            signature_protocol: SignatureProtocol::AcspV2,
            signature_protocol_parameters: self.params()?,
            interactions: need_interactions(self.interactions.take())?,
            vc_type: VcType::Numeric4,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities.take(),
        };
        r.validate()?;
        Ok(r)
    }
}

/// Builds signature requests (device-link S1–S2, notification S3–S4, linked S5).
#[derive(Debug, Clone)]
#[doc(alias(
    "DeviceLinkSignatureSessionRequestBuilder",
    "NotificationSignatureSessionRequestBuilder",
    "LinkedNotificationSignatureSessionRequestBuilder"
))]
pub struct SignatureRequestBuilder {
    rp: RelyingParty,
    digest: String,
    signature_algorithm: SignatureAlgorithm,
    hash_algorithm: Option<HashAlgorithm>,
    certificate_level: Option<CertificateLevel>,
    nonce: Option<String>,
    interactions: Option<Interactions>,
    initial_callback_url: Option<InitialCallbackUrl>,
    share_md_client_ip_address: Option<bool>,
    capabilities: Option<Vec<String>>,
}

impl SignatureRequestBuilder {
    /// Starts a request to sign `digest` (standard Base64 of the hash of the data to be signed),
    /// with RSASSA-PSS over `hash_algorithm`.
    pub fn new(
        rp: &RelyingParty,
        digest: impl Into<String>,
        hash_algorithm: HashAlgorithm,
    ) -> Self {
        SignatureRequestBuilder {
            rp: rp.clone(),
            digest: digest.into(),
            signature_algorithm: SignatureAlgorithm::RsassaPss,
            hash_algorithm: Some(hash_algorithm),
            certificate_level: None,
            nonce: None,
            interactions: None,
            initial_callback_url: None,
            share_md_client_ip_address: None,
            capabilities: None,
        }
    }

    /// Starts a request to sign `hash` ([`SignableHash`](crate::signable::SignableHash): the
    /// digest and its algorithm together, so they cannot disagree), with RSASSA-PSS.
    #[cfg(feature = "signable")]
    #[cfg_attr(docsrs, doc(cfg(feature = "signable")))]
    pub fn for_hash(rp: &RelyingParty, hash: &crate::signable::SignableHash) -> Self {
        Self::new(rp, hash.to_base64(), hash.algorithm())
    }

    /// Uses a deprecated PKCS#1 v1.5 algorithm (`sha…WithRSAEncryption`) instead of PSS; only
    /// for signature formats that cannot use PSS.
    pub fn legacy_pkcs1(mut self, algorithm: SignatureAlgorithm) -> Self {
        self.signature_algorithm = algorithm;
        self.hash_algorithm = None;
        self
    }

    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    pub fn certificate_level(mut self, l: CertificateLevel) -> Self {
        self.certificate_level = Some(l);
        self
    }

    /// `nonce` (1–30 characters).
    pub fn nonce(mut self, n: impl Into<String>) -> Self {
        self.nonce = Some(n.into());
        self
    }

    /// The interactions (required).
    pub fn interactions(mut self, i: Interactions) -> Self {
        self.interactions = Some(i);
        self
    }

    /// The `initialCallbackUrl` (device-link requests with Web2App/App2App only).
    pub fn initial_callback_url(mut self, url: impl Into<String>) -> Self {
        self.initial_callback_url = Some(InitialCallbackUrl::new(url));
        self
    }

    /// `requestProperties.shareMdClientIpAddress`.
    pub fn share_md_client_ip_address(mut self, b: bool) -> Self {
        self.share_md_client_ip_address = Some(b);
        self
    }

    /// `capabilities` (only when agreed with SK).
    pub fn capabilities(mut self, c: Vec<String>) -> Self {
        self.capabilities = Some(c);
        self
    }

    fn params(&self) -> RawDigestParameters {
        RawDigestParameters {
            digest: self.digest.clone(),
            signature_algorithm: self.signature_algorithm,
            signature_algorithm_parameters: self
                .hash_algorithm
                .map(|h| SignatureAlgorithmParameters { hash_algorithm: h }),
        }
    }

    /// A device-link signature request body.
    pub fn build_device_link(mut self) -> Result<DeviceLinkSignatureRequest> {
        let r = DeviceLinkSignatureRequest {
            relying_party_uuid: self.rp.uuid.clone(),
            relying_party_name: self.rp.name.clone(),
            initial_callback_url: self.initial_callback_url.take(),
            certificate_level: self.certificate_level,
            signature_protocol: SignatureProtocol::RawDigestSignature,
            signature_protocol_parameters: self.params(),
            nonce: self.nonce.take(),
            interactions: need_interactions(self.interactions.take())?,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities.take(),
        };
        r.validate()?;
        Ok(r)
    }

    /// A notification signature request body.
    pub fn build_notification(mut self) -> Result<NotificationSignatureRequest> {
        self.no_callback()?;
        let r = NotificationSignatureRequest {
            relying_party_uuid: self.rp.uuid.clone(),
            relying_party_name: self.rp.name.clone(),
            certificate_level: self.certificate_level,
            signature_protocol: SignatureProtocol::RawDigestSignature,
            signature_protocol_parameters: self.params(),
            nonce: self.nonce.take(),
            interactions: need_interactions(self.interactions.take())?,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities.take(),
        };
        r.validate()?;
        Ok(r)
    }

    /// A linked notification signature request body for the certificate-choice session
    /// `linked_session_id`.
    pub fn build_linked(
        mut self,
        linked_session_id: impl Into<String>,
    ) -> Result<LinkedNotificationSignatureRequest> {
        self.no_callback()?;
        let r = LinkedNotificationSignatureRequest {
            relying_party_uuid: self.rp.uuid.clone(),
            relying_party_name: self.rp.name.clone(),
            certificate_level: self.certificate_level,
            signature_protocol: SignatureProtocol::RawDigestSignature,
            signature_protocol_parameters: self.params(),
            linked_session_id: linked_session_id.into(),
            nonce: self.nonce.take(),
            interactions: need_interactions(self.interactions.take())?,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities.take(),
        };
        r.validate()?;
        Ok(r)
    }

    fn no_callback(&self) -> Result<()> {
        if self.initial_callback_url.is_some() {
            return Err(ProtoError::invalid(
                "initialCallbackUrl",
                "notification requests have no callback URL",
            ));
        }
        Ok(())
    }
}

/// Builds certificate-choice requests (device-link C2, notification C3) and the certificate by
/// document number request (C1).
#[derive(Debug, Clone)]
#[doc(alias(
    "DeviceLinkCertificateChoiceSessionRequestBuilder",
    "NotificationCertificateChoiceSessionRequestBuilder"
))]
pub struct CertificateChoiceRequestBuilder {
    rp: RelyingParty,
    certificate_level: Option<CertificateLevel>,
    nonce: Option<String>,
    initial_callback_url: Option<InitialCallbackUrl>,
    share_md_client_ip_address: Option<bool>,
    capabilities: Option<Vec<String>>,
}

impl CertificateChoiceRequestBuilder {
    /// Starts a request for `rp`.
    pub fn new(rp: &RelyingParty) -> Self {
        CertificateChoiceRequestBuilder {
            rp: rp.clone(),
            certificate_level: None,
            nonce: None,
            initial_callback_url: None,
            share_md_client_ip_address: None,
            capabilities: None,
        }
    }

    /// `ADVANCED`, `QUALIFIED` or `QSCD`.
    pub fn certificate_level(mut self, l: CertificateLevel) -> Self {
        self.certificate_level = Some(l);
        self
    }

    /// `nonce` (1–30 characters).
    pub fn nonce(mut self, n: impl Into<String>) -> Self {
        self.nonce = Some(n.into());
        self
    }

    /// The `initialCallbackUrl` (device-link requests with Web2App/App2App only).
    pub fn initial_callback_url(mut self, url: impl Into<String>) -> Self {
        self.initial_callback_url = Some(InitialCallbackUrl::new(url));
        self
    }

    /// `requestProperties.shareMdClientIpAddress`.
    pub fn share_md_client_ip_address(mut self, b: bool) -> Self {
        self.share_md_client_ip_address = Some(b);
        self
    }

    /// `capabilities` (only when agreed with SK).
    pub fn capabilities(mut self, c: Vec<String>) -> Self {
        self.capabilities = Some(c);
        self
    }

    /// A device-link certificate-choice request body.
    pub fn build_device_link(self) -> Result<DeviceLinkCertificateChoiceRequest> {
        let r = DeviceLinkCertificateChoiceRequest {
            relying_party_uuid: self.rp.uuid,
            relying_party_name: self.rp.name,
            initial_callback_url: self.initial_callback_url,
            certificate_level: self.certificate_level,
            nonce: self.nonce,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities,
        };
        r.validate()?;
        Ok(r)
    }

    /// A notification certificate-choice request body.
    pub fn build_notification(self) -> Result<NotificationCertificateChoiceRequest> {
        if self.initial_callback_url.is_some() {
            return Err(ProtoError::invalid(
                "initialCallbackUrl",
                "notification requests have no callback URL",
            ));
        }
        let r = NotificationCertificateChoiceRequest {
            relying_party_uuid: self.rp.uuid,
            relying_party_name: self.rp.name,
            certificate_level: self.certificate_level,
            nonce: self.nonce,
            request_properties: props(self.share_md_client_ip_address),
            capabilities: self.capabilities,
        };
        r.validate()?;
        Ok(r)
    }

    /// The body of `POST signature/certificate/{document-number}`; only the level is used.
    pub fn build_by_document_number(self) -> Result<CertificateByDocumentNumberRequest> {
        if self.initial_callback_url.is_some() || self.nonce.is_some() {
            return Err(ProtoError::invalid(
                "certificateByDocumentNumber",
                "takes no callback URL and no nonce",
            ));
        }
        let r = CertificateByDocumentNumberRequest {
            relying_party_uuid: self.rp.uuid,
            relying_party_name: self.rp.name,
            certificate_level: self.certificate_level,
        };
        r.validate()?;
        Ok(r)
    }
}
