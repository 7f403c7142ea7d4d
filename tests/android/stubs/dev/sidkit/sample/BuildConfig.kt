package dev.sidkit.sample

/**
 * What Gradle generates for the sample (android/sample/build.gradle.kts, buildConfigField), for
 * the Maven build of tests/android only; the values are those of the default Gradle properties.
 */
object BuildConfig {
    const val CALLBACK_BASE: String = "https://rp.example.com/smart-id/return"
    const val BACKEND_URL: String = "http://10.0.2.2:8090"
    const val EXTRA_DEVICE_LINK_BASE: String = ""
}
