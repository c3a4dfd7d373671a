//! `ristretto refresh`: a new deployment of the service exactly as it runs — ecspresso's
//! `deploy --skip-task-definition --force-new-deployment --no-update-service` — with the same
//! lock, plan under it and wait as `deploy`. Tasks are replaced (new images behind a mutable tag, new
//! secrets); the task definition, the attributes and the desired count stay.

use crate::cli::{PlanFlags, RefreshArgs};
use crate::error::Error;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &RefreshArgs) -> Result<u8, Error> {
    let execution = session.execution(&arguments.execution);
    let flags = PlanFlags {
        skip_task_definition: true,
        force_new_deployment: true,
        keep_live_service: true,
        ..PlanFlags::default()
    };
    session
        .deploy_now(&flags, None, arguments.dry_run, &execution, "refresh")
        .await?;
    Ok(crate::exit_code::SUCCESS)
}
