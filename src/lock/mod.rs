//! The deploy lock (ARCHITECTURE.md §6): a lease lock on one record per service, so that several CI
//! runners deploying the same service never mutate it at the same time, and a crashed runner's
//! lock expires by itself (Terraform's lock has no expiry; this one must not share that flaw).
//!
//! This module is domain code: it defines the record, the errors, the low-level [`LockStore`]
//! trait that each backend implements with conditional writes, and ONE implementation of the
//! lease logic on top of it ([`Locker`], [`LockGuard`]). It must not touch `aws-sdk-*` types (the
//! DynamoDB and S3 stores live in `crate::aws::lock_dynamodb` / `crate::aws::lock_s3`) and must
//! not print: progress goes out as [`LockEvent`]s.
//!
//! # Invariants
//!
//! 1. **Never mutate without a valid lease.** A holder calls [`LockGuard::check_valid`] (or
//!    [`LeaseHandle::check_valid`]) before EVERY mutating AWS call. It fails once a renewal was
//!    refused (someone took the lock over) or once the local lease deadline passed without a
//!    successful renewal. A lost lease stays lost: it is never "found again".
//! 2. **The local deadline is conservative.** It is measured on the monotonic clock from the
//!    instant *before* the write that set `ExpiresAt` was sent, and ends a safety margin
//!    (a quarter of the lease) before the lease does. `ExpiresAt` is whole wall-clock epoch
//!    seconds, rounded so that contenders (who compare `ExpiresAt < now`) can only take over
//!    after the holder's local deadline, give or take clock skew between hosts, which must
//!    stay well below that margin.
//! 3. **Acquire is one conditional write**: it succeeds only if no record exists or the existing
//!    one has expired (`attribute_not_exists(LockID) OR ExpiresAt < :now`). Two contenders can
//!    never both succeed; the loser learns who holds the lock.
//! 4. **The fence grows by exactly one per acquisition** of an existing (expired) record, in the
//!    same atomic write that takes it over, and starts at 1 on a fresh record. A release deletes
//!    the record, so the count starts again after a clean release; fencing matters only for
//!    takeovers, where a stale holder may still be alive, and there it strictly grows.
//! 5. **Renewal is conditional on `Owner`**, a random nonce per acquisition that only the holder
//!    knows (the public lock ID in `Info.id` is not enough to renew or release). A renewal
//!    after a takeover fails, and the holder stops renewing for good.
//! 6. **Release is conditional on `Owner`** and so can only ever delete the caller's own record.
//!    It is the one write a holder still sends after its deadline passed (never after it saw a
//!    takeover), because it cannot harm anyone and frees the lock sooner than expiry would.
//!    A force-release (`lock release ID`) is conditional on the owner that the operator saw.
//! 7. **Expiry is our own comparison**, never the store's garbage collection: DynamoDB's TTL
//!    sweeps lazily (hours to days, never on moto) and only keeps the table tidy.
//! 8. **Release happens on success, on error, on SIGINT and SIGTERM** ([`hold_until_signal_or`]);
//!    a guard dropped without release stops renewing and tries a best-effort release, and if
//!    the process dies the lease simply expires. After a lease was lost to its deadline, the
//!    release is waited for [`RELEASE_BUDGET_AFTER_LOSS`] at most: the holder stops at once.
//! 9. **No lease on a skewed clock.** Invariant 2 holds only while the clocks of holder and
//!    contender differ by less than the safety margin, so every host checks its own clock
//!    against the store's (the HTTP `Date` of the store's answers, [`skew`]): it refuses to
//!    take a lease, and loses one it holds at the next renewal, when its clock is certainly off
//!    by more than [`skew_bound`] (an eighth of the lease less a second: two hosts within it
//!    differ by less than the margin). Until the store's clock has been read in an attempt,
//!    an acquisition only takes a *free* lock, never an expired one: a contender whose clock
//!    is ahead would see every live lease as expired. A record written before the check
//!    failed is released at once.

