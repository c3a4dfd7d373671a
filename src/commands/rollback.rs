//! `ristretto rollback`: put the configured service back on the previous ACTIVE revision of its
//! task definition family (the newest one older than what it runs), as a sealed plan executed
//! like `apply` — under the deploy lock, refused when stale, waited for. The live service is the
//! desired one, so only the task definition changes. `--dry-run` prints the plan;
//! `--deregister-task-definition` deregisters the revision rolled back from once the rollout
//! is done (not with `--no-wait`: it may still be needed).

use crate::aws::ecs::{EcsApi, task_definition_revision};
use crate::cli::{GlobalArgs, RollbackArgs};
use crate::error::Error;
use crate::exit_code;
use crate::live::RevisionChoice;
use crate::output::Output;
use crate::plan::PlanRequest;
use crate::project::ProjectOptions;

use super::{selected, shared};

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &RollbackArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = selected::project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let execution = shared::execution(&arguments.execution, &project, output)?;
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let target = selected::target(&project, &region)?;
        let ecs = shared::ecs_client(&config);
        let service = selected::live_service(&ecs, &target).await?;
        let current = selected::current_task_definition(&ecs, &service).await?;
        let active = ecs.list_task_definitions(&current.family, "ACTIVE").await?;
        let previous = previous_revision(&active, current.revision).ok_or_else(|| {
            Error::usage(
                format!(
                    "nothing to roll back to: {} has no ACTIVE revision older than {}",
                    current.family,
                    current.short_name()
                ),
                Some("deploy the revision you want with ristretto deploy --revision N".to_owned()),
            )
        })?;
        let previous_document = ecs
            .describe_task_definition(&format!("{}:{previous}", current.family))
            .await?
            .map(|task| task.document)
            .unwrap_or_else(|| serde_json::json!({"family": current.family}));
        let request = PlanRequest {
            target,
            task_definition: previous_document,
            service: Some(service.document),
            // The desired service is the live one: no service field changes to own.
            ownership: None,
        };
        let plan_options = shared::project_plan_options(&project);
        let plan = shared::compute_plan(
            &ecs,
            std::slice::from_ref(&request),
            &plan_options,
            RevisionChoice::Revision(previous),
            options.environment.clone(),
        )
        .await?;
        if !arguments.dry_run {
            output.info(&format!(
                "Rolling back {} from {} to {}:{previous}.",
                request.target,
                current.short_name(),
                current.family
            ));
        }
        let dry_run = arguments.dry_run;
        shared::show_and_apply(
            &plan, dry_run, &project, &config, &execution, "rollback", output,
        )
        .await?;
        if arguments.deregister_task_definition && !dry_run {
            ecs.deregister_task_definition(&current.arn).await?;
            output.info(&format!("Deregistered {}.", current.short_name()));
        }
        Ok(exit_code::SUCCESS)
    })
}

/// The newest revision older than `current` among the ACTIVE ones (ARNs or `family:N`).
fn previous_revision(active: &[String], current: i64) -> Option<i64> {
    active
        .iter()
        .filter_map(|arn| task_definition_revision(arn))
        .filter(|revision| *revision < current)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_previous_revision_is_the_newest_older_active_one() {
        let active: Vec<String> = [1, 2, 4, 5]
            .iter()
            .map(|revision| format!("arn:aws:ecs:r:1:task-definition/api:{revision}"))
            .collect();
        assert_eq!(previous_revision(&active, 5), Some(4));
        // Revision 3 was deregistered: skipped.
        assert_eq!(previous_revision(&active, 4), Some(2));
        assert_eq!(previous_revision(&active, 1), None);
        // The service runs a revision that is no longer ACTIVE itself.
        assert_eq!(previous_revision(&active, 3), Some(2));
    }
}
