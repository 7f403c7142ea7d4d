//! Certification path building and validation (spec §8 step 4): issuer lookup by name in the
//! trust store, signature of every certificate, validity at the verification instant, basic
//! constraints / CA key usage / path length, and unsupported critical extensions.

use std::time::SystemTime;

use super::cert::Certificate;
use super::crypto;
use super::failure::VerificationFailure;
use super::oid;
use super::trust::TrustStore;

/// Longest accepted chain (end-entity, intermediates and anchor).
const MAX_DEPTH: usize = 6;

/// Checks `cert`'s validity period at `at`.
pub(crate) fn check_validity(
    cert: &Certificate,
    at: SystemTime,
) -> Result<(), VerificationFailure> {
    let fmt = |t: SystemTime| {
        t.duration_since(SystemTime::UNIX_EPOCH)
            .map(|d| crate::results::rfc3339(d.as_secs()))
            .unwrap_or_else(|_| "before 1970".into())
    };
    if at < cert.not_before() {
        return Err(VerificationFailure::Validity {
            certificate: cert.display_name(),
            reason: format!("is not valid before {}", fmt(cert.not_before())),
        });
    }
    if at > cert.not_after() {
        return Err(VerificationFailure::Validity {
            certificate: cert.display_name(),
            reason: format!("expired at {}", fmt(cert.not_after())),
        });
    }
    Ok(())
}

/// Rejects certificates with a critical extension the verifier does not process.
pub(crate) fn check_critical_extensions(cert: &Certificate) -> Result<(), VerificationFailure> {
    for e in cert.tbs().extensions().map(|v| v.as_slice()).unwrap_or(&[]) {
        if e.critical && !oid::KNOWN_EXTENSIONS.contains(&e.extn_id) {
            return Err(VerificationFailure::BasicConstraints {
                certificate: cert.display_name(),
                reason: format!("unsupported critical extension {}", e.extn_id),
            });
        }
    }
    Ok(())
}

/// Checks that `ca` may issue certificates, with `below` CA certificates between it and the
/// target of the path.
fn check_ca(ca: &Certificate, below: usize) -> Result<(), VerificationFailure> {
    let fail = |reason: String| VerificationFailure::BasicConstraints {
        certificate: ca.display_name(),
        reason,
    };
    match ca.basic_constraints().map_err(fail)? {
        Some(bc) if bc.ca => {
            if let Some(max) = bc.path_len_constraint {
                if below > usize::from(max) {
                    return Err(fail(format!(
                        "pathLenConstraint {max} allows fewer CA certificates below it than the chain has ({below})"
                    )));
                }
            }
        }
        _ => {
            return Err(fail(
                "issuer is not a CA (basicConstraints cA is not TRUE)".into(),
            ))
        }
    }
    if let Some(ku) = ca.key_usage().map_err(fail)? {
        if !ku.key_cert_sign() {
            return Err(fail("issuer's keyUsage lacks keyCertSign".into()));
        }
    }
    check_critical_extensions(ca)
}

/// A validated path: the issuers of the target, nearest first, ending with the anchor.
#[derive(Debug, Clone)]
pub(crate) struct Path<'s> {
    pub issuers: Vec<&'s Certificate>,
}

/// Builds and validates a path from `target` to a trust anchor of `store` at `at`.
///
/// Checks the validity period of every certificate (the target and the anchor included), the
/// signature of every certificate but the anchor's, the CA constraints of every issuer, and
/// that no certificate carries an unsupported critical extension. The end-entity specific
/// rules (not a CA, key type) are the caller's.
pub(crate) fn build<'s>(
    target: &Certificate,
    store: &'s TrustStore,
    at: SystemTime,
) -> Result<Path<'s>, VerificationFailure> {
    if store.is_empty() {
        return Err(VerificationFailure::UntrustedChain {
            certificate: target.display_name(),
            issuer: target.issuer(),
        });
    }
    check_validity(target, at)?;
    check_critical_extensions(target)?;
    // A target that is itself an anchor is trusted as configured.
    if let Some(a) = store
        .anchors()
        .iter()
        .find(|a| a.fingerprint() == target.fingerprint())
    {
        return Ok(Path { issuers: vec![a] });
    }
    let mut issuers = Vec::new();
    extend(target, store, at, &mut issuers)?;
    Ok(Path { issuers })
}

fn extend<'s>(
    current: &Certificate,
    store: &'s TrustStore,
    at: SystemTime,
    path: &mut Vec<&'s Certificate>,
) -> Result<(), VerificationFailure> {
    let below = path.len();
    let mut best: Option<VerificationFailure> = None;
    let by_name =
        |(c, _): &(&Certificate, &Result<crypto::PublicKey, String>)| current.issued_by_name(c);

    // Anchors first: the shortest path wins.
    for (anchor, key) in store.anchor_entries().filter(by_name) {
        let key = match key {
            Ok(k) => k,
            Err(reason) => {
                best.get_or_insert(VerificationFailure::ChainSignature {
                    certificate: current.display_name(),
                    reason: format!("issuer key: {reason}"),
                });
                continue;
            }
        };
        if let Err(reason) = store.verify_signature(current, anchor, key) {
            best.get_or_insert(VerificationFailure::ChainSignature {
                certificate: current.display_name(),
                reason,
            });
            continue;
        }
        let checks = check_validity(anchor, at).and_then(|()| check_ca(anchor, below));
        match checks {
            Ok(()) => {
                path.push(anchor);
                return Ok(());
            }
            Err(e) => best = Some(e),
        }
    }

    if path.len() + 2 < MAX_DEPTH {
        for (ca, key) in store.intermediate_entries().filter(by_name) {
            if path.iter().any(|p| p.fingerprint() == ca.fingerprint()) {
                continue;
            }
            let key = match key {
                Ok(k) => k,
                Err(reason) => {
                    best.get_or_insert(VerificationFailure::ChainSignature {
                        certificate: current.display_name(),
                        reason: format!("issuer key: {reason}"),
                    });
                    continue;
                }
            };
            if let Err(reason) = store.verify_signature(current, ca, key) {
                if best.is_none() {
                    best = Some(VerificationFailure::ChainSignature {
                        certificate: current.display_name(),
                        reason,
                    });
                }
                continue;
            }
            if let Err(e) = check_validity(ca, at).and_then(|()| check_ca(ca, below)) {
                best = Some(e);
                continue;
            }
            path.push(ca);
            match extend(ca, store, at, path) {
                Ok(()) => return Ok(()),
                Err(e) => {
                    path.pop();
                    best = Some(e);
                }
            }
        }
    }

    Err(best.unwrap_or_else(|| VerificationFailure::UntrustedChain {
        certificate: current.display_name(),
        issuer: current.issuer(),
    }))
}

impl TrustStore {
    /// Validates a chain from `cert` to one of this store's anchors at `at` and returns the
    /// issuers (nearest first, the anchor last). This is the chain part of step 4 on its own:
    /// signatures, validity, CA basic constraints, key usage and path length. It applies no
    /// Smart-ID profile rule and accepts CA certificates as targets (useful to check that
    /// configured intermediates chain to the configured roots).
    pub fn verify_chain(
        &self,
        cert: &Certificate,
        at: SystemTime,
    ) -> crate::Result<Vec<Certificate>> {
        let path = build(cert, self, at)?;
        Ok(path.issuers.into_iter().cloned().collect())
    }
}
