package dev.sidkit.android.tests

import android.app.Activity
import android.app.Application
import android.content.Intent
import android.os.Bundle
import dev.sidkit.android.SmartIdClientProvider
import dev.sidkit.android.SmartIdException
import dev.sidkit.android.SmartIdLanguage
import dev.sidkit.android.SmartIdLogin
import dev.sidkit.android.SmartIdManagementActivity
import dev.sidkit.android.SmartIdRedirectActivity
import dev.sidkit.android.SmartIdRequest
import dev.sidkit.android.SmartIdResult
import dev.sidkit.ffi.FailureReason
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitConfig
import dev.sidkit.ffi.SmartIdEnvironment
import dev.sidkit.ffi.backendErrorFromJson
import dev.sidkit.tests.CALLBACK_BASE
import dev.sidkit.tests.Ending
import dev.sidkit.tests.FakeBackend
import dev.sidkit.tests.FakeTransport
import dev.sidkit.tests.LIVE_LINK_BASE
import dev.sidkit.tests.SMART_ID_APP
import dev.sidkit.tests.idleUntil
import dev.sidkit.tests.registerLinkHandler
import dev.sidkit.tests.returnIntent
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.android.controller.ActivityController
import org.robolectric.annotation.Config

/** The app of the library's activity tests: it provides the client, as an app does. */
class LoginTestApp : Application(), SmartIdClientProvider {
    val backend = FakeBackend()

    /** A var here only so that a test can simulate a new process (a new client, same files). */
    override var smartIdClient: SidkitClient = newClient()

    fun newClient(): SidkitClient = SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE), FakeTransport(backend))
}


