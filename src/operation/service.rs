//! What the single-service commands read before they act, and the plans of `rollback` and
//! `scale`: the live service (one clear error when it is not there), the task definition it
//! runs, which revisions are in use, and plans whose desired service is the live one so that
//! only the task definition (rollback) or the desired count (scale) changes — no drift between
//! the definition files and the service is carried along.

use std::collections::BTreeMap;

use crate::aws::ecs::{
    EcsApi, LiveService, LiveTaskDefinition, task_definition_revision, task_definition_short_name,
};
use crate::aws::servicediscovery::NoLookup;
use crate::error::Error;
use crate::live::RevisionChoice;
use crate::plan::{PlanOptions, PlanRequest, Target};

use super::plan::{Planned, compute_plan_and_live};

/// The live service, or an error naming what was looked for. An unknown cluster is AWS's own
/// ClusterNotFoundException, which already carries a hint.
pub(crate) async fn live_service(ecs: &impl EcsApi, target: &Target) -> Result<LiveService, Error> {
    ecs.describe_service(&target.cluster, &target.service)
        .await?
        .ok_or_else(|| {
            Error::usage(
                format!(
                    "service {} not found in cluster {} ({})",
                    target.service, target.cluster, target.region
                ),
                Some(
                    "check the config's service and cluster and the region; `ristretto deploy` \
                     creates the service"
                        .to_owned(),
                ),
            )
        })
}

/// The task definition the service runs: its PRIMARY deployment's (ECS reports the service's
/// own `taskDefinition` as the same, but an emulator may not).
pub(crate) fn running_task_definition(service: &LiveService) -> String {
    service
        .primary_deployment()
        .map(|deployment| deployment.task_definition.clone())
        .filter(|arn| !arn.is_empty())
        .unwrap_or_else(|| service.task_definition.clone())
}

/// The task definition the service runs, described (with tags).
async fn current_task_definition(
    ecs: &impl EcsApi,
    service: &LiveService,
) -> Result<LiveTaskDefinition, Error> {
    let running = running_task_definition(service);
    ecs.describe_task_definition(&running)
        .await?
        .ok_or_else(|| {
            Error::usage(
                format!("the service runs {running}, which cannot be described"),
                None,
            )
        })
}

/// The newest revision older than `current` among the ACTIVE ones (ARNs or `family:N`).
fn previous_revision(active: &[String], current: i64) -> Option<i64> {
    active
        .iter()
        .filter_map(|arn| task_definition_revision(arn))
        .filter(|revision| *revision < current)
        .max()
}

/// A rollback: the plan that puts the service back on the previous ACTIVE revision of its
/// family (with the live state it was made from), and the revision it leaves.
pub(crate) struct Rollback {
    pub(crate) planned: Planned,
    pub(crate) from: LiveTaskDefinition,
    pub(crate) to_revision: i64,
}

/// Plans the rollback of `target` to the newest ACTIVE revision older than the one it runs.
pub(crate) async fn rollback_plan(
    ecs: &impl EcsApi,
    target: &Target,
    options: &PlanOptions,
    environment: Option<String>,
) -> Result<Rollback, Error> {
    let service = live_service(ecs, target).await?;
    let current = current_task_definition(ecs, &service).await?;
    let active = ecs.list_task_definitions(&current.family, "ACTIVE").await?;
    let previous = previous_revision(&active, current.revision).ok_or_else(|| {
        Error::usage(
            format!(
                "nothing to roll back to: {} has no ACTIVE revision older than {}",
                current.family,
                current.short_name()
            ),
            Some("deploy the revision you want with ristretto deploy --revision N".to_owned()),
        )
    })?;
    // The plan carries the revision it goes back to as its desired task definition, so that a
    // reviewer of a saved rollback plan sees what will run.
    let previous_document = ecs
        .describe_task_definition(&format!("{}:{previous}", current.family))
        .await?
        .map(|task| task.document)
        .unwrap_or_else(|| serde_json::json!({"family": current.family}));
    let request = PlanRequest {
        target: target.clone(),
        task_definition: previous_document,
        service: Some(service.document),
        // The desired service is the live one: no service field changes to own.
        ownership: None,
    };
    let planned = compute_plan_and_live(
        ecs,
        &NoLookup,
        std::slice::from_ref(&request),
        options,
        RevisionChoice::Revision(previous),
        environment,
    )
    .await?;
    Ok(Rollback {
        planned,
        from: current,
        to_revision: previous,
    })
}

/// Plans setting `target`'s desired count to `tasks`, keeping everything else as it is live.
pub(crate) async fn scale_plan(
    ecs: &impl EcsApi,
    target: &Target,
    tasks: i64,
    options: &PlanOptions,
    environment: Option<String>,
) -> Result<Planned, Error> {
    let service = live_service(ecs, target).await?;
    let task_definition = current_task_definition(ecs, &service).await?;
    let request = PlanRequest {
        target: target.clone(),
        task_definition: task_definition.document,
        service: Some(service.document),
        // The desired service is the live one: no service field changes to own.
        ownership: None,
    };
    let options = PlanOptions {
        skip_task_definition: true,
        desired_count: Some(tasks),
        ..options.clone()
    };
    compute_plan_and_live(
        ecs,
        &NoLookup,
        std::slice::from_ref(&request),
        &options,
        RevisionChoice::FromFile,
        environment,
    )
    .await
}

