// A fake RP backend and the Kotlin transport the tests give the SDK.
//
// The backend plays both its own part and Smart-ID's: it creates sessions with a random session
// secret and callback token, builds real App2App / QR device links (authCode = HMAC-SHA256 over
// the documented payload), checks returned callback URLs as spec §7.3 asks (token binding,
// sessionSecretDigest, userChallengeVerifier, one-shot), and answers polls. Only the backend
// ever sees the secret, the token and the callback URL; the phone gets the commitment.
//
// One file for both Kotlin suites: the Robolectric tests of this source set (Gradle's
// testDebugUnitTest, tests/android/run.sh) and the JVM suite tests/kotlin, whose run.sh compiles
// it with tests/kotlin/src (as does tests/kotlin/bench/run.sh).
package dev.sidkit.tests

import dev.sidkit.ffi.*
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import java.security.MessageDigest
import java.security.SecureRandom
import java.util.Base64
import java.util.Collections
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger
import javax.crypto.Mac
import javax.crypto.spec.SecretKeySpec

const val CALLBACK_BASE = "https://rp.example.com/smart-id/return"
const val LIVE_LINK_BASE = "https://smart-id.com/device-link"
const val DEMO_LINK_BASE = "https://sid.demo.sk.ee/device-link"

// [{"type":"displayTextAndPIN","displayText60":"Log in to Example Bank"}]
val INTERACTIONS_B64: String =
    b64("""[{"type":"displayTextAndPIN","displayText60":"Log in to Example Bank"}]""".toByteArray())

private val rng = SecureRandom()

fun b64url(bytes: ByteArray): String = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes)
fun b64(bytes: ByteArray): String = Base64.getEncoder().encodeToString(bytes)
fun randomBytes(n: Int): ByteArray = ByteArray(n).also { rng.nextBytes(it) }
fun sha256(b: ByteArray): ByteArray = MessageDigest.getInstance("SHA-256").digest(b)
fun randomAlnum(n: Int): String {
    val a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    return (1..n).map { a[rng.nextInt(a.length)] }.joinToString("")
}

/** How the user ends the Smart-ID part. */
enum class Ending { SUCCESS, REFUSED, USER_TIMEOUT }

/** One Smart-ID session as the RP backend holds it. */
class Session(
    val backend: FakeBackend,
    val handle: String,
    val request: StartFlowRequest,
) {
    val sessionToken = randomAlnum(24)
    val sessionSecret = randomBytes(32)
    val rpChallenge = b64(randomBytes(64))
    val digest = b64(randomBytes(64))
    val userChallengeVerifier = b64url(randomBytes(32))
    val callbackToken: String? = if (request.presentation == Presentation.APP2APP) b64url(randomBytes(32)) else null
    val callbackUrl: String? = callbackToken?.let { "${backend.callbackBase}?value=$it" }
    val sessionType = when (request.kind) {
        FlowKind.AUTHENTICATION -> "auth"
        FlowKind.SIGNATURE -> "sign"
        FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE -> "cert"
    }
    @Volatile var ending = backend.ending
    @Volatile var completedWith: String? = null
    @Volatile var outcome: FlowOutcome? = null
    @Volatile var cancelled = false
    /** Smart-ID ended the session without opening the callback (e.g. after a refusal). */
    @Volatile var endedWithoutCallback = false
    val qrPolls = AtomicInteger(0)

    fun sessionTypeEnum() = when (sessionType) {
        "auth" -> SessionType.AUTH
        "sign" -> SessionType.SIGN
        else -> SessionType.CERT
    }

    /** The device link of spec §4.1 with the authCode of spec §5. */
    fun link(type: String, elapsed: Long?): String {
        val unprotected = buildString {
            append(LIVE_LINK_BASE).append("?deviceLinkType=").append(type)
            if (elapsed != null) append("&elapsedSeconds=").append(elapsed)
            append("&sessionToken=").append(sessionToken)
            append("&sessionType=").append(sessionType)
            append("&version=1.0&lang=").append(request.lang)
        }
        val protocol = when (sessionType) { "auth" -> "ACSP_V2"; "sign" -> "RAW_DIGEST_SIGNATURE"; else -> "" }
        val challenge = when (sessionType) { "auth" -> rpChallenge; "sign" -> digest; else -> "" }
        val interactions = if (sessionType == "cert") "" else INTERACTIONS_B64
        val callback = if (type == "QR") "" else callbackUrl.orEmpty()
        val payload = listOf("smart-id", protocol, challenge, b64("DEMO".toByteArray()), "", interactions, callback, unprotected)
            .joinToString("|")
        val mac = Mac.getInstance("HmacSHA256").apply { init(SecretKeySpec(sessionSecret, "HmacSHA256")) }
        return unprotected + "&authCode=" + b64url(mac.doFinal(payload.toByteArray()))
    }

    fun startResponse(): StartFlowResponse {
        val app2app = request.presentation == Presentation.APP2APP
        val link = if (app2app) link("App2App", null) else link("QR", 0)
        val resp = StartFlowResponse(
            flowHandle = handle,
            sessionType = sessionTypeEnum(),
            deviceLink = backend.linkMutator?.invoke(link) ?: link,
            callbackBase = if (app2app) backend.callbackBase else null,
            callbackCommitment = callbackToken?.let { b64url(sha256(it.toByteArray())) },
            expiresInMs = backend.expiresInMs.toULong(),
        )
        return backend.responseMutator?.invoke(resp) ?: resp
    }

    /** What the Smart-ID app opens when the user is done (spec §7.2). */
    fun returnUrl(): String {
        val base = "$callbackUrl&sessionSecretDigest=${b64url(sha256(sessionSecret))}"
        return if (sessionType == "auth") "$base&userChallengeVerifier=$userChallengeVerifier" else base
    }

    fun outcomeFor(): FlowOutcome = when (ending) {
        Ending.REFUSED -> FlowOutcome.Failed(FailureReason.USER_REFUSED, null)
        Ending.USER_TIMEOUT -> FlowOutcome.Failed(FailureReason.TIMEOUT, null)
        Ending.SUCCESS -> if (sessionType == "auth") {
            FlowOutcome.Authenticated(
                Identity(
                    givenName = request.context ?: "QUALIFIED OK1",
                    surname = "TESTNUMBER",
                    identifier = "PNOEE-30303039914",
                    country = "EE",
                    documentNumber = "PNOEE-30303039914-MOCK-Q",
                    certificateLevel = CertificateLevel.QUALIFIED,
                    dateOfBirth = "1903-03-03",
                ),
                appData = "rp-session-$handle",
            )
        } else {
            FlowOutcome.Signed(
                SignatureResult(
                    documentNumber = "PNOEE-30303039914-MOCK-Q",
                    certificateLevel = CertificateLevel.QUALIFIED,
                    signatureAlgorithm = "rsassa-pss",
                    signatureValue = b64(randomBytes(256)),
                    certificate = null,
                ),
                appData = request.context,
            )
        }
    }
}

