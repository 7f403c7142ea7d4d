//! Sans-IO CRLs (RFC 5280 §5), the fallback when OCSP gives no answer: [`check_crl`] checks
//! a DER CRL against the certificate's issuer and looks the certificate up in it.
//!
//! Accepted are complete CRLs of the issuer itself: the CRL's issuer name is the
//! certificate's issuer, its signature (over `tbsCertList` as received) verifies with the
//! issuer's key (whose keyUsage, when present, has `cRLSign`), `thisUpdate <= at + skew`,
//! `nextUpdate` is present and `>= at - skew`, and it has no critical extension (which
//! refuses delta CRLs and partitioned or indirect CRLs with an issuing distribution point).

use std::time::{Duration, SystemTime};

use der::Decode;
use x509_cert::crl::CertificateList;

use crate::asn1::{self, tag};
use crate::cert::Certificate;
use crate::crypto;
use crate::ocsp::check_times;
use crate::oid;
use crate::results::RevocationMethod;
use crate::revocation::{
    CertRevocationStatus, RevocationAnswer, RevocationError, RevocationReason,
};

const WHAT: &str = "CRL";

/// Checks the DER CRL `crl` for `certificate`, issued by `issuer`, at `at` with the clock
/// skew `skew`, and returns the verified answer (good, or revoked with time and reason).
/// Never panics, whatever `crl` holds.
pub fn check_crl(
    certificate: &Certificate,
    issuer: &Certificate,
    crl: &[u8],
    at: SystemTime,
    skew: Duration,
) -> Result<RevocationAnswer, RevocationError> {
    let list = CertificateList::from_der(crl).map_err(|e| RevocationError::malformed(WHAT, e))?;
    let tbs = &list.tbs_cert_list;
    if tbs.issuer != *issuer.tbs().subject() || !certificate.issued_by_name(issuer) {
        return Err(RevocationError::WrongIssuer {
            crl_issuer: tbs.issuer.to_string(),
            issuer: issuer.subject().to_owned(),
        });
    }
    if list.signature_algorithm != tbs.signature {
        return Err(RevocationError::malformed(
            WHAT,
            "signatureAlgorithm differs from tbsCertList.signature",
        ));
    }
    let signature = |reason: String| RevocationError::Signature { what: WHAT, reason };
    if let Some(ku) = issuer.key_usage().map_err(signature)? {
        if !ku.crl_sign() {
            return Err(signature(format!(
                "the issuer `{}` may not sign CRLs (keyUsage lacks cRLSign)",
                issuer.subject()
            )));
        }
    }
    let key = crypto::public_key(issuer).map_err(|e| signature(format!("the CA's key: {e}")))?;
    let tbs_raw = asn1::read_exact(crl, tag::SEQUENCE)
        .and_then(|seq| asn1::read(seq.content).map(|(tbs, _)| tbs.raw))
        .map_err(|e| RevocationError::malformed(WHAT, e.0))?;
    let sig = list
        .signature
        .as_bytes()
        .ok_or_else(|| RevocationError::malformed(WHAT, "signature BIT STRING has unused bits"))?;
    crypto::verify_signed_data(&list.signature_algorithm, tbs_raw, sig, &key).map_err(signature)?;

    // Only signed fields from here on.
    for e in tbs.crl_extensions.as_deref().unwrap_or(&[]) {
        if e.critical {
            return Err(RevocationError::UnsupportedCriticalExtension {
                what: WHAT,
                oid: e.extn_id.to_string(),
            });
        }
    }
    let this_update = SystemTime::UNIX_EPOCH + tbs.this_update.to_unix_duration();
    let next_update = tbs
        .next_update
        .map(|t| SystemTime::UNIX_EPOCH + t.to_unix_duration());
    if next_update.is_none() {
        return Err(RevocationError::Stale {
            what: WHAT,
            next_update: "absent".into(),
        });
    }
    check_times(WHAT, this_update, next_update, at, skew)?;

    let serial = certificate.tbs().serial_number();
    let mut status = CertRevocationStatus::Good;
    for entry in tbs.revoked_certificates.as_deref().unwrap_or(&[]) {
        let exts = entry.crl_entry_extensions.as_deref().unwrap_or(&[]);
        for e in exts {
            if e.critical {
                // e.g. certificateIssuer (indirect CRLs): the entry may be about another CA.
                return Err(RevocationError::UnsupportedCriticalExtension {
                    what: "CRL entry",
                    oid: e.extn_id.to_string(),
                });
            }
        }
        if entry.serial_number != *serial {
            continue;
        }
        let reason = match exts.iter().find(|e| e.extn_id == oid::CRL_REASON) {
            Some(e) => Some(
                x509_cert::ext::pkix::CrlReason::from_der(e.extn_value.as_bytes())
                    .map(RevocationReason::from_x509)
                    .map_err(|e| RevocationError::malformed(WHAT, format!("reasonCode: {e}")))?,
            ),
            None => None,
        };
        if reason == Some(RevocationReason::RemoveFromCrl) {
            // Only meaningful in delta CRLs, which are refused above.
            return Err(RevocationError::malformed(
                WHAT,
                "a complete CRL lists the certificate with removeFromCRL",
            ));
        }
        status = CertRevocationStatus::Revoked {
            time: SystemTime::UNIX_EPOCH + entry.revocation_date.to_unix_duration(),
            reason,
        };
        break;
    }
    Ok(RevocationAnswer {
        status,
        method: RevocationMethod::Crl,
        this_update,
        next_update,
        produced_at: None,
        signer: issuer.subject().to_owned(),
    })
}
