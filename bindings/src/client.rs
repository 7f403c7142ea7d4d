//! [`SidkitClient`], the object the app holds once: it checks the configuration, creates and
//! restores [`SidkitFlow`]s and routes return URLs to them.

use std::sync::{Arc, Mutex};

use sidkit_app::{
    AppError, DeviceLinkPolicy, Flow, FlowConfig, FlowSnapshot, FlowSpec, ReturnUrl, RouteRejection,
};

use crate::error::SidkitError;
use crate::flow::{now_ms, SidkitFlow, MAX_TERMINAL_FLOWS};
use crate::sync::lock;
use crate::transport::BackendTransport;
use crate::types::{FlowOutcome, FlowRequest, SidkitConfig, SmartIdEnvironment};

/// The app's entry point: one per app (or per backend), shared by all flows.
///
/// It checks the configuration once, creates and restores flows, and routes return URLs: the
/// App Link / Universal Link handler passes every URL on the callback base to
/// [`handle_return_url`](Self::handle_return_url).
#[derive(uniffi::Object)]
pub struct SidkitClient {
    config: FlowConfig,
    transport: Arc<dyn BackendTransport>,
    flows: Mutex<Vec<Arc<SidkitFlow>>>,
}

impl SidkitClient {
    fn register(&self, flow: Arc<SidkitFlow>) {
        let mut flows = lock(&self.flows);
        flows.push(flow);
        let terminal = flows.iter().filter(|f| f.is_terminal()).count();
        let mut excess = terminal.saturating_sub(MAX_TERMINAL_FLOWS);
        flows.retain(|f| {
            if excess > 0 && f.is_terminal() {
                excess -= 1;
                false
            } else {
                true
            }
        });
    }
}

#[uniffi::export]
impl SidkitClient {
    /// Checks `config` (the callback base is a strict `https` URL without the parameters the
    /// backend and Smart-ID add; extra device-link bases are `https` without query; the
    /// deadline is 1 s to 60 min).
    #[uniffi::constructor]
    pub fn new(
        config: SidkitConfig,
        transport: Arc<dyn BackendTransport>,
    ) -> Result<Arc<Self>, SidkitError> {
        let policy = match config.environment {
            SmartIdEnvironment::Live => Some(DeviceLinkPolicy::live()),
            SmartIdEnvironment::Demo => Some(DeviceLinkPolicy::demo()),
            SmartIdEnvironment::Custom => None,
        };
        let policy = match policy {
            Some(mut p) => {
                for b in &config.additional_device_link_bases {
                    p = p.with_base(b)?;
                }
                p
            }
            None => DeviceLinkPolicy::new(config.additional_device_link_bases.clone())?,
        };
        let mut fc = FlowConfig::new(&config.callback_base, policy)?;
        if let Some(ms) = config.max_flow_duration_ms {
            fc = fc.with_max_duration_ms(ms)?;
        }
        Ok(Arc::new(SidkitClient {
            config: fc,
            transport,
            flows: Mutex::new(Vec::new()),
        }))
    }

    /// The configured callback base.
    pub fn callback_base(&self) -> String {
        self.config.callback_base().as_str().to_owned()
    }

    /// The allowed device-link bases.
    pub fn device_link_bases(&self) -> Vec<String> {
        self.config.link_policy().bases().to_vec()
    }

    /// A new flow (not started yet: call `start()`).
    pub fn create_flow(&self, request: FlowRequest) -> Result<Arc<SidkitFlow>, SidkitError> {
        let spec = FlowSpec {
            kind: request.kind.into(),
            presentation: request.presentation.into(),
            lang: request.lang,
            context: request.context,
        };
        let flow = Flow::new(self.config.clone(), spec, now_ms())?;
        let flow = SidkitFlow::new(flow, self.transport.clone());
        self.register(flow.clone());
        Ok(flow)
    }

    /// Restores a flow from `SidkitFlow.snapshot()` after the app was restarted. Everything is
    /// checked again; a snapshot of another configuration, a tampered one, or one of an unknown
    /// version is refused. Restoring the same snapshot twice returns the same flow. A flow past
    /// its deadline comes back expired.
    pub fn restore_flow(&self, snapshot: String) -> Result<Arc<SidkitFlow>, SidkitError> {
        let snap = FlowSnapshot::decode(&snapshot)?;
        if let Some(existing) = self.flow(snap.id.clone()) {
            return Ok(existing);
        }
        let flow = Flow::restore(self.config.clone(), &snap, now_ms())?;
        let flow = SidkitFlow::new(flow, self.transport.clone());
        self.register(flow.clone());
        Ok(flow)
    }

    /// Which pending flow a URL returns to, without contacting the backend. Fails with
    /// `ReturnUrlRejected`: `ForeignBase` (not a Smart-ID return: handle it elsewhere),
    /// `Malformed`, or `UnknownFlow`.
    pub fn find_flow(&self, return_url: String) -> Result<Arc<SidkitFlow>, SidkitError> {
        let ret =
            ReturnUrl::parse(self.config.callback_base(), &return_url).map_err(AppError::from)?;
        let flows: Vec<Arc<SidkitFlow>> = lock(&self.flows).clone();
        let candidates: Vec<(Arc<SidkitFlow>, [u8; 32])> = flows
            .into_iter()
            .filter_map(|f| f.commitment().map(|c| (f, c)))
            .collect();
        let found = ret.find(candidates.iter().map(|(_, c)| c));
        match found.and_then(|i| candidates.get(i)) {
            Some((flow, _)) => Ok(flow.clone()),
            None => Err(AppError::from(RouteRejection::UnknownFlow).into()),
        }
    }

    /// Routes a return URL to its flow and completes it: the outcome, verified by the backend.
    /// See `SidkitFlow.complete` for the idempotency rules.
    pub async fn handle_return_url(&self, return_url: String) -> Result<FlowOutcome, SidkitError> {
        let flow = self.find_flow(return_url.clone())?;
        flow.complete(return_url).await
    }

    /// The flows the client knows (pending ones and up to 64 recently ended ones).
    pub fn flows(&self) -> Vec<Arc<SidkitFlow>> {
        lock(&self.flows).clone()
    }

    /// The flow with this id, if the client knows it.
    pub fn flow(&self, id: String) -> Option<Arc<SidkitFlow>> {
        lock(&self.flows).iter().find(|f| f.id() == id).cloned()
    }

    /// Forgets a flow. Returns whether it was known.
    pub fn forget_flow(&self, id: String) -> bool {
        let mut flows = lock(&self.flows);
        let before = flows.len();
        flows.retain(|f| f.id() != id);
        flows.len() != before
    }

    /// Applies the deadline to every flow (e.g. when the app comes to the foreground).
    /// Returns how many flows are still pending.
    pub fn tick(&self) -> u32 {
        let flows = self.flows();
        let pending = flows.iter().filter(|f| !f.tick()).count();
        u32::try_from(pending).unwrap_or(u32::MAX)
    }
}
