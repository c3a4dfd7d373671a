//! The lease logic, written once for every backend: acquiring with a timeout and backoff,
//! renewing every lease/3 in a background task, knowing locally (on the monotonic clock) whether
//! the lease is still valid, and releasing. The invariants it keeps are listed in `mod.rs`.
//!
//! It talks to the store only through [`LockStore`], reports through [`LockEvent`]s and never
//! prints. It must not send a renewal once the lease is known lost, and must not release a lock
//! it saw taken over.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::clock::{SystemClock, WallClock, format_rfc3339};
use super::skew::{Skew, skew_bound};
use super::{LockError, LockInfo, LockRecord, LockStore, NewLease, StoreOutcome};

/// Leases are stored in whole seconds; a shorter one is raised to this.
const MINIMUM_LEASE: Duration = Duration::from_secs(1);

/// How long a holder whose lease was lost waits for its release to answer before it gives up
/// (the lease expires by itself): a store that answers at all answers a delete in
/// milliseconds, and one that does not is most likely why the lease was lost.
pub const RELEASE_BUDGET_AFTER_LOSS: Duration = Duration::from_secs(1);

/// Where progress goes: the apply command turns these into lines on stderr (or JSON events).
/// Called from the acquiring task and from the background renewal task, so it must return
/// quickly (push to a channel, print a line) and never block on the lock itself.
pub type LockEvents = Arc<dyn Fn(LockEvent) + Send + Sync>;

#[derive(Debug, Clone, PartialEq)]
pub enum LockEvent {
    /// The lock is held by someone else and we keep trying until `timeout`. Sent when waiting
    /// starts and again whenever the holder changes, not on every poll.
    Waiting {
        holder: Box<LockRecord>,
        waited: Duration,
        timeout: Duration,
    },
    Acquired {
        lock_id: String,
        fence: u64,
        waited: Duration,
        /// The expired lease that was taken over (its holder most likely crashed).
        took_over: Option<Box<LockRecord>>,
    },
    Renewed {
        lock_id: String,
        expires_at: i64,
    },
    /// A renewal failed; it is retried until the lease deadline.
    RenewalFailed {
        lock_id: String,
        error: String,
        remaining: Duration,
    },
    /// The lease is lost: every further `check_valid` fails.
    LeaseLost {
        lock_id: String,
        reason: String,
    },
    Released {
        lock_id: String,
        held_for: Duration,
    },
}

/// Polling while the lock is held: the pause starts at `initial` and doubles up to `max`, with
/// ±20% jitter so that runners queued behind one lock do not poll in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backoff {
    pub initial: Duration,
    pub max: Duration,
}

impl Default for Backoff {
    /// Terraform retries from 1 s; our cap is lower (10 s) because a conditional write costs
    /// next to nothing and a queue of deploys should move on soon after a release.
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(10),
        }
    }
}

/// Acquires leases on one store.
pub struct Locker {
    store: Arc<dyn LockStore>,
    clock: Arc<dyn WallClock>,
    events: LockEvents,
    backoff: Backoff,
    /// Invariant 9; off only for tests that move a contender's clock to simulate elapsed time.
    checks_skew: bool,
}

impl fmt::Debug for Locker {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter
            .debug_struct("Locker")
            .field("store", &self.store)
            .field("clock", &self.clock)
            .field("backoff", &self.backoff)
            .field("checks_skew", &self.checks_skew)
            .finish_non_exhaustive()
    }
}

impl Locker {
    pub fn new(store: Arc<dyn LockStore>) -> Self {
        Self {
            store,
            clock: Arc::new(SystemClock),
            events: Arc::new(|_| {}),
            backoff: Backoff::default(),
            checks_skew: true,
        }
    }

    /// Skips the clock-skew check of invariant 9. Only for tests whose contender's clock is
    /// moved on purpose to stand for time that has passed (the store's clock cannot be moved
    /// with it); never for a real lock.
    pub fn ignoring_server_clock(mut self) -> Self {
        self.checks_skew = false;
        self
    }

    /// The wall clock for `ExpiresAt` and `created` (tests inject one to expire leases).
    pub fn with_clock(mut self, clock: Arc<dyn WallClock>) -> Self {
        self.clock = clock;
        self
    }

    /// Where to report waiting, acquisition, renewal trouble, loss and release.
    pub fn with_events(mut self, events: impl Fn(LockEvent) + Send + Sync + 'static) -> Self {
        self.events = Arc::new(events);
        self
    }

    pub fn with_backoff(mut self, backoff: Backoff) -> Self {
        self.backoff = backoff;
        self
    }

    pub fn store(&self) -> &Arc<dyn LockStore> {
        &self.store
    }

