//! `ristretto wait`: wait for the selected service's current rollout with the same poll loop,
//! success rule and progress reports as `apply` (`--wait-until deployed|stable`), and the same
//! exit codes (5 when it rolled back, failed or timed out). Read-only: no lock, no changes.

use std::collections::HashSet;

use crate::apply::wait;
use crate::cli::WaitArgs;
use crate::error::Error;
use crate::exit_code;
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &WaitArgs) -> Result<u8, Error> {
    let options = session.wait_options(&arguments.wait);
    let reporter = session.output.reporter(arguments.format);
    let (_, target) = session.one_target().await?;
    let ecs = session.aws.ecs().await;
    let service = operation::live_service(&ecs, &target).await?;
    // Events from before the wait started are history, not progress.
    let seen: HashSet<String> = service
        .events
        .iter()
        .map(|event| event.id.clone())
        .collect();
    wait::wait_for_rollout(
        &ecs,
        &target,
        &operation::running_task_definition(&service),
        &options,
        seen,
        reporter.as_ref(),
    )
    .await?;
    Ok(exit_code::SUCCESS)
}
