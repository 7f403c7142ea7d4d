import Foundation

/// Keeps the snapshot of the pending flow across process death.
///
/// While the user is in the Smart-ID app, iOS may end the app's process. The snapshot
/// (``SidkitFlow/snapshot()``) is one line of secret-free JSON: no session secret, session ID,
/// challenge or callback token, only the token's hash. Restore it with
/// ``SmartIdFlowCoordinator/restorePendingFlow()`` before the return URL is handled.
public protocol FlowSnapshotStore: Sendable {
    /// The stored snapshot, if any.
    func load() -> String?
    /// Stores `snapshot`, or removes the stored one when `nil`.
    func save(_ snapshot: String?)
}

/// Stores the snapshot in `UserDefaults` (the default store).
///
/// For per-scene state restoration use `@SceneStorage` instead: bind it to
/// ``SmartIdFlowCoordinator/snapshot`` and pass `nil` as the coordinator's store.
public final class UserDefaultsSnapshotStore: FlowSnapshotStore, @unchecked Sendable {
    // @unchecked: UserDefaults is documented as thread-safe; `key` is immutable.

    /// The `UserDefaults` key.
    public let key: String
    private let defaults: UserDefaults

    /// Stores under `key` in `defaults`.
    public init(key: String = "dev.sidkit.pendingFlowSnapshot", defaults: UserDefaults = .standard) {
        self.key = key
        self.defaults = defaults
    }

    /// The stored snapshot, if any.
    public func load() -> String? {
        defaults.string(forKey: key)
    }

    /// Stores `snapshot`, or removes it when `nil`.
    public func save(_ snapshot: String?) {
        if let snapshot = snapshot {
            defaults.set(snapshot, forKey: key)
        } else {
            defaults.removeObject(forKey: key)
        }
    }
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
