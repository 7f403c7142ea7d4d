//! SK's real LIVE and DEMO CA certificates (bundled in `core/verify/ca/`) parse, match the
//! fingerprints of `ca/README.md` and of `verify::sk_ca`, are exactly what
//! `TrustStore::sk_live()` / `sk_demo()` hold, and every intermediate chains to its root with
//! real signatures (RSA PKCS#1 v1.5 SHA-384, ECDSA P-384 and P-521).

use std::path::PathBuf;
use std::time::{Duration, SystemTime};

use sidkit_verify::VerifyError as Error;
use sidkit_verify::{sk_ca, CertRole, Certificate, TrustStore, VerificationFailure};

/// The bundled CA files (`core/verify/ca`).
fn bundle_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("ca")
}

fn ca_dir(which: &str) -> PathBuf {
    let d = bundle_dir().join(which);
    assert!(d.is_dir(), "{} not found", d.display());
    d
}

/// 2026-06-01T00:00:00Z: every published CA certificate is valid then (the oldest root expires
/// in December 2030).
fn at() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_780_272_000)
}

/// `file` → first 16 hex digits of its fingerprint, from the README table.
fn readme_prefixes() -> Vec<(String, String)> {
    let readme = std::fs::read_to_string(bundle_dir().join("README.md")).unwrap();
    readme
        .lines()
        .filter(|l| l.starts_with("| live/") || l.starts_with("| demo/"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let file = cells[1].to_owned();
            let fp = cells[5].trim_matches('`').trim_end_matches('…').to_owned();
            (file, fp)
        })
        .collect()
}

fn check_hierarchy(which: &str, table: &[sk_ca::SkCa], roots: usize, intermediates: usize) {
    let dir = ca_dir(which);
    let store = TrustStore::from_dir(&dir).unwrap();
    assert_eq!(store.anchors().len(), roots, "{which} roots");
    assert_eq!(
        store.intermediates().len(),
        intermediates,
        "{which} intermediates"
    );
    // Every file is in the table, with the same fingerprint and common name.
    let prefixes = readme_prefixes();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(files.len(), table.len());
    for path in &files {
        let name = path.file_name().unwrap().to_str().unwrap();
        let cert = Certificate::from_pem(&std::fs::read(path).unwrap())
            .unwrap()
            .remove(0);
        let entry = table
            .iter()
            .find(|e| e.file == name)
            .unwrap_or_else(|| panic!("{name} missing from sk_ca table"));
        assert_eq!(cert.fingerprint(), entry.fingerprint(), "{name}");
        assert!(
            cert.subject()
                .contains(&format!("CN={}", entry.common_name)),
            "{name}"
        );
        let (_, prefix) = prefixes
            .iter()
            .find(|(f, _)| f == &format!("{which}/{name}"))
            .unwrap_or_else(|| panic!("{name} missing from README"));
        assert!(
            cert.fingerprint().to_hex().starts_with(prefix.as_str()),
            "{name}: README says {prefix}…, file is {}",
            cert.fingerprint()
        );
    }
    // Pinning accepts the published set and rejects a store with anything else.
    let pins: Vec<_> = table.iter().map(sk_ca::SkCa::fingerprint).collect();
    store.require_fingerprints(&pins).unwrap();
    let err = store.require_fingerprints(&pins[1..]).unwrap_err();
    assert!(
        matches!(
            err,
            Error::InvalidInput {
                field: "trustStore",
                ..
            }
        ),
        "{err}"
    );
    // Every intermediate chains to a root of the same directory.
    for int in store.intermediates() {
        let chain = store
            .verify_chain(int, at())
            .unwrap_or_else(|e| panic!("{} does not chain: {e}", int.subject()));
        assert_eq!(chain.len(), 1, "{}", int.subject());
        assert!(chain[0].is_self_issued());
        assert_eq!(int.issuer(), chain[0].subject());
    }
    // Roots are trusted as configured.
    for root in store.anchors() {
        assert_eq!(store.verify_chain(root, at()).unwrap().len(), 1);
    }
    // The compiled-in set is exactly the directory's.
    let bundled = match which {
        "live" => TrustStore::sk_live().unwrap(),
        _ => TrustStore::sk_demo().unwrap(),
    };
    let fps = |s: &TrustStore, anchors: bool| {
        let mut v: Vec<String> = if anchors {
            s.anchors()
        } else {
            s.intermediates()
        }
        .iter()
        .map(|c| c.fingerprint().to_hex())
        .collect();
        v.sort();
        v
    };
    assert_eq!(fps(&bundled, true), fps(&store, true), "{which} anchors");
    assert_eq!(
        fps(&bundled, false),
        fps(&store, false),
        "{which} intermediates"
    );
    for ca in table {
        let pem = std::fs::read_to_string(dir.join(ca.file)).unwrap();
        assert_eq!(ca.pem, pem, "{} is the file as committed", ca.file);
    }
}

#[test]
fn live_hierarchy_parses_and_chains() {
    check_hierarchy("live", sk_ca::LIVE, 3, 6);
}

