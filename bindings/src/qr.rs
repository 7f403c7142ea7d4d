//! QR codes of device links for tablets and kiosks (Smart-ID asks for error correction L or M
//! and a quiet zone; this always adds 4 modules).

use sidkit_proto::qr::{self as core_qr, QrErrorCorrection as CoreEc};

use crate::error::SidkitError;

/// QR error-correction level (Smart-ID allows only these two).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, uniffi::Enum)]
pub enum QrErrorCorrection {
    /// `L` (7 %): the smallest code; the official Java client's default.
    Low,
    /// `M` (15 %).
    Medium,
}

impl From<QrErrorCorrection> for CoreEc {
    fn from(e: QrErrorCorrection) -> Self {
        match e {
            QrErrorCorrection::Low => CoreEc::Low,
            QrErrorCorrection::Medium => CoreEc::Medium,
        }
    }
}

/// A QR code as a square module matrix, quiet zone included.
#[derive(Debug, Clone, PartialEq, Eq, uniffi::Record)]
pub struct QrCode {
    /// Modules per side, including 4 modules of quiet zone on each side.
    pub width: u32,
    /// QR version (1–40).
    pub version: u8,
    /// `width × width` modules, row by row; `true` is dark.
    pub modules: Vec<bool>,
}

/// The QR code of a `QR` device link (it must be a well-formed device link of type `QR`).
/// Render each `true` module as a dark square of 6–10 px on a screen.
#[uniffi::export]
pub fn qr_code(
    device_link: String,
    error_correction: QrErrorCorrection,
) -> Result<QrCode, SidkitError> {
    let m = core_qr::device_link_qr(&device_link, error_correction.into())?;
    Ok(QrCode {
        width: u32::try_from(m.width()).unwrap_or(u32::MAX),
        version: m.version(),
        modules: m.modules().to_vec(),
    })
}

/// The QR code of a `QR` device link as a standalone SVG document, `module_px` pixels per
/// module (1–64).
#[uniffi::export]
pub fn qr_svg(
    device_link: String,
    error_correction: QrErrorCorrection,
    module_px: u32,
) -> Result<String, SidkitError> {
    let m = core_qr::device_link_qr(&device_link, error_correction.into())?;
    Ok(m.to_svg(module_px)?)
}
