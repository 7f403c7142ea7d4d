//! QR codes of device links (spec §6): a module matrix with the quiet zone, SVG, and (feature
//! `qr-png`) PNG bytes or a `data:image/png;base64,...` URI of a given size and quiet zone.
//!
//! Smart-ID asks for error correction `L` or `M` (`H` cannot hold a typical link) and a
//! sufficient quiet zone; this module always adds 4 modules of quiet zone on every side, the
//! size the QR standard requires. Rendering is local; the links themselves come from the
//! backend once per second.

use std::fmt::Write as _;

use qrcode::{Color, EcLevel, QrCode};

use crate::device_link::{parse_device_link, DeviceLinkType, MAX_DEVICE_LINK_LEN};
use crate::error::{ProtoError, Result};

/// Modules of quiet zone on each side.
pub const QUIET_ZONE: usize = 4;
/// Largest module size [`QrMatrix::to_svg`] accepts, in pixels.
pub const MAX_MODULE_PX: u32 = 64;

/// ProtoError-correction level: Smart-ID allows only these two.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum QrErrorCorrection {
    /// `L`: about 7 % recovery; the smallest code (the official Java client's default).
    #[default]
    Low,
    /// `M`: about 15 % recovery.
    Medium,
}

/// A QR code as a square matrix of modules, quiet zone included.
#[derive(Clone, PartialEq, Eq)]
pub struct QrMatrix {
    width: usize,
    version: u8,
    dark: Vec<bool>,
}

impl std::fmt::Debug for QrMatrix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "QrMatrix(version {}, {}×{})",
            self.version, self.width, self.width
        )
    }
}

impl QrMatrix {
    /// Encodes `data` (byte mode as needed, the smallest version that fits).
    pub fn encode(data: &str, ec: QrErrorCorrection) -> Result<Self> {
        if data.is_empty() || data.len() > MAX_DEVICE_LINK_LEN {
            return Err(ProtoError::invalid(
                "qrData",
                format!("must be 1 to {MAX_DEVICE_LINK_LEN} bytes"),
            ));
        }
        let level = match ec {
            QrErrorCorrection::Low => EcLevel::L,
            QrErrorCorrection::Medium => EcLevel::M,
        };
        let code = QrCode::with_error_correction_level(data.as_bytes(), level).map_err(|e| {
            ProtoError::invalid("qrData", format!("cannot encode as a QR code: {e}"))
        })?;
        let inner = code.width();
        let version = match code.version() {
            qrcode::Version::Normal(v) => u8::try_from(v).unwrap_or(0),
            qrcode::Version::Micro(v) => u8::try_from(v).unwrap_or(0),
        };
        let colors = code.into_colors();
        let width = inner + 2 * QUIET_ZONE;
        let mut dark = vec![false; width * width];
        for (i, c) in colors.iter().enumerate() {
            let (x, y) = (i % inner + QUIET_ZONE, i / inner + QUIET_ZONE);
            if let Some(m) = dark.get_mut(y * width + x) {
                *m = *c == Color::Dark;
            }
        }
        Ok(QrMatrix {
            width,
            version,
            dark,
        })
    }

    /// Modules per side, quiet zone included.
    pub fn width(&self) -> usize {
        self.width
    }

    /// The QR version (1–40); version 9 is 53×53 modules without the quiet zone.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// Whether the module at column `x`, row `y` is dark (`false` outside the matrix).
    pub fn is_dark(&self, x: usize, y: usize) -> bool {
        x < self.width && self.dark.get(y * self.width + x).copied().unwrap_or(false)
    }

    /// All modules, row by row (`width × width`), `true` = dark.
    pub fn modules(&self) -> &[bool] {
        &self.dark
    }

