//! Test accounts, their scripted outcomes and the revocation of their certificates.

use std::time::{Duration, SystemTime};

use sidkit_proto::ident::{DocumentNumber, SemanticsIdentifier};
use sidkit_proto::models::{CertificateLevel, EndResult};
use sidkit_testpki::ocsp::{serial_of, CrlReason};
use sidkit_testpki::{TestPki, TestUser, UserCertSpec};

use crate::error::SimulatorError;

/// What the simulated user does when a session reaches their device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Confirms with the PIN: the session ends `OK` with a valid signature.
    Ok,
    /// `USER_REFUSED`.
    UserRefused,
    /// `USER_REFUSED_INTERACTION`; `details.interaction` is the given interaction name, or
    /// the first interaction the session offered when `None`.
    UserRefusedInteraction(Option<String>),
    /// `TIMEOUT`: the user never acted.
    Timeout,
    /// `WRONG_VC`: the user picked a wrong verification code.
    WrongVc,
    /// `DOCUMENT_UNUSABLE` (also the `state` of `signature/certificate/{doc}`).
    DocumentUnusable,
    /// `REQUIRED_INTERACTION_NOT_SUPPORTED_BY_APP`: the app is too old for every offered
    /// interaction.
    RequiredInteractionNotSupportedByApp,
    /// `PROTOCOL_FAILURE`.
    ProtocolFailure,
    /// `SERVER_ERROR`.
    ServerError,
    /// Any other end result (e.g. `USER_REFUSED_CERT_CHOICE`, `EXPECTED_LINKED_SESSION`).
    Other(EndResult),
}

impl Outcome {
    /// The `endResult` this outcome produces.
    pub fn end_result(&self) -> EndResult {
        match self {
            Outcome::Ok => EndResult::Ok,
            Outcome::UserRefused => EndResult::UserRefused,
            Outcome::UserRefusedInteraction(_) => EndResult::UserRefusedInteraction,
            Outcome::Timeout => EndResult::Timeout,
            Outcome::WrongVc => EndResult::WrongVc,
            Outcome::DocumentUnusable => EndResult::DocumentUnusable,
            Outcome::RequiredInteractionNotSupportedByApp => {
                EndResult::RequiredInteractionNotSupportedByApp
            }
            Outcome::ProtocolFailure => EndResult::ProtocolFailure,
            Outcome::ServerError => EndResult::ServerError,
            Outcome::Other(e) => e.clone(),
        }
    }
}

/// A test account to create in the simulator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountSpec {
    /// The document number, e.g. `PNOEE-40404040009-MOCK-Q`.
    pub document_number: String,
    /// The semantics identifier of the person, e.g. `PNOEE-40404040009`.
    pub identity: String,
    /// Given name in the certificates.
    pub given_name: String,
    /// Surname in the certificates.
    pub surname: String,
    /// `QUALIFIED` (Smart-ID) or `ADVANCED` (Smart-ID Basic).
    pub level: CertificateLevel,
    /// What the user does.
    pub outcome: Outcome,
    /// How long the user takes in notification flows (and linked signatures) before the
    /// outcome; `None` uses [`SimulatorConfig::user_delay`](crate::SimulatorConfig::user_delay).
    pub user_delay: Option<Duration>,
    /// The account's certificates are revoked: the simulator's OCSP responder answers
    /// `revoked` for both (the user still signs; a verifier that checks revocation refuses).
    pub revocation: Option<Revocation>,
}

/// A revocation of certificates the simulator issued, as its OCSP responder reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Revocation {
    /// The revocation time (`None`: when the certificate is marked revoked).
    pub time: Option<SystemTime>,
    /// The reason code (`None`: left out of the answer).
    pub reason: Option<CrlReason>,
}

impl Revocation {
    /// Revoked now, for `reason`.
    pub fn now(reason: CrlReason) -> Self {
        Revocation {
            time: None,
            reason: Some(reason),
        }
    }
}

