//! `ristretto status`: the configured service as ECS describes it — task definition,
//! deployments (status, counts, rolloutState), the latest `--events N` events and the auto
//! scaling target — as text or `--format json` on stdout. Read-only: no lock, no changes. A
//! failure to read auto scaling is only a warning (as in ecspresso): the service is what was
//! asked for.

use crate::aws::autoscaling::AutoScaling;
use crate::aws::ecs::EcsApi;
use crate::cli::{GlobalArgs, StatusArgs, TextOrJson};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::output::status::{self as status_output, StatusView};
use crate::project::ProjectOptions;

use super::{selected, shared};

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &StatusArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = selected::project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let target = selected::target(&project, &region)?;
        let ecs = shared::ecs_client(&config);
        let service = selected::live_service(&ecs, &target).await?;
        let scaling = AutoScaling::new(&config);
        let (task_definition, auto_scaling) = tokio::join!(
            ecs.describe_task_definition(&service.task_definition),
            scaling.service_target(&target.cluster, &target.service)
        );
        let task_definition = task_definition?;
        let auto_scaling = auto_scaling.unwrap_or_else(|error| {
            output.warn(&format!("cannot read the auto scaling target: {error}"));
            None
        });
        let view = StatusView {
            cluster: &target.cluster,
            service: &service,
            task_definition: task_definition.as_ref(),
            auto_scaling: auto_scaling.as_ref(),
            events: arguments.events,
        };
        let text = match arguments.format {
            TextOrJson::Text => status_output::human(&view, output.color() && stdout_is_terminal()),
            TextOrJson::Json => {
                serde_json::to_string_pretty(&status_output::json(&view)).unwrap_or_default()
            }
        };
        output.data(&text).map_err(Error::Stdout)?;
        Ok(exit_code::SUCCESS)
    })
}

fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}
