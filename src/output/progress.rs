//! Progress of apply/deploy as people and machines read it: `ApplyEvent`s become human lines on
//! stderr (`HumanReporter`) or one JSON object per line on stdout (`JsonReporter`, for
//! `--format json`). The formatting is a pure function (`human_line`, `json_line`) so every
//! line can be snapshot-tested.

use std::io::Write;
use std::sync::Mutex;

use serde_json::{Value, json};

use super::{Output, Style, paint};
use crate::apply::{ApplyEvent, DeploymentProgress, Reporter};
use crate::aws::ecs::task_definition_short_name;
use crate::config::duration;
use crate::lock::LockEvent;

pub(crate) struct HumanReporter {
    output: Output,
}

impl HumanReporter {
    pub(crate) fn new(output: &Output) -> Self {
        Self {
            output: output.clone(),
        }
    }
}

impl Reporter for HumanReporter {
    fn report(&self, event: ApplyEvent) {
        if let ApplyEvent::ReleaseFailed { lock_id, error } = &event {
            self.output.warn(&format!(
                "could not release the deploy lock {lock_id}: {error} (its lease expires by itself)"
            ));
        } else if let Some(line) = human_line(&event, self.output.color()) {
            self.output.info(&line);
        }
    }
}

/// JSON lines on stdout; a lock serializes writers so lines never interleave.
pub(crate) struct JsonReporter {
    stdout: Mutex<()>,
}

impl JsonReporter {
    pub(crate) fn new() -> Self {
        Self {
            stdout: Mutex::new(()),
        }
    }
}

impl Default for JsonReporter {
    fn default() -> Self {
        Self::new()
    }
}

impl Reporter for JsonReporter {
    fn report(&self, event: ApplyEvent) {
        let line = json_line(&event).to_string();
        let _guard = self.stdout.lock();
        let mut stdout = std::io::stdout().lock();
        // A closed stdout must not stop a deploy in the middle.
        let _ = writeln!(stdout, "{line}");
        let _ = stdout.flush();
    }
}

fn progress_text(deployment: &DeploymentProgress) -> String {
    let mut text = format!(
        "{} {} {}: {}/{} running",
        deployment.status,
        deployment.id,
        deployment.task_definition,
        deployment.running,
        deployment.desired
    );
    if deployment.pending > 0 {
        text.push_str(&format!(", {} pending", deployment.pending));
    }
    if deployment.failed > 0 {
        text.push_str(&format!(", {} failed", deployment.failed));
    }
    if let Some(state) = &deployment.rollout_state {
        text.push_str(&format!(" ({state})"));
    }
    text
}

