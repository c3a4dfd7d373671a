//! The task definition file: the input of `aws ecs register-task-definition --cli-input-json`,
//! or the output of `aws ecs describe-task-definition [--include TAGS]` pasted as is.
//!
//! Responsible for: unwrapping that output, the ecspresso leniencies (numeric task `cpu`/`memory`,
//! empty `tags`), ristretto's own required container members, and then the model check.
//! Must not: render templates, fill defaults or convert units (`"0.25 vCPU"` is normalization's
//! job), or talk to AWS.

use serde_json::{Map, Value};

use super::validate::{
    DocPath, Findings, ReadOnlySource, WalkRules, check_document, closest, found_text,
};
use super::{Checked, DefinitionErrors, Problem, conclude, not_an_object, remove_empty_tags};
use crate::aws::model;

/// The key of `describe-task-definition`'s output that holds the definition.
const WRAPPER_KEY: &str = "taskDefinition";
/// `describe-task-definition --include TAGS` puts the tags next to the definition.
const WRAPPER_TAGS_KEY: &str = "tags";

/// Checks a rendered task definition document; see [`Checked`] for what the result holds.
pub(crate) fn check_task_definition(doc: Value) -> Result<Checked, DefinitionErrors> {
    let Value::Object(mut top) = doc else {
        return Err(not_an_object("a task definition", &doc));
    };
    let mut findings = Findings::default();
    let mut path = DocPath::default();
    let wrapped = top.get(WRAPPER_KEY).is_some_and(Value::is_object);
    let mut definition = if wrapped {
        unwrap_describe_output(top, &mut findings)
    } else {
        // RegisterTaskDefinition has no `taskDefinition` member, so this is a broken wrapper.
        if let Some(not_an_object) = top.remove(WRAPPER_KEY) {
            findings.errors.push(Problem {
                path: WRAPPER_KEY.to_owned(),
                message: format!("expected an object, found {}", found_text(&not_an_object)),
                hint: None,
            });
        }
        top
    };
    accept_numeric_task_size(&mut definition);
    let mut document = Value::Object(definition);
    let rules = WalkRules {
        read_only: ReadOnlySource {
            shape: model::task_definition_output(),
            origin: "the describe-task-definition output",
            input: "RegisterTaskDefinition",
        },
        // The API model leaves them optional, but ECS refuses a container without either.
        also_required: &[
            ("ContainerDefinition", "name"),
            ("ContainerDefinition", "image"),
        ],
        supplied_at_root: &[],
    };
    let mut check = |path: &mut DocPath| {
        check_document(
            &mut document,
            model::task_definition_input(),
            &rules,
            path,
            &mut findings,
        );
        require_a_container(&document, path, &mut findings);
    };
    if wrapped {
        path.with_member(WRAPPER_KEY, check);
    } else {
        check(&mut path);
    }
    remove_empty_tags(&mut document);
    conclude(document, findings)
}

/// `{"taskDefinition": {...}, "tags": [...]}` → the definition, with the tags moved into it.
fn unwrap_describe_output(
    mut top: Map<String, Value>,
    findings: &mut Findings,
) -> Map<String, Value> {
    let Some(Value::Object(mut definition)) = top.remove(WRAPPER_KEY) else {
        unreachable!("the caller checked that {WRAPPER_KEY} holds an object");
    };
    for (key, value) in top {
        if key == WRAPPER_TAGS_KEY {
            merge_sibling_tags(&mut definition, value, findings);
        } else {
            let suggestion = closest(&key, [WRAPPER_KEY, WRAPPER_TAGS_KEY].into_iter());
            let mut path = DocPath::default();
            findings.errors.push(path.with_member(&key, |path| Problem {
                path: path.to_string(),
                message: match suggestion {
                    Some(suggestion) => format!("unknown field, did you mean {suggestion}?"),
                    None => "unknown field".to_owned(),
                },
                hint: Some(format!(
                    "next to {WRAPPER_KEY}, only {WRAPPER_TAGS_KEY} may appear (as in the \
                     describe-task-definition output)"
                )),
            }));
        }
    }
    definition
}

