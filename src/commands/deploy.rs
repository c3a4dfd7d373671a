//! `ristretto deploy`: ecspresso's one-step deploy — plan with the same flags and apply at once
//! under the deploy lock (`--dry-run` prints the plan and changes nothing). Same executor, same
//! lock and same refusals as `apply`. `--no-update-service` keeps the live service's attributes
//! and desired count: only the task definition changes.

use crate::cli::DeployArgs;
use crate::error::Error;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DeployArgs) -> Result<u8, Error> {
    let execution = session.execution(&arguments.execution);
    let flags = crate::cli::PlanFlags {
        keep_live_service: arguments.no_update_service,
        ..arguments.flags.clone()
    };
    let plan = session.plan_now(&flags).await?;
    session
        .show_and_apply(&plan, arguments.dry_run, &execution, "deploy")
        .await
}
