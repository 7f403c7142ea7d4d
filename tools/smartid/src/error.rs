//! How a command of `smartid` fails: [`CliError`] and the exit code it maps to, from the error
//! of every sidkit layer.
//!
//! | Exit code | Meaning |
//! |---|---|
//! | 0 | success |
//! | 1 | a verification failed, and only that (the failed check is named on stderr) |
//! | 2 | bad input or usage |
//! | 3 | the environment failed: a port in use, a service unreachable, a Smart-ID session that ended without `OK` |

/// The exit codes, as `smartid --help` prints them.
pub const EXIT_CODES_HELP: &str = "\
Exit codes:
  0  success
  1  a verification failed (and only that; the failed check is named on stderr)
  2  bad input or usage
  3  the environment failed: a port in use, a service unreachable, a Smart-ID session
     that ended without OK (e.g. USER_REFUSED)";

/// How a command failed.
#[derive(Debug)]
pub enum CliError {
    /// Bad input or usage: exit code 2.
    Input(String),
    /// A verification failed: exit code 1.
    Failed(String),
    /// The environment failed (a port in use, a service unreachable or answering out of
    /// contract, a Smart-ID session that ended without `OK`): exit code 3.
    Environment(String),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Failed(_) => 1,
            CliError::Input(_) => 2,
            CliError::Environment(_) => 3,
        }
    }
}

impl std::fmt::Display for CliError {
    /// The one line printed on stderr.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Failed(m) => write!(f, "verification failed: {m}"),
            CliError::Input(m) => write!(f, "error: {m}"),
            CliError::Environment(m) => write!(f, "error: {m}"),
        }
    }
}

/// Which class an error of a layer belongs to.
enum Class {
    Input,
    Failed,
    Environment,
}

macro_rules! cli_error_from {
    ($($t:ty => |$e:ident| $class:expr),+ $(,)?) => {$(
        impl From<$t> for CliError {
            fn from($e: $t) -> Self {
                let class: Class = $class;
                let msg = $e.to_string();
                match class {
                    Class::Input => CliError::Input(msg),
                    Class::Failed => CliError::Failed(msg),
                    Class::Environment => CliError::Environment(msg),
                }
            }
        }
    )+};
}

cli_error_from! {
    sidkit_proto::ProtoError => |e| Class::Input,
    sidkit_proto::CallbackFailure => |e| Class::Failed,
    sidkit_verify::VerifyError => |e| match &e {
        sidkit_verify::VerifyError::InvalidInput { .. } => Class::Input,
        sidkit_verify::VerifyError::Verification(_) => Class::Failed,
        // The status says the session ended without OK: nothing to verify.
        _ => Class::Environment,
    },
    sidkit_client::ClientError => |e| match &e {
        sidkit_client::ClientError::InvalidInput { .. } => Class::Input,
        // SessionEnded, or the RP API failed / answered out of contract.
        _ => Class::Environment,
    },
    sidkit_app::AppError => |e| match &e {
        sidkit_app::AppError::InvalidInput { .. } => Class::Input,
        // The phone's checks of what the backend and the OS handed it.
        sidkit_app::AppError::LinkRejected(_) | sidkit_app::AppError::ReturnUrlRejected(_) => {
            Class::Failed
        }
        _ => Class::Environment,
    },
    sidkit_backend::BackendError => |e| match &e {
        sidkit_backend::BackendError::InvalidInput { .. } => Class::Input,
        _ => Class::Environment,
    },
}

/// A failed step of the simulated phone (`smartid demo`), by what failed: the backend's
/// verification (or the phone's own checks) is exit code 1, an account the simulator does not
/// have exit code 2, anything else (the backend unreachable, another problem answer, the
/// simulated Smart-ID app failing) exit code 3.
impl From<sidkit_cli::phone::PhoneError> for CliError {
    fn from(e: sidkit_cli::phone::PhoneError) -> Self {
        use sidkit_cli::http_transport::TransportError;
        use sidkit_cli::phone::PhoneError;
        use sidkit_contract::error_codes::{CALLBACK_REJECTED, VERIFICATION_FAILED};
        match e {
            PhoneError::Transport(TransportError::Backend { ref problem, .. })
                if problem.code == VERIFICATION_FAILED || problem.code == CALLBACK_REJECTED =>
            {
                CliError::Failed(e.to_string())
            }
            PhoneError::Flow(a) => CliError::from(a),
            // The development route answers 400 with the simulator's reason.
            PhoneError::App(m) if m.contains("unknown documentNumber") => {
                CliError::Input(format!("--account: {m}"))
            }
            other => CliError::Environment(other.to_string()),
        }
    }
}

/// The result of a command: the text to print on stdout.
pub type CmdResult = Result<String, CliError>;