impl AccountSpec {
    /// A qualified account with outcome `OK`. The identity is the document number without its
    /// last two `-` parts (`PNOEE-40404040009-MOCK-Q` → `PNOEE-40404040009`).
    pub fn new(document_number: &str, given_name: &str, surname: &str) -> Self {
        let parts: Vec<&str> = document_number.split('-').collect();
        let identity = if parts.len() > 2 {
            parts[..parts.len() - 2].join("-")
        } else {
            document_number.to_owned()
        };
        AccountSpec {
            document_number: document_number.to_owned(),
            identity,
            given_name: given_name.to_owned(),
            surname: surname.to_owned(),
            level: CertificateLevel::Qualified,
            outcome: Outcome::Ok,
            user_delay: None,
            revocation: None,
        }
    }

    /// Sets the outcome.
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.outcome = outcome;
        self
    }

    /// Makes it an ADVANCED (Smart-ID Basic) account.
    pub fn advanced(mut self) -> Self {
        self.level = CertificateLevel::Advanced;
        self
    }

    /// Sets the user delay of notification flows.
    pub fn user_delay(mut self, d: Duration) -> Self {
        self.user_delay = Some(d);
        self
    }

    /// Creates the account with its certificates revoked for `reason` (see
    /// [`revocation`](Self::revocation)).
    pub fn revoked(mut self, reason: CrlReason) -> Self {
        self.revocation = Some(Revocation::now(reason));
        self
    }
}

/// A created account: the spec plus its certificates and keys.
#[derive(Debug, Clone)]
pub(crate) struct Account {
    pub spec: AccountSpec,
    pub auth: TestUser,
    pub sign: TestUser,
    /// Serial numbers (INTEGER content octets) of the authentication and signing certificates.
    pub serials: [Vec<u8>; 2],
}

/// Public information about an account (what a test needs to check results).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountInfo {
    /// The document number.
    pub document_number: String,
    /// The semantics identifier (`PNOEE-…`).
    pub identity: String,
    /// The account level.
    pub level: CertificateLevel,
    /// The scripted outcome.
    pub outcome: Outcome,
    /// The authentication certificate (DER).
    pub auth_cert_der: Vec<u8>,
    /// The signing certificate (DER).
    pub sign_cert_der: Vec<u8>,
    /// Whether (since when, why) the simulator's OCSP responder reports the account's
    /// certificates revoked.
    pub revocation: Option<Revocation>,
}

impl Account {
    /// Issues the account's certificates, with `ocsp_url` (the simulator's responder) in their
    /// AIA extension.
    pub(crate) fn create(
        pki: &TestPki,
        spec: AccountSpec,
        ocsp_url: &str,
    ) -> Result<Self, SimulatorError> {
        DocumentNumber::new(spec.document_number.clone())?;
        // Synthetic DEMO identities may have wrong national check digits; the shape must hold.
        SemanticsIdentifier::parse_without_check_digit(&spec.identity)?;
        let (mut a, mut s) = (
            UserCertSpec::authentication(&spec.identity, &spec.given_name, &spec.surname),
            UserCertSpec::signing(&spec.identity, &spec.given_name, &spec.surname),
        );
        // Every account shares two cached RSA-2048 keys (slot 0 for authentication, 1 for
        // signing): RSA key generation would otherwise dominate start-up. The certificates
        // differ per account.
        a.key_slot = 0;
        s.key_slot = 1;
        a.ocsp_url = Some(ocsp_url.to_owned());
        s.ocsp_url = Some(ocsp_url.to_owned());
        if spec.level == CertificateLevel::Advanced {
            a = a.advanced();
            s = s.advanced();
        }
        let (auth, sign) = (pki.issue(&a)?, pki.issue(&s)?);
        Ok(Account {
            serials: [serial_of(&auth.cert_der)?, serial_of(&sign.cert_der)?],
            auth,
            sign,
            spec,
        })
    }

