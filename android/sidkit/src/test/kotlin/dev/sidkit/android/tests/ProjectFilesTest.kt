package dev.sidkit.android.tests

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import org.w3c.dom.Element
import java.io.File
import javax.xml.parsers.DocumentBuilderFactory

/**
 * Static checks of the Android build files that cannot be built here (no Android SDK): the
 * manifests parse and declare the App Link as docs/android-app-links.md requires, the R8 rules
 * keep JNA and the bindings, and the Gradle module keeps its coordinates and settings.
 */
class ProjectFilesTest {
    private val root = File(System.getProperty("sidkit.root") ?: "../..")
    private val androidNs = "http://schemas.android.com/apk/res/android"

    private fun xml(path: String): Element {
        val f = DocumentBuilderFactory.newInstance().apply { isNamespaceAware = true }
        return f.newDocumentBuilder().parse(File(root, path)).documentElement
    }

    private fun Element.children(tag: String): List<Element> {
        val nodes = getElementsByTagName(tag)
        return (0 until nodes.length).map { nodes.item(it) as Element }
    }

    private fun Element.a(name: String): String = getAttributeNS(androidNs, name)

    private fun text(path: String): String = File(root, path).readText()

    @Test
    fun sampleManifestDeclaresAVerifiedHttpsAppLinkOnASingleTaskActivity() {
        val manifest = xml("android/sample/src/main/AndroidManifest.xml")
        assertTrue(manifest.children("uses-permission").any { it.a("name") == "android.permission.INTERNET" })
        val activity = manifest.children("activity").single { it.a("name") == ".LoginActivity" }
        assertEquals("true", activity.a("exported"))
        assertEquals("singleTask", activity.a("launchMode"))
        val appLink = activity.children("intent-filter").single { it.a("autoVerify") == "true" }
        assertEquals(listOf("android.intent.action.VIEW"), appLink.children("action").map { it.a("name") })
        assertEquals(
            setOf("android.intent.category.DEFAULT", "android.intent.category.BROWSABLE"),
            appLink.children("category").map { it.a("name") }.toSet(),
        )
        val data = appLink.children("data")
        assertEquals(listOf("https"), data.mapNotNull { it.a("scheme").ifEmpty { null } })
        assertEquals(listOf("\${callbackHost}"), data.mapNotNull { it.a("host").ifEmpty { null } })
        assertEquals(listOf("/smart-id/return"), data.mapNotNull { it.a("path").ifEmpty { null } })
        // The callback base the app configures is the same host and path.
        val gradle = text("android/sample/build.gradle.kts")
        assertTrue(gradle.contains("\"\\\"https://\$callbackHost/smart-id/return\\\"\""))
        assertTrue(gradle.contains("manifestPlaceholders[\"callbackHost\"] = callbackHost"))
    }

    @Test
    fun networkSecurityAllowsCleartextOnlyToTheHostInDebug() {
        val release = xml("android/sample/src/main/res/xml/network_security_config.xml")
        assertEquals("false", release.children("base-config").single().getAttribute("cleartextTrafficPermitted"))
        assertTrue(release.children("domain-config").isEmpty())
        val debug = xml("android/sample/src/debug/res/xml/network_security_config.xml")
        val allowed = debug.children("domain-config").single()
        assertEquals("true", allowed.getAttribute("cleartextTrafficPermitted"))
        assertEquals(setOf("10.0.2.2", "localhost"), allowed.children("domain").map { it.textContent.trim() }.toSet())
        xml("android/sidkit/src/main/AndroidManifest.xml")
    }

    @Test
    fun consumerRulesKeepJnaAndTheGeneratedBindings() {
        val rules = text("android/sidkit/consumer-rules.pro").lines().map { it.trim() }
        for (r in listOf(
            "-keep class com.sun.jna.** { *; }",
            "-keepclassmembers class * extends com.sun.jna.** { public *; }",
            "-keep class dev.sidkit.ffi.** { *; }",
        )) {
            assertTrue(r, r in rules)
        }
    }

