//! Wall-clock time for lock records: `ExpiresAt` and `created` are epoch seconds / RFC 3339
//! strings that other hosts compare against their own clocks. The local lease deadline does NOT
//! use this (it uses the monotonic `tokio::time::Instant`, see `lease.rs`).
//!
//! The clock is injectable so tests can expire a lease without sleeping: [`OffsetClock`] lets a
//! contender live in the future (which works against every backend, emulators included), and
//! [`ManualClock`] is set by hand.
//! Formatting and parsing of RFC 3339 is here too, because no date crate is a dependency.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch, as the lock records store them.
pub trait WallClock: Send + Sync + std::fmt::Debug {
    fn now_epoch_seconds(&self) -> i64;

    /// Milliseconds since the epoch, for measuring skew against the store's clock; clocks
    /// that only know seconds answer the start of the second.
    fn now_epoch_millis(&self) -> i64 {
        self.now_epoch_seconds() * 1000
    }
}

/// The host's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl WallClock for SystemClock {
    fn now_epoch_seconds(&self) -> i64 {
        self.now_epoch_millis().div_euclid(1000)
    }

    fn now_epoch_millis(&self) -> i64 {
        match SystemTime::now().duration_since(UNIX_EPOCH) {
            Ok(since) => since.as_millis() as i64,
            Err(before) => -(before.duration().as_millis() as i64) - 1,
        }
    }
}

/// Another clock shifted by a fixed number of seconds: a contender "from the future" sees a
/// live lease as expired, which tests any backend's takeover without waiting.
#[derive(Debug, Clone)]
pub struct OffsetClock {
    pub inner: Arc<dyn WallClock>,
    pub offset_seconds: i64,
}

impl WallClock for OffsetClock {
    fn now_epoch_seconds(&self) -> i64 {
        self.inner.now_epoch_seconds() + self.offset_seconds
    }

    fn now_epoch_millis(&self) -> i64 {
        self.inner.now_epoch_millis() + self.offset_seconds * 1000
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Default)]
pub struct ManualClock(AtomicI64);

impl ManualClock {
    pub fn new(epoch_seconds: i64) -> Self {
        Self(AtomicI64::new(epoch_seconds))
    }
    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

impl WallClock for ManualClock {
    fn now_epoch_seconds(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// `1795000000` → `2026-11-18T11:06:40Z`.
pub fn format_rfc3339(epoch_seconds: i64) -> String {
    let days = epoch_seconds.div_euclid(86_400);
    let second_of_day = epoch_seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3600,
        (second_of_day % 3600) / 60,
        second_of_day % 60
    )
}

/// Parses `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` to epoch seconds (fraction dropped).
/// `None` for anything else: the value comes from another host and is only displayed.
pub(super) fn parse_rfc3339(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    if bytes.len() < 20 || bytes[4] != b'-' || bytes[7] != b'-' || bytes[13] != b':' {
        return None;
    }
    if !matches!(bytes[10], b'T' | b't' | b' ') || bytes[16] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = text.get(range)?;
        part.bytes()
            .all(|byte| byte.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (year, month, day) = (number(0..4)?, number(5..7)?, number(8..10)?);
    let (hour, minute, second) = (number(11..13)?, number(14..16)?, number(17..19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 {
        return None;
    }
    let mut rest = &text[19..];
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        rest = &fraction[digits..];
    }
    let offset = match rest {
        "Z" | "z" => 0,
        _ if rest.len() == 6 && matches!(&rest[..1], "+" | "-") && &rest[3..4] == ":" => {
            let hours: i64 = rest[1..3].parse().ok()?;
            let minutes: i64 = rest[4..6].parse().ok()?;
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            sign * (hours * 3600 + minutes * 60)
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset)
}

// Howard Hinnant's civil-calendar algorithms (proleptic Gregorian, any year).
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_known_instants() {
        assert_eq!(format_rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(format_rfc3339(1_795_000_000), "2026-11-18T11:06:40Z");
        assert_eq!(format_rfc3339(-1), "1969-12-31T23:59:59Z");
    }

    #[test]
    fn parses_what_it_formats_and_other_hosts_write() {
        for seconds in [0, 951_782_400, 1_795_000_000, 4_102_444_800] {
            assert_eq!(parse_rfc3339(&format_rfc3339(seconds)), Some(seconds));
        }
        // Terraform/Go style with nanoseconds, and an offset.
        assert_eq!(
            parse_rfc3339("2026-11-18T11:06:40.570032835Z"),
            Some(1_795_000_000)
        );
        assert_eq!(
            parse_rfc3339("2026-11-18T20:06:40+09:00"),
            Some(1_795_000_000)
        );
        for bad in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "2026-11-18T09:46:40",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
    }

    #[test]
    fn system_clock_is_after_2025() {
        assert!(SystemClock.now_epoch_seconds() > 1_735_689_600);
    }

    #[test]
    fn offset_and_manual_clocks() {
        let manual = Arc::new(ManualClock::new(100));
        let ahead = OffsetClock {
            inner: manual.clone(),
            offset_seconds: 60,
        };
        manual.advance(5);
        assert_eq!(manual.now_epoch_seconds(), 105);
        assert_eq!(ahead.now_epoch_seconds(), 165);
    }
}
