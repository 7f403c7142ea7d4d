import Foundation
import SidKit
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The default `BackendTransport`: the sidkit app ↔ backend contract over HTTP + JSON with
/// `URLSession`.
///
/// | call | HTTP |
/// |---|---|
/// | ``startFlow(request:)`` | `POST {baseURL}/flows` with an `Idempotency-Key` header, `201` |
/// | ``completeFlow(request:flowKey:)`` | `POST {baseURL}/flows/{flowHandle}/complete` with `Sidkit-Flow-Key`, `200` |
/// | ``pollFlow(request:flowKey:)`` | `GET {baseURL}/flows/{flowHandle}` with `Sidkit-Flow-Key`, `200` |
/// | ``cancelFlow(request:flowKey:)`` | `DELETE {baseURL}/flows/{flowHandle}` with `Sidkit-Flow-Key`, `204` |
///
/// The flow key (sidkit contract 2) travels only in the `Sidkit-Flow-Key` request header,
/// never in the URL, and no configured or provided header can replace it; do not log request
/// headers. Every answer's `Sidkit-Contract` header is checked first
/// (`checkContractVersion(header:)`): a backend of another major version is
/// `SidkitError.Flow(kind: .contractVersion)`.
///
/// Errors: an error response becomes `SidkitError.Backend(httpStatus:backendCode:reason:retryable:)`
/// (contract 2: RFC 9457 `application/problem+json` bodies `{"type","title","status","detail","code","retryable"}`,
/// through `backendErrorFromJson(httpStatus:json:)`); a `URLError` becomes
/// `SidkitError.Transport(reason:retryable:)`, retryable for timeouts and connectivity problems.
/// The coordinator turns both into ``SmartIdError``. Certificate pinning: pass a `URLSession`
/// whose delegate checks the server trust.
///
/// Foundation only: on Linux it runs on FoundationNetworking's `URLSession`.
public final class URLSessionBackendTransport: BackendTransport, Sendable {
    /// The backend's address and request settings.
    public struct Configuration: Sendable {
        /// The base URL of the contract's routes, e.g. `https://rp.example.com/api/smart-id`
        /// (the transport appends `/flows...`).
        public var baseURL: URL
        /// Headers sent with every request (e.g. an API key or `User-Agent`). The transport's
        /// own `Content-Type`, `Accept` and `Idempotency-Key` take precedence.
        public var headers: [String: String]
        /// The timeout of each request, in seconds. Keep it well below the flow's deadline:
        /// Swift task cancellation does not reach UniFFI 0.32 futures, so a timeout is what
        /// bounds a call.
        public var timeout: TimeInterval

        /// Creates a configuration.
        public init(baseURL: URL, headers: [String: String] = [:], timeout: TimeInterval = 30) {
            self.baseURL = baseURL
            self.headers = headers
            self.timeout = timeout
        }
    }

    /// The settings.
    public let configuration: Configuration
    /// The session the requests run on.
    public let session: URLSession
    /// Called before each request for headers that change (e.g. the app's bearer token). An
    /// error it throws ends the call as a non-retryable transport error.
    public let headerProvider: (@Sendable () async throws -> [String: String])?

    /// Creates a transport.
    ///
    /// - Parameters:
    ///   - configuration: base URL, static headers, timeout.
    ///   - session: `URLSession.shared` by default; pass your own for pinning (a delegate that
    ///     evaluates the server trust), proxies or an ephemeral configuration.
    ///   - headerProvider: headers computed per request, e.g. `Authorization`.
    public init(
        configuration: Configuration,
        session: URLSession = .shared,
        headerProvider: (@Sendable () async throws -> [String: String])? = nil
    ) {
        self.configuration = configuration
        self.session = session
        self.headerProvider = headerProvider
    }

    /// Creates a transport for `baseURL` with default settings.
    ///
    /// - Parameters:
    ///   - baseURL: the base URL of the contract's routes.
    ///   - headers: headers sent with every request.
    ///   - timeout: the timeout of each request, in seconds.
    ///   - session: the `URLSession` to use.
    public convenience init(baseURL: URL, headers: [String: String] = [:], timeout: TimeInterval = 30, session: URLSession = .shared) {
        self.init(configuration: Configuration(baseURL: baseURL, headers: headers, timeout: timeout), session: session)
    }

