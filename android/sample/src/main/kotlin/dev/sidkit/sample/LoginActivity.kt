package dev.sidkit.sample

import android.content.Intent
import android.os.Bundle
import android.view.Gravity
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import androidx.activity.ComponentActivity
import androidx.activity.viewModels
import androidx.lifecycle.Lifecycle
import androidx.lifecycle.lifecycleScope
import androidx.lifecycle.repeatOnLifecycle
import dev.sidkit.android.DeviceLinkLauncher
import dev.sidkit.android.LaunchResult
import dev.sidkit.android.SidkitState
import dev.sidkit.ffi.FlowOutcome
import kotlinx.coroutines.launch

/**
 * The login screen: start, open Smart-ID, come back through the App Link, show who logged in.
 * `launchMode="singleTask"` in the manifest routes the return to this instance (onNewIntent).
 */
class LoginActivity : ComponentActivity() {
    private val vm: LoginViewModel by viewModels()
    private lateinit var status: TextView
    private lateinit var message: TextView
    private lateinit var login: Button
    private lateinit var reopen: Button
    private lateinit var cancel: Button

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(buildLayout())

        // After process death the ViewModel is new: bring the pending flow back from the
        // snapshot store (also when the App Link started a fresh activity) before looking at
        // the intent. A config change keeps the ViewModel and its flow.
        if (vm.sidkit.currentFlow == null) vm.sidkit.restoreState(savedInstanceState)
        // Cold start through the App Link. Handling the same return twice is harmless: the
        // second delivery gets the same outcome without another backend call.
        vm.sidkit.handleIntent(intent)

        lifecycleScope.launch {
            repeatOnLifecycle(Lifecycle.State.STARTED) {
                launch { vm.sidkit.state.collect(::render) }
                launch { vm.message.collect { message.text = it.orEmpty() } }
                launch {
                    vm.sidkit.returnErrors.collect { e ->
                        message.text = if (e.isRetryable()) {
                            "Connection problem while finishing the login; open the app again to retry."
                        } else {
                            "That Smart-ID return was not accepted (${e.code()})."
                        }
                    }
                }
            }
        }
    }

    override fun onNewIntent(intent: Intent) {
        super.onNewIntent(intent)
        setIntent(intent)
        if (!vm.sidkit.handleIntent(intent)) {
            // Not a Smart-ID return of this screen's flow: the app's other deep links go here.
        }
    }

    override fun onResume() {
        super.onResume()
        // Back from Smart-ID without a return link (e.g. the user refused): ask the backend.
        lifecycleScope.launch { vm.sidkit.refresh() }
    }

    override fun onSaveInstanceState(outState: Bundle) {
        super.onSaveInstanceState(outState)
        vm.sidkit.saveState(outState)
    }

    private fun render(state: SidkitState) {
        val busy = state is SidkitState.Starting || state is SidkitState.Completing ||
            (state is SidkitState.AwaitingUser && state.launched)
        login.isEnabled = !busy
        cancel.visibility = if (busy) View.VISIBLE else View.GONE
        reopen.visibility = if (state is SidkitState.AwaitingUser && state.launched) View.VISIBLE else View.GONE
        status.text = when (state) {
            SidkitState.Idle -> "Log in with Smart-ID on this phone."
            is SidkitState.Starting -> "Contacting the server…"
            is SidkitState.AwaitingUser -> when {
                !state.launched -> "Opening Smart-ID…"
                vm.sidkit.lastLaunch == LaunchResult.BROWSER_FALLBACK ->
                    "Smart-ID is not installed: install it from the page that opened, then tap Reopen."
                else -> "Confirm the login in the Smart-ID app."
            }
            is SidkitState.ShowingQr -> "Scan the QR code with Smart-ID."
            is SidkitState.Completing -> "Verifying…"
            is SidkitState.Finished -> when (val o = state.outcome) {
                is FlowOutcome.Authenticated ->
                    "Welcome, ${o.identity.givenName} ${o.identity.surname}\n${o.identity.identifier} (${o.identity.country})"
                is FlowOutcome.Signed -> "Signed with ${o.signature.documentNumber}."
                is FlowOutcome.Failed -> "Smart-ID ended without a login: ${o.reason}."
            }
            is SidkitState.Failed -> "The login failed (${state.code})."
            is SidkitState.Cancelled -> "Cancelled."
            is SidkitState.Expired -> "The login timed out."
        }
    }

    private fun buildLayout(): View {
        val pad = (24 * resources.displayMetrics.density).toInt()
        status = TextView(this).apply { textSize = 18f }
        message = TextView(this)
        login = Button(this).apply {
            text = "Log in with Smart-ID"
            setOnClickListener { vm.login(this@LoginActivity) }
        }
        reopen = Button(this).apply {
            text = "Reopen Smart-ID"
            setOnClickListener {
                val link = (vm.sidkit.state.value as? SidkitState.AwaitingUser)?.deviceLink
                if (link != null) runCatching { DeviceLinkLauncher().launch(this@LoginActivity, link) }
            }
        }
        cancel = Button(this).apply {
            text = "Cancel"
            setOnClickListener { vm.sidkit.cancel() }
        }
        return LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            gravity = Gravity.CENTER_HORIZONTAL
            setPadding(pad, pad, pad, pad)
            listOf(status, message, login, reopen, cancel).forEach(::addView)
        }
    }
}
