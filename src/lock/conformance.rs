//! The lock conformance suite: every property a [`LockStore`] must have for the lease logic to
//! be safe, written once as async functions over a [`Subject`], and run against the memory
//! store (unit tests below) and against DynamoDB and S3 on the emulator
//! (`tests/integration/lock.rs`). Test support only: the CLI never calls it. It panics with the
//! store's name on the first property that does not hold.
//!
//! Expiry is simulated with a contender whose clock runs an hour ahead ([`OffsetClock`]), which
//! works on every backend without sleeping (moto never runs DynamoDB TTL, and our expiry is our
//! own `ExpiresAt < now` comparison anyway). Renewal properties run in real time on short
//! leases.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use super::{
    Backoff, LockError, LockEvent, LockGuard, LockInfo, LockStore, Locker, OffsetClock, SystemClock,
};

/// One store under test.
#[derive(Debug, Clone)]
pub struct Subject {
    pub store: Arc<dyn LockStore>,
    /// Short, so renewals happen within the test: 1 s in memory, 2 s on the emulator.
    pub lease: Duration,
}

impl Subject {
    pub fn new(store: Arc<dyn LockStore>, lease: Duration) -> Self {
        Self { store, lease }
    }

    fn locker(&self) -> Locker {
        Locker::new(Arc::clone(&self.store)).with_backoff(Backoff {
            initial: Duration::from_millis(100),
            max: Duration::from_millis(400),
        })
    }

    /// A contender living `hours` hours in the future: every lease of the present has expired
    /// for it.
    fn time_traveller(&self, hours: i64) -> Locker {
        // It stands for time that has passed, which the store's clock cannot be moved with:
        // the skew check (invariant 9) would refuse it, as it refuses a real skewed clock.
        self.locker()
            .with_clock(Arc::new(OffsetClock {
                inner: Arc::new(SystemClock),
                offset_seconds: hours * 3600,
            }))
            .ignoring_server_clock()
    }

    /// A contender whose clock is `hours` off the store's, checking it as every real one does.
    fn skewed(&self, hours: i64) -> Locker {
        self.locker().with_clock(Arc::new(OffsetClock {
            inner: Arc::new(SystemClock),
            offset_seconds: hours * 3600,
        }))
    }

    fn lock_id(&self, property: &str) -> String {
        format!("ristretto/conformance/{property}/{}", uuid::Uuid::new_v4())
    }

    fn name(&self) -> String {
        self.store.describe()
    }

    async fn acquire(&self, locker: &Locker, lock_id: &str, who: &str) -> LockGuard {
        locker
            .acquire(lock_id, info(who), self.lease, Duration::ZERO)
            .await
            .unwrap_or_else(|error| panic!("{}: acquiring {lock_id}: {error}", self.name()))
    }
}

fn info(who: &str) -> LockInfo {
    let mut info = LockInfo::current("apply", Some(format!("plan-of-{who}")));
    info.who = who.to_owned();
    info
}

fn recorder() -> (Arc<Mutex<Vec<LockEvent>>>, impl Fn(LockEvent) + Send + Sync) {
    let events = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&events);
    (events, move |event| sink.lock().unwrap().push(event))
}

/// Two holders contend: exactly one wins, and the loser gets `Held` with the winner's info.
pub async fn contenders_exactly_one_wins(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("contend");
    let winner = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    assert_eq!(winner.fence(), 1, "{name}: a fresh lock starts at fence 1");
    let loser = subject
        .locker()
        .acquire(&lock_id, info("bob"), subject.lease, Duration::ZERO)
        .await;
    match loser {
        Err(LockError::Held { holder, waited }) => {
            assert_eq!(holder.lock_id, lock_id, "{name}");
            assert_eq!(holder.owner, winner.owner(), "{name}");
            assert_eq!(
                &holder.info,
                winner.info(),
                "{name}: the loser sees the holder's info"
            );
            assert_eq!(holder.fence, 1, "{name}");
            assert!(
                waited < Duration::from_secs(1),
                "{name}: timeout 0 does not wait"
            );
        }
        other => panic!("{name}: the second holder must get Held, got {other:?}"),
    }
    winner.release().await.unwrap();
}

