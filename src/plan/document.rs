//! The stable JSON form of a plan: what `plan --format json` and `show --format json` print,
//! and — without `digest` and `policy` — the `input` of policies. Its schema is
//! `schemas/plan-output.schema.json`; its compatibility rules (`format_version`) are in the
//! README ("JSON output format").
//!
//! ```json
//! {
//!   "format_version": "1.0",
//!   "ristretto_version": "0.1.0",
//!   "plan_id": "6f1c…", "created_at": "2025-01-01T00:00:00Z",
//!   "environment": "prod",                 // --env, or null
//!   "digest": "…",                         // the plan file's SHA-256 digest
//!   "has_changes": true,
//!   "summary": {"register": 1, "create": 0, "update": 1, "tag": 0},
//!   "services": [{
//!     "target": {"region": "…", "cluster": "…", "service": "…"},
//!     "environment": "prod",               // the plan's, repeated for rules about one service
//!     "actions": [{"action": "register_task_definition", "family": "api"}, …],
//!     "changes": {"task_definition": [Change…], "service": [Change…]},
//!     "before": {"task_definition": {…} | null, "service": {…} | null} | null,
//!     "after":  {"task_definition": {…} | null, "service": {…} | null} | null,
//!     "terraform": {"owns_fields": true, "resource": "aws_ecs_service.api in infra/ecs.tf" | null,
//!                   "fields": ["desiredCount"]} | null,
//!     "notes": ["…"]
//!   }],
//!   "policy": {"digest": "…", "files": ["policies/images.rego"], "passed": true,
//!              "denials": 0, "warnings": 1,
//!              "findings": [{"severity": "warn", "file": "…", "rule": "warn", "line": 12,
//!                            "message": "…"}]} | null
//! }
//! ```
//!
//! - A Change is `{"kind": "added" | "removed", "path": [...], "value": …}` or `{"kind":
//!   "changed", "path": [...], "before": …, "after": …}`; a path is a list of segments (string:
//!   member, number: position, one-member object: the element of a list with that name); the
//!   empty path is a whole document (a service or family created).
//! - `before` and `after` are the normalized documents (ECS defaults filled in, order-insensitive
//!   lists sorted, read-only members dropped) the changes were computed on: `before` as the live
//!   service has them, `after` as it will have them once the plan is applied (members the
//!   definition leaves to ECS, such as an autoscaled `desiredCount`, keep their live values on
//!   both sides). `null` documents do not exist (a service not created yet, a config without a
//!   service); `before`, `after` and `terraform` are `null` for plans saved by a ristretto that
//!   did not record them.
//! - Every value of an `environment` entry whose name looks secret is `(sensitive)`, in changes
//!   and documents alike.
//!
//! Must not: print, or read anything but the plan.

use serde_json::{Map, Value, json};

use super::masking::{SecretNames, mask_inside, masked_changes};
use super::{DocumentPair, Plan, ServicePlan, Verb};

/// The version of this form, independent of the plan file's; compatibility rules in the README.
pub(crate) const FORMAT_VERSION: &str = "1.0";

/// The whole JSON form of `plan`.
pub(crate) fn plan_document(plan: &Plan) -> Value {
    let mut document = policy_input(plan);
    let map = document.as_object_mut().expect("an object");
    map.insert("digest".into(), json!(plan.digest));
    map.insert(
        "policy".into(),
        plan.policy.as_ref().map_or(Value::Null, |policy| {
            let denials = policy.denials().count();
            json!({
                "digest": policy.digest,
                "files": policy.files,
                "passed": denials == 0,
                "denials": denials,
                "warnings": policy.warnings().count(),
                "findings": policy.findings,
            })
        }),
    );
    document
}

/// What policies read as `input`: the JSON form without `digest` and `policy` (which the
/// policies' own verdict changes).
pub(crate) fn policy_input(plan: &Plan) -> Value {
    let secrets = SecretNames::new(&plan.secret_patterns);
    let counts = plan.summary();
    let summary: Map<String, Value> = Verb::ALL
        .into_iter()
        .map(|verb| {
            let count = counts
                .iter()
                .find(|(counted, _)| *counted == verb)
                .map_or(0, |(_, count)| *count);
            (verb.as_str().to_owned(), json!(count))
        })
        .collect();
    let services: Vec<Value> = plan
        .services
        .iter()
        .map(|service| service_document(service, plan.environment.as_deref(), &secrets))
        .collect();
    json!({
        "format_version": FORMAT_VERSION,
        "ristretto_version": plan.ristretto_version,
        "plan_id": plan.plan_id,
        "created_at": plan.created_at,
        "environment": plan.environment,
        "has_changes": plan.has_changes(),
        "summary": summary,
        "services": services,
    })
}

fn service_document(
    service: &ServicePlan,
    environment: Option<&str>,
    secrets: &SecretNames,
) -> Value {
    let documents = service.documents.as_ref();
    let pair = |pair: &DocumentPair| {
        let masked = |document: &Option<Value>| {
            document.clone().map_or(Value::Null, |mut document| {
                mask_inside(&mut document, secrets);
                document
            })
        };
        json!({
            "task_definition": masked(&pair.task_definition),
            "service": masked(&pair.service),
        })
    };
    let terraform = documents.map_or(Value::Null, |documents| match &documents.terraform {
        Some(ownership) => json!({
            "owns_fields": !ownership.fields.is_empty(),
            "resource": ownership.resource,
            "fields": ownership.fields,
        }),
        None => json!({"owns_fields": false, "resource": null, "fields": []}),
    });
    json!({
        "target": service.target,
        "environment": environment,
        "actions": service.actions,
        "changes": {
            "task_definition": masked_changes(&service.changes.task_definition, secrets),
            "service": masked_changes(&service.changes.service, secrets),
        },
        "before": documents.map_or(Value::Null, |documents| pair(&documents.before)),
        "after": documents.map_or(Value::Null, |documents| pair(&documents.after)),
        "terraform": terraform,
        "notes": service.notes,
    })
}