fn merge_sibling_tags(definition: &mut Map<String, Value>, tags: Value, findings: &mut Findings) {
    let sibling_tags = match tags {
        Value::Array(tags) => tags,
        other => {
            findings.errors.push(Problem {
                path: WRAPPER_TAGS_KEY.to_owned(),
                message: format!("expected an array, found {}", found_text(&other)),
                hint: None,
            });
            return;
        }
    };
    match definition.get_mut(WRAPPER_TAGS_KEY) {
        Some(Value::Array(own_tags)) => {
            for tag in sibling_tags {
                if !own_tags.contains(&tag) {
                    own_tags.push(tag);
                }
            }
        }
        None | Some(Value::Null) => {
            definition.insert(WRAPPER_TAGS_KEY.to_owned(), Value::Array(sibling_tags));
        }
        // The definition's own `tags` has the wrong type; the model check reports it.
        Some(_) => {}
    }
}

/// The API takes task `cpu` and `memory` as strings (`"1024"`, also `"1 vCPU"`), but ecspresso
/// users often write numbers; the number's text is what they mean.
fn accept_numeric_task_size(definition: &mut Map<String, Value>) {
    for key in ["cpu", "memory"] {
        if let Some(value @ Value::Number(_)) = definition.get_mut(key) {
            *value = Value::String(value.to_string());
        }
    }
}

