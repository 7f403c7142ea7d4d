import Foundation
import SidKit

/// Where the current Smart-ID flow of a ``SmartIdFlowCoordinator`` is.
///
/// The states follow the flow's state machine in the Rust core (see `docs/mobile-flow.md`);
/// terminal states are ``finished(_:)``, ``failed(code:reason:)``, ``cancelled`` and ``expired``.
public enum SmartIdFlowState: Equatable, Sendable {
    /// No flow, or a flow that has not been started.
    case idle
    /// The start request is with the app's backend.
    case starting
    /// The device link passed its checks and is being opened.
    case launching(deviceLink: String)
    /// The user is in the Smart-ID app (or on its fallback page); waiting for the return URL.
    /// `deviceLink` reopens Smart-ID.
    case awaitingReturn(deviceLink: String)
    /// A QR flow: show `deviceLink` as a QR code (it changes every second).
    case showingQr(deviceLink: String)
    /// The return URL is with the backend, which verifies it.
    case completing
    /// The verified end of the flow. A refusal or timeout in the Smart-ID app is an outcome too
    /// (``FlowOutcome/failed(reason:interaction:)``), not an error.
    case finished(FlowOutcome)
    /// The flow ended with an error: `code` is the stable ``SidkitError`` code
    /// (`link_base_not_allowed`, `backend`, `transport`, ...), `reason` a loggable text.
    case failed(code: String, reason: String)
    /// The flow was cancelled.
    case cancelled
    /// The flow's deadline passed.
    case expired

    /// Whether a flow is running (neither idle nor ended).
    public var isInProgress: Bool {
        switch self {
        case .starting, .launching, .awaitingReturn, .showingQr, .completing:
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
        case .idle, .starting, .launching, .awaitingReturn, .showingQr, .completing:
            return false
        }
    }

    /// The outcome, once the flow has finished.
    public var outcome: FlowOutcome? {
        if case let .finished(outcome) = self {
            return outcome
        }
        return nil
    }

    /// The state of a flow as the Rust core reports it (``SidkitFlow/status()``).
    public init(status: FlowStatus) {
        switch status {
        case .created:
            self = .idle
        case .starting:
            self = .starting
        case let .readyToLaunch(deviceLink):
            self = .launching(deviceLink: deviceLink)
        case let .awaitingReturn(deviceLink):
            self = .awaitingReturn(deviceLink: deviceLink)
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
            self = .failed(code: code, reason: reason)
        }
    }

    /// The terminal state of a flow that ended with `error`.
    public init(error: Error) {
        if let error = error as? SidkitError {
            switch error {
            case let .Flow(kind, _) where kind == .cancelled:
                self = .cancelled
            case let .Flow(kind, _) where kind == .expired:
                self = .expired
            default:
                self = .failed(code: error.code(), reason: String(describing: error))
            }
        } else {
            self = .failed(code: "unexpected", reason: String(describing: error))
        }
    }
}