/// The line a person sees for an event; `None` for events too chatty to show (renewals).
pub(crate) fn human_line(event: &ApplyEvent, color: bool) -> Option<String> {
    let name = |target: &crate::plan::Target| {
        paint(
            color,
            Style::Bold,
            &format!("{}/{}", target.cluster, target.service),
        )
    };
    Some(match event {
        ApplyEvent::Lock(LockEvent::Waiting {
            holder,
            waited,
            timeout,
        }) => format!(
            "Waiting for the deploy lock {} held by {holder} ({} of {})",
            holder.lock_id,
            duration::format(*waited),
            duration::format(*timeout)
        ),
        ApplyEvent::Lock(LockEvent::Acquired {
            lock_id,
            fence,
            took_over,
            ..
        }) => match took_over {
            Some(previous) => format!(
                "Acquired the deploy lock {lock_id} (fence {fence}), taking over the expired lease of {previous}"
            ),
            None => format!("Acquired the deploy lock {lock_id} (fence {fence})"),
        },
        ApplyEvent::Lock(LockEvent::Renewed { .. }) => return None,
        ApplyEvent::Lock(LockEvent::RenewalFailed {
            lock_id,
            error,
            remaining,
        }) => format!(
            "{} could not renew the deploy lock {lock_id}: {error} (retrying; {} left)",
            paint(color, Style::Warning, "warning:"),
            duration::format(*remaining)
        ),
        ApplyEvent::Lock(LockEvent::LeaseLost { lock_id, reason }) => format!(
            "{} lost the deploy lock {lock_id}: {reason}",
            paint(color, Style::Error, "error:")
        ),
        ApplyEvent::Lock(LockEvent::Released { lock_id, held_for }) => format!(
            "Released the deploy lock {lock_id} (held {})",
            duration::format(*held_for)
        ),
        ApplyEvent::PlanCurrent { target } => {
            format!("{}: the live service matches the plan's base", name(target))
        }
        ApplyEvent::TaskDefinitionRegistered { target, arn } => format!(
            "{}: registered task definition {}",
            name(target),
            task_definition_short_name(arn)
        ),
        ApplyEvent::ServiceCreated { target, .. } => {
            format!("{}: created the service", name(target))
        }
        ApplyEvent::ServiceUpdated {
            target,
            task_definition,
            fields,
            force_new_deployment,
        } => {
            let mut parts = Vec::new();
            if let Some(arn) = task_definition {
                parts.push(format!(
                    "task definition {}",
                    task_definition_short_name(arn)
                ));
            }
            if !fields.is_empty() {
                parts.push(fields.join(", "));
            }
            if *force_new_deployment {
                parts.push("new deployment forced".into());
            }
            format!(
                "{}: updated the service: {}",
                name(target),
                parts.join("; ")
            )
        }
        ApplyEvent::TagsChanged {
            target,
            set,
            removed,
        } => {
            let mut parts = Vec::new();
            if !set.is_empty() {
                parts.push(format!("set {}", set.join(", ")));
            }
            if !removed.is_empty() {
                parts.push(format!("removed {}", removed.join(", ")));
            }
            format!("{}: tags: {}", name(target), parts.join("; "))
        }
        ApplyEvent::NothingToDo { target } => format!("{}: nothing to do", name(target)),
        ApplyEvent::ServiceEvent {
            target,
            created_at,
            message,
        } => format!(
            "{} {} {message}",
            name(target),
            paint(color, Style::Dim, created_at)
        ),
        ApplyEvent::DeploymentProgress {
            target,
            deployments,
        } => {
            let lines: Vec<String> = deployments.iter().map(progress_text).collect();
            format!("{}: {}", name(target), lines.join("; "))
        }
        ApplyEvent::RolloutCompleted { target, elapsed } => format!(
            "{}: rollout complete ({})",
            name(target),
            duration::format(std::time::Duration::from_secs(elapsed.as_secs()))
        ),
        ApplyEvent::NotWaiting { target } => {
            format!("{}: not waiting for the rollout (--no-wait)", name(target))
        }
        ApplyEvent::LockTableCreated { table } => {
            format!("Created the lock table {table} (no lock section in the config).")
        }
        ApplyEvent::ReleaseFailed { lock_id, error } => {
            format!("could not release the deploy lock {lock_id}: {error}")
        }
        ApplyEvent::PolicyWarning { target, finding } => format!(
            "{}: {} {}:{} {}: {}",
            name(target),
            paint(
                color,
                Style::Warning,
                "policy warning (new since the plan):"
            ),
            finding.file,
            finding.line,
            finding.rule,
            finding.message
        ),
    })
}

