//! Planning now: fetch the live state of the requested services (`live::fetch_all`), run the
//! pure planner on each, and seal the plan (ARCHITECTURE.md §4). Every command that plans —
//! `plan`, `diff`, `deploy`, `apply` without a file, `rollback`, `scale` — ends up here.

use crate::aws::ecs::EcsApi;
use crate::config::Config;
use crate::error::Error;
use crate::live::{self, RevisionChoice};
use crate::normalize::NormalizeOptions;
use crate::plan::{self, FORMAT_VERSION, Plan, PlanOptions, PlanRequest, file};

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
/// records `environment` (the `--env` it was made for).
pub(crate) async fn compute_plan(
    ecs: &impl EcsApi,
    requests: &[PlanRequest],
    options: &PlanOptions,
    choice: RevisionChoice,
    environment: Option<String>,
) -> Result<Plan, Error> {
    let states = live::fetch_all(ecs, requests, choice).await?;
    let services = requests
        .iter()
        .zip(&states)
        .map(|(request, state)| plan::plan_service(request, state, options))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(file::seal(Plan {
        format_version: FORMAT_VERSION,
        plan_id: uuid::Uuid::new_v4().to_string(),
        created_at: now_rfc3339(),
        ristretto_version: env!("CARGO_PKG_VERSION").to_owned(),
        environment,
        services,
        secret_patterns: options.secret_patterns.clone(),
        digest: String::new(),
    }))
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
