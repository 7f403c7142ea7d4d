package dev.sidkit.sample.tests

import android.content.Intent
import android.widget.Button
import android.widget.TextView
import dev.sidkit.android.SmartIdManagementActivity
import dev.sidkit.android.SmartIdRedirectActivity
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitConfig
import dev.sidkit.ffi.SmartIdEnvironment
import dev.sidkit.sample.LoginActivity
import dev.sidkit.sample.SampleApp
import dev.sidkit.tests.CALLBACK_BASE
import dev.sidkit.tests.FakeBackend
import dev.sidkit.tests.FakeTransport
import dev.sidkit.tests.LIVE_LINK_BASE
import dev.sidkit.tests.SMART_ID_APP
import dev.sidkit.tests.idleUntil
import dev.sidkit.tests.registerLinkHandler
import dev.sidkit.tests.returnIntent
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertTrue
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf
import org.robolectric.annotation.Config


/** The sample app against the fake backend instead of the reference backend. */
class TestSampleApp : SampleApp() {
    val backend = FakeBackend()
    override val smartIdClient: SidkitClient by lazy {
        SidkitClient(SidkitConfig(CALLBACK_BASE, SmartIdEnvironment.LIVE), FakeTransport(backend))
    }
}

/**
 * The "done when": the sample logs in without any lifecycle forwarding. LoginActivity
 * only registers SmartIdLogin; the library's activities open Smart-ID, take the return through
 * the App Link and deliver the result.
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34], application = TestSampleApp::class)
class SampleLoginTest {
    @Test
    fun theSampleLogsInThroughTheLibrarysActivities() {
        val app = RuntimeEnvironment.getApplication() as TestSampleApp
        registerLinkHandler(SMART_ID_APP, "smart-id.com")
        val screen = Robolectric.buildActivity(LoginActivity::class.java).setup()
        val login = screen.get().window.decorView.findViewWithTag<Button>("login")
        val status = screen.get().window.decorView.findViewWithTag<TextView>("status")

        // Tap: the contract starts the library's management activity.
        assertTrue(login.performClick())
        val forResult = shadowOf(screen.get()).nextStartedActivityForResult
        assertNotNull(forResult)
        assertEquals(SmartIdManagementActivity::class.java.name, forResult.intent.component!!.className)
        assertFalse(login.isEnabled)

        // The library's activity starts the flow and opens the device link.
        val manager = Robolectric.buildActivity(SmartIdManagementActivity::class.java, forResult.intent).setup()
        var opened: Intent? = null
        idleUntil("the device link to open") {
            opened = opened ?: shadowOf(app).nextStartedActivity
            opened != null
        }
        assertTrue(opened!!.dataString!!.startsWith("$LIVE_LINK_BASE?deviceLinkType=App2App&"))
        manager.pause().stop()
        screen.pause().stop()

        // Smart-ID returns through the App Link: the library's redirect activity takes it.
        val session = app.backend.sessions.values.single()
        val redirect = Robolectric.buildActivity(SmartIdRedirectActivity::class.java, returnIntent(session.returnUrl())).setup()
        val forwarded = shadowOf(redirect.get()).nextStartedActivity
        manager.newIntent(forwarded).start().resume()
        idleUntil("the library's activity to finish") { manager.get().isFinishing }

        // The result comes back to the sample through the activity result registry.
        val result = shadowOf(manager.get())
        screen.start()
        shadowOf(screen.get()).receiveResult(forResult.intent, result.resultCode, result.resultIntent)
        screen.resume()
        idleUntil("the sample to show the user") { status.text.startsWith("Welcome") }
        assertTrue(status.text.toString(), status.text.contains("PNOEE-30303039914"))
        assertTrue(login.isEnabled)
    }
}
