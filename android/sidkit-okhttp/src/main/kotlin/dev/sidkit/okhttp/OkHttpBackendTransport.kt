package dev.sidkit.okhttp

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
import kotlinx.coroutines.suspendCancellableCoroutine
import okhttp3.Call
import okhttp3.Callback
import okhttp3.CertificatePinner
import okhttp3.HttpUrl
import okhttp3.HttpUrl.Companion.toHttpUrl
import okhttp3.MediaType.Companion.toMediaType
import okhttp3.OkHttpClient
import okhttp3.Request
import okhttp3.RequestBody.Companion.toRequestBody
import okhttp3.Response
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.security.cert.CertificateException
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.SSLPeerUnverifiedException
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds
import kotlin.time.toJavaDuration

/**
 * A [BackendTransport] over OkHttp, with the same contract semantics as the library's default
 * `HttpBackendTransport` (artifact `dev.sidkit:sidkit-okhttp`):
 *
 * | call | HTTP |
 * |---|---|
 * | `startFlow` | `POST {baseUrl}/flows` with `Idempotency-Key` |
 * | `completeFlow` | `POST {baseUrl}/flows/{flowHandle}/complete` with `Sidkit-Flow-Key` |
 * | `pollFlow` | `GET {baseUrl}/flows/{flowHandle}` with `Sidkit-Flow-Key` |
 * | `cancelFlow` | `DELETE {baseUrl}/flows/{flowHandle}` with `Sidkit-Flow-Key` |
 *
 * The flow key travels only in the `Sidkit-Flow-Key` header (never in the URL) and overrides a
 * header of that name from [headers] or [headerProvider]; do not log request headers (an
 * `HttpLoggingInterceptor` on [client] must redact it). Every response's `Sidkit-Contract`
 * header is checked first (`SidkitException.Flow(CONTRACT_VERSION)`).
 *
 * Errors: a response outside 2xx is `SidkitException.Backend` (`backendErrorFromJson`); an
 * [IOException] (no network, refused, reset, timeout) is `SidkitException.Transport(reason,
 * retryable = true)`; a TLS peer that fails verification or the [certificatePinner] is
 * `Transport(reason, retryable = false)`; a 2xx body that breaks the contract is
 * `Flow(BAD_RESPONSE)`; a body over 512 KiB is a retryable `Transport` error.
 *
 * The transport does not retry and does not follow redirects (its client is derived from
 * [client] with `retryOnConnectionFailure(false)`, `followRedirects(false)`,
 * `followSslRedirects(false)` and the timeouts below): the SDK decides what to repeat.
 * Cancelling the calling coroutine cancels the OkHttp call at once.
 *
 * **Certificate pinning**: pass OkHttp's [CertificatePinner], e.g.
 * `CertificatePinner.Builder().add("rp.example.com", "sha256/AAAA...=", "sha256/BBBB...=").build()`
 * (pin the backend's current and its next key).
 *
 * **Lifecycle**: the transport owns nothing that must be closed; [client]'s dispatcher and
 * connection pool belong to whoever built it (share one `OkHttpClient` in the app).
 *
 * @param baseUrl the backend's base URL, e.g. `https://rp.example.com/api/smart-id`.
 * @param client the app's OkHttp client (its interceptors, proxy, DNS, cache are kept).
 * @param certificatePinner pins for the backend's host, or `null` to keep [client]'s.
 * @param headers fixed headers sent with every request (e.g. an API key).
 * @param headerProvider headers computed per request (e.g. a fresh bearer token); they
 *   override [headers]. An exception it throws arrives in the SDK as `SidkitException.Unexpected`.
 * @param connectTimeout connect timeout.
 * @param readTimeout read timeout.
 */
