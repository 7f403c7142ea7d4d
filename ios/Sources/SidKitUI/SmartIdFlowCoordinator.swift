import Foundation
import SidKit

/// Runs Smart-ID App2App (and QR) flows for an app: starts them, opens the Smart-ID app,
/// routes the return Universal Link back, restores a flow after process death, and publishes
/// the flow's state for SwiftUI (`ObservableObject`) and for `for await` loops (``states``).
///
/// One coordinator per app (or per scene) and callback base; it runs one flow at a time.
///
/// ```swift
/// let coordinator = try SmartIdFlowCoordinator(
///     configuration: SidkitConfig(callbackBase: "https://rp.example.com/smart-id/return",
///                                 environment: .live),
///     transport: URLSessionBackendTransport(baseURL: URL(string: "https://rp.example.com/api/smart-id")!))
///
/// // In a button action:
/// let outcome = try await coordinator.authenticate()
///
/// // In the App / scene:
/// .onOpenURL { coordinator.handle(url: $0) }
/// ```
///
/// ``authenticate(lang:presentation:)``, ``sign(context:lang:presentation:)`` and
/// ``chooseCertificateAndSign(context:lang:presentation:)`` return when the flow ends: after
/// ``handle(url:)`` received the return URL and the backend verified it, after ``refresh()``
/// found that the session ended without a callback, or with an error. Cancelling the calling
/// `Task` cancels the flow (see ``cancel()``).
@MainActor
public final class SmartIdFlowCoordinator: ObservableObject {
    /// The current flow's state.
    @Published public private(set) var state: SmartIdFlowState = .idle

    /// The snapshot of the pending flow, or `nil` when nothing can be resumed. Also written to
    /// the coordinator's ``FlowSnapshotStore``.
    ///
    /// It holds the flow key, a secret (see ``FlowSnapshotStore``): do not keep a copy in
    /// `@SceneStorage`, `@AppStorage` or `UserDefaults`, which are not for sensitive data, and do
    /// not log it.
    @Published public private(set) var snapshot: String?

    /// The Rust client (configuration, flows, return-URL router).
    public nonisolated let client: SidkitClient

    /// Nanoseconds between two polls of a QR flow (Smart-ID's QR code changes every second).
    public var qrPollIntervalNanoseconds: UInt64 = 1_000_000_000

    private let opener: DeviceLinkOpener
    private let snapshotStore: FlowSnapshotStore?
    private var currentFlow: SidkitFlow?
    private var currentFlowId: String?
    private var waiter: CheckedContinuation<FlowOutcome, Error>?
    private var observers: [UUID: AsyncStream<SmartIdFlowState>.Continuation] = [:]

    /// A coordinator around an existing client.
    ///
    /// - Parameters:
    ///   - client: the Rust client, with the app's callback base and transport.
    ///   - opener: opens device links; the default opens them as Universal Links first.
    ///   - snapshotStore: where the pending flow's snapshot (which holds the flow key) is kept
    ///     across process death: the Keychain by default (``KeychainSnapshotStore``, this device
    ///     only); `nil` to keep it only in memory, in ``snapshot``.
    public init(
        client: SidkitClient,
        opener: DeviceLinkOpener = SystemDeviceLinkOpener(),
        snapshotStore: FlowSnapshotStore? = KeychainSnapshotStore()
    ) {
        self.client = client
        self.opener = opener
        self.snapshotStore = snapshotStore
    }

    /// A coordinator with a new client; the snapshot store is the Keychain by default, as in
    /// ``init(client:opener:snapshotStore:)``.
    ///
    /// - Throws: ``SidkitError/InvalidInput(field:reason:)`` when the configuration is invalid
    ///   (e.g. the callback base is not a strict `https` URL).
    public convenience init(
        configuration: SidkitConfig,
        transport: BackendTransport,
        opener: DeviceLinkOpener = SystemDeviceLinkOpener(),
        snapshotStore: FlowSnapshotStore? = KeychainSnapshotStore()
    ) throws {
        let client = try SidkitClient(config: configuration, transport: transport)
        self.init(client: client, opener: opener, snapshotStore: snapshotStore)
    }

    // MARK: - Starting flows

