package dev.sidkit.android.tests

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import android.os.Parcel
import dev.sidkit.android.DeviceLinkLauncher
import dev.sidkit.android.LaunchResult
import dev.sidkit.android.NoBackupSnapshotStore
import dev.sidkit.android.ReturnResult
import dev.sidkit.android.SidkitController
import dev.sidkit.android.SidkitState
import dev.sidkit.android.SnapshotStore
import dev.sidkit.ffi.FailureReason
import dev.sidkit.ffi.FlowErrorKind
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.FlowRequest
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
import dev.sidkit.tests.b64url
import dev.sidkit.tests.randomBytes
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
import java.io.File

private const val WAIT_MS = 10_000L

fun returnIntent(url: String): Intent =
    Intent(Intent.ACTION_VIEW, Uri.parse(url)).addCategory(Intent.CATEGORY_BROWSABLE)

suspend fun SidkitController.awaitLaunched(): SidkitState.AwaitingUser =
    withTimeout(WAIT_MS) { state.first { it is SidkitState.AwaitingUser && it.launched } } as SidkitState.AwaitingUser

suspend fun SidkitController.awaitState(p: (SidkitState) -> Boolean): SidkitState =
    withTimeout(WAIT_MS) { state.first(p) }

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class SidkitControllerTest {
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
    ) = SidkitController(c, owner, launcher, store)

    private val authRequest = FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP)

    @Test
    fun authenticateOpensTheLinkAndCompletesThroughTheAppLink() {
        runBlocking {
            val c = controller()
            assertEquals(SidkitState.Idle, c.state.value)
            val result = async { c.authenticate(activity) }
            val waiting = c.awaitLaunched()
            val opened = shadowOf(activity).nextStartedActivity
            assertEquals(Intent.ACTION_VIEW, opened.action)
            assertEquals(waiting.deviceLink, opened.dataString)
            assertTrue(opened.dataString!!.startsWith("$LIVE_LINK_BASE?deviceLinkType=App2App&"))
            assertTrue(opened.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER != 0)
            assertEquals(LaunchResult.SMART_ID_APP, c.lastLaunch)
            assertNotNull("a pending flow has a snapshot", c.snapshot())

            val session = backend.sessions.values.single()
            assertTrue(c.handleIntent(returnIntent(session.returnUrl())))
            val outcome = withTimeout(WAIT_MS) { result.await() } as FlowOutcome.Authenticated
            assertEquals("PNOEE-30303039914", outcome.identity.identifier)
            val end = c.state.value as SidkitState.Finished
            assertEquals(waiting.flowId, end.flowId)
            assertEquals(outcome, end.outcome)
            assertEquals(1, backend.completeCalls.get())
            assertNull("an ended flow has nothing to resume", c.snapshot())
        }
    }

    @Test
    fun signAndCertificateChoicePassTheContextAndReturnSignatures() {
        runBlocking {
            val c = controller()
            val signing = async { c.sign(activity, signingContext = "doc-17", lang = "est") }
            c.awaitLaunched()
            val id1 = c.currentFlow!!.id()
            val s1 = backend.sessionOf(c.currentFlow!!)
            assertEquals("sign", s1.sessionType)
            assertEquals("doc-17", s1.request.context)
            assertEquals("est", s1.request.lang)
            assertTrue(c.handleIntent(returnIntent(s1.returnUrl())))
            val signed = withTimeout(WAIT_MS) { signing.await() } as FlowOutcome.Signed
            assertEquals("doc-17", signed.appData)

            val choosing = async { c.chooseCertificateAndSign(activity, "doc-18") }
            val waiting = c.awaitState { it is SidkitState.AwaitingUser && it.launched && it.flowId != id1 }
            val s2 = backend.sessionOf(c.currentFlow!!)
            assertEquals("cert", s2.sessionType)
            assertTrue((waiting as SidkitState.AwaitingUser).deviceLink.contains("sessionType=cert"))
            assertTrue(c.handleIntent(returnIntent(s2.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { choosing.await() } is FlowOutcome.Signed)
        }
    }

    @Test
    fun foreignIntentsAreIgnoredAndLeaveTheFlowAlone() {
        runBlocking {
            val c = controller()
            val unknown = "$CALLBACK_BASE?value=${b64url(randomBytes(32))}&sessionSecretDigest=${b64url(randomBytes(32))}"
            assertFalse("no flow yet", c.handleIntent(returnIntent(unknown)))
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
            for (i in foreign) assertFalse("$i", c.handleIntent(i))
            val r1 = c.handleReturn(returnIntent(good.replace("rp.example.com", "evil.example.com"))) as ReturnResult.Ignored
            assertEquals(ReturnUrlRejectionKind.FOREIGN_BASE, (r1.error as SidkitException.ReturnUrlRejected).kind)
            val r2 = c.handleReturn(returnIntent(unknown)) as ReturnResult.Ignored
            assertEquals(ReturnUrlRejectionKind.UNKNOWN_FLOW, (r2.error as SidkitException.ReturnUrlRejected).kind)
            assertEquals(ReturnResult.Ignored(null), c.handleReturn(Intent(Intent.ACTION_MAIN)))
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
            val sa = backend.sessionOf(a.currentFlow!!)
            val sb = backend.sessionOf(b.currentFlow!!)
            assertFalse("b's return is not a's", a.handleIntent(returnIntent(sb.returnUrl())))
            assertTrue(b.handleIntent(returnIntent(sb.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { jb.await() } is FlowOutcome.Signed)
            assertTrue("a still waits", a.state.value is SidkitState.AwaitingUser)
            assertEquals(sb.returnUrl(), sb.completedWith)
            assertNull(sa.completedWith)
            assertTrue(a.handleIntent(returnIntent(sa.returnUrl())))
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
            assertEquals(ReturnUrlRejectionKind.REPLAYED, (r.error as SidkitException.ReturnUrlRejected).kind)
            assertTrue("a replay does not undo the login", c.state.value is SidkitState.Finished)
            // handleIntent takes it (this flow's token) and reports the rejection.
            val error = async(start = CoroutineStart.UNDISPATCHED) { c.returnErrors.first() }
            assertTrue(c.handleIntent(returnIntent(forged)))
            assertEquals("return_url_replayed", withTimeout(WAIT_MS) { error.await() }.code())
            assertEquals(1, backend.completeCalls.get())
            assertTrue(c.state.value is SidkitState.Finished)
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
            assertTrue(err is SidkitException.Transport && err.isRetryable())
            val st = c.state.value as SidkitState.AwaitingUser
            assertEquals(err, st.error)
            assertTrue(c.handleReturn(returnIntent(url)) is ReturnResult.Completed)
            assertTrue(withTimeout(WAIT_MS) { job.await() } is FlowOutcome.Authenticated)
        }
    }

    @Test
    fun processDeathRestoreFromTheDefaultStoreCompletesInANewClient() {
        runBlocking {
            val launcher = DeviceLinkLauncher(sdkInt = 34)
            val c1 = SidkitController(activity, client, scope, launcher)
            val flow = c1.start(activity, authRequest)
            val session = backend.sessions.values.single()
            val snapshot = c1.snapshot()!!
            assertFalse("the snapshot holds no callback token", snapshot.contains(session.callbackToken!!))
            assertFalse("nor the return URL", snapshot.contains(session.callbackUrl!!))
            // The saved state holds the flow id only (SnapshotStoreTest looks at the bytes).
            val saved = Bundle().also(c1::saveState)
            assertEquals(setOf(SidkitController.FLOW_ID_KEY), saved.keySet())
            assertEquals(flow.id(), saved.getString(SidkitController.FLOW_ID_KEY))
            // The system parcels the saved state; the process dies; a new process starts.
            val parcel = Parcel.obtain()
            parcel.writeBundle(saved)
            parcel.setDataPosition(0)
            val restoredBundle = parcel.readBundle(javaClass.classLoader)!!
            parcel.recycle()

            val owner2 = CoroutineScope(SupervisorJob() + Dispatchers.Default)
            val c2 = SidkitController(activity, newClient(), owner2, launcher)
            assertTrue(c2.restoreState(restoredBundle))
            val st = c2.state.value as SidkitState.AwaitingUser
            assertEquals(flow.id(), st.flowId)
            assertTrue(st.launched)
            assertEquals(flow.deviceLink(), st.deviceLink)
            val r = c2.handleReturn(returnIntent(session.returnUrl())) as ReturnResult.Completed
            assertTrue(r.outcome is FlowOutcome.Authenticated)
            assertTrue(c2.state.value is SidkitState.Finished)
            assertNull(c2.snapshot())
            assertFalse("an ended flow leaves nothing to restore", SidkitController(activity, newClient(), owner2).restoreState(Bundle()))
            assertFalse("nor does a controller without a store", controller(c = newClient()).restoreState(restoredBundle))
        }
    }

    @Test
    fun processDeathRestoreFromTheSnapshotStoreWhenTheBundleIsGone() {
        runBlocking {
            val store = NoBackupSnapshotStore(activity, "t1")
            val c1 = controller(store = store)
            c1.start(activity, authRequest)
            assertEquals(c1.snapshot(), store.load())
            val session = backend.sessions.values.single()

            // The App Link starts a fresh activity in a new process: no saved instance state.
            val store2 = NoBackupSnapshotStore(activity as Context, "t1")
            val c2 = controller(c = newClient(), store = store2)
            assertTrue(c2.restoreState(null))
            assertTrue(c2.handleIntent(returnIntent(session.returnUrl())))
            val end = c2.awaitState { it.isTerminal } as SidkitState.Finished
            assertTrue(end.outcome is FlowOutcome.Authenticated)
            assertNull("an ended flow leaves nothing in the store", store2.load())
            // A tampered snapshot is refused and dropped.
            store2.save("{\"v\":1,\"id\":\"x\"}")
            assertFalse(controller(c = newClient(), store = store2).restoreState(null))
            assertNull(store2.load())
        }
    }

    @Test
    fun theDefaultStoreKeepsTheSnapshotInNoBackupFilesDirOnly() {
        runBlocking {
            val ctx = activity.applicationContext
            val c = SidkitController(activity, client, scope, DeviceLinkLauncher(sdkInt = 34))
            c.start(activity, authRequest)
            val snapshot = c.snapshot()!!
            NoBackupSnapshotStore(ctx).flush()
            val expected = File(File(ctx.noBackupFilesDir, "dev.sidkit"), "pending.json")
            assertEquals(snapshot, expected.readText())
            // The walk below covers SharedPreferences: they live in the data directory.
            assertTrue(File(ctx.dataDir, "shared_prefs").canonicalPath.startsWith(ctx.dataDir.canonicalPath))
            assertTrue(expected.canonicalPath.startsWith(ctx.dataDir.canonicalPath))
            assertEquals(setOf(expected.canonicalFile), filesHolding(ctx, secretsOf(snapshot)))

            // The saved instance state (which the system keeps outside the app) has no secret.
            val saved = Bundle().also(c::saveState)
            assertEquals(setOf(SidkitController.FLOW_ID_KEY), saved.keySet())
            val parcel = Parcel.obtain()
            val bytes = try {
                parcel.writeBundle(saved)
                parcel.marshall()
            } finally {
                parcel.recycle()
            }
            assertTrue("the flow id is in the parcel", bytes.holds(c.currentFlow!!.id()))
            for (s in secretsOf(snapshot)) assertFalse("the parcelled Bundle holds the snapshot", bytes.holds(s))

            // An ended flow leaves no file (and no temporary file) behind.
            c.cancel()
            c.awaitState { it is SidkitState.Cancelled }
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
            c.awaitState { it is SidkitState.Cancelled }
            withTimeout(WAIT_MS) { while (!session.cancelled) delay(10) }
            assertEquals(1, backend.cancelCalls.get())
            val r = c.handleReturn(returnIntent(session.returnUrl())) as ReturnResult.Rejected
            assertEquals(ReturnUrlRejectionKind.STALE, (r.error as SidkitException.ReturnUrlRejected).kind)
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
            c.awaitState { it is SidkitState.Cancelled }
            withTimeout(WAIT_MS) { while (backend.cancelCalls.get() < 1) delay(10) }
            // An explicit cancel() of an ended flow changes nothing.
            c.cancel()
            assertTrue(c.state.value is SidkitState.Cancelled)
            c.reset()
            assertEquals(SidkitState.Idle, c.state.value)
        }
    }

    @Test
    fun explicitCancelEndsTheAwaitingCallWithCancelled() {
        runBlocking {
            val c = controller()
            val job = async { runCatching { c.authenticate(activity) } }
            c.awaitLaunched()
            c.cancel()
            val e = withTimeout(WAIT_MS) { job.await() }.exceptionOrNull() as SidkitException.Flow
            assertEquals(FlowErrorKind.CANCELLED, e.kind)
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
                fail("expected SidkitException.Backend")
            } catch (e: SidkitException.Backend) {
                assertTrue(e.isRetryable())
                assertEquals(503.toUShort(), e.httpStatus)
            }
            val st = c.state.value as SidkitState.Failed
            assertEquals("backend", st.code)
            assertTrue(st.error is SidkitException.Backend)
            assertNull(shadowOf(activity).nextStartedActivity)
            assertTrue("the failed flow is not kept as pending", client.flows().isEmpty())
            // The next attempt works.
            backend.rejectStartWith = null
            val job = async { c.authenticate(activity) }
            c.awaitLaunched()
            assertTrue(c.handleIntent(returnIntent(backend.sessions.values.single().returnUrl())))
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
                fail("expected ActivityNotFoundException")
            } catch (_: ActivityNotFoundException) {
            }
            c.awaitState { it is SidkitState.Cancelled }
        }
    }

    @Test
    fun refreshFinishesAFlowThatEndedWithoutACallback() {
        runBlocking {
            backend.ending = Ending.REFUSED
            val c = controller()
            val job = async { c.authenticate(activity) }
            c.awaitLaunched()
            assertTrue("still pending", c.refresh() is SidkitState.AwaitingUser)
            backend.sessions.values.single().endedWithoutCallback = true
            val st = c.refresh() as SidkitState.Finished
            assertEquals(FailureReason.USER_REFUSED, (st.outcome as FlowOutcome.Failed).reason)
            assertEquals(st.outcome, withTimeout(WAIT_MS) { job.await() })
        }
    }

    @Test
    fun aNewFlowReplacesAndCancelsThePreviousOne() {
        runBlocking {
            val c = controller()
            val first = async { runCatching { c.authenticate(activity) } }
            val w1 = c.awaitLaunched()
            val second = async { c.authenticate(activity) }
            c.awaitState { it is SidkitState.AwaitingUser && it.launched && it.flowId != w1.flowId }
            val e = withTimeout(WAIT_MS) { first.await() }.exceptionOrNull() as SidkitException.Flow
            assertEquals(FlowErrorKind.CANCELLED, e.kind)
            val s2 = backend.sessionOf(c.currentFlow!!)
            assertTrue(c.handleIntent(returnIntent(s2.returnUrl())))
            assertTrue(withTimeout(WAIT_MS) { second.await() } is FlowOutcome.Authenticated)
            withTimeout(WAIT_MS) { while (backend.cancelCalls.get() < 1) delay(10) }
        }
    }
}
