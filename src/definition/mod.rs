//! Task and service definition documents: checking a rendered document (AWS-CLI-compatible
//! JSON) against the ECS API model before anything is sent, and returning the document in the
//! form the rest of ristretto works with.
//!
//! Responsible for: every problem of a document at once, each with its JSON path (unknown keys
//! with a did-you-mean, wrong types, bad enum values, missing required members), and the
//! ecspresso leniencies that stay accepted (the `describe-task-definition` wrapper, read-only keys
//! of pasted describe output, numeric task `cpu`/`memory`, empty `tags`).
//! Must not: use SDK types (the model comes SDK-free from `crate::aws::model`), print anything,
//! render templates, or normalize for diffing (defaults, ordering, units are `crate::normalize`).

mod service_definition;
mod task_definition;
mod validate;

pub(crate) use service_definition::check_service_definition;
pub(crate) use task_definition::check_task_definition;

use serde_json::Value;

/// A document that passed the checks.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Checked {
    /// The document as it should be registered/created: unwrapped, read-only and config-owned
    /// keys removed, task `cpu`/`memory` as strings, an empty `tags` list removed.
    pub document: Value,
    /// Things the user should know but that do not stop the run (ignored keys).
    pub warnings: Vec<Problem>,
    /// Things accepted as ecspresso accepts them, worth a word from `validate` only.
    pub notes: Vec<Problem>,
}

/// One finding about one place of a document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    /// Where, in the file as written: `containerDefinitions[0].enviroment`; empty for the whole
    /// document.
    pub path: String,
    /// What is wrong: `unknown field, did you mean environment?`.
    pub message: String,
    /// What to do about it, when there is more to say than the message.
    pub hint: Option<String>,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            formatter.write_str(&self.message)
        } else {
            write!(formatter, "{}: {}", self.path, self.message)
        }
    }
}

/// Every problem that makes a document unusable. Never empty.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", describe_problems(.problems))]
pub(crate) struct DefinitionErrors {
    pub problems: Vec<Problem>,
}

/// One line per problem (hints indented under it), so that a reader sees all of them at once.
fn describe_problems(problems: &[Problem]) -> String {
    let mut text = match problems.len() {
        1 => "the definition has a problem:".to_owned(),
        count => format!("the definition has {count} problems:"),
    };
    for problem in problems {
        text.push_str(&format!("\n  {problem}"));
        if let Some(hint) = &problem.hint {
            text.push_str(&format!("\n    hint: {hint}"));
        }
    }
    text
}

/// Turns what a walk found into the result: any error refuses the whole document.
fn conclude(document: Value, findings: validate::Findings) -> Result<Checked, DefinitionErrors> {
    if findings.errors.is_empty() {
        Ok(Checked {
            document,
            warnings: findings.warnings,
            notes: findings.notes,
        })
    } else {
        Err(DefinitionErrors {
            problems: findings.errors,
        })
    }
}

/// ecspresso (and the ECS console) treat `"tags": []` as "no tags"; keeping the empty list would
/// make the document differ from what ECS returns for an untagged resource.
fn remove_empty_tags(document: &mut Value) {
    if let Value::Object(object) = document
        && object
            .get("tags")
            .is_some_and(|tags| tags.as_array().is_some_and(Vec::is_empty))
    {
        object.remove("tags");
    }
}