    /// Authenticates the user with Smart-ID and returns the outcome the backend verified.
    ///
    /// - Parameters:
    ///   - lang: ISO 639-2 language of Smart-ID's fallback page (`eng`, `est`, `lit`, `lav`, `rus`).
    ///   - presentation: `.app2app` on this phone (default), `.qr` for another device.
    /// - Returns: ``FlowOutcome/authenticated(identity:appData:)``, or
    ///   ``FlowOutcome/failed(reason:interaction:)`` when the user refused or timed out.
    /// - Throws: ``SidkitError``: `Flow(.cancelled)` after ``cancel()`` or when the calling task
    ///   was cancelled, `Flow(.busy)` while another flow runs, transport, backend and link errors.
    public func authenticate(lang: String = "eng", presentation: Presentation = .app2app) async throws -> FlowOutcome {
        try await run(FlowRequest(kind: .authentication, presentation: presentation, lang: lang, context: nil))
    }

    /// Signs with Smart-ID; the backend knows the signer and what to sign.
    ///
    /// - Parameters:
    ///   - context: the app's own reference of what to sign (e.g. a document id); never a digest.
    ///   - lang: ISO 639-2 language of Smart-ID's fallback page.
    ///   - presentation: `.app2app` (default) or `.qr`.
    /// - Returns: ``FlowOutcome/signed(signature:appData:)`` or a failed outcome.
    /// - Throws: ``SidkitError``, as ``authenticate(lang:presentation:)``.
    public func sign(context: String? = nil, lang: String = "eng", presentation: Presentation = .app2app) async throws -> FlowOutcome {
        try await run(FlowRequest(kind: .signature, presentation: presentation, lang: lang, context: context))
    }

    /// Lets the user choose a certificate in the Smart-ID app, then signs with it (linked
    /// signature).
    ///
    /// - Parameters:
    ///   - context: the app's own reference of what to sign.
    ///   - lang: ISO 639-2 language of Smart-ID's fallback page.
    ///   - presentation: `.app2app` (default) or `.qr`.
    /// - Returns: ``FlowOutcome/signed(signature:appData:)`` or a failed outcome.
    /// - Throws: ``SidkitError``, as ``authenticate(lang:presentation:)``.
    public func chooseCertificateAndSign(context: String? = nil, lang: String = "eng", presentation: Presentation = .app2app) async throws -> FlowOutcome {
        try await run(FlowRequest(kind: .certificateChoiceAndSignature, presentation: presentation, lang: lang, context: context))
    }

    /// Runs any flow: start, open the link (App2App) or poll the QR link (QR), and wait for the
    /// outcome.
    ///
    /// UniFFI 0.32 does not pass Swift `Task` cancellation into the Rust future, so this
    /// function installs a cancellation handler that calls the flow's `cancel()` explicitly:
    /// cancelling the calling task ends the flow at once and tells the backend.
    ///
    /// - Throws: ``SidkitError``, as ``authenticate(lang:presentation:)``.
    public func run(_ request: FlowRequest) async throws -> FlowOutcome {
        if state.isInProgress {
            throw SidkitError.Flow(kind: .busy, reason: "another Smart-ID flow is in progress; cancel it first")
        }
        let flow = try client.createFlow(request: request)
        let id = flow.id()
        currentFlow = flow
        currentFlowId = id
        setSnapshot(nil)
        publish(.starting)
        return try await withTaskCancellationHandler {
            try await self.drive(flow, id: id)
        } onCancel: {
            Task { @MainActor [weak self] in
                await self?.cancel(flowId: id)
            }
        }
    }

    private func drive(_ flow: SidkitFlow, id: String) async throws -> FlowOutcome {
        let step: FlowStep
        do {
            step = try await flow.start()
        } catch {
            end(id, with: .failure(error))
            // After a retryable error the Rust flow waits to be started again; this
            // coordinator starts a new flow instead, so end this one (no backend call: it has
            // no handle yet).
            if !flow.tick() {
                try? await flow.cancel()
            }
            throw Self.mapped(error)
        }
        switch step {
        case let .launchApp(deviceLink):
            return try await launch(flow, id: id, deviceLink: deviceLink)
        case let .showQr(deviceLink):
            publish(.showingQr(deviceLink: deviceLink))
            return try await pollQr(flow, id: id)
        }
    }

