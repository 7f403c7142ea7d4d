//! How a flow ended: [`FlowOutcome`] with the verified [`Identity`] or [`SignatureResult`],
//! or the Smart-ID end result.

use serde::{Deserialize, Serialize};

use sidkit_proto::models::{CertificateLevel, EndResult};
use sidkit_proto::session_end::RefusedInteraction;
use sidkit_proto::{ProtoError, Result};

use crate::kinds::*;
use crate::validate::*;

/// Backend → phone: the verified result of a flow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(
    tag = "result",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum FlowOutcome {
    /// Authentication verified (callback checks of §7.3 and response verification of §8).
    Authenticated {
        /// Who authenticated.
        identity: Identity,
        /// Opaque data from the backend to its app (e.g. its own session token), passed through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_data: Option<String>,
    },
    /// Signature created and verified.
    Signed {
        /// The signature.
        signature: SignatureResult,
        /// Opaque data from the backend to its app, passed through.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        app_data: Option<String>,
    },
    /// The Smart-ID session ended without a result (the user refused, the session timed out,
    /// ...). This is a normal ending, not an error.
    Failed {
        /// `result.endResult` of the session; never `OK`.
        end_result: EndResult,
        /// For `USER_REFUSED_INTERACTION`: the refused interaction.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interaction: Option<String>,
    },
}

impl FlowOutcome {
    /// For a flow that failed with `USER_REFUSED_INTERACTION`, what the user refused (typed;
    /// [`RefusedInteraction::code`] for the app's message); `None` otherwise.
    pub fn refused_interaction(&self) -> Option<RefusedInteraction> {
        match self {
            FlowOutcome::Failed {
                end_result: EndResult::UserRefusedInteraction,
                interaction,
            } => Some(RefusedInteraction::from_detail(interaction.as_deref())),
            _ => None,
        }
    }

    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        match self {
            FlowOutcome::Authenticated { identity, app_data } => {
                identity.validate()?;
                validate_app_data(app_data.as_deref())
            }
            FlowOutcome::Signed {
                signature,
                app_data,
            } => {
                signature.validate()?;
                validate_app_data(app_data.as_deref())
            }
            FlowOutcome::Failed {
                end_result,
                interaction,
            } => {
                if *end_result == EndResult::Ok {
                    return Err(ProtoError::invalid(
                        "endResult",
                        "a failed outcome cannot have endResult OK",
                    ));
                }
                if let EndResult::Unknown(s) = end_result {
                    check_text("endResult", s)?;
                }
                if let Some(i) = interaction {
                    check_text("interaction", i)?;
                }
                Ok(())
            }
        }
    }

    /// Which of the three endings this is.
    pub const fn kind(&self) -> OutcomeKind {
        match self {
            FlowOutcome::Authenticated { .. } => OutcomeKind::Authenticated,
            FlowOutcome::Signed { .. } => OutcomeKind::Signed,
            FlowOutcome::Failed { .. } => OutcomeKind::Failed,
        }
    }

    /// Whether this outcome is what a flow of `kind` can end with: authentication flows end
    /// `Authenticated` or `Failed`, the signing flows `Signed` or `Failed`.
    pub fn fits(&self, kind: FlowKind) -> bool {
        match self {
            FlowOutcome::Authenticated { .. } => kind == FlowKind::Authentication,
            FlowOutcome::Signed { .. } => kind != FlowKind::Authentication,
            FlowOutcome::Failed { .. } => true,
        }
    }
}

/// How a flow ended, without the result itself: the `result` of a finished poll answer, which
/// carries the [`FlowOutcome`] only to the request that finished the flow (contract 2: the
/// outcome is delivered once).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum OutcomeKind {
    /// [`FlowOutcome::Authenticated`].
    Authenticated,
    /// [`FlowOutcome::Signed`].
    Signed,
    /// [`FlowOutcome::Failed`].
    Failed,
}

impl OutcomeKind {
    /// The JSON name (`authenticated`, `signed`, `failed`).
    pub const fn as_str(self) -> &'static str {
        match self {
            OutcomeKind::Authenticated => "authenticated",
            OutcomeKind::Signed => "signed",
            OutcomeKind::Failed => "failed",
        }
    }
}

/// Who authenticated, as verified by the backend from the authentication certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Identity {
    /// Given name(s).
    pub given_name: String,
    /// Surname.
    pub surname: String,
    /// The ETSI semantics identifier, e.g. `PNOEE-30303039914`.
    pub identifier: String,
    /// Issuing country, ISO 3166-1 alpha-2 (`EE`, `LV`, `LT`, ...).
    pub country: String,
    /// The Smart-ID document number (reuse it for later signing).
    pub document_number: String,
    /// Level of the certificate used.
    pub certificate_level: CertificateLevel,
    /// Date of birth `YYYY-MM-DD`, when the identity code or certificate carries it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_of_birth: Option<String>,
}

impl Identity {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        check_text("givenName", &self.given_name)?;
        check_text("surname", &self.surname)?;
        check_text("identifier", &self.identifier)?;
        let c = self.country.as_bytes();
        if c.len() != 2 || !c.iter().all(u8::is_ascii_uppercase) {
            return Err(ProtoError::invalid(
                "country",
                "must be two upper-case letters (ISO 3166-1 alpha-2)",
            ));
        }
        sidkit_proto::ident::DocumentNumber::new(self.document_number.as_str())?;
        if let Some(d) = &self.date_of_birth {
            validate_date(d)?;
        }
        Ok(())
    }
}

/// A created signature, as verified by the backend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureResult {
    /// The signer's Smart-ID document number.
    pub document_number: String,
    /// Level of the signing certificate.
    pub certificate_level: CertificateLevel,
    /// `signatureAlgorithm` as returned by Smart-ID, e.g. `rsassa-pss`.
    pub signature_algorithm: String,
    /// The signature value, standard Base64.
    pub signature_value: String,
    /// The signing certificate, DER in standard Base64, if the backend shares it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub certificate: Option<String>,
}

impl SignatureResult {
    /// Checks the fields.
    pub fn validate(&self) -> Result<()> {
        sidkit_proto::ident::DocumentNumber::new(self.document_number.as_str())?;
        check_text("signatureAlgorithm", &self.signature_algorithm)?;
        check_base64("signatureValue", &self.signature_value)?;
        if let Some(c) = &self.certificate {
            check_base64("certificate", c)?;
        }
        Ok(())
    }
}
