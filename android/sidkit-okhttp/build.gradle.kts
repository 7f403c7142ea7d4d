// The OkHttp transport of sidkit: the AAR `dev.sidkit:sidkit-okhttp` (one class,
// dev.sidkit.okhttp.OkHttpBackendTransport, with certificate pinning through OkHttp's
// CertificatePinner). Apps that use HttpBackendTransport (in sidkit-android) do not need it.
//
//   gradle :sidkit-okhttp:assembleRelease
//   gradle :sidkit-okhttp:publishReleasePublicationToMavenLocal   # dev.sidkit:sidkit-okhttp:<version>
//   gradle :sidkit-okhttp:testDebugUnitTest                       # src/test (MockWebServer)
//
// Without the Android SDK, tests/android/run.sh compiles and runs src/test with Maven
// (tests/android/pom.xml; keep its okhttp version equal to the one below).
import org.jetbrains.kotlin.gradle.dsl.JvmTarget

plugins {
    id("com.android.library")
    id("org.jetbrains.kotlin.android")
    `maven-publish`
    signing
}

val sidkitVersion: String = providers.gradleProperty("sidkit.version").getOrElse("0.1.0")
/** The user's release repository, if configured (RELEASING.md). */
val releaseRepositoryUrl: Provider<String> = providers.gradleProperty("sidkit.release.url")

android {
    namespace = "dev.sidkit.okhttp"
    compileSdk = 35

    defaultConfig {
        minSdk = 24
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

kotlin {
    compilerOptions {
        jvmTarget.set(JvmTarget.JVM_17)
    }
}

// The unit tests load the host libsidkit like :sidkit's do.
tasks.withType<Test>().configureEach {
    dependsOn(":sidkit:generateSidkitBindings")
    systemProperty("jna.library.path", rootDir.parentFile.resolve("target/debug").path)
    systemProperty("robolectric.logging.enabled", "false")
}

dependencies {
    api(project(":sidkit"))
    api("com.squareup.okhttp3:okhttp:5.5.1")

    testImplementation("junit:junit:4.13.2")
    testImplementation("com.squareup.okhttp3:mockwebserver:5.5.1")
    testImplementation("net.java.dev.jna:jna:5.17.0@jar")
}

publishing {
    publications {
        register<MavenPublication>("release") {
            groupId = "dev.sidkit"
            artifactId = "sidkit-okhttp"
            version = sidkitVersion
            afterEvaluate {
                from(components["release"])
            }
            pom {
                name.set("sidkit-okhttp")
                description.set("OkHttp backend transport (with CertificatePinner) for sidkit-android.")
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
        maven {
            name = "buildRepo"
            url = uri(rootProject.layout.buildDirectory.dir("repo"))
        }
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

// Signed like :sidkit (RELEASING.md): sidkit.signing.key / sidkit.signing.password.
val signingKey: Provider<String> = providers.gradleProperty("sidkit.signing.key")
val signingPassword: Provider<String> = providers.gradleProperty("sidkit.signing.password")
signing {
    isRequired = releaseRepositoryUrl.isPresent
    if (signingKey.isPresent) {
        useInMemoryPgpKeys(signingKey.get(), signingPassword.orNull)
    }
    sign(publishing.publications["release"])
}
