//! A minimal, strict DER reader for the few structures `x509-cert` leaves as opaque bytes: the
//! raw `tbsCertificate` (signatures are checked over the bytes as received, never over a
//! re-encoding), QC statements, subject directory attributes and ECDSA signature values.
//!
//! Only definite, minimally encoded lengths and single-byte tags are accepted; anything else is
//! an error, as DER requires.

use x509_cert::der::oid::ObjectIdentifier;

/// DER tags used here.
pub(crate) mod tag {
    pub const INTEGER: u8 = 0x02;
    pub const OID: u8 = 0x06;
    pub const UTF8_STRING: u8 = 0x0c;
    pub const PRINTABLE_STRING: u8 = 0x13;
    pub const TELETEX_STRING: u8 = 0x14;
    pub const IA5_STRING: u8 = 0x16;
    pub const GENERALIZED_TIME: u8 = 0x18;
    pub const BMP_STRING: u8 = 0x1e;
    pub const SEQUENCE: u8 = 0x30;
    pub const SET: u8 = 0x31;
}

/// One DER element.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The (single-byte) tag.
    pub tag: u8,
    /// The content octets.
    pub content: &'a [u8],
    /// The whole element: tag, length and content.
    pub raw: &'a [u8],
}

/// A DER decoding problem (the message is for humans).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Asn1Error(pub &'static str);

pub(crate) type Asn1Result<T> = Result<T, Asn1Error>;

/// Reads one element from the front of `input`; returns it and the rest.
pub(crate) fn read(input: &[u8]) -> Asn1Result<(Tlv<'_>, &[u8])> {
    let (&tag, rest) = input
        .split_first()
        .ok_or(Asn1Error("unexpected end of data"))?;
    if tag & 0x1f == 0x1f {
        return Err(Asn1Error("multi-byte tags are not supported"));
    }
    let (&first, rest) = rest.split_first().ok_or(Asn1Error("missing length"))?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 {
            return Err(Asn1Error("indefinite length is not DER"));
        }
        if n > 4 || rest.len() < n {
            return Err(Asn1Error("length too long"));
        }
        let (bytes, rest) = rest.split_at(n);
        if bytes[0] == 0 {
            return Err(Asn1Error("non-minimal length"));
        }
        let len = bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        if len < 0x80 {
            return Err(Asn1Error("non-minimal length"));
        }
        (len, rest)
    };
    if rest.len() < len {
        return Err(Asn1Error("element longer than the data"));
    }
    let (content, rest) = rest.split_at(len);
    let header_len = input.len() - rest.len() - len;
    Ok((
        Tlv {
            tag,
            content,
            raw: &input[..header_len + len],
        },
        rest,
    ))
}

/// Reads exactly one element that must fill `input` and carry `expected` as tag.
pub(crate) fn read_exact(input: &[u8], expected: u8) -> Asn1Result<Tlv<'_>> {
    let (tlv, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(Asn1Error("trailing data"));
    }
    expect(tlv, expected)
}

/// Checks the tag of an element.
pub(crate) fn expect(tlv: Tlv<'_>, expected: u8) -> Asn1Result<Tlv<'_>> {
    if tlv.tag != expected {
        return Err(Asn1Error("unexpected tag"));
    }
    Ok(tlv)
}

/// The elements inside a constructed element's content.
pub(crate) fn children(content: &[u8]) -> Children<'_> {
    Children { rest: content }
}

/// Iterator over consecutive DER elements.
pub(crate) struct Children<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for Children<'a> {
    type Item = Asn1Result<Tlv<'a>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        match read(self.rest) {
            Ok((tlv, rest)) => {
                self.rest = rest;
                Some(Ok(tlv))
            }
            Err(e) => {
                self.rest = &[];
                Some(Err(e))
            }
        }
    }
}

/// Decodes an OBJECT IDENTIFIER element.
pub(crate) fn oid(tlv: Tlv<'_>) -> Asn1Result<ObjectIdentifier> {
    let tlv = expect(tlv, tag::OID)?;
    ObjectIdentifier::from_bytes(tlv.content).map_err(|_| Asn1Error("malformed OID"))
}

/// The magnitude of a non-negative, minimally encoded INTEGER, without leading zeros.
pub(crate) fn unsigned_integer(tlv: Tlv<'_>) -> Asn1Result<&[u8]> {
    let c = expect(tlv, tag::INTEGER)?.content;
    match c {
        [] => Err(Asn1Error("empty INTEGER")),
        [b, ..] if b & 0x80 != 0 => Err(Asn1Error("negative INTEGER")),
        [0, b, ..] if b & 0x80 == 0 => Err(Asn1Error("non-minimal INTEGER")),
        [0, rest @ ..] => Ok(rest),
        _ => Ok(c),
    }
}

/// Where the raw `tbsCertificate` element (tag, length and content, exactly as received) lies
/// in a certificate's DER.
pub(crate) fn tbs_certificate_range(cert_der: &[u8]) -> Asn1Result<std::ops::Range<usize>> {
    let outer = read_exact(cert_der, tag::SEQUENCE)?;
    let (tbs, _) = read(outer.content)?;
    let tbs = expect(tbs, tag::SEQUENCE)?;
    // `outer.content` runs to the end of `cert_der` (read_exact allows no trailing data).
    let start = cert_der.len() - outer.content.len();
    Ok(start..start + tbs.raw.len())
}

