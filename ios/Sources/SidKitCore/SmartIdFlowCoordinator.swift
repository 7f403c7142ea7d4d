import Foundation
import SidKit

/// Runs Smart-ID App2App (and QR) flows for an app: starts them, opens the Smart-ID app, takes
/// the return URL, restores a flow after process death, and publishes the flow's state
/// (``state``, ``states``). The same API as Kotlin's `SmartIdFlowCoordinator`
/// (`docs/platform-api.md`).
///
/// Foundation only, so it runs on Linux too. SidKitUI adds the `ObservableObject` adapter
/// (`ObservableSmartIdFlow`), `handle(userActivity:)`, the `UIApplication` opener, the Keychain
/// snapshot store and `SmartIdFlowCoordinator(configuration:transport:opener:)` with those defaults.
///
/// One coordinator per app (or per scene) and callback base; it runs one flow at a time:
/// starting a flow while another is pending cancels the pending one (the backend is told), and a
/// caller still waiting for it gets ``SmartIdError/cancelled``.
///
/// ```swift
/// let coordinator = try SmartIdFlowCoordinator(
///     configuration: SidkitConfig(callbackBase: "https://rp.example.com/smart-id/return",
///                                 environment: .live),
///     transport: URLSessionBackendTransport(baseURL: URL(string: "https://rp.example.com/api/smart-id")!),
///     opener: myOpener,
///     snapshotStore: myStore)
///
/// // In a button action:
/// let outcome = try await coordinator.authenticate(lang: .est)
///
/// // Where the system delivers the return link:
/// coordinator.handle(url: url)
/// ```
///
/// Every function throws ``SmartIdError`` only. Isolated to the main actor (which Linux has too);
/// ``handle(url:)`` can be called from any thread.
@MainActor
public final class SmartIdFlowCoordinator {
    /// The current flow's state (``states`` streams its changes).
    public private(set) var state: SmartIdFlowState = .idle

    /// The snapshot of the pending flow, or `nil` when nothing can be resumed. Also written to
    /// the coordinator's ``FlowSnapshotStore``.
    ///
    /// It holds the flow key, a secret (see ``FlowSnapshotStore``): do not keep a copy in
    /// `@SceneStorage`, `@AppStorage` or `UserDefaults`, which are not for sensitive data, and do
    /// not log it.
    public private(set) var snapshot: String?

    /// The id of the current flow (pending or ended), or `nil` when there is none (before the
    /// first start and after ``reset()``).
    public private(set) var currentFlowId: String?

    /// Seconds between two polls of a QR flow (Smart-ID's QR code changes every second).
    public var qrPollInterval: TimeInterval = 1

    /// The Rust client (configuration, flows, return-URL router); thread-safe.
    nonisolated let client: SidkitClient

    private let opener: DeviceLinkOpener
    private let snapshotStore: FlowSnapshotStore?
    private var currentFlow: SidkitFlow?
    /// How the current flow ended, once it has.
    private var result: Result<FlowOutcome, SmartIdError>?
    /// The callers of ``awaitOutcome()`` (and ``run(_:)``) waiting for the current flow.
    private var waiters: [CheckedContinuation<FlowOutcome, Error>] = []
    /// Ends the current flow at its deadline; cancelled as soon as the flow ends otherwise.
    private var deadlineWatcher: Task<Void, Never>?
    /// Polls the current QR flow.
    private var qrPoller: Task<Void, Never>?
    /// Whether a deadline watcher runs (for the tests: it must stop when the flow ends).
    var isWatchingDeadline: Bool {
        deadlineWatcher != nil
    }
    private var stateObservers: [UUID: AsyncStream<SmartIdFlowState>.Continuation] = [:]
    private var returnErrorObservers: [UUID: AsyncStream<SmartIdError>.Continuation] = [:]

