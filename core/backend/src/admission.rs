//! Admission control for starts (`POST /flows`): a token bucket per client address and a cap on
//! the flows an instance keeps pending. A start is unauthenticated by nature (it is the login),
//! and each one opens a real Smart-ID session upstream, which the RP pays for and which Smart-ID
//! rate-limits per RP: without a limit, one client could start sessions as fast as it can send
//! requests.
//!
//! [`AdmissionConfig`] sets the limits; a refused start is [`FlowError::RateLimited`]
//! (`429 rate_limited` with `Retry-After`).

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

use crate::error::FlowError;

/// The limits on starting flows and on QR streams. [`AdmissionConfig::default`]: 20 starts a
/// minute per client address with bursts of 10, at most 10,000 flows pending and 1,000 QR
/// streams open per instance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Starts a client address may make per minute, on average (the bucket's refill rate).
    /// `0` turns the per-address limit off (e.g. behind a gateway that limits already: every
    /// request then comes from the gateway's address).
    pub starts_per_minute: u32,
    /// How many starts a client address may make at once (the bucket's size).
    pub burst: u32,
    /// The most flows this instance keeps pending: started here within the last flow TTL.
    pub max_pending_flows: usize,
    /// The most client addresses tracked; beyond it the least recently seen are forgotten.
    pub max_tracked_clients: usize,
    /// The most QR event streams (`GET /flows/{flowHandle}/qr`) open at once on this instance,
    /// one per flow; more are `429 rate_limited`.
    pub max_qr_streams: usize,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        AdmissionConfig {
            starts_per_minute: 20,
            burst: 10,
            max_pending_flows: 10_000,
            max_tracked_clients: 100_000,
            max_qr_streams: 1_000,
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at_ms: u64,
}

/// The admission state of one [`Backend`](crate::Backend) instance.
#[derive(Debug)]
pub(crate) struct Admission {
    cfg: AdmissionConfig,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
    /// Expiry times (Unix ms) of the flows started here, oldest first.
    pending: Mutex<VecDeque<u64>>,
}

/// The address a bucket is kept for: IPv4 addresses as they are, IPv6 addresses by their /64
/// (one subscriber's prefix), so that rotating through a prefix does not multiply the budget.
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}

fn rate_limited(wait_ms: u64) -> FlowError {
    FlowError::RateLimited {
        retry_after_secs: wait_ms.div_ceil(1000).max(1),
    }
}

impl Admission {
    pub(crate) fn new(cfg: AdmissionConfig) -> Self {
        Admission {
            cfg,
            buckets: Mutex::new(HashMap::new()),
            pending: Mutex::new(VecDeque::new()),
        }
    }

    /// Takes a token of `client`'s bucket at `now_ms`, or [`FlowError::RateLimited`] with the
    /// time until the next token.
    pub(crate) fn admit_client(&self, client: IpAddr, now_ms: u64) -> Result<(), FlowError> {
        if self.cfg.starts_per_minute == 0 {
            return Ok(());
        }
        let per_ms = f64::from(self.cfg.starts_per_minute) / 60_000.0;
        let burst = f64::from(self.cfg.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|p| p.into_inner());
        if buckets.len() >= self.cfg.max_tracked_clients.max(1) {
            // Forget full buckets first (they hold no state worth keeping), then the oldest.
            buckets
                .retain(|_, b| b.tokens + now_ms.saturating_sub(b.at_ms) as f64 * per_ms < burst);
            if buckets.len() >= self.cfg.max_tracked_clients.max(1) {
                if let Some(oldest) = buckets.iter().min_by_key(|(_, b)| b.at_ms).map(|(k, _)| *k) {
                    buckets.remove(&oldest);
                }
            }
        }
        let b = buckets.entry(client_key(client)).or_insert(Bucket {
            tokens: burst,
            at_ms: now_ms,
        });
        b.tokens = (b.tokens + now_ms.saturating_sub(b.at_ms) as f64 * per_ms).min(burst);
        b.at_ms = now_ms;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(rate_limited(((1.0 - b.tokens) / per_ms).ceil() as u64))
        }
    }

    /// Reserves a pending-flow slot until `expires_ms`, or [`FlowError::RateLimited`] when
    /// [`AdmissionConfig::max_pending_flows`] are pending (with the time until the oldest
    /// expires).
    pub(crate) fn reserve(&self, now_ms: u64, expires_ms: u64) -> Result<(), FlowError> {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        while pending.front().is_some_and(|e| *e <= now_ms) {
            pending.pop_front();
        }
        if pending.len() >= self.cfg.max_pending_flows {
            let oldest = pending.front().copied().unwrap_or(now_ms);
            return Err(rate_limited(oldest.saturating_sub(now_ms)));
        }
        // Expiries come in order (one TTL for all flows), so the queue stays sorted.
        pending.push_back(expires_ms);
        Ok(())
    }

    /// Gives back the slot of a start that failed.
    pub(crate) fn release(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        pending.pop_back();
    }
}

