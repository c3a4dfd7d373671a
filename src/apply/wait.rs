//! Waiting for a rollout (ARCHITECTURE.md §5): ristretto's own poll loop, not the SDK's waiter (whose
//! 15 s minimum delay would make every wait slow and whose success rule ignores rollbacks). It
//! reports new service events and deployment progress as `ApplyEvent`s and decides success or
//! failure with `assess`, a pure function of one DescribeServices answer.
//!
//! Success (`--wait-until deployed`, the default): the PRIMARY deployment runs our task
//! definition and its rolloutState is COMPLETED — or, where ECS reports no rolloutState
//! (circuit breaker off on older services), it is the only deployment and runs the desired
//! count. `--wait-until stable` additionally waits until it is the only deployment.
//! Failure: the PRIMARY deployment runs another task definition — rolled back when ECS says the
//! circuit breaker did it (our deployment FAILED, "rolling back" in the primary's reason or in
//! the service's events), superseded otherwise (someone else deployed: never reported as a
//! rollback) —, or it is FAILED.

use std::collections::HashSet;
use std::time::Duration;

use super::{ApplyError, ApplyEvent, DeploymentProgress, Reporter};
use crate::aws::ecs::{EcsApi, LiveService, task_definition_short_name};
use crate::plan::Target;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum WaitUntil {
    #[default]
    Deployed,
    Stable,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WaitOptions {
    pub until: WaitUntil,
    pub timeout: Duration,
    pub poll_interval: Duration,
}

/// The poll interval when neither `--poll-interval` nor `RISTRETTO_POLL_INTERVAL` says (tests
/// set the variable, e.g. `100ms`).
pub(crate) const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(5);

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RolloutStatus {
    InProgress,
    Done,
    /// The circuit breaker rolled our deployment back: the PRIMARY deployment runs another
    /// task definition, and ECS says it is a rollback (our deployment FAILED, or the primary's
    /// reason or a service event says "rolling back").
    RolledBack {
        running: String,
    },
    /// Another deployment replaced ours, and nothing says the circuit breaker did it: someone
    /// else deployed (another runner that took the lock over, the console, …).
    Superseded {
        running: String,
        deployment: String,
    },
    Failed {
        reason: String,
    },
}

/// Where the rollout of `expected_task_definition` stands in one DescribeServices answer.
pub(crate) fn assess(
    service: &LiveService,
    expected_task_definition: &str,
    until: WaitUntil,
) -> RolloutStatus {
    let Some(primary) = service.primary_deployment() else {
        return RolloutStatus::InProgress;
    };
    if !same_task_definition(&primary.task_definition, expected_task_definition) {
        let running = task_definition_short_name(&primary.task_definition).to_owned();
        let ours_failed = service.deployments.iter().any(|deployment| {
            same_task_definition(&deployment.task_definition, expected_task_definition)
                && deployment.rollout_state.as_deref() == Some("FAILED")
        });
        let rolling_back = primary
            .rollout_state_reason
            .as_deref()
            .is_some_and(says_rolling_back);
        return if ours_failed || rolling_back {
            RolloutStatus::RolledBack { running }
        } else {
            RolloutStatus::Superseded {
                running,
                deployment: primary.id.clone(),
            }
        };
    }
    if primary.rollout_state.as_deref() == Some("FAILED") {
        return RolloutStatus::Failed {
            reason: primary
                .rollout_state_reason
                .clone()
                .unwrap_or_else(|| "the deployment failed".into()),
        };
    }
    let alone = service.deployments.len() == 1;
    let at_count = primary.running_count == primary.desired_count && primary.pending_count == 0;
    let deployed = match primary.rollout_state.as_deref() {
        Some("COMPLETED") => true,
        Some(_) => false,
        None => alone && at_count,
    };
    let done = match until {
        WaitUntil::Deployed => deployed,
        WaitUntil::Stable => deployed && alone && at_count,
    };
    if done {
        RolloutStatus::Done
    } else {
        RolloutStatus::InProgress
    }
}

/// How ECS words a circuit-breaker rollback, in a deployment's `rolloutStateReason` ("ECS
/// deployment circuit breaker: rolling back to deploymentId ecs-svc/…") and in the service's
/// events ("(service api) rolling back to deployment ecs-svc/…").
fn says_rolling_back(text: &str) -> bool {
    text.contains("rolling back")
}

/// ARNs, `family:revision` and an emulator's raw strings all name a revision the same way.
fn same_task_definition(left: &str, right: &str) -> bool {
    task_definition_short_name(left) == task_definition_short_name(right)
}

/// Polls until the rollout is done, failed, rolled back, or `options.timeout` passed. Events
/// whose ids are in `already_seen` (those before our change) are not reported.
pub(crate) async fn wait_for_rollout(
    ecs: &impl EcsApi,
    target: &Target,
    expected_task_definition: &str,
    options: &WaitOptions,
    already_seen: HashSet<String>,
    reporter: &dyn Reporter,
) -> Result<LiveService, ApplyError> {
    let started = tokio::time::Instant::now();
    let mut seen = already_seen;
    let mut last_progress: Option<Vec<DeploymentProgress>> = None;
    let mut recent_events: Vec<String> = Vec::new();
    loop {
        let service = ecs
            .describe_service(&target.cluster, &target.service)
            .await?
            .ok_or_else(|| ApplyError::ServiceGone {
                target: target.clone(),
            })?;
        // ECS lists events newest first; report them oldest first.
        for event in service.events.iter().rev() {
            if seen.insert(event.id.clone()) {
                recent_events.push(event.message.clone());
                reporter.report(ApplyEvent::ServiceEvent {
                    target: target.clone(),
                    created_at: event.created_at.clone(),
                    message: event.message.clone(),
                });
            }
        }
        let progress: Vec<DeploymentProgress> = service
            .deployments
            .iter()
            .map(DeploymentProgress::from)
            .collect();
        if last_progress.as_ref() != Some(&progress) {
            reporter.report(ApplyEvent::DeploymentProgress {
                target: target.clone(),
                deployments: progress.clone(),
            });
            last_progress = Some(progress);
        }
        let last_events = || recent_events.iter().rev().take(5).rev().cloned().collect();
        match assess(&service, expected_task_definition, options.until) {
            RolloutStatus::Done => {
                reporter.report(ApplyEvent::RolloutCompleted {
                    target: target.clone(),
                    elapsed: started.elapsed(),
                });
                return Ok(service);
            }
            RolloutStatus::RolledBack { running } => {
                return Err(ApplyError::RolledBack {
                    target: target.clone(),
                    running,
                    events: last_events(),
                });
            }
            // The rollback's deployment may be all that is left by the time we look; its
            // events still say what happened.
            RolloutStatus::Superseded { running, .. }
                if recent_events.iter().any(|event| says_rolling_back(event)) =>
            {
                return Err(ApplyError::RolledBack {
                    target: target.clone(),
                    running,
                    events: last_events(),
                });
            }
            RolloutStatus::Superseded {
                running,
                deployment,
            } => {
                return Err(ApplyError::Superseded {
                    target: target.clone(),
                    running,
                    deployment,
                    events: last_events(),
                });
            }
            RolloutStatus::Failed { reason } => {
                return Err(ApplyError::DeploymentFailed {
                    target: target.clone(),
                    reason,
                    events: last_events(),
                });
            }
            RolloutStatus::InProgress => {}
        }
        if started.elapsed() >= options.timeout {
            return Err(ApplyError::Timeout {
                target: target.clone(),
                timeout: options.timeout,
                events: last_events(),
            });
        }
        let remaining = options.timeout.saturating_sub(started.elapsed());
        tokio::time::sleep(options.poll_interval.min(remaining)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn service(deployments: serde_json::Value) -> LiveService {
        LiveService::from_document(
            json!({"serviceArn": "arn", "serviceName": "api", "status": "ACTIVE",
            "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:2", "desiredCount": 2,
            "deployments": deployments}),
        )
    }

    const OURS: &str = "arn:aws:ecs:r:1:task-definition/api:2";

    #[test]
    fn in_progress_then_completed() {
        let rolling = service(json!([
            {"id": "n", "status": "PRIMARY", "taskDefinition": OURS, "desiredCount": 2, "runningCount": 1, "pendingCount": 1, "rolloutState": "IN_PROGRESS"},
            {"id": "o", "status": "ACTIVE", "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:1", "desiredCount": 2, "runningCount": 1}
        ]));
        assert_eq!(
            assess(&rolling, OURS, WaitUntil::Deployed),
            RolloutStatus::InProgress
        );
        let completed = service(json!([
            {"id": "n", "status": "PRIMARY", "taskDefinition": OURS, "desiredCount": 2, "runningCount": 2, "rolloutState": "COMPLETED"}
        ]));
        assert_eq!(
            assess(&completed, OURS, WaitUntil::Deployed),
            RolloutStatus::Done
        );
        assert_eq!(
            assess(&completed, "api:2", WaitUntil::Stable),
            RolloutStatus::Done
        );
    }

    #[test]
    fn deployed_is_not_yet_stable_while_the_old_deployment_drains() {
        let draining = service(json!([
            {"id": "n", "status": "PRIMARY", "taskDefinition": OURS, "desiredCount": 2, "runningCount": 2, "rolloutState": "COMPLETED"},
            {"id": "o", "status": "ACTIVE", "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:1", "desiredCount": 0, "runningCount": 1}
        ]));
        assert_eq!(
            assess(&draining, OURS, WaitUntil::Deployed),
            RolloutStatus::Done
        );
        assert_eq!(
            assess(&draining, OURS, WaitUntil::Stable),
            RolloutStatus::InProgress
        );
    }

    #[test]
    fn a_primary_running_another_revision_is_a_rollback() {
        let rolled_back = service(json!([
            {"id": "r", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:1", "desiredCount": 2, "runningCount": 2, "rolloutState": "IN_PROGRESS"},
            {"id": "n", "status": "ACTIVE", "taskDefinition": OURS, "rolloutState": "FAILED"}
        ]));
        assert_eq!(
            assess(&rolled_back, OURS, WaitUntil::Deployed),
            RolloutStatus::RolledBack {
                running: "api:1".into()
            }
        );
    }

    #[test]
    fn a_primary_that_ecs_does_not_call_a_rollback_is_a_superseding_deployment() {
        let replaced = service(json!([
            {"id": "x", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:3", "desiredCount": 2, "runningCount": 0, "rolloutState": "IN_PROGRESS"},
            {"id": "n", "status": "ACTIVE", "taskDefinition": OURS, "rolloutState": "IN_PROGRESS"}
        ]));
        assert_eq!(
            assess(&replaced, OURS, WaitUntil::Deployed),
            RolloutStatus::Superseded {
                running: "api:3".into(),
                deployment: "x".into()
            }
        );
        // ECS's rollback deployment says so in its reason, even once ours has drained away.
        let rolling_back = service(json!([
            {"id": "r", "status": "PRIMARY", "taskDefinition": "arn:aws:ecs:r:1:task-definition/api:1", "rolloutState": "IN_PROGRESS",
             "rolloutStateReason": "ECS deployment circuit breaker: rolling back to deploymentId ecs-svc/1."}
        ]));
        assert_eq!(
            assess(&rolling_back, OURS, WaitUntil::Deployed),
            RolloutStatus::RolledBack {
                running: "api:1".into()
            }
        );
    }

    #[test]
    fn a_failed_primary_fails() {
        let failed = service(json!([
            {"id": "n", "status": "PRIMARY", "taskDefinition": OURS, "rolloutState": "FAILED", "rolloutStateReason": "tasks failed to start"}
        ]));
        assert_eq!(
            assess(&failed, OURS, WaitUntil::Deployed),
            RolloutStatus::Failed {
                reason: "tasks failed to start".into()
            }
        );
    }

    #[test]
    fn without_rollout_state_the_counts_decide() {
        let counting = service(json!([
            {"id": "n", "status": "PRIMARY", "taskDefinition": OURS, "desiredCount": 2, "runningCount": 1, "pendingCount": 1}
        ]));
        assert_eq!(
            assess(&counting, OURS, WaitUntil::Deployed),
            RolloutStatus::InProgress
        );
        let done = service(json!([
            {"id": "n", "status": "PRIMARY", "taskDefinition": OURS, "desiredCount": 2, "runningCount": 2}
        ]));
        assert_eq!(
            assess(&done, OURS, WaitUntil::Deployed),
            RolloutStatus::Done
        );
    }
}
