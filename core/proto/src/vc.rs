//! Verification codes of notification-based authentication (spec §9).
//!
//! `VC = integer(last two bytes of SHA-256(rpChallenge bytes)) mod 10000`, left-padded to four
//! digits. Signing sessions get their code from the server instead (`vc.value`).

use sha2::{Digest as _, Sha256};

use crate::secret::RpChallenge;

/// The four-digit verification code for an authentication challenge.
#[doc(alias("VerificationCodeCalculator"))]
pub fn verification_code(rp_challenge: &RpChallenge) -> String {
    verification_code_for_bytes(rp_challenge.expose_bytes())
}

/// The four-digit verification code for raw challenge bytes.
pub fn verification_code_for_bytes(challenge: &[u8]) -> String {
    let h = Sha256::digest(challenge);
    let n = u16::from_be_bytes([h[30], h[31]]);
    format!("{:04}", n % 10000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vector_7180() {
        let c = RpChallenge::from_base64(
            "GYS+yoah6emAcVDNIajwSs6UB/M95XrDxMzXBUkwQJ9YFDipXXzGpPc7raWcuc2+TEoRc7WvIZ/7dU/iRXenYg==",
        )
        .unwrap();
        assert_eq!(verification_code(&c), "7180");
    }

    #[test]
    fn always_four_digits() {
        for i in 0u8..=255 {
            let vc = verification_code_for_bytes(&[i; 32]);
            assert_eq!(vc.len(), 4);
            assert!(vc.bytes().all(|b| b.is_ascii_digit()));
        }
    }
}
