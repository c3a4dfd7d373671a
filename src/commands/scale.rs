//! `ristretto scale --tasks N`: set the selected service's desired count, planned under the
//! deploy lock like `deploy`, with the same progress and wait. The plan keeps the live
//! service as the desired one, so no drift between the definition files and the service is
//! carried along. `--dry-run` prints the plan.

use crate::cli::ScaleArgs;
use crate::error::Error;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &ScaleArgs) -> Result<u8, Error> {
    let execution = session.execution(&arguments.execution);
    let (_, target) = session.one_target().await?;
    let ecs = session.aws.ecs().await;
    // A service that is not there fails here, before any lock is taken (and before the
    // default lock table would be created for nothing).
    operation::live_service(&ecs, &target).await?;
    let make_plan = async || {
        operation::scale_plan(
            &ecs,
            &target,
            arguments.tasks,
            &operation::config_plan_options(&session.project.config),
            session.global.env.clone(),
        )
        .await
    };
    session
        .one_step(
            &ecs,
            std::slice::from_ref(&target),
            arguments.dry_run,
            &execution,
            "scale",
            make_plan,
        )
        .await?;
    Ok(crate::exit_code::SUCCESS)
}
