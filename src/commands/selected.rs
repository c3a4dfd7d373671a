//! What the service commands (status, wait, rollback, scale, revisions, deregister, delete,
//! run, verify) do the same way before their own work: load the project with its warnings
//! printed, name the configured service, and find it live — with one clear error when it is
//! not there. Orchestration only; no decisions about what to change.

use crate::aws::ecs::{EcsApi, LiveService};
use crate::error::Error;
use crate::output::Output;
use crate::plan::Target;
use crate::project::{Project, ProjectOptions};

/// Loads the project and prints its config warnings.
pub(super) fn project(options: &ProjectOptions, output: &Output) -> Result<Project, Error> {
    let project = Project::load(options)?;
    project
        .config
        .warnings
        .iter()
        .for_each(|warning| output.warn(warning));
    Ok(project)
}

/// The configured service's target; an error when the config names no service.
pub(super) fn target(project: &Project, region: &str) -> Result<Target, Error> {
    let service = project.config.service.clone().ok_or_else(|| {
        Error::usage(
            format!(
                "{}: no service in the config: this command works on a service",
                project.config.file.display()
            ),
            Some("add service: 'NAME' to the config".to_owned()),
        )
    })?;
    Ok(Target {
        region: region.to_owned(),
        cluster: project.config.cluster.clone(),
        service,
    })
}

/// The live service, or an error naming what was looked for. An unknown cluster is AWS's own
/// ClusterNotFoundException, which already carries a hint.
pub(super) async fn live_service(ecs: &impl EcsApi, target: &Target) -> Result<LiveService, Error> {
    ecs.describe_service(&target.cluster, &target.service)
        .await?
        .ok_or_else(|| {
            Error::usage(
                format!(
                    "service {} not found in cluster {} ({})",
                    target.service, target.cluster, target.region
                ),
                Some(
                    "check the config's service and cluster and the region; `ristretto deploy` \
                     creates the service"
                        .to_owned(),
                ),
            )
        })
}

/// The task definition the service runs: its PRIMARY deployment's (ECS reports the service's
/// own `taskDefinition` as the same, but an emulator may not).
pub(super) fn running_task_definition(service: &LiveService) -> String {
    service
        .primary_deployment()
        .map(|deployment| deployment.task_definition.clone())
        .filter(|arn| !arn.is_empty())
        .unwrap_or_else(|| service.task_definition.clone())
}

/// The task definition the service runs, described (with tags).
pub(super) async fn current_task_definition(
    ecs: &impl EcsApi,
    service: &LiveService,
) -> Result<crate::aws::ecs::LiveTaskDefinition, Error> {
    let running = running_task_definition(service);
    ecs.describe_task_definition(&running)
        .await?
        .ok_or_else(|| {
            Error::usage(
                format!("the service runs {running}, which cannot be described"),
                None,
            )
        })
}

/// Asks on the terminal and accepts only `expected` as the answer. Without a terminal it fails
/// instead of hanging, and `hint` says how to go on without the question (`--force`).
pub(super) fn confirm(
    question: &str,
    expected: &str,
    hint: &str,
    output: &Output,
) -> Result<(), Error> {
    use std::io::{BufRead, IsTerminal};
    if !std::io::stdin().is_terminal() {
        return Err(Error::usage(
            format!("{question}: confirmation is needed, and stdin is not a terminal"),
            Some(hint.to_owned()),
        ));
    }
    output.info(&format!("{question} Type {expected:?} to confirm:"));
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|error| Error::usage(format!("cannot read the answer: {error}"), None))?;
    if answer.trim() == expected {
        Ok(())
    } else {
        Err(Error::usage("cancelled: the answer did not match", None))
    }
}

/// Which ACTIVE revisions of `family` are in use, and by what: the deployments of every
/// service of the cluster, and the family's tasks that have not stopped. Keyed by revision.
pub(super) async fn revisions_in_use(
    ecs: &impl EcsApi,
    cluster: &str,
    family: &str,
) -> Result<std::collections::BTreeMap<i64, Vec<String>>, Error> {
    use crate::aws::ecs::{task_definition_revision, task_definition_short_name};
    let mut in_use: std::collections::BTreeMap<i64, Vec<String>> = Default::default();
    let mut mark = |reference: &str, user: String| {
        let short = task_definition_short_name(reference);
        if short.rsplit_once(':').map(|(name, _)| name) == Some(family)
            && let Some(revision) = task_definition_revision(reference)
        {
            let users = in_use.entry(revision).or_default();
            if !users.contains(&user) {
                users.push(user);
            }
        }
    };
    let services = ecs.list_services(cluster).await?;
    for service in ecs.describe_services(cluster, &services).await? {
        if service.status == "INACTIVE" {
            continue;
        }
        for deployment in &service.deployments {
            mark(
                &deployment.task_definition,
                format!("service {} ({})", service.name, deployment.status),
            );
        }
        if service.deployments.is_empty() {
            mark(
                &service.task_definition,
                format!("service {}", service.name),
            );
        }
    }
    let tasks = ecs.list_running_tasks(cluster, family).await?;
    if !tasks.is_empty() {
        for task in ecs.describe_tasks(cluster, &tasks).await? {
            if task.last_status != "STOPPED" {
                mark(&task.task_definition, format!("task {}", task.id()));
            }
        }
    }
    Ok(in_use)
}
