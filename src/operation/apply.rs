//! Applying a sealed plan to its services (ARCHITECTURE.md §5): every service's lock is taken
//! first, in lock-id order, so that two runners with overlapping service sets cannot deadlock
//! (one waits for the other as a whole); then the services are applied `parallelism` at a time,
//! each stopping on its own lost lease; then every lock is released — on success, failure,
//! SIGINT and SIGTERM alike. A failure of one service is reported and does not stop the others.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::lock::LockSetup;
use crate::apply::{ApplyEvent, PolicyGate, Reporter, WaitOptions, apply_section};
use crate::aws::ecs::EcsApi;
use crate::error::Error;
use crate::lock::{HoldOutcome, LeaseHandle, LockInfo, hold_all_until_signal_or};
use crate::plan::{Plan, ServicePlan};

/// How apply-like commands execute: lock wait, rollout wait, progress.
pub(crate) struct Execution {
    pub(crate) lock_timeout: Duration,
    /// How many services are applied at once.
    pub(crate) parallelism: usize,
    /// `None`: `--no-wait`.
    pub(crate) wait: Option<WaitOptions>,
    pub(crate) reporter: Arc<dyn Reporter>,
    /// The policies evaluated again under the lock before each service's actions; `None`: none
    /// configured.
    pub(crate) policy: Option<Arc<dyn PolicyGate>>,
}

