// Tests of SmartIdFlowCoordinator against the fake backend: start → state updates → return URL →
// outcome, foreign URLs, a second start cancelling the first, snapshot restore after process
// death, cancellation, the deadline, QR polling. Foundation only, so they run on Linux too:
// `scripts/generate-bindings.sh && LD_LIBRARY_PATH=target/debug swift test -Xlinker -Ltarget/debug`
// (on a Mac: `scripts/build-xcframework.sh --debug --macos`, then `swift test`). This machine
// only parses and API-checks them (tests/ios/run.sh).
//
// Swift 6 style: the test class is @MainActor (as the coordinator is) and keeps no stored
// properties and no setUp: each test makes its own Fixture. Every test method is async, so that
// XCTest (also swift-corelibs-xctest's test discovery on Linux) runs it through its async entry
// point, which hops to the main actor.
import Foundation
import SidKit
@testable import SidKitCore
import SidKitTestSupport
import XCTest

/// Records the links it is asked to open and answers with `result`.
final class FakeOpener: DeviceLinkOpener, @unchecked Sendable {
    // @unchecked: `urls` and `answer` are only read and written while holding `lock` (in the
    // synchronous helpers below, never across an await).
    private let lock = NSLock()
    private var urls: [URL] = []
    private var answer: DeviceLinkLaunch

    init(result: DeviceLinkLaunch = .app) {
        answer = result
    }

    /// What ``open(_:)`` answers.
    var result: DeviceLinkLaunch {
        get {
            lock.lock()
            defer { lock.unlock() }
            return answer
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            answer = newValue
        }
    }

    /// The links opened so far.
    var opened: [URL] {
        lock.lock()
        defer { lock.unlock() }
        return urls
    }

    private func record(_ url: URL) -> DeviceLinkLaunch {
        lock.lock()
        defer { lock.unlock() }
        urls.append(url)
        return answer
    }

    @MainActor
    func open(_ url: URL) async -> DeviceLinkLaunch {
        record(url)
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

/// The device link of a state that waits for the return after the link was opened.
func awaitingLink(_ state: SmartIdFlowState) -> String? {
    if case let .awaitingReturn(deviceLink, true) = state {
        return deviceLink
    }
    return nil
}

/// The outcome of a finished state.
func finishedOutcome(_ state: SmartIdFlowState) -> FlowOutcome? {
    if case let .finished(outcome) = state {
        return outcome
    }
    return nil
}

/// The ``SmartIdError/code`` of what a flow threw.
func errorCode(_ error: Error) -> String? {
    (error as? SmartIdError)?.code
}

/// One test's backend, opener, snapshot store and coordinator factory.
@MainActor
struct Fixture {
    let backend = FakeBackend()
    let opener = FakeOpener()
    let store = InMemorySnapshotStore()

    func coordinator(maxFlowDurationMs: UInt64? = nil, store: FlowSnapshotStore? = nil) throws -> SmartIdFlowCoordinator {
        let config = SidkitConfig(
            callbackBase: callbackBase,
            environment: .live,
            additionalDeviceLinkBases: [],
            maxFlowDurationMs: maxFlowDurationMs
        )
        return try SmartIdFlowCoordinator(
            configuration: config, transport: FakeTransport(backend), opener: opener, snapshotStore: store ?? self.store
        )
    }

    func onlySession() -> Session {
        backend.locked { Array(backend.sessions.values) }.first!
    }

    func returnUrl() -> URL {
        URL(string: onlySession().returnUrl())!
    }
}

@MainActor
final class CoordinatorTests: XCTestCase {
    func testInvalidConfigurationThrows() async {
        let f = Fixture()
        let config = SidkitConfig(callbackBase: "http://rp.example.com/return", environment: .live)
        XCTAssertThrowsError(try SmartIdFlowCoordinator(configuration: config, transport: FakeTransport(f.backend), opener: f.opener, snapshotStore: nil)) { error in
            guard case .invalidInput = error as? SmartIdError else { return XCTFail("\(error)") }
            XCTAssertEqual(errorCode(error), "invalid_input")
        }
    }

    func testAuthenticationFromStartToOutcome() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        XCTAssertEqual(coordinator.state, .idle)
        XCTAssertNil(coordinator.currentFlowId)
        let run = Task { try await coordinator.authenticate(lang: .est) }

        let link = try await waitFor(coordinator, awaitingLink)
        XCTAssertTrue(link.hasPrefix("https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken="))
        XCTAssertTrue(link.contains("&lang=est&"))
        XCTAssertEqual(f.opener.opened.map { $0.absoluteString }, [link])
        XCTAssertNotNil(coordinator.currentFlowId)
        // The snapshot is kept while the user is in Smart-ID; it holds no callback token (its
        // secret is the flow key, which is why SidKitUI's default store is the Keychain).
        let snapshot = try XCTUnwrap(f.store.load())
        XCTAssertEqual(coordinator.snapshot, snapshot)
        let session = f.onlySession()
        XCTAssertFalse(snapshot.contains(session.callbackToken!))
        XCTAssertEqual(f.backend.idempotencyKeys.count, 1)

        XCTAssertTrue(coordinator.handle(url: f.returnUrl()))
        let outcome = try await run.value
        guard case let .authenticated(identity, appData) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(identity.identifier, "PNOEE-30303039914")
        XCTAssertEqual(appData, "rp-session-\(session.handle)")
        XCTAssertEqual(coordinator.state, .finished(outcome))
        XCTAssertNil(coordinator.snapshot)
        XCTAssertNil(f.store.load())
        XCTAssertEqual(f.backend.completeCalls, 1)
        XCTAssertFalse(coordinator.isWatchingDeadline, "the deadline watcher must stop when the flow ends")
    }

    func testStateStreamSeesEveryStep() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
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
        XCTAssertTrue(coordinator.handle(url: f.returnUrl()))
        let outcome = try await run.value
        guard case let .signed(signature, appData) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(signature.signatureAlgorithm, "rsassa-pss")
        XCTAssertEqual(appData, "doc-17")

        let seen = await collector.value
        XCTAssertEqual(seen.first, .idle)
        XCTAssertEqual(Array(seen.suffix(5)), [
            .starting,
            .awaitingReturn(deviceLink: link, launched: false),
            .awaitingReturn(deviceLink: link, launched: true),
            .completing,
            .finished(outcome),
        ])
    }

