//! An independent PKI for the revocation tests, run by the `openssl` command-line tool (the one
//! copy, used by `core/verify/tests` and `core/backend/tests`): [`OpensslCa`] is a CA made with
//! `openssl req -x509` that issues certificates with `openssl ca` (keeping its `index.txt`),
//! revokes them with a reason, writes CRLs (`openssl ca -gencrl`), and starts `openssl ocsp`
//! as a responder on a free loopback port ([`OcspResponder`], killed on drop).
//!
//! Every CA reserves two loopback ports when it is made: its OCSP responder's and one for its
//! CRL, and writes them into the AIA (`http://127.0.0.1:<port>/`) and CRL distribution point
//! (`http://127.0.0.1:<port>/crl`) of everything it issues. Keys are RSA-2048, signatures
//! SHA-256 with RSA; certificates `openssl ca` issues are valid from a day ago. Files live in a temporary directory removed on drop. `openssl ocsp -port`
//! takes no address: the responder listens on every interface; the tests only talk to it over
//! loopback.
//!
//! `openssl` (1.1 or 3.x) must be installed. A missing binary fails the test, it does not skip it.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::redis_server::{free_port, TempDir};

/// Runs `openssl args…` in `dir`; panics with its stderr when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("`openssl` must be installed (scripts/bootstrap.sh)");
    assert!(
        out.status.success(),
        "openssl {} failed: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Runs `openssl ca -batch -config openssl.cnf args…` in `dir` (the CA's own configuration).
fn openssl_ca(dir: &Path, args: &[&str]) {
    let mut all = vec!["ca", "-batch", "-config", "openssl.cnf"];
    all.extend_from_slice(args);
    openssl(dir, &all);
}

/// Writes `<stem>.key` (RSA-2048) and a request for `/CN=cn` with it, `<stem>.csr`, in `dir`;
/// returns the key, request and certificate file names.
fn key_and_request(dir: &Path, stem: &str, cn: &str) -> (String, String, String) {
    let (key, csr, pem) = (
        format!("{stem}.key"),
        format!("{stem}.csr"),
        format!("{stem}.pem"),
    );
    openssl(dir, &["genrsa", "-out", &key, "2048"]);
    openssl(
        dir,
        &[
            "req",
            "-config",
            "openssl.cnf",
            "-new",
            "-key",
            &key,
            "-subj",
            &format!("/CN={cn}"),
            "-out",
            &csr,
        ],
    );
    (key, csr, pem)
}

/// The certificate profiles an [`OpensslCa`] issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Profile {
    /// An end-entity certificate with the CA's OCSP URL (AIA) and CRL distribution point.
    EndEntity,
    /// A delegated OCSP responder: EKU `id-kp-OCSPSigning`, `id-pkix-ocsp-nocheck`.
    OcspResponder,
    /// A would-be responder without `id-kp-OCSPSigning` (EKU `clientAuth` only).
    ResponderWithoutEku,
    /// A subordinate CA, with its parent's AIA and CRL distribution point.
    SubCa,
}

impl Profile {
    fn section(self) -> &'static str {
        match self {
            Profile::EndEntity => "end_entity",
            Profile::OcspResponder => "ocsp_responder",
            Profile::ResponderWithoutEku => "responder_without_eku",
            Profile::SubCa => "sub_ca",
        }
    }
}

/// A certificate an [`OpensslCa`] issued, with its key.
#[derive(Debug, Clone)]
pub struct Issued {
    /// Its file name stem in the CA's directory (`<stem>.pem`, `<stem>.key`).
    pub stem: String,
    /// The certificate file (PEM).
    pub cert: PathBuf,
    /// The private key file (PEM).
    pub key: PathBuf,
    /// The certificate's DER.
    pub der: Vec<u8>,
}

/// A CA run by `openssl ca`. See the [module documentation](self).
#[derive(Debug)]
pub struct OpensslCa {
    dir: TempDir,
    /// The CA's subject common name.
    pub name: String,
    /// The CA certificate (its own [`Issued`]: `ca.pem`, `ca.key`).
    pub ca: Issued,
    /// The port its OCSP responder listens on once started.
    pub ocsp_port: u16,
    /// The port the tests serve its CRL on (`/crl`).
    pub crl_port: u16,
    next: std::sync::atomic::AtomicU32,
}

/// `YYMMDDHHMMSSZ` a day before now: issued certificates are valid from then, so that the
/// tests may verify a little in the past.
fn a_day_ago() -> String {
    let t = time::OffsetDateTime::now_utc() - time::Duration::days(1);
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}Z",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

fn der_of(dir: &Path, pem: &str, out: &str) -> Vec<u8> {
    openssl(dir, &["x509", "-in", pem, "-outform", "DER", "-out", out]);
    std::fs::read(dir.join(out)).expect("read DER")
}

