//! Structured diff of two JSON documents: the list of per-path changes (added / removed /
//! changed) that turns `before` (what exists, e.g. the live service) into `after` (what is
//! desired). Pure: it compares the documents it is given exactly as given — normalization
//! (defaults, sorting, units) is `crate::normalize`'s job and must happen first — and it never
//! renders or prints (the human, JSON and Markdown renderers live in `output`).
//!
//! How arrays are compared:
//! - **By identifying field.** If every element on both sides is an object holding a string
//!   `name`, and those names are unique on each side, elements are matched by `name`; otherwise
//!   the same test is made with `key` (tags). Matched elements are compared member by member;
//!   unmatched ones are `Added` / `Removed`. Reordering such a list is therefore never a change.
//!   (In ECS every list keyed this way — containers, environment, secrets, volumes, ulimits,
//!   proxy properties, tags — is a set, so position carries no meaning.)
//! - **By position** otherwise (subnets, port mappings, commands, …): element `i` is compared
//!   with element `i`, and the longer side's extra elements are `Added` / `Removed`.
//!
//! Output order is deterministic: changes come in path order (object members by name, named
//! elements by their identifying value, positional elements by index).
//!
//! Numbers are equal when they denote the same value (`1` and `1.0`), because documents come
//! from different encoders (Jsonnet, the SDK) that may spell a number differently.

mod path;

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::Value;

pub use path::{Path, Segment};

/// The fields that identify an element of an array of objects, in the order they are tried.
pub const IDENTIFYING_FIELDS: [&str; 2] = ["name", "key"];

/// One difference between `before` and `after`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    /// `path` exists only in `after`; `value` is its whole value there.
    Added { path: Path, value: Value },
    /// `path` exists only in `before`; `value` is its whole value there.
    Removed { path: Path, value: Value },
    /// `path` holds different values that cannot be compared further (scalars, or values of
    /// different JSON types).
    Changed {
        path: Path,
        before: Value,
        after: Value,
    },
}

impl Change {
    pub fn path(&self) -> &Path {
        match self {
            Change::Added { path, .. }
            | Change::Removed { path, .. }
            | Change::Changed { path, .. } => path,
        }
    }
}

/// Every change between two documents, in path order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diff {
    pub changes: Vec<Change>,
}

impl Diff {
    /// True when the documents are the same.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }

    pub fn len(&self) -> usize {
        self.changes.len()
    }
}

/// The changes that turn `before` into `after`. `before: None` means the resource does not exist
/// yet: the result is a single `Added` at the root holding the whole of `after`.
pub fn diff(before: Option<&Value>, after: &Value) -> Diff {
    let mut changes = Vec::new();
    match before {
        None => changes.push(Change::Added {
            path: Path::root(),
            value: after.clone(),
        }),
        Some(before) => compare(&mut Vec::new(), before, after, &mut changes),
    }
    Diff { changes }
}

/// The field by which two versions of an array are matched element to element, or `None` when
/// they are matched by position (see the module documentation for the rule). Public so that
/// callers translating positions into `Path`s (tests, renderers) use the very same rule.
pub fn identifying_field(before: &[Value], after: &[Value]) -> Option<&'static str> {
    if before.is_empty() && after.is_empty() {
        return None;
    }
    IDENTIFYING_FIELDS
        .into_iter()
        .find(|field| has_unique_identifiers(before, field) && has_unique_identifiers(after, field))
}

fn has_unique_identifiers(elements: &[Value], field: &str) -> bool {
    let mut seen = BTreeSet::new();
    elements.iter().all(|element| {
        element
            .get(field)
            .and_then(Value::as_str)
            .is_some_and(|identifier| seen.insert(identifier))
    })
}

fn compare(path: &mut Vec<Segment>, before: &Value, after: &Value, changes: &mut Vec<Change>) {
    match (before, after) {
        (Value::Object(before_members), Value::Object(after_members)) => {
            let keys: BTreeSet<&String> =
                before_members.keys().chain(after_members.keys()).collect();
            for key in keys {
                path.push(Segment::Key(key.clone()));
                compare_optional(
                    path,
                    before_members.get(key),
                    after_members.get(key),
                    changes,
                );
                path.pop();
            }
        }
        (Value::Array(before_elements), Value::Array(after_elements)) => {
            match identifying_field(before_elements, after_elements) {
                Some(field) => {
                    compare_by_identifier(path, field, before_elements, after_elements, changes)
                }
                None => compare_by_position(path, before_elements, after_elements, changes),
            }
        }
        _ if same_scalar(before, after) => {}
        _ => changes.push(Change::Changed {
            path: Path(path.clone()),
            before: before.clone(),
            after: after.clone(),
        }),
    }
}