/** The fake backend. Its knobs let each test script what happens. */
class FakeBackend(val callbackBase: String = CALLBACK_BASE) {
    val sessions = ConcurrentHashMap<String, Session>()
    private val byIdempotencyKey = ConcurrentHashMap<String, Session>()
    val idempotencyKeys: MutableList<String> = Collections.synchronizedList(mutableListOf())

    val startCalls = AtomicInteger()
    val completeCalls = AtomicInteger()
    val pollCalls = AtomicInteger()
    val cancelCalls = AtomicInteger()
    /** Transport calls that were cancelled while running (the SDK stopped waiting). */
    val cancelledCalls = AtomicInteger()

    @Volatile var ending = Ending.SUCCESS
    @Volatile var expiresInMs = 120_000L
    @Volatile var startDelayMs = 0L
    @Volatile var completeDelayMs = 0L
    @Volatile var hangStart = false
    @Volatile var hangComplete = false
    @Volatile var failStarts = 0
    @Volatile var failCompletes = 0
    @Volatile var rejectStartWith: SidkitException? = null
    @Volatile var throwForeign = false
    @Volatile var linkMutator: ((String) -> String)? = null
    @Volatile var responseMutator: ((StartFlowResponse) -> StartFlowResponse)? = null
    @Volatile var qrPollsUntilDone = Int.MAX_VALUE

    fun session(handle: String): Session = sessions[handle] ?: error("no session $handle")
    fun sessionOf(flow: SidkitFlow): Session =
        sessions.values.firstOrNull { s -> flow.deviceLink()?.contains(s.sessionToken) == true }
            ?: error("no session for flow ${flow.id()}")

    private fun error(status: Int, code: String, message: String, retryable: Boolean = false): SidkitException =
        backendErrorFromJson(status.toUShort(), """{"code":"$code","message":"$message","retryable":$retryable}""")

    private suspend inline fun <T> tracked(block: () -> T): T =
        try {
            block()
        } catch (e: CancellationException) {
            cancelledCalls.incrementAndGet()
            throw e
        }

    suspend fun start(req: StartFlowRequest): StartFlowResponse = tracked {
        startCalls.incrementAndGet()
        idempotencyKeys.add(req.idempotencyKey)
        if (startDelayMs > 0) delay(startDelayMs)
        if (hangStart) awaitCancellation()
        if (throwForeign) throw IllegalStateException("boom from the app's HTTP client")
        rejectStartWith?.let { throw it }
        synchronized(this) {
            if (failStarts > 0) {
                failStarts--
                throw SidkitException.Transport("connection reset", true)
            }
        }
        val s = byIdempotencyKey.computeIfAbsent(req.idempotencyKey) {
            Session(this, "fh_" + b64url(randomBytes(18)), req).also { sessions[it.handle] = it }
        }
        s.startResponse()
    }

