//! `ristretto scale --tasks N`: set the selected service's desired count, with the same sealed
//! plan, deploy lock, staleness check, progress and wait as `apply`. The plan keeps the live
//! service as the desired one, so no drift between the definition files and the service is
//! carried along. `--dry-run` prints the plan.

use crate::cli::ScaleArgs;
use crate::error::Error;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &ScaleArgs) -> Result<u8, Error> {
    let execution = session.execution(&arguments.execution);
    let (_, target) = session.one_target().await?;
    let plan = operation::scale_plan(
        &session.aws.ecs().await,
        &target,
        arguments.tasks,
        &operation::config_plan_options(&session.project.config),
        session.global.env.clone(),
    )
    .await?;
    session
        .show_and_apply(&plan, arguments.dry_run, &execution, "scale")
        .await
}