    @Test
    fun libraryModuleKeepsItsCoordinatesAndSettings() {
        val g = text("android/sidkit/build.gradle.kts")
        for (needle in listOf(
            "id(\"com.android.library\")",
            "`maven-publish`",
            "namespace = \"dev.sidkit\"",
            "minSdk = 24",
            "consumerProguardFiles(\"consumer-rules.pro\")",
            "api(\"net.java.dev.jna:jna:5.17.0@aar\")",
            "api(\"org.jetbrains.kotlinx:kotlinx-coroutines-android:",
            "groupId = \"dev.sidkit\"",
            "artifactId = \"sidkit-android\"",
            "\"scripts/generate-bindings.sh\"",
            "\"scripts/build-android.sh\"",
            "addGeneratedSourceDirectory(generateSidkitBindings, GenerateSidkitBindings::outputDir)",
            // Releases: the user's repository and OpenPGP signing, both from Gradle properties.
            "    signing\n",
            "providers.gradleProperty(\"sidkit.release.url\")",
            "useInMemoryPgpKeys(signingKey.get(), signingPassword.orNull)",
            "sign(publishing.publications[\"release\"])",
            "isRequired = releaseRepositoryUrl.isPresent",
        )) {
            assertTrue(needle, g.contains(needle))
        }
        // No credential or key is ever written into the build files.
        for (secret in listOf("sidkit.release.password=", "sidkit.signing.key=", "BEGIN PGP")) {
            assertTrue(secret, !g.contains(secret) && !text("android/gradle.properties").contains(secret))
        }
        assertTrue(text("RELEASING.md").contains("publishReleasePublicationToReleaseRepository"))
        assertTrue(text("RELEASING.md").contains("scripts/release-ios.sh"))
        assertTrue(text("android/settings.gradle.kts").contains("include(\":sidkit\")"))
        // The AAR version follows the workspace version.
        val cargo = Regex("""(?m)^version = "([^"]+)"""").find(text("Cargo.toml"))!!.groupValues[1]
        assertTrue(text("android/gradle.properties").contains("sidkit.version=$cargo"))
        // The Kotlin package the wrapper imports is the one uniffi.toml generates.
        assertTrue(text("uniffi.toml").contains("package_name = \"dev.sidkit.ffi\""))
    }

    @Test
    fun theseTestsAreTheLibraryModulesUnitTestsForGradleAndMaven() {
        // This folder is the module's unit-test source set (Gradle's testDebugUnitTest), and the
        // Maven build here compiles the same folder with the same versions.
        val testSrc = "android/sidkit/src/test/kotlin"
        assertTrue(File(root, "$testSrc/dev/sidkit/android/tests/ProjectFilesTest.kt").isFile)
        val pom = xml("tests/android/pom.xml")
        assertEquals("\${sidkit.root}/$testSrc", pom.children("testSourceDirectory").single().textContent.trim())
        val props = pom.children("properties").single()
        fun prop(name: String) = props.children(name).single().textContent.trim()
        val junit = pom.children("dependency").single { it.children("artifactId").single().textContent == "junit" }
        val g = text("android/sidkit/build.gradle.kts")
        for (needle in listOf(
            "testImplementation(\"junit:junit:${junit.children("version").single().textContent.trim()}\")",
            "testImplementation(\"org.robolectric:robolectric:${prop("robolectric.version")}\")",
            "testImplementation(\"net.java.dev.jna:jna:${prop("jna.version")}@jar\")",
            "api(\"net.java.dev.jna:jna:${prop("jna.version")}@aar\")",
            "api(\"org.jetbrains.kotlinx:kotlinx-coroutines-android:${prop("coroutines.version")}\")",
            "systemProperty(\"jna.library.path\", sidkitRoot.resolve(\"target/debug\").path)",
            "systemProperty(\"sidkit.root\", sidkitRoot.path)",
        )) {
            assertTrue(needle, g.contains(needle))
        }
        // One fake backend, in this source set, which the JVM suite compiles too.
        val fake = "$testSrc/dev/sidkit/tests/FakeBackend.kt"
        assertTrue(File(root, fake).isFile)
        assertTrue(text("tests/kotlin/run.sh").contains(fake))
        assertTrue(!File(root, "tests/kotlin/src/FakeBackend.kt").exists())
    }
}
