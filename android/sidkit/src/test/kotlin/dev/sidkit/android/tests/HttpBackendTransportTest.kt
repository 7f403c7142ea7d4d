package dev.sidkit.android.tests

import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpServer
import dev.sidkit.android.HttpBackendTransport
import dev.sidkit.ffi.CancelFlowRequest
import dev.sidkit.ffi.CertificateLevel
import dev.sidkit.ffi.CompleteFlowRequest
import dev.sidkit.ffi.FailureReason
import dev.sidkit.ffi.FlowErrorKind
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.FlowRequest
import dev.sidkit.ffi.PollFlowRequest
import dev.sidkit.ffi.PollFlowResponse
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitConfig
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.SmartIdEnvironment
import dev.sidkit.ffi.StartFlowRequest
import dev.sidkit.ffi.StartFlowResponse
import dev.sidkit.ffi.FlowStep
import dev.sidkit.ffi.backendErrorFromJson
import dev.sidkit.ffi.completeFlowRequestToJson
import dev.sidkit.ffi.startFlowRequestToJson
import dev.sidkit.tests.CALLBACK_BASE
import dev.sidkit.tests.FakeBackend
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.util.concurrent.CopyOnWriteArrayList
import java.util.concurrent.CountDownLatch
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** What the test server saw of one request. */
data class Seen(val method: String, val path: String, val headers: Map<String, String>, val body: String)

/** Minimal JSON of the contract's answers, written by hand like a backend would. */
fun q(s: String?): String = if (s == null) "null" else "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\""

fun startResponseJson(r: StartFlowResponse): String =
    """{"flowHandle":${q(r.flowHandle)},"sessionType":${q(r.sessionType.name.lowercase())},""" +
        """"deviceLink":${q(r.deviceLink)},"callbackBase":${q(r.callbackBase)},""" +
        """"callbackCommitment":${q(r.callbackCommitment)},"expiresInMs":${r.expiresInMs}}"""

fun outcomeJson(o: FlowOutcome): String = when (o) {
    is FlowOutcome.Authenticated -> o.identity.let { i ->
        """{"result":"authenticated","identity":{"givenName":${q(i.givenName)},"surname":${q(i.surname)},""" +
            """"identifier":${q(i.identifier)},"country":${q(i.country)},"documentNumber":${q(i.documentNumber)},""" +
            """"certificateLevel":${q(i.certificateLevel.name)},"dateOfBirth":${q(i.dateOfBirth)}},"appData":${q(o.appData)}}"""
    }
    is FlowOutcome.Signed -> o.signature.let { s ->
        """{"result":"signed","signature":{"documentNumber":${q(s.documentNumber)},"certificateLevel":${q(s.certificateLevel.name)},""" +
            """"signatureAlgorithm":${q(s.signatureAlgorithm)},"signatureValue":${q(s.signatureValue)}},"appData":${q(o.appData)}}"""
    }
    is FlowOutcome.Failed -> """{"result":"failed","endResult":"USER_REFUSED"}"""
}

fun problem(status: Int, code: String, detail: String, retryable: Boolean): String =
    """{"type":"urn:sidkit:problem:$code","title":"${code.replace('_', ' ')}","status":$status,""" +
        """"detail":${q(detail)},"code":${q(code)},"retryable":$retryable}"""

/** A flow key and its challenge (BASE64URL(SHA-256(key bytes))), computed independently. */
const val KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
const val CHALLENGE = "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"

/** Plain JUnit (no Robolectric): the transport uses only java.net. */
class HttpBackendTransportTest {
    private lateinit var server: HttpServer
    private val seen = CopyOnWriteArrayList<Seen>()

    /** How the next request is answered: status, content type, body. */
    @Volatile
    private var answer: (Seen) -> Triple<Int, String, String> = { Triple(404, "text/plain", "") }
    private val release = CountDownLatch(1)

    /** The `Sidkit-Contract` header the server sends (`null`: none). */
    @Volatile
    private var contractHeader: String? = "2"

    private val baseUrl get() = "http://127.0.0.1:${server.address.port}/api/"

    @Before
    fun setUp() {
        server = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.executor = Executors.newCachedThreadPool()
        server.createContext("/") { ex: HttpExchange ->
            val s = Seen(
                ex.requestMethod,
                ex.requestURI.rawPath,
                ex.requestHeaders.entries.associate { it.key.lowercase() to it.value.joinToString(",") },
                ex.requestBody.readBytes().toString(Charsets.UTF_8),
            )
            seen += s
            try {
                val (status, type, body) = answer(s)
                val bytes = body.toByteArray()
                ex.responseHeaders.add("Content-Type", type)
                contractHeader?.let { ex.responseHeaders.add("Sidkit-Contract", it) }
                ex.sendResponseHeaders(status, if (bytes.isEmpty()) -1 else bytes.size.toLong())
                if (bytes.isNotEmpty()) ex.responseBody.use { it.write(bytes) }
            } catch (_: Exception) {
            } finally {
                ex.close()
            }
        }
        server.start()
    }

