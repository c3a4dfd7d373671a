//! Rules and helpers shared by task and service definitions: "`null`, `[]` and `{}` are the same
//! as absent", the `ignore.tags` filter, and the sorting of order-insensitive lists. Works in
//! place on `serde_json::Value`s; must not rename keys or alter values inside user maps
//! (`dockerLabels`, `logConfiguration.options`, …), and knows no ECS field besides `tags`.

use serde_json::{Map, Value};

/// ecspresso J2/J3: a member whose value is `null` or `[]` is the same as no member, at any
/// depth (ECS returns `[]` for every list that was not set: `environment`, `mountPoints`,
/// `volumes`, …). Arrays keep their elements; only object members are removed.
///
/// Unlike ecspresso (J4), an empty object `{}` is removed too, after its own members were
/// cleaned: no ECS field gives `{}` a meaning distinct from absent, and a `{}` that ECS does not
/// echo back (or one left over after a default was recognised, e.g. `capabilities: {add: []}`)
/// would otherwise be a difference that no apply can ever remove.
pub(super) fn remove_absent_equivalents(value: &mut Value) {
    match value {
        Value::Object(members) => {
            for member in members.values_mut() {
                remove_absent_equivalents(member);
            }
            members.retain(|_, member| !is_absent_equivalent(member));
        }
        Value::Array(elements) => elements.iter_mut().for_each(remove_absent_equivalents),
        _ => {}
    }
}

fn is_absent_equivalent(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::Array(elements) => elements.is_empty(),
        Value::Object(members) => members.is_empty(),
        _ => false,
    }
}

/// ecspresso S15 (`ignore.tags`): tags whose key is listed are owned by someone else (cost
/// allocation tooling, Terraform's `default_tags`) and dropped from both sides.
pub(super) fn drop_ignored_tags(document: &mut Map<String, Value>, ignored_keys: &[String]) {
    if let Some(Value::Array(tags)) = document.get_mut("tags") {
        tags.retain(|tag| {
            tag.get("key").and_then(Value::as_str).is_none_or(|key| {
                !is_reserved_tag(key) && !ignored_keys.iter().any(|ignored| ignored == key)
            })
        });
    }
}

/// Tags no definition manages: `aws:` keys belong to AWS (users cannot set or remove them) and
/// `ristretto:` keys are ristretto's own bookkeeping (the id of the last applied plan).
pub fn is_reserved_tag(key: &str) -> bool {
    key.starts_with("aws:") || key.starts_with(RISTRETTO_TAG_PREFIX)
}

/// The prefix of the tags ristretto writes on the services it deploys.
pub const RISTRETTO_TAG_PREFIX: &str = "ristretto:";

/// Tags are a set keyed by `key` (TagResource replaces by key), so their order carries no
/// meaning (ecspresso T5/S3).
pub(super) fn sort_tags_by_key(document: &mut Map<String, Value>) {
    sort_member_by_field(document, "tags", "key");
}

/// Sorts the list `document[member]` by the string field `field` of its elements (elements
/// without it first), then by canonical JSON so that the order is total.
pub(super) fn sort_member_by_field(document: &mut Map<String, Value>, member: &str, field: &str) {
    if let Some(Value::Array(elements)) = document.get_mut(member) {
        sort_by_field(elements, field);
    }
}

/// Sorts the list `document[member]` by the canonical JSON text of its elements: for lists that
/// are sets of values with no identifying field (ecspresso sorts these "by their JSON text").
pub(super) fn sort_member_by_canonical_json(document: &mut Map<String, Value>, member: &str) {
    if let Some(Value::Array(elements)) = document.get_mut(member) {
        sort_by_canonical_json(elements);
    }
}

pub(super) fn sort_by_field(elements: &mut [Value], field: &str) {
    elements.sort_by_cached_key(|element| {
        (
            element
                .get(field)
                .and_then(Value::as_str)
                .map(str::to_owned),
            canonical_json(element),
        )
    });
}

pub(super) fn sort_by_canonical_json(elements: &mut [Value]) {
    elements.sort_by_cached_key(canonical_json);
}

/// JSON text with object members in key order at every level, whatever the map type's own
/// iteration order, so that equal values always give the same text.
pub(super) fn canonical_json(value: &Value) -> String {
    let mut text = String::new();
    write_canonical_json(value, &mut text);
    text
}

