// A fake RP backend and the Swift transport the tests give the SDK. Mirrors
// tests/kotlin/src/FakeBackend.kt: real device links (authCode = HMAC-SHA256 over the payload of
// spec §5), callback checks of spec §7.3, idempotent completion, QR link stream.
// Shared: ios/Tests/SidKitUITests/FakeBackend.swift is a symbolic link to this file.
import Foundation
#if canImport(CryptoKit)
import CryptoKit
#else
import Crypto
#endif
@testable import SidKit

let callbackBase = "https://rp.example.com/smart-id/return"
let liveLinkBase = "https://smart-id.com/device-link"
let demoLinkBase = "https://sid.demo.sk.ee/device-link"

func b64url(_ data: Data) -> String {
    data.base64EncodedString()
        .replacingOccurrences(of: "+", with: "-")
        .replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

func randomData(_ n: Int) -> Data {
    var bytes = [UInt8](repeating: 0, count: n)
    for i in 0..<n { bytes[i] = UInt8.random(in: 0...255) }
    return Data(bytes)
}

func sha256(_ data: Data) -> Data { Data(SHA256.hash(data: data)) }

func randomAlnum(_ n: Int) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    return String((0..<n).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
}

let interactionsB64 = Data(#"[{"type":"displayTextAndPIN","displayText60":"Log in to Example Bank"}]"#.utf8).base64EncodedString()

enum Ending { case success, refused, userTimeout }

final class Session: @unchecked Sendable {
    let handle: String
    let request: StartFlowRequest
    let sessionToken = randomAlnum(24)
    let sessionSecret = randomData(32)
    let rpChallenge = randomData(64).base64EncodedString()
    let digest = randomData(64).base64EncodedString()
    let userChallengeVerifier = b64url(randomData(32))
    let callbackToken: String?
    let callbackUrl: String?
    let sessionType: String
    var ending: Ending
    var completedWith: String?
    var outcome: FlowOutcome?
    var cancelled = false
    var endedWithoutCallback = false
    var qrPolls = 0

    init(handle: String, request: StartFlowRequest, callbackBase: String, ending: Ending) {
        self.handle = handle
        self.request = request
        self.ending = ending
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

    var sessionTypeValue: SessionType {
        switch sessionType {
        case "auth": return .auth
        case "sign": return .sign
        default: return .cert
        }
    }

    /// The device link of spec §4.1 with the authCode of spec §5.
    func link(type: String, elapsed: Int?) -> String {
        var unprotected = "\(liveLinkBase)?deviceLinkType=\(type)"
        if let elapsed = elapsed { unprotected += "&elapsedSeconds=\(elapsed)" }
        unprotected += "&sessionToken=\(sessionToken)&sessionType=\(sessionType)&version=1.0&lang=\(request.lang)"
        let proto = sessionType == "auth" ? "ACSP_V2" : (sessionType == "sign" ? "RAW_DIGEST_SIGNATURE" : "")
        let challenge = sessionType == "auth" ? rpChallenge : (sessionType == "sign" ? digest : "")
        let interactions = sessionType == "cert" ? "" : interactionsB64
        let callback = type == "QR" ? "" : (callbackUrl ?? "")
        let rpName = Data("DEMO".utf8).base64EncodedString()
        let payload = ["smart-id", proto, challenge, rpName, "", interactions, callback, unprotected].joined(separator: "|")
        let mac = HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: SymmetricKey(data: sessionSecret))
        return unprotected + "&authCode=" + b64url(Data(mac))
    }

    /// What the Smart-ID app opens when the user is done (spec §7.2).
    func returnUrl() -> String {
        let base = "\(callbackUrl ?? "")&sessionSecretDigest=\(b64url(sha256(sessionSecret)))"
        return sessionType == "auth" ? "\(base)&userChallengeVerifier=\(userChallengeVerifier)" : base
    }

    func makeOutcome() -> FlowOutcome {
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

final class FakeBackend: @unchecked Sendable {
    private let lock = NSLock()
    let callbackBaseUrl: String
    private(set) var sessions: [String: Session] = [:]
    private var byIdempotencyKey: [String: Session] = [:]
    private(set) var idempotencyKeys: [String] = []
    private(set) var startCalls = 0
    private(set) var completeCalls = 0
    private(set) var cancelCalls = 0
    private(set) var cancelledCalls = 0

    var ending: Ending = .success
    var expiresInMs: UInt64 = 120_000
    var completeDelayNs: UInt64 = 0
    var hangStart = false
    var hangComplete = false
    var failStarts = 0
    var failCompletes = 0
    var linkMutator: ((String) -> String)?
    var qrPollsUntilDone = Int.max

    init(callbackBase: String = callbackBase) {
        self.callbackBaseUrl = callbackBase
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    func session(of flow: SidkitFlow) -> Session {
        let link = flow.deviceLink() ?? ""
        return locked { sessions.values.first { link.contains($0.sessionToken) }! }
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
                locked { cancelledCalls += 1 }
                throw error
            }
        }
    }

    func start(_ req: StartFlowRequest) async throws -> StartFlowResponse {
        locked {
            startCalls += 1
            idempotencyKeys.append(req.idempotencyKey)
        }
        if hangStart { try await hang() }
        let session: Session = try locked {
            if failStarts > 0 {
                failStarts -= 1
                throw SidkitError.Transport(reason: "connection reset", retryable: true)
            }
            if let existing = byIdempotencyKey[req.idempotencyKey] { return existing }
            let s = Session(handle: "fh_" + b64url(randomData(18)), request: req, callbackBase: callbackBaseUrl, ending: ending)
            sessions[s.handle] = s
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

    func complete(_ req: CompleteFlowRequest) async throws -> FlowOutcome {
        locked { completeCalls += 1 }
        if completeDelayNs > 0 { try await Task.sleep(nanoseconds: completeDelayNs) }
        if hangComplete { try await hang() }
        return try locked {
            if failCompletes > 0 {
                failCompletes -= 1
                throw SidkitError.Transport(reason: "read timeout", retryable: true)
            }
            guard let s = sessions[req.flowHandle] else { throw backendError(404, "flow_not_found", "no such flow") }
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

    func poll(_ req: PollFlowRequest) async throws -> PollFlowResponse {
        try locked {
            guard let s = sessions[req.flowHandle] else { throw backendError(404, "flow_not_found", "no such flow") }
            if s.request.presentation == .qr {
                s.qrPolls += 1
                if s.qrPolls >= qrPollsUntilDone {
                    let o = s.outcome ?? s.makeOutcome()
                    s.outcome = o
                    return .finished(outcome: o)
                }
                return .pending(deviceLink: s.link(type: "QR", elapsed: s.qrPolls))
            }
            if let o = s.outcome { return .finished(outcome: o) }
            if s.endedWithoutCallback {
                let o = s.makeOutcome()
                s.outcome = o
                return .finished(outcome: o)
            }
            return .pending(deviceLink: nil)
        }
    }

    func cancel(_ req: CancelFlowRequest) async throws {
        locked {
            cancelCalls += 1
            sessions[req.flowHandle]?.cancelled = true
        }
    }
}

/// The transport an app implements with URLSession; here it calls the fake directly.
final class FakeTransport: BackendTransport, @unchecked Sendable {
    let backend: FakeBackend

    init(_ backend: FakeBackend) {
        self.backend = backend
    }

    func startFlow(request: StartFlowRequest) async throws -> StartFlowResponse {
        try await backend.start(request)
    }

    func completeFlow(request: CompleteFlowRequest) async throws -> FlowOutcome {
        try await backend.complete(request)
    }

    func pollFlow(request: PollFlowRequest) async throws -> PollFlowResponse {
        try await backend.poll(request)
    }

    func cancelFlow(request: CancelFlowRequest) async throws {
        try await backend.cancel(request)
    }
}
