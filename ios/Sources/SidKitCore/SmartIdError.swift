import Foundation
import SidKit

/// Everything that can end or refuse a Smart-ID flow of a ``SmartIdFlowCoordinator``.
///
/// The same cases as Kotlin's `SmartIdException` (see `docs/platform-api.md`). Each case has a
/// stable ``code`` (the Rust core's code, e.g. `flow_cancelled`, for logs and analytics),
/// ``isRetryable`` (whether repeating the same step may succeed) and a ``userMessage`` fit to
/// show. A refusal or timeout in the Smart-ID app is not an error: it is the outcome
/// `FlowOutcome.failed(reason:interaction:)`.
///
/// The coordinator throws only this type; ``init(_:)`` maps the generated `SidkitError` (and any
/// other error) onto it.
public enum SmartIdError: Error, Equatable, Hashable, Sendable {
    /// The flow was cancelled: by ``SmartIdFlowCoordinator/cancel()``, by cancelling the task that
    /// waited for it, or because a newer flow replaced it.
    case cancelled
    /// The flow's deadline passed before it ended.
    case expired
    /// The backend could not be reached (no network, a timeout, TLS). `retryable` says whether
    /// repeating the call later may succeed.
    case network(reason: String, retryable: Bool)
    /// The backend answered with an error: the HTTP `status`, the contract's `backendCode`
    /// (e.g. `callback_rejected`, `rate_limited`), its message and whether a repeat may succeed.
    case backend(status: Int, backendCode: String, reason: String, retryable: Bool)
    /// The device link from the backend failed its check and was not opened; `code` is the
    /// core's code (`link_base_not_allowed`, `link_malformed`, ...).
    case linkRejected(code: String, reason: String)
    /// A return URL was not accepted for the flow; `code` is the core's code
    /// (`return_url_unknown_flow`, `return_url_replayed`, ...).
    case returnRejected(code: String, reason: String)
    /// The flow ended as failed for a reason of its own (`flow_bad_response`,
    /// `flow_invalid_state`, `flow_outcome_delivered`, `flow_snapshot`, `flow_busy`).
    case flowFailed(code: String, reason: String)
    /// Nothing on the device could open the Smart-ID device link.
    case cannotOpenLink(reason: String)
    /// An argument or configuration value is invalid (`field` names it).
    case invalidInput(field: String, reason: String)
    /// The backend speaks another major version of the sidkit contract: update the app or the
    /// backend.
    case contractVersion(reason: String)
    /// Anything else (e.g. an error of the app's own transport that is not a `SidkitError`).
    case `internal`(reason: String)

    /// The code of ``cannotOpenLink(reason:)``, the one case the Rust core has no code for
    /// (opening a link is the platform's job). Kotlin's `SmartIdException.CannotOpenLink` has
    /// the same one.
    static let cannotOpenLinkCode = "cannot_open_link"

    /// A stable, machine-readable code: the Rust core's `SidkitError.code()` of the error this one
    /// was made from (`flow_cancelled`, `flow_expired`, `transport`, `backend`,
    /// `link_base_not_allowed`, `return_url_replayed`, `invalid_input`, `contract_version`,
    /// `unexpected`, ...), or `cannot_open_link`.
    public var code: String {
        switch self {
        case .cancelled:
            return "flow_cancelled"
        case .expired:
            return "flow_expired"
        case .network:
            return "transport"
        case .backend:
            return "backend"
        case let .linkRejected(code, _), let .returnRejected(code, _), let .flowFailed(code, _):
            return code
        case .cannotOpenLink:
            return SmartIdError.cannotOpenLinkCode
        case .invalidInput:
            return "invalid_input"
        case .contractVersion:
            return "contract_version"
        case .internal:
            return "unexpected"
        }
    }

    /// Whether repeating the same step may succeed: network and backend errors that say so, and
    /// `flow_busy`. Everything else needs a change first (a new flow, other input).
    public var isRetryable: Bool {
        switch self {
        case let .network(_, retryable), let .backend(_, _, _, retryable):
            return retryable
        case let .flowFailed(code, _):
            return code == "flow_busy"
        case .cancelled, .expired, .linkRejected, .returnRejected, .cannotOpenLink, .invalidInput,
             .contractVersion, .internal:
            return false
        }
    }

