//! `smartid`: the command-line tool of sidkit.
//!
//! Every command prints its result alone on stdout and exits with
//! * 0 on success,
//! * 1 when a verification fails, and only then (the failed check is named on stderr),
//! * 2 on bad input or usage (one clear line on stderr),
//! * 3 when the environment fails: a port in use, a service unreachable, a Smart-ID session
//!   that ended without `OK` (see [`error`]).

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod cmd_demo;
mod cmd_load;
mod cmd_protocol;
mod cmd_serve;
mod cmd_simulator;
mod cmd_verify;
mod error;
mod secret_arg;
mod serve_obs;
mod serve_store;
mod verify_revocation;

/// Smart-ID RP API v3 tools: device links, callbacks, verification codes.
#[derive(Debug, Parser)]
#[command(name = "smartid", version, about, long_about = None, after_help = error::EXIT_CODES_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Build a device link (QR, Web2App or App2App) with its authCode.
    DeviceLink(Box<cmd_protocol::DeviceLinkArgs>),
    /// Compute the four-digit verification code of an authentication rpChallenge.
    VerificationCode(cmd_protocol::VerificationCodeArgs),
    /// Compute the sessionSecretDigest the Smart-ID app appends to callbacks.
    SessionSecretDigest(cmd_protocol::SessionSecretDigestArgs),
    /// Verify a callback URL: token binding, sessionSecretDigest, userChallengeVerifier.
    VerifyCallback(cmd_protocol::VerifyCallbackArgs),
    /// Verify a session status response against the request that created the session:
    /// signature, certificate chain, Smart-ID profile, identity (spec §8).
    VerifyResponse(Box<cmd_verify::VerifyResponseArgs>),
    /// The end-to-end demo: the simulator and the reference backend on loopback, and a
    /// simulated phone running an App2App (or QR) flow through the mobile flow API.
    Demo(cmd_demo::DemoArgs),
    /// The reference backend and the simulator as a local server for app development.
    Serve(cmd_serve::ServeArgs),
    /// Load harness: N concurrent App2App flows against the reference backend on loopback;
    /// prints p50/p99 latencies and memory per pending flow.
    Load(cmd_load::LoadArgs),
    /// Soak (feature `redis-store`): two backend instances on one redis-server under load,
    /// Redis restarted and one instance killed mid-run; checks that every flow ends once.
    #[cfg(feature = "redis-store")]
    Soak(cmd_load::SoakArgs),
    /// Run the offline Smart-ID simulator (RP API v3 + mock device) on a loopback port.
    Simulator(cmd_simulator::SimulatorArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::DeviceLink(a) => cmd_protocol::device_link(*a),
        Command::VerificationCode(a) => cmd_protocol::verification_code(a),
        Command::SessionSecretDigest(a) => cmd_protocol::session_secret_digest(a),
        Command::VerifyCallback(a) => cmd_protocol::verify_callback(a),
        Command::VerifyResponse(a) => cmd_verify::verify_response(*a),
        Command::Simulator(a) => cmd_simulator::simulator(a),
        Command::Demo(a) => cmd_demo::demo(a),
        Command::Serve(a) => cmd_serve::serve(a),
        Command::Load(a) => cmd_load::load(a),
        #[cfg(feature = "redis-store")]
        Command::Soak(a) => cmd_load::soak(a),
    };
    match result {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::from(e.exit_code())
        }
    }
}
