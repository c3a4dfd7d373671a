//! `ristretto rollback`: put the selected service back on the previous ACTIVE revision of its
//! task definition family (the newest one older than what it runs), as a sealed plan executed
//! under the deploy lock, planned after it was taken, and waited for. The live service is the
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
    // A service that is not there fails here, before any lock is taken (and before the
    // default lock table would be created for nothing).
    operation::live_service(&ecs, &target).await?;
    // Planned under the lock: what runs then is what is rolled back from.
    let mut rolled_back_from = None;
    let make_plan = async || {
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
        rolled_back_from = Some(rollback.from);
        Ok(rollback.planned)
    };
    session
        .one_step(
            &ecs,
            std::slice::from_ref(&target),
            arguments.dry_run,
            &execution,
            "rollback",
            make_plan,
        )
        .await?;
    if let Some(from) = rolled_back_from.filter(|_| arguments.deregister_task_definition)
        && !arguments.dry_run
    {
        ecs.deregister_task_definition(&from.arn).await?;
        output.info(&format!("Deregistered {}.", from.short_name()));
    }
    Ok(exit_code::SUCCESS)
}
