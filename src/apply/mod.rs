//! Executing a plan (ARCHITECTURE.md §5), one service section at a time, under a lease the caller
//! holds: re-read the live state, refuse a stale or already applied plan, run the actions in
//! order — checking the lease before every mutating call — wait for the rollout, and record the
//! plan id on the service. Progress is reported as `ApplyEvent`s to a `Reporter`; nothing here
//! prints, takes the lock, or decides exit codes.

pub(crate) mod wait;

use std::collections::HashSet;
use std::time::Duration;

use crate::aws::AwsError;
use crate::aws::ecs::{Deployment, EcsApi, ServiceUpdate, Tag, task_definition_short_name};
use crate::live::{self, LiveError, RevisionChoice};
use crate::lock::{LeaseHandle, LockError, LockEvent};
use crate::normalize::RISTRETTO_TAG_PREFIX;
use crate::plan::{self, Action, LiveState, ServicePlan, Target, TaskDefinitionRef};
use crate::policy::{Finding, PolicyError};

pub(crate) use wait::{WaitOptions, WaitUntil};

/// The service tag that records the id of the last plan applied to a service, so that applying
/// the same plan twice is refused. `ristretto:` tags are never compared or removed by a plan.
pub(crate) const APPLIED_PLAN_TAG: &str = "ristretto:plan-id";

/// One deployment as progress lines show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeploymentProgress {
    pub id: String,
    pub status: String,
    pub task_definition: String,
    pub desired: i64,
    pub running: i64,
    pub pending: i64,
    pub failed: i64,
    pub rollout_state: Option<String>,
}

impl From<&Deployment> for DeploymentProgress {
    fn from(deployment: &Deployment) -> Self {
        Self {
            id: deployment.id.clone(),
            status: deployment.status.clone(),
            task_definition: task_definition_short_name(&deployment.task_definition).to_owned(),
            desired: deployment.desired_count,
            running: deployment.running_count,
            pending: deployment.pending_count,
            failed: deployment.failed_tasks,
            rollout_state: deployment.rollout_state.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ApplyEvent {
    Lock(LockEvent),
    /// The default lock table did not exist and was created (a config without `lock`).
    LockTableCreated {
        table: String,
    },
    /// Releasing a lock failed; its lease expires by itself.
    ReleaseFailed {
        lock_id: String,
        error: String,
    },
    /// The live state matches the plan's base: it is safe to go on.
    PlanCurrent {
        target: Target,
    },
    TaskDefinitionRegistered {
        target: Target,
        arn: String,
    },
    ServiceCreated {
        target: Target,
        arn: String,
    },
    ServiceUpdated {
        target: Target,
        task_definition: Option<String>,
        fields: Vec<String>,
        force_new_deployment: bool,
    },
    TagsChanged {
        target: Target,
        set: Vec<String>,
        removed: Vec<String>,
    },
    NothingToDo {
        target: Target,
    },
    ServiceEvent {
        target: Target,
        created_at: String,
        message: String,
    },
    DeploymentProgress {
        target: Target,
        deployments: Vec<DeploymentProgress>,
    },
    RolloutCompleted {
        target: Target,
        elapsed: Duration,
    },
    /// `--no-wait`: the rollout goes on without us.
    NotWaiting {
        target: Target,
    },
    /// A `warn` rule found something under the lock that the plan did not show.
    PolicyWarning {
        target: Target,
        finding: Finding,
    },
}

/// Receives progress; `output` implements it for people (stderr) and machines (JSON lines).
pub(crate) trait Reporter: Send + Sync {
    fn report(&self, event: ApplyEvent);
}

/// The plan's policies, evaluated again for one section under the lock against the live state
/// re-read there (ARCHITECTURE.md §5); `operation` implements it with the policy set.
pub(crate) trait PolicyGate: Send + Sync {
    /// The warnings found now that the plan did not show; a denial is `ApplyError::PolicyDenied`.
    // ApplyError is large (its Superseded and RolledBack variants carry the events), as
    // `apply_section`'s own result is; it is boxed when it becomes the top-level `Error`, and
    // this is called once per service.
    #[allow(clippy::result_large_err)]
    fn check(&self, section: &ServicePlan, live: &LiveState) -> Result<Vec<Finding>, ApplyError>;
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ApplyError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error("{target}: the plan is stale: the live service changed since it was planned:\n{}", differences.iter().map(|line| format!("  {line}")).collect::<Vec<_>>().join("\n"))]
    Stale {
        target: Target,
        differences: Vec<String>,
    },
    #[error("{target}: plan {plan_id} was already applied")]
    AlreadyApplied { target: Target, plan_id: String },
    #[error(
        "{target}: the deployment was rolled back: the service runs {running} again{}",
        format_events(events)
    )]
    RolledBack {
        target: Target,
        running: String,
        events: Vec<String>,
    },
    #[error("{target}: the deployment failed: {reason}{}", format_events(events))]
    DeploymentFailed {
        target: Target,
        reason: String,
        events: Vec<String>,
    },
    #[error("{target}: the deployment did not complete within {}{}", crate::config::duration::format(*timeout), format_events(events))]
    Timeout {
        target: Target,
        timeout: Duration,
        events: Vec<String>,
    },
    #[error("{target}: the service disappeared while waiting for its rollout")]
    ServiceGone { target: Target },
    /// Another deployment replaced ours mid-rollout, and it was not the circuit breaker.
    #[error(
        "{target}: the deployment was superseded: deployment {deployment} (not a rollback) now runs {running}{}",
        format_events(events)
    )]
    Superseded {
        target: Target,
        running: String,
        deployment: String,
        events: Vec<String>,
    },
    #[error(transparent)]
    Policy(#[from] PolicyError),
    #[error(
        "{target}: refused by policy under the lock, with the live service as it is now:\n{}",
        crate::policy::finding_lines(findings)
    )]
    PolicyDenied {
        target: Target,
        findings: Vec<Finding>,
    },
}

