//! `ristretto deploy`: ecspresso's one-step deploy — plan with the same flags and apply at once
//! under the deploy lock (`--dry-run` prints the plan and changes nothing). Same executor, same
//! lock and same refusals as `apply`.

use crate::cli::{DeployArgs, GlobalArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::shared;

pub fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &DeployArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = shared::load_project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let execution = shared::execution(&arguments.execution, &project, output)?;
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let plan =
            shared::plan_now(&project, global, &arguments.flags, &config, &region, output).await?;
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