    /// A coordinator around an existing client.
    ///
    /// - Parameters:
    ///   - client: the Rust client, with the app's callback base and transport.
    ///   - opener: opens device links (SidKitUI's `SystemDeviceLinkOpener` on iOS).
    ///   - snapshotStore: where the pending flow's snapshot (which holds the flow key) is kept
    ///     across process death (SidKitUI's `KeychainSnapshotStore` on iOS); `nil` to keep it
    ///     only in memory, in ``snapshot``.
    public init(client: SidkitClient, opener: DeviceLinkOpener, snapshotStore: FlowSnapshotStore?) {
        self.client = client
        self.opener = opener
        self.snapshotStore = snapshotStore
    }

    /// A coordinator with a new client, as ``init(client:opener:snapshotStore:)``.
    ///
    /// - Throws: ``SmartIdError/invalidInput(field:reason:)`` when the configuration is invalid
    ///   (e.g. the callback base is not a strict `https` URL).
    public convenience init(
        configuration: SidkitConfig,
        transport: BackendTransport,
        opener: DeviceLinkOpener,
        snapshotStore: FlowSnapshotStore?
    ) throws {
        let client: SidkitClient
        do {
            client = try SidkitClient(config: configuration, transport: transport)
        } catch {
            throw SmartIdError(error)
        }
        self.init(client: client, opener: opener, snapshotStore: snapshotStore)
    }

    deinit {
        deadlineWatcher?.cancel()
        qrPoller?.cancel()
        for observer in stateObservers.values {
            observer.finish()
        }
        for observer in returnErrorObservers.values {
            observer.finish()
        }
    }

    // MARK: - Flows

    /// Authenticates the user with Smart-ID and returns the outcome the backend verified
    /// (``run(_:)`` of an authentication request).
    ///
    /// - Parameters:
    ///   - lang: the language of Smart-ID's fallback page.
    ///   - presentation: `.app2app` on this phone (default), `.qr` for another device.
    /// - Returns: `FlowOutcome.authenticated(identity:appData:)`, or
    ///   `FlowOutcome.failed(reason:interaction:)` when the user refused or timed out.
    /// - Throws: ``SmartIdError``: ``SmartIdError/cancelled`` after ``cancel()``, when the calling
    ///   task was cancelled or a newer flow replaced this one; ``SmartIdError/expired``; network,
    ///   backend and link errors.
    public func authenticate(lang: SmartIdLanguage = .eng, presentation: Presentation = .app2app) async throws -> FlowOutcome {
        try await run(FlowRequest(kind: .authentication, presentation: presentation, lang: lang.rawValue, context: nil))
    }

    /// Signs with Smart-ID; the backend knows the signer and what to sign.
    ///
    /// - Parameters:
    ///   - context: the app's own reference of what to sign (e.g. a document id); never a digest.
    ///   - lang: the language of Smart-ID's fallback page.
    ///   - presentation: `.app2app` (default) or `.qr`.
    /// - Returns: `FlowOutcome.signed(signature:appData:)` or a failed outcome.
    /// - Throws: ``SmartIdError``, as ``authenticate(lang:presentation:)``.
    public func sign(context: String? = nil, lang: SmartIdLanguage = .eng, presentation: Presentation = .app2app) async throws -> FlowOutcome {
        try await run(FlowRequest(kind: .signature, presentation: presentation, lang: lang.rawValue, context: context))
    }

    /// Lets the user choose a certificate in the Smart-ID app, then signs with it (linked
    /// signature).
    ///
    /// - Parameters:
    ///   - context: the app's own reference of what to sign.
    ///   - lang: the language of Smart-ID's fallback page.
    ///   - presentation: `.app2app` (default) or `.qr`.
    /// - Returns: `FlowOutcome.signed(signature:appData:)` or a failed outcome.
    /// - Throws: ``SmartIdError``, as ``authenticate(lang:presentation:)``.
    public func chooseCertificateAndSign(context: String? = nil, lang: SmartIdLanguage = .eng, presentation: Presentation = .app2app) async throws -> FlowOutcome {
        try await run(FlowRequest(kind: .certificateChoiceAndSignature, presentation: presentation, lang: lang.rawValue, context: context))
    }

