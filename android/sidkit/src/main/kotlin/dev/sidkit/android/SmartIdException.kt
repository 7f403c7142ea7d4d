package dev.sidkit.android

import dev.sidkit.ffi.FlowErrorKind
import dev.sidkit.ffi.SidkitException

/**
 * Every failure of a Smart-ID flow, as the wrapper throws and publishes it: one subclass per
 * kind of failure (the same cases as iOS's `SmartIdError`, docs/platform-api.md).
 *
 * A Smart-ID refusal or timeout is not an exception: it is an outcome (`FlowOutcome.Failed`).
 *
 * [message] is the reason (safe to log, not meant for end users); [cause] is the generated
 * [SidkitException] this was mapped from, when there was one ([toSmartIdException]).
 *
 * @property code the core's stable, machine-readable code (`SidkitException.code()`, e.g.
 *   `flow_cancelled`, `link_base_not_allowed`, `transport`), for logs and analytics.
 * @property isRetryable whether repeating the same call may succeed (a timeout, no network, a
 *   backend that says so, a busy flow); everything else needs a change first (a new flow).
 */
sealed class SmartIdException(
    val code: String,
    reason: String,
    val isRetryable: Boolean,
    cause: Throwable?,
) : Exception(reason, cause) {
    /** A fixed English sentence fit to show to the user (never backend text). */
    abstract val userMessage: String

    /** The flow was cancelled: by the app, by the end of its scope, or replaced by a newer flow. */
    class Cancelled(reason: String = "the flow was cancelled", cause: Throwable? = null, code: String = "flow_cancelled") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "The Smart-ID request was cancelled."
    }

    /** The flow's deadline passed before it ended. */
    class Expired(reason: String = "the flow expired", cause: Throwable? = null, code: String = "flow_expired") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "The Smart-ID request timed out. Please try again."
    }

    /** The backend could not be reached (the transport's `SidkitException.Transport`). */
    class Network(reason: String, isRetryable: Boolean = true, cause: Throwable? = null, code: String = "transport") :
        SmartIdException(code, reason, isRetryable, cause) {
        override val userMessage: String get() = "The server could not be reached. Check the connection and try again."
    }

    /**
     * The backend answered with an error (`SidkitException.Backend`).
     */
    class Backend(reason: String, isRetryable: Boolean = false, cause: Throwable? = null, code: String = "backend") :
        SmartIdException(code, reason, isRetryable, cause) {
        override val userMessage: String get() = "The server could not complete the Smart-ID request. Please try again later."
    }

    /** The device link from the backend failed its check before launch (`LinkRejected`). */
    class LinkRejected(reason: String, cause: Throwable? = null, code: String = "link_malformed") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "The Smart-ID link could not be verified."
    }

    /** A return URL for this flow was not accepted (`ReturnUrlRejected`: replayed, stale, ...). */
    class ReturnRejected(reason: String, cause: Throwable? = null, code: String = "return_url_malformed") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "The answer from the Smart-ID app was not accepted."
    }

    /**
     * The flow ended as failed for a reason of its own: the backend ended it (the code it
     * reported), its answer violated the contract (`flow_bad_response`), its outcome was
     * already handed to an earlier request (`flow_outcome_delivered`), its snapshot was unusable
     * (`flow_snapshot`), the step did not fit its state (`flow_invalid_state`) or another
     * operation was running (`flow_busy`, the only retryable one). Start a new flow. Swift's
     * `SmartIdError.flowFailed` has the same codes.
     */
    class FlowFailed(reason: String, cause: Throwable? = null, code: String = "flow_failed") :
        SmartIdException(code, reason, code == "flow_busy", cause) {
        override val userMessage: String get() = "The Smart-ID request failed. Please start again."
    }

    /** Nothing on the device can open the device link (no browser, no Smart-ID app). */
    class CannotOpenLink(reason: String = "nothing can open the Smart-ID link", cause: Throwable? = null, code: String = "cannot_open_link") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "Smart-ID could not be opened on this device. Install the Smart-ID app."
    }

    /** An argument or configuration value is invalid (`InvalidInput`). */
    class InvalidInput(reason: String, cause: Throwable? = null, code: String = "invalid_input") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "Smart-ID is not set up correctly in this app."
    }

    /** The backend speaks another major version of the sidkit contract: update the app or the backend. */
    class ContractVersion(reason: String, cause: Throwable? = null, code: String = "contract_version") :
        SmartIdException(code, reason, false, cause) {
        override val userMessage: String get() = "This app needs an update to use Smart-ID."
    }

    /**
     * Anything else: a state error, a busy flow (`isRetryable`), a snapshot that could not be
     * restored, or an unexpected exception of the app's transport.
     */
    class Internal(reason: String, isRetryable: Boolean = false, cause: Throwable? = null, code: String = "unexpected") :
        SmartIdException(code, reason, isRetryable, cause) {
        override val userMessage: String get() = "Something went wrong with Smart-ID. Please try again."
    }
}

