//! A small, strict parser for the `https` URLs this protocol deals with (callback URLs, device-link
//! bases, return URLs), and the host rules of base URLs
//! ([`crate::env::parse_base_url`]: `https`, or plain `http` on a loopback host).
//!
//! It deliberately accepts less than RFC 3986: lowercase `https://` only, ASCII only, no user
//! info, no fragment, a registered name or bracketed IPv6 host, an optional port, valid
//! percent-escapes. Anything else is rejected with a reason, never "fixed". It never panics.
//! Everything it accepts, a WHATWG parser (the `url` crate under reqwest, a browser) reads the
//! same way: no `@`, `\`, tab or other character that parsers disagree on gets through.

use crate::error::{ProtoError, Result};

/// The parts of a parsed `https` URL, borrowed from the input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpsUrl<'a> {
    /// The whole input.
    pub full: &'a str,
    /// Host as written (registered name or `[v6]` literal).
    pub host: &'a str,
    /// Port, if written explicitly.
    pub port: Option<u16>,
    /// Path, starting with `/`, or empty.
    pub path: &'a str,
    /// Query without the `?`, if there is a `?`.
    pub query: Option<&'a str>,
}

impl<'a> HttpsUrl<'a> {
    /// Everything before the `?` (scheme, authority and path).
    pub fn without_query(&self) -> &'a str {
        match self.full.find('?') {
            Some(i) => &self.full[..i],
            None => self.full,
        }
    }

    /// Host lowercased plus the effective port (443 when absent), for comparisons.
    pub fn origin_key(&self) -> (String, u16) {
        (self.host.to_ascii_lowercase(), self.port.unwrap_or(443))
    }

    /// Iterates over the `name=value` pairs of the query (raw, not percent-decoded). A pair
    /// without `=` yields an empty value. Empty pairs (`&&`) are skipped.
    pub fn query_pairs(&self) -> impl Iterator<Item = (&'a str, &'a str)> {
        self.query
            .unwrap_or("")
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| match p.find('=') {
                Some(i) => (&p[..i], &p[i + 1..]),
                None => (p, ""),
            })
    }
}

/// Characters allowed unescaped in a path or query (RFC 3986 `pchar` plus `/` and `?`),
/// excluding `|` which the Smart-ID API requires to be percent-encoded.
fn is_url_char(b: u8) -> bool {
    b.is_ascii_alphanumeric()
        || matches!(
            b,
            b'-' | b'.'
                | b'_'
                | b'~'
                | b'!'
                | b'$'
                | b'&'
                | b'\''
                | b'('
                | b')'
                | b'*'
                | b'+'
                | b','
                | b';'
                | b'='
                | b':'
                | b'@'
                | b'/'
                | b'?'
                | b'%'
        )
}

/// Parses `input` as a strict `https` URL. `field` names the input in error messages.
pub fn parse_https<'a>(field: &'static str, input: &'a str) -> Result<HttpsUrl<'a>> {
    let rest = input.strip_prefix("https://").ok_or_else(|| {
        ProtoError::invalid(
            field,
            "must start with `https://` (lowercase; no other scheme)",
        )
    })?;
    parse_after_scheme(field, input, rest)
}

/// Whether `host` (as [`crate::env::parse_base_url`] splits it) names the local machine: `localhost`,
/// an IPv4 address in `127.0.0.0/8` written as four decimal octets, or `[::1]`.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .strip_prefix('[')
            .and_then(|h| h.strip_suffix(']'))
            .and_then(|h| h.parse::<std::net::Ipv6Addr>().ok())
            .is_some_and(|a| a.is_loopback())
        || host
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