    /// Runs any flow: ``start(_:)``, then ``awaitOutcome()``.
    ///
    /// UniFFI 0.32 does not pass Swift `Task` cancellation into the Rust future, so cancelling
    /// the calling task is handled here: it cancels the flow at once and tells the backend.
    ///
    /// - Throws: ``SmartIdError``, as ``authenticate(lang:presentation:)``.
    public func run(_ request: FlowRequest) async throws -> FlowOutcome {
        let id = try await start(request)
        return try await outcome(of: id)
    }

    /// Starts a flow and returns once the user is sent on: for App2App after the device link was
    /// checked and opened (the state is then `awaitingReturn(deviceLink:launched: true)`), for
    /// QR once the first code is there (``SmartIdFlowState/showingQr(deviceLink:)``, refreshed
    /// every ``qrPollInterval``). ``awaitOutcome()`` then waits for the end.
    ///
    /// A flow still pending is cancelled first (the backend is told; its waiters get
    /// ``SmartIdError/cancelled``). Cancelling the calling task cancels the new flow.
    ///
    /// - Returns: the new flow's id (``currentFlowId``).
    /// - Throws: ``SmartIdError``: the start request, the link check or opening the link failed
    ///   (the flow has then ended, see ``state``), or it was cancelled meanwhile.
    @discardableResult
    public func start(_ request: FlowRequest) async throws -> String {
        if let pending = currentFlowId, let replaced = endAsCancelled(pending) {
            tellBackendCancelled(replaced)
        }
        let flow: SidkitFlow
        do {
            flow = try client.createFlow(request: request)
        } catch {
            throw SmartIdError(error)
        }
        let id = flow.id()
        adopt(flow, state: .starting)
        setSnapshot(nil)
        return try await withTaskCancellationHandler {
            try await self.launch(flow, id: id)
            return id
        } onCancel: {
            Task { @MainActor [weak self] in
                await self?.cancel(flowId: id)
            }
        }
    }

    /// Waits for the current flow to end and returns its verified outcome; returns (or throws)
    /// at once when it has already ended. Cancelling the calling task cancels the flow.
    ///
    /// - Throws: ``SmartIdError``: how the flow ended (``SmartIdError/cancelled`` also when a
    ///   newer flow replaced it), or ``SmartIdError/invalidInput(field:reason:)`` when there is
    ///   no flow.
    public func awaitOutcome() async throws -> FlowOutcome {
        guard let id = currentFlowId else {
            throw SmartIdError.invalidInput(field: "flow", reason: "no flow was started or restored")
        }
        return try await outcome(of: id)
    }

    // MARK: - Return URLs

    /// Takes a URL the system delivered (`onOpenURL`, `scene(_:openURLContexts:)`, a Universal
    /// Link): answers at once whether it is on the app's callback base, so that the app does not
    /// route it elsewhere, and completes the matching flow in the background; the outcome
    /// arrives in ``state``, ``states`` and as the result of the waiting start function, a
    /// rejection in ``returnErrors``. ``handleReturn(_:)`` does the same and waits.
    ///
    /// A URL on the callback base that matches no pending flow (malformed, forged, of another
    /// installation, of an ended flow) is consumed (`true`) without touching the current flow;
    /// URLs with another scheme, host, port or path are not (`false`). Can be called from any
    /// thread.
    ///
    /// - Returns: `false` for URLs that are not Smart-ID returns of this app.
    @discardableResult
    public nonisolated func handle(url: URL) -> Bool {
        switch route(url) {
        case .foreign:
            return false
        case let .unmatched(error):
            Task { @MainActor [weak self] in
                self?.reportReturnError(error)
            }
            return true
        case let .flow(flow, returnUrl):
            Task { @MainActor [weak self] in
                _ = await self?.complete(flow, returnUrl: returnUrl)
            }
            return true
        }
    }

