package dev.sidkit.android

import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.FlowProgress
import dev.sidkit.ffi.FlowStep
import dev.sidkit.ffi.Presentation
import dev.sidkit.ffi.SidkitClient
import dev.sidkit.ffi.SidkitException
import dev.sidkit.ffi.SidkitFlow
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.channels.BufferOverflow
import kotlinx.coroutines.delay
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/**
 * Runs Smart-ID flows for one screen of an Android app that keeps its own App Link activity:
 * starts a flow through the app's backend, opens the device link (App2App) or publishes the QR
 * link to show (and polls it), takes the return URL, and publishes where the flow is as a
 * [StateFlow]. Most apps do not need it: [SmartIdLogin] runs the whole flow in the library's own
 * activities (docs/integration-android.md).
 *
 * ```kotlin
 * class LoginViewModel(app: Application) : AndroidViewModel(app) {
 *     val smartId = SmartIdFlowCoordinator(app, (app as SmartIdClientProvider).smartIdClient, viewModelScope)
 *     fun login() = viewModelScope.launch { smartId.start(getApplication(), SmartIdRequest()) }
 * }
 * // In the app's App Link activity: coordinator.handle(intent); in onResume: refresh().
 * ```
 *
 * **One flow at a time.** Starting a flow while another is pending cancels the pending one (the
 * backend is told) and its waiter ([awaitOutcome], [run]) gets [SmartIdException.Cancelled].
 * Several coordinators may share one [SidkitClient]; each takes only the returns of its own flow.
 *
 * **Lifecycle.** When the Job of the scope completes (e.g. `viewModelScope` when the ViewModel
 * is cleared) the pending flow is cancelled. [close] does the same and also closes the client
 * when the coordinator owns it (`ownsClient`). Use a scope that survives configuration changes
 * (a ViewModel's). Process death does not cancel: [restorePendingFlow] brings the flow back from
 * the [SnapshotStore]. The deadline watcher of a flow is cancelled as soon as the flow ends.
 *
 * **The snapshot is a secret**: it holds the flow key, a bearer credential for that one flow. The
 * coordinator keeps it only in its [SnapshotStore] (by default a [NoBackupSnapshotStore] in
 * `noBackupFilesDir`). Only [currentFlowId], which is not a secret, may go to a
 * `SavedStateHandle`.
 *
 * @param client the app's [SidkitClient] (one per app, with its transport and callback base).
 * @param scope the scope that owns the flows; its end cancels the pending flow.
 * @param launcher opens device links (replace it to customise, e.g. Custom Tabs for the fallback).
 * @param snapshotStore where the pending flow's snapshot is kept across process death, read by
 *   [restorePendingFlow]; `null` keeps it in memory only.
 * @param qrPollInterval how often a QR flow asks the backend for the next link (default 1 s).
 * @param ownsClient whether [close] closes [client] too (default `false`: the app owns it).
 */
