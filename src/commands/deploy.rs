//! `ristretto deploy`: ecspresso's one-step deploy — take the deploy lock, plan with the same
//! flags under it, check the policies, and apply at once (`--dry-run` prints the plan and
//! changes nothing). Runners queued with `--lock-timeout` each plan after the previous one has
//! finished. `--no-update-service` keeps the live service's attributes and desired count: only
//! the task definition changes.

use crate::cli::DeployArgs;
use crate::error::Error;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DeployArgs) -> Result<u8, Error> {
    let policies = session.policies(&arguments.policy)?;
    let execution = session.execution(&arguments.execution);
    let flags = crate::cli::PlanFlags {
        keep_live_service: arguments.no_update_service,
        ..arguments.flags.clone()
    };
    session
        .deploy_now(
            &flags,
            policies.as_ref(),
            arguments.dry_run,
            &execution,
            "deploy",
        )
        .await?;
    Ok(crate::exit_code::SUCCESS)
}
