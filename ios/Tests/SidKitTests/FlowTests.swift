// Whole-flow tests of the generated Swift bindings; mirrors tests/kotlin/src/FlowTests.kt.
// Syntax- and signature-checked on CI (no Swift compiler there: tests/swift/run.sh and
// tests/ios/run.sh); runs with `swift test` where a Swift toolchain exists, on a Mac or on Linux
// (see the root Package.swift).
import Foundation
import XCTest
@testable import SidKit
import SidKitTestSupport

func makeClient(
    _ backend: FakeBackend,
    environment: SmartIdEnvironment = .live,
    extraBases: [String] = [],
    maxFlowDurationMs: UInt64? = nil,
    base: String = callbackBase
) throws -> SidkitClient {
    let config = SidkitConfig(
        callbackBase: base,
        environment: environment,
        additionalDeviceLinkBases: extraBases,
        maxFlowDurationMs: maxFlowDurationMs
    )
    return try SidkitClient(config: config, transport: FakeTransport(backend))
}

func launched(
    _ client: SidkitClient,
    _ backend: FakeBackend,
    kind: FlowKind = .authentication,
    context: String? = nil
) async throws -> (SidkitFlow, Session) {
    let flow = try client.createFlow(request: FlowRequest(kind: kind, presentation: .app2app, lang: "eng", context: context))
    let step = try await flow.start()
    guard case .launchApp = step else {
        XCTFail("expected launchApp, got \(step)")
        throw SidkitError.InvalidInput(field: "step", reason: "not launchApp")
    }
    try flow.markLaunched()
    return (flow, backend.session(of: flow))
}

func returnUrlRejection(_ error: Error) -> ReturnUrlRejectionKind? {
    if case let SidkitError.ReturnUrlRejected(kind, _) = error { return kind }
    return nil
}

func flowErrorKind(_ error: Error) -> FlowErrorKind? {
    if case let SidkitError.Flow(kind, _) = error { return kind }
    return nil
}

func linkRejection(_ error: Error) -> LinkRejectionKind? {
    if case let SidkitError.LinkRejected(kind, _) = error { return kind }
    return nil
}

final class FlowTests: XCTestCase {
    func testConfigurationIsChecked() throws {
        let backend = FakeBackend()
        XCTAssertThrowsError(try makeClient(backend, base: "http://rp.example.com/cb")) { error in
            guard case let SidkitError.InvalidInput(field, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(field, "callbackBase")
        }
        XCTAssertThrowsError(try makeClient(backend, environment: .custom))
        XCTAssertThrowsError(try makeClient(backend, maxFlowDurationMs: 10))
        let client = try makeClient(backend)
        XCTAssertEqual(client.callbackBase(), callbackBase)
        XCTAssertEqual(client.deviceLinkBases(), [liveLinkBase])
        XCTAssertThrowsError(try client.createFlow(request: FlowRequest(kind: .authentication, presentation: .app2app, lang: "EN", context: nil)))
        XCTAssertFalse(sidkitVersion().isEmpty)
    }

    func testApp2AppAuthentication() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        let flow = try client.createFlow(request: FlowRequest(kind: .authentication, presentation: .app2app))
        XCTAssertEqual(flow.status(), .created)
        XCTAssertNil(flow.snapshot())
        let step = try await flow.start()
        guard case let .launchApp(deviceLink) = step else { return XCTFail("\(step)") }
        XCTAssertTrue(deviceLink.hasPrefix("\(liveLinkBase)?deviceLinkType=App2App&sessionToken="))
        XCTAssertEqual(flow.status(), .readyToLaunch(deviceLink: deviceLink))
        XCTAssertEqual(flow.sessionType(), .auth)
        try flow.markLaunched()
        XCTAssertEqual(flow.status(), .awaitingReturn(deviceLink: deviceLink))
        let session = backend.session(of: flow)
        XCTAssertFalse(flow.snapshot()!.contains(session.callbackToken!))
        XCTAssertEqual(try client.findFlow(returnUrl: session.returnUrl()).id(), flow.id())
        let outcome = try await client.handleReturnUrl(returnUrl: session.returnUrl())
        guard case let .authenticated(identity, appData) = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(identity.givenName, "QUALIFIED OK1")
        XCTAssertEqual(identity.certificateLevel, .qualified)
        XCTAssertEqual(appData, "rp-session-\(session.handle)")
        XCTAssertEqual(flow.status(), .finished(outcome: outcome))
        XCTAssertEqual(backend.completeCalls, 1)
    }