    private func launch(_ flow: SidkitFlow, id: String, deviceLink: String) async throws -> FlowOutcome {
        guard currentFlowId == id, !flow.tick() else {
            return try await waitForOutcome(id)
        }
        // Saved before leaving the app: iOS may end the process while Smart-ID is in front.
        setSnapshot(flow.snapshot())
        publish(.launching(deviceLink: deviceLink))
        guard let url = URL(string: deviceLink) else {
            let error = SidkitError.LinkRejected(kind: .malformed, reason: "the device link is not a URL")
            await cancel(flowId: id)
            throw error
        }
        let opened = await opener.open(url)
        if opened == .failed {
            let error = SidkitError.Flow(kind: .invalidState, reason: "the system could not open the Smart-ID device link")
            await cancel(flowId: id)
            throw error
        }
        // Fails harmlessly when the return URL already arrived (the flow is completing).
        try? flow.markLaunched()
        if currentFlowId == id, case .launching = state {
            setSnapshot(flow.snapshot())
            publish(.awaitingReturn(deviceLink: deviceLink))
        }
        watchDeadline(flow, id: id)
        return try await waitForOutcome(id)
    }

    private func pollQr(_ flow: SidkitFlow, id: String) async throws -> FlowOutcome {
        while currentFlowId == id, !flow.tick() {
            do {
                try await Task.sleep(nanoseconds: qrPollIntervalNanoseconds)
            } catch {
                break // the task was cancelled; the cancellation handler cancels the flow
            }
            guard currentFlowId == id, !flow.tick() else { break }
            do {
                switch try await flow.poll() {
                case let .waiting(deviceLink):
                    if currentFlowId == id, !state.isTerminal {
                        publish(.showingQr(deviceLink: deviceLink))
                    }
                case let .finished(outcome):
                    end(id, with: .success(outcome))
                    return outcome
                }
            } catch {
                // Keep showing the current code through transient errors; end on the others.
                if let e = error as? SidkitError, e.isRetryable(), !flow.tick() {
                    continue
                }
                end(id, with: .failure(error))
                throw Self.mapped(error)
            }
        }
        return try await waitForOutcome(id)
    }

    /// Ends the flow when its deadline passes, so that a start function waiting for a return
    /// URL that never comes does not wait forever.
    private func watchDeadline(_ flow: SidkitFlow, id: String) {
        let remainingMs = flow.remainingMs()
        Task { @MainActor [weak self] in
            try? await Task.sleep(nanoseconds: (remainingMs + 50) * 1_000_000)
            guard let self = self, self.currentFlowId == id, flow.tick() else { return }
            self.endFromStatus(flow, id: id)
        }
    }

    /// Ends flow `id` with whatever terminal state the Rust flow is in.
    private func endFromStatus(_ flow: SidkitFlow, id: String) {
        let final = SmartIdFlowState(status: flow.status())
        guard let result = Self.result(of: final) else { return }
        if case .failure = result, currentFlowId == id, !state.isTerminal {
            publish(final)
        }
        end(id, with: result)
    }

    /// Suspends until the flow `id` ends; returns at once if it already has.
    private func waitForOutcome(_ id: String) async throws -> FlowOutcome {
        if currentFlowId == id {
            if let result = Self.result(of: state) {
                return try result.get()
            }
        } else {
            throw SidkitError.Flow(kind: .cancelled, reason: "the flow was replaced by another one")
        }
        return try await withCheckedThrowingContinuation { continuation in
            if let previous = waiter {
                previous.resume(throwing: SidkitError.Flow(kind: .cancelled, reason: "superseded"))
            }
            waiter = continuation
        }
    }

    // MARK: - Return URLs

