// SidKitUI re-exports the generated bindings, so `import SidKitUI` is the only import an app needs.
@_exported import SidKit
