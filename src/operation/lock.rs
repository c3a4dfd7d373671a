//! Opening the project's lock store and running work under one service's lock (ARCHITECTURE.md
//! §6): the lock is released on success, error, lost lease, SIGINT and SIGTERM alike, and the
//! work gets the lease to check before each of its mutating calls (lock invariants 1 and 8).
//! The lease logic itself is `crate::lock`'s; this only decides which lock and when.

use std::sync::Arc;
use std::time::Duration;

use crate::apply::{ApplyEvent, Reporter};
use crate::aws::sdk::Aws;
use crate::config::{Config, DEFAULT_LOCK_TABLE, LockConfig};
use crate::error::Error;
use crate::lock::{
    HoldOutcome, LeaseHandle, LockError, LockInfo, LockRecord, LockStore, Locker, NewLease,
    ServerDate, StoreFuture, StoreOutcome, hold_until_signal_or,
};
use crate::plan::Target;

/// The project's lock: where it lives and how long a lease lasts.
#[derive(Clone)]
pub(crate) struct LockSetup {
    pub(crate) store: Arc<dyn LockStore>,
    pub(crate) lease: Duration,
}

impl LockSetup {
    /// A locker on this store whose events go to `reporter`.
    pub(crate) fn locker(&self, reporter: Arc<dyn Reporter>) -> Locker {
        Locker::new(Arc::clone(&self.store))
            .with_events(move |event| reporter.report(ApplyEvent::Lock(event)))
    }
}

/// The config's lock, or the default DynamoDB table, which is created on first use so that an
/// ecspresso config without a lock section deploys under a lock. The store is tried first and
/// the table created only when it answers that there is none: runs after the first pay no call
/// for it (the creation is three to five calls: CreateTable, DescribeTable until ACTIVE, and
/// the TTL set-up).
pub(crate) async fn open_lock(
    config: &Config,
    aws: &Arc<Aws>,
    reporter: Arc<dyn Reporter>,
) -> Result<LockSetup, Error> {
    let (lock, defaulted): (LockConfig, bool) = config.lock_or_default();
    let store = aws
        .lock_store(&lock.backend)
        .await
        .map_err(|message| Error::usage(format!("lock: {message}"), None))?;
    let store = if defaulted {
        let aws = Arc::clone(aws);
        let create: CreateStore = Arc::new(move || {
            let (aws, reporter) = (Arc::clone(&aws), Arc::clone(&reporter));
            Box::pin(async move {
                let setup = aws.create_lock_table(DEFAULT_LOCK_TABLE).await?;
                if setup.created {
                    reporter.report(ApplyEvent::LockTableCreated {
                        table: DEFAULT_LOCK_TABLE.to_owned(),
                    });
                }
                Ok(())
            })
        });
        Arc::new(CreatedOnFirstUse {
            inner: store,
            create,
        }) as Arc<dyn LockStore>
    } else {
        store
    };
    Ok(LockSetup {
        store,
        lease: lock.lease,
    })
}

/// Creates the store (idempotently: another runner may be creating it at the same time).
type CreateStore = Arc<dyn Fn() -> StoreFuture<'static, ()> + Send + Sync>;

/// A store that creates itself when the first acquisition finds it missing, then tries again.
/// Only acquisition needs this: every other call follows one that succeeded (renew, release)
/// or reports the missing store as it is (`lock status`).
struct CreatedOnFirstUse {
    inner: Arc<dyn LockStore>,
    create: CreateStore,
}

impl std::fmt::Debug for CreatedOnFirstUse {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("CreatedOnFirstUse")
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl LockStore for CreatedOnFirstUse {
    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn create_or_take_expired<'a>(
        &'a self,
        lease: &'a NewLease,
        now: i64,
    ) -> StoreFuture<'a, StoreOutcome> {
        Box::pin(async move {
            match self.inner.create_or_take_expired(lease, now).await {
                Err(LockError::StoreMissing(_)) => {
                    (self.create)().await?;
                    self.inner.create_or_take_expired(lease, now).await
                }
                other => other,
            }
        })
    }

    fn renew<'a>(
        &'a self,
        lock_id: &'a str,
        owner: &'a str,
        expires_at: i64,
    ) -> StoreFuture<'a, bool> {
        self.inner.renew(lock_id, owner, expires_at)
    }

    fn release<'a>(&'a self, lock_id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
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
        self.inner.force_release(lock_id, expected_owner)
    }

    fn server_date(&self) -> Option<ServerDate> {
        self.inner.server_date()
    }
}

