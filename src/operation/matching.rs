//! A saved plan belongs to one project, environment and region (plan-file invariant 4,
//! ARCHITECTURE.md §4): applying it anywhere else is refused (exit 4) before any lock is taken.

use crate::config::Config;
use crate::error::Error;
use crate::plan::Plan;

/// Refuses a saved plan made for another environment or for services this config does not
/// deploy (another cluster, region or service name).
pub(crate) fn check_plan_matches(
    plan: &Plan,
    config: &Config,
    environment: Option<&str>,
    region: &str,
) -> Result<(), Error> {
    if plan.environment.as_deref() != environment {
        return Err(Error::PlanRefused {
            message: format!(
                "the plan was made for environment {}, not {}",
                plan.environment.as_deref().unwrap_or("(none)"),
                environment.unwrap_or("(none)")
            ),
            hint: Some("apply it with the --env it was planned with, or plan again".to_owned()),
        });
    }
    for section in &plan.services {
        let target = &section.target;
        let known = config
            .services
            .iter()
            .any(|service| service.name == target.service && service.cluster == target.cluster)
            || (config.services.is_empty()
                && target.service.is_empty()
                && target.cluster == config.cluster);
        if target.region != region || !known {
            return Err(Error::PlanRefused {
                message: format!(
                    "the plan is for {target}, which {} does not deploy in {region}",
                    config.file.display()
                ),
                hint: Some("apply it with the config and region it was planned with".to_owned()),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::ServiceConfig;
    use crate::exit_code;
    use crate::plan::{Base, Changes, Desired, FORMAT_VERSION, ServicePlan, Target, file};

    fn config() -> Config {
        let mut config = Config::for_tests();
        config.services = vec![ServiceConfig {
            name: "api".into(),
            cluster: "web".into(),
            service_definition: None,
            task_definition: None,
        }];
        config
    }

    fn plan(environment: Option<&str>, region: &str, cluster: &str, service: &str) -> Plan {
        let section = ServicePlan {
            target: Target {
                region: region.into(),
                cluster: cluster.into(),
                service: service.into(),
            },
            normalize: Default::default(),
            base: Base {
                service_arn: None,
                task_definition_arn: None,
                desired_count: None,
                deployment_ids: Vec::new(),
                live_sha256: String::new(),
            },
            desired: Desired {
                task_definition: serde_json::json!({"family": "api"}),
                service: None,
            },
            changes: Changes {
                task_definition: Default::default(),
                service: Default::default(),
            },
            actions: Vec::new(),
            notes: Vec::new(),
            documents: None,
        };
        file::seal(Plan {
            format_version: FORMAT_VERSION,
            plan_id: "p".into(),
            created_at: "2026-12-01T00:00:00Z".into(),
            ristretto_version: "0.1.0".into(),
            environment: environment.map(str::to_owned),
            services: vec![section],
            secret_patterns: Vec::new(),
            policy: None,
            digest: String::new(),
            signature: None,
        })
    }

    #[test]
    fn the_plan_of_this_project_matches() {
        let plan = plan(Some("prod"), "ap-northeast-1", "web", "api");
        check_plan_matches(&plan, &config(), Some("prod"), "ap-northeast-1").unwrap();
    }

    #[test]
    fn another_environment_region_cluster_or_service_is_refused() {
        let refusals = [
            (
                plan(Some("dev"), "ap-northeast-1", "web", "api"),
                "environment dev, not prod",
            ),
            (
                plan(None, "ap-northeast-1", "web", "api"),
                "environment (none), not prod",
            ),
            (
                plan(Some("prod"), "us-east-1", "web", "api"),
                "does not deploy in ap-northeast-1",
            ),
            (
                plan(Some("prod"), "ap-northeast-1", "batch", "api"),
                "batch/api",
            ),
            (
                plan(Some("prod"), "ap-northeast-1", "web", "worker"),
                "web/worker",
            ),
        ];
        for (plan, expected) in refusals {
            let error =
                check_plan_matches(&plan, &config(), Some("prod"), "ap-northeast-1").unwrap_err();
            assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED);
            let message = error.to_string();
            assert!(message.contains(expected), "{message}");
        }
    }
}