    /// Takes a URL the system delivered (`onOpenURL`, `scene(_:openURLContexts:)`, a Universal
    /// Link's `NSUserActivity`): returns `true` when it is on the app's callback base, so that
    /// the app does not route it elsewhere, and completes the matching flow in the background;
    /// the outcome arrives in ``state``, ``states`` and as the result of the start function.
    ///
    /// A URL on the callback base that matches no flow (malformed, forged, of another
    /// installation) is consumed (`true`) without touching the current flow; URLs with another
    /// scheme, host, port or path are not (`false`). Can be called from any thread.
    ///
    /// - Returns: `false` for URLs that are not Smart-ID returns of this app.
    @discardableResult
    public nonisolated func handle(url: URL) -> Bool {
        let text = url.absoluteString
        let flow: SidkitFlow
        do {
            flow = try client.findFlow(returnUrl: text)
        } catch let SidkitError.ReturnUrlRejected(kind, _) where kind == .foreignBase {
            return false
        } catch let SidkitError.ReturnUrlRejected(kind, _) where kind == .malformed {
            // The router rejects anything that is not strict https before it compares bases,
            // so a custom-scheme or otherwise unusual link of the app arrives here too.
            return isOnCallbackBase(url)
        } catch {
            return true
        }
        Task { @MainActor [weak self] in
            await self?.complete(flow, returnUrl: text)
        }
        return true
    }

    /// Whether `url` has the callback base's scheme, host, port and path.
    private nonisolated func isOnCallbackBase(_ url: URL) -> Bool {
        guard let base = URLComponents(string: client.callbackBase()),
              let candidate = URLComponents(url: url, resolvingAgainstBaseURL: false)
        else {
            return false
        }
        return candidate.scheme?.lowercased() == base.scheme?.lowercased()
            && candidate.host?.lowercased() == base.host?.lowercased()
            && (candidate.port ?? 443) == (base.port ?? 443)
            && candidate.path == base.path
    }

    /// ``handle(url:)`` for the `NSUserActivity` of a Universal Link
    /// (`application(_:continue:restorationHandler:)`, `scene(_:continue:)`,
    /// `onContinueUserActivity(NSUserActivityTypeBrowsingWeb)`).
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

    private func complete(_ flow: SidkitFlow, returnUrl: String) async {
        let id = flow.id()
        if currentFlowId == nil || !state.isInProgress {
            // A flow restored elsewhere, or the only one: make it the current one.
            currentFlow = flow
            currentFlowId = id
        }
        let isCurrent = currentFlowId == id
        if isCurrent, !state.isTerminal {
            publish(.completing)
        }
        do {
            let outcome = try await flow.complete(returnUrl: returnUrl)
            end(id, with: .success(outcome))
        } catch {
            if flow.tick() {
                // Rejected for good (or cancelled / expired meanwhile).
                end(id, with: .failure(error))
            } else if currentFlowId == id, !state.isTerminal {
                // A retryable error: the flow waits for the same URL again (or a refresh()).
                publish(SmartIdFlowState(status: flow.status()))
            }
        }
    }

    // MARK: - Foreground, cancellation, restoration

    /// Asks the backend about the current App2App flow when the app comes back to the
    /// foreground without a return URL (the Smart-ID app may not call back after a refusal).
    /// Ends the flow if its session ended; otherwise nothing changes.
    public func refresh() async {
        guard let flow = currentFlow, let id = currentFlowId else { return }
        switch state {
        case .launching, .awaitingReturn:
            break
        default:
            return
        }
        do {
            if case let .finished(outcome) = try await flow.poll() {
                end(id, with: .success(outcome))
            }
        } catch {
            if flow.tick() {
                end(id, with: .failure(error))
            }
        }
    }

    /// Cancels the current flow: it ends at once (the start function throws
    /// `SidkitError.Flow(.cancelled)`), then the backend is told (`DELETE /flows/{flowHandle}`).
    /// Does nothing when no flow runs.
    public func cancel() async {
        guard let id = currentFlowId else { return }
        await cancel(flowId: id)
    }

    private func cancel(flowId id: String) async {
        guard currentFlowId == id, let flow = currentFlow else { return }
        if flow.tick() {
            // Already over in Rust (e.g. the deadline passed a moment ago): report that.
            if !state.isTerminal {
                endFromStatus(flow, id: id)
            }
            return
        }
        end(id, with: .failure(SidkitError.Flow(kind: .cancelled, reason: "cancelled by the app")))
        // The local state changes at once; the backend call may fail, the flow stays cancelled.
        try? await flow.cancel()
    }

