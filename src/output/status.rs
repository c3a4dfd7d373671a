//! `ristretto status` as people and machines read it: the service, its task definition, its
//! deployments, its auto scaling target and its latest events. Pure functions of the described
//! state (`human`, `json`), so every rendering is snapshot-tested; nothing here calls AWS.

use serde_json::{Value, json};

use super::{Style, paint};
use crate::aws::autoscaling::ScalableTarget;
use crate::aws::ecs::{LiveService, LiveTaskDefinition, task_definition_short_name};

/// What `status` shows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct StatusView<'a> {
    pub cluster: &'a str,
    pub service: &'a LiveService,
    pub task_definition: Option<&'a LiveTaskDefinition>,
    pub auto_scaling: Option<&'a ScalableTarget>,
    /// How many of the newest events to show.
    pub events: usize,
}

fn text<'a>(document: &'a Value, key: &str) -> Option<&'a str> {
    document.get(key).and_then(Value::as_str)
}

/// Launch type, or the capacity provider strategy when the service uses one.
fn capacity(service: &Value) -> String {
    if let Some(launch_type) = text(service, "launchType") {
        return launch_type.to_owned();
    }
    let providers: Vec<String> = service
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(|item| {
                    let name = text(item, "capacityProvider")?;
                    let weight = item.get("weight").and_then(Value::as_i64).unwrap_or(0);
                    Some(format!("{name} (weight {weight})"))
                })
                .collect()
        })
        .unwrap_or_default();
    if providers.is_empty() {
        "-".to_owned()
    } else {
        providers.join(", ")
    }
}

fn suspended(target: &ScalableTarget) -> Vec<&'static str> {
    [
        (target.dynamic_scaling_in_suspended, "scale-in"),
        (target.dynamic_scaling_out_suspended, "scale-out"),
        (target.scheduled_scaling_suspended, "scheduled"),
    ]
    .into_iter()
    .filter_map(|(on, name)| on.then_some(name))
    .collect()
}