    /// Takes the lock `lock_id` for `lease` (renewed in the background until released), trying
    /// until `timeout` has passed; `Duration::ZERO` tries once. While the lock is held by
    /// someone else, [`LockEvent::Waiting`] names the holder; when `timeout` runs out the error
    /// is [`LockError::Held`] with the holder's record. Store failures end the attempt at once
    /// (the SDK has already retried them).
    pub async fn acquire(
        &self,
        lock_id: &str,
        info: LockInfo,
        lease: Duration,
        timeout: Duration,
    ) -> Result<LockGuard, LockError> {
        let lease = lease.max(MINIMUM_LEASE);
        let owner = uuid::Uuid::new_v4().to_string();
        let started = Instant::now();
        let deadline = started
            .checked_add(timeout)
            .unwrap_or_else(|| started + Duration::from_secs(365 * 86_400));
        let mut pause = self.backoff.initial;
        let mut reported_holder: Option<String> = None;
        // Invariant 9: until the store's clock has been read, only a free lock is taken.
        let mut clock_checked = !self.checks_skew;
        loop {
            // Taken before the write: the local deadline must never outlast the stored one.
            let sent_at = Instant::now();
            let now = self.clock.now_epoch_seconds();
            // `created` says since when the lock is held, not since when we queued for it.
            let info = LockInfo {
                created: format_rfc3339(now),
                ..info.clone()
            };
            let request = NewLease {
                lock_id: lock_id.to_owned(),
                owner: owner.clone(),
                info,
                expires_at: expires_at(now, lease),
            };
            let takes_expired_after = if clock_checked { now } else { i64::MIN };
            let outcome = self
                .store
                .create_or_take_expired(&request, takes_expired_after)
                .await?;
            if self.checks_skew {
                if let Err(error) = self.check_skew(lock_id, lease, sent_at) {
                    if matches!(outcome, StoreOutcome::Acquired { .. }) {
                        // Written on a skewed clock: take it back at once (our own record).
                        let _ = self.store.release(lock_id, &owner).await;
                    }
                    return Err(error);
                }
                clock_checked = true;
            }
            match outcome {
                StoreOutcome::Acquired { fence, took_over } => {
                    (self.events)(LockEvent::Acquired {
                        lock_id: lock_id.to_owned(),
                        fence,
                        waited: started.elapsed(),
                        took_over,
                    });
                    return Ok(LockGuard::start(request, fence, lease, sent_at, self));
                }
                StoreOutcome::Held(holder)
                    if takes_expired_after == i64::MIN && holder.is_expired_at(now) =>
                {
                    // Only a free lock was asked for before the clock was checked; now that
                    // it was, take the expired one over without waiting.
                    continue;
                }
                StoreOutcome::Held(holder) => {
                    let waited = started.elapsed();
                    let remaining = deadline.saturating_duration_since(Instant::now());
                    if remaining.is_zero() {
                        return Err(LockError::Held { holder, waited });
                    }
                    if reported_holder.as_deref() != Some(holder.owner.as_str()) {
                        reported_holder = Some(holder.owner.clone());
                        (self.events)(LockEvent::Waiting {
                            holder: holder.clone(),
                            waited,
                            timeout,
                        });
                    }
                    // No point polling long past the moment the holder's lease could expire
                    // (a crashed holder): come back just after it.
                    let seconds_to_expiry = holder.expires_at + 1 - self.clock.now_epoch_seconds();
                    let until_expiry = Duration::from_secs(seconds_to_expiry.max(0) as u64)
                        .max(Duration::from_millis(100));
                    tokio::time::sleep(jittered(pause).min(remaining).min(until_expiry)).await;
                    pause = (pause * 2).min(self.backoff.max);
                }
            }
        }
    }

    /// Invariant 9 for an acquisition attempt sent at `sent_at`: the store's clock, as its
    /// answer gave it, against ours. A store without a clock (or an answer older than the
    /// attempt) has nothing to say.
    fn check_skew(
        &self,
        lock_id: &str,
        lease: Duration,
        sent_at: Instant,
    ) -> Result<(), LockError> {
        check_skew(
            self.store.as_ref(),
            self.clock.as_ref(),
            lock_id,
            lease,
            sent_at,
        )
    }

    /// The current record, whoever holds it (`lock status`).
    pub async fn status(&self, lock_id: &str) -> Result<Option<LockRecord>, LockError> {
        self.store.read(lock_id).await
    }

    /// Force-releases `lock_id` (`lock release ID`), but only while it is held under the public
    /// lock ID `id` that the operator saw, like Terraform's `force-unlock`: the delete is
    /// conditional on the owner read together with that ID. Returns the removed record.
    pub async fn force_release(&self, lock_id: &str, id: &str) -> Result<LockRecord, LockError> {
        let record = self
            .store
            .read(lock_id)
            .await?
            .ok_or_else(|| LockError::NotFound {
                lock_id: lock_id.to_owned(),
            })?;
        if record.info.id != id {
            return Err(LockError::NotOwner {
                lock_id: lock_id.to_owned(),
                expected_id: Some(id.to_owned()),
                holder: Some(Box::new(record)),
            });
        }
        match self.store.force_release(lock_id, Some(&record.owner)).await {
            Err(LockError::NotOwner { holder, .. }) => Err(LockError::NotOwner {
                lock_id: lock_id.to_owned(),
                expected_id: Some(id.to_owned()),
                holder,
            }),
            other => other,
        }
    }
}

