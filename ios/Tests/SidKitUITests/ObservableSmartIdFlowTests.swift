// Tests of SidKitUI's Apple-only parts around the coordinator: ObservableSmartIdFlow republishing
// the state and the rejected returns, and handle(userActivity:) for Universal Links. Apple only
// (Combine, NSUserActivity); run on a Mac or the iOS simulator.
#if canImport(Combine) && canImport(Darwin)
import Combine
import Foundation
import SidKit
import SidKitCore
import SidKitUI
import SidKitTestSupport
import XCTest

@MainActor
final class ObservableSmartIdFlowTests: XCTestCase {
    func makeCoordinator(_ backend: FakeBackend) throws -> SmartIdFlowCoordinator {
        let config = SidkitConfig(callbackBase: callbackBase, environment: .live)
        return try SmartIdFlowCoordinator(
            configuration: config, transport: FakeTransport(backend), opener: RecordingOpener(), snapshotStore: InMemorySnapshotStore()
        )
    }

    func browsing(_ url: String) -> NSUserActivity {
        let activity = NSUserActivity(activityType: NSUserActivityTypeBrowsingWeb)
        activity.webpageURL = URL(string: url)
        return activity
    }

    func onlySession(_ backend: FakeBackend) -> Session {
        backend.locked { Array(backend.sessions.values) }.first!
    }

    /// Waits (5 s at most) until `condition` holds.
    func eventually(_ condition: () -> Bool) async throws {
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            if condition() {
                return
            }
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        XCTFail("timed out")
    }

    func testTheAdapterPublishesTheCoordinatorsStates() async throws {
        let backend = FakeBackend()
        let flow = ObservableSmartIdFlow(coordinator: try makeCoordinator(backend))
        XCTAssertEqual(flow.state, .idle)
        var published: [SmartIdFlowState] = []
        let subscription = flow.$state.sink { published.append($0) }
        let run = Task { try await flow.coordinator.authenticate() }
        try await eventually { flow.state == flow.coordinator.state && flow.state.isInProgress }
        try await waitForLaunch(flow.coordinator)
        XCTAssertTrue(flow.coordinator.handle(userActivity: browsing(onlySession(backend).returnUrl())))
        let outcome = try await run.value
        try await eventually { flow.state == .finished(outcome) }
        XCTAssertTrue(published.contains(.starting))
        XCTAssertEqual(published.last, .finished(outcome))
        subscription.cancel()
    }

    func testRejectedReturnsArePublished() async throws {
        let backend = FakeBackend()
        let flow = ObservableSmartIdFlow(coordinator: try makeCoordinator(backend))
        try await Task.sleep(nanoseconds: 20_000_000)
        XCTAssertTrue(flow.coordinator.handle(url: URL(string: "\(callbackBase)?value=x")!))
        try await eventually { flow.lastReturnError != nil }
        XCTAssertEqual(flow.lastReturnError?.code.hasPrefix("return_url_"), true)
        XCTAssertEqual(flow.state, .idle)
    }

    func testOnlyBrowsingActivitiesOnTheCallbackBaseAreTaken() async throws {
        let coordinator = try makeCoordinator(FakeBackend())
        XCTAssertFalse(coordinator.handle(userActivity: browsing("https://rp.example.com/orders/17")))
        let handoff = NSUserActivity(activityType: "com.example.handoff")
        handoff.webpageURL = URL(string: "\(callbackBase)?value=x")
        XCTAssertFalse(coordinator.handle(userActivity: handoff))
        XCTAssertTrue(coordinator.handle(userActivity: browsing("\(callbackBase)?value=x")))
    }
}
#endif
