//! `ristretto scale --tasks N`: set the configured service's desired count — and nothing else —
//! through the same sealed plan, deploy lock, staleness check, progress and wait as `apply`.
//! The plan keeps the live service as the desired one, so no drift between the definition
//! files and the service is carried along. `--dry-run` prints the plan.

use crate::aws::ecs::EcsApi;
use crate::cli::{GlobalArgs, PlanFormat, ScaleArgs};
use crate::error::Error;
use crate::exit_code;
use crate::live::RevisionChoice;
use crate::normalize::NormalizeOptions;
use crate::output::Output;
use crate::plan::{PlanOptions, PlanRequest};
use crate::project::ProjectOptions;

use super::{selected, shared};

pub fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &ScaleArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = selected::project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let execution = shared::execution(&arguments.execution, &project, output)?;
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let target = selected::target(&project, &region)?;
        let ecs = shared::ecs_client(&config);
        let service = selected::live_service(&ecs, &target).await?;
        let running = selected::running_task_definition(&service);
        let task_definition = ecs
            .describe_task_definition(&running)
            .await?
            .ok_or_else(|| {
                Error::usage(
                    format!("the service runs {running}, which cannot be described"),
                    None,
                )
            })?;
        let request = PlanRequest {
            target,
            task_definition: task_definition.document,
            service: Some(service.document),
            // The desired service is the live one: no service field changes to own.
            ownership: None,
        };
        let plan_options = PlanOptions {
            normalize: NormalizeOptions {
                ignore_tags: project.config.ignore_tags.clone(),
            },
            skip_task_definition: true,
            desired_count: Some(arguments.tasks),
            force_new_deployment: false,
            allow_terraform_owned: false,
            secret_patterns: project.config.secret_patterns.clone().unwrap_or_default(),
        };
        let plan = shared::compute_plan(
            &ecs,
            std::slice::from_ref(&request),
            &plan_options,
            RevisionChoice::FromFile,
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
        shared::apply_plan(&plan, &project, &config, &execution, "scale", output).await?;
        Ok(exit_code::SUCCESS)
    })
}
