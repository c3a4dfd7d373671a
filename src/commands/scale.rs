//! `ristretto scale --tasks N`: set the configured service's desired count — and nothing else —
//! through the same sealed plan, deploy lock, staleness check, progress and wait as `apply`.
//! The plan keeps the live service as the desired one, so no drift between the definition
//! files and the service is carried along. `--dry-run` prints the plan.

use crate::cli::{GlobalArgs, ScaleArgs};
use crate::error::Error;
use crate::live::RevisionChoice;
use crate::output::Output;
use crate::plan::{PlanOptions, PlanRequest};
use crate::project::ProjectOptions;

use super::{selected, shared};

pub(super) fn run(
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
        let task_definition = selected::current_task_definition(&ecs, &service).await?;
        let request = PlanRequest {
            target,
            task_definition: task_definition.document,
            service: Some(service.document),
            // The desired service is the live one: no service field changes to own.
            ownership: None,
        };
        let plan_options = PlanOptions {
            skip_task_definition: true,
            desired_count: Some(arguments.tasks),
            ..shared::project_plan_options(&project)
        };
        let plan = shared::compute_plan(
            &ecs,
            std::slice::from_ref(&request),
            &plan_options,
            RevisionChoice::FromFile,
            options.environment.clone(),
        )
        .await?;
        let dry_run = arguments.dry_run;
        shared::show_and_apply(
            &plan, dry_run, &project, &config, &execution, "scale", output,
        )
        .await
    })
}
