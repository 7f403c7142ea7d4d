import Foundation
import SidKitCore

#if canImport(Darwin)
extension SmartIdFlowCoordinator {
    /// ``SmartIdFlowCoordinator/handle(url:)`` for the `NSUserActivity` of a Universal Link
    /// (`application(_:continue:restorationHandler:)`, `scene(_:continue:)`,
    /// `onContinueUserActivity(NSUserActivityTypeBrowsingWeb)`). Can be called from any thread.
    ///
    /// - Returns: `false` unless the activity is a web-browsing activity whose URL is a
    ///   Smart-ID return of this app.
    @discardableResult
    public nonisolated func handle(userActivity: NSUserActivity) -> Bool {
        guard userActivity.activityType == NSUserActivityTypeBrowsingWeb,
              let url = userActivity.webpageURL
        else {
            return false
        }
        return handle(url: url)
    }
}
#endif

#if canImport(Security)
extension SmartIdFlowCoordinator {
    /// A coordinator for an iOS (or macOS) app: a new client, device links opened by `opener`
    /// (``SystemDeviceLinkOpener`` by default: Universal Links first) and the snapshot kept in
    /// the Keychain (``KeychainSnapshotStore``, this device only). For another store use
    /// `init(configuration:transport:opener:snapshotStore:)`.
    ///
    /// - Parameters:
    ///   - configuration: the app's callback base and Smart-ID environment.
    ///   - transport: how the backend is reached, e.g. ``URLSessionBackendTransport``.
    ///   - opener: opens the checked device links.
    /// - Throws: `SmartIdError.invalidInput(field:reason:)` when the configuration is invalid
    ///   (e.g. the callback base is not a strict `https` URL).
    public convenience init(
        configuration: SidkitConfig,
        transport: BackendTransport,
        opener: DeviceLinkOpener = SystemDeviceLinkOpener()
    ) throws {
        try self.init(
            configuration: configuration,
            transport: transport,
            opener: opener,
            snapshotStore: KeychainSnapshotStore()
        )
    }
}
#endif
