//! `ristretto appspec`: print the CodeDeploy AppSpec (YAML, on stdout) that deploys a task
//! definition to the selected service, built by `crate::appspec` as ecspresso builds it. The
//! task definition is `--task-definition latest` (the family's newest ACTIVE revision),
//! `current` (what the service runs) or an ARN; the load balancer, network and capacity
//! providers come from the service definition file, or from the live service with
//! `--no-update-service`. Read-only.

use crate::appspec::AppSpec;
use crate::aws::ecs::{EcsApi, LiveService};
use crate::cli::AppspecArgs;
use crate::error::Error;
use crate::exit_code;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &AppspecArgs) -> Result<u8, Error> {
    let (service_config, target) = session.one_target().await?;
    let ecs = session.aws.ecs().await;
    let mut live: Option<LiveService> = None;
    let task_definition = match arguments.task_definition.as_str() {
        "current" => {
            let service = operation::live_service(&ecs, &target).await?;
            let running = operation::running_task_definition(&service);
            live = Some(service);
            running
        }
        "latest" => {
            let (_, family) = session.selected_family()?;
            ecs.describe_task_definition(&family)
                .await?
                .filter(|task| task.status == "ACTIVE")
                .map(|task| task.arn)
                .ok_or_else(|| {
                    Error::usage(
                        format!("task definition family {family} has no ACTIVE revision"),
                        Some("register one first: ristretto register".to_owned()),
                    )
                })?
        }
        arn if arn.starts_with("arn:aws") && arn.contains(":task-definition/") => arn.to_owned(),
        other => {
            return Err(Error::usage(
                format!(
                    "--task-definition {other:?}: expected latest, current or a task definition ARN"
                ),
                Some(
                    "for example --task-definition arn:aws:ecs:REGION:ACCOUNT:task-definition/FAMILY:REV"
                        .to_owned(),
                ),
            ));
        }
    };
    let service = if arguments.no_update_service {
        match live {
            Some(service) => service.document,
            None => operation::live_service(&ecs, &target).await?.document,
        }
    } else {
        let definition = session
            .project
            .service_definition_of(&service_config)?
            .ok_or_else(|| {
                Error::usage(
                    format!(
                        "service {}: the config has no service_definition",
                        service_config.name
                    ),
                    Some("pass --no-update-service to use the live service".to_owned()),
                )
            })?;
        session.warn_all(&definition.warnings);
        definition.document
    };
    let spec = AppSpec::for_service(
        &service,
        &task_definition,
        session.project.config.appspec.as_ref(),
    )?;
    session
        .output
        .data(&spec.to_yaml())
        .map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
