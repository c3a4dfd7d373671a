//! The files `ristretto init` writes, rendered from live documents: a task definition and a
//! service definition as a person would write them — read-only fields, ECS defaults and empty
//! values left out, lists in a stable order, keys sorted — as JSON or Jsonnet, and the config.
//!
//! What is "default" is not a hand-kept list: a member is left out exactly when the documents
//! with and without it normalize to the same comparable form (`crate::normalize`), the form
//! `plan` compares. So a project written by `init` plans no changes against the service it was
//! read from, by construction. Pure functions; nothing here reads files or calls AWS.

use serde_json::{Map, Value};

use crate::normalize::{self, NormalizeOptions};

/// How `init` orders the lists of what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListOrder {
    /// The order `plan` compares in (environment by name, …): `init --sort`, the default.
    Sorted,
    /// As ECS returned them: `init --no-sort`.
    AsLive,
}

/// A `register-task-definition` input equivalent to a described task definition (with `tags`).
pub(crate) fn task_definition(live: &Value, order: ListOrder) -> Value {
    let options = NormalizeOptions::default();
    minimal(live, order, |document| {
        normalize::task_definition(document, &options)
    })
}

/// A service definition (create-service input without cluster, name and task definition)
/// equivalent to a described service (with `tags`). `desiredCount` is kept: it is what the
/// service runs, and leaving it out would mean "leave it to ECS" rather than "the same".
pub(crate) fn service_definition(live: &Value, order: ListOrder) -> Value {
    let options = NormalizeOptions::default();
    minimal(live, order, |document| {
        normalize::service(document, &options)
    })
}

/// The smallest document (by removing object members, outermost first) that normalizes like
/// `live`. Sorted, it starts from the normalized form when that is a fixed point (sorted lists,
/// unit conversions and the service's fields taken out of its deployments); else from `live`.
fn minimal(live: &Value, order: ListOrder, normalize: impl Fn(&Value) -> Value) -> Value {
    let target = normalize(live);
    let mut document = if order == ListOrder::Sorted && normalize(&target) == target {
        target.clone()
    } else {
        live.clone()
    };
    let mut path = Vec::new();
    strip(&mut document, &mut path, &target, &normalize);
    document
}

#[derive(Debug, Clone)]
enum Step {
    Key(String),
    Index(usize),
}

fn at_mut<'a>(document: &'a mut Value, path: &[Step]) -> Option<&'a mut Value> {
    let mut current = document;
    for step in path {
        current = match step {
            Step::Key(key) => current.get_mut(key.as_str())?,
            Step::Index(index) => current.get_mut(*index)?,
        };
    }
    Some(current)
}

/// Tries to remove each member of the value at `path`; keeps a removal when the comparable form
/// is unchanged, otherwise restores the member and tries inside it.
fn strip(
    document: &mut Value,
    path: &mut Vec<Step>,
    target: &Value,
    normalize: &impl Fn(&Value) -> Value,
) {
    let children: Vec<Step> = match at_mut(document, path) {
        Some(Value::Object(map)) => map.keys().cloned().map(Step::Key).collect(),
        Some(Value::Array(items)) => (0..items.len()).map(Step::Index).collect(),
        _ => return,
    };
    for child in children {
        if let Step::Key(key) = &child {
            let Some(Value::Object(map)) = at_mut(document, path) else {
                return;
            };
            let Some(removed) = map.remove(key) else {
                continue;
            };
            if normalize(document) == *target {
                continue;
            }
            if let Some(Value::Object(map)) = at_mut(document, path) {
                map.insert(key.clone(), removed);
            }
        }
        path.push(child);
        strip(document, path, target, normalize);
        path.pop();
    }
}

/// Pretty JSON with a final newline.
pub(crate) fn json_text(document: &Value) -> String {
    let mut text = serde_json::to_string_pretty(document).unwrap_or_default();
    text.push('\n');
    text
}

/// Jsonnet as people write it: unquoted identifier keys, single-quoted strings, trailing commas.
pub(crate) fn jsonnet_text(document: &Value) -> String {
    let mut out = String::new();
    write_jsonnet(document, 0, &mut out);
    out.push('\n');
    out
}

