#if canImport(SwiftUI)
import Foundation
import SidKitCore
import SwiftUI

extension View {
    /// Routes Smart-ID return links to `coordinator`: Universal Links delivered through
    /// `onOpenURL` and through `onContinueUserActivity(NSUserActivityTypeBrowsingWeb)`.
    ///
    /// - Parameters:
    ///   - coordinator: the coordinator whose flows the return links finish.
    ///   - otherURL: called with every URL that is not a Smart-ID return of this app.
    /// - Returns: the view with both handlers attached.
    public func smartIdReturnHandling(
        _ coordinator: SmartIdFlowCoordinator,
        otherURL: ((URL) -> Void)? = nil
    ) -> some View {
        onOpenURL { url in
            if !coordinator.handle(url: url) {
                otherURL?(url)
            }
        }
        .onContinueUserActivity(NSUserActivityTypeBrowsingWeb) { activity in
            if !coordinator.handle(userActivity: activity), let url = activity.webpageURL {
                otherURL?(url)
            }
        }
    }
}

/// Draws the QR code of a Smart-ID `QR` device link (for ``SmartIdFlowState/showingQr(deviceLink:)``),
/// with the 4-module quiet zone Smart-ID asks for. Give it a square frame; it scales.
public struct SmartIdQrCodeView: View {
    private let code: QrCode?

    /// The QR code of `deviceLink`; an invalid link draws nothing.
    ///
    /// - Parameters:
    ///   - deviceLink: a `QR` device link from the flow.
    ///   - errorCorrection: `.low` (Smart-ID's default) or `.medium`.
    public init(deviceLink: String, errorCorrection: QrErrorCorrection = .low) {
        code = try? qrCode(deviceLink: deviceLink, errorCorrection: errorCorrection)
    }

    /// The view's content.
    public var body: some View {
        Canvas { context, size in
            guard let code = code, code.width > 0 else { return }
            let width = Int(code.width)
            let module = min(size.width, size.height) / CGFloat(width)
            context.fill(Path(CGRect(origin: .zero, size: size)), with: .color(.white))
            for row in 0..<width {
                for column in 0..<width where code.modules[row * width + column] {
                    let rect = CGRect(x: CGFloat(column) * module, y: CGFloat(row) * module, width: module, height: module)
                    context.fill(Path(rect), with: .color(.black))
                }
            }
        }
        .aspectRatio(1, contentMode: .fit)
        .accessibilityLabel(Text("Smart-ID QR code"))
    }
}
#endif