    // MARK: - BackendTransport

    /// `POST /flows`, with the request's idempotency key as `Idempotency-Key`.
    public func startFlow(request: StartFlowRequest) async throws -> StartFlowResponse {
        let body = try await send(
            "POST", ["flows"], json: startFlowRequestToJson(request: request), idempotencyKey: request.idempotencyKey
        )
        return try startFlowResponseFromJson(json: body)
    }

    /// `POST /flows/{flowHandle}/complete` with the return URL and the flow key.
    public func completeFlow(request: CompleteFlowRequest, flowKey: String) async throws -> FlowOutcome {
        let body = try await send(
            "POST", ["flows", request.flowHandle, "complete"], json: completeFlowRequestToJson(request: request),
            flowKey: flowKey
        )
        return try flowOutcomeFromJson(json: body)
    }

    /// `GET /flows/{flowHandle}` with the flow key.
    public func pollFlow(request: PollFlowRequest, flowKey: String) async throws -> PollFlowResponse {
        let body = try await send("GET", ["flows", request.flowHandle], flowKey: flowKey)
        return try pollFlowResponseFromJson(json: body)
    }

    /// `DELETE /flows/{flowHandle}` with the flow key.
    public func cancelFlow(request: CancelFlowRequest, flowKey: String) async throws {
        _ = try await send("DELETE", ["flows", request.flowHandle], flowKey: flowKey)
    }

    /// The request header of the flow key.
    static let flowKeyHeader = "Sidkit-Flow-Key"
    /// The response header of the contract version.
    static let contractHeader = "Sidkit-Contract"

    /// The `Sidkit-Contract` header of `response` (header names are case-insensitive).
    static func contractVersion(of response: HTTPURLResponse) -> String? {
        for (name, value) in response.allHeaderFields {
            if let name = name as? String, name.caseInsensitiveCompare(contractHeader) == .orderedSame {
                return value as? String
            }
        }
        return nil
    }

    // MARK: - HTTP

