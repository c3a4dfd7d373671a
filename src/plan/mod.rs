//! The plan: pure data computed by a pure function (ARCHITECTURE.md §4). `plan_service(request,
//! live)` compares the desired documents with the live state and decides the actions; it does
//! no I/O. The plan file codec (`file.rs`) seals a plan with a digest and refuses altered or
//! unknown files. Renderings (human, JSON, Markdown) live in `output` and read this data only.
//!
//! Plan invariants, kept here and in `file.rs`:
//! - A plan carries the *full* desired documents: apply never re-evaluates Jsonnet, so what was
//!   reviewed is exactly what is sent.
//! - `base` fingerprints the live state the plan was computed against; apply recomputes it
//!   under the lock and refuses the plan when it differs in what the plan's actions depend on
//!   (stale). What counts, and why (`Base::differences`):
//!   - the service's ARN (deleted and created again) and the task definition it runs (someone
//!     deployed, or the circuit breaker rolled back);
//!   - the desired count, only when the plan sets it (an autoscaler must not make every plan
//!     stale);
//!   - a deployment that *started* since the plan: a deployment id live now that the base does
//!     not list (another deploy, a forced new deployment, a rollback). Deployments that
//!     *ended* do not count: a rollout that was running when the plan was made and has
//!     completed since changes nothing the plan's actions depend on, and refusing it would
//!     refuse every plan made during a rollout;
//!   - the normalized live documents (`live_sha256`): any change of the service's or task
//!     definition's configuration.
//!
//!   A plan computed under the lock it is applied with (`deploy`, `apply --auto-approve`
//!   without a file) is not checked again: nothing but its own holder can change the service
//!   between the read and the write (ARCHITECTURE.md §5).
//! - `digest` is the SHA-256 of the canonical JSON of every other field; a plan whose digest
//!   does not match is refused, so a reviewed plan cannot be edited unnoticed.
//! - Actions are ordered and each names its inputs: register, then create or update (one
//!   UpdateService call with only the changed fields), then tags.

pub(crate) mod document;
pub(crate) mod file;
pub(crate) mod masking;
mod planner;
#[cfg(test)]
mod real_ecs;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::aws::ecs::Tag;
use crate::diff::Diff;
use crate::normalize::NormalizeOptions;
use crate::policy::{Finding, Severity};

pub(crate) use planner::{
    LiveState, PlanError, PlanOptions, PlanRequest, documents_now, fingerprint, plan_service,
};

/// The plan file format this build writes and reads.
pub(crate) const FORMAT_VERSION: u32 = 1;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Plan {
    pub format_version: u32,
    pub plan_id: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub ristretto_version: String,
    /// The `--env` the plan was made for; applying it for another environment is refused.
    pub environment: Option<String>,
    /// One section per service, in the order they are applied.
    pub services: Vec<ServicePlan>,
    /// Environment variable name patterns whose values every rendering masks (the config's
    /// `secret_patterns`); empty: the defaults. Kept in the plan so that `show` masks exactly
    /// what `plan` did.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secret_patterns: Vec<String>,
    /// The policy set the plan was checked against and what it found; `None` without policies.
    /// Apply refuses the plan when the set's files changed since (ARCHITECTURE.md §4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyCheck>,
    /// SHA-256 of the canonical JSON of every other field but `signature` (`file::digest`).
    pub digest: String,
    /// A KMS signature of the digest, when the config has `plan_signing` (made by `plan -o`,
    /// checked by `apply` before anything else).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<PlanSignature>,
}

/// Who vouches for a plan: a KMS signature of `ristretto-plan:sha256:<digest>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PlanSignature {
    /// The key's ARN, as KMS answered (informative: `apply` verifies with the config's key).
    pub kms_key_id: String,
    pub signing_algorithm: String,
    /// Base64.
    pub signature: String,
}

/// What the policies said about a plan (ARCHITECTURE.md §4, "Policies").
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct PolicyCheck {
    /// SHA-256 of the set's policy and data files (`policy::PolicySet::digest`).
    pub digest: String,
    /// The policy and data files, as loaded.
    pub files: Vec<String>,
    /// Every message of every `deny`, `violation` and `warn` rule; a saved plan has no denials.
    pub findings: Vec<Finding>,
}

