package dev.sidkit.android

import android.app.Activity
import android.app.Application
import android.content.Context
import android.content.Intent
import android.net.Uri
import android.os.Bundle
import androidx.activity.ComponentActivity
import androidx.activity.OnBackPressedCallback
import androidx.lifecycle.AndroidViewModel
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.SavedStateHandle
import androidx.lifecycle.ViewModelProvider
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import androidx.lifecycle.viewModelScope
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.Presentation
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.filterNotNull
import kotlinx.coroutines.launch

/**
 * The library's App Link receiver (AppAuth's `RedirectUriReceiverActivity` pattern): declared,
 * exported, in the library's manifest with a verified App Link filter for
 * `https://${sidkitReturnHost}${sidkitReturnPath}` (manifest placeholders the app sets in
 * Gradle). It forwards the return URL to the [SmartIdManagementActivity] that runs the flow
 * (`FLAG_ACTIVITY_CLEAR_TOP | FLAG_ACTIVITY_SINGLE_TOP`, so the running instance gets it) and
 * finishes at once. The app does not start or subclass it.
 */
class SmartIdRedirectActivity : Activity() {
    /** Forwards the intent's URL and finishes. */
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        val url = returnUrlOf(intent)
        if (url != null) startActivity(SmartIdManagementActivity.returnIntent(this, url))
        finish()
    }
}

/**
 * The library's activity that runs one [SmartIdLogin] flow (AppAuth's
 * `AuthorizationManagementActivity` pattern; not exported, no UI of its own): it starts the flow
 * with the app's [SmartIdClientProvider.smartIdClient], opens the device link with
 * [DeviceLinkLauncher], receives the return forwarded by [SmartIdRedirectActivity], asks the
 * backend when it is resumed without a return ([SmartIdFlowCoordinator.refresh]), and delivers
 * the [SmartIdResult] and finishes. Back cancels the flow.
 *
 * The flow runs in a ViewModel (it survives configuration changes and holds no Activity); only
 * the flow id goes to its `SavedStateHandle`. After process death the flow comes back from the
 * library's [NoBackupSnapshotStore] (store `login`) when the activity is recreated.
 */
class SmartIdManagementActivity : ComponentActivity() {
    private val flow: SmartIdLoginViewModel by lazy { ViewModelProvider(this)[SmartIdLoginViewModel::class.java] }

    /** Starts the flow (first creation) or takes the return that created this instance. */
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        onBackPressedDispatcher.addCallback(
            this,
            object : OnBackPressedCallback(true) {
                override fun handleOnBackPressed() = flow.cancel()
            },
        )
        val returnUrl = returnUrlOf(intent)
        when {
            returnUrl != null -> flow.takeReturn(returnUrl)
            savedInstanceState == null -> flow.begin(requestOf(intent.getBundleExtra(EXTRA_REQUEST)))
            else -> flow.resumeAfterRecreation()
        }
        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.CREATED) {
                flow.result.filterNotNull().collect { result ->
                    setResult(Activity.RESULT_OK, Intent().putExtra(EXTRA_RESULT, result.toBundle()))
                    finish()
                }
            }
        }
    }

    /** The return URL forwarded by [SmartIdRedirectActivity]. */
    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        returnUrlOf(intent)?.let(flow::takeReturn)
    }

    /** Back from Smart-ID without a return: ask the backend where the flow is. */
    override fun onResume() {
        super.onResume()
        flow.onResumed()
    }

    /** Remembers that the user left for Smart-ID. */
    override fun onPause() {
        super.onPause()
        flow.onPaused()
    }

    internal companion object {
        /** The intent that hands [url] to the running instance (or a new one). */
        fun returnIntent(context: Context, url: String): Intent =
            Intent(context, SmartIdManagementActivity::class.java)
                .setAction(Intent.ACTION_VIEW)
                .setData(Uri.parse(url))
                .addFlags(Intent.FLAG_ACTIVITY_NEW_TASK or Intent.FLAG_ACTIVITY_CLEAR_TOP or Intent.FLAG_ACTIVITY_SINGLE_TOP)
    }
}

/**
 * The flow of one [SmartIdManagementActivity]: a [SmartIdFlowCoordinator] in `viewModelScope`
 * (so the end of the activity for good cancels a pending flow), the flow id in the
 * [SavedStateHandle], and the [result] to deliver. Library-internal; public only because the
 * ViewModel factory instantiates it.
 */