fn compare_optional(
    path: &mut Vec<Segment>,
    before: Option<&Value>,
    after: Option<&Value>,
    changes: &mut Vec<Change>,
) {
    match (before, after) {
        (Some(before), Some(after)) => compare(path, before, after, changes),
        (Some(before), None) => changes.push(Change::Removed {
            path: Path(path.clone()),
            value: before.clone(),
        }),
        (None, Some(after)) => changes.push(Change::Added {
            path: Path(path.clone()),
            value: after.clone(),
        }),
        (None, None) => {}
    }
}

fn compare_by_identifier(
    path: &mut Vec<Segment>,
    field: &str,
    before: &[Value],
    after: &[Value],
    changes: &mut Vec<Change>,
) {
    let before_by_identifier = by_identifier(before, field);
    let after_by_identifier = by_identifier(after, field);
    let identifiers: BTreeSet<&str> = before_by_identifier
        .keys()
        .chain(after_by_identifier.keys())
        .copied()
        .collect();
    for identifier in identifiers {
        path.push(Segment::Named {
            key: field.to_owned(),
            value: identifier.to_owned(),
        });
        compare_optional(
            path,
            before_by_identifier.get(identifier).copied(),
            after_by_identifier.get(identifier).copied(),
            changes,
        );
        path.pop();
    }
}

fn by_identifier<'a>(elements: &'a [Value], field: &str) -> BTreeMap<&'a str, &'a Value> {
    elements
        .iter()
        .filter_map(|element| Some((element.get(field)?.as_str()?, element)))
        .collect()
}

fn compare_by_position(
    path: &mut Vec<Segment>,
    before: &[Value],
    after: &[Value],
    changes: &mut Vec<Change>,
) {
    for index in 0..before.len().max(after.len()) {
        path.push(Segment::Index(index));
        compare_optional(path, before.get(index), after.get(index), changes);
        path.pop();
    }
}

