// Cross-language end to end: the generated Kotlin bindings and the Android library's
// HttpBackendTransport (plain java.net, compiled here for the JVM) against the reference backend
// (`smartid serve`: backend kit + simulator) over loopback HTTP.
//
//   Kotlin flow API → libsidkit (Rust, JNA) → Kotlin HttpBackendTransport → HTTP → Rust backend
//   → RP API simulator → simulated Smart-ID app → return URL → router → complete → verified outcome
//
// Own harness (no JUnit): every test is listed in TESTS; the last line is "N passed, N failed".
package dev.sidkit.e2e

import dev.sidkit.android.HttpBackendTransport
import dev.sidkit.ffi.*
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.net.HttpURLConnection
import java.net.URL
import kotlin.system.exitProcess
import kotlin.test.assertEquals
import kotlin.test.assertFalse
import kotlin.test.assertNotNull
import kotlin.test.assertTrue
import kotlin.test.fail

val BACKEND: String = System.getProperty("sidkit.backend") ?: error("-Dsidkit.backend is required")
val CALLBACK_BASE: String = System.getProperty("sidkit.callbackBase") ?: error("-Dsidkit.callbackBase is required")
const val DEMO_LINK_BASE = "https://sid.demo.sk.ee/device-link"

/** The reference backend's development route that plays the Smart-ID app: returns the return URL. */
fun smartIdAppOpens(deviceLink: String, documentNumber: String? = null): Pair<String, String?> {
    val c = URL("$BACKEND/dev/smart-id-app").openConnection() as HttpURLConnection
    c.requestMethod = "POST"
    c.doOutput = true
    c.setRequestProperty("Content-Type", "application/json")
    val doc = documentNumber?.let { ",\"documentNumber\":\"$it\"" } ?: ""
    c.outputStream.use { it.write("{\"deviceLink\":\"$deviceLink\"$doc}".toByteArray()) }
    val body = (if (c.responseCode < 400) c.inputStream else c.errorStream).readBytes().decodeToString()
    assertEquals(200, c.responseCode, body)
    val end = Regex("\"endResult\"\\s*:\\s*\"([A-Z_]+)\"").find(body)?.groupValues?.get(1) ?: fail("no endResult in $body")
    val ret = Regex("\"returnUrl\"\\s*:\\s*\"([^\"]+)\"").find(body)?.groupValues?.get(1)
    return end to ret
}

/** A raw contract call: status and body (for the attacker's side, who has no SDK flow). */
fun raw(method: String, path: String, flowKey: String? = null, body: String? = null): Pair<Int, String> {
    val c = URL("$BACKEND$path").openConnection() as HttpURLConnection
    c.requestMethod = method
    flowKey?.let { c.setRequestProperty("Sidkit-Flow-Key", it) }
    if (body != null) {
        c.doOutput = true
        c.setRequestProperty("Content-Type", "application/json")
        c.outputStream.use { it.write(body.toByteArray()) }
    }
    val status = c.responseCode
    val text = ((if (status < 400) c.inputStream else c.errorStream)?.readBytes() ?: ByteArray(0)).decodeToString()
    return status to text
}

/** A field of the snapshot JSON (where an attacker who reads logs finds the handle, too). */
fun snapshotField(snapshot: String, name: String): String =
    Regex("\"$name\":\"([^\"]+)\"").find(snapshot)?.groupValues?.get(1) ?: fail("no $name in the snapshot")

fun client(transport: BackendTransport = HttpBackendTransport(BACKEND)) =
    SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.DEMO, listOf(), null), transport)

const val ACCOUNT = "PNOEE-40404040009-MOCK-Q"