/// RegisterTaskDefinition refuses an empty `containerDefinitions`; the model only says "present".
fn require_a_container(document: &Value, path: &mut DocPath, findings: &mut Findings) {
    if document
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .is_some_and(Vec::is_empty)
    {
        findings
            .errors
            .push(path.with_member("containerDefinitions", |path| Problem {
                path: path.to_string(),
                message: "at least one container definition is required".to_owned(),
                hint: None,
            }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "family": "web",
            "containerDefinitions": [{"name": "app", "image": "nginx:1.27"}],
        })
    }

    fn problems(doc: Value) -> Vec<String> {
        check_task_definition(doc)
            .expect_err("the document is refused")
            .problems
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn a_minimal_definition_passes_unchanged() {
        let checked = check_task_definition(minimal()).expect("valid");
        assert_eq!(checked.document, minimal());
        assert!(checked.warnings.is_empty());
    }

    #[test]
    fn unknown_top_level_key_is_an_error() {
        let mut doc = minimal();
        doc["bogusField"] = json!(1);
        doc["famliy"] = json!("web");
        assert_eq!(
            problems(doc),
            [
                "bogusField: unknown field",
                "famliy: unknown field, did you mean family?"
            ]
        );
    }

    #[test]
    fn nested_typo_suggests_the_member() {
        let mut doc = minimal();
        doc["containerDefinitions"][0]["enviroment"] = json!([{"name": "A", "value": "1"}]);
        assert_eq!(
            problems(doc),
            ["containerDefinitions[0].enviroment: unknown field, did you mean environment?"]
        );
    }

    #[test]
    fn wrong_json_types_name_the_expected_type() {
        let mut doc = minimal();
        doc["containerDefinitions"][0]["essential"] = json!("yes");
        doc["containerDefinitions"][0]["portMappings"] = json!([{"containerPort": "80"}]);
        let errors = check_task_definition(doc).expect_err("refused");
        let texts: Vec<String> = errors.problems.iter().map(ToString::to_string).collect();
        assert_eq!(
            texts,
            [
                r#"containerDefinitions[0].essential: expected a boolean, found string "yes""#,
                r#"containerDefinitions[0].portMappings[0].containerPort: expected an integer, found string "80""#,
            ]
        );
        assert_eq!(
            errors.problems[1].hint.as_deref(),
            Some("write 80 without quotes")
        );
    }

    #[test]
    fn enum_values_outside_the_model_list_the_allowed_ones() {
        let mut doc = minimal();
        doc["networkMode"] = json!("awsvpcx");
        let errors = check_task_definition(doc).expect_err("refused");
        let problem = &errors.problems[0];
        assert_eq!(problem.path, "networkMode");
        assert!(
            problem.message.starts_with(r#""awsvpcx" is not one of "#),
            "{problem}"
        );
        for mode in ["awsvpc", "bridge", "host", "none"] {
            assert!(problem.message.contains(mode), "{problem}");
        }
        assert_eq!(problem.hint.as_deref(), Some("did you mean awsvpc?"));
    }

    /// ecspresso's `init` writes "" for unset enums; ecspresso's SDK never sends them.
    #[test]
    fn empty_enum_strings_are_absent_with_a_note() {
        let mut doc = minimal();
        doc["ipcMode"] = json!("");
        doc["pidMode"] = json!("");
        doc["containerDefinitions"][0]["versionConsistency"] = json!("");
        doc["containerDefinitions"][0]["portMappings"] =
            json!([{"containerPort": 80, "appProtocol": "", "name": ""}]);
        let checked = check_task_definition(doc).expect("valid");
        let mut expected = minimal();
        // `name` is a plain string, not an enum: kept as written.
        expected["containerDefinitions"][0]["portMappings"] =
            json!([{"containerPort": 80, "name": ""}]);
        assert_eq!(checked.document, expected);
        assert!(checked.warnings.is_empty());
        let notes: Vec<String> = checked.notes.iter().map(ToString::to_string).collect();
        assert_eq!(
            notes,
            [
                "containerDefinitions[0].portMappings[0].appProtocol: empty string, treated as absent",
                "containerDefinitions[0].versionConsistency: empty string, treated as absent",
                "ipcMode: empty string, treated as absent",
                "pidMode: empty string, treated as absent",
            ]
        );
        // A required enum left empty is still missing.
        let mut doc = minimal();
        doc["containerDefinitions"][0]["ulimits"] =
            json!([{"name": "", "softLimit": 1, "hardLimit": 1}]);
        let errors = check_task_definition(doc).expect_err("refused");
        assert_eq!(
            errors.problems[0].to_string(),
            "containerDefinitions[0].ulimits[0].name: required field is missing"
        );
    }

    #[test]
    fn read_only_keys_of_describe_output_only_warn_and_are_dropped() {
        let mut doc = minimal();
        doc["status"] = json!("ACTIVE");
        doc["revision"] = json!(3);
        doc["compatibilities"] = json!(["EC2", "FARGATE"]);
        doc["registeredAt"] = json!("2024-03-26T10:00:00.000000+09:00");
        let checked = check_task_definition(doc).expect("valid");
        assert_eq!(checked.document, minimal());
        let warned: Vec<String> = checked.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warned,
            [
                "compatibilities: read-only field, ignored",
                "registeredAt: read-only field, ignored",
                "revision: read-only field, ignored",
                "status: read-only field, ignored",
            ]
        );
    }

    #[test]
    fn describe_output_wrapper_is_unwrapped_and_its_tags_merged() {
        let mut inner = minimal();
        inner["status"] = json!("ACTIVE");
        let doc = json!({"taskDefinition": inner, "tags": [{"key": "env", "value": "dev"}]});
        let checked = check_task_definition(doc).expect("valid");
        let mut expected = minimal();
        expected["tags"] = json!([{"key": "env", "value": "dev"}]);
        assert_eq!(checked.document, expected);
        assert_eq!(checked.warnings[0].path, "taskDefinition.status");
    }

    #[test]
    fn problems_inside_the_wrapper_carry_its_key() {
        let doc = json!({
            "taskDefinition": {"family": "web", "containerDefinitions": [{"name": "app"}]},
            "tagz": [],
        });
        assert_eq!(
            problems(doc),
            [
                "tagz: unknown field, did you mean tags?",
                "taskDefinition.containerDefinitions[0].image: required field is missing",
            ]
        );
    }

    #[test]
    fn docker_labels_and_log_options_keys_are_user_data() {
        let mut doc = minimal();
        doc["containerDefinitions"][0]["dockerLabels"] =
            json!({"Name": "x", "com.Example-KEY": "y"});
        doc["containerDefinitions"][0]["logConfiguration"] = json!({"logDriver": "awslogs", "options": {"awslogs-group": "web", "Mode": "non-blocking"}});
        let checked = check_task_definition(doc.clone()).expect("valid");
        assert_eq!(checked.document, doc);
    }

    #[test]
    fn map_values_are_still_type_checked() {
        let mut doc = minimal();
        doc["containerDefinitions"][0]["dockerLabels"] = json!({"com.example.port": 80});
        assert_eq!(
            problems(doc),
            [
                r#"containerDefinitions[0].dockerLabels["com.example.port"]: expected a string, found number 80"#
            ]
        );
    }

    #[test]
    fn numeric_task_cpu_and_memory_become_strings() {
        let mut doc = minimal();
        doc["cpu"] = json!(1024);
        doc["memory"] = json!(2048);
        let checked = check_task_definition(doc).expect("valid");
        assert_eq!(checked.document["cpu"], "1024");
        assert_eq!(checked.document["memory"], "2048");
    }

    #[test]
    fn container_cpu_as_a_string_is_refused() {
        let mut doc = minimal();
        doc["containerDefinitions"][0]["cpu"] = json!("256");
        assert_eq!(
            problems(doc),
            [r#"containerDefinitions[0].cpu: expected an integer, found string "256""#]
        );
    }

    #[test]
    fn empty_tags_are_no_tags() {
        let mut doc = minimal();
        doc["tags"] = json!([]);
        let checked = check_task_definition(doc).expect("valid");
        assert_eq!(checked.document, minimal());
    }

    #[test]
    fn required_members_are_reported() {
        let doc = json!({
            "containerDefinitions": [{"essential": true}],
            "proxyConfiguration": {"type": "APPMESH"},
        });
        assert_eq!(
            problems(doc),
            [
                "containerDefinitions[0].image: required field is missing",
                "containerDefinitions[0].name: required field is missing",
                "family: required field is missing",
                "proxyConfiguration.containerName: required field is missing",
            ]
        );
        assert_eq!(
            problems(json!({"family": "web", "containerDefinitions": []})),
            ["containerDefinitions: at least one container definition is required"]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let doc = json!({
            "family": 7,
            "networkMode": "awsvpcx",
            "bogus": true,
            "containerDefinitions": [
                {"name": "app", "image": "nginx", "enviroment": [], "essential": "yes"},
                {"name": "sidecar", "image": "envoy", "memory": 1.5},
            ],
        });
        let errors = check_task_definition(doc).expect_err("refused");
        let paths: Vec<&str> = errors
            .problems
            .iter()
            .map(|problem| problem.path.as_str())
            .collect();
        assert_eq!(
            paths,
            [
                "bogus",
                "containerDefinitions[0].enviroment",
                "containerDefinitions[0].essential",
                "containerDefinitions[1].memory",
                "family",
                "networkMode",
            ]
        );
    }

    #[test]
    fn a_document_that_is_not_an_object_is_refused() {
        assert_eq!(
            problems(json!([minimal()])),
            ["expected a task definition (a JSON object), found an array"]
        );
    }

    #[test]
    fn null_means_absent() {
        let mut doc = minimal();
        doc["networkMode"] = Value::Null;
        check_task_definition(doc).expect("valid");
        assert_eq!(
            problems(json!({"family": "web", "containerDefinitions": null})),
            ["containerDefinitions: required field is missing"]
        );
    }
}