/// Which ACTIVE revisions of `family` are in use, and by what: the deployments of every
/// service of the cluster, and the family's tasks that have not stopped. Keyed by revision.
pub(crate) async fn revisions_in_use(
    ecs: &impl EcsApi,
    cluster: &str,
    family: &str,
) -> Result<BTreeMap<i64, Vec<String>>, Error> {
    let mut in_use: BTreeMap<i64, Vec<String>> = BTreeMap::new();
    let mut mark = |reference: &str, user: String| {
        let short = task_definition_short_name(reference);
        if short.rsplit_once(':').map(|(name, _)| name) == Some(family)
            && let Some(revision) = task_definition_revision(reference)
        {
            let users = in_use.entry(revision).or_default();
            if !users.contains(&user) {
                users.push(user);
            }
        }
    };
    let services = ecs.list_services(cluster).await?;
    for chunk in services.chunks(10) {
        for service in ecs.describe_services(cluster, chunk).await? {
            if service.status == "INACTIVE" {
                continue;
            }
            for deployment in &service.deployments {
                mark(
                    &deployment.task_definition,
                    format!("service {} ({})", service.name, deployment.status),
                );
            }
            if service.deployments.is_empty() {
                mark(
                    &service.task_definition,
                    format!("service {}", service.name),
                );
            }
        }
    }
    let tasks = ecs.list_running_tasks(cluster, family).await?;
    for chunk in tasks.chunks(100) {
        for task in ecs.describe_tasks(cluster, chunk).await? {
            if task.last_status != "STOPPED" {
                mark(&task.task_definition, format!("task {}", task.id()));
            }
        }
    }
    Ok(in_use)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ecs_memory::MemoryEcs;
    use crate::exit_code;
    use crate::plan::{Action, TaskDefinitionRef};

    fn target() -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: "api".into(),
        }
    }

    #[tokio::test]
    async fn a_rollback_plans_the_previous_active_revision_and_nothing_else() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 2);
        ecs.deploy_service("web", "api", "nginx:2", 2);
        ecs.deploy_service("web", "api", "nginx:3", 2);
        ecs.deregister_task_definition("api:2").await.unwrap();
        let rollback = rollback_plan(&ecs, &target(), &PlanOptions::default(), None)
            .await
            .unwrap();
        assert_eq!(rollback.from.revision, 3);
        assert_eq!(rollback.to_revision, 1, "revision 2 is INACTIVE: skipped");
        let actions = &rollback.planned.plan.services[0].actions;
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(matches!(
            &actions[0],
            Action::UpdateService {
                task_definition: Some(TaskDefinitionRef::Existing { arn }),
                fields,
                ..
            } if arn.ends_with("api:1") && fields.is_empty()
        ));
        assert_eq!(ecs.mutating_calls(), ["DeregisterTaskDefinition"]);
    }

    #[tokio::test]
    async fn a_rollback_without_an_older_revision_is_refused() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let error = rollback_plan(&ecs, &target(), &PlanOptions::default(), None)
            .await
            .err()
            .unwrap();
        assert_eq!(error.exit_code(), exit_code::ERROR);
        assert!(
            error.to_string().starts_with("nothing to roll back to"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn scale_changes_the_desired_count_only() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 2);
        let plan = scale_plan(&ecs, &target(), 5, &PlanOptions::default(), None)
            .await
            .unwrap()
            .plan;
        let actions = &plan.services[0].actions;
        assert_eq!(actions.len(), 1, "{actions:?}");
        let Action::UpdateService {
            task_definition,
            fields,
            ..
        } = &actions[0]
        else {
            panic!("{actions:?}")
        };
        assert!(task_definition.is_none());
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["desiredCount"]);
        assert_eq!(fields["desiredCount"], 5);
        let missing = Target {
            service: "gone".into(),
            ..target()
        };
        let error = scale_plan(&ecs, &missing, 5, &PlanOptions::default(), None)
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "service gone not found in cluster web (ap-northeast-1)"
        );
    }

    #[test]
    fn the_previous_revision_is_the_newest_older_active_one() {
        let active: Vec<String> = [1, 2, 4, 5]
            .iter()
            .map(|revision| format!("arn:aws:ecs:r:1:task-definition/api:{revision}"))
            .collect();
        assert_eq!(previous_revision(&active, 5), Some(4));
        // Revision 3 was deregistered: skipped.
        assert_eq!(previous_revision(&active, 4), Some(2));
        assert_eq!(previous_revision(&active, 1), None);
        // The service runs a revision that is no longer ACTIVE itself.
        assert_eq!(previous_revision(&active, 3), Some(2));
    }
}
