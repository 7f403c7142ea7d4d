package dev.sidkit.android.tests

import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.ComponentName
import android.content.ContextWrapper
import android.content.Intent
import android.net.Uri
import dev.sidkit.android.DeviceLinkLauncher
import dev.sidkit.android.LaunchResult
import dev.sidkit.tests.SMART_ID_APP
import dev.sidkit.tests.registerLinkHandler
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
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

const val LINK = "https://smart-id.com/device-link?deviceLinkType=App2App&sessionToken=wGIrqveE6AuGDATZKmR1mtAZ" +
    "&sessionType=auth&version=1.0&lang=eng&authCode=00NRcgi4Jk7WdIwgMPlyM8wRy9KMu4C_oQvd-N6PKoo"

val BROWSER = ComponentName("org.example.browser", "org.example.browser.BrowserActivity")


/**
 * The platform's resolve-or-throw behaviour of startActivity over the packages registered with
 * Robolectric's ShadowPackageManager, including FLAG_ACTIVITY_REQUIRE_NON_BROWSER (API 30+),
 * which Robolectric does not model: ActivityNotFoundException when nothing handles the intent,
 * or, with the flag, when every handler is a browser (an app that also takes any web URL).
 */
class PlatformContext(private val activity: Activity) : ContextWrapper(activity) {
    val started = mutableListOf<Intent>()
    override fun startActivity(intent: Intent) {
        val pm = packageManager
        val handlers = pm.queryIntentActivities(intent, 0).map { it.activityInfo.name }.toSet()
        if (handlers.isEmpty()) throw ActivityNotFoundException("no activity handles $intent")
        if (intent.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER != 0) {
            val generic = Intent(Intent.ACTION_VIEW, Uri.parse("https://generic.example/"))
                .addCategory(Intent.CATEGORY_BROWSABLE)
            val browsers = pm.queryIntentActivities(generic, 0).map { it.activityInfo.name }.toSet()
            if ((handlers - browsers).isEmpty()) throw ActivityNotFoundException("no non-browser handler for $intent")
        }
        started += intent
        activity.startActivity(intent)
    }
}

@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class DeviceLinkLauncherTest {
    private lateinit var activity: Activity

    @Before
    fun setUp() {
        activity = Robolectric.buildActivity(Activity::class.java).setup().get()
    }

    @Test
    fun viewIntentIsABrowsableActionViewOfTheExactLink() {
        val launcher = DeviceLinkLauncher(sdkInt = 34)
        val i = launcher.viewIntent(activity, LINK, requireNonBrowser = true)
        assertEquals(Intent.ACTION_VIEW, i.action)
        assertEquals(LINK, i.dataString)
        assertTrue(i.hasCategory(Intent.CATEGORY_BROWSABLE))
        assertTrue(i.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER != 0)
        assertEquals("an activity starts the link in its own task", 0, i.flags and Intent.FLAG_ACTIVITY_NEW_TASK)
        val fromApp = launcher.viewIntent(activity.applicationContext, LINK, requireNonBrowser = false)
        assertTrue(fromApp.flags and Intent.FLAG_ACTIVITY_NEW_TASK != 0)
        assertEquals(0, fromApp.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER)
        assertNull(i.component)
        assertNull(i.`package`)
    }

    @Test
    fun api30PlusWithSmartIdInstalledOpensTheAppWithRequireNonBrowser() {
        registerLinkHandler(SMART_ID_APP, "smart-id.com")
        registerLinkHandler(BROWSER, null)
        val ctx = PlatformContext(activity)
        assertEquals(LaunchResult.SMART_ID_APP, DeviceLinkLauncher(sdkInt = 34).launch(ctx, LINK))
        assertEquals(1, ctx.started.size)
        val next = shadowOf(activity).nextStartedActivity
        assertEquals(Intent.ACTION_VIEW, next.action)
        assertEquals(LINK, next.dataString)
        assertTrue(next.hasCategory(Intent.CATEGORY_BROWSABLE))
        assertTrue(next.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER != 0)
    }

    @Test
    fun api30PlusWithoutSmartIdFallsBackToTheBrowserWithTheSameLink() {
        registerLinkHandler(BROWSER, null)
        val ctx = PlatformContext(activity)
        assertEquals(LaunchResult.BROWSER_FALLBACK, DeviceLinkLauncher(sdkInt = 34).launch(ctx, LINK))
        assertEquals("only the fallback intent got through", 1, ctx.started.size)
        val next = shadowOf(activity).nextStartedActivity
        assertEquals(LINK, next.dataString)
        assertTrue(next.hasCategory(Intent.CATEGORY_BROWSABLE))
        assertEquals(0, next.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER)
    }

    @Test
    fun nothingAtAllHandlesTheLinkThrowsActivityNotFound() {
        val ctx = PlatformContext(activity)
        try {
            DeviceLinkLauncher(sdkInt = 34).launch(ctx, LINK)
            fail("expected ActivityNotFoundException")
        } catch (_: ActivityNotFoundException) {
        }
        assertTrue(ctx.started.isEmpty())
        assertNull(shadowOf(activity).nextStartedActivity)
    }

    @Test
    fun belowApi30TheLinkIsOpenedWithoutTheFlag() {
        registerLinkHandler(BROWSER, null)
        val ctx = PlatformContext(activity)
        assertEquals(LaunchResult.OPENED, DeviceLinkLauncher(sdkInt = 29).launch(ctx, LINK))
        val next = shadowOf(activity).nextStartedActivity
        assertEquals(LINK, next.dataString)
        assertFalse(next.flags and Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER != 0)
    }
}
