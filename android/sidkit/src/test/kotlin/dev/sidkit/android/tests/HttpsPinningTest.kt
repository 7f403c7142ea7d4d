package dev.sidkit.android.tests

import com.sun.net.httpserver.HttpsConfigurator
import com.sun.net.httpserver.HttpsServer
import dev.sidkit.android.HttpBackendTransport
import dev.sidkit.ffi.PollFlowRequest
import dev.sidkit.ffi.PollFlowResponse
import dev.sidkit.ffi.SidkitException
import kotlinx.coroutines.runBlocking
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import java.io.File
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.file.Files
import java.security.KeyStore
import javax.net.ssl.KeyManagerFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/**
 * HttpBackendTransport over TLS: the app's SSLSocketFactory (here trusting only the test
 * server's own self-signed certificate, i.e. pinning it) is used, and a server the platform
 * trust does not accept is a non-retryable transport error.
 */
class HttpsPinningTest {
    private lateinit var server: HttpsServer
    private lateinit var keystore: KeyStore
    private val password = "changeit".toCharArray()

    @Before
    fun setUp() {
        val dir = Files.createTempDirectory("sidkit-tls").toFile()
        val ks = File(dir, "server.p12")
        val keytool = File(System.getProperty("java.home"), "bin/keytool").path
        val p = ProcessBuilder(
            keytool, "-genkeypair", "-keystore", ks.path, "-storetype", "PKCS12", "-storepass", String(password),
            "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-validity", "2",
            "-dname", "CN=127.0.0.1", "-ext", "SAN=ip:127.0.0.1",
        ).redirectErrorStream(true).start()
        val out = p.inputStream.readBytes().toString(Charsets.UTF_8)
        check(p.waitFor() == 0) { "keytool failed: $out" }
        keystore = KeyStore.getInstance("PKCS12").apply { ks.inputStream().use { load(it, password) } }
        dir.deleteRecursively()

        val kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm()).apply { init(keystore, password) }
        val serverContext = SSLContext.getInstance("TLS").apply { init(kmf.keyManagers, null, null) }
        server = HttpsServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)
        server.httpsConfigurator = HttpsConfigurator(serverContext)
        server.createContext("/") { ex ->
            val body = """{"status":"pending"}""".toByteArray()
            ex.responseHeaders.add("Content-Type", "application/json")
            ex.responseHeaders.add("Sidkit-Contract", "2")
            ex.sendResponseHeaders(200, body.size.toLong())
            ex.responseBody.use { it.write(body) }
        }
        server.start()
    }

    @After
    fun tearDown() {
        server.stop(0)
    }

    private val baseUrl get() = "https://127.0.0.1:${server.address.port}"

    @Test
    fun aPinnedSocketFactoryReachesTheServer() {
        runBlocking {
            val trust = KeyStore.getInstance(KeyStore.getDefaultType()).apply {
                load(null, null)
                setCertificateEntry("backend", keystore.getCertificate("server"))
            }
            val tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(trust) }
            val pinned = SSLContext.getInstance("TLS").apply { init(null, tmf.trustManagers, null) }
            val t = HttpBackendTransport(baseUrl, sslSocketFactory = pinned.socketFactory)
            assertEquals(PollFlowResponse.Pending(null), t.pollFlow(PollFlowRequest("fh_1"), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"))
        }
    }

    @Test
    fun anUntrustedServerIsANonRetryableTransportError() {
        runBlocking {
            try {
                HttpBackendTransport(baseUrl).pollFlow(PollFlowRequest("fh_1"), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
                fail("expected SidkitException.Transport")
            } catch (e: SidkitException.Transport) {
                assertFalse("a certificate problem does not go away by retrying: ${e.reason}", e.retryable)
            }
        }
    }
}
