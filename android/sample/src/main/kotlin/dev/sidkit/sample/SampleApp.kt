package dev.sidkit.sample

import android.app.Application
import dev.sidkit.android.HttpBackendTransport
import dev.sidkit.android.SmartIdClientProvider
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitConfig
import dev.sidkit.ffi.SmartIdEnvironment

/**
 * Holds the one [SidkitClient] of the app and hands it to the library's activities
 * ([SmartIdClientProvider]). After process death `Application.onCreate` runs again, so the
 * library gets a client then too. The client lives as long as the process: nobody closes it.
 */
open class SampleApp : Application(), SmartIdClientProvider {
    /**
     * The app's Smart-ID client: its App Link callback base (the URL of the manifest placeholders
     * `sidkitReturnHost` + `sidkitReturnPath`), the device-link bases it accepts (Smart-ID DEMO,
     * plus an optional extra one such as the simulator's) and its backend.
     */
    override val smartIdClient: SidkitClient by lazy {
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
