//! QR images as PNG (issue 13, item 4): the PNG of a device link, decoded by an independent QR
//! decoder (`rqrr`, after reading the PNG back), is the exact link, for several sizes, quiet
//! zones and both error-correction levels; the default is the Java client's 610 px; bad options
//! are typed errors.
#![cfg(feature = "qr-png")]

use sidkit_proto::qr::{device_link_qr, QrErrorCorrection, QrImageOptions};

const QR_LINK: &str = "https://smart-id.com/device-link?deviceLinkType=QR&elapsedSeconds=22&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ&sessionType=auth&version=1.0&lang=eng&authCode=OY1eHaD4UYedrBwtqUbSkpa0w7ttm4FllPkCD_3wlE0";

/// Reads a PNG back and decodes the QR code in it with rqrr.
fn decode(png_bytes: &[u8]) -> (u32, String) {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    // Expand 1-bit greyscale to 8 bits per pixel.
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().expect("a PNG");
    let mut buf = vec![0; reader.output_buffer_size().expect("size")];
    let info = reader.next_frame(&mut buf).expect("a frame");
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    assert_eq!(info.width, info.height);
    let (w, h) = (info.width as usize, info.height as usize);
    let stride = info.line_size;
    let mut img = rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| buf[y * stride + x]);
    let grids = img.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code in the image");
    let (_, content) = grids[0].decode().expect("rqrr decodes it");
    (info.width, content)
}

#[test]
fn the_png_decodes_to_the_exact_link() {
    for ec in [QrErrorCorrection::Low, QrErrorCorrection::Medium] {
        let m = device_link_qr(QR_LINK, ec).unwrap();
        for (size_px, quiet_zone) in [(610, 4), (300, 4), (333, 6), (1000, 16), (160, 4)] {
            let opts = QrImageOptions {
                size_px,
                quiet_zone,
            };
            let png = m.to_png(&opts).unwrap();
            assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
            let (w, content) = decode(&png);
            assert_eq!(w, size_px);
            assert_eq!(
                content, QR_LINK,
                "{ec:?} {size_px} px, quiet zone {quiet_zone}"
            );
        }
    }
}

#[test]
fn the_default_is_the_java_clients_610_px_and_a_data_uri() {
    let m = device_link_qr(QR_LINK, QrErrorCorrection::Low).unwrap();
    let opts = QrImageOptions::default();
    assert_eq!((opts.size_px, opts.quiet_zone), (610, 4));
    let png = m.to_png(&opts).unwrap();
    // 1-bit greyscale: a few kilobytes at most.
    assert!(png.len() < 4096, "{} bytes", png.len());
    let uri = m.to_png_data_uri(&opts).unwrap();
    let b64 = uri
        .strip_prefix("data:image/png;base64,")
        .expect("data URI");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64)
        .unwrap();
    assert_eq!(bytes, png);
    assert_eq!(decode(&bytes).1, QR_LINK);
}

#[test]
fn bad_options_are_typed_errors() {
    let m = device_link_qr(QR_LINK, QrErrorCorrection::Low).unwrap();
    let png = |size_px, quiet_zone| {
        m.to_png(&QrImageOptions {
            size_px,
            quiet_zone,
        })
    };
    // Version 9: 53 modules + 2 × quiet zone.
    assert!(png(61, 4).is_ok());
    let e = png(60, 4).unwrap_err();
    assert!(e.to_string().contains("sizePx"), "{e}");
    assert!(png(4097, 4).is_err());
    let e = png(610, 3).unwrap_err();
    assert!(e.to_string().contains("quietZone"), "{e}");
    assert!(png(610, 17).is_err());
}
