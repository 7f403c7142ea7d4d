//! `smartid load --pending N`: memory per pending flow on a fresh backend, and the
//! simulator's share of it.

use std::sync::Arc;
use std::time::Duration;

use sidkit_backend::MemoryStore;

use super::{in_batches, measure_pending, rss_bytes};
use crate::phone::Phone;
use crate::reference::{Stack, DEMO_ACCOUNT};

/// What a pending-flow run ([`run_pending`]) measured.
#[derive(Debug, Clone)]
pub struct PendingReport {
    /// Flows started and left pending.
    pub flows: usize,
    /// Growth of the process's resident memory per pending flow, in bytes: the backend's
    /// record, the simulator's session, HTTP and allocator slack (all in this process).
    pub rss_per_pending_flow: Option<u64>,
    /// Bytes of store payload (key + record) per pending flow.
    pub store_bytes_per_pending_flow: usize,
    /// Growth of the process's resident memory per Smart-ID session created directly on the
    /// simulator, without the backend (the same request the backend sends): the simulator's
    /// share of `rss_per_pending_flow`.
    pub rss_per_simulator_session: Option<u64>,
}

impl std::fmt::Display for PendingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kb = |b: Option<u64>| b.map_or("n/a".to_owned(), |b| format!("{b} bytes"));
        writeln!(f, "pending flows: {}", self.flows)?;
        writeln!(
            f,
            "RSS per pending flow (backend + simulator session): {}",
            kb(self.rss_per_pending_flow)
        )?;
        writeln!(
            f,
            "RSS per simulator session alone: {}",
            kb(self.rss_per_simulator_session)
        )?;
        if let (Some(a), Some(b)) = (self.rss_per_pending_flow, self.rss_per_simulator_session) {
            writeln!(
                f,
                "backend's share per pending flow: {} bytes",
                a.saturating_sub(b)
            )?;
        }
        write!(
            f,
            "store payload per pending flow: {} bytes",
            self.store_bytes_per_pending_flow
        )
    }
}

/// Starts `flows` App2App flows on one reference backend (in-memory store) and leaves them
/// pending, after as many Smart-ID sessions created on the simulator directly: the memory per
/// pending flow, and the simulator's share of it.
pub async fn run_pending(flows: usize) -> Result<PendingReport, String> {
    use sidkit_proto::request::AuthenticationRequestBuilder;
    let store = Arc::new(MemoryStore::new());
    let sim = Arc::new(crate::reference::start_simulator(0).await?);
    let options = crate::reference::ReferenceOptions {
        store: Some(store.clone()),
        revocation: sidkit_backend::RevocationMode::Off,
        admission: sidkit_backend::AdmissionConfig {
            starts_per_minute: 0,
            max_pending_flows: 2 * flows + 1000,
            ..sidkit_backend::AdmissionConfig::default()
        },
        ..Default::default()
    };
    let serve = sidkit_backend::ServeConfig {
        max_connections: 1024,
        ..sidkit_backend::ServeConfig::default()
    };
    let stack = Stack::on_with_options(sim.clone(), 0, options, serve).await?;
    let phone = Phone::new(&stack.server.base_url(), DEMO_ACCOUNT)?;
    // Warm-up: the allocator's arenas, connections and lazy statics, on both paths.
    measure_pending(&phone, &store, 200).await?;
    let client = stack.backend.config().client.clone();
    let rp = stack.backend.config().relying_party.clone();
    let session = || {
        let (client, rp) = (client.clone(), rp.clone());
        async move {
            use sidkit_proto::interactions::{Interaction, InteractionFlow, Interactions};
            let shown = Interaction::display_text_and_pin("Log in to the load run")
                .map_err(|e| e.to_string())?;
            let interactions = Interactions::new(InteractionFlow::DeviceLink, vec![shown])
                .map_err(|e| e.to_string())?;
            let req = AuthenticationRequestBuilder::new(&rp)
                .interactions(interactions)
                .build_device_link()
                .map_err(|e| e.to_string())?;
            client
                .create_device_link_authentication(&sidkit_proto::models::Subject::Anonymous, &req)
                .await
                .map(|_| ())
                .map_err(|e| e.to_string())
        }
    };
    let direct = |n: usize| in_batches(n, session);
    direct(200).await?;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_bytes();
    direct(flows).await?;
    let after = rss_bytes();
    let rss_per_simulator_session = match (before, after) {
        (Some(a), Some(b)) => Some(b.saturating_sub(a) / flows as u64),
        _ => None,
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (rss_per_pending_flow, store_bytes_per_pending_flow) =
        measure_pending(&phone, &store, flows).await?;
    stack.server.shutdown().await;
    Ok(PendingReport {
        flows,
        rss_per_pending_flow,
        store_bytes_per_pending_flow,
        rss_per_simulator_session,
    })
}
