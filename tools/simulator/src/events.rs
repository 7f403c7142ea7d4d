//! What the simulated app records when it opens a callback ([`CallbackEvent`]).

use sidkit_proto::device_link::SessionType;
use sidkit_proto::models::FlowType;

/// One callback the simulated Smart-ID app opened (Web2App/App2App), as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackEvent {
    /// The full URL: `initialCallbackUrl&sessionSecretDigest=…[&userChallengeVerifier=…]`.
    pub url: String,
    /// The session whose secret backs `sessionSecretDigest` (for tests; a real app never
    /// learns it). For a linked signature this is the certificate-choice session.
    pub session_id: String,
    /// `auth`, `sign` or `cert`.
    pub session_type: SessionType,
    /// `Web2App` or `App2App`.
    pub flow_type: FlowType,
    /// The document number of the user.
    pub document_number: String,
    /// The `browserCookie` of the mock request (sent as `Cookie` by the GET mode).
    pub browser_cookie: Option<String>,
    /// The HTTP status of the GET ([`CallbackMode::HttpGet`](crate::CallbackMode::HttpGet)
    /// only).
    pub http_status: Option<u16>,
    /// Why delivery failed, if it did.
    pub error: Option<String>,
}
