package dev.sidkit.sample

import android.app.Activity
import android.app.Application
import android.content.ActivityNotFoundException
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.viewModelScope
import dev.sidkit.android.SidkitController
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowRequest
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.SidkitException
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.launch

/**
 * Owns the [SidkitController]: it lives in `viewModelScope`, so a rotation does not cancel the
 * login, and leaving the screen for good (ViewModel cleared) does.
 */
class LoginViewModel(app: Application) : AndroidViewModel(app) {
    /**
     * The login flow; the activity renders its `state`. Its snapshot (which holds the flow key)
     * goes to the default NoBackupSnapshotStore, a file in noBackupFilesDir.
     */
    val sidkit = SidkitController(
        context = app,
        client = (app as SampleApp).sidkitClient,
        scope = viewModelScope,
    )

    private val mutableMessage = MutableStateFlow<String?>(null)

    /** A one-line problem to show next to the state (start failures). */
    val message: StateFlow<String?> = mutableMessage.asStateFlow()

    /** Starts Smart-ID authentication and opens the Smart-ID app from [activity]. */
    fun login(activity: Activity) {
        mutableMessage.value = null
        viewModelScope.launch {
            try {
                // Returns once the link is open; the outcome arrives through sidkit.state.
                sidkit.start(activity, FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP))
            } catch (e: SidkitException) {
                mutableMessage.value = if (e.isRetryable()) {
                    "The server could not be reached (${e.code()}). Try again."
                } else {
                    "Smart-ID login is not available (${e.code()})."
                }
            } catch (e: ActivityNotFoundException) {
                mutableMessage.value = "Nothing on this device can open the Smart-ID link. Install Smart-ID."
            }
        }
    }
}
