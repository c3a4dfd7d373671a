//! `ristretto revisions`: the ACTIVE revisions of the task definition file's family, newest
//! first, with what uses each (service deployments of the cluster, tasks not stopped), as a
//! table, `--output json` or `--output tsv` on stdout; or, with `--revision N|current|latest`,
//! that one revision's task definition as JSON. Read-only.

use crate::aws::ecs::{EcsApi, task_definition_revision};
use crate::cli::{ListFormat, RevisionWord, RevisionsArgs};
use crate::error::Error;
use crate::exit_code;
use crate::operation;
use crate::output::revisions::{self as revisions_output, RevisionRow};

use super::Session;

pub(super) async fn run(session: &Session<'_>, arguments: &RevisionsArgs) -> Result<u8, Error> {
    let (cluster, family) = session.selected_family()?;
    let ecs = session.aws.ecs().await;
    if let Some(word) = arguments.revision {
        let reference = match word {
            RevisionWord::Number(number) => format!("{family}:{number}"),
            // DescribeTaskDefinition of a bare family is its newest ACTIVE revision.
            RevisionWord::Latest => family.clone(),
            RevisionWord::Current => {
                let (_, target) = session.one_target().await?;
                let service = operation::live_service(&ecs, &target).await?;
                operation::running_task_definition(&service)
            }
        };
        let task_definition = ecs
            .describe_task_definition(&reference)
            .await?
            .ok_or_else(|| {
                Error::usage(
                    format!("task definition {reference} does not exist"),
                    Some("list the revisions with ristretto revisions".to_owned()),
                )
            })?;
        let text = serde_json::to_string_pretty(&task_definition.document)
            .expect("JSON always serializes");
        session.output.data(&text).map_err(Error::Stdout)?;
        return Ok(exit_code::SUCCESS);
    }
    let rows = rows(&ecs, &cluster, &family).await?;
    let text = match arguments.output {
        ListFormat::Table => revisions_output::table(&family, &rows),
        ListFormat::Tsv => revisions_output::tsv(&family, &rows),
        ListFormat::Json => serde_json::to_string_pretty(&revisions_output::json(&family, &rows))
            .unwrap_or_default(),
    };
    session.output.data(&text).map_err(Error::Stdout)?;
    Ok(exit_code::SUCCESS)
}

/// Every ACTIVE revision of `family`, newest first, with its users.
pub(super) async fn rows(
    ecs: &impl EcsApi,
    cluster: &str,
    family: &str,
) -> Result<Vec<RevisionRow>, Error> {
    let (arns, in_use) = tokio::try_join!(
        async { Ok::<_, Error>(ecs.list_task_definitions(family, "ACTIVE").await?) },
        operation::revisions_in_use(ecs, cluster, family)
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
