//! `ristretto revisions`: the ACTIVE revisions of the task definition file's family, newest
//! first, with what uses each (service deployments of the cluster, tasks not stopped), as a
//! table or `--output json` on stdout. Read-only.

use crate::aws::ecs::{EcsApi, task_definition_revision};
use crate::cli::{GlobalArgs, RevisionsArgs, TableOrJson};
use crate::error::Error;
use crate::exit_code;
use crate::output::Output;
use crate::output::revisions::{self as revisions_output, RevisionRow};
use crate::project::{Project, ProjectOptions};

use super::{selected, shared};

pub(super) fn run(
    options: &ProjectOptions,
    global: &GlobalArgs,
    arguments: &RevisionsArgs,
    output: &Output,
) -> Result<u8, Error> {
    let project = selected::project(options, output)?;
    let family = family(&project, output)?;
    let settings = shared::aws_settings(global, &project);
    shared::runtime()?.block_on(async {
        let (config, _region) = shared::sdk_config(&settings).await?;
        let ecs = shared::ecs_client(&config);
        let rows = rows(&ecs, &project.config.cluster, &family).await?;
        let text = match arguments.output {
            TableOrJson::Table => revisions_output::table(&family, &rows),
            TableOrJson::Json => {
                serde_json::to_string_pretty(&revisions_output::json(&family, &rows))
                    .unwrap_or_default()
            }
        };
        output.data(&text).map_err(Error::Stdout)?;
        Ok(exit_code::SUCCESS)
    })
}

/// The family of the config's task definition file.
pub(super) fn family(project: &Project, output: &Output) -> Result<String, Error> {
    let task_definition = project.task_definition()?;
    task_definition
        .warnings
        .iter()
        .for_each(|warning| output.warn(warning));
    task_definition
        .document
        .get("family")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::usage(
                format!(
                    "{}: the task definition has no family",
                    task_definition.path.display()
                ),
                Some("set family in the task definition".to_owned()),
            )
        })
}

/// Every ACTIVE revision of `family`, newest first, with its users.
pub(super) async fn rows(
    ecs: &impl EcsApi,
    cluster: &str,
    family: &str,
) -> Result<Vec<RevisionRow>, Error> {
    let (arns, in_use) = tokio::try_join!(
        async { Ok::<_, Error>(ecs.list_task_definitions(family, "ACTIVE").await?) },
        selected::revisions_in_use(ecs, cluster, family)
    )?;
    let mut rows: Vec<RevisionRow> = arns
        .into_iter()
        .filter_map(|arn| {
            let revision = task_definition_revision(&arn)?;
            Some(RevisionRow {
                revision,
                used_by: in_use.get(&revision).cloned().unwrap_or_default(),
                arn,
            })
        })
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.revision));
    Ok(rows)
}
