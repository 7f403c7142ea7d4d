package dev.sidkit.android.tests

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.net.Uri
import dev.sidkit.android.DeviceLinkLauncher
import dev.sidkit.android.LaunchResult
import dev.sidkit.android.NoBackupSnapshotStore
import dev.sidkit.android.ReturnResult
import dev.sidkit.android.SmartIdException
import dev.sidkit.android.SmartIdFlowCoordinator
import dev.sidkit.android.SmartIdFlowState
import dev.sidkit.android.SmartIdLanguage
import dev.sidkit.android.SmartIdRequest
import dev.sidkit.android.SnapshotStore
import dev.sidkit.ffi.FailureReason
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.ReturnUrlRejectionKind
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitConfig
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.SmartIdEnvironment
import dev.sidkit.ffi.backendErrorFromJson
import dev.sidkit.tests.CALLBACK_BASE
import dev.sidkit.tests.Ending
import dev.sidkit.tests.FakeBackend
import dev.sidkit.tests.FakeTransport
import dev.sidkit.tests.LIVE_LINK_BASE
import dev.sidkit.tests.SMART_ID_APP
import dev.sidkit.tests.Session
import dev.sidkit.tests.b64url
import dev.sidkit.tests.randomBytes
import dev.sidkit.tests.registerLinkHandler
import dev.sidkit.tests.returnIntent
import java.io.File
import kotlin.time.Duration.Companion.milliseconds
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.async
import kotlinx.coroutines.cancel
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.After
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Assert.fail
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config

private const val WAIT_MS = 10_000L


suspend fun SmartIdFlowCoordinator.awaitLaunched(): SmartIdFlowState.AwaitingReturn =
    withTimeout(WAIT_MS) { state.first { it is SmartIdFlowState.AwaitingReturn && it.launched } } as SmartIdFlowState.AwaitingReturn

suspend fun SmartIdFlowCoordinator.awaitState(p: (SmartIdFlowState) -> Boolean): SmartIdFlowState =
    withTimeout(WAIT_MS) { state.first(p) }

