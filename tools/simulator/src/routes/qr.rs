//! The QR freshness window: how far a QR link's `elapsedSeconds` may lag behind (or run ahead
//! of) the simulator's own count of the session's age.

use std::time::Duration;

/// The QR freshness window. With `s` the simulator's elapsed time since the session was
/// created and `e` the link's `elapsedSeconds`, a link is fresh when
/// `e ≤ s + 1 s` (not from the future, allowing one second of rounding and transit) and
/// `s < e + 1 s + max_age` (the second `e` ended less than `max_age` ago).
pub(super) fn check_qr_freshness(e: u64, s: Duration, max_age: Duration) -> Result<(), String> {
    let e_d = Duration::from_secs(e);
    if e_d > s + Duration::from_secs(1) {
        return Err(format!(
            "stale or forged QR code: elapsedSeconds {e} is ahead of the session's age ({} s)",
            s.as_secs()
        ));
    }
    if s >= e_d + Duration::from_secs(1) + max_age {
        return Err(format!(
            "stale QR code: elapsedSeconds {e} but the session is {} s old (window {} s)",
            s.as_secs(),
            max_age.as_secs()
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qr_window() {
        let s = |ms| Duration::from_millis(ms);
        let max = Duration::from_secs(5);
        assert!(check_qr_freshness(0, s(0), max).is_ok());
        assert!(check_qr_freshness(1, s(0), max).is_ok(), "rounding");
        assert!(check_qr_freshness(2, s(500), max).is_err(), "future");
        assert!(check_qr_freshness(3, s(8_999), max).is_ok());
        assert!(check_qr_freshness(3, s(9_000), max).is_err(), "stale");
        assert!(check_qr_freshness(0, s(1_500), Duration::ZERO).is_err());
    }
}