    /// Takes a return URL as ``handle(url:)`` does, and waits until it is handled.
    ///
    /// - Returns: ``ReturnResult/ignored(_:)`` when the URL is not a return this coordinator
    ///   acts on (with the rejection when it is on the callback base),
    ///   ``ReturnResult/completed(_:)`` with the verified outcome, or ``ReturnResult/rejected(_:)``
    ///   when the flow did not accept it.
    public func handleReturn(_ url: URL) async -> ReturnResult {
        switch route(url) {
        case .foreign:
            return .ignored(nil)
        case let .unmatched(error):
            reportReturnError(error)
            return .ignored(error)
        case let .flow(flow, returnUrl):
            return await complete(flow, returnUrl: returnUrl)
        }
    }

    // MARK: - Foreground, cancellation, restoration

    /// Asks the backend about the current App2App flow when the app comes back to the
    /// foreground without a return URL (the Smart-ID app may not call back after a refusal).
    /// Ends the flow if its session ended; otherwise nothing changes.
    public func refresh() async {
        guard let flow = currentFlow, let id = currentFlowId, result == nil else { return }
        guard case .awaitingReturn = state else { return }
        do {
            if case let .finished(outcome) = try await flow.poll() {
                end(id, with: .success(outcome))
            }
        } catch {
            if flow.tick() {
                endFromStatus(flow, id: id, otherwise: SmartIdError(error))
            }
        }
    }

    /// Cancels the pending flow: it ends at once (its waiters get ``SmartIdError/cancelled``),
    /// then the backend is told (`DELETE /flows/{flowHandle}`). Does nothing when no flow is
    /// pending.
    public func cancel() async {
        guard let id = currentFlowId else { return }
        await cancel(flowId: id)
    }

