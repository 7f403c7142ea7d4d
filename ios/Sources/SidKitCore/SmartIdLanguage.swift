import Foundation

/// The language of Smart-ID's fallback page (the page a device link opens when the Smart-ID app
/// is not installed), as Kotlin's `SmartIdLanguage`.
///
/// The raw value is the ISO 639-2 code the generated `FlowRequest(lang:)` takes.
public enum SmartIdLanguage: String, CaseIterable, Sendable {
    /// English (`eng`), the default.
    case eng
    /// Estonian (`est`).
    case est
    /// Russian (`rus`).
    case rus
    /// Lithuanian (`lit`).
    case lit
    /// Latvian (`lav`).
    case lav
    /// Dutch (`nld`).
    case nld
    /// French (`fra`).
    case fra
    /// German (`deu`).
    case deu

    /// The ISO 639-2 code, as `FlowRequest.lang` wants it (the same as `rawValue`).
    public var iso639_2: String {
        rawValue
    }
}
