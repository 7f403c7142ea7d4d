//! The session secret on the command line: `--session-secret BASE64`, or, so that it does not
//! show in the process list and the shell history, `--session-secret-file PATH` (`-` for stdin).
//! Both are redacted in `Debug` and zeroized on drop.

use std::io::Read as _;
use std::path::PathBuf;

use clap::Args;
use sidkit_proto::secret::{SessionSecret, REDACTED};
use zeroize::Zeroizing;

use crate::error::CliError;

/// A secret given as an argument value.
#[derive(Clone)]
pub struct SecretArg(Zeroizing<String>);

impl std::fmt::Debug for SecretArg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REDACTED)
    }
}

/// clap's value parser of a [`SecretArg`].
fn secret_arg(s: &str) -> Result<SecretArg, std::convert::Infallible> {
    Ok(SecretArg(Zeroizing::new(s.to_owned())))
}

/// Where the session secret comes from (at most one of the two).
#[derive(Debug, Args)]
#[group(id = "session_secret_source", multiple = false)]
pub struct SessionSecretArgs {
    /// sessionSecret of the session, standard Base64. It shows in the process list: prefer
    /// --session-secret-file.
    #[arg(long, value_name = "BASE64", value_parser = secret_arg)]
    session_secret: Option<SecretArg>,
    /// Read the sessionSecret (standard Base64) from this file, or from stdin with `-`;
    /// surrounding whitespace (a trailing newline) is dropped.
    #[arg(long, value_name = "PATH|-")]
    session_secret_file: Option<PathBuf>,
}

impl SessionSecretArgs {
    /// The secret, if one of the two options was given.
    pub fn read_optional(&self) -> Result<Option<SessionSecret>, CliError> {
        let text = match (&self.session_secret, &self.session_secret_file) {
            (Some(SecretArg(s)), _) => s.clone(),
            (None, Some(path)) => {
                let mut text = Zeroizing::new(String::new());
                let read = if path.as_os_str() == "-" {
                    std::io::stdin().read_to_string(&mut text).map(|_| ())
                } else {
                    std::fs::File::open(path)
                        .and_then(|mut f| f.read_to_string(&mut text).map(|_| ()))
                };
                read.map_err(|e| {
                    CliError::Input(format!(
                        "--session-secret-file {}: cannot read: {e}",
                        path.display()
                    ))
                })?;
                text
            }
            (None, None) => return Ok(None),
        };
        Ok(Some(SessionSecret::from_base64(text.trim())?))
    }

    /// The secret; bad input (exit 2) if neither option was given.
    pub fn read(&self) -> Result<SessionSecret, CliError> {
        self.read_optional()?.ok_or_else(|| {
            CliError::Input("give --session-secret or --session-secret-file (`-` for stdin)".into())
        })
    }

    /// Whether one of the two options was given.
    pub fn is_given(&self) -> bool {
        self.session_secret.is_some() || self.session_secret_file.is_some()
    }
}