    /// Restores the flow stored in the coordinator's ``FlowSnapshotStore`` after a restart.
    /// Call it at launch, before the first ``handle(url:)``.
    ///
    /// - Returns: `true` if a pending flow was restored. An unusable snapshot (another
    ///   configuration, an unknown version, past its deadline) is removed.
    @discardableResult
    public func restorePendingFlow() -> Bool {
        guard let stored = snapshotStore?.load() else { return false }
        return restore(snapshot: stored)
    }

    /// Restores a flow from a snapshot the app kept itself. The snapshot holds the flow key: keep
    /// it as a ``FlowSnapshotStore`` must (the Keychain, this device only), not in
    /// `@SceneStorage` or `UserDefaults`.
    ///
    /// - Returns: `true` if the flow is pending again; ``state`` shows where it is.
    @discardableResult
    public func restore(snapshot: String) -> Bool {
        let flow: SidkitFlow
        do {
            flow = try client.restoreFlow(snapshot: snapshot)
        } catch {
            if !state.isInProgress {
                setSnapshot(nil) // unusable; a running flow's snapshot stays
            }
            return false
        }
        if state.isInProgress, currentFlowId != flow.id() {
            return false // another flow is running; keep it
        }
        currentFlow = flow
        currentFlowId = flow.id()
        let restored = SmartIdFlowState(status: flow.status())
        publish(restored)
        if restored.isTerminal {
            setSnapshot(nil)
            return false
        }
        setSnapshot(flow.snapshot())
        watchDeadline(flow, id: flow.id())
        return true
    }

    // MARK: - Observation

    /// The state changes as an `AsyncStream`, starting with the current state. Each access
    /// returns a new stream; it ends when the consuming task is cancelled.
    public var states: AsyncStream<SmartIdFlowState> {
        AsyncStream(bufferingPolicy: .bufferingNewest(32)) { continuation in
            let id = UUID()
            observers[id] = continuation
            continuation.yield(state)
            continuation.onTermination = { [weak self] _ in
                Task { @MainActor [weak self] in
                    self?.observers[id] = nil
                }
            }
        }
    }

    // MARK: - Internals

    private func publish(_ newState: SmartIdFlowState) {
        state = newState
        for observer in observers.values {
            observer.yield(newState)
        }
    }

    private func setSnapshot(_ value: String?) {
        snapshot = value
        snapshotStore?.save(value)
    }

    /// Ends flow `id` (if it is the current one): publishes the terminal state, drops the
    /// snapshot and resumes the waiting start function.
    private func end(_ id: String, with result: Result<FlowOutcome, Error>) {
        guard currentFlowId == id else { return }
        switch result {
        case let .success(outcome):
            publish(.finished(outcome))
        case let .failure(error):
            if !state.isTerminal {
                publish(SmartIdFlowState(error: error))
            }
        }
        setSnapshot(nil)
        if let waiter = waiter {
            self.waiter = nil
            switch result {
            case let .success(outcome):
                waiter.resume(returning: outcome)
            case let .failure(error):
                waiter.resume(throwing: Self.mapped(error))
            }
        }
    }

    /// What the start function returns for a terminal state, or nil while the flow runs.
    private static func result(of state: SmartIdFlowState) -> Result<FlowOutcome, Error>? {
        switch state {
        case let .finished(outcome):
            return .success(outcome)
        case .cancelled:
            return .failure(SidkitError.Flow(kind: .cancelled, reason: "the flow was cancelled"))
        case .expired:
            return .failure(SidkitError.Flow(kind: .expired, reason: "the flow's deadline passed"))
        case let .failed(code, reason):
            return .failure(SidkitError.Flow(kind: .invalidState, reason: "\(code): \(reason)"))
        case .idle, .starting, .launching, .awaitingReturn, .showingQr, .completing:
            return nil
        }
    }

    /// Errors reach the caller as ``SidkitError``; a `CancellationError` becomes `Flow(.cancelled)`.
    private static func mapped(_ error: Error) -> Error {
        if error is CancellationError {
            return SidkitError.Flow(kind: .cancelled, reason: "the task was cancelled")
        }
        return error
    }
}
