package dev.sidkit.android

import android.app.Activity
import android.content.Context
import android.content.Intent
import android.os.Bundle
import androidx.activity.result.contract.ActivityResultContract
import dev.sidkit.ffi.CertificateLevel
import dev.sidkit.ffi.FailureReason
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.Identity
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SignatureResult

/**
 * Implemented by the app's `Application` to hand the library's activities the app's one
 * [SidkitClient]. The library asks for it in its own activities ([SmartIdLogin]); because
 * `Application.onCreate` runs again in a new process, the client is there after process death
 * too, without any global mutable state in the library.
 *
 * ```kotlin
 * class MyApp : Application(), SmartIdClientProvider {
 *     override val smartIdClient: SidkitClient by lazy {
 *         SidkitClient(SidkitConfig(callbackBase = "https://rp.example.com/smart-id/return",
 *             environment = SmartIdEnvironment.LIVE), HttpBackendTransport("https://rp.example.com/api"))
 *     }
 * }
 * ```
 */
interface SmartIdClientProvider {
    /** The app's client (its callback base must be the App Link the manifest placeholders name). */
    val smartIdClient: SidkitClient
}

/** What a [SmartIdLogin] run ended with. */
sealed class SmartIdResult {
    /**
     * The backend verified an authentication or a signature.
     *
     * @property outcome a [FlowOutcome.Authenticated] or [FlowOutcome.Signed].
     */
    data class Success(val outcome: FlowOutcome) : SmartIdResult()

    /**
     * The Smart-ID session ended without a result: the user refused, it timed out in Smart-ID,
     * the account cannot be used, ... (a verified outcome, not an error).
     *
     * @property outcome why.
     */
    data class Refused(val outcome: FlowOutcome.Failed) : SmartIdResult()

    /** The user left (back), or the flow was cancelled. */
    object Cancelled : SmartIdResult() {
        override fun toString(): String = "Cancelled"
    }

    /**
     * The flow failed. After crossing the activity boundary the error keeps its subclass,
     * `code`, `isRetryable` and reason; its `cause` (the generated exception) stays behind.
     *
     * @property error why.
     */
    data class Error(val error: SmartIdException) : SmartIdResult()
}

/**
 * The `ActivityResultContract` of a Smart-ID flow run by the library, AppAuth style:
 *
 * ```kotlin
 * private val login = registerForActivityResult(SmartIdLogin()) { result ->
 *     when (result) {
 *         is SmartIdResult.Success -> show(result.outcome)
 *         is SmartIdResult.Refused -> showRefused(result.outcome.reason)
 *         SmartIdResult.Cancelled -> Unit
 *         is SmartIdResult.Error -> showError(result.error.userMessage)
 *     }
 * }
 * loginButton.setOnClickListener { login.launch(SmartIdRequest()) }
 * ```
 *
 * The library's `SmartIdManagementActivity` starts the flow with the app's client
 * ([SmartIdClientProvider]), opens Smart-ID, takes the return through the library's
 * [SmartIdRedirectActivity] (the App Link of the manifest placeholders `sidkitReturnHost` and
 * `sidkitReturnPath`), asks the backend when the user comes back without a return, and delivers
 * the result. The app forwards no lifecycle callback and needs no `singleTask`. After process
 * death the flow is restored from the library's snapshot store and the result still arrives
 * through the activity result registry. Only App2App requests are run (a QR request ends in
 * [SmartIdResult.Error] with [SmartIdException.InvalidInput]).
 */
class SmartIdLogin : ActivityResultContract<SmartIdRequest, SmartIdResult>() {
    /** The intent that starts the library's management activity for [input]. */
    override fun createIntent(context: Context, input: SmartIdRequest): Intent =
        Intent(context, SmartIdManagementActivity::class.java).putExtra(EXTRA_REQUEST, input.toBundle())

    /** The [SmartIdResult] the management activity delivered ([SmartIdResult.Cancelled] if none). */
    override fun parseResult(resultCode: Int, intent: Intent?): SmartIdResult {
        val bundle = intent?.getBundleExtra(EXTRA_RESULT)
        if (resultCode != Activity.RESULT_OK || bundle == null) return SmartIdResult.Cancelled
        return resultOf(bundle) ?: SmartIdResult.Error(SmartIdException.Internal("an unreadable result"))
    }
}

internal const val EXTRA_REQUEST = "dev.sidkit.android.request"
internal const val EXTRA_RESULT = "dev.sidkit.android.result"

// ---- Bundle forms of the request and the result (intents carry no generated types).

internal fun SmartIdRequest.toBundle(): Bundle = Bundle().apply {
    putString("kind", kind.name)
    putString("lang", lang.code)
    putString("signingContext", signingContext)
    putString("presentation", presentation.name)
}

