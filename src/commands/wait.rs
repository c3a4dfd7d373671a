//! `ristretto wait`: wait for the configured service's current rollout with the same poll loop,
//! success rule and progress reports as `apply` (`--wait-until deployed|stable`), and the same
//! exit codes (5 when it rolled back, failed or timed out). Read-only: no lock, no changes.

use std::collections::HashSet;

use crate::apply::wait;
use crate::cli::{ExecutionArgs, GlobalArgs, WaitArgs};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::{selected, shared};

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &WaitArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = selected::project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    // The same settings as apply's, so that timeouts, poll interval and reporters match.
    let execution = shared::execution(
        &ExecutionArgs {
            lock_timeout: "0s".to_owned(),
            no_wait: false,
            wait_until: arguments.wait_until,
            timeout: arguments.timeout.clone(),
            format: arguments.format,
            poll_interval: arguments.poll_interval.clone(),
            parallelism: 1,
        },
        &project,
        output,
    )?;
    let Some(wait_options) = execution.wait else {
        unreachable!("no_wait is false")
    };
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let target = selected::target(&project, &region)?;
        let ecs = shared::ecs_client(&config);
        let service = selected::live_service(&ecs, &target).await?;
        // Events from before the wait started are history, not progress.
        let seen: HashSet<String> = service
            .events
            .iter()
            .map(|event| event.id.clone())
            .collect();
        wait::wait_for_rollout(
            &ecs,
            &target,
            &selected::running_task_definition(&service),
            &wait_options,
            seen,
            execution.reporter.as_ref(),
        )
        .await?;
        Ok(exit_code::SUCCESS)
    })
}