    /// Forgets the current flow and goes back to ``SmartIdFlowState/idle``: a pending flow is
    /// cancelled first (its waiters get ``SmartIdError/cancelled``; the backend is told in the
    /// background), and the snapshot is removed.
    public func reset() {
        if let id = currentFlowId, let flow = endAsCancelled(id) {
            tellBackendCancelled(flow)
        }
        stopWatching()
        currentFlow = nil
        currentFlowId = nil
        result = nil
        setSnapshot(nil)
        publish(.idle)
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
    /// - Returns: `true` if the flow is pending again; ``state`` shows where it is. `false` for
    ///   an unusable snapshot, a flow that has ended, or while another flow is pending.
    @discardableResult
    public func restore(snapshot: String) -> Bool {
        let flow: SidkitFlow
        do {
            flow = try client.restoreFlow(snapshot: snapshot)
        } catch {
            if !state.isInProgress {
                setSnapshot(nil) // unusable; a pending flow's snapshot stays
            }
            return false
        }
        let id = flow.id()
        if state.isInProgress, currentFlowId != id {
            return false // another flow is pending; keep it
        }
        let restored = SmartIdFlowState(status: flow.status())
        if restored.isTerminal {
            setSnapshot(nil)
            return false
        }
        adopt(flow, state: restored)
        setSnapshot(flow.snapshot())
        watchDeadline(flow, id: id)
        if case .showingQr = restored {
            startPolling(flow, id: id)
        }
        return true
    }

    // MARK: - Observation

    /// The state changes as an `AsyncStream`, starting with the current state. Each access
    /// returns a new stream; it ends when the consuming task is cancelled or the coordinator goes
    /// away.
    public var states: AsyncStream<SmartIdFlowState> {
        let (stream, continuation) = AsyncStream.makeStream(of: SmartIdFlowState.self, bufferingPolicy: .bufferingNewest(32))
        let id = UUID()
        stateObservers[id] = continuation
        continuation.yield(state)
        continuation.onTermination = { [weak self] _ in
            guard let self = self else { return }
            Task { @MainActor in
                self.stateObservers[id] = nil
            }
        }
        return stream
    }

    /// The return URLs that were not accepted, as ``SmartIdError``s
    /// (``SmartIdError/returnRejected(code:reason:)`` for one that matches no pending flow, or
    /// the flow's error when it refused one), for logging or a notice to the user. Each access
    /// returns a new stream of the rejections from then on.
    public var returnErrors: AsyncStream<SmartIdError> {
        let (stream, continuation) = AsyncStream.makeStream(of: SmartIdError.self, bufferingPolicy: .bufferingNewest(32))
        let id = UUID()
        returnErrorObservers[id] = continuation
        continuation.onTermination = { [weak self] _ in
            guard let self = self else { return }
            Task { @MainActor in
                self.returnErrorObservers[id] = nil
            }
        }
        return stream
    }

    // MARK: - Driving a flow

    /// Starts `flow` with the backend, then opens its device link (App2App) or starts polling
    /// (QR).
    private func launch(_ flow: SidkitFlow, id: String) async throws {
        let step: FlowStep
        do {
            step = try await flow.start()
        } catch {
            let failure = SmartIdError(error)
            end(id, with: .failure(failure))
            // After a retryable error the Rust flow waits to be started again; this coordinator
            // starts a new flow instead, so end this one (no backend call: it has no handle yet).
            if !flow.tick() {
                try? await flow.cancel()
            }
            try checkPending(id)
            throw failure
        }
        try checkPending(id)
        if flow.tick() {
            // Ended in Rust meanwhile (e.g. cancelled while the start was with the backend).
            endFromStatus(flow, id: id, otherwise: .cancelled)
            try checkPending(id)
        }
        switch step {
        case let .launchApp(deviceLink):
            try await open(flow, id: id, deviceLink: deviceLink)
        case let .showQr(deviceLink):
            publish(.showingQr(deviceLink: deviceLink))
            watchDeadline(flow, id: id)
            startPolling(flow, id: id)
        }
    }

    /// Opens the checked App2App link: `awaitingReturn(launched: false)`, the opener, then
    /// `awaitingReturn(launched: true)`.
    private func open(_ flow: SidkitFlow, id: String, deviceLink: String) async throws {
        // Saved before leaving the app: iOS may end the process while Smart-ID is in front.
        setSnapshot(flow.snapshot())
        publish(.awaitingReturn(deviceLink: deviceLink, launched: false))
        watchDeadline(flow, id: id)
        guard let url = URL(string: deviceLink) else {
            let failure = SmartIdError.linkRejected(code: "link_malformed", reason: "the device link is not a URL")
            await abandon(flow, id: id, with: failure)
            throw failure
        }
        let opened = await opener.open(url)
        try checkPending(id)
        if opened == .failed {
            let failure = SmartIdError.cannotOpenLink(reason: "the system could not open the Smart-ID device link")
            await abandon(flow, id: id, with: failure)
            throw failure
        }
        // Fails harmlessly when the return URL already arrived (the flow is completing).
        try? flow.markLaunched()
        if currentFlowId == id, result == nil, case .awaitingReturn(_, false) = state {
            setSnapshot(flow.snapshot())
            publish(.awaitingReturn(deviceLink: deviceLink, launched: true))
        }
    }

    /// Polls the QR flow `id` every ``qrPollInterval`` until it ends.
    private func startPolling(_ flow: SidkitFlow, id: String) {
        qrPoller?.cancel()
        qrPoller = Task { [weak self] in
            await self?.poll(flow, id: id)
        }
    }

    private func poll(_ flow: SidkitFlow, id: String) async {
        while isPending(id), !flow.tick() {
            do {
                try await Task.sleep(nanoseconds: Self.nanoseconds(qrPollInterval))
            } catch {
                return // the poller was cancelled: the flow ended
            }
            guard isPending(id), !flow.tick() else { break }
            do {
                switch try await flow.poll() {
                case let .waiting(deviceLink):
                    if isPending(id) {
                        publish(.showingQr(deviceLink: deviceLink))
                    }
                case let .finished(outcome):
                    end(id, with: .success(outcome))
                    return
                }
            } catch {
                // Keep showing the current code through transient errors; end on the others.
                let failure = SmartIdError(error)
                if failure.isRetryable, !flow.tick() {
                    continue
                }
                endFromStatus(flow, id: id, otherwise: failure)
                return
            }
        }
        if isPending(id) {
            endFromStatus(flow, id: id, otherwise: .expired)
        }
    }

    /// Ends the flow `id` when its deadline passes, so that a caller waiting for a return URL
    /// that never comes does not wait forever. ``end(_:with:)`` cancels the watcher.
    private func watchDeadline(_ flow: SidkitFlow, id: String) {
        deadlineWatcher?.cancel()
        let remainingMs = min(flow.remainingMs(), 86_400_000)
        deadlineWatcher = Task { [weak self] in
            do {
                try await Task.sleep(nanoseconds: (remainingMs + 50) * 1_000_000)
            } catch {
                return // cancelled: the flow ended otherwise
            }
            guard let self = self, self.isPending(id), flow.tick() else { return }
            self.endFromStatus(flow, id: id, otherwise: .expired)
        }
    }

    /// Completes `flow` with the return URL.
    private func complete(_ flow: SidkitFlow, returnUrl: String) async -> ReturnResult {
        let id = flow.id()
        if currentFlowId == id, case let .failure(error)? = result {
            // Ended here (cancelled, expired, failed) before Rust heard of it.
            reportReturnError(error)
            return .rejected(error)
        }
        if currentFlowId != id {
            if state.isInProgress {
                let error = SmartIdError.returnRejected(
                    code: "return_url_stale", reason: "the return belongs to a flow that a newer one replaced"
                )
                reportReturnError(error)
                return .ignored(error)
            }
            // A flow the client knows but this coordinator does not (restored elsewhere).
            adopt(flow, state: SmartIdFlowState(status: flow.status()))
            watchDeadline(flow, id: id)
        }
        if result == nil {
            publish(.completing)
        }
        do {
            let outcome = try await flow.complete(returnUrl: returnUrl)
            end(id, with: .success(outcome))
            return .completed(outcome)
        } catch {
            let failure = SmartIdError(error)
            if flow.tick() {
                // Rejected for good (or cancelled / expired meanwhile).
                endFromStatus(flow, id: id, otherwise: failure)
            } else if isPending(id) {
                // Retryable: the flow waits for the same URL again (or a refresh()).
                publish(SmartIdFlowState(status: flow.status()))
            }
            if failure.code != "flow_busy" { // flow_busy: the same return is being handled already
                reportReturnError(failure)
            }
            return .rejected(failure)
        }
    }

    // MARK: - Routing

    /// Where a URL goes.
    private enum Route {
        /// Not on the callback base: not a Smart-ID return of this app.
        case foreign
        /// On the callback base, but no pending flow takes it.
        case unmatched(SmartIdError)
        /// The return of `flow`.
        case flow(SidkitFlow, String)
    }

    private nonisolated func route(_ url: URL) -> Route {
        let text = url.absoluteString
        do {
            return .flow(try client.findFlow(returnUrl: text), text)
        } catch let error as SidkitError {
            guard case let .ReturnUrlRejected(kind, _) = error else {
                return .unmatched(SmartIdError(sidkit: error))
            }
            if kind == .foreignBase {
                return .foreign
            }
            // The router rejects anything that is not strict https before it compares bases,
            // so a custom-scheme or otherwise unusual link of the app arrives here too.
            if kind == .malformed, !isOnCallbackBase(url) {
                return .foreign
            }
            return .unmatched(SmartIdError(sidkit: error))
        } catch {
            return .unmatched(SmartIdError(error))
        }
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

    // MARK: - Internals

    /// Makes `flow` the current flow, in `newState`; the previous flow's watchers stop.
    private func adopt(_ flow: SidkitFlow, state newState: SmartIdFlowState) {
        stopWatching()
        currentFlow = flow
        currentFlowId = flow.id()
        result = nil
        publish(newState)
    }

    /// Whether `id` is the current flow and has not ended here.
    private func isPending(_ id: String) -> Bool {
        currentFlowId == id && result == nil
    }

    /// Throws unless flow `id` is still the current one and has not failed: ``SmartIdError/cancelled``
    /// when a newer flow replaced it, or the error it ended with.
    private func checkPending(_ id: String) throws {
        guard currentFlowId == id else { throw SmartIdError.cancelled }
        if case let .failure(error)? = result {
            throw error
        }
    }

    /// Suspends until flow `id` ends; returns at once if it already has. Cancelling the calling
    /// task cancels the flow.
    private func outcome(of id: String) async throws -> FlowOutcome {
        try await withTaskCancellationHandler {
            try await self.waitForEnd(of: id)
        } onCancel: {
            Task { @MainActor [weak self] in
                await self?.cancel(flowId: id)
            }
        }
    }

    private func waitForEnd(of id: String) async throws -> FlowOutcome {
        guard currentFlowId == id else { throw SmartIdError.cancelled }
        if let result = result {
            return try result.get()
        }
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<FlowOutcome, Error>) in
            waiters.append(continuation)
        }
    }

