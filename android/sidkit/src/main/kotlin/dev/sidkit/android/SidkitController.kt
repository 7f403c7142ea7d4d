package dev.sidkit.android

import android.content.ActivityNotFoundException
import android.content.Context
import android.content.Intent
import android.os.Bundle
import dev.sidkit.ffi.FlowErrorKind
import dev.sidkit.ffi.FlowKind
import dev.sidkit.ffi.FlowOutcome
import dev.sidkit.ffi.FlowRequest
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
import kotlinx.coroutines.flow.MutableSharedFlow
import kotlinx.coroutines.flow.MutableStateFlow
import kotlinx.coroutines.flow.SharedFlow
import kotlinx.coroutines.flow.StateFlow
import kotlinx.coroutines.flow.asSharedFlow
import kotlinx.coroutines.flow.asStateFlow
import kotlinx.coroutines.flow.first
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeoutOrNull

/** What [SidkitController.handleReturn] did with an incoming intent. */
sealed class ReturnResult {
    /**
     * Not a return of this controller's flow: not an `ACTION_VIEW` intent with an `https` URL,
     * not on the callback base ([error] is then a `ReturnUrlRejected` with kind `FOREIGN_BASE`),
     * a token of no flow this process knows (`UNKNOWN_FLOW`), or the return of another
     * controller's flow ([error] `null`). Route the intent elsewhere.
     *
     * @property error why the router did not take it, when it looked at the URL.
     */
    data class Ignored(val error: SidkitException?) : ReturnResult()

    /**
     * The flow completed with this verified outcome (also for a repeated delivery of the same
     * URL, which is answered without another backend call).
     *
     * @property outcome the outcome.
     */
    data class Completed(val outcome: FlowOutcome) : ReturnResult()

    /**
     * The URL was for this controller's flow but was not accepted: replayed (a different URL
     * after one was taken), stale (the flow was cancelled or expired), refused by the backend,
     * or the backend was unreachable (`error.isRetryable()`: deliver it again later, or call
     * [SidkitController.refresh]).
     *
     * @property error the reason.
     */
    data class Rejected(val error: SidkitException) : ReturnResult()
}

/**
 * Runs Smart-ID App2App flows for one screen of an Android app: starts a flow through the
 * app's backend, opens the device link, takes the return through the app's App Link, and
 * publishes where the flow is as a [StateFlow].
 *
 * ```kotlin
 * class LoginViewModel(app: Application) : AndroidViewModel(app) {
 *     // The snapshot goes to a NoBackupSnapshotStore(app) in noBackupFilesDir.
 *     val sidkit = SidkitController(app, (app as MyApp).sidkitClient, viewModelScope)
 * }
 * // Activity (launchMode="singleTask"):
 * override fun onCreate(savedInstanceState: Bundle?) {
 *     super.onCreate(savedInstanceState)
 *     vm.sidkit.restoreState(savedInstanceState)
 *     vm.sidkit.handleIntent(intent)
 *     lifecycleScope.launch { vm.sidkit.state.collect(::render) }
 * }
 * override fun onNewIntent(intent: Intent) { super.onNewIntent(intent); vm.sidkit.handleIntent(intent) }
 * override fun onSaveInstanceState(out: Bundle) { super.onSaveInstanceState(out); vm.sidkit.saveState(out) }
 * override fun onResume() { super.onResume(); lifecycleScope.launch { vm.sidkit.refresh() } }
 * fun onLoginClicked() = vm.viewModelScope.launch { val outcome = vm.sidkit.authenticate(this@LoginActivity) }
 * ```
 *
 * One controller runs one flow at a time; starting another cancels the previous one. Several
 * controllers may share one [SidkitClient]; each takes only the returns of its own flow.
 *
 * **Lifecycle**: when the Job of [scope] completes (e.g. `viewModelScope` when the ViewModel
 * is cleared) the pending flow is cancelled and the backend is told. Use a scope that survives
 * configuration changes (a ViewModel's), not an Activity's `lifecycleScope`, or a rotation
 * cancels the login. Process death does not cancel: the flow is restored from the snapshot.
 *
 * **The snapshot is a secret**: it holds the flow key, a bearer credential for that one flow (as
 * sensitive as a session cookie for the few minutes the flow lives). The controller keeps it only
 * in its [SnapshotStore] (by default a [NoBackupSnapshotStore]: a file in `noBackupFilesDir`,
 * excluded from backup and device transfer), never in the activity `Bundle`: [saveState] writes
 * the flow id only.
 *
 * @property client the app's [SidkitClient] (one per app, with its transport and callback base).
 * @param scope the scope that owns the flows; its end cancels the pending flow.
 * @param launcher opens device links (replace it to customise, e.g. Custom Tabs for the fallback).
 * @param snapshotStore where the pending flow's snapshot is kept across process death, read by
 *   [restoreState]; `null` keeps it in memory only (the flow cannot survive process death). The
 *   constructor that takes a [Context] uses a [NoBackupSnapshotStore].
 */
