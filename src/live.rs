//! Reads the live state a plan is computed against, with as few calls as possible: the service
//! and the latest ACTIVE revision of the desired family concurrently, then the service's own
//! task definition only when it is not that latest revision. At most three calls before any
//! registration, no listing loops. It decides nothing; `plan::plan_service` does.

use crate::aws::AwsError;
use crate::aws::ecs::{EcsApi, LiveTaskDefinition};
use crate::plan::{LiveState, Target};

/// Which revision the user chose on the command line, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RevisionChoice {
    /// Use the definition file (the default).
    #[default]
    FromFile,
    /// `--latest-task-definition`: the newest ACTIVE revision of the family.
    Latest,
    /// `--revision N`.
    Revision(i64),
}

#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("task definition {reference} does not exist")]
    NoSuchRevision { reference: String },
    #[error("task definition family {family} has no ACTIVE revision")]
    NoActiveRevision { family: String },
}

impl LiveError {
    pub fn hint(&self) -> Option<String> {
        match self {
            LiveError::Aws(error) => error.hint(),
            LiveError::NoSuchRevision { .. } => {
                Some("list the family's revisions with aws ecs list-task-definitions".into())
            }
            LiveError::NoActiveRevision { .. } => {
                Some("run without --latest-task-definition to register one".into())
            }
        }
    }
}

pub async fn fetch(
    ecs: &impl EcsApi,
    target: &Target,
    family: &str,
    has_service: bool,
    choice: RevisionChoice,
) -> Result<LiveState, LiveError> {
    let service_call = async {
        if has_service {
            ecs.describe_service(&target.cluster, &target.service).await
        } else {
            Ok(None)
        }
    };
    let latest_call = ecs.describe_task_definition(family);
    let (service, latest) = tokio::try_join!(service_call, latest_call)?;
    // DescribeTaskDefinition by family answers the latest ACTIVE revision on AWS; an emulator
    // may answer an INACTIVE one, which is never reused.
    let latest_in_family = latest.filter(|task| task.status == "ACTIVE");

    let task_definition = match &service {
        Some(service) => match &latest_in_family {
            Some(latest) if latest.arn == service.task_definition => Some(latest.clone()),
            _ => {
                ecs.describe_task_definition(&service.task_definition)
                    .await?
            }
        },
        None => None,
    };

    let chosen = match choice {
        RevisionChoice::FromFile => None,
        RevisionChoice::Latest => {
            Some(
                latest_in_family
                    .clone()
                    .ok_or_else(|| LiveError::NoActiveRevision {
                        family: family.to_owned(),
                    })?,
            )
        }
        RevisionChoice::Revision(revision) => {
            let reference = format!("{family}:{revision}");
            let known = [&task_definition, &latest_in_family]
                .into_iter()
                .flatten()
                .find(|task: &&LiveTaskDefinition| task.revision == revision)
                .cloned();
            match known {
                Some(task) => Some(task),
                None => Some(
                    ecs.describe_task_definition(&reference)
                        .await?
                        .ok_or(LiveError::NoSuchRevision { reference })?,
                ),
            }
        }
    };

    Ok(LiveState {
        service,
        task_definition,
        latest_in_family,
        chosen,
    })
}
