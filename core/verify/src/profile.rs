//! Smart-ID certificate profile rules (SK "Certificate and OCSP Profile for Smart-ID"): scheme
//! policies (spec §8 step 5), purpose (step 6) and level (step 7).

use super::cert::Certificate;
use super::failure::VerificationFailure;
use super::oid::{self, Oid};
use sidkit_proto::models::CertificateLevel;

/// What the certificate is used for in the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    /// ACSP_V2 authentication.
    Authentication,
    /// RAW_DIGEST_SIGNATURE signing and certificate choice.
    Signing,
}

/// The policy OIDs of the non-qualified profile (all of them required), with the profile's name.
const NON_QUALIFIED: (&str, [Oid; 2]) = (
    "non-qualified Smart-ID",
    [oid::SMART_ID_NON_QUALIFIED, oid::ETSI_NCP],
);

/// The policy OIDs of the qualified profile of `purpose` (all of them required).
fn qualified(purpose: Purpose) -> (&'static str, [Oid; 2]) {
    match purpose {
        Purpose::Authentication => (
            "qualified Smart-ID authentication",
            [oid::SMART_ID_QUALIFIED, oid::ETSI_NCP_PLUS],
        ),
        Purpose::Signing => (
            "qualified Smart-ID signature",
            [oid::SMART_ID_QUALIFIED, oid::ETSI_QCP_N_QSCD],
        ),
    }
}

/// Which Smart-ID scheme profile a certificate's policies are complete for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PolicyProfile {
    /// Every OID of the non-qualified profile (`ADVANCED`).
    NonQualified,
    /// Every OID of the qualified profile of the purpose.
    Qualified,
}

/// Step 5: the Smart-ID scheme profile the certificate's policies are complete for: the
/// qualified profile of `purpose` when the certificate carries every one of its policy OIDs,
/// else the non-qualified one when it carries every one of those, else a [`Policy`] failure.
/// The response's `claimed` level only chooses which profile that failure names.
///
/// [`Policy`]: VerificationFailure::Policy
pub(crate) fn policy_profile(
    cert: &Certificate,
    purpose: Purpose,
    claimed: CertificateLevel,
) -> Result<PolicyProfile, VerificationFailure> {
    let have = cert
        .policies()
        .map_err(VerificationFailure::CertificateMalformed)?;
    let missing = |(_, required): (&str, [Oid; 2])| -> Vec<String> {
        required
            .iter()
            .filter(|r| !have.contains(r))
            .map(ToString::to_string)
            .collect()
    };
    let qualified = qualified(purpose);
    if missing(qualified).is_empty() {
        return Ok(PolicyProfile::Qualified);
    }
    if missing(NON_QUALIFIED).is_empty() {
        return Ok(PolicyProfile::NonQualified);
    }
    let named = if claimed == CertificateLevel::Advanced {
        NON_QUALIFIED
    } else {
        qualified
    };
    Err(VerificationFailure::Policy {
        missing: missing(named),
        profile: named.0,
    })
}

/// Step 6: key usage and extended key usage allow the purpose.
///
/// * Authentication: `digitalSignature` with EKU `1.3.6.1.4.1.62306.5.7.0` (certificates since
///   April 2025), or `digitalSignature`, `keyEncipherment`, `dataEncipherment` with EKU
///   `id-kp-clientAuth` (older certificates).
/// * Signing: `nonRepudiation`.
pub(crate) fn check_purpose(
    cert: &Certificate,
    purpose: Purpose,
) -> Result<(), VerificationFailure> {
    let ku = cert
        .key_usage()
        .map_err(VerificationFailure::CertificateMalformed)?
        .ok_or_else(|| {
            VerificationFailure::Purpose("certificate has no keyUsage extension".into())
        })?;
    match purpose {
        Purpose::Signing => {
            if ku.non_repudiation() {
                Ok(())
            } else {
                Err(VerificationFailure::Purpose(
                    "keyUsage lacks nonRepudiation: not a signing certificate".into(),
                ))
            }
        }
        Purpose::Authentication => {
            let eku = cert
                .extended_key_usage()
                .map_err(VerificationFailure::CertificateMalformed)?;
            let current = eku.contains(&oid::EKU_SMART_ID_AUTH) && ku.digital_signature();
            let legacy = eku.contains(&oid::EKU_CLIENT_AUTH)
                && ku.digital_signature()
                && ku.key_encipherment()
                && ku.data_encipherment();
            if current || legacy {
                Ok(())
            } else {
                Err(VerificationFailure::Purpose(
                    "not an authentication certificate: needs digitalSignature with EKU \
                     1.3.6.1.4.1.62306.5.7.0, or digitalSignature+keyEncipherment+dataEncipherment \
                     with EKU clientAuth"
                        .into(),
                ))
            }
        }
    }
}

