//! The ACSP_V2 signed payload of authentication sessions (spec §8.1).
//!
//! ```text
//! schemeName|ACSP_V2|serverRandom|rpChallenge|userChallenge|B64(rpName)|B64(brokeredRpName)
//!   |B64(SHA-256(interactions text))|interactionTypeUsed|initialCallbackUrl (empty for QR and
//!   Notification)|flowType
//! ```
//!
//! The Smart-ID app signs exactly these bytes with RSASSA-PSS; the verifier recomputes them
//! from what the backend sent and what the session status returned.

use std::fmt;

use sha2::{Digest as _, Sha256};

use crate::b64;
use crate::env::SchemeName;
use crate::secret::REDACTED;

/// Inputs of the ACSP_V2 payload. Every string is used exactly as sent or received. `Debug`
/// redacts the rpChallenge and the `initialCallbackUrl` (its token).
#[derive(Clone, Copy)]
pub struct AcspV2Payload<'a> {
    /// `smart-id` (LIVE) or `smart-id-demo` (DEMO).
    pub scheme_name: SchemeName,
    /// `signature.serverRandom` from the session status.
    pub server_random: &'a str,
    /// The rpChallenge Base64 text as sent.
    pub rp_challenge: &'a str,
    /// `signature.userChallenge` from the session status.
    pub user_challenge: &'a str,
    /// `relyingPartyName` as sent.
    pub relying_party_name: &'a str,
    /// The brokered RP name, if any.
    pub brokered_rp_name: Option<&'a str>,
    /// The `interactions` Base64 text as sent.
    pub interactions: &'a str,
    /// `interactionTypeUsed` from the session status.
    pub interaction_type_used: &'a str,
    /// `initialCallbackUrl` as sent, if the session had one.
    pub initial_callback_url: Option<&'a str>,
    /// `signature.flowType` from the session status.
    pub flow_type: &'a str,
}

impl fmt::Debug for AcspV2Payload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AcspV2Payload")
            .field("scheme_name", &self.scheme_name)
            .field("server_random", &self.server_random)
            .field("rp_challenge", &REDACTED)
            .field("user_challenge", &self.user_challenge)
            .field("relying_party_name", &self.relying_party_name)
            .field("brokered_rp_name", &self.brokered_rp_name)
            .field("interactions", &self.interactions)
            .field("interaction_type_used", &self.interaction_type_used)
            .field(
                "initial_callback_url",
                &self.initial_callback_url.map(|_| REDACTED),
            )
            .field("flow_type", &self.flow_type)
            .finish()
    }
}

impl AcspV2Payload<'_> {
    /// The payload bytes that are signed.
    pub fn to_bytes(&self) -> Vec<u8> {
        let callback = match self.flow_type {
            "QR" | "Notification" => "",
            _ => self.initial_callback_url.unwrap_or(""),
        };
        let fields: [&str; 11] = [
            self.scheme_name.as_str(),
            "ACSP_V2",
            self.server_random,
            self.rp_challenge,
            self.user_challenge,
            &b64::encode_std(self.relying_party_name.as_bytes()),
            &self
                .brokered_rp_name
                .map(|b| b64::encode_std(b.as_bytes()))
                .unwrap_or_default(),
            &b64::encode_std(&Sha256::digest(self.interactions.as_bytes())),
            self.interaction_type_used,
            callback,
            self.flow_type,
        ];
        fields.join("|").into_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Sha512;

    #[test]
    fn digest_vector_8_2() {
        let interactions = "W3sidHlwZSI6ImNvbmZpcm1hdGlvbk1lc3NhZ2UiLCJkaXNwbGF5VGV4dDIwMCI6IkxvbmdlciBkZXNjcmlwdGlvbiBvZiB0aGUgdHJhbnNhY3Rpb24gY29udGV4dCJ9LHsidHlwZSI6ImRpc3BsYXlUZXh0QW5kUElOIiwiZGlzcGxheVRleHQ2MCI6IlNob3J0IGRlc2NyaXB0aW9uIG9mIHRoZSB0cmFuc2FjdGlvbiBjb250ZXh0In1d";
        let p = AcspV2Payload {
            scheme_name: SchemeName::SmartId,
            server_random: "MTlop6EXCrQ6FOErcKjxUhbV",
            rp_challenge: "GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==",
            user_challenge: "GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00",
            relying_party_name: "DEMO",
            brokered_rp_name: Some("Example RP"),
            interactions,
            interaction_type_used: "confirmationMessage",
            initial_callback_url: Some(
                "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ",
            ),
            flow_type: "Web2App",
        };
        let bytes = p.to_bytes();
        assert_eq!(
            std::str::from_utf8(&bytes).unwrap(),
            "smart-id|ACSP_V2|MTlop6EXCrQ6FOErcKjxUhbV|GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==|GnsWXXEjTCKR89fj9uo5u5ReBZ9JR7_pezLAI5jMS00|REVNTw==|RXhhbXBsZSBSUA==|RW2HOCLDvRFNWmAOmpWE+3rt7a8q4JGQD3n75d6xJHM=|confirmationMessage|https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ|Web2App"
        );
        assert_eq!(
            b64::encode_std(&Sha512::digest(&bytes)),
            "pKOjbNl/5Fy8NfrFqsj6pSn8W8O+Ik8rM33QSsbyD3J9qDJvEm90SboUciuY4wHGWa0Pnq8BgT3NJKmJiUDfKg=="
        );
        // QR and Notification flows leave the callback field empty.
        let qr = AcspV2Payload {
            flow_type: "QR",
            ..p
        }
        .to_bytes();
        assert!(std::str::from_utf8(&qr)
            .unwrap()
            .ends_with("|confirmationMessage||QR"));
        let n = AcspV2Payload {
            flow_type: "Notification",
            ..p
        }
        .to_bytes();
        assert!(std::str::from_utf8(&n).unwrap().ends_with("||Notification"));
    }
}
