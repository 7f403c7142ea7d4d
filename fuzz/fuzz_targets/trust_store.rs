//! Trust-store loading of hostile CA files (`sidkit_verify::TrustStore`): the input as a file
//! (`load_file`, which takes PEM when it has a `-----BEGIN ` line and DER otherwise), as PEM
//! text (`add_pem`, `Certificate::from_pem`) and as one DER certificate (`add_der`,
//! `Certificate::from_der`). They never panic, and:
//!
//! * `load_file` does exactly what `add_pem` or `add_der` does for those bytes;
//! * every loaded certificate keeps its DER as read (its fingerprint is the SHA-256 of it);
//!   `x509-cert` parses that DER and re-encodes it to DER that parses again, to a certificate
//!   with the same subject, issuer, serial, validity and self-issued flag (the same bytes
//!   when nothing was normalised), and re-encodes stably;
//! * a certificate is an anchor exactly when it is self-issued; adding the same certificates
//!   again adds nothing; `require_fingerprints` accepts the store's own fingerprints and
//!   refuses a store with any certificate not among the pins.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sha2::{Digest, Sha256};
use sidkit_verify::{CertFingerprint, CertRole, Certificate, TrustStore};
use x509_cert::der::{Decode, Encode};

/// A file of this process's own for `load_file`.
fn scratch() -> &'static std::path::Path {
    static P: OnceLock<std::path::PathBuf> = OnceLock::new();
    P.get_or_init(|| {
        std::env::temp_dir().join(format!("sidkit-fuzz-trust-{}.crt", std::process::id()))
    })
}

/// Removes the scratch file at the end of the input.
struct RemoveOnDrop(&'static std::path::Path);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(self.0);
    }
}

fn check_cert(c: &Certificate) {
    let der = c.der();
    assert_eq!(c.fingerprint(), CertFingerprint(Sha256::digest(der).into()));
    let parsed = x509_cert::Certificate::from_der(der).expect("a loaded certificate parses");
    // Re-encoding may normalise (SK's 2016 CAs carry a notAfter before 2050 as
    // GeneralizedTime, which RFC 5280 wants as UTCTime), so it need not give the same bytes;
    // it must give DER that parses again to the same certificate, and re-encode stably.
    let again = parsed.to_der().expect("a parsed certificate encodes");
    let reparsed = x509_cert::Certificate::from_der(&again).expect("re-encoded DER parses");
    assert_eq!(
        reparsed.to_der().expect("encodes"),
        again,
        "re-encoding is not stable"
    );
    let c2 = Certificate::from_der(&again).expect("re-encoded DER parses again");
    if again == der {
        assert_eq!(&c2, c);
    }
    assert_eq!(c2.subject(), c.subject());
    assert_eq!(c2.issuer(), c.issuer());
    assert_eq!(c2.serial_hex(), c.serial_hex());
    assert_eq!(c2.not_before(), c.not_before());
    assert_eq!(c2.not_after(), c.not_after());
    assert_eq!(c2.is_self_issued(), c.is_self_issued());
}

fn check_store(s: &TrustStore, added: &[Certificate]) {
    for c in s.anchors() {
        check_cert(c);
        assert!(c.is_self_issued(), "a non-self-issued anchor");
    }
    for c in s.intermediates() {
        check_cert(c);
        assert!(!c.is_self_issued(), "a self-issued intermediate");
    }
    let all: Vec<&Certificate> = s.anchors().iter().chain(s.intermediates()).collect();
    for c in added {
        assert!(all.contains(&c), "an added certificate is missing");
    }
    for (i, a) in all.iter().enumerate() {
        assert!(
            !all[i + 1..].contains(a),
            "a certificate is in the store twice"
        );
    }
    assert_eq!(s.is_empty(), s.anchors().is_empty());
    let pins: Vec<CertFingerprint> = all.iter().map(|c| c.fingerprint()).collect();
    assert!(s.require_fingerprints(&pins).is_ok());
    if !pins.is_empty() {
        assert!(s.require_fingerprints(&pins[1..]).is_err());
    }
}

fuzz_target!(|data: &[u8]| {
    let is_pem = data.windows(11).any(|w| w == b"-----BEGIN ");

    let mut pem_store = TrustStore::new();
    let pem = pem_store.add_pem(data);
    let parsed_pem = Certificate::from_pem(data);
    assert_eq!(
        pem.as_ref().ok(),
        parsed_pem.as_ref().ok().map(Vec::len).as_ref()
    );
    if let Ok(certs) = &parsed_pem {
        assert!(!certs.is_empty());
        check_store(&pem_store, certs);
        let before = (pem_store.anchors().len(), pem_store.intermediates().len());
        assert_eq!(pem_store.add_pem(data).ok(), Some(certs.len()));
        let after = (pem_store.anchors().len(), pem_store.intermediates().len());
        assert_eq!(
            before, after,
            "adding the same certificates again changed the store"
        );
    } else {
        assert!(pem_store.anchors().is_empty() && pem_store.intermediates().is_empty());
    }

    let mut der_store = TrustStore::new();
    let der = der_store.add_der(data);
    let parsed_der = Certificate::from_der(data);
    assert_eq!(der.is_ok(), parsed_der.is_ok());
    if let (Ok(role), Ok(c)) = (&der, &parsed_der) {
        assert_eq!(c.der(), data);
        assert_eq!(*role == CertRole::Anchor, c.is_self_issued());
        check_store(&der_store, std::slice::from_ref(c));
    }

    // `load_file` picks the reader by the content and does what it does.
    if std::fs::write(scratch(), data).is_ok() {
        let _cleanup = RemoveOnDrop(scratch());
        let mut file_store = TrustStore::new();
        let loaded = file_store.load_file(scratch());
        let expected = if is_pem {
            pem.as_ref().ok().copied()
        } else {
            der.as_ref().ok().map(|_| 1)
        };
        assert_eq!(
            loaded.as_ref().ok().copied(),
            expected,
            "load_file: {loaded:?}"
        );
        let model = if is_pem { &pem_store } else { &der_store };
        if loaded.is_ok() {
            assert_eq!(file_store.anchors(), model.anchors());
            assert_eq!(file_store.intermediates(), model.intermediates());
        }
    }
});
