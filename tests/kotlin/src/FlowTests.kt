// Whole-flow tests of the generated Kotlin bindings against the host-built libsidkit, with a
// Kotlin fake backend behind the transport. Own harness (no JUnit): every test is listed in
// TESTS, runs under a timeout, and the last line is "N passed, N failed".
package dev.sidkit.tests

import dev.sidkit.ffi.*
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import java.io.File
import kotlin.system.exitProcess
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue
import kotlin.test.fail

// ---------------------------------------------------------------------------------------------
// Helpers

suspend inline fun <reified T : Throwable> expectThrows(noinline block: suspend () -> Unit): T {
    try {
        block()
    } catch (e: Throwable) {
        if (e is T) return e
        throw AssertionError("expected ${T::class.simpleName}, got $e", e)
    }
    throw AssertionError("expected ${T::class.simpleName}, nothing was thrown")
}

fun newClient(
    backend: FakeBackend,
    environment: SmartIdEnvironment = SmartIdEnvironment.LIVE,
    extraBases: List<String> = listOf(),
    maxFlowDurationMs: ULong? = null,
    callbackBase: String = CALLBACK_BASE,
) = SidkitClient(SidkitConfig(callbackBase, environment, extraBases, maxFlowDurationMs), FakeTransport(backend))

/** Creates, starts and "launches" an App2App flow; returns it with the backend's session. */
suspend fun launched(
    client: SidkitClient,
    backend: FakeBackend,
    kind: FlowKind = FlowKind.AUTHENTICATION,
    context: String? = null,
): Pair<SidkitFlow, Session> {
    val flow = client.createFlow(FlowRequest(kind, Presentation.APP2APP, "eng", context))
    val step = flow.start()
    assertTrue(step is FlowStep.LaunchApp, "step $step")
    flow.markLaunched()
    return flow to backend.sessionOf(flow)
}

suspend fun eventually(timeoutMs: Long = 2000, what: String, cond: () -> Boolean) {
    val end = System.currentTimeMillis() + timeoutMs
    while (!cond()) {
        if (System.currentTimeMillis() > end) fail("timed out waiting for: $what")
        delay(10)
    }
}

fun assertAuthenticated(o: FlowOutcome, givenName: String = "QUALIFIED OK1"): FlowOutcome.Authenticated {
    assertTrue(o is FlowOutcome.Authenticated, "outcome $o")
    assertEquals(givenName, o.identity.givenName)
    assertEquals("PNOEE-30303039914", o.identity.identifier)
    assertEquals(CertificateLevel.QUALIFIED, o.identity.certificateLevel)
    return o
}

// ---------------------------------------------------------------------------------------------
// Tests