mod clock;
pub mod conformance;
mod info;
mod lease;
pub mod memory;
mod signal;
pub mod skew;

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use clock::{ManualClock, OffsetClock, SystemClock, WallClock, format_rfc3339};
pub use lease::{
    Backoff, LeaseHandle, LockEvent, LockEvents, LockGuard, Locker, RELEASE_BUDGET_AFTER_LOSS,
};
pub use signal::{
    Held, HeldAll, HoldOutcome, Signal, hold_all_until_signal_or, hold_until_signal_or,
};
pub use skew::{ServerDate, Skew, skew_bound};

/// The lock of one ECS service: `ristretto/<region>/<cluster>/<service>`.
pub fn lock_id(region: &str, cluster: &str, service: &str) -> String {
    format!("ristretto/{region}/{cluster}/{service}")
}

/// Who holds a lock and why; stored as JSON in the record's `Info` attribute and shown to
/// everyone who finds the lock taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    /// A random UUID, public: `lock status` prints it and `lock release ID` requires it, so an
    /// operator only ever force-releases the lock they looked at.
    pub id: String,
    /// `apply`, `deploy`, `rollback`, `scale`, ...
    pub operation: String,
    /// `user@host`.
    pub who: String,
    /// The ristretto version of the holder.
    pub version: String,
    /// When the lock was taken, RFC 3339 UTC (set by `Locker::acquire` at the successful write,
    /// so that time spent queueing for the lock does not count).
    pub created: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub plan_id: Option<String>,
    /// The CI run holding the lock, when it runs in a CI system we recognise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub run_url: Option<String>,
}

/// One lock record, as every backend stores it (DynamoDB attributes, or the S3 object's JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockRecord {
    #[serde(rename = "LockID")]
    pub lock_id: String,
    /// Random per acquisition; only the holder knows it (see invariant 5).
    #[serde(rename = "Owner")]
    pub owner: String,
    #[serde(rename = "Info")]
    pub info: LockInfo,
    /// Epoch seconds; the lease has expired when `ExpiresAt < now`.
    #[serde(rename = "ExpiresAt")]
    pub expires_at: i64,
    #[serde(rename = "Fence")]
    pub fence: u64,
}

impl LockRecord {
    /// Whether a contender may take this record over at `now` (epoch seconds).
    pub fn is_expired_at(&self, now: i64) -> bool {
        self.expires_at < now
    }

    /// The record as an indented block, one `Label: value` per line, for error messages and
    /// `lock status`.
    pub fn details(&self, now: i64) -> String {
        let mut lines = vec![
            format!("ID:        {}", self.info.id),
            format!("Who:       {}", self.info.who),
            format!("Operation: {}", self.info.operation),
        ];
        let since = match clock::parse_rfc3339(&self.info.created) {
            Some(created) => format!(
                "{} ({} ago)",
                self.info.created,
                human_seconds(now.saturating_sub(created))
            ),
            None => self.info.created.clone(),
        };
        lines.push(format!("Since:     {since}"));
        if let Some(plan_id) = &self.info.plan_id {
            lines.push(format!("Plan:      {plan_id}"));
        }
        if let Some(run_url) = &self.info.run_url {
            lines.push(format!("Run:       {run_url}"));
        }
        lines.push(format!("Version:   ristretto {}", self.info.version));
        let expiry = if self.is_expired_at(now) {
            format!(
                "{} (expired {} ago; the next acquirer takes it over)",
                format_rfc3339(self.expires_at),
                human_seconds(now - self.expires_at)
            )
        } else {
            format!(
                "{} (in {} unless renewed)",
                format_rfc3339(self.expires_at),
                human_seconds(self.expires_at - now)
            )
        };
        lines.push(format!("Expires:   {expiry}"));
        lines.push(format!("Fence:     {}", self.fence));
        lines.join("\n")
    }
}

impl fmt::Display for LockRecord {
    /// One line: `alice@runner-1 (apply, plan 1234, since 2026-…Z, https://…)`.
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "{} ({}", self.info.who, self.info.operation)?;
        if let Some(plan_id) = &self.info.plan_id {
            write!(formatter, ", plan {plan_id}")?;
        }
        write!(formatter, ", since {}", self.info.created)?;
        if let Some(run_url) = &self.info.run_url {
            write!(formatter, ", {run_url}")?;
        }
        write!(formatter, ")")
    }
}