/// Release (and renewal, and force-release) by a non-owner fails, and the lock stays.
pub async fn release_by_non_owner_fails(subject: &Subject) {
    let name = subject.name();
    let store = &subject.store;
    let lock_id = subject.lock_id("non-owner");
    let holder = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    assert!(
        !store.release(&lock_id, "mallory").await.unwrap(),
        "{name}: release by a non-owner must fail"
    );
    assert!(
        !store
            .renew(&lock_id, "mallory", i64::MAX / 2)
            .await
            .unwrap(),
        "{name}: renewal by a non-owner must fail"
    );
    assert!(
        matches!(
            store.force_release(&lock_id, Some("mallory")).await,
            Err(LockError::NotOwner { holder: Some(ref record), .. }) if record.owner == holder.owner()
        ),
        "{name}: a force-release conditional on another owner must fail naming the holder"
    );
    assert!(
        matches!(
            subject
                .locker()
                .force_release(&lock_id, "not-the-lock-id")
                .await,
            Err(LockError::NotOwner { .. })
        ),
        "{name}: `lock release` with a wrong lock ID must fail"
    );
    let record = store.read(&lock_id).await.unwrap().expect("the lock stays");
    assert_eq!(record.owner, holder.owner(), "{name}");
    assert_eq!(&record.info, holder.info(), "{name}");
    assert!(record.expires_at < i64::MAX / 4, "{name}: not renewed");
    holder.check_valid().unwrap();
    holder.release().await.unwrap();
}