/// Invariant 9: the store's latest answer, if it answered the call sent at `sent_at` or a
/// later one, must put its clock within the lease's skew bound of `clock`.
fn check_skew(
    store: &dyn LockStore,
    clock: &dyn WallClock,
    lock_id: &str,
    lease: Duration,
    sent_at: Instant,
) -> Result<(), LockError> {
    let Some(reading) = store
        .server_date()
        .filter(|reading| reading.sent >= sent_at)
    else {
        return Ok(());
    };
    let skew = Skew::measure(&reading, clock);
    if skew.exceeds(skew_bound(lease)) {
        return Err(LockError::ClockSkew {
            lock_id: lock_id.to_owned(),
            store: store.describe(),
            skew,
            lease,
        });
    }
    Ok(())
}

/// `ExpiresAt` for a lease starting at `now`: whole seconds, rounded up. Contenders take over
/// when `ExpiresAt < their now`, i.e. from `now + ceil(lease) + 1` on: always after the holder's
/// local deadline (`sent_at + lease * 3/4`).
fn expires_at(now: i64, lease: Duration) -> i64 {
    let whole_seconds = lease.as_secs() + u64::from(lease.subsec_nanos() > 0);
    now + whole_seconds as i64
}

/// The local deadline: a quarter of the lease before it ends, so that a mutating call checked
/// just before the deadline still lands inside the lease, with room for clock skew.
fn local_deadline(sent_at: Instant, lease: Duration) -> Instant {
    sent_at + (lease - lease / 4)
}

fn jittered(pause: Duration) -> Duration {
    let random = (uuid::Uuid::new_v4().as_u128() % 1001) as f64 / 1000.0;
    pause.mul_f64(0.8 + 0.4 * random)
}

/// What the guard, its lease handles and its renewal task share.
#[derive(Debug)]
struct Shared {
    lock_id: String,
    owner: String,
    info: LockInfo,
    fence: u64,
    lease: Duration,
    acquired_at: Instant,
    state: watch::Sender<LeaseState>,
    /// For [`LeaseHandle::confirm`]: reading the record is not mutating.
    store: Arc<dyn LockStore>,
}

#[derive(Debug, Clone)]
struct LeaseState {
    /// Only moves forward, and only on a renewal that succeeded before it.
    valid_until: Instant,
    last_renewed: Instant,
    last_renewal_error: Option<String>,
    lost: Option<Loss>,
    released: bool,
}

#[derive(Debug, Clone)]
struct Loss {
    reason: String,
    /// Someone else holds the record now: releasing would be pointless, and is not sent.
    taken_over: bool,
}

impl Shared {
    fn check_valid(&self) -> Result<(), LockError> {
        self.check(&self.state.borrow())
    }

    fn check(&self, state: &LeaseState) -> Result<(), LockError> {
        let reason = if let Some(loss) = &state.lost {
            loss.reason.clone()
        } else if state.released {
            "the lock has been released".to_owned()
        } else if Instant::now() >= state.valid_until {
            self.expiry_reason(state)
        } else {
            return Ok(());
        };
        Err(LockError::LeaseLost {
            lock_id: self.lock_id.clone(),
            reason,
        })
    }

    fn expiry_reason(&self, state: &LeaseState) -> String {
        let mut reason = format!(
            "the {} lease was not renewed in time (last renewal {} ago)",
            crate::config::duration::format(self.lease),
            crate::config::duration::format(Duration::from_secs(
                state.last_renewed.elapsed().as_secs()
            ))
        );
        if let Some(error) = &state.last_renewal_error {
            reason.push_str(&format!("; last renewal error: {error}"));
        }
        reason
    }

    /// Marks the lease lost (once; the first reason wins). Returns whether this call did it.
    fn mark_lost(&self, reason: String, taken_over: bool) -> bool {
        self.state.send_if_modified(|state| {
            if state.lost.is_some() || state.released {
                return false;
            }
            state.lost = Some(Loss { reason, taken_over });
            true
        })
    }
}

/// A cheap, cloneable view of a held lease, for the code that does the work under the lock:
/// call [`LeaseHandle::check_valid`] before every mutating AWS call, and select on
/// [`LeaseHandle::lost`] in long waits.
#[derive(Debug, Clone)]
pub struct LeaseHandle {
    shared: Arc<Shared>,
}

impl LeaseHandle {
    /// `Ok` while the lease is certainly ours; [`LockError::LeaseLost`] once a renewal was
    /// refused, or the local deadline passed without a successful renewal, or after release.
    pub fn check_valid(&self) -> Result<(), LockError> {
        self.shared.check_valid()
    }

    /// Completes (with the [`LockError::LeaseLost`] error) when the lease is lost.
    pub async fn lost(&self) -> LockError {
        let mut receiver = self.shared.state.subscribe();
        loop {
            let valid_until = {
                let state = receiver.borrow_and_update();
                if let Err(error) = self.shared.check(&state) {
                    return error;
                }
                state.valid_until
            };
            tokio::select! {
                // The sender lives in `shared`, which we hold: `changed` cannot fail.
                _ = receiver.changed() => {}
                () = tokio::time::sleep_until(valid_until) => {}
            }
        }
    }

