//! Policies in the backend (ARCHITECTURE.md §4, §5): the policy set a command uses (the config's
//! `policies` and `--policy` paths), checking a plan against it right after it is computed,
//! refusing a saved plan whose policy set changed since (exit 4), and the check apply runs again
//! for each service under the lock, against the live state re-read there (exit 6 on a denial).
//!
//! Must not: print (findings travel in the plan and in `ApplyEvent`s), or decide what a rule
//! means (that is `policy`).

use std::path::PathBuf;

use crate::apply::{ApplyError, PolicyGate};
use crate::config::Config;
use crate::error::Error;
use crate::plan::document::policy_input;
use crate::plan::{self, LiveState, Plan, PolicyCheck, ServicePlan, file};
use crate::policy::{Finding, PolicySet, PolicySource, Severity, SourceOrigin};

/// The config's `policies`, then the command line's `--policy` paths; `None` when there are
/// none. Every file is read and parsed now, so a broken policy fails before any AWS call.
pub(crate) fn load_policies(
    config: Option<&Config>,
    command_line: &[PathBuf],
) -> Result<Option<PolicySet>, Error> {
    let mut sources: Vec<PolicySource> = Vec::new();
    if let Some(config) = config {
        sources.extend(config.policies.iter().map(|path| PolicySource {
            path: path.clone(),
            origin: SourceOrigin::Config(config.file.clone()),
        }));
    }
    sources.extend(command_line.iter().map(|path| PolicySource {
        path: path.clone(),
        origin: SourceOrigin::CommandLine,
    }));
    if sources.is_empty() {
        return Ok(None);
    }
    Ok(Some(PolicySet::load(&sources)?))
}

/// Evaluates the policies on the plan's JSON form and records the set and what it found in the
/// plan (sealed again: the digest covers the policy check). A denial is not an error here: the
/// caller shows the plan with its findings, then refuses it (`refusal`).
pub(crate) fn check_plan(plan: Plan, policies: &PolicySet) -> Result<Plan, Error> {
    let findings = policies.evaluate(&policy_input(&plan))?;
    let mut plan = plan;
    plan.policy = Some(PolicyCheck {
        digest: policies.digest().to_owned(),
        files: policies.file_names(),
        findings,
    });
    Ok(file::seal(plan))
}

/// The exit-6 error for a plan the policies denied, if they did.
pub(crate) fn refusal(plan: &Plan) -> Option<Error> {
    let policy = plan.policy.as_ref()?;
    let findings: Vec<Finding> = policy.denials().cloned().collect();
    (!findings.is_empty()).then_some(Error::PolicyDenied { findings })
}

/// Refuses a saved plan (exit 4) unless it was checked with exactly the policy files the
/// project has now: changed, added or removed policy or data files, policies configured after
/// the plan was made without them, or the other way round.
pub(crate) fn check_policies_unchanged(
    plan: &Plan,
    policies: Option<&PolicySet>,
) -> Result<(), Error> {
    let recorded = plan.policy.as_ref().map(|policy| policy.digest.as_str());
    let now = policies.map(PolicySet::digest);
    let message = match (recorded, now) {
        (None, None) => return Ok(()),
        (Some(recorded), Some(now)) if recorded == now => return Ok(()),
        (Some(_), Some(_)) => "the policy files changed since the plan was made".to_owned(),
        (None, Some(_)) => {
            "the plan was made without policies, and policies are configured now".to_owned()
        }
        (Some(_), None) => {
            "the plan was checked with policies, and none are configured now".to_owned()
        }
    };
    Err(Error::PlanRefused {
        message: format!("{message} (plan {})", plan.plan_id),
        hint: Some(
            "plan again with the policies as they are (ristretto plan -o FILE), review it, and \
             apply that; give apply the same --policy paths as plan"
                .into(),
        ),
    })
}

/// The plan's policies evaluated again under the lock: the whole plan's JSON form with this
/// service's documents as the live state has them now (`plan::documents_now`). The policy set
/// is the one the plan was checked with (`check_policies_unchanged` came first).
pub(crate) struct PolicyRecheck {
    plan: Plan,
    policies: PolicySet,
}