impl PolicyCheck {
    pub(crate) fn denials(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.severity == Severity::Deny)
    }

    pub(crate) fn warnings(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|finding| finding.severity == Severity::Warn)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ServicePlan {
    pub target: Target,
    /// How the documents were compared (`ignore.tags`); apply recomputes the fingerprint the
    /// same way.
    pub normalize: NormalizeOptions,
    pub base: Base,
    pub desired: Desired,
    pub changes: Changes,
    pub actions: Vec<Action>,
    /// Things a reviewer should know that are not changes (a reused revision, a field left
    /// alone because UpdateService cannot unset it, …).
    pub notes: Vec<String>,
    /// The whole documents before and after, for reviewers and policies; `None` in plans saved
    /// by a ristretto that did not record them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub documents: Option<ServiceDocuments>,
}

/// A service's normalized documents as the live service has them (`before`) and as it will have
/// them once the plan is applied (`after`), in the form the changes were computed on: the
/// changes are exactly their differences. Unmasked, like `desired`; renderings mask them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct ServiceDocuments {
    pub before: DocumentPair,
    pub after: DocumentPair,
    /// The service fields Terraform owns, which apply never sends; `None`: ristretto owns them all.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terraform: Option<TerraformOwnership>,
}

/// A task definition and a service document; `None` where there is none (a service that does
/// not exist yet, a config without a service).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct DocumentPair {
    pub task_definition: Option<Value>,
    pub service: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct TerraformOwnership {
    /// `aws_ecs_service.api in infra/ecs.tf`; `None` when the config's `ownership` says it.
    pub resource: Option<String>,
    /// ECS API field paths (`desiredCount`, `deploymentConfiguration.maximumPercent`, …).
    pub fields: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub(crate) struct Target {
    pub region: String,
    pub cluster: String,
    pub service: String,
}

impl Target {
    /// The deploy lock's id for this service (ARCHITECTURE.md §6), spelled by `lock::lock_id`.
    pub(crate) fn lock_id(&self) -> String {
        crate::lock::lock_id(&self.region, &self.cluster, &self.service)
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            formatter,
            "{}/{} ({})",
            self.cluster, self.service, self.region
        )
    }
}

/// The fingerprint of the live state a plan was computed against.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Base {
    pub service_arn: Option<String>,
    pub task_definition_arn: Option<String>,
    pub desired_count: Option<i64>,
    pub deployment_ids: Vec<String>,
    /// SHA-256 of the normalized live documents (service and task definition), in the form
    /// that is compared with the desired documents.
    pub live_sha256: String,
}

impl Base {
    /// What differs between the base a plan was made on and the live state now, for the
    /// "plan is stale" message; empty: the plan still applies. The rule of what counts is in
    /// this module's invariants: `desired_count` only when the plan sets the count
    /// (`compare_desired_count`), deployments only when one started since.
    pub(crate) fn differences(&self, now: &Base, compare_desired_count: bool) -> Vec<String> {
        let mut differences = Vec::new();
        let describe = |value: &Option<String>| value.clone().unwrap_or_else(|| "none".into());
        if self.service_arn != now.service_arn {
            differences.push(format!(
                "service: {} → {}",
                describe(&self.service_arn),
                describe(&now.service_arn)
            ));
        }
        if self.task_definition_arn != now.task_definition_arn {
            differences.push(format!(
                "task definition: {} → {}",
                describe(&self.task_definition_arn),
                describe(&now.task_definition_arn)
            ));
        }
        if compare_desired_count && self.desired_count != now.desired_count {
            differences.push(format!(
                "desired count: {:?} → {:?}",
                self.desired_count, now.desired_count
            ));
        }
        // Only deployments that started since count: those that ended are rollouts that
        // finished (plan invariants above).
        let started: Vec<&str> = now
            .deployment_ids
            .iter()
            .filter(|id| !self.deployment_ids.contains(id))
            .map(String::as_str)
            .collect();
        if !started.is_empty() {
            differences.push(format!(
                "deployments: [{}] → [{}] ({} started since the plan)",
                self.deployment_ids.join(", "),
                now.deployment_ids.join(", "),
                started.join(", ")
            ));
        }
        if self.live_sha256 != now.live_sha256 && differences.is_empty() {
            differences.push("the live service or task definition was changed".into());
        }
        differences
    }
}