#[test]
fn demo_hierarchy_parses_and_chains() {
    check_hierarchy("demo", sk_ca::DEMO, 3, 4);
}

#[test]
fn readme_table_lists_every_bundled_file() {
    // The README table (full fingerprints) agrees with the code's table in both directions.
    let prefixes = readme_prefixes();
    assert_eq!(prefixes.len(), sk_ca::LIVE.len() + sk_ca::DEMO.len());
    for (which, table) in [("live", sk_ca::LIVE), ("demo", sk_ca::DEMO)] {
        for ca in table {
            let (_, fp) = prefixes
                .iter()
                .find(|(f, _)| f == &format!("{which}/{}", ca.file))
                .unwrap_or_else(|| panic!("{} missing from README", ca.file));
            assert_eq!(fp, ca.sha256, "{}", ca.file);
        }
    }
}

#[test]
fn bundled_sets_are_disjoint_and_pinned() {
    let live = TrustStore::sk_live().unwrap();
    let demo = TrustStore::sk_demo().unwrap();
    live.require_fingerprints(&sk_ca::live_fingerprints())
        .unwrap();
    demo.require_fingerprints(&sk_ca::demo_fingerprints())
        .unwrap();
    assert!(live
        .require_fingerprints(&sk_ca::demo_fingerprints())
        .is_err());
    assert!(demo
        .require_fingerprints(&sk_ca::live_fingerprints())
        .is_err());
}

#[test]
fn live_intermediates_do_not_chain_to_demo_roots() {
    let live = TrustStore::from_dir(ca_dir("live")).unwrap();
    let mut demo_roots = TrustStore::new();
    for r in TrustStore::from_dir(ca_dir("demo")).unwrap().anchors() {
        demo_roots.add_anchor(r.clone());
    }
    for int in live.intermediates() {
        let err = demo_roots.verify_chain(int, at()).unwrap_err();
        assert!(
            matches!(
                err,
                Error::Verification(VerificationFailure::UntrustedChain { .. })
            ),
            "{err}"
        );
    }
}

#[test]
fn intermediate_without_its_root_is_untrusted() {
    let live = TrustStore::from_dir(ca_dir("live")).unwrap();
    let eid_q = live
        .intermediates()
        .iter()
        .find(|c| c.subject().contains("EID-Q 2024E"))
        .unwrap();
    let mut store = TrustStore::new();
    for r in live
        .anchors()
        .iter()
        .filter(|r| r.subject().contains("G1R"))
    {
        store.add_anchor(r.clone());
    }
    let err = store.verify_chain(eid_q, at()).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verification(VerificationFailure::UntrustedChain { .. })
        ),
        "{err}"
    );
}

#[test]
fn tampered_real_intermediates_fail_their_signature() {
    // Flip the last byte of each real intermediate (a byte of its signature value) and one
    // byte of its serial number (signed data): RSA-4096 PKCS#1 v1.5, ECDSA P-384 under a P-256
    // or P-521 root — every one must now fail the signature check, never pass.
    for which in ["live", "demo"] {
        let store = TrustStore::from_dir(ca_dir(which)).unwrap();
        for int in store.intermediates() {
            let der = int.der();
            let mut sig_flipped = der.to_vec();
            *sig_flipped.last_mut().unwrap() ^= 0x01;
            // The serial number: tbsCertificate starts at offset 4 (both lengths are long
            // form), then [0] version (5 bytes), then INTEGER tag, length, first serial byte.
            let mut tbs_flipped = der.to_vec();
            assert_eq!(tbs_flipped[4 + 4 + 5], 0x02, "{}", int.subject());
            tbs_flipped[4 + 4 + 5 + 2] ^= 0x01;
            for (what, bytes) in [("signature", sig_flipped), ("serial", tbs_flipped)] {
                let Ok(cert) = Certificate::from_der(&bytes) else {
                    // An ECDSA signature whose DER no longer parses is also a rejection, but
                    // the certificate itself must still decode for this test to mean anything.
                    panic!("{what}-tampered {} no longer parses", int.subject());
                };
                let err = store.verify_chain(&cert, at()).unwrap_err();
                assert!(
                    matches!(
                        err,
                        Error::Verification(VerificationFailure::ChainSignature { .. })
                    ),
                    "{what}-tampered {}: {err}",
                    int.subject()
                );
            }
        }
    }
}

#[test]
fn expiry_of_real_roots_is_enforced() {
    let live = TrustStore::from_dir(ca_dir("live")).unwrap();
    let eid_sk = live
        .intermediates()
        .iter()
        .find(|c| c.subject().contains("EID-SK 2016"))
        .unwrap();
    // 2031-01-01: EID-SK 2016 and its root expired on 2030-12-17.
    let later = SystemTime::UNIX_EPOCH + Duration::from_secs(1_924_992_000);
    let err = live.verify_chain(eid_sk, later).unwrap_err();
    assert!(
        matches!(
            err,
            Error::Verification(VerificationFailure::Validity { .. })
        ),
        "{err}"
    );
    assert_eq!(
        TrustStore::new().add(Certificate::from_der(eid_sk.der()).unwrap()),
        CertRole::Intermediate
    );
}
