// SidKitUI re-exports SidKitCore (and through it the generated bindings), so `import SidKitUI` is
// the only import an app needs.
@_exported import SidKitCore
