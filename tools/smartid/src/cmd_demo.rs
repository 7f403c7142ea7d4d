//! `smartid demo` (`smartid serve` is in `cmd_serve`, `smartid load` in `cmd_load`).

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use sidkit_app::{NextStep, PollDisposition, PollProgress};
use sidkit_cli::demo_env::{DemoEnvArgs, DemoEnvConfig, EnvName};
use sidkit_cli::http_transport::BackendTransport;
use sidkit_cli::phone::{now_ms, Phone, PhoneError};
use sidkit_cli::reference::{
    certificate_status_lines, describe_revocation, ReferenceOptions, Stack, DEMO_ACCOUNT,
};
use sidkit_contract::{FlowKind, FlowOutcome, Presentation};
use sidkit_proto::qr::{device_link_qr, QrErrorCorrection};

use crate::error::{CliError, CmdResult};

/// Same device (App2App) or another device (dynamic QR).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DemoFlow {
    /// App2App on the same phone.
    App2app,
    /// Dynamic QR code shown on this screen, scanned by the phone.
    Qr,
}

/// How the embedded reference backend checks the revocation of the simulator's certificates
/// (`--revocation` of `smartid demo` and `smartid serve`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SimRevocation {
    /// OCSP against the simulator's responder (named in the certificates' AIA), fail closed.
    Ocsp,
    /// No revocation check (results say `revocationChecked: false`).
    Off,
}

impl SimRevocation {
    /// The backend kit's mode.
    pub fn mode(self) -> sidkit_backend::RevocationMode {
        match self {
            SimRevocation::Ocsp => sidkit_backend::RevocationMode::Ocsp,
            SimRevocation::Off => sidkit_backend::RevocationMode::Off,
        }
    }
}

/// Arguments of `smartid demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Run a signature flow instead of an authentication.
    #[arg(long)]
    sign: bool,
    /// Sign after a certificate choice (kind `certificateChoiceAndSignature`): the user picks
    /// the certificate in the Smart-ID app, the backend verifies the choice and signs with a
    /// linked notification signature on it, and the choice's callback arrives after that
    /// signature (spec §7.2). Implies `--sign`.
    #[arg(long)]
    cert_choice: bool,
    /// App2App (default) or a dynamic QR code shown in the terminal.
    #[arg(long, value_enum, default_value = "app2app")]
    flow: DemoFlow,
    /// Use a running reference backend (`smartid serve`) instead of the embedded one.
    #[arg(long)]
    backend_url: Option<String>,
    /// Environment: `sim` (embedded simulator, default) or `demo` (SK DEMO, sid.demo.sk.ee:
    /// needs network, `--ca-dir`, `--tls-ca`, `--tls-pin`, and a real Smart-ID DEMO app that
    /// scans the QR code shown here; only `--flow qr`, since App2App needs the RP app on the
    /// phone).
    #[arg(long, value_enum, default_value = "sim")]
    env: EnvName,
    #[command(flatten)]
    demo_env: DemoEnvArgs,
    /// The simulated user's account.
    #[arg(long, default_value = DEMO_ACCOUNT)]
    account: String,
    /// How many seconds the QR code is shown before the phone scans it.
    #[arg(long, default_value_t = 3)]
    qr_seconds: u64,
    /// Revocation checking by the embedded backend: `ocsp` (default; fail closed, against the
    /// simulator's OCSP responder that the certificates' AIA names) or `off`. Try `--account
    /// PNOEE-30505050078-SIM7-Q`, whose certificates are revoked.
    #[arg(long, value_enum, default_value = "ocsp")]
    revocation: SimRevocation,
}

/// The environment failed (exit code 3): a port in use, a service that does not answer, a
/// runtime that does not start.
pub(crate) fn fail(e: impl std::fmt::Display) -> CliError {
    CliError::Environment(e.to_string())
}

