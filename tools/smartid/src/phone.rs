//! A simulated phone: the RP app's side of a flow, driven through the mobile flow API
//! ([`sidkit_app::Flow`], the state machine the UniFFI bindings wrap) with the Rust
//! [`HttpTransport`] against a backend that speaks the contract. The Smart-ID app on the same
//! phone is played by the reference backend's development route (`POST /dev/smart-id-app`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::http_transport::{BackendTransport, HttpTransport, HttpTransportConfig, TransportError};
use sidkit_app::{
    AppError, DeviceLinkPolicy, Flow, FlowConfig, FlowSpec, NextStep, PollDisposition,
    PollProgress, ReturnDisposition, ReturnUrl,
};
use sidkit_contract::{FlowKind, FlowOutcome, Presentation};

use crate::reference::{DevAppRequest, DevAppResponse, DEMO_CALLBACK_BASE, DEV_APP_PATH};

/// Milliseconds since the Unix epoch (the flow's clock).
pub fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Why a phone step failed.
#[derive(Debug)]
pub enum PhoneError {
    /// The backend (or the network) failed a contract call.
    Transport(TransportError),
    /// The mobile flow refused something (link check, router, state).
    Flow(AppError),
    /// The simulated Smart-ID app failed.
    App(String),
}

impl PhoneError {
    /// The backend's problem code, if the backend answered with one.
    pub fn problem_code(&self) -> Option<&str> {
        match self {
            PhoneError::Transport(TransportError::Backend { problem, .. }) => {
                Some(problem.code.as_str())
            }
            _ => None,
        }
    }
}

impl std::fmt::Display for PhoneError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PhoneError::Transport(e) => write!(f, "{e}"),
            PhoneError::Flow(e) => write!(f, "{e}"),
            PhoneError::App(e) => write!(f, "Smart-ID app: {e}"),
        }
    }
}

impl From<TransportError> for PhoneError {
    fn from(e: TransportError) -> Self {
        PhoneError::Transport(e)
    }
}

impl From<AppError> for PhoneError {
    fn from(e: AppError) -> Self {
        PhoneError::Flow(e)
    }
}

/// One attempt to start `flow` through `transport`: `POST /flows`, then the link check of the
/// mobile flow. A failed call is reported to the flow (a retryable one leaves it ready for
/// another attempt, possibly through another transport).
pub async fn start_attempt(
    transport: &HttpTransport,
    flow: &mut Flow,
) -> Result<NextStep, PhoneError> {
    let req = flow.begin_start(now_ms())?;
    match transport.start_flow(&req).await {
        Ok(resp) => Ok(flow.on_start_response(resp, now_ms())?),
        Err(e) => {
            flow.on_start_error(e.is_retryable(), &e.to_string());
            Err(e.into())
        }
    }
}

/// One attempt to complete `flow` with the routed return URL `ret` through `transport`. A
/// `callback_rejected` answer leaves the flow waiting (the genuine URL may still follow); any
/// other failed call is reported to the flow, as in [`start_attempt`].
pub async fn complete_attempt(
    transport: &HttpTransport,
    flow: &mut Flow,
    ret: &ReturnUrl,
) -> Result<FlowOutcome, PhoneError> {
    match flow.accept_return_url(ret, now_ms())? {
        ReturnDisposition::Complete(req) => {
            match transport.complete_flow(&req, flow.flow_key()).await {
                Ok(o) => Ok(flow.on_complete_response(o)?),
                // Refused before the flow was touched: the genuine URL may still follow.
                Err(e)
                    if matches!(&e, TransportError::Backend { problem, .. }
                    if problem.code == sidkit_contract::error_codes::CALLBACK_REJECTED) =>
                {
                    flow.on_complete_refused();
                    Err(e.into())
                }
                Err(e) => {
                    flow.on_complete_error(e.is_retryable(), &e.to_string());
                    Err(e.into())
                }
            }
        }
        ReturnDisposition::AlreadyFinished(o) => Ok(o),
        ReturnDisposition::InFlight => Err(PhoneError::App("completion in flight".into())),
    }
}

/// The simulated phone.
#[derive(Debug, Clone)]
pub struct Phone {
    /// The contract transport.
    pub transport: HttpTransport,
    /// The app's flow configuration (callback base, device-link allow-list).
    pub config: FlowConfig,
    /// The simulated user's account.
    pub account: String,
    dev: reqwest::Client,
    base: String,
}

/// What an App2App run produced.
#[derive(Debug, Clone)]
pub struct App2AppRun {
    /// The flow handle the backend gave.
    pub flow_handle: String,
    /// The checked App2App device link.
    pub device_link: String,
    /// The return URL the Smart-ID app opened (if it called back).
    pub return_url: Option<String>,
    /// The simulated Smart-ID app's `endResult`.
    pub end_result: String,
    /// The outcome.
    pub outcome: FlowOutcome,
}