/**
 * The [SmartIdException] of a generated [SidkitException]: every variant and kind maps to exactly
 * one subclass, keeping the core's code, its retryable flag, its reason (as `message`) and the
 * original (as `cause`).
 */
fun SidkitException.toSmartIdException(): SmartIdException {
    val e = this
    val code = e.code()
    val retry = e.isRetryable()
    val reason = e.describe()
    return when (e) {
        is SidkitException.InvalidInput -> SmartIdException.InvalidInput(reason, e, code)
        is SidkitException.LinkRejected -> SmartIdException.LinkRejected(reason, e, code)
        is SidkitException.ReturnUrlRejected -> SmartIdException.ReturnRejected(reason, e, code)
        is SidkitException.Transport -> SmartIdException.Network(reason, retry, e, code)
        is SidkitException.Backend -> SmartIdException.Backend(reason, retry, e, code)
        is SidkitException.Unexpected -> SmartIdException.Internal(reason, retry, e, code)
        is SidkitException.Flow -> when (e.kind) {
            FlowErrorKind.CANCELLED -> SmartIdException.Cancelled(reason, e, code)
            FlowErrorKind.EXPIRED -> SmartIdException.Expired(reason, e, code)
            FlowErrorKind.CONTRACT_VERSION -> SmartIdException.ContractVersion(reason, e, code)
            FlowErrorKind.BAD_RESPONSE, FlowErrorKind.OUTCOME_DELIVERED, FlowErrorKind.INVALID_STATE,
            FlowErrorKind.BUSY, FlowErrorKind.SNAPSHOT -> SmartIdException.FlowFailed(reason, e, code)
        }
    }
}

/**
 * The [SmartIdException] of a failure known only by its core [code] and [reason] (a flow that
 * ended `Failed` before this process saw the exception, e.g. after a restore, or an error that
 * crossed an `Intent`). Codes map as [toSmartIdException] maps the exceptions that carry them.
 */
internal fun smartIdExceptionOf(code: String, reason: String, retryable: Boolean = false): SmartIdException = when {
    code == "flow_cancelled" -> SmartIdException.Cancelled(reason, null, code)
    code == "flow_expired" -> SmartIdException.Expired(reason, null, code)
    code == "transport" -> SmartIdException.Network(reason, retryable, null, code)
    code == "backend" -> SmartIdException.Backend(reason, retryable, null, code)
    code.startsWith("link_") -> SmartIdException.LinkRejected(reason, null, code)
    code.startsWith("return_url_") -> SmartIdException.ReturnRejected(reason, null, code)
    code == "invalid_input" -> SmartIdException.InvalidInput(reason, null, code)
    code == "contract_version" -> SmartIdException.ContractVersion(reason, null, code)
    code == "cannot_open_link" -> SmartIdException.CannotOpenLink(reason, null, code)
    code in INTERNAL_CODES -> SmartIdException.Internal(reason, retryable, null, code)
    else -> SmartIdException.FlowFailed(reason, null, code)
}

private val INTERNAL_CODES = setOf("unexpected")

/** The exception's reason without the generated `field=value` formatting noise. */
internal fun SidkitException.describe(): String = when (this) {
    is SidkitException.InvalidInput -> "invalid $field: $reason"
    is SidkitException.LinkRejected -> reason
    is SidkitException.ReturnUrlRejected -> reason
    is SidkitException.Flow -> reason
    is SidkitException.Transport -> reason
    is SidkitException.Backend -> "$backendCode (HTTP $httpStatus): $reason"
    is SidkitException.Unexpected -> reason
}
