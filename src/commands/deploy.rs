//! `ristretto deploy`: ecspresso's one-step deploy — plan with the same flags and apply at once
//! under the deploy lock (`--dry-run` prints the plan and changes nothing). Same executor, same
//! lock and same refusals as `apply`.

use crate::cli::DeployArgs;
use crate::error::Error;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DeployArgs) -> Result<u8, Error> {
    let execution = session.execution(&arguments.execution);
    let plan = session.plan_now(&arguments.flags).await?;
    session
        .show_and_apply(&plan, arguments.dry_run, &execution, "deploy")
        .await
}
