// Tests of URLSessionBackendTransport with a URLProtocol stub: paths, methods, headers, JSON
// bodies, RFC 9457 problem+json and legacy error bodies, URLError mapping.
import Foundation
import XCTest
@testable import SidKit
@testable import SidKitUI

/// What the stub answers: an HTTP response or a URLError.
enum StubAnswer {
    case http(status: Int, headers: [String: String], body: String)
    case failure(URLError)
}

/// Answers every request of its session from `StubURLProtocol.answer` and records the requests.
final class StubURLProtocol: URLProtocol {
    private static let lock = NSLock()
    private static var storedAnswer: StubAnswer = .http(status: 500, headers: [:], body: "")
    private static var storedRequests: [(request: URLRequest, body: Data)] = []

    static var answer: StubAnswer {
        get {
            lock.lock()
            defer { lock.unlock() }
            return storedAnswer
        }
        set {
            lock.lock()
            storedAnswer = newValue
            lock.unlock()
        }
    }

    static var requests: [(request: URLRequest, body: Data)] {
        lock.lock()
        defer { lock.unlock() }
        return storedRequests
    }

    static func reset(_ answer: StubAnswer) {
        lock.lock()
        storedAnswer = answer
        storedRequests = []
        lock.unlock()
    }

    override class func canInit(with request: URLRequest) -> Bool {
        true
    }

    override class func canonicalRequest(for request: URLRequest) -> URLRequest {
        request
    }

