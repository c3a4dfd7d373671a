//! Planning now: fetch the live state of the requested services (`live::fetch_all`), run the
//! pure planner on each, and seal the plan (ARCHITECTURE.md §4). Every command that plans —
//! `plan`, `diff`, `deploy`, `apply` without a file, `rollback`, `scale` — ends up here.

use crate::aws::ecs::EcsApi;
use crate::aws::servicediscovery::{NamespaceLookup, resolve_namespace_names};
use crate::config::Config;
use crate::error::Error;
use crate::live::{self, RevisionChoice};
use crate::normalize::{self, NormalizeOptions};
use crate::plan::{self, FORMAT_VERSION, LiveState, Plan, PlanOptions, PlanRequest, file};

/// What the config says about every plan: how documents are compared and which values are
/// masked. Commands add their flags on top.
pub(crate) fn config_plan_options(config: &Config) -> PlanOptions {
    PlanOptions {
        normalize: NormalizeOptions {
            ignore_tags: config.ignore_tags.clone(),
        },
        secret_patterns: config.secret_patterns.clone().unwrap_or_default(),
        ..PlanOptions::default()
    }
}

/// Fetches the live state of every requested service and plans it; the plan is sealed and
/// records `environment` (the `--env` it was made for). Service Connect namespaces, which ECS
/// reports as Cloud Map ARNs, are resolved to their names first: one GetNamespace per distinct
/// ARN, none when no service uses Service Connect.
pub(crate) async fn compute_plan(
    ecs: &impl EcsApi,
    namespaces: &impl NamespaceLookup,
    requests: &[PlanRequest],
    options: &PlanOptions,
    choice: RevisionChoice,
    environment: Option<String>,
) -> Result<Plan, Error> {
    compute_plan_and_live(ecs, namespaces, requests, options, choice, environment)
        .await
        .map(|planned| planned.plan)
}

/// A plan and the live state of each of its services (in the plan's order) that it was
/// computed from: what a plan made under the lock is applied against, without reading it again.
#[derive(Debug)]
pub(crate) struct Planned {
    pub(crate) plan: Plan,
    pub(crate) live: Vec<LiveState>,
}

/// [`compute_plan`], keeping the live state it read.
pub(crate) async fn compute_plan_and_live(
    ecs: &impl EcsApi,
    namespaces: &impl NamespaceLookup,
    requests: &[PlanRequest],
    options: &PlanOptions,
    choice: RevisionChoice,
    environment: Option<String>,
) -> Result<Planned, Error> {
    let mut states = live::fetch_all(ecs, requests, choice).await?;
    let arns: Vec<String> = requests
        .iter()
        .zip(&states)
        .filter_map(|(request, state)| {
            let service = state.service.as_ref()?;
            Some(normalize::service_connect_namespace_arns(
                request.service.as_ref(),
                &service.document,
            ))
        })
        .flatten()
        .collect();
    if !arns.is_empty() {
        let names = resolve_namespace_names(namespaces, arns).await?;
        for service in states.iter_mut().filter_map(|state| state.service.as_mut()) {
            service.namespace_names = names.clone();
        }
    }
    let services = requests
        .iter()
        .zip(&states)
        .map(|(request, state)| plan::plan_service(request, state, options))
        .collect::<Result<Vec<_>, _>>()?;
    let plan = file::seal(Plan {
        format_version: FORMAT_VERSION,
        plan_id: uuid::Uuid::new_v4().to_string(),
        created_at: now_rfc3339(),
        ristretto_version: env!("CARGO_PKG_VERSION").to_owned(),
        environment,
        services,
        secret_patterns: options.secret_patterns.clone(),
        policy: None,
        digest: String::new(),
        signature: None,
    });
    Ok(Planned { plan, live: states })
}