/// `smartid demo`: prints each step, ends with the verified identity (or signature).
pub fn demo(a: DemoArgs) -> CmdResult {
    if a.env == EnvName::Demo {
        let cfg = a.demo_env.resolve().map_err(CliError::Input)?;
        let callback_base = sidkit_cli::demo_env::default_callback_base();
        if a.demo_env.check_config {
            // Builds the TLS client and the backend (reads the CA files); no request.
            cfg.backend(callback_base, None).map_err(CliError::Input)?;
            return Ok(cfg.describe(callback_base));
        }
        if a.backend_url.is_some() {
            return Err(CliError::Input(
                "--env demo runs its own backend kit against SK DEMO; drop --backend-url".into(),
            ));
        }
        if a.flow == DemoFlow::App2app {
            return Err(CliError::Input(
                "--env demo --flow app2app: App2App runs between the RP app and the Smart-ID \
                 DEMO app on the same phone, which this terminal cannot play; use `--flow qr` \
                 (scan with a real Smart-ID DEMO app), or run `smartid serve --env demo` for \
                 the phone app"
                    .into(),
            ));
        }
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(fail)?;
        return rt.block_on(run_demo_env_qr(a, cfg));
    } else if a.demo_env.check_config {
        return Err(CliError::Input(
            "--check-config checks the --env demo configuration; add --env demo".into(),
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(fail)?;
    rt.block_on(run_demo(a))
}

fn demo_kind(a: &DemoArgs) -> FlowKind {
    if a.cert_choice {
        FlowKind::CertificateChoiceAndSignature
    } else if a.sign {
        FlowKind::Signature
    } else {
        FlowKind::Authentication
    }
}

/// `smartid demo --env demo --flow qr`: the backend kit on loopback against SK DEMO; the QR code
/// is redrawn every second until a real Smart-ID DEMO app scans it and the user confirms.
async fn run_demo_env_qr(a: DemoArgs, cfg: DemoEnvConfig) -> CmdResult {
    let t0 = Instant::now();
    let say = |s: &str| println!("[{:>5.2}s] {s}", t0.elapsed().as_secs_f64());
    let kind = demo_kind(&a);
    let backend = cfg
        .backend(sidkit_cli::demo_env::default_callback_base(), None)
        .map_err(CliError::Input)?;
    let server = sidkit_cli::reference::Server::start(
        backend.router(),
        SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    )
    .await
    .map_err(fail)?;
    say(&format!(
        "backend  backend kit at {} against {} ({}), relying party {}",
        server.base_url(),
        cfg.client.environment.name,
        cfg.client.environment.base_url,
        cfg.relying_party.name
    ));
    let phone = Phone::new(&server.base_url(), &a.account).map_err(CliError::Input)?;
    let context = (a.sign && !a.cert_choice).then_some(a.account.as_str());
    let (mut flow, next) = phone
        .start(kind, Presentation::Qr, context)
        .await
        .map_err(CliError::from)?;
    let NextStep::ShowQr { mut device_link } = next else {
        return Err(fail("expected a QR link"));
    };
    say("scan the QR code with the Smart-ID DEMO app (it is redrawn every second)");
    let outcome = loop {
        // Clear the screen and redraw: the link changes every second (elapsedSeconds).
        print!("\x1b[2J\x1b[H");
        say(&format!("tablet   {device_link}"));
        print_qr(&device_link)?;
        let PollDisposition::Send(req) = flow.begin_poll(now_ms())? else {
            return Err(fail("unexpected poll disposition"));
        };
        let resp = phone
            .transport
            .poll_flow(&req, flow.flow_key())
            .await
            .map_err(|e| CliError::from(PhoneError::from(e)))?;
        match flow.on_poll_response(resp)? {
            PollProgress::Waiting { device_link: l } => device_link = l,
            PollProgress::Finished(o) => break o,
        }
    };
    let summary = print_outcome(&outcome, &say)?;
    server.shutdown().await;
    Ok(summary)
}

async fn run_demo(a: DemoArgs) -> CmdResult {
    let t0 = Instant::now();
    let say = |s: &str| println!("[{:>5.2}s] {s}", t0.elapsed().as_secs_f64());
    let kind = demo_kind(&a);
    // What the embedded backend verified: the certificate with its revocation status.
    let verified = Arc::new(Mutex::new(Vec::new()));
    let (stack, base) = match &a.backend_url {
        Some(url) => {
            say(&format!("backend  using the reference backend at {url}"));
            (None, url.clone())
        }
        None => {
            let seen = verified.clone();
            let options = ReferenceOptions {
                revocation: a.revocation.mode(),
                on_verified: Some(Arc::new(
                    move |_, c: &sidkit_verify::VerifiedCertificate| {
                        if let Ok(mut v) = seen.lock() {
                            v.push(c.clone());
                        }
                    },
                )),
                ..ReferenceOptions::default()
            };
            let stack = Stack::start_with_options(0, 0, options)
                .await
                .map_err(fail)?;
            if stack
                .sim
                .account(&a.account)
                .is_none_or(|i| i.document_number != a.account)
            {
                let known: Vec<String> = stack
                    .sim
                    .accounts()
                    .into_iter()
                    .map(|i| i.document_number)
                    .collect();
                return Err(CliError::Input(format!(
                    "--account {}: the simulator has no account with this document number (it has {})",
                    a.account,
                    known.join(", ")
                )));
            }
            say(&format!(
                "sim      Smart-ID simulator (RP API v3 + mock device) at {}",
                stack.sim.base_url()
            ));
            say(&format!(
                "backend  reference backend at {} (in-memory SessionStore; trust anchor: the simulator's test CA)",
                stack.server.base_url()
            ));
            say(&format!(
                "backend  {}",
                describe_revocation(&stack.sim, a.revocation.mode())
            ));
            let base = stack.server.base_url();
            (Some(stack), base)
        }
    };
    let phone = Phone::new(&base, &a.account)
        .map_err(|e| CliError::Input(format!("--backend-url {base}: {e}")))?;
    // A plain signature names the signer; a certificate choice lets the user pick it.
    let context = (a.sign && !a.cert_choice).then_some(a.account.as_str());
    let outcome = match a.flow {
        DemoFlow::App2app => {
            let mut log = |s: &str| say(s);
            let (mut flow, run) = phone
                .app2app(kind, context, &mut log)
                .await
                .map_err(CliError::from)?;
            if let Some(url) = &run.return_url {
                // Idempotent repeat and a replay with another URL.
                let again = phone
                    .deliver_return_url(&mut flow, url)
                    .await
                    .map_err(CliError::from)?;
                say(&format!(
                    "phone    the same return URL again gives the same outcome: {}",
                    again == run.outcome
                ));
                let forged = url.replace("value=", "value=x");
                let probe = sidkit_contract::CompleteFlowRequest {
                    flow_handle: run.flow_handle.clone(),
                    return_url: forged,
                };
                match phone.transport.complete_flow(&probe, flow.flow_key()).await {
                    Err(e) => say(&format!("backend  a forged return URL is refused: {e}")),
                    Ok(_) => {
                        return Err(CliError::Failed(
                            "the backend accepted a forged return URL".into(),
                        ))
                    }
                }
                // The handle alone (from a log, say) is worth nothing without the flow key.
                let stranger = sidkit_contract::FlowKey::generate().map_err(fail)?;
                let replay = sidkit_contract::CompleteFlowRequest {
                    flow_handle: run.flow_handle.clone(),
                    return_url: url.clone(),
                };
                match phone.transport.complete_flow(&replay, &stranger).await {
                    Err(e) => say(&format!(
                        "backend  the genuine return URL with another flow key is an unknown flow: {e}"
                    )),
                    Ok(_) => {
                        return Err(CliError::Failed(
                            "the backend answered without the flow key".into(),
                        ))
                    }
                }
                let poll = sidkit_contract::PollFlowRequest {
                    flow_handle: run.flow_handle.clone(),
                };
                match phone.transport.poll_flow(&poll, flow.flow_key()).await {
                    Ok(sidkit_contract::PollFlowResponse::Finished {
                        result,
                        outcome: None,
                    }) => say(&format!(
                        "backend  a later poll, even with the key, says only `finished: {}` (the identity is delivered once)",
                        result.as_str()
                    )),
                    Ok(sidkit_contract::PollFlowResponse::Finished {
                        outcome: Some(o @ sidkit_contract::FlowOutcome::Failed { .. }),
                        ..
                    }) => say(&format!("backend  a later poll repeats the failure: {o:?}")),
                    Ok(other) => {
                        return Err(fail(format!("a later poll answered {other:?}")))
                    }
                    Err(e) => return Err(CliError::from(PhoneError::from(e))),
                }
            }
            run.outcome
        }
        DemoFlow::Qr => run_qr(&phone, kind, context, a.qr_seconds, &say).await?,
    };
    let summary = print_outcome(&outcome, &say)?;
    if a.backend_url.is_some() {
        say("backend  certificate status: checked by the backend at --backend-url (`smartid serve` prints it)");
    } else {
        let last = verified.lock().ok().and_then(|v| v.last().cloned());
        match last {
            Some(c) => {
                for line in certificate_status_lines(&c) {
                    say(&format!("backend  {line}"));
                }
            }
            None => say("backend  certificate status: no verified certificate reported"),
        }
    }
    if let Some(stack) = stack {
        stack.server.shutdown().await;
    }
    say(&format!("done in {:.2} s", t0.elapsed().as_secs_f64()));
    Ok(summary)
}

async fn run_qr(
    phone: &Phone,
    kind: FlowKind,
    context: Option<&str>,
    seconds: u64,
    say: &dyn Fn(&str),
) -> Result<FlowOutcome, CliError> {
    say(&format!(
        "tablet   POST /flows  {{kind: {kind}, presentation: qr}}"
    ));
    let (mut flow, next) = phone
        .start(kind, Presentation::Qr, context)
        .await
        .map_err(CliError::from)?;
    let NextStep::ShowQr { mut device_link } = next else {
        return Err(fail("expected a QR link"));
    };
    say(&format!(
        "backend  201 flowHandle {}; a fresh QR link is computed on every poll",
        flow.flow_handle().unwrap_or_default()
    ));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let mut shown = 0;
    loop {
        shown += 1;
        say(&format!("tablet   QR frame {shown}: {device_link}"));
        if shown == 1 || Instant::now() >= deadline {
            print_qr(&device_link)?;
        }
        if Instant::now() >= deadline {
            break;
        }
        // GET /flows/{handle} long-polls Smart-ID for up to a second, then answers with the
        // link for this second.
        let PollDisposition::Send(req) = flow.begin_poll(now_ms())? else {
            return Err(fail("unexpected poll disposition"));
        };
        let resp = phone
            .transport
            .poll_flow(&req, flow.flow_key())
            .await
            .map_err(|e| CliError::from(PhoneError::from(e)))?;
        match flow.on_poll_response(resp)? {
            PollProgress::Waiting { device_link: l } => device_link = l,
            PollProgress::Finished(o) => return Ok(o),
        }
    }
    say(&format!(
        "phone    the Smart-ID app scans the QR code (simulated user {})",
        phone.account
    ));
    let app = phone
        .smart_id_app(&device_link)
        .await
        .map_err(CliError::from)?;
    say(&format!("smart-id endResult {}", app.end_result));
    say("tablet   polling GET /flows/{flowHandle} until finished");
    phone
        .poll_until_finished(&mut flow)
        .await
        .map_err(CliError::from)
}

fn print_qr(link: &str) -> Result<(), CliError> {
    let m = device_link_qr(link, QrErrorCorrection::Low).map_err(fail)?;
    let w = m.width();
    let mut out = String::new();
    // Two module rows per text line, light on dark terminals inverted: '█' = light module.
    let mut y = 0;
    while y < w {
        for x in 0..w {
            let top = m.is_dark(x, y);
            let bottom = y + 1 < w && m.is_dark(x, y + 1);
            out.push(match (top, bottom) {
                (false, false) => '█',
                (false, true) => '▀',
                (true, false) => '▄',
                (true, true) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    print!("{out}");
    Ok(())
}

fn print_outcome(outcome: &FlowOutcome, say: &dyn Fn(&str)) -> CmdResult {
    match outcome {
        FlowOutcome::Authenticated { identity, app_data } => {
            say("backend  response verified: ACSP_V2 signature, chain to the trust store, Smart-ID profile, identity (App2App also: callback token binding, sessionSecretDigest, userChallengeVerifier)");
            say("phone    verified identity:");
            println!(
                "  givenName:        {}\n  surname:          {}\n  identifier:       {}\n  country:          {}\n  documentNumber:   {}\n  certificateLevel: {}\n  dateOfBirth:      {}\n  appData:          {} (one-time session reference for the app's own login)",
                identity.given_name,
                identity.surname,
                identity.identifier,
                identity.country,
                identity.document_number,
                identity.certificate_level.as_str(),
                identity.date_of_birth.as_deref().unwrap_or("-"),
                app_data.as_deref().unwrap_or("-"),
            );
            Ok(format!(
                "verified identity: {} {} ({}, {})",
                identity.given_name,
                identity.surname,
                identity.identifier,
                identity.document_number
            ))
        }
        FlowOutcome::Signed {
            signature,
            app_data,
        } => {
            say("backend  response verified (RAW_DIGEST_SIGNATURE over the digest, chain to the trust store, Smart-ID profile, signer)");
            say("phone    verified signature:");
            println!(
                "  documentNumber:     {}\n  certificateLevel:   {}\n  signatureAlgorithm: {}\n  signatureValue:     {}…\n  appData:            {}",
                signature.document_number,
                signature.certificate_level.as_str(),
                signature.signature_algorithm,
                &signature.signature_value[..signature.signature_value.len().min(48)],
                app_data.as_deref().unwrap_or("-"),
            );
            Ok(format!(
                "verified signature by {} ({})",
                signature.document_number, signature.signature_algorithm
            ))
        }
        FlowOutcome::Failed {
            end_result,
            interaction,
        } => Err(CliError::Environment(format!(
            "the Smart-ID session ended with {end_result}{}",
            interaction
                .as_deref()
                .map(|i| format!(" ({i})"))
                .unwrap_or_default()
        ))),
    }
}
