import Foundation
import SidKit

/// What ``SmartIdFlowCoordinator/handleReturn(_:)`` did with a return URL (Kotlin's
/// `ReturnResult`).
public enum ReturnResult: Equatable {
    /// The URL is not a return this coordinator acts on; the current flow is untouched. `nil`
    /// when the URL is not on the app's callback base at all (route it elsewhere); an error
    /// (``SmartIdError/returnRejected(code:reason:)``) when it is on the callback base but
    /// matches no pending flow (forged, malformed, of another installation, or of a flow that
    /// already ended).
    case ignored(SmartIdError?)
    /// The URL completed its flow with this verified outcome.
    case completed(FlowOutcome)
    /// The URL belongs to a flow of this coordinator, but the flow did not accept it (the backend
    /// refused it, or the flow ended meanwhile).
    case rejected(SmartIdError)
}

#if compiler(>=6)
extension ReturnResult: Sendable {}
#else
// @unchecked: before Swift 6 compilers the generated FlowOutcome is not declared Sendable (UniFFI declares it
// under `#if compiler(>=6)` only), although it is a value type of strings, numbers and other
// such values with no reference inside; this says the same for the older compilers.
extension ReturnResult: @unchecked Sendable {}
#endif
