package dev.sidkit.okhttp.tests

import com.sun.net.httpserver.HttpsConfigurator
import com.sun.net.httpserver.HttpsServer
import dev.sidkit.ffi.CancelFlowRequest
import dev.sidkit.ffi.FlowErrorKind
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.PollFlowRequest
import dev.sidkit.ffi.PollFlowResponse
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.StartFlowRequest
import dev.sidkit.okhttp.OkHttpBackendTransport
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import okhttp3.CertificatePinner
import okhttp3.OkHttpClient
import okhttp3.mockwebserver.MockResponse
import okhttp3.mockwebserver.MockWebServer
import okhttp3.mockwebserver.SocketPolicy
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import java.io.File
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.file.Files
import java.security.KeyStore
import java.security.cert.X509Certificate
import java.util.concurrent.TimeUnit
import javax.net.ssl.KeyManagerFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import javax.net.ssl.X509TrustManager
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

private const val KEY = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
private const val CHALLENGE = "Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"

private fun problem(status: Int, code: String, retryable: Boolean): String =
    """{"type":"urn:sidkit:problem:$code","title":"t","status":$status,"detail":"d","code":"$code","retryable":$retryable}"""

/**
 * OkHttpBackendTransport against MockWebServer (plain JUnit: only OkHttp and the generated
 * JSON helpers, which call libsidkit): the same contract semantics as HttpBackendTransport.
 */
class OkHttpBackendTransportTest {
    private lateinit var server: MockWebServer

    @Before
    fun setUp() {
        server = MockWebServer()
        server.start()
    }

    @After
    fun tearDown() {
        server.shutdown()
    }

    private fun transport(readTimeoutMs: Long = 5_000) = OkHttpBackendTransport(
        server.url("/api/").toString(),
        headers = mapOf("Authorization" to "Bearer app-token", "Sidkit-Flow-Key" to "not-this-one"),
        headerProvider = { mapOf("X-Request-Attempt" to "1") },
        connectTimeout = 2.seconds,
        readTimeout = readTimeoutMs.milliseconds,
    )

    private fun ok(body: String, status: Int = 200) =
        MockResponse().setResponseCode(status).setHeader("Content-Type", "application/json").setHeader("Sidkit-Contract", "2").setBody(body)

    private val startRequest =
        StartFlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP, "eng", null, "idem-0123456789abcdef", CHALLENGE)

    @Test
    fun pollAndCancelSendTheFlowKeyOnlyInItsHeaderAndEncodeTheHandle() {
        runBlocking {
            server.enqueue(ok("""{"status":"pending"}"""))
            server.enqueue(MockResponse().setResponseCode(204).setHeader("Sidkit-Contract", "2"))
            val t = transport()
            assertEquals(PollFlowResponse.Pending(null), t.pollFlow(PollFlowRequest("fh 1/x"), KEY))
            t.cancelFlow(CancelFlowRequest("fh_2"), KEY)
            val poll = server.takeRequest()
            assertEquals("GET", poll.method)
            assertEquals("/api/flows/fh%201%2Fx", poll.requestUrl!!.encodedPath)
            assertEquals(KEY, poll.getHeader("Sidkit-Flow-Key"))
            assertEquals("Bearer app-token", poll.getHeader("Authorization"))
            assertEquals("1", poll.getHeader("X-Request-Attempt"))
            assertFalse("the key is never in the URL", poll.requestUrl.toString().contains(KEY))
            val cancel = server.takeRequest()
            assertEquals("DELETE", cancel.method)
            assertEquals("/api/flows/fh_2", cancel.requestUrl!!.encodedPath)
        }
    }

    @Test
    fun startPostsJsonWithTheIdempotencyKey() {
        runBlocking {
            server.enqueue(ok(problem(400, "invalid_request", false), 400))
            try {
                transport().startFlow(startRequest)
                fail("expected Backend")
            } catch (e: SidkitException.Backend) {
                assertEquals("invalid_request", e.backendCode)
            }
            val r = server.takeRequest()
            assertEquals("POST", r.method)
            assertEquals("/api/flows", r.requestUrl!!.encodedPath)
            assertEquals("idem-0123456789abcdef", r.getHeader("Idempotency-Key"))
            assertTrue(r.getHeader("Content-Type")!!.startsWith("application/json"))
            assertTrue(r.body.readUtf8().contains(CHALLENGE))
        }
    }

    @Test
    fun errorsMapLikeHttpBackendTransport() {
        runBlocking {
            val t = transport()
            server.enqueue(ok(problem(503, "backend_unavailable", true), 503))
            try {
                t.pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Backend) {
                assertEquals(503, e.httpStatus.toInt())
                assertTrue(e.retryable)
            }
            server.enqueue(ok("""{"status":"pending"}""").setHeader("Sidkit-Contract", "3"))
            try {
                t.pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Flow) {
                assertEquals(FlowErrorKind.CONTRACT_VERSION, e.kind)
            }
            server.enqueue(ok("""{"status":"nonsense"}"""))
            try {
                t.pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Flow) {
                assertEquals(FlowErrorKind.BAD_RESPONSE, e.kind)
            }
            // No redirects are followed: a 302 is the backend's error.
            server.enqueue(MockResponse().setResponseCode(302).setHeader("Location", server.url("/elsewhere")).setHeader("Sidkit-Contract", "2"))
            try {
                t.pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Backend) {
                assertEquals(302, e.httpStatus.toInt())
            }
            // A body over the limit is a transport error.
            server.enqueue(ok("x".repeat(600 * 1024)))
            try {
                t.pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Transport) {
                assertTrue(e.reason.contains("longer than"))
            }
            assertEquals("one request per call, no retries", 5, server.requestCount)
        }
    }

    @Test
    fun unreachableAndTimeoutsAreRetryableTransportErrors() {
        runBlocking {
            server.enqueue(MockResponse().setSocketPolicy(SocketPolicy.NO_RESPONSE))
            try {
                transport(readTimeoutMs = 300).pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Transport) {
                assertTrue(e.retryable)
            }
            val url = server.url("/api/").toString()
            server.shutdown()
            try {
                OkHttpBackendTransport(url).pollFlow(PollFlowRequest("fh"), KEY); fail()
            } catch (e: SidkitException.Transport) {
                assertTrue(e.retryable)
            }
        }
    }

    @Test
    fun cancellingTheCallerCancelsTheCall() {
        runBlocking {
            server.enqueue(ok("""{"status":"pending"}""").setHeadersDelay(5, TimeUnit.SECONDS))
            val t = transport()
            val call = async { t.pollFlow(PollFlowRequest("fh"), KEY) }
            delay(200)
            val started = System.nanoTime()
            withTimeout(2_000) { call.cancel(); call.join() }
            assertTrue((System.nanoTime() - started) < 2_000_000_000)
            assertTrue(call.isCancelled)
        }
    }
}

