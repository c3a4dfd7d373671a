//! `ristretto run`: start a one-off task of the project's task definition with the network
//! configuration, launch type or capacity providers, placement, platform version, ECS Exec
//! setting and EBS volume configurations of the service definition; follow the watched
//! container's CloudWatch Logs (awslogs driver) on stdout while it runs; exit with that
//! container's exit code — or 1 with the stop reason when it never ran. The task definition is
//! the file's (an identical ACTIVE revision is reused, otherwise it is registered), `--task-def
//! FILE`, `--revision N`, `--latest-task-definition` or `--skip-task-definition` (what the
//! service runs). `--dry-run` prints the RunTask request and changes nothing. No service
//! changes, so no deploy lock. Exit codes of the container pass through unchanged, as in
//! ecspresso, so a container exiting 3 makes `run` exit 3.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::aws::ecs::{EcsApi, LiveTask, LiveTaskDefinition};
use crate::aws::logs::Logs;
use crate::cli::{PropagateTags, RunArgs, RunWaitUntil};
use crate::config::ServiceConfig;
use crate::error::Error;
use crate::exit_code;
use crate::normalize::{self, NormalizeOptions};
use crate::output::Output;
use crate::project::Project;

use super::Session;

/// What the service definition decides about where and how a task runs; RunTask takes the
/// same members (ecspresso copies the same ones).
const FROM_SERVICE_DEFINITION: [&str; 8] = [
    "launchType",
    "capacityProviderStrategy",
    "platformVersion",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "enableECSManagedTags",
    "enableExecuteCommand",
];

