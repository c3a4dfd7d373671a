//! The tasks `tasks` and `exec` work on, as ecspresso (through ecsta) finds them: the RUNNING
//! tasks of the service and the RUNNING tasks of the task definition's family (one-off tasks
//! started by `run`), described, oldest first; one task by id (any status); and picking one
//! item of a list — by `--id`, as the only one, or through the user's filter command (fzf,
//! peco), which reads the list on stdin and writes the chosen line on stdout.
//!
//! Must not: print (the filter command draws on the terminal itself) or decide what to do with
//! the task.

use std::io::Write;
use std::process::{Command, Stdio};

use crate::aws::ecs::{EcsApi, LiveTask};
use crate::aws::ecs_tasks::{TaskApi, TaskFilter};
use crate::error::Error;

/// Where the tasks are: the cluster, the service (empty: the config has none) and the family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskScope {
    pub cluster: String,
    pub service: String,
    pub family: String,
}

/// The RUNNING tasks of the service and of the family, each once, oldest first.
pub(crate) async fn running_tasks(
    ecs: &(impl EcsApi + TaskApi),
    scope: &TaskScope,
) -> Result<Vec<LiveTask>, Error> {
    let mut arns = Vec::new();
    if !scope.service.is_empty() {
        arns.extend(
            ecs.list_tasks(&scope.cluster, &TaskFilter::Service(scope.service.clone()))
                .await?,
        );
    }
    for arn in ecs
        .list_tasks(&scope.cluster, &TaskFilter::Family(scope.family.clone()))
        .await?
    {
        if !arns.contains(&arn) {
            arns.push(arn);
        }
    }
    if arns.is_empty() {
        return Ok(Vec::new());
    }
    let mut tasks = ecs.describe_tasks(&scope.cluster, &arns).await?;
    tasks.sort_by(|left, right| {
        let created = |task: &LiveTask| {
            task.document
                .get("createdAt")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default()
                .to_owned()
        };
        created(left)
            .cmp(&created(right))
            .then_with(|| left.arn.cmp(&right.arn))
    });
    Ok(tasks)
}

/// One task of the cluster by id or ARN, whatever its status.
pub(crate) async fn task_by_id(
    ecs: &impl EcsApi,
    cluster: &str,
    id: &str,
) -> Result<LiveTask, Error> {
    ecs.describe_tasks(cluster, &[id.to_owned()])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            Error::usage(
                format!("task {id} not found in cluster {cluster}"),
                Some("list the service's tasks with ristretto tasks".to_owned()),
            )
        })
}

/// The index of the one item to use: the only one, else the line the filter command chose.
/// `what` names the items in messages ("task", "container").
pub(crate) fn choose(
    what: &str,
    lines: &[String],
    filter_command: Option<&str>,
) -> Result<usize, Error> {
    match (lines.len(), filter_command) {
        (0, _) => Err(Error::usage(
            format!("there is no {what} to choose from"),
            None,
        )),
        (1, _) => Ok(0),
        (count, None) => Err(Error::usage(
            format!("{count} {what}s to choose from:\n  {}", lines.join("\n  ")),
            Some(
                "name one (--id for a task, --container for a container), or give a filter \
                 command that picks a line: --filter-command fzf (or ECSPRESSO_FILTER_COMMAND)"
                    .to_owned(),
            ),
        )),
        (_, Some(command)) => {
            let chosen = run_filter(command, lines)?;
            lines
                .iter()
                .position(|line| line.trim_end() == chosen.trim_end())
                .ok_or_else(|| {
                    Error::usage(
                        format!(
                            "the filter command {command:?} chose {chosen:?}, which is not one \
                             of the {what}s"
                        ),
                        None,
                    )
                })
        }
    }
}

/// Runs `command` with the lines on its stdin; returns the first line it printed.
fn run_filter(command: &str, lines: &[String]) -> Result<String, Error> {
    let failed = |message: String| {
        Error::usage(
            format!("the filter command {command:?} {message}"),
            Some("fix --filter-command (or ECSPRESSO_FILTER_COMMAND), or pass --id".to_owned()),
        )
    };
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|error| failed(format!("cannot start: {error}")))?;
    if let Some(mut stdin) = child.stdin.take() {
        // A filter that exits before reading everything closes the pipe: not an error.
        let _ = stdin.write_all(format!("{}\n", lines.join("\n")).as_bytes());
    }
    let output = child
        .wait_with_output()
        .map_err(|error| failed(format!("failed: {error}")))?;
    if !output.status.success() {
        return Err(failed(format!("exited with {}", output.status)));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .filter(|line| !line.trim().is_empty())
        .map(str::to_owned)
        .ok_or_else(|| failed("chose nothing".to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines() -> Vec<String> {
        vec!["0a1b\tRUNNING".into(), "2c3d\tRUNNING".into()]
    }

    #[test]
    fn the_only_item_is_chosen_without_asking() {
        assert_eq!(choose("task", &lines()[..1], None).unwrap(), 0);
    }

    #[test]
    fn several_items_need_a_filter_command() {
        let error = choose("task", &lines(), None).unwrap_err().to_string();
        assert_eq!(
            error,
            "2 tasks to choose from:\n  0a1b\tRUNNING\n  2c3d\tRUNNING"
        );
        assert_eq!(choose("task", &lines(), Some("tail -n 1")).unwrap(), 1);
        assert_eq!(choose("task", &lines(), Some("head -n 1")).unwrap(), 0);
    }

    #[test]
    fn a_failing_or_wandering_filter_is_an_error() {
        let failed = choose("task", &lines(), Some("exit 3"))
            .unwrap_err()
            .to_string();
        assert!(failed.ends_with("exited with exit status: 3"), "{failed}");
        let other = choose("task", &lines(), Some("echo elsewhere"))
            .unwrap_err()
            .to_string();
        assert!(other.contains("chose \"elsewhere\""), "{other}");
        assert_eq!(
            choose("task", &[], None).unwrap_err().to_string(),
            "there is no task to choose from"
        );
    }
}