impl Phone {
    /// A phone talking to the backend at `base_url` (loopback `http` or `https`), using the
    /// DEMO device-link base and [`DEMO_CALLBACK_BASE`].
    pub fn new(base_url: &str, account: &str) -> Result<Phone, String> {
        let transport = HttpTransport::new(HttpTransportConfig::new(base_url))
            .map_err(|e| format!("transport: {e}"))?;
        let config = FlowConfig::new(DEMO_CALLBACK_BASE, DeviceLinkPolicy::demo())
            .map_err(|e| format!("flow config: {e}"))?;
        let dev = reqwest::Client::builder()
            .no_proxy()
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Phone {
            base: transport.base_url().trim_end_matches('/').to_owned(),
            transport,
            config,
            account: account.to_owned(),
            dev,
        })
    }

    /// Starts a flow: `POST /flows`, then the link check of the mobile flow.
    pub async fn start(
        &self,
        kind: FlowKind,
        presentation: Presentation,
        context: Option<&str>,
    ) -> Result<(Flow, NextStep), PhoneError> {
        let mut spec = FlowSpec::new(kind, presentation);
        spec.context = context.map(str::to_owned);
        let mut flow = Flow::new(self.config.clone(), spec, now_ms())?;
        let next = start_attempt(&self.transport, &mut flow).await?;
        Ok((flow, next))
    }

    /// Starts an App2App flow and opens its checked device link: the flow, now waiting for
    /// its return URL, and the link (to give to [`Phone::smart_id_app`]).
    pub async fn launch(
        &self,
        kind: FlowKind,
        context: Option<&str>,
    ) -> Result<(Flow, String), PhoneError> {
        let (mut flow, next) = self.start(kind, Presentation::App2App, context).await?;
        let NextStep::LaunchApp { device_link } = next else {
            return Err(PhoneError::App(format!(
                "expected an App2App link, got {next:?}"
            )));
        };
        flow.mark_launched(now_ms())?;
        Ok((flow, device_link))
    }

    /// The Smart-ID app on this phone opens (App2App) or scans (QR) `link`.
    pub async fn smart_id_app(&self, link: &str) -> Result<DevAppResponse, PhoneError> {
        let body = serde_json::to_vec(&DevAppRequest {
            device_link: link.to_owned(),
            document_number: Some(self.account.clone()),
        })
        .map_err(|e| PhoneError::App(e.to_string()))?;
        let resp = self
            .dev
            .post(format!("{}{DEV_APP_PATH}", self.base))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .map_err(|e| PhoneError::App(e.to_string()))?;
        let status = resp.status();
        let text = resp
            .text()
            .await
            .map_err(|e| PhoneError::App(e.to_string()))?;
        if !status.is_success() {
            return Err(PhoneError::App(format!("{status}: {text}")));
        }
        serde_json::from_str(&text).map_err(|e| PhoneError::App(e.to_string()))
    }

    /// The OS delivered `url` to the app: route it to `flow` and complete it with the backend.
    pub async fn deliver_return_url(
        &self,
        flow: &mut Flow,
        url: &str,
    ) -> Result<FlowOutcome, PhoneError> {
        let ret = ReturnUrl::parse(self.config.callback_base(), url)
            .map_err(|r| PhoneError::Flow(AppError::ReturnUrlRejected(r)))?;
        complete_attempt(&self.transport, flow, &ret).await
    }

    /// Polls until the flow is finished (App2App without a return URL, or QR after the scan).
    pub async fn poll_until_finished(&self, flow: &mut Flow) -> Result<FlowOutcome, PhoneError> {
        loop {
            match flow.begin_poll(now_ms())? {
                PollDisposition::Finished(o) => return Ok(o),
                PollDisposition::AwaitCompletion => {
                    tokio::time::sleep(std::time::Duration::from_millis(100)).await
                }
                PollDisposition::Send(req) => {
                    match self.transport.poll_flow(&req, flow.flow_key()).await {
                        Ok(resp) => {
                            if let PollProgress::Finished(o) = flow.on_poll_response(resp)? {
                                return Ok(o);
                            }
                        }
                        Err(e) => {
                            flow.on_poll_error(e.is_retryable(), &e.to_string());
                            return Err(e.into());
                        }
                    }
                }
            }
        }
    }

    /// A whole App2App flow: start, link check, launch, the Smart-ID app, the return URL, the
    /// completion. `log` sees each step. A session that ends without a callback is finished by
    /// polling, as an app does when the user comes back without a return URL.
    pub async fn app2app(
        &self,
        kind: FlowKind,
        context: Option<&str>,
        log: &mut dyn FnMut(&str),
    ) -> Result<(Flow, App2AppRun), PhoneError> {
        log(&format!(
            "phone    POST /flows  {{kind: {kind}, presentation: app2app}}"
        ));
        let (mut flow, device_link) = self.launch(kind, context).await?;
        let handle = flow.flow_handle().unwrap_or_default().to_owned();
        log(&format!(
            "backend  201 flowHandle {handle} (opaque), sessionType {}, callbackCommitment {}",
            flow.session_type().map(|t| t.as_str()).unwrap_or("?"),
            flow.commitment()
                .map(|c| sidkit_proto::b64::encode_url(c))
                .unwrap_or_default()
        ));
        log(&format!(
            "phone    device link checked (allow-listed base, App2App, session type): {device_link}"
        ));
        log(&format!(
            "phone    opens the Smart-ID app (simulated user {})",
            self.account
        ));
        let app = self.smart_id_app(&device_link).await?;
        log(&format!(
            "smart-id endResult {}; callback {}",
            app.end_result, app.callback
        ));
        let (outcome, return_url) = match &app.return_url {
            Some(url) => {
                log(&format!(
                    "os       delivers the return URL to the app: {url}"
                ));
                log("phone    return URL routed to this flow (token matches the commitment); POST /flows/{flowHandle}/complete");
                (
                    self.deliver_return_url(&mut flow, url).await?,
                    Some(url.clone()),
                )
            }
            None => {
                log("phone    no return URL; polling GET /flows/{flowHandle}");
                (self.poll_until_finished(&mut flow).await?, None)
            }
        };
        Ok((
            flow,
            App2AppRun {
                flow_handle: handle,
                device_link,
                return_url,
                end_result: app.end_result,
                outcome,
            },
        ))
    }
}