/** The backend session of the coordinator's pending flow (found by its device link). */
fun FakeBackend.sessionOf(c: SmartIdFlowCoordinator): Session {
    val link = when (val s = c.state.value) {
        is SmartIdFlowState.AwaitingReturn -> s.deviceLink
        is SmartIdFlowState.ShowingQr -> s.deviceLink
        else -> error("no link in ${c.state.value}")
    }
    return sessions.values.first { link.contains(it.sessionToken) }
}

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class SmartIdFlowCoordinatorTest {
    private lateinit var activity: Activity
    private lateinit var backend: FakeBackend
    private lateinit var client: SidkitClient
    private lateinit var scope: CoroutineScope

    @Before
    fun setUp() {
        activity = Robolectric.buildActivity(Activity::class.java).setup().get()
        registerLinkHandler(SMART_ID_APP, "smart-id.com")
        backend = FakeBackend()
        client = newClient()
        scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    }

    @After
    fun tearDown() {
        scope.cancel()
    }

    private fun newClient() =
        SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE), FakeTransport(backend))

    private fun controller(
        c: SidkitClient = client,
        store: SnapshotStore? = null,
        owner: CoroutineScope = scope,
        launcher: DeviceLinkLauncher = DeviceLinkLauncher(sdkInt = 34),
    ) = SmartIdFlowCoordinator(c, owner, launcher, store)

    private val authRequest = SmartIdRequest()

    @Test
    fun authenticateOpensTheLinkAndCompletesThroughTheAppLink() {
        runBlocking {
            val c = controller()
            assertEquals(SmartIdFlowState.Idle, c.state.value)
            val result = async { c.authenticate(activity) }
            val waiting = c.awaitLaunched()
            val opened = shadowOf(activity).nextStartedActivity
            assertEquals(Intent.ACTION_VIEW, opened.action)
            assertEquals(waiting.deviceLink, opened.dataString)
            assertTrue(opened.dataString!!.startsWith("$LIVE_LINK_BASE?deviceLinkType=App2App&"))
            assertTrue(opened.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER != 0)
            assertNotNull("a pending flow has a snapshot", c.snapshot())

            val session = backend.sessions.values.single()
            assertTrue(c.handle(returnIntent(session.returnUrl())))
            val outcome = withTimeout(WAIT_MS) { result.await() } as FlowOutcome.Authenticated
            assertEquals("PNOEE-30303039914", outcome.identity.identifier)
            val end = c.state.value as SmartIdFlowState.Finished
            assertNotNull(c.currentFlowId)
            assertEquals(outcome, end.outcome)
            assertEquals(1, backend.completeCalls.get())
            assertNull("an ended flow has nothing to resume", c.snapshot())
        }
    }

    @Test
    fun signAndCertificateChoicePassTheContextAndReturnSignatures() {
        runBlocking {
            val c = controller()
            val signing = async { c.sign(activity, signingContext = "doc-17", lang = SmartIdLanguage.EST) }
            c.awaitLaunched()
            val id1 = c.currentFlowId
            val s1 = backend.sessionOf(c)
            assertEquals("sign", s1.sessionType)
            assertEquals("doc-17", s1.request.context)
            assertEquals("est", s1.request.lang)
            assertTrue(c.handle(returnIntent(s1.returnUrl())))
            val signed = withTimeout(WAIT_MS) { signing.await() } as FlowOutcome.Signed
            assertEquals("doc-17", signed.appData)

            val choosing = async { c.chooseCertificateAndSign(activity, "doc-18") }
            val waiting = c.awaitState { it is SmartIdFlowState.AwaitingReturn && it.launched && c.currentFlowId != id1 }
            val s2 = backend.sessionOf(c)
            assertEquals("cert", s2.sessionType)
            assertTrue((waiting as SmartIdFlowState.AwaitingReturn).deviceLink.contains("sessionType=cert"))
            assertTrue(c.handle(returnIntent(s2.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { choosing.await() } is FlowOutcome.Signed)
        }
    }

    @Test
    fun foreignIntentsAreIgnoredAndLeaveTheFlowAlone() {
        runBlocking {
            val c = controller()
            val unknown = "$CALLBACK_BASE?value=${b64url(randomBytes(32))}&sessionSecretDigest=${b64url(randomBytes(32))}"
            assertFalse("no flow yet", c.handle(returnIntent(unknown)))
            val job = async { c.authenticate(activity) }
            val waiting = c.awaitLaunched()
            val good = backend.sessions.values.single().returnUrl()
            val foreign = listOf(
                null,
                Intent(Intent.ACTION_MAIN),
                Intent(Intent.ACTION_VIEW),
                Intent(Intent.ACTION_SEND, Uri.parse(good)),
                returnIntent(good.replaceFirst("https://", "http://")),
                returnIntent(good.replace("rp.example.com", "evil.example.com")),
                returnIntent(good.replace("/smart-id/return", "/smart-id/other")),
                returnIntent("https://rp.example.com/"),
                returnIntent(unknown),
            )
            for (i in foreign) assertFalse("$i", c.handle(i))
            assertEquals(ReturnResult.Ignored, c.handleReturn(returnIntent(good.replace("rp.example.com", "evil.example.com"))))
            assertEquals(ReturnResult.Ignored, c.handleReturn(returnIntent(unknown)))
            assertEquals(ReturnResult.Ignored, c.handleReturn(Intent(Intent.ACTION_MAIN)))
            assertEquals(ReturnResult.Ignored, c.handleReturn(good.replaceFirst("https://", "http://")))
            assertFalse(c.handle(unknown))
            assertEquals(waiting, c.state.value)
            assertEquals(0, backend.completeCalls.get())
            job.cancelAndJoin()
        }
    }

    @Test
    fun returnsAreRoutedToTheControllerWhoseFlowTheyBelongTo() {
        runBlocking {
            val a = controller()
            val b = controller()
            val ja = async { a.authenticate(activity) }
            a.awaitLaunched()
            val jb = async { b.sign(activity, "doc-1") }
            b.awaitLaunched()
            val sa = backend.sessionOf(a)
            val sb = backend.sessionOf(b)
            assertFalse("b's return is not a's", a.handle(returnIntent(sb.returnUrl())))
            assertTrue(b.handle(returnIntent(sb.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { jb.await() } is FlowOutcome.Signed)
            assertTrue("a still waits", a.state.value is SmartIdFlowState.AwaitingReturn)
            assertEquals(sb.returnUrl(), sb.completedWith)
            assertNull(sa.completedWith)
            assertTrue(a.handle(returnIntent(sa.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { ja.await() } is FlowOutcome.Authenticated)
        }
    }

    @Test
    fun repeatedReturnIsAnsweredOnceAndAReplayIsRejected() {
        runBlocking {
            val c = controller()
            val job = async { c.authenticate(activity) }
            c.awaitLaunched()
            val url = backend.sessions.values.single().returnUrl()
            val first = c.handleReturn(returnIntent(url)) as ReturnResult.Completed
            assertEquals(first.outcome, withTimeout(WAIT_MS) { job.await() })
            // The same URL again (Android re-delivers the intent on recreation): same outcome, no
            // second backend call.
            val again = c.handleReturn(returnIntent(url)) as ReturnResult.Completed
            assertEquals(first.outcome, again.outcome)
            assertEquals(1, backend.completeCalls.get())
            // A different URL with the same token: a replay.
            val forged = url.replace(Regex("sessionSecretDigest=[^&]+"), "sessionSecretDigest=" + b64url(randomBytes(32)))
            val r = c.handleReturn(returnIntent(forged)) as ReturnResult.Rejected
            assertTrue(r.error is SmartIdException.ReturnRejected)
            assertEquals("return_url_replayed", r.error.code)
            assertEquals(ReturnUrlRejectionKind.REPLAYED, (r.error.cause as SidkitException.ReturnUrlRejected).kind)
            assertTrue("a replay does not undo the login", c.state.value is SmartIdFlowState.Finished)
            // handle takes it (this flow's token) and reports the rejection.
            val error = async(start = CoroutineStart.UNDISPATCHED) { c.returnErrors.first() }
            assertTrue(c.handle(returnIntent(forged)))
            assertEquals("return_url_replayed", withTimeout(WAIT_MS) { error.await() }.code)
            assertEquals(1, backend.completeCalls.get())
            assertTrue(c.state.value is SmartIdFlowState.Finished)
        }
    }

    @Test
    fun retryableCompletionFailureKeepsTheFlowAndTheSameUrlSucceedsLater() {
        runBlocking {
            val c = controller()
            val job = async { c.authenticate(activity) }
            c.awaitLaunched()
            val url = backend.sessions.values.single().returnUrl()
            backend.failCompletes = 1
            val r = c.handleReturn(returnIntent(url)) as ReturnResult.Rejected
            val err = r.error
            assertTrue(err is SmartIdException.Network && err.isRetryable)
            assertEquals("transport", err.code)
            assertTrue(err.cause is SidkitException.Transport)
            val st = c.state.value as SmartIdFlowState.AwaitingReturn
            assertTrue("a retryable failure keeps the flow waiting", st.launched)
            assertTrue(c.handleReturn(returnIntent(url)) is ReturnResult.Completed)
            assertTrue(withTimeout(WAIT_MS) { job.await() } is FlowOutcome.Authenticated)
        }
    }

    @Test
    fun processDeathRestoreFromTheDefaultStoreCompletesInANewClient() {
        runBlocking {
            val launcher = DeviceLinkLauncher(sdkInt = 34)
            val c1 = SmartIdFlowCoordinator(activity, client, scope, launcher)
            val id = c1.start(activity, authRequest)
            assertEquals(id, c1.currentFlowId)
            val link = (c1.state.value as SmartIdFlowState.AwaitingReturn).deviceLink
            val session = backend.sessions.values.single()
            val snapshot = c1.snapshot()!!
            assertFalse("the snapshot holds no callback token", snapshot.contains(session.callbackToken!!))
            assertFalse("nor the return URL", snapshot.contains(session.callbackUrl!!))
            assertFalse("the flow id (what a SavedStateHandle may keep) is not the snapshot", snapshot == id)

            // The process dies; a new process starts with a new client and coordinator.
            val owner2 = CoroutineScope(SupervisorJob() + Dispatchers.Default)
            val c2 = SmartIdFlowCoordinator(activity, newClient(), owner2, launcher)
            assertTrue(c2.restorePendingFlow())
            assertEquals(id, c2.currentFlowId)
            val st = c2.state.value as SmartIdFlowState.AwaitingReturn
            assertTrue(st.launched)
            assertEquals(link, st.deviceLink)
            val r = c2.handleReturn(returnIntent(session.returnUrl())) as ReturnResult.Completed
            assertTrue(r.outcome is FlowOutcome.Authenticated)
            assertTrue(c2.state.value is SmartIdFlowState.Finished)
            assertNull(c2.snapshot())
            assertFalse("an ended flow leaves nothing to restore", SmartIdFlowCoordinator(activity, newClient(), owner2).restorePendingFlow())
            assertFalse("nor does a coordinator without a store", controller(c = newClient()).restorePendingFlow())
            owner2.cancel()
        }
    }

    @Test
    fun processDeathRestoreFromANamedSnapshotStore() {
        runBlocking {
            val store = NoBackupSnapshotStore(activity, "t1")
            val c1 = controller(store = store)
            c1.start(activity, authRequest)
            assertEquals(c1.snapshot(), store.load())
            val session = backend.sessions.values.single()

            // The App Link starts a fresh activity in a new process: no saved instance state.
            val store2 = NoBackupSnapshotStore(activity as Context, "t1")
            val c2 = controller(c = newClient(), store = store2)
            assertTrue(c2.restorePendingFlow())
            assertTrue(c2.handle(returnIntent(session.returnUrl())))
            val end = c2.awaitState { it.isTerminal } as SmartIdFlowState.Finished
            assertTrue(end.outcome is FlowOutcome.Authenticated)
            assertNull("an ended flow leaves nothing in the store", store2.load())
            // A tampered snapshot is refused and dropped.
            store2.save("{\"v\":1,\"id\":\"x\"}")
            assertFalse(controller(c = newClient(), store = store2).restorePendingFlow())
            assertNull(store2.load())
        }
    }

    @Test
    fun theDefaultStoreKeepsTheSnapshotInNoBackupFilesDirOnly() {
        runBlocking {
            val ctx = activity.applicationContext
            val c = SmartIdFlowCoordinator(activity, client, scope, DeviceLinkLauncher(sdkInt = 34))
            c.start(activity, authRequest)
            val snapshot = c.snapshot()!!
            NoBackupSnapshotStore(ctx).flush()
            val expected = File(File(ctx.noBackupFilesDir, "dev.sidkit"), "pending.json")
            assertEquals(snapshot, expected.readText())
            // The walk below covers SharedPreferences: they live in the data directory.
            assertTrue(File(ctx.dataDir, "shared_prefs").canonicalPath.startsWith(ctx.dataDir.canonicalPath))
            assertTrue(expected.canonicalPath.startsWith(ctx.dataDir.canonicalPath))
            assertEquals(setOf(expected.canonicalFile), filesHolding(ctx, secretsOf(snapshot)))

            // An ended flow leaves no file (and no temporary file) behind.
            c.cancel()
            c.awaitState { it is SmartIdFlowState.Cancelled }
            NoBackupSnapshotStore(ctx).flush()
            assertFalse(expected.exists())
            assertEquals(emptyList<String>(), expected.parentFile!!.list()!!.toList())
            assertEquals(emptySet<File>(), filesHolding(ctx, secretsOf(snapshot)))
        }
    }

    @Test
    fun endOfTheOwningScopeCancelsThePendingFlowAndTellsTheBackend() {
        runBlocking {
            val owner = CoroutineScope(SupervisorJob() + Dispatchers.Default)
            val c = controller(owner = owner)
            c.start(activity, authRequest)
            val session = backend.sessions.values.single()
            owner.cancel()
            c.awaitState { it is SmartIdFlowState.Cancelled }
            withTimeout(WAIT_MS) { while (!session.cancelled) delay(10) }
            assertEquals(1, backend.cancelCalls.get())
            val r = c.handleReturn(returnIntent(session.returnUrl())) as ReturnResult.Rejected
            assertEquals("return_url_stale", r.error.code)
            assertEquals(0, backend.completeCalls.get())
        }
    }

    @Test
    fun cancellingTheCallerCancelsTheFlow() {
        runBlocking {
            val c = controller()
            val job = launch { c.authenticate(activity) }
            c.awaitLaunched()
            job.cancelAndJoin()
            c.awaitState { it is SmartIdFlowState.Cancelled }
            withTimeout(WAIT_MS) { while (backend.cancelCalls.get() < 1) delay(10) }
            // An explicit cancel() of an ended flow changes nothing.
            c.cancel()
            assertTrue(c.state.value is SmartIdFlowState.Cancelled)
            c.reset()
            assertEquals(SmartIdFlowState.Idle, c.state.value)
        }
    }

    @Test
    fun explicitCancelEndsTheAwaitingCallWithCancelled() {
        runBlocking {
            val c = controller()
            val job = async { runCatching { c.authenticate(activity) } }
            c.awaitLaunched()
            c.cancel()
            val e = withTimeout(WAIT_MS) { job.await() }.exceptionOrNull()
            assertTrue("$e", e is SmartIdException.Cancelled)
            assertEquals("flow_cancelled", (e as SmartIdException).code)
            assertFalse(e.isRetryable)
        }
    }

    @Test
    fun startFailureIsThrownAndPublishedWithoutOpeningAnything() {
        runBlocking {
            backend.rejectStartWith = backendErrorFromJson(
                503u,
                """{"type":"urn:sidkit:problem:unavailable","title":"Unavailable","status":503,""" +
                    """"detail":"Smart-ID is down","code":"unavailable","retryable":true}""",
            )
            val c = controller()
            try {
                c.authenticate(activity)
                fail("expected SmartIdException.Backend")
            } catch (e: SmartIdException.Backend) {
                assertTrue(e.isRetryable)
                assertEquals(503.toUShort(), (e.cause as SidkitException.Backend).httpStatus)
                assertFalse("no backend text in the user message", e.userMessage.contains("Smart-ID is down"))
            }
            val st = c.state.value as SmartIdFlowState.Failed
            assertEquals("backend", st.error.code)
            assertTrue(st.error is SmartIdException.Backend)
            assertNull(shadowOf(activity).nextStartedActivity)
            assertTrue("the failed flow is not kept as pending", client.flows().isEmpty())
            // The next attempt works.
            backend.rejectStartWith = null
            val job = async { c.authenticate(activity) }
            c.awaitLaunched()
            assertTrue(c.handle(returnIntent(backend.sessions.values.single().returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { job.await() } is FlowOutcome.Authenticated)
        }
    }

    @Test
    fun noAppForTheLinkCancelsTheFlowAndThrows() {
        runBlocking {
            val nothing = object : DeviceLinkLauncher(sdkInt = 34) {
                override fun launch(context: Context, deviceLink: String): LaunchResult =
                    throw ActivityNotFoundException("no browser")
            }
            val c = controller(launcher = nothing)
            try {
                c.authenticate(activity)
                fail("expected CannotOpenLink")
            } catch (e: SmartIdException.CannotOpenLink) {
                assertTrue(e.cause is ActivityNotFoundException)
            }
            c.awaitState { it is SmartIdFlowState.Cancelled }
        }
    }

    @Test
    fun refreshFinishesAFlowThatEndedWithoutACallback() {
        runBlocking {
            backend.ending = Ending.REFUSED
            val c = controller()
            val job = async { c.authenticate(activity) }
            c.awaitLaunched()
            assertTrue("still pending", c.refresh() is SmartIdFlowState.AwaitingReturn)
            backend.sessions.values.single().endedWithoutCallback = true
            val st = c.refresh() as SmartIdFlowState.Finished
            assertEquals(FailureReason.USER_REFUSED, (st.outcome as FlowOutcome.Failed).reason)
            assertEquals(st.outcome, withTimeout(WAIT_MS) { job.await() })
        }
    }

    @Test
    fun aNewFlowReplacesAndCancelsThePreviousOne() {
        runBlocking {
            val c = controller()
            val first = async { runCatching { c.authenticate(activity) } }
            c.awaitLaunched()
            val id1 = c.currentFlowId
            val second = async { c.authenticate(activity) }
            c.awaitState { it is SmartIdFlowState.AwaitingReturn && it.launched && c.currentFlowId != id1 }
            val e = withTimeout(WAIT_MS) { first.await() }.exceptionOrNull()
            assertTrue("the replaced flow's waiter gets Cancelled: $e", e is SmartIdException.Cancelled)
            val s2 = backend.sessionOf(c)
            assertTrue(c.handle(returnIntent(s2.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { second.await() } is FlowOutcome.Authenticated)
            withTimeout(WAIT_MS) { while (backend.cancelCalls.get() < 1) delay(10) }
        }
    }

    @Test
    fun aQrFlowShowsTheLinkAndPollsEveryIntervalUntilItFinishes() {
        runBlocking {
            backend.qrPollsUntilDone = 3
            val c = SmartIdFlowCoordinator(client, scope, DeviceLinkLauncher(sdkInt = 34), null, qrPollInterval = 50.milliseconds)
            assertEquals(50.milliseconds, c.qrPollInterval)
            val result = async { c.run(activity, SmartIdRequest(presentation = Presentation.QR)) }
            val first = c.awaitState { it is SmartIdFlowState.ShowingQr } as SmartIdFlowState.ShowingQr
            assertTrue(first.deviceLink.contains("deviceLinkType=QR"))
            assertTrue(first.isInProgress)
            assertNull("a QR flow opens nothing", shadowOf(activity).nextStartedActivity)
            val next = c.awaitState { it is SmartIdFlowState.ShowingQr && it.deviceLink != first.deviceLink }
            assertTrue(next.isInProgress)
            assertTrue(withTimeout(WAIT_MS) { result.await() } is FlowOutcome.Authenticated)
            assertTrue(c.state.value.isTerminal)
            val polls = backend.pollCalls.get()
            delay(200)
            assertEquals("polling stops when the flow ends", polls, backend.pollCalls.get())
        }
    }

    @Test
    fun aFlowExpiresAtItsDeadlineWithoutAnyOtherEvent() {
        runBlocking {
            val short = SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE, maxFlowDurationMs = 1_500uL), FakeTransport(backend))
            val c = controller(c = short)
            val result = async { runCatching { c.authenticate(activity) } }
            c.awaitLaunched()
            val end = withTimeout(WAIT_MS) { c.state.first { it.isTerminal } }
            assertEquals(SmartIdFlowState.Expired, end)
            assertFalse(end.isInProgress)
            val e = withTimeout(WAIT_MS) { result.await() }.exceptionOrNull()
            assertTrue("$e", e is SmartIdException.Expired)
            assertEquals("flow_expired", (e as SmartIdException).code)
        }
    }

    @Test
    fun closeCancelsThePendingFlowAndClosesAnOwnedClient() {
        runBlocking {
            val owned = newClient()
            val c = SmartIdFlowCoordinator(owned, scope, DeviceLinkLauncher(sdkInt = 34), null, ownsClient = true)
            c.start(activity, authRequest)
            c.close()
            assertEquals(SmartIdFlowState.Cancelled, c.state.value)
            try {
                owned.flows()
                fail("a closed client cannot be used")
            } catch (_: IllegalStateException) {
            }
            c.close()
            // A coordinator that does not own its client leaves it open.
            val shared = controller()
            shared.close()
            assertEquals(CALLBACK_BASE, client.callbackBase())
        }
    }
}