/// An expired lease is taken over, and the fence grows by one per acquisition.
pub async fn expired_lease_is_taken_over_with_a_higher_fence(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("takeover");
    let first = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let (events, sink) = recorder();
    let second = subject
        .time_traveller(1)
        .with_events(sink)
        .acquire(&lock_id, info("bob"), subject.lease, Duration::ZERO)
        .await
        .unwrap_or_else(|error| panic!("{name}: an expired lease must be taken over: {error}"));
    assert_eq!(second.fence(), first.fence() + 1, "{name}");
    let took_over = events.lock().unwrap().iter().find_map(|event| match event {
        LockEvent::Acquired { took_over, .. } => took_over.clone(),
        _ => None,
    });
    assert_eq!(
        took_over.map(|record| record.owner),
        Some(first.owner().to_owned()),
        "{name}: the takeover reports whose lease it replaced"
    );
    let third = subject
        .time_traveller(2)
        .acquire(&lock_id, info("carol"), subject.lease, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(third.fence(), first.fence() + 2, "{name}");
    let record = subject.store.read(&lock_id).await.unwrap().unwrap();
    assert_eq!(
        (record.owner.as_str(), record.fence),
        (third.owner(), third.fence()),
        "{name}"
    );
    third.release().await.unwrap();
    drop((first, second));
}

/// After a takeover the old holder's renewal fails, `check_valid` turns false, and its release
/// leaves the new holder's lock alone.
pub async fn renewal_after_takeover_fails(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("renew-after-takeover");
    let old = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let new = subject
        .time_traveller(1)
        .acquire(&lock_id, info("bob"), subject.lease, Duration::ZERO)
        .await
        .unwrap();
    let lost = tokio::time::timeout(subject.lease * 2, old.lease().lost())
        .await
        .unwrap_or_else(|_| panic!("{name}: the old holder must notice within a lease"));
    assert!(
        lost.to_string().contains("renewal was refused"),
        "{name}: {lost}"
    );
    assert!(
        matches!(old.check_valid(), Err(LockError::LeaseLost { .. })),
        "{name}: check_valid must fail after a takeover"
    );
    assert!(
        !subject
            .store
            .renew(&lock_id, old.owner(), i64::MAX / 2)
            .await
            .unwrap(),
        "{name}: a renewal after takeover fails"
    );
    assert!(
        matches!(old.release().await, Err(LockError::LeaseLost { .. })),
        "{name}"
    );
    let record = subject.store.read(&lock_id).await.unwrap().unwrap();
    assert_eq!(
        record.owner,
        new.owner(),
        "{name}: the new holder keeps the lock"
    );
    new.check_valid().unwrap();
    new.release().await.unwrap();
}

/// Release deletes the record; the next acquirer gets the lock at once.
pub async fn release_deletes_the_record(subject: &Subject) {
    let name = subject.name();
    let store = &subject.store;
    let lock_id = subject.lock_id("release");
    let holder = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let owner = holder.owner().to_owned();
    let lease = holder.lease();
    holder.release().await.unwrap();
    assert_eq!(store.read(&lock_id).await.unwrap(), None, "{name}");
    assert!(
        lease.check_valid().is_err(),
        "{name}: a released lease is not valid"
    );
    assert!(
        !store.release(&lock_id, &owner).await.unwrap(),
        "{name}: a second release finds nothing"
    );
    assert!(
        !store.renew(&lock_id, &owner, i64::MAX / 2).await.unwrap(),
        "{name}: a renewal never recreates a released record"
    );
    assert_eq!(store.read(&lock_id).await.unwrap(), None, "{name}");
    assert!(
        matches!(
            store.force_release(&lock_id, None).await,
            Err(LockError::NotFound { .. })
        ),
        "{name}"
    );
    let next = subject.acquire(&subject.locker(), &lock_id, "bob").await;
    next.release().await.unwrap();
}

/// `acquire` with a timeout waits (reporting who holds the lock) until the holder releases.
pub async fn acquire_waits_for_a_release(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("wait");
    let holder = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let holder_info = holder.info().clone();
    let hold_for = subject.lease / 2;
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(hold_for).await;
        holder.release().await
    });
    let (events, sink) = recorder();
    let started = Instant::now();
    let waiter = subject
        .locker()
        .with_events(sink)
        .acquire(&lock_id, info("bob"), subject.lease, subject.lease * 5)
        .await
        .unwrap_or_else(|error| panic!("{name}: the waiter must get the lock: {error}"));
    assert!(started.elapsed() >= hold_for, "{name}");
    releaser.await.unwrap().unwrap();
    let events = events.lock().unwrap().clone();
    let waiting: Vec<_> = events
        .iter()
        .filter_map(|event| match event {
            LockEvent::Waiting { holder, .. } => Some(holder.info.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        waiting,
        vec![holder_info],
        "{name}: one Waiting event naming the holder"
    );
    waiter.release().await.unwrap();
}

/// When the timeout runs out, `Held` names the holder and how long we waited.
pub async fn timeout_reports_the_holder(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("timeout");
    let holder = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let timeout = Duration::from_millis(500);
    match subject
        .locker()
        .acquire(&lock_id, info("bob"), subject.lease, timeout)
        .await
    {
        Err(LockError::Held {
            holder: record,
            waited,
        }) => {
            assert_eq!(&record.info, holder.info(), "{name}");
            assert!(waited >= timeout, "{name}: waited {waited:?}");
            assert!(waited < timeout + Duration::from_secs(5), "{name}");
        }
        other => panic!("{name}: expected Held after the timeout, got {other:?}"),
    }
    holder.release().await.unwrap();
}

/// Renewals keep a lock alive past its original lease.
pub async fn renewal_keeps_the_lock_past_its_lease(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("renewal");
    let holder = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let original = subject.store.read(&lock_id).await.unwrap().unwrap();
    // Past the original ExpiresAt for any contender: whole seconds, compared with `<`.
    tokio::time::sleep(subject.lease + Duration::from_millis(1300)).await;
    holder
        .check_valid()
        .unwrap_or_else(|error| panic!("{name}: renewals must keep the lease: {error}"));
    let renewed = subject.store.read(&lock_id).await.unwrap().unwrap();
    assert!(
        renewed.expires_at > original.expires_at,
        "{name}: ExpiresAt moves forward"
    );
    assert_eq!(
        renewed.fence, original.fence,
        "{name}: renewal keeps the fence"
    );
    assert!(
        matches!(
            subject
                .locker()
                .acquire(&lock_id, info("bob"), subject.lease, Duration::ZERO)
                .await,
            Err(LockError::Held { .. })
        ),
        "{name}: a renewed lock is not taken over"
    );
    holder.release().await.unwrap();
}

/// Eight concurrent acquirers: exactly one winner, seven `Held` naming it.
pub async fn many_acquirers_exactly_one_wins(subject: &Subject) {
    const ACQUIRERS: usize = 8;
    let name = subject.name();
    let lock_id = subject.lock_id("many");
    let start = Arc::new(tokio::sync::Barrier::new(ACQUIRERS));
    let tasks: Vec<_> = (0..ACQUIRERS)
        .map(|index| {
            let locker = subject.locker();
            let (lock_id, start, lease) = (lock_id.clone(), Arc::clone(&start), subject.lease);
            tokio::spawn(async move {
                start.wait().await;
                locker
                    .acquire(
                        &lock_id,
                        info(&format!("runner-{index}")),
                        lease,
                        Duration::ZERO,
                    )
                    .await
            })
        })
        .collect();
    let mut winners = Vec::new();
    let mut holders_seen = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(guard) => winners.push(guard),
            Err(LockError::Held { holder, .. }) => holders_seen.push(holder.owner),
            Err(other) => panic!("{name}: unexpected error {other}"),
        }
    }
    assert_eq!(winners.len(), 1, "{name}: exactly one winner");
    let winner = winners.pop().unwrap();
    assert_eq!(holders_seen.len(), ACQUIRERS - 1, "{name}");
    assert!(
        holders_seen.iter().all(|owner| owner == winner.owner()),
        "{name}: every loser names the winner"
    );
    winner.release().await.unwrap();
}