// Step 7 is [`proven_level`] (the certificate) then [`check_level_claims`] (the response's
// claim and the request); the level returned is what the results report.
//
// * `ADVANCED`: the non-qualified policies ([`PolicyProfile::NonQualified`], step 5).
// * `QUALIFIED`: the qualified policies of the purpose (step 5); a signing certificate also
//   needs the QC statements of the qualified profile, `QcCompliance` and `QcType`
//   `id-etsi-qct-esign` (without them it proves no level).
// * `QSCD`: only a signing certificate, `QUALIFIED` plus the `QcSSCD` statement. An
//   authentication certificate proves at most `QUALIFIED`.
//
// `claimed` (the response's `cert.certificateLevel`, unsigned) above the proven level is a
// [`LevelNotProven`] failure; below it is accepted and changes nothing (SK reports `QUALIFIED`
// for QSCD certificates). The proven level must rank at least as high as `requested`
// (`ADVANCED` < `QUALIFIED` < `QSCD`), else a [`Level`] failure.

/// What a certificate proves of the levels (step 7, its certificate-only half).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum LevelProof {
    /// This level, and why no higher one.
    Proven(CertificateLevel, &'static str),
    /// No level: why (a qualified signing certificate without the profile's QC statements).
    Incomplete(String),
}

/// The certificate-only half of step 7: the level the certificate proves and why it proves
/// no higher one, or why it proves no level at all. Depends on nothing of the request, so the
/// verified-certificate cache keeps it.
pub(crate) fn proven_level(
    cert: &Certificate,
    purpose: Purpose,
    profile: PolicyProfile,
) -> Result<LevelProof, VerificationFailure> {
    Ok(match (profile, purpose) {
        (PolicyProfile::NonQualified, _) => LevelProof::Proven(
            CertificateLevel::Advanced,
            "it has the non-qualified Smart-ID policies",
        ),
        (PolicyProfile::Qualified, Purpose::Authentication) => LevelProof::Proven(
            CertificateLevel::Qualified,
            "an authentication certificate proves at most QUALIFIED",
        ),
        (PolicyProfile::Qualified, Purpose::Signing) => {
            let qc = cert
                .qc_statements()
                .map_err(VerificationFailure::CertificateMalformed)?;
            let incomplete = |what: &str| {
                LevelProof::Incomplete(format!(
                    "it has the qualified signature policies, but {what}, so it proves no level"
                ))
            };
            if !qc.present {
                return Ok(incomplete("no qcStatements extension"));
            }
            if !qc.statements.contains(&oid::QCS_QC_COMPLIANCE) {
                return Ok(incomplete("its qcStatements lack QcCompliance"));
            }
            if !qc.types.contains(&oid::QCT_ESIGN) {
                return Ok(incomplete("its qcStatements lack QcType id-etsi-qct-esign"));
            }
            if qc.statements.contains(&oid::QCS_QC_SSCD) {
                LevelProof::Proven(CertificateLevel::Qscd, "QSCD is the highest level")
            } else {
                LevelProof::Proven(
                    CertificateLevel::Qualified,
                    "its qcStatements lack QcSSCD (id-etsi-qcs-QcSSCD 0.4.0.1862.1.4)",
                )
            }
        }
    })
}

/// The request half of step 7: the response's `claimed` level is no more than `proven`, and
/// `proven` ranks at least as high as `requested`.
pub(crate) fn check_level_claims(
    proven: CertificateLevel,
    why_no_higher: &str,
    requested: CertificateLevel,
    claimed: CertificateLevel,
    claimed_text: &str,
) -> Result<CertificateLevel, VerificationFailure> {
    if claimed.rank() > proven.rank() {
        return Err(VerificationFailure::LevelNotProven {
            claimed: claimed_text.to_owned(),
            certificate: proven,
            reason: why_no_higher.to_owned(),
        });
    }
    if proven.rank() < requested.rank() {
        return Err(VerificationFailure::Level {
            requested,
            certificate: Some(proven),
            reason: format!("it proves only {proven}: {why_no_higher}"),
        });
    }
    Ok(proven)
}