fn format_events(events: &[String]) -> String {
    if events.is_empty() {
        return String::new();
    }
    let lines: Vec<String> = events.iter().map(|event| format!("  {event}")).collect();
    format!("\nlast service events:\n{}", lines.join("\n"))
}

impl ApplyError {
    /// Refusals of the plan (exit 4) and failed deployments (exit 5), apart from errors (1).
    pub(crate) fn kind(&self) -> ApplyErrorKind {
        match self {
            ApplyError::Stale { .. } | ApplyError::AlreadyApplied { .. } => ApplyErrorKind::Refused,
            ApplyError::RolledBack { .. }
            | ApplyError::DeploymentFailed { .. }
            | ApplyError::Superseded { .. }
            | ApplyError::Timeout { .. } => ApplyErrorKind::DeploymentFailed,
            ApplyError::Lock(error) if error.is_held() => ApplyErrorKind::LockHeld,
            ApplyError::PolicyDenied { .. } => ApplyErrorKind::RefusedByPolicy,
            _ => ApplyErrorKind::Error,
        }
    }

    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            ApplyError::Stale { .. } => Some(
                "plan again (ristretto plan -o FILE), review the new plan, and apply that".into(),
            ),
            ApplyError::AlreadyApplied { .. } => {
                Some("nothing to do; plan again to deploy further changes".into())
            }
            ApplyError::RolledBack { .. } | ApplyError::DeploymentFailed { .. } => Some(
                "look at the stopped tasks' reasons: aws ecs describe-tasks, or ristretto status"
                    .into(),
            ),
            ApplyError::Timeout { .. } => Some(
                "the rollout may still finish: check with ristretto status; raise --timeout or the config's timeout".into(),
            ),
            ApplyError::Aws(error) => error.hint(),
            ApplyError::Live(error) => error.hint(),
            ApplyError::Lock(error) => error.hint(),
            ApplyError::ServiceGone { .. } => None,
            ApplyError::Superseded { .. } => Some(
                "someone else deployed the service while this rollout ran (with the lock held: \
                 outside ristretto); ristretto status shows what runs"
                    .into(),
            ),
            ApplyError::Policy(error) => error.hint(),
            ApplyError::PolicyDenied { .. } => Some(crate::policy::DENIED_HINT.into()),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ApplyErrorKind {
    Error,
    LockHeld,
    Refused,
    DeploymentFailed,
    RefusedByPolicy,
}

/// What applying one section did.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct SectionOutcome {
    pub registered_task_definition: Option<String>,
    pub service_arn: Option<String>,
    pub changed: bool,
}

