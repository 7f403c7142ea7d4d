// Tests of SmartIdFlowCoordinator against the fake backend: start → state updates →
// handle(url:) → outcome, foreign URLs, snapshot restore after process death, cancellation,
// QR polling. Run on a Mac: `xcodebuild test -scheme SidKit-Package -destination
// 'platform=iOS Simulator,name=iPhone 15'`, or `swift test` with the macOS slice
// (`scripts/build-xcframework.sh --macos`). This machine only parses and API-checks them
// (tests/ios/run.sh).
import Foundation
import XCTest
@testable import SidKit
@testable import SidKitUI
import SidKitTestSupport

/// Records the links it is asked to open and answers with `result`.
final class FakeOpener: DeviceLinkOpener, @unchecked Sendable {
    // @unchecked: every access to `urls` holds `lock`; `result` is set before use.
    private let lock = NSLock()
    private var urls: [URL] = []
    var result: DeviceLinkLaunch

    init(result: DeviceLinkLaunch = .app) {
        self.result = result
    }

    var opened: [URL] {
        lock.lock()
        defer { lock.unlock() }
        return urls
    }

    @MainActor
    func open(_ url: URL) async -> DeviceLinkLaunch {
        lock.lock()
        urls.append(url)
        lock.unlock()
        return result
    }
}

struct Timeout: Error {}

/// Waits until `match` returns a value for the coordinator's state (5 s at most).
@MainActor
func waitFor<T>(
    _ coordinator: SmartIdFlowCoordinator,
    timeout: TimeInterval = 5,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ match: (SmartIdFlowState) -> T?
) async throws -> T {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if let value = match(coordinator.state) {
            return value
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    XCTFail("timed out waiting; state is \(coordinator.state)", file: file, line: line)
    throw Timeout()
}

/// Waits until `condition` holds (5 s at most).
@MainActor
func waitUntil(timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line, _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if condition() {
            return
        }
        try await Task.sleep(nanoseconds: 5_000_000)
    }
    XCTFail("timed out waiting for a condition", file: file, line: line)
    throw Timeout()
}

func awaitingLink(_ state: SmartIdFlowState) -> String? {
    if case let .awaitingReturn(deviceLink) = state {
        return deviceLink
    }
    return nil
}

func errorCode(_ error: Error) -> String? {
    (error as? SidkitError)?.code()
}

@MainActor
final class CoordinatorTests: XCTestCase {
    var backend: FakeBackend!
    var opener: FakeOpener!
    var store: InMemorySnapshotStore!

    override func setUp() async throws {
        backend = FakeBackend()
        opener = FakeOpener()
        store = InMemorySnapshotStore()
    }

    func makeCoordinator(maxFlowDurationMs: UInt64? = nil) throws -> SmartIdFlowCoordinator {
        let config = SidkitConfig(
            callbackBase: callbackBase,
            environment: .live,
            additionalDeviceLinkBases: [],
            maxFlowDurationMs: maxFlowDurationMs
        )
        return try SmartIdFlowCoordinator(configuration: config, transport: FakeTransport(backend), opener: opener, snapshotStore: store)
    }

    func onlySession() -> Session {
        backend.locked { Array(backend.sessions.values) }.first!
    }

    func testInvalidConfigurationThrows() {
        let config = SidkitConfig(callbackBase: "http://rp.example.com/return", environment: .live)
        XCTAssertThrowsError(try SmartIdFlowCoordinator(configuration: config, transport: FakeTransport(backend))) { error in
            XCTAssertEqual(errorCode(error), "invalid_input")
        }
    }

    func testAuthenticationFromStartToOutcome() async throws {
        let coordinator = try makeCoordinator()
        XCTAssertEqual(coordinator.state, .idle)
        let run = Task { try await coordinator.authenticate() }

        let link = try await waitFor(coordinator, awaitingLink)
        XCTAssertTrue(link.hasPrefix("https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken="))
        XCTAssertEqual(opener.opened.map { $0.absoluteString }, [link])
        // The snapshot is kept while the user is in Smart-ID; it holds no callback token (its
        // secret is the flow key, which is why the default store is the Keychain).
        let snapshot = try XCTUnwrap(store.load())
        XCTAssertEqual(coordinator.snapshot, snapshot)
        let session = onlySession()
        XCTAssertFalse(snapshot.contains(session.callbackToken!))
        XCTAssertEqual(backend.idempotencyKeys.count, 1)

        XCTAssertTrue(coordinator.handle(url: URL(string: session.returnUrl())!))
        let outcome = try await run.value
        guard case let .authenticated(identity, appData) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(identity.identifier, "PNOEE-30303039914")
        XCTAssertEqual(appData, "rp-session-\(session.handle)")
        XCTAssertEqual(coordinator.state, .finished(outcome))
        XCTAssertEqual(coordinator.state.outcome, outcome)
        XCTAssertNil(coordinator.snapshot)
        XCTAssertNil(store.load())
        XCTAssertEqual(backend.completeCalls, 1)
    }