    /// Characters left as they are in a path segment (RFC 3986 unreserved); everything else in
    /// a flow handle is percent-encoded, so a handle can never add path segments or a query.
    private static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    )

    /// The URL of `segments` below the base URL.
    func endpoint(_ segments: [String]) -> URL {
        var base = configuration.baseURL.absoluteString
        while base.hasSuffix("/") {
            base.removeLast()
        }
        let path = segments
            .map { $0.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "" }
            .joined(separator: "/")
        return URL(string: base + "/" + path) ?? configuration.baseURL
    }

    /// Sends one request; returns the body of a 2xx answer, throws `SidkitError` otherwise.
    private func send(
        _ method: String, _ segments: [String], json: String? = nil, idempotencyKey: String? = nil, flowKey: String? = nil
    ) async throws -> String {
        var request = URLRequest(url: endpoint(segments), cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: configuration.timeout)
        request.httpMethod = method
        for (name, value) in configuration.headers {
            request.setValue(value, forHTTPHeaderField: name)
        }
        if let headerProvider = headerProvider {
            let extra: [String: String]
            do {
                extra = try await headerProvider()
            } catch {
                throw SidkitError.Transport(reason: "the header provider failed: \(error)", retryable: false)
            }
            for (name, value) in extra {
                request.setValue(value, forHTTPHeaderField: name)
            }
        }
        request.setValue("application/json, application/problem+json", forHTTPHeaderField: "Accept")
        if let json = json {
            request.httpBody = Data(json.utf8)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        if let idempotencyKey = idempotencyKey {
            request.setValue(idempotencyKey, forHTTPHeaderField: "Idempotency-Key")
        }
        if let flowKey = flowKey {
            request.setValue(flowKey, forHTTPHeaderField: Self.flowKeyHeader)
        }

        let answer: (Data, URLResponse)
        do {
            answer = try await Self.load(request, on: session)
        } catch let error as URLError {
            if Task.isCancelled || error.code == .cancelled {
                throw SidkitError.Transport(reason: "the request was cancelled", retryable: false)
            }
            throw Self.transportError(error)
        } catch is CancellationError {
            throw SidkitError.Transport(reason: "the request was cancelled", retryable: false)
        } catch {
            throw SidkitError.Transport(reason: String(describing: error), retryable: false)
        }
        let (data, response) = answer
        guard let http = response as? HTTPURLResponse else {
            throw SidkitError.Transport(reason: "the answer is not an HTTP response", retryable: false)
        }
        try checkContractVersion(header: Self.contractVersion(of: http))
        let body = String(decoding: data, as: UTF8.self)
        guard (200..<300).contains(http.statusCode) else {
            throw Self.backendError(status: http.statusCode, body: body)
        }
        return body
    }

    /// The error of a non-2xx answer: ``backendErrorFromJson(httpStatus:json:)``, which reads the
    /// contract's RFC 9457 `application/problem+json` body (`code`, `detail`, `retryable`); a body
    /// that is not one (an HTML page of a proxy) becomes `Backend(httpStatus, "http_<status>", ...)`,
    /// retryable for 429, 502, 503 and 504. The same mapping as Kotlin's `HttpBackendTransport`.
    static func backendError(status: Int, body: String) -> SidkitError {
        backendErrorFromJson(httpStatus: UInt16(clamping: status), json: body)
    }

    /// One request through `dataTask(with:completionHandler:)` (the API FoundationNetworking has
    /// on Linux too; `data(for:)` is Apple-only), wrapped in a checked continuation. Cancelling
    /// the calling task cancels the data task, whose completion handler then resumes the
    /// continuation (exactly once) with `URLError(.cancelled)`.
    static func load(_ request: URLRequest, on session: URLSession) async throws -> (Data, URLResponse) {
        let pending = PendingRequest()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<(Data, URLResponse), Error>) in
                let task = session.dataTask(with: request) { data, response, error in
                    if let error = error {
                        continuation.resume(throwing: error)
                    } else if let response = response {
                        continuation.resume(returning: (data ?? Data(), response))
                    } else {
                        continuation.resume(throwing: URLError(.badServerResponse))
                    }
                }
                pending.start(task)
            }
        } onCancel: {
            pending.cancel()
        }
    }

    /// The `SidkitError.Transport` of a `URLError`: retryable when repeating the request later
    /// may succeed (timeouts, no or lost connectivity, DNS); not for TLS and certificate
    /// failures, bad URLs or cancellation.
    static func transportError(_ error: URLError) -> SidkitError {
        let retryable: Bool
        switch error.code {
        case .timedOut, .notConnectedToInternet, .networkConnectionLost, .cannotConnectToHost,
             .cannotFindHost, .dnsLookupFailed, .internationalRoamingOff, .callIsActive,
             .dataNotAllowed, .resourceUnavailable:
            retryable = true
        default:
            retryable = false
        }
        return SidkitError.Transport(reason: "URLError \(error.code.rawValue): \(error.localizedDescription)", retryable: retryable)
    }
}

/// The data task of one request, shared by the request and its cancellation handler, which may
/// run first or on another thread.
private final class PendingRequest: @unchecked Sendable {
    // @unchecked: `task` and `cancelled` are only read and written while holding `lock`; the
    // data task itself is thread-safe.
    private let lock = NSLock()
    private var task: URLSessionDataTask?
    private var cancelled = false

    /// Resumes `task`, and cancels it at once if the request was cancelled before it existed.
    func start(_ task: URLSessionDataTask) {
        lock.lock()
        self.task = task
        let cancelNow = cancelled
        lock.unlock()
        task.resume()
        if cancelNow {
            task.cancel()
        }
    }

    /// Cancels the data task (or the one about to start).
    func cancel() {
        lock.lock()
        cancelled = true
        let running = task
        lock.unlock()
        running?.cancel()
    }
}