/// The JSON object for an event: `{"event": "...", ...}` with stable field names.
pub(crate) fn json_line(event: &ApplyEvent) -> Value {
    let target = |target: &crate::plan::Target| json!({"region": target.region, "cluster": target.cluster, "service": target.service});
    match event {
        ApplyEvent::Lock(LockEvent::Waiting {
            holder,
            waited,
            timeout,
        }) => {
            json!({"event": "lock_waiting", "lock_id": holder.lock_id, "holder": holder.info, "waited_seconds": waited.as_secs_f64(), "timeout_seconds": timeout.as_secs_f64()})
        }
        ApplyEvent::Lock(LockEvent::Acquired {
            lock_id,
            fence,
            waited,
            took_over,
        }) => {
            json!({"event": "lock_acquired", "lock_id": lock_id, "fence": fence, "waited_seconds": waited.as_secs_f64(), "took_over": took_over.as_ref().map(|record| &record.info)})
        }
        ApplyEvent::Lock(LockEvent::Renewed {
            lock_id,
            expires_at,
        }) => json!({"event": "lock_renewed", "lock_id": lock_id, "expires_at": expires_at}),
        ApplyEvent::Lock(LockEvent::RenewalFailed {
            lock_id,
            error,
            remaining,
        }) => {
            json!({"event": "lock_renewal_failed", "lock_id": lock_id, "error": error, "remaining_seconds": remaining.as_secs_f64()})
        }
        ApplyEvent::Lock(LockEvent::LeaseLost { lock_id, reason }) => {
            json!({"event": "lock_lost", "lock_id": lock_id, "reason": reason})
        }
        ApplyEvent::Lock(LockEvent::Released { lock_id, held_for }) => {
            json!({"event": "lock_released", "lock_id": lock_id, "held_seconds": held_for.as_secs_f64()})
        }
        ApplyEvent::PlanCurrent { target: t } => {
            json!({"event": "plan_current", "target": target(t)})
        }
        ApplyEvent::TaskDefinitionRegistered { target: t, arn } => {
            json!({"event": "task_definition_registered", "target": target(t), "arn": arn})
        }
        ApplyEvent::ServiceCreated { target: t, arn } => {
            json!({"event": "service_created", "target": target(t), "arn": arn})
        }
        ApplyEvent::ServiceUpdated {
            target: t,
            task_definition,
            fields,
            force_new_deployment,
        } => {
            json!({"event": "service_updated", "target": target(t), "task_definition": task_definition, "fields": fields, "force_new_deployment": force_new_deployment})
        }
        ApplyEvent::TagsChanged {
            target: t,
            set,
            removed,
        } => json!({"event": "tags_changed", "target": target(t), "set": set, "removed": removed}),
        ApplyEvent::NothingToDo { target: t } => {
            json!({"event": "nothing_to_do", "target": target(t)})
        }
        ApplyEvent::ServiceEvent {
            target: t,
            created_at,
            message,
        } => {
            json!({"event": "service_event", "target": target(t), "created_at": created_at, "message": message})
        }
        ApplyEvent::DeploymentProgress {
            target: t,
            deployments,
        } => {
            json!({"event": "deployment_progress", "target": target(t), "deployments": deployments.iter().map(|d| json!({"id": d.id, "status": d.status, "task_definition": d.task_definition, "desired": d.desired, "running": d.running, "pending": d.pending, "failed": d.failed, "rollout_state": d.rollout_state})).collect::<Vec<_>>()})
        }
        ApplyEvent::RolloutCompleted { target: t, elapsed } => {
            json!({"event": "rollout_completed", "target": target(t), "elapsed_seconds": elapsed.as_secs_f64()})
        }
        ApplyEvent::NotWaiting { target: t } => {
            json!({"event": "not_waiting", "target": target(t)})
        }
        ApplyEvent::LockTableCreated { table } => {
            json!({"event": "lock_table_created", "table": table})
        }
        ApplyEvent::ReleaseFailed { lock_id, error } => {
            json!({"event": "lock_release_failed", "lock_id": lock_id, "error": error})
        }
        ApplyEvent::PolicyWarning { target: t, finding } => {
            json!({"event": "policy_warning", "target": target(t), "finding": finding})
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::Target;

    fn target() -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: "api".into(),
        }
    }

    #[test]
    fn human_lines() {
        let events = [
            ApplyEvent::PlanCurrent { target: target() },
            ApplyEvent::TaskDefinitionRegistered {
                target: target(),
                arn: "arn:aws:ecs:ap-northeast-1:1:task-definition/api:7".into(),
            },
            ApplyEvent::ServiceUpdated {
                target: target(),
                task_definition: Some("arn:aws:ecs:ap-northeast-1:1:task-definition/api:7".into()),
                fields: vec!["desiredCount".into()],
                force_new_deployment: false,
            },
            ApplyEvent::ServiceEvent {
                target: target(),
                created_at: "2026-11-26T00:00:00Z".into(),
                message: "(service api) has started 1 tasks: (task 0123).".into(),
            },
            ApplyEvent::DeploymentProgress {
                target: target(),
                deployments: vec![
                    DeploymentProgress {
                        id: "ecs-svc/2".into(),
                        status: "PRIMARY".into(),
                        task_definition: "api:7".into(),
                        desired: 2,
                        running: 1,
                        pending: 1,
                        failed: 0,
                        rollout_state: Some("IN_PROGRESS".into()),
                    },
                    DeploymentProgress {
                        id: "ecs-svc/1".into(),
                        status: "ACTIVE".into(),
                        task_definition: "api:6".into(),
                        desired: 2,
                        running: 1,
                        pending: 0,
                        failed: 0,
                        rollout_state: Some("COMPLETED".into()),
                    },
                ],
            },
            ApplyEvent::RolloutCompleted {
                target: target(),
                elapsed: std::time::Duration::from_millis(61_500),
            },
            ApplyEvent::TagsChanged {
                target: target(),
                set: vec!["team".into()],
                removed: vec!["old".into()],
            },
            ApplyEvent::NotWaiting { target: target() },
            ApplyEvent::PolicyWarning {
                target: target(),
                finding: policy_warning(),
            },
        ];
        let lines: Vec<String> = events
            .iter()
            .filter_map(|event| human_line(event, false))
            .collect();
        insta::assert_snapshot!(lines.join("\n"));
    }

    fn policy_warning() -> crate::policy::Finding {
        crate::policy::Finding {
            severity: crate::policy::Severity::Warn,
            file: "policies/capacity.rego".into(),
            rule: "warn".into(),
            line: 12,
            message: "api: 2 tasks".into(),
        }
    }

    #[test]
    fn json_lines_name_every_event() {
        let line = json_line(&ApplyEvent::PolicyWarning {
            target: target(),
            finding: policy_warning(),
        });
        assert_eq!(line["event"], "policy_warning");
        assert_eq!(
            line["finding"],
            serde_json::json!({"severity": "warn", "file": "policies/capacity.rego",
                               "rule": "warn", "line": 12, "message": "api: 2 tasks"})
        );
        let line = json_line(&ApplyEvent::TaskDefinitionRegistered {
            target: target(),
            arn: "arn".into(),
        });
        assert_eq!(line["event"], "task_definition_registered");
        assert_eq!(line["target"]["service"], "api");
        assert_eq!(line["arn"], "arn");
    }
}
