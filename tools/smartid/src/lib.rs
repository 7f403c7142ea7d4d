//! The library half of the `smartid` tool: the reference backend stack (simulator + backend kit
//! on loopback) behind `smartid demo` and `smartid serve`, and a simulated phone that drives
//! the mobile flow API with the Rust HTTP transport. The integration tests use both.
//! [`demo_env`] resolves the `--env demo` configuration (SK DEMO instead of the simulator);
//! `soak` (feature `redis-store`) is the multi-instance soak on a real `redis-server`.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod demo_env;
pub mod http_transport;
pub mod load;
pub mod phone;
pub mod reference;
#[cfg(feature = "redis-store")]
pub mod soak;