/// Equality of two values that are not both objects nor both arrays.
fn same_scalar(before: &Value, after: &Value) -> bool {
    match (before, after) {
        (Value::Number(before), Value::Number(after)) => {
            before == after
                || matches!((before.as_f64(), after.as_f64()), (Some(b), Some(a)) if b == a)
        }
        _ => before == after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(diff: &Diff) -> Vec<String> {
        diff.changes
            .iter()
            .map(|change| change.path().to_string())
            .collect()
    }

    #[test]
    fn identical_documents_have_no_changes() {
        let document = json!({"a": 1, "b": [1, 2], "c": {"d": "e"}});
        assert!(diff(Some(&document), &document).is_empty());
    }

    #[test]
    fn missing_before_is_one_addition_at_the_root() {
        let after = json!({"family": "app"});
        let result = diff(None, &after);
        assert_eq!(
            result.changes,
            vec![Change::Added {
                path: Path::root(),
                value: after.clone()
            }]
        );
    }

    #[test]
    fn scalar_member_changes_added_and_removed() {
        let before = json!({"cpu": "256", "gone": true, "same": 1});
        let after = json!({"cpu": "512", "new": [1], "same": 1});
        let result = diff(Some(&before), &after);
        assert_eq!(
            result.changes,
            vec![
                Change::Changed {
                    path: Path(vec![Segment::Key("cpu".into())]),
                    before: json!("256"),
                    after: json!("512"),
                },
                Change::Removed {
                    path: Path(vec![Segment::Key("gone".into())]),
                    value: json!(true),
                },
                Change::Added {
                    path: Path(vec![Segment::Key("new".into())]),
                    value: json!([1]),
                },
            ]
        );
    }

    #[test]
    fn nested_changes_name_the_leaf() {
        let before = json!({"a": {"b": {"c": 1, "d": 2}}});
        let after = json!({"a": {"b": {"c": 1, "d": 3}}});
        assert_eq!(paths(&diff(Some(&before), &after)), vec!["a.b.d"]);
    }

    #[test]
    fn named_elements_are_matched_by_name_and_reordering_is_no_change() {
        let before = json!({"containerDefinitions": [
            {"name": "web", "image": "nginx"},
            {"name": "app", "image": "app:1"},
        ]});
        let after = json!({"containerDefinitions": [
            {"name": "app", "image": "app:1"},
            {"name": "web", "image": "nginx"},
        ]});
        assert!(diff(Some(&before), &after).is_empty());
    }

    #[test]
    fn named_elements_report_nested_changes_additions_and_removals() {
        let before = json!({"containerDefinitions": [
            {"name": "app", "environment": [{"name": "DB_HOST", "value": "a"}, {"name": "OLD", "value": "x"}]},
            {"name": "sidecar"},
        ]});
        let after = json!({"containerDefinitions": [
            {"name": "app", "environment": [{"name": "NEW", "value": "y"}, {"name": "DB_HOST", "value": "b"}]},
            {"name": "log-router"},
        ]});
        let result = diff(Some(&before), &after);
        assert_eq!(
            paths(&result),
            vec![
                "containerDefinitions[name=app].environment[name=DB_HOST].value",
                "containerDefinitions[name=app].environment[name=NEW]",
                "containerDefinitions[name=app].environment[name=OLD]",
                "containerDefinitions[name=log-router]",
                "containerDefinitions[name=sidecar]",
            ]
        );
        assert!(matches!(result.changes[1], Change::Added { .. }));
        assert!(matches!(result.changes[2], Change::Removed { .. }));
        assert!(matches!(result.changes[3], Change::Added { .. }));
        assert!(matches!(result.changes[4], Change::Removed { .. }));
    }

    #[test]
    fn tags_are_matched_by_key() {
        let before = json!({"tags": [{"key": "env", "value": "production"}, {"key": "team", "value": "web"}]});
        let after =
            json!({"tags": [{"key": "team", "value": "web"}, {"key": "env", "value": "staging"}]});
        assert_eq!(
            paths(&diff(Some(&before), &after)),
            vec!["tags[key=env].value"]
        );
    }

    #[test]
    fn duplicate_or_missing_names_fall_back_to_positions() {
        let before = json!([{"name": "A", "value": "1"}, {"name": "A", "value": "2"}]);
        let after = json!([{"name": "A", "value": "1"}, {"name": "A", "value": "3"}]);
        assert_eq!(paths(&diff(Some(&before), &after)), vec!["[1].value"]);
        assert_eq!(
            identifying_field(&[json!({"name": "a"})], &[json!({})]),
            None
        );
        assert_eq!(
            identifying_field(&[json!({"name": 1})], &[json!({"name": 1})]),
            None
        );
    }

    #[test]
    fn one_empty_side_still_matches_by_name() {
        assert_eq!(
            identifying_field(&[], &[json!({"name": "a"})]),
            Some("name")
        );
        assert_eq!(identifying_field(&[], &[]), None);
    }

    #[test]
    fn positional_arrays_compare_index_by_index() {
        let before = json!({"subnets": ["a", "b", "c"]});
        let after = json!({"subnets": ["a", "x"]});
        let result = diff(Some(&before), &after);
        assert_eq!(paths(&result), vec!["subnets[1]", "subnets[2]"]);
        assert!(matches!(result.changes[0], Change::Changed { .. }));
        assert!(matches!(result.changes[1], Change::Removed { .. }));
    }

    #[test]
    fn type_changes_are_one_change() {
        let before = json!({"a": {"b": 1}});
        let after = json!({"a": [1]});
        assert_eq!(
            diff(Some(&before), &after).changes,
            vec![Change::Changed {
                path: Path(vec![Segment::Key("a".into())]),
                before: json!({"b": 1}),
                after: json!([1]),
            }]
        );
    }

    #[test]
    fn numbers_compare_by_value() {
        let before: Value = serde_json::from_str(r#"{"n": 1}"#).unwrap();
        let after: Value = serde_json::from_str(r#"{"n": 1.0}"#).unwrap();
        assert!(diff(Some(&before), &after).is_empty());
        assert!(!diff(Some(&json!({"n": 1})), &json!({"n": 2})).is_empty());
        assert!(!diff(Some(&json!({"n": 1})), &json!({"n": "1"})).is_empty());
    }

    #[test]
    fn diff_serializes_with_tagged_changes_and_round_trips() {
        let result = diff(
            Some(&json!({"tags": [{"key": "env", "value": "a"}]})),
            &json!({"tags": [{"key": "env", "value": "b"}]}),
        );
        let json = serde_json::to_value(&result).unwrap();
        assert_eq!(
            json,
            json!({"changes": [{
                "kind": "changed",
                "path": ["tags", {"key": "env"}, "value"],
                "before": "a",
                "after": "b",
            }]})
        );
        let back: Diff = serde_json::from_value(json).unwrap();
        assert_eq!(back, result);
    }
}
