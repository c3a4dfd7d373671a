//! `ristretto deploy`: ecspresso's one-step deploy — take the deploy lock, plan with the same
//! flags under it, and apply at once (`--dry-run` prints the plan and changes nothing). Runners
//! queued with `--lock-timeout` each plan after the previous one has finished.

use crate::cli::DeployArgs;
use crate::error::Error;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DeployArgs) -> Result<u8, Error> {
    let execution = session.execution(&arguments.execution);
    session
        .deploy_now(&arguments.flags, arguments.dry_run, &execution, "deploy")
        .await?;
    Ok(crate::exit_code::SUCCESS)
}