    /// Cancels flow `id` here, then tells the backend.
    private func cancel(flowId id: String) async {
        if let flow = endAsCancelled(id) {
            // The local state changed at once; the backend call may fail, the flow stays cancelled.
            try? await flow.cancel()
        }
    }

    /// Ends flow `id` as cancelled if it is pending; returns the Rust flow when the backend must
    /// still be told.
    private func endAsCancelled(_ id: String) -> SidkitFlow? {
        guard isPending(id), let flow = currentFlow else { return nil }
        if flow.tick() {
            // Already over in Rust (e.g. the deadline passed a moment ago): report that.
            endFromStatus(flow, id: id, otherwise: .cancelled)
            return nil
        }
        end(id, with: .failure(.cancelled))
        return flow
    }

    /// Tells the backend about a flow cancelled here, without waiting for its answer.
    private func tellBackendCancelled(_ flow: SidkitFlow) {
        Task {
            try? await flow.cancel()
        }
    }

    /// Ends flow `id` with `failure` and tells the backend.
    private func abandon(_ flow: SidkitFlow, id: String, with failure: SmartIdError) async {
        end(id, with: .failure(failure))
        if !flow.tick() {
            try? await flow.cancel()
        }
    }

    /// Ends flow `id` with the terminal state the Rust flow is in, or with `otherwise` when the
    /// Rust flow has not ended.
    private func endFromStatus(_ flow: SidkitFlow, id: String, otherwise: SmartIdError) {
        switch SmartIdFlowState(status: flow.status()) {
        case let .finished(outcome):
            end(id, with: .success(outcome))
        case .cancelled:
            end(id, with: .failure(.cancelled))
        case .expired:
            end(id, with: .failure(.expired))
        case let .failed(error):
            end(id, with: .failure(error))
        case .idle, .starting, .awaitingReturn, .showingQr, .completing:
            end(id, with: .failure(otherwise))
        }
    }