    pub(crate) fn info(&self, revocation: Option<Revocation>) -> AccountInfo {
        AccountInfo {
            document_number: self.spec.document_number.clone(),
            identity: self.spec.identity.clone(),
            level: self.spec.level,
            outcome: self.spec.outcome.clone(),
            auth_cert_der: self.auth.cert_der.clone(),
            sign_cert_der: self.sign.cert_der.clone(),
            revocation,
        }
    }
}

/// The accounts every simulator starts with: SK's public DEMO test accounts (spec §11) with
/// their documented outcomes, plus simulator-only accounts for the outcomes SK has no public
/// account for. See `docs/simulator.md` for the table.
pub fn default_accounts() -> Vec<AccountSpec> {
    use Outcome::*;
    let ok = |doc: &str, given: &str| AccountSpec::new(doc, given, "TESTNUMBER");
    let with = |doc: &str, given: &str, o: Outcome| ok(doc, given).outcome(o);
    vec![
        // Device-link accounts (OK).
        ok("PNOEE-40404040009-MOCK-Q", "OK"),
        ok("PNOLT-40404040009-MOCK-Q", "OK"),
        ok("PNOLV-040404-10003-DEMO-Q", "OK"),
        ok("PNOBE-04040400287-MOCK-Q", "OK"),
        ok("PNOEE-61101019999-MOCK-Q", "MINOR"),
        // Notification accounts.
        ok("PNOEE-40504040001-DEM0-Q", "OK"),
        ok("PNOEE-50001029996-DEMO-Q", "OK"),
        with("PNOEE-30403039917-MOCK-Q", "REFUSED", UserRefused),
        with(
            "PNOEE-30403039928-MOCK-Q",
            "REFUSED",
            UserRefusedInteraction(Some("displayTextAndPIN".into())),
        ),
        with(
            "PNOEE-30403039939-MOCK-Q",
            "REFUSED",
            UserRefusedInteraction(Some("verificationCodeChoice".into())),
        ),
        with(
            "PNOEE-30403039946-MOCK-Q",
            "REFUSED",
            UserRefusedInteraction(Some("confirmationMessage".into())),
        ),
        with(
            "PNOEE-30403039950-MOCK-Q",
            "REFUSED",
            UserRefusedInteraction(Some("confirmationMessageAndVerificationCodeChoice".into())),
        ),
        with("PNOEE-30403039972-MOCK-Q", "WRONG VC", WrongVc),
        with("PNOEE-30403039983-MOCK-Q", "TIMEOUT", Timeout),
        // Simulator-only accounts.
        with("PNOEE-30505050001-SIM1-Q", "UNUSABLE", DocumentUnusable),
        with(
            "PNOEE-30505050012-SIM2-Q",
            "OLD APP",
            RequiredInteractionNotSupportedByApp,
        ),
        with("PNOEE-30505050023-SIM3-Q", "PROTOCOL", ProtocolFailure),
        with("PNOEE-30505050034-SIM4-Q", "SERVER", ServerError),
        // OK, but its certificates are revoked (the OCSP responder says so).
        ok("PNOEE-30505050078-SIM7-Q", "REVOKED").revoked(CrlReason::KeyCompromise),
        ok("PNOEE-40404049996-MOCK-NQ", "BASIC").advanced(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_derived_and_valid() {
        for spec in default_accounts() {
            DocumentNumber::new(spec.document_number.clone()).unwrap();
            SemanticsIdentifier::parse_without_check_digit(&spec.identity).unwrap();
            assert!(spec.document_number.starts_with(&spec.identity));
        }
        assert_eq!(
            AccountSpec::new("PNOLV-040404-10003-DEMO-Q", "A", "B").identity,
            "PNOLV-040404-10003"
        );
        // Simulator-only EE codes carry valid check digits.
        for id in [
            "PNOEE-30505050001",
            "PNOEE-30505050012",
            "PNOEE-30505050023",
            "PNOEE-30505050034",
            "PNOEE-30505050078",
            "PNOEE-40404049996",
        ] {
            id.parse::<SemanticsIdentifier>().unwrap();
        }
    }
}
