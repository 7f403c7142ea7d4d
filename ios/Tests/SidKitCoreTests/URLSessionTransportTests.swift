// Tests of URLSessionBackendTransport with a URLProtocol stub: paths, methods, headers, JSON
// bodies, RFC 9457 problem+json error bodies (contract 2; no fallback of its own for older
// bodies), URLError mapping, cancellation. Foundation(Networking) only: they run on Linux too.
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import SidKit
@testable import SidKitCore
import XCTest

/// What the stub answers: an HTTP response, a URLError, or nothing until the request is cancelled.
enum StubAnswer: Sendable {
    case http(status: Int, headers: [String: String], body: String)
    case failure(URLError)
    case hang
}

/// The answers and recorded requests of every test's stub, keyed by the `X-Stub-Id` header of
/// the test's transport. URLSession makes the URLProtocol instances itself, so they find their
/// test through this one immutable static reference to a lock-guarded object (no global mutable
/// variable; tests running at once do not see each other's requests).
final class StubRegistry: @unchecked Sendable {
    // @unchecked: `answers` and `recorded` are only read and written while holding `lock`.
    private let lock = NSLock()
    private var answers: [String: StubAnswer] = [:]
    private var recorded: [String: [(request: URLRequest, body: Data)]] = [:]

    func set(_ answer: StubAnswer, for id: String) {
        lock.lock()
        defer { lock.unlock() }
        answers[id] = answer
    }

    /// Records `request` and returns the answer for it.
    func take(_ request: URLRequest, body: Data, for id: String) -> StubAnswer {
        lock.lock()
        defer { lock.unlock() }
        recorded[id, default: []].append((request, body))
        return answers[id] ?? .http(status: 500, headers: [:], body: "")
    }

    func requests(for id: String) -> [(request: URLRequest, body: Data)] {
        lock.lock()
        defer { lock.unlock() }
        return recorded[id] ?? []
    }
}

/// Answers every request of its session from the registry entry of the request's `X-Stub-Id`.
final class StubURLProtocol: URLProtocol {
    static let registry = StubRegistry()
    static let idHeader = "X-Stub-Id"

    override class func canInit(with request: URLRequest) -> Bool {
        true
    }

    override class func canonicalRequest(for request: URLRequest) -> URLRequest {
        request
    }

    override func startLoading() {
        let body = request.httpBody ?? Self.read(request.httpBodyStream)
        let id = request.value(forHTTPHeaderField: Self.idHeader) ?? ""
        switch Self.registry.take(request, body: body, for: id) {
        case let .http(status, headers, text):
            // Contract 2 by default; a test sets "Sidkit-Contract" to "" to leave it out.
            var fields = headers
            if fields["Sidkit-Contract"] == nil { fields["Sidkit-Contract"] = "2" }
            if fields["Sidkit-Contract"] == "" { fields.removeValue(forKey: "Sidkit-Contract") }
            let response = HTTPURLResponse(url: request.url!, statusCode: status, httpVersion: "HTTP/1.1", headerFields: fields)!
            client?.urlProtocol(self, didReceive: response, cacheStoragePolicy: .notAllowed)
            client?.urlProtocol(self, didLoad: Data(text.utf8))
            client?.urlProtocolDidFinishLoading(self)
        case let .failure(error):
            client?.urlProtocol(self, didFailWithError: error)
        case .hang:
            break // until the task is cancelled (stopLoading)
        }
    }

    override func stopLoading() {}

    /// URLSession hands a request's body to a URLProtocol as a stream.
    static func read(_ stream: InputStream?) -> Data {
        guard let stream = stream else { return Data() }
        stream.open()
        defer { stream.close() }
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while stream.hasBytesAvailable {
            let n = stream.read(&buffer, maxLength: buffer.count)
            if n <= 0 {
                break
            }
            data.append(buffer, count: n)
        }
        return data
    }
}

