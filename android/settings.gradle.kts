// sidkit Android: the library module (AAR `dev.sidkit:sidkit-android`), its OkHttp transport
// (AAR `dev.sidkit:sidkit-okhttp`) and a sample app.
// Build from this directory: `gradle :sidkit:assembleRelease` (see docs/integration-android.md).
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}

dependencyResolutionManagement {
    repositoriesMode.set(RepositoriesMode.FAIL_ON_PROJECT_REPOS)
    repositories {
        google()
        mavenCentral()
    }
}

rootProject.name = "sidkit-android"
include(":sidkit")
include(":sidkit-okhttp")
include(":sample")
