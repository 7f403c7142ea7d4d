// SmartIdError: the exhaustive mapping from the generated SidkitError (its code is the core's
// code()), retry flags, user messages, the states' mapping, and SmartIdLanguage's codes.
// Foundation only: they run on Linux too.
import Foundation
import SidKit
import SidKitCore
import XCTest

final class SmartIdErrorTests: XCTestCase {
    /// One SidkitError of every kind, with the SmartIdError it must become.
    let mapped: [(SidkitError, SmartIdError)] = [
        (.InvalidInput(field: "lang", reason: "r"), .invalidInput(field: "lang", reason: "r")),
        (.LinkRejected(kind: .malformed, reason: "r"), .linkRejected(code: "link_malformed", reason: "r")),
        (.LinkRejected(kind: .baseNotAllowed, reason: "r"), .linkRejected(code: "link_base_not_allowed", reason: "r")),
        (.LinkRejected(kind: .wrongLinkType, reason: "r"), .linkRejected(code: "link_wrong_type", reason: "r")),
        (.LinkRejected(kind: .sessionTypeMismatch, reason: "r"), .linkRejected(code: "link_session_type_mismatch", reason: "r")),
        (.LinkRejected(kind: .sessionChanged, reason: "r"), .linkRejected(code: "link_session_changed", reason: "r")),
        (.LinkRejected(kind: .stale, reason: "r"), .linkRejected(code: "link_stale", reason: "r")),
        (.ReturnUrlRejected(kind: .malformed, reason: "r"), .returnRejected(code: "return_url_malformed", reason: "r")),
        (.ReturnUrlRejected(kind: .foreignBase, reason: "r"), .returnRejected(code: "return_url_foreign", reason: "r")),
        (.ReturnUrlRejected(kind: .unknownFlow, reason: "r"), .returnRejected(code: "return_url_unknown_flow", reason: "r")),
        (.ReturnUrlRejected(kind: .replayed, reason: "r"), .returnRejected(code: "return_url_replayed", reason: "r")),
        (.ReturnUrlRejected(kind: .stale, reason: "r"), .returnRejected(code: "return_url_stale", reason: "r")),
        (.ReturnUrlRejected(kind: .sessionTypeMismatch, reason: "r"), .returnRejected(code: "return_url_session_type_mismatch", reason: "r")),
        (.Flow(kind: .cancelled, reason: "r"), .cancelled),
        (.Flow(kind: .expired, reason: "r"), .expired),
        (.Flow(kind: .invalidState, reason: "r"), .flowFailed(code: "flow_invalid_state", reason: "r")),
        (.Flow(kind: .busy, reason: "r"), .flowFailed(code: "flow_busy", reason: "r")),
        (.Flow(kind: .badResponse, reason: "r"), .flowFailed(code: "flow_bad_response", reason: "r")),
        (.Flow(kind: .snapshot, reason: "r"), .flowFailed(code: "flow_snapshot", reason: "r")),
        (.Flow(kind: .outcomeDelivered, reason: "r"), .flowFailed(code: "flow_outcome_delivered", reason: "r")),
        (.Flow(kind: .contractVersion, reason: "r"), .contractVersion(reason: "r")),
        (.Transport(reason: "r", retryable: true), .network(reason: "r", retryable: true)),
        (.Transport(reason: "r", retryable: false), .network(reason: "r", retryable: false)),
        (.Backend(httpStatus: 503, backendCode: "unavailable", reason: "r", retryable: true),
         .backend(status: 503, backendCode: "unavailable", reason: "r", retryable: true)),
        (.Backend(httpStatus: 403, backendCode: "callback_rejected", reason: "r", retryable: false),
         .backend(status: 403, backendCode: "callback_rejected", reason: "r", retryable: false)),
        (.Unexpected(reason: "r"), .internal(reason: "r")),
    ]

    func testEverySidkitErrorMapsToItsCaseWithTheCoresCodeAndRetryFlag() {
        for (sidkit, expected) in mapped {
            let error = SmartIdError(sidkit)
            XCTAssertEqual(error, expected, "\(sidkit)")
            XCTAssertEqual(SmartIdError(sidkit: sidkit), expected, "\(sidkit)")
            XCTAssertEqual(error.code, sidkit.code(), "\(sidkit)")
            XCTAssertEqual(error.isRetryable, sidkit.isRetryable(), "\(sidkit)")
            XCTAssertFalse(error.userMessage.isEmpty)
            XCTAssertFalse(error.userMessage.contains("r:"), "the user message never carries the reason")
        }
    }

    func testTheFailedStatusOfTheCoreMapsByCode() {
        for (sidkit, expected) in mapped {
            let fromStatus = SmartIdError(code: sidkit.code(), reason: "r")
            XCTAssertEqual(fromStatus.code, expected.code, "\(sidkit)")
        }
        XCTAssertEqual(SmartIdError(code: "cannot_open_link", reason: "r"), .cannotOpenLink(reason: "r"))
    }

    func testOtherErrors() {
        XCTAssertEqual(SmartIdError(CancellationError()), .cancelled)
        XCTAssertEqual(SmartIdError(SmartIdError.expired), .expired)
        guard case .internal = SmartIdError(URLError(.badURL)) else { return XCTFail("other errors are internal") }
        XCTAssertEqual(SmartIdError.cannotOpenLink(reason: "r").code, "cannot_open_link")
        XCTAssertFalse(SmartIdError.cannotOpenLink(reason: "r").isRetryable)
        XCTAssertEqual(SmartIdError.expired.localizedDescription, SmartIdError.expired.userMessage)
    }

    func testLanguagesAreTheIso639Codes() {
        XCTAssertEqual(SmartIdLanguage.allCases.map { $0.rawValue }, ["eng", "est", "rus", "lit", "lav", "nld", "fra", "deu"])
        XCTAssertEqual(SmartIdLanguage(rawValue: "est"), .est)
        XCTAssertEqual(SmartIdLanguage.deu.iso639_2, "deu")
    }
}
