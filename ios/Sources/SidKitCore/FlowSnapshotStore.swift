import Foundation

/// Keeps the snapshot of the pending flow across process death.
///
/// While the user is in the Smart-ID app, iOS may end the app's process. The snapshot
/// (`SidkitFlow.snapshot()`, one line of JSON, format version 2) lets
/// ``SmartIdFlowCoordinator/restorePendingFlow()`` bring the flow back before the return URL is
/// handled.
///
/// **The snapshot is a secret.** It holds the flow key: a bearer credential for that one flow,
/// as sensitive as a session cookie for the few minutes the flow lives (whoever has it can poll,
/// complete or cancel the flow). A store must keep it on this device only, out of backups and
/// iCloud, out of logs, and remove it when ``save(_:)`` gets `nil`. SidKitUI's
/// `KeychainSnapshotStore` (the default of its `SmartIdFlowCoordinator(configuration:transport:opener:)`)
/// does. Do not keep it in `UserDefaults`, `@AppStorage` or `@SceneStorage`: they
/// are plain files in the app's container that go into device backups, and Apple's
/// documentation of `SceneStorage` says not to use it with sensitive data.
public protocol FlowSnapshotStore: Sendable {
    /// The stored snapshot, if any.
    func load() -> String?
    /// Stores `snapshot`, or removes the stored one when `nil`.
    func save(_ snapshot: String?)
}

/// Keeps the snapshot in memory only (tests, previews, or apps that do not restore flows).
public final class InMemorySnapshotStore: FlowSnapshotStore, @unchecked Sendable {
    // @unchecked: every access to `value` holds `lock`.
    private let lock = NSLock()
    private var value: String?

    /// An empty store, or one holding `snapshot`.
    public init(_ snapshot: String? = nil) {
        value = snapshot
    }

    /// The stored snapshot, if any.
    public func load() -> String? {
        lock.lock()
        defer { lock.unlock() }
        return value
    }

    /// Stores `snapshot`, or removes it when `nil`.
    public func save(_ snapshot: String?) {
        lock.lock()
        defer { lock.unlock() }
        value = snapshot
    }
}