internal fun requestOf(b: Bundle?): SmartIdRequest? {
    if (b == null) return null
    return try {
        SmartIdRequest(
            kind = FlowKind.valueOf(b.getString("kind") ?: return null),
            lang = SmartIdLanguage.ofCode(b.getString("lang") ?: return null) ?: return null,
            signingContext = b.getString("signingContext"),
            presentation = Presentation.valueOf(b.getString("presentation") ?: return null),
        )
    } catch (e: IllegalArgumentException) {
        null
    }
}

internal fun SmartIdResult.toBundle(): Bundle = Bundle().also { b ->
    when (this) {
        is SmartIdResult.Success -> { b.putString("type", "success"); b.putBundle("outcome", outcome.toBundle()) }
        is SmartIdResult.Refused -> { b.putString("type", "refused"); b.putBundle("outcome", outcome.toBundle()) }
        SmartIdResult.Cancelled -> b.putString("type", "cancelled")
        is SmartIdResult.Error -> {
            b.putString("type", "error")
            b.putString("errorType", error.javaClass.simpleName)
            b.putString("code", error.code)
            b.putString("reason", error.message)
            b.putBoolean("retryable", error.isRetryable)
        }
    }
}

internal fun resultOf(b: Bundle): SmartIdResult? = try {
    when (b.getString("type")) {
        "success" -> SmartIdResult.Success(outcomeOf(b.getBundle("outcome")!!))
        "refused" -> SmartIdResult.Refused(outcomeOf(b.getBundle("outcome")!!) as FlowOutcome.Failed)
        "cancelled" -> SmartIdResult.Cancelled
        "error" -> SmartIdResult.Error(errorOf(b.getString("errorType")!!, b.getString("code")!!, b.getString("reason").orEmpty(), b.getBoolean("retryable")))
        else -> null
    }
} catch (e: RuntimeException) {
    null
}

private fun errorOf(type: String, code: String, reason: String, retryable: Boolean): SmartIdException = when (type) {
    "Cancelled" -> SmartIdException.Cancelled(reason, null, code)
    "Expired" -> SmartIdException.Expired(reason, null, code)
    "Network" -> SmartIdException.Network(reason, retryable, null, code)
    "Backend" -> SmartIdException.Backend(reason, retryable, null, code)
    "LinkRejected" -> SmartIdException.LinkRejected(reason, null, code)
    "ReturnRejected" -> SmartIdException.ReturnRejected(reason, null, code)
    "FlowFailed" -> SmartIdException.FlowFailed(reason, null, code)
    "CannotOpenLink" -> SmartIdException.CannotOpenLink(reason, null, code)
    "InvalidInput" -> SmartIdException.InvalidInput(reason, null, code)
    "ContractVersion" -> SmartIdException.ContractVersion(reason, null, code)
    else -> SmartIdException.Internal(reason, retryable, null, code)
}

private fun FlowOutcome.toBundle(): Bundle = Bundle().also { b ->
    when (this) {
        is FlowOutcome.Authenticated -> {
            b.putString("type", "authenticated")
            b.putString("appData", appData)
            b.putString("givenName", identity.givenName)
            b.putString("surname", identity.surname)
            b.putString("identifier", identity.identifier)
            b.putString("country", identity.country)
            b.putString("documentNumber", identity.documentNumber)
            b.putString("certificateLevel", identity.certificateLevel.name)
            b.putString("dateOfBirth", identity.dateOfBirth)
        }
        is FlowOutcome.Signed -> {
            b.putString("type", "signed")
            b.putString("appData", appData)
            b.putString("documentNumber", signature.documentNumber)
            b.putString("certificateLevel", signature.certificateLevel.name)
            b.putString("signatureAlgorithm", signature.signatureAlgorithm)
            b.putString("signatureValue", signature.signatureValue)
            b.putString("certificate", signature.certificate)
        }
        is FlowOutcome.Failed -> {
            b.putString("type", "failed")
            b.putString("reason", reason.name)
            b.putString("interaction", interaction)
        }
    }
}

private fun outcomeOf(b: Bundle): FlowOutcome = when (b.getString("type")) {
    "authenticated" -> FlowOutcome.Authenticated(
        Identity(
            givenName = b.getString("givenName")!!,
            surname = b.getString("surname")!!,
            identifier = b.getString("identifier")!!,
            country = b.getString("country")!!,
            documentNumber = b.getString("documentNumber")!!,
            certificateLevel = CertificateLevel.valueOf(b.getString("certificateLevel")!!),
            dateOfBirth = b.getString("dateOfBirth"),
        ),
        b.getString("appData"),
    )
    "signed" -> FlowOutcome.Signed(
        SignatureResult(
            documentNumber = b.getString("documentNumber")!!,
            certificateLevel = CertificateLevel.valueOf(b.getString("certificateLevel")!!),
            signatureAlgorithm = b.getString("signatureAlgorithm")!!,
            signatureValue = b.getString("signatureValue")!!,
            certificate = b.getString("certificate"),
        ),
        b.getString("appData"),
    )
    "failed" -> FlowOutcome.Failed(FailureReason.valueOf(b.getString("reason")!!), b.getString("interaction"))
    else -> throw IllegalArgumentException("unknown outcome")
}