/// Executes a sealed plan under the locks of its services (`operation` names the holder's
/// work in the lock record: apply, deploy, rollback, scale).
pub(crate) async fn apply_plan(
    plan: &Plan,
    ecs: &impl EcsApi,
    lock: &LockSetup,
    execution: &Execution,
    operation: &str,
) -> Result<(), Error> {
    let locker = lock.locker(Arc::clone(&execution.reporter));
    let mut sections: Vec<&ServicePlan> = plan.services.iter().collect();
    sections.sort_by_key(|section| section.target.lock_id());

    let mut guards = Vec::with_capacity(sections.len());
    for section in &sections {
        let acquired = locker
            .acquire(
                &section.target.lock_id(),
                LockInfo::current(operation, Some(plan.plan_id.clone())),
                lock.lease,
                execution.lock_timeout,
            )
            .await;
        match acquired {
            Ok(guard) => guards.push(guard),
            Err(error) => {
                for guard in guards {
                    let lock_id = guard.lease().lock_id().to_owned();
                    if let Err(release) = guard.release().await {
                        execution.reporter.report(ApplyEvent::ReleaseFailed {
                            lock_id,
                            error: release.to_string(),
                        });
                    }
                }
                return Err(error.into());
            }
        }
    }
    let leases: Vec<LeaseHandle> = guards.iter().map(|guard| guard.lease()).collect();
    let work = futures_util::stream::iter(sections.iter().zip(&leases))
        .map(|(section, lease)| async move {
            tokio::select! {
                result = apply_section(
                    ecs,
                    &plan.plan_id,
                    section,
                    lease,
                    execution.wait.as_ref(),
                    execution.reporter.as_ref(),
                    execution.policy.as_deref(),
                ) => result.map_err(Error::from),
                error = lease.lost() => Err(Error::from(error)),
            }
        })
        .buffer_unordered(execution.parallelism.max(1))
        .collect::<Vec<Result<_, Error>>>();
    let held = hold_all_until_signal_or(guards, false, work).await;
    for (release, lease) in held.releases.iter().zip(&leases) {
        if let Err(error) = release {
            execution.reporter.report(ApplyEvent::ReleaseFailed {
                lock_id: lease.lock_id().to_owned(),
                error: error.to_string(),
            });
        }
    }
    match held.outcome {
        HoldOutcome::Completed(results) => {
            let mut errors: Vec<Error> = results.into_iter().filter_map(Result::err).collect();
            match errors.len() {
                0 => Ok(()),
                1 => Err(errors.remove(0)),
                _ => Err(Error::Many(errors)),
            }
        }
        HoldOutcome::Interrupted(signal) => Err(Error::Interrupted(signal)),
        HoldOutcome::LeaseLost(error) => Err(error.into()),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use serde_json::json;

    use super::*;
    use crate::apply::{APPLIED_PLAN_TAG, WaitUntil};
    use crate::aws::ecs_memory::MemoryEcs;
    use crate::aws::servicediscovery::NoLookup;
    use crate::exit_code;
    use crate::live::RevisionChoice;
    use crate::lock::memory::MemoryLockStore;
    use crate::lock::{LockStore, Locker};
    use crate::operation::compute_plan;
    use crate::plan::{PlanOptions, PlanRequest, Target};

    #[derive(Default)]
    struct Recorder(Mutex<Vec<ApplyEvent>>);

    impl Reporter for Recorder {
        fn report(&self, event: ApplyEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    fn target(service: &str) -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: service.into(),
        }
    }

    fn request(service: &str, image: &str) -> PlanRequest {
        PlanRequest {
            target: target(service),
            task_definition: MemoryEcs::task_definition_document(service, image),
            service: Some(json!({"serviceName": service, "desiredCount": 1})),
            ownership: None,
        }
    }

    async fn plan(ecs: &MemoryEcs, requests: &[PlanRequest]) -> Plan {
        compute_plan(
            ecs,
            &NoLookup,
            requests,
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            None,
        )
        .await
        .unwrap()
    }

    fn lock(store: &Arc<MemoryLockStore>) -> LockSetup {
        LockSetup {
            store: Arc::clone(store) as Arc<dyn LockStore>,
            lease: Duration::from_secs(30),
        }
    }

    fn execution(wait: bool) -> (Execution, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let execution = Execution {
            lock_timeout: Duration::ZERO,
            parallelism: 2,
            wait: wait.then(|| WaitOptions {
                until: WaitUntil::Deployed,
                timeout: Duration::from_secs(5),
                poll_interval: Duration::from_millis(1),
            }),
            reporter: recorder.clone(),
            policy: None,
        };
        (execution, recorder)
    }

    async fn locked(store: &Arc<MemoryLockStore>, service: &str) -> bool {
        Locker::new(Arc::clone(store) as Arc<dyn LockStore>)
            .status(&target(service).lock_id())
            .await
            .unwrap()
            .is_some()
    }

    #[tokio::test]
    async fn a_plan_is_applied_in_order_waited_for_recorded_and_every_lock_released() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let plan = plan(
            &ecs,
            &[request("api", "nginx:2"), request("worker", "busybox:1")],
        )
        .await;
        let store = Arc::new(MemoryLockStore::new());
        let (mut execution, recorder) = execution(true);
        // One at a time, so that the order of calls across services is fixed: lock-id order.
        execution.parallelism = 1;
        apply_plan(&plan, &ecs, &lock(&store), &execution, "apply")
            .await
            .unwrap();

        // Per service, the plan's order: register, then update or create, then — after the
        // rollout was waited for — the plan-id tag.
        assert_eq!(
            ecs.mutating_calls(),
            [
                "RegisterTaskDefinition",
                "UpdateService",
                "TagResource",
                "RegisterTaskDefinition",
                "CreateService",
                "TagResource",
            ]
        );
        let api = ecs.service_document("web", "api").unwrap();
        assert!(
            api["tags"]
                .as_array()
                .unwrap()
                .iter()
                .any(|tag| tag["key"] == APPLIED_PLAN_TAG && tag["value"] == plan.plan_id.as_str()),
            "{api}"
        );
        assert!(api["taskDefinition"].as_str().unwrap().ends_with("api:2"));
        let completed = recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .filter(|event| matches!(event, ApplyEvent::RolloutCompleted { .. }))
            .count();
        assert_eq!(completed, 2, "both rollouts waited for");
        assert!(!locked(&store, "api").await && !locked(&store, "worker").await);
    }

    #[tokio::test]
    async fn the_same_plan_applied_twice_is_refused_with_exit_4() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let plan = plan(&ecs, &[request("api", "nginx:2")]).await;
        let store = Arc::new(MemoryLockStore::new());
        let (execution, _) = execution(false);
        apply_plan(&plan, &ecs, &lock(&store), &execution, "apply")
            .await
            .unwrap();
        let mutations = ecs.mutating_calls().len();
        let error = apply_plan(&plan, &ecs, &lock(&store), &execution, "apply")
            .await
            .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED, "{error}");
        assert!(error.to_string().contains("was already applied"), "{error}");
        assert_eq!(ecs.mutating_calls().len(), mutations, "nothing sent");
        assert!(!locked(&store, "api").await);
    }

    #[tokio::test]
    async fn a_plan_made_before_another_deploy_is_stale_and_changes_nothing() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let plan = plan(&ecs, &[request("api", "nginx:2")]).await;
        // Someone else deploys in between.
        ecs.deploy_service("web", "api", "nginx:3", 1);
        let mutations = ecs.mutating_calls().len();
        let store = Arc::new(MemoryLockStore::new());
        let (execution, _) = execution(false);
        let error = apply_plan(&plan, &ecs, &lock(&store), &execution, "apply")
            .await
            .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED);
        assert!(error.to_string().contains("the plan is stale"), "{error}");
        assert_eq!(ecs.mutating_calls().len(), mutations);
        assert!(!locked(&store, "api").await);
    }

    #[tokio::test]
    async fn a_held_lock_of_one_service_releases_the_others_and_changes_nothing() {
        let ecs = MemoryEcs::new();
        let plan = plan(
            &ecs,
            &[request("api", "nginx:1"), request("worker", "busybox:1")],
        )
        .await;
        let store = Arc::new(MemoryLockStore::new());
        let holder = Locker::new(Arc::clone(&store) as Arc<dyn LockStore>)
            .acquire(
                &target("worker").lock_id(),
                crate::lock::LockInfo::current("deploy", None),
                Duration::from_secs(30),
                Duration::ZERO,
            )
            .await
            .unwrap();
        let (execution, _) = execution(false);
        let error = apply_plan(&plan, &ecs, &lock(&store), &execution, "apply")
            .await
            .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::LOCK_NOT_ACQUIRED);
        assert!(ecs.mutating_calls().is_empty());
        assert!(
            !locked(&store, "api").await,
            "the lock taken first is released"
        );
        holder.release().await.unwrap();
    }

    /// Lock invariant 1: the lease is checked before every mutating call. The lock is taken
    /// over while the registration is in flight; the holder learns it at its next renewal
    /// (lease/3 later, on the paused clock) and sends no UpdateService.
    #[tokio::test(start_paused = true)]
    async fn a_lease_lost_between_two_calls_stops_before_the_next_mutating_call() {
        let ecs = Arc::new(MemoryEcs::new());
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let plan = plan(&ecs, &[request("api", "nginx:2")]).await;
        let store = Arc::new(MemoryLockStore::new());
        let gate = ecs.gate("RegisterTaskDefinition");
        let (execution, _) = execution(false);
        let lock_setup = lock(&store);
        let applying = apply_plan(&plan, ecs.as_ref(), &lock_setup, &execution, "apply");
        let take_over = async {
            gate.reached.await.unwrap();
            let locker = Locker::new(Arc::clone(&store) as Arc<dyn LockStore>);
            let record = locker
                .status(&target("api").lock_id())
                .await
                .unwrap()
                .unwrap();
            locker
                .force_release(&target("api").lock_id(), &record.info.id)
                .await
                .unwrap();
            let thief = locker
                .acquire(
                    &target("api").lock_id(),
                    crate::lock::LockInfo::current("deploy", None),
                    Duration::from_secs(30),
                    Duration::ZERO,
                )
                .await
                .unwrap();
            tokio::time::sleep(Duration::from_secs(11)).await;
            // By now the holder's renewal was refused and its work cancelled (the gate's other
            // end is gone with it); if it were still waiting, it would go on from here.
            let _ = gate.resume.send(());
            thief
        };
        let (result, _thief) = tokio::join!(applying, take_over);
        let error = result.unwrap_err();
        assert_eq!(error.exit_code(), exit_code::ERROR, "{error}");
        assert!(
            error.to_string().contains("lost the deploy lock"),
            "{error}"
        );
        assert_eq!(
            ecs.mutating_calls(),
            ["RegisterTaskDefinition"],
            "no UpdateService without a valid lease"
        );
    }
}
