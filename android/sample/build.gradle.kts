// Sample app: Smart-ID login with sidkit-android against the reference backend.
//   gradle :sample:installDebug
// Configure the App Link host and the backend in android/gradle.properties
// (sidkit.sample.callbackHost, sidkit.sample.backendUrl) or with -P.
plugins {
    id("com.android.application")
    id("org.jetbrains.kotlin.android")
}

val callbackHost: String = providers.gradleProperty("sidkit.sample.callbackHost").getOrElse("rp.example.com")
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
        manifestPlaceholders["callbackHost"] = callbackHost
        buildConfigField("String", "CALLBACK_BASE", "\"https://$callbackHost/smart-id/return\"")
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

dependencies {
    implementation(project(":sidkit"))
    implementation("androidx.activity:activity-ktx:1.9.3")
    implementation("androidx.lifecycle:lifecycle-viewmodel-ktx:2.8.7")
    implementation("androidx.lifecycle:lifecycle-runtime-ktx:2.8.7")
}