class SmartIdLoginViewModel(app: Application, private val saved: SavedStateHandle) : AndroidViewModel(app) {
    private val client = (app as? SmartIdClientProvider)?.smartIdClient
    private val coordinator = client?.let {
        SmartIdFlowCoordinator(app, it, viewModelScope, snapshotStore = NoBackupSnapshotStore(app, STORE_NAME))
    }
    private val mutableResult = MutableStateFlow<SmartIdResult?>(null)
    private var leftForSmartId = false

    /** The result to deliver, once there is one. */
    internal val result: StateFlow<SmartIdResult?> = mutableResult.asStateFlow()

    init {
        // After process death: the activity is recreated with the saved flow id.
        if (coordinator != null && saved.get<String>(KEY_FLOW_ID) != null) restoreAndAwait()
    }

    internal fun begin(request: SmartIdRequest?) {
        val c = coordinator ?: return deliver(noProvider())
        if (saved.get<Boolean>(KEY_STARTED) == true) return
        saved[KEY_STARTED] = true
        if (request == null || request.presentation != Presentation.APP2APP) {
            return deliver(SmartIdResult.Error(SmartIdException.InvalidInput("SmartIdLogin runs App2App requests")))
        }
        viewModelScope.launch {
            try {
                saved[KEY_FLOW_ID] = c.start(getApplication(), request)
            } catch (e: SmartIdException) {
                deliver(SmartIdResult.Error(e))
                return@launch
            }
            await(c)
        }
    }

    /**
     * The activity was recreated (process death) without a return in its intent: the flow was
     * restored in [init] from the saved flow id, or, if the process died before the id was
     * saved, from the store; with neither there is nothing left to wait for.
     */
    internal fun resumeAfterRecreation() {
        val c = coordinator ?: return deliver(noProvider())
        if (c.currentFlowId == null && !restoreAndAwait()) {
            deliver(SmartIdResult.Error(SmartIdException.Internal("the pending flow was lost", code = "flow_snapshot")))
        }
    }

    internal fun takeReturn(url: String) {
        val c = coordinator ?: return deliver(noProvider())
        if (c.currentFlowId == null && !restoreAndAwait()) {
            return deliver(SmartIdResult.Error(SmartIdException.ReturnRejected("no pending flow for this return", code = "return_url_unknown_flow")))
        }
        c.handle(url)
    }

    internal fun onPaused() {
        if (coordinator?.currentFlowId != null) leftForSmartId = true
    }

    internal fun onResumed() {
        val c = coordinator ?: return
        if (!leftForSmartId) return
        viewModelScope.launch { c.refresh() }
    }

    internal fun cancel() {
        val c = coordinator
        if (c?.currentFlowId == null) deliver(SmartIdResult.Cancelled) else c.cancel()
    }

    /** Restores the pending flow from the store and waits for it; `false` if there was none. */
    private fun restoreAndAwait(): Boolean {
        val c = coordinator ?: return false
        if (!c.restorePendingFlow()) {
            if (saved.get<String>(KEY_FLOW_ID) != null) {
                deliver(SmartIdResult.Error(SmartIdException.Internal("the pending flow could not be restored", code = "flow_snapshot")))
            }
            return false
        }
        saved[KEY_FLOW_ID] = c.currentFlowId
        // Back from a restore: the user was in Smart-ID, so a resume without a return polls.
        leftForSmartId = true
        viewModelScope.launch { await(c) }
        return true
    }

    private suspend fun await(c: SmartIdFlowCoordinator) {
        val result = try {
            when (val o = c.awaitOutcome()) {
                is FlowOutcome.Failed -> SmartIdResult.Refused(o)
                else -> SmartIdResult.Success(o)
            }
        } catch (e: SmartIdException.Cancelled) {
            SmartIdResult.Cancelled
        } catch (e: SmartIdException) {
            SmartIdResult.Error(e)
        } catch (e: CancellationException) {
            throw e
        }
        deliver(result)
    }

    private fun deliver(r: SmartIdResult) {
        if (mutableResult.value == null) mutableResult.value = r
    }

    private fun noProvider() = SmartIdResult.Error(
        SmartIdException.InvalidInput("the Application does not implement dev.sidkit.android.SmartIdClientProvider"),
    )

    /** Cancels a pending flow (the activity is gone for good) and frees the coordinator. */
    override fun onCleared() {
        coordinator?.close()
    }

    internal companion object {
        const val KEY_FLOW_ID = "dev.sidkit.android.flowId"
        const val KEY_STARTED = "dev.sidkit.android.started"

        /** The [NoBackupSnapshotStore] name of [SmartIdLogin] flows. */
        const val STORE_NAME = "login"
    }
}
