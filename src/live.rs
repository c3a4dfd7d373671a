//! Reads the live state a plan is computed against, with as few calls as possible: the service
//! and the latest ACTIVE revision of the desired family concurrently, then the service's own
//! task definition only when it is not that latest revision. At most three calls before any
//! registration, no listing loops. It decides nothing; `plan::plan_service` does.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::{StreamExt, TryStreamExt, stream};

use crate::aws::AwsError;
use crate::aws::ecs::{EcsApi, LiveService, LiveTaskDefinition, task_definition_short_name};
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

    // `--revision N` is often a revision described already (the service's or the latest).
    let revision_reference = match choice {
        RevisionChoice::Revision(revision) => Some(format!("{family}:{revision}")),
        _ => None,
    };
    let described = match &revision_reference {
        Some(reference) => {
            let known = [&task_definition, &latest_in_family]
                .into_iter()
                .flatten()
                .find(|task| task_definition_short_name(&task.arn) == reference)
                .cloned();
            match known {
                Some(task) => Some(task),
                None => ecs.describe_task_definition(reference).await?,
            }
        }
        None => None,
    };
    let chosen = choose(choice, family, latest_in_family.as_ref(), described)?;

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
        let chosen = choose(
            choice,
            &family,
            latest_in_family.as_ref(),
            task_definitions
                .get(&format!("{family}:{}", revision_of(choice)))
                .cloned()
                .flatten(),
        )?;
        states.push(LiveState {
            service,
            task_definition,
            latest_in_family,
            chosen,
        });
    }
    Ok(states)
}

/// The revision the user chose, from what was described: the latest ACTIVE one of the family,
/// or revision N (`described`, `None` when it does not exist). `None` for `FromFile`.
fn choose(
    choice: RevisionChoice,
    family: &str,
    latest_in_family: Option<&LiveTaskDefinition>,
    described: Option<LiveTaskDefinition>,
) -> Result<Option<LiveTaskDefinition>, LiveError> {
    match choice {
        RevisionChoice::FromFile => Ok(None),
        RevisionChoice::Latest => {
            latest_in_family
                .cloned()
                .map(Some)
                .ok_or_else(|| LiveError::NoActiveRevision {
                    family: family.to_owned(),
                })
        }
        RevisionChoice::Revision(revision) => {
            described
                .map(Some)
                .ok_or_else(|| LiveError::NoSuchRevision {
                    reference: format!("{family}:{revision}"),
                })
        }
    }
}

/// N of `--revision N` (0, never a revision, otherwise).
fn revision_of(choice: RevisionChoice) -> i64 {
    match choice {
        RevisionChoice::Revision(revision) => revision,
        _ => 0,
    }
}

fn family_of(request: &PlanRequest) -> String {
    request
        .task_definition
        .get("family")
        .and_then(serde_json::Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws::ecs_memory::MemoryEcs;

    fn target(service: &str) -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: service.into(),
        }
    }

    fn request(service: &str) -> PlanRequest {
        PlanRequest {
            target: target(service),
            task_definition: MemoryEcs::task_definition_document(service, "nginx:9"),
            service: Some(json!({"serviceName": service})),
            ownership: None,
        }
    }

    #[tokio::test]
    async fn a_service_on_the_latest_revision_costs_two_calls_and_an_older_one_three() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 2);
        let state = fetch(&ecs, &target("api"), "api", true, RevisionChoice::FromFile)
            .await
            .unwrap();
        assert_eq!(ecs.calls(), ["DescribeServices", "DescribeTaskDefinition"]);
        assert_eq!(state.service.unwrap().desired_count, 2);
        assert_eq!(state.task_definition.unwrap().revision, 1);

        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 2);
        ecs.register("api", "nginx:2");
        let state = fetch(&ecs, &target("api"), "api", true, RevisionChoice::FromFile)
            .await
            .unwrap();
        assert_eq!(ecs.calls().len(), 3, "{:?}", ecs.calls());
        assert_eq!(state.task_definition.unwrap().revision, 1);
        assert_eq!(state.latest_in_family.unwrap().revision, 2);
        assert!(state.chosen.is_none());
    }

    #[tokio::test]
    async fn a_chosen_revision_is_described_once_and_a_missing_one_is_an_error() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        ecs.register("api", "nginx:2");
        // The service's own revision is known already: no extra call.
        let state = fetch(
            &ecs,
            &target("api"),
            "api",
            true,
            RevisionChoice::Revision(1),
        )
        .await
        .unwrap();
        assert_eq!(state.chosen.unwrap().revision, 1);
        assert_eq!(ecs.calls().len(), 3, "{:?}", ecs.calls());

        let error = fetch(
            &ecs,
            &target("api"),
            "api",
            true,
            RevisionChoice::Revision(7),
        )
        .await
        .unwrap_err();
        assert_eq!(error.to_string(), "task definition api:7 does not exist");
        let error = fetch(
            &MemoryEcs::new(),
            &target("api"),
            "api",
            true,
            RevisionChoice::Latest,
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "task definition family api has no ACTIVE revision"
        );
    }

    #[tokio::test]
    async fn many_services_are_described_ten_at_a_time_and_each_revision_once() {
        let ecs = MemoryEcs::new();
        let names: Vec<String> = (0..12).map(|index| format!("svc{index:02}")).collect();
        for name in &names {
            ecs.deploy_service("web", name, "nginx:1", 1);
        }
        let requests: Vec<PlanRequest> = names.iter().map(|name| request(name)).collect();
        let states = fetch_all(&ecs, &requests, RevisionChoice::Latest)
            .await
            .unwrap();
        assert_eq!(states.len(), 12);
        assert!(states.iter().all(|state| state.chosen.is_some()));
        let calls = ecs.calls();
        let describe_services = calls
            .iter()
            .filter(|call| *call == "DescribeServices")
            .count();
        assert_eq!(describe_services, 2, "12 services in batches of 10");
        // Each family by name (its latest) and each service's own ARN: 24 distinct references,
        // each described once, though here they name the same 12 revisions.
        let describes = calls
            .iter()
            .filter(|call| *call == "DescribeTaskDefinition")
            .count();
        assert_eq!(describes, 24, "{calls:?}");
    }
}