    /// Reads the record to make sure it is still ours, now (not at the next renewal): for a
    /// holder that sees its service changed under it and must tell a takeover from anything
    /// else. A record that is someone else's (or gone) loses the lease for good, as a refused
    /// renewal does. Reading is not mutating, so this is allowed after a loss too.
    pub async fn confirm(&self) -> Result<(), LockError> {
        self.check_valid()?;
        let holder = match self.shared.store.read(&self.shared.lock_id).await? {
            Some(record) if record.owner == self.shared.owner => return Ok(()),
            Some(record) => format!("taken over by {record}"),
            None => "removed by someone else (force-released?)".to_owned(),
        };
        let reason = format!("the lock was {holder}");
        self.shared.mark_lost(reason, true);
        self.check_valid()
    }

    pub fn fence(&self) -> u64 {
        self.shared.fence
    }

    pub fn lock_id(&self) -> &str {
        &self.shared.lock_id
    }

    pub fn info(&self) -> &LockInfo {
        &self.shared.info
    }

    /// The random owner nonce written to the record (never shown to other users).
    pub fn owner(&self) -> &str {
        &self.shared.owner
    }

    /// When the local deadline currently ends (moves forward with each renewal).
    pub fn valid_until(&self) -> Instant {
        self.shared.state.borrow().valid_until
    }
}

/// A held lock. Release it with [`LockGuard::release`] on every path; dropping it stops the
/// renewals and makes a best-effort release on the current tokio runtime (which may not run it
/// if the runtime is shutting down; the lease then expires by itself).
#[derive(Debug)]
#[must_use = "the lock is held until release() or drop"]
pub struct LockGuard {
    handle: LeaseHandle,
    // `None` once released (so that `Drop` does nothing more).
    active: Option<Active>,
}

#[derive(Debug)]
struct Active {
    store: Arc<dyn LockStore>,
    events: EventSink,
    renewal: JoinHandle<()>,
}

/// `LockEvents` with a `Debug` impl, so the structs holding it can derive `Debug`.
#[derive(Clone)]
struct EventSink(LockEvents);

impl fmt::Debug for EventSink {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("EventSink")
    }
}

impl LockGuard {
    fn start(
        request: NewLease,
        fence: u64,
        lease: Duration,
        sent_at: Instant,
        locker: &Locker,
    ) -> Self {
        let store = Arc::clone(&locker.store);
        let events = Arc::clone(&locker.events);
        let (state, _) = watch::channel(LeaseState {
            valid_until: local_deadline(sent_at, lease),
            last_renewed: sent_at,
            last_renewal_error: None,
            lost: None,
            released: false,
        });
        let shared = Arc::new(Shared {
            lock_id: request.lock_id,
            owner: request.owner,
            info: request.info,
            fence,
            lease,
            acquired_at: sent_at,
            state,
            store: Arc::clone(&store),
        });
        let renewal = tokio::spawn(renew_until_lost(
            Arc::clone(&shared),
            Arc::clone(&store),
            Arc::clone(&locker.clock),
            locker.checks_skew,
            EventSink(Arc::clone(&events)),
        ));
        Self {
            handle: LeaseHandle { shared },
            active: Some(Active {
                store,
                events: EventSink(events),
                renewal,
            }),
        }
    }

    /// See [`LeaseHandle::check_valid`]: call it before EVERY mutating AWS call.
    pub fn check_valid(&self) -> Result<(), LockError> {
        self.handle.check_valid()
    }

    /// A handle to pass to the code that works under the lock.
    pub fn lease(&self) -> LeaseHandle {
        self.handle.clone()
    }

    pub fn fence(&self) -> u64 {
        self.handle.fence()
    }

    pub fn lock_id(&self) -> &str {
        self.handle.lock_id()
    }

    pub fn info(&self) -> &LockInfo {
        self.handle.info()
    }

    pub fn owner(&self) -> &str {
        self.handle.owner()
    }

    /// Stops renewing and deletes the record if it is still ours (conditional on `Owner`).
    /// `Err(LeaseLost)` if the lease had been taken over (nothing is sent then) or was gone by
    /// the time the delete arrived.
    ///
    /// Cancel-safe: the delete runs in its own task, so dropping this future (a second Ctrl-C,
    /// a `select!`) does not abandon a half-sent release; it completes while the runtime runs.
    ///
    /// After a lease was lost to its deadline (the store stopped answering, most likely), the
    /// release is still sent but waited for [`RELEASE_BUDGET_AFTER_LOSS`] at most: the holder
    /// must stop at once, and the lease expires by itself anyway.
    pub async fn release(mut self) -> Result<(), LockError> {
        let active = self.active.take().expect("a guard is released only once");
        let shared = Arc::clone(&self.handle.shared);
        let stopped = stop(&shared, &active.renewal);
        // Wait for the aborted renewal so no renewal of ours is in flight from here on (a late
        // one would fail anyway: it is conditional on `Owner` and never recreates the record).
        let _ = active.renewal.await;
        if let Stopped::TakenOver(reason) = stopped {
            return Err(LockError::LeaseLost {
                lock_id: shared.lock_id.clone(),
                reason,
            });
        }
        let lock_id = shared.lock_id.clone();
        let task = tokio::spawn(release_record(shared, active.store, active.events));
        let joined = match stopped {
            Stopped::Lost => match tokio::time::timeout(RELEASE_BUDGET_AFTER_LOSS, task).await {
                Ok(joined) => joined,
                Err(_) => {
                    return Err(LockError::Backend(format!(
                        "the release of {lock_id} did not answer within {} after the lease \
                         was lost",
                        crate::config::duration::format(RELEASE_BUDGET_AFTER_LOSS)
                    )));
                }
            },
            _ => task.await,
        };
        joined.unwrap_or_else(|error| Err(LockError::Backend(format!("release task: {error}"))))
    }
}