impl PolicyRecheck {
    pub(crate) fn new(plan: &Plan, policies: PolicySet) -> Self {
        Self {
            plan: plan.clone(),
            policies,
        }
    }
}

impl PolicyGate for PolicyRecheck {
    fn check(&self, section: &ServicePlan, live: &LiveState) -> Result<Vec<Finding>, ApplyError> {
        let mut plan = self.plan.clone();
        if let Some(now) = plan
            .services
            .iter_mut()
            .find(|planned| planned.target == section.target)
        {
            now.documents = plan::documents_now(section, live);
        }
        let findings = self.policies.evaluate(&policy_input(&plan))?;
        let denials: Vec<Finding> = findings
            .iter()
            .filter(|finding| finding.severity == Severity::Deny)
            .cloned()
            .collect();
        if !denials.is_empty() {
            return Err(ApplyError::PolicyDenied {
                target: section.target.clone(),
                findings: denials,
            });
        }
        let known = self
            .plan
            .policy
            .as_ref()
            .map(|policy| policy.findings.clone())
            .unwrap_or_default();
        Ok(findings
            .into_iter()
            .filter(|finding| !known.contains(finding))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use serde_json::json;

    use super::*;
    use crate::apply::{ApplyEvent, Reporter};
    use crate::aws::ecs_memory::MemoryEcs;
    use crate::aws::servicediscovery::NoLookup;
    use crate::exit_code;
    use crate::live::RevisionChoice;
    use crate::lock::LockStore;
    use crate::lock::memory::MemoryLockStore;
    use crate::operation::{Execution, LockSetup, apply_plan, compute_plan};
    use crate::plan::{PlanOptions, PlanRequest, Target};

    /// At least two tasks in prod, a warning below four: rules that read the live count the
    /// definition leaves to the autoscaler.
    const CAPACITY: &str = r#"package main

import rego.v1

deny contains msg if {
	some service in input.services
	service.after.service.desiredCount < 2
	msg := sprintf("%s runs %d tasks", [service.target.service, service.after.service.desiredCount])
}

warn contains msg if {
	some service in input.services
	service.after.service.desiredCount < 4
	msg := sprintf("%s: %d tasks", [service.target.service, service.after.service.desiredCount])
}
"#;

    fn policies(text: &str) -> (tempfile::TempDir, PolicySet) {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(directory.path().join("capacity.rego"), text).unwrap();
        let set = load_policies(None, &[directory.path().to_path_buf()])
            .unwrap()
            .unwrap();
        (directory, set)
    }

    fn request(image: &str) -> PlanRequest {
        PlanRequest {
            target: Target {
                region: "ap-northeast-1".into(),
                cluster: "web".into(),
                service: "api".into(),
            },
            task_definition: MemoryEcs::task_definition_document("api", image),
            // No desiredCount: the autoscaler's.
            service: Some(json!({"serviceName": "api"})),
            ownership: None,
        }
    }

    async fn plan(ecs: &MemoryEcs) -> Plan {
        compute_plan(
            ecs,
            &NoLookup,
            &[request("nginx:2")],
            &PlanOptions::default(),
            RevisionChoice::FromFile,
            None,
        )
        .await
        .unwrap()
    }

    #[derive(Default)]
    struct Recorder(std::sync::Mutex<Vec<ApplyEvent>>);

    impl Reporter for Recorder {
        fn report(&self, event: ApplyEvent) {
            self.0.lock().unwrap().push(event);
        }
    }

    fn rechecking(plan: &Plan, set: &PolicySet) -> (Execution, Arc<Recorder>) {
        let recorder = Arc::new(Recorder::default());
        let execution = Execution {
            lock_timeout: Duration::ZERO,
            parallelism: 1,
            wait: None,
            reporter: recorder.clone(),
            policy: Some(Arc::new(PolicyRecheck::new(plan, set.clone()))),
        };
        (execution, recorder)
    }

    fn lock() -> LockSetup {
        LockSetup {
            store: Arc::new(MemoryLockStore::new()) as Arc<dyn LockStore>,
            lease: Duration::from_secs(30),
        }
    }

    #[tokio::test]
    async fn a_plan_records_the_set_and_its_findings_and_a_denial_is_exit_6() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 3);
        let (_directory, set) = policies(CAPACITY);
        let checked = check_plan(plan(&ecs).await, &set).unwrap();
        let policy = checked.policy.as_ref().unwrap();
        assert_eq!(policy.digest, set.digest());
        assert_eq!(policy.findings.len(), 1, "{:?}", policy.findings);
        assert_eq!(policy.findings[0].severity, Severity::Warn);
        assert_eq!(policy.findings[0].message, "api: 3 tasks");
        assert!(refusal(&checked).is_none());
        assert_eq!(checked.digest, file::digest(&checked), "sealed again");

        ecs.deploy_service("web", "api", "nginx:1", 1);
        let denied = check_plan(plan(&ecs).await, &set).unwrap();
        let error = refusal(&denied).unwrap();
        assert_eq!(error.exit_code(), exit_code::REFUSED_BY_POLICY);
        assert!(
            error
                .to_string()
                .contains("capacity.rego:5 deny: api runs 1 tasks"),
            "{error}"
        );
    }

