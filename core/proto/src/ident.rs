//! Person identifiers: ETSI natural-person semantics identifiers (`PNOEE-30001010004`) and
//! Smart-ID document numbers (`PNOEE-30001010004-K2GN-NQ`).
//!
//! National identity codes of Estonia, Latvia and Lithuania carry a check digit, which is
//! validated locally so that a typo never turns into a pointless `404` (spec §10 recommends
//! this).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{ProtoError, Result};

/// The identity type of a semantics identifier (ETSI EN 319 412-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum IdentityType {
    /// `PNO`: national personal number.
    Pno,
    /// `IDC`: national identity card number.
    Idc,
    /// `PAS`: passport number.
    Pas,
}

impl IdentityType {
    /// The three-letter code.
    pub const fn as_str(self) -> &'static str {
        match self {
            IdentityType::Pno => "PNO",
            IdentityType::Idc => "IDC",
            IdentityType::Pas => "PAS",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "PNO" => Some(IdentityType::Pno),
            "IDC" => Some(IdentityType::Idc),
            "PAS" => Some(IdentityType::Pas),
            _ => None,
        }
    }
}

/// An `id-etsi-qcs-SemanticsId-Natural` identifier such as `PNOEE-30001010004`.
///
/// Parsing checks the type (`PNO`/`IDC`/`PAS`), the upper-case ISO 3166 alpha-2 country, a
/// URL-safe identifier, and for `PNOEE`, `PNOLT` and `PNOLV` the national check digit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SemanticsIdentifier {
    identity_type: IdentityType,
    country: [u8; 2],
    identifier: String,
}

impl SemanticsIdentifier {
    /// Builds and validates an identifier from its parts, including the national check digit.
    pub fn new(identity_type: IdentityType, country: &str, identifier: &str) -> Result<Self> {
        Self::build(identity_type, country, identifier, true)
    }

    /// Parses like [`FromStr`] but without the national check-digit test. Meant for synthetic
    /// DEMO test identities, some of which (e.g. `PNOLV-010111-22341`) have invalid check
    /// digits; do not use it for user input in production.
    pub fn parse_without_check_digit(s: &str) -> Result<Self> {
        let (t, country, id) = split(s)?;
        Self::build(t, country, id, false)
    }

    fn build(
        identity_type: IdentityType,
        country: &str,
        identifier: &str,
        check_digit: bool,
    ) -> Result<Self> {
        let c = country.as_bytes();
        if c.len() != 2 || !c.iter().all(u8::is_ascii_uppercase) {
            return Err(ProtoError::invalid(
                "semanticsIdentifier",
                format!(
                    "country must be two upper-case letters (ISO 3166-1 alpha-2), got `{country}`"
                ),
            ));
        }
        if identifier.is_empty() || identifier.len() > 64 {
            return Err(ProtoError::invalid(
                "semanticsIdentifier",
                "identifier must be 1 to 64 characters",
            ));
        }
        if !identifier
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return Err(ProtoError::invalid(
                "semanticsIdentifier",
                "identifier may contain only letters, digits and `-`",
            ));
        }
        if identity_type == IdentityType::Pno {
            match country {
                "EE" | "LT" => check_ee_lt(identifier, check_digit)?,
                "LV" => check_lv(identifier, check_digit)?,
                _ => {}
            }
        }
        Ok(SemanticsIdentifier {
            identity_type,
            country: [c[0], c[1]],
            identifier: identifier.to_owned(),
        })
    }

    /// `PNO`, `IDC` or `PAS`.
    pub fn identity_type(&self) -> IdentityType {
        self.identity_type
    }

    /// The two-letter country code.
    pub fn country(&self) -> &str {
        // Always two ASCII upper-case letters (checked in `new`).
        std::str::from_utf8(&self.country).unwrap_or("??")
    }

    /// The national identifier (e.g. `30001010004`).
    pub fn identifier(&self) -> &str {
        &self.identifier
    }
}

