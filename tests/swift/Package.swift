// swift-tools-version:5.9
// The Swift side of the mobile bindings, for a machine with a Swift toolchain (macOS, or Linux
// with swift.org's toolchain). On this project's CI there is no Swift compiler; tests/swift/run.sh
// checks these files with tree-sitter-swift, compiles the C header, and checks that the library
// exports every function the header declares.
//
// To run the tests where Swift exists (from the repository root):
//   scripts/generate-bindings.sh
//   mkdir -p tests/swift/Sources/SidKit tests/swift/Sources/SidKitFFI
//   cp target/bindings/swift/SidKit.swift tests/swift/Sources/SidKit/
//   cp target/bindings/swift/SidKitFFI.h target/bindings/swift/module.modulemap tests/swift/Sources/SidKitFFI/
//   cd tests/swift && LD_LIBRARY_PATH=../../target/debug swift test -Xlinker -L../../target/debug
import PackageDescription

let package = Package(
    name: "SidKit",
    platforms: [.macOS(.v12), .iOS(.v15)],
    products: [
        .library(name: "SidKit", targets: ["SidKit"]),
    ],
    dependencies: [
        // HMAC and SHA-256 for the fake backend on Linux (CryptoKit on Apple platforms).
        .package(url: "https://github.com/apple/swift-crypto.git", "3.0.0" ..< "4.0.0"),
    ],
    targets: [
        // The C module of the FFI: SidKitFFI.h plus a module map that links libsidkit.
        .systemLibrary(name: "SidKitFFI", path: "Sources/SidKitFFI"),
        .target(name: "SidKit", dependencies: ["SidKitFFI"], path: "Sources/SidKit"),
        .testTarget(
            name: "SidKitTests",
            dependencies: [
                "SidKit",
                .product(name: "Crypto", package: "swift-crypto", condition: .when(platforms: [.linux])),
            ],
            path: "Tests/SidKitTests"
        ),
    ]
)