    #[tokio::test]
    async fn a_saved_plan_is_refused_when_the_policy_files_changed() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 3);
        let (directory, set) = policies(CAPACITY);
        let checked = check_plan(plan(&ecs).await, &set).unwrap();
        check_policies_unchanged(&checked, Some(&set)).unwrap();

        std::fs::write(
            directory.path().join("capacity.rego"),
            CAPACITY.replace("< 2", "< 3"),
        )
        .unwrap();
        let changed = load_policies(None, &[directory.path().to_path_buf()])
            .unwrap()
            .unwrap();
        for (plan, now, expected) in [
            (&checked, Some(&changed), "the policy files changed"),
            (&checked, None, "none are configured now"),
        ] {
            let error = check_policies_unchanged(plan, now).unwrap_err();
            assert_eq!(error.exit_code(), exit_code::PLAN_REFUSED);
            assert!(error.to_string().contains(expected), "{error}");
        }
        let unchecked = plan(&ecs).await;
        check_policies_unchanged(&unchecked, None).unwrap();
        let error = check_policies_unchanged(&unchecked, Some(&set)).unwrap_err();
        assert!(
            error.to_string().contains("made without policies"),
            "{error}"
        );

        // A test file next to the policies is not part of the set.
        std::fs::write(
            directory.path().join("capacity_test.rego"),
            "package main\n\ntest_nothing if { true }\n",
        )
        .unwrap();
        let with_test = load_policies(None, &[directory.path().to_path_buf()])
            .unwrap()
            .unwrap();
        assert_eq!(with_test.digest(), changed.digest());
    }

    #[tokio::test]
    async fn apply_refuses_under_the_lock_when_the_live_count_now_violates_a_rule() {
        let ecs = MemoryEcs::new();
        ecs.deploy_service("web", "api", "nginx:1", 3);
        let (_directory, set) = policies(CAPACITY);
        let checked = check_plan(plan(&ecs).await, &set).unwrap();
        assert!(refusal(&checked).is_none());

        // The autoscaler scales in between plan and apply: the plan is not stale (it leaves
        // the count alone), but the rule now denies.
        ecs.edit_service("web", "api", |service| {
            service["desiredCount"] = json!(1);
        });
        let mutations = ecs.mutating_calls().len();
        let (execution, _) = rechecking(&checked, &set);
        let error = apply_plan(&checked, &ecs, &lock(), &execution, "apply")
            .await
            .unwrap_err();
        assert_eq!(error.exit_code(), exit_code::REFUSED_BY_POLICY, "{error}");
        assert!(error.to_string().contains("api runs 1 tasks"), "{error}");
        assert_eq!(ecs.mutating_calls().len(), mutations, "nothing sent");

        // Scaled to 2: allowed, with a warning the plan did not have (3 tasks then).
        ecs.edit_service("web", "api", |service| {
            service["desiredCount"] = json!(2);
        });
        let (execution, recorder) = rechecking(&checked, &set);
        apply_plan(&checked, &ecs, &lock(), &execution, "apply")
            .await
            .unwrap();
        let warnings: Vec<String> = recorder
            .0
            .lock()
            .unwrap()
            .iter()
            .filter_map(|event| match event {
                ApplyEvent::PolicyWarning { finding, .. } => Some(finding.message.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(warnings, ["api: 2 tasks"]);
    }
}