fn now_rfc3339() -> String {
    use crate::lock::WallClock;
    crate::lock::format_rfc3339(crate::lock::SystemClock.now_epoch_seconds())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::aws::ecs_memory::MemoryEcs;
    use crate::aws::servicediscovery::NoLookup;
    use crate::plan::{Action, Target, TaskDefinitionRef};

    fn request(image: &str) -> PlanRequest {
        PlanRequest {
            target: Target {
                region: "ap-northeast-1".into(),
                cluster: "web".into(),
                service: "api".into(),
            },
            task_definition: MemoryEcs::task_definition_document("api", image),
            service: Some(json!({"serviceName": "api", "desiredCount": 1})),
            ownership: None,
        }
    }

    #[tokio::test]
    async fn a_new_service_registers_and_creates() {
        let ecs = MemoryEcs::new();
        let plan = compute_plan(
            &ecs,
            &NoLookup,
            &[request("nginx:1")],
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            Some("prod".into()),
        )
        .await
        .unwrap();
        let actions = &plan.services[0].actions;
        assert!(matches!(actions[0], Action::RegisterTaskDefinition { .. }));
        assert!(matches!(
            actions[1],
            Action::CreateService {
                task_definition: TaskDefinitionRef::Registered
            }
        ));
        assert_eq!(plan.environment.as_deref(), Some("prod"));
        assert_eq!(plan.digest, file::digest(&plan), "the plan is sealed");
        assert!(ecs.mutating_calls().is_empty(), "planning changes nothing");
    }

    #[tokio::test]
    async fn an_identical_active_revision_is_reused_and_nothing_changes_when_it_runs() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let plan = compute_plan(
            &ecs,
            &NoLookup,
            &[request("nginx:1")],
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            None,
        )
        .await
        .unwrap();
        assert!(!plan.has_changes(), "{:?}", plan.services[0].actions);

        // The latest ACTIVE revision already runs the new image (registered by an earlier
        // run that failed before its UpdateService): it is reused, not registered again.
        ecs.register("api", "nginx:2");
        let plan = compute_plan(
            &ecs,
            &NoLookup,
            &[request("nginx:2")],
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            None,
        )
        .await
        .unwrap();
        let actions = &plan.services[0].actions;
        assert_eq!(actions.len(), 1, "{actions:?}");
        assert!(matches!(
            &actions[0],
            Action::UpdateService {
                task_definition: Some(TaskDefinitionRef::Existing { arn }),
                ..
            } if arn.ends_with("task-definition/api:2")
        ));
    }

    /// Answers one namespace and counts the calls.
    #[derive(Default)]
    struct CountingLookup(std::sync::atomic::AtomicUsize);

    impl NamespaceLookup for CountingLookup {
        async fn namespace_name(&self, arn: &str) -> Result<Option<String>, crate::aws::AwsError> {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            Ok(arn.ends_with("/ns-internal").then(|| "internal".to_owned()))
        }
    }

    #[tokio::test]
    async fn service_connect_namespaces_are_looked_up_once_and_only_when_used() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 1);
        let lookup = CountingLookup::default();
        compute_plan(
            &ecs,
            &lookup,
            &[request("nginx:1")],
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            None,
        )
        .await
        .unwrap();
        assert_eq!(lookup.0.load(std::sync::atomic::Ordering::SeqCst), 0);

        // ECS reports the namespace the definition names as its ARN, in the deployment.
        let connect = |namespace: &str| {
            json!({"enabled": true, "namespace": namespace,
                   "services": [{"portName": "http", "clientAliases": [{"port": 80}]}]})
        };
        ecs.edit_service("web", "api", |service| {
            service["deployments"][0]["serviceConnectConfiguration"] = connect(
                "arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/ns-internal",
            );
        });
        let mut wanted = request("nginx:1");
        wanted.service = Some(json!({
            "serviceName": "api", "desiredCount": 1,
            "serviceConnectConfiguration": connect("internal"),
        }));
        let plan = compute_plan(
            &ecs,
            &lookup,
            &[wanted.clone(), wanted],
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            None,
        )
        .await
        .unwrap();
        assert_eq!(lookup.0.load(std::sync::atomic::Ordering::SeqCst), 1);
        assert!(
            plan.services[0].changes.service.is_empty(),
            "{:?}",
            plan.services[0].changes.service
        );
    }

    #[test]
    fn the_config_decides_ignored_tags_and_secret_patterns() {
        let mut config = Config::for_tests();
        config.ignore_tags = vec!["owner".into()];
        config.secret_patterns = Some(vec!["DSN".into()]);
        let options = config_plan_options(&config);
        assert_eq!(options.normalize.ignore_tags, ["owner"]);
        assert_eq!(options.secret_patterns, ["DSN"]);
        assert!(!options.skip_task_definition && options.desired_count.is_none());
    }
}
