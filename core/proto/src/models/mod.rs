//! Wire models of the Smart-ID RP API v3 (spec §2, §3, §10).
//!
//! Field names are the exact JSON names (`relyingPartyUUID`, `initialCallbackUrl`, `sessionID`);
//! optional fields are omitted rather than sent as `null`; unknown fields in responses are
//! ignored. Every request type has a `validate()` method that applies the spec's rules; the
//! builders in [`crate::request`] call it, and a server (the simulator) can call it on what it
//! receives.
//!
//! Response values that end up in signed payloads (`flowType`, `interactionTypeUsed`,
//! `serverRandom`, `userChallenge`) are kept as the exact strings received; typed accessors
//! interpret them.

//!
//! | module | what |
//! |---|---|
//! | `common` | enums and parameter objects shared by requests and responses, [`SessionType`], [`DeviceLinkType`] |
//! | `requests` | the bodies of every session-creating endpoint, [`Subject`] |
//! | `responses` | session responses, the session status, [`EndResult`], RFC 9457 problem bodies |

/// Declares a string enum with exact protocol names.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $var:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$vm])* $var),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$var),+];

            /// The exact protocol string.
            pub const fn as_str(self) -> &'static str {
                match self { $($name::$var => $s),+ }
            }

            /// Parses the exact protocol string.
            pub fn parse(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$var),)+ _ => None }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }

        impl std::str::FromStr for $name {
            type Err = ProtoError;
            fn from_str(s: &str) -> Result<Self> {
                $name::parse(s).ok_or_else(|| ProtoError::invalid(
                    stringify!($name),
                    format!("unknown value `{}` (expected one of: {})", s,
                        [$($s),+].join(", ")),
                ))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                $name::parse(&s).ok_or_else(|| serde::de::Error::custom(format!(
                    "unknown {} `{}`", stringify!($name), s)))
            }
        }
    };
}

mod common;
mod requests;
mod responses;

pub use crate::session_end::EndResult;
pub use common::*;
pub use requests::*;
pub use responses::*;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::models::EndResult;

    #[test]
    fn enums_roundtrip() {
        for l in CertificateLevel::ALL {
            assert_eq!(CertificateLevel::parse(l.as_str()), Some(*l));
        }
        assert_eq!(
            serde_json::to_string(&SignatureAlgorithm::Sha256WithRsaEncryption).unwrap(),
            "\"sha256WithRSAEncryption\""
        );
        assert_eq!(
            serde_json::from_str::<HashAlgorithm>("\"SHA3-384\"").unwrap(),
            HashAlgorithm::Sha3_384
        );
        assert!(serde_json::from_str::<HashAlgorithm>("\"sha-256\"").is_err());
        assert_eq!(EndResult::parse("WRONG_VC"), EndResult::WrongVc);
        assert_eq!(
            EndResult::parse("SOMETHING_NEW"),
            EndResult::Unknown("SOMETHING_NEW".into())
        );
    }

    #[test]
    fn level_ordering() {
        use CertificateLevel::*;
        assert!(Qualified.satisfies(Advanced));
        assert!(Qualified.satisfies(Qualified));
        assert!(Qualified.satisfies(Qscd));
        assert!(!Advanced.satisfies(Qualified));
        assert!(Advanced.satisfies(Advanced));
    }
}