impl OpensslCa {
    /// A new self-signed root CA named `name`.
    ///
    /// # Panics
    /// If `openssl` is missing or fails.
    pub fn new_root(name: &str) -> OpensslCa {
        let ca = Self::prepare(name);
        let dir = &ca.dir.0;
        openssl(dir, &["genrsa", "-out", "ca.key", "2048"]);
        openssl(
            dir,
            &[
                "req",
                "-config",
                "openssl.cnf",
                "-new",
                "-x509",
                "-key",
                "ca.key",
                "-subj",
                &format!("/CN={name}"),
                "-days",
                "3650",
                "-extensions",
                "v3_ca",
                "-out",
                "ca.pem",
            ],
        );
        ca.finish()
    }

    /// A new subordinate CA named `name`, issued by `self` (recorded in `self`'s index).
    ///
    /// # Panics
    /// If `openssl` fails.
    pub fn new_sub(&self, name: &str) -> OpensslCa {
        let issued = self.issue(name, Profile::SubCa);
        let sub = Self::prepare(name);
        std::fs::copy(&issued.cert, sub.dir.0.join("ca.pem")).expect("copy the sub-CA");
        std::fs::copy(&issued.key, sub.dir.0.join("ca.key")).expect("copy the sub-CA key");
        sub.finish()
    }

    fn prepare(name: &str) -> OpensslCa {
        let dir = TempDir::new("openssl-ca");
        std::fs::create_dir_all(dir.0.join("newcerts")).expect("newcerts");
        dir.write("index.txt", "");
        dir.write("serial", "1000\n");
        dir.write("crlnumber", "01\n");
        let (ocsp_port, crl_port) = (free_port(), free_port());
        let cnf = CONFIG
            .replace("@DIR@", &dir.0.display().to_string())
            .replace("@OCSP@", &format!("http://127.0.0.1:{ocsp_port}/"))
            .replace("@CRL@", &format!("http://127.0.0.1:{crl_port}/crl"));
        dir.write("openssl.cnf", &cnf);
        let ca = Issued {
            stem: "ca".into(),
            cert: dir.0.join("ca.pem"),
            key: dir.0.join("ca.key"),
            der: Vec::new(),
        };
        OpensslCa {
            dir,
            name: name.to_owned(),
            ca,
            ocsp_port,
            crl_port,
            next: std::sync::atomic::AtomicU32::new(0),
        }
    }

    fn finish(mut self) -> OpensslCa {
        self.ca.der = der_of(&self.dir.0, "ca.pem", "ca.der");
        self
    }

    /// The CA's directory (`index.txt`, `openssl.cnf`, the issued files).
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }

    /// The OCSP URL written into issued certificates.
    pub fn ocsp_url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.ocsp_port)
    }

    /// The CRL URL written into issued certificates.
    pub fn crl_url(&self) -> String {
        format!("http://127.0.0.1:{}/crl", self.crl_port)
    }

    fn stem(&self, cn: &str) -> String {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let clean: String = cn
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        format!("{n:02}-{clean}")
    }

    /// Issues a certificate for `/CN=cn` with `openssl ca` and the extensions of `profile`.
    ///
    /// # Panics
    /// If `openssl` fails.
    pub fn issue(&self, cn: &str, profile: Profile) -> Issued {
        let stem = self.stem(cn);
        let dir = self.dir();
        let (key, csr, pem) = key_and_request(dir, &stem, cn);
        openssl_ca(
            dir,
            &[
                "-extensions",
                profile.section(),
                "-notext",
                "-startdate",
                &a_day_ago(),
                "-in",
                &csr,
                "-out",
                &pem,
            ],
        );
        self.issued(stem, &key, &pem)
    }

    /// The [`Issued`] for the files `key` and `pem` of `stem` (writes `<stem>.der`).
    fn issued(&self, stem: String, key: &str, pem: &str) -> Issued {
        let dir = self.dir();
        let der = der_of(dir, pem, &format!("{stem}.der"));
        Issued {
            cert: dir.join(pem),
            key: dir.join(key),
            der,
            stem,
        }
    }

    /// Signs a certificate for `/CN=cn` with the CA key *without* recording it in
    /// `index.txt` (`openssl x509 -req`): its responder answers `unknown` for it.
    ///
    /// # Panics
    /// If `openssl` fails.
    pub fn issue_unrecorded(&self, cn: &str) -> Issued {
        let stem = self.stem(cn);
        let dir = self.dir();
        let (key, csr, pem) = key_and_request(dir, &stem, cn);
        openssl(
            dir,
            &[
                "x509",
                "-req",
                "-in",
                &csr,
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-set_serial",
                "0x7A7A7A",
                "-days",
                "30",
                "-extfile",
                "openssl.cnf",
                "-extensions",
                "end_entity",
                "-out",
                &pem,
            ],
        );
        self.issued(stem, &key, &pem)
    }

    /// Revokes `cert` with `reason` (`keyCompromise`, `superseded`, …; `openssl ca -revoke`).
    ///
    /// # Panics
    /// If `openssl` fails.
    pub fn revoke(&self, cert: &Issued, reason: &str) {
        let pem = cert.cert.display().to_string();
        openssl_ca(self.dir(), &["-revoke", &pem, "-crl_reason", reason]);
    }

    /// A CRL of the current index, valid for `hours` (`openssl ca -gencrl -crlhours`), as DER.
    ///
    /// # Panics
    /// If `openssl` fails.
    pub fn crl_der(&self, hours: u32) -> Vec<u8> {
        let dir = self.dir();
        let stem = self.stem("crl");
        let (pem, der) = (format!("{stem}.pem"), format!("{stem}.der"));
        openssl_ca(
            dir,
            &["-gencrl", "-crlhours", &hours.to_string(), "-out", &pem],
        );
        openssl(dir, &["crl", "-in", &pem, "-outform", "DER", "-out", &der]);
        std::fs::read(dir.join(der)).expect("read the CRL")
    }

    /// Starts `openssl ocsp` on [`ocsp_port`](Self::ocsp_port), answering from this CA's
    /// index, signed by `signer` (a delegated responder, or [`ca`](Self::ca) itself), with
    /// the extra arguments `extra` (e.g. `["-nmin", "1"]` for a `nextUpdate` a minute ahead,
    /// `["-resp_key_id"]`). Waits until it accepts connections.
    ///
    /// # Panics
    /// If `openssl` cannot be started or does not listen within 10 seconds.
    pub fn start_responder(&self, signer: &Issued, extra: &[&str]) -> OcspResponder {
        self.start_responder_on(self.ocsp_port, signer, extra)
    }

    /// Like [`start_responder`](Self::start_responder), on another `port`.
    ///
    /// # Panics
    /// If `openssl` cannot be started or does not listen within 10 seconds.
    pub fn start_responder_on(&self, port: u16, signer: &Issued, extra: &[&str]) -> OcspResponder {
        let log_path = self.dir().join(format!("ocsp-{port}.log"));
        let log = std::fs::File::create(&log_path).expect("log");
        let child = Command::new("openssl")
            .args(["ocsp", "-index", "index.txt", "-CA", "ca.pem", "-port"])
            .arg(port.to_string())
            .arg("-rsigner")
            .arg(&signer.cert)
            .arg("-rkey")
            .arg(&signer.key)
            .args(extra)
            .current_dir(self.dir())
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log"))
            .stderr(log)
            .spawn()
            .expect("`openssl` must be installed (scripts/bootstrap.sh)");
        let mut responder = OcspResponder { child, port };
        // Ready once it says it accepts. (Not by probing the port: openssl 3.0's responder
        // serves one connection at a time and hangs on one that closes without a request.)
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let text = std::fs::read_to_string(&log_path).unwrap_or_default();
            if text.contains("waiting for OCSP client connections") {
                break;
            }
            if let Ok(Some(status)) = responder.child.try_wait() {
                panic!("openssl ocsp exited early ({status}): {text}");
            }
            assert!(
                Instant::now() < deadline,
                "openssl ocsp does not listen on {port}: {text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        responder
    }
}

