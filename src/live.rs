//! Reads the live state a plan is computed against, with as few calls as possible: the service
//! and the latest ACTIVE revision of the desired family concurrently, then the service's own
//! task definition only when it is not that latest revision. At most three calls before any
//! registration, no listing loops. It decides nothing; `plan::plan_service` does.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};

use crate::aws::AwsError;
use crate::aws::ecs::{EcsApi, LiveService, LiveTaskDefinition};
use crate::plan::{LiveState, PlanRequest, Target};

/// How many DescribeTaskDefinition calls run at once for a multi-service plan: enough to hide
/// latency, few enough to stay clear of ECS's API rate limits.
pub(crate) const TASK_DEFINITION_CONCURRENCY: usize = 8;

/// Which revision the user chose on the command line, if any.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum RevisionChoice {
    /// Use the definition file (the default).
    #[default]
    FromFile,
    /// `--latest-task-definition`: the newest ACTIVE revision of the family.
    Latest,
    /// `--revision N`.
    Revision(i64),
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum LiveError {
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error("task definition {reference} does not exist")]
    NoSuchRevision { reference: String },
    #[error("task definition family {family} has no ACTIVE revision")]
    NoActiveRevision { family: String },
}

impl LiveError {
    pub(crate) fn hint(&self) -> Option<String> {
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

pub(crate) async fn fetch(
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

/// The live state of many services at once: DescribeServices batched by 10 per cluster (all
/// batches concurrently), then the task definitions each service needs, with bounded
/// concurrency and each distinct revision fetched once. The result is in `requests`' order.
pub(crate) async fn fetch_all(
    ecs: &impl EcsApi,
    requests: &[PlanRequest],
    choice: RevisionChoice,
) -> Result<Vec<LiveState>, LiveError> {
    if requests.len() == 1 {
        let request = &requests[0];
        let state = fetch(
            ecs,
            &request.target,
            &family_of(request),
            request.service.is_some(),
            choice,
        )
        .await?;
        return Ok(vec![state]);
    }
    // Services, batched per cluster.
    let mut by_cluster: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for request in requests.iter().filter(|request| request.service.is_some()) {
        by_cluster
            .entry(request.target.cluster.as_str())
            .or_default()
            .push(request.target.service.clone());
    }
    let batches: Vec<(&str, Vec<String>)> = by_cluster
        .iter()
        .flat_map(|(cluster, names)| {
            names
                .chunks(10)
                .map(move |chunk| (*cluster, chunk.to_vec()))
        })
        .collect();
    let described: Vec<(String, Vec<LiveService>)> = stream::iter(batches)
        .map(|(cluster, names): (&str, Vec<String>)| async move {
            ecs.describe_services(cluster, &names)
                .await
                .map(|services| (cluster.to_owned(), services))
        })
        .buffer_unordered(TASK_DEFINITION_CONCURRENCY)
        .try_collect()
        .await?;
    let mut services: BTreeMap<(String, String), LiveService> = BTreeMap::new();
    for (cluster, found) in described {
        for service in found
            .into_iter()
            .filter(|service| service.status != "INACTIVE")
        {
            services.insert((cluster.clone(), service.name.clone()), service);
        }
    }

    // Task definitions: the latest of each family, and each service's own.
    let mut references: BTreeSet<String> = requests.iter().map(family_of).collect();
    for service in services.values() {
        references.insert(service.task_definition.clone());
    }
    if let RevisionChoice::Revision(revision) = choice {
        for request in requests {
            references.insert(format!("{}:{revision}", family_of(request)));
        }
    }
    let task_definitions: BTreeMap<String, Option<LiveTaskDefinition>> = stream::iter(references)
        .map(|reference: String| async move {
            ecs.describe_task_definition(&reference)
                .await
                .map(|found| (reference, found))
        })
        .buffer_unordered(TASK_DEFINITION_CONCURRENCY)
        .try_collect()
        .await?;

    let mut states = Vec::with_capacity(requests.len());
    for request in requests {
        let family = family_of(request);
        let service = services
            .get(&(
                request.target.cluster.clone(),
                request.target.service.clone(),
            ))
            .filter(|_| request.service.is_some())
            .cloned();
        let latest_in_family = task_definitions
            .get(&family)
            .cloned()
            .flatten()
            .filter(|task| task.status == "ACTIVE");
        let task_definition = service.as_ref().and_then(|service| {
            task_definitions
                .get(&service.task_definition)
                .cloned()
                .flatten()
        });
        let chosen = match choice {
            RevisionChoice::FromFile => None,
            RevisionChoice::Latest => {
                Some(
                    latest_in_family
                        .clone()
                        .ok_or_else(|| LiveError::NoActiveRevision {
                            family: family.clone(),
                        })?,
                )
            }
            RevisionChoice::Revision(revision) => {
                let reference = format!("{family}:{revision}");
                Some(
                    task_definitions
                        .get(&reference)
                        .cloned()
                        .flatten()
                        .ok_or(LiveError::NoSuchRevision { reference })?,
                )
            }
        };
        states.push(LiveState {
            service,
            task_definition,
            latest_in_family,
            chosen,
        });
    }
    Ok(states)
}

fn family_of(request: &PlanRequest) -> String {
    request
        .task_definition
        .get("family")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}