/// Invariant 9: a host whose clock is an hour ahead of the store's takes no lease — neither
/// a free one nor a live one it would see as expired — and leaves no record behind; the holder
/// keeps its lock. One an hour behind takes none either.
pub async fn a_skewed_clock_takes_no_lease(subject: &Subject) {
    let name = subject.name();
    let lock_id = subject.lock_id("skew");
    for hours in [1, -1] {
        match subject
            .skewed(hours)
            .acquire(&lock_id, info("skewed"), subject.lease, Duration::ZERO)
            .await
        {
            Err(LockError::ClockSkew { skew, .. }) => assert!(
                skew.certain_millis().signum() == hours.signum(),
                "{name}: {skew:?}"
            ),
            other => panic!("{name}: a clock {hours}h off must be refused, got {other:?}"),
        }
        assert_eq!(
            subject.store.read(&lock_id).await.unwrap(),
            None,
            "{name}: nothing left behind by a refused acquisition"
        );
    }
    let holder = subject.acquire(&subject.locker(), &lock_id, "alice").await;
    let before = subject.store.read(&lock_id).await.unwrap().unwrap();
    let ahead = subject
        .skewed(1)
        .acquire(&lock_id, info("mallory"), subject.lease, Duration::ZERO)
        .await;
    assert!(
        matches!(ahead, Err(LockError::ClockSkew { .. })),
        "{name}: a clock ahead must not take over a live lease: {ahead:?}"
    );
    assert_eq!(
        subject.store.read(&lock_id).await.unwrap(),
        Some(before),
        "{name}: the holder's record is untouched"
    );
    holder.check_valid().unwrap();
    holder.release().await.unwrap();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::memory::MemoryLockStore;

    fn memory() -> Subject {
        Subject::new(
            Arc::new(MemoryLockStore::with_server_clock(Arc::new(SystemClock))),
            Duration::from_secs(1),
        )
    }

    macro_rules! conformance {
        ($($property:ident),* $(,)?) => {$(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $property() {
                super::$property(&memory()).await;
            }
        )*};
    }

    conformance!(
        contenders_exactly_one_wins,
        release_by_non_owner_fails,
        expired_lease_is_taken_over_with_a_higher_fence,
        renewal_after_takeover_fails,
        release_deletes_the_record,
        acquire_waits_for_a_release,
        timeout_reports_the_holder,
        renewal_keeps_the_lock_past_its_lease,
        many_acquirers_exactly_one_wins,
        a_skewed_clock_takes_no_lease,
    );
}
