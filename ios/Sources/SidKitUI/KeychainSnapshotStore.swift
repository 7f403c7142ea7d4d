import Foundation
import SidKitCore
#if canImport(Security)
import Security
#endif

#if canImport(Security)
/// Keeps the snapshot in the Keychain: the default store of
/// `SmartIdFlowCoordinator(configuration:transport:opener:)` and `ObservableSmartIdFlow`.
///
/// One generic-password item (`kSecClassGenericPassword`) per store, named by `service` and
/// `account`, readable only while the device is unlocked and never leaving it
/// (`kSecAttrAccessibleWhenUnlockedThisDeviceOnly`: not in iCloud Keychain, not restored from a
/// backup onto another device), and not synchronized (`kSecAttrSynchronizable` false). The flow is
/// resumed by the user coming back from Smart-ID, so the device is unlocked when the snapshot
/// is needed. `save(nil)` deletes the item.
///
/// A new store also removes the `UserDefaults` value that earlier versions of SidKitUI wrote
/// (key `dev.sidkit.pendingFlowSnapshot`) without reading it: a snapshot of format version 1
/// cannot be restored any more.
public final class KeychainSnapshotStore: FlowSnapshotStore, Sendable {
    // Sendable as checked by the compiler: every stored property is an immutable String; the
    // Keychain functions are thread-safe.

    /// The Keychain service of the default store.
    public static let defaultService = "dev.sidkit.flow-snapshot"

    /// The `UserDefaults` key of the store of earlier versions (removed, never read).
    public static let legacyDefaultsKey = "dev.sidkit.pendingFlowSnapshot"

    /// The item's service (`kSecAttrService`).
    public let service: String
    /// The item's account (`kSecAttrAccount`); use one per coordinator if the app runs several.
    public let account: String
    /// The Keychain access group (`kSecAttrAccessGroup`), or `nil` for the app's default group.
    public let accessGroup: String?

    /// A store of the item `service` / `account` (in `accessGroup`, if given).
    public init(service: String = KeychainSnapshotStore.defaultService, account: String = "pending", accessGroup: String? = nil) {
        self.service = service
        self.account = account
        self.accessGroup = accessGroup
        UserDefaults.standard.removeObject(forKey: KeychainSnapshotStore.legacyDefaultsKey)
    }

    /// A Keychain call that failed, with its `OSStatus`.
    public struct KeychainError: Error, Equatable, Sendable {
        /// The status the Security framework returned (e.g. `errSecInteractionNotAllowed`
        /// while the device is locked).
        public let status: OSStatus
    }

    /// The stored snapshot, if any; `nil` also when the Keychain cannot be read (see ``read()``).
    public func load() -> String? {
        try? read()
    }

    /// Stores `snapshot`, or removes it when `nil`; a Keychain failure is dropped (see
    /// ``write(_:)``): the flow goes on, it just cannot be restored after process death.
    public func save(_ snapshot: String?) {
        try? write(snapshot)
    }

    /// The stored snapshot, or `nil` when there is none.
    ///
    /// - Throws: ``KeychainError`` when the Keychain answers anything but success or "not found".
    public func read() throws -> String? {
        var query = itemQuery()
        query[kSecReturnData as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        if status == errSecItemNotFound {
            return nil
        }
        guard status == errSecSuccess else {
            throw KeychainError(status: status)
        }
        guard let data = result as? Data, let text = String(data: data, encoding: .utf8) else {
            throw KeychainError(status: errSecDecode)
        }
        return text
    }

    /// Stores `snapshot` (updating the item, or adding it), or deletes the item when `nil`.
    ///
    /// - Throws: ``KeychainError`` when the Keychain refuses.
    public func write(_ snapshot: String?) throws {
        guard let snapshot = snapshot else {
            let status = SecItemDelete(itemQuery() as CFDictionary)
            guard status == errSecSuccess || status == errSecItemNotFound else {
                throw KeychainError(status: status)
            }
            return
        }
        // The update also sets the accessibility, so an older item gets this one too.
        let attributes: [String: Any] = [
            kSecValueData as String: Data(snapshot.utf8),
            kSecAttrAccessible as String: kSecAttrAccessibleWhenUnlockedThisDeviceOnly,
        ]
        var status = SecItemUpdate(itemQuery() as CFDictionary, attributes as CFDictionary)
        if status == errSecItemNotFound {
            var item = itemQuery()
            item.merge(attributes) { _, new in new }
            status = SecItemAdd(item as CFDictionary, nil)
            if status == errSecDuplicateItem {
                // Added by another thread in between: update that one.
                status = SecItemUpdate(itemQuery() as CFDictionary, attributes as CFDictionary)
            }
        }
        guard status == errSecSuccess else {
            throw KeychainError(status: status)
        }
    }

    /// The attributes that name the item: class, service, account, access group, and the
    /// local (not synchronized) Keychain.
    func itemQuery() -> [String: Any] {
        var query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrAccount as String: account,
            kSecAttrSynchronizable as String: false,
            // macOS: the data-protection Keychain, where the accessibility above applies (as on iOS).
            kSecUseDataProtectionKeychain as String: true,
        ]
        if let accessGroup = accessGroup {
            query[kSecAttrAccessGroup as String] = accessGroup
        }
        return query
    }
}
#endif
