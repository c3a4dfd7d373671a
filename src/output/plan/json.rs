//! The plan for machines (`--format json`); its shape is documented in the parent module.

use serde_json::{Map, Value, json};

use super::masking::masked_changes;
use super::{JSON_FORMAT_VERSION, RenderOptions};
use crate::plan::{Plan, Verb};

/// The plan for machines; the shape is documented at the top of this file. Pretty-printed, with
/// a trailing newline.
pub(crate) fn json(plan: &Plan, options: &RenderOptions) -> String {
    let counts = plan.summary();
    let mut summary = Map::new();
    for verb in Verb::ALL {
        let count = counts
            .iter()
            .find(|(counted, _)| *counted == verb)
            .map_or(0, |(_, count)| *count);
        summary.insert(verb.as_str().to_owned(), json!(count));
    }
    let services: Vec<Value> = plan
        .services
        .iter()
        .map(|service| {
            json!({
                "target": service.target,
                "actions": service.actions,
                "changes": {
                    "task_definition": masked_changes(&service.changes.task_definition, options),
                    "service": masked_changes(&service.changes.service, options),
                },
                "notes": service.notes,
            })
        })
        .collect();
    let document = json!({
        "format_version": JSON_FORMAT_VERSION,
        "plan_id": plan.plan_id,
        "created_at": plan.created_at,
        "environment": plan.environment,
        "digest": plan.digest,
        "has_changes": plan.has_changes(),
        "summary": summary,
        "services": services,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON values always serialize");
    text.push('\n');
    text
}
