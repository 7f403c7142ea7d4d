//! Secrets on the command line: the session secret as `--session-secret BASE64`, or, so that it
//! does not show in the process list and the shell history, `--session-secret-file PATH` (`-`
//! for stdin); callback URLs (which carry the callback token) likewise as `--callback-url URL`
//! or `--callback-url-file PATH|-` ([`read_inline_or_file`]). All are redacted in `Debug` and
//! zeroized on drop. At most one option of a command reads stdin.

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

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

impl SecretArg {
    /// The value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// clap's value parser of a [`SecretArg`].
pub fn secret_arg(s: &str) -> Result<SecretArg, std::convert::Infallible> {
    Ok(SecretArg(Zeroizing::new(s.to_owned())))
}

/// Whether an option already read stdin.
static STDIN_TAKEN: AtomicBool = AtomicBool::new(false);

/// Reads a file, or stdin for `-` (once per process: a second option naming `-` is bad input).
fn read_file_or_stdin(path: &Path, flag: &str) -> Result<Zeroizing<String>, CliError> {
    let mut text = Zeroizing::new(String::new());
    let read = if path.as_os_str() == "-" {
        if STDIN_TAKEN.swap(true, Ordering::SeqCst) {
            return Err(CliError::Input(format!(
                "{flag} -: stdin is already read by another option; use a file"
            )));
        }
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::File::open(path).and_then(|mut f| f.read_to_string(&mut text).map(|_| ()))
    };
    read.map_err(|e| CliError::Input(format!("{flag} {}: cannot read: {e}", path.display())))?;
    Ok(text)
}

/// The value of an option given either inline (`--x VALUE`, `inline`) or as a file
/// (`--x-file PATH`, `-` for stdin; `file_flag` names it in errors), with surrounding
/// whitespace (a trailing newline) dropped; `None` if neither was given. clap makes the two
/// conflict.
pub fn read_inline_or_file(
    inline: Option<&SecretArg>,
    file: Option<&Path>,
    file_flag: &str,
) -> Result<Option<Zeroizing<String>>, CliError> {
    let text = match (inline, file) {
        (Some(v), _) => Zeroizing::new(v.expose().to_owned()),
        (None, Some(path)) => read_file_or_stdin(path, file_flag)?,
        (None, None) => return Ok(None),
    };
    Ok(Some(Zeroizing::new(text.trim().to_owned())))
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
        let Some(text) = read_inline_or_file(
            self.session_secret.as_ref(),
            self.session_secret_file.as_deref(),
            "--session-secret-file",
        )?
        else {
            return Ok(None);
        };
        Ok(Some(SessionSecret::from_base64(&text)?))
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
