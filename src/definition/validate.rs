//! Checks one JSON document against one [`ApiShape`] of the ECS API model: unknown keys (with a
//! did-you-mean), read-only keys of a describe output (dropped with a warning), JSON types, enum
//! values and required members, collecting every problem with its path.
//!
//! Must not: know about task or service definitions as such (their wrappers, leniencies and
//! config-owned keys are in `task_definition.rs` and `service_definition.rs`), touch SDK types, or
//! check keys inside map-typed members (`dockerLabels`, `logConfiguration.options`): those are
//! user data.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::Problem;
use crate::aws::model::{ApiShape, ShapeKind};

/// An empty string where the model wants one of an enum's values.
fn is_empty_enum(value: &Value, shape: &ApiShape) -> bool {
    value.as_str() == Some("")
        && matches!(
            &shape.kind,
            ShapeKind::String {
                enum_values: Some(_)
            }
        )
}

/// What one walk found: errors refuse the document, warnings do not.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
    /// What was accepted as written but deserves a word from `validate` only (an empty enum
    /// string treated as absent).
    pub notes: Vec<Problem>,
}

/// Where the document's read-only keys come from, to tell them from typos.
pub(crate) struct ReadOnlySource<'m> {
    /// The describe output's shape at the document's root.
    pub shape: &'m ApiShape,
    /// How to name that output in a hint: "the describe-task-definition output".
    pub origin: &'static str,
    /// How to name the input the document is for: "RegisterTaskDefinition".
    pub input: &'static str,
}

/// Rules a walk applies on top of the model.
pub(crate) struct WalkRules<'m> {
    pub read_only: ReadOnlySource<'m>,
    /// Members that ristretto requires although the API model does not, as
    /// (Smithy structure name, member): a container without `image` cannot run.
    pub also_required: &'static [(&'static str, &'static str)],
    /// Required root members that the document does not carry because the config supplies them.
    pub supplied_at_root: &'static [&'static str],
}

/// Checks `value` (the document's root) against `shape`, removing read-only keys from it.
pub(crate) fn check_document(
    value: &mut Value,
    shape: &ApiShape,
    rules: &WalkRules<'_>,
    path: &mut DocPath,
    findings: &mut Findings,
) {
    let mut walk = Walk { rules, findings };
    walk.check(value, shape, Some(rules.read_only.shape), path, true);
}

struct Walk<'r, 'm> {
    rules: &'r WalkRules<'m>,
    findings: &'r mut Findings,
}

impl Walk<'_, '_> {
    fn check(
        &mut self,
        value: &mut Value,
        shape: &ApiShape,
        read_only: Option<&ApiShape>,
        path: &mut DocPath,
        at_root: bool,
    ) {
        match &shape.kind {
            ShapeKind::Structure { name, .. } | ShapeKind::Union { name, .. } => {
                let Value::Object(object) = value else {
                    return self.wrong_type(path, shape, value);
                };
                self.check_object(object, shape, name, read_only, path, at_root);
            }
            ShapeKind::List { element } => {
                let Value::Array(items) = value else {
                    return self.wrong_type(path, shape, value);
                };
                let read_only_element = read_only.and_then(|output| match &output.kind {
                    ShapeKind::List { element } => Some(element.as_ref()),
                    _ => None,
                });
                for (index, item) in items.iter_mut().enumerate() {
                    path.with_index(index, |path| {
                        self.check(item, element, read_only_element, path, false)
                    });
                }
            }
            ShapeKind::Map { value: value_shape } => {
                let Value::Object(entries) = value else {
                    return self.wrong_type(path, shape, value);
                };
                // Keys are user data: neither checked nor changed.
                for (key, entry) in entries.iter_mut() {
                    path.with_key(key, |path| {
                        self.check(entry, value_shape, None, path, false)
                    });
                }
            }
            ShapeKind::String { enum_values } => match value {
                Value::String(text) => {
                    if let Some(allowed) = enum_values {
                        self.check_enum(text, allowed, path);
                    }
                }
                _ => self.wrong_type(path, shape, value),
            },
            ShapeKind::Boolean => {
                if !value.is_boolean() {
                    self.wrong_type(path, shape, value);
                }
            }
            ShapeKind::Byte => {
                self.check_integer(value, shape, path, i8::MIN.into(), i8::MAX.into())
            }
            ShapeKind::Short => {
                self.check_integer(value, shape, path, i16::MIN.into(), i16::MAX.into())
            }
            ShapeKind::Integer => {
                self.check_integer(value, shape, path, i32::MIN.into(), i32::MAX.into())
            }
            ShapeKind::Long => self.check_integer(value, shape, path, i64::MIN, i64::MAX),
            ShapeKind::Float | ShapeKind::Double => {
                if !value.is_number() {
                    self.wrong_type(path, shape, value);
                }
            }
            // Both wire forms are numbers as text or plain numbers.
            ShapeKind::BigInteger | ShapeKind::BigDecimal => {
                if !value.is_number() && !value.is_string() {
                    self.wrong_type(path, shape, value);
                }
            }
            // The SDK reads ISO 8601 strings and epoch seconds alike.
            ShapeKind::Timestamp => {
                if !value.is_number() && !value.is_string() {
                    self.wrong_type(path, shape, value);
                }
            }
            ShapeKind::Blob => {
                if !value.is_string() {
                    self.wrong_type(path, shape, value);
                }
            }
            ShapeKind::Document => {}
        }
    }

