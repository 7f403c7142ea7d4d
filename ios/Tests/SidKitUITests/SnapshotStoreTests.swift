// Tests of where SidKitUI keeps the flow snapshot. The snapshot holds the flow key (a secret), so
// the default store of SmartIdFlowCoordinator(configuration:transport:) is KeychainSnapshotStore:
// one generic-password item, this device only, not synchronized, deleted on save(nil);
// UserDefaults is never used (the value earlier versions wrote is removed unread). Apple only:
// run on a Mac or the iOS simulator; where the process has no Keychain access (an unsigned
// `swift test` on macOS answers errSecMissingEntitlement) the Keychain tests are skipped. This
// machine only parses and API-checks them, and tests/ios/snapshot_check.py checks the same rules
// on the sources.
//
// Swift 6 style: no stored properties and no setUp/tearDown overrides; each test makes its own
// store (a fresh account) and removes it again.
#if canImport(Security)
import Foundation
import Security
import SidKit
import SidKitCore
@testable import SidKitUI
import SidKitTestSupport
import XCTest

/// Records the links it is asked to open and answers `.app`, without leaving the test.
final class RecordingOpener: DeviceLinkOpener, @unchecked Sendable {
    // @unchecked: `urls` is only read and written while holding `lock` (in synchronous helpers).
    private let lock = NSLock()
    private var urls: [URL] = []

    /// The links opened so far.
    var opened: [URL] {
        lock.lock()
        defer { lock.unlock() }
        return urls
    }

    private func record(_ url: URL) {
        lock.lock()
        defer { lock.unlock() }
        urls.append(url)
    }

    @MainActor
    func open(_ url: URL) async -> DeviceLinkLaunch {
        record(url)
        return .app
    }
}

/// Waits (5 s at most) until the coordinator waits for the return after opening the link.
@MainActor
func waitForLaunch(_ coordinator: SmartIdFlowCoordinator) async throws {
    let deadline = Date().addingTimeInterval(5)
    while Date() < deadline {
        if case .awaitingReturn(_, true) = coordinator.state {
            return
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    XCTFail("timed out; state is \(coordinator.state)")
}

@MainActor
final class SnapshotStoreTests: XCTestCase {
    /// A store of its own (a fresh account); skips the test where the Keychain is not usable.
    func makeStore() throws -> KeychainSnapshotStore {
        let store = KeychainSnapshotStore(account: "test-\(UUID().uuidString)")
        do {
            try store.write("probe")
            try store.write(nil)
        } catch let error as KeychainSnapshotStore.KeychainError where error.status == errSecMissingEntitlement {
            throw XCTSkip("no Keychain access in this test process (errSecMissingEntitlement)")
        }
        return store
    }

    /// The item's attributes as the Keychain reports them.
    func attributes(of store: KeychainSnapshotStore) throws -> [String: Any] {
        var query = store.itemQuery()
        query[kSecReturnAttributes as String] = true
        query[kSecMatchLimit as String] = kSecMatchLimitOne
        var result: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &result)
        XCTAssertEqual(status, errSecSuccess)
        return try XCTUnwrap(result as? [String: Any])
    }

    func testTheCoordinatorsDefaultStoreIsTheKeychain() async throws {
        _ = try makeStore()
        KeychainSnapshotStore().save(nil)
        let backend = FakeBackend()
        let opener = RecordingOpener()
        let config = SidkitConfig(callbackBase: callbackBase, environment: .live)
        // SidKitUI's initializer: the Keychain store.
        let coordinator = try SmartIdFlowCoordinator(configuration: config, transport: FakeTransport(backend), opener: opener)
        let run = Task { try await coordinator.authenticate() }
        try await waitForLaunch(coordinator)
        XCTAssertEqual(opener.opened.count, 1)
        let snapshot = try XCTUnwrap(coordinator.snapshot)
        let keychain = KeychainSnapshotStore()
        XCTAssertEqual(keychain.load(), snapshot)
        XCTAssertNil(UserDefaults.standard.object(forKey: KeychainSnapshotStore.legacyDefaultsKey))
        let attrs = try attributes(of: keychain)
        XCTAssertEqual(attrs[kSecAttrAccessible as String] as? String, kSecAttrAccessibleWhenUnlockedThisDeviceOnly as String)

        await coordinator.cancel()
        _ = await run.result
        XCTAssertNil(coordinator.snapshot)
        XCTAssertNil(keychain.load(), "an ended flow leaves no Keychain item")
    }

    func testStoreRoundTripOverwriteAndDelete() async throws {
        let store = try makeStore()
        defer { try? store.write(nil) }
        XCTAssertNil(store.load())
        store.save("{\"v\":2,\"one\":1}")
        XCTAssertEqual(store.load(), "{\"v\":2,\"one\":1}")
        store.save("{\"v\":2,\"two\":2}")
        XCTAssertEqual(try store.read(), "{\"v\":2,\"two\":2}")
        // Another instance of the same item (e.g. after a restart) reads it; another account does not.
        XCTAssertEqual(KeychainSnapshotStore(account: store.account).load(), "{\"v\":2,\"two\":2}")
        let other = KeychainSnapshotStore(account: store.account + "-other")
        XCTAssertNil(other.load())
        store.save(nil)
        XCTAssertNil(store.load())
        XCTAssertNil(try store.read())
        // Deleting what is not there is not an error.
        XCTAssertNoThrow(try store.write(nil))
    }

    func testTheItemStaysOnThisDeviceAndIsNotSynchronized() async throws {
        let store = try makeStore()
        defer { try? store.write(nil) }
        store.save("{\"v\":2}")
        let attrs = try attributes(of: store)
        XCTAssertEqual(attrs[kSecAttrAccessible as String] as? String, kSecAttrAccessibleWhenUnlockedThisDeviceOnly as String)
        XCTAssertEqual(attrs[kSecAttrService as String] as? String, KeychainSnapshotStore.defaultService)
        XCTAssertEqual(attrs[kSecAttrAccount as String] as? String, store.account)
        let synchronizable = (attrs[kSecAttrSynchronizable as String] as? NSNumber)?.boolValue ?? false
        XCTAssertFalse(synchronizable)
    }

    func testTheQueryNamesALocalGenericPasswordItem() async {
        let store = KeychainSnapshotStore(account: "test-\(UUID().uuidString)")
        let query = store.itemQuery()
        XCTAssertEqual(query[kSecClass as String] as? String, kSecClassGenericPassword as String)
        XCTAssertEqual(query[kSecAttrService as String] as? String, KeychainSnapshotStore.defaultService)
        XCTAssertEqual(query[kSecAttrAccount as String] as? String, store.account)
        XCTAssertEqual(query[kSecAttrSynchronizable as String] as? Bool, false)
        XCTAssertNil(query[kSecAttrAccessGroup as String])
    }

    func testTheUserDefaultsValueOfEarlierVersionsIsRemovedUnread() async throws {
        let store = try makeStore()
        UserDefaults.standard.set("{\"v\":1,\"id\":\"old\"}", forKey: KeychainSnapshotStore.legacyDefaultsKey)
        let fresh = KeychainSnapshotStore(account: store.account)
        XCTAssertNil(UserDefaults.standard.object(forKey: KeychainSnapshotStore.legacyDefaultsKey))
        XCTAssertNil(fresh.load(), "nothing is migrated: a version-1 snapshot cannot be restored")
    }
}
#endif
