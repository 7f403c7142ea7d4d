package dev.sidkit.tests

import android.content.ComponentName
import android.content.Intent
import android.content.IntentFilter
import android.net.Uri
import android.os.Looper
import org.robolectric.RuntimeEnvironment
import org.robolectric.Shadows.shadowOf

// Robolectric helpers shared by :sidkit's tests and the sample's (Gradle gives the sample this
// folder of :sidkit's tests, with the fake backend).

/** The Smart-ID app's link activity, as the tests register it. */
val SMART_ID_APP = ComponentName("com.smartid", "com.smartid.DeviceLinkActivity")

/** Registers an activity that takes VIEW + BROWSABLE https links of [host] (null: every host). */
fun registerLinkHandler(component: ComponentName, host: String?) {
    val pm = shadowOf(RuntimeEnvironment.getApplication().packageManager)
    pm.addActivityIfNotPresent(component)
    pm.addIntentFilterForActivity(
        component,
        IntentFilter(Intent.ACTION_VIEW).apply {
            addCategory(Intent.CATEGORY_DEFAULT)
            addCategory(Intent.CATEGORY_BROWSABLE)
            addDataScheme("https")
            if (host != null) addDataAuthority(host, null)
        },
    )
}

/** The App Link intent the system delivers for a return [url]. */
fun returnIntent(url: String): Intent =
    Intent(Intent.ACTION_VIEW, Uri.parse(url)).addCategory(Intent.CATEGORY_BROWSABLE)

/** Runs the main looper (where the library's coroutines resume) until [done] holds. */
fun idleUntil(what: String, done: () -> Boolean) {
    val end = System.nanoTime() + 10_000_000_000L
    while (!done()) {
        shadowOf(Looper.getMainLooper()).idle()
        check(System.nanoTime() < end) { "timed out waiting for $what" }
        Thread.sleep(5)
    }
    shadowOf(Looper.getMainLooper()).idle()
}
