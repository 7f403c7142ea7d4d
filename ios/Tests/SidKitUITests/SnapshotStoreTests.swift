// Tests of where the flow snapshot is kept. The snapshot holds the flow key (a secret), so the
// coordinator's default store is KeychainSnapshotStore: one generic-password item, this device
// only, not synchronized, deleted on save(nil); UserDefaults is never used (the value earlier
// versions wrote is removed unread). Run on a Mac or the iOS simulator (see CoordinatorTests);
// where the process has no Keychain access (an unsigned `swift test` on macOS answers
// errSecMissingEntitlement) the Keychain tests are skipped. This machine only parses and
// API-checks them, and tests/ios/snapshot_check.py checks the same rules on the sources.
import Foundation
import Security
import XCTest
@testable import SidKit
@testable import SidKitUI
import SidKitTestSupport

@MainActor
final class SnapshotStoreTests: XCTestCase {
    /// A store of its own per test (a fresh account), removed again afterwards.
    var store: KeychainSnapshotStore!

    override func setUp() async throws {
        store = KeychainSnapshotStore(account: "test-\(UUID().uuidString)")
        do {
            try store.write("probe")
            try store.write(nil)
        } catch let error as KeychainSnapshotStore.KeychainError where error.status == errSecMissingEntitlement {
            throw XCTSkip("no Keychain access in this test process (errSecMissingEntitlement)")
        }
    }

    override func tearDown() async throws {
        try? store?.write(nil)
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
        KeychainSnapshotStore().save(nil)
        let backend = FakeBackend()
        let opener = FakeOpener()
        let config = SidkitConfig(callbackBase: callbackBase, environment: .live)
        // No snapshotStore argument: the default one.
        let coordinator = try SmartIdFlowCoordinator(configuration: config, transport: FakeTransport(backend), opener: opener)
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
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

    func testStoreRoundTripOverwriteAndDelete() throws {
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

    func testTheItemStaysOnThisDeviceAndIsNotSynchronized() throws {
        store.save("{\"v\":2}")
        let attrs = try attributes(of: store)
        XCTAssertEqual(attrs[kSecAttrAccessible as String] as? String, kSecAttrAccessibleWhenUnlockedThisDeviceOnly as String)
        XCTAssertEqual(attrs[kSecAttrService as String] as? String, KeychainSnapshotStore.defaultService)
        XCTAssertEqual(attrs[kSecAttrAccount as String] as? String, store.account)
        let synchronizable = (attrs[kSecAttrSynchronizable as String] as? NSNumber)?.boolValue ?? false
        XCTAssertFalse(synchronizable)
    }

    func testTheQueryNamesALocalGenericPasswordItem() {
        let query = store.itemQuery()
        XCTAssertEqual(query[kSecClass as String] as? String, kSecClassGenericPassword as String)
        XCTAssertEqual(query[kSecAttrService as String] as? String, KeychainSnapshotStore.defaultService)
        XCTAssertEqual(query[kSecAttrAccount as String] as? String, store.account)
        XCTAssertEqual(query[kSecAttrSynchronizable as String] as? Bool, false)
        XCTAssertNil(query[kSecAttrAccessGroup as String])
    }

    func testTheUserDefaultsValueOfEarlierVersionsIsRemovedUnread() {
        UserDefaults.standard.set("{\"v\":1,\"id\":\"old\"}", forKey: KeychainSnapshotStore.legacyDefaultsKey)
        let fresh = KeychainSnapshotStore(account: store.account)
        XCTAssertNil(UserDefaults.standard.object(forKey: KeychainSnapshotStore.legacyDefaultsKey))
        XCTAssertNil(fresh.load(), "nothing is migrated: a version-1 snapshot cannot be restored")
    }
}