class SmartIdFlowCoordinator(
    private val client: SidkitClient,
    private val scope: CoroutineScope,
    private val launcher: DeviceLinkLauncher = DeviceLinkLauncher(),
    private val snapshotStore: SnapshotStore?,
    val qrPollInterval: Duration = 1.seconds,
    private val ownsClient: Boolean = false,
) : AutoCloseable {
    /**
     * A coordinator whose snapshot store is, by default, a [NoBackupSnapshotStore] of [context]
     * (`no_backup/dev.sidkit/pending.json`; give each coordinator its own store name if the app
     * runs several at once).
     *
     * @param context any context; the store keeps only its application context.
     */
    constructor(
        context: Context,
        client: SidkitClient,
        scope: CoroutineScope,
        launcher: DeviceLinkLauncher = DeviceLinkLauncher(),
        snapshotStore: SnapshotStore? = NoBackupSnapshotStore(context),
        qrPollInterval: Duration = 1.seconds,
        ownsClient: Boolean = false,
    ) : this(client, scope, launcher, snapshotStore, qrPollInterval, ownsClient)

    /** The current flow and its id, published together so that a waiter sees a replacement. */
    private data class Tagged(val flowId: String?, val state: SmartIdFlowState)

    private val lock = Any()
    private var current: SidkitFlow? = null
    private var currentId: String? = null
    private var watcher: Job? = null
    private var poller: Job? = null
    private var closed = false

    private val tagged = MutableStateFlow(Tagged(null, SmartIdFlowState.Idle))
    private val mutableState = MutableStateFlow<SmartIdFlowState>(SmartIdFlowState.Idle)
    private val mutableReturnErrors = MutableSharedFlow<SmartIdException>(
        extraBufferCapacity = 16,
        onBufferOverflow = BufferOverflow.DROP_OLDEST,
    )

    /** Where the current flow is. Starts as [SmartIdFlowState.Idle]. */
    val state: StateFlow<SmartIdFlowState> = mutableState.asStateFlow()

    /**
     * Rejections of return URLs that [handle] accepted for this coordinator's flow but that did
     * not complete it (replayed, stale, refused by the backend, backend unreachable). The
     * [state] keeps showing the flow itself (a replay does not undo a finished login).
     */
    val returnErrors: SharedFlow<SmartIdException> = mutableReturnErrors.asSharedFlow()

    /** The local id of the flow this coordinator runs (pending or ended), or `null`. Not a secret. */
    val currentFlowId: String? get() = synchronized(lock) { currentId }

    private val currentFlow: SidkitFlow? get() = synchronized(lock) { current }

    init {
        scope.coroutineContext[Job]?.invokeOnCompletion { cancel() }
    }

    /**
     * Authenticates the user with Smart-ID on this phone: starts the flow, opens the App2App
     * link from [context], and suspends until the verified outcome arrives (through [handle] or
     * [refresh]). A Smart-ID refusal or timeout is an outcome ([FlowOutcome.Failed]), not an
     * exception. Cancelling the calling coroutine cancels the flow.
     *
     * @param context the current activity (or any context; the link then opens in a new task).
     * @param lang the language of Smart-ID's fallback page.
     * @throws SmartIdException when the flow fails, is cancelled, expires, or nothing can open
     *   the link ([SmartIdException.CannotOpenLink]).
     */
    suspend fun authenticate(context: Context, lang: SmartIdLanguage = SmartIdLanguage.ENG): FlowOutcome =
        run(context, SmartIdRequest.authentication(lang))

    /**
     * Signs with Smart-ID on this phone (the backend knows the signer and what to sign); see
     * [authenticate] for the behaviour.
     *
     * @param signingContext the app's own reference of what to sign, passed to the backend.
     */
    suspend fun sign(context: Context, signingContext: String? = null, lang: SmartIdLanguage = SmartIdLanguage.ENG): FlowOutcome =
        run(context, SmartIdRequest.signature(signingContext, lang))

    /**
     * Lets the user choose a certificate in the Smart-ID app and then sign with it (linked
     * signature); see [authenticate] for the behaviour.
     */
    suspend fun chooseCertificateAndSign(
        context: Context,
        signingContext: String? = null,
        lang: SmartIdLanguage = SmartIdLanguage.ENG,
    ): FlowOutcome = run(context, SmartIdRequest.certificateChoiceAndSignature(signingContext, lang))

    /** [start] followed by [awaitOutcome]. */
    suspend fun run(context: Context, request: SmartIdRequest): FlowOutcome {
        start(context, request)
        return awaitOutcome()
    }

    /**
     * Starts a flow and returns once its link is open (App2App) or its first QR link is
     * published (QR), without waiting for the user. The outcome arrives through [state] (or
     * [awaitOutcome]). A pending flow is cancelled first.
     *
     * @return the started flow's id ([currentFlowId]).
     * @throws SmartIdException when the backend call fails or the link fails its checks
     *   (`isRetryable`: try again; the next call starts a new flow), or
     *   [SmartIdException.CannotOpenLink] when nothing can open the link (the flow is cancelled).
     */
    suspend fun start(context: Context, request: SmartIdRequest): String {
        val flow = try {
            client.createFlow(request.toFlowRequest())
        } catch (e: SidkitException) {
            throw e.toSmartIdException()
        }
        makeCurrent(flow)
        val id = flow.id()
        try {
            val step = try {
                flow.start()
            } catch (e: SidkitException) {
                publish(flow, e)
                // The next attempt is a new flow; this one (no backend handle yet) is dropped so
                // that the client does not keep it as pending.
                client.forgetFlow(id)
                throw e.toSmartIdException()
            }
            when (step) {
                is FlowStep.ShowQr -> {
                    publish(flow)
                    startPolling(flow)
                }
                is FlowStep.LaunchApp -> {
                    publish(flow)
                    try {
                        launcher.launch(context, step.deviceLink)
                    } catch (e: ActivityNotFoundException) {
                        cancelFlow(flow)
                        throw SmartIdException.CannotOpenLink(cause = e)
                    }
                    try {
                        flow.markLaunched()
                    } catch (e: SidkitException) {
                        publish(flow, e)
                        throw e.toSmartIdException()
                    }
                    publish(flow)
                }
            }
            return id
        } catch (e: CancellationException) {
            cancelFlow(flow)
            throw e
        }
    }

    /**
     * Suspends until the current flow ends and returns its outcome. Bounded by the flow's
     * deadline. Cancelling the calling coroutine cancels the flow.
     *
     * @throws SmartIdException [SmartIdException.Cancelled] when the flow was cancelled or
     *   replaced by a newer one, [SmartIdException.Expired] when it expired, the failure when
     *   it failed.
     */
    suspend fun awaitOutcome(): FlowOutcome {
        val flow = currentFlow ?: throw SmartIdException.Cancelled("no flow was started")
        val id = flow.id()
        val end = try {
            withTimeoutOrNull(flow.remainingMs().toLong().milliseconds + DEADLINE_GRACE) {
                tagged.first { it.flowId != id || it.state.isTerminal }
            } ?: run {
                publish(flow)
                tagged.value
            }
        } catch (e: CancellationException) {
            cancelFlow(flow)
            throw e
        }
        if (end.flowId != id) throw SmartIdException.Cancelled("the flow was replaced by a newer one")
        return when (val s = end.state) {
            is SmartIdFlowState.Finished -> s.outcome
            is SmartIdFlowState.Failed -> throw s.error
            is SmartIdFlowState.Expired -> throw SmartIdException.Expired()
            is SmartIdFlowState.Cancelled -> throw SmartIdException.Cancelled()
            else -> throw SmartIdException.Expired("the flow did not end by its deadline")
        }
    }

    /**
     * Takes a return URL, AppAuth style, and answers at once whether it is the return of this
     * coordinator's flow; the completion then runs in the coordinator's scope and its result
     * arrives through [state] (rejections also through [returnErrors]). `false` for every other
     * URL: route it elsewhere.
     */
    fun handle(url: String): Boolean {
        if (!url.startsWith("https://")) return false
        val flow = ownFlowFor(url) ?: return false
        scope.launch(start = CoroutineStart.UNDISPATCHED) { complete(flow, url) }
        // The completion's first step ran synchronously: show Completing (or the idempotent answer).
        publish(flow)
        return true
    }

    /** [handle] for the `ACTION_VIEW` intent of the app's App Link activity. */
    fun handle(intent: Intent?): Boolean = returnUrlOf(intent)?.let(::handle) ?: false

    /** Like [handle], but suspends until the return is handled and says what happened. */
    suspend fun handleReturn(url: String): ReturnResult {
        if (!url.startsWith("https://")) return ReturnResult.Ignored
        val flow = ownFlowFor(url) ?: return ReturnResult.Ignored
        return complete(flow, url)
    }

    /** [handleReturn] for the `ACTION_VIEW` intent of the app's App Link activity. */
    suspend fun handleReturn(intent: Intent?): ReturnResult =
        returnUrlOf(intent)?.let { handleReturn(it) } ?: ReturnResult.Ignored

    /**
     * Asks the backend where the pending flow is, for when the user comes back to the app
     * without a return URL (call it from `onResume`): a Smart-ID session that ended without a
     * callback (e.g. a refusal) finishes the flow. Does nothing unless the link was opened.
     *
     * @return the new [state].
     */
    suspend fun refresh(): SmartIdFlowState {
        val flow = currentFlow ?: return state.value
        val now = stateOf(flow)
        if (now is SmartIdFlowState.AwaitingReturn && now.launched) {
            try {
                flow.poll()
            } catch (e: SidkitException) {
                publish(flow, e)
                return state.value
            }
        }
        publish(flow)
        return state.value
    }

    /**
     * Cancels the pending flow (at once, locally; the backend is told in the background).
     * Does nothing if there is none.
     */
    fun cancel() {
        currentFlow?.let(::cancelFlow)
    }

    /** Cancels any pending flow and goes back to [SmartIdFlowState.Idle]. */
    fun reset() {
        val flow = synchronized(lock) {
            val f = current
            current = null
            currentId = null
            stopJobsLocked()
            setLocked(null, SmartIdFlowState.Idle)
            f
        }
        snapshotStore?.save(null)
        flow?.let(::cancelFlow)
    }

    /**
     * The snapshot of the pending flow, or `null`. It holds the flow key: a secret. Keep it only
     * where a [SnapshotStore] may keep it (app-private, not backed up, not in a `Bundle` or
     * `SavedStateHandle`, not in logs).
     */
    fun snapshot(): String? = currentFlow?.snapshot()

    /**
     * Restores the pending flow from the [SnapshotStore] after process death (also when the App
     * Link started a fresh activity). Call it before [handle].
     *
     * @return whether a flow was restored (it may come back expired).
     */
    fun restorePendingFlow(): Boolean {
        val snap = snapshotStore?.load() ?: return false
        return restore(snap)
    }

    /**
     * Restores a flow from [snapshot] and makes it this coordinator's flow. An invalid or foreign
     * snapshot is dropped. The snapshot holds the flow key: an app that keeps it itself must keep
     * it as a [SnapshotStore] does.
     *
     * @return whether the snapshot was restored.
     */
    fun restore(snapshot: String): Boolean {
        val flow = try {
            client.restoreFlow(snapshot)
        } catch (e: SidkitException) {
            snapshotStore?.save(null)
            return false
        }
        makeCurrent(flow)
        if (flow.presentation() == Presentation.QR && stateOf(flow) is SmartIdFlowState.ShowingQr) startPolling(flow)
        return true
    }

    /**
     * Cancels the pending flow and stops the coordinator's timers; closes the [SidkitClient]
     * too when the coordinator owns it. The coordinator must not be used afterwards. Closing
     * twice does nothing.
     */
    override fun close() {
        val first = synchronized(lock) {
            val f = !closed
            closed = true
            f
        }
        if (!first) return
        cancel()
        synchronized(lock) { stopJobsLocked() }
        if (ownsClient) client.close()
    }

    // ---- internals

    private suspend fun complete(flow: SidkitFlow, url: String): ReturnResult =
        try {
            val outcome = flow.complete(url)
            publish(flow)
            ReturnResult.Completed(outcome)
        } catch (e: SidkitException) {
            publish(flow, e)
            val error = e.toSmartIdException()
            mutableReturnErrors.tryEmit(error)
            ReturnResult.Rejected(error)
        }

    /** This coordinator's flow if [url] returns to it, else `null`. */
    private fun ownFlowFor(url: String): SidkitFlow? {
        val mine = currentFlow ?: return null
        val found = try {
            client.findFlow(url)
        } catch (e: SidkitException) {
            return null
        }
        return if (found.id() == mine.id()) mine else null
    }

    private fun makeCurrent(flow: SidkitFlow) {
        val id = flow.id()
        val previous = synchronized(lock) {
            val p = current
            current = flow
            currentId = id
            stopJobsLocked()
            p
        }
        if (previous != null && previous.id() != id) cancelFlow(previous)
        publish(flow)
        startDeadlineWatcher(flow)
    }

    /** Ends the flow at its deadline even if nothing else happens; cancelled when the flow ends. */
    private fun startDeadlineWatcher(flow: SidkitFlow) {
        val job = scope.launch(start = CoroutineStart.LAZY) {
            delay(flow.remainingMs().toLong().milliseconds + TICK_GRACE)
            flow.tick()
            publish(flow)
        }
        val keep = synchronized(lock) {
            if (currentId == flow.id() && !stateOf(flow).isTerminal) {
                watcher = job
                true
            } else {
                false
            }
        }
        if (keep) job.start() else job.cancel()
    }

    private fun startPolling(flow: SidkitFlow) {
        val job = scope.launch(start = CoroutineStart.LAZY) {
            while (isActive) {
                delay(qrPollInterval)
                if (stateOf(flow) !is SmartIdFlowState.ShowingQr) break
                try {
                    if (flow.poll() is FlowProgress.Finished) {
                        publish(flow)
                        break
                    }
                    publish(flow)
                } catch (e: SidkitException) {
                    publish(flow, e)
                    if (!e.isRetryable()) break
                }
            }
        }
        val keep = synchronized(lock) {
            if (currentId == flow.id()) {
                poller?.cancel()
                poller = job
                true
            } else {
                false
            }
        }
        if (keep) job.start() else job.cancel()
    }

    private fun stopJobsLocked() {
        watcher?.cancel()
        watcher = null
        poller?.cancel()
        poller = null
    }

    private fun setLocked(id: String?, s: SmartIdFlowState) {
        mutableState.value = s
        tagged.value = Tagged(id, s)
    }

    /**
     * Publishes [flow]'s state if it is still the current flow, and keeps the store in step.
     * State and snapshot are read under the lock, so concurrent publishes cannot leave an older
     * view last (the Rust state only moves forward). The store is written before the state is
     * published, so whoever sees a state sees the store in step with it. A terminal state stops
     * the deadline watcher and the QR poller.
     */
    private fun publish(flow: SidkitFlow, error: SidkitException? = null) {
        synchronized(lock) {
            if (currentId != flow.id()) return
            val s = stateOf(flow, error)
            snapshotStore?.save(flow.snapshot())
            if (s.isTerminal) stopJobsLocked()
            setLocked(flow.id(), s)
        }
    }

    private fun cancelFlow(flow: SidkitFlow) {
        if (flow.tick()) {
            publish(flow)
            return
        }
        // The local cancel happens in the first, synchronous step; telling the backend may take
        // a while and must outlive the caller's scope (which may be the one being cancelled).
        cleanupScope.launch(start = CoroutineStart.UNDISPATCHED) {
            try {
                flow.cancel()
            } catch (_: SidkitException) {
                // The backend was not told; the flow is cancelled regardless and expires there.
            } finally {
                publish(flow)
            }
        }
        publish(flow)
    }

    private companion object {
        val DEADLINE_GRACE: Duration = 1.seconds
        val TICK_GRACE: Duration = 50.milliseconds
        val cleanupScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    }
}

/** The `https` URL an `ACTION_VIEW` intent carries, or `null` for any other intent. */
internal fun returnUrlOf(intent: Intent?): String? {
    if (intent == null || intent.action != Intent.ACTION_VIEW) return null
    val data = intent.dataString ?: return null
    return if (data.startsWith("https://")) data else null
}
