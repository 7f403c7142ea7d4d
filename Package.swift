// swift-tools-version:5.10
// sidkit for iOS: Smart-ID App2App authentication and signing (RP API v3).
//
// Products:
//   SidKitUI  the idiomatic Swift layer: SmartIdFlowCoordinator (async/await, ObservableObject,
//             AsyncStream, Universal Link routing, state restoration) and
//             URLSessionBackendTransport. Re-exports SidKit. Most apps want this.
//   SidKit    the generated UniFFI bindings of the Rust library (SidkitClient, SidkitFlow, ...).
//
// The Rust library comes as the binary target SidKitFFI (an XCFramework of libsidkit.a with its
// C header and module map):
//   * development (default): the local ios/build/SidKitFFI.xcframework, made by
//     `scripts/build-xcframework.sh`;
//   * release: `releaseFFI` below holds the URL and checksum of the published zip (the script
//     prints the checksum). Setting SIDKIT_LOCAL_FFI=1 in the environment uses the local
//     framework even then.
// ios/Sources/SidKit/Generated/SidKit.swift must come from the same build as the framework;
// the script rewrites it, and tests/ios/run.sh fails when the checked-in copy is stale.
//
// Tests (in no product, so apps never build them):
//   SidKitTests        whole-flow tests of the generated bindings (ios/Tests/SidKitTests)
//   SidKitUITests      SmartIdFlowCoordinator and URLSessionBackendTransport (ios/Tests/SidKitUITests)
//   SidKitTestSupport  the fake RP backend and transport both use (ios/Tests/SidKitTestSupport)
// On a Mac: `scripts/build-xcframework.sh --debug --macos`, then `swift test`; or
// `scripts/build-xcframework.sh --debug`, then
// `xcodebuild test -scheme SidKit-Package -destination 'platform=iOS Simulator,name=iPhone 15'`.
// On Linux (swift.org toolchain) the package is SidKit, SidKitTestSupport and SidKitTests only
// (SidKitUI needs SwiftUI and Combine); SidKitFFI is then the host build of libsidkit as a system
// library, through the header and module map scripts/generate-bindings.sh writes to
// target/bindings/swift, and the fake backend takes HMAC and SHA-256 from swift-crypto instead
// of CryptoKit. From the repository root:
//   scripts/generate-bindings.sh
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

#if os(Linux)
// HMAC and SHA-256 for the fake backend on Linux (CryptoKit on Apple platforms).
let packageDependencies: [Package.Dependency] = [
    .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0" ..< "4.0.0"),
]
let testSupportDependencies: [Target.Dependency] = [
    "SidKit",
    .product(name: "Crypto", package: "swift-crypto", condition: .when(platforms: [.linux])),
]
#else
let packageDependencies: [Package.Dependency] = []
let testSupportDependencies: [Target.Dependency] = ["SidKit"]
#endif

var products: [Product] = [
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
        name: "SidKitTestSupport",
        dependencies: testSupportDependencies,
        path: "ios/Tests/SidKitTestSupport"
    ),
    .testTarget(
        name: "SidKitTests",
        dependencies: ["SidKit", "SidKitTestSupport"],
        path: "ios/Tests/SidKitTests"
    ),
]
#if !os(Linux)
products.insert(.library(name: "SidKitUI", targets: ["SidKitUI"]), at: 0)
targets += [
    .target(
        name: "SidKitUI",
        dependencies: ["SidKit"],
        path: "ios/Sources/SidKitUI"
    ),
    .testTarget(
        name: "SidKitUITests",
        dependencies: ["SidKitUI", "SidKit", "SidKitTestSupport"],
        path: "ios/Tests/SidKitUITests"
    ),
]
#endif

let package = Package(
    name: "SidKit",
    // macOS only so that `swift test` can run the unit tests on a Mac (build the framework with
    // `scripts/build-xcframework.sh --macos`); the SDK is for iOS.
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: products,
    dependencies: packageDependencies,
    targets: targets
)