suspend fun launch(c: SidkitClient, kind: FlowKind, context: String? = null): Pair<SidkitFlow, String> {
    val flow = c.createFlow(FlowRequest(kind, Presentation.APP2APP, "eng", context))
    val step = flow.start()
    assertTrue(step is FlowStep.LaunchApp, "step $step")
    assertTrue(step.deviceLink.startsWith("$DEMO_LINK_BASE?deviceLinkType=App2App&sessionToken="), step.deviceLink)
    flow.markLaunched()
    return flow to step.deviceLink
}

val TESTS: List<Pair<String, suspend () -> Unit>> = listOf(
    "App2App authentication ends with a verified identity" to {
        client().use { c ->
            val (flow, link) = launch(c, FlowKind.AUTHENTICATION)
            // The phone holds the link, a commitment and its own flow key, never the Smart-ID
            // session's secret-bearing values.
            val snap = assertNotNull(flow.snapshot())
            for (secret in listOf("sessionSecret", "rpChallenge", "initialCallbackUrl")) assertFalse(snap.contains(secret))
            assertTrue(Regex("\"flowKey\":\"[A-Za-z0-9_-]{43}\"").containsMatchIn(snap), snap)
            val (end, returnUrl) = smartIdAppOpens(link)
            assertEquals("OK", end)
            assertNotNull(returnUrl)
            assertTrue(returnUrl.startsWith(CALLBACK_BASE), returnUrl)
            assertEquals(flow.id(), c.findFlow(returnUrl).id())
            val o = c.handleReturnUrl(returnUrl)
            assertTrue(o is FlowOutcome.Authenticated, "outcome $o")
            assertEquals("PNOEE-40404040009", o.identity.identifier)
            assertEquals("EE", o.identity.country)
            assertEquals(FlowStatus.Finished(o), flow.status())
            println("     identity: ${o.identity.givenName} ${o.identity.surname}, ${o.identity.identifier}, ${o.identity.certificateLevel}")
        }
    },

    "App2App signature ends with a verified signature" to {
        client().use { c ->
            // The reference backend's demo policy: the context names the signer's document.
            val (_, link) = launch(c, FlowKind.SIGNATURE, ACCOUNT)
            val (end, returnUrl) = smartIdAppOpens(link)
            assertEquals("OK", end)
            val o = c.handleReturnUrl(assertNotNull(returnUrl))
            assertTrue(o is FlowOutcome.Signed, "outcome $o")
            assertTrue(o.signature.signatureValue.isNotEmpty())
        }
    },

    "certificate choice + linked signature ends with a verified signature" to {
        client().use { c ->
            val (_, link) = launch(c, FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE)
            assertTrue(link.contains("&sessionType=cert&"), link)
            // The simulated user chooses the certificate, then signs the linked session; the
            // Smart-ID app opens the certificate choice's callback only after that (spec §7.2).
            val (end, returnUrl) = smartIdAppOpens(link)
            assertEquals("OK", end)
            val o = c.handleReturnUrl(assertNotNull(returnUrl))
            assertTrue(o is FlowOutcome.Signed, "outcome $o")
            assertTrue(o.signature.signatureValue.isNotEmpty())
        }
    },

    "the same return URL twice gives the same outcome; another client cannot replay it" to {
        val returnUrl = client().use { c ->
            val (_, link) = launch(c, FlowKind.AUTHENTICATION)
            val returnUrl = assertNotNull(smartIdAppOpens(link).second)
            val first = c.handleReturnUrl(returnUrl)
            assertTrue(first is FlowOutcome.Authenticated)
            // The OS may deliver the App Link twice: same answer, no second completion.
            assertEquals(first, c.handleReturnUrl(returnUrl))
            returnUrl
        }
        // A fresh app instance without the flow does not know the URL.
        client().use { c ->
            try {
                c.handleReturnUrl(returnUrl)
                fail("a return URL of an unknown flow was accepted")
            } catch (e: SidkitException.ReturnUrlRejected) {
            }
        }
    },

    "a forged return URL is refused on the phone and never reaches the backend" to {
        client().use { c ->
            val (flow, link) = launch(c, FlowKind.AUTHENTICATION)
            val returnUrl = assertNotNull(smartIdAppOpens(link).second)
            val forged = returnUrl.replace(Regex("value=[^&]+"), "value=AAAAAAAAAAAAAAAAAAAAAA")
            try {
                c.handleReturnUrl(forged)
                fail("a forged return URL was accepted")
            } catch (e: SidkitException.ReturnUrlRejected) {
            }
            // The real one still completes.
            assertTrue(c.handleReturnUrl(returnUrl) is FlowOutcome.Authenticated)
            assertTrue(flow.status() is FlowStatus.Finished)
        }
    },

    "a user refusal in the Smart-ID app arrives as a typed failure" to {
        client().use { c ->
            val (flow, link) = launch(c, FlowKind.AUTHENTICATION)
            val (end, returnUrl) = smartIdAppOpens(link, "PNOEE-30403039917-MOCK-Q")
            assertEquals("USER_REFUSED", end, "account PNOEE-30403039917-MOCK-Q refuses in the simulator")
            // With a return URL the app completes; without one it asks the backend on resume.
            val o = if (returnUrl != null) {
                c.handleReturnUrl(returnUrl)
            } else {
                val p = flow.poll()
                assertTrue(p is FlowProgress.Finished, "progress $p")
                p.outcome
            }
            assertTrue(o is FlowOutcome.Failed, "outcome $o")
            assertEquals(FailureReason.USER_REFUSED, o.reason)
        }
    },

    "process death: a new client restores the flow from its snapshot and completes it" to {
        val (snapshot, link) = client().use { c ->
            val (flow, l) = launch(c, FlowKind.AUTHENTICATION)
            assertNotNull(flow.snapshot()) to l
        }
        val returnUrl = assertNotNull(smartIdAppOpens(link).second)
        client().use { c ->
            val restored = c.restoreFlow(snapshot)
            assertTrue(restored.status() is FlowStatus.AwaitingReturn, "status ${restored.status()}")
            assertTrue(c.handleReturnUrl(returnUrl) is FlowOutcome.Authenticated)
        }
    },

    "contract 2: a handle without the flow key reads, cancels and completes nothing" to {
        client().use { c ->
            val (flow, link) = launch(c, FlowKind.AUTHENTICATION)
            val snap = assertNotNull(flow.snapshot())
            val handle = snapshotField(snap, "flowHandle")
            val key = snapshotField(snap, "flowKey")
            val stranger = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8"
            val unknown = raw("GET", "/flows/fh_AAAAAAAAAAAAAAAAAAAAAAAA")
            assertEquals(404, unknown.first)
            val returnUrl = assertNotNull(smartIdAppOpens(link).second)
            val completeBody = "{\"flowHandle\":\"$handle\",\"returnUrl\":\"$returnUrl\"}"
            // The user confirmed; an attacker with the handle (and the return URL) but not the
            // key tries to cancel, read and complete the flow: each is an unknown flow.
            for (k in listOf(null, stranger)) {
                assertEquals(unknown, raw("DELETE", "/flows/$handle", k))
                assertEquals(unknown, raw("GET", "/flows/$handle", k))
                assertEquals(unknown, raw("GET", "/flows/$handle/qr", k))
                assertEquals(unknown, raw("POST", "/flows/$handle/complete", k, completeBody))
            }
            // A wrong userChallengeVerifier, even with the key, does not burn the flow.
            val forged = returnUrl.replace(Regex("userChallengeVerifier=.")) { m ->
                "userChallengeVerifier=" + if (m.value.last() == 'A') "B" else "A"
            }
            val refused = raw("POST", "/flows/$handle/complete", key, "{\"flowHandle\":\"$handle\",\"returnUrl\":\"$forged\"}")
            assertEquals(403, refused.first, refused.second)
            // The app completes with its key and gets the identity ...
            val o = c.handleReturnUrl(returnUrl)
            assertTrue(o is FlowOutcome.Authenticated, "outcome $o")
            val appData = assertNotNull(o.appData)
            // ... which nobody reads again: without the key the flow does not exist, with it a
            // later read reports only how the flow ended.
            assertEquals(unknown, raw("GET", "/flows/$handle"))
            assertEquals(unknown, raw("GET", "/flows/$handle/qr", stranger))
            val later = raw("GET", "/flows/$handle", key)
            assertEquals(200 to "{\"status\":\"finished\",\"result\":\"authenticated\"}", later)
            assertFalse(later.second.contains(appData))
            // A finished flow is not cancelled into a refusal.
            assertEquals(409, raw("DELETE", "/flows/$handle", key).first)
        }
    },

    "contract 2: a return URL the backend refuses does not end the app's flow; the genuine one completes it" to {
        client().use { c ->
            val (flow, link) = launch(c, FlowKind.AUTHENTICATION)
            val returnUrl = assertNotNull(smartIdAppOpens(link).second)
            val forged = returnUrl.replace(Regex("userChallengeVerifier=.")) { m ->
                "userChallengeVerifier=" + if (m.value.last() == 'A') "B" else "A"
            }
            try {
                c.handleReturnUrl(forged)
                fail("a wrong userChallengeVerifier was accepted")
            } catch (e: SidkitException.Backend) {
                assertEquals("callback_rejected", e.backendCode)
            }
            assertTrue(flow.status() is FlowStatus.AwaitingReturn, "status ${flow.status()}")
            assertTrue(c.handleReturnUrl(returnUrl) is FlowOutcome.Authenticated)
        }
    },

    "contract 2: an Idempotency-Key replayed with another challenge is a conflict, never the handle" to {
        val body = { challenge: String ->
            "{\"kind\":\"authentication\",\"presentation\":\"app2app\",\"lang\":\"eng\",\"idempotencyKey\":\"e2e-predictable-key-01\",\"flowKeyChallenge\":\"$challenge\"}"
        }
        val first = raw("POST", "/flows", body = body("Yw3NKWbEM2aRElRIu7JbT_QSpJxzLbLIq8G4WBvXEN0"))
        assertEquals(201, first.first, first.second)
        val handle = Regex("\"flowHandle\":\"([^\"]+)\"").find(first.second)!!.groupValues[1]
        val other = raw("POST", "/flows", body = body("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        assertEquals(409, other.first, other.second)
        assertTrue(other.second.contains("idempotency_conflict"), other.second)
        assertFalse(other.second.contains(handle))
        // A contract-1 start (no challenge) is told which version the backend speaks.
        val v1 = raw("POST", "/flows", body = "{\"kind\":\"authentication\",\"presentation\":\"app2app\",\"lang\":\"eng\",\"idempotencyKey\":\"e2e-contract-1-key-01\"}")
        assertEquals(400, v1.first)
        assertTrue(v1.second.contains("contract_version"), v1.second)
    },

    "the backend's problem details arrive as SidkitException.Backend" to {
        val t = HttpBackendTransport(BACKEND)
        try {
            t.pollFlow(PollFlowRequest("no-such-flow-handle-000000000000"), "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")
            fail("polling an unknown flow succeeded")
        } catch (e: SidkitException.Backend) {
            assertEquals(404, e.httpStatus.toInt())
            assertEquals("flow_not_found", e.backendCode)
            assertFalse(e.retryable)
        }
    },
)

fun main() {
    var passed = 0
    var failed = 0
    for ((name, test) in TESTS) {
        try {
            runBlocking { withTimeout(20_000) { test() } }
            println("ok   $name")
            passed++
        } catch (e: Throwable) {
            println("FAIL $name: $e")
            e.printStackTrace(System.out)
            failed++
        }
    }
    println("$passed passed, $failed failed")
    exitProcess(if (failed == 0) 0 else 1)
}
