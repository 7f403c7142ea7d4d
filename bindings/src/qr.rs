//! QR codes of device links for tablets and kiosks (Smart-ID asks for error correction L or M
//! and a quiet zone; this always adds 4 modules).
//!
//! The rendering is the cargo feature `qr` (on by default; sidkit-proto's `qr`, the `qrcode`
//! crate). An App2App-only app can build without it (`--no-default-features --features json`):
//! the types and functions stay, so the FFI surface, the generated Kotlin and Swift and the
//! wrappers are the same for both builds, but `qrCode` / `qrSvg` / `SidkitFlow.qrCode` then fail
//! with the `Flow` error of kind `InvalidState` saying that QR support is not built in.

#[cfg(feature = "qr")]
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

#[cfg(feature = "qr")]
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
    #[cfg(feature = "qr")]
    {
        let m = core_qr::device_link_qr(&device_link, error_correction.into())?;
        Ok(QrCode {
            width: u32::try_from(m.width()).unwrap_or(u32::MAX),
            version: m.version(),
            modules: m.modules().to_vec(),
        })
    }
    #[cfg(not(feature = "qr"))]
    {
        let _ = (device_link, error_correction);
        Err(no_qr())
    }
}

/// The QR code of a `QR` device link as a standalone SVG document, `module_px` pixels per
/// module (1–64).
#[uniffi::export]
pub fn qr_svg(
    device_link: String,
    error_correction: QrErrorCorrection,
    module_px: u32,
) -> Result<String, SidkitError> {
    #[cfg(feature = "qr")]
    {
        let m = core_qr::device_link_qr(&device_link, error_correction.into())?;
        Ok(m.to_svg(module_px)?)
    }
    #[cfg(not(feature = "qr"))]
    {
        let _ = (device_link, error_correction, module_px);
        Err(no_qr())
    }
}

/// The error of the QR functions in a build without the `qr` feature.
#[cfg(not(feature = "qr"))]
fn no_qr() -> SidkitError {
    SidkitError::Flow {
        kind: crate::error::FlowErrorKind::InvalidState,
        reason: "this build of libsidkit has no QR support (built without the cargo feature `qr` \
                 of sidkit-mobile, for App2App-only apps)"
            .to_owned(),
    }
}

#[cfg(all(test, not(feature = "qr")))]
mod tests {
    use super::*;

    #[test]
    fn without_the_qr_feature_the_functions_fail_with_a_typed_error() {
        let link = "https://smart-id.com/device-link?deviceLinkType=QR".to_owned();
        let e = qr_code(link.clone(), QrErrorCorrection::Low).unwrap_err();
        assert_eq!(e.code(), "flow_invalid_state");
        assert!(e.to_string().contains("no QR support"), "{e}");
        let e = qr_svg(link, QrErrorCorrection::Medium, 8).unwrap_err();
        assert_eq!(e.code(), "flow_invalid_state");
    }
}