/// The documents apply sends: exactly what was rendered at plan time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Desired {
    pub task_definition: Value,
    /// `None` for a plan that only registers a task definition (no service configured).
    pub service: Option<Value>,
}

/// What changes, per document, as structured diffs of the normalized forms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Changes {
    pub task_definition: Diff,
    pub service: Diff,
}

impl Changes {
    pub(crate) fn is_empty(&self) -> bool {
        self.task_definition.is_empty() && self.service.is_empty()
    }
}

/// Which task definition a service action uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum TaskDefinitionRef {
    /// The revision this plan's `register_task_definition` action creates.
    Registered,
    /// A revision that exists already (reused, `--revision`, `--latest-task-definition`).
    Existing { arn: String },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum Action {
    RegisterTaskDefinition {
        family: String,
    },
    CreateService {
        task_definition: TaskDefinitionRef,
    },
    UpdateService {
        /// `None`: the service keeps its task definition.
        task_definition: Option<TaskDefinitionRef>,
        /// Only the UpdateService members that change, with their new values.
        fields: Map<String, Value>,
        force_new_deployment: bool,
    },
    TagService {
        tags: Vec<Tag>,
    },
    UntagService {
        keys: Vec<String>,
    },
}

/// What an action does, as the plan's summary line counts it ("1 to register, 1 to update").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Verb {
    Register,
    Create,
    Update,
    Tag,
}

impl Verb {
    /// Every verb, in the summary's order.
    pub(crate) const ALL: [Verb; 4] = [Verb::Register, Verb::Create, Verb::Update, Verb::Tag];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Verb::Register => "register",
            Verb::Create => "create",
            Verb::Update => "update",
            Verb::Tag => "tag",
        }
    }

    /// How many of `actions` each verb has, in the summary's order, zeros left out.
    pub(crate) fn counts<'a>(actions: impl IntoIterator<Item = &'a Action>) -> Vec<(Verb, usize)> {
        let mut counts = [0; 4];
        for action in actions {
            counts[action.verb() as usize] += 1;
        }
        Verb::ALL
            .into_iter()
            .zip(counts)
            .filter(|(_, count)| *count > 0)
            .collect()
    }
}

impl Action {
    pub(crate) fn verb(&self) -> Verb {
        match self {
            Action::RegisterTaskDefinition { .. } => Verb::Register,
            Action::CreateService { .. } => Verb::Create,
            Action::UpdateService { .. } => Verb::Update,
            Action::TagService { .. } | Action::UntagService { .. } => Verb::Tag,
        }
    }
}

impl Plan {
    pub(crate) fn has_changes(&self) -> bool {
        self.services
            .iter()
            .any(|service| !service.actions.is_empty())
    }

    /// Counts per verb over all services, in the summary's order, for the summary line.
    pub(crate) fn summary(&self) -> Vec<(Verb, usize)> {
        Verb::counts(self.services.iter().flat_map(|service| &service.actions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base(deployments: &[&str]) -> Base {
        Base {
            service_arn: Some("arn:aws:ecs:r:1:service/web/api".into()),
            task_definition_arn: Some("arn:aws:ecs:r:1:task-definition/api:2".into()),
            desired_count: Some(2),
            deployment_ids: deployments.iter().map(|id| (*id).to_owned()).collect(),
            live_sha256: "same".into(),
        }
    }

    /// A plan made while a rollout ran (two deployments) still applies once the rollout has
    /// finished and the old deployment is gone; one made before another deployment started
    /// does not.
    #[test]
    fn only_deployments_started_since_the_plan_make_it_stale() {
        let during_rollout = base(&["ecs-svc/new", "ecs-svc/old"]);
        assert_eq!(
            during_rollout.differences(&base(&["ecs-svc/new"]), false),
            Vec::<String>::new(),
            "a finished rollout changes nothing the plan depends on"
        );
        assert_eq!(
            during_rollout.differences(&during_rollout.clone(), false),
            Vec::<String>::new()
        );
        let differences =
            during_rollout.differences(&base(&["ecs-svc/newer", "ecs-svc/new"]), false);
        assert_eq!(
            differences,
            [
                "deployments: [ecs-svc/new, ecs-svc/old] → [ecs-svc/newer, ecs-svc/new] \
              (ecs-svc/newer started since the plan)"
            ]
        );
    }
}
