// swift-tools-version:5.10
// sidkit for iOS: Smart-ID App2App authentication and signing (RP API v3). Xcode 15.3+ (Swift 5.10:
// the generated bindings use `nonisolated(unsafe)`), or a swift.org toolchain 5.10+ on Linux.
//
// Products:
//   SidKitUI    Apple only: ObservableSmartIdFlow (ObservableObject), handle(userActivity:),
//               SwiftUI helpers, the UIApplication device-link opener, the Keychain snapshot
//               store and SmartIdFlowCoordinator(configuration:transport:) with those defaults.
//               Re-exports SidKitCore. Most apps want this.
//   SidKitCore  Foundation only (Linux too): SmartIdFlowCoordinator (async/await, AsyncStream),
//               SmartIdFlowState, SmartIdError, SmartIdLanguage, ReturnResult, FlowSnapshotStore,
//               URLSessionBackendTransport. Re-exports SidKit.
//   SidKit      the generated UniFFI bindings of the Rust library (SidkitClient, SidkitFlow, ...).
//
// The Rust library comes as the target SidKitFFI:
//   * Apple platforms, development (default): the local ios/build/SidKitFFI.xcframework, made by
//     `scripts/build-xcframework.sh`;
//   * Apple platforms, release: `releaseFFI` below holds the URL and checksum of the published
//     zip (scripts/release-ios.sh writes them). SIDKIT_LOCAL_FFI=1 in the environment uses the
//     local framework even then;
//   * Linux: the host build of libsidkit as a system library, through the header and module map
//     scripts/generate-bindings.sh writes to target/bindings/swift.
// ios/Sources/SidKit/Generated/SidKit.swift must come from the same build as the library; the
// script rewrites it, and tests/ios/run.sh fails when the checked-in copy is stale.
//
// Language mode: with swift-tools-version 5.10 every target builds in the Swift 5 language mode,
// the generated SidKit target included (there is no `swiftLanguageVersion` setting before tools
// 6; a tools-6 manifest would need `swiftSettings: [.swiftLanguageVersion(.v5)]` on SidKit). The
// hand-written targets add complete concurrency checking (`strictConcurrency` below: a
// feature flag, not `unsafeFlags`, so the package stays usable as a remote dependency).
//
// Tests (in no product, so apps never build them):
//   SidKitTests        whole-flow tests of the generated bindings (ios/Tests/SidKitTests)
//   SidKitCoreTests    SmartIdFlowCoordinator, SmartIdError, URLSessionBackendTransport, the test
//                      support's SHA-256 / HMAC (ios/Tests/SidKitCoreTests); Linux too
//   SidKitUITests      Apple only: Keychain store, ObservableSmartIdFlow, NSUserActivity
//   SidKitTestSupport  the fake RP backend the tests share (ios/Tests/SidKitTestSupport); its
//                      SHA-256 and HMAC-SHA256 are CryptoKit's, or its own where there is none
// On a Mac: `scripts/build-xcframework.sh --debug --macos`, then `swift test`; or
// `scripts/build-xcframework.sh --debug`, then
// `xcodebuild test -scheme SidKit-Package -destination 'platform=iOS Simulator,name=iPhone 15'`.
// On Linux, from the repository root:
//   scripts/generate-bindings.sh
//   swift build -Xlinker -Ltarget/debug
//   LD_LIBRARY_PATH=target/debug swift test -Xlinker -Ltarget/debug
// Where there is no Swift compiler (this project's CI), tests/swift/run.sh and tests/ios/run.sh
// check these files with tree-sitter-swift and check the C header and the library's symbols.
import Foundation
import PackageDescription

/// The published XCFramework of a release, or nil while developing. Set both values in the
/// release commit: `url` of SidKitFFI.xcframework.zip and the `checksum` that
/// `scripts/build-xcframework.sh` prints (`swift package compute-checksum`).
let releaseFFI: (url: String, checksum: String)? = nil

let forceLocalFFI = ProcessInfo.processInfo.environment["SIDKIT_LOCAL_FFI"] == "1"

let ffiTarget: Target
#if os(Linux)
ffiTarget = .systemLibrary(name: "SidKitFFI", path: "target/bindings/swift")
#else
if let release = releaseFFI, !forceLocalFFI {
    ffiTarget = .binaryTarget(name: "SidKitFFI", url: release.url, checksum: release.checksum)
} else {
    ffiTarget = .binaryTarget(name: "SidKitFFI", path: "ios/build/SidKitFFI.xcframework")
}
#endif

/// Complete concurrency checking for the hand-written targets (Swift 5.10's name for it; Swift 6
/// compilers accept it too). Warnings only: it never breaks a consumer's build.
let strictConcurrency: [SwiftSetting] = [.enableExperimentalFeature("StrictConcurrency")]

var products: [Product] = [
    .library(name: "SidKitCore", targets: ["SidKitCore"]),
    .library(name: "SidKit", targets: ["SidKit"]),
]
var targets: [Target] = [
    ffiTarget,
    .target(
        name: "SidKit",
        dependencies: ["SidKitFFI"],
        path: "ios/Sources/SidKit"
    ),
    .target(
        name: "SidKitCore",
        dependencies: ["SidKit"],
        path: "ios/Sources/SidKitCore",
        swiftSettings: strictConcurrency
    ),
    .target(
        name: "SidKitTestSupport",
        dependencies: ["SidKit"],
        path: "ios/Tests/SidKitTestSupport",
        swiftSettings: strictConcurrency
    ),
    .testTarget(
        name: "SidKitTests",
        dependencies: ["SidKit", "SidKitTestSupport"],
        path: "ios/Tests/SidKitTests",
        swiftSettings: strictConcurrency
    ),
    .testTarget(
        name: "SidKitCoreTests",
        dependencies: ["SidKitCore", "SidKit", "SidKitTestSupport"],
        path: "ios/Tests/SidKitCoreTests",
        swiftSettings: strictConcurrency
    ),
]
#if !os(Linux)
// SidKitUI needs UIKit/AppKit, SwiftUI, Combine and Security.
products.insert(.library(name: "SidKitUI", targets: ["SidKitUI"]), at: 0)
targets += [
    .target(
        name: "SidKitUI",
        dependencies: ["SidKitCore"],
        path: "ios/Sources/SidKitUI",
        swiftSettings: strictConcurrency
    ),
    .testTarget(
        name: "SidKitUITests",
        dependencies: ["SidKitUI", "SidKitCore", "SidKit", "SidKitTestSupport"],
        path: "ios/Tests/SidKitUITests",
        swiftSettings: strictConcurrency
    ),
]
#endif

let package = Package(
    name: "SidKit",
    // macOS only so that `swift test` can run the unit tests on a Mac (build the framework with
    // `scripts/build-xcframework.sh --macos`); the SDK is for iOS.
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: products,
    targets: targets
)
