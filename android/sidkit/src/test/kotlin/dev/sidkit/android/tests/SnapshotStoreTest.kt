package dev.sidkit.android.tests

import android.app.Activity
import android.content.Context
import dev.sidkit.android.NoBackupSnapshotStore
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNull
import org.junit.Assert.assertThrows
import org.junit.Assert.assertTrue
import org.junit.Before
import org.junit.Test
import org.junit.runner.RunWith
import org.robolectric.Robolectric
import org.robolectric.RobolectricTestRunner
import org.robolectric.annotation.Config
import org.w3c.dom.Element
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory

/** The whole snapshot, and the flow key alone when the snapshot has one (format 2). */
fun secretsOf(snapshot: String): List<String> =
    listOf(snapshot) + Regex("\"flowKey\"\\s*:\\s*\"([^\"]+)\"").findAll(snapshot).map { it.groupValues[1] }

/** Every file of [ctx]'s private and external storage that contains one of [secrets]. */
fun filesHolding(ctx: Context, secrets: List<String>): Set<File> {
    val roots = listOfNotNull(
        ctx.dataDir, ctx.filesDir, ctx.cacheDir, ctx.noBackupFilesDir, ctx.codeCacheDir,
        ctx.getExternalFilesDir(null), ctx.externalCacheDir,
    )
    return roots.flatMap { it.walkTopDown().filter(File::isFile).toList() }
        .filter { f -> val text = f.readBytes().toString(Charsets.ISO_8859_1); secrets.any { text.contains(it) } }
        .map { it.canonicalFile }
        .toSet()
}

/** Whether these bytes hold [s] in UTF-8 or UTF-16 (a `Parcel` writes strings as UTF-16). */
fun ByteArray.holds(s: String): Boolean {
    val text = toString(Charsets.ISO_8859_1)
    return listOf(Charsets.UTF_8, Charsets.UTF_16LE, Charsets.UTF_16BE)
        .any { text.contains(s.toByteArray(it).toString(Charsets.ISO_8859_1)) }
}

/**
 * The snapshot holds the flow key (a secret), so it must be stored where nothing copies it. The
 * store writes one file under noBackupFilesDir, atomically and in order, deletes it on
 * `save(null)`, and removes the SharedPreferences of earlier versions unread; the library
 * manifest's backup and extraction rules exclude the store (and those old preferences) from
 * backup and device transfer, and the guide gives apps with their own rules the same lines.
 * (That the controller's default store is this one and that nothing else, the Bundle included,
 * gets the snapshot is SmartIdFlowCoordinatorTest's `theDefaultStoreKeepsTheSnapshotInNoBackupFilesDirOnly`:
 * the FFI's callbacks work in one Robolectric sandbox, so the tests that run flows stay in one
 * class.)
 */
@RunWith(RobolectricTestRunner::class)
@Config(sdk = [34])
class SnapshotStoreTest {
    private val root = File(System.getProperty("sidkit.root") ?: "../..")
    private val androidNs = "http://schemas.android.com/apk/res/android"
    private lateinit var activity: Activity
    private lateinit var ctx: Context

    @Before
    fun setUp() {
        activity = Robolectric.buildActivity(Activity::class.java).setup().get()
        ctx = activity.applicationContext
    }

    @Test
    fun theStoreWritesAtomicallyInOrderAndDeletesOnNull() {
        val store = NoBackupSnapshotStore(ctx, "t2")
        assertEquals(File(File(ctx.noBackupFilesDir, NoBackupSnapshotStore.DIRECTORY), "t2.json"), store.file)
        assertNull(store.load())
        store.save("one")
        store.save("two")
        // Another instance (e.g. after recreation) sees the last write, with no temporary file left.
        val other = NoBackupSnapshotStore(activity, "t2")
        assertEquals("two", other.load())
        assertEquals(listOf("t2.json"), store.file.parentFile!!.list()!!.toList())
        store.save(null)
        store.save("three")
        assertEquals("three", other.load())
        other.save(null)
        assertNull(store.load())
        assertFalse(store.file.exists())
        assertEquals(emptyList<String>(), store.file.parentFile!!.list()!!.toList())

        // A write that fails (here: the temporary file cannot be created) leaves the previous
        // snapshot whole instead of a truncated one.
        store.save("kept")
        store.flush()
        val blocker = File(store.file.parentFile, "t2.json.tmp")
        assertTrue(blocker.mkdir())
        File(blocker, "x").writeText("x")
        store.save("lost")
        assertEquals("kept", store.load())
        File(blocker, "x").delete()
        blocker.delete()
        store.save("new")
        assertEquals("new", store.load())
        store.save(null)
        store.flush()

        for (bad in listOf("", "../x", "a/b", "a.json", "x".repeat(65))) {
            assertThrows(bad, IllegalArgumentException::class.java) { NoBackupSnapshotStore(ctx, bad) }
        }
    }

