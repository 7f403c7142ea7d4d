import Foundation
import SidKitCore
#if canImport(UIKit)
import UIKit
#elseif canImport(AppKit)
import AppKit
#endif

/// Opens device links the way Smart-ID asks for: as a Universal Link only first, so that the
/// Smart-ID app opens directly, and, when no app claims the link, normally, which shows
/// Smart-ID's fallback page in the browser.
public struct SystemDeviceLinkOpener: DeviceLinkOpener {
    /// Creates the opener.
    public init() {}

    /// On iOS: `UIApplication.shared.open(url, options: [.universalLinksOnly: true])`, then,
    /// if that returns `false`, `UIApplication.shared.open(url)`. On macOS: `NSWorkspace`. Not
    /// available in app extensions.
    @MainActor
    public func open(_ url: URL) async -> DeviceLinkLaunch {
        #if canImport(UIKit) && !os(watchOS)
        if await UIApplication.shared.open(url, options: [.universalLinksOnly: true]) {
            return .app
        }
        return await UIApplication.shared.open(url, options: [:]) ? .fallbackPage : .failed
        #elseif canImport(AppKit)
        return NSWorkspace.shared.open(url) ? .fallbackPage : .failed
        #else
        return .failed
        #endif
    }
}
