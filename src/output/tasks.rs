//! What `tasks` prints: the tasks as a table, tab-separated values or JSON, the one line per task
//! a filter command chooses from, and `--trace`'s timeline of one task (its lifecycle times,
//! how each container ended, and the end of each container's CloudWatch Logs). Pure functions
//! of the described tasks; nothing here calls AWS.

use comfy_table::{Table, presets};
use serde_json::Value;

use crate::aws::ecs::{LiveTask, task_definition_short_name};

const COLUMNS: [&str; 7] = [
    "ID",
    "TASK DEFINITION",
    "LAST STATUS",
    "DESIRED STATUS",
    "CREATED AT",
    "GROUP",
    "TYPE",
];

fn text(task: &LiveTask, key: &str) -> String {
    task.document
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or("-")
        .to_owned()
}

/// The columns of one task, in `COLUMNS` order.
fn cells(task: &LiveTask) -> Vec<String> {
    vec![
        task.id().to_owned(),
        task_definition_short_name(&task.task_definition).to_owned(),
        task.last_status.clone(),
        text(task, "desiredStatus"),
        text(task, "createdAt"),
        text(task, "group"),
        text(task, "launchType"),
    ]
}

pub(crate) fn table(tasks: &[LiveTask]) -> String {
    if tasks.is_empty() {
        return "No running task.\n".to_owned();
    }
    let mut table = Table::new();
    table.load_style(presets::ASCII_MARKDOWN);
    table.set_header(COLUMNS.to_vec());
    for task in tasks {
        table.add_row(cells(task));
    }
    format!("{table}\n")
}

/// A header line, then one tab-separated line per task.
pub(crate) fn tsv(tasks: &[LiveTask]) -> String {
    let mut out = format!("{}\n", COLUMNS.join("\t"));
    for line in lines(tasks) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// One tab-separated line per task, without a header: what a filter command chooses from.
pub(crate) fn lines(tasks: &[LiveTask]) -> Vec<String> {
    tasks.iter().map(|task| cells(task).join("\t")).collect()
}

/// The tasks as DescribeTasks answers them.
pub(crate) fn json(tasks: &[LiveTask]) -> String {
    let documents: Vec<&Value> = tasks.iter().map(|task| &task.document).collect();
    serde_json::to_string_pretty(&documents).expect("JSON always serializes")
}

/// `--trace`: the task's lifecycle in time order, each container's end, and the last lines of
/// each container's logs (`logs`: container name and its lines).
pub(crate) fn trace(task: &LiveTask, logs: &[(String, Vec<String>)]) -> String {
    let mut out = format!(
        "Task {} ({}), {}\n",
        task.id(),
        task_definition_short_name(&task.task_definition),
        task.last_status
    );
    let mut events: Vec<(String, String)> = [
        ("createdAt", "created"),
        ("pullStartedAt", "image pull started"),
        ("pullStoppedAt", "image pull finished"),
        ("connectivityAt", "network connected"),
        ("startedAt", "started"),
        ("stoppingAt", "stopping"),
        ("executionStoppedAt", "containers stopped"),
        ("stoppedAt", "stopped"),
    ]
    .into_iter()
    .filter_map(|(key, what)| {
        let at = task.document.get(key)?.as_str()?.to_owned();
        Some((at, what.to_owned()))
    })
    .collect();
    events.sort();
    for (at, what) in &events {
        out.push_str(&format!("  {at}  {what}\n"));
    }
    if let Some(reason) = &task.stopped_reason {
        out.push_str(&format!(
            "  stopped because: {reason}{}\n",
            task.stop_code
                .as_ref()
                .map(|code| format!(" ({code})"))
                .unwrap_or_default()
        ));
    }
    for container in &task.containers {
        let mut line = format!("  container {}: {}", container.name, container.last_status);
        if let Some(code) = container.exit_code {
            line.push_str(&format!(", exit code {code}"));
        }
        if let Some(reason) = &container.reason {
            line.push_str(&format!(", {reason}"));
        }
        out.push_str(&line);
        out.push('\n');
    }
    for (container, lines) in logs {
        out.push_str(&format!("Logs of {container}:\n"));
        if lines.is_empty() {
            out.push_str("  (none)\n");
        }
        for line in lines {
            out.push_str(&format!("  {line}\n"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn tasks() -> Vec<LiveTask> {
        vec![
            LiveTask::from_document(json!({
                "taskArn": "arn:aws:ecs:ap-northeast-1:123456789012:task/web/0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "taskDefinitionArn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
                "lastStatus": "RUNNING", "desiredStatus": "RUNNING",
                "createdAt": "2026-05-01T10:00:00Z", "group": "service:api", "launchType": "FARGATE",
                "startedAt": "2026-05-01T10:00:40Z", "pullStartedAt": "2026-05-01T10:00:05Z",
                "pullStoppedAt": "2026-05-01T10:00:30Z",
                "containers": [{"name": "app", "lastStatus": "RUNNING"}]
            })),
            LiveTask::from_document(json!({
                "taskArn": "arn:aws:ecs:ap-northeast-1:123456789012:task/web/ffeeddccbbaa99887766554433221100",
                "taskDefinitionArn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:4",
                "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
                "createdAt": "2026-05-01T11:00:00Z", "group": "family:api",
                "stoppedAt": "2026-05-01T11:01:00Z", "stopCode": "EssentialContainerExited",
                "stoppedReason": "Essential container in task exited",
                "containers": [{"name": "app", "lastStatus": "STOPPED", "exitCode": 3}]
            })),
        ]
    }

    #[test]
    fn tasks_table_and_tsv() {
        insta::assert_snapshot!(table(&tasks()));
        assert_eq!(
            tsv(&tasks()).lines().nth(1),
            Some(
                "0a1b2c3d4e5f60718293a4b5c6d7e8f9\tapi:3\tRUNNING\tRUNNING\t2026-05-01T10:00:00Z\tservice:api\tFARGATE"
            )
        );
        assert_eq!(table(&[]), "No running task.\n");
        let parsed: Value = serde_json::from_str(&json(&tasks())).unwrap();
        assert_eq!(parsed[1]["stopCode"], "EssentialContainerExited");
    }

    #[test]
    fn task_trace() {
        let tasks = tasks();
        insta::assert_snapshot!(trace(
            &tasks[0],
            &[("app".into(), vec!["listening on :80".into()])]
        ));
        insta::assert_snapshot!(trace(&tasks[1], &[]));
    }
}