fn write_canonical_json(value: &Value, text: &mut String) {
    match value {
        Value::Object(members) => {
            let mut entries: Vec<(&String, &Value)> = members.iter().collect();
            entries.sort_by_key(|(key, _)| *key);
            text.push('{');
            for (position, (key, member)) in entries.into_iter().enumerate() {
                if position > 0 {
                    text.push(',');
                }
                text.push_str(&Value::String(key.clone()).to_string());
                text.push(':');
                write_canonical_json(member, text);
            }
            text.push('}');
        }
        Value::Array(elements) => {
            text.push('[');
            for (position, element) in elements.iter().enumerate() {
                if position > 0 {
                    text.push(',');
                }
                write_canonical_json(element, text);
            }
            text.push(']');
        }
        scalar => text.push_str(&scalar.to_string()),
    }
}

/// Sorts a list of strings (a set of names: subnets, security groups, compatibilities…).
pub(super) fn sort_strings(document: &mut Map<String, Value>, member: &str) {
    if let Some(Value::Array(elements)) = document.get_mut(member) {
        elements.sort_by(|left, right| match (left.as_str(), right.as_str()) {
            (Some(left), Some(right)) => left.cmp(right),
            _ => canonical_json(left).cmp(&canonical_json(right)),
        });
    }
}

/// Inserts `member: default` when the member is absent.
pub(super) fn fill_default(document: &mut Map<String, Value>, member: &str, default: Value) {
    document.entry(member).or_insert(default);
}

/// Removes `member` when it holds exactly `default` (for "the default is the same as absent"
/// rules, used where filling the default in would clutter every document).
pub(super) fn remove_if_equal(document: &mut Map<String, Value>, member: &str, default: &Value) {
    if document.get(member) == Some(default) {
        document.remove(member);
    }
}

/// The object at `document[member]`, if it is one.
pub(super) fn object_mut<'a>(
    document: &'a mut Map<String, Value>,
    member: &str,
) -> Option<&'a mut Map<String, Value>> {
    document.get_mut(member).and_then(Value::as_object_mut)
}

/// Every object element of the list `document[member]`.
pub(super) fn objects_in_mut<'a>(
    document: &'a mut Map<String, Value>,
    member: &str,
) -> impl Iterator<Item = &'a mut Map<String, Value>> {
    document
        .get_mut(member)
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object_mut)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    #[test]
    fn null_empty_list_and_empty_object_are_absent_at_any_depth() {
        let mut value = json!({
            "a": null,
            "b": [],
            "c": {},
            "d": {"e": {"f": []}},
            "g": [{"h": null, "i": 1}],
            "keep": {"s": "", "n": 0, "f": false},
        });
        remove_absent_equivalents(&mut value);
        assert_eq!(
            value,
            json!({"g": [{"i": 1}], "keep": {"s": "", "n": 0, "f": false}})
        );
    }

    #[test]
    fn map_keys_are_never_touched() {
        let mut value = json!({"dockerLabels": {"Team": "web", "team": ""}});
        let expected = value.clone();
        remove_absent_equivalents(&mut value);
        assert_eq!(value, expected);
    }

    #[test]
    fn ignored_tags_are_dropped() {
        let mut document = object(json!({"tags": [
            {"key": "env", "value": "production"},
            {"key": "CostCenter", "value": "42"},
        ]}));
        drop_ignored_tags(&mut document, &["CostCenter".to_owned()]);
        assert_eq!(
            Value::Object(document),
            json!({"tags": [{"key": "env", "value": "production"}]})
        );
    }

    #[test]
    fn tags_sort_by_key() {
        let mut document =
            object(json!({"tags": [{"key": "b", "value": "1"}, {"key": "a", "value": "2"}]}));
        sort_tags_by_key(&mut document);
        assert_eq!(
            Value::Object(document),
            json!({"tags": [{"key": "a", "value": "2"}, {"key": "b", "value": "1"}]})
        );
    }

    #[test]
    fn canonical_json_ignores_member_order() {
        let left: Value = serde_json::from_str(r#"{"b": 1, "a": [{"y": 2, "x": 1}]}"#).unwrap();
        assert_eq!(canonical_json(&left), r#"{"a":[{"x":1,"y":2}],"b":1}"#);
    }

    #[test]
    fn sets_sort_whatever_their_input_order() {
        let mut left = vec![
            json!({"containerPort": 9090}),
            json!({"containerPort": 8080}),
        ];
        let mut right = vec![
            json!({"containerPort": 8080}),
            json!({"containerPort": 9090}),
        ];
        sort_by_canonical_json(&mut left);
        sort_by_canonical_json(&mut right);
        assert_eq!(left, right);

        let mut document = object(json!({"subnets": ["b", "a"]}));
        sort_strings(&mut document, "subnets");
        assert_eq!(Value::Object(document), json!({"subnets": ["a", "b"]}));
    }
}
