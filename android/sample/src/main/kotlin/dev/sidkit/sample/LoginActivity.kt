package dev.sidkit.sample

import android.os.Bundle
import android.view.Gravity
import android.view.View
import android.widget.Button
import android.widget.LinearLayout
import android.widget.TextView
import androidx.activity.ComponentActivity
import dev.sidkit.android.SmartIdLogin
import dev.sidkit.android.SmartIdRequest
import dev.sidkit.android.SmartIdResult
import dev.sidkit.ffi.FlowOutcome

/**
 * The login screen: one button that runs Smart-ID through the library's [SmartIdLogin]
 * contract, and a line that shows who logged in. The library's own activities open Smart-ID and
 * take the App Link return; this activity forwards no lifecycle callback, needs no
 * `singleTask`, and keeps no flow state (the result arrives through the activity result
 * registry, also after process death).
 */
class LoginActivity : ComponentActivity() {
    private lateinit var status: TextView
    private lateinit var login: Button

    private val smartId = registerForActivityResult(SmartIdLogin()) { result ->
        login.isEnabled = true
        status.text = when (result) {
            is SmartIdResult.Success -> when (val o = result.outcome) {
                is FlowOutcome.Authenticated ->
                    "Welcome, ${o.identity.givenName} ${o.identity.surname}\n${o.identity.identifier} (${o.identity.country})"
                is FlowOutcome.Signed -> "Signed with ${o.signature.documentNumber}."
                is FlowOutcome.Failed -> "Smart-ID ended without a login: ${o.reason}."
            }
            is SmartIdResult.Refused -> "Smart-ID ended without a login: ${result.outcome.reason}."
            SmartIdResult.Cancelled -> "Cancelled."
            is SmartIdResult.Error -> "${result.error.userMessage} (${result.error.code})"
        }
    }

    /** Builds the screen; there is nothing to restore or to forward. */
    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        setContentView(buildLayout())
    }

    private fun buildLayout(): View {
        val pad = (24 * resources.displayMetrics.density).toInt()
        status = TextView(this).apply {
            textSize = 18f
            text = "Log in with Smart-ID on this phone."
            tag = "status"
            // The system keeps the shown result across recreation (it is not a secret).
            freezesText = true
            id = View.generateViewId()
        }
        login = Button(this).apply {
            text = "Log in with Smart-ID"
            tag = "login"
            setOnClickListener {
                isEnabled = false
                status.text = "Opening Smart-ID…"
                smartId.launch(SmartIdRequest())
            }
        }
        return LinearLayout(this).apply {
            orientation = LinearLayout.VERTICAL
            gravity = Gravity.CENTER_HORIZONTAL
            setPadding(pad, pad, pad, pad)
            listOf(status, login).forEach(::addView)
        }
    }
}