/// How long we waited: milliseconds below a second, whole seconds above.
fn human_duration(duration: Duration) -> String {
    if duration < Duration::from_secs(1) {
        crate::config::duration::format(Duration::from_millis(duration.as_millis() as u64))
    } else {
        crate::config::duration::format(Duration::from_secs(duration.as_secs()))
    }
}

/// `75` → `1m15s`: ages and remaining times in messages.
fn human_seconds(seconds: i64) -> String {
    crate::config::duration::format(Duration::from_secs(seconds.max(0) as u64))
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// The lock is held by someone else and `--lock-timeout` ran out (exit code 3).
    #[error(
        "the deploy lock {} is held by {}{}\n{}",
        holder.lock_id,
        holder.info.who,
        if waited.is_zero() { String::new() } else { format!(" (waited {})", human_duration(*waited)) },
        holder.details(clock::SystemClock.now_epoch_seconds())
    )]
    Held {
        holder: Box<LockRecord>,
        waited: Duration,
    },
    /// This process no longer holds a valid lease: it must not send another mutating call.
    #[error("lost the deploy lock {lock_id}: {reason}")]
    LeaseLost { lock_id: String, reason: String },
    /// A release or force-release did not match the current holder.
    #[error("{}", not_owner_message(lock_id, expected_id.as_deref(), holder.as_deref()))]
    NotOwner {
        lock_id: String,
        /// The lock ID the caller named, for `lock release ID`.
        expected_id: Option<String>,
        holder: Option<Box<LockRecord>>,
    },
    #[error("the deploy lock {lock_id} is not held by anyone")]
    NotFound { lock_id: String },
    /// The store could not be reached or answered with an unexpected error.
    #[error("lock backend: {0}")]
    Backend(String),
    /// The store itself does not exist (DynamoDB's ResourceNotFoundException: no such table).
    #[error("lock backend: {0}")]
    StoreMissing(String),
    /// This host's clock is too far off the store's to take or keep a lease (invariant 9).
    #[error(
        "refusing the deploy lock {lock_id}: this host's clock is {} the clock of the {store}; \
         a {} lease needs them within {}",
        skew.describe(),
        crate::config::duration::format(*lease),
        crate::config::duration::format(skew_bound(*lease))
    )]
    ClockSkew {
        lock_id: String,
        store: String,
        skew: Skew,
        lease: Duration,
    },
}

fn not_owner_message(
    lock_id: &str,
    expected_id: Option<&str>,
    holder: Option<&LockRecord>,
) -> String {
    match (expected_id, holder) {
        (Some(expected), Some(holder)) => format!(
            "the deploy lock {lock_id} has ID {}, not {expected}: it is held by {holder}",
            holder.info.id
        ),
        (None, Some(holder)) => {
            format!("the deploy lock {lock_id} is held by someone else: {holder}")
        }
        (_, None) => format!("the deploy lock {lock_id} is not held by this process"),
    }
}

impl LockError {
    /// Advice printed under the error.
    pub fn hint(&self) -> Option<String> {
        match self {
            LockError::Held { holder, .. } => Some(format!(
                "wait for it with --lock-timeout (e.g. --lock-timeout 10m); if its holder is \
                 gone, the lock expires by itself when its lease runs out, or remove it now with \
                 `ristretto lock release {}`",
                holder.info.id
            )),
            LockError::LeaseLost { .. } => Some(
                "the lease could not be renewed in time (network, throttling, or another run \
                 took the lock over); check the service state before retrying"
                    .into(),
            ),
            LockError::NotOwner {
                holder: Some(holder),
                expected_id: Some(_),
                ..
            } => Some(format!(
                "run `ristretto lock status`; to release the current lock use `ristretto lock \
                 release {}`",
                holder.info.id
            )),
            LockError::ClockSkew { .. } => Some(
                "synchronize this host's clock (NTP: chronyd, systemd-timesyncd); a skewed clock \
                 would let two runners deploy at once, or keep the lock blocked for as long as \
                 the skew after a crash"
                    .into(),
            ),
            LockError::StoreMissing(_) => Some(
                "create the lock table with `ristretto lock init` (or check the config's \
                 lock.dynamodb_table and the region)"
                    .into(),
            ),
            LockError::Backend(message) if message.contains("NoSuchBucket") => {
                Some("create the bucket named in the config's lock.s3, or fix its name".into())
            }
            _ => None,
        }
    }