impl fmt::Display for SemanticsIdentifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}{}-{}",
            self.identity_type.as_str(),
            self.country(),
            self.identifier
        )
    }
}

fn split(s: &str) -> Result<(IdentityType, &str, &str)> {
    let bad = || {
        ProtoError::invalid(
            "semanticsIdentifier",
            format!(
                "expected TYPE+COUNTRY-IDENTIFIER such as PNOEE-30001010004, got `{}`",
                truncate(s)
            ),
        )
    };
    if !s.is_ascii() || s.len() < 7 || s.as_bytes()[5] != b'-' {
        return Err(bad());
    }
    let t = IdentityType::parse(&s[..3]).ok_or_else(bad)?;
    Ok((t, &s[3..5], &s[6..]))
}

impl FromStr for SemanticsIdentifier {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self> {
        let (t, country, id) = split(s)?;
        SemanticsIdentifier::new(t, country, id)
    }
}

impl Serialize for SemanticsIdentifier {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SemanticsIdentifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(serde::de::Error::custom)
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

/// Estonian and Lithuanian personal codes: `GYYMMDDSSSC`, 11 digits, two-pass mod-11 check.
fn check_ee_lt(code: &str, check_digit: bool) -> Result<()> {
    let d: Vec<u32> = code
        .bytes()
        .map(|b| u32::from(b.wrapping_sub(b'0')))
        .collect();
    if d.len() != 11 || d.iter().any(|&x| x > 9) {
        return Err(ProtoError::invalid(
            "semanticsIdentifier",
            "an Estonian or Lithuanian personal code has exactly 11 digits",
        ));
    }
    if !(1..=6).contains(&d[0]) {
        return Err(ProtoError::invalid(
            "semanticsIdentifier",
            "an Estonian or Lithuanian personal code starts with 1 to 6",
        ));
    }
    if !check_digit {
        return Ok(());
    }
    let pass =
        |weights: [u32; 10]| d[..10].iter().zip(weights).map(|(a, w)| a * w).sum::<u32>() % 11;
    let mut check = pass([1, 2, 3, 4, 5, 6, 7, 8, 9, 1]);
    if check == 10 {
        check = pass([3, 4, 5, 6, 7, 8, 9, 1, 2, 3]);
        if check == 10 {
            check = 0;
        }
    }
    if check != d[10] {
        return Err(ProtoError::invalid(
            "semanticsIdentifier",
            "the personal code's check digit is wrong",
        ));
    }
    Ok(())
}

/// Latvian personal codes: `DDMMYY-CNNNN` with a check digit; codes issued since July 2017
/// start with `32` and carry no date. Both are 11 digits written with a `-` after the sixth.
fn check_lv(code: &str, check_digit: bool) -> Result<()> {
    let b = code.as_bytes();
    let well_formed = b.len() == 12
        && b[6] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 6 || c.is_ascii_digit());
    if !well_formed {
        return Err(ProtoError::invalid(
            "semanticsIdentifier",
            "a Latvian personal code looks like 010101-12345",
        ));
    }
    let d: Vec<u32> = b
        .iter()
        .filter(|c| c.is_ascii_digit())
        .map(|c| u32::from(c - b'0'))
        .collect();
    if !check_digit || (d[0] == 3 && d[1] == 2) {
        // New-format code (no birth date). Its last digit is not a published check digit, so
        // only the shape is validated.
        return Ok(());
    }
    let weights = [1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    let sum: u32 = d[..10].iter().zip(weights).map(|(a, w)| a * w).sum();
    let check = (1101 - sum % 11) % 11 % 10;
    if check != d[10] {
        return Err(ProtoError::invalid(
            "semanticsIdentifier",
            "the Latvian personal code's check digit is wrong",
        ));
    }
    Ok(())
}

/// A Smart-ID document number such as `PNOEE-30001010004-K2GN-NQ`, as returned in
/// `result.documentNumber` and used in `…/document/{document-number}` paths.
///
/// Validated to be URL-path safe: 1–100 characters of `[A-Za-z0-9-]` starting with an identity
/// type and country (`PNOEE-`, `IDCCZ-`, …).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct DocumentNumber(String);

impl DocumentNumber {
    /// Validates a document number.
    pub fn new(s: impl Into<String>) -> Result<Self> {
        let s = s.into();
        let b = s.as_bytes();
        let ok_shape = b.len() >= 7
            && b.len() <= 100
            && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
            && IdentityType::parse(&s[..3]).is_some()
            && b[3..5].iter().all(u8::is_ascii_uppercase)
            && b[5] == b'-'
            && b.len() > 6;
        if !ok_shape {
            return Err(ProtoError::invalid(
                "documentNumber",
                format!(
                    "expected a document number like PNOEE-30001010004-K2GN-NQ, got `{}`",
                    truncate(&s)
                ),
            ));
        }
        Ok(DocumentNumber(s))
    }

