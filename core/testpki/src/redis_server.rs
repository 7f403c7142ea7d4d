//! A private `redis-server` for the tests of the Redis session store (the one copy, used by
//! `core/backend/tests` and `tools/smartid/tests`): [`RedisServer::start`] on a free loopback
//! port over plain TCP, [`RedisServer::start_tls`] over TLS with the certificates of a
//! [`RedisTestPki`] (a CA generated for the test, a server certificate for `localhost`,
//! `127.0.0.1` and `::1`, a client certificate), with or without required client certificates.
//! The server keeps nothing on disk and is killed on drop; its log and the PEM files live in a
//! temporary directory that is removed on drop. [`RedisServer::start_durable`] keeps an
//! append-only file fsynced on every write instead, so that [`RedisServer::kill`] (`SIGKILL`)
//! and [`RedisServer::restart`] (same port, same data) lose no acknowledged write: the soak's
//! Redis restart.
//!
//! `redis-server` and `redis-cli` (Debian's, built with TLS) must be installed:
//! `scripts/bootstrap.sh` installs them. A missing binary fails the test, it does not skip it.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};

/// A directory under the system's temporary directory, removed (with its files) on drop.
#[derive(Debug)]
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(what: &str) -> TempDir {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let tag: String = sidkit_proto::secret::random_bytes(6)
            .expect("random bytes")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let dir = std::env::temp_dir().join(format!(
            "sidkit-{what}-{}-{}-{tag}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir).expect("temporary directory");
        TempDir(dir)
    }

    pub(crate) fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, text).expect("write a test file");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn key() -> KeyPair {
    KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("P-256 key")
}

fn name(cn: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "sidkit tests");
    dn.push(DnType::CommonName, cn);
    dn
}

/// The TLS certificates of a test Redis: a CA generated for this instance only (its name
/// carries a random tag, so another instance's CA is a "wrong" root), a server certificate for
/// `localhost`, `127.0.0.1` and `::1`, and a client certificate (`clientAuth`), all ECDSA P-256
/// and signed by the CA. In memory as PEM and in files of a temporary directory (removed on
/// drop). Test keys only: nothing here is secret.
#[derive(Debug)]
pub struct RedisTestPki {
    dir: TempDir,
    ca_pem: String,
    client_cert_pem: String,
    client_key_pem: String,
}

impl RedisTestPki {
    /// A new CA with its server and client certificates.
    ///
    /// # Panics
    /// If a key or certificate cannot be generated or a file cannot be written.
    pub fn generate() -> RedisTestPki {
        let dir = TempDir::new("redis-pki");
        let tag: String = sidkit_proto::secret::random_bytes(4)
            .expect("random bytes")
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let mut ca = CertificateParams::default();
        ca.distinguished_name = name(&format!("sidkit test Redis CA {tag}"));
        ca.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        ca.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        let ca_key = key();
        let ca_cert = ca.self_signed(&ca_key).expect("CA certificate");
        let issuer = Issuer::from_params(&ca, &ca_key);

        let leaf = |sans: Vec<String>, cn: &str, eku: ExtendedKeyUsagePurpose| {
            let mut p = CertificateParams::new(sans).expect("certificate names");
            p.distinguished_name = name(cn);
            p.is_ca = IsCa::ExplicitNoCa;
            p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
            p.extended_key_usages = vec![eku];
            let k = key();
            let cert = p.signed_by(&k, &issuer).expect("leaf certificate");
            (cert.pem(), k.serialize_pem())
        };
        let (server_pem, server_key) = leaf(
            vec!["localhost".into(), "127.0.0.1".into(), "::1".into()],
            "sidkit test Redis server",
            ExtendedKeyUsagePurpose::ServerAuth,
        );
        let (client_cert_pem, client_key_pem) = leaf(
            Vec::new(),
            "sidkit test Redis client",
            ExtendedKeyUsagePurpose::ClientAuth,
        );
        let ca_pem = ca_cert.pem();
        dir.write("ca.pem", &ca_pem);
        dir.write("server.pem", &server_pem);
        dir.write("server.key", &server_key);
        dir.write("client.pem", &client_cert_pem);
        dir.write("client.key", &client_key_pem);
        RedisTestPki {
            dir,
            ca_pem,
            client_cert_pem,
            client_key_pem,
        }
    }

