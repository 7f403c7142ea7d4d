// Sample app: Smart-ID login with sidkit-android against the reference backend.
//   gradle :sample:installDebug
// Configure the App Link host and the backend in android/gradle.properties
// (sidkit.sample.callbackHost, sidkit.sample.backendUrl) or with -P.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

val callbackHost: String = providers.gradleProperty("sidkit.sample.callbackHost").getOrElse("rp.example.com")
val returnPath = "/smart-id/return"
val backendUrl: String = providers.gradleProperty("sidkit.sample.backendUrl").getOrElse("http://10.0.2.2:8090")
/** Extra allowed device-link base, e.g. the simulator's (empty: only Smart-ID DEMO). */
val extraLinkBase: String = providers.gradleProperty("sidkit.sample.extraDeviceLinkBase").getOrElse("")

android {
    namespace = "dev.sidkit.sample"
    compileSdk = 35

    defaultConfig {
        applicationId = "dev.sidkit.sample"
        minSdk = 24
        targetSdk = 35
        versionCode = 1
        versionName = "0.1.0"
        // The library's SmartIdRedirectActivity takes the App Link https://<host><path>; the
        // client's callback base is the same URL.
        manifestPlaceholders["sidkitReturnHost"] = callbackHost
        manifestPlaceholders["sidkitReturnPath"] = returnPath
        buildConfigField("String", "CALLBACK_BASE", "\"https://$callbackHost$returnPath\"")
        buildConfigField("String", "BACKEND_URL", "\"$backendUrl\"")
        buildConfigField("String", "EXTRA_DEVICE_LINK_BASE", "\"$extraLinkBase\"")
    }

    buildFeatures {
        buildConfig = true
    }

    buildTypes {
        release {
            // Shrunk with R8 to exercise the library's consumer rules; signed with the debug key
            // only so that it installs.
            isMinifyEnabled = true
            proguardFiles(getDefaultProguardFile("proguard-android-optimize.txt"), "proguard-rules.pro")
            signingConfig = signingConfigs.getByName("debug")
        }
    }

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
}

kotlin {
    compilerOptions {
        jvmTarget.set(org.jetbrains.kotlin.gradle.dsl.JvmTarget.JVM_17)
    }
}

// The Robolectric test of LoginActivity (src/test) runs the library's activities against the
// fake backend of :sidkit's tests, on the host build of libsidkit, like :sidkit's unit tests.
android.sourceSets.getByName("test").java.srcDir("../sidkit/src/test/kotlin/dev/sidkit/tests")
android.testOptions.unitTests.isIncludeAndroidResources = true
tasks.withType<Test>().configureEach {
    dependsOn(":sidkit:generateSidkitBindings")
    systemProperty("jna.library.path", rootDir.parentFile.resolve("target/debug").path)
    systemProperty("robolectric.logging.enabled", "false")
}

dependencies {
    implementation(project(":sidkit"))
    implementation("androidx.activity:activity:1.9.3")

    testImplementation("junit:junit:4.13.2")
    testImplementation("org.robolectric:robolectric:4.17")
    testImplementation("net.java.dev.jna:jna:5.17.0@jar")
}
