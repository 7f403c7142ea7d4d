//! `smartid verify-response --revocation`: the revocation status of the verified user
//! certificate and its intermediates, fetched with the backend kit's `RevocationService`
//! (OCSP from the AIA, CRLs from the distribution points), then verified again with the answers.
//! How each certificate's status was established is also said on stderr
//! ([`status_lines`]), the result alone staying on stdout.

use std::time::SystemTime;

use serde_json::Value;
use sidkit_verify::TrustStore;

use crate::error::CliError;

/// `--revocation`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RevocationArg {
    /// No revocation check.
    Off,
    /// OCSP.
    Ocsp,
    /// CRLs.
    Crl,
    /// OCSP, then the CRL when OCSP gives no usable answer.
    OcspThenCrl,
}

impl RevocationArg {
    pub fn mode(self) -> sidkit_backend::RevocationMode {
        use sidkit_backend::RevocationMode as M;
        match self {
            RevocationArg::Off => M::Off,
            RevocationArg::Ocsp => M::Ocsp,
            RevocationArg::Crl => M::Crl,
            RevocationArg::OcspThenCrl => M::OcspThenCrl,
        }
    }
}

/// The revocation answers for the certificate of a verified result (`value`, its JSON), fetched
/// under `mode`: a revoked certificate fails later, in the verification with these answers.
pub fn revocation_answers(
    value: &Value,
    trust: &TrustStore,
    at: SystemTime,
    mode: RevocationArg,
    soft_fail: bool,
    failed: &dyn Fn(sidkit_verify::VerifyError) -> CliError,
) -> Result<sidkit_verify::RevocationAnswers, CliError> {
    let der = value["certificate"]["value"]
        .as_str()
        .and_then(|b| sidkit_proto::b64::decode_std("certificate", b).ok())
        .ok_or_else(|| CliError::Environment("the verified result has no certificate".into()))?;
    let cert = sidkit_verify::Certificate::from_der(&der).map_err(CliError::from)?;
    let policy = sidkit_backend::RevocationPolicy::new(mode.mode()).with_soft_fail(soft_fail);
    let service = sidkit_backend::RevocationService::http(policy)
        .map_err(|e| CliError::Environment(format!("revocation client: {e}")))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::Environment(format!("cannot start the runtime: {e}")))?;
    rt.block_on(service.answers(trust, &cert, at))
        .map_err(failed)
}

/// One line per certificate of a verified result's `revocation` records (its JSON `value`):
/// `certificate status: good (OCSP, <responder URL>) for <subject>`, or `not checked (<why>)`.
pub fn status_lines(value: &Value) -> Vec<String> {
    let records = value["certificate"]["revocation"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    records
        .iter()
        .map(|r| {
            let subject = r["certificate"].as_str().unwrap_or("?");
            if r["checked"] == true {
                format!(
                    "certificate status: good ({}, {}) for {subject}",
                    r["method"].as_str().unwrap_or("?").to_uppercase(),
                    r["source"].as_str().unwrap_or("?")
                )
            } else {
                format!(
                    "certificate status: not checked ({}) for {subject}",
                    r["uncheckedReason"].as_str().unwrap_or("no reason given")
                )
            }
        })
        .collect()
}
