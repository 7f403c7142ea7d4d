//! The person in a Smart-ID certificate (spec §8 step 8): from the subject `serialNumber`
//! (`PNOEE-30001010004`), `givenName` and `surname`, never from the CN.

use std::fmt;

use serde::{Serialize, Serializer};

use super::cert::Certificate;
use super::failure::VerificationFailure;
use super::oid;
use sidkit_proto::ident::{IdentityType, SemanticsIdentifier};

/// A calendar date (date of birth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct BirthDate {
    /// Year, e.g. 1990.
    pub year: u16,
    /// Month, 1–12.
    pub month: u8,
    /// Day of the month, 1–31.
    pub day: u8,
}

impl BirthDate {
    /// A date if it exists in the Gregorian calendar.
    pub fn new(year: u16, month: u8, day: u8) -> Option<Self> {
        let leap =
            (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (year > 0 && (1..=days).contains(&day)).then_some(BirthDate { year, month, day })
    }
}

impl fmt::Display for BirthDate {
    /// ISO 8601: `YYYY-MM-DD`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl Serialize for BirthDate {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The verified identity of a Smart-ID user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
#[doc(alias("AuthenticationIdentity"))]
pub struct CertificateIdentity {
    /// The semantics identifier from the subject `serialNumber`, e.g. `PNOEE-30001010004`.
    pub identity_code: String,
    /// `PNO`, `IDC` or `PAS`.
    #[serde(serialize_with = "ser_identity_type")]
    pub identity_type: IdentityType,
    /// The country of the identifier (ISO 3166-1 alpha-2).
    pub country: String,
    /// The national identifier without type and country (`30001010004`).
    pub national_identifier: String,
    /// Subject `givenName`, if present.
    pub given_name: Option<String>,
    /// Subject `surname`, if present.
    pub surname: Option<String>,
    /// Date of birth: the certificate's `dateOfBirth` attribute if present, else derived from
    /// an Estonian, Latvian (old format) or Lithuanian personal code; `None` otherwise.
    pub date_of_birth: Option<BirthDate>,
}

fn ser_identity_type<S: Serializer>(t: &IdentityType, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(t.as_str())
}

fn single(
    cert: &Certificate,
    attr: &oid::Oid,
    name: &str,
) -> Result<Option<String>, VerificationFailure> {
    let mut v = cert
        .subject_attribute(attr)
        .map_err(VerificationFailure::Identity)?;
    match v.len() {
        0 => Ok(None),
        1 => Ok(v.pop()),
        _ => Err(VerificationFailure::Identity(format!(
            "the subject has more than one {name}"
        ))),
    }
}

impl CertificateIdentity {
    /// Extracts the identity of a certificate's subject.
    ///
    /// Fails when `serialNumber` is missing, repeated, or not a semantics identifier
    /// (`PNO`/`IDC`/`PAS` + country + `-` + identifier). National check digits are not
    /// enforced here (the CA vouches for the value; SK's DEMO accounts include codes with
    /// invalid check digits).
    pub fn from_certificate(cert: &Certificate) -> Result<Self, VerificationFailure> {
        let serial = single(cert, &oid::SERIAL_NUMBER, "serialNumber")?.ok_or_else(|| {
            VerificationFailure::Identity("the subject has no serialNumber".into())
        })?;
        let id = SemanticsIdentifier::parse_without_check_digit(&serial).map_err(|_| {
            VerificationFailure::Identity(format!(
                "subject serialNumber `{}` is not a semantics identifier (PNO/IDC/PAS + country)",
                serial.chars().take(64).collect::<String>()
            ))
        })?;
        let given_name = single(cert, &oid::GIVEN_NAME, "givenName")?;
        let surname = single(cert, &oid::SURNAME, "surname")?;
        let from_attribute = match cert.date_of_birth_attribute() {
            Ok(Some((y, m, d))) => Some(BirthDate::new(y, m, d).ok_or_else(|| {
                VerificationFailure::Identity("dateOfBirth attribute is not a valid date".into())
            })?),
            Ok(None) => None,
            Err(e) => return Err(VerificationFailure::Identity(e)),
        };
        let date_of_birth = from_attribute.or_else(|| date_of_birth_from_code(&id));
        Ok(CertificateIdentity {
            identity_code: id.to_string(),
            identity_type: id.identity_type(),
            country: id.country().to_owned(),
            national_identifier: id.identifier().to_owned(),
            given_name,
            surname,
            date_of_birth,
        })
    }
}

/// The date of birth encoded in an Estonian/Lithuanian (`GYYMMDDSSSC`) or old-format Latvian
/// (`DDMMYY-CNNNN`) personal code; `None` for other identifiers and for Latvian codes issued
/// since July 2017 (they start with `32`…`39` and carry no date).
pub fn date_of_birth_from_code(id: &SemanticsIdentifier) -> Option<BirthDate> {
    if id.identity_type() != IdentityType::Pno {
        return None;
    }
    let code = id.identifier().as_bytes();
    let num = |r: std::ops::Range<usize>| -> Option<u16> {
        let s = code.get(r)?;
        s.iter()
            .all(u8::is_ascii_digit)
            .then(|| s.iter().fold(0u16, |a, d| a * 10 + u16::from(d - b'0')))
    };
    match id.country() {
        "EE" | "LT" => {
            if code.len() != 11 {
                return None;
            }
            let century = match code[0] {
                b'1' | b'2' => 1800,
                b'3' | b'4' => 1900,
                b'5' | b'6' => 2000,
                _ => return None,
            };
            BirthDate::new(century + num(1..3)?, num(3..5)? as u8, num(5..7)? as u8)
        }
        "LV" => {
            if code.len() != 12 || code[6] != b'-' {
                return None;
            }
            if code[0] == b'3' && (b'2'..=b'9').contains(&code[1]) {
                return None;
            }
            let century = match code[7] {
                b'0' => 1800,
                b'1' => 1900,
                b'2' => 2000,
                _ => return None,
            };
            BirthDate::new(century + num(4..6)?, num(2..4)? as u8, num(0..2)? as u8)
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dob(s: &str) -> Option<String> {
        date_of_birth_from_code(&SemanticsIdentifier::parse_without_check_digit(s).unwrap())
            .map(|d| d.to_string())
    }

    #[test]
    fn dates_of_birth() {
        assert_eq!(dob("PNOEE-30001010004").as_deref(), Some("1900-01-01"));
        assert_eq!(dob("PNOEE-40404040009").as_deref(), Some("1904-04-04"));
        assert_eq!(dob("PNOEE-61101019999").as_deref(), Some("2011-01-01"));
        assert_eq!(dob("PNOEE-37605030299").as_deref(), Some("1976-05-03"));
        assert_eq!(dob("PNOLT-50001029996").as_deref(), Some("2000-01-02"));
        assert_eq!(dob("PNOEE-12002290000").as_deref(), Some("1820-02-29"));
        assert_eq!(dob("PNOEE-31902290000"), None, "1919 is not a leap year");
        assert_eq!(dob("PNOLV-040404-10003").as_deref(), Some("1904-04-04"));
        assert_eq!(dob("PNOLV-010111-22341").as_deref(), Some("2011-01-01"));
        assert_eq!(dob("PNOLV-161175-19997").as_deref(), Some("1975-11-16"));
        assert_eq!(
            dob("PNOLV-320000-00008"),
            None,
            "new Latvian codes carry no date"
        );
        assert_eq!(dob("PNOLV-391231-00008"), None);
        assert_eq!(dob("PNOBE-04040400287"), None);
        assert_eq!(dob("PASKZ-987654321012"), None);
        assert_eq!(dob("IDCEE-30001010004"), None);
    }

    #[test]
    fn birth_date_validation() {
        assert!(BirthDate::new(2000, 2, 29).is_some());
        assert!(BirthDate::new(1900, 2, 29).is_none());
        assert!(BirthDate::new(2024, 13, 1).is_none());
        assert!(BirthDate::new(2024, 4, 31).is_none());
        assert!(BirthDate::new(2024, 1, 0).is_none());
    }
}