    func testStartReturnsOnceTheLinkIsOpenAndAwaitOutcomeWaits() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        let id = try await coordinator.start(FlowRequest(kind: .authentication, presentation: .app2app, lang: SmartIdLanguage.lav.rawValue, context: nil))
        XCTAssertEqual(coordinator.currentFlowId, id)
        XCTAssertNotNil(awaitingLink(coordinator.state))
        XCTAssertEqual(f.opener.opened.count, 1)
        let waiting = Task { try await coordinator.awaitOutcome() }
        let result = await coordinator.handleReturn(f.returnUrl())
        guard case let .completed(outcome) = result else { return XCTFail("\(result)") }
        let awaited = try await waiting.value
        XCTAssertEqual(awaited, outcome)
        // Once ended, awaitOutcome answers at once.
        let again = try await coordinator.awaitOutcome()
        XCTAssertEqual(again, outcome)
    }

    func testRefusalIsAnOutcomeNotAnError() async throws {
        let f = Fixture()
        f.backend.ending = .refused
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.chooseCertificateAndSign() }
        _ = try await waitFor(coordinator, awaitingLink)
        XCTAssertEqual(f.onlySession().sessionType, "cert")
        let result = await coordinator.handleReturn(f.returnUrl())
        XCTAssertEqual(result, .completed(.failed(reason: .userRefused, interaction: nil)))
        let outcome = try await run.value
        XCTAssertEqual(outcome, .failed(reason: .userRefused, interaction: nil))
    }

    func testForeignUrlsAreNotTaken() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        let rejections = Task { () -> [SmartIdError] in
            var seen: [SmartIdError] = []
            for await error in coordinator.returnErrors {
                seen.append(error)
                if seen.count == 3 {
                    break
                }
            }
            return seen
        }
        try await Task.sleep(nanoseconds: 20_000_000)
        let run = Task { try await coordinator.authenticate() }
        let link = try await waitFor(coordinator, awaitingLink)
        let session = f.onlySession()

        XCTAssertFalse(coordinator.handle(url: URL(string: "https://other.example.com/smart-id/return?value=\(session.callbackToken!)")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "https://rp.example.com/orders/17")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "myapp://smart-id/return?value=abc")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "http://rp.example.com/smart-id/return?value=abc")!))
        XCTAssertFalse(coordinator.handle(url: URL(string: "https://rp.example.com/other#fragment")!))
        let foreign = await coordinator.handleReturn(URL(string: "https://rp.example.com/orders/17")!)
        XCTAssertEqual(foreign, .ignored(nil))

        // On the callback base but no flow of this app: consumed, reported, and the running
        // flow goes on.
        let forged = URL(string: "\(callbackBase)?value=\(b64url(randomData(32)))&sessionSecretDigest=\(b64url(randomData(32)))")!
        let ignored = await coordinator.handleReturn(forged)
        guard case let .ignored(error?) = ignored, case .returnRejected = error else { return XCTFail("\(ignored)") }
        XCTAssertTrue(error.code.hasPrefix("return_url_"), error.code)
        XCTAssertTrue(coordinator.handle(url: URL(string: "\(callbackBase)?value=x")!))
        XCTAssertTrue(coordinator.handle(url: URL(string: "\(callbackBase)?value=\(session.callbackToken!)#fragment")!))
        let reported = await rejections.value
        XCTAssertEqual(reported.count, 3)
        XCTAssertEqual(reported.first, error)
        XCTAssertTrue(reported.allSatisfy { !$0.isRetryable })
        XCTAssertEqual(coordinator.state, .awaitingReturn(deviceLink: link, launched: true))
        XCTAssertEqual(f.backend.completeCalls, 0)

        XCTAssertTrue(coordinator.handle(url: f.returnUrl()))
        guard case .authenticated = try await run.value else { return XCTFail("\(coordinator.state)") }
    }

    func testTheSameReturnUrlTwiceIsAnsweredOnce() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        // SwiftUI delivers a Universal Link to onOpenURL and onContinueUserActivity alike.
        XCTAssertTrue(coordinator.handle(url: f.returnUrl()))
        XCTAssertTrue(coordinator.handle(url: f.returnUrl()))
        let outcome = try await run.value
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .finished(outcome))
        XCTAssertEqual(f.backend.completeCalls, 1)
    }

    func testASecondStartCancelsThePendingFlow() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        let first = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        let firstId = try XCTUnwrap(coordinator.currentFlowId)
        let firstSession = f.onlySession()

        let second = Task { try await coordinator.sign(context: "doc-2") }
        do {
            _ = try await first.value
            XCTFail("the replaced flow must not return an outcome")
        } catch {
            XCTAssertEqual(error as? SmartIdError, .cancelled)
        }
        try await waitUntil { awaitingLink(coordinator.state) != nil && coordinator.currentFlowId != firstId }
        try await waitUntil { f.backend.cancelCalls == 1 }
        XCTAssertTrue(firstSession.cancelled)
        // The first flow's late return changes nothing.
        let late = await coordinator.handleReturn(URL(string: firstSession.returnUrl())!)
        guard case .ignored(.some) = late else { return XCTFail("\(late)") }
        XCTAssertNotNil(awaitingLink(coordinator.state))

        await coordinator.cancel()
        _ = await second.result
        XCTAssertEqual(coordinator.state, .cancelled)
    }

    func testRestoreAfterProcessDeath() async throws {
        let f = Fixture()
        let first = try f.coordinator()
        let abandoned = Task { try await first.authenticate() }
        let link = try await waitFor(first, awaitingLink)
        let session = f.onlySession()
        XCTAssertNotNil(f.store.load())

        // The process died while the user was in Smart-ID: a new client and coordinator, the
        // same snapshot store.
        let second = try f.coordinator()
        XCTAssertEqual(second.state, .idle)
        XCTAssertTrue(second.restorePendingFlow())
        XCTAssertEqual(second.state, .awaitingReturn(deviceLink: link, launched: true))
        XCTAssertEqual(second.currentFlowId, first.currentFlowId)
        XCTAssertTrue(second.handle(url: URL(string: session.returnUrl())!))
        let outcome = try await waitFor(second, finishedOutcome)
        guard case .authenticated = outcome else { return XCTFail("\(outcome)") }
        XCTAssertNil(f.store.load())
        XCTAssertFalse(second.restorePendingFlow())

        abandoned.cancel()
        _ = await abandoned.result
    }

    func testRestoreFromASnapshotTheAppKeptAndRejectGarbage() async throws {
        let f = Fixture()
        let first = try f.coordinator()
        let abandoned = Task { try await first.authenticate() }
        let link = try await waitFor(first, awaitingLink)
        let saved = try XCTUnwrap(first.snapshot)

        let second = try f.coordinator(store: InMemorySnapshotStore())
        XCTAssertFalse(second.restore(snapshot: "{\"v\":99}"))
        XCTAssertFalse(second.restore(snapshot: "not json"))
        XCTAssertEqual(second.state, .idle)
        XCTAssertTrue(second.restore(snapshot: saved))
        XCTAssertEqual(second.state, .awaitingReturn(deviceLink: link, launched: true))

        abandoned.cancel()
        _ = await abandoned.result
    }

    func testCancellingTheTaskCancelsTheFlow() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        let session = f.onlySession()
        run.cancel()
        do {
            _ = try await run.value
            XCTFail("a cancelled task must not return an outcome")
        } catch {
            XCTAssertEqual(error as? SmartIdError, .cancelled)
            XCTAssertEqual(errorCode(error), "flow_cancelled")
        }
        XCTAssertEqual(coordinator.state, .cancelled)
        XCTAssertNil(f.store.load())
        try await waitUntil { f.backend.cancelCalls == 1 }
        XCTAssertTrue(session.cancelled)
        // A late return of the cancelled flow is consumed but changes nothing.
        XCTAssertTrue(coordinator.handle(url: URL(string: session.returnUrl())!))
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .cancelled)
    }

    func testCancelWhileTheBackendHangs() async throws {
        let f = Fixture()
        f.backend.hangStart = true
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator) { $0 == .starting ? true : nil }
        try await Task.sleep(nanoseconds: 50_000_000)
        await coordinator.cancel()
        let result = await run.result
        guard case let .failure(error) = result else { return XCTFail("start must fail after cancel") }
        XCTAssertEqual(error as? SmartIdError, .cancelled)
        XCTAssertEqual(coordinator.state, .cancelled)
        XCTAssertEqual(f.backend.cancelCalls, 0) // the flow never got a handle
        XCTAssertTrue(f.opener.opened.isEmpty)
    }

    func testDeadlineEndsAWaitingFlow() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator(maxFlowDurationMs: 1_000)
        let started = Date()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        XCTAssertTrue(coordinator.isWatchingDeadline)
        do {
            _ = try await run.value
            XCTFail("the flow must expire")
        } catch {
            XCTAssertEqual(error as? SmartIdError, .expired)
            XCTAssertEqual(errorCode(error), "flow_expired")
        }
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.9)
        XCTAssertEqual(coordinator.state, .expired)
        XCTAssertNil(f.store.load())
        XCTAssertFalse(coordinator.isWatchingDeadline)
        // Its return link is consumed but changes nothing.
        XCTAssertTrue(coordinator.handle(url: f.returnUrl()))
        try await Task.sleep(nanoseconds: 50_000_000)
        XCTAssertEqual(coordinator.state, .expired)
    }

    func testResetForgetsTheFlow() async throws {
        let f = Fixture()
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        coordinator.reset()
        XCTAssertEqual(coordinator.state, .idle)
        XCTAssertNil(coordinator.currentFlowId)
        XCTAssertNil(coordinator.snapshot)
        XCTAssertNil(f.store.load())
        XCTAssertFalse(coordinator.isWatchingDeadline)
        let result = await run.result
        guard case let .failure(error) = result else { return XCTFail("a reset flow must not return an outcome") }
        XCTAssertEqual(error as? SmartIdError, .cancelled)
        try await waitUntil { f.backend.cancelCalls == 1 }
        do {
            _ = try await coordinator.awaitOutcome()
            XCTFail("no flow after reset")
        } catch {
            XCTAssertEqual(errorCode(error), "invalid_input")
        }
    }

    func testFallbackPageStillWaitsAndUnopenableLinkFails() async throws {
        let f = Fixture()
        f.opener.result = .fallbackPage
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        await coordinator.cancel()
        _ = await run.result

        f.opener.result = .failed
        do {
            _ = try await coordinator.authenticate()
            XCTFail("an unopenable link must end the flow")
        } catch {
            guard case .cannotOpenLink = error as? SmartIdError else { return XCTFail("\(error)") }
            XCTAssertEqual(errorCode(error), "cannot_open_link")
        }
        guard case .failed(.cannotOpenLink) = coordinator.state else { return XCTFail("\(coordinator.state)") }
        try await waitUntil { f.backend.cancelCalls == 2 }
    }

    func testRefreshFindsASessionThatEndedWithoutCallback() async throws {
        let f = Fixture()
        f.backend.ending = .refused
        let coordinator = try f.coordinator()
        let run = Task { try await coordinator.authenticate() }
        _ = try await waitFor(coordinator, awaitingLink)
        await coordinator.refresh()
        XCTAssertNotNil(awaitingLink(coordinator.state)) // still running: nothing changes
        f.onlySession().endedWithoutCallback = true
        await coordinator.refresh()
        let outcome = try await run.value
        XCTAssertEqual(outcome, .failed(reason: .userRefused, interaction: nil))
    }

    func testTransportErrorsEndTheStart() async throws {
        let f = Fixture()
        f.backend.failStarts = 1
        let coordinator = try f.coordinator()
        do {
            _ = try await coordinator.authenticate()
            XCTFail("the start fails")
        } catch {
            let failure = try XCTUnwrap(error as? SmartIdError)
            guard case .network(_, true) = failure else { return XCTFail("\(failure)") }
            XCTAssertTrue(failure.isRetryable)
            XCTAssertEqual(failure.code, "transport")
        }
        guard case let .failed(error) = coordinator.state else { return XCTFail("\(coordinator.state)") }
        XCTAssertEqual(error.code, "transport")
    }

    func testRejectedLinkIsNeverOpened() async throws {
        let f = Fixture()
        f.backend.linkMutator = { $0.replacingOccurrences(of: liveLinkBase, with: "https://evil.example.com/device-link") }
        let coordinator = try f.coordinator()
        do {
            _ = try await coordinator.authenticate()
            XCTFail("a link on a foreign base must be rejected")
        } catch {
            guard case .linkRejected = error as? SmartIdError else { return XCTFail("\(error)") }
            XCTAssertEqual(errorCode(error), "link_base_not_allowed")
            XCTAssertFalse((error as? SmartIdError)?.isRetryable ?? true)
        }
        XCTAssertTrue(f.opener.opened.isEmpty)
        guard case let .failed(error) = coordinator.state else { return XCTFail("\(coordinator.state)") }
        XCTAssertEqual(error.code, "link_base_not_allowed")
    }

    func testQrFlowPublishesEachLinkAndTheOutcome() async throws {
        let f = Fixture()
        f.backend.qrPollsUntilDone = 3
        let coordinator = try f.coordinator()
        coordinator.qrPollInterval = 0.01
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
        try await Task.sleep(nanoseconds: 20_000_000)
        let outcome = try await coordinator.authenticate(presentation: .qr)
        guard case .authenticated = outcome else { return XCTFail("\(outcome)") }
        let links = await collector.value
        XCTAssertGreaterThanOrEqual(links.count, 2)
        XCTAssertTrue(links.allSatisfy { $0.contains("deviceLinkType=QR") })
        XCTAssertEqual(Set(links).count, links.count)
        XCTAssertTrue(f.opener.opened.isEmpty)
        XCTAssertFalse(coordinator.isWatchingDeadline)
    }

    func testStateMapping() async {
        XCTAssertEqual(SmartIdFlowState(status: .created), .idle)
        XCTAssertEqual(SmartIdFlowState(status: .readyToLaunch(deviceLink: "l")), .awaitingReturn(deviceLink: "l", launched: false))
        XCTAssertEqual(SmartIdFlowState(status: .awaitingReturn(deviceLink: "l")), .awaitingReturn(deviceLink: "l", launched: true))
        XCTAssertEqual(SmartIdFlowState(status: .failed(code: "flow_bad_response", reason: "r")), .failed(.flowFailed(code: "flow_bad_response", reason: "r")))
        XCTAssertEqual(SmartIdFlowState(status: .failed(code: "link_stale", reason: "r")), .failed(.linkRejected(code: "link_stale", reason: "r")))
        XCTAssertEqual(SmartIdFlowState(status: .cancelled), .cancelled)
        XCTAssertEqual(SmartIdFlowState(ending: .cancelled), .cancelled)
        XCTAssertEqual(SmartIdFlowState(ending: .expired), .expired)
        XCTAssertEqual(SmartIdFlowState(ending: .network(reason: "offline", retryable: true)), .failed(.network(reason: "offline", retryable: true)))
        XCTAssertTrue(SmartIdFlowState.completing.isInProgress)
        XCTAssertTrue(SmartIdFlowState.awaitingReturn(deviceLink: "l", launched: false).isInProgress)
        XCTAssertFalse(SmartIdFlowState.cancelled.isInProgress)
        XCTAssertTrue(SmartIdFlowState.expired.isTerminal)
        XCTAssertFalse(SmartIdFlowState.idle.isTerminal)
    }
}
