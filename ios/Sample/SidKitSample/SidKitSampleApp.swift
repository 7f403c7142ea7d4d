// The sample app: Smart-ID login through App2App with SidKitUI. See docs/integration-ios.md.
import SidKitUI
import SwiftUI

/// Where the sample's backend runs and which Universal Link returns to the app. Change both for
/// your setup (docs/integration-ios.md, steps 3 and 5).
enum SampleSettings {
    /// The reference backend (`smartid serve`) on the Mac, reachable from the simulator.
    static let backendURL = URL(string: "http://localhost:8090")!
    /// The app's Universal Link for returns: the domain must be in the app's Associated Domains
    /// (`applinks:rp.example.com`) and serve the apple-app-site-association file.
    static let callbackBase = "https://rp.example.com/smart-id/return"
    /// `.demo` for SK's DEMO environment, `.live` in production.
    static let environment: SmartIdEnvironment = .demo
}

@main
@MainActor
struct SidKitSampleApp: App {
    @StateObject private var smartId: ObservableSmartIdFlow

    init() {
        let transport = URLSessionBackendTransport(baseURL: SampleSettings.backendURL, timeout: 20)
        let config = SidkitConfig(callbackBase: SampleSettings.callbackBase, environment: SampleSettings.environment)
        do {
            // The system opener (Universal Links first) and the Keychain snapshot store.
            let flow = try ObservableSmartIdFlow(configuration: config, transport: transport)
            // A flow that was waiting when iOS ended the process comes back before the return
            // link is delivered.
            flow.coordinator.restorePendingFlow()
            _smartId = StateObject(wrappedValue: flow)
        } catch {
            fatalError("invalid Smart-ID configuration: \(error)")
        }
    }

    var body: some Scene {
        WindowGroup {
            ContentView()
                .environmentObject(smartId)
                .smartIdReturnHandling(smartId.coordinator) { url in
                    print("not a Smart-ID return: \(url)")
                }
        }
    }
}
