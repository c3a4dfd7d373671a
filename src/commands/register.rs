//! `ristretto register`: register the selected service's task definition file as a new
//! revision, as ecspresso's `register` does — always a new revision, even when an identical one
//! is ACTIVE (`deploy` and `run` reuse it instead). No service changes, so no deploy lock.
//! `--dry-run` prints the document that would be registered on stdout; `--output` prints the
//! registered task definition.

use crate::aws::ecs::EcsApi;
use crate::cli::RegisterArgs;
use crate::error::Error;
use crate::exit_code;

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &RegisterArgs) -> Result<u8, Error> {
    let (project, output) = (&session.project, session.output);
    let owner = project.one_task_definition_owner(&session.global.service)?;
    let loaded = project.task_definition_of(&owner)?;
    session.warn_all(&loaded.warnings);
    if arguments.dry_run {
        output
            .data(&pretty(&loaded.document))
            .map_err(Error::Stdout)?;
        output.info(&format!(
            "Would register a new revision of {} from {} (dry run).",
            loaded
                .document
                .get("family")
                .and_then(serde_json::Value::as_str)
                .unwrap_or_default(),
            loaded.path.display()
        ));
        return Ok(exit_code::SUCCESS);
    }
    let registered = session
        .aws
        .ecs()
        .await
        .register_task_definition(&loaded.document)
        .await?;
    output.info(&format!(
        "Registered {} ({}).",
        registered.short_name(),
        registered.arn
    ));
    if arguments.output {
        output
            .data(&pretty(&registered.document))
            .map_err(Error::Stdout)?;
    }
    Ok(exit_code::SUCCESS)
}

fn pretty(document: &serde_json::Value) -> String {
    serde_json::to_string_pretty(document).expect("JSON always serializes")
}
