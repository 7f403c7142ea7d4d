import Foundation
#if canImport(UIKit)
import UIKit
#elseif canImport(AppKit)
import AppKit
#endif

/// How a device link was opened.
public enum DeviceLinkLaunch: Equatable, Sendable {
    /// The Smart-ID app took the link (it claims the link's Universal Link domain).
    case app
    /// No app claimed the link; it opened in the browser, on Smart-ID's official fallback page
    /// (it offers to install Smart-ID, or to continue on another device).
    case fallbackPage
    /// The system could not open the link at all.
    case failed
}

/// Opens the checked Smart-ID device link. ``SystemDeviceLinkOpener`` is the default; tests and
/// apps with special needs (an in-app notice before leaving, analytics) supply their own.
public protocol DeviceLinkOpener: Sendable {
    /// Opens `url` and says how.
    @MainActor
    func open(_ url: URL) async -> DeviceLinkLaunch
}

/// Opens device links the way Smart-ID asks for: as a Universal Link only first, so that the
/// Smart-ID app opens directly, and, when no app claims the link, normally, which shows
/// Smart-ID's fallback page in the browser.
public struct SystemDeviceLinkOpener: DeviceLinkOpener {
    /// Creates the opener.
    public init() {}

    /// On iOS: `UIApplication.shared.open(url, options: [.universalLinksOnly: true])`, then,
    /// if that returns `false`, `UIApplication.shared.open(url)`. Not available in app extensions.
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
