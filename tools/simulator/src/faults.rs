//! Scripted faults: delays, error statuses, dropped connections and malformed JSON.

use std::time::Duration;

/// What a fault does to one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// Answers with this HTTP status and an RFC 9457 body (e.g. `500`, `503`, `580`, `480`,
    /// legacy `471`/`472`, `401`, `403`).
    Status(u16),
    /// Closes the connection after reading the request, without any response.
    DropConnection,
    /// Answers `200` with a truncated JSON body.
    MalformedJson,
    /// `GET session/{id}` answers at once with the current state, ignoring `timeoutMs`, like a
    /// proxy that cuts long polls short (no effect on other endpoints).
    NoLongPoll,
}

/// Which requests a fault may hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FaultScope {
    /// Any RP API request (not the mock device endpoint, not OCSP).
    Any,
    /// Session-creating `POST`s and `signature/certificate/{doc}`.
    CreateSession,
    /// `GET session/{id}`.
    SessionStatus,
    /// The OCSP responder (`POST /ocsp`); only faults with exactly this scope hit it, and
    /// [`Fault::for_account`] does not apply (the request names a serial, not an account).
    Ocsp,
}

/// A fault that hits the next `times` matching requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    /// What happens.
    pub kind: FaultKind,
    /// Which endpoints.
    pub scope: FaultScope,
    /// Only requests about this account (document number or semantics identifier); `None`
    /// matches every request in scope.
    pub account: Option<String>,
    /// How many requests it hits (then it is used up).
    pub times: u32,
}

impl Fault {
    /// A fault hitting the next matching request once, on any RP API endpoint, for any account.
    pub fn new(kind: FaultKind) -> Self {
        Fault {
            kind,
            scope: FaultScope::Any,
            account: None,
            times: 1,
        }
    }

    /// Answer with `status`.
    pub fn status(status: u16) -> Self {
        Self::new(FaultKind::Status(status))
    }

    /// Drop the connection.
    pub fn drop_connection() -> Self {
        Self::new(FaultKind::DropConnection)
    }

    /// Answer with malformed JSON.
    pub fn malformed_json() -> Self {
        Self::new(FaultKind::MalformedJson)
    }

    /// Answer status requests at once, without long polling.
    pub fn no_long_poll() -> Self {
        Self::new(FaultKind::NoLongPoll).on(FaultScope::SessionStatus)
    }

    /// Delay the answer.
    pub fn delay(d: Duration) -> Self {
        Self::new(FaultKind::Delay(d))
    }

    /// Restricts the fault to `scope`.
    pub fn on(mut self, scope: FaultScope) -> Self {
        self.scope = scope;
        self
    }

    /// Restricts the fault to requests about `account` (document number or identity).
    pub fn for_account(mut self, account: impl Into<String>) -> Self {
        self.account = Some(account.into());
        self
    }

    /// Hits the next `n` matching requests.
    pub fn times(mut self, n: u32) -> Self {
        self.times = n;
        self
    }
}

/// The queue of pending faults (first match wins).
#[derive(Debug, Default)]
pub(crate) struct FaultQueue {
    faults: Vec<Fault>,
}

impl FaultQueue {
    pub fn push(&mut self, f: Fault) {
        if f.times > 0 {
            self.faults.push(f);
        }
    }

    pub fn clear(&mut self) {
        self.faults.clear();
    }

    /// Takes one use of the first fault matching `scope` and the request's account keys
    /// (document number and identity, when known).
    pub fn take(&mut self, scope: FaultScope, account_keys: &[&str]) -> Option<FaultKind> {
        let i = self.faults.iter().position(|f| {
            (f.scope == scope || (f.scope == FaultScope::Any && scope != FaultScope::Ocsp))
                && f.account
                    .as_deref()
                    .is_none_or(|a| account_keys.contains(&a))
        })?;
        let f = &mut self.faults[i];
        f.times -= 1;
        let kind = f.kind.clone();
        if f.times == 0 {
            self.faults.remove(i);
        }
        Some(kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_matching_and_use_counts() {
        let mut q = FaultQueue::default();
        q.push(Fault::status(503).on(FaultScope::SessionStatus).times(2));
        q.push(Fault::drop_connection().for_account("PNOEE-1"));
        assert_eq!(q.take(FaultScope::CreateSession, &[]), None);
        assert_eq!(
            q.take(FaultScope::CreateSession, &["PNOEE-1"]),
            Some(FaultKind::DropConnection)
        );
        assert_eq!(q.take(FaultScope::CreateSession, &["PNOEE-1"]), None);
        assert_eq!(
            q.take(FaultScope::SessionStatus, &[]),
            Some(FaultKind::Status(503))
        );
        assert_eq!(
            q.take(FaultScope::SessionStatus, &[]),
            Some(FaultKind::Status(503))
        );
        assert_eq!(q.take(FaultScope::SessionStatus, &[]), None);
        q.push(Fault::malformed_json());
        assert_eq!(q.take(FaultScope::Ocsp, &[]), None, "Any does not hit OCSP");
        q.clear();
        q.push(Fault::status(503).on(FaultScope::Ocsp));
        assert_eq!(q.take(FaultScope::SessionStatus, &[]), None);
        assert_eq!(q.take(FaultScope::Ocsp, &[]), Some(FaultKind::Status(503)));
        q.push(Fault::malformed_json().times(0));
        assert_eq!(q.take(FaultScope::SessionStatus, &[]), None);
    }
}