/// How long a refused client should wait.
pub(crate) fn retry_after(e: &FlowError) -> Option<Duration> {
    match e {
        FlowError::RateLimited { retry_after_secs } => Some(Duration::from_secs(*retry_after_secs)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(per_minute: u32, burst: u32, pending: usize) -> AdmissionConfig {
        AdmissionConfig {
            starts_per_minute: per_minute,
            burst,
            max_pending_flows: pending,
            max_tracked_clients: 4,
            max_qr_streams: 4,
        }
    }

    #[test]
    fn a_client_gets_its_burst_then_the_refill_rate() {
        let a = Admission::new(cfg(60, 3, 100));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        for _ in 0..3 {
            a.admit_client(ip, 1_000).unwrap();
        }
        let e = a.admit_client(ip, 1_000).unwrap_err();
        assert_eq!(
            e,
            FlowError::RateLimited {
                retry_after_secs: 1
            }
        );
        // One a second at 60 a minute.
        a.admit_client(ip, 2_000).unwrap();
        assert!(a.admit_client(ip, 2_100).is_err());
        // Another address has its own bucket.
        a.admit_client("192.0.2.2".parse().unwrap(), 2_100).unwrap();
        // Off when the rate is 0.
        let off = Admission::new(cfg(0, 1, 100));
        for _ in 0..100 {
            off.admit_client(ip, 0).unwrap();
        }
    }

    #[test]
    fn ipv6_clients_share_the_budget_of_their_64() {
        let a = Admission::new(cfg(60, 2, 100));
        a.admit_client("2001:db8:1:2::1".parse().unwrap(), 0)
            .unwrap();
        a.admit_client("2001:db8:1:2::ffff".parse().unwrap(), 0)
            .unwrap();
        assert!(a
            .admit_client("2001:db8:1:2:abcd::9".parse().unwrap(), 0)
            .is_err());
        a.admit_client("2001:db8:1:3::1".parse().unwrap(), 0)
            .unwrap();
        // An IPv4-mapped address is its IPv4 address.
        a.admit_client("192.0.2.7".parse().unwrap(), 0).unwrap();
        a.admit_client("::ffff:192.0.2.7".parse().unwrap(), 0)
            .unwrap();
        assert!(a.admit_client("192.0.2.7".parse().unwrap(), 0).is_err());
    }

    #[test]
    fn tracked_clients_are_bounded() {
        let a = Admission::new(cfg(60, 1, 100));
        for i in 0..50u8 {
            a.admit_client(IpAddr::from([10, 0, 0, i]), u64::from(i))
                .unwrap();
        }
        assert!(a.buckets.lock().unwrap().len() <= 4);
    }

    #[test]
    fn pending_flows_are_capped_until_they_expire() {
        let a = Admission::new(cfg(60, 10, 2));
        a.reserve(0, 1_000).unwrap();
        a.reserve(10, 1_010).unwrap();
        let e = a.reserve(20, 1_020).unwrap_err();
        assert_eq!(
            e,
            FlowError::RateLimited {
                retry_after_secs: 1
            }
        );
        a.release();
        a.reserve(30, 1_030).unwrap();
        assert!(a.reserve(40, 1_040).is_err());
        // The oldest expired: room again.
        a.reserve(1_000, 2_000).unwrap();
        assert_eq!(retry_after(&e), Some(Duration::from_secs(1)));
    }
}