pub(super) async fn run(session: &Session<'_>, arguments: &RunArgs) -> Result<u8, Error> {
    let (project, output) = (&session.project, session.output);
    let owner = project.one_task_definition_owner(&session.global.service)?;
    let overrides = overrides(project, arguments)?;
    let mut tags = tags(arguments.tags.as_deref())?;
    let timeout = project.config.timeout;
    let placement = match project.service_definition_of(&owner)? {
        Some(service) => {
            session.warn_all(&service.warnings);
            service.document
        }
        None => Value::Null,
    };
    let cluster = owner.cluster.clone();
    let ecs = session.aws.ecs().await;
    let chosen = task_definition(&ecs, project, &owner, arguments, output).await?;
    let container = watched_container(
        chosen.document(),
        &chosen.label(),
        arguments.watch_container.as_deref(),
    )?;
    let mut request = Map::new();
    for member in FROM_SERVICE_DEFINITION {
        if let Some(value) = placement.get(member).filter(|value| !value.is_null()) {
            request.insert(member.to_owned(), value.clone());
        }
    }
    let delete_on_termination = !arguments.no_ebs_delete_on_termination;
    if let Some(volumes) = task_volume_configurations(&placement, delete_on_termination) {
        request.insert("volumeConfigurations".into(), volumes);
    }
    request.insert("cluster".into(), json!(cluster));
    request.insert("taskDefinition".into(), json!(chosen.reference()));
    request.insert("count".into(), json!(arguments.count));
    request.insert("startedBy".into(), json!("ristretto"));
    if let Some(overrides) = overrides {
        request.insert("overrides".into(), overrides);
    }
    match arguments.propagate_tags {
        // RunTask refuses SERVICE ("An error will be received if you specify the SERVICE
        // option when running a task"): the service's tags are read and sent as tags, as
        // ecspresso does; --tags win over a service tag with the same key.
        Some(PropagateTags::Service) => {
            let service_tags = service_tags(&ecs, &owner).await?;
            for tag in service_tags {
                if !tags.iter().any(|given| given["key"] == tag["key"]) {
                    tags.push(tag);
                }
            }
        }
        Some(PropagateTags::TaskDefinition) => {
            request.insert("propagateTags".into(), json!("TASK_DEFINITION"));
        }
        Some(PropagateTags::None) => {
            request.insert("propagateTags".into(), json!("NONE"));
        }
        None => {}
    }
    if !tags.is_empty() {
        request.insert("tags".into(), json!(tags));
    }
    if let Some(token) = &arguments.client_token {
        request.insert("clientToken".into(), json!(token));
    }
    if arguments.dry_run {
        if let TaskDefinitionToRun::New(document) = &chosen {
            output.info(&format!(
                "A new revision of {} would be registered; the request names the family (dry run).",
                family_of(document)
            ));
        }
        output
            .data(&serde_json::to_string_pretty(&Value::Object(request)).expect("JSON"))
            .map_err(Error::Stdout)?;
        output.info("Nothing was run (dry run).");
        return Ok(exit_code::SUCCESS);
    }
    let task_definition = match chosen {
        TaskDefinitionToRun::Existing(existing) => existing,
        TaskDefinitionToRun::New(document) => {
            let registered = ecs.register_task_definition(&document).await?;
            output.info(&format!("Registered {}.", registered.short_name()));
            registered
        }
    };
    request.insert("taskDefinition".into(), json!(task_definition.arn));
    {
        let started = ecs.run_task(&Value::Object(request)).await?;
        if started.tasks.is_empty() {
            return Err(Error::failed(
                format!(
                    "RunTask started no task: {}",
                    if started.failures.is_empty() {
                        "no reason given".to_owned()
                    } else {
                        started.failures.join("; ")
                    }
                ),
                Some("check the cluster's capacity and the service definition's network configuration".to_owned()),
            ));
        }
        for failure in &started.failures {
            output.warn(&format!("RunTask: {failure}"));
        }
        let arns: Vec<String> = started.tasks.iter().map(|task| task.arn.clone()).collect();
        for arn in &arns {
            output.info(&format!(
                "Started task {arn} ({}).",
                task_definition.short_name()
            ));
        }
        if arguments.no_wait {
            return Ok(exit_code::SUCCESS);
        }
        let logs = match LogSource::of(&task_definition, &container, &started.tasks[0]) {
            Some(source) => Some((session.aws.logs().await, source)),
            None => None,
        };
        if logs.is_none() {
            output.info(&format!(
                "Container {container} does not log to CloudWatch Logs with a stream prefix: its logs are not followed."
            ));
        }
        let until = arguments.wait_until;
        let interval = arguments
            .poll
            .poll_interval
            .unwrap_or(crate::apply::wait::DEFAULT_POLL_INTERVAL);
        let tasks = follow(
            &ecs,
            &cluster,
            &arns,
            until,
            (timeout, interval),
            logs,
            output,
        )
        .await?;
        if until == RunWaitUntil::Running {
            output.info("The task is running.");
            return Ok(exit_code::SUCCESS);
        }
        let mut code = exit_code::SUCCESS;
        for task in &tasks {
            match task_end(task, &container) {
                TaskEnd::Exited(status) => {
                    output.info(&format!(
                        "Task {} stopped: {container} exited with {status}.",
                        task.id()
                    ));
                    if code == exit_code::SUCCESS && status != 0 {
                        code = u8::try_from(status).unwrap_or(exit_code::ERROR);
                    }
                }
                TaskEnd::FailedToStart(reason) => {
                    return Err(Error::failed(
                        format!("task {} stopped before {container} ran: {reason}", task.id()),
                        Some("look at the task's stoppedReason and the container's reason: aws ecs describe-tasks".to_owned()),
                    ));
                }
            }
        }
        Ok(code)
    }
}

/// `--overrides JSON`, or `--overrides-file FILE` rendered like a definition (templates with
/// the plugin functions, Jsonnet), as ecspresso renders it.
fn overrides(project: &Project, arguments: &RunArgs) -> Result<Option<Value>, Error> {
    let (source, value) = match (&arguments.overrides, &arguments.overrides_file) {
        (Some(text), _) => (
            "--overrides".to_owned(),
            serde_json::from_str::<Value>(text).map_err(|error| {
                Error::usage(
                    format!("--overrides: not valid JSON: {error}"),
                    Some(OVERRIDES_EXAMPLE.to_owned()),
                )
            })?,
        ),
        (None, Some(path)) => (path.display().to_string(), project.render_file(path)?),
        (None, None) => return Ok(None),
    };
    if !value.is_object() {
        return Err(Error::usage(
            format!(
                "{source}: expected a JSON object, got {}",
                crate::config::kind_of(&value)
            ),
            Some(OVERRIDES_EXAMPLE.to_owned()),
        ));
    }
    Ok(Some(value))
}