impl Drop for LockGuard {
    fn drop(&mut self) {
        let Some(active) = self.active.take() else {
            return;
        };
        let shared = Arc::clone(&self.handle.shared);
        let stopped = stop(&shared, &active.renewal);
        if !matches!(stopped, Stopped::TakenOver(_))
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            runtime.spawn(release_record(shared, active.store, active.events));
        }
    }
}

/// How a guard's lease stood when it was stopped.
enum Stopped {
    /// Valid until now: release it as usual.
    Held,
    /// Lost to its deadline: the record may still be ours, release it without waiting long.
    Lost,
    /// Taken over (the reason): the record is someone else's and must not be touched.
    TakenOver(String),
}

/// Marks the lease released and stops the renewal task.
fn stop(shared: &Shared, renewal: &JoinHandle<()>) -> Stopped {
    let mut stopped = Stopped::Held;
    shared.state.send_modify(|state| {
        state.released = true;
        stopped = match &state.lost {
            Some(loss) if loss.taken_over => Stopped::TakenOver(loss.reason.clone()),
            Some(_) => Stopped::Lost,
            None if Instant::now() >= state.valid_until => Stopped::Lost,
            None => Stopped::Held,
        };
    });
    renewal.abort();
    stopped
}

async fn release_record(
    shared: Arc<Shared>,
    store: Arc<dyn LockStore>,
    events: EventSink,
) -> Result<(), LockError> {
    if store.release(&shared.lock_id, &shared.owner).await? {
        (events.0)(LockEvent::Released {
            lock_id: shared.lock_id.clone(),
            held_for: shared.acquired_at.elapsed(),
        });
        Ok(())
    } else {
        Err(LockError::LeaseLost {
            lock_id: shared.lock_id.clone(),
            reason: "the record was no longer ours when releasing (the lease expired and the \
                     lock was taken over or removed)"
                .to_owned(),
        })
    }
}