/** Certificate pinning through OkHttp's CertificatePinner, against a TLS server of the JDK. */
class OkHttpPinningTest {
    private lateinit var server: HttpsServer
    private lateinit var cert: X509Certificate
    private lateinit var trusting: OkHttpClient

    @Before
    fun setUp() {
        val password = "changeit".toCharArray()
        val dir = Files.createTempDirectory("sidkit-okhttp-tls").toFile()
        val ks = File(dir, "server.p12")
        val keytool = File(System.getProperty("java.home"), "bin/keytool").path
        val p = ProcessBuilder(
            keytool, "-genkeypair", "-keystore", ks.path, "-storetype", "PKCS12", "-storepass", String(password),
            "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
            "-dname", "CN=localhost", "-ext", "SAN=dns:localhost,ip:127.0.0.1",
        ).redirectErrorStream(true).start()
        val out = p.inputStream.readBytes().toString(Charsets.UTF_8)
        check(p.waitFor() == 0) { "keytool failed: $out" }
        val keystore = KeyStore.getInstance("PKCS12").apply { ks.inputStream().use { load(it, password) } }
        dir.deleteRecursively()
        cert = keystore.getCertificate("server") as X509Certificate
        val kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm()).apply { init(keystore, password) }
        server = HttpsServer.create(InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0)
        server.httpsConfigurator = HttpsConfigurator(SSLContext.getInstance("TLS").apply { init(kmf.keyManagers, null, null) })
        server.createContext("/") { ex ->
            val body = """{"status":"pending"}""".toByteArray()
            ex.responseHeaders.add("Content-Type", "application/json")
            ex.responseHeaders.add("Sidkit-Contract", "2")
            ex.sendResponseHeaders(200, body.size.toLong())
            ex.responseBody.use { it.write(body) }
        }
        server.start()
        // The test's trust store holds the self-signed certificate, as a private CA would.
        val trust = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null); setCertificateEntry("backend", cert) }
        val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(trust) }
        val tm = tmf.trustManagers.single() as X509TrustManager
        val ctx = SSLContext.getInstance("TLS").apply { init(null, arrayOf(tm), null) }
        trusting = OkHttpClient.Builder().sslSocketFactory(ctx.socketFactory, tm).build()
    }

    @After
    fun tearDown() {
        server.stop(0)
    }

    private val baseUrl get() = "https://127.0.0.1:${server.address.port}"

    @Test
    fun theRightPinReachesTheServer() {
        runBlocking {
            val pinner = CertificatePinner.Builder().add("127.0.0.1", CertificatePinner.pin(cert)).build()
            val t = OkHttpBackendTransport(baseUrl, trusting, certificatePinner = pinner)
            assertEquals(PollFlowResponse.Pending(null), t.pollFlow(PollFlowRequest("fh_1"), KEY))
        }
    }

    @Test
    fun aWrongPinIsANonRetryableTransportError() {
        runBlocking {
            val pinner = CertificatePinner.Builder()
                .add("127.0.0.1", "sha256/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
                .build()
            try {
                OkHttpBackendTransport(baseUrl, trusting, certificatePinner = pinner).pollFlow(PollFlowRequest("fh_1"), KEY)
                fail("expected Transport")
            } catch (e: SidkitException.Transport) {
                assertFalse("a pin mismatch does not go away by retrying: ${e.reason}", e.retryable)
                assertTrue(e.reason, e.reason.contains("pinning", ignoreCase = true))
            }
        }
    }

    @Test
    fun anUntrustedServerIsANonRetryableTransportError() {
        runBlocking {
            try {
                OkHttpBackendTransport(baseUrl).pollFlow(PollFlowRequest("fh_1"), KEY)
                fail("expected Transport")
            } catch (e: SidkitException.Transport) {
                assertFalse(e.retryable)
                assertNull(null)
            }
        }
    }
}
