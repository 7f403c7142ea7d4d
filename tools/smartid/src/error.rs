//! How a command of `smartid` fails: [`CliError`] and the exit code it maps to, from the error
//! of every sidkit layer.

/// How a command failed.
#[derive(Debug)]
pub enum CliError {
    /// Bad input: exit code 2.
    Input(String),
    /// A verification failed: exit code 1.
    Failed(String),
}

/// Bad input of any layer is exit code 2, everything else (a failed check, a refused session,
/// an unreachable service) exit code 1.
macro_rules! cli_error_from {
    ($($t:ty => |$e:ident| $is_input:expr),+ $(,)?) => {$(
        impl From<$t> for CliError {
            fn from($e: $t) -> Self {
                if $is_input {
                    CliError::Input($e.to_string())
                } else {
                    CliError::Failed($e.to_string())
                }
            }
        }
    )+};
}

cli_error_from! {
    sidkit_proto::ProtoError => |e| matches!(e, sidkit_proto::ProtoError::InvalidInput { .. }),
    sidkit_proto::CallbackFailure => |e| false,
    sidkit_verify::VerifyError => |e| matches!(e, sidkit_verify::VerifyError::InvalidInput { .. }),
    sidkit_client::ClientError => |e| matches!(e, sidkit_client::ClientError::InvalidInput { .. }),
    sidkit_app::AppError => |e| matches!(e, sidkit_app::AppError::InvalidInput { .. }),
    sidkit_backend::BackendError => |e| matches!(e, sidkit_backend::BackendError::InvalidInput { .. }),
}

/// The result of a command: the text to print on stdout.
pub type CmdResult = Result<String, CliError>;
