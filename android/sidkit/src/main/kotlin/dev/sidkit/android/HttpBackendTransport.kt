package dev.sidkit.android

import dev.sidkit.ffi.BackendTransport
import dev.sidkit.ffi.CancelFlowRequest
import dev.sidkit.ffi.CompleteFlowRequest
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.PollFlowRequest
import dev.sidkit.ffi.PollFlowResponse
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.StartFlowRequest
import dev.sidkit.ffi.StartFlowResponse
import dev.sidkit.ffi.backendErrorFromJson
import dev.sidkit.ffi.checkContractVersion
import dev.sidkit.ffi.completeFlowRequestToJson
import dev.sidkit.ffi.flowOutcomeFromJson
import dev.sidkit.ffi.pollFlowResponseFromJson
import dev.sidkit.ffi.startFlowRequestToJson
import dev.sidkit.ffi.startFlowResponseFromJson
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asExecutor
import kotlinx.coroutines.suspendCancellableCoroutine
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.InputStream
import java.net.HttpURLConnection
import java.net.URL
import java.security.cert.CertificateException
import javax.net.ssl.HostnameVerifier
import javax.net.ssl.HttpsURLConnection
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.SSLPeerUnverifiedException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * The default [BackendTransport]: the sidkit app ↔ backend contract (`docs/mobile-flow.md`)
 * over [HttpURLConnection], with JSON encoded and checked by the library's helpers.
 *
 * | call | HTTP |
 * |---|---|
 * | `startFlow` | `POST {baseUrl}/flows` with `Idempotency-Key` |
 * | `completeFlow` | `POST {baseUrl}/flows/{flowHandle}/complete` with `Sidkit-Flow-Key` |
 * | `pollFlow` | `GET {baseUrl}/flows/{flowHandle}` with `Sidkit-Flow-Key` |
 * | `cancelFlow` | `DELETE {baseUrl}/flows/{flowHandle}` with `Sidkit-Flow-Key` |
 *
 * The flow key (sidkit contract 2) travels only in the `Sidkit-Flow-Key` request header, never
 * in the URL; it overrides any header of the same name from [headers] or [headerProvider]. Do
 * not log request headers. Every response's `Sidkit-Contract` header is checked first
 * (`checkContractVersion`): a backend of another major version is
 * `SidkitException.Flow(CONTRACT_VERSION)`.
 *
 * Errors: a response outside 2xx becomes `SidkitException.Backend` through
 * `backendErrorFromJson` (the contract's error body, RFC 9457 `application/problem+json`);
 * an [IOException] (no network, refused, reset, timeout) becomes
 * `SidkitException.Transport(reason, retryable = true)`; a TLS peer that fails verification or
 * pinning becomes `Transport(reason, retryable = false)`; a 2xx body that breaks the contract
 * becomes `Flow(BAD_RESPONSE)`.
 *
 * The blocking I/O runs on [dispatcher] (`Dispatchers.IO`); cancelling the calling coroutine
 * (the SDK does when a flow is cancelled or its caller gives up) disconnects the connection at
 * once.
 *
 * @param baseUrl the backend's base URL, e.g. `https://rp.example.com/api/smart-id` (for the
 *   reference backend on the emulator's host: `http://10.0.2.2:8090`; cleartext needs a network
 *   security config in debug builds).
 * @param headers fixed headers sent with every request (e.g. an API key).
 * @param headerProvider headers computed per request (e.g. a fresh `Authorization` bearer token);
 *   they override [headers] with the same name. It is called in the calling coroutine, before
 *   the request; an exception it throws arrives in the SDK as `SidkitException.Unexpected`.
 * @param connectTimeout connect timeout.
 * @param readTimeout read timeout (per read, not for the whole call).
 * @param sslSocketFactory for `https` base URLs: a socket factory with the app's own trust
 *   (e.g. an `SSLContext` whose `TrustManager` pins the backend's keys). `null`: the platform's.
 * @param hostnameVerifier for `https` base URLs: a replacement hostname verifier (rarely needed).
 * @param dispatcher where the blocking I/O runs.
 */
class HttpBackendTransport(
    baseUrl: String,
    private val headers: Map<String, String> = emptyMap(),
    private val headerProvider: (suspend () -> Map<String, String>)? = null,
    private val connectTimeout: Duration = 10.seconds,
    private val readTimeout: Duration = 30.seconds,
    private val sslSocketFactory: javax.net.ssl.SSLSocketFactory? = null,
    private val hostnameVerifier: HostnameVerifier? = null,
    private val dispatcher: CoroutineDispatcher = Dispatchers.IO,
) : BackendTransport {

    /** The base URL without a trailing slash. */
    val baseUrl: String = baseUrl.trimEnd('/')

    init {
        require(this.baseUrl.startsWith("https://") || this.baseUrl.startsWith("http://")) {
            "baseUrl must be an http(s) URL"
        }
        require(connectTimeout.isPositive() && readTimeout.isPositive() && connectTimeout.inWholeMilliseconds <= Int.MAX_VALUE && readTimeout.inWholeMilliseconds <= Int.MAX_VALUE) { "timeouts must be positive" }
    }

    /** `POST /flows` with the `Idempotency-Key` header; expects `201` (or `200` for a repeat). */
    override suspend fun startFlow(request: StartFlowRequest): StartFlowResponse {
        val r = call(
            "POST", "/flows", startFlowRequestToJson(request),
            mapOf("Idempotency-Key" to request.idempotencyKey),
        )
        return startFlowResponseFromJson(r)
    }

    /** `POST /flows/{flowHandle}/complete` with the flow key; expects `200` with the outcome. */
    override suspend fun completeFlow(request: CompleteFlowRequest, flowKey: String): FlowOutcome {
        val r = call(
            "POST", "/flows/${pathSegment(request.flowHandle)}/complete", completeFlowRequestToJson(request),
            mapOf(FLOW_KEY_HEADER to flowKey),
        )
        return flowOutcomeFromJson(r)
    }

    /** `GET /flows/{flowHandle}` with the flow key; expects `200` with the status. */
    override suspend fun pollFlow(request: PollFlowRequest, flowKey: String): PollFlowResponse {
        val r = call("GET", "/flows/${pathSegment(request.flowHandle)}", null, mapOf(FLOW_KEY_HEADER to flowKey))
        return pollFlowResponseFromJson(r)
    }

    /** `DELETE /flows/{flowHandle}` with the flow key; expects `204`. */
    override suspend fun cancelFlow(request: CancelFlowRequest, flowKey: String) {
        call("DELETE", "/flows/${pathSegment(request.flowHandle)}", null, mapOf(FLOW_KEY_HEADER to flowKey))
    }

    /** Performs one request and returns the 2xx body; throws the mapped [SidkitException]. */
    private suspend fun call(method: String, path: String, body: String?, extra: Map<String, String> = emptyMap()): String {
        val dynamic = headerProvider?.invoke().orEmpty()
        val conn = try {
            URL(baseUrl + path).openConnection() as HttpURLConnection
        } catch (e: IOException) {
            throw transportError(e)
        }
        conn.requestMethod = method
        conn.connectTimeout = connectTimeout.inWholeMilliseconds.coerceAtLeast(1).toInt()
        conn.readTimeout = readTimeout.inWholeMilliseconds.coerceAtLeast(1).toInt()
        conn.instanceFollowRedirects = false
        conn.useCaches = false
        conn.setRequestProperty("Accept", "application/json, application/problem+json")
        for ((k, v) in headers + dynamic + extra) conn.setRequestProperty(k, v)
        if (conn is HttpsURLConnection) {
            sslSocketFactory?.let { conn.sslSocketFactory = it }
            hostnameVerifier?.let { conn.hostnameVerifier = it }
        }
        val payload = body?.toByteArray(Charsets.UTF_8)
        if (payload != null) {
            conn.doOutput = true
            conn.setRequestProperty("Content-Type", "application/json; charset=utf-8")
            conn.setFixedLengthStreamingMode(payload.size)
        }
        val (status, version, text) = blockingCancellable(conn) {
            if (payload != null) conn.outputStream.use { it.write(payload) }
            val status = conn.responseCode
            val version: String? = conn.getHeaderField(CONTRACT_HEADER)
            val stream = if (status >= 400) conn.errorStream else conn.inputStream
            Triple(status, version, stream?.let(::readLimited) ?: "")
        }
        checkContractVersion(version)
        if (status !in 200..299) throw backendErrorFromJson(status.toUShort(), text)
        return text
    }

    /**
     * Runs the blocking [block] on [dispatcher]; if the caller is cancelled meanwhile it resumes
     * at once and disconnects [conn], which makes the blocked I/O fail and frees the thread.
     */
    private suspend fun <T> blockingCancellable(conn: HttpURLConnection, block: () -> T): T =
        suspendCancellableCoroutine { cont ->
            cont.invokeOnCancellation { conn.disconnect() }
            dispatcher.asExecutor().execute {
                val result = try {
                    Result.success(block())
                } catch (e: IOException) {
                    Result.failure(transportError(e))
                } catch (e: RuntimeException) {
                    Result.failure(SidkitException.Transport(e.toString(), false))
                } finally {
                    if (!cont.isActive) conn.disconnect()
                }
                if (cont.isActive) {
                    result.fold({ cont.resume(it) }, { cont.resumeWithException(it) })
                }
            }
        }

    /** Reads at most [MAX_BODY] bytes of [input] as UTF-8 (the helpers reject longer bodies anyway). */
    private fun readLimited(input: InputStream): String = input.use {
        val out = ByteArrayOutputStream()
        val buf = ByteArray(8192)
        while (true) {
            val n = it.read(buf)
            if (n < 0) break
            out.write(buf, 0, n)
            if (out.size() > MAX_BODY) throw IOException("response body longer than $MAX_BODY bytes")
        }
        out.toString("UTF-8")
    }

    private companion object {
        const val MAX_BODY = 512 * 1024
        const val FLOW_KEY_HEADER = "Sidkit-Flow-Key"
        const val CONTRACT_HEADER = "Sidkit-Contract"

        /** Connectivity problems are retryable; a TLS peer that fails verification is not. */
        fun transportError(e: IOException): SidkitException {
            val certificate = e is SSLPeerUnverifiedException ||
                (e is SSLHandshakeException && generateSequence(e.cause) { it.cause }.any { it is CertificateException })
            return SidkitException.Transport(e.toString(), retryable = !certificate)
        }

        /** Percent-encodes [s] as one URL path segment (only RFC 3986 unreserved characters stay). */
        fun pathSegment(s: String): String {
            val sb = StringBuilder()
            for (b in s.toByteArray(Charsets.UTF_8)) {
                val c = b.toInt() and 0xff
                if (c in 'A'.code..'Z'.code || c in 'a'.code..'z'.code || c in '0'.code..'9'.code ||
                    c == '-'.code || c == '_'.code || c == '.'.code || c == '~'.code
                ) {
                    sb.append(c.toChar())
                } else {
                    sb.append('%').append("0123456789ABCDEF"[c shr 4]).append("0123456789ABCDEF"[c and 15])
                }
            }
            return sb.toString()
        }
    }
}