const OVERRIDES_EXAMPLE: &str = r#"give RunTask's overrides object, e.g. {"containerOverrides":[{"name":"app","command":["rake","db:migrate"]}]}"#;

/// The service definition's EBS volume configurations as RunTask's (ecspresso's conversion):
/// the same managed volume, tag specifications without `propagateTags: SERVICE` (RunTask has no
/// service to take them from), and the termination policy of `--[no-]ebs-delete-on-termination`.
fn task_volume_configurations(service: &Value, delete_on_termination: bool) -> Option<Value> {
    let volumes: Vec<Value> = service
        .get("volumeConfigurations")?
        .as_array()?
        .iter()
        .filter_map(|volume| {
            let mut managed = volume.get("managedEBSVolume")?.as_object()?.clone();
            if let Some(Value::Array(specifications)) = managed.get_mut("tagSpecifications") {
                specifications.retain(|specification| {
                    specification.get("propagateTags").and_then(Value::as_str) != Some("SERVICE")
                });
                if specifications.is_empty() {
                    managed.remove("tagSpecifications");
                }
            }
            managed.insert(
                "terminationPolicy".into(),
                json!({"deleteOnTermination": delete_on_termination}),
            );
            Some(json!({"name": volume.get("name")?, "managedEBSVolume": managed}))
        })
        .collect();
    (!volumes.is_empty()).then_some(Value::Array(volumes))
}

/// The live service's tags (`--propagate-tags SERVICE`).
async fn service_tags(ecs: &impl EcsApi, owner: &ServiceConfig) -> Result<Vec<Value>, Error> {
    if owner.name.is_empty() {
        return Err(Error::usage(
            "--propagate-tags SERVICE: the config has no service to take tags from",
            Some("use --propagate-tags TASK_DEFINITION, or --tags K=V".to_owned()),
        ));
    }
    let service = ecs
        .describe_service(&owner.cluster, &owner.name)
        .await?
        .ok_or_else(|| {
            Error::usage(
                format!(
                    "--propagate-tags SERVICE: service {} not found in cluster {}",
                    owner.name, owner.cluster
                ),
                Some("deploy the service first, or use --tags K=V".to_owned()),
            )
        })?;
    // ristretto's own bookkeeping tag (the plan applied to the service) means nothing on a task.
    Ok(service
        .document
        .get("tags")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|tag| {
            !tag.get("key")
                .and_then(Value::as_str)
                .is_some_and(|key| key.starts_with("ristretto:"))
        })
        .cloned()
        .collect())
}

/// `--tags K=V,K2=V2` as RunTask tags.
fn tags(text: Option<&str>) -> Result<Vec<Value>, Error> {
    let Some(text) = text.filter(|text| !text.is_empty()) else {
        return Ok(Vec::new());
    };
    text.split(',')
        .map(|pair| match pair.split_once('=') {
            Some((key, value)) if !key.is_empty() => Ok(json!({"key": key, "value": value})),
            _ => Err(Error::usage(
                format!("--tags: {pair:?} is not KEY=VALUE"),
                Some("for example --tags team=web,purpose=migration".to_owned()),
            )),
        })
        .collect()
}

/// The task definition a run uses: a revision that exists, or the file's document to register.
enum TaskDefinitionToRun {
    Existing(LiveTaskDefinition),
    New(Value),
}

impl TaskDefinitionToRun {
    fn document(&self) -> &Value {
        match self {
            TaskDefinitionToRun::Existing(existing) => &existing.document,
            TaskDefinitionToRun::New(document) => document,
        }
    }

    /// How messages name it: `family:revision`, or the family of a file to register.
    fn label(&self) -> String {
        match self {
            TaskDefinitionToRun::Existing(existing) => existing.short_name(),
            TaskDefinitionToRun::New(document) => family_of(document).to_owned(),
        }
    }

