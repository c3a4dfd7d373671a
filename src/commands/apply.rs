//! `ristretto apply [PLANFILE]`: execute exactly a saved plan under the deploy lock — refused
//! (exit 4) when its digest or version is wrong, it was made for another target or environment,
//! the live service changed since (stale), or it was applied already. Without a plan file: plan
//! now, show the plan, and ask for confirmation on a terminal (`--auto-approve` skips it; with
//! no terminal and no `--auto-approve` it fails instead of hanging).

use crate::cli::{ApplyArgs, GlobalArgs, PlanFormat};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::{selected, shared};

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &ApplyArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = shared::load_project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let execution = shared::execution(&arguments.execution, &project, output)?;
    let runtime = shared::runtime()?;
    runtime.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let plan = match &arguments.plan {
            Some(source) => {
                let plan = shared::load(source, &settings).await?;
                shared::check_plan_matches(
                    &plan,
                    &project,
                    options.environment.as_deref(),
                    &region,
                )?;
                plan
            }
            None => {
                let plan =
                    shared::plan_now(&project, global, &arguments.flags, &config, &region, output)
                        .await?;
                output.info(shared::render(&plan, PlanFormat::Text, output).trim_end());
                if plan.has_changes() && !arguments.auto_approve {
                    // Only "yes" goes ahead, as in Terraform.
                    selected::confirm(
                        "Apply this plan?",
                        "yes",
                        "review a saved plan (ristretto plan -o plan.json) and apply it, or pass --auto-approve",
                        output,
                    )?;
                }
                plan
            }
        };
        if !plan.has_changes() {
            output.info("No changes to apply.");
            return Ok(exit_code::SUCCESS);
        }
        shared::apply_plan(&plan, &project, &config, &execution, "apply", output).await?;
        output.info(&format!("Applied plan {}.", plan.plan_id));
        Ok(exit_code::SUCCESS)
    })
}
