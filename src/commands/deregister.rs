//! `ristretto deregister`: deregister revisions of the task definition file's family — one
//! (`--revision N|latest`) or all but the newest `--keep N` — never one that is in use (a
//! deployment of a service in the cluster, or a task that has not stopped); `--delete` also
//! deletes them (DeleteTaskDefinitions). Asks for confirmation unless `--force`; `--dry-run`
//! only lists. Task definitions are not under the service lock: no service changes here.

use std::collections::BTreeMap;

use crate::aws::ecs::EcsApi;
use crate::aws::ecs_tasks::TaskApi;
use crate::cli::{DeregisterArgs, RevisionWord};
use crate::error::Error;
use crate::exit_code;
use crate::output::revisions::RevisionRow;

use super::{Session, revisions};

pub(super) async fn run(session: &Session<'_>, arguments: &DeregisterArgs) -> Result<u8, Error> {
    let output = session.output;
    let (cluster, family) = session.selected_family()?;
    let ecs = session.aws.ecs().await;
    let rows = revisions::rows(&ecs, &cluster, &family).await?;
    let chosen = match (arguments.revision, arguments.keep) {
        (Some(RevisionWord::Number(revision)), _) => vec![one_revision(&family, &rows, revision)?],
        (Some(_), _) => {
            let newest = rows.iter().map(|row| row.revision).max().ok_or_else(|| {
                Error::usage(
                    format!("--revision latest: {family} has no ACTIVE revision"),
                    None,
                )
            })?;
            vec![one_revision(&family, &rows, newest)?]
        }
        (None, Some(keep)) => older_than_the_newest(&rows, keep),
        (None, None) => {
            return Err(Error::usage(
                "deregister needs --revision N or --keep N",
                None,
            ));
        }
    };
    if chosen.is_empty() {
        output.info(&format!("Nothing to deregister in {family}."));
        return Ok(exit_code::SUCCESS);
    }
    let names: Vec<String> = chosen
        .iter()
        .map(|row| format!("{family}:{}", row.revision))
        .collect();
    let verb = if arguments.delete {
        "deregister and delete"
    } else {
        "deregister"
    };
    if arguments.dry_run {
        output.info(&format!("Would {verb} {}.", names.join(", ")));
        return Ok(exit_code::SUCCESS);
    }
    if !arguments.force {
        let mut question = verb.to_owned();
        question[..1].make_ascii_uppercase();
        output.confirm(
            &format!("{question} {}?", names.join(", ")),
            "yes",
            "pass --force to deregister without a question",
        )?;
    }
    for (row, name) in chosen.iter().zip(&names) {
        ecs.deregister_task_definition(&row.arn).await?;
        output.info(&format!("Deregistered {name}."));
    }
    if arguments.delete {
        let arns: Vec<String> = chosen.iter().map(|row| row.arn.clone()).collect();
        let deleted = ecs.delete_task_definitions(&arns).await?;
        for arn in &deleted.deleted {
            output.info(&format!(
                "Deleted {}.",
                crate::aws::ecs::task_definition_short_name(arn)
            ));
        }
        if !deleted.failures.is_empty() {
            return Err(Error::failed(
                format!(
                    "DeleteTaskDefinitions failed for {}",
                    deleted.failures.join("; ")
                ),
                None,
            ));
        }
    }
    Ok(exit_code::SUCCESS)
}

/// `--revision N`: it must be ACTIVE and not in use.
fn one_revision(family: &str, rows: &[RevisionRow], revision: i64) -> Result<RevisionRow, Error> {
    let row = rows
        .iter()
        .find(|row| row.revision == revision)
        .ok_or_else(|| {
            Error::usage(
                format!("task definition {family}:{revision} does not exist or is not ACTIVE"),
                Some("list the revisions with ristretto revisions".to_owned()),
            )
        })?;
    if !row.used_by.is_empty() {
        return Err(Error::usage(
            format!(
                "task definition {family}:{revision} is in use by {}: not deregistered",
                row.used_by.join(", ")
            ),
            Some("deploy another revision first".to_owned()),
        ));
    }
    Ok(row.clone())
}

/// `--keep N`: every revision not in use, except the N newest of them. `rows` may be in any
/// order; the result is oldest first.
fn older_than_the_newest(rows: &[RevisionRow], keep: usize) -> Vec<RevisionRow> {
    let unused: BTreeMap<i64, &RevisionRow> = rows
        .iter()
        .filter(|row| row.used_by.is_empty())
        .map(|row| (row.revision, row))
        .collect();
    let deregister = unused.len().saturating_sub(keep);
    unused.into_values().take(deregister).cloned().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(revision: i64, used: bool) -> RevisionRow {
        RevisionRow {
            revision,
            arn: format!("arn:aws:ecs:r:1:task-definition/api:{revision}"),
            used_by: if used {
                vec!["service api (PRIMARY)".into()]
            } else {
                vec![]
            },
        }
    }

    #[test]
    fn keep_counts_only_revisions_not_in_use_and_never_picks_one_in_use() {
        let rows = [
            row(6, true),
            row(5, false),
            row(4, false),
            row(3, true),
            row(2, false),
            row(1, false),
        ];
        let picked: Vec<i64> = older_than_the_newest(&rows, 2)
            .iter()
            .map(|row| row.revision)
            .collect();
        assert_eq!(picked, [1, 2]);
        assert!(older_than_the_newest(&rows, 10).is_empty());
        let all: Vec<i64> = older_than_the_newest(&rows, 0)
            .iter()
            .map(|row| row.revision)
            .collect();
        assert_eq!(all, [1, 2, 4, 5]);
    }

    #[test]
    fn one_revision_in_use_or_missing_is_refused() {
        let rows = [row(2, true), row(1, false)];
        assert_eq!(one_revision("api", &rows, 1).unwrap().revision, 1);
        let in_use = one_revision("api", &rows, 2).unwrap_err().to_string();
        assert_eq!(
            in_use,
            "task definition api:2 is in use by service api (PRIMARY): not deregistered"
        );
        let missing = one_revision("api", &rows, 9).unwrap_err().to_string();
        assert!(missing.contains("api:9 does not exist"), "{missing}");
    }
}