    fn check_object(
        &mut self,
        object: &mut Map<String, Value>,
        shape: &ApiShape,
        shape_name: &str,
        read_only: Option<&ApiShape>,
        path: &mut DocPath,
        at_root: bool,
    ) {
        // Present keys and missing required members in one sorted pass, so that problems come
        // out in the document's (alphabetical) order.
        let mut keys: BTreeSet<String> = object.keys().cloned().collect();
        keys.extend(
            shape
                .members()
                .iter()
                .filter(|member| self.is_required(shape, shape_name, &member.name, at_root))
                .map(|member| member.name.clone()),
        );
        for key in keys {
            if let Some(member) = shape.member(&key) {
                if object
                    .get(&key)
                    .is_some_and(|value| is_empty_enum(value, &member.shape))
                {
                    // ecspresso's `init` and pasted describe-* output write "" for an unset
                    // enum; the Go SDK never sends an empty enum, so ecspresso treats it as
                    // absent. Dropping it here makes requests, diffs and checks agree.
                    object.remove(&key);
                    let note = path.with_member(&key, |path| Problem {
                        path: path.to_string(),
                        message: "empty string, treated as absent".to_owned(),
                        hint: None,
                    });
                    self.findings.notes.push(note);
                }
                let value = object.get_mut(&key);
                match value {
                    // `null` is how JSON says "not set"; the SDK reads it the same way.
                    None | Some(Value::Null) => {
                        if self.is_required(shape, shape_name, &key, at_root) {
                            let problem = path.with_member(&key, |path| Problem {
                                path: path.to_string(),
                                message: "required field is missing".to_owned(),
                                hint: None,
                            });
                            self.findings.errors.push(problem);
                        }
                    }
                    Some(value) => {
                        let read_only_member = read_only
                            .and_then(|output| output.member(&key))
                            .map(|output_member| &output_member.shape);
                        path.with_member(&key, |path| {
                            self.check(value, &member.shape, read_only_member, path, false)
                        });
                    }
                }
            } else if read_only.is_some_and(|output| output.member(&key).is_some()) {
                object.remove(&key);
                let source = &self.rules.read_only;
                let problem = path.with_member(&key, |path| Problem {
                    path: path.to_string(),
                    message: "read-only field, ignored".to_owned(),
                    hint: Some(format!(
                        "it is part of {}, not of the {} input",
                        source.origin, source.input
                    )),
                });
                self.findings.warnings.push(problem);
            } else {
                let names = shape.members().iter().map(|member| member.name.as_str());
                let problem =
                    path.with_member(&key, |path| unknown_field(path, &key, shape_name, names));
                self.findings.errors.push(problem);
            }
        }
        if matches!(shape.kind, ShapeKind::Union { .. }) {
            let set = object.values().filter(|value| !value.is_null()).count();
            if set != 1 {
                let names: Vec<&str> = shape
                    .members()
                    .iter()
                    .map(|member| member.name.as_str())
                    .collect();
                self.findings.errors.push(Problem {
                    path: path.to_string(),
                    message: format!("set exactly one of {}", names.join(", ")),
                    hint: None,
                });
            }
        }
    }