fn write_jsonnet(value: &Value, depth: usize, out: &mut String) {
    let indent = "  ".repeat(depth + 1);
    let closing = "  ".repeat(depth);
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            for (key, member) in map {
                out.push_str(&indent);
                out.push_str(&jsonnet_key(key));
                out.push_str(": ");
                write_jsonnet(member, depth + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&closing);
            out.push('}');
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            for item in items {
                out.push_str(&indent);
                write_jsonnet(item, depth + 1, out);
                out.push_str(",\n");
            }
            out.push_str(&closing);
            out.push(']');
        }
        Value::String(text) => out.push_str(&jsonnet_string(text)),
        other => out.push_str(&other.to_string()),
    }
}

/// Jsonnet keywords cannot be bare field names.
const JSONNET_KEYWORDS: [&str; 20] = [
    "assert",
    "else",
    "error",
    "false",
    "for",
    "function",
    "if",
    "import",
    "importbin",
    "importstr",
    "in",
    "local",
    "null",
    "self",
    "super",
    "tailstrict",
    "then",
    "true",
    "$",
    "std",
];

fn jsonnet_key(key: &str) -> String {
    let identifier = key
        .chars()
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic() || first == '_')
        && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if identifier && !JSONNET_KEYWORDS.contains(&key) {
        key.to_owned()
    } else {
        jsonnet_string(key)
    }
}

fn jsonnet_string(text: &str) -> String {
    // A JSON string literal is a valid Jsonnet string; only the quote changes.
    let json = serde_json::to_string(text).unwrap_or_default();
    let inner = &json[1..json.len() - 1];
    format!("'{}'", inner.replace("\\\"", "\"").replace('\'', "\\'"))
}

