//! Applying a sealed plan to its services (ARCHITECTURE.md §5): every service's lock is taken
//! first, in lock-id order, so that two runners with overlapping service sets cannot deadlock
//! (one waits for the other as a whole); then the services are applied `parallelism` at a time,
//! each stopping on its own lost lease; then every lock is released — on success, failure,
//! SIGINT and SIGTERM alike. A failure of one service is reported and does not stop the others.
//!
//! Two ways in. A plan made before the locks were taken (a plan file, or a plan a person
//! confirmed) is checked again under them: stale or applied plans are refused
//! ([`apply_plan`], [`apply_confirmed_plan`]). A one-step command plans *under* the locks
//! ([`plan_and_apply`]): queued runners each plan after the previous holder has finished, and
//! the plan needs neither a second read of the live state nor a recorded plan id, since
//! nothing but its own holder can change the services in between.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;

use super::lock::LockSetup;
use super::plan::Planned;
use crate::apply::{ApplyEvent, Basis, PolicyGate, Reporter, WaitOptions, apply_section};
use crate::aws::ecs::EcsApi;
use crate::error::Error;
use crate::lock::{
    HeldAll, HoldOutcome, LeaseHandle, LockGuard, LockInfo, hold_all_until_signal_or,
};
use crate::plan::{Plan, ServicePlan, Target};

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

/// Executes a sealed plan file under the locks of its services (`operation` names the
/// holder's work in the lock record: apply, deploy, rollback, scale): refused when stale or
/// applied already, and its id recorded on each service it changed.
pub(crate) async fn apply_plan(
    plan: &Plan,
    ecs: &impl EcsApi,
    lock: &LockSetup,
    execution: &Execution,
    operation: &str,
) -> Result<(), Error> {
    apply_made_before_the_lock(plan, ecs, lock, execution, operation, true).await
}

/// Executes a plan a person confirmed before the locks were taken: refused when stale, like a
/// plan file, but never saved, so there is no id to record.
pub(crate) async fn apply_confirmed_plan(
    plan: &Plan,
    ecs: &impl EcsApi,
    lock: &LockSetup,
    execution: &Execution,
    operation: &str,
) -> Result<(), Error> {
    apply_made_before_the_lock(plan, ecs, lock, execution, operation, false).await
}

