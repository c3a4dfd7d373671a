//! Holding a lock around a piece of work until it finishes, the lease is lost, or the process
//! gets SIGINT/SIGTERM, and releasing it in every one of those cases. This is what the apply
//! executor wraps its work in; deciding the exit code and printing stay with the caller.
//!
//! Note for callers: listening for a signal replaces its default action (terminating the
//! process) for the rest of the process's life, so after an `Interrupted` outcome the caller
//! must exit by itself, conventionally with 130 (SIGINT) or 143 (SIGTERM).

use std::future::Future;

use super::{LockError, LockGuard};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signal {
    Interrupt,
    Terminate,
}

impl Signal {
    pub fn name(self) -> &'static str {
        match self {
            Signal::Interrupt => "SIGINT",
            Signal::Terminate => "SIGTERM",
        }
    }
}

/// How the work under the lock ended.
#[derive(Debug)]
pub enum HoldOutcome<T> {
    Completed(T),
    /// The work was cancelled (its future dropped) because of this signal.
    Interrupted(Signal),
    /// The work was cancelled because the lease was lost; it must not go on.
    LeaseLost(LockError),
}

/// The outcome of the work, and of releasing the lock afterwards (kept apart so that a failed
/// release never hides the work's own result).
#[derive(Debug)]
#[must_use]
pub struct Held<T> {
    pub outcome: HoldOutcome<T>,
    pub release: Result<(), LockError>,
}

/// Runs `work` while holding `guard`, then releases the lock, whichever way it ends: the work
/// completes (successfully or with its own error), SIGINT or SIGTERM arrives, or the lease is
/// lost. In the last two cases the work's future is dropped at its current await point; the work
/// should still call `check_valid()` before each mutating call, since a cancelled future cannot
/// take back a request already sent. Signals are listened to from before the work starts.
pub async fn hold_until_signal_or<T>(guard: LockGuard, work: impl Future<Output = T>) -> Held<T> {
    let mut held = hold_all_until_signal_or(vec![guard], true, work).await;
    Held {
        outcome: held.outcome,
        release: held.releases.pop().unwrap_or(Ok(())),
    }
}

/// The outcome of work done under several locks, and of releasing each of them.
#[derive(Debug)]
#[must_use]
pub struct HeldAll<T> {
    pub outcome: HoldOutcome<T>,
    pub releases: Vec<Result<(), LockError>>,
}

/// Runs `work` while holding every guard, then releases them all, whichever way it ends: the
/// work completes, SIGINT or SIGTERM arrives (the work is dropped at its current await point),
/// or — with `cancel_on_any_lease_loss` — one lease is lost. Multi-service applies pass `false`
/// and let each service's work stop on its own lease (`LeaseHandle::lost`), so that losing one
/// service's lock does not abandon the others half-way.
pub async fn hold_all_until_signal_or<T>(
    guards: Vec<LockGuard>,
    cancel_on_any_lease_loss: bool,
    work: impl Future<Output = T>,
) -> HeldAll<T> {
    let leases: Vec<_> = guards.iter().map(LockGuard::lease).collect();
    let signals = Signals::listen();
    let any_lost = async {
        if !cancel_on_any_lease_loss || leases.is_empty() {
            return std::future::pending().await;
        }
        let losses = leases.iter().map(|lease| Box::pin(lease.lost()));
        futures_util::future::select_all(losses).await.0
    };
    let outcome = tokio::select! {
        biased;
        signal = signals.next() => HoldOutcome::Interrupted(signal),
        error = any_lost => HoldOutcome::LeaseLost(error),
        value = work => HoldOutcome::Completed(value),
    };
    let mut releases = Vec::with_capacity(guards.len());
    for guard in guards {
        releases.push(guard.release().await);
    }
    HeldAll { outcome, releases }
}

/// SIGINT and SIGTERM, registered synchronously so that a signal arriving right after
/// `listen()` is not missed.
struct Signals {
    #[cfg(unix)]
    interrupt: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            // Registration fails only without a tokio runtime or when the OS refuses; then the
            // signal keeps its default action, which is no worse than not listening.
            Self {
                interrupt: signal(SignalKind::interrupt()).ok(),
                terminate: signal(SignalKind::terminate()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    async fn next(mut self) -> Signal {
        #[cfg(unix)]
        {
            async fn receive(signal: &mut Option<tokio::signal::unix::Signal>) {
                match signal {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = receive(&mut self.interrupt) => Signal::Interrupt,
                () = receive(&mut self.terminate) => Signal::Terminate,
            }
        }
        #[cfg(not(unix))]
        {
            let _ = &mut self;
            match tokio::signal::ctrl_c().await {
                Ok(()) => Signal::Interrupt,
                Err(_) => std::future::pending().await,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lock::memory::MemoryLockStore;
    use crate::lock::{LockInfo, LockStore, Locker};
    use std::sync::Arc;
    use std::time::Duration;

    async fn acquire(store: &Arc<dyn LockStore>) -> LockGuard {
        Locker::new(Arc::clone(store))
            .acquire(
                "lock",
                LockInfo::current("apply", None),
                Duration::from_secs(30),
                Duration::ZERO,
            )
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn completed_work_is_returned_and_the_lock_released() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let guard = acquire(&store).await;
        let lease = guard.lease();
        let held = hold_until_signal_or(
            guard,
            async move { lease.check_valid().map(|()| "deployed") },
        )
        .await;
        assert!(matches!(
            held.outcome,
            HoldOutcome::Completed(Ok("deployed"))
        ));
        held.release.unwrap();
        assert_eq!(store.read("lock").await.unwrap(), None);
    }

    #[tokio::test]
    async fn work_that_fails_still_releases() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let guard = acquire(&store).await;
        let held =
            hold_until_signal_or(guard, async { Err::<(), _>("UpdateService failed") }).await;
        assert!(matches!(held.outcome, HoldOutcome::Completed(Err(_))));
        held.release.unwrap();
        assert_eq!(store.read("lock").await.unwrap(), None);
    }

    #[cfg(unix)]
    #[tokio::test(flavor = "multi_thread")]
    async fn sigterm_cancels_the_work_and_releases() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let guard = acquire(&store).await;
        let held = hold_until_signal_or(guard, async {
            // The handlers are registered before the work is first polled, so this signal
            // reaches them and not the default action (which would end the test process).
            let status = std::process::Command::new("kill")
                .args(["-TERM", &std::process::id().to_string()])
                .status()
                .expect("kill(1) runs");
            assert!(status.success());
            std::future::pending::<()>().await;
        })
        .await;
        assert!(matches!(
            held.outcome,
            HoldOutcome::Interrupted(Signal::Terminate)
        ));
        held.release.unwrap();
        assert_eq!(store.read("lock").await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_lost_lease_cancels_the_work() {
        let store: Arc<dyn LockStore> = Arc::new(MemoryLockStore::new());
        let guard = Locker::new(Arc::clone(&store))
            .acquire(
                "lock",
                LockInfo::current("apply", None),
                Duration::from_secs(3),
                Duration::ZERO,
            )
            .await
            .unwrap();
        // An operator force-releases it; the holder notices at its next renewal (lease/3).
        store
            .force_release("lock", Some(guard.owner()))
            .await
            .unwrap();
        let held = hold_until_signal_or(guard, std::future::pending::<()>()).await;
        assert!(matches!(held.outcome, HoldOutcome::LeaseLost(_)));
        // A lease seen lost to someone else is not released again.
        assert!(held.release.is_err());
    }
}
