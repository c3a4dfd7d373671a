//! `ristretto status`: the selected service as ECS describes it — task definition, deployments
//! (status, counts, rolloutState), the latest `--events N` events and the auto scaling target —
//! as text or `--format json` on stdout. Read-only: no lock, no changes. A failure to read auto
//! scaling is only a warning (as in ecspresso): the service is what was asked for.

use crate::aws::ecs::EcsApi;
use crate::cli::{StatusArgs, TextOrJson};
use crate::error::Error;
use crate::exit_code;
use crate::operation;
use crate::output::status::{self as status_output, StatusView};

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &StatusArgs) -> Result<u8, Error> {
    let output = session.output;
    let (_, target) = session.one_target().await?;
    let ecs = session.aws.ecs().await;
    let service = operation::live_service(&ecs, &target).await?;
    let scaling = session.aws.auto_scaling().await;
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
        TextOrJson::Text => status_output::human(&view, output.stdout_color()),
        TextOrJson::Json => {
            serde_json::to_string_pretty(&status_output::json(&view)).unwrap_or_default()
        }
    };
    output.data(&text).map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}