/// The strict checks after the scheme (`rest` is `input` without it).
pub(crate) fn parse_after_scheme<'a>(
    field: &'static str,
    input: &'a str,
    rest: &'a str,
) -> Result<HttpsUrl<'a>> {
    if let Some(pos) = input
        .bytes()
        .position(|b| !b.is_ascii() || b.is_ascii_control() || b == b' ')
    {
        return Err(ProtoError::invalid(
            field,
            format!("contains a non-ASCII, control or space character at byte {pos}"),
        ));
    }
    if input.contains('#') {
        return Err(ProtoError::invalid(
            field,
            "must not contain a `#` fragment",
        ));
    }
    if input.contains('|') {
        return Err(ProtoError::invalid(
            field,
            "must not contain a raw `|` (percent-encode it as %7C)",
        ));
    }
    let auth_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..auth_end];
    let after = &rest[auth_end..];
    if authority.is_empty() {
        return Err(ProtoError::invalid(field, "has no host"));
    }
    if authority.contains('@') {
        return Err(ProtoError::invalid(
            field,
            "must not contain user info (`@`)",
        ));
    }
    let (host, port) = split_host_port(field, authority)?;
    let (path, query) = match after.find('?') {
        Some(i) => (&after[..i], Some(&after[i + 1..])),
        None => (after, None),
    };
    for (i, &b) in after.as_bytes().iter().enumerate() {
        if !is_url_char(b) {
            return Err(ProtoError::invalid(
                field,
                format!(
                    "character `{}` is not allowed unescaped in a URL",
                    b as char
                ),
            ));
        }
        if b == b'%' {
            let ok = after
                .as_bytes()
                .get(i + 1..i + 3)
                .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
            if !ok {
                return Err(ProtoError::invalid(field, "has an invalid percent-escape"));
            }
        }
    }
    if path.split('/').any(is_dot_segment) {
        return Err(ProtoError::invalid(
            field,
            "must not contain a `.` or `..` path segment (also percent-encoded)",
        ));
    }
    Ok(HttpsUrl {
        full: input,
        host,
        port,
        path,
        query,
    })
}

/// Whether a path segment is `.` or `..`, also written with `%2e`: a WHATWG URL parser
/// removes such segments, so the path it resolves differs from the text.
fn is_dot_segment(seg: &str) -> bool {
    let s = seg.to_ascii_lowercase().replace("%2e", ".");
    s == "." || s == ".."
}

/// Refuses the host forms a WHATWG URL parser (the one browsers, Android's and iOS's link
/// handling and the `url` crate follow) would read differently from the text: a host whose last
/// label is a number is an IPv4 address to such a parser (`0x7f.1` and `010.0.0.1` become
/// other addresses, `1.2.3.999` is an error), so it must be four decimal octets written
/// canonically; and an `xn--` label is Punycode the parser decodes and may refuse, so such
/// labels are refused (write the link's host in ASCII).
fn check_unambiguous_host(field: &'static str, host: &str) -> Result<()> {
    let last = host.rsplit('.').next().unwrap_or(host);
    let numeric = !last.is_empty()
        && (last.bytes().all(|b| b.is_ascii_digit())
            || last.get(..2).is_some_and(|p| p.eq_ignore_ascii_case("0x")));
    if numeric {
        let octets: Vec<&str> = host.split('.').collect();
        let canonical = octets.len() == 4
            && octets.iter().all(|o| {
                !o.is_empty()
                    && o.len() <= 3
                    && o.bytes().all(|b| b.is_ascii_digit())
                    && (o.len() == 1 || !o.starts_with('0'))
                    && o.parse::<u8>().is_ok()
            });
        if !canonical {
            return Err(ProtoError::invalid(
                field,
                format!(
                    "host `{}` ends in a number but is not an IPv4 address in four decimal octets",
                    truncated_host(host)
                ),
            ));
        }
    }
    if host
        .split('.')
        .any(|l| l.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("xn--")))
    {
        return Err(ProtoError::invalid(
            field,
            "internationalised (`xn--`) host labels are not accepted; use an ASCII host name",
        ));
    }
    Ok(())
}

fn truncated_host(host: &str) -> &str {
    host.get(..64).unwrap_or(host)
}