/// The renewal task: every lease/3 after the last successful renewal, extend `ExpiresAt`
/// conditionally on `Owner`. Failed calls are retried every lease/12 until the local deadline;
/// then, or on a refused renewal, the lease is marked lost and the task ends for good.
async fn renew_until_lost(
    shared: Arc<Shared>,
    store: Arc<dyn LockStore>,
    clock: Arc<dyn WallClock>,
    checks_skew: bool,
    events: EventSink,
) {
    let interval = shared.lease / 3;
    let retry = (shared.lease / 12).max(Duration::from_millis(50));
    let mut next = shared.acquired_at + interval;
    let lost = |reason: String, taken_over: bool| {
        if shared.mark_lost(reason.clone(), taken_over) {
            (events.0)(LockEvent::LeaseLost {
                lock_id: shared.lock_id.clone(),
                reason,
            });
        }
    };
    loop {
        tokio::time::sleep_until(next).await;
        let state = shared.state.borrow().clone();
        if state.lost.is_some() || state.released {
            return;
        }
        let sent_at = Instant::now();
        if sent_at >= state.valid_until {
            // Invariant 1: past the deadline nothing is sent, not even a renewal.
            lost(shared.expiry_reason(&state), false);
            return;
        }
        let new_expires_at = expires_at(clock.now_epoch_seconds(), shared.lease);
        let renewal = store.renew(&shared.lock_id, &shared.owner, new_expires_at);
        let answer = tokio::time::timeout_at(state.valid_until, renewal).await;
        if checks_skew
            && matches!(answer, Ok(Ok(true)))
            && let Err(error) = check_skew(
                store.as_ref(),
                clock.as_ref(),
                &shared.lock_id,
                shared.lease,
                sent_at,
            )
        {
            // Invariant 9: a lease is not kept on a clock that went off the store's.
            lost(error.to_string(), false);
            return;
        }
        match answer {
            Ok(Ok(true)) => {
                let mut late = false;
                shared.state.send_if_modified(|state| {
                    if state.lost.is_some() || state.released {
                        return false;
                    }
                    // A renewal that answers after the deadline does not revive the lease:
                    // `check_valid` may already have refused a call in between.
                    if Instant::now() >= state.valid_until {
                        late = true;
                        return false;
                    }
                    state.valid_until = local_deadline(sent_at, shared.lease);
                    state.last_renewed = sent_at;
                    state.last_renewal_error = None;
                    true
                });
                if late {
                    let state = shared.state.borrow().clone();
                    lost(shared.expiry_reason(&state), false);
                    return;
                }
                (events.0)(LockEvent::Renewed {
                    lock_id: shared.lock_id.clone(),
                    expires_at: new_expires_at,
                });
                next = sent_at + interval;
            }
            Ok(Ok(false)) => {
                // Reading is not mutating: name the new holder if we can.
                let holder = match store.read(&shared.lock_id).await {
                    Ok(Some(record)) => format!("taken over by {record}"),
                    Ok(None) => "removed by someone else (force-released?)".to_owned(),
                    Err(_) => "taken over or removed by someone else".to_owned(),
                };
                lost(
                    format!("the renewal was refused: the lock was {holder}"),
                    true,
                );
                return;
            }
            Ok(Err(error)) => {
                let remaining = state.valid_until.saturating_duration_since(Instant::now());
                shared.state.send_modify(|state| {
                    state.last_renewal_error = Some(error.to_string());
                });
                (events.0)(LockEvent::RenewalFailed {
                    lock_id: shared.lock_id.clone(),
                    error: error.to_string(),
                    remaining,
                });
                next = Instant::now() + retry;
            }
            Err(_deadline) => {
                shared.state.send_modify(|state| {
                    state.last_renewal_error =
                        Some("the renewal did not answer before the deadline".to_owned());
                });
                let state = shared.state.borrow().clone();
                lost(shared.expiry_reason(&state), false);
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::memory::MemoryLockStore;
    use crate::lock::{ManualClock, StoreFuture};
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    fn info() -> LockInfo {
        LockInfo::current("apply", None)
    }

    #[test]
    fn expires_at_rounds_the_lease_up_to_whole_seconds() {
        assert_eq!(expires_at(100, Duration::from_secs(60)), 160);
        assert_eq!(expires_at(100, Duration::from_millis(1500)), 102);
    }

    #[test]
    fn the_local_deadline_ends_before_contenders_can_take_over() {
        // The holder sent its write at wall time 100.999 (floor 100) with a 2 s lease: the
        // record says 102, contenders take over once their floor(now) is 103, i.e. at 103.0,
        // which is after the holder's deadline of 100.999 + 1.5.
        let lease = Duration::from_secs(2);
        let sent_at = Instant::now();
        let deadline = local_deadline(sent_at, lease);
        assert_eq!(deadline - sent_at, Duration::from_millis(1500));
        assert!(100.999 + 1.5 < (expires_at(100, lease) + 1) as f64);
    }

    #[test]
    fn jitter_stays_within_twenty_percent() {
        for _ in 0..200 {
            let pause = jittered(Duration::from_secs(10));
            assert!(pause >= Duration::from_secs(8) && pause <= Duration::from_secs(12));
        }
    }

    /// A memory store whose renewals can be made to fail, counting every mutating call made
    /// after `fail_renewals` was switched on.
    #[derive(Debug, Default)]
    struct FlakyStore {
        inner: MemoryLockStore,
        fail_renewals: AtomicBool,
        mutating_calls_while_failing: AtomicUsize,
    }

    impl FlakyStore {
        fn count(&self) {
            if self.fail_renewals.load(Ordering::SeqCst) {
                self.mutating_calls_while_failing
                    .fetch_add(1, Ordering::SeqCst);
            }
        }
    }

    impl LockStore for FlakyStore {
        fn describe(&self) -> String {
            "flaky".into()
        }
        fn create_or_take_expired<'a>(
            &'a self,
            lease: &'a NewLease,
            now: i64,
        ) -> StoreFuture<'a, StoreOutcome> {
            self.count();
            self.inner.create_or_take_expired(lease, now)
        }
        fn renew<'a>(
            &'a self,
            lock_id: &'a str,
            owner: &'a str,
            expires_at: i64,
        ) -> StoreFuture<'a, bool> {
            self.count();
            if self.fail_renewals.load(Ordering::SeqCst) {
                return Box::pin(async { Err(LockError::Backend("throttled".into())) });
            }
            self.inner.renew(lock_id, owner, expires_at)
        }
        fn release<'a>(&'a self, lock_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
            self.count();
            self.inner.release(lock_id, owner)
        }
        fn read<'a>(&'a self, lock_id: &'a str) -> StoreFuture<'a, Option<LockRecord>> {
            self.inner.read(lock_id)
        }
        fn force_release<'a>(
            &'a self,
            lock_id: &'a str,
            expected_owner: Option<&'a str>,
        ) -> StoreFuture<'a, LockRecord> {
            self.count();
            self.inner.force_release(lock_id, expected_owner)
        }
    }

    fn recorder() -> (Arc<Mutex<Vec<LockEvent>>>, impl Fn(LockEvent) + Send + Sync) {
        let events = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&events);
        (events, move |event| sink.lock().unwrap().push(event))
    }

    #[tokio::test]
    async fn failing_renewals_lose_the_lease_at_the_deadline_and_then_nothing_is_sent() {
        let store = Arc::new(FlakyStore::default());
        let (events, sink) = recorder();
        let locker = Locker::new(store.clone()).with_events(sink);
        let lease = Duration::from_millis(1200);
        let guard = locker
            .acquire("lock", info(), lease, Duration::ZERO)
            .await
            .unwrap();
        store.fail_renewals.store(true, Ordering::SeqCst);
        let handle = guard.lease();
        let started = Instant::now();
        // Transient failures do not end a lease that is still running...
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert!(handle.check_valid().is_ok());
        // ...its deadline does (lease * 3/4 after the acquisition).
        let error = tokio::time::timeout(Duration::from_secs(3), handle.lost())
            .await
            .expect("the lease is lost within its lease");
        assert!(started.elapsed() <= Duration::from_millis(950));
        let text = error.to_string();
        assert!(
            text.contains("not renewed in time") && text.contains("throttled"),
            "{text}"
        );
        assert!(matches!(
            guard.check_valid(),
            Err(LockError::LeaseLost { .. })
        ));
        let calls = store.mutating_calls_while_failing.load(Ordering::SeqCst);
        assert!(calls >= 2, "renewals were retried: {calls}");
        tokio::time::sleep(lease).await;
        assert_eq!(
            store.mutating_calls_while_failing.load(Ordering::SeqCst),
            calls,
            "no call after the lease was lost"
        );
        let events = events.lock().unwrap();
        assert!(
            events
                .iter()
                .any(|event| matches!(event, LockEvent::RenewalFailed { .. }))
        );
        assert!(
            events
                .iter()
                .any(|event| matches!(event, LockEvent::LeaseLost { .. }))
        );
    }

    #[tokio::test]
    async fn a_guard_taken_over_does_not_release_the_new_holders_lock() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let clock = Arc::new(ManualClock::new(1_000));
        let first = Locker::new(store.clone()).with_clock(clock.clone());
        let lease = Duration::from_secs(1);
        let old = first
            .acquire("lock", info(), lease, Duration::ZERO)
            .await
            .unwrap();
        clock.advance(10);
        let new = first
            .acquire("lock", info(), lease, Duration::ZERO)
            .await
            .unwrap();
        assert_eq!(new.fence(), old.fence() + 1);
        // The old guard's next renewal (after lease/3) is refused.
        let error = tokio::time::timeout(Duration::from_secs(2), old.lease().lost())
            .await
            .unwrap();
        assert!(error.to_string().contains("taken over by"), "{error}");
        assert!(matches!(
            old.release().await,
            Err(LockError::LeaseLost { .. })
        ));
        assert_eq!(
            store.read("lock").await.unwrap().unwrap().owner,
            new.owner()
        );
        new.release().await.unwrap();
        assert_eq!(store.read("lock").await.unwrap(), None);
    }

    #[tokio::test]
    async fn created_is_the_time_of_acquisition_not_of_the_request() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let clock = Arc::new(ManualClock::new(1_795_000_000));
        let mut queued = info();
        queued.created = "2001-01-01T00:00:00Z".into();
        let guard = Locker::new(store.clone())
            .with_clock(clock)
            .acquire(
                "lock",
                queued.clone(),
                Duration::from_secs(30),
                Duration::ZERO,
            )
            .await
            .unwrap();
        assert_eq!(guard.info().created, "2026-11-18T11:06:40Z");
        assert_eq!(guard.info().id, queued.id, "everything else is kept");
        let stored = store.read("lock").await.unwrap().unwrap();
        assert_eq!(&stored.info, guard.info());
        guard.release().await.unwrap();
    }

    #[tokio::test]
    async fn dropping_a_guard_releases_it_in_the_background() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let (events, sink) = recorder();
        let locker = Locker::new(store.clone()).with_events(sink);
        let guard = locker
            .acquire("lock", info(), Duration::from_secs(30), Duration::ZERO)
            .await
            .unwrap();
        drop(guard);
        for _ in 0..100 {
            if store.read("lock").await.unwrap().is_none() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert_eq!(store.read("lock").await.unwrap(), None);
        assert!(
            events
                .lock()
                .unwrap()
                .iter()
                .any(|event| matches!(event, LockEvent::Released { .. }))
        );
    }

    #[tokio::test]
    async fn force_release_needs_the_current_lock_id() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let locker = Locker::new(store.clone());
        let guard = locker
            .acquire("lock", info(), Duration::from_secs(3), Duration::ZERO)
            .await
            .unwrap();
        let wrong = locker.force_release("lock", "not-the-id").await;
        match wrong {
            Err(LockError::NotOwner {
                expected_id: Some(expected),
                holder: Some(holder),
                ..
            }) => {
                assert_eq!(expected, "not-the-id");
                assert_eq!(holder.info.id, guard.info().id);
            }
            other => panic!("{other:?}"),
        }
        let removed = locker
            .force_release("lock", &guard.info().id)
            .await
            .unwrap();
        assert_eq!(removed.owner, guard.owner());
        assert!(matches!(
            locker.force_release("lock", &guard.info().id).await,
            Err(LockError::NotFound { .. })
        ));
        // The force-released holder finds out at its next renewal.
        let error = tokio::time::timeout(Duration::from_secs(5), guard.lease().lost())
            .await
            .unwrap();
        assert!(
            error.to_string().contains("removed by someone else"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn waiting_polls_again_just_after_a_crashed_holders_lease_expires() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        // The crashed holder: a record whose lease ends in 1 s, never renewed.
        let now = SystemClock.now_epoch_seconds();
        let crashed = NewLease {
            lock_id: "lock".into(),
            owner: "crashed".into(),
            info: info(),
            expires_at: now + 1,
        };
        store.create_or_take_expired(&crashed, now).await.unwrap();
        // With a 30 s backoff, only the expiry-aware pause gets us in within a few seconds.
        let locker = Locker::new(store.clone()).with_backoff(Backoff {
            initial: Duration::from_secs(30),
            max: Duration::from_secs(30),
        });
        let started = Instant::now();
        let guard = locker
            .acquire(
                "lock",
                info(),
                Duration::from_secs(30),
                Duration::from_secs(60),
            )
            .await
            .unwrap();
        assert!(started.elapsed() < Duration::from_secs(4));
        assert_eq!(guard.fence(), 2);
        guard.release().await.unwrap();
    }

    /// A store that stops answering after the acquisition: every later call hangs forever, as
    /// a black-holed endpoint does.
    #[derive(Debug, Default)]
    struct SilentAfterAcquire {
        inner: MemoryLockStore,
    }

    impl LockStore for SilentAfterAcquire {
        fn describe(&self) -> String {
            "silent".into()
        }
        fn create_or_take_expired<'a>(
            &'a self,
            lease: &'a NewLease,
            now: i64,
        ) -> StoreFuture<'a, StoreOutcome> {
            self.inner.create_or_take_expired(lease, now)
        }
        fn renew<'a>(&'a self, _: &'a str, _: &'a str, _: i64) -> StoreFuture<'a, bool> {
            Box::pin(std::future::pending())
        }
        fn release<'a>(&'a self, _: &'a str, _: &'a str) -> StoreFuture<'a, bool> {
            Box::pin(std::future::pending())
        }
        fn read<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Option<LockRecord>> {
            Box::pin(std::future::pending())
        }
        fn force_release<'a>(
            &'a self,
            _: &'a str,
            _: Option<&'a str>,
        ) -> StoreFuture<'a, LockRecord> {
            Box::pin(std::future::pending())
        }
    }

    /// Issue 16 §2: when the store goes silent, the lease is lost at its local deadline, the
    /// work is cancelled, and the release is given up on after its short budget: the holder
    /// stops within the lease instead of waiting for the store to come back.
    #[tokio::test(start_paused = true)]
    async fn a_silent_store_loses_the_lease_and_the_holder_stops_within_its_budget() {
        let store = Arc::new(SilentAfterAcquire::default());
        let lease = Duration::from_secs(60);
        let guard = Locker::new(store.clone())
            .acquire("lock", info(), lease, Duration::ZERO)
            .await
            .unwrap();
        let started = Instant::now();
        let held = crate::lock::hold_until_signal_or(guard, std::future::pending::<()>()).await;
        let elapsed = started.elapsed();
        let crate::lock::HoldOutcome::LeaseLost(error) = held.outcome else {
            panic!("{:?}", held.outcome)
        };
        assert!(error.to_string().contains("not renewed in time"), "{error}");
        let release = held.release.unwrap_err().to_string();
        assert!(release.contains("did not answer within 1s"), "{release}");
        assert!(
            elapsed <= lease * 3 / 4 + RELEASE_BUDGET_AFTER_LOSS + Duration::from_millis(100),
            "{elapsed:?}"
        );
    }

    /// Invariant 9 during a lease: when this host's clock goes off the store's (here the
    /// store's clock jumps an hour), the next renewal loses the lease, and says why.
    #[tokio::test]
    async fn a_clock_that_goes_off_the_stores_loses_the_lease_at_the_next_renewal() {
        let server = Arc::new(ManualClock::new(SystemClock.now_epoch_seconds()));
        let store = Arc::new(MemoryLockStore::with_server_clock(server.clone()));
        let guard = Locker::new(store.clone())
            .acquire("lock", info(), Duration::from_millis(1200), Duration::ZERO)
            .await
            .unwrap();
        server.advance(3600);
        let error = tokio::time::timeout(Duration::from_secs(3), guard.lease().lost())
            .await
            .expect("lost at the next renewal");
        let text = error.to_string();
        assert!(
            text.contains(
                "this host's clock is 59m59s behind the clock of the in-memory lock store"
            ) || text.contains(
                "this host's clock is 1h0m0s behind the clock of the in-memory lock store"
            ),
            "{text}"
        );
        // Not taken over: the record is still ours, and released.
        guard.release().await.unwrap();
        assert_eq!(store.read("lock").await.unwrap(), None);
    }

    /// A holder that sees its service change under it asks the store at once whether its
    /// lease was taken over, instead of waiting for the next renewal.
    #[tokio::test]
    async fn confirm_finds_a_takeover_before_the_next_renewal() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let guard = Locker::new(store.clone())
            .acquire("lock", info(), Duration::from_secs(60), Duration::ZERO)
            .await
            .unwrap();
        guard.lease().confirm().await.unwrap();
        let thief = Locker::new(store.clone())
            .with_clock(Arc::new(crate::lock::OffsetClock {
                inner: Arc::new(SystemClock),
                offset_seconds: 3600,
            }))
            .ignoring_server_clock()
            .acquire("lock", info(), Duration::from_secs(60), Duration::ZERO)
            .await
            .unwrap();
        let error = guard.lease().confirm().await.unwrap_err();
        assert!(error.to_string().contains("taken over by"), "{error}");
        assert!(guard.check_valid().is_err(), "lost for good");
        assert!(
            guard.release().await.is_err(),
            "the thief's record is left alone"
        );
        assert_eq!(
            store.read("lock").await.unwrap().unwrap().owner,
            thief.owner()
        );
        thief.release().await.unwrap();
    }
}