async fn apply_made_before_the_lock(
    plan: &Plan,
    ecs: &impl EcsApi,
    lock: &LockSetup,
    execution: &Execution,
    operation: &str,
    record: bool,
) -> Result<(), Error> {
    let targets: Vec<Target> = plan
        .services
        .iter()
        .map(|section| section.target.clone())
        .collect();
    let info = LockInfo::current(operation, Some(plan.plan_id.clone()));
    let guards = acquire_all(lock, execution, &targets, &info).await?;
    let leases = leases_by_lock_id(&guards);
    let basis = Basis::Recheck {
        plan_id: &plan.plan_id,
        record,
    };
    let sections: Vec<(&ServicePlan, Basis<'_>)> = plan
        .services
        .iter()
        .map(|section| (section, basis))
        .collect();
    let work = apply_sections(ecs, sections, &leases, execution);
    let held = hold_all_until_signal_or(guards, false, work).await;
    finish(held, &leases, execution)
}

/// Takes the locks of `targets`, then — under them — plans with `make_plan`, shows the plan
/// with `review`, and applies it, each service from the live state it was planned from. The
/// plan is returned (with no changes, nothing was sent). The locks are released however it
/// ends. `make_plan` must plan exactly `targets`.
pub(crate) async fn plan_and_apply(
    ecs: &impl EcsApi,
    lock: &LockSetup,
    execution: &Execution,
    operation: &str,
    targets: &[Target],
    make_plan: impl AsyncFnOnce() -> Result<Planned, Error>,
    review: impl FnOnce(&Plan),
) -> Result<Plan, Error> {
    let info = LockInfo::current(operation, None);
    let guards = acquire_all(lock, execution, targets, &info).await?;
    let leases = leases_by_lock_id(&guards);
    let work = async {
        // Planning changes nothing, but a holder that lost its lease stops at once.
        let planned = tokio::select! {
            planned = make_plan() => planned?,
            error = any_lease_lost(&leases) => return Err(error.into()),
        };
        if let Some(section) = planned
            .plan
            .services
            .iter()
            .find(|section| !leases.contains_key(&section.target.lock_id()))
        {
            return Err(Error::failed(
                format!(
                    "{}: planned without holding its lock (a bug: please report it)",
                    section.target
                ),
                None,
            ));
        }
        review(&planned.plan);
        // A plan the policies deny is shown, then refused (exit 6), before anything changes.
        if let Some(error) = super::policy::refusal(&planned.plan) {
            return Err(error);
        }
        if planned.plan.has_changes() {
            let sections: Vec<(&ServicePlan, Basis<'_>)> = planned
                .plan
                .services
                .iter()
                .zip(&planned.live)
                .map(|(section, live)| (section, Basis::PlannedUnderLease(live)))
                .collect();
            apply_sections(ecs, sections, &leases, execution).await?;
        }
        Ok(planned.plan)
    };
    let held = hold_all_until_signal_or(guards, false, work).await;
    finish(held, &leases, execution)
}

/// Takes the lock of every target in lock-id order (so that runners with overlapping sets
/// queue instead of deadlocking); when one cannot be taken, releases those already held.
async fn acquire_all(
    lock: &LockSetup,
    execution: &Execution,
    targets: &[Target],
    info: &LockInfo,
) -> Result<Vec<LockGuard>, Error> {
    let locker = lock.locker(Arc::clone(&execution.reporter));
    let mut lock_ids: Vec<String> = targets.iter().map(Target::lock_id).collect();
    lock_ids.sort();
    lock_ids.dedup();
    let mut guards = Vec::with_capacity(lock_ids.len());
    for lock_id in &lock_ids {
        match locker
            .acquire(lock_id, info.clone(), lock.lease, execution.lock_timeout)
            .await
        {
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
    Ok(guards)
}

/// Completes when one of the leases is lost (never, without leases).
async fn any_lease_lost(leases: &BTreeMap<String, LeaseHandle>) -> crate::lock::LockError {
    if leases.is_empty() {
        return std::future::pending().await;
    }
    futures_util::future::select_all(leases.values().map(|lease| Box::pin(lease.lost())))
        .await
        .0
}

fn leases_by_lock_id(guards: &[LockGuard]) -> BTreeMap<String, LeaseHandle> {
    guards
        .iter()
        .map(|guard| (guard.lock_id().to_owned(), guard.lease()))
        .collect()
}

/// Applies the sections `parallelism` at a time, in lock-id order, each under its own lease
/// and stopping as soon as that lease is lost (the call in flight is abandoned). One error is
/// returned as it is, several as `Error::Many`.
async fn apply_sections(
    ecs: &impl EcsApi,
    mut sections: Vec<(&ServicePlan, Basis<'_>)>,
    leases: &BTreeMap<String, LeaseHandle>,
    execution: &Execution,
) -> Result<(), Error> {
    sections.sort_by_key(|(section, _)| section.target.lock_id());
    let results = futures_util::stream::iter(sections)
        .map(|(section, basis)| async move {
            let lease = leases
                .get(&section.target.lock_id())
                .expect("every section's lock is held");
            tokio::select! {
                result = apply_section(
                    ecs,
                    section,
                    basis,
                    lease,
                    execution.wait.as_ref(),
                    execution.reporter.as_ref(),
                    execution.policy.as_deref(),
                ) => result.map(|_| ()).map_err(Error::from),
                error = lease.lost() => Err(Error::from(error)),
            }
        })
        .buffer_unordered(execution.parallelism.max(1))
        .collect::<Vec<Result<(), Error>>>()
        .await;
    let mut errors: Vec<Error> = results.into_iter().filter_map(Result::err).collect();
    match errors.len() {
        0 => Ok(()),
        1 => Err(errors.remove(0)),
        _ => Err(Error::Many(errors)),
    }
}

/// Reports the releases that failed (their leases expire by themselves) and turns how the
/// work under the locks ended into the result.
fn finish<T>(
    held: HeldAll<Result<T, Error>>,
    leases: &BTreeMap<String, LeaseHandle>,
    execution: &Execution,
) -> Result<T, Error> {
    for (release, lock_id) in held.releases.iter().zip(leases.keys()) {
        if let Err(error) = release {
            execution.reporter.report(ApplyEvent::ReleaseFailed {
                lock_id: lock_id.clone(),
                error: error.to_string(),
            });
        }
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

    use serde_json::json;

    use super::*;
    use crate::apply::{APPLIED_PLAN_TAG, WaitUntil};
    use crate::aws::ecs::ServiceUpdate;
    use crate::aws::ecs_memory::MemoryEcs;
    use crate::aws::servicediscovery::NoLookup;
    use crate::exit_code;
    use crate::live::RevisionChoice;
    use crate::lock::memory::MemoryLockStore;
    use crate::lock::{LockStore, Locker};
    use crate::operation::{compute_plan, compute_plan_and_live};
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

    async fn deploy(
        ecs: &MemoryEcs,
        store: &Arc<MemoryLockStore>,
        execution: &Execution,
        image: &str,
    ) -> Result<Plan, Error> {
        let requests = [request("api", image)];
        plan_and_apply(
            ecs,
            &lock(store),
            execution,
            "deploy",
            &[target("api")],
            async || {
                compute_plan_and_live(
                    ecs,
                    &NoLookup,
                    &requests,
                    &PlanOptions::default(),
                    RevisionChoice::FromFile,
                    None,
                )
                .await
            },
            |_| {},
        )
        .await
    }

    /// Issue 17 §1: a one-step deploy plans under the lock it holds, so it reads the live state
    /// once (no second read before acting) and records no plan id.
    #[tokio::test]
    async fn a_one_step_deploy_reads_the_live_state_once_and_tags_nothing() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let store = Arc::new(MemoryLockStore::new());
        let (execution, _) = execution(false);
        let plan = deploy(&ecs, &store, &execution, "nginx:2").await.unwrap();
        assert!(plan.has_changes());
        assert_eq!(
            ecs.calls(),
            [
                "DescribeServices",
                "DescribeTaskDefinition",
                "RegisterTaskDefinition",
                "UpdateService",
            ]
        );
        let api = ecs.service_document("web", "api").unwrap();
        assert!(api["taskDefinition"].as_str().unwrap().ends_with("api:2"));
        assert!(
            !api.to_string().contains(APPLIED_PLAN_TAG),
            "no plan id recorded: {api}"
        );
        assert!(!locked(&store, "api").await);
    }

    /// Issue 16 §1: one-step deploys queued behind a holder whose rollout is in progress each
    /// plan after the previous one finished, so none is refused as stale, and the service ends
    /// on the last one's image.
    #[tokio::test(start_paused = true)]
    async fn queued_one_step_deploys_each_plan_after_the_previous_holder_finished() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        ecs.set_rollout_steps(3);
        // A rollout in progress (a `deploy --no-wait` before): two deployments.
        ecs.register("api", "nginx:0");
        ecs.update_service(
            "web",
            "api",
            &ServiceUpdate {
                task_definition: Some("api:2".into()),
                fields: Default::default(),
                force_new_deployment: false,
            },
        )
        .await
        .unwrap();
        let store = Arc::new(MemoryLockStore::new());
        let (mut execution, recorder) = execution(true);
        execution.lock_timeout = Duration::from_secs(600);
        let gate = ecs.gate("RegisterTaskDefinition");
        let first = deploy(&ecs, &store, &execution, "nginx:a");
        let second = async {
            // Queued while the first holds the lock, mid-deploy.
            let mut reached = gate.reached;
            (&mut reached).await.unwrap();
            let queued = deploy(&ecs, &store, &execution, "nginx:b");
            let release_first = async {
                tokio::time::sleep(Duration::from_secs(2)).await;
                gate.resume.send(()).unwrap();
            };
            tokio::join!(queued, release_first).0
        };
        let (first, second) = tokio::join!(first, second);
        first.unwrap();
        second.unwrap();
        let mutations = ecs.mutating_calls();
        assert_eq!(
            mutations,
            [
                "UpdateService",
                "RegisterTaskDefinition",
                "UpdateService",
                "RegisterTaskDefinition",
                "UpdateService",
            ],
            "the second deploy acted only after the first finished"
        );
        let api = ecs.service_document("web", "api").unwrap();
        assert!(api["taskDefinition"].as_str().unwrap().ends_with("api:4"));
        let waited = recorder.0.lock().unwrap().iter().any(|event| {
            matches!(
                event,
                ApplyEvent::Lock(crate::lock::LockEvent::Waiting { .. })
            )
        });
        assert!(waited, "the second deploy queued for the lock");
        assert!(!locked(&store, "api").await);
    }

    /// A saved plan made while a rollout was running still applies once that rollout has
    /// finished: deployments that ended do not make a plan stale (plan invariants).
    #[tokio::test]
    async fn a_saved_plan_made_during_a_rollout_applies_after_the_rollout_finished() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        ecs.set_rollout_steps(3);
        ecs.register("api", "nginx:2");
        ecs.update_service(
            "web",
            "api",
            &ServiceUpdate {
                task_definition: Some("api:2".into()),
                fields: Default::default(),
                force_new_deployment: false,
            },
        )
        .await
        .unwrap();
        let plan = plan(&ecs, &[request("api", "nginx:3")]).await;
        assert_eq!(
            plan.services[0].base.deployment_ids.len(),
            2,
            "planned mid-rollout"
        );
        // The rollout finishes.
        for _ in 0..3 {
            ecs.describe_service("web", "api").await.unwrap();
        }
        let live = ecs.service_document("web", "api").unwrap();
        assert_eq!(live["deployments"].as_array().unwrap().len(), 1, "{live}");
        let store = Arc::new(MemoryLockStore::new());
        let (execution, _) = execution(false);
        apply_plan(&plan, &ecs, &lock(&store), &execution, "apply")
            .await
            .unwrap();
        let api = ecs.service_document("web", "api").unwrap();
        assert!(api["taskDefinition"].as_str().unwrap().ends_with("api:3"));
    }

    fn update_to(ecs: &MemoryEcs, revision: &str) -> impl std::future::Future<Output = ()> {
        let update = ServiceUpdate {
            task_definition: Some(revision.to_owned()),
            fields: Default::default(),
            force_new_deployment: false,
        };
        async move {
            ecs.update_service("web", "api", &update).await.unwrap();
        }
    }

    /// Issue 16 §3: a holder whose lease was taken over (by a runner whose clock was far
    /// ahead, as in the issue) and whose deployment was replaced says that its lock was taken
    /// over — never that its deployment was rolled back.
    #[tokio::test]
    async fn a_deployment_replaced_by_a_runner_that_took_the_lock_over_says_so() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        ecs.set_rollout_steps(1_000);
        let store = Arc::new(MemoryLockStore::new());
        let (mut execution, _) = execution(true);
        execution.wait.as_mut().unwrap().poll_interval = Duration::from_millis(20);
        let gate = ecs.gate("UpdateService");
        let holder = deploy(&ecs, &store, &execution, "nginx:2");
        let thief = async {
            gate.reached.await.unwrap();
            let _ = gate.resume.send(());
            // The skewed runner: its clock an hour ahead, so the live lease looks expired.
            let guard = Locker::new(Arc::clone(&store) as Arc<dyn LockStore>)
                .with_clock(Arc::new(crate::lock::OffsetClock {
                    inner: Arc::new(crate::lock::SystemClock),
                    offset_seconds: 3600,
                }))
                .ignoring_server_clock()
                .acquire(
                    &target("api").lock_id(),
                    crate::lock::LockInfo::current("deploy", None),
                    Duration::from_secs(30),
                    Duration::ZERO,
                )
                .await
                .unwrap();
            ecs.register("api", "nginx:3");
            update_to(&ecs, "api:3").await;
            guard
        };
        let (result, thief) = tokio::join!(holder, thief);
        let error = result.unwrap_err();
        let text = error.to_string();
        assert_eq!(error.exit_code(), exit_code::ERROR, "{text}");
        assert!(
            text.contains("lost the deploy lock") && text.contains("taken over by"),
            "{text}"
        );
        assert!(!text.contains("rolled back"), "{text}");
        thief.release().await.unwrap();
    }

    /// A deployment replaced while the holder keeps its lease (someone deployed outside
    /// ristretto) is reported as superseded, exit 5, not as a rollback.
    #[tokio::test]
    async fn a_deployment_replaced_outside_ristretto_is_superseded_not_rolled_back() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        ecs.set_rollout_steps(1_000);
        let store = Arc::new(MemoryLockStore::new());
        let (mut execution, _) = execution(true);
        execution.wait.as_mut().unwrap().poll_interval = Duration::from_millis(20);
        let gate = ecs.gate("UpdateService");
        let holder = deploy(&ecs, &store, &execution, "nginx:2");
        let console = async {
            gate.reached.await.unwrap();
            let _ = gate.resume.send(());
            ecs.register("api", "nginx:3");
            update_to(&ecs, "api:3").await;
        };
        let (result, ()) = tokio::join!(holder, console);
        let error = result.unwrap_err();
        let text = error.to_string();
        assert_eq!(error.exit_code(), exit_code::DEPLOYMENT_FAILED, "{text}");
        assert!(text.contains("the deployment was superseded"), "{text}");
        assert!(text.contains("now runs api:3"), "{text}");
        assert!(!locked(&store, "api").await);
    }

    /// The circuit breaker's rollback is still a rollback (exit 5).
    #[tokio::test]
    async fn a_circuit_breaker_rollback_is_reported_as_a_rollback() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let store = Arc::new(MemoryLockStore::new());
        let (execution, _) = execution(true);
        let error = deploy(&ecs, &store, &execution, "nginx:fail")
            .await
            .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::DEPLOYMENT_FAILED);
        assert!(
            error.to_string().contains("the deployment was rolled back"),
            "{error}"
        );
    }
}
