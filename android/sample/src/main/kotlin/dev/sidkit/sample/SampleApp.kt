package dev.sidkit.sample

import android.app.Application
import dev.sidkit.android.HttpBackendTransport
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitConfig
import dev.sidkit.ffi.SmartIdEnvironment

/** Holds the one [SidkitClient] of the app. */
class SampleApp : Application() {
    /**
     * The app's Smart-ID client: its App Link callback base, the device-link bases it accepts
     * (Smart-ID DEMO, plus an optional extra one such as the simulator's) and its backend.
     */
    val sidkitClient: SidkitClient by lazy {
        SidkitClient(
            SidkitConfig(
                callbackBase = BuildConfig.CALLBACK_BASE,
                environment = SmartIdEnvironment.DEMO,
                additionalDeviceLinkBases = listOf(BuildConfig.EXTRA_DEVICE_LINK_BASE).filter { it.isNotEmpty() },
            ),
            HttpBackendTransport(BuildConfig.BACKEND_URL),
        )
    }
}
