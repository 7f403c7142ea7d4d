//! Trust store loading: PEM and DER files, directories, classification, pinning.

use std::path::PathBuf;

use sidkit_testpki::TestPki;
use sidkit_verify::VerifyError as Error;
use sidkit_verify::{CertFingerprint, CertRole, Certificate, TrustStore};

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!(
        "sidkit-trust-{name}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
    ));
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn loads_pem_and_der_and_skips_other_files() {
    let pki = TestPki::generate("TEST of sidkit trust").unwrap();
    let dir = temp_dir("mixed");
    std::fs::write(dir.join("root.pem.crt"), pki.root.pem()).unwrap();
    std::fs::write(dir.join("intermediate.der"), pki.intermediate.der()).unwrap();
    std::fs::write(dir.join("README.md"), "# not a certificate\n").unwrap();
    std::fs::create_dir(dir.join("subdir")).unwrap();
    let store = TrustStore::from_dir(&dir).unwrap();
    assert_eq!(store.anchors().len(), 1);
    assert_eq!(store.intermediates().len(), 1);
    assert!(store.anchors()[0].is_self_issued());
    assert!(store.anchors()[0].is_ca());
    // Loading again adds nothing.
    let mut again = store.clone();
    assert_eq!(again.load_dir(&dir).unwrap(), 2);
    assert_eq!(again.anchors().len() + again.intermediates().len(), 2);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn bundle_with_text_around_the_blocks() {
    let pki = TestPki::generate("TEST of sidkit bundle").unwrap();
    let bundle = format!(
        "subject=root\n{}\nBag Attributes: x\n{}",
        pki.root.pem(),
        pki.intermediate.pem()
    );
    let mut store = TrustStore::new();
    assert_eq!(store.add_pem(bundle.as_bytes()).unwrap(), 2);
    assert_eq!(store.anchors().len(), 1);
    let c = Certificate::from_pem(pki.intermediate.pem().as_bytes()).unwrap();
    assert_eq!(
        c[0].fingerprint(),
        CertFingerprint::of(pki.intermediate.der())
    );
    assert_eq!(TrustStore::new().add(c[0].clone()), CertRole::Intermediate);
}

#[test]
fn broken_files_are_input_errors() {
    let dir = temp_dir("broken");
    std::fs::write(
        dir.join("bad.pem"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let err = TrustStore::from_dir(&dir).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { reason, .. } if reason.contains("bad.pem")),
        "{err}"
    );
    std::fs::write(dir.join("bad.pem"), b"\x30\x03\x02\x01\x00").unwrap();
    assert!(TrustStore::from_dir(&dir).is_err());
    std::fs::remove_file(dir.join("bad.pem")).unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing here").unwrap();
    let err = TrustStore::from_dir(&dir).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { reason, .. } if reason.contains("no certificate")),
        "{err}"
    );
    assert!(TrustStore::from_dir(dir.join("missing")).is_err());
    assert!(Certificate::from_pem(b"no pem here").is_err());
    assert!(Certificate::from_der(&[0x30, 0x00]).is_err());
    // Trailing bytes after a DER certificate are rejected.
    let pki = TestPki::generate("TEST of sidkit trailing").unwrap();
    let mut der = pki.root.der().to_vec();
    der.push(0);
    assert!(Certificate::from_der(&der).is_err());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pinning() {
    let pki = TestPki::generate("TEST of sidkit pins").unwrap();
    let mut store = TrustStore::new();
    store.add_der(pki.root.der()).unwrap();
    store.add_der(pki.intermediate.der()).unwrap();
    let root = CertFingerprint::of(pki.root.der());
    let int =
        CertFingerprint::from_hex(&CertFingerprint::of(pki.intermediate.der()).to_hex()).unwrap();
    store.require_fingerprints(&[root, int]).unwrap();
    let err = store.require_fingerprints(&[root]).unwrap_err();
    assert!(
        matches!(&err, Error::InvalidInput { reason, .. } if reason.contains("EID-Q")),
        "{err}"
    );
}