/// A running `openssl ocsp` responder; killed on drop.
#[derive(Debug)]
pub struct OcspResponder {
    child: Child,
    /// Its loopback port.
    pub port: u16,
}

impl OcspResponder {
    /// Its URL, `http://127.0.0.1:<port>/`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// POSTs the DER `request` (blocking HTTP/1.0, no client library) and returns the body.
    ///
    /// # Panics
    /// If the exchange fails or the answer is not `200`.
    pub fn post(&self, request: &[u8]) -> Vec<u8> {
        post_ocsp(self.port, request)
    }
}

impl Drop for OcspResponder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// POSTs an OCSP request to `127.0.0.1:port` over a plain TCP HTTP/1.0 exchange.
///
/// # Panics
/// If the exchange fails or the answer is not `200`.
pub fn post_ocsp(port: u16, request: &[u8]) -> Vec<u8> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the responder");
    s.set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let head = format!(
        "POST / HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\n\r\n",
        request.len()
    );
    s.write_all(head.as_bytes())
        .and_then(|()| s.write_all(request))
        .expect("send");
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).expect("read the answer");
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("an HTTP answer");
    let status = String::from_utf8_lossy(&answer[..split]).to_string();
    assert!(
        status.starts_with("HTTP/1.0 200") || status.starts_with("HTTP/1.1 200"),
        "{status}"
    );
    answer[split + 4..].to_vec()
}

const CONFIG: &str = r#"
[ ca ]
default_ca = CA_default

[ CA_default ]
dir = @DIR@
database = $dir/index.txt
new_certs_dir = $dir/newcerts
certificate = $dir/ca.pem
private_key = $dir/ca.key
serial = $dir/serial
crlnumber = $dir/crlnumber
default_md = sha256
default_days = 365
default_crl_days = 1
policy = policy_any
unique_subject = no
copy_extensions = none

[ policy_any ]
commonName = supplied

[ req ]
distinguished_name = req_dn
prompt = no

[ req_dn ]
CN = unused

[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash

[ sub_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:@OCSP@
crlDistributionPoints = URI:@CRL@

[ end_entity ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
authorityKeyIdentifier = keyid
authorityInfoAccess = OCSP;URI:@OCSP@
crlDistributionPoints = URI:@CRL@

[ ocsp_responder ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = OCSPSigning
noCheck = ignored

[ responder_without_eku ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
"#;
