import Foundation

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

/// Opens the checked Smart-ID device link for a ``SmartIdFlowCoordinator``.
///
/// SidKitUI's `SystemDeviceLinkOpener` (`UIApplication`, Universal Links first) is the default
/// of its convenience initializers; tests, other platforms and apps with special needs (an in-app
/// notice before leaving, analytics) supply their own.
public protocol DeviceLinkOpener: Sendable {
    /// Opens `url` and says how.
    @MainActor
    func open(_ url: URL) async -> DeviceLinkLaunch
}