/// The text `status` prints on stdout.
pub(crate) fn human(view: &StatusView<'_>, color: bool) -> String {
    let service = view.service;
    let heading = |title: &str| paint(color, Style::Bold, title);
    let mut lines = vec![
        format!("{}         {}", heading("Service:"), service.name),
        format!("{}         {}", heading("Cluster:"), view.cluster),
        format!("{}          {}", heading("Status:"), service.status),
        format!(
            "{} {}",
            heading("Task definition:"),
            task_definition_short_name(&service.task_definition)
        ),
        format!(
            "{}        {}",
            heading("Capacity:"),
            capacity(&service.document)
        ),
        format!(
            "{}           {} desired, {} running, {} pending",
            heading("Tasks:"),
            service.desired_count,
            service.running_count,
            service.pending_count
        ),
    ];
    if let Some(task_definition) = view.task_definition {
        let document = &task_definition.document;
        let size = match (text(document, "cpu"), text(document, "memory")) {
            (Some(cpu), Some(memory)) => format!("cpu {cpu}, memory {memory}"),
            (Some(cpu), None) => format!("cpu {cpu}"),
            (None, Some(memory)) => format!("memory {memory}"),
            (None, None) => "cpu and memory per container".to_owned(),
        };
        lines.push(format!("{}            {size}", heading("Size:")));
        let containers = document
            .get("containerDefinitions")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for container in &containers {
            lines.push(format!(
                "{}       {} {}",
                heading("Container:"),
                text(container, "name").unwrap_or("?"),
                text(container, "image").unwrap_or("?")
            ));
        }
    }

    lines.push(String::new());
    lines.push(heading("Deployments:"));
    if service.deployments.is_empty() {
        lines.push("  (none)".to_owned());
    }
    for deployment in &service.deployments {
        let mut line = format!(
            "  {:<8} {}  desired {}, running {}, pending {}, failed {}",
            deployment.status,
            task_definition_short_name(&deployment.task_definition),
            deployment.desired_count,
            deployment.running_count,
            deployment.pending_count,
            deployment.failed_tasks
        );
        if let Some(state) = &deployment.rollout_state {
            line.push_str(&format!("  {state}"));
            if let Some(reason) = &deployment.rollout_state_reason {
                line.push_str(&format!(": {reason}"));
            }
        }
        lines.push(line);
    }

    lines.push(String::new());
    lines.push(heading("Auto scaling:"));
    match view.auto_scaling {
        None => lines.push("  (not scaled by Application Auto Scaling)".to_owned()),
        Some(target) => {
            let mut line = format!("  min {}, max {}", target.min_capacity, target.max_capacity);
            let suspended = suspended(target);
            if !suspended.is_empty() {
                line.push_str(&format!(", suspended: {}", suspended.join(", ")));
            }
            lines.push(line);
            for policy in &target.policies {
                lines.push(format!("  policy {policy}"));
            }
        }
    }

    lines.push(String::new());
    lines.push(heading("Events:"));
    if service.events.is_empty() || view.events == 0 {
        lines.push("  (none)".to_owned());
    }
    // ECS lists events newest first; the newest N are shown oldest first, like a log.
    for event in service.events.iter().take(view.events).rev() {
        lines.push(format!(
            "  {}  {}",
            paint(color, Style::Dim, &event.created_at),
            event.message
        ));
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// `status --format json`.
pub(crate) fn json(view: &StatusView<'_>) -> Value {
    let service = view.service;
    json!({
        "cluster": view.cluster,
        "service": {
            "name": service.name,
            "arn": service.arn,
            "status": service.status,
            "task_definition": service.task_definition,
            "desired_count": service.desired_count,
            "running_count": service.running_count,
            "pending_count": service.pending_count,
            "launch_type": text(&service.document, "launchType"),
            "capacity_provider_strategy": service.document.get("capacityProviderStrategy"),
        },
        "task_definition": view.task_definition.map(|task| &task.document),
        "deployments": service.deployments.iter().map(|deployment| json!({
            "id": deployment.id,
            "status": deployment.status,
            "task_definition": deployment.task_definition,
            "desired_count": deployment.desired_count,
            "running_count": deployment.running_count,
            "pending_count": deployment.pending_count,
            "failed_tasks": deployment.failed_tasks,
            "rollout_state": deployment.rollout_state,
            "rollout_state_reason": deployment.rollout_state_reason,
        })).collect::<Vec<_>>(),
        "auto_scaling": view.auto_scaling,
        "events": service.events.iter().take(view.events).map(|event| json!({
            "id": event.id,
            "created_at": event.created_at,
            "message": event.message,
        })).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn service() -> LiveService {
        LiveService::from_document(json!({
            "serviceArn": "arn:aws:ecs:ap-northeast-1:123456789012:service/web/api",
            "serviceName": "api",
            "status": "ACTIVE",
            "taskDefinition": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
            "desiredCount": 2, "runningCount": 3, "pendingCount": 1,
            "launchType": "FARGATE",
            "deployments": [
                {"id": "ecs-svc/2", "status": "PRIMARY",
                 "taskDefinition": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
                 "desiredCount": 2, "runningCount": 1, "pendingCount": 1, "failedTasks": 0,
                 "rolloutState": "IN_PROGRESS", "rolloutStateReason": "ECS deployment ecs-svc/2 in progress."},
                {"id": "ecs-svc/1", "status": "ACTIVE",
                 "taskDefinition": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:2",
                 "desiredCount": 2, "runningCount": 2, "pendingCount": 0, "failedTasks": 0,
                 "rolloutState": "COMPLETED"}
            ],
            "events": [
                {"id": "e3", "createdAt": "2026-05-01T10:02:00Z", "message": "(service api) has started 1 tasks: (task 1f)."},
                {"id": "e2", "createdAt": "2026-05-01T10:01:00Z", "message": "(service api) has reached a steady state."},
                {"id": "e1", "createdAt": "2026-05-01T10:00:00Z", "message": "(service api) has started 2 tasks: (task 0a) (task 0b)."}
            ]
        }))
    }

    fn task_definition() -> LiveTaskDefinition {
        LiveTaskDefinition::from_document(json!({
            "taskDefinitionArn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
            "family": "api", "revision": 3, "status": "ACTIVE", "cpu": "256", "memory": "512",
            "containerDefinitions": [
                {"name": "app", "image": "nginx:1.27"},
                {"name": "log-router", "image": "amazon/aws-for-fluent-bit:stable"}
            ]
        }))
    }

    fn target() -> ScalableTarget {
        ScalableTarget {
            min_capacity: 2,
            max_capacity: 8,
            dynamic_scaling_in_suspended: true,
            dynamic_scaling_out_suspended: false,
            scheduled_scaling_suspended: false,
            policies: vec!["cpu-target (TargetTrackingScaling)".into()],
        }
    }

    #[test]
    fn status_during_a_rollout() {
        let service = service();
        let task_definition = task_definition();
        let target = target();
        let view = StatusView {
            cluster: "web",
            service: &service,
            task_definition: Some(&task_definition),
            auto_scaling: Some(&target),
            events: 2,
        };
        insta::assert_snapshot!(human(&view, false));
    }

    #[test]
    fn status_of_a_service_without_scaling_or_events() {
        let mut service = service();
        service.events.clear();
        service.deployments.truncate(1);
        let view = StatusView {
            cluster: "web",
            service: &service,
            task_definition: None,
            auto_scaling: None,
            events: 10,
        };
        insta::assert_snapshot!(human(&view, false));
    }

    #[test]
    fn status_as_json() {
        let service = service();
        let task_definition = task_definition();
        let target = target();
        let view = StatusView {
            cluster: "web",
            service: &service,
            task_definition: Some(&task_definition),
            auto_scaling: Some(&target),
            events: 1,
        };
        let json = json(&view);
        assert_eq!(json["deployments"][0]["rollout_state"], "IN_PROGRESS");
        assert_eq!(json["events"].as_array().unwrap().len(), 1);
        assert_eq!(json["events"][0]["id"], "e3");
        assert_eq!(json["auto_scaling"]["max_capacity"], 8);
        assert_eq!(json["task_definition"]["family"], "api");
    }
}
