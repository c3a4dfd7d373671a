//! The service definition file: the input of `aws ecs create-service` without the keys the
//! config decides (`cluster`, `serviceName`, `taskDefinition`), or one service of
//! `aws ecs describe-services` pasted as is.
//!
//! Responsible for: dropping config-owned and read-only keys with a warning, then the model check
//! against CreateService's input.
//! Must not: decide which fields UpdateService may change (that is planning), fill defaults, or
//! talk to AWS.

use serde_json::Value;

use super::validate::{DocPath, Findings, ReadOnlySource, WalkRules, check_document};
use super::{Checked, DefinitionErrors, Problem, conclude, not_an_object, remove_empty_tags};
use crate::aws::model;

/// Keys of CreateService that a service definition file must not decide, and where the value
/// comes from instead.
const DECIDED_BY_THE_CONFIG: &[(&str, &str)] = &[
    ("cluster", "the cluster is the config's `cluster`"),
    ("serviceName", "the service name is the config's `service`"),
    (
        "taskDefinition",
        "the task definition is the one registered from the config's `task_definition`",
    ),
];

/// Checks a rendered service definition document; see [`Checked`] for what the result holds.
pub(crate) fn check_service_definition(doc: Value) -> Result<Checked, DefinitionErrors> {
    let Value::Object(mut definition) = doc else {
        return Err(not_an_object("a service definition", &doc));
    };
    let mut findings = Findings::default();
    for (key, why) in DECIDED_BY_THE_CONFIG {
        if definition.remove(*key).is_some() {
            findings.warnings.push(Problem {
                path: (*key).to_owned(),
                message: "ignored, the config decides it".to_owned(),
                hint: Some(format!("{why}; remove the key from the service definition")),
            });
        }
    }
    let mut document = Value::Object(definition);
    let rules = WalkRules {
        read_only: ReadOnlySource {
            shape: model::service_output(),
            origin: "the describe-services output",
            input: "CreateService",
        },
        also_required: &[],
        supplied_at_root: &["serviceName"],
    };
    check_document(
        &mut document,
        model::create_service_input(),
        &rules,
        &mut DocPath::default(),
        &mut findings,
    );
    remove_empty_tags(&mut document);
    conclude(document, findings)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "desiredCount": 2,
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-1"]}},
        })
    }

    #[test]
    fn a_minimal_definition_passes_unchanged() {
        let checked = check_service_definition(minimal()).expect("valid");
        assert_eq!(checked.document, minimal());
        assert!(checked.warnings.is_empty());
    }

    #[test]
    fn config_owned_keys_are_dropped_with_a_warning() {
        let mut doc = minimal();
        doc["cluster"] = json!("default");
        doc["serviceName"] = json!("web");
        doc["taskDefinition"] = json!("web:3");
        let checked = check_service_definition(doc).expect("valid");
        assert_eq!(checked.document, minimal());
        let warned: Vec<&str> = checked
            .warnings
            .iter()
            .map(|warning| warning.path.as_str())
            .collect();
        assert_eq!(warned, ["cluster", "serviceName", "taskDefinition"]);
    }

    #[test]
    fn read_only_keys_of_describe_services_are_dropped_with_a_warning() {
        let mut doc = minimal();
        doc["status"] = json!("ACTIVE");
        doc["runningCount"] = json!(2);
        doc["events"] = json!([{"message": "has reached a steady state."}]);
        doc["serviceArn"] = json!("arn:aws:ecs:ap-northeast-1:123456789012:service/default/web");
        doc["createdAt"] = json!("2024-03-26T10:00:00.000000+09:00");
        let checked = check_service_definition(doc).expect("valid");
        assert_eq!(checked.document, minimal());
        let warned: Vec<String> = checked.warnings.iter().map(ToString::to_string).collect();
        assert_eq!(
            warned,
            [
                "createdAt: read-only field, ignored",
                "events: read-only field, ignored",
                "runningCount: read-only field, ignored",
                "serviceArn: read-only field, ignored",
                "status: read-only field, ignored",
            ]
        );
    }

    #[test]
    fn empty_enum_strings_are_absent() {
        let mut doc = minimal();
        doc["launchType"] = json!("");
        doc["propagateTags"] = json!("");
        doc["availabilityZoneRebalancing"] = json!("");
        doc["deploymentConfiguration"] = json!({"strategy": "", "maximumPercent": 200});
        let checked = check_service_definition(doc).expect("valid");
        let mut expected = minimal();
        expected.as_object_mut().unwrap().remove("launchType");
        expected["deploymentConfiguration"] = json!({"maximumPercent": 200});
        assert_eq!(checked.document, expected);
        assert_eq!(checked.notes.len(), 4, "{:?}", checked.notes);
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        let mut doc = minimal();
        doc["desiredCont"] = json!(1);
        doc["launchType"] = json!("FARGATEX");
        doc["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIP"] = json!("ENABLED");
        let errors = check_service_definition(doc).expect_err("refused");
        let texts: Vec<String> = errors.problems.iter().map(ToString::to_string).collect();
        assert_eq!(texts.len(), 3, "{texts:?}");
        assert_eq!(
            texts[0],
            "desiredCont: unknown field, did you mean desiredCount?"
        );
        assert!(
            texts[1].starts_with(r#"launchType: "FARGATEX" is not one of "#),
            "{}",
            texts[1]
        );
        assert_eq!(
            texts[2],
            "networkConfiguration.awsvpcConfiguration.assignPublicIP: unknown field, did you mean \
             assignPublicIp?"
        );
    }

    #[test]
    fn required_nested_members_are_reported_but_service_name_is_not() {
        let doc = json!({"networkConfiguration": {"awsvpcConfiguration": {"assignPublicIp": "DISABLED"}}});
        let errors = check_service_definition(doc).expect_err("refused");
        assert_eq!(
            errors.problems[0].to_string(),
            "networkConfiguration.awsvpcConfiguration.subnets: required field is missing"
        );
        assert_eq!(errors.problems.len(), 1);
    }

    #[test]
    fn documents_take_any_json() {
        let mut doc = minimal();
        doc["deploymentConfiguration"] = json!({
            "lifecycleHooks": [{
                "hookTargetArn": "arn:aws:lambda:ap-northeast-1:123456789012:function:hook",
                "roleArn": "arn:aws:iam::123456789012:role/hook",
                "lifecycleStages": ["PRE_SCALE_UP"],
                "hookDetails": {"anything": [1, "two", {"three": null}]},
            }],
        });
        check_service_definition(doc).expect("valid");
    }
}