    /// A standalone SVG with `module_px` pixels per module (1–64), black on white, one path
    /// with a run per horizontal stretch of dark modules.
    pub fn to_svg(&self, module_px: u32) -> Result<String> {
        if module_px == 0 || module_px > MAX_MODULE_PX {
            return Err(ProtoError::invalid(
                "modulePx",
                format!("must be 1 to {MAX_MODULE_PX}"),
            ));
        }
        let w = self.width;
        let px = w as u64 * u64::from(module_px);
        let mut s = String::with_capacity(256 + w * w);
        let _ = write!(
            s,
            r##"<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{px}" height="{px}" viewBox="0 0 {w} {w}" shape-rendering="crispEdges"><rect width="{w}" height="{w}" fill="#ffffff"/><path fill="#000000" d=""##
        );
        for y in 0..w {
            let mut x = 0;
            while x < w {
                if self.is_dark(x, y) {
                    let start = x;
                    while x < w && self.is_dark(x, y) {
                        x += 1;
                    }
                    let _ = write!(s, "M{start} {y}h{}v1h-{}z", x - start, x - start);
                } else {
                    x += 1;
                }
            }
        }
        s.push_str(r#""/></svg>"#);
        Ok(s)
    }
}

/// How [`QrMatrix::to_png`] draws a QR code (feature `qr-png`).
#[cfg(feature = "qr-png")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr-png")))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QrImageOptions {
    /// Width and height of the image in pixels (the official Java client draws 610 px). Each
    /// module gets `size_px / modules` whole pixels (at least 1); what is left over widens the
    /// white margin, so the code stays sharp.
    pub size_px: u32,
    /// Modules of white quiet zone on each side: at least 4 (the QR standard's minimum, which
    /// scanners need), at most 16.
    pub quiet_zone: u32,
}

#[cfg(feature = "qr-png")]
impl Default for QrImageOptions {
    /// 610 px with the standard quiet zone of 4 modules.
    fn default() -> Self {
        QrImageOptions {
            size_px: 610,
            quiet_zone: QUIET_ZONE as u32,
        }
    }
}

/// Largest image [`QrMatrix::to_png`] draws, in pixels per side.
#[cfg(feature = "qr-png")]
pub const MAX_IMAGE_PX: u32 = 4096;

#[cfg(feature = "qr-png")]
impl QrMatrix {
    /// A PNG (1-bit greyscale, black on white) of `options.size_px` square.
    pub fn to_png(&self, options: &QrImageOptions) -> Result<Vec<u8>> {
        if !(QUIET_ZONE as u32..=16).contains(&options.quiet_zone) {
            return Err(ProtoError::invalid(
                "quietZone",
                format!("must be {QUIET_ZONE} to 16 modules"),
            ));
        }
        let inner = (self.width - 2 * QUIET_ZONE) as u32;
        let modules = inner + 2 * options.quiet_zone;
        if options.size_px < modules || options.size_px > MAX_IMAGE_PX {
            return Err(ProtoError::invalid(
                "sizePx",
                format!("must be {modules} (one pixel per module) to {MAX_IMAGE_PX}"),
            ));
        }
        let module = options.size_px / modules;
        // The white margin before the first inner module (quiet zone plus the left-over pixels).
        let offset = options.quiet_zone * module + (options.size_px - module * modules) / 2;
        let size = options.size_px as usize;
        let stride = size.div_ceil(8);
        // 1 = white in a greyscale PNG of bit depth 1.
        let mut pixels = vec![0xffu8; stride * size];
        for y in 0..size {
            let my = (y as u32).checked_sub(offset).map(|v| v / module);
            for x in 0..size {
                let mx = (x as u32).checked_sub(offset).map(|v| v / module);
                let dark = match (mx, my) {
                    (Some(mx), Some(my)) if mx < inner && my < inner => {
                        self.is_dark(mx as usize + QUIET_ZONE, my as usize + QUIET_ZONE)
                    }
                    _ => false,
                };
                if dark {
                    pixels[y * stride + x / 8] &= !(0x80 >> (x % 8));
                }
            }
        }
        let mut out = Vec::with_capacity(pixels.len() / 4 + 128);
        let mut encoder = png::Encoder::new(&mut out, options.size_px, options.size_px);
        encoder.set_color(png::ColorType::Grayscale);
        encoder.set_depth(png::BitDepth::One);
        let write = |e: png::EncodingError| ProtoError::invalid("png", e.to_string());
        let mut writer = encoder.write_header().map_err(write)?;
        writer.write_image_data(&pixels).map_err(write)?;
        writer.finish().map_err(write)?;
        Ok(out)
    }

