//! Per-instance bookkeeping of the QR event streams and of upstream status calls:
//!
//! * [`Streams`]: at most one open `/qr` stream per flow (a newer stream replaces the older one,
//!   which ends at its next tick: a reloaded page takes over its flow) and at most
//!   [`AdmissionConfig::max_qr_streams`](crate::AdmissionConfig::max_qr_streams) streams in all
//!   (more are `429 rate_limited`);
//! * [`SharedStatus`]: concurrent status requests for the same Smart-ID session on this
//!   instance (a stream's tick, the app's poll, a completion's wait) share one upstream call.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sidkit_client::{ClientError, SmartIdClient};
use sidkit_proto::models::SessionStatus;
use tokio::sync::watch;

use crate::error::FlowError;

/// The open QR streams of this instance, by flow.
#[derive(Debug, Default)]
pub(crate) struct Streams {
    open: Mutex<HashMap<String, u64>>,
    next: AtomicU64,
}

/// One registered stream; unregisters itself when dropped.
#[derive(Debug)]
pub(crate) struct StreamTicket {
    streams: Arc<Streams>,
    key: String,
    generation: u64,
}

impl Streams {
    /// Registers a stream for the flow stored at `key`, replacing an older one of the same flow;
    /// [`FlowError::RateLimited`] when `max` streams of other flows are open.
    pub(crate) fn open(self: &Arc<Self>, key: &str, max: usize) -> Result<StreamTicket, FlowError> {
        let generation = self.next.fetch_add(1, Ordering::Relaxed);
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        if !open.contains_key(key) && open.len() >= max {
            return Err(FlowError::RateLimited {
                retry_after_secs: 1,
            });
        }
        open.insert(key.to_owned(), generation);
        Ok(StreamTicket {
            streams: self.clone(),
            key: key.to_owned(),
            generation,
        })
    }

    /// How many streams are open.
    pub(crate) fn len(&self) -> usize {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).len()
    }
}

impl StreamTicket {
    /// Whether this is still the flow's current stream (a newer one replaces it).
    pub(crate) fn is_current(&self) -> bool {
        self.streams
            .open
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&self.key)
            == Some(&self.generation)
    }
}

impl Drop for StreamTicket {
    fn drop(&mut self) {
        let mut open = self.streams.open.lock().unwrap_or_else(|p| p.into_inner());
        if open.get(&self.key) == Some(&self.generation) {
            open.remove(&self.key);
        }
    }
}

type StatusResult = Result<SessionStatus, ClientError>;

/// Status calls in flight on this instance, by session.
#[derive(Debug, Default)]
pub(crate) struct SharedStatus {
    inflight: Mutex<HashMap<String, watch::Receiver<Option<StatusResult>>>>,
}

/// Removes the leader's entry however its call ends (also when its caller goes away).
struct Leading<'a> {
    shared: &'a SharedStatus,
    key: &'a str,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        self.shared
            .inflight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(self.key);
    }
}

impl SharedStatus {
    /// `GET session/{id}` with `long_poll`, shared with every concurrent caller for the same
    /// session on this instance: one upstream call, every caller gets its answer.
    pub(crate) async fn get(
        &self,
        client: &SmartIdClient,
        session_id: &str,
        long_poll: Duration,
    ) -> StatusResult {
        // Callers share a call only with the same long poll (a background driver's long wait
        // must not hold up a QR stream's tick).
        let key = format!("{session_id}\n{}", long_poll.as_millis());
        let follow = {
            let mut inflight = self.inflight.lock().unwrap_or_else(|p| p.into_inner());
            match inflight.get(&key) {
                Some(rx) => Ok(rx.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    inflight.insert(key.clone(), rx);
                    Err(tx)
                }
            }
        };
        match follow {
            Err(tx) => {
                let _leading = Leading {
                    shared: self,
                    key: &key,
                };
                let r = client.session_status(session_id, long_poll).await;
                let _ = tx.send(Some(r.clone()));
                r
            }
            Ok(mut rx) => loop {
                if let Some(r) = rx.borrow_and_update().clone() {
                    return r;
                }
                if rx.changed().await.is_err() {
                    // The leader went away without an answer: ask ourselves.
                    return client.session_status(session_id, long_poll).await;
                }
            },
        }
    }
}