    /// Required by the API model or by ristretto, and not supplied by the config.
    fn is_required(&self, shape: &ApiShape, shape_name: &str, member: &str, at_root: bool) -> bool {
        let in_model = shape.member(member).is_some_and(|found| found.required);
        let by_ristretto = self.rules.also_required.contains(&(shape_name, member));
        let supplied = at_root && self.rules.supplied_at_root.contains(&member);
        (in_model || by_ristretto) && !supplied
    }

    fn check_enum(&mut self, text: &str, allowed: &[String], path: &DocPath) {
        if allowed.iter().any(|value| value == text) {
            return;
        }
        let suggestion = closest(text, allowed.iter().map(String::as_str));
        self.findings.errors.push(Problem {
            path: path.to_string(),
            message: format!("{} is not one of {}", quoted(text), allowed.join(", ")),
            hint: suggestion.map(|value| format!("did you mean {value}?")),
        });
    }

    fn check_integer(
        &mut self,
        value: &Value,
        shape: &ApiShape,
        path: &DocPath,
        min: i64,
        max: i64,
    ) {
        let Value::Number(number) = value else {
            return self.wrong_type(path, shape, value);
        };
        match number.as_i64() {
            Some(integer) if (min..=max).contains(&integer) => {}
            Some(_) => self.findings.errors.push(Problem {
                path: path.to_string(),
                message: format!("{number} is out of range ({min} to {max})"),
                hint: None,
            }),
            // A fraction, or beyond i64: the SDK refuses both.
            None => self.wrong_type(path, shape, value),
        }
    }

    fn wrong_type(&mut self, path: &DocPath, shape: &ApiShape, found: &Value) {
        let expected = expected_text(shape);
        self.findings.errors.push(Problem {
            path: path.to_string(),
            message: format!("expected {expected}, found {}", found_text(found)),
            hint: quoted_scalar_hint(shape, found),
        });
    }
}

fn unknown_field<'a>(
    path: &DocPath,
    key: &str,
    shape_name: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> Problem {
    match closest(key, names.clone()) {
        Some(suggestion) => Problem {
            path: path.to_string(),
            message: format!("unknown field, did you mean {suggestion}?"),
            hint: None,
        },
        None => {
            let names: Vec<&str> = names.collect();
            // A short list helps; forty-odd container fields would bury the message.
            let hint = if names.len() <= 12 {
                format!("{shape_name} has: {}", names.join(", "))
            } else {
                format!("{shape_name} has no such field in the ECS API")
            };
            Problem {
                path: path.to_string(),
                message: "unknown field".to_owned(),
                hint: Some(hint),
            }
        }
    }
}

/// The candidate most like `input`, if one is close enough to be the intended word. Case,
/// `_` and `-` are ignored first (`desired_count` → `desiredCount`, `FARGATE` → `fargate`); then
/// Jaro-Winkler, which favours a shared beginning, as typos and abbreviations of field names
/// usually have (`enviroment`, `logConfig`).
pub(crate) fn closest<'a>(
    input: &str,
    candidates: impl Iterator<Item = &'a str>,
) -> Option<&'a str> {
    /// Measured on typical field typos: real ones score above 0.88 (`mem` → `memory` 0.883),
    /// unrelated names below 0.7 (`name` / `image` 0.672).
    const MIN_SIMILARITY: f64 = 0.88;
    let input = normalized(input);
    let mut best: Option<(f64, &str)> = None;
    for candidate in candidates {
        let similarity = strsim::jaro_winkler(&input, &normalized(candidate));
        if similarity >= MIN_SIMILARITY && best.is_none_or(|(score, _)| similarity > score) {
            best = Some((similarity, candidate));
        }
    }
    best.map(|(_, candidate)| candidate)
}