class OkHttpBackendTransport(
    baseUrl: String,
    client: OkHttpClient = OkHttpClient(),
    certificatePinner: CertificatePinner? = null,
    private val headers: Map<String, String> = emptyMap(),
    private val headerProvider: (suspend () -> Map<String, String>)? = null,
    connectTimeout: Duration = 10.seconds,
    readTimeout: Duration = 30.seconds,
) : BackendTransport {

    /** The base URL without a trailing slash. */
    val baseUrl: String = baseUrl.trimEnd('/')

    private val base: HttpUrl

    private val http: OkHttpClient

    init {
        require(this.baseUrl.startsWith("https://") || this.baseUrl.startsWith("http://")) {
            "baseUrl must be an http(s) URL"
        }
        require(connectTimeout.isPositive() && readTimeout.isPositive()) { "timeouts must be positive" }
        base = this.baseUrl.toHttpUrl()
        http = client.newBuilder()
            .connectTimeout(connectTimeout.toJavaDuration())
            .readTimeout(readTimeout.toJavaDuration())
            .writeTimeout(readTimeout.toJavaDuration())
            .retryOnConnectionFailure(false)
            .followRedirects(false)
            .followSslRedirects(false)
            .apply { if (certificatePinner != null) certificatePinner(certificatePinner) }
            .build()
    }

    /** `POST /flows` with the `Idempotency-Key` header; expects `201` (or `200` for a repeat). */
    override suspend fun startFlow(request: StartFlowRequest): StartFlowResponse {
        val r = call("POST", listOf("flows"), startFlowRequestToJson(request), mapOf("Idempotency-Key" to request.idempotencyKey))
        return startFlowResponseFromJson(r)
    }

    /** `POST /flows/{flowHandle}/complete` with the flow key; expects `200` with the outcome. */
    override suspend fun completeFlow(request: CompleteFlowRequest, flowKey: String): FlowOutcome {
        val r = call(
            "POST", listOf("flows", request.flowHandle, "complete"), completeFlowRequestToJson(request),
            mapOf(FLOW_KEY_HEADER to flowKey),
        )
        return flowOutcomeFromJson(r)
    }

    /** `GET /flows/{flowHandle}` with the flow key; expects `200` with the status. */
    override suspend fun pollFlow(request: PollFlowRequest, flowKey: String): PollFlowResponse {
        val r = call("GET", listOf("flows", request.flowHandle), null, mapOf(FLOW_KEY_HEADER to flowKey))
        return pollFlowResponseFromJson(r)
    }

    /** `DELETE /flows/{flowHandle}` with the flow key; expects `204`. */
    override suspend fun cancelFlow(request: CancelFlowRequest, flowKey: String) {
        call("DELETE", listOf("flows", request.flowHandle), null, mapOf(FLOW_KEY_HEADER to flowKey))
    }

    /** Performs one request and returns the 2xx body; throws the mapped [SidkitException]. */
    private suspend fun call(method: String, segments: List<String>, body: String?, extra: Map<String, String>): String {
        val dynamic = headerProvider?.invoke().orEmpty()
        val url = base.newBuilder().apply { segments.forEach { addPathSegment(it) } }.build()
        val builder = Request.Builder()
            .url(url)
            .header("Accept", "application/json, application/problem+json")
        for ((k, v) in headers + dynamic + extra) builder.header(k, v)
        val requestBody = body?.toRequestBody(JSON)
        builder.method(method, requestBody)
        val call = http.newCall(builder.build())
        val (status, version, text) = await(call)
        checkContractVersion(version)
        if (status !in 200..299) throw backendErrorFromJson(status.toUShort(), text)
        return text
    }

    /** Enqueues [call]; cancelling the caller cancels it. Reads the body within the limit. */
    private suspend fun await(call: Call): Triple<Int, String?, String> =
        suspendCancellableCoroutine { cont ->
            cont.invokeOnCancellation { call.cancel() }
            call.enqueue(
                object : Callback {
                    override fun onFailure(call: Call, e: IOException) {
                        if (cont.isActive) cont.resumeWithException(transportError(e))
                    }

                    override fun onResponse(call: Call, response: Response) {
                        val result = try {
                            response.use { r ->
                                Result.success(Triple(r.code, r.header(CONTRACT_HEADER), readLimited(r)))
                            }
                        } catch (e: IOException) {
                            Result.failure(transportError(e))
                        }
                        if (cont.isActive) result.fold({ cont.resume(it) }, { cont.resumeWithException(it) })
                    }
                },
            )
        }

    private companion object {
        const val MAX_BODY = 512 * 1024
        const val FLOW_KEY_HEADER = "Sidkit-Flow-Key"
        const val CONTRACT_HEADER = "Sidkit-Contract"
        val JSON = "application/json; charset=utf-8".toMediaType()

        /** Reads at most [MAX_BODY] bytes of the body as UTF-8. */
        fun readLimited(r: Response): String {
            val source = r.body.byteStream()
            val out = ByteArrayOutputStream()
            val buf = ByteArray(8192)
            while (true) {
                val n = source.read(buf)
                if (n < 0) break
                out.write(buf, 0, n)
                if (out.size() > MAX_BODY) throw IOException("response body longer than $MAX_BODY bytes")
            }
            return out.toString("UTF-8")
        }

        /** Connectivity problems are retryable; a TLS peer that fails verification or pinning is not. */
        fun transportError(e: IOException): SidkitException {
            val certificate = e is SSLPeerUnverifiedException ||
                (e is SSLHandshakeException && generateSequence(e.cause) { it.cause }.any { it is CertificateException })
            return SidkitException.Transport(e.toString(), retryable = !certificate)
        }
    }
}
