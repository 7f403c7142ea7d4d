import SidKitUI
import SwiftUI

/// Log in, see the steps, see who logged in.
@MainActor
struct ContentView: View {
    @EnvironmentObject private var smartId: ObservableSmartIdFlow
    @Environment(\.scenePhase) private var scenePhase
    @State private var login: Task<Void, Never>?
    @State private var message = ""

    var body: some View {
        VStack(spacing: 20) {
            Text("sidkit sample").font(.title)
            status
            if smartId.state.isInProgress {
                Button("Cancel", role: .cancel) {
                    // Cancelling the task cancels its flow; cancel() also covers a flow that was
                    // restored after a restart and has no task.
                    login?.cancel()
                    Task { await smartId.coordinator.cancel() }
                }
            } else {
                Button("Log in with Smart-ID") { startLogin() }
                    .buttonStyle(.borderedProminent)
            }
            Text(message).font(.footnote).foregroundColor(.secondary)
        }
        .padding()
        .onChange(of: scenePhase) { phase in
            // Back from Smart-ID without a return link (e.g. after a refusal): ask the backend.
            if phase == .active {
                Task { await smartId.coordinator.refresh() }
            }
        }
    }

    @ViewBuilder
    private var status: some View {
        switch smartId.state {
        case .idle:
            Text("Not logged in")
        case .starting:
            ProgressView("Starting…")
        case .awaitingReturn(_, false):
            ProgressView("Opening Smart-ID…")
        case .awaitingReturn(_, true):
            ProgressView("Confirm in the Smart-ID app")
        case let .showingQr(deviceLink):
            SmartIdQrCodeView(deviceLink: deviceLink).frame(width: 240, height: 240)
        case .completing:
            ProgressView("Verifying…")
        case let .finished(.authenticated(identity, _)):
            Text("Hello, \(identity.givenName) \(identity.surname)")
        case let .finished(outcome):
            Text("Not logged in: \(String(describing: outcome))")
        case let .failed(error):
            // userMessage is fit to show; code is for logs and support.
            Text("\(error.userMessage) (\(error.code))")
        case .cancelled:
            Text("Cancelled")
        case .expired:
            Text("Took too long; try again")
        }
    }

    private func startLogin() {
        login = Task {
            do {
                let outcome = try await smartId.coordinator.authenticate(lang: .eng)
                if case let .authenticated(identity, appData) = outcome {
                    // appData is the backend's own session token for this app.
                    message = "\(identity.identifier), session \(appData ?? "-")"
                }
            } catch let error as SmartIdError {
                message = error.isRetryable ? "\(error.userMessage) You can try again." : error.userMessage
            } catch {
                message = "\(error)"
            }
        }
    }
}