    @After
    fun tearDown() {
        release.countDown()
        server.stop(0)
    }

    private fun transport(
        headers: Map<String, String> = mapOf("Authorization" to "Bearer app-token"),
        readTimeoutMs: Int = 5_000,
        dispatcher: kotlinx.coroutines.CoroutineDispatcher = Dispatchers.IO,
    ) = HttpBackendTransport(
        baseUrl, headers = headers, headerProvider = { mapOf("X-Request-Attempt" to "1") },
        connectTimeout = 2.seconds, readTimeout = readTimeoutMs.milliseconds, dispatcher = dispatcher,
    )

    private val startRequest =
        StartFlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP, "eng", null, "idem-0123456789abcdef", CHALLENGE)

    /** A start response with a real device link and commitment. */
    private fun validStartResponse(): StartFlowResponse = runBlocking { FakeBackend().start(startRequest) }

    @Test
    fun startPostsTheContractJsonWithIdempotencyKeyAndHeaders() {
        runBlocking {
            val expected = validStartResponse()
            answer = { Triple(201, "application/json", startResponseJson(expected)) }
            val got = transport().startFlow(startRequest)
            assertEquals(expected, got)
            val s = seen.single()
            assertEquals("POST", s.method)
            assertEquals("/api/flows", s.path)
            assertEquals("idem-0123456789abcdef", s.headers["idempotency-key"])
            assertEquals("Bearer app-token", s.headers["authorization"])
            assertEquals("1", s.headers["x-request-attempt"])
            assertTrue(s.headers["content-type"]!!.startsWith("application/json"))
            assertEquals(startFlowRequestToJson(startRequest), s.body)
        }
    }

    @Test
    fun completePollAndCancelUseTheFlowHandleInThePath() {
        runBlocking {
            val handle = "fh_Ab-9_x.y~z"
            val outcome = FlowOutcome.Authenticated(
                dev.sidkit.ffi.Identity("QUALIFIED OK1", "TESTNUMBER", "PNOEE-30303039914", "EE",
                    "PNOEE-30303039914-MOCK-Q", CertificateLevel.QUALIFIED, "1903-03-03"),
                "rp-session",
            )
            answer = { s ->
                when (s.method to s.path) {
                    "POST" to "/api/flows/$handle/complete" -> Triple(200, "application/json", outcomeJson(outcome))
                    "GET" to "/api/flows/$handle" -> Triple(200, "application/json", """{"status":"pending"}""")
                    "DELETE" to "/api/flows/$handle" -> Triple(204, "application/json", "")
                    else -> Triple(404, "application/problem+json", problem(404, "flow_not_found", "no", false))
                }
            }
            val t = transport()
            val req = CompleteFlowRequest(handle, "$CALLBACK_BASE?value=abc")
            assertEquals(outcome, t.completeFlow(req, KEY))
            assertEquals(completeFlowRequestToJson(req), seen.last().body)
            assertEquals(PollFlowResponse.Pending(null), t.pollFlow(PollFlowRequest(handle), KEY))
            assertEquals("", seen.last().body)
            t.cancelFlow(CancelFlowRequest(handle), KEY)
            assertEquals(listOf("POST", "GET", "DELETE"), seen.map { it.method })
            // The flow key travels in the Sidkit-Flow-Key header only: not in the path or body,
            // and no header of the app's can replace it.
            for (x in seen) {
                assertEquals(KEY, x.headers["sidkit-flow-key"])
                assertFalse(x.path.contains(KEY) || x.body.contains(KEY))
            }
            val overriding = HttpBackendTransport(baseUrl, headers = mapOf("Sidkit-Flow-Key" to "app-value"))
            overriding.pollFlow(PollFlowRequest(handle), KEY)
            assertEquals(KEY, seen.last().headers["sidkit-flow-key"])
            // Handles are percent-encoded as one path segment.
            try {
                t.pollFlow(PollFlowRequest("a/b c"), KEY)
                fail("expected a 404")
            } catch (e: SidkitException.Backend) {
                assertEquals("/api/flows/a%2Fb%20c", seen.last().path)
            }
        }
    }

    @Test
    fun problemJsonErrorsAreMappedByBackendErrorFromJson() {
        runBlocking {
            val t = transport()
            for ((status, retryable) in listOf(403 to false, 503 to true)) {
                val body = problem(status, if (retryable) "unavailable" else "callback_rejected", "detail $status", retryable)
                answer = { Triple(status, "application/problem+json", body) }
                try {
                    t.completeFlow(CompleteFlowRequest("fh_1", "$CALLBACK_BASE?value=abc"), KEY)
                    fail("expected SidkitException.Backend")
                } catch (e: SidkitException.Backend) {
                    val want = backendErrorFromJson(status.toUShort(), body) as SidkitException.Backend
                    assertEquals(want.httpStatus, e.httpStatus)
                    assertEquals(want.backendCode, e.backendCode)
                    assertEquals(want.reason, e.reason)
                    assertEquals(retryable, e.isRetryable())
                    assertEquals(status.toUShort(), e.httpStatus)
                }
            }
            // A body that is no contract error still maps by status (502: retryable).
            answer = { Triple(502, "text/html", "<html>bad gateway</html>") }
            try {
                t.pollFlow(PollFlowRequest("fh_1"), KEY)
                fail("expected SidkitException.Backend")
            } catch (e: SidkitException.Backend) {
                assertEquals("http_502", e.backendCode)
                assertTrue(e.isRetryable())
            }
        }
    }

    @Test
    fun aBackendOfAnotherContractVersionIsATypedError() {
        runBlocking {
            val t = transport()
            for (header in listOf(null, "1", "3", "two")) {
                contractHeader = header
                // Success and error answers alike are refused before their body is read.
                for (status in listOf(200, 404)) {
                    answer = { Triple(status, "application/json", """{"status":"pending"}""") }
                    try {
                        t.pollFlow(PollFlowRequest("fh_1"), KEY)
                        fail("expected SidkitException.Flow for Sidkit-Contract $header")
                    } catch (e: SidkitException.Flow) {
                        assertEquals(FlowErrorKind.CONTRACT_VERSION, e.kind)
                        assertEquals("contract_version", e.code())
                        assertTrue(e.reason, e.reason.contains("Sidkit-Contract"))
                    }
                }
            }
            contractHeader = "2"
            answer = { Triple(200, "application/json", """{"status":"pending"}""") }
            assertEquals(PollFlowResponse.Pending(null), t.pollFlow(PollFlowRequest("fh_1"), KEY))
        }
    }

    @Test
    fun aSuccessBodyThatBreaksTheContractIsABadResponse() {
        runBlocking {
            answer = { Triple(200, "application/json", """{"status":"won"}""") }
            try {
                transport().pollFlow(PollFlowRequest("fh_1"), KEY)
                fail("expected SidkitException.Flow")
            } catch (e: SidkitException.Flow) {
                assertEquals(FlowErrorKind.BAD_RESPONSE, e.kind)
            }
        }
    }

    @Test
    fun unreachableBackendAndTimeoutsAreRetryableTransportErrors() {
        runBlocking {
            val closedPort = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }
            val refused = HttpBackendTransport("http://127.0.0.1:$closedPort", connectTimeout = 2_000.milliseconds)
            try {
                refused.startFlow(startRequest)
                fail("expected SidkitException.Transport")
            } catch (e: SidkitException.Transport) {
                assertTrue(e.retryable)
                assertTrue(e.reason, e.reason.contains("Connect"))
            }
            answer = { release.await(10, TimeUnit.SECONDS); Triple(200, "application/json", "{}") }
            val t0 = System.nanoTime()
            try {
                transport(readTimeoutMs = 300).pollFlow(PollFlowRequest("fh_1"), KEY)
                fail("expected SidkitException.Transport")
            } catch (e: SidkitException.Transport) {
                assertTrue(e.retryable)
                assertTrue(e.reason, e.reason.contains("Timeout", ignoreCase = true))
            }
            assertTrue(System.nanoTime() - t0 < 5_000_000_000L)
        }
    }

    @Test
    fun cancellingTheCallerDisconnectsAndFreesTheIoThread() {
        runBlocking {
            answer = { release.await(20, TimeUnit.SECONDS); Triple(200, "application/json", "{}") }
            val io = Executors.newSingleThreadExecutor()
            try {
                val t = transport(dispatcher = io.asCoroutineDispatcher())
                val call = async(Dispatchers.Default) { t.pollFlow(PollFlowRequest("fh_1"), KEY) }
                withTimeout(5_000) { while (seen.isEmpty()) delay(10) }
                val t0 = System.nanoTime()
                call.cancel()
                runCatching { call.await() }
                assertTrue("cancel returns at once", System.nanoTime() - t0 < 1_000_000_000L)
                assertTrue(call.isCancelled)
                // The single I/O thread is free again only if the blocked read was broken off.
                val probe = io.submit<Boolean> { true }
                assertTrue("the blocked connection was disconnected", probe.get(3, TimeUnit.SECONDS))
            } finally {
                io.shutdownNow()
            }
        }
    }

    @Test
    fun cancellingAFlowDuringAnHttpCallDisconnectsIt() {
        runBlocking {
            // POST /flows hangs; the user cancels. The SDK drops the Rust future, UniFFI cancels
            // the Kotlin call, and the transport disconnects.
            answer = { release.await(20, TimeUnit.SECONDS); Triple(500, "text/plain", "") }
            val io = Executors.newSingleThreadExecutor()
            try {
                val client = SidkitClient(
                    SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE),
                    transport(dispatcher = io.asCoroutineDispatcher()),
                )
                val flow = client.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
                val start = async(Dispatchers.Default) { runCatching { flow.start() } }
                withTimeout(5_000) { while (seen.isEmpty()) delay(10) }
                val t0 = System.nanoTime()
                flow.cancel()
                val e = withTimeout(5_000) { start.await() }.exceptionOrNull() as SidkitException.Flow
                assertEquals(FlowErrorKind.CANCELLED, e.kind)
                assertTrue("start ends at once", System.nanoTime() - t0 < 2_000_000_000L)
                val probe = io.submit<Boolean> { true }
                assertTrue("the hanging connection was disconnected", probe.get(3, TimeUnit.SECONDS))
                assertEquals("nothing to tell the backend: the flow had no handle yet", 1, seen.size)
            } finally {
                io.shutdownNow()
            }
        }
    }

    @Test
    fun theSdkRunsAWholeFlowOverHttp() {
        runBlocking {
            // A tiny HTTP front for the fake backend: what a real backend's routes do.
            val backend = FakeBackend()
            answer = { s ->
                runBlocking {
                    try {
                        when {
                            s.method == "POST" && s.path == "/api/flows" -> {
                                val key = s.headers["idempotency-key"]!!
                                assertTrue(s.body.contains("\"idempotencyKey\":\"$key\""))
                                val challenge = Regex("\"flowKeyChallenge\":\"([^\"]+)\"").find(s.body)!!.groupValues[1]
                                val r = backend.start(StartFlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP, "eng", null, key, challenge))
                                Triple(201, "application/json", startResponseJson(r))
                            }
                            s.method == "POST" && s.path.endsWith("/complete") -> {
                                val handle = s.path.removePrefix("/api/flows/").removeSuffix("/complete")
                                val url = Regex("\"returnUrl\":\"([^\"]+)\"").find(s.body)!!.groupValues[1]
                                val o = backend.complete(CompleteFlowRequest(handle, url), s.headers["sidkit-flow-key"] ?: "")
                                Triple(200, "application/json", outcomeJson(o))
                            }
                            else -> Triple(404, "application/problem+json", problem(404, "flow_not_found", "no", false))
                        }
                    } catch (e: SidkitException.Backend) {
                        Triple(e.httpStatus.toInt(), "application/problem+json", problem(e.httpStatus.toInt(), e.backendCode, e.reason, e.retryable))
                    }
                }
            }
            val client = SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE), transport())
            val flow = client.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            val step = flow.start() as FlowStep.LaunchApp
            flow.markLaunched()
            val session = backend.sessions.values.single()
            assertEquals(session.startResponse().deviceLink.substringBefore("&authCode"), step.deviceLink.substringBefore("&authCode"))
            val outcome = client.handleReturnUrl(session.returnUrl()) as FlowOutcome.Authenticated
            assertEquals("PNOEE-30303039914", outcome.identity.identifier)
            // A forged return (right token, wrong digest) for a new flow is refused by the backend.
            val flow2 = client.createFlow(FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            flow2.start()
            val s2 = backend.sessions.values.single { it.completedWith == null }
            val forged = s2.returnUrl().replace(Regex("sessionSecretDigest=[^&]+"), "sessionSecretDigest=" + "A".repeat(43))
            try {
                client.handleReturnUrl(forged)
                fail("expected the backend to refuse")
            } catch (e: SidkitException.Backend) {
                assertEquals(403.toUShort(), e.httpStatus)
                assertFalse(e.isRetryable())
            }
            assertNull(s2.completedWith)
        }
    }
}
