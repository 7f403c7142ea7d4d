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
    fun theLibraryManifestDeclaresTheRedirectActivityWithAVerifiedAppLinkFromPlaceholders() {
        val manifest = xml("android/sidkit/src/main/AndroidManifest.xml")
        val activities = manifest.children("activity")
        val manager = activities.single { it.a("name") == "dev.sidkit.android.SmartIdManagementActivity" }
        assertEquals("false", manager.a("exported"))
        assertTrue("the management activity takes no link", manager.children("intent-filter").isEmpty())
        val redirect = activities.single { it.a("name") == "dev.sidkit.android.SmartIdRedirectActivity" }
        assertEquals("true", redirect.a("exported"))
        val appLink = redirect.children("intent-filter").single()
        assertEquals("true", appLink.a("autoVerify"))
        assertEquals(listOf("android.intent.action.VIEW"), appLink.children("action").map { it.a("name") })
        assertEquals(
            setOf("android.intent.category.DEFAULT", "android.intent.category.BROWSABLE"),
            appLink.children("category").map { it.a("name") }.toSet(),
        )
        val data = appLink.children("data")
        assertEquals(listOf("https"), data.mapNotNull { it.a("scheme").ifEmpty { null } })
        assertEquals(listOf("\${sidkitReturnHost}"), data.mapNotNull { it.a("host").ifEmpty { null } })
        assertEquals(listOf("\${sidkitReturnPath}"), data.mapNotNull { it.a("path").ifEmpty { null } })
    }

    @Test
    fun theSampleHasNoAppLinkFilterNoSingleTaskAndSetsThePlaceholders() {
        val manifest = xml("android/sample/src/main/AndroidManifest.xml")
        assertTrue(manifest.children("uses-permission").any { it.a("name") == "android.permission.INTERNET" })
        val activity = manifest.children("activity").single { it.a("name") == ".LoginActivity" }
        assertEquals("true", activity.a("exported"))
        assertEquals("", activity.a("launchMode"))
        assertTrue("the library takes the App Link", activity.children("intent-filter").none { it.a("autoVerify") == "true" })
        assertTrue(activity.children("data").isEmpty())
        // The callback base the app configures is the placeholders' host and path.
        val gradle = text("android/sample/build.gradle.kts")
        assertTrue(gradle.contains("manifestPlaceholders[\"sidkitReturnHost\"] = callbackHost"))
        assertTrue(gradle.contains("manifestPlaceholders[\"sidkitReturnPath\"] = returnPath"))
        assertTrue(gradle.contains("val returnPath = \"/smart-id/return\""))
        assertTrue(gradle.contains("\"\\\"https://\$callbackHost\$returnPath\\\"\""))
        // No lifecycle forwarding in the sample's activity.
        val login = text("android/sample/src/main/kotlin/dev/sidkit/sample/LoginActivity.kt")
        for (forwarded in listOf("onNewIntent", "onResume", "onSaveInstanceState", "handle(", "restorePendingFlow")) {
            assertTrue(forwarded, !login.contains(forwarded))
        }
        assertTrue(login.contains("registerForActivityResult(SmartIdLogin())"))
    }

    @Test
    fun theOkHttpModuleIsASmallPublishedLibrary() {
        val g = text("android/sidkit-okhttp/build.gradle.kts")
        val pom = xml("tests/android/pom.xml")
        val okhttp = pom.children("properties").single().children("okhttp.version").single().textContent.trim()
        for (needle in listOf(
            "id(\"com.android.library\")",
            "`maven-publish`",
            "namespace = \"dev.sidkit.okhttp\"",
            "api(project(\":sidkit\"))",
            "api(\"com.squareup.okhttp3:okhttp:$okhttp\")",
            "testImplementation(\"com.squareup.okhttp3:mockwebserver:$okhttp\")",
            "groupId = \"dev.sidkit\"",
            "artifactId = \"sidkit-okhttp\"",
            "sign(publishing.publications[\"release\"])",
        )) {
            assertTrue(needle, g.contains(needle))
        }
        assertTrue(text("android/settings.gradle.kts").contains("include(\":sidkit-okhttp\")"))
        assertTrue(File(root, "android/sidkit-okhttp/src/main/AndroidManifest.xml").isFile)
    }

    @Test
    fun theAndroidXVersionsOfGradleAreTheOnesTheMavenRunInstalls() {
        val run = text("tests/android/run.sh")
        val lib = text("android/sidkit/build.gradle.kts")
        val sample = text("android/sample/build.gradle.kts")
        fun installed(artifact: String): String =
            Regex("""androidx\.[a-z.]+:$artifact:([0-9.]+):""").find(run)?.groupValues?.get(1) ?: error("$artifact is not installed")
        assertTrue(lib.contains("api(\"androidx.activity:activity:${installed("activity")}\")"))
        assertTrue(sample.contains("implementation(\"androidx.activity:activity:${installed("activity")}\")"))
        val lifecycle = installed("lifecycle-runtime-android")
        for (a in listOf("lifecycle-runtime", "lifecycle-viewmodel", "lifecycle-viewmodel-savedstate")) {
            assertTrue(a, lib.contains("implementation(\"androidx.lifecycle:$a:$lifecycle\")"))
        }
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