fn normalized(word: &str) -> String {
    word.chars()
        .filter(|character| !matches!(character, '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

fn expected_text(shape: &ApiShape) -> &'static str {
    match &shape.kind {
        ShapeKind::Structure { .. } | ShapeKind::Union { .. } | ShapeKind::Map { .. } => {
            "an object"
        }
        ShapeKind::List { .. } => "an array",
        ShapeKind::String { .. } => "a string",
        ShapeKind::Boolean => "a boolean",
        ShapeKind::Byte | ShapeKind::Short | ShapeKind::Integer | ShapeKind::Long => "an integer",
        ShapeKind::Float | ShapeKind::Double => "a number",
        ShapeKind::BigInteger | ShapeKind::BigDecimal => "a number",
        ShapeKind::Timestamp => "a timestamp (ISO 8601 string or epoch seconds)",
        ShapeKind::Blob => "a base64 string",
        ShapeKind::Document => "any JSON value",
    }
}

pub(crate) fn found_text(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(flag) => format!("boolean {flag}"),
        Value::Number(number) => format!("number {number}"),
        Value::String(text) => format!("string {}", quoted(text)),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

/// `"80"` where an integer belongs: say how to write it, since that is the usual slip.
fn quoted_scalar_hint(shape: &ApiShape, found: &Value) -> Option<String> {
    let Value::String(text) = found else {
        return None;
    };
    let fits = match &shape.kind {
        ShapeKind::Byte | ShapeKind::Short | ShapeKind::Integer | ShapeKind::Long => {
            text.trim().parse::<i64>().is_ok()
        }
        ShapeKind::Float | ShapeKind::Double => text.trim().parse::<f64>().is_ok(),
        ShapeKind::Boolean => matches!(text.trim(), "true" | "false"),
        _ => false,
    };
    fits.then(|| format!("write {} without quotes", text.trim()))
}

/// A string as JSON writes it, shortened so one long value does not swamp the message.
fn quoted(text: &str) -> String {
    const MAX_CHARS: usize = 60;
    if text.chars().count() <= MAX_CHARS {
        return Value::from(text).to_string();
    }
    let start: String = text.chars().take(MAX_CHARS).collect();
    format!("{}…", Value::from(start))
}

/// A place in the document: `containerDefinitions[0].logConfiguration.options["awslogs-group"]`.
/// Keys that are not plain identifiers are written in brackets, as in the diff vectors.
#[derive(Debug, Default, Clone)]
pub(crate) struct DocPath(String);

impl DocPath {
    pub(super) fn with_member<R>(&mut self, name: &str, inside: impl FnOnce(&mut Self) -> R) -> R {
        let start = self.0.len();
        if is_identifier(name) {
            if !self.0.is_empty() {
                self.0.push('.');
            }
            self.0.push_str(name);
        } else {
            self.0.push('[');
            self.0.push_str(&Value::from(name).to_string());
            self.0.push(']');
        }
        let result = inside(self);
        self.0.truncate(start);
        result
    }

    /// Map keys are written like member names; the separate name says what they are.
    pub(super) fn with_key<R>(&mut self, key: &str, inside: impl FnOnce(&mut Self) -> R) -> R {
        self.with_member(key, inside)
    }

    pub(super) fn with_index<R>(&mut self, index: usize, inside: impl FnOnce(&mut Self) -> R) -> R {
        let start = self.0.len();
        self.0.push_str(&format!("[{index}]"));
        let result = inside(self);
        self.0.truncate(start);
        result
    }
}

impl std::fmt::Display for DocPath {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str(&self.0)
    }
}

fn is_identifier(name: &str) -> bool {
    let mut characters = name.chars();
    characters
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && characters.all(|character| character.is_ascii_alphanumeric() || character == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_find_typos_and_ignore_unrelated_names() {
        let names = [
            "name",
            "image",
            "environment",
            "essential",
            "memory",
            "logConfiguration",
        ];
        let suggest = |input| closest(input, names.iter().copied());
        assert_eq!(suggest("enviroment"), Some("environment"));
        assert_eq!(suggest("essentail"), Some("essential"));
        assert_eq!(suggest("Memory"), Some("memory"));
        assert_eq!(suggest("log_configuration"), Some("logConfiguration"));
        assert_eq!(suggest("logConfig"), Some("logConfiguration"));
        assert_eq!(suggest("bogusField"), None);
        assert_eq!(suggest("x"), None);
    }

    #[test]
    fn paths_bracket_keys_that_are_not_identifiers() {
        let mut path = DocPath::default();
        let text = path.with_member("containerDefinitions", |path| {
            path.with_index(0, |path| {
                path.with_member("logConfiguration", |path| {
                    path.with_member("options", |path| {
                        path.with_key("awslogs-group", |path| path.to_string())
                    })
                })
            })
        });
        assert_eq!(
            text,
            r#"containerDefinitions[0].logConfiguration.options["awslogs-group"]"#
        );
        assert_eq!(path.to_string(), "");
    }
}