val TESTS: List<Pair<String, suspend () -> Unit>> = listOf(
    "configuration is checked" to {
        val b = FakeBackend()
        val e = expectThrows<SidkitException.InvalidInput> { newClient(b, callbackBase = "http://rp.example.com/cb") }
        assertEquals("callbackBase", e.field)
        expectThrows<SidkitException.InvalidInput> { newClient(b, callbackBase = "https://rp.example.com/cb?value=x") }
        expectThrows<SidkitException.InvalidInput> { newClient(b, environment = SmartIdEnvironment.CUSTOM) }
        expectThrows<SidkitException.InvalidInput> { newClient(b, extraBases = listOf("https://sim.local/dl?x=1")) }
        expectThrows<SidkitException.InvalidInput> { newClient(b, maxFlowDurationMs = 10uL) }
        newClient(b).use { c ->
            assertEquals(CALLBACK_BASE, c.callbackBase())
            assertEquals(listOf(LIVE_LINK_BASE), c.deviceLinkBases())
            expectThrows<SidkitException.InvalidInput> {
                c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP, "EN", null))
            }
        }
        assertTrue(sidkitVersion().matches(Regex("""\d+\.\d+\.\d+""")))
    },

    "App2App authentication: start, link check, launch, return URL, verified identity" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            val flow = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            assertEquals(FlowStatus.Created, flow.status())
            assertNull(flow.snapshot())
            val step = flow.start() as FlowStep.LaunchApp
            assertTrue(step.deviceLink.startsWith("$LIVE_LINK_BASE?deviceLinkType=App2App&sessionToken="))
            assertEquals(FlowStatus.ReadyToLaunch(step.deviceLink), flow.status())
            assertEquals(SessionType.AUTH, flow.sessionType())
            flow.markLaunched()
            assertEquals(FlowStatus.AwaitingReturn(step.deviceLink), flow.status())
            val s = b.sessionOf(flow)
            // The phone got the commitment, never the token or the callback URL.
            assertFalse(flow.snapshot()!!.contains(s.callbackToken!!))
            assertEquals(flow.id(), c.findFlow(s.returnUrl()).id())
            val o = assertAuthenticated(c.handleReturnUrl(s.returnUrl()))
            assertEquals("rp-session-${s.handle}", o.appData)
            assertEquals(FlowStatus.Finished(o), flow.status())
            assertEquals(s.returnUrl(), s.completedWith)
            assertEquals(1, b.completeCalls.get())
            assertNull(flow.snapshot())
        }
    },

    "App2App signature and certificate choice + linked signature" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            for ((kind, type) in listOf(FlowKind.SIGNATURE to SessionType.SIGN, FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE to SessionType.CERT)) {
                val (flow, s) = launched(c, b, kind, context = "contract-42")
                assertEquals(type, flow.sessionType())
                assertTrue(flow.deviceLink()!!.contains("sessionType=${s.sessionType}"))
                assertFalse(s.returnUrl().contains("userChallengeVerifier"))
                val o = c.handleReturnUrl(s.returnUrl())
                assertTrue(o is FlowOutcome.Signed, "$o")
                assertEquals("rsassa-pss", o.signature.signatureAlgorithm)
                assertEquals("contract-42", o.appData)
            }
        }
    },

    "refusal: reported through the return URL, or found by poll() on resume without a callback" to {
        val b = FakeBackend()
        b.ending = Ending.REFUSED
        newClient(b).use { c ->
            val (_, s) = launched(c, b)
            assertEquals(FlowOutcome.Failed(FailureReason.USER_REFUSED, null), c.handleReturnUrl(s.returnUrl()))
            // The Smart-ID app does not call back; the app comes back to the foreground.
            val (flow, s2) = launched(c, b)
            val waiting = flow.poll()
            assertEquals(FlowProgress.Waiting(flow.deviceLink()!!), waiting)
            s2.endedWithoutCallback = true
            assertEquals(FlowProgress.Finished(FlowOutcome.Failed(FailureReason.USER_REFUSED, null)), flow.poll())
            assertTrue(flow.status() is FlowStatus.Finished)
            // A late return URL for it is a replay, not a second completion.
            val e = expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(s2.returnUrl()) }
            assertEquals(ReturnUrlRejectionKind.REPLAYED, e.kind)
            assertEquals(1, b.completeCalls.get())
        }
    },

    "timeouts: Smart-ID TIMEOUT, the flow deadline, and an abandoned call that rolls back" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            b.ending = Ending.USER_TIMEOUT
            val (_, s) = launched(c, b)
            assertEquals(FlowOutcome.Failed(FailureReason.TIMEOUT, null), c.handleReturnUrl(s.returnUrl()))

            b.ending = Ending.SUCCESS
            b.expiresInMs = 300
            val (flow, s2) = launched(c, b)
            assertTrue(flow.remainingMs() in 1uL..300uL, "remaining ${flow.remainingMs()}")
            delay(450)
            val e = expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(s2.returnUrl()) }
            assertEquals(ReturnUrlRejectionKind.STALE, e.kind)
            assertEquals(FlowStatus.Expired, flow.status())
            assertEquals(0uL, flow.remainingMs())
            expectThrows<SidkitException.Flow> { flow.poll() }.also { assertEquals(FlowErrorKind.EXPIRED, it.kind) }

            // The app gives up waiting for a hanging backend: the call is cancelled, the flow
            // goes back to awaiting its return, and the same URL completes it later.
            b.expiresInMs = 120_000
            val (flow3, s3) = launched(c, b)
            b.hangComplete = true
            assertNull(withTimeoutOrNull(300) { c.handleReturnUrl(s3.returnUrl()) })
            eventually(what = "the hanging complete call to be cancelled") { b.cancelledCalls.get() == 1 }
            assertEquals(FlowStatus.AwaitingReturn(flow3.deviceLink()!!), flow3.status())
            b.hangComplete = false
            assertAuthenticated(c.handleReturnUrl(s3.returnUrl()))
        }
        newClient(b, maxFlowDurationMs = 2000uL).use { c ->
            val flow = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            assertTrue(flow.remainingMs() <= 2000uL)
        }
    },

    "cancel at any point: during start, after launch, during completion" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            b.hangStart = true
            val flow = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            coroutineScope {
                val started = async { runCatching { flow.start() } }
                eventually(what = "start to reach the backend") { b.startCalls.get() == 1 }
                assertEquals(FlowStatus.Starting, flow.status())
                val t0 = System.nanoTime()
                flow.cancel()
                val e = started.await().exceptionOrNull()
                assertTrue(e is SidkitException.Flow && e.kind == FlowErrorKind.CANCELLED, "got $e")
                assertTrue(System.nanoTime() - t0 < 1_000_000_000L, "cancel took too long")
            }
            eventually(what = "the hanging start call to be cancelled") { b.cancelledCalls.get() == 1 }
            assertEquals(FlowStatus.Cancelled, flow.status())
            assertEquals(0, b.cancelCalls.get(), "no handle yet, nothing to tell the backend")
            b.hangStart = false

            val (flow2, s2) = launched(c, b)
            flow2.cancel()
            assertEquals(1, b.cancelCalls.get())
            assertTrue(s2.cancelled)
            flow2.cancel()
            assertEquals(1, b.cancelCalls.get(), "cancelling twice tells the backend once")
            expectThrows<SidkitException.Flow> { flow2.start() }.also { assertEquals(FlowErrorKind.CANCELLED, it.kind) }
            val e = expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(s2.returnUrl()) }
            assertEquals(ReturnUrlRejectionKind.STALE, e.kind)

            b.hangComplete = true
            val (flow3, s3) = launched(c, b)
            coroutineScope {
                val done = async { runCatching { c.handleReturnUrl(s3.returnUrl()) } }
                eventually(what = "complete to reach the backend") { b.completeCalls.get() == 1 }
                assertEquals(FlowStatus.Completing, flow3.status())
                flow3.cancel()
                val e3 = done.await().exceptionOrNull()
                assertTrue(e3 is SidkitException.Flow && e3.kind == FlowErrorKind.CANCELLED, "got $e3")
            }
            assertEquals(FlowStatus.Cancelled, flow3.status())
            b.hangComplete = false
        }
    },

    "transport failures: retryable retries with the same idempotency key, fatal ends the flow" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            b.failStarts = 2
            val flow = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            repeat(2) {
                val e = expectThrows<SidkitException.Transport> { flow.start() }
                assertTrue(e.retryable && e.isRetryable())
                assertEquals("transport", e.code())
                assertEquals(FlowStatus.Created, flow.status())
            }
            assertTrue(flow.start() is FlowStep.LaunchApp)
            assertEquals(3, b.idempotencyKeys.size)
            assertEquals(1, b.idempotencyKeys.toSet().size, "retries reuse the key: ${b.idempotencyKeys}")
            assertEquals(1, b.sessions.size)

            // A retryable completion failure: the same return URL goes through on retry.
            flow.markLaunched()
            val s = b.sessionOf(flow)
            b.failCompletes = 1
            expectThrows<SidkitException.Transport> { c.handleReturnUrl(s.returnUrl()) }
            assertTrue(flow.status() is FlowStatus.AwaitingReturn)
            assertAuthenticated(c.handleReturnUrl(s.returnUrl()))
            assertEquals(2, b.completeCalls.get())

            // A fatal backend error ends the flow.
            b.rejectStartWith = backendErrorFromJson(403u, """{"code":"forbidden","message":"app blocked","retryable":false}""")
            val f2 = c.createFlow(FlowRequest(FlowKind.SIGNATURE, Presentation.APP2APP))
            val e = expectThrows<SidkitException.Backend> { f2.start() }
            assertEquals(403.toUShort(), e.httpStatus)
            assertEquals("forbidden", e.backendCode)
            assertFalse(e.isRetryable())
            assertTrue(f2.status() is FlowStatus.Failed, "${f2.status()}")
            expectThrows<SidkitException.Flow> { f2.start() }.also { assertEquals(FlowErrorKind.INVALID_STATE, it.kind) }
            b.rejectStartWith = null

            // Something that is not a SidkitException from the app's transport.
            b.throwForeign = true
            val f3 = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            val u = expectThrows<SidkitException.Unexpected> { f3.start() }
            assertTrue(u.reason.contains("boom"), u.reason)
            b.throwForeign = false
        }
    },

    "the same return URL twice is idempotent, sequentially and concurrently" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            val (_, s) = launched(c, b)
            val first = c.handleReturnUrl(s.returnUrl())
            assertEquals(first, c.handleReturnUrl(s.returnUrl()))
            assertEquals(1, b.completeCalls.get(), "the second delivery does not reach the backend")

            b.completeDelayMs = 200
            val (_, s2) = launched(c, b)
            val both = coroutineScope {
                listOf(async { c.handleReturnUrl(s2.returnUrl()) }, async { c.handleReturnUrl(s2.returnUrl()) }).awaitAll()
            }
            assertEquals(both[0], both[1])
            assertAuthenticated(both[0])
            assertEquals(2, b.completeCalls.get(), "one backend call for two concurrent deliveries")
            b.completeDelayMs = 0
        }
    },

    "replayed, forged and foreign return URLs are rejected with a typed reason" to {
        val b = FakeBackend()
        newClient(b).use { c ->
            val (flow, s) = launched(c, b)
            val url = s.returnUrl()
            assertAuthenticated(c.handleReturnUrl(url))
            // Same token, other parameters: a replay once the flow has taken its return.
            val other = url.substringBefore("&userChallengeVerifier=") + "&userChallengeVerifier=" + b64url(randomBytes(32))
            assertEquals(ReturnUrlRejectionKind.REPLAYED, expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(other) }.kind)
            assertEquals(ReturnUrlRejectionKind.REPLAYED, expectThrows<SidkitException.ReturnUrlRejected> { flow.complete(other) }.kind)
            // A well-formed return for a token no flow of this app has.
            val stranger = "$CALLBACK_BASE?value=${b64url(randomBytes(32))}&sessionSecretDigest=${b64url(randomBytes(32))}"
            assertEquals(ReturnUrlRejectionKind.UNKNOWN_FLOW, expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(stranger) }.kind)
            // Other app links are foreign.
            val token = s.callbackToken!!
            for (foreign in listOf(
                "https://rp.example.com/smart-id/other?value=$token",
                "https://rp.example.com/smart-id/return/x?value=$token",
                "https://evil.example.com/smart-id/return?value=$token",
                "https://rp.example.com:8443/smart-id/return?value=$token",
            )) {
                assertEquals(ReturnUrlRejectionKind.FOREIGN_BASE, expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(foreign) }.kind, foreign)
            }
            // A return URL for a signing flow may not carry the authentication-only verifier.
            val (_, sig) = launched(c, b, FlowKind.SIGNATURE)
            assertEquals(
                ReturnUrlRejectionKind.SESSION_TYPE_MISMATCH,
                expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(sig.returnUrl() + "&userChallengeVerifier=abc") }.kind,
            )
            // Hostile input never crashes and is always a typed rejection.
            val rnd = java.util.Random(7)
            val hostile = mutableListOf(
                "", " ", "\u0000", "not a url", "https://", "javascript:alert(1)", "myapp://smart-id/return?value=$token",
                "http://rp.example.com/smart-id/return?value=$token", "HTTPS://RP.EXAMPLE.COM/smart-id/return?value=$token",
                "$CALLBACK_BASE", "$CALLBACK_BASE?", "$CALLBACK_BASE?value=", "$CALLBACK_BASE?value=short",
                "$CALLBACK_BASE?value=$token&value=$token", "$CALLBACK_BASE?value=$token#frag", "$CALLBACK_BASE?value=$token&x=1",
                "$CALLBACK_BASE?value=$token&&", "$CALLBACK_BASE?value=$token%00", "https://rp.exämple.com/smart-id/return?value=$token",
                "https://user@rp.example.com/smart-id/return?value=$token", "https://[::1/smart-id/return?value=$token",
                "$CALLBACK_BASE?value=" + "A".repeat(100_000), "https://" + "a.".repeat(5000) + "com/",
                "$CALLBACK_BASE?value=$token&sessionSecretDigest=%%%", "$CALLBACK_BASE?value=$token&userChallengeVerifier=\u202e",
            )
            repeat(200) { hostile += String(CharArray(rnd.nextInt(120)) { (rnd.nextInt(0x2FF)).toChar() }) }
            val alphabet = "value=&?#%aZ09_-"
            repeat(200) { hostile += CALLBACK_BASE + "?" + String(CharArray(rnd.nextInt(80)) { alphabet[rnd.nextInt(alphabet.length)] }) }
            for (h in hostile) {
                val e = expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(h) }
                assertTrue(e.kind in setOf(ReturnUrlRejectionKind.MALFORMED, ReturnUrlRejectionKind.FOREIGN_BASE, ReturnUrlRejectionKind.UNKNOWN_FLOW), "$h -> $e")
                assertFalse(e.reason.contains(token), "the token must not leak into messages")
            }
            assertEquals(1, b.completeCalls.get(), "only the genuine return reached the backend")
        }
    },

    "process death: snapshot, new process, restore, return URL completes the flow" to {
        val b = FakeBackend()
        val (saved, returnUrl, flowId) = newClient(b).use { c ->
            val (flow, s) = launched(c, b)
            val snapshot = flow.snapshot()!!
            assertTrue(snapshot.startsWith("""{"v":2,"""), snapshot)
            assertTrue(snapshot.length < 760, "snapshot is ${snapshot.length} bytes")
            // It holds the flow's key (contract 2): the challenge the backend got is its hash.
            val key = Regex("\"flowKey\":\"([A-Za-z0-9_-]{43})\"").find(snapshot)!!.groupValues[1]
            assertEquals(s.request.flowKeyChallenge, b64url(sha256(java.util.Base64.getUrlDecoder().decode(key))))
            for (secret in listOf(s.callbackToken!!, s.callbackUrl!!, b64(s.sessionSecret), s.rpChallenge, "sessionSecret", "rpChallenge", "initialCallbackUrl")) {
                assertFalse(snapshot.contains(secret), "snapshot contains $secret")
            }
            Triple(snapshot, s.returnUrl(), flow.id())
        }
        // The OS killed the app; it is started again by the return URL.
        newClient(b).use { c ->
            val e = expectThrows<SidkitException.ReturnUrlRejected> { c.handleReturnUrl(returnUrl) }
            assertEquals(ReturnUrlRejectionKind.UNKNOWN_FLOW, e.kind, "before restore the flow is unknown")
            val flow = c.restoreFlow(saved)
            assertEquals(flowId, flow.id())
            assertEquals(flowId, c.restoreFlow(saved).id(), "restoring twice gives the same flow")
            assertEquals(1, c.flows().size)
            assertTrue(flow.status() is FlowStatus.AwaitingReturn)
            assertAuthenticated(c.handleReturnUrl(returnUrl))
        }
        // Resume after death without a callback: poll finds the refusal.
        b.ending = Ending.REFUSED
        val saved2 = newClient(b).use { c -> launched(c, b).first.snapshot()!! }
        newClient(b).use { c ->
            val flow = c.restoreFlow(saved2)
            b.sessionOf(flow).endedWithoutCallback = true
            assertEquals(FlowProgress.Finished(FlowOutcome.Failed(FailureReason.USER_REFUSED, null)), flow.poll())
        }
        // Bad snapshots.
        newClient(b).use { c ->
            for (bad in listOf("", "{}", "not json", saved.replace("\"v\":2", "\"v\":3"), saved.replace("\"v\":2", "\"v\":1"), saved.replace(Regex("\"flowKey\":\"[^\"]+\","), ""), saved.replace("\"lang\":\"eng\"", "\"lang\":\"eng\",\"x\":1"), saved.dropLast(1))) {
                assertEquals(FlowErrorKind.SNAPSHOT, expectThrows<SidkitException.Flow> { c.restoreFlow(bad) }.kind, bad)
            }
            val tampered = saved.replace("https://smart-id.com/device-link", "https://evil.example/device-link")
            assertEquals(LinkRejectionKind.BASE_NOT_ALLOWED, expectThrows<SidkitException.LinkRejected> { c.restoreFlow(tampered) }.kind)
        }
        newClient(b, callbackBase = "https://rp.example.com/other").use { c ->
            assertEquals(FlowErrorKind.SNAPSHOT, expectThrows<SidkitException.Flow> { c.restoreFlow(saved) }.kind)
        }
        newClient(b, environment = SmartIdEnvironment.DEMO).use { c ->
            assertEquals(LinkRejectionKind.BASE_NOT_ALLOWED, expectThrows<SidkitException.LinkRejected> { c.restoreFlow(saved) }.kind)
        }
    },

    "50 concurrent flows, returns delivered in random order, each to its own flow" to {
        val b = FakeBackend()
        b.startDelayMs = 5
        b.completeDelayMs = 5
        newClient(b).use { c ->
            val kinds = listOf(FlowKind.AUTHENTICATION, FlowKind.SIGNATURE, FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE)
            val flows = coroutineScope {
                (0 until 50).map { i ->
                    async(Dispatchers.Default) { launched(c, b, kinds[i % 3], context = "user-$i") }
                }.awaitAll()
            }
            assertEquals(50, b.sessions.size)
            assertEquals(50, flows.map { it.first.id() }.toSet().size)
            val outcomes = coroutineScope {
                flows.shuffled().map { (flow, s) ->
                    async(Dispatchers.Default) { Triple(flow, s, c.handleReturnUrl(s.returnUrl())) }
                }.awaitAll()
            }
            for ((flow, s, o) in outcomes) {
                val ctx = s.request.context!!
                when (o) {
                    is FlowOutcome.Authenticated -> assertEquals(ctx, o.identity.givenName)
                    is FlowOutcome.Signed -> assertEquals(ctx, o.appData)
                    else -> fail("unexpected $o")
                }
                assertEquals(FlowStatus.Finished(o), flow.status())
                assertEquals(s.returnUrl(), s.completedWith)
            }
            assertEquals(50, b.completeCalls.get())
            assertEquals(0, c.tick().toInt(), "no flow is pending")
        }
    },

    "device-link checks before launch" to {
        data class Case(val name: String, val kind: LinkRejectionKind, val mutate: (String) -> String)
        val cases = listOf(
            Case("foreign base", LinkRejectionKind.BASE_NOT_ALLOWED) { it.replace(LIVE_LINK_BASE, "https://smart-id.com.evil.example/device-link") },
            Case("demo base in LIVE", LinkRejectionKind.BASE_NOT_ALLOWED) { it.replace(LIVE_LINK_BASE, DEMO_LINK_BASE) },
            Case("plain http", LinkRejectionKind.MALFORMED) { it.replace("https://", "http://") },
            Case("Web2App link", LinkRejectionKind.WRONG_LINK_TYPE) { it.replace("deviceLinkType=App2App", "deviceLinkType=Web2App") },
            Case("QR link", LinkRejectionKind.WRONG_LINK_TYPE) { it.replace("deviceLinkType=App2App", "deviceLinkType=QR&elapsedSeconds=3") },
            Case("session type", LinkRejectionKind.SESSION_TYPE_MISMATCH) { it.replace("sessionType=auth", "sessionType=sign") },
            Case("short token", LinkRejectionKind.MALFORMED) { it.replace(Regex("sessionToken=[A-Za-z0-9]+"), "sessionToken=abc") },
            Case("bad authCode", LinkRejectionKind.MALFORMED) { it.substringBefore("&authCode=") + "&authCode=" + "A".repeat(42) + "B" },
            Case("extra parameter", LinkRejectionKind.MALFORMED) { "$it&next=https://evil.example" },
            Case("fragment", LinkRejectionKind.MALFORMED) { "$it#x" },
            Case("reordered", LinkRejectionKind.MALFORMED) { it.replace("&version=1.0&lang=eng", "&lang=eng&version=1.0") },
            Case("not a link", LinkRejectionKind.MALFORMED) { "intent://scan/#Intent;scheme=zxing;end" },
        )
        for (case in cases) {
            val b = FakeBackend()
            b.linkMutator = case.mutate
            newClient(b).use { c ->
                val flow = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
                val e = expectThrows<SidkitException.LinkRejected> { flow.start() }
                assertEquals(case.kind, e.kind, case.name)
                assertFalse(e.isRetryable())
                val st = flow.status()
                assertTrue(st is FlowStatus.Failed && st.code == e.code(), "${case.name}: $st")
                assertNull(flow.deviceLink(), "a rejected link is never handed out")
            }
        }
        // Contract violations of the start response.
        val b = FakeBackend()
        for ((name, mutate) in listOf<Pair<String, (StartFlowResponse) -> StartFlowResponse>>(
            "sessionID as handle" to { it.copy(flowHandle = "fa20fd1e-e320-4c68-8315-f6a507a0b4a9") },
            "other callback base" to { it.copy(callbackBase = "https://rp.example.com/web/return") },
            "no commitment" to { it.copy(callbackCommitment = null) },
            "session type" to { it.copy(sessionType = SessionType.SIGN) },
        )) {
            b.responseMutator = mutate
            newClient(b).use { c ->
                val e = expectThrows<SidkitException.Flow> { c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP)).start() }
                assertEquals(FlowErrorKind.BAD_RESPONSE, e.kind, name)
            }
        }
        b.responseMutator = null
        // DEMO and custom allow-lists.
        b.linkMutator = { it.replace(LIVE_LINK_BASE, DEMO_LINK_BASE) }
        newClient(b, environment = SmartIdEnvironment.DEMO).use { c ->
            assertTrue(c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP)).start() is FlowStep.LaunchApp)
        }
        b.linkMutator = { it.replace(LIVE_LINK_BASE, "https://sim.example.net/device-link") }
        newClient(b, environment = SmartIdEnvironment.CUSTOM, extraBases = listOf("https://sim.example.net/device-link")).use { c ->
            assertTrue(c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP)).start() is FlowStep.LaunchApp)
        }
    },

    "QR on a tablet: a stream of QR links from the backend, rendered locally, then the outcome" to {
        val b = FakeBackend()
        b.qrPollsUntilDone = 4
        newClient(b).use { c ->
            val flow = c.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.QR))
            val step = flow.start() as FlowStep.ShowQr
            assertTrue(step.deviceLink.contains("deviceLinkType=QR&elapsedSeconds=0&"), step.deviceLink)
            assertEquals(FlowStatus.ShowingQr(step.deviceLink), flow.status())
            expectThrows<SidkitException.Flow> { flow.markLaunched() }
            val qr = flow.qrCode(QrErrorCorrection.LOW)
            assertEquals((qr.width * qr.width).toInt(), qr.modules.size)
            assertEquals(qr.version.toInt() * 4 + 17 + 8, qr.width.toInt())
            val w = qr.width.toInt()
            for (i in 0 until w) for (q in 0 until 4) {
                assertFalse(qr.modules[q * w + i] || qr.modules[i * w + q] || qr.modules[(w - 1 - q) * w + i] || qr.modules[i * w + w - 1 - q], "quiet zone")
            }
            assertTrue(qr.modules[4 * w + 4], "finder pattern corner")
            val svg = qrSvg(step.deviceLink, QrErrorCorrection.MEDIUM, 8u)
            assertTrue(svg.startsWith("<svg xmlns=\"http://www.w3.org/2000/svg\"") && svg.endsWith("</svg>"))
            var last = step.deviceLink
            for (n in 1..3) {
                val p = flow.poll() as FlowProgress.Waiting
                assertTrue(p.deviceLink.contains("elapsedSeconds=$n&"), p.deviceLink)
                assertNotEquals(last, p.deviceLink)
                last = p.deviceLink
                assertEquals(last, flow.deviceLink())
            }
            assertNotNull(flow.snapshot())
            val done = flow.poll()
            assertTrue(done is FlowProgress.Finished && done.outcome is FlowOutcome.Authenticated, "$done")
            expectThrows<SidkitException.InvalidInput> { qrCode(LIVE_LINK_BASE + "?x", QrErrorCorrection.LOW) }
            val (app, _) = launched(c, b)
            expectThrows<SidkitException.InvalidInput> { app.qrCode(QrErrorCorrection.LOW) }
        }
    },

    "contract JSON helpers for HTTP transports" to {
        val req = StartFlowRequest(FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE, Presentation.APP2APP, "est", null, "key-0123456789abcdef", "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0")
        assertEquals(
            """{"kind":"certificateChoiceAndSignature","presentation":"app2app","lang":"est","idempotencyKey":"key-0123456789abcdef","flowKeyChallenge":"Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"}""",
            startFlowRequestToJson(req),
        )
        assertEquals(
            """{"flowHandle":"fh_0123456789abcdef","returnUrl":"$CALLBACK_BASE?value=x"}""",
            completeFlowRequestToJson(CompleteFlowRequest("fh_0123456789abcdef", "$CALLBACK_BASE?value=x")),
        )
        val resp = startFlowResponseFromJson(
            """{"flowHandle":"fh_0123456789abcdef","sessionType":"cert","deviceLink":"x","callbackBase":"$CALLBACK_BASE","callbackCommitment":"${b64url(ByteArray(32))}","expiresInMs":60000,"newField":true}""",
        )
        assertEquals(SessionType.CERT, resp.sessionType)
        assertEquals(60000uL, resp.expiresInMs)
        assertEquals(FlowErrorKind.BAD_RESPONSE, expectThrows<SidkitException.Flow> { startFlowResponseFromJson("""{"flowHandle":"x"}""") }.kind)
        val o = flowOutcomeFromJson("""{"result":"failed","endResult":"USER_REFUSED_INTERACTION","interaction":"displayTextAndPIN"}""")
        assertEquals(FlowOutcome.Failed(FailureReason.USER_REFUSED_INTERACTION, "displayTextAndPIN"), o)
        assertEquals(FlowOutcome.Failed(FailureReason.UNKNOWN, null), flowOutcomeFromJson("""{"result":"failed","endResult":"SOMETHING_NEW"}"""))
        expectThrows<SidkitException.Flow> { flowOutcomeFromJson("""{"result":"authenticated","identity":{"givenName":""}}""") }
        assertEquals(PollFlowResponse.Pending("l"), pollFlowResponseFromJson("""{"status":"pending","deviceLink":"l"}"""))
        val e = backendErrorFromJson(429u, """{"code":"rate_limited","message":"slow down","retryable":true}""")
        assertTrue(e is SidkitException.Backend && e.isRetryable() && e.backendCode == "rate_limited")
        assertTrue(backendErrorFromJson(503u, "<html>").isRetryable())
        assertFalse(backendErrorFromJson(400u, "").isRetryable())
    },

    "error codes and retryability" to {
        val t = SidkitException.Transport("offline", true)
        assertEquals("transport", t.code())
        assertTrue(t.isRetryable())
        assertFalse(SidkitException.Transport("tls", false).isRetryable())
        assertEquals("flow_busy", SidkitException.Flow(FlowErrorKind.BUSY, "x").code())
        assertTrue(SidkitException.Flow(FlowErrorKind.BUSY, "x").isRetryable())
        assertEquals("return_url_replayed", SidkitException.ReturnUrlRejected(ReturnUrlRejectionKind.REPLAYED, "x").code())
        assertEquals("link_base_not_allowed", SidkitException.LinkRejected(LinkRejectionKind.BASE_NOT_ALLOWED, "x").code())
        assertFalse(SidkitException.Flow(FlowErrorKind.EXPIRED, "x").isRetryable())
    },

    "generated Kotlin holds no backend secrets" to {
        val path = System.getProperty("sidkit.generated") ?: fail("sidkit.generated not set")
        val text = File(path).readText()
        assertTrue(text.length > 10_000, "read the generated file")
        for (word in listOf("sessionSecret", "rpChallenge", "initialCallbackUrl", "session_secret", "rp_challenge", "initial_callback_url")) {
            assertFalse(text.contains(word, ignoreCase = true), "generated Kotlin mentions $word")
        }
    },
)

fun main(args: Array<String>) {
    val filter = args.firstOrNull()
    var passed = 0
    var failed = 0
    for ((name, test) in TESTS) {
        if (filter != null && !name.contains(filter)) continue
        val t0 = System.nanoTime()
        try {
            runBlocking { withTimeout(30_000) { test() } }
            passed++
            println("ok   $name (${(System.nanoTime() - t0) / 1_000_000} ms)")
        } catch (e: Throwable) {
            failed++
            println("FAIL $name: $e")
            e.printStackTrace(System.out)
        }
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0 && passed > 0) 0 else 1)
}