    /// The CA certificate (PEM): the root a client must trust.
    pub fn ca_pem(&self) -> &str {
        &self.ca_pem
    }

    /// The client certificate (PEM).
    pub fn client_cert_pem(&self) -> &str {
        &self.client_cert_pem
    }

    /// The client certificate's private key (PKCS#8 PEM).
    pub fn client_key_pem(&self) -> &str {
        &self.client_key_pem
    }

    /// The file of [`ca_pem`](Self::ca_pem).
    pub fn ca_file(&self) -> PathBuf {
        self.dir.0.join("ca.pem")
    }

    /// The file of [`client_cert_pem`](Self::client_cert_pem).
    pub fn client_cert_file(&self) -> PathBuf {
        self.dir.0.join("client.pem")
    }

    /// The file of [`client_key_pem`](Self::client_key_pem).
    pub fn client_key_file(&self) -> PathBuf {
        self.dir.0.join("client.key")
    }

    /// The directory of the files (e.g. for a test's own files beside them).
    pub fn dir(&self) -> &Path {
        &self.dir.0
    }
}

/// The TLS files `redis-cli` needs to talk to a TLS [`RedisServer`].
#[derive(Debug)]
struct CliTls {
    ca: PathBuf,
    cert: PathBuf,
    key: PathBuf,
}

/// A private `redis-server` on a free loopback port, killed on drop (see the
/// [module](self)).
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
    tls: Option<CliTls>,
    /// The listen and persistence arguments, for a restart.
    args: Vec<String>,
    dir: TempDir,
}

pub(crate) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

impl RedisServer {
    /// A server over plain TCP on `127.0.0.1`.
    ///
    /// # Panics
    /// If `redis-server` is not installed or does not start.
    pub fn start() -> RedisServer {
        let port = free_port();
        Self::spawn(port, vec!["--port".into(), port.to_string()], None)
    }

    /// A server over plain TCP whose data survives [`kill`](Self::kill) and
    /// [`restart`](Self::restart): an append-only file, fsynced on every write.
    ///
    /// # Panics
    /// If `redis-server` is not installed or does not start.
    pub fn start_durable() -> RedisServer {
        let port = free_port();
        let args = [
            "--port",
            &port.to_string(),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ]
        .map(str::to_owned)
        .to_vec();
        Self::spawn(port, args, None)
    }

