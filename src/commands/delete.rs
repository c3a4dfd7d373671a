//! `ristretto delete`: delete the configured service under the deploy lock, after the user
//! typed its name (`--force` skips the question). `--terminate` stops its tasks too (DeleteService
//! force); without it a service that still has desired tasks is refused before anything is
//! locked, with the way out. `--dry-run` says what would be deleted.

use crate::cli::{DeleteArgs, GlobalArgs};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::project::ProjectOptions;

use super::{selected, shared};

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &DeleteArgs,
    output: &Output,
) -> Result<u8, Error> {
    use crate::aws::ecs::EcsApi;
    let project = selected::project(options, output)?;
    let settings = shared::aws_settings(global, &project);
    let lock_timeout =
        crate::config::duration::parse(&arguments.lock_timeout).map_err(|message| {
            Error::usage(
                format!("--lock-timeout: {message}"),
                Some("write a duration such as 30s, 10m or 1h".to_owned()),
            )
        })?;
    let reporter: std::sync::Arc<dyn crate::apply::Reporter> =
        std::sync::Arc::new(crate::output::progress::HumanReporter::new(output));
    shared::runtime()?.block_on(async {
        let (config, region) = shared::sdk_config(&settings).await?;
        let target = selected::target(&project, &region)?;
        let ecs = shared::ecs_client(&config);
        let service = selected::live_service(&ecs, &target).await?;
        if service.desired_count > 0 && !arguments.terminate {
            return Err(Error::usage(
                format!(
                    "{target}: the service still has {} desired task(s); ECS deletes only a \
                     service scaled to 0",
                    service.desired_count
                ),
                Some(
                    "pass --terminate to stop its tasks and delete it, or ristretto scale \
                     --tasks 0 first"
                        .to_owned(),
                ),
            ));
        }
        let summary = format!(
            "{target}: {} (desired {}, running {})",
            service.arn, service.desired_count, service.running_count
        );
        if arguments.dry_run {
            output.info(&format!("Would delete {summary}."));
            return Ok(exit_code::SUCCESS);
        }
        if !arguments.force {
            selected::confirm(
                &format!("Delete {summary}?"),
                &target.service,
                "pass --force to delete without a question",
                output,
            )?;
        }
        let terminate = arguments.terminate;
        let (cluster, name) = (target.cluster.clone(), target.service.clone());
        shared::under_service_lock(
            &project,
            &config,
            &target,
            "delete",
            None,
            lock_timeout,
            reporter,
            output,
            |lease: crate::lock::LeaseHandle| async move {
                // Never mutate without a valid lease.
                lease.check_valid()?;
                ecs.delete_service(&cluster, &name, terminate).await?;
                Ok(())
            },
        )
        .await?;
        output.info(&format!("Deleted {summary}."));
        Ok(exit_code::SUCCESS)
    })
}