fn split_host_port<'a>(field: &'static str, authority: &'a str) -> Result<(&'a str, Option<u16>)> {
    let (host, port_str) = if let Some(stripped) = authority.strip_prefix('[') {
        let close = stripped
            .find(']')
            .ok_or_else(|| ProtoError::invalid(field, "unterminated IPv6 literal"))?;
        let literal = &stripped[..close];
        if literal.parse::<std::net::Ipv6Addr>().is_err() {
            return Err(ProtoError::invalid(field, "invalid IPv6 literal"));
        }
        let host = &authority[..close + 2];
        let tail = &stripped[close + 1..];
        match tail.strip_prefix(':') {
            Some(p) => (host, Some(p)),
            None if tail.is_empty() => (host, None),
            None => return Err(ProtoError::invalid(field, "garbage after IPv6 literal")),
        }
    } else {
        match authority.rfind(':') {
            Some(i) => (&authority[..i], Some(&authority[i + 1..])),
            None => (authority, None),
        }
    };
    if !host.starts_with('[') {
        if host.is_empty() || host.len() > 253 {
            return Err(ProtoError::invalid(
                field,
                "host must be 1 to 253 characters",
            ));
        }
        check_unambiguous_host(field, host)?;
        for label in host.split('.') {
            let ok = !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-')
                && !label.starts_with('-')
                && !label.ends_with('-');
            if !ok {
                return Err(ProtoError::invalid(
                    field,
                    format!("host `{host}` is not a valid DNS name"),
                ));
            }
        }
    }
    let port = match port_str {
        None => None,
        Some(p) => {
            let valid = !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit());
            match p.parse::<u16>() {
                Ok(n) if valid && n > 0 => Some(n),
                _ => return Err(ProtoError::invalid(field, format!("invalid port `{p}`"))),
            }
        }
    };
    Ok((host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_typical_urls() {
        let u = parse_https(
            "u",
            "https://rp.example.com/callback-url?value=RrKjjT4aggzu27YBddX1bQ",
        )
        .unwrap();
        assert_eq!(u.host, "rp.example.com");
        assert_eq!(u.path, "/callback-url");
        assert_eq!(u.query, Some("value=RrKjjT4aggzu27YBddX1bQ"));
        assert_eq!(u.without_query(), "https://rp.example.com/callback-url");
        assert_eq!(
            u.query_pairs().collect::<Vec<_>>(),
            vec![("value", "RrKjjT4aggzu27YBddX1bQ")]
        );
        let u = parse_https("u", "https://[::1]:8443/x").unwrap();
        assert_eq!((u.host, u.port), ("[::1]", Some(8443)));
        let u = parse_https("u", "https://127.0.0.1:1").unwrap();
        assert_eq!(u.path, "");
        assert_eq!(u.query, None);
        assert!(parse_https("u", "https://a.b/p%7Cq").is_ok());
        for good in [
            "https://[::1.2.3.4]/",
            "https://10.0.0.1/",
            "https://1.a/",
            "https://0xg.example/",
            "https://ab--cd.example/",
            "https://a.b/x.y/..z/.../",
        ] {
            assert!(parse_https("u", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn rejects_bad_urls() {
        for bad in [
            "http://rp.example.com/cb",
            "HTTPS://rp.example.com/cb",
            "myapp://callback",
            "https://",
            "https:///path",
            "https://rp.example.com/cb#frag",
            "https://rp.example.com/c|b",
            "https://user@rp.example.com/",
            "https://rp.example.com:0/",
            "https://rp.example.com:70000/",
            "https://rp.example.com:/",
            "https://rp..example.com/",
            "https://-rp.example.com/",
            "https://rp.example.com/a b",
            "https://rp.example.com/\u{e4}",
            "https://rp.example.com/%zz",
            "https://rp.example.com/%4",
            "https://rp.example.com/<script>",
            "https://[::1/",
            "https://[]/",
            "https://[::1]x/",
            "https://[:::]/",
            "https://[1]/",
            "https://1.2.3.999/",
            "https://1.2.3.4.5/",
            "https://a.1/",
            "https://a.b.09/",
            "https://0x1/",
            "https://a.0X1f/",
            "https://01.2.3.4/",
            "https://xn--a/",
            "https://XN--ls8h.example/",
            "https://a.b/x/../y",
            "https://a.b/x/./y",
            "https://a.b/%2e%2E/y",
            "https://a.b/.",
        ] {
            assert!(parse_https("u", bad).is_err(), "{bad}");
        }
    }
}
