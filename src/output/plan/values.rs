//! Values as text: JSON, on one line when short (`INLINE_WIDTH`), else as indented lines, with
//! a masked value written as `(sensitive)`, unquoted, so that it never reads as the value.

use serde_json::{Map, Value};

use super::SENSITIVE;

/// Longest value, as text, written on one line; longer objects and lists become blocks.
const INLINE_WIDTH: usize = 72;

/// A value on one line, when it is a scalar or a short object or list of scalars.
pub(super) fn inline(value: &Value) -> Option<String> {
    let text = match value {
        Value::Object(members) => {
            let parts = ordered_members(members)
                .into_iter()
                .map(|(key, value)| Some(format!("{}: {}", json_string(key), scalar(value)?)))
                .collect::<Option<Vec<_>>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(elements) => {
            let parts = elements.iter().map(scalar).collect::<Option<Vec<_>>>()?;
            format!("[{}]", parts.join(", "))
        }
        scalar_value => return scalar(scalar_value),
    };
    (text.chars().count() <= INLINE_WIDTH).then_some(text)
}

/// A scalar (or an empty object or list) as JSON text; a masked value as `(sensitive)`, unquoted,
/// so that it does not read as the variable's actual value.
pub(super) fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if text == SENSITIVE => Some(SENSITIVE.to_owned()),
        Value::String(text) => Some(json_string(text)),
        Value::Object(members) if members.is_empty() => Some("{}".to_owned()),
        Value::Array(elements) if elements.is_empty() => Some("[]".to_owned()),
        Value::Object(_) | Value::Array(_) => None,
        other => Some(other.to_string()),
    }
}

/// A value as indented JSON lines (two spaces a level); short parts stay on one line.
pub(super) fn value_lines(value: &Value) -> Vec<String> {
    if let Some(text) = inline(value) {
        return vec![text];
    }
    let (open, close, items): (&str, &str, Vec<(Option<&String>, &Value)>) = match value {
        Value::Object(members) => (
            "{",
            "}",
            ordered_members(members)
                .into_iter()
                .map(|(key, value)| (Some(key), value))
                .collect(),
        ),
        Value::Array(elements) => (
            "[",
            "]",
            elements.iter().map(|value| (None, value)).collect(),
        ),
        _ => unreachable!("scalars are always inline"),
    };
    let mut lines = vec![open.to_owned()];
    let count = items.len();
    for (position, (key, item)) in items.into_iter().enumerate() {
        let mut item_lines = value_lines(item);
        if let Some(key) = key {
            item_lines[0] = format!("{}: {}", json_string(key), item_lines[0]);
        }
        if position + 1 < count {
            item_lines.last_mut().expect("never empty").push(',');
        }
        lines.extend(item_lines.into_iter().map(|line| format!("  {line}")));
    }
    lines.push(close.to_owned());
    lines
}

/// Object members in reading order: what identifies the object first (`name`, `key`, `family`:
/// how people look for a container, a tag, a task definition), then the members that fit on
/// one line, then the multi-line ones, so that short facts are not scattered between long
/// blocks (Terraform's order: attributes, then nested blocks). Within each group, the
/// document's (sorted) order.
pub(super) fn ordered_members(members: &Map<String, Value>) -> Vec<(&String, &Value)> {
    const FIRST: [&str; 3] = ["name", "key", "family"];
    let rank = |(key, value): &(&String, &Value)| {
        if FIRST.contains(&key.as_str()) {
            0
        } else if inline(value).is_some() {
            1
        } else {
            2
        }
    };
    let mut ordered: Vec<(&String, &Value)> = members.iter().collect();
    ordered.sort_by_key(rank); // stable: keeps the document's order within a rank
    ordered
}

pub(super) fn json_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}