    /// Ends flow `id` (if it is the current one and still pending): publishes the terminal
    /// state, stops the deadline watcher and the QR poller, drops the snapshot and resumes the
    /// waiters.
    private func end(_ id: String, with outcome: Result<FlowOutcome, SmartIdError>) {
        guard isPending(id) else { return }
        result = outcome
        stopWatching()
        switch outcome {
        case let .success(value):
            publish(.finished(value))
        case let .failure(error):
            publish(SmartIdFlowState(ending: error))
        }
        setSnapshot(nil)
        let resumed = waiters
        waiters = []
        for waiter in resumed {
            waiter.resume(with: outcome)
        }
    }

    private func stopWatching() {
        deadlineWatcher?.cancel()
        deadlineWatcher = nil
        qrPoller?.cancel()
        qrPoller = nil
    }

    private func publish(_ newState: SmartIdFlowState) {
        state = newState
        for observer in stateObservers.values {
            observer.yield(newState)
        }
    }

    private func reportReturnError(_ error: SmartIdError) {
        for observer in returnErrorObservers.values {
            observer.yield(error)
        }
    }

    private func setSnapshot(_ value: String?) {
        snapshot = value
        snapshotStore?.save(value)
    }

    /// `interval` in nanoseconds for `Task.sleep` (0 for a negative or not finite interval, at
    /// most an hour).
    private static func nanoseconds(_ interval: TimeInterval) -> UInt64 {
        guard interval.isFinite, interval > 0 else { return 0 }
        return UInt64(min(interval, 3600) * 1_000_000_000)
    }
}
