// The sidkit Android library: the AAR `dev.sidkit:sidkit-android`.
//
// Contents: the UniFFI Kotlin bindings (package dev.sidkit.ffi), generated at build time from the
// host build of libsidkit by scripts/generate-bindings.sh; the Kotlin wrapper (dev.sidkit.android,
// src/main/kotlin); and libsidkit.so for arm64-v8a, armeabi-v7a, x86_64 and x86 in
// src/main/jniLibs, built by scripts/build-android.sh (cargo-ndk; needs the NDK).
//
//   gradle :sidkit:assembleRelease                       # AAR in sidkit/build/outputs/aar/
//   gradle :sidkit:publishReleasePublicationToMavenLocal # dev.sidkit:sidkit-android:<version>
//   gradle :sidkit:publishReleasePublicationToReleaseRepository   # a release: RELEASING.md
//   gradle -Psidkit.buildRust=true :sidkit:assembleRelease   # also (re)build the native libraries
//   gradle :sidkit:testDebugUnitTest                     # the unit tests in src/test (below)
//
// The unit tests (src/test/kotlin: Robolectric + JUnit 4) run on the host JVM against the host
// build of libsidkit (target/debug, which generateSidkitBindings builds with cargo) through the
// desktop JNA jar. Without the Android SDK, tests/android/run.sh compiles and runs the same
// folder with Maven (tests/android/pom.xml; keep its versions equal to the ones below).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget
import javax.inject.Inject

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
    `maven-publish`
    signing
}

val sidkitVersion: String = providers.gradleProperty("sidkit.version").getOrElse("0.1.0")
/** The user's release repository, if configured (RELEASING.md). */
val releaseRepositoryUrl: Provider<String> = providers.gradleProperty("sidkit.release.url")
val buildRust: Boolean = providers.gradleProperty("sidkit.buildRust").map { it.toBoolean() }.getOrElse(false)
/** The repository root (android/ is one level below it). */
val sidkitRoot: File = rootDir.parentFile
/** cargo is often not on the PATH of IDE-launched Gradle daemons. */
val pathWithCargo: String =
    listOfNotNull(System.getenv("PATH"), File(System.getProperty("user.home"), ".cargo/bin").path)
        .joinToString(File.pathSeparator)

/** Generates the UniFFI Kotlin bindings (dev/sidkit/ffi/sidkit.kt) from the host build of libsidkit. */
abstract class GenerateSidkitBindings : DefaultTask() {
    /** The Rust sources and configuration the bindings depend on (for up-to-date checks). */
    @get:InputFiles
    @get:PathSensitive(PathSensitivity.RELATIVE)
    abstract val rustSources: ConfigurableFileCollection

    /** The repository root. */
    @get:Internal
    abstract val repoRoot: DirectoryProperty

    /** PATH for the script (cargo must be on it). */
    @get:Input
    abstract val searchPath: Property<String>

    /** Where the Kotlin sources go (a source root). */
    @get:OutputDirectory
    abstract val outputDir: DirectoryProperty

    @get:Inject
    abstract val execOps: ExecOperations

    @get:Inject
    abstract val fsOps: FileSystemOperations

    @TaskAction
    fun generate() {
        val out = temporaryDir
        execOps.exec {
            workingDir = repoRoot.get().asFile
            environment("PATH", searchPath.get())
            commandLine("bash", "scripts/generate-bindings.sh", "--out", out.absolutePath)
        }
        fsOps.sync {
            from(File(out, "kotlin"))
            into(outputDir.get().asFile)
        }
    }
}

val generateSidkitBindings = tasks.register<GenerateSidkitBindings>("generateSidkitBindings") {
    group = "sidkit"
    description = "Generates the UniFFI Kotlin bindings of libsidkit (scripts/generate-bindings.sh)."
    repoRoot.set(sidkitRoot)
    searchPath.set(pathWithCargo)
    rustSources.from(
        // The mobile library's layers (core/proto, core/contract, core/app) and the FFI crate.
        fileTree(sidkitRoot.resolve("core")) { include("*/src/**", "*/Cargo.toml") },
        fileTree(sidkitRoot.resolve("bindings/src")),
        sidkitRoot.resolve("bindings/Cargo.toml"),
        sidkitRoot.resolve("Cargo.toml"),
        sidkitRoot.resolve("Cargo.lock"),
        sidkitRoot.resolve("uniffi.toml"),
    )
    outputDir.set(layout.buildDirectory.dir("generated/sidkit/kotlin"))
}

val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64", "x86")
val jniLibsDir: File = file("src/main/jniLibs")

val buildSidkitNative = tasks.register<Exec>("buildSidkitNative") {
    group = "sidkit"
    description = "Builds libsidkit.so for ${abis.joinToString()} with cargo-ndk (scripts/build-android.sh)."
    workingDir = sidkitRoot
    environment("PATH", pathWithCargo)
    commandLine("bash", "scripts/build-android.sh")
    inputs.files(
        fileTree(sidkitRoot.resolve("core")) { include("*/src/**", "*/Cargo.toml") },
        fileTree(sidkitRoot.resolve("bindings/src")),
    )
    inputs.files(sidkitRoot.resolve("Cargo.toml"), sidkitRoot.resolve("Cargo.lock"))
    outputs.dir(jniLibsDir)
}