    /// Whether this is "held by someone else" (exit code 3), as opposed to a failure.
    pub fn is_held(&self) -> bool {
        matches!(self, LockError::Held { .. })
    }
}

/// What a contender asks the store to write when acquiring: everything of a [`LockRecord`]
/// except the fence, which the store computes in the same atomic write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewLease {
    pub lock_id: String,
    pub owner: String,
    pub info: LockInfo,
    pub expires_at: i64,
}

impl NewLease {
    pub fn into_record(self, fence: u64) -> LockRecord {
        LockRecord {
            lock_id: self.lock_id,
            owner: self.owner,
            info: self.info,
            expires_at: self.expires_at,
            fence,
        }
    }
}

/// The answer of [`LockStore::create_or_take_expired`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreOutcome {
    /// The record is ours. `took_over` is the expired record that was replaced, if any.
    Acquired {
        fence: u64,
        took_over: Option<Box<LockRecord>>,
    },
    /// Someone else holds an unexpired lease.
    Held(Box<LockRecord>),
}

/// A boxed future, so that [`LockStore`] can be used as `dyn LockStore` (the backend is chosen
/// at run time from the config).
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T, LockError>> + Send + 'a>>;

/// Conditional operations on one lock record. Every write is a single conditional request to
/// the store; none of them is a read-then-write without a condition. Implementations report
/// failures to reach the store as [`LockError::Backend`] and never retry conditional failures
/// themselves beyond re-reading a record that changed under them.
pub trait LockStore: Send + Sync + fmt::Debug {
    /// Where the locks live, for messages: `DynamoDB table ristretto-locks`.
    fn describe(&self) -> String;

