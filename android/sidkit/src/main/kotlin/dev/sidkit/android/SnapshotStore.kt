package dev.sidkit.android

import android.content.Context
import android.util.Log
import java.io.File
import java.io.FileOutputStream
import java.io.IOException
import java.util.concurrent.ExecutionException
import java.util.concurrent.ExecutorService
import java.util.concurrent.Executors

/**
 * Where a [SmartIdFlowCoordinator] keeps the snapshot of its pending flow, so that the flow survives
 * process death and an App Link return that starts a fresh activity (task cleared, or the
 * activity not recreated from saved state).
 *
 * **The snapshot is a secret.** It holds the flow key (`SidkitFlow.snapshot`, format version 2):
 * a bearer credential for that one flow, as sensitive as a session cookie for the few minutes
 * the flow lives. Whoever has it can poll, complete or cancel the flow. An implementation must
 * keep it app-private, out of Auto Backup and device-to-device transfer, out of logs, and must
 * remove it when [save] is called with `null`. Never put it in plain `SharedPreferences` (they
 * are backed up), the activity `Bundle` or a `SavedStateHandle` (both go to the system's saved
 * state). [NoBackupSnapshotStore] is the default and does all of this.
 */
interface SnapshotStore {
    /** The stored snapshot, or `null`. */
    fun load(): String?

    /** Stores [snapshot], or removes the stored one when it is `null`. */
    fun save(snapshot: String?)
}

/**
 * The default [SnapshotStore]: one app-private file per store in
 * [Context.getNoBackupFilesDir] (`no_backup/dev.sidkit/<name>.json` in the app's data
 * directory), which Android never puts into Auto Backup or device-to-device transfer. The
 * library manifest also excludes that folder (and, harmlessly, the `SharedPreferences` file
 * `dev.sidkit.flows` that versions before 0.1 used, so that a stale copy on an upgraded device
 * is never backed up) through `android:fullBackupContent` and `android:dataExtractionRules`; see
 * `docs/integration-android.md` for apps that have their own backup rules.
 *
 * Writes are atomic (a temporary file in the same folder, synced, then renamed over the old
 * one) and run on one background thread shared by all stores, in the order of the calls, so
 * [save] never blocks the caller (it is called on every state change, some on the main thread).
 * [load] blocks until the writes asked for before it are done and the file is read: a read of
 * one small file, fine in `onCreate`. `save(null)` deletes the file. I/O errors are logged
 * (without the snapshot) and otherwise ignored: the flow goes on, it just cannot be restored.
 *
 * @param context any context; only its application context is kept.
 * @param name the file's name without extension: letters, digits, `_` and `-` (use one per
 *   coordinator if the app runs several at the same time).
 */
class NoBackupSnapshotStore(
    context: Context,
    val name: String = DEFAULT_NAME,
) : SnapshotStore {
    init {
        require(NAME.matches(name)) { "the store name must be 1 to 64 letters, digits, '_' or '-'" }
    }

    private val appContext: Context = context.applicationContext ?: context

    /** The file that holds the snapshot (it exists only while one is stored). */
    val file: File = File(File(appContext.noBackupFilesDir, DIRECTORY), "$name.json")

    private val temporary: File = File(file.parentFile, "$name.json.tmp")

    override fun load(): String? =
        await(null) {
            try {
                if (file.isFile) file.readText(Charsets.UTF_8).ifEmpty { null } else null
            } catch (e: IOException) {
                Log.w(TAG, "could not read the flow snapshot (${e.javaClass.simpleName})")
                null
            }
        }

    override fun save(snapshot: String?) {
        io.execute {
            try {
                if (snapshot == null) remove() else write(snapshot)
            } catch (e: IOException) {
                Log.w(TAG, "could not ${if (snapshot == null) "remove" else "store"} the flow snapshot (${e.javaClass.simpleName})")
            }
        }
    }

    /** Waits until every [save] called so far (by any store) has reached the file system. */
    fun flush() {
        await(Unit) { }
    }

    private fun write(snapshot: String) {
        val dir = file.parentFile!!
        if (!dir.isDirectory && !dir.mkdirs() && !dir.isDirectory) throw IOException("cannot create the folder")
        try {
            FileOutputStream(temporary).use { out ->
                out.write(snapshot.toByteArray(Charsets.UTF_8))
                out.fd.sync()
            }
            // rename(2) replaces the old file atomically: a reader sees the old or the new one.
            if (!temporary.renameTo(file)) throw IOException("rename failed")
        } finally {
            temporary.delete()
        }
    }

    private fun remove() {
        temporary.delete()
        if (file.exists() && !file.delete()) throw IOException("delete failed")
    }

    /** Runs [task] on the I/O thread and waits for its result; [fallback] if that fails. */
    private fun <T> await(fallback: T, task: () -> T): T =
        try {
            io.submit(task).get()
        } catch (e: InterruptedException) {
            Thread.currentThread().interrupt()
            fallback
        } catch (e: ExecutionException) {
            Log.w(TAG, "flow snapshot I/O failed (${e.cause?.javaClass?.simpleName})")
            fallback
        }

    /** Names and paths of the store. */
    companion object {
        /** The default [name]. */
        const val DEFAULT_NAME: String = "pending"

        /** The folder inside [Context.getNoBackupFilesDir] that holds the stores' files. */
        const val DIRECTORY: String = "dev.sidkit"

        private const val TAG = "sidkit"
        private val NAME = Regex("[A-Za-z0-9_-]{1,64}")

        /** One thread for every store's file I/O: writes happen in the order they were asked. */
        private val io: ExecutorService = Executors.newSingleThreadExecutor { r ->
            Thread(r, "sidkit-snapshot-store").apply { isDaemon = true }
        }

    }
}