    func testStateStreamSeesEveryStep() async throws {
        let coordinator = try makeCoordinator()
        let collector = Task { () -> [SmartIdFlowState] in
            var seen: [SmartIdFlowState] = []
            for await state in coordinator.states {
                seen.append(state)
                if state.isTerminal {
                    break
                }
            }
            return seen
        }
        try await Task.sleep(nanoseconds: 20_000_000)
        let run = Task { try await coordinator.sign(context: "doc-17") }
        let link = try await waitFor(coordinator, awaitingLink)
        XCTAssertTrue(coordinator.handle(url: URL(string: onlySession().returnUrl())!))
        let outcome = try await run.value
        guard case let .signed(signature, appData) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(signature.signatureAlgorithm, "rsassa-pss")
        XCTAssertEqual(appData, "doc-17")

        let seen = await collector.value
        XCTAssertEqual(seen.first, .idle)
        XCTAssertEqual(Array(seen.suffix(5)), [
            .starting,
            .launching(deviceLink: link),
            .awaitingReturn(deviceLink: link),
            .completing,
            .finished(outcome),
        ])
    }

    func testRefusalIsAnOutcomeNotAnError() async throws {
        backend.ending = .refused
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.chooseCertificateAndSign() }
        _ = try await waitFor(coordinator, awaitingLink)
        XCTAssertEqual(onlySession().sessionType, "cert")
        XCTAssertTrue(coordinator.handle(userActivity: browsing(onlySession().returnUrl())))
        let outcome = try await run.value
        XCTAssertEqual(outcome, .failed(reason: .userRefused, interaction: nil))
    }

    func browsing(_ url: String) -> NSUserActivity {
        let activity = NSUserActivity(activityType: NSUserActivityTypeBrowsingWeb)
        activity.webpageURL = URL(string: url)
        return activity
    }

    func testForeignUrlsAreNotTaken() async throws {
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        let link = try await waitFor(coordinator, awaitingLink)
        let session = onlySession()

        XCTAssertFalse(coordinator.handle(url: URL(string: "https://other.example.com/smart-id/return?value=\(session.callbackToken!)")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "https://rp.example.com/orders/17")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "myapp://smart-id/return?value=abc")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "http://rp.example.com/smart-id/return?value=abc")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "https://rp.example.com/other#fragment")!))
        XCTAssertFalse(coordinator.handle(userActivity: browsing("https://rp.example.com/orders/17")))
        let other = NSUserActivity(activityType: "com.example.handoff")
        other.webpageURL = URL(string: session.returnUrl())
        XCTAssertFalse(coordinator.handle(userActivity: other))

        // On the callback base but no flow of this app: consumed, and the running flow goes on.
        let forged = "\(callbackBase)?value=\(b64url(randomData(32)))&sessionSecretDigest=\(b64url(randomData(32)))"
        XCTAssertTrue(coordinator.handle(url: URL(string: forged)!))
        XCTAssertTrue(coordinator.handle(url: URL(string: "\(callbackBase)?value=x")!))
        XCTAssertTrue(coordinator.handle(url: URL(string: "\(callbackBase)?value=\(session.callbackToken!)#fragment")!))
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .awaitingReturn(deviceLink: link))
        XCTAssertEqual(backend.completeCalls, 0)

        XCTAssertTrue(coordinator.handle(url: URL(string: session.returnUrl())!))
        guard case .authenticated = try await run.value else { return XCTFail("\(coordinator.state)") }
    }

    func testTheSameReturnUrlTwiceIsAnsweredOnce() async throws {
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        let url = URL(string: onlySession().returnUrl())!
        // SwiftUI delivers a Universal Link to onOpenURL and onContinueUserActivity alike.
        XCTAssertTrue(coordinator.handle(url: url))
        XCTAssertTrue(coordinator.handle(userActivity: browsing(url.absoluteString)))
        let outcome = try await run.value
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .finished(outcome))
        XCTAssertEqual(backend.completeCalls, 1)
    }

    func testRestoreAfterProcessDeath() async throws {
        let first = try makeCoordinator()
        let abandoned = Task { try await first.authenticate() }
        let link = try await waitFor(first, awaitingLink)
        let session = onlySession()
        XCTAssertNotNil(store.load())

        // The process died while the user was in Smart-ID: a new client and coordinator, the
        // same snapshot store.
        let second = try makeCoordinator()
        XCTAssertEqual(second.state, .idle)
        XCTAssertTrue(second.restorePendingFlow())
        XCTAssertEqual(second.state, .awaitingReturn(deviceLink: link))
        XCTAssertTrue(second.handle(url: URL(string: session.returnUrl())!))
        let outcome = try await waitFor(second) { $0.outcome }
        guard case .authenticated = outcome else { return XCTFail("\(outcome)") }
        XCTAssertNil(store.load())
        XCTAssertFalse(second.restorePendingFlow())

        abandoned.cancel()
        _ = await abandoned.result
    }

    func testRestoreFromASnapshotTheAppKeptAndRejectGarbage() async throws {
        let first = try makeCoordinator()
        let abandoned = Task { try await first.authenticate() }
        let link = try await waitFor(first, awaitingLink)
        let saved = try XCTUnwrap(first.snapshot)

        store = InMemorySnapshotStore()
        let second = try makeCoordinator()
        XCTAssertFalse(second.restore(snapshot: "{\"v\":99}"))
        XCTAssertFalse(second.restore(snapshot: "not json"))
        XCTAssertEqual(second.state, .idle)
        XCTAssertTrue(second.restore(snapshot: saved))
        XCTAssertEqual(second.state, .awaitingReturn(deviceLink: link))

        abandoned.cancel()
        _ = await abandoned.result
    }

    func testCancellingTheTaskCancelsTheFlow() async throws {
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        let session = onlySession()
        run.cancel()
        do {
            _ = try await run.value
            XCTFail("a cancelled task must not return an outcome")
        } catch {
            XCTAssertEqual(errorCode(error), "flow_cancelled")
        }
        XCTAssertEqual(coordinator.state, .cancelled)
        XCTAssertNil(store.load())
        try await waitUntil { self.backend.cancelCalls == 1 }
        XCTAssertTrue(session.cancelled)
        // A late return of the cancelled flow is consumed but changes nothing.
        XCTAssertTrue(coordinator.handle(url: URL(string: session.returnUrl())!))
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .cancelled)
    }

    func testCancelWhileTheBackendHangs() async throws {
        backend.hangStart = true
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator) { $0 == .starting ? true : nil }
        try await Task.sleep(nanoseconds: 50_000_000)
        await coordinator.cancel()
        let result = await run.result
        guard case let .failure(error) = result else { return XCTFail("start must fail after cancel") }
        XCTAssertEqual(errorCode(error), "flow_cancelled")
        XCTAssertEqual(coordinator.state, .cancelled)
        XCTAssertEqual(backend.cancelCalls, 0) // the flow never got a handle
        XCTAssertTrue(opener.opened.isEmpty)
    }

    func testDeadlineEndsAWaitingFlow() async throws {
        let coordinator = try makeCoordinator(maxFlowDurationMs: 1_000)
        let started = Date()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        do {
            _ = try await run.value
            XCTFail("the flow must expire")
        } catch {
            XCTAssertEqual(errorCode(error), "flow_expired")
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.9)
        XCTAssertEqual(coordinator.state, .expired)
        XCTAssertNil(store.load())
        // Its return link is consumed but changes nothing.
        XCTAssertTrue(coordinator.handle(url: URL(string: onlySession().returnUrl())!))
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .expired)
    }

    func testOneFlowAtATime() async throws {
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        do {
            _ = try await coordinator.sign()
            XCTFail("a second flow must be refused")
        } catch {
            XCTAssertEqual(errorCode(error), "flow_busy")
        }
        await coordinator.cancel()
        _ = await run.result
        // After the end a new flow may start.
        let next = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        await coordinator.cancel()
        _ = await next.result
    }

    func testFallbackPageStillWaitsAndUnopenableLinkCancels() async throws {
        opener.result = .fallbackPage
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        await coordinator.cancel()
        _ = await run.result

        opener.result = .failed
        do {
            _ = try await coordinator.authenticate()
            XCTFail("an unopenable link must end the flow")
        } catch {
            XCTAssertEqual(errorCode(error), "flow_invalid_state")
        }
        XCTAssertEqual(coordinator.state, .cancelled)
        try await waitUntil { self.backend.cancelCalls == 2 }
    }

    func testRefreshFindsASessionThatEndedWithoutCallback() async throws {
        backend.ending = .refused
        let coordinator = try makeCoordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        await coordinator.refresh()
        XCTAssertNotNil(awaitingLink(coordinator.state)) // still running: nothing changes
        onlySession().endedWithoutCallback = true
        await coordinator.refresh()
        let outcome = try await run.value
        XCTAssertEqual(outcome, .failed(reason: .userRefused, interaction: nil))
    }

    func testTransportErrorsEndTheStart() async throws {
        backend.failStarts = 1
        let coordinator = try makeCoordinator()
        do {
            _ = try await coordinator.authenticate()
            XCTFail("the start fails")
        } catch let error as SidkitError {
            XCTAssertTrue(error.isRetryable())
            XCTAssertEqual(error.code(), "transport")
        }
        guard case let .failed(code, _) = coordinator.state else { return XCTFail("\(coordinator.state)") }
        XCTAssertEqual(code, "transport")
    }

    func testRejectedLinkIsNeverOpened() async throws {
        backend.linkMutator = { $0.replacingOccurrences(of: liveLinkBase, with: "https://evil.example.com/device-link") }
        let coordinator = try makeCoordinator()
        do {
            _ = try await coordinator.authenticate()
            XCTFail("a link on a foreign base must be rejected")
        } catch {
            XCTAssertEqual(errorCode(error), "link_base_not_allowed")
        }
        XCTAssertTrue(opener.opened.isEmpty)
        guard case let .failed(code, _) = coordinator.state else { return XCTFail("\(coordinator.state)") }
        XCTAssertEqual(code, "link_base_not_allowed")
    }

    func testQrFlowPublishesEachLinkAndTheOutcome() async throws {
        backend.qrPollsUntilDone = 3
        let coordinator = try makeCoordinator()
        coordinator.qrPollIntervalNanoseconds = 10_000_000
        var links: [String] = []
        let collector = Task { () -> [String] in
            var seen: [String] = []
            for await state in coordinator.states {
                if case let .showingQr(deviceLink) = state {
                    seen.append(deviceLink)
                }
                if state.isTerminal {
                    break
                }
            }
            return seen
        }
        let outcome = try await coordinator.authenticate(presentation: .qr)
        guard case .authenticated = outcome else { return XCTFail("\(outcome)") }
        links = await collector.value
        XCTAssertGreaterThanOrEqual(links.count, 2)
        XCTAssertTrue(links.allSatisfy { $0.contains("deviceLinkType=QR") })
        XCTAssertEqual(Set(links).count, links.count)
        XCTAssertTrue(opener.opened.isEmpty)
    }

    func testStateMapping() {
        XCTAssertEqual(SmartIdFlowState(status: .created), .idle)
        XCTAssertEqual(SmartIdFlowState(status: .readyToLaunch(deviceLink: "l")), .launching(deviceLink: "l"))
        XCTAssertEqual(SmartIdFlowState(status: .failed(code: "flow_bad_response", reason: "r")), .failed(code: "flow_bad_response", reason: "r"))
        XCTAssertEqual(SmartIdFlowState(error: SidkitError.Flow(kind: .cancelled, reason: "x")), .cancelled)
        XCTAssertEqual(SmartIdFlowState(error: SidkitError.Flow(kind: .expired, reason: "x")), .expired)
        guard case let .failed(code, _) = SmartIdFlowState(error: SidkitError.Transport(reason: "offline", retryable: true)) else {
            return XCTFail("transport errors are failures")
        }
        XCTAssertEqual(code, "transport")
        XCTAssertTrue(SmartIdFlowState.completing.isInProgress)
        XCTAssertFalse(SmartIdFlowState.cancelled.isInProgress)
        XCTAssertTrue(SmartIdFlowState.expired.isTerminal)
        XCTAssertNil(SmartIdFlowState.idle.outcome)
    }
}
