//! Clock skew between this host and the lock store (lock invariant 9). Lease records hold
//! wall-clock times (`ExpiresAt`) that other hosts compare with their own clocks, so a host
//! whose clock is off takes over live leases (clock ahead) or writes leases that outlive it by
//! the skew (clock behind). The store's own clock is the common reference: every answer of
//! DynamoDB and S3 carries it in its HTTP `Date` header, which the store adapters record as a
//! [`ServerDate`]; here it is turned into the interval the skew must lie in, and compared with
//! the bound a lease tolerates.
//!
//! Must not: talk to the store, or decide anything about leases beyond "too skewed".

use std::time::Duration;

use tokio::time::Instant;

use super::clock::WallClock;

/// One reading of the lock store's clock: the `Date` of an answer (whole seconds, the HTTP
/// header's resolution), and when (on this host's monotonic clock) the request was sent and
/// its answer received. The store stamped the answer somewhere in between.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ServerDate {
    pub epoch_seconds: i64,
    pub sent: Instant,
    pub received: Instant,
}

/// What this host's clock minus the store's can be, in milliseconds, given one reading:
/// `[low, high]`. The width is the `Date` header's second plus the round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Skew {
    pub low_millis: i64,
    pub high_millis: i64,
}

impl Skew {
    /// The interval `clock` (this host's wall clock) is off the store's by, from `reading`.
    pub fn measure(reading: &ServerDate, clock: &dyn WallClock) -> Self {
        // This host's wall time at a past instant: now, minus the time elapsed since.
        let now_instant = Instant::now();
        let now_wall = clock.now_epoch_millis();
        let wall_at = |instant: Instant| {
            now_wall - now_instant.saturating_duration_since(instant).as_millis() as i64
        };
        let server_millis = reading.epoch_seconds * 1000;
        Self {
            // The store's clock read between `D` and `D + 1 s` while ours read between
            // `wall(sent)` and `wall(received)`.
            low_millis: wall_at(reading.sent) - (server_millis + 1000),
            high_millis: wall_at(reading.received) - server_millis,
        }
    }

    /// The smallest skew consistent with the reading, signed (positive: this host is ahead);
    /// 0 when it may be none.
    pub fn certain_millis(&self) -> i64 {
        if self.low_millis > 0 {
            self.low_millis
        } else if self.high_millis < 0 {
            self.high_millis
        } else {
            0
        }
    }

    /// Whether the skew is certainly larger than `bound`, either way.
    pub fn exceeds(&self, bound: Duration) -> bool {
        self.certain_millis().unsigned_abs() > bound.as_millis() as u64
    }

    /// `ahead of` / `behind` the store by at least the certain skew, for messages.
    pub fn describe(&self) -> String {
        let certain = self.certain_millis();
        let amount = crate::config::duration::format(Duration::from_secs(
            certain.unsigned_abs().div_ceil(1000),
        ));
        if certain >= 0 {
            format!("{amount} ahead of")
        } else {
            format!("{amount} behind")
        }
    }
}

/// How far this host's clock may be off the store's for a lease of `lease`: an eighth of the
/// lease, less the second the `Date` header cannot resolve, and never under that second.
///
/// Why an eighth: a holder's local deadline ends a quarter of the lease before its
/// `ExpiresAt` (invariant 2), and a contender takes over once *its* clock passes `ExpiresAt`,
/// so a takeover stays after the holder's deadline as long as the two clocks differ by less
/// than a quarter of the lease. Each host within an eighth of the store's clock keeps any two
/// within a quarter. The measurement is only good to about a second, which is taken off the
/// bound, so that a host the check lets through is within an eighth (60 s lease: 6.5 s). A
/// lease shorter than 16 s cannot be protected against skews under about 2 s.
pub fn skew_bound(lease: Duration) -> Duration {
    (lease / 8)
        .saturating_sub(Duration::from_secs(1))
        .max(Duration::from_secs(1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::{ManualClock, OffsetClock, SystemClock};
    use std::sync::Arc;

    fn reading(epoch_seconds: i64) -> ServerDate {
        let now = Instant::now();
        ServerDate {
            epoch_seconds,
            sent: now,
            received: now,
        }
    }

    #[test]
    fn the_bound_is_an_eighth_of_the_lease_less_a_second() {
        assert_eq!(
            skew_bound(Duration::from_secs(60)),
            Duration::from_millis(6500)
        );
        assert_eq!(skew_bound(Duration::from_secs(2)), Duration::from_secs(1));
        assert_eq!(
            skew_bound(Duration::from_secs(600)),
            Duration::from_secs(74)
        );
    }

    #[test]
    fn a_synchronized_clock_may_be_off_by_nothing() {
        let now = SystemClock.now_epoch_seconds();
        let skew = Skew::measure(&reading(now), &SystemClock);
        assert!(skew.low_millis <= 0 && skew.high_millis >= 0, "{skew:?}");
        assert_eq!(skew.certain_millis(), 0);
        assert!(!skew.exceeds(Duration::from_secs(1)));
    }

    #[test]
    fn an_hour_ahead_or_behind_is_certain_and_described() {
        let server = SystemClock.now_epoch_seconds();
        let ahead = OffsetClock {
            inner: Arc::new(SystemClock),
            offset_seconds: 3600,
        };
        let skew = Skew::measure(&reading(server), &ahead);
        assert!(
            skew.exceeds(skew_bound(Duration::from_secs(60))),
            "{skew:?}"
        );
        assert!((3_598_000..=3_600_000).contains(&skew.certain_millis()));
        assert!(skew.describe().ends_with("ahead of"), "{}", skew.describe());
        let behind = ManualClock::new(server - 3600);
        let skew = Skew::measure(&reading(server), &behind);
        assert!(skew.certain_millis() <= -3_599_000, "{skew:?}");
        assert_eq!(skew.describe(), "1h0m0s behind");
    }

    #[test]
    fn a_skew_within_the_dates_resolution_is_never_certain() {
        // The store stamped second D; a host 0.9 s ahead may read anything up to D + 1.9.
        let server = 1_795_000_000;
        let host = ManualClock::new(server + 1);
        let skew = Skew::measure(&reading(server), &host);
        assert_eq!((skew.low_millis, skew.high_millis), (0, 1000));
        assert!(!skew.exceeds(Duration::from_secs(1)));
    }
}
