//! The QR encoder of device links (`sidkit_proto::qr`, feature `qr`) on arbitrary text: the
//! first byte picks the error-correction level (its top bit: `L` or `M`, the two Smart-ID
//! allows) and the SVG module size (the other 7 bits, so that refused sizes 0 and 65..=127 are
//! covered too), the rest is the text. One level per input: encoding (the mask search) is most
//! of the cost. It never panics, and:
//!
//! * every text of 1 to `MAX_DEVICE_LINK_LEN` (2048) bytes encodes, and the matrix decodes
//!   (crate `rqrr`, an independent decoder fed the modules directly) to exactly those bytes,
//!   at the level and version the encoder reports;
//!   the empty text and anything longer (the input repeated past the limit) are a typed
//!   `InvalidInput` naming `qrData`;
//! * the matrix is square, `4 * version + 17` modules plus a light quiet zone of 4 modules on
//!   every side;
//! * the SVG is the fixed template around one path whose data has only move/line commands and
//!   numbers, and paints exactly the dark modules (so nothing of the text is in it, escaped or
//!   not); module sizes outside 1..=64 are refused;
//! * `device_link_qr` accepts exactly the texts that parse as a QR device link, and draws
//!   the same matrix as `QrMatrix::encode`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sidkit_proto::device_link::{parse_device_link, DeviceLinkType, MAX_DEVICE_LINK_LEN};
use sidkit_proto::qr::{device_link_qr, QrErrorCorrection, QrMatrix, MAX_MODULE_PX, QUIET_ZONE};
use sidkit_proto::ProtoError;

fn assert_qr_data_error(r: Result<QrMatrix, ProtoError>, what: &str) {
    match r {
        Err(ProtoError::InvalidInput { field, .. }) => assert_eq!(field, "qrData", "{what}"),
        Ok(m) => panic!("{what} was encoded: {m:?}"),
    }
}

/// The dark modules the SVG's path paints, or why the SVG is not the template.
fn painted(svg: &str, w: usize, px: u32) -> Vec<bool> {
    let px_total = w as u64 * u64::from(px);
    let head = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{px_total}" height="{px_total}" viewBox="0 0 {w} {w}" shape-rendering="crispEdges"><rect width="{w}" height="{w}" fill="#ffffff"/><path fill="#000000" d=""##
    );
    let d = svg
        .strip_prefix(head.as_str())
        .and_then(|rest| rest.strip_suffix(r#""/></svg>"#))
        .unwrap_or_else(|| panic!("the SVG is not the template: {:.300}", svg));
    assert!(
        d.bytes().all(|b| b"Mhvz- 0123456789".contains(&b)),
        "path data with other characters"
    );
    let mut dark = vec![false; w * w];
    for run in d.split('M').skip(1) {
        // M{x} {y}h{n}v1h-{n}z
        let (xy, rest) = run.split_once('h').expect("run has h");
        let (x, y) = xy.split_once(' ').expect("run has x y");
        let (n, rest) = rest.split_once("v1h-").expect("run has v1h-");
        let n2 = rest.strip_suffix('z').expect("run ends with z");
        assert_eq!(n, n2, "run does not close");
        let (x, y, n): (usize, usize, usize) =
            (x.parse().unwrap(), y.parse().unwrap(), n.parse().unwrap());
        assert!(n > 0 && x + n <= w && y < w, "run outside the matrix");
        for i in x..x + n {
            assert!(!dark[y * w + i], "module painted twice");
            dark[y * w + i] = true;
        }
    }
    dark
}

fn check_matrix(m: &QrMatrix, text: &str, ec: QrErrorCorrection) {
    let v = usize::from(m.version());
    assert!((1..=40).contains(&v), "version {v}");
    let inner = 4 * v + 17;
    let w = m.width();
    assert_eq!(w, inner + 2 * QUIET_ZONE);
    assert_eq!(m.modules().len(), w * w);
    for y in 0..w {
        for x in 0..w {
            let quiet =
                x < QUIET_ZONE || y < QUIET_ZONE || x >= w - QUIET_ZONE || y >= w - QUIET_ZONE;
            assert_eq!(m.is_dark(x, y), m.modules()[y * w + x]);
            if quiet {
                assert!(!m.is_dark(x, y), "dark module in the quiet zone");
            }
        }
    }
    assert!(!m.is_dark(w, 0) && !m.is_dark(0, w));
    let grid = rqrr::SimpleGrid::from_func(inner, |x, y| m.is_dark(x + QUIET_ZONE, y + QUIET_ZONE));
    let mut out = Vec::new();
    let meta = rqrr::Grid::new(grid)
        .decode_to(&mut out)
        .unwrap_or_else(|e| panic!("the QR code does not decode: {e:?}"));
    assert_eq!(out, text.as_bytes(), "the QR code decodes to other data");
    assert_eq!(meta.version.0, v);
    // rqrr reports the format's two level bits: L = 01, M = 00.
    let level = match ec {
        QrErrorCorrection::Low => 1,
        QrErrorCorrection::Medium => 0,
    };
    assert_eq!(meta.ecc_level, level);
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let px = u32::from(first & 0x7f);
    let ec = if first & 0x80 == 0 {
        QrErrorCorrection::Low
    } else {
        QrErrorCorrection::Medium
    };
    let link = parse_device_link(text).ok();
    {
        let encoded = QrMatrix::encode(text, ec);
        if text.is_empty() {
            assert_qr_data_error(encoded, "the empty text");
            return;
        }
        let m = if text.len() > MAX_DEVICE_LINK_LEN {
            assert_qr_data_error(encoded, "an over-long text");
            return;
        } else {
            encoded.unwrap_or_else(|e| panic!("{} bytes do not encode: {e}", text.len()))
        };
        check_matrix(&m, text, ec);
        match m.to_svg(px) {
            Ok(svg) => {
                assert!(
                    (1..=MAX_MODULE_PX).contains(&px),
                    "module size {px} accepted"
                );
                assert_eq!(
                    painted(&svg, m.width(), px),
                    m.modules(),
                    "SVG paints other modules"
                );
            }
            Err(_) => assert!(
                !(1..=MAX_MODULE_PX).contains(&px),
                "module size {px} refused"
            ),
        }
        let is_qr_link = link
            .as_ref()
            .is_some_and(|p| p.link_type == DeviceLinkType::Qr);
        match device_link_qr(text, ec) {
            Ok(q) => {
                assert!(is_qr_link, "not a QR device link, but drawn");
                assert_eq!(q, m);
            }
            Err(_) => assert!(!is_qr_link, "a QR device link refused"),
        }
    }
    // Past the limit: a typed error, never a code.
    if !text.is_empty() {
        let long = text.repeat(MAX_DEVICE_LINK_LEN / text.len() + 1);
        assert_qr_data_error(
            QrMatrix::encode(&long, QrErrorCorrection::Low),
            "an over-long text",
        );
    }
});