/// Runs `work` under the deploy lock of `target`, released on success, error, lease loss,
/// SIGINT and SIGTERM alike. `work` gets the lease, to check before each mutating call.
pub(crate) async fn under_service_lock<T, F>(
    lock: &LockSetup,
    target: &Target,
    info: LockInfo,
    lock_timeout: Duration,
    reporter: Arc<dyn Reporter>,
    work: impl FnOnce(LeaseHandle) -> F,
) -> Result<T, Error>
where
    F: std::future::Future<Output = Result<T, Error>>,
{
    let guard = lock
        .locker(Arc::clone(&reporter))
        .acquire(&target.lock_id(), info, lock.lease, lock_timeout)
        .await?;
    let lease = guard.lease();
    let held = hold_until_signal_or(guard, work(lease)).await;
    if let Err(error) = held.release {
        reporter.report(ApplyEvent::ReleaseFailed {
            lock_id: target.lock_id(),
            error: error.to_string(),
        });
    }
    match held.outcome {
        HoldOutcome::Completed(result) => result,
        HoldOutcome::Interrupted(signal) => Err(Error::Interrupted(signal)),
        HoldOutcome::LeaseLost(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::exit_code;
    use crate::lock::memory::MemoryLockStore;

    /// Records what the operation reports.
    #[derive(Default)]
    pub(crate) struct Recorder(pub(crate) Mutex<Vec<ApplyEvent>>);

    impl Reporter for Recorder {
        fn report(&self, event: ApplyEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    fn target() -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: "api".into(),
        }
    }

    fn setup() -> LockSetup {
        LockSetup {
            store: Arc::new(MemoryLockStore::default()),
            lease: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn the_lock_is_held_during_the_work_and_released_after_success_and_error() {
        let lock = setup();
        let reporter = Arc::new(Recorder::default());
        let outcome = under_service_lock(
            &lock,
            &target(),
            LockInfo::current("test", None),
            Duration::ZERO,
            reporter.clone(),
            |lease| {
                let store = Arc::clone(&lock.store);
                async move {
                    lease.check_valid()?;
                    let record = Locker::new(store).status(&target().lock_id()).await?;
                    Ok(record.map(|record| record.info.operation))
                }
            },
        )
        .await
        .unwrap();
        assert_eq!(outcome.as_deref(), Some("test"), "held while working");
        let after = Locker::new(Arc::clone(&lock.store))
            .status(&target().lock_id())
            .await
            .unwrap();
        assert!(after.is_none(), "released after success");

        let failed: Result<(), Error> = under_service_lock(
            &lock,
            &target(),
            LockInfo::current("test", None),
            Duration::ZERO,
            reporter,
            |_lease| async { Err(Error::failed("the work failed", None)) },
        )
        .await;
        assert_eq!(failed.unwrap_err().to_string(), "the work failed");
        let after = Locker::new(Arc::clone(&lock.store))
            .status(&target().lock_id())
            .await
            .unwrap();
        assert!(after.is_none(), "released after an error");
    }

    #[tokio::test]
    async fn a_held_lock_fails_with_exit_3_and_the_work_never_runs() {
        let lock = setup();
        let holder = lock
            .locker(Arc::new(Recorder::default()))
            .acquire(
                &target().lock_id(),
                LockInfo::current("deploy", None),
                lock.lease,
                Duration::ZERO,
            )
            .await
            .unwrap();
        let ran = Mutex::new(false);
        let error = under_service_lock(
            &lock,
            &target(),
            LockInfo::current("scale", None),
            Duration::ZERO,
            Arc::new(Recorder::default()),
            |_lease| async {
                *ran.lock().unwrap() = true;
                Ok(())
            },
        )
        .await
        .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::LOCK_NOT_ACQUIRED);
        assert!(!*ran.lock().unwrap());
        holder.release().await.unwrap();
    }

    /// A memory store that answers "no such table" until it is created.
    #[derive(Debug, Default)]
    struct TableToCreate {
        inner: MemoryLockStore,
        created: std::sync::atomic::AtomicBool,
    }

    impl LockStore for TableToCreate {
        fn describe(&self) -> String {
            "a table to create".into()
        }
        fn create_or_take_expired<'a>(
            &'a self,
            lease: &'a NewLease,
            now: i64,
        ) -> StoreFuture<'a, StoreOutcome> {
            if !self.created.load(std::sync::atomic::Ordering::SeqCst) {
                return Box::pin(async {
                    Err(LockError::StoreMissing(
                        "UpdateItem failed: ResourceNotFoundException".into(),
                    ))
                });
            }
            self.inner.create_or_take_expired(lease, now)
        }
        fn renew<'a>(&'a self, id: &'a str, owner: &'a str, at: i64) -> StoreFuture<'a, bool> {
            self.inner.renew(id, owner, at)
        }
        fn release<'a>(&'a self, id: &'a str, owner: &'a str) -> StoreFuture<'a, bool> {
            self.inner.release(id, owner)
        }
        fn read<'a>(&'a self, id: &'a str) -> StoreFuture<'a, Option<LockRecord>> {
            self.inner.read(id)
        }
        fn force_release<'a>(
            &'a self,
            id: &'a str,
            owner: Option<&'a str>,
        ) -> StoreFuture<'a, LockRecord> {
            self.inner.force_release(id, owner)
        }
    }

    /// The default table costs its creation once, on the first acquisition that finds it
    /// missing; later acquisitions try the store and never create again (issue 17 §1).
    #[tokio::test]
    async fn the_default_table_is_created_only_when_the_store_says_it_is_missing() {
        let table = Arc::new(TableToCreate::default());
        let creations = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let create: CreateStore = {
            let (table, creations) = (Arc::clone(&table), Arc::clone(&creations));
            Arc::new(move || {
                let (table, creations) = (Arc::clone(&table), Arc::clone(&creations));
                Box::pin(async move {
                    creations.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    table
                        .created
                        .store(true, std::sync::atomic::Ordering::SeqCst);
                    Ok(())
                })
            })
        };
        let lock = LockSetup {
            store: Arc::new(CreatedOnFirstUse {
                inner: table.clone(),
                create,
            }),
            lease: Duration::from_secs(30),
        };
        for _ in 0..3 {
            let guard = lock
                .locker(Arc::new(Recorder::default()))
                .acquire(
                    &target().lock_id(),
                    LockInfo::current("deploy", None),
                    lock.lease,
                    Duration::ZERO,
                )
                .await
                .unwrap();
            guard.release().await.unwrap();
        }
        assert_eq!(creations.load(std::sync::atomic::Ordering::SeqCst), 1);
    }
}
