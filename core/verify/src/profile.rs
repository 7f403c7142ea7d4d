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

/// The policy OIDs a certificate of `level` must carry for `purpose` (all of them).
pub(crate) fn required_policies(
    purpose: Purpose,
    level: CertificateLevel,
) -> (&'static str, [Oid; 2]) {
    match (level, purpose) {
        (CertificateLevel::Advanced, _) => (
            "non-qualified Smart-ID",
            [oid::SMART_ID_NON_QUALIFIED, oid::ETSI_NCP],
        ),
        (_, Purpose::Authentication) => (
            "qualified Smart-ID authentication",
            [oid::SMART_ID_QUALIFIED, oid::ETSI_NCP_PLUS],
        ),
        (_, Purpose::Signing) => (
            "qualified Smart-ID signature",
            [oid::SMART_ID_QUALIFIED, oid::ETSI_QCP_N_QSCD],
        ),
    }
}

/// Step 5: the certificate carries every Smart-ID scheme policy OID of its reported level.
pub(crate) fn check_policies(
    cert: &Certificate,
    purpose: Purpose,
    reported: CertificateLevel,
) -> Result<(), VerificationFailure> {
    let have = cert
        .policies()
        .map_err(VerificationFailure::CertificateMalformed)?;
    let (profile, required) = required_policies(purpose, reported);
    let missing: Vec<String> = required
        .iter()
        .filter(|r| !have.contains(r))
        .map(ToString::to_string)
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(VerificationFailure::Policy { missing, profile })
    }
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

/// Step 7: the reported level satisfies the request, and a qualified signing certificate has
/// the qualified-profile QC statements (`QcCompliance` and `QcType` e-sign; `QcSSCD` when
/// `QSCD` was requested).
pub(crate) fn check_level(
    cert: &Certificate,
    purpose: Purpose,
    requested: CertificateLevel,
    reported: CertificateLevel,
    reported_text: &str,
) -> Result<(), VerificationFailure> {
    let fail = |reason: String| VerificationFailure::Level {
        requested,
        received: reported_text.to_owned(),
        reason,
    };
    if !reported.satisfies(requested) {
        return Err(fail("the level is lower than requested".into()));
    }
    if purpose == Purpose::Signing && reported != CertificateLevel::Advanced {
        let qc = cert
            .qc_statements()
            .map_err(VerificationFailure::CertificateMalformed)?;
        if !qc.present {
            return Err(fail(
                "qualified certificate without a qcStatements extension".into(),
            ));
        }
        if !qc.statements.contains(&oid::QCS_QC_COMPLIANCE) {
            return Err(fail("qcStatements lack QcCompliance".into()));
        }
        if !qc.types.contains(&oid::QCT_ESIGN) {
            return Err(fail("qcStatements lack QcType id-etsi-qct-esign".into()));
        }
        if requested == CertificateLevel::Qscd && !qc.statements.contains(&oid::QCS_QC_SSCD) {
            return Err(fail("QSCD requested but qcStatements lack QcSSCD".into()));
        }
    }
    Ok(())
}
