//! # sidkit-contract
//!
//! The contract between an RP mobile app and its own RP backend (`docs/openapi.yaml`), shared by
//! the mobile library (`sidkit-app`, `sidkit-mobile`) and the backend kit (`sidkit-backend`).
//!
//! These are the only messages the phone exchanges about a Smart-ID flow. They are plain serde
//! types with camelCase JSON, designed to map 1:1 onto an HTTP API:
//!
//! | call | HTTP | request body | response body |
//! |---|---|---|---|
//! | start a flow | `POST /flows` | [`StartFlowRequest`] | `201` [`StartFlowResponse`] |
//! | complete with the return URL | `POST /flows/{flowHandle}/complete` | [`CompleteFlowRequest`] | `200` [`FlowOutcome`] |
//! | poll (QR link stream, resume) | `GET /flows/{flowHandle}` | — ([`PollFlowRequest`]) | `200` [`PollFlowResponse`] |
//! | cancel | `DELETE /flows/{flowHandle}` | — ([`CancelFlowRequest`]) | `204` |
//! | any error | | | `4xx`/`5xx` [`ErrorBody`] |
//!
//! What crosses this boundary is deliberately limited (spec §4.3, §12.2): the backend hands the
//! phone an opaque flow handle (never the Smart-ID `sessionID`), the finished device link, the
//! session type, an expiry, and for App2App the callback base it used plus a *commitment* to the
//! per-session callback token, `BASE64URL(SHA-256(token))` (see
//! [`token_commitment`](sidkit_proto::callback::token_commitment)). The phone never receives
//! `sessionSecret`, `sessionID`, `rpChallenge`, `digest` or `initialCallbackUrl`.
//!
//! Every type has a `validate()` method. The phone calls it on everything the backend sends, and
//! the backend can call it on what the phone sends. A message that breaks a rule is a
//! [`ProtoError::InvalidInput`](sidkit_proto::ProtoError::InvalidInput) naming the field: the contract's vocabulary is the protocol's, so
//! it shares the protocol layer's error type rather than copying it.
//!
//! Feature `codec` (off by default, no extra dependency): [`codec`], a small hand-written JSON
//! codec of the messages the phone sends and receives, equal to serde_json's encoding, for
//! programs that want the contract's JSON without serde's per-type code (the mobile library).
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(feature = "codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
pub mod codec;
mod flow_key;
mod kinds;
mod limits;
mod messages;
mod outcome;
mod problem;
mod validate;

pub use flow_key::{validate_flow_key_challenge, FlowKey, FLOW_KEY_HEADER, FLOW_KEY_LEN};
pub use kinds::*;
pub use limits::*;
pub use messages::*;
pub use outcome::*;
pub use problem::*;
pub use validate::{
    decode_commitment, validate_callback_base, validate_context, validate_flow_handle,
};

#[cfg(test)]
mod tests;
