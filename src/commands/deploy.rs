//! `ristretto deploy`: ecspresso's one-step deploy — plan with the same flags and apply at once
//! under the deploy lock (`--dry-run` prints the plan and changes nothing). Same executor, same
//! lock and same refusals as `apply`.

use crate::cli::{DeployArgs, GlobalArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::{Project, ProjectOptions};

use super::shared;

pub fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &DeployArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = Project::load(options)?;
    project
        .config
        .warnings
        .iter()
        .for_each(|warning| output.warn(warning));
    let settings = shared::aws_settings(global, &project);
    let execution = shared::execution(&arguments.execution, &project, output)?;
    let (plan_options, choice) = shared::plan_options(&project, &arguments.flags);
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let requests = shared::desired_requests(&project, &region, &global.service, output)?;
        let ecs = shared::ecs_client(&config);
        let plan = shared::compute_plan(
            &ecs,
            &requests,
            &plan_options,
            choice,
            options.environment.clone(),
        )
        .await?;
        if arguments.dry_run {
            output
                .data(&shared::render(&plan, PlanFormat::Text, output))
                .map_err(Error::Stdout)?;
            return Ok(exit_code::SUCCESS);
        }
        output.info(shared::render(&plan, PlanFormat::Text, output).trim_end());
        if !plan.has_changes() {
            return Ok(exit_code::SUCCESS);
        }
        shared::apply_plan(&plan, &project, &config, &execution, "deploy", output).await?;
        Ok(exit_code::SUCCESS)
    })
}
