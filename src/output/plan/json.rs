//! The plan for machines (`--format json`): the stable JSON form `plan::document` builds, whose
//! shape and compatibility rules are documented there and in the README.

use super::RenderOptions;
use crate::plan::Plan;
use crate::plan::document::plan_document;

/// The plan for machines, pretty-printed, with a trailing newline. Masks with the patterns the
/// plan recorded, as every rendering does.
pub(crate) fn json(plan: &Plan, _options: &RenderOptions) -> String {
    let mut text =
        serde_json::to_string_pretty(&plan_document(plan)).expect("JSON values always serialize");
    text.push('\n');
    text
}