    /// Creates the record if absent, or replaces it if `ExpiresAt < now`, with the fence one
    /// above the replaced record's (1 for a fresh record).
    fn create_or_take_expired<'a>(
        &'a self,
        lease: &'a NewLease,
        now: i64,
    ) -> StoreFuture<'a, StoreOutcome>;

    /// Sets `ExpiresAt` if the record exists and belongs to `owner`. `false`: it does not.
    fn renew<'a>(
        &'a self,
        lock_id: &'a str,
        owner: &'a str,
        expires_at: i64,
    ) -> StoreFuture<'a, bool>;

    /// Deletes the record if it belongs to `owner`. `false`: it does not (or is gone).
    fn release<'a>(&'a self, lock_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool>;

    /// The record, read consistently.
    fn read<'a>(&'a self, lock_id: &'a str) -> StoreFuture<'a, Option<LockRecord>>;

    /// Deletes the record whoever holds it, or only if it still belongs to `expected_owner`.
    /// Returns the deleted record; [`LockError::NotFound`] or [`LockError::NotOwner`] otherwise.
    fn force_release<'a>(
        &'a self,
        lock_id: &'a str,
        expected_owner: Option<&'a str>,
    ) -> StoreFuture<'a, LockRecord>;

    /// The store's clock as its latest answer gave it (invariant 9); `None` when the store
    /// has no clock to read (or has not answered yet).
    fn server_date(&self) -> Option<ServerDate> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn record() -> LockRecord {
        LockRecord {
            lock_id: lock_id("ap-northeast-1", "web", "api"),
            owner: "owner-1".into(),
            info: LockInfo {
                id: "6a8d3c1e-0000-4000-8000-000000000001".into(),
                operation: "apply".into(),
                who: "alice@runner-1".into(),
                version: "0.1.0".into(),
                created: "2026-11-26T07:00:00Z".into(),
                plan_id: Some("plan-42".into()),
                run_url: Some("https://github.com/o/r/actions/runs/7".into()),
            },
            expires_at: 1_795_000_000,
            fence: 3,
        }
    }

    #[test]
    fn record_json_uses_the_store_attribute_names() {
        let json = serde_json::to_value(record()).unwrap();
        assert_eq!(json["LockID"], "ristretto/ap-northeast-1/web/api");
        assert_eq!(json["Owner"], "owner-1");
        assert_eq!(json["ExpiresAt"], 1_795_000_000);
        assert_eq!(json["Fence"], 3);
        assert_eq!(json["Info"]["plan_id"], "plan-42");
        let back: LockRecord = serde_json::from_value(json).unwrap();
        assert_eq!(back, record());
    }

    #[test]
    fn info_without_optional_fields_omits_them_and_reads_back() {
        let mut info = record().info;
        info.plan_id = None;
        info.run_url = None;
        let text = serde_json::to_string(&info).unwrap();
        assert!(
            !text.contains("plan_id") && !text.contains("run_url"),
            "{text}"
        );
        // Unknown fields from a newer ristretto are ignored, so runners of different versions
        // can read each other's locks.
        let newer = text.replace('}', r#","priority":5}"#);
        assert_eq!(serde_json::from_str::<LockInfo>(&newer).unwrap(), info);
    }

    #[test]
    fn held_error_names_the_holder_with_everything_known() {
        let error = LockError::Held {
            holder: Box::new(record()),
            waited: Duration::from_secs(30),
        };
        let text = error.to_string();
        assert!(
            text.starts_with(
                "the deploy lock ristretto/ap-northeast-1/web/api is held by alice@runner-1 (waited 30s)\n"
            ),
            "{text}"
        );
        for expected in [
            "ID:        6a8d3c1e-0000-4000-8000-000000000001",
            "Operation: apply",
            "Since:     2026-11-26T07:00:00Z (",
            "Plan:      plan-42",
            "Run:       https://github.com/o/r/actions/runs/7",
            "Fence:     3",
        ] {
            assert!(text.contains(expected), "{expected:?} missing in\n{text}");
        }
        assert!(error.is_held());
        let quick = LockError::Held {
            holder: Box::new(record()),
            waited: Duration::from_millis(500),
        };
        assert!(quick.to_string().contains("(waited 500ms)\n"), "{quick}");
        assert!(error.hint().unwrap().contains("lock release 6a8d3c1e"));
    }

    #[test]
    fn details_say_whether_the_lease_expired() {
        let record = record();
        let live = record.details(record.expires_at - 45);
        assert!(live.contains("(in 45s unless renewed)"), "{live}");
        let expired = record.details(record.expires_at + 75);
        assert!(expired.contains("(expired 1m15s ago;"), "{expired}");
        let since = record.details(clock::parse_rfc3339("2026-11-26T07:03:12Z").unwrap());
        assert!(
            since.contains("Since:     2026-11-26T07:00:00Z (3m12s ago)"),
            "{since}"
        );
    }

    #[test]
    fn one_line_summary() {
        assert_eq!(
            record().to_string(),
            "alice@runner-1 (apply, plan plan-42, since 2026-11-26T07:00:00Z, \
             https://github.com/o/r/actions/runs/7)"
        );
    }

    #[test]
    fn backend_hints_point_at_the_missing_table_or_bucket() {
        let table = LockError::StoreMissing(
            "GetItem failed: ResourceNotFoundException: Requested resource not found".into(),
        );
        assert!(table.hint().unwrap().contains("ristretto lock init"));
        let bucket = LockError::Backend("GetObject failed: NoSuchBucket: gone".into());
        assert!(bucket.hint().unwrap().contains("lock.s3"));
        assert_eq!(LockError::Backend("timeout".into()).hint(), None);
        assert!(!table.is_held());
    }

    #[test]
    fn expiry_is_strictly_after_expires_at() {
        let record = record();
        assert!(!record.is_expired_at(record.expires_at));
        assert!(record.is_expired_at(record.expires_at + 1));
    }
}
