//! Masking secret environment values in every rendering and in the JSON form policies read
//! (ARCHITECTURE.md §4): the `value` of an `environment` entry whose `name` contains one of the
//! secret patterns (case-insensitive) becomes `(sensitive)`, wherever it appears — a changed
//! value, an added or removed entry, a whole added container or document. An entry whose name
//! cannot be told (an environment list compared by position) is masked too: showing too little
//! is safe, showing a secret is not.

use serde_json::Value;

use crate::diff::{Change, Diff, Segment};

/// What a masked value is replaced with, everywhere.
pub(crate) const SENSITIVE: &str = "(sensitive)";

/// Parts of an environment variable's name that mark its value as secret.
pub(crate) const DEFAULT_SECRET_PATTERNS: [&str; 4] = ["PASSWORD", "SECRET", "TOKEN", "KEY"];

/// Which environment variable names hold secrets: case-insensitive substrings; leading and
/// trailing `*` are ignored, so `*PASSWORD*` means `PASSWORD`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SecretNames {
    patterns: Vec<String>,
}

impl SecretNames {
    /// `patterns`, or the defaults when there are none (a plan records none for the defaults).
    pub(crate) fn new(patterns: &[String]) -> Self {
        let patterns = if patterns.is_empty() {
            DEFAULT_SECRET_PATTERNS.map(str::to_owned).to_vec()
        } else {
            patterns.to_vec()
        };
        Self {
            patterns: patterns
                .iter()
                .map(|pattern| pattern.trim_matches('*').to_uppercase())
                .collect(),
        }
    }

    pub(crate) fn is_secret_name(&self, name: &str) -> bool {
        let name = name.to_uppercase();
        self.patterns.iter().any(|pattern| name.contains(pattern))
    }
}

pub(crate) fn masked_changes(diff: &Diff, options: &SecretNames) -> Vec<Change> {
    diff.changes
        .iter()
        .map(|change| mask_change(change, options))
        .collect()
}

pub(crate) fn mask_change(change: &Change, options: &SecretNames) -> Change {
    let mut change = change.clone();
    match &mut change {
        Change::Added { path, value } | Change::Removed { path, value } => {
            mask_at(path.segments(), value, options)
        }
        Change::Changed {
            path,
            before,
            after,
        } => {
            mask_at(path.segments(), before, options);
            mask_at(path.segments(), after, options);
        }
    }
    change
}

/// Where a value sits, as far as masking is concerned.
enum Place<'a> {
    Elsewhere,
    /// An `environment` list.
    EnvironmentList,
    /// An element of one; the name when the path names it.
    EnvironmentEntry(Option<&'a str>),
    /// An entry's `value` (or something inside it).
    EnvironmentValue(Option<&'a str>),
}

/// Masks the secret environment values in `value`, which is found at `path` in its document.
fn mask_at(path: &[Segment], value: &mut Value, options: &SecretNames) {
    let mut place = Place::Elsewhere;
    for segment in path {
        place = match (place, segment) {
            (Place::EnvironmentValue(name), _) => Place::EnvironmentValue(name),
            (_, Segment::Key(key)) if key == "environment" => Place::EnvironmentList,
            (Place::EnvironmentList, Segment::Named { key, value }) if key == "name" => {
                Place::EnvironmentEntry(Some(value))
            }
            (Place::EnvironmentList, Segment::Named { .. } | Segment::Index(_)) => {
                Place::EnvironmentEntry(None)
            }
            (Place::EnvironmentEntry(name), Segment::Key(key)) if key == "value" => {
                Place::EnvironmentValue(name)
            }
            _ => Place::Elsewhere,
        };
    }
    match place {
        Place::EnvironmentValue(name) => {
            // Without a name (a list compared by position) there is no telling: mask.
            if name.is_none_or(|name| options.is_secret_name(name)) {
                *value = Value::String(SENSITIVE.to_owned());
            }
        }
        Place::EnvironmentEntry(name) => mask_entry(value, name, options),
        Place::EnvironmentList => mask_list(value, options),
        Place::Elsewhere => mask_inside(value, options),
    }
}

/// Masks every `environment` list anywhere inside `value` (a container, a whole document).
pub(crate) fn mask_inside(value: &mut Value, options: &SecretNames) {
    match value {
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                if key == "environment" {
                    mask_list(member, options);
                } else {
                    mask_inside(member, options);
                }
            }
        }
        Value::Array(elements) => {
            for element in elements {
                mask_inside(element, options);
            }
        }
        _ => {}
    }
}

fn mask_list(value: &mut Value, options: &SecretNames) {
    if let Value::Array(entries) = value {
        for entry in entries {
            mask_entry(entry, None, options);
        }
    }
}

/// Masks an environment entry's `value` when its name looks secret or cannot be read.
fn mask_entry(entry: &mut Value, path_name: Option<&str>, options: &SecretNames) {
    let Value::Object(members) = entry else {
        return;
    };
    let name = members
        .get("name")
        .and_then(Value::as_str)
        .or(path_name)
        .map(str::to_owned);
    if name.is_none_or(|name| options.is_secret_name(&name))
        && let Some(secret) = members.get_mut("value")
    {
        *secret = Value::String(SENSITIVE.to_owned());
    }
}