    @Test
    fun noStoreTouchesSharedPreferences() {
        // The SharedPreferences path of versions before 0.1 is gone: a store neither reads,
        // writes nor deletes preferences (the backup rules still exclude the old file).
        val prefsDir = File(ctx.dataDir, "shared_prefs")
        prefsDir.listFiles()?.forEach { it.delete() }
        prefsDir.delete()
        val store = NoBackupSnapshotStore(activity)
        store.save("{\"v\":2}")
        store.flush()
        assertEquals("{\"v\":2}", store.load())
        store.save(null)
        store.flush()
        assertFalse(prefsDir.exists())
    }

    private fun xml(path: String): Element {
        val f = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
        return f.newDocumentBuilder().parse(File(root, path)).documentElement
    }

    private fun Element.children(tag: String): List<Element> {
        val nodes = getElementsByTagName(tag)
        return (0 until nodes.length).map { nodes.item(it) as Element }
    }

    /** The rules file an `@xml/<name>` attribute of the library manifest names. */
    private fun rulesFile(reference: String): Element {
        assertTrue(reference, reference.startsWith("@xml/sidkit_"))
        return xml("android/sidkit/src/main/res/xml/${reference.removePrefix("@xml/")}.xml")
    }

    /** Whether [section]'s `<exclude>` elements cover [path] of [domain] (a file or a folder of it). */
    private fun excludes(section: Element, domain: String, path: String): Boolean =
        section.children("exclude").any {
            val p = it.getAttribute("path").trimEnd('/')
            it.getAttribute("domain") == domain && (path == p || path.startsWith("$p/"))
        }

    @Test
    fun theLibraryManifestExcludesTheStoreFromBackupAndDeviceTransfer() {
        val app = xml("android/sidkit/src/main/AndroidManifest.xml").children("application").single()
        // Where the stores' files are, as a path of the "root" domain (the app's data directory).
        assertEquals("no_backup", ctx.noBackupFilesDir.relativeTo(ctx.dataDir).path)
        val stores = listOf(NoBackupSnapshotStore(ctx), NoBackupSnapshotStore(ctx, "another_screen"))
            .map { it.file.relativeTo(ctx.dataDir).path }
        assertEquals("no_backup/dev.sidkit/pending.json", stores[0])
        val legacy = "dev.sidkit.flows.xml" // versions before 0.1; excluded, harmlessly

        // Android 6 to 11: android:fullBackupContent.
        val backup = rulesFile(app.getAttributeNS(androidNs, "fullBackupContent"))
        assertEquals("full-backup-content", backup.tagName)
        assertTrue("an <include> would shrink the app's own backup", backup.children("include").isEmpty())
        for (s in stores) assertTrue(s, excludes(backup, "root", s))
        assertTrue(excludes(backup, "sharedpref", legacy))

        // Android 12 and later: android:dataExtractionRules, for cloud backup and device transfer.
        val extraction = rulesFile(app.getAttributeNS(androidNs, "dataExtractionRules"))
        assertEquals("data-extraction-rules", extraction.tagName)
        assertTrue(extraction.children("include").isEmpty())
        for (name in listOf("cloud-backup", "device-transfer")) {
            val section = extraction.children(name).single()
            for (s in stores) assertTrue("$name: $s", excludes(section, "root", s))
            assertTrue("$name: $legacy", excludes(section, "sharedpref", legacy))
        }
    }

    @Test
    fun theGuideTellsAppsWithTheirOwnRulesWhatToAdd() {
        val guide = File(root, "docs/integration-android.md").readText()
        assertTrue(guide.contains("tools:replace=\"android:fullBackupContent,android:dataExtractionRules\""))
        for (rules in listOf("sidkit_backup_rules", "sidkit_data_extraction_rules")) {
            val lines = File(root, "android/sidkit/src/main/res/xml/$rules.xml").readLines()
                .map { it.trim() }.filter { it.startsWith("<exclude ") }
            assertTrue(rules, lines.isNotEmpty())
            for (l in lines) assertTrue("the guide lacks $l", guide.contains(l))
        }
        // Nothing tells apps to keep the snapshot in the saved state any more.
        for (doc in listOf("docs/integration-android.md", "docs/android-app-links.md")) {
            val text = File(root, doc).readText()
            assertFalse(doc, text.contains("SharedPreferencesSnapshotStore("))
            assertFalse(doc, text.contains("secret-free"))
        }
    }
}
