package dev.sidkit.android

import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.FlowStatus
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.SidkitFlow

/**
 * Where the current Smart-ID flow of a [SmartIdFlowCoordinator] is, as its
 * [SmartIdFlowCoordinator.state] publishes it. Render the UI from this value. A flow moves
 * `Idle → Starting → AwaitingReturn(launched = false) → AwaitingReturn(launched = true) →
 * Completing → Finished`, or `Starting → ShowingQr → Finished` for QR; it can end [Failed],
 * [Cancelled] or [Expired] from any pending state. Which flow a state belongs to is
 * [SmartIdFlowCoordinator.currentFlowId].
 */
sealed class SmartIdFlowState {
    /** `true` while a flow runs: [Starting], [AwaitingReturn], [ShowingQr], [Completing]. */
    open val isInProgress: Boolean get() = false

    /** `true` for states that never change again ([Finished], [Failed], [Cancelled], [Expired]). */
    open val isTerminal: Boolean get() = false

    /** No flow. */
    object Idle : SmartIdFlowState() {
        override fun toString(): String = "Idle"
    }

    /** The backend is creating the Smart-ID session. */
    object Starting : SmartIdFlowState() {
        override val isInProgress: Boolean get() = true
        override fun toString(): String = "Starting"
    }

    /**
     * The checked App2App link is ready ([launched] `false`) or was opened ([launched] `true`);
     * waiting for the user in the Smart-ID app and for the return through the App Link.
     *
     * @property deviceLink the link, to reopen Smart-ID if the user comes back without a result.
     * @property launched whether the link was opened.
     */
    data class AwaitingReturn(val deviceLink: String, val launched: Boolean) : SmartIdFlowState() {
        override val isInProgress: Boolean get() = true
    }

    /**
     * A QR flow (another device scans): show [deviceLink] as a QR code; the coordinator polls
     * every [SmartIdFlowCoordinator.qrPollInterval] and publishes the next link.
     *
     * @property deviceLink the QR link to show now.
     */
    data class ShowingQr(val deviceLink: String) : SmartIdFlowState() {
        override val isInProgress: Boolean get() = true
    }

    /** The return URL is with the backend, which verifies it. */
    object Completing : SmartIdFlowState() {
        override val isInProgress: Boolean get() = true
        override fun toString(): String = "Completing"
    }

    /**
     * The flow ended with a verified outcome: authenticated, signed, or a Smart-ID refusal /
     * timeout ([FlowOutcome.Failed], which is an outcome, not an error).
     *
     * @property outcome the outcome the backend verified.
     */
    data class Finished(val outcome: FlowOutcome) : SmartIdFlowState() {
        override val isTerminal: Boolean get() = true
    }

    /**
     * The flow failed (rejected link, backend error, non-retryable network error, ...).
     *
     * @property error why; its `code` is the core's stable code.
     */
    data class Failed(val error: SmartIdException) : SmartIdFlowState() {
        override val isTerminal: Boolean get() = true
    }

    /** The flow was cancelled (by the app, by a newer flow, or because the coordinator's scope ended). */
    object Cancelled : SmartIdFlowState() {
        override val isTerminal: Boolean get() = true
        override fun toString(): String = "Cancelled"
    }

    /** The flow's deadline passed. */
    object Expired : SmartIdFlowState() {
        override val isTerminal: Boolean get() = true
        override fun toString(): String = "Expired"
    }
}

/**
 * The state of [flow] as the Rust state machine reports it (this also applies the deadline).
 * [error] is the exception the last operation threw, if any.
 */
internal fun stateOf(flow: SidkitFlow, error: SidkitException? = null): SmartIdFlowState =
    when (val s = flow.status()) {
        is FlowStatus.Created ->
            if (error != null) SmartIdFlowState.Failed(error.toSmartIdException()) else SmartIdFlowState.Starting
        is FlowStatus.Starting -> SmartIdFlowState.Starting
        is FlowStatus.ReadyToLaunch -> SmartIdFlowState.AwaitingReturn(s.deviceLink, launched = false)
        is FlowStatus.AwaitingReturn -> SmartIdFlowState.AwaitingReturn(s.deviceLink, launched = true)
        is FlowStatus.ShowingQr -> SmartIdFlowState.ShowingQr(s.deviceLink)
        is FlowStatus.Completing -> SmartIdFlowState.Completing
        is FlowStatus.Finished -> SmartIdFlowState.Finished(s.outcome)
        is FlowStatus.Cancelled -> SmartIdFlowState.Cancelled
        is FlowStatus.Expired -> SmartIdFlowState.Expired
        is FlowStatus.Failed -> SmartIdFlowState.Failed(
            error?.toSmartIdException()?.takeIf { it.code == s.code } ?: smartIdExceptionOf(s.code, s.reason),
        )
    }

/** What [SmartIdFlowCoordinator.handleReturn] did with a return URL. */
sealed class ReturnResult {
    /**
     * Not a return of this coordinator's flow: not an `https` URL (or not an `ACTION_VIEW`
     * intent), not on the callback base, a token of no flow this process knows, or the return
     * of another coordinator's flow. Route it elsewhere.
     */
    object Ignored : ReturnResult() {
        override fun toString(): String = "Ignored"
    }

    /**
     * The flow completed with this verified outcome (also for a repeated delivery of the same
     * URL, which is answered without another backend call).
     *
     * @property outcome the outcome.
     */
    data class Completed(val outcome: FlowOutcome) : ReturnResult()

    /**
     * The URL was for this coordinator's flow but was not accepted: replayed (a different URL
     * after one was taken), stale (the flow was cancelled or expired), refused by the backend,
     * or the backend was unreachable (`error.isRetryable`: deliver it again later, or call
     * [SmartIdFlowCoordinator.refresh]).
     *
     * @property error the reason.
     */
    data class Rejected(val error: SmartIdException) : ReturnResult()
}
