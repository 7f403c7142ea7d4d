// swift-tools-version:5.9
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
import Foundation
import PackageDescription

/// The published XCFramework of a release, or nil while developing. Set both values in the
/// release commit: `url` of SidKitFFI.xcframework.zip and the `checksum` that
/// `scripts/build-xcframework.sh` prints (`swift package compute-checksum`).
let releaseFFI: (url: String, checksum: String)? = nil

let forceLocalFFI = ProcessInfo.processInfo.environment["SIDKIT_LOCAL_FFI"] == "1"

let ffiTarget: Target
if let release = releaseFFI, !forceLocalFFI {
    ffiTarget = .binaryTarget(name: "SidKitFFI", url: release.url, checksum: release.checksum)
} else {
    ffiTarget = .binaryTarget(name: "SidKitFFI", path: "ios/build/SidKitFFI.xcframework")
}

let package = Package(
    name: "SidKit",
    // macOS only so that `swift test` can run the unit tests on a Mac (build the framework with
    // `scripts/build-xcframework.sh --macos`); the SDK is for iOS.
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [
        .library(name: "SidKitUI", targets: ["SidKitUI"]),
        .library(name: "SidKit", targets: ["SidKit"]),
    ],
    targets: [
        ffiTarget,
        .target(
            name: "SidKit",
            dependencies: ["SidKitFFI"],
            path: "ios/Sources/SidKit"
        ),
        .target(
            name: "SidKitUI",
            dependencies: ["SidKit"],
            path: "ios/Sources/SidKitUI"
        ),
        .testTarget(
            name: "SidKitUITests",
            dependencies: ["SidKitUI", "SidKit"],
            path: "ios/Tests/SidKitUITests"
        ),
    ]
)
