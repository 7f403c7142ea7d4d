package dev.sidkit.android

import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.FlowStatus
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.SidkitFlow

/**
 * Where the current Smart-ID flow of a [SidkitController] is, as its [SidkitController.state]
 * publishes it. Render the UI from this value; it survives process death through the flow
 * snapshot (see [SidkitController.saveState]).
 */
sealed class SidkitState {
    /** The local id of the flow this state belongs to (`null` for [Idle]). */
    abstract val flowId: String?

    /** `true` for states that never change again ([Finished], [Failed], [Cancelled], [Expired]). */
    open val isTerminal: Boolean get() = false

    /** No flow yet. */
    object Idle : SidkitState() {
        override val flowId: String? get() = null
        override fun toString(): String = "Idle"
    }

    /**
     * The backend is creating the Smart-ID session.
     *
     * @property flowId the flow's local id.
     */
    data class Starting(override val flowId: String) : SidkitState()

    /**
     * The checked App2App link is ready or was opened; waiting for the user in the Smart-ID app
     * and for the return through the App Link.
     *
     * @property flowId the flow's local id.
     * @property deviceLink the link, to reopen Smart-ID if the user comes back without a result.
     * @property launched whether the link was opened (`markLaunched`).
     * @property error the last retryable error (e.g. the backend was unreachable while completing);
     *   delivering the same return URL again or calling [SidkitController.refresh] retries.
     */
    data class AwaitingUser(
        override val flowId: String,
        val deviceLink: String,
        val launched: Boolean,
        val error: SidkitException? = null,
    ) : SidkitState()

    /**
     * A QR flow (tablet): show [deviceLink] as a QR code and poll.
     *
     * @property flowId the flow's local id.
     * @property deviceLink the QR link to show now.
     */
    data class ShowingQr(override val flowId: String, val deviceLink: String) : SidkitState()

    /**
     * The return URL is with the backend, which verifies it.
     *
     * @property flowId the flow's local id.
     */
    data class Completing(override val flowId: String) : SidkitState()

    /**
     * The flow ended with a verified outcome: authenticated, signed, or a Smart-ID refusal /
     * timeout ([FlowOutcome.Failed], which is an outcome, not an error).
     *
     * @property flowId the flow's local id.
     * @property outcome the outcome the backend verified.
     */
    data class Finished(override val flowId: String, val outcome: FlowOutcome) : SidkitState() {
        override val isTerminal: Boolean get() = true
    }

    /**
     * The flow failed (rejected link, backend error, non-retryable transport error, ...).
     *
     * @property flowId the flow's local id.
     * @property code a stable machine-readable code (`SidkitException.code()`).
     * @property reason a description, safe to log, not meant for end users.
     * @property error the exception, when one was thrown to this process.
     */
    data class Failed(
        override val flowId: String,
        val code: String,
        val reason: String,
        val error: SidkitException? = null,
    ) : SidkitState() {
        override val isTerminal: Boolean get() = true
    }

    /**
     * The flow was cancelled (by the app, or because the controller's scope ended).
     *
     * @property flowId the flow's local id.
     */
    data class Cancelled(override val flowId: String) : SidkitState() {
        override val isTerminal: Boolean get() = true
    }

    /**
     * The flow's deadline passed.
     *
     * @property flowId the flow's local id.
     */
    data class Expired(override val flowId: String) : SidkitState() {
        override val isTerminal: Boolean get() = true
    }

    /** Conversions from the generated bindings. */
    companion object {
        /**
         * The state of [flow] as the Rust state machine reports it (this also applies the
         * deadline). [error] is the exception the last operation threw, if any.
         */
        fun of(flow: SidkitFlow, error: SidkitException? = null): SidkitState {
            val id = flow.id()
            return when (val s = flow.status()) {
                is FlowStatus.Created ->
                    if (error != null) Failed(id, error.code(), error.describe(), error) else Starting(id)
                is FlowStatus.Starting -> Starting(id)
                is FlowStatus.ReadyToLaunch -> AwaitingUser(id, s.deviceLink, launched = false, error = error)
                is FlowStatus.AwaitingReturn -> AwaitingUser(id, s.deviceLink, launched = true, error = error)
                is FlowStatus.ShowingQr -> ShowingQr(id, s.deviceLink)
                is FlowStatus.Completing -> Completing(id)
                is FlowStatus.Finished -> Finished(id, s.outcome)
                is FlowStatus.Cancelled -> Cancelled(id)
                is FlowStatus.Expired -> Expired(id)
                is FlowStatus.Failed -> Failed(id, s.code, s.reason, error)
            }
        }
    }
}

/** The exception's message without the generated `field=value` formatting noise. */
internal fun SidkitException.describe(): String = when (this) {
    is SidkitException.InvalidInput -> "invalid $field: $reason"
    is SidkitException.LinkRejected -> reason
    is SidkitException.ReturnUrlRejected -> reason
    is SidkitException.Flow -> reason
    is SidkitException.Transport -> reason
    is SidkitException.Backend -> "$backendCode (HTTP $httpStatus): $reason"
    is SidkitException.Unexpected -> reason
}
