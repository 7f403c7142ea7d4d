package dev.sidkit.android

import android.content.Context
import android.content.SharedPreferences

/**
 * Where a [SidkitController] keeps the snapshot of its pending flow besides the activity's
 * `Bundle`. The snapshot is secret-free (no session secret, session ID, challenge or callback
 * token; see `docs/mobile-flow.md`), so plain app-private storage is fine. A store covers the
 * case where the App Link return starts a fresh activity (task cleared, or the activity was not
 * recreated from saved state).
 */
interface SnapshotStore {
    /** The stored snapshot, or `null`. */
    fun load(): String?

    /** Stores [snapshot], or removes the stored one when it is `null`. */
    fun save(snapshot: String?)
}

/**
 * A [SnapshotStore] in app-private [SharedPreferences] (file [name], key [key]). Writes with
 * `apply()`, so it never blocks the caller.
 *
 * @param context any context; only its application context is kept.
 * @param name the preferences file name.
 * @param key the key inside the file (use one per controller if the app runs several).
 */
class SharedPreferencesSnapshotStore(
    context: Context,
    private val name: String = "dev.sidkit.flows",
    private val key: String = "pending",
) : SnapshotStore {
    private val prefs: SharedPreferences =
        context.applicationContext.getSharedPreferences(name, Context.MODE_PRIVATE)

    override fun load(): String? = prefs.getString(key, null)

    override fun save(snapshot: String?) {
        val editor = prefs.edit()
        if (snapshot == null) editor.remove(key) else editor.putString(key, snapshot)
        editor.apply()
    }
}