class SidkitController(
    val client: SidkitClient,
    private val scope: CoroutineScope,
    private val launcher: DeviceLinkLauncher = DeviceLinkLauncher(),
    private val snapshotStore: SnapshotStore?,
) {
    /**
     * A controller whose snapshot store is, by default, a [NoBackupSnapshotStore] of [context]
     * (`no_backup/dev.sidkit/pending.json`; give each controller its own store name if the app
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
    ) : this(client, scope, launcher, snapshotStore)

    private val lock = Any()
    private var current: SidkitFlow? = null
    private var currentId: String? = null

    private val mutableState = MutableStateFlow<SidkitState>(SidkitState.Idle)
    private val mutableReturnErrors = MutableSharedFlow<SidkitException>(
        extraBufferCapacity = 16,
        onBufferOverflow = BufferOverflow.DROP_OLDEST,
    )

    /** Where the current flow is. Starts as [SidkitState.Idle]. */
    val state: StateFlow<SidkitState> = mutableState.asStateFlow()

    /**
     * Rejections of return URLs that [handleIntent] accepted for this controller's flow but that
     * did not complete it (replayed, stale, refused by the backend, backend unreachable). The
     * [state] keeps showing the flow itself (a replay does not undo a finished login).
     */
    val returnErrors: SharedFlow<SidkitException> = mutableReturnErrors.asSharedFlow()

    /** How the last device link was opened, or `null` if none was. */
    @Volatile
    var lastLaunch: LaunchResult? = null
        private set

    /** The flow this controller runs (pending or ended), or `null`. */
    val currentFlow: SidkitFlow? get() = synchronized(lock) { current }

    init {
        scope.coroutineContext[Job]?.invokeOnCompletion { cancel() }
    }

    /**
     * Authenticates the user with Smart-ID on this phone: starts the flow, opens the App2App
     * link from [context], and suspends until the verified outcome arrives (through
     * [handleIntent] or [refresh]). A Smart-ID refusal or timeout is an outcome
     * ([FlowOutcome.Failed]), not an exception.
     *
     * Cancelling the calling coroutine cancels the flow. After process death this call is gone;
     * the restored flow's outcome arrives through [state].
     *
     * @param context the current activity (or any context; the link then opens in a new task).
     * @param lang ISO 639-2 language of Smart-ID's fallback page.
     * @throws SidkitException when the flow fails, is cancelled or expires.
     * @throws ActivityNotFoundException when nothing on the device can open an `https` link.
     */
    suspend fun authenticate(context: Context, lang: String = "eng"): FlowOutcome =
        run(context, FlowRequest(FlowKind.AUTHENTICATION, Presentation.APP2APP, lang, null))

    /**
     * Signs with Smart-ID on this phone (the backend knows the signer and what to sign); see
     * [authenticate] for the behaviour.
     *
     * @param context the current activity.
     * @param signingContext the app's own reference of what to sign (e.g. a document id; never a
     *   digest), passed to the backend.
     * @param lang ISO 639-2 language of Smart-ID's fallback page.
     */
    suspend fun sign(context: Context, signingContext: String? = null, lang: String = "eng"): FlowOutcome =
        run(context, FlowRequest(FlowKind.SIGNATURE, Presentation.APP2APP, lang, signingContext))

    /**
     * Lets the user choose a certificate in the Smart-ID app and then sign with it (linked
     * signature); see [authenticate] for the behaviour.
     *
     * @param context the current activity.
     * @param signingContext the app's own reference of what to sign, passed to the backend.
     * @param lang ISO 639-2 language of Smart-ID's fallback page.
     */
    suspend fun chooseCertificateAndSign(
        context: Context,
        signingContext: String? = null,
        lang: String = "eng",
    ): FlowOutcome =
        run(context, FlowRequest(FlowKind.CERTIFICATE_CHOICE_AND_SIGNATURE, Presentation.APP2APP, lang, signingContext))

    /** [start] followed by [awaitOutcome]. */
    suspend fun run(context: Context, request: FlowRequest): FlowOutcome = awaitOutcome(start(context, request))

    /**
     * Starts an App2App flow and opens its device link, then returns (without waiting for the
     * user). The outcome arrives through [state] (or [awaitOutcome]).
     *
     * @return the started flow, now awaiting the return.
     * @throws SidkitException when the backend call fails or the link fails its checks
     *   (`isRetryable()`: try again; the next call starts a new flow).
     * @throws ActivityNotFoundException when nothing can open the link (the flow is cancelled).
     */
    suspend fun start(context: Context, request: FlowRequest): SidkitFlow {
        require(request.presentation == Presentation.APP2APP) { "SidkitController runs App2App flows" }
        val flow = client.createFlow(request)
        makeCurrent(flow)
        try {
            val step = try {
                flow.start()
            } catch (e: SidkitException) {
                publish(flow, e)
                // The next attempt is a new flow; this one (no backend handle yet) is dropped so
                // that the client does not keep it as pending.
                client.forgetFlow(flow.id())
                throw e
            }
            val link = when (step) {
                is FlowStep.LaunchApp -> step.deviceLink
                is FlowStep.ShowQr -> throw SidkitException.Flow(FlowErrorKind.BAD_RESPONSE, "a QR link for an App2App flow")
            }
            publish(flow)
            val how = try {
                launcher.launch(context, link)
            } catch (e: ActivityNotFoundException) {
                cancelFlow(flow)
                throw e
            }
            lastLaunch = how
            flow.markLaunched()
            publish(flow)
            return flow
        } catch (e: CancellationException) {
            cancelFlow(flow)
            throw e
        }
    }

    /**
     * Suspends until [flow] ends and returns its outcome. Bounded by the flow's deadline.
     * Cancelling the calling coroutine cancels the flow.
     *
     * @throws SidkitException `Flow(CANCELLED)` / `Flow(EXPIRED)` when the flow was cancelled,
     *   replaced by a newer one, or expired; the failure's exception when it failed.
     */
    suspend fun awaitOutcome(flow: SidkitFlow): FlowOutcome {
        val id = flow.id()
        val end = try {
            withTimeoutOrNull(flow.remainingMs().toLong() + DEADLINE_GRACE_MS) {
                state.first { it.flowId != id || it.isTerminal }
            } ?: run {
                publish(flow)
                state.value
            }
        } catch (e: CancellationException) {
            cancelFlow(flow)
            throw e
        }
        return when (end) {
            is SidkitState.Finished -> end.outcome
            is SidkitState.Failed ->
                throw end.error ?: SidkitException.Flow(FlowErrorKind.INVALID_STATE, "${end.code}: ${end.reason}")
            is SidkitState.Expired -> throw SidkitException.Flow(FlowErrorKind.EXPIRED, "the flow expired")
            is SidkitState.Cancelled -> throw SidkitException.Flow(FlowErrorKind.CANCELLED, "the flow was cancelled")
            else -> throw SidkitException.Flow(FlowErrorKind.CANCELLED, "the flow was replaced by a newer one")
        }
    }

    /**
     * The App Link handler, AppAuth style: call it from `onCreate` (after [restoreState]) and
     * `onNewIntent`. Returns `true` if [intent] is the return of this controller's flow; the
     * completion then runs in the controller's scope and its result arrives through [state]
     * (rejections also through [returnErrors]). Returns `false` for every other intent: route
     * it elsewhere.
     */
    fun handleIntent(intent: Intent?): Boolean {
        val url = returnUrlOf(intent) ?: return false
        val flow = ownFlowFor(url).first ?: return false
        scope.launch(start = CoroutineStart.UNDISPATCHED) { complete(flow, url) }
        // The completion's first step ran synchronously: show Completing (or the idempotent answer).
        publish(flow)
        return true
    }

    /**
     * Like [handleIntent], but suspends until the return is handled and says what happened.
     */
    suspend fun handleReturn(intent: Intent?): ReturnResult {
        val url = returnUrlOf(intent) ?: return ReturnResult.Ignored(null)
        val (flow, error) = ownFlowFor(url)
        if (flow == null) return ReturnResult.Ignored(error)
        return complete(flow, url)
    }

    /**
     * Asks the backend where the pending flow is, for when the user comes back to the app
     * without a return URL (call it from `onResume`): a Smart-ID session that ended without a
     * callback (e.g. a refusal) finishes the flow. Does nothing unless the link was opened.
     *
     * @return the new [state].
     */
    suspend fun refresh(): SidkitState {
        val flow = currentFlow ?: return state.value
        val now = SidkitState.of(flow)
        if (now is SidkitState.AwaitingUser && now.launched) {
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

    /** Cancels any pending flow and goes back to [SidkitState.Idle]. */
    fun reset() {
        val flow = synchronized(lock) {
            val f = current
            current = null
            currentId = null
            mutableState.value = SidkitState.Idle
            f
        }
        snapshotStore?.save(null)
        flow?.let(::cancelFlow)
    }

    /**
     * The snapshot of the pending flow, or `null` (see `SidkitFlow.snapshot`). It holds the flow
     * key: a secret. Keep it only where a [SnapshotStore] may keep it (app-private, not backed
     * up, not in a `Bundle` or `SavedStateHandle`, not in logs).
     */
    fun snapshot(): String? = currentFlow?.snapshot()

    /**
     * Writes the pending flow's id into [outState] under [FLOW_ID_KEY] (call from
     * `onSaveInstanceState`). Only the id: the `Bundle` goes to the system's saved state, so the
     * snapshot (which holds the flow key) stays in the [SnapshotStore]. The id is not a secret;
     * it tells the app which flow a recreated screen had.
     */
    fun saveState(outState: Bundle) {
        val id = currentFlow?.id()
        if (id != null) outState.putString(FLOW_ID_KEY, id) else outState.remove(FLOW_ID_KEY)
    }

    /**
     * Restores the pending flow from the [SnapshotStore] after process death (also when the App
     * Link started a fresh activity). Call it in `onCreate` before [handleIntent].
     *
     * @param savedInstanceState the activity's saved state. The snapshot is never in it, so it
     *   is not read; the parameter keeps the call site of earlier versions.
     * @return whether a flow was restored (it may come back expired).
     */
    @Suppress("UNUSED_PARAMETER")
    fun restoreState(savedInstanceState: Bundle?): Boolean {
        val snap = snapshotStore?.load() ?: return false
        return restore(snap)
    }

    /**
     * Restores a flow from [snapshot] and makes it this controller's flow. An invalid or foreign
     * snapshot is dropped. The snapshot holds the flow key: an app that keeps it itself must keep
     * it as a [SnapshotStore] does (not in a `Bundle` or `SavedStateHandle`).
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
        return true
    }

    // ---- internals

    private suspend fun complete(flow: SidkitFlow, url: String): ReturnResult =
        try {
            val outcome = flow.complete(url)
            publish(flow)
            ReturnResult.Completed(outcome)
        } catch (e: SidkitException) {
            publish(flow, e)
            mutableReturnErrors.tryEmit(e)
            ReturnResult.Rejected(e)
        }

    /** This controller's flow if [url] returns to it; else `null` and the router's objection. */
    private fun ownFlowFor(url: String): Pair<SidkitFlow?, SidkitException?> {
        val mine = currentFlow ?: return null to null
        val found = try {
            client.findFlow(url)
        } catch (e: SidkitException) {
            return null to e
        }
        return if (found.id() == mine.id()) mine to null else null to null
    }

    private fun makeCurrent(flow: SidkitFlow) {
        val id = flow.id()
        val previous = synchronized(lock) {
            val p = current
            current = flow
            currentId = id
            p
        }
        if (previous != null && previous.id() != id) cancelFlow(previous)
        publish(flow)
    }

    /**
     * Publishes [flow]'s state if it is still the current flow, and keeps the store in step.
     * State and snapshot are read under the lock, so concurrent publishes cannot leave an older
     * view last (the Rust state only moves forward). The store is written before the state is
     * published, so whoever sees a state sees the store in step with it.
     */
    private fun publish(flow: SidkitFlow, error: SidkitException? = null) {
        synchronized(lock) {
            if (currentId != flow.id()) return
            val s = SidkitState.of(flow, error)
            snapshotStore?.save(flow.snapshot())
            mutableState.value = s
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

    /** Constants and helpers. */
    companion object {
        /** The `Bundle` key of the flow id written by [saveState] (the snapshot never goes there). */
        const val FLOW_ID_KEY: String = "dev.sidkit.android.flowId"

        private const val DEADLINE_GRACE_MS = 1_000L

        private val cleanupScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)

        /** The `https` URL an `ACTION_VIEW` intent carries, or `null` for any other intent. */
        fun returnUrlOf(intent: Intent?): String? {
            if (intent == null || intent.action != Intent.ACTION_VIEW) return null
            val data = intent.dataString ?: return null
            return if (data.startsWith("https://")) data else null
        }
    }
}
