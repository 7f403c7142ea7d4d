// SidKitCore re-exports the generated bindings (SidkitConfig, FlowRequest, FlowOutcome, ...), so
// `import SidKitCore` is the only import a Foundation-only client needs.
@_exported import SidKit
