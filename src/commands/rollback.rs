//! `ristretto rollback`: put the selected service back on the previous ACTIVE revision of its
//! task definition family (the newest one older than what it runs), as a sealed plan executed
//! like `apply` — under the deploy lock, refused when stale, waited for. The live service is the
//! desired one, so only the task definition changes. `--dry-run` prints the plan;
//! `--deregister-task-definition` deregisters the revision rolled back from once the rollout
//! is done (not with `--no-wait`: it may still be needed).

use crate::aws::ecs::EcsApi;
use crate::cli::RollbackArgs;
use crate::error::Error;
use crate::exit_code;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &RollbackArgs) -> Result<u8, Error> {
    let output = session.output;
    let execution = session.execution(&arguments.execution);
    let (_, target) = session.one_target().await?;
    let ecs = session.aws.ecs().await;
    let rollback = operation::rollback_plan(
        &ecs,
        &target,
        &operation::config_plan_options(&session.project.config),
        session.global.env.clone(),
    )
    .await?;
    if !arguments.dry_run {
        output.info(&format!(
            "Rolling back {target} from {} to {}:{}.",
            rollback.from.short_name(),
            rollback.from.family,
            rollback.to_revision
        ));
    }
    session
        .show_and_apply(&rollback.plan, arguments.dry_run, &execution, "rollback")
        .await?;
    if arguments.deregister_task_definition && !arguments.dry_run {
        ecs.deregister_task_definition(&rollback.from.arn).await?;
        output.info(&format!("Deregistered {}.", rollback.from.short_name()));
    }
    Ok(exit_code::SUCCESS)
}
