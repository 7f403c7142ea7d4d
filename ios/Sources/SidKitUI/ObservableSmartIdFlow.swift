#if canImport(Combine)
import Combine
import Foundation
import SidKitCore

/// The `ObservableObject` adapter of a ``SmartIdFlowCoordinator`` for SwiftUI: publishes the
/// coordinator's ``SmartIdFlowCoordinator/state`` and its last rejected return.
///
/// ```swift
/// @StateObject private var smartId = try! ObservableSmartIdFlow(
///     configuration: SidkitConfig(callbackBase: "https://rp.example.com/smart-id/return", environment: .live),
///     transport: URLSessionBackendTransport(baseURL: URL(string: "https://rp.example.com/api/smart-id")!))
///
/// var body: some View {
///     LoginView(state: smartId.state) { Task { try await smartId.coordinator.authenticate() } }
///         .smartIdReturnHandling(smartId.coordinator)
/// }
/// ```
@MainActor
public final class ObservableSmartIdFlow: ObservableObject {
    /// The coordinator that runs the flows; start, cancel and restore them here.
    public let coordinator: SmartIdFlowCoordinator

    /// The coordinator's state, republished on the main actor.
    @Published public private(set) var state: SmartIdFlowState

    /// The last return URL the coordinator did not accept
    /// (``SmartIdFlowCoordinator/returnErrors``), or `nil`.
    @Published public private(set) var lastReturnError: SmartIdError? = nil

    private var stateObservation: Task<Void, Never>?
    private var errorObservation: Task<Void, Never>?

    /// An adapter publishing `coordinator`'s state.
    public init(coordinator: SmartIdFlowCoordinator) {
        self.coordinator = coordinator
        self.state = coordinator.state
        let states = coordinator.states
        let returnErrors = coordinator.returnErrors
        stateObservation = Task { [weak self] in
            for await state in states {
                guard let self = self else { return }
                self.state = state
            }
        }
        errorObservation = Task { [weak self] in
            for await error in returnErrors {
                guard let self = self else { return }
                self.lastReturnError = error
            }
        }
    }

    #if canImport(Security)
    /// An adapter around a new `SmartIdFlowCoordinator(configuration:transport:opener:)` (the
    /// system opener and the Keychain snapshot store).
    ///
    /// - Throws: `SmartIdError.invalidInput(field:reason:)` when the configuration is invalid.
    public convenience init(configuration: SidkitConfig, transport: BackendTransport) throws {
        try self.init(coordinator: SmartIdFlowCoordinator(configuration: configuration, transport: transport))
    }
    #endif

    deinit {
        stateObservation?.cancel()
        errorObservation?.cancel()
    }
}
#endif