val checkSidkitNative = tasks.register("checkSidkitNative") {
    group = "sidkit"
    description = "Fails early when a libsidkit.so of an ABI is missing from src/main/jniLibs."
    val libs = abis.map { File(jniLibsDir, "$it/libsidkit.so") }
    inputs.files(libs.filter { it.exists() })
    doLast {
        val missing = libs.filterNot { it.isFile }
        if (missing.isNotEmpty()) {
            throw GradleException(
                "libsidkit.so is missing for ${missing.joinToString { it.parentFile.name }}: run " +
                    "scripts/build-android.sh (needs the Android NDK) or build with -Psidkit.buildRust=true",
            )
        }
    }
}
if (buildRust) checkSidkitNative.configure { dependsOn(buildSidkitNative) }
tasks.named("preBuild") { dependsOn(checkSidkitNative) }

// Unit tests: the generated bindings load libsidkit for the host (not the jniLibs of the AAR).
tasks.withType<Test>().configureEach {
    dependsOn(generateSidkitBindings)
    systemProperty("jna.library.path", sidkitRoot.resolve("target/debug").path)
    // ProjectFilesTest reads the repository's build files.
    systemProperty("sidkit.root", sidkitRoot.path)
    systemProperty("robolectric.logging.enabled", "false")
    maxHeapSize = "1g"
}

android {
    namespace = "dev.sidkit"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
    }

    buildTypes {
        release {
            // A library is shrunk by the app; consumer-rules.pro travels in the AAR.
            isMinifyEnabled = false
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

androidComponents {
    onVariants { variant ->
        variant.sources.kotlin?.addGeneratedSourceDirectory(generateSidkitBindings, GenerateSidkitBindings::outputDir)
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

dependencies {
    // The generated bindings call libsidkit through JNA; the AAR carries JNA's Android natives.
    api("net.java.dev.jna:jna:5.17.0@aar")
    api("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.10.2")
    // SmartIdLogin (ActivityResultContract), the library's activities (ComponentActivity) and
    // their ViewModel / SavedStateHandle. tests/android/run.sh installs the same versions.
    api("androidx.activity:activity:1.9.3")
    implementation("androidx.lifecycle:lifecycle-runtime:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel:2.8.7")
    implementation("androidx.lifecycle:lifecycle-viewmodel-savedstate:2.8.7")

    // Unit tests (src/test/kotlin), as tests/android/pom.xml runs them. Robolectric brings
    // androidx.test:monitor; the JNA jar carries the desktop natives the AAR lacks.
    testImplementation("junit:junit:4.13.2")
    testImplementation("org.robolectric:robolectric:4.17")
    testImplementation("net.java.dev.jna:jna:5.17.0@jar")
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "dev.sidkit"
            artifactId = "sidkit-android"
            version = sidkitVersion
            afterEvaluate {
                from(components["release"])
            }
            pom {
                name.set("sidkit-android")
                description.set("Smart-ID App2App (RP API v3) for Android: flow state machine, return-link router and backend transport, on the sidkit Rust core.")
                url.set("https://github.com/sidkit/sidkit")
                licenses {
                    license {
                        name.set("MIT")
                        url.set("https://opensource.org/licenses/MIT")
                    }
                    license {
                        name.set("Apache-2.0")
                        url.set("https://www.apache.org/licenses/LICENSE-2.0")
                    }
                }
            }
        }
    }
    repositories {
        // `gradle :sidkit:publishReleasePublicationToBuildRepoRepository` → android/build/repo
        maven {
            name = "buildRepo"
            url = uri(rootProject.layout.buildDirectory.dir("repo"))
        }
        // The user's release repository (RELEASING.md), from Gradle properties (in
        // ~/.gradle/gradle.properties or ORG_GRADLE_PROJECT_* environment variables, never in
        // this repository): sidkit.release.url (https), sidkit.release.username and
        // sidkit.release.password.
        releaseRepositoryUrl.orNull?.let { repoUrl ->
            maven {
                name = "release"
                url = uri(repoUrl)
                credentials {
                    username = providers.gradleProperty("sidkit.release.username").orNull
                    password = providers.gradleProperty("sidkit.release.password").orNull
                }
            }
        }
    }
}

// Releases are signed (OpenPGP, what Maven Central requires): an ASCII-armoured secret key and
// its passphrase in the Gradle properties sidkit.signing.key and sidkit.signing.password. A
// publication to the release repository without them fails; local publications are unsigned.
val signingKey: Provider<String> = providers.gradleProperty("sidkit.signing.key")
val signingPassword: Provider<String> = providers.gradleProperty("sidkit.signing.password")
signing {
    isRequired = releaseRepositoryUrl.isPresent
    if (signingKey.isPresent) {
        useInMemoryPgpKeys(signingKey.get(), signingPassword.orNull)
    }
    sign(publishing.publications["release"])
}

tasks.matching { it.name == "publishReleasePublicationToReleaseRepository" }.configureEach {
    doFirst {
        val repoUrl = releaseRepositoryUrl.get()
        check(repoUrl.startsWith("https://")) { "sidkit.release.url must be an https URL, got $repoUrl" }
        check(signingKey.isPresent) { "a release is signed: set sidkit.signing.key and sidkit.signing.password" }
        check(providers.gradleProperty("sidkit.release.username").isPresent) {
            "set sidkit.release.username and sidkit.release.password for the release repository"
        }
        check(!sidkitVersion.endsWith("-SNAPSHOT") || repoUrl.contains("snapshot", ignoreCase = true)) {
            "version $sidkitVersion is a snapshot; publish it to a snapshot repository"
        }
    }
}
