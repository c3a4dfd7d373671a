//! `ristretto tasks`: the running tasks of the selected service and of its task definition's
//! family (one-off tasks of `run`), as a table, `--output tsv` or `--output json`; `--find`
//! prints one task as JSON, `--stop` stops one, `--trace` prints one's timeline and logs. One
//! task is chosen by `--id`, as the only one, or by the filter command (`--filter-command`,
//! ECSPRESSO_FILTER_COMMAND, or the config's deprecated `filter_command`).

use crate::aws::ecs::EcsApi;
use crate::aws::ecs_tasks::TaskApi;
use crate::cli::{ListFormat, TasksArgs};
use crate::error::Error;
use crate::exit_code;
use crate::operation::{self, TaskScope};
use crate::output::tasks as tasks_output;

use super::Session;
use super::run::LogSource;

/// How many of the last lines of each container's logs `--trace` shows.
const TRACE_LOG_LINES: usize = 30;

pub(super) async fn run(session: &Session<'_>, arguments: &TasksArgs) -> Result<u8, Error> {
    let output = session.output;
    let scope = session.task_scope()?;
    let ecs = session.aws.ecs().await;
    let tasks = match &arguments.id {
        Some(id) => vec![operation::task_by_id(&ecs, &scope.cluster, id).await?],
        None => operation::running_tasks(&ecs, &scope).await?,
    };
    if !(arguments.find || arguments.stop || arguments.trace) {
        let text = match arguments.output {
            ListFormat::Table => tasks_output::table(&tasks),
            ListFormat::Tsv => tasks_output::tsv(&tasks),
            ListFormat::Json => tasks_output::json(&tasks),
        };
        output.data(&text).map_err(Error::Stdout)?;
        return Ok(exit_code::SUCCESS);
    }
    let index = operation::choose(
        "task",
        &tasks_output::lines(&tasks),
        session.filter_command().as_deref(),
    )?;
    let task = &tasks[index];
    if arguments.find {
        output
            .data(&tasks_output::json(std::slice::from_ref(task)))
            .map_err(Error::Stdout)?;
    } else if arguments.stop {
        if !arguments.force {
            output.confirm(
                &format!("Stop task {} ({})?", task.id(), task.last_status),
                task.id(),
                "pass --force to stop it without a question",
            )?;
        }
        let stopped = ecs
            .stop_task(
                &scope.cluster,
                &task.arn,
                "Task stopped by ristretto tasks --stop",
            )
            .await?;
        output.info(&format!(
            "Stopped task {} (now {}).",
            stopped.id(),
            stopped.last_status
        ));
    } else {
        let logs = trace_logs(session, &ecs, task).await?;
        output
            .data(&tasks_output::trace(task, &logs))
            .map_err(Error::Stdout)?;
    }
    Ok(exit_code::SUCCESS)
}

/// The last lines of each container's awslogs stream, for `--trace`.
async fn trace_logs(
    session: &Session<'_>,
    ecs: &impl EcsApi,
    task: &crate::aws::ecs::LiveTask,
) -> Result<Vec<(String, Vec<String>)>, Error> {
    let Some(task_definition) = ecs.describe_task_definition(&task.task_definition).await? else {
        return Ok(Vec::new());
    };
    let mut logs = Vec::new();
    for container in &task.containers {
        let Some(source) = LogSource::of(&task_definition, &container.name, task) else {
            continue;
        };
        let page = session
            .aws
            .logs()
            .await
            .read(&source.group, &source.stream, None)
            .await?;
        let skip = page.messages.len().saturating_sub(TRACE_LOG_LINES);
        logs.push((
            container.name.clone(),
            page.messages.into_iter().skip(skip).collect(),
        ));
    }
    Ok(logs)
}

impl Session<'_> {
    /// Where `tasks` and `exec` look: the selected service's cluster, its name (empty without a
    /// service) and its task definition's family.
    pub(super) fn task_scope(&self) -> Result<TaskScope, Error> {
        let owner = self
            .project
            .one_task_definition_owner(&self.global.service)?;
        let (cluster, family) = self.selected_family()?;
        Ok(TaskScope {
            cluster,
            service: owner.name,
            family,
        })
    }

    /// `--filter-command` (or its variables), else the config's deprecated `filter_command`.
    pub(super) fn filter_command(&self) -> Option<String> {
        self.global
            .filter_command
            .clone()
            .or_else(|| self.project.config.filter_command.clone())
            .filter(|command| !command.is_empty())
    }
}