/// One test's stubbed transport.
struct Stub {
    let id = UUID().uuidString
    let transport: URLSessionBackendTransport

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.protocolClasses = [StubURLProtocol.self]
        transport = URLSessionBackendTransport(
            configuration: .init(
                baseURL: URL(string: "https://rp.example.com/api/smart-id/")!,
                headers: ["X-Api-Key": "k1", StubURLProtocol.idHeader: id],
                timeout: 7
            ),
            session: URLSession(configuration: configuration),
            headerProvider: { ["Authorization": "Bearer t0k3n"] }
        )
    }

    func answer(_ answer: StubAnswer) {
        StubURLProtocol.registry.set(answer, for: id)
    }

    func lastRequest() throws -> (request: URLRequest, body: Data) {
        try XCTUnwrap(StubURLProtocol.registry.requests(for: id).last)
    }
}

let commitment = "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"
/// A flow key and its challenge (BASE64URL(SHA-256(key bytes))), computed independently.
let flowKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
let flowKeyChallenge = "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"
let startResponseJson = """
{"flowHandle":"fh_abc","sessionType":"auth","deviceLink":"https://smart-id.com/device-link?deviceLinkType=App2App",\
"callbackBase":"https://rp.example.com/smart-id/return","callbackCommitment":"\(commitment)","expiresInMs":120000}
"""

