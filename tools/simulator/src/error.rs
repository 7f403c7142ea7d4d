//! The simulator's error type ([`SimulatorError`]), shared by every module that can fail
//! while starting or scripting the simulator.

/// Errors of starting or scripting the simulator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SimulatorError {
    /// Binding the socket or writing files failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// A protocol value was invalid (e.g. an account's document number).
    #[error(transparent)]
    Protocol(#[from] sidkit_proto::ProtoError),
    /// Generating the TLS identity failed.
    #[error("TLS setup failed: {0}")]
    Tls(String),
    /// An account, relying party or setting does not exist or conflicts.
    #[error("{0}")]
    Config(String),
}