/// The problem for a document that is not a JSON object at all.
fn not_an_object(what: &str, found: &Value) -> DefinitionErrors {
    let found = match found {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    };
    DefinitionErrors {
        problems: vec![Problem {
            path: String::new(),
            message: format!("expected {what} (a JSON object), found {found}"),
            hint: None,
        }],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_list_every_problem_with_its_hint() {
        let errors = DefinitionErrors {
            problems: vec![
                Problem {
                    path: "family".into(),
                    message: "required field is missing".into(),
                    hint: None,
                },
                Problem {
                    path: "networkMode".into(),
                    message: r#""AWSVPC" is not one of awsvpc, bridge, host, none"#.into(),
                    hint: Some("did you mean awsvpc?".into()),
                },
            ],
        };
        assert_eq!(
            errors.to_string(),
            "the definition has 2 problems:\n  family: required field is missing\n  \
             networkMode: \"AWSVPC\" is not one of awsvpc, bridge, host, none\n    \
             hint: did you mean awsvpc?"
        );
    }

    // The ecspresso compatibility fixtures (tests/fixtures/ecspresso, copied with their license).
    mod ecspresso_fixtures {
        use super::super::*;
        use serde_json::json;

        const FIXTURE_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/ecspresso");

        fn read(name: &str) -> Value {
            let path = format!("{FIXTURE_DIR}/{name}");
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"));
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{path}: {error}"))
        }

        fn fixtures_named(matches: impl Fn(&str) -> bool) -> Vec<String> {
            let mut names: Vec<String> = std::fs::read_dir(FIXTURE_DIR)
                .expect("fixture directory")
                .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
                .filter(|name| matches(name))
                .collect();
            names.sort();
            names
        }

        fn check_task(name: &str) -> Checked {
            check_task_definition(read(name)).unwrap_or_else(|errors| panic!("{name}: {errors}"))
        }

        /// ecspresso's comparison: `null` and `[]` count as absent.
        fn without_empty(value: &Value) -> Value {
            match value {
                Value::Object(object) => Value::Object(
                    object
                        .iter()
                        .filter(|(_, value)| {
                            !value.is_null()
                                && value.as_array().is_none_or(|items| !items.is_empty())
                        })
                        .map(|(key, value)| (key.clone(), without_empty(value)))
                        .collect(),
                ),
                Value::Array(items) => Value::Array(items.iter().map(without_empty).collect()),
                other => other.clone(),
            }
        }

        #[test]
        fn every_task_definition_fixture_passes() {
            let names = fixtures_named(|name| {
                name.ends_with(".json")
                    && (name.starts_with("td")
                        || name.starts_with("ecs-task-def")
                        || name == "run-test-td.json")
            });
            assert_eq!(names.len(), 7, "{names:?}");
            for name in names {
                check_task(&name);
            }
        }

        #[test]
        fn every_service_definition_fixture_passes() {
            let names = fixtures_named(|name| {
                name.ends_with(".json")
                    && (name == "sv.json" || name.starts_with("ecs-service-def"))
            });
            assert_eq!(names, ["ecs-service-def.json", "sv.json"]);
            for name in names {
                let checked = check_service_definition(read(&name))
                    .unwrap_or_else(|errors| panic!("{name}: {errors}"));
                assert!(
                    checked.warnings.is_empty(),
                    "{name}: {:?}",
                    checked.warnings
                );
            }
        }

        #[test]
        fn the_five_spellings_load_as_ecspresso_loads_them() {
            let expected_untagged = read("expected/td-katsubushi.json");
            let expected_tagged = read("expected/td-katsubushi-in-tags.json");
            for (name, expected, read_only_warnings) in [
                ("td.json", &expected_untagged, 0),
                ("td-plain.json", &expected_untagged, 2),
                ("td-in-tags.json", &expected_tagged, 2),
                ("td-plain-in-tags.json", &expected_tagged, 2),
            ] {
                let mut checked = check_task(name);
                // Templates are rendered before the check; the expected documents are rendered.
                checked.document["containerDefinitions"][0]["image"] =
                    json!("katsubushi/katsubushi:latest");
                assert_eq!(without_empty(&checked.document), *expected, "{name}");
                assert_eq!(
                    checked.warnings.len(),
                    read_only_warnings,
                    "{name}: {:?}",
                    checked.warnings
                );
                assert!(
                    checked
                        .warnings
                        .iter()
                        .all(|warning| warning.message == "read-only field, ignored"),
                    "{name}"
                );
                let has_tags = checked.document.get("tags").is_some();
                assert_eq!(has_tags, expected.get("tags").is_some(), "{name}: tags");
                let labels = &checked.document["containerDefinitions"][0]["dockerLabels"];
                assert_eq!(labels, &json!({"name": "katsubushi"}), "{name}");
            }
        }

        #[test]
        fn service_fixture_loads_as_ecspresso_loads_it() {
            let checked = check_service_definition(read("sv.json")).expect("valid");
            let mut expected = read("expected/sv-test.json");
            // ecspresso puts the config's service name in; here the caller does.
            expected
                .as_object_mut()
                .expect("object")
                .remove("serviceName");
            assert_eq!(without_empty(&checked.document), expected);
        }

        /// The diff vectors hold local files and describe outputs (with every read-only field):
        /// neither may have an unknown key, a wrong type or a bad enum value. Some are cut down
        /// to the fields a Go test compares, so missing required members are allowed here.
        #[test]
        fn every_diff_vector_document_passes() {
            let vectors =
                std::fs::read_dir(format!("{FIXTURE_DIR}/diff-vectors")).expect("diff-vectors");
            let mut count = 0;
            for entry in vectors {
                let name = entry
                    .expect("entry")
                    .file_name()
                    .into_string()
                    .expect("utf-8");
                let vector = read(&format!("diff-vectors/{name}"));
                let check = match vector["kind"].as_str() {
                    Some("task_definition") => check_task_definition,
                    Some("service_definition") => check_service_definition,
                    other => panic!("{name}: kind {other:?}"),
                };
                for side in ["local", "remote"] {
                    if !vector[side].is_null()
                        && let Err(errors) = check(vector[side].clone())
                    {
                        let incomplete = |problem: &Problem| {
                            problem.message == "required field is missing"
                                || problem.message.starts_with("at least one")
                        };
                        assert!(
                            errors.problems.iter().all(incomplete),
                            "{name} {side}: {errors}"
                        );
                    }
                }
                count += 1;
            }
            assert!(count >= 74, "{count} vectors");
        }
    }
}