    /// Kills the server at once (`SIGKILL`, as a crash); [`restart`](Self::restart) brings it
    /// back. No effect if it is not running.
    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Starts the server again on the same port with the same data directory (after
    /// [`kill`](Self::kill); a running server is killed first).
    ///
    /// # Panics
    /// If it does not start.
    pub fn restart(&mut self) {
        self.kill();
        self.child = Some(Self::launch(self.port, &self.args, &self.dir));
    }

    /// A server over TLS only (no plain port) on `127.0.0.1` with the server certificate of
    /// `pki` (and on `127.0.0.2`, an address the certificate does not name, to check that
    /// clients verify the name); with `require_client_cert` it accepts only clients that present a certificate
    /// of `pki`'s CA (`--tls-auth-clients yes`), otherwise any client (`no`).
    ///
    /// # Panics
    /// If `redis-server` is not installed or does not start.
    pub fn start_tls(pki: &RedisTestPki, require_client_cert: bool) -> RedisServer {
        let port = free_port();
        let d = &pki.dir.0;
        let file = |n: &str| d.join(n).to_string_lossy().into_owned();
        let args = [
            "--port",
            "0",
            "--tls-port",
            &port.to_string(),
            "--tls-cert-file",
            &file("server.pem"),
            "--tls-key-file",
            &file("server.key"),
            "--tls-ca-cert-file",
            &file("ca.pem"),
            "--tls-auth-clients",
            if require_client_cert { "yes" } else { "no" },
            "--bind",
            "127.0.0.1",
            "127.0.0.2",
        ]
        .map(str::to_owned)
        .to_vec();
        let tls = CliTls {
            ca: pki.ca_file(),
            cert: pki.client_cert_file(),
            key: pki.client_key_file(),
        };
        Self::spawn(port, args, Some(tls))
    }

    fn spawn(port: u16, args: Vec<String>, tls: Option<CliTls>) -> RedisServer {
        let dir = TempDir::new("redis");
        let child = Self::launch(port, &args, &dir);
        RedisServer {
            child: Some(child),
            port,
            tls,
            args,
            dir,
        }
    }

    /// Runs `redis-server` with `args` (persistence off unless they turn it on) and waits
    /// until it accepts connections on `port`.
    fn launch(port: u16, args: &[String], dir: &TempDir) -> Child {
        let log = dir.0.join("redis.log");
        let durable = args.iter().any(|a| a == "--appendonly");
        let mut cmd = Command::new("redis-server");
        cmd.args(["--bind", "127.0.0.1", "--protected-mode", "yes"])
            .args(args)
            .args(["--save", ""]);
        if !durable {
            cmd.args(["--appendonly", "no"]);
        }
        let mut child = cmd
            .arg("--dir")
            .arg(&dir.0)
            .arg("--logfile")
            .arg(&log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server must be installed (scripts/bootstrap.sh installs it)");
        for _ in 0..200 {
            if let Ok(Some(status)) = child.try_wait() {
                let log = std::fs::read_to_string(&log).unwrap_or_default();
                panic!("redis-server exited ({status}) on port {port}:\n{log}");
            }
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return child;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        panic!("redis-server did not start on port {port}:\n{log}");
    }

    /// The port it listens on (TLS only, for [`start_tls`](Self::start_tls)).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether it speaks TLS.
    pub fn is_tls(&self) -> bool {
        self.tls.is_some()
    }

    /// `redis://127.0.0.1:<port>/`, or `rediss://` for a TLS server.
    pub fn url(&self) -> String {
        let scheme = if self.is_tls() { "rediss" } else { "redis" };
        format!("{scheme}://127.0.0.1:{}/", self.port)
    }

    /// The server's log so far (for a failing test's message).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.0.join("redis.log")).unwrap_or_default()
    }

    /// A `redis-cli` command connected to this server (over TLS with the test CA and the
    /// client certificate for a TLS server: keep its [`RedisTestPki`] alive); add the
    /// command's arguments.
    pub fn cli(&self) -> Command {
        let mut c = Command::new("redis-cli");
        c.args(["-h", "127.0.0.1", "-p", &self.port.to_string()]);
        if let Some(t) = &self.tls {
            c.arg("--tls")
                .arg("--cacert")
                .arg(&t.ca)
                .arg("--cert")
                .arg(&t.cert)
                .arg("--key")
                .arg(&t.key);
        }
        c
    }

    /// Runs `redis-cli` with `args` and returns its output lines.
    ///
    /// # Panics
    /// If `redis-cli` is not installed or fails.
    pub fn cli_lines(&self, args: &[&str]) -> Vec<String> {
        let out = self
            .cli()
            .args(args)
            .output()
            .expect("redis-cli must be installed");
        assert!(
            out.status.success(),
            "redis-cli {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Every key on the server with the fields and values of its hash (`--scan`, then
    /// `HGETALL` of each key; the session store keeps each entry as a hash, its values have
    /// no line breaks).
    pub fn dump(&self) -> Vec<(String, Vec<(String, String)>)> {
        self.cli_lines(&["--scan"])
            .into_iter()
            .filter(|k| !k.is_empty())
            .map(|k| {
                let lines = self.cli_lines(&["HGETALL", &k]);
                let fields = lines
                    .chunks(2)
                    .map(|p| (p[0].clone(), p.get(1).cloned().unwrap_or_default()))
                    .collect();
                (k, fields)
            })
            .collect()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