    /// [`to_png`](Self::to_png) as a `data:image/png;base64,...` URI, for an `<img src>`.
    pub fn to_png_data_uri(&self, options: &QrImageOptions) -> Result<String> {
        Ok(format!(
            "data:image/png;base64,{}",
            crate::b64::encode_std(&self.to_png(options)?)
        ))
    }
}

/// The QR code of a `QR` device link: the link must parse strictly and be of type `QR`.
pub fn device_link_qr(link: &str, ec: QrErrorCorrection) -> Result<QrMatrix> {
    let parsed = parse_device_link(link)?;
    if parsed.link_type != DeviceLinkType::Qr {
        return Err(ProtoError::invalid(
            "deviceLink",
            format!(
                "only QR device links are rendered as QR codes, not {}",
                parsed.link_type
            ),
        ));
    }
    QrMatrix::encode(link, ec)
}

#[cfg(test)]
mod tests {
    use super::*;

    const QR_LINK: &str = "https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=OY1eHaD4UYedrBwtqUbSkpa0w7ttm4FllPkCD_3wlE0";

    #[test]
    fn documented_link_fits_version_9_at_level_l_like_the_java_client() {
        let m = device_link_qr(QR_LINK, QrErrorCorrection::Low).unwrap();
        assert_eq!(m.version(), 9);
        assert_eq!(m.width(), 53 + 8);
        let m = device_link_qr(QR_LINK, QrErrorCorrection::Medium).unwrap();
        assert!(m.version() > 9);
    }

    #[test]
    fn quiet_zone_and_finder_patterns() {
        let m = device_link_qr(QR_LINK, QrErrorCorrection::Low).unwrap();
        let w = m.width();
        for i in 0..w {
            for q in 0..QUIET_ZONE {
                assert!(!m.is_dark(i, q) && !m.is_dark(q, i));
                assert!(!m.is_dark(i, w - 1 - q) && !m.is_dark(w - 1 - q, i));
            }
        }
        // Top-left finder pattern: a 7×7 dark ring with a 3×3 dark centre.
        let q = QUIET_ZONE;
        for i in 0..7 {
            assert!(m.is_dark(q + i, q) && m.is_dark(q, q + i));
            assert!(m.is_dark(q + i, q + 6) && m.is_dark(q + 6, q + i));
        }
        assert!(!m.is_dark(q + 1, q + 1) && m.is_dark(q + 3, q + 3));
        assert_eq!(m.modules().len(), w * w);
        assert!(!m.is_dark(w, 0) && !m.is_dark(0, w));
    }

    #[test]
    fn svg() {
        let m = device_link_qr(QR_LINK, QrErrorCorrection::Low).unwrap();
        let svg = m.to_svg(10).unwrap();
        assert!(svg.starts_with(r#"<svg xmlns="http://www.w3.org/2000/svg""#));
        assert!(svg.contains(r#"width="610" height="610" viewBox="0 0 61 61""#));
        assert!(svg.ends_with("</svg>"));
        // The path paints exactly the dark modules.
        let d = svg.split(" d=\"").nth(1).unwrap();
        let painted: usize = d
            .split('M')
            .skip(1)
            .map(|run| {
                let len = run.split('h').nth(1).unwrap().split('v').next().unwrap();
                len.parse::<usize>().unwrap()
            })
            .sum();
        assert_eq!(painted, m.modules().iter().filter(|d| **d).count());
        assert!(m.to_svg(0).is_err());
        assert!(m.to_svg(65).is_err());
    }

    #[test]
    fn only_qr_device_links() {
        let app2app = QR_LINK.replace(
            "deviceLinkType=QR&elapsedSeconds=22",
            "deviceLinkType=App2App",
        );
        assert!(device_link_qr(&app2app, QrErrorCorrection::Low).is_err());
        assert!(device_link_qr("https://example.com/", QrErrorCorrection::Low).is_err());
        assert!(QrMatrix::encode("", QrErrorCorrection::Low).is_err());
        assert!(QrMatrix::encode(&"x".repeat(2049), QrErrorCorrection::Low).is_err());
    }
}
