// A fake RP backend and the Swift transport the tests give the SDK. Mirrors
// android/sidkit/src/test/kotlin/dev/sidkit/tests/FakeBackend.kt: real device links
// (authCode = HMAC-SHA256 over the payload of spec §5), callback checks of spec §7.3, idempotent
// completion, QR link stream.
// The target SidKitTestSupport of Package.swift, shared by the test targets SidKitTests,
// SidKitCoreTests and SidKitUITests; everything they use is public. It only needs SidKit's public API, so it imports
// SidKit without @testable (a regular target cannot rely on testability in release builds).
// SHA-256 and HMAC-SHA256 come from Digest.swift (CryptoKit, or its own where there is none).
import Foundation
import SidKit

public let callbackBase = "https://rp.example.com/smart-id/return"
public let liveLinkBase = "https://smart-id.com/device-link"
public let demoLinkBase = "https://sid.demo.sk.ee/device-link"

public func b64url(_ data: Data) -> String {
    data.base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

public func randomData(_ n: Int) -> Data {
    var bytes = [UInt8](repeating: 0, count: n)
    for i in 0..<n { bytes[i] = UInt8.random(in: 0...255) }
    return Data(bytes)
}

public func randomAlnum(_ n: Int) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    return String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
}

public let interactionsB64 = Data(#"[{"type":"displayTextAndPIN","displayText60":"Log in to Example Bank"}]"#.utf8).base64EncodedString()

/// How the fake Smart-ID session ends.
public enum Ending: Sendable { case success, refused, userTimeout }

/// One Smart-ID session of the fake backend.
public final class Session: @unchecked Sendable {
    // @unchecked: the mutable properties are stored privately and only read and written while
    // holding `lock`, the recursive lock of the FakeBackend that made the session; the others
    // are immutable.
    public let handle: String
    public let request: StartFlowRequest
    public let sessionToken = randomAlnum(24)
    public let sessionSecret = randomData(32)
    public let rpChallenge = randomData(64).base64EncodedString()
    public let digest = randomData(64).base64EncodedString()
    public let userChallengeVerifier = b64url(randomData(32))
    public let callbackToken: String?
    public let callbackUrl: String?
    public let sessionType: String
    private let lock: NSRecursiveLock
    private var storedEnding: Ending = .success
    private var storedCompletedWith: String? = nil
    private var storedOutcome: FlowOutcome? = nil
    private var storedCancelled: Bool = false
    private var storedEndedWithoutCallback: Bool = false
    private var storedQrPolls: Int = 0

    public var ending: Ending {
        get { locked { storedEnding } }
        set { locked { storedEnding = newValue } }
    }
    public var completedWith: String? {
        get { locked { storedCompletedWith } }
        set { locked { storedCompletedWith = newValue } }
    }
    public var outcome: FlowOutcome? {
        get { locked { storedOutcome } }
        set { locked { storedOutcome = newValue } }
    }
    public var cancelled: Bool {
        get { locked { storedCancelled } }
        set { locked { storedCancelled = newValue } }
    }
    public var endedWithoutCallback: Bool {
        get { locked { storedEndedWithoutCallback } }
        set { locked { storedEndedWithoutCallback = newValue } }
    }
    public var qrPolls: Int {
        get { locked { storedQrPolls } }
        set { locked { storedQrPolls = newValue } }
    }

    /// Runs `body` holding the lock of the backend that owns this session.
    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public init(handle: String, request: StartFlowRequest, callbackBase: String, ending: Ending, lock: NSRecursiveLock) {
        self.handle = handle
        self.request = request
        self.lock = lock
        self.storedEnding = ending
        if request.presentation == .app2app {
            let token = b64url(randomData(32))
            callbackToken = token
            callbackUrl = "\(callbackBase)?value=\(token)"
        } else {
            callbackToken = nil
            callbackUrl = nil
        }
        switch request.kind {
        case .authentication: sessionType = "auth"
        case .signature: sessionType = "sign"
        case .certificateChoiceAndSignature: sessionType = "cert"
        }
    }

    public var sessionTypeValue: SessionType {
        switch sessionType {
        case "auth": return .auth
        case "sign": return .sign
        default: return .cert
        }
    }

    /// The device link of spec §4.1 with the authCode of spec §5.
    public func link(type: String, elapsed: Int?) -> String {
        var unprotected = "\(liveLinkBase)?deviceLinkType=\(type)"
        if let elapsed = elapsed { unprotected += "&elapsedSeconds=\(elapsed)" }
        unprotected += "&sessionToken=\(sessionToken)&sessionType=\(sessionType)&version=1.0&lang=\(request.lang)"
        let proto = sessionType == "auth" ? "ACSP_V2" : (sessionType == "sign" ? "RAW_DIGEST_SIGNATURE" : "")
        let challenge = sessionType == "auth" ? rpChallenge : (sessionType == "sign" ? digest : "")
        let interactions = sessionType == "cert" ? "" : interactionsB64
        let callback = type == "QR" ? "" : (callbackUrl ?? "")
        let rpName = Data("DEMO".utf8).base64EncodedString()
        let payload = ["smart-id", proto, challenge, rpName, "", interactions, callback, unprotected].joined(separator: "|")
        let mac = hmacSHA256(key: sessionSecret, message: Data(payload.utf8))
        return unprotected + "&authCode=" + b64url(mac)
    }

    /// What the Smart-ID app opens when the user is done (spec §7.2).
    public func returnUrl() -> String {
        let base = "\(callbackUrl ?? "")&sessionSecretDigest=\(b64url(sha256(sessionSecret)))"
        return sessionType == "auth" ? "\(base)&userChallengeVerifier=\(userChallengeVerifier)" : base
    }

    public func makeOutcome() -> FlowOutcome {
        switch ending {
        case .refused:
            return .failed(reason: .userRefused, interaction: nil)
        case .userTimeout:
            return .failed(reason: .timeout, interaction: nil)
        case .success:
            if sessionType == "auth" {
                let identity = Identity(
                    givenName: request.context ?? "QUALIFIED OK1",
                    surname: "TESTNUMBER",
                    identifier: "PNOEE-30303039914",
                    country: "EE",
                    documentNumber: "PNOEE-30303039914-MOCK-Q",
                    certificateLevel: .qualified,
                    dateOfBirth: "1903-03-03"
                )
                return .authenticated(identity: identity, appData: "rp-session-\(handle)")
            }
            let signature = SignatureResult(
                documentNumber: "PNOEE-30303039914-MOCK-Q",
                certificateLevel: .qualified,
                signatureAlgorithm: "rsassa-pss",
                signatureValue: randomData(256).base64EncodedString(),
                certificate: nil
            )
            return .signed(signature: signature, appData: request.context)
        }
    }
}

/// The fake RP backend: sessions, idempotency, completion checks, QR polling, and knobs the
/// tests turn (`ending`, `hangStart`, `failStarts`, ...).
public final class FakeBackend: @unchecked Sendable {
    // @unchecked: every mutable property is stored privately and only read and written while
    // holding `lock` (recursive, so that the public accessors work inside `locked { }` too);
    // the sessions share the same lock.
    private let lock = NSRecursiveLock()
    public let callbackBaseUrl: String
    private var byIdempotencyKey: [String: Session] = [:]
    private var storedSessions: [String: Session] = [:]
    private var storedIdempotencyKeys: [String] = []
    private var storedStartCalls: Int = 0
    private var storedCompleteCalls: Int = 0
    private var storedCancelCalls: Int = 0
    private var storedCancelledCalls: Int = 0

    public var sessions: [String: Session] { locked { storedSessions } }
    public var idempotencyKeys: [String] { locked { storedIdempotencyKeys } }
    public var startCalls: Int { locked { storedStartCalls } }
    public var completeCalls: Int { locked { storedCompleteCalls } }
    public var cancelCalls: Int { locked { storedCancelCalls } }
    public var cancelledCalls: Int { locked { storedCancelledCalls } }

    private var storedEnding: Ending = .success
    private var storedExpiresInMs: UInt64 = 120_000
    private var storedCompleteDelayNs: UInt64 = 0
    private var storedHangStart: Bool = false
    private var storedHangComplete: Bool = false
    private var storedFailStarts: Int = 0
    private var storedFailCompletes: Int = 0
    private var storedLinkMutator: (@Sendable (String) -> String)? = nil
    private var storedQrPollsUntilDone: Int = Int.max

    public var ending: Ending {
        get { locked { storedEnding } }
        set { locked { storedEnding = newValue } }
    }
    public var expiresInMs: UInt64 {
        get { locked { storedExpiresInMs } }
        set { locked { storedExpiresInMs = newValue } }
    }
    public var completeDelayNs: UInt64 {
        get { locked { storedCompleteDelayNs } }
        set { locked { storedCompleteDelayNs = newValue } }
    }
    public var hangStart: Bool {
        get { locked { storedHangStart } }
        set { locked { storedHangStart = newValue } }
    }
    public var hangComplete: Bool {
        get { locked { storedHangComplete } }
        set { locked { storedHangComplete = newValue } }
    }
    public var failStarts: Int {
        get { locked { storedFailStarts } }
        set { locked { storedFailStarts = newValue } }
    }
    public var failCompletes: Int {
        get { locked { storedFailCompletes } }
        set { locked { storedFailCompletes = newValue } }
    }
    public var linkMutator: (@Sendable (String) -> String)? {
        get { locked { storedLinkMutator } }
        set { locked { storedLinkMutator = newValue } }
    }
    public var qrPollsUntilDone: Int {
        get { locked { storedQrPollsUntilDone } }
        set { locked { storedQrPollsUntilDone = newValue } }
    }

    public init(callbackBase: String = callbackBase) {
        self.callbackBaseUrl = callbackBase
    }

    public func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    public func session(of flow: SidkitFlow) -> Session {
        let link = flow.deviceLink() ?? ""
        return locked { storedSessions.values.first { link.contains($0.sessionToken) }! }
    }

    private func backendError(_ status: UInt16, _ code: String, _ message: String) -> SidkitError {
        backendErrorFromJson(httpStatus: status, json: #"{"code":"\#(code)","message":"\#(message)","retryable":false}"#)
    }

    /// Suspends until the calling task is cancelled, then records the cancellation.
    private func hang() async throws -> Never {
        while true {
            do {
                try await Task.sleep(nanoseconds: 10_000_000)
            } catch {
                locked { storedCancelledCalls += 1 }
                throw error
            }
        }
    }

    public func start(_ req: StartFlowRequest) async throws -> StartFlowResponse {
        locked {
            storedStartCalls += 1
            storedIdempotencyKeys.append(req.idempotencyKey)
        }
        if hangStart { try await hang() }
        let session: Session = try locked {
            if failStarts > 0 {
                failStarts -= 1
                throw SidkitError.Transport(reason: "connection reset", retryable: true)
            }
            if let existing = byIdempotencyKey[req.idempotencyKey] { return existing }
            let s = Session(handle: "fh_" + b64url(randomData(18)), request: req, callbackBase: callbackBaseUrl, ending: ending, lock: lock)
            storedSessions[s.handle] = s
            byIdempotencyKey[req.idempotencyKey] = s
            return s
        }
        let app2app = req.presentation == .app2app
        let link = app2app ? session.link(type: "App2App", elapsed: nil) : session.link(type: "QR", elapsed: 0)
        return StartFlowResponse(
            flowHandle: session.handle,
            sessionType: session.sessionTypeValue,
            deviceLink: linkMutator?(link) ?? link,
            callbackBase: app2app ? callbackBaseUrl : nil,
            callbackCommitment: session.callbackToken.map { b64url(sha256(Data($0.utf8))) },
            expiresInMs: expiresInMs
        )
    }

    /// The session of `handle` if `flowKey` is its key (contract 2: otherwise "not found",
    /// exactly as an unknown handle).
    private func owned(_ handle: String, _ flowKey: String) throws -> Session {
        guard let s = storedSessions[handle] else { throw backendError(404, "flow_not_found", "no such flow") }
        var text = flowKey.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let key = Data(base64Encoded: text), key.count == 32,
              b64url(sha256(key)) == s.request.flowKeyChallenge
        else { throw backendError(404, "flow_not_found", "no such flow") }
        return s
    }

    private static func kind(of o: FlowOutcome) -> OutcomeKind {
        switch o {
        case .authenticated: return .authenticated
        case .signed: return .signed
        case .failed: return .failed
        }
    }

    /// A finished answer after the outcome was delivered: the kind only (failures in full).
    private static func later(_ o: FlowOutcome) -> PollFlowResponse {
        if case .failed = o { return .finished(result: .failed, outcome: o) }
        return .finished(result: kind(of: o), outcome: nil)
    }

    public func complete(_ req: CompleteFlowRequest, flowKey: String) async throws -> FlowOutcome {
        locked { storedCompleteCalls += 1 }
        if completeDelayNs > 0 { try await Task.sleep(nanoseconds: completeDelayNs) }
        if hangComplete { try await hang() }
        return try locked {
            if failCompletes > 0 {
                failCompletes -= 1
                throw SidkitError.Transport(reason: "read timeout", retryable: true)
            }
            let s = try owned(req.flowHandle, flowKey)
            if s.cancelled { throw backendError(410, "flow_expired", "cancelled") }
            if let used = s.completedWith {
                if used == req.returnUrl, let o = s.outcome { return o }
                throw backendError(403, "callback_rejected", "callback already used")
            }
            guard let cb = s.callbackUrl, req.returnUrl.hasPrefix(cb + "&") else {
                throw backendError(403, "callback_rejected", "not this session's callback")
            }
            let expectedDigest = "sessionSecretDigest=" + b64url(sha256(s.sessionSecret))
            guard req.returnUrl.contains(expectedDigest) else {
                throw backendError(403, "callback_rejected", "sessionSecretDigest mismatch")
            }
            let o = s.makeOutcome()
            s.completedWith = req.returnUrl
            s.outcome = o
            return o
        }
    }

    public func poll(_ req: PollFlowRequest, flowKey: String) async throws -> PollFlowResponse {
        try locked {
            let s = try owned(req.flowHandle, flowKey)
            // Delivered once: every read after the one that finished the flow gets the kind.
            if let o = s.outcome { return Self.later(o) }
            if s.request.presentation == .qr {
                s.qrPolls += 1
                if s.qrPolls >= qrPollsUntilDone {
                    let o = s.makeOutcome()
                    s.outcome = o
                    return .finished(result: Self.kind(of: o), outcome: o)
                }
                return .pending(deviceLink: s.link(type: "QR", elapsed: s.qrPolls))
            }
            if s.endedWithoutCallback {
                let o = s.makeOutcome()
                s.outcome = o
                return .finished(result: Self.kind(of: o), outcome: o)
            }
            return .pending(deviceLink: nil)
        }
    }

    public func cancel(_ req: CancelFlowRequest, flowKey: String) async throws {
        try locked {
            storedCancelCalls += 1
            try owned(req.flowHandle, flowKey).cancelled = true
        }
    }
}

/// The transport an app implements with URLSession; here it calls the fake directly.
public final class FakeTransport: BackendTransport, Sendable {
    // Sendable as checked by the compiler: its one property is immutable and Sendable.
    public let backend: FakeBackend

    public init(_ backend: FakeBackend) {
        self.backend = backend
    }

    public func startFlow(request: StartFlowRequest) async throws -> StartFlowResponse {
        try await backend.start(request)
    }

    public func completeFlow(request: CompleteFlowRequest, flowKey: String) async throws -> FlowOutcome {
        try await backend.complete(request, flowKey: flowKey)
    }

    public func pollFlow(request: PollFlowRequest, flowKey: String) async throws -> PollFlowResponse {
        try await backend.poll(request, flowKey: flowKey)
    }

    public func cancelFlow(request: CancelFlowRequest, flowKey: String) async throws {
        try await backend.cancel(request, flowKey: flowKey)
    }
}