    /// A fixed English sentence fit to show to the user (never the loggable `reason`).
    /// Localize by switching over the cases or over ``code``.
    public var userMessage: String {
        switch self {
        case .cancelled:
            return "The Smart-ID request was cancelled."
        case .expired:
            return "The Smart-ID request took too long. Please try again."
        case .network:
            return "The service could not be reached. Check your connection and try again."
        case let .backend(_, _, _, retryable):
            return retryable
                ? "The service is busy. Please try again in a moment."
                : "The service could not complete the Smart-ID request."
        case .linkRejected:
            return "The Smart-ID request could not be verified, so Smart-ID was not opened."
        case .returnRejected:
            return "The answer from Smart-ID could not be accepted. Please try again."
        case .flowFailed:
            return "The Smart-ID request failed. Please try again."
        case .cannotOpenLink:
            return "Smart-ID could not be opened on this device."
        case .invalidInput:
            return "The app is not set up correctly for Smart-ID."
        case .contractVersion:
            return "This version of the app is no longer supported. Please update it."
        case .internal:
            return "Something went wrong. Please try again."
        }
    }

    /// The error for `error`, mapped exhaustively from the generated `SidkitError`; a
    /// `SmartIdError` stays as it is, a `CancellationError` is ``cancelled``, anything else is
    /// ``internal(reason:)``.
    public init(_ error: Error) {
        if let error = error as? SmartIdError {
            self = error
        } else if let error = error as? SidkitError {
            self = SmartIdError(sidkit: error)
        } else if error is CancellationError {
            self = .cancelled
        } else {
            self = .internal(reason: String(describing: error))
        }
    }

    /// The error for a generated `SidkitError`; ``code`` is then `error.code()`.
    public init(sidkit error: SidkitError) {
        switch error {
        case let .InvalidInput(field, reason):
            self = .invalidInput(field: field, reason: reason)
        case let .LinkRejected(_, reason):
            self = .linkRejected(code: error.code(), reason: reason)
        case let .ReturnUrlRejected(_, reason):
            self = .returnRejected(code: error.code(), reason: reason)
        case let .Flow(kind, reason):
            switch kind {
            case .cancelled:
                self = .cancelled
            case .expired:
                self = .expired
            case .contractVersion:
                self = .contractVersion(reason: reason)
            case .invalidState, .busy, .badResponse, .snapshot, .outcomeDelivered:
                self = .flowFailed(code: error.code(), reason: reason)
            }
        case let .Transport(reason, retryable):
            self = .network(reason: reason, retryable: retryable)
        case let .Backend(httpStatus, backendCode, reason, retryable):
            self = .backend(status: Int(httpStatus), backendCode: backendCode, reason: reason, retryable: retryable)
        case let .Unexpected(reason):
            self = .internal(reason: reason)
        }
    }

    /// The error of a flow the Rust core reports as `FlowStatus.failed(code:reason:)`: the core's
    /// `code` says which case (the status carries no HTTP status or retry flag, so a `backend`
    /// failure has status 0 and a `transport` one is not retryable: the flow has ended).
    public init(code: String, reason: String) {
        switch code {
        case "flow_cancelled":
            self = .cancelled
        case "flow_expired":
            self = .expired
        case "transport":
            self = .network(reason: reason, retryable: false)
        case "backend":
            self = .backend(status: 0, backendCode: "backend", reason: reason, retryable: false)
        case "invalid_input":
            self = .invalidInput(field: "", reason: reason)
        case "contract_version":
            self = .contractVersion(reason: reason)
        case SmartIdError.cannotOpenLinkCode:
            self = .cannotOpenLink(reason: reason)
        case "unexpected":
            self = .internal(reason: reason)
        default:
            if code.hasPrefix("link_") {
                self = .linkRejected(code: code, reason: reason)
            } else if code.hasPrefix("return_url_") {
                self = .returnRejected(code: code, reason: reason)
            } else {
                self = .flowFailed(code: code, reason: reason)
            }
        }
    }
}

extension SmartIdError: LocalizedError {
    /// ``userMessage``, so that `localizedDescription` and SwiftUI alerts show it.
    public var errorDescription: String? {
        userMessage
    }
}
