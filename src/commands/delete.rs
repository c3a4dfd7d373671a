//! `ristretto delete`: delete the selected service under the deploy lock, after the user typed
//! its name (`--force` skips the question). `--terminate` stops its tasks too (DeleteService
//! force); without it a service that still has desired tasks is refused before anything is
//! locked, with the way out. `--dry-run` says what would be deleted, warns when the real run
//! would need `--terminate`, and exits 0.

use std::sync::Arc;

use crate::aws::ecs::EcsApi;
use crate::cli::{DeleteArgs, ProgressFormat};
use crate::error::Error;
use crate::exit_code;
use crate::lock::{LeaseHandle, LockInfo};
use crate::operation;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &DeleteArgs) -> Result<u8, Error> {
    let output = session.output;
    let reporter = output.reporter(ProgressFormat::Text);
    let (_, target) = session.one_target().await?;
    let ecs = session.aws.ecs().await;
    let service = operation::live_service(&ecs, &target).await?;
    let needs_terminate = service.desired_count > 0 && !arguments.terminate;
    let summary = format!(
        "{target}: {} (desired {}, running {})",
        service.arn, service.desired_count, service.running_count
    );
    if arguments.dry_run {
        // A dry run reports what the real run would do, and what it would refuse, without
        // failing: CI scripts run `delete --dry-run` before `delete --force --terminate`.
        output.info(&format!("Would delete {summary} (dry run)."));
        if needs_terminate {
            output.warn(&format!(
                "the service still has {} desired task(s): the real run needs --terminate (or \
                 ristretto scale --tasks 0 first)",
                service.desired_count
            ));
        }
        return Ok(exit_code::SUCCESS);
    }
    if needs_terminate {
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
    if !arguments.force {
        output.confirm(
            &format!("Delete {summary}?"),
            &target.service,
            "pass --force to delete without a question",
        )?;
    }
    let lock =
        operation::open_lock(&session.project.config, &session.aws, Arc::clone(&reporter)).await?;
    let terminate = arguments.terminate;
    let (cluster, name) = (target.cluster.clone(), target.service.clone());
    operation::under_service_lock(
        &lock,
        &target,
        LockInfo::current("delete", None),
        arguments.lock_timeout,
        reporter,
        |lease: LeaseHandle| async move {
            // Never mutate without a valid lease.
            lease.check_valid()?;
            ecs.delete_service(&cluster, &name, terminate).await?;
            Ok(())
        },
    )
    .await?;
    output.info(&format!("Deleted {summary}."));
    Ok(exit_code::SUCCESS)
}