/// Converts a DER ECDSA-Sig-Value (`SEQUENCE { r INTEGER, s INTEGER }`) into the fixed-size
/// `r || s` form for a curve whose scalars are `field_len` bytes long.
pub(crate) fn ecdsa_signature_to_fixed(der: &[u8], field_len: usize) -> Asn1Result<Vec<u8>> {
    let seq = read_exact(der, tag::SEQUENCE)?;
    let mut it = children(seq.content);
    let r = unsigned_integer(it.next().ok_or(Asn1Error("missing r"))??)?;
    let s = unsigned_integer(it.next().ok_or(Asn1Error("missing s"))??)?;
    if it.next().is_some() {
        return Err(Asn1Error("trailing data in ECDSA signature"));
    }
    if r.len() > field_len || s.len() > field_len {
        return Err(Asn1Error("ECDSA signature component too long"));
    }
    let mut out = vec![0u8; 2 * field_len];
    out[field_len - r.len()..field_len].copy_from_slice(r);
    out[2 * field_len - s.len()..].copy_from_slice(s);
    Ok(out)
}

/// Decodes a directory string (UTF8String, PrintableString, IA5String, TeletexString as
/// Latin-1, BMPString as UTF-16BE).
pub(crate) fn directory_string(tag_byte: u8, content: &[u8]) -> Asn1Result<String> {
    match tag_byte {
        tag::UTF8_STRING | tag::PRINTABLE_STRING | tag::IA5_STRING => std::str::from_utf8(content)
            .map(str::to_owned)
            .map_err(|_| Asn1Error("invalid UTF-8 in string")),
        tag::TELETEX_STRING => Ok(content.iter().map(|&b| char::from(b)).collect()),
        tag::BMP_STRING => {
            if !content.len().is_multiple_of(2) {
                return Err(Asn1Error("odd-length BMPString"));
            }
            let units = content
                .chunks_exact(2)
                .map(|c| u16::from_be_bytes([c[0], c[1]]));
            char::decode_utf16(units)
                .collect::<Result<String, _>>()
                .map_err(|_| Asn1Error("invalid BMPString"))
        }
        _ => Err(Asn1Error("not a directory string")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_lengths() {
        assert!(read(&[0x04, 0x01, 0xaa]).is_ok());
        assert_eq!(
            read(&[0x04, 0x80]).unwrap_err().0,
            "indefinite length is not DER"
        );
        assert_eq!(
            read(&[0x04, 0x81, 0x01, 0xaa]).unwrap_err().0,
            "non-minimal length"
        );
        assert_eq!(
            read(&[0x04, 0x82, 0x00, 0x81]).unwrap_err().0,
            "non-minimal length"
        );
        assert!(read(&[0x04, 0x02, 0xaa]).is_err());
        assert!(read(&[0x1f, 0x01, 0x00]).is_err());
        assert!(read_exact(&[0x04, 0x00, 0x00], 0x04).is_err());
        let long: Vec<u8> = [&[0x04, 0x81, 0x80][..], &[7u8; 0x80]].concat();
        let (t, rest) = read(&long).unwrap();
        assert_eq!(t.content.len(), 0x80);
        assert_eq!(t.raw.len(), long.len());
        assert!(rest.is_empty());
    }

    #[test]
    fn integers_and_ecdsa() {
        let ok = [0x30, 0x07, 0x02, 0x02, 0x00, 0x80, 0x02, 0x01, 0x05];
        assert_eq!(
            ecdsa_signature_to_fixed(&ok, 4).unwrap(),
            vec![0, 0, 0, 0x80, 0, 0, 0, 5]
        );
        let err = |der: &[u8], n| ecdsa_signature_to_fixed(der, n).unwrap_err().0;
        let non_minimal = [0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01];
        assert_eq!(err(&non_minimal, 4), "non-minimal INTEGER");
        let negative = [0x30, 0x06, 0x02, 0x01, 0x80, 0x02, 0x01, 0x01];
        assert_eq!(err(&negative, 4), "negative INTEGER");
        let long = [0x30, 0x07, 0x02, 0x02, 0x01, 0x00, 0x02, 0x01, 0x05];
        assert_eq!(err(&long, 1), "ECDSA signature component too long");
        let trailing = [
            0x30, 0x09, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01,
        ];
        assert_eq!(err(&trailing, 4), "trailing data in ECDSA signature");
        assert_eq!(err(&[0x30, 0x03, 0x02, 0x01, 0x01], 4), "missing s");
    }

    #[test]
    fn strings() {
        assert_eq!(
            directory_string(tag::BMP_STRING, &[0, b'A', 0x20, 0xac]).unwrap(),
            "A€"
        );
        assert_eq!(directory_string(tag::TELETEX_STRING, &[0xe4]).unwrap(), "ä");
        assert!(directory_string(tag::UTF8_STRING, &[0xff]).is_err());
        assert!(directory_string(0x04, b"x").is_err());
    }
}
