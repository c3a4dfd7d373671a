//! `ristretto diff`: what would change between the definitions and the live service, printed
//! like a plan; nothing is written. `--detailed-exitcode`: 0 no changes, 2 changes.

use crate::cli::{DiffArgs, GlobalArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::{Project, ProjectOptions};

use super::shared;

pub fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &DiffArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = Project::load(options)?;
    project
        .config
        .warnings
        .iter()
        .for_each(|warning| output.warn(warning));
    let settings = shared::aws_settings(global, &project);
    let (plan_options, choice) = shared::plan_options(&project, &arguments.flags);
    let plan = shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let requests = shared::desired_requests(&project, &region, &global.service, output)?;
        let ecs = shared::ecs_client(&config);
        shared::compute_plan(
            &ecs,
            &requests,
            &plan_options,
            choice,
            options.environment.clone(),
        )
        .await
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
