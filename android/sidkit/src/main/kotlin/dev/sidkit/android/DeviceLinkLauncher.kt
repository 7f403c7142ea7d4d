package dev.sidkit.android

import android.annotation.SuppressLint
import android.app.Activity
import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Build

/** How [DeviceLinkLauncher.launch] opened a device link. */
enum class LaunchResult {
    /** Android 11+ (API 30+): an app that is not a browser took the link, i.e. the Smart-ID app. */
    SMART_ID_APP,

    /**
     * Android 11+: no app but a browser handles the link, so the Smart-ID app is not installed.
     * The link was opened in the browser, where Smart-ID's fallback page offers the app stores.
     */
    BROWSER_FALLBACK,

    /**
     * Below Android 11: the link was opened, but the platform cannot tell whether by the
     * Smart-ID app or by a browser (showing the fallback page).
     */
    OPENED,
}

/**
 * Opens Smart-ID device links. A device link is an `https` universal link
 * (`https://smart-id.com/device-link?...`): with the Smart-ID app installed, Android hands it to
 * the app (Smart-ID's own verified App Link); without it, a browser shows Smart-ID's fallback
 * page. On Android 11+ the launcher first asks for a non-browser handler
 * ([Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER]); an [ActivityNotFoundException] then means
 * "Smart-ID is not installed", and the link is opened again without the flag so the browser
 * shows the fallback page. No `<queries>` entry is needed for this.
 *
 * @param sdkInt the platform API level (the device's by default; a parameter for tests).
 */
open class DeviceLinkLauncher(private val sdkInt: Int = Build.VERSION.SDK_INT) {

    /**
     * The `ACTION_VIEW` intent for [deviceLink]: category `BROWSABLE` (like a link tap, so only
     * activities that accept web links are candidates), plus
     * [Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER] when [requireNonBrowser], plus
     * [Intent.FLAG_ACTIVITY_NEW_TASK] when [context] is not an [Activity].
     */
    @SuppressLint("InlinedApi")
    fun viewIntent(context: Context, deviceLink: String, requireNonBrowser: Boolean): Intent =
        Intent(Intent.ACTION_VIEW, Uri.parse(deviceLink)).apply {
            addCategory(Intent.CATEGORY_BROWSABLE)
            if (requireNonBrowser) addFlags(Intent.FLAG_ACTIVITY_REQUIRE_NON_BROWSER)
            if (context !is Activity) addFlags(Intent.FLAG_ACTIVITY_NEW_TASK)
        }

    /**
     * Opens [deviceLink] from [context] (preferably the current [Activity]; call on the main
     * thread). Returns how it was opened.
     *
     * @throws ActivityNotFoundException when no app at all can open an `https` link (no browser
     *   either); the caller should tell the user to install Smart-ID.
     */
    open fun launch(context: Context, deviceLink: String): LaunchResult {
        if (sdkInt >= Build.VERSION_CODES.R) {
            try {
                context.startActivity(viewIntent(context, deviceLink, requireNonBrowser = true))
                return LaunchResult.SMART_ID_APP
            } catch (_: ActivityNotFoundException) {
                // Only browsers handle the link: Smart-ID is not installed. Open the fallback page.
            }
            context.startActivity(viewIntent(context, deviceLink, requireNonBrowser = false))
            return LaunchResult.BROWSER_FALLBACK
        }
        context.startActivity(viewIntent(context, deviceLink, requireNonBrowser = false))
        return LaunchResult.OPENED
    }
}