final class URLSessionTransportTests: XCTestCase {
    func json(_ data: Data) throws -> NSDictionary {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    func testStartPostsTheRequestWithItsIdempotencyKey() async throws {
        let stub = Stub()
        stub.answer(.http(status: 201, headers: ["Content-Type": "application/json"], body: startResponseJson))
        let request = StartFlowRequest(kind: .authentication, presentation: .app2app, lang: "est", context: nil, idempotencyKey: "k0123456789abcdef", flowKeyChallenge: flowKeyChallenge)
        let response = try await stub.transport.startFlow(request: request)
        XCTAssertEqual(response.flowHandle, "fh_abc")
        XCTAssertEqual(response.sessionType, .auth)
        XCTAssertEqual(response.callbackCommitment, commitment)
        XCTAssertEqual(response.expiresInMs, 120_000)

        let (sent, body) = try stub.lastRequest()
        XCTAssertEqual(sent.httpMethod, "POST")
        XCTAssertEqual(sent.url?.absoluteString, "https://rp.example.com/api/smart-id/flows")
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Idempotency-Key"), "k0123456789abcdef")
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Content-Type"), "application/json")
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Accept"), "application/json, application/problem+json")
        XCTAssertEqual(sent.value(forHTTPHeaderField: "X-Api-Key"), "k1")
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Authorization"), "Bearer t0k3n")
        XCTAssertEqual(sent.timeoutInterval, 7)
        XCTAssertEqual(try json(body), try json(Data(startFlowRequestToJson(request: request).utf8)))
        XCTAssertEqual(try json(body)["idempotencyKey"] as? String, "k0123456789abcdef")
        XCTAssertEqual(try json(body)["flowKeyChallenge"] as? String, flowKeyChallenge)
        XCTAssertNil(sent.value(forHTTPHeaderField: "Sidkit-Flow-Key"))
    }

    func testCompletePostsTheReturnUrl() async throws {
        let stub = Stub()
        stub.answer(.http(status: 200, headers: [:], body: #"{"result":"failed","endResult":"USER_REFUSED"}"#))
        let request = CompleteFlowRequest(flowHandle: "fh_abc", returnUrl: "https://rp.example.com/smart-id/return?value=abc")
        let outcome = try await stub.transport.completeFlow(request: request, flowKey: flowKey)
        XCTAssertEqual(outcome, .failed(reason: .userRefused, interaction: nil))
        let (sent, body) = try stub.lastRequest()
        XCTAssertEqual(sent.httpMethod, "POST")
        XCTAssertEqual(sent.url?.absoluteString, "https://rp.example.com/api/smart-id/flows/fh_abc/complete")
        XCTAssertNil(sent.value(forHTTPHeaderField: "Idempotency-Key"))
        // The flow key travels in its header only, never in the URL or the body.
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Sidkit-Flow-Key"), flowKey)
        XCTAssertFalse(sent.url!.absoluteString.contains(flowKey))
        XCTAssertFalse(String(decoding: body, as: UTF8.self).contains(flowKey))
        XCTAssertEqual(try json(body), ["flowHandle": "fh_abc", "returnUrl": "https://rp.example.com/smart-id/return?value=abc"])
    }

    func testPollAndCancel() async throws {
        let stub = Stub()
        stub.answer(.http(status: 200, headers: [:], body: #"{"status":"pending"}"#))
        let progress = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        XCTAssertEqual(progress, .pending(deviceLink: nil))
        var (sent, body) = try stub.lastRequest()
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Sidkit-Flow-Key"), flowKey)
        XCTAssertEqual(sent.httpMethod, "GET")
        XCTAssertEqual(sent.url?.absoluteString, "https://rp.example.com/api/smart-id/flows/fh_abc")
        XCTAssertTrue(body.isEmpty)

        stub.answer(.http(status: 204, headers: [:], body: ""))
        try await stub.transport.cancelFlow(request: CancelFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        (sent, body) = try stub.lastRequest()
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Sidkit-Flow-Key"), flowKey)
        XCTAssertEqual(sent.httpMethod, "DELETE")
        XCTAssertEqual(sent.url?.absoluteString, "https://rp.example.com/api/smart-id/flows/fh_abc")
    }

    func testFlowHandlesCannotEscapeTheirPathSegment() {
        let stub = Stub()
        XCTAssertEqual(
            stub.transport.endpoint(["flows", "a/b?c#d", "complete"]).absoluteString,
            "https://rp.example.com/api/smart-id/flows/a%2Fb%3Fc%23d/complete"
        )
        XCTAssertEqual(stub.transport.endpoint(["flows", "../x"]).absoluteString, "https://rp.example.com/api/smart-id/flows/..%2Fx")
    }

    func testProblemJsonBecomesABackendError() async throws {
        let stub = Stub()
        let problem = #"{"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,"detail":"forged token","code":"callback_rejected","retryable":false}"#
        stub.answer(.http(status: 403, headers: ["Content-Type": "application/problem+json"], body: problem))
        do {
            _ = try await stub.transport.completeFlow(request: CompleteFlowRequest(flowHandle: "fh_abc", returnUrl: "https://rp.example.com/smart-id/return?value=abc"), flowKey: flowKey)
            XCTFail("403 must throw")
        } catch let error as SidkitError {
            XCTAssertEqual(error, .Backend(httpStatus: 403, backendCode: "callback_rejected", reason: "forged token", retryable: false))
            XCTAssertFalse(error.isRetryable())
            XCTAssertEqual(error.code(), "backend")
        }
    }

    func testBodiesThatAreNotProblemsAreHttpStatusErrors() async throws {
        let stub = Stub()
        stub.answer(.http(status: 502, headers: ["Content-Type": "text/html"], body: "<html>bad gateway</html>"))
        do {
            _ = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
            XCTFail("502 must throw")
        } catch let error as SidkitError {
            guard case let .Backend(status, code, _, retryable) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 502)
            XCTAssertEqual(code, "http_502")
            XCTAssertTrue(retryable)
        }
        // The transport reads error bodies only through backendErrorFromJson: what that reader
        // answers for a body is what the transport throws (no parsing of its own).
        for body in [#"{"code":"unavailable","detail":"try later","retryable":true}"#, "{}", "not json"] {
            stub.answer(.http(status: 503, headers: [:], body: body))
            do {
                _ = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
                XCTFail("503 must throw")
            } catch let error as SidkitError {
                XCTAssertEqual(error, backendErrorFromJson(httpStatus: 503, json: body))
            }
        }
    }

    func testCancellingTheCallingTaskCancelsTheRequest() async throws {
        let stub = Stub()
        stub.answer(.hang)
        let transport = stub.transport
        let call = Task {
            try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        }
        let deadline = Date().addingTimeInterval(5)
        while StubURLProtocol.registry.requests(for: stub.id).isEmpty, Date() < deadline {
            try await Task.sleep(nanoseconds: 5_000_000)
        }
        call.cancel()
        let result = await call.result
        guard case let .failure(error) = result, case let .Transport(reason, retryable)? = error as? SidkitError else {
            return XCTFail("a cancelled request must end with a transport error: \(result)")
        }
        XCTAssertEqual(reason, "the request was cancelled")
        XCTAssertFalse(retryable)
    }

    func testABackendOfAnotherContractVersionIsATypedError() async throws {
        let stub = Stub()
        for header in ["", "1", "3", "two"] {
            for status in [200, 404] {
                stub.answer(.http(status: status, headers: ["Sidkit-Contract": header], body: #"{"status":"pending"}"#))
                do {
                    _ = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
                    XCTFail("Sidkit-Contract '\(header)' must be refused")
                } catch let error as SidkitError {
                    guard case let .Flow(kind, reason) = error else { return XCTFail("\(error)") }
                    XCTAssertEqual(kind, .contractVersion)
                    XCTAssertEqual(error.code(), "contract_version")
                    XCTAssertTrue(reason.contains("Sidkit-Contract"), reason)
                }
            }
        }
        stub.answer(.http(status: 200, headers: [:], body: #"{"status":"pending"}"#))
        let progress = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        XCTAssertEqual(progress, .pending(deviceLink: nil))
    }

    func testInvalidSuccessBodyIsABadResponse() async throws {
        let stub = Stub()
        stub.answer(.http(status: 201, headers: [:], body: "{}"))
        let request = StartFlowRequest(kind: .signature, presentation: .qr, lang: "eng", context: "doc-1", idempotencyKey: "k0123456789abcdef", flowKeyChallenge: flowKeyChallenge)
        do {
            _ = try await stub.transport.startFlow(request: request)
            XCTFail("an empty object is not a start response")
        } catch let error as SidkitError {
            XCTAssertEqual(error.code(), "flow_bad_response")
        }
    }

    func testURLErrorsBecomeTransportErrors() async throws {
        let stub = Stub()
        stub.answer(.failure(URLError(.notConnectedToInternet)))
        do {
            _ = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
            XCTFail("offline must throw")
        } catch let error as SidkitError {
            guard case let .Transport(_, retryable) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(retryable)
            XCTAssertEqual(error.code(), "transport")
        }

        stub.answer(.failure(URLError(.serverCertificateUntrusted)))
        do {
            _ = try await stub.transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
            XCTFail("an untrusted certificate must throw")
        } catch let error as SidkitError {
            XCTAssertFalse(error.isRetryable())
        }

        XCTAssertTrue(URLSessionBackendTransport.transportError(URLError(.timedOut)).isRetryable())
        XCTAssertTrue(URLSessionBackendTransport.transportError(URLError(.networkConnectionLost)).isRetryable())
        XCTAssertFalse(URLSessionBackendTransport.transportError(URLError(.badURL)).isRetryable())
        XCTAssertFalse(URLSessionBackendTransport.transportError(URLError(.cancelled)).isRetryable())
    }

    func testBackendErrorMappingWithoutNetwork() {
        let problem = URLSessionBackendTransport.backendError(
            status: 429,
            body: #"{"type":"about:blank","title":"Too many requests","status":429,"detail":"slow down","code":"rate_limited","retryable":true}"#
        )
        XCTAssertEqual(problem, .Backend(httpStatus: 429, backendCode: "rate_limited", reason: "slow down", retryable: true))
        guard case let .Backend(status, code, _, retryable) = URLSessionBackendTransport.backendError(status: 500, body: "") else {
            return XCTFail("an error status is a backend error")
        }
        XCTAssertEqual(status, 500)
        XCTAssertEqual(code, "http_500")
        XCTAssertFalse(retryable)
    }
}