/// The config `init` writes, in the syntax its file name asks for (YAML, JSON or Jsonnet), keys
/// in the order given. Values are strings, or objects of strings (`codedeploy`).
pub(crate) fn config_text(entries: &[(&str, Value)], syntax: ConfigSyntax) -> String {
    let map: Map<String, Value> = entries
        .iter()
        .map(|(key, value)| ((*key).to_owned(), value.clone()))
        .collect();
    match syntax {
        ConfigSyntax::Json => json_text(&Value::Object(map)),
        ConfigSyntax::Jsonnet => {
            // Keep the conventional order (region, cluster, service, …), not sorted keys.
            let mut out = String::from("{\n");
            for (key, value) in entries {
                out.push_str(&format!("  {}: ", jsonnet_key(key)));
                write_jsonnet(value, 1, &mut out);
                out.push_str(",\n");
            }
            out.push_str("}\n");
            out
        }
        ConfigSyntax::Yaml => {
            // A JSON string is a YAML scalar, so any value is quoted safely.
            let scalar = |value: &Value| serde_json::to_string(value).unwrap_or_default();
            let mut out = String::new();
            for (key, value) in entries {
                match value {
                    Value::Object(members) => {
                        out.push_str(&format!("{key}:\n"));
                        for (member, value) in members {
                            out.push_str(&format!("  {member}: {}\n", scalar(value)));
                        }
                    }
                    other => out.push_str(&format!("{key}: {}\n", scalar(other))),
                }
            }
            out
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigSyntax {
    Yaml,
    Json,
    Jsonnet,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn described_task_definition() -> Value {
        json!({
            "taskDefinitionArn": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
            "family": "api", "revision": 3, "status": "ACTIVE",
            "compatibilities": ["EC2", "FARGATE"], "requiresCompatibilities": ["FARGATE"],
            "networkMode": "awsvpc", "cpu": "256", "memory": "512",
            "placementConstraints": [], "volumes": [],
            "registeredAt": "2026-05-01T10:00:00Z",
            "containerDefinitions": [{
                "name": "app", "image": "nginx:1", "cpu": 0, "essential": true,
                "portMappings": [{"containerPort": 80, "hostPort": 80, "protocol": "tcp"}],
                "environment": [{"name": "Z", "value": "1"}, {"name": "A", "value": "2"}],
                "mountPoints": [], "volumesFrom": [],
                "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api"}}
            }],
            "tags": [{"key": "team", "value": "web"}]
        })
    }

    #[test]
    fn task_definition_keeps_what_matters_and_leaves_defaults_out() {
        let written = task_definition(&described_task_definition(), ListOrder::Sorted);
        insta::assert_snapshot!(json_text(&written));
        let options = NormalizeOptions::default();
        assert_eq!(
            normalize::task_definition(&written, &options),
            normalize::task_definition(&described_task_definition(), &options)
        );
    }

    /// `init --no-sort` keeps the lists as ECS returned them; both forms plan the same.
    #[test]
    fn lists_sorted_or_as_live() {
        let live = json!({
            "family": "api", "revision": 1, "status": "ACTIVE",
            "containerDefinitions": [{"name": "app", "image": "nginx:1", "essential": true,
                "environment": [{"name": "ZONE", "value": "a"}, {"name": "APP", "value": "b"}]}]
        });
        let names = |document: &Value| -> Vec<String> {
            document["containerDefinitions"][0]["environment"]
                .as_array()
                .unwrap()
                .iter()
                .map(|item| item["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let sorted = task_definition(&live, ListOrder::Sorted);
        let as_live = task_definition(&live, ListOrder::AsLive);
        assert_eq!(names(&sorted), ["APP", "ZONE"]);
        assert_eq!(names(&as_live), ["ZONE", "APP"]);
        let options = NormalizeOptions::default();
        assert_eq!(
            normalize::task_definition(&sorted, &options),
            normalize::task_definition(&as_live, &options)
        );
    }

    #[test]
    fn service_definition_from_a_described_service() {
        let live = json!({
            "serviceArn": "arn:aws:ecs:ap-northeast-1:123456789012:service/web/api",
            "serviceName": "api", "clusterArn": "arn:aws:ecs:ap-northeast-1:123456789012:cluster/web",
            "status": "ACTIVE", "desiredCount": 2, "runningCount": 2, "pendingCount": 0,
            "launchType": "FARGATE", "platformVersion": "LATEST", "schedulingStrategy": "REPLICA",
            "taskDefinition": "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3",
            "deploymentController": {"type": "ECS"},
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
                "deploymentCircuitBreaker": {"enable": true, "rollback": true}},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-b", "subnet-a"],
                "securityGroups": ["sg-1"], "assignPublicIp": "DISABLED"}},
            "loadBalancers": [{"targetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/api/1", "containerName": "app", "containerPort": 80}],
            "healthCheckGracePeriodSeconds": 0, "propagateTags": "NONE",
            "enableECSManagedTags": false, "enableExecuteCommand": false,
            "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY"}], "events": [],
            "createdAt": "2026-05-01T10:00:00Z",
            "tags": [{"key": "team", "value": "web"}, {"key": "ristretto:plan-id", "value": "x"}]
        });
        let written = service_definition(&live, ListOrder::Sorted);
        insta::assert_snapshot!(json_text(&written));
        let options = NormalizeOptions::default();
        assert_eq!(
            normalize::service(&written, &options),
            normalize::service(&live, &options)
        );
    }

    #[test]
    fn jsonnet_rendering() {
        let document = json!({
            "family": "api", "cpu": "256", "it's": "quote's", "local": true,
            "containerDefinitions": [{"name": "app", "command": ["sh", "-c", "echo \"hi\""]}],
            "empty": {}, "none": []
        });
        insta::assert_snapshot!(jsonnet_text(&document));
    }

    #[test]
    fn config_in_each_syntax() {
        let entries = [
            ("region", json!("ap-northeast-1")),
            ("cluster", json!("web")),
            ("service", json!("api")),
        ];
        assert_eq!(
            config_text(&entries, ConfigSyntax::Yaml),
            "region: \"ap-northeast-1\"\ncluster: \"web\"\nservice: \"api\"\n"
        );
        assert_eq!(
            config_text(&entries, ConfigSyntax::Jsonnet),
            "{\n  region: 'ap-northeast-1',\n  cluster: 'web',\n  service: 'api',\n}\n"
        );
        let json: Value = serde_json::from_str(&config_text(&entries, ConfigSyntax::Json)).unwrap();
        assert_eq!(json["cluster"], "web");
    }

    #[test]
    fn a_codedeploy_section_in_each_syntax() {
        let entries = [
            ("service", json!("api")),
            (
                "codedeploy",
                json!({"application_name": "AppECS-web-api", "deployment_group_name": "DgpECS-web-api"}),
            ),
        ];
        assert_eq!(
            config_text(&entries, ConfigSyntax::Yaml),
            "service: \"api\"\ncodedeploy:\n  application_name: \"AppECS-web-api\"\n  \
             deployment_group_name: \"DgpECS-web-api\"\n"
        );
        let jsonnet = config_text(&entries, ConfigSyntax::Jsonnet);
        assert!(
            jsonnet.contains("  codedeploy: {\n    application_name: 'AppECS-web-api',\n"),
            "{jsonnet}"
        );
    }
}