/**
 * SmartIdLogin, SmartIdManagementActivity and SmartIdRedirectActivity under Robolectric: the
 * contract delivers success, refusal, cancellation and errors; the redirect activity routes the
 * App Link to the pending flow; a process death between launch and return completes through the
 * library alone.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], application = LoginTestApp::class)
class SmartIdLoginTest {
    private lateinit var app: LoginTestApp
    private val backend get() = app.backend

    @Before
    fun setUp() {
        app = RuntimeEnvironment.getApplication() as LoginTestApp
        registerLinkHandler(SMART_ID_APP, "smart-id.com")
    }

    private fun startIntent(request: SmartIdRequest = SmartIdRequest()): Intent =
        SmartIdLogin().createIntent(app, request)

    /** Starts the management activity and waits until it opened the device link. */
    private fun launch(request: SmartIdRequest = SmartIdRequest()): Pair<ActivityController<SmartIdManagementActivity>, Intent> {
        val controller = Robolectric.buildActivity(SmartIdManagementActivity::class.java, startIntent(request)).setup()
        var opened: Intent? = null
        idleUntil("the device link to open") {
            opened = opened ?: shadowOf(app).nextStartedActivity
            opened != null
        }
        assertEquals(Intent.ACTION_VIEW, opened!!.action)
        assertTrue(opened!!.dataString!!.startsWith("$LIVE_LINK_BASE?deviceLinkType=App2App&"))
        // The user is in the Smart-ID app now.
        controller.pause().stop()
        return controller to opened!!
    }

    /** The Smart-ID app opens the return URL: the App Link starts the library's redirect activity. */
    private fun returnThroughTheRedirectActivity(url: String): Intent {
        val redirect = Robolectric.buildActivity(SmartIdRedirectActivity::class.java, returnIntent(url)).setup()
        assertTrue("the redirect activity finishes at once", redirect.get().isFinishing)
        val forwarded = shadowOf(redirect.get()).nextStartedActivity
        assertNotNull(forwarded)
        assertEquals(SmartIdManagementActivity::class.java.name, forwarded.component!!.className)
        assertEquals(url, forwarded.dataString)
        assertTrue(forwarded.flags and Intent.FLAG_ACTIVITY_CLEAR_TOP != 0)
        assertTrue(forwarded.flags and Intent.FLAG_ACTIVITY_SINGLE_TOP != 0)
        return forwarded
    }

    private fun resultOf(activity: Activity): SmartIdResult {
        idleUntil("the result") { activity.isFinishing }
        val shadow = shadowOf(activity)
        return SmartIdLogin().parseResult(shadow.resultCode, shadow.resultIntent)
    }

    @Test
    fun theRedirectActivityRoutesTheReturnToThePendingFlowAndTheContractDeliversSuccess() {
        val (controller, _) = launch(SmartIdRequest(lang = SmartIdLanguage.EST))
        val session = backend.sessions.values.single()
        assertEquals("est", session.request.lang)
        val forwarded = returnThroughTheRedirectActivity(session.returnUrl())
        controller.newIntent(forwarded).start().resume()
        val result = resultOf(controller.get()) as SmartIdResult.Success
        val identity = (result.outcome as FlowOutcome.Authenticated).identity
        assertEquals("PNOEE-30303039914", identity.identifier)
        assertEquals(1, backend.completeCalls.get())
    }

    @Test
    fun aSignatureIsDeliveredAsSuccess() {
        val (controller, _) = launch(SmartIdRequest.signature("doc-9"))
        val session = backend.sessions.values.single()
        assertEquals("doc-9", session.request.context)
        controller.newIntent(returnThroughTheRedirectActivity(session.returnUrl())).start().resume()
        val result = resultOf(controller.get()) as SmartIdResult.Success
        assertTrue(result.outcome is FlowOutcome.Signed)
    }

    @Test
    fun aRefusalWithoutCallbackIsFoundOnResumeAndDeliveredAsRefused() {
        backend.ending = Ending.REFUSED
        val (controller, _) = launch()
        backend.sessions.values.single().endedWithoutCallback = true
        // The user comes back from Smart-ID without a return: the activity is resumed and polls.
        controller.start().resume()
        val result = resultOf(controller.get()) as SmartIdResult.Refused
        assertEquals(FailureReason.USER_REFUSED, result.outcome.reason)
    }

    @Test
    fun backCancelsTheFlowAndTheContractDeliversCancelled() {
        val (controller, _) = launch()
        controller.start().resume()
        controller.get().onBackPressedDispatcher.onBackPressed()
        assertEquals(SmartIdResult.Cancelled, resultOf(controller.get()))
        idleUntil("the backend to be told") { backend.cancelCalls.get() == 1 }
        // No result at all (the activity died without one) is a cancellation too.
        assertEquals(SmartIdResult.Cancelled, SmartIdLogin().parseResult(Activity.RESULT_CANCELED, null))
    }

    @Test
    fun aStartFailureIsDeliveredAsATypedError() {
        backend.rejectStartWith = backendErrorFromJson(
            503u,
            """{"type":"urn:sidkit:problem:unavailable","title":"Unavailable","status":503,""" +
                """"detail":"Smart-ID is down","code":"unavailable","retryable":true}""",
        )
        val controller = Robolectric.buildActivity(SmartIdManagementActivity::class.java, startIntent()).setup()
        val result = resultOf(controller.get()) as SmartIdResult.Error
        val e = result.error as SmartIdException.Backend
        assertEquals("backend", e.code)
        assertTrue(e.isRetryable)
        assertNull("nothing was opened", shadowOf(app).nextStartedActivity)
    }

    @Test
    fun aQrRequestOrAMissingRequestIsAnInputError() {
        val qr = Robolectric.buildActivity(SmartIdManagementActivity::class.java, startIntent(SmartIdRequest(presentation = Presentation.QR))).setup()
        assertTrue((resultOf(qr.get()) as SmartIdResult.Error).error is SmartIdException.InvalidInput)
        val none = Robolectric.buildActivity(SmartIdManagementActivity::class.java, Intent(app, SmartIdManagementActivity::class.java)).setup()
        assertTrue((resultOf(none.get()) as SmartIdResult.Error).error is SmartIdException.InvalidInput)
    }

    @Test
    fun aProcessDeathBetweenLaunchAndReturnCompletesThroughTheLibraryAlone() {
        val (controller, _) = launch()
        val session = backend.sessions.values.single()
        // The system saves the activity's state (SavedStateHandle: the flow id only) ...
        val saved = Bundle()
        controller.saveInstanceState(saved)
        // ... and the process dies: no activity, ViewModel, coordinator or client survives. The
        // new process runs Application.onCreate again, which makes a new client.
        app.smartIdClient = app.newClient()
        // Smart-ID returns through the App Link; the system recreates the management activity
        // from its saved state, then hands it the forwarded return.
        val forwarded = returnThroughTheRedirectActivity(session.returnUrl())
        val recreated = Robolectric.buildActivity(SmartIdManagementActivity::class.java, startIntent())
            .create(saved).start().postCreate(saved)
        recreated.newIntent(forwarded).resume()
        val result = resultOf(recreated.get()) as SmartIdResult.Success
        assertTrue(result.outcome is FlowOutcome.Authenticated)
        assertEquals("one start, no second one", 1, backend.startCalls.get())
        assertEquals(1, backend.completeCalls.get())
    }

    @Test
    fun aReturnThatStartsAFreshManagementActivityIsCompletedFromTheStore() {
        launch()
        val session = backend.sessions.values.single()
        app.smartIdClient = app.newClient()
        // The task was cleared: the forwarded return creates a new management activity.
        val fresh = Robolectric.buildActivity(SmartIdManagementActivity::class.java, returnThroughTheRedirectActivity(session.returnUrl())).setup()
        assertTrue((resultOf(fresh.get()) as SmartIdResult.Success).outcome is FlowOutcome.Authenticated)
    }

    @Test
    fun theContractRoundTripsEveryResult() {
        val contract = SmartIdLogin()
        val intent = contract.createIntent(app, SmartIdRequest(FlowKind.SIGNATURE, SmartIdLanguage.LIT, "doc-1"))
        assertEquals(SmartIdManagementActivity::class.java.name, intent.component!!.className)
        val errors = listOf(
            SmartIdException.Network("offline", isRetryable = true),
            SmartIdException.Expired(),
            SmartIdException.ReturnRejected("replayed", code = "return_url_replayed"),
            SmartIdException.ContractVersion("v3"),
        )
        for (e in errors) {
            val back = roundTrip(SmartIdResult.Error(e)) as SmartIdResult.Error
            assertEquals(e::class, back.error::class)
            assertEquals(e.code, back.error.code)
            assertEquals(e.isRetryable, back.error.isRetryable)
            assertEquals(e.message, back.error.message)
        }
        val refused = SmartIdResult.Refused(FlowOutcome.Failed(FailureReason.USER_REFUSED_INTERACTION, "confirmationMessage"))
        assertEquals(refused, roundTrip(refused))
        assertEquals(SmartIdResult.Cancelled, roundTrip(SmartIdResult.Cancelled))
    }

    /** A result as the management activity delivers it, read back by the contract. */
    private fun roundTrip(r: SmartIdResult): SmartIdResult {
        val deliver = Class.forName("dev.sidkit.android.SmartIdLoginKt")
            .getDeclaredMethod("toBundle", SmartIdResult::class.java)
        val bundle = deliver.invoke(null, r) as Bundle
        return SmartIdLogin().parseResult(Activity.RESULT_OK, Intent().putExtra("dev.sidkit.android.result", bundle))
    }
}