/// What apply knows about the live state a section's plan was computed against, which decides
/// what it checks before the first mutating call (ARCHITECTURE.md §5).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Basis<'a> {
    /// A plan made before this lease was taken (a plan file, or one a person confirmed): the
    /// live state is read again under the lease and the plan refused when it is stale. With
    /// `record`, a plan file's id is also checked against the service's `ristretto:plan-id`
    /// tag (refused when applied already) and recorded there afterwards.
    Recheck { plan_id: &'a str, record: bool },
    /// Planned under the very lease the caller holds, from this live state: nothing can have
    /// changed it but ourselves, so there is nothing to read again, and no plan id to record
    /// (the plan is never saved, so it cannot be applied twice).
    PlannedUnderLease(&'a LiveState),
}

/// Applies one service section under `lease`. `wait: None` is `--no-wait`; `policy: None`, no
/// policies.
pub(crate) async fn apply_section(
    ecs: &impl EcsApi,
    section: &ServicePlan,
    basis: Basis<'_>,
    lease: &LeaseHandle,
    wait: Option<&WaitOptions>,
    reporter: &dyn Reporter,
    policy: Option<&dyn PolicyGate>,
) -> Result<SectionOutcome, ApplyError> {
    let target = &section.target;
    let reread;
    let live = match basis {
        Basis::PlannedUnderLease(live) => live,
        Basis::Recheck { plan_id, record } => {
            reread = recheck(ecs, section, plan_id, record).await?;
            reporter.report(ApplyEvent::PlanCurrent {
                target: target.clone(),
            });
            &reread
        }
    };
    // The policies again, with the live state as it is now (a denial changes nothing).
    if let Some(policy) = policy {
        for finding in policy.check(section, live)? {
            let target = target.clone();
            reporter.report(ApplyEvent::PolicyWarning { target, finding });
        }
    }
    let seen_events: HashSet<String> = live
        .service
        .as_ref()
        .map(|service| {
            service
                .events
                .iter()
                .map(|event| event.id.clone())
                .collect()
        })
        .unwrap_or_default();

    let mut outcome = SectionOutcome {
        service_arn: live.service.as_ref().map(|service| service.arn.clone()),
        ..SectionOutcome::default()
    };
    if section.actions.is_empty() {
        reporter.report(ApplyEvent::NothingToDo {
            target: target.clone(),
        });
        return Ok(outcome);
    }

    let mut registered: Option<String> = None;
    let mut rollout_task_definition: Option<String> = None;
    let resolve = |reference: &TaskDefinitionRef, registered: &Option<String>| match reference {
        TaskDefinitionRef::Registered => registered.clone(),
        TaskDefinitionRef::Existing { arn } => Some(arn.clone()),
    };
    for action in &section.actions {
        // Invariant: never send a mutating call without a valid lease.
        lease.check_valid()?;
        match action {
            Action::RegisterTaskDefinition { .. } => {
                let task = ecs
                    .register_task_definition(&section.desired.task_definition)
                    .await?;
                reporter.report(ApplyEvent::TaskDefinitionRegistered {
                    target: target.clone(),
                    arn: task.arn.clone(),
                });
                outcome.registered_task_definition = Some(task.arn.clone());
                registered = Some(task.arn);
            }
            Action::CreateService { task_definition } => {
                let arn = resolve(task_definition, &registered).unwrap_or_default();
                let document = section.desired.service.clone().unwrap_or_default();
                let created = ecs
                    .create_service(&target.cluster, &target.service, &arn, &document)
                    .await?;
                reporter.report(ApplyEvent::ServiceCreated {
                    target: target.clone(),
                    arn: created.arn.clone(),
                });
                outcome.service_arn = Some(created.arn);
                rollout_task_definition = Some(arn);
            }
            Action::UpdateService {
                task_definition,
                fields,
                force_new_deployment,
            } => {
                let task_definition = task_definition
                    .as_ref()
                    .and_then(|reference| resolve(reference, &registered));
                let update = ServiceUpdate {
                    task_definition: task_definition.clone(),
                    fields: fields.clone(),
                    force_new_deployment: *force_new_deployment,
                };
                let updated = ecs
                    .update_service(&target.cluster, &target.service, &update)
                    .await?;
                reporter.report(ApplyEvent::ServiceUpdated {
                    target: target.clone(),
                    task_definition: task_definition.clone(),
                    fields: fields.keys().cloned().collect(),
                    force_new_deployment: *force_new_deployment,
                });
                rollout_task_definition = Some(task_definition.unwrap_or(updated.task_definition));
            }
            Action::TagService { tags } => {
                let arn = outcome.service_arn.clone().unwrap_or_default();
                ecs.tag_resource(&arn, tags).await?;
                reporter.report(ApplyEvent::TagsChanged {
                    target: target.clone(),
                    set: tags.iter().map(|tag| tag.key.clone()).collect(),
                    removed: Vec::new(),
                });
            }
            Action::UntagService { keys } => {
                let arn = outcome.service_arn.clone().unwrap_or_default();
                ecs.untag_resource(&arn, keys).await?;
                reporter.report(ApplyEvent::TagsChanged {
                    target: target.clone(),
                    set: Vec::new(),
                    removed: keys.clone(),
                });
            }
        }
    }
    outcome.changed = true;

    if let Some(expected) = &rollout_task_definition {
        match wait {
            Some(options) => {
                let waited =
                    wait::wait_for_rollout(ecs, target, expected, options, seen_events, reporter)
                        .await;
                if let Err(superseded @ ApplyError::Superseded { .. }) = waited {
                    // Replaced by someone else: if it was a runner that took our lease over,
                    // that is what to say (exit 1, the lock was lost), not a failed rollout.
                    lease.confirm().await?;
                    return Err(superseded);
                }
                waited?;
            }
            None => reporter.report(ApplyEvent::NotWaiting {
                target: target.clone(),
            }),
        }
    }

    // Record a plan file as applied, so that the same plan is never applied twice.
    if let (
        Basis::Recheck {
            plan_id,
            record: true,
        },
        Some(service_arn),
    ) = (basis, &outcome.service_arn)
    {
        lease.check_valid()?;
        ecs.tag_resource(
            service_arn,
            &[Tag {
                key: APPLIED_PLAN_TAG.to_owned(),
                value: plan_id.to_owned(),
            }],
        )
        .await?;
    }
    Ok(outcome)
}

/// Reads the live state again under the lease and refuses a section whose plan is stale (or,
/// with `record`, was applied already).
async fn recheck(
    ecs: &impl EcsApi,
    section: &ServicePlan,
    plan_id: &str,
    record: bool,
) -> Result<LiveState, ApplyError> {
    let target = &section.target;
    let family = section
        .desired
        .task_definition
        .get("family")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let live = live::fetch(
        ecs,
        target,
        &family,
        section.desired.service.is_some(),
        RevisionChoice::FromFile,
    )
    .await?;
    if record
        && let Some(service) = &live.service
        && applied_plan_id(&service.document).as_deref() == Some(plan_id)
    {
        return Err(ApplyError::AlreadyApplied {
            target: target.clone(),
            plan_id: plan_id.to_owned(),
        });
    }
    let now = plan::fingerprint(&section.desired, &live, &section.normalize);
    let sets_desired_count = section.actions.iter().any(|action| match action {
        Action::UpdateService { fields, .. } => fields.contains_key("desiredCount"),
        _ => false,
    });
    let differences = section.base.differences(&now, sets_desired_count);
    if !differences.is_empty() {
        return Err(ApplyError::Stale {
            target: target.clone(),
            differences,
        });
    }
    Ok(live)
}

/// The id of the last plan applied to a service, from its `ristretto:plan-id` tag.
fn applied_plan_id(service_document: &serde_json::Value) -> Option<String> {
    debug_assert!(APPLIED_PLAN_TAG.starts_with(RISTRETTO_TAG_PREFIX));
    service_document
        .get("tags")?
        .as_array()?
        .iter()
        .find(|tag| tag.get("key").and_then(serde_json::Value::as_str) == Some(APPLIED_PLAN_TAG))?
        .get("value")?
        .as_str()
        .map(str::to_owned)
}
