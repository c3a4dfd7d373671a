//! The in-memory [`LockStore`]: a `Mutex<HashMap>` with the same conditional semantics as the
//! DynamoDB and S3 stores, for unit tests of the lease logic and of anything that holds a lock.
//! It is not shared between processes, so it must never be used for a real deploy.
//!
//! Time is injected where it is read: the `Locker` (`Locker::with_clock`) passes `now` to
//! `create_or_take_expired` and computes every `ExpiresAt`, so a test expires a lease by giving
//! a contender a later clock (`OffsetClock`, `ManualClock`) instead of sleeping.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::time::Instant;

use super::{
    LockError, LockRecord, LockStore, NewLease, ServerDate, StoreFuture, StoreOutcome, WallClock,
};

#[derive(Debug, Default)]
pub struct MemoryLockStore {
    records: Mutex<HashMap<String, LockRecord>>,
    /// The "server's" clock, read at every call as DynamoDB's `Date` header would be.
    server_clock: Option<Arc<dyn WallClock>>,
    last_date: Mutex<Option<ServerDate>>,
}

impl MemoryLockStore {
    pub fn new() -> Self {
        Self::default()
    }

    /// A store whose answers carry the time of `clock`, so that a locker's clock can be off
    /// it (invariant 9).
    pub fn with_server_clock(clock: Arc<dyn WallClock>) -> Self {
        Self {
            server_clock: Some(clock),
            ..Self::default()
        }
    }

    /// Records the server's clock for the call being answered.
    fn stamp(&self) {
        if let Some(clock) = &self.server_clock {
            let now = Instant::now();
            *self
                .last_date
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(ServerDate {
                epoch_seconds: clock.now_epoch_seconds(),
                sent: now,
                received: now,
            });
        }
    }

    fn records(&self) -> std::sync::MutexGuard<'_, HashMap<String, LockRecord>> {
        // A panic while holding the mutex cannot leave a record half-written (every change is
        // one insert or remove), so a poisoned map is still consistent.
        self.records
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl LockStore for MemoryLockStore {
    fn describe(&self) -> String {
        "in-memory lock store".to_owned()
    }

    fn server_date(&self) -> Option<ServerDate> {
        *self
            .last_date
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn create_or_take_expired<'a>(
        &'a self,
        lease: &'a NewLease,
        now: i64,
    ) -> StoreFuture<'a, StoreOutcome> {
        self.stamp();
        let mut records = self.records();
        let outcome = match records.get(&lease.lock_id) {
            Some(existing) if !existing.is_expired_at(now) => {
                StoreOutcome::Held(Box::new(existing.clone()))
            }
            existing => {
                let took_over = existing.cloned();
                let fence = took_over.as_ref().map_or(1, |old| old.fence + 1);
                records.insert(lease.lock_id.clone(), lease.clone().into_record(fence));
                StoreOutcome::Acquired {
                    fence,
                    took_over: took_over.map(Box::new),
                }
            }
        };
        Box::pin(async move { Ok(outcome) })
    }

    fn renew<'a>(
        &'a self,
        lock_id: &'a str,
        owner: &'a str,
        expires_at: i64,
    ) -> StoreFuture<'a, bool> {
        self.stamp();
        let renewed = match self.records().get_mut(lock_id) {
            Some(record) if record.owner == owner => {
                record.expires_at = expires_at;
                true
            }
            _ => false,
        };
        Box::pin(async move { Ok(renewed) })
    }

    fn release<'a>(&'a self, lock_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
        self.stamp();
        let mut records = self.records();
        let released = records
            .get(lock_id)
            .is_some_and(|record| record.owner == owner);
        if released {
            records.remove(lock_id);
        }
        Box::pin(async move { Ok(released) })
    }

    fn read<'a>(&'a self, lock_id: &'a str) -> StoreFuture<'a, Option<LockRecord>> {
        self.stamp();
        let record = self.records().get(lock_id).cloned();
        Box::pin(async move { Ok(record) })
    }

    fn force_release<'a>(
        &'a self,
        lock_id: &'a str,
        expected_owner: Option<&'a str>,
    ) -> StoreFuture<'a, LockRecord> {
        self.stamp();
        let mut records = self.records();
        let result = match records.get(lock_id) {
            None => Err(LockError::NotFound {
                lock_id: lock_id.to_owned(),
            }),
            Some(record) if expected_owner.is_some_and(|owner| owner != record.owner) => {
                Err(LockError::NotOwner {
                    lock_id: lock_id.to_owned(),
                    expected_id: None,
                    holder: Some(Box::new(record.clone())),
                })
            }
            Some(_) => Ok(records.remove(lock_id).expect("checked above")),
        };
        Box::pin(async move { result })
    }
}