    /// The document number text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for DocumentNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DocumentNumber {
    type Err = ProtoError;
    fn from_str(s: &str) -> Result<Self> {
        DocumentNumber::new(s)
    }
}

impl Serialize for DocumentNumber {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for DocumentNumber {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        DocumentNumber::new(String::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_identifiers() {
        for s in [
            "PNOEE-30001010004",
            "PNOEE-40404040009",
            "PNOEE-30403039917",
            "PNOEE-50001029996",
            "PNOLT-40404040009",
            "PNOLT-61101019999",
            "PNOLV-040404-10003",
            "PNOLV-161175-19997",
            "PNOLV-020211-12351",
            "PNOLV-320000-00008",
            "PNOLV-320000-10003",
            "PNOBE-04040400287",
            "PASKZ-987654321012",
            "IDCCZ-1234567890",
        ] {
            let id: SemanticsIdentifier = s.parse().unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(id.to_string(), s);
        }
    }

    #[test]
    fn invalid_identifiers() {
        for s in [
            "PNOEE-30001010005", // wrong check digit
            "PNOEE-48010010101", // the OpenAPI path example: illustrative, its check digit is wrong
            "PNOEE-3000101000",  // 10 digits
            "PNOEE-70001010004", // century digit
            "PNOLT-40404040008",
            "PNOLV-040404-10004",
            "PNOLV-04040410003",
            "PNOee-30001010004",
            "XYZEE-30001010004",
            "PNOEE30001010004",
            "PNOEE-",
            "PNOEE-3000/1010004",
            "PNOÄE-30001010004",
            "",
        ] {
            assert!(s.parse::<SemanticsIdentifier>().is_err(), "{s}");
        }
    }

    #[test]
    fn demo_identities_with_bad_check_digits() {
        // A synthetic DEMO account (spec §11) whose Latvian check digit is wrong.
        let s = "PNOLV-010111-22341";
        assert!(s.parse::<SemanticsIdentifier>().is_err(), "{s}");
        let id = SemanticsIdentifier::parse_without_check_digit(s).unwrap();
        assert_eq!(id.to_string(), s);
        assert!(SemanticsIdentifier::parse_without_check_digit("PNOLV-0101112234").is_err());
    }

    #[test]
    fn check_digit_second_pass() {
        // 37605030299: first pass gives 10, second pass gives 9.
        assert!("PNOEE-37605030299".parse::<SemanticsIdentifier>().is_ok());
    }

    #[test]
    fn document_numbers() {
        for s in [
            "PNOEE-30001010004-K2GN-NQ",
            "PNOEE-40404040009-MOCK-Q",
            "PNOLV-040404-10003-DEMO-Q",
            "PNOEE-40504040001-DEM0-Q",
        ] {
            assert_eq!(DocumentNumber::new(s).unwrap().as_str(), s);
        }
        for s in [
            "",
            "PNOEE-",
            "PNOEE-1/../x",
            "PNOEE-1?x=1",
            "foo",
            "PNOEE-1 2",
        ] {
            assert!(DocumentNumber::new(s).is_err(), "{s}");
        }
    }
}