    func testSignatureAndCertificateChoice() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        for (kind, type) in [(FlowKind.signature, SessionType.sign), (FlowKind.certificateChoiceAndSignature, SessionType.cert)] {
            let (flow, session) = try await launched(client, backend, kind: kind, context: "contract-42")
            XCTAssertEqual(flow.sessionType(), type)
            let outcome = try await client.handleReturnUrl(returnUrl: session.returnUrl())
            guard case let .signed(signature, appData) = outcome else { return XCTFail("\(outcome)") }
            XCTAssertEqual(signature.signatureAlgorithm, "rsassa-pss")
            XCTAssertEqual(appData, "contract-42")
        }
    }

    func testRefusalThroughReturnUrlAndThroughPoll() async throws {
        let backend = FakeBackend()
        backend.ending = .refused
        let client = try makeClient(backend)
        let (_, first) = try await launched(client, backend)
        let refused = try await client.handleReturnUrl(returnUrl: first.returnUrl())
        XCTAssertEqual(refused, .failed(reason: .userRefused, interaction: nil))
        let (flow, second) = try await launched(client, backend)
        let waiting = try await flow.poll()
        XCTAssertEqual(waiting, .waiting(deviceLink: flow.deviceLink()!))
        second.endedWithoutCallback = true
        let finished = try await flow.poll()
        XCTAssertEqual(finished, .finished(outcome: .failed(reason: .userRefused, interaction: nil)))
        do {
            _ = try await client.handleReturnUrl(returnUrl: second.returnUrl())
            XCTFail("a late return must be rejected")
        } catch {
            XCTAssertEqual(returnUrlRejection(error), .replayed)
        }
    }

    func testTimeouts() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        backend.ending = .userTimeout
        let (_, timedOut) = try await launched(client, backend)
        let outcome = try await client.handleReturnUrl(returnUrl: timedOut.returnUrl())
        XCTAssertEqual(outcome, .failed(reason: .timeout, interaction: nil))

        backend.ending = .success
        backend.expiresInMs = 300
        let (flow, late) = try await launched(client, backend)
        try await Task.sleep(nanoseconds: 450_000_000)
        do {
            _ = try await client.handleReturnUrl(returnUrl: late.returnUrl())
            XCTFail("expired")
        } catch {
            XCTAssertEqual(returnUrlRejection(error), .stale)
        }
        XCTAssertEqual(flow.status(), .expired)
        XCTAssertEqual(flow.remainingMs(), 0)

        // UniFFI 0.32's Swift code does not pass Task cancellation into Rust futures (Kotlin's
        // does; see the Kotlin test). A Swift app bounds a call with its transport's timeout: a
        // timed-out completion leaves the flow awaiting its return, and the same URL completes
        // it later.
        backend.expiresInMs = 120_000
        let (waiting, session) = try await launched(client, backend)
        backend.failCompletes = 1
        do {
            _ = try await client.handleReturnUrl(returnUrl: session.returnUrl())
            XCTFail("the transport times out")
        } catch let error as SidkitError {
            XCTAssertTrue(error.isRetryable())
        }
        XCTAssertEqual(waiting.status(), .awaitingReturn(deviceLink: waiting.deviceLink()!))
        let done = try await client.handleReturnUrl(returnUrl: session.returnUrl())
        guard case .authenticated = done else { return XCTFail("\(done)") }
    }

    func testCancelAtAnyPoint() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        backend.hangStart = true
        let flow = try client.createFlow(request: FlowRequest(kind: .authentication, presentation: .app2app))
        let starting = Task { try await flow.start() }
        try await Task.sleep(nanoseconds: 100_000_000)
        XCTAssertEqual(flow.status(), .starting)
        try await flow.cancel()
        let result = await starting.result
        if case let .failure(error) = result {
            XCTAssertEqual(flowErrorKind(error), .cancelled)
        } else {
            XCTFail("start must fail after cancel")
        }
        XCTAssertEqual(flow.status(), .cancelled)
        XCTAssertEqual(backend.cancelCalls, 0)
        backend.hangStart = false

        let (second, session) = try await launched(client, backend)
        try await second.cancel()
        try await second.cancel()
        XCTAssertEqual(backend.cancelCalls, 1)
        XCTAssertTrue(session.cancelled)
        do {
            _ = try await client.handleReturnUrl(returnUrl: session.returnUrl())
            XCTFail("cancelled")
        } catch {
            XCTAssertEqual(returnUrlRejection(error), .stale)
        }
    }

    func testTransportFailures() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        backend.failStarts = 2
        let flow = try client.createFlow(request: FlowRequest(kind: .authentication, presentation: .app2app))
        for _ in 0..<2 {
            do {
                _ = try await flow.start()
                XCTFail("the transport fails")
            } catch let error as SidkitError {
                XCTAssertTrue(error.isRetryable())
                XCTAssertEqual(error.code(), "transport")
                XCTAssertEqual(flow.status(), .created)
            }
        }
        let step = try await flow.start()
        guard case .launchApp = step else { return XCTFail("\(step)") }
        XCTAssertEqual(Set(backend.idempotencyKeys).count, 1)
        XCTAssertEqual(backend.idempotencyKeys.count, 3)

        try flow.markLaunched()
        let session = backend.session(of: flow)
        backend.failCompletes = 1
        do {
            _ = try await client.handleReturnUrl(returnUrl: session.returnUrl())
            XCTFail("the transport fails")
        } catch let SidkitError.Transport(_, retryable) {
            XCTAssertTrue(retryable)
        }
        let outcome = try await client.handleReturnUrl(returnUrl: session.returnUrl())
        guard case .authenticated = outcome else { return XCTFail("\(outcome)") }
        XCTAssertEqual(backend.completeCalls, 2)
    }

    func testSameReturnUrlTwiceIsIdempotent() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        let (_, session) = try await launched(client, backend)
        let first = try await client.handleReturnUrl(returnUrl: session.returnUrl())
        let second = try await client.handleReturnUrl(returnUrl: session.returnUrl())
        XCTAssertEqual(first, second)
        XCTAssertEqual(backend.completeCalls, 1)

        backend.completeDelayNs = 200_000_000
        let (_, other) = try await launched(client, backend)
        async let a = client.handleReturnUrl(returnUrl: other.returnUrl())
        async let b = client.handleReturnUrl(returnUrl: other.returnUrl())
        let (ra, rb) = try await (a, b)
        XCTAssertEqual(ra, rb)
        XCTAssertEqual(backend.completeCalls, 2)
    }

    func testReplayedAndForeignReturnUrls() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        let (flow, session) = try await launched(client, backend)
        let url = session.returnUrl()
        _ = try await client.handleReturnUrl(returnUrl: url)
        let replay = url.components(separatedBy: "&userChallengeVerifier=")[0] + "&userChallengeVerifier=" + b64url(randomData(32))
        do {
            _ = try await flow.complete(returnUrl: replay)
            XCTFail("replay")
        } catch {
            XCTAssertEqual(returnUrlRejection(error), .replayed)
        }
        let token = session.callbackToken!
        let cases: [(String, ReturnUrlRejectionKind)] = [
            ("\(callbackBase)?value=\(b64url(randomData(32)))", .unknownFlow),
            ("https://rp.example.com/smart-id/other?value=\(token)", .foreignBase),
            ("https://evil.example.com/smart-id/return?value=\(token)", .foreignBase),
            ("http://rp.example.com/smart-id/return?value=\(token)", .malformed),
            ("\(callbackBase)?value=\(token)&value=\(token)", .malformed),
            ("\(callbackBase)?value=\(token)#fragment", .malformed),
            ("", .malformed),
            ("\(callbackBase)?value=" + String(repeating: "A", count: 100_000), .malformed),
        ]
        for (hostile, expected) in cases {
            do {
                _ = try await client.handleReturnUrl(returnUrl: hostile)
                XCTFail("accepted \(hostile.prefix(80))")
            } catch {
                XCTAssertEqual(returnUrlRejection(error), expected, String(hostile.prefix(80)))
            }
        }
        XCTAssertEqual(backend.completeCalls, 1)
    }

    func testProcessDeathAndRestore() async throws {
        let backend = FakeBackend()
        var saved = ""
        var returnUrl = ""
        var flowId = ""
        do {
            let client = try makeClient(backend)
            let (flow, session) = try await launched(client, backend)
            saved = flow.snapshot()!
            returnUrl = session.returnUrl()
            flowId = flow.id()
            XCTAssertTrue(saved.hasPrefix(#"{"v":1,"#))
            for secret in [session.callbackToken!, session.callbackUrl!, session.rpChallenge, "sessionSecret", "rpChallenge", "initialCallbackUrl"] {
                XCTAssertFalse(saved.contains(secret), secret)
            }
        }
        let client = try makeClient(backend)
        let restored = try client.restoreFlow(snapshot: saved)
        XCTAssertEqual(restored.id(), flowId)
        XCTAssertEqual(try client.restoreFlow(snapshot: saved).id(), flowId)
        let outcome = try await client.handleReturnUrl(returnUrl: returnUrl)
        guard case .authenticated = outcome else { return XCTFail("\(outcome)") }
        XCTAssertThrowsError(try client.restoreFlow(snapshot: saved.replacingOccurrences(of: #""v":1"#, with: #""v":2"#))) { error in
            XCTAssertEqual(flowErrorKind(error), .snapshot)
        }
        let tampered = saved.replacingOccurrences(of: liveLinkBase, with: "https://evil.example/device-link")
        XCTAssertThrowsError(try makeClient(backend).restoreFlow(snapshot: tampered)) { error in
            XCTAssertEqual(linkRejection(error), .baseNotAllowed)
        }
    }

    func testFiftyConcurrentFlows() async throws {
        let backend = FakeBackend()
        let client = try makeClient(backend)
        let kinds: [FlowKind] = [.authentication, .signature, .certificateChoiceAndSignature]
        let flows = try await withThrowingTaskGroup(of: (SidkitFlow, Session).self) { group in
            for i in 0..<50 {
                group.addTask { try await launched(client, backend, kind: kinds[i % 3], context: "user-\(i)") }
            }
            var all: [(SidkitFlow, Session)] = []
            for try await pair in group { all.append(pair) }
            return all
        }
        XCTAssertEqual(flows.count, 50)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (flow, session) in flows.shuffled() {
                group.addTask {
                    let outcome = try await client.handleReturnUrl(returnUrl: session.returnUrl())
                    switch outcome {
                    case let .authenticated(identity, _):
                        XCTAssertEqual(identity.givenName, session.request.context)
                    case let .signed(_, appData):
                        XCTAssertEqual(appData, session.request.context)
                    case .failed:
                        XCTFail("unexpected \(outcome)")
                    }
                    XCTAssertEqual(flow.status(), .finished(outcome: outcome))
                }
            }
            try await group.waitForAll()
        }
        XCTAssertEqual(backend.completeCalls, 50)
        XCTAssertEqual(client.tick(), 0)
    }

    func testDeviceLinkChecks() async throws {
        let cases: [(String, LinkRejectionKind, @Sendable (String) -> String)] = [
            ("foreign base", .baseNotAllowed, { $0.replacingOccurrences(of: liveLinkBase, with: "https://smart-id.com.evil.example/device-link") }),
            ("demo base in LIVE", .baseNotAllowed, { $0.replacingOccurrences(of: liveLinkBase, with: demoLinkBase) }),
            ("plain http", .malformed, { $0.replacingOccurrences(of: "https://", with: "http://") }),
            ("Web2App", .wrongLinkType, { $0.replacingOccurrences(of: "deviceLinkType=App2App", with: "deviceLinkType=Web2App") }),
            ("session type", .sessionTypeMismatch, { $0.replacingOccurrences(of: "sessionType=auth", with: "sessionType=sign") }),
            ("extra parameter", .malformed, { $0 + "&next=https://evil.example" }),
        ]
        for (name, expected, mutate) in cases {
            let backend = FakeBackend()
            backend.linkMutator = mutate
            let client = try makeClient(backend)
            let flow = try client.createFlow(request: FlowRequest(kind: .authentication, presentation: .app2app))
            do {
                _ = try await flow.start()
                XCTFail("\(name): accepted")
            } catch {
                XCTAssertEqual(linkRejection(error), expected, name)
            }
            XCTAssertNil(flow.deviceLink(), name)
        }
    }

    func testQrOnATablet() async throws {
        let backend = FakeBackend()
        backend.qrPollsUntilDone = 4
        let client = try makeClient(backend)
        let flow = try client.createFlow(request: FlowRequest(kind: .authentication, presentation: .qr))
        let step = try await flow.start()
        guard case let .showQr(deviceLink) = step else { return XCTFail("\(step)") }
        XCTAssertTrue(deviceLink.contains("deviceLinkType=QR&elapsedSeconds=0&"))
        let qr = try flow.qrCode(errorCorrection: .low)
        XCTAssertEqual(qr.modules.count, Int(qr.width) * Int(qr.width))
        XCTAssertEqual(Int(qr.width), Int(qr.version) * 4 + 17 + 8)
        let svg = try qrSvg(deviceLink: deviceLink, errorCorrection: .medium, modulePx: 8)
        XCTAssertTrue(svg.hasPrefix("<svg"))
        for n in 1...3 {
            let progress = try await flow.poll()
            guard case let .waiting(link) = progress else { return XCTFail("\(progress)") }
            XCTAssertTrue(link.contains("elapsedSeconds=\(n)&"))
        }
        let done = try await flow.poll()
        guard case .finished(.authenticated) = done else { return XCTFail("\(done)") }
    }

    func testContractJson() throws {
        let request = StartFlowRequest(
            kind: .signature, presentation: .qr, lang: "est", context: "doc-17", idempotencyKey: "k0123456789abcdef",
            flowKeyChallenge: "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"
        )
        XCTAssertEqual(
            startFlowRequestToJson(request: request),
            #"{"kind":"signature","presentation":"qr","lang":"est","context":"doc-17","idempotencyKey":"k0123456789abcdef","flowKeyChallenge":"Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"}"#
        )
        let outcome = try flowOutcomeFromJson(json: #"{"result":"failed","endResult":"TIMEOUT"}"#)
        XCTAssertEqual(outcome, .failed(reason: .timeout, interaction: nil))
        XCTAssertThrowsError(try flowOutcomeFromJson(json: #"{"result":"failed","endResult":"OK"}"#))
        let error = backendErrorFromJson(httpStatus: 429, json: #"{"code":"rate_limited","message":"slow down","retryable":true}"#)
        XCTAssertTrue(error.isRetryable())
        XCTAssertEqual(error.code(), "backend")
    }
}
