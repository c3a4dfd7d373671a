//! Normalization: turns a task or service definition — local (rendered from the user's files)
//! or remote (as ECS describes it) — into a *comparable form*, so that two documents meaning the
//! same deployment are equal JSON and `crate::diff` reports only real differences. Every rule is
//! a named function with its own test; the ecspresso rule names (S1–S15, T1–T6, J1–J6 in
//! research/ecspresso.md §4) are cited where a rule comes from there.
//!
//! The comparable form is for comparison only: it is never sent to AWS (send the desired
//! documents themselves) and it must not be rendered as "what the user wrote". Input documents
//! are AWS-CLI JSON (`serde_json::Value`, camelCase keys); nothing here talks to AWS, reads
//! files, prints, or fails — a document of an unexpected shape is compared as it is.
//!
//! Conventions of the comparable form:
//! - `null`, `[]` and `{}` members are the same as absent and removed (ecspresso J2/J3).
//! - ECS defaults are made explicit (`essential: true`, `protocol: "tcp"`, `schedulingStrategy:
//!   "REPLICA"`, …) where DescribeX returns them, so both spellings compare equal and a plan shows
//!   the value in force; a few values that only mean "unset" (`hostPort: 0` outside `awsvpc`,
//!   `configuredAtLaunch: false`, disabled alarms) are removed instead.
//! - Order-insensitive lists are sorted (by their identifying field, or by canonical JSON).
//! - Keys are never renamed, and user maps (`dockerLabels`, `logConfiguration.options`, …) are
//!   data: their keys and values are never touched.
//! - A normalized service also carries the fields UpdateService cannot change
//!   (`REPLACEMENT_FIELDS`), so one diff shows every difference and the planner tells "requires
//!   replacement" from a change's top-level key; the reasons are in `service`'s module docs.

mod common;

pub use common::{RISTRETTO_TAG_PREFIX, is_reserved_tag};
mod service;
mod task_definition;

pub use service::{
    LEFT_TO_ECS_WHEN_ABSENT, NamespaceNames, REPLACEMENT_FIELDS, comparable_services, service,
    service_connect_namespace_arns,
};
pub use task_definition::{
    RESPONSE_ONLY_FIELDS, task_cpu_units, task_definition, task_memory_units,
};

/// Settings from the configuration that change what is compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NormalizeOptions {
    /// Config `ignore.tags`: tags with these keys are dropped from both sides (ecspresso S15),
    /// because another tool owns them.
    pub ignore_tags: Vec<String>,
}
