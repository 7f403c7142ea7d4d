import Foundation
import SidKit

/// Where the current Smart-ID flow of a ``SmartIdFlowCoordinator`` is (Kotlin's
/// `SmartIdFlowState`).
///
/// A flow moves `idle → starting → awaitingReturn(launched: false) → awaitingReturn(launched:
/// true) → completing → finished`, or `starting → showingQr → finished` for QR; it can end
/// ``failed(_:)``, ``cancelled`` or ``expired`` from any pending state. The terminal states are
/// ``finished(_:)``, ``failed(_:)``, ``cancelled`` and ``expired``.
public enum SmartIdFlowState: Equatable {
    /// No flow, or a flow that has not been started.
    case idle
    /// The start request is with the app's backend.
    case starting
    /// The user is sent to the Smart-ID app (or its fallback page); the flow waits for the return
    /// URL. `launched` is `false` while the checked device link is being opened and `true` once
    /// it was; `deviceLink` reopens Smart-ID.
    case awaitingReturn(deviceLink: String, launched: Bool)
    /// A QR flow: show `deviceLink` as a QR code (it changes every second).
    case showingQr(deviceLink: String)
    /// The return URL is with the backend, which verifies it.
    case completing
    /// The verified end of the flow. A refusal or timeout in the Smart-ID app is an outcome too
    /// (`FlowOutcome.failed(reason:interaction:)`), not an error.
    case finished(FlowOutcome)
    /// The flow ended with an error (never ``SmartIdError/cancelled`` or
    /// ``SmartIdError/expired``: those are the states ``cancelled`` and ``expired``).
    case failed(SmartIdError)
    /// The flow was cancelled (by the app, or replaced by a newer flow).
    case cancelled
    /// The flow's deadline passed.
    case expired

    /// Whether a flow is running (neither idle nor ended).
    public var isInProgress: Bool {
        switch self {
        case .starting, .awaitingReturn, .showingQr, .completing:
            return true
        case .idle, .finished, .failed, .cancelled, .expired:
            return false
        }
    }

    /// Whether the flow has ended (finished, failed, cancelled or expired).
    public var isTerminal: Bool {
        switch self {
        case .finished, .failed, .cancelled, .expired:
            return true
        case .idle, .starting, .awaitingReturn, .showingQr, .completing:
            return false
        }
    }

    /// The state of a flow as the Rust core reports it (`SidkitFlow.status()`).
    public init(status: FlowStatus) {
        switch status {
        case .created:
            self = .idle
        case .starting:
            self = .starting
        case let .readyToLaunch(deviceLink):
            self = .awaitingReturn(deviceLink: deviceLink, launched: false)
        case let .awaitingReturn(deviceLink):
            self = .awaitingReturn(deviceLink: deviceLink, launched: true)
        case let .showingQr(deviceLink):
            self = .showingQr(deviceLink: deviceLink)
        case .completing:
            self = .completing
        case let .finished(outcome):
            self = .finished(outcome)
        case .cancelled:
            self = .cancelled
        case .expired:
            self = .expired
        case let .failed(code, reason):
            self = SmartIdFlowState(ending: SmartIdError(code: code, reason: reason))
        }
    }

    /// The terminal state of a flow that ended with `error`: ``cancelled``, ``expired`` or
    /// ``failed(_:)``.
    public init(ending error: SmartIdError) {
        switch error {
        case .cancelled:
            self = .cancelled
        case .expired:
            self = .expired
        default:
            self = .failed(error)
        }
    }
}

#if compiler(>=6)
extension SmartIdFlowState: Sendable {}
#else
// @unchecked: before Swift 6 compilers the generated FlowOutcome is not declared Sendable (UniFFI declares it
// under `#if compiler(>=6)` only), although it is a value type of strings, numbers and other
// such values with no reference inside; this says the same for the older compilers.
extension SmartIdFlowState: @unchecked Sendable {}
#endif