    override func startLoading() {
        let body = request.httpBody ?? Self.read(request.httpBodyStream)
        Self.lock.lock()
        Self.storedRequests.append((request, body))
        let answer = Self.storedAnswer
        Self.lock.unlock()
        switch answer {
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

let commitment = "U4CKK13H1XFiyBofev9asqrzIrY5_Gszi_nL_zDKkBc"
/// A flow key and its challenge (BASE64URL(SHA-256(key bytes))), computed independently.
let flowKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
let flowKeyChallenge = "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"
let startResponseJson = """
{"flowHandle":"fh_abc","sessionType":"auth","deviceLink":"https://smart-id.com/device-link?deviceLinkType=App2App",\
"callbackBase":"https://rp.example.com/smart-id/return","callbackCommitment":"\(commitment)","expiresInMs":120000}
"""

final class URLSessionTransportTests: XCTestCase {
    var transport: URLSessionBackendTransport!

    override func setUp() {
        super.setUp()
        StubURLProtocol.reset(.http(status: 500, headers: [:], body: ""))
        let configuration = URLSessionConfiguration.ephemeral
        configuration.protocolClasses = [StubURLProtocol.self]
        transport = URLSessionBackendTransport(
            configuration: .init(baseURL: URL(string: "https://rp.example.com/api/smart-id/")!, headers: ["X-Api-Key": "k1"], timeout: 7),
            session: URLSession(configuration: configuration),
            headerProvider: { ["Authorization": "Bearer t0k3n"] }
        )
    }

    func lastRequest() throws -> (request: URLRequest, body: Data) {
        try XCTUnwrap(StubURLProtocol.requests.last)
    }

    func json(_ data: Data) throws -> NSDictionary {
        try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? NSDictionary)
    }

    func testStartPostsTheRequestWithItsIdempotencyKey() async throws {
        StubURLProtocol.reset(.http(status: 201, headers: ["Content-Type": "application/json"], body: startResponseJson))
        let request = StartFlowRequest(kind: .authentication, presentation: .app2app, lang: "est", context: nil, idempotencyKey: "k0123456789abcdef", flowKeyChallenge: flowKeyChallenge)
        let response = try await transport.startFlow(request: request)
        XCTAssertEqual(response.flowHandle, "fh_abc")
        XCTAssertEqual(response.sessionType, .auth)
        XCTAssertEqual(response.callbackCommitment, commitment)
        XCTAssertEqual(response.expiresInMs, 120_000)

        let (sent, body) = try lastRequest()
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
        StubURLProtocol.reset(.http(status: 200, headers: [:], body: #"{"result":"failed","endResult":"USER_REFUSED"}"#))
        let request = CompleteFlowRequest(flowHandle: "fh_abc", returnUrl: "https://rp.example.com/smart-id/return?value=abc")
        let outcome = try await transport.completeFlow(request: request, flowKey: flowKey)
        XCTAssertEqual(outcome, .failed(reason: .userRefused, interaction: nil))
        let (sent, body) = try lastRequest()
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
        StubURLProtocol.reset(.http(status: 200, headers: [:], body: #"{"status":"pending"}"#))
        let progress = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        XCTAssertEqual(progress, .pending(deviceLink: nil))
        var (sent, body) = try lastRequest()
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Sidkit-Flow-Key"), flowKey)
        XCTAssertEqual(sent.httpMethod, "GET")
        XCTAssertEqual(sent.url?.absoluteString, "https://rp.example.com/api/smart-id/flows/fh_abc")
        XCTAssertTrue(body.isEmpty)

        StubURLProtocol.reset(.http(status: 204, headers: [:], body: ""))
        try await transport.cancelFlow(request: CancelFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        (sent, body) = try lastRequest()
        XCTAssertEqual(sent.value(forHTTPHeaderField: "Sidkit-Flow-Key"), flowKey)
        XCTAssertEqual(sent.httpMethod, "DELETE")
        XCTAssertEqual(sent.url?.absoluteString, "https://rp.example.com/api/smart-id/flows/fh_abc")
    }

    func testFlowHandlesCannotEscapeTheirPathSegment() {
        XCTAssertEqual(
            transport.endpoint(["flows", "a/b?c#d", "complete"]).absoluteString,
            "https://rp.example.com/api/smart-id/flows/a%2Fb%3Fc%23d/complete"
        )
        XCTAssertEqual(transport.endpoint(["flows", "../x"]).absoluteString, "https://rp.example.com/api/smart-id/flows/..%2Fx")
    }

    func testProblemJsonBecomesABackendError() async throws {
        let problem = #"{"type":"urn:sidkit:problem:callback_rejected","title":"Callback rejected","status":403,"detail":"forged token","code":"callback_rejected","retryable":false}"#
        StubURLProtocol.reset(.http(status: 403, headers: ["Content-Type": "application/problem+json"], body: problem))
        do {
            _ = try await transport.completeFlow(request: CompleteFlowRequest(flowHandle: "fh_abc", returnUrl: "https://rp.example.com/smart-id/return?value=abc"), flowKey: flowKey)
            XCTFail("403 must throw")
        } catch let error as SidkitError {
            XCTAssertEqual(error, .Backend(httpStatus: 403, backendCode: "callback_rejected", reason: "forged token", retryable: false))
            XCTAssertFalse(error.isRetryable())
            XCTAssertEqual(error.code(), "backend")
        }
    }

    func testLegacyAndForeignErrorBodies() async throws {
        StubURLProtocol.reset(.http(status: 503, headers: [:], body: #"{"code":"unavailable","message":"try later","retryable":true}"#))
        do {
            _ = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
            XCTFail("503 must throw")
        } catch let error as SidkitError {
            XCTAssertEqual(error, .Backend(httpStatus: 503, backendCode: "unavailable", reason: "try later", retryable: true))
        }

        StubURLProtocol.reset(.http(status: 502, headers: ["Content-Type": "text/html"], body: "<html>bad gateway</html>"))
        do {
            _ = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
            XCTFail("502 must throw")
        } catch let error as SidkitError {
            guard case let .Backend(status, code, _, retryable) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(status, 502)
            XCTAssertEqual(code, "http_502")
            XCTAssertTrue(retryable)
        }
    }

    func testABackendOfAnotherContractVersionIsATypedError() async throws {
        for header in ["", "1", "3", "two"] {
            for status in [200, 404] {
                StubURLProtocol.reset(.http(status: status, headers: ["Sidkit-Contract": header], body: #"{"status":"pending"}"#))
                do {
                    _ = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
                    XCTFail("Sidkit-Contract '\(header)' must be refused")
                } catch let error as SidkitError {
                    guard case let .Flow(kind, reason) = error else { return XCTFail("\(error)") }
                    XCTAssertEqual(kind, .contractVersion)
                    XCTAssertEqual(error.code(), "contract_version")
                    XCTAssertTrue(reason.contains("Sidkit-Contract"), reason)
                }
            }
        }
        StubURLProtocol.reset(.http(status: 200, headers: [:], body: #"{"status":"pending"}"#))
        let progress = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
        XCTAssertEqual(progress, .pending(deviceLink: nil))
    }

    func testInvalidSuccessBodyIsABadResponse() async throws {
        StubURLProtocol.reset(.http(status: 201, headers: [:], body: "{}"))
        let request = StartFlowRequest(kind: .signature, presentation: .qr, lang: "eng", context: "doc-1", idempotencyKey: "k0123456789abcdef", flowKeyChallenge: flowKeyChallenge)
        do {
            _ = try await transport.startFlow(request: request)
            XCTFail("an empty object is not a start response")
        } catch let error as SidkitError {
            XCTAssertEqual(error.code(), "flow_bad_response")
        }
    }

    func testURLErrorsBecomeTransportErrors() async throws {
        StubURLProtocol.reset(.failure(URLError(.notConnectedToInternet)))
        do {
            _ = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
            XCTFail("offline must throw")
        } catch let error as SidkitError {
            guard case let .Transport(_, retryable) = error else { return XCTFail("\(error)") }
            XCTAssertTrue(retryable)
            XCTAssertEqual(error.code(), "transport")
        }

        StubURLProtocol.reset(.failure(URLError(.serverCertificateUntrusted)))
        do {
            _ = try await transport.pollFlow(request: PollFlowRequest(flowHandle: "fh_abc"), flowKey: flowKey)
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
