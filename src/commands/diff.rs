//! `ristretto diff`: what would change between the definitions and the live service, printed
//! like a plan; nothing is written. `--detailed-exitcode`: 0 no changes, 2 changes.

use crate::cli::{DiffArgs, GlobalArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::shared;

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &DiffArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = shared::load_project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let plan = shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        shared::plan_now(&project, global, &arguments.flags, &config, &region, output).await
    })?;
    output
        .data(&shared::render(&plan, PlanFormat::Text, output))
        .map_err(Error::Stdout)?;
    Ok(if arguments.detailed_exitcode && plan.has_changes() {
        exit_code::CHANGES_PRESENT
    } else {
        exit_code::SUCCESS
    })
}