    /// What RunTask's `taskDefinition` says: the ARN, or (dry run only) the family.
    fn reference(&self) -> String {
        match self {
            TaskDefinitionToRun::Existing(existing) => existing.arn.clone(),
            TaskDefinitionToRun::New(document) => family_of(document).to_owned(),
        }
    }
}

fn family_of(document: &Value) -> &str {
    document
        .get("family")
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// The revision to run: chosen by flag (`--revision N`, `--latest-task-definition`,
/// `--skip-task-definition`), or the file's — an identical ACTIVE revision is reused, otherwise
/// it is to be registered.
async fn task_definition(
    ecs: &impl EcsApi,
    project: &Project,
    owner: &ServiceConfig,
    arguments: &RunArgs,
    output: &Output,
) -> Result<TaskDefinitionToRun, Error> {
    if arguments.skip_task_definition && !owner.name.is_empty() {
        let service = ecs
            .describe_service(&owner.cluster, &owner.name)
            .await?
            .ok_or_else(|| {
                Error::usage(
                    format!(
                        "--skip-task-definition: service {} not found in cluster {}",
                        owner.name, owner.cluster
                    ),
                    Some(
                        "deploy the service first, or run without --skip-task-definition"
                            .to_owned(),
                    ),
                )
            })?;
        let running = crate::operation::running_task_definition(&service);
        return ecs
            .describe_task_definition(&running)
            .await?
            .map(TaskDefinitionToRun::Existing)
            .ok_or_else(|| {
                Error::usage(
                    format!("the service runs {running}, which cannot be described"),
                    None,
                )
            });
    }
    let loaded = match &arguments.task_def {
        Some(path) => project.load_task_definition(path)?,
        None => project.task_definition_of(owner)?,
    };
    loaded
        .warnings
        .iter()
        .for_each(|warning| output.warn(warning));
    let family = family_of(&loaded.document).to_owned();
    if let Some(revision) = arguments.revision {
        let reference = format!("{family}:{revision}");
        return ecs
            .describe_task_definition(&reference)
            .await?
            .map(TaskDefinitionToRun::Existing)
            .ok_or_else(|| {
                Error::usage(
                    format!("task definition {reference} does not exist"),
                    Some("list the revisions with ristretto revisions".to_owned()),
                )
            });
    }
    let latest = ecs
        .describe_task_definition(&family)
        .await?
        .filter(|task| task.status == "ACTIVE");
    if arguments.latest_task_definition || arguments.skip_task_definition {
        return latest.map(TaskDefinitionToRun::Existing).ok_or_else(|| {
            Error::usage(
                format!("task definition family {family} has no ACTIVE revision"),
                Some("run without --latest-task-definition or --skip-task-definition to register one".to_owned()),
            )
        });
    }
    let options = NormalizeOptions {
        ignore_tags: project.config.ignore_tags.clone(),
    };
    let wanted = normalize::task_definition(&loaded.document, &options);
    if let Some(latest) =
        latest.filter(|latest| normalize::task_definition(&latest.document, &options) == wanted)
    {
        return Ok(TaskDefinitionToRun::Existing(latest));
    }
    Ok(TaskDefinitionToRun::New(loaded.document))
}

/// `--watch-container`, else the first essential container (ECS's default for `essential`).
fn watched_container(document: &Value, label: &str, wanted: Option<&str>) -> Result<String, Error> {
    let containers: Vec<&Value> = document
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .map(|items| items.iter().collect())
        .unwrap_or_default();
    let name = |container: &Value| {
        container
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    match wanted {
        Some(wanted) => containers
            .iter()
            .map(|container| name(container))
            .find(|name| name == wanted)
            .ok_or_else(|| {
                Error::usage(
                    format!(
                        "--watch-container {wanted}: {label} has no such container (it has {})",
                        containers
                            .iter()
                            .map(|container| name(container))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    None,
                )
            }),
        None => containers
            .iter()
            .find(|container| container.get("essential").and_then(Value::as_bool) != Some(false))
            .or(containers.first())
            .map(|container| name(container))
            .ok_or_else(|| Error::usage(format!("{label} has no container"), None)),
    }
}

/// Where a container's awslogs go: `<prefix>/<container>/<task id>` in the group (also read
/// by `tasks --trace`).
pub(super) struct LogSource {
    pub(super) group: String,
    pub(super) stream: String,
}

impl LogSource {
    pub(super) fn of(
        task_definition: &LiveTaskDefinition,
        container: &str,
        task: &LiveTask,
    ) -> Option<Self> {
        let definition = task_definition
            .document
            .get("containerDefinitions")?
            .as_array()?
            .iter()
            .find(|item| item.get("name").and_then(Value::as_str) == Some(container))?;
        let logging = definition.get("logConfiguration")?;
        if logging.get("logDriver").and_then(Value::as_str) != Some("awslogs") {
            return None;
        }
        let options = logging.get("options")?;
        let option = |key: &str| options.get(key).and_then(Value::as_str).map(str::to_owned);
        Some(Self {
            group: option("awslogs-group")?,
            stream: format!(
                "{}/{container}/{}",
                option("awslogs-stream-prefix")?,
                task.id()
            ),
        })
    }
}

/// Polls the tasks until all stopped (or one runs, for `--wait-until running`), printing new
/// log lines of the first task's watched container on stdout as they come.
async fn follow(
    ecs: &impl EcsApi,
    cluster: &str,
    arns: &[String],
    until: RunWaitUntil,
    (timeout, interval): (Duration, Duration),
    logs: Option<(Logs, LogSource)>,
    output: &Output,
) -> Result<Vec<LiveTask>, Error> {
    let started = tokio::time::Instant::now();
    let mut token: Option<String> = None;
    let mut statuses: HashSet<(String, String)> = HashSet::new();
    loop {
        let tasks = ecs.describe_tasks(cluster, arns).await?;
        for task in &tasks {
            if statuses.insert((task.arn.clone(), task.last_status.clone())) {
                output.debug(&format!("task {}: {}", task.id(), task.last_status));
            }
        }
        let stopped = !tasks.is_empty() && tasks.iter().all(|task| task.last_status == "STOPPED");
        if let Some((client, source)) = &logs {
            let page = client
                .read(&source.group, &source.stream, token.clone())
                .await?;
            for message in &page.messages {
                output.data(message).map_err(Error::Stdout)?;
            }
            token = page.next;
        }
        let done = match until {
            RunWaitUntil::Stopped => stopped,
            RunWaitUntil::Running => {
                stopped || tasks.iter().any(|task| task.last_status == "RUNNING")
            }
        };
        if done {
            return Ok(tasks);
        }
        if started.elapsed() >= timeout {
            return Err(Error::failed(
                format!(
                    "the task did not {} within {}",
                    if until == RunWaitUntil::Running {
                        "start running"
                    } else {
                        "stop"
                    },
                    crate::config::duration::format(timeout)
                ),
                Some("it may still be running: aws ecs describe-tasks; raise --timeout".to_owned()),
            ));
        }
        tokio::time::sleep(interval.min(timeout.saturating_sub(started.elapsed()))).await;
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum TaskEnd {
    /// The watched container ran and exited with this code.
    Exited(i64),
    /// It never ran (image pull failure, no capacity, essential sidecar died first, …).
    FailedToStart(String),
}

/// How a stopped task ended for the watched container.
fn task_end(task: &LiveTask, container: &str) -> TaskEnd {
    let state = task.containers.iter().find(|state| state.name == container);
    if let Some(code) = state.and_then(|state| state.exit_code) {
        return TaskEnd::Exited(code);
    }
    let reason = [
        state.and_then(|state| state.reason.clone()),
        task.stopped_reason.clone(),
        task.stop_code.clone(),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>();
    TaskEnd::FailedToStart(if reason.is_empty() {
        "the task stopped and no reason was given".to_owned()
    } else {
        reason.join("; ")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stopped task as DescribeTasks answers it (real ECS; the emulator always says 0).
    fn stopped(containers: Value, stopped_reason: &str, stop_code: &str) -> LiveTask {
        LiveTask::from_document(json!({
            "taskArn": "arn:aws:ecs:ap-northeast-1:123456789012:task/web/0123456789abcdef0123456789abcdef",
            "taskDefinitionArn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
            "lastStatus": "STOPPED", "desiredStatus": "STOPPED",
            "stopCode": stop_code, "stoppedReason": stopped_reason,
            "containers": containers
        }))
    }

    #[test]
    fn the_watched_containers_exit_code_is_the_result() {
        let task = stopped(
            json!([
                {"name": "log-router", "lastStatus": "STOPPED", "exitCode": 0},
                {"name": "app", "lastStatus": "STOPPED", "exitCode": 3}
            ]),
            "Essential container in task exited",
            "EssentialContainerExited",
        );
        assert_eq!(task.id(), "0123456789abcdef0123456789abcdef");
        assert_eq!(task_end(&task, "app"), TaskEnd::Exited(3));
        assert_eq!(task_end(&task, "log-router"), TaskEnd::Exited(0));
    }

    #[test]
    fn a_container_that_never_ran_fails_with_the_reasons() {
        let task = stopped(
            json!([{"name": "app", "lastStatus": "STOPPED",
                    "reason": "CannotPullContainerError: pull image manifest has been retried 5 time(s)"}]),
            "Task failed to start",
            "TaskFailedToStart",
        );
        assert_eq!(
            task_end(&task, "app"),
            TaskEnd::FailedToStart(
                "CannotPullContainerError: pull image manifest has been retried 5 time(s); \
                 Task failed to start; TaskFailedToStart"
                    .into()
            )
        );
        let bare = stopped(json!([]), "", "");
        assert_eq!(
            task_end(&bare, "app"),
            TaskEnd::FailedToStart("the task stopped and no reason was given".into())
        );
    }

    #[test]
    fn tags_and_overrides_are_checked() {
        assert_eq!(
            tags(Some("team=web,empty=")).unwrap(),
            [
                json!({"key": "team", "value": "web"}),
                json!({"key": "empty", "value": ""})
            ]
        );
        assert_eq!(
            tags(Some("team")).unwrap_err().to_string(),
            "--tags: \"team\" is not KEY=VALUE"
        );
    }

    #[test]
    fn ebs_volume_configurations_become_runtask_ones_without_service_tags() {
        let service = json!({"volumeConfigurations": [{"name": "ebs", "managedEBSVolume": {
            "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
            "sizeInGiB": 10, "volumeType": "gp3", "filesystemType": "ext4",
            "tagSpecifications": [
                {"resourceType": "volume", "propagateTags": "SERVICE"},
                {"resourceType": "volume", "propagateTags": "TASK_DEFINITION"}]}}]});
        assert_eq!(
            task_volume_configurations(&service, false).unwrap(),
            json!([{"name": "ebs", "managedEBSVolume": {
                "roleArn": "arn:aws:iam::123456789012:role/ecsInfrastructureRole",
                "sizeInGiB": 10, "volumeType": "gp3", "filesystemType": "ext4",
                "tagSpecifications": [{"resourceType": "volume", "propagateTags": "TASK_DEFINITION"}],
                "terminationPolicy": {"deleteOnTermination": false}}}])
        );
        assert_eq!(
            task_volume_configurations(&service, true).unwrap()[0]["managedEBSVolume"]["terminationPolicy"],
            json!({"deleteOnTermination": true})
        );
        assert!(task_volume_configurations(&json!({}), true).is_none());
    }

    #[test]
    fn the_log_stream_is_prefix_container_task_id() {
        let task_definition = LiveTaskDefinition::from_document(json!({
            "family": "api", "revision": 3,
            "containerDefinitions": [{"name": "app", "logConfiguration": {"logDriver": "awslogs",
                "options": {"awslogs-group": "/ecs/api", "awslogs-stream-prefix": "web"}}}]
        }));
        let task = stopped(json!([]), "", "");
        let source = LogSource::of(&task_definition, "app", &task).unwrap();
        assert_eq!(source.group, "/ecs/api");
        assert_eq!(source.stream, "web/app/0123456789abcdef0123456789abcdef");
        assert!(LogSource::of(&task_definition, "other", &task).is_none());
    }
}