    /** The session of [handle] if [flowKey] is its key (contract 2: else "not found", as for an unknown handle). */
    private fun owned(handle: String, flowKey: String): Session {
        val s = sessions[handle] ?: throw error(404, "flow_not_found", "no such flow")
        val key = try {
            Base64.getUrlDecoder().decode(flowKey)
        } catch (e: IllegalArgumentException) {
            throw error(404, "flow_not_found", "no such flow")
        }
        val challenge = b64url(sha256(key))
        if (key.size != 32 || !MessageDigest.isEqual(challenge.toByteArray(), s.request.flowKeyChallenge.toByteArray())) {
            throw error(404, "flow_not_found", "no such flow")
        }
        return s
    }

    private fun kindOf(o: FlowOutcome): OutcomeKind = when (o) {
        is FlowOutcome.Authenticated -> OutcomeKind.AUTHENTICATED
        is FlowOutcome.Signed -> OutcomeKind.SIGNED
        is FlowOutcome.Failed -> OutcomeKind.FAILED
    }

    /** A finished answer after the outcome was delivered: the kind only (failures in full). */
    private fun later(o: FlowOutcome): PollFlowResponse =
        PollFlowResponse.Finished(kindOf(o), if (o is FlowOutcome.Failed) o else null)

    suspend fun complete(req: CompleteFlowRequest, flowKey: String): FlowOutcome = tracked {
        completeCalls.incrementAndGet()
        if (completeDelayMs > 0) delay(completeDelayMs)
        if (hangComplete) awaitCancellation()
        synchronized(this) {
            if (failCompletes > 0) {
                failCompletes--
                throw SidkitException.Transport("read timeout", true)
            }
        }
        val s = owned(req.flowHandle, flowKey)
        if (s.cancelled) throw error(410, "flow_expired", "the flow was cancelled")
        synchronized(s) {
            s.completedWith?.let {
                // Idempotent for the same URL; a callback is never accepted twice otherwise.
                if (it == req.returnUrl) return@tracked s.outcome!!
                throw error(403, "callback_rejected", "callback already used")
            }
            verifyCallback(s, req.returnUrl)
            s.completedWith = req.returnUrl
            s.outcome = s.outcomeFor()
            s.outcome!!
        }
    }

    /** Spec §7.3 steps 1-3 (this fake has no Smart-ID signature to verify). */
    private fun verifyCallback(s: Session, url: String) {
        val prefix = s.callbackUrl + "&"
        if (!url.startsWith(prefix)) throw error(403, "callback_rejected", "not this session's callback")
        val params = url.substring(prefix.length).split("&").associate {
            val (n, v) = it.split("=", limit = 2); n to v
        }
        val digest = params["sessionSecretDigest"] ?: throw error(403, "callback_rejected", "no digest")
        if (!MessageDigest.isEqual(digest.toByteArray(), b64url(sha256(s.sessionSecret)).toByteArray())) {
            throw error(403, "callback_rejected", "sessionSecretDigest mismatch")
        }
        if (s.sessionType == "auth") {
            val v = params["userChallengeVerifier"] ?: throw error(403, "callback_rejected", "no verifier")
            val expected = b64url(sha256(s.userChallengeVerifier.toByteArray()))
            if (!MessageDigest.isEqual(b64url(sha256(v.toByteArray())).toByteArray(), expected.toByteArray())) {
                throw error(403, "verification_failed", "userChallenge mismatch")
            }
        }
    }

    suspend fun poll(req: PollFlowRequest, flowKey: String): PollFlowResponse = tracked {
        pollCalls.incrementAndGet()
        val s = owned(req.flowHandle, flowKey)
        synchronized(s) {
            val o = s.outcome
            when {
                // Delivered once: every read after the one that finished the flow gets the kind.
                o != null -> later(o)
                s.request.presentation == Presentation.QR -> {
                    val n = s.qrPolls.incrementAndGet()
                    if (n >= qrPollsUntilDone) s.outcomeFor().also { s.outcome = it }.let { PollFlowResponse.Finished(kindOf(it), it) }
                    else PollFlowResponse.Pending(s.link("QR", n.toLong()))
                }
                s.endedWithoutCallback -> s.outcomeFor().also { s.outcome = it }.let { PollFlowResponse.Finished(kindOf(it), it) }
                else -> PollFlowResponse.Pending(null)
            }
        }
    }

    suspend fun cancel(req: CancelFlowRequest, flowKey: String) {
        tracked {
            cancelCalls.incrementAndGet()
            owned(req.flowHandle, flowKey).cancelled = true
        }
    }
}

/** The transport an app would implement with its HTTP client; here it calls the fake directly. */
class FakeTransport(private val backend: FakeBackend) : BackendTransport {
    override suspend fun startFlow(request: StartFlowRequest): StartFlowResponse = backend.start(request)
    override suspend fun completeFlow(request: CompleteFlowRequest, flowKey: String): FlowOutcome =
        backend.complete(request, flowKey)
    override suspend fun pollFlow(request: PollFlowRequest, flowKey: String): PollFlowResponse =
        backend.poll(request, flowKey)
    override suspend fun cancelFlow(request: CancelFlowRequest, flowKey: String) = backend.cancel(request, flowKey)
}
