//! `ristretto deploy`: ecspresso's one-step deploy — plan with the same flags and apply at once
//! under the deploy lock (`--dry-run` prints the plan and changes nothing). Same executor, same
//! lock and same refusals as `apply`.

use crate::cli::{DeployArgs, GlobalArgs};
use crate::error::Error;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::shared;

pub(super) fn run(
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
        let dry_run = arguments.dry_run;
        shared::show_and_apply(
            &plan, dry_run, &project, &config, &execution, "deploy", output,
        )
        .await
    })
}
