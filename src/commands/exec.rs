//! `ristretto exec`: ECS Exec into a task of the selected service (or family) — ExecuteCommand,
//! then `session-manager-plugin` on this terminal, as the AWS CLI does — or, with
//! `--port-forward`/`-L`, a Session Manager port-forwarding session to the task or to a host it
//! reaches. The plugin is looked for before anything is asked of AWS, so a missing plugin fails
//! at once with the install instructions. The task is `--id`, the only running one, or the
//! filter command's choice; the container likewise (`--container`).

use std::collections::BTreeMap;

use serde_json::json;

use crate::aws::ecs::LiveTask;
use crate::aws::ecs_tasks::TaskApi;
use crate::cli::ExecArgs;
use crate::error::Error;
use crate::exit_code;
use crate::operation::session_plugin::{self, PluginSession};
use crate::operation::{self};
use crate::output::tasks as tasks_output;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &ExecArgs) -> Result<u8, Error> {
    let plugin = session_plugin::find_plugin(std::env::var_os("PATH").as_deref())?;
    let scope = session.task_scope()?;
    let ecs = session.aws.ecs().await;
    let filter = session.filter_command();
    let task = match &arguments.id {
        Some(id) => operation::task_by_id(&ecs, &scope.cluster, id).await?,
        None => {
            let tasks = operation::running_tasks(&ecs, &scope).await?;
            if tasks.is_empty() {
                return Err(Error::usage(
                    format!(
                        "no running task of {} in cluster {}",
                        if scope.service.is_empty() {
                            format!("family {}", scope.family)
                        } else {
                            format!("service {}", scope.service)
                        },
                        scope.cluster
                    ),
                    Some("deploy the service or start a task with ristretto run".to_owned()),
                ));
            }
            let index = operation::choose("task", &tasks_output::lines(&tasks), filter.as_deref())?;
            tasks[index].clone()
        }
    };
    let container = container(&task, arguments.container.as_deref(), filter.as_deref())?;
    let runtime_id = task
        .document
        .get("containers")
        .and_then(serde_json::Value::as_array)
        .and_then(|containers| {
            containers.iter().find(|item| {
                item.get("name").and_then(serde_json::Value::as_str) == Some(container.as_str())
            })
        })
        .and_then(|item| item.get("runtimeId"))
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::usage(
                format!(
                    "container {container} of task {} has no runtime id: it is not running ({})",
                    task.id(),
                    task.last_status
                ),
                Some("choose a RUNNING task: ristretto tasks".to_owned()),
            )
        })?;
    // Session Manager names an ECS Exec target by cluster name, task id and runtime id.
    let cluster_name = scope.cluster.rsplit('/').next().unwrap_or(&scope.cluster);
    let target = format!("ecs:{cluster_name}_{}_{runtime_id}", task.id());
    let region = session.region().await?;
    let profile = session.aws.profile_name();
    let forward = match (&arguments.local_forward, arguments.port_forward) {
        (Some(forward), _) => Some((forward.local_port, Some(forward.host.clone()), forward.port)),
        (None, true) => Some((
            arguments.local_port,
            arguments.host.clone(),
            arguments.port.expect("clap requires --port"),
        )),
        (None, false) => None,
    };
    let plugin_session = match forward {
        Some((local_port, host, port)) => {
            let mut parameters =
                BTreeMap::from([("portNumber".to_owned(), vec![port.to_string()])]);
            if local_port != 0 {
                parameters.insert("localPortNumber".into(), vec![local_port.to_string()]);
            }
            let document = match &host {
                Some(host) => {
                    parameters.insert("host".into(), vec![host.clone()]);
                    "AWS-StartPortForwardingSessionToRemoteHost"
                }
                None => "AWS-StartPortForwardingSession",
            };
            let started = session
                .aws
                .session_manager()
                .await
                .start_session(&target, document, &parameters)
                .await?;
            session.output.info(&format!(
                "Forwarding local port {} to {}:{port} through task {} ({container}).",
                if local_port == 0 {
                    "(chosen by the plugin)".to_owned()
                } else {
                    local_port.to_string()
                },
                host.as_deref().unwrap_or("the task"),
                task.id()
            ));
            PluginSession {
                session: started.response,
                region,
                profile,
                request: started.request,
                endpoint: session.aws.endpoint_url("ssm").await?,
            }
        }
        None => {
            let started = ecs
                .execute_command(&scope.cluster, &task.arn, &container, &arguments.command)
                .await?;
            session.output.info(&format!(
                "Running {:?} in {} of task {}.",
                arguments.command,
                started.container_name,
                task.id()
            ));
            PluginSession {
                session: started.session,
                region,
                profile,
                request: json!({ "Target": target }),
                endpoint: session.aws.endpoint_url("ecs").await?,
            }
        }
    };
    session_plugin::run_plugin(&plugin, &plugin_session)?;
    Ok(exit_code::SUCCESS)
}

/// `--container`, else the task's only container, else the filter command's choice.
fn container(task: &LiveTask, wanted: Option<&str>, filter: Option<&str>) -> Result<String, Error> {
    let names: Vec<String> = task
        .containers
        .iter()
        .map(|container| container.name.clone())
        .collect();
    match wanted {
        Some(wanted) if names.iter().any(|name| name == wanted) => Ok(wanted.to_owned()),
        Some(wanted) => Err(Error::usage(
            format!(
                "--container {wanted}: task {} has no such container (it has {})",
                task.id(),
                names.join(", ")
            ),
            None,
        )),
        None => Ok(names[operation::choose("container", &names, filter)?].clone()),
    }
}
