//! The three renderings of a [`Plan`]: `human` (terminal, Terraform-like, optionally coloured),
//! `markdown` (pull-request comments) and `json` (machines). Each is a pure function of the plan
//! and the [`RenderOptions`]; the human and Markdown texts are built from the same rows
//! (`diff_rows`), so no two renderings can disagree about what changes.
//!
//! Responsible for: how a plan reads (the policy verdict included), with secret environment
//! values masked in every rendering (`plan::masking`, ARCHITECTURE.md §4). Must not: print
//! (callers hand the string to `Output`), decide anything about the plan (actions, notes, counts
//! and policy findings come from `crate::plan`), or read the `desired` documents (they are
//! unmasked and are not shown).
//!
//! Split along its seams: `rows` (changes grouped into rows, shared by the text renderings),
//! `human`, `markdown`, `json` (the stable JSON form of `plan::document`, which documents its
//! shape) and `values` (values as text).

mod human;
mod json;
mod markdown;
mod rows;
mod values;

pub(crate) use human::human;
pub(crate) use json::json;
pub(crate) use markdown::markdown;

use crate::cli::PlanFormat;
use crate::plan::Plan;

use crate::plan::masking::SecretNames;
pub(crate) use crate::plan::masking::{DEFAULT_SECRET_PATTERNS, SENSITIVE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderOptions {
    /// ANSI colour in the human rendering (Markdown and JSON never have any).
    pub color: bool,
    /// Case-insensitive substrings of environment variable names whose values are masked.
    /// Leading and trailing `*` are ignored, so `*PASSWORD*` means `PASSWORD`.
    pub secret_patterns: Vec<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            color: false,
            secret_patterns: DEFAULT_SECRET_PATTERNS.map(str::to_owned).to_vec(),
        }
    }
}

impl RenderOptions {
    fn secret_names(&self) -> SecretNames {
        SecretNames::new(&self.secret_patterns)
    }

    #[cfg(test)]
    fn is_secret_name(&self, name: &str) -> bool {
        self.secret_names().is_secret_name(name)
    }
}

/// The plan in `format`; `color` matters for the human text only. Masks with the patterns the
/// plan recorded (the defaults when it recorded none).
pub(crate) fn render(plan: &Plan, format: PlanFormat, color: bool) -> String {
    let defaults = RenderOptions::default();
    let options = RenderOptions {
        color: color && format == PlanFormat::Text,
        secret_patterns: if plan.secret_patterns.is_empty() {
            defaults.secret_patterns
        } else {
            plan.secret_patterns.clone()
        },
    };
    match format {
        PlanFormat::Text => human(plan, &options),
        PlanFormat::Json => json(plan, &options),
        PlanFormat::Markdown => markdown(plan, &options),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Map, Value, json};

    use super::rows::{Row, describe_action, diff_rows};
    use super::*;
    use crate::aws::ecs::Tag;
    use crate::diff::diff;
    use crate::diff::{Change, Diff, Path};
    use crate::normalize::NormalizeOptions;
    use crate::plan::masking::mask_change;
    use crate::plan::{
        Action, Base, Changes, Desired, DocumentPair, FORMAT_VERSION, PolicyCheck,
        ServiceDocuments, ServicePlan, Target, TaskDefinitionRef, TerraformOwnership,
    };
    use crate::policy::{Finding, Severity};

    const SECRET_VALUES: [&str; 4] = [
        "hunter2",
        "correct-horse-battery",
        "sk_live_51Habc",
        "ghp_tokenvalue",
    ];

    fn task_definition(image: &str, environment: Value) -> Value {
        json!({
            "family": "api",
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "containerDefinitions": [{
                "name": "app",
                "image": image,
                "essential": true,
                "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                "environment": environment,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/api",
                        "awslogs-region": "ap-northeast-1",
                        "awslogs-stream-prefix": "app"
                    }
                }
            }]
        })
    }

    fn environment() -> Value {
        json!([
            {"name": "DB_HOST", "value": "db.internal"},
            {"name": "DB_PASSWORD", "value": "hunter2"},
        ])
    }

    const IMAGE_1: &str = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:1.4.2";
    const IMAGE_2: &str = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:1.5.0";

    fn service_definition(desired_count: i64, subnets: Value, tags: Value) -> Value {
        json!({
            "launchType": "FARGATE",
            "desiredCount": desired_count,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "assignPublicIp": "DISABLED",
                    "securityGroups": ["sg-0a1b2c3d"],
                    "subnets": subnets
                }
            },
            "tags": tags
        })
    }

    fn default_service() -> Value {
        service_definition(
            2,
            json!(["subnet-0aaa", "subnet-0bbb"]),
            json!([{"key": "env", "value": "production"}]),
        )
    }

    fn target(service: &str) -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: service.into(),
        }
    }

    fn base(exists: bool) -> Base {
        Base {
            service_arn: exists
                .then(|| "arn:aws:ecs:ap-northeast-1:123456789012:service/web/api".into()),
            task_definition_arn: exists
                .then(|| "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:41".into()),
            desired_count: exists.then_some(2),
            deployment_ids: if exists {
                vec!["ecs-svc/1234567890".into()]
            } else {
                Vec::new()
            },
            live_sha256: "0".repeat(64),
        }
    }

    fn service_plan(
        service: &str,
        task_definition: (Option<Value>, Value),
        service_documents: (Option<Value>, Value),
        actions: Vec<Action>,
        notes: Vec<&str>,
    ) -> ServicePlan {
        let exists = service_documents.0.is_some();
        ServicePlan {
            target: target(service),
            normalize: NormalizeOptions::default(),
            base: base(exists),
            changes: Changes {
                task_definition: diff(task_definition.0.as_ref(), &task_definition.1),
                service: diff(service_documents.0.as_ref(), &service_documents.1),
            },
            documents: Some(ServiceDocuments {
                before: DocumentPair {
                    task_definition: task_definition.0.clone(),
                    service: service_documents.0.clone(),
                },
                after: DocumentPair {
                    task_definition: Some(task_definition.1.clone()),
                    service: Some(service_documents.1.clone()),
                },
                terraform: None,
            }),
            desired: Desired {
                task_definition: task_definition.1,
                service: Some(service_documents.1),
            },
            actions,
            notes: notes.into_iter().map(str::to_owned).collect(),
        }
    }

    fn plan(services: Vec<ServicePlan>) -> Plan {
        crate::plan::file::seal(Plan {
            format_version: FORMAT_VERSION,
            plan_id: "6f1c2e9a-3b7d-4c55-9e2f-8a0d1b2c3e4f".into(),
            created_at: "2025-06-01T09:30:00Z".into(),
            // Fixed rather than the crate's version, so that a release does not churn snapshots.
            ristretto_version: "0.1.0".into(),
            environment: Some("prod".into()),
            services,
            secret_patterns: Vec::new(),
            policy: None,
            digest: String::new(),
            signature: None,
        })
    }

    fn register() -> Action {
        Action::RegisterTaskDefinition {
            family: "api".into(),
        }
    }

    fn update(task_definition: Option<TaskDefinitionRef>, fields: Value) -> Action {
        let Value::Object(fields) = fields else {
            panic!("fields are an object")
        };
        Action::UpdateService {
            task_definition,
            fields,
            force_new_deployment: false,
        }
    }

    fn unchanged(
        task: &Value,
        service: &Value,
    ) -> ((Option<Value>, Value), (Option<Value>, Value)) {
        (
            (Some(task.clone()), task.clone()),
            (Some(service.clone()), service.clone()),
        )
    }

    fn create_plan() -> Plan {
        let task = task_definition(IMAGE_1, environment());
        plan(vec![service_plan(
            "api",
            (None, task),
            (None, default_service()),
            vec![
                register(),
                Action::CreateService {
                    task_definition: TaskDefinitionRef::Registered,
                },
            ],
            vec![],
        )])
    }

    fn image_changed_service() -> ServicePlan {
        let service = default_service();
        service_plan(
            "api",
            (
                Some(task_definition(IMAGE_1, environment())),
                task_definition(IMAGE_2, environment()),
            ),
            (Some(service.clone()), service),
            vec![
                register(),
                update(Some(TaskDefinitionRef::Registered), json!({})),
            ],
            vec![],
        )
    }

    fn image_changed_plan() -> Plan {
        plan(vec![image_changed_service()])
    }

    fn no_changes_plan() -> Plan {
        let (task, service) =
            unchanged(&task_definition(IMAGE_1, environment()), &default_service());
        plan(vec![service_plan("api", task, service, vec![], vec![])])
    }

    fn count_and_subnets_plan() -> Plan {
        let task = task_definition(IMAGE_1, environment());
        let tags = json!([{"key": "env", "value": "production"}]);
        let after = service_definition(
            3,
            json!(["subnet-0aaa", "subnet-0ccc", "subnet-0ddd"]),
            tags,
        );
        let network = after["networkConfiguration"].clone();
        plan(vec![service_plan(
            "api",
            (Some(task.clone()), task),
            (Some(default_service()), after),
            vec![update(
                None,
                json!({"desiredCount": 3, "networkConfiguration": network}),
            )],
            vec![],
        )])
    }

    fn tags_plan() -> Plan {
        let task = task_definition(IMAGE_1, environment());
        let subnets = json!(["subnet-0aaa", "subnet-0bbb"]);
        let before = service_definition(
            2,
            subnets.clone(),
            json!([
                {"key": "env", "value": "production"},
                {"key": "owner", "value": "alice"},
            ]),
        );
        let after = service_definition(
            2,
            subnets,
            json!([
                {"key": "env", "value": "prod"},
                {"key": "team", "value": "payments"},
            ]),
        );
        plan(vec![service_plan(
            "api",
            (Some(task.clone()), task),
            (Some(before), after),
            vec![
                Action::TagService {
                    tags: vec![
                        Tag {
                            key: "env".into(),
                            value: "prod".into(),
                        },
                        Tag {
                            key: "team".into(),
                            value: "payments".into(),
                        },
                    ],
                },
                Action::UntagService {
                    keys: vec!["owner".into()],
                },
            ],
            vec![],
        )])
    }

    fn secret_changed_plan() -> Plan {
        let service = default_service();
        let after_environment = json!([
            {"name": "DB_HOST", "value": "db2.internal"},
            {"name": "DB_PASSWORD", "value": "correct-horse-battery"},
            {"name": "github_token", "value": "ghp_tokenvalue"},
        ]);
        plan(vec![service_plan(
            "api",
            (
                Some(task_definition(IMAGE_1, environment())),
                task_definition(IMAGE_1, after_environment),
            ),
            (Some(service.clone()), service),
            vec![
                register(),
                update(Some(TaskDefinitionRef::Registered), json!({})),
            ],
            vec![],
        )])
    }

    fn container_added_plan() -> Plan {
        let service = default_service();
        let before = task_definition(IMAGE_1, environment());
        let mut after = before.clone();
        after["containerDefinitions"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "name": "worker",
                "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/worker:2.0.1",
                "essential": false,
                "command": ["bundle", "exec", "sidekiq"],
                "environment": [
                    {"name": "QUEUE", "value": "default"},
                    {"name": "STRIPE_SECRET_KEY", "value": "sk_live_51Habc"},
                ],
            }));
        plan(vec![service_plan(
            "api",
            (Some(before), after),
            (Some(service.clone()), service),
            vec![
                register(),
                update(Some(TaskDefinitionRef::Registered), json!({})),
            ],
            vec![],
        )])
    }

    fn multi_service_plan() -> Plan {
        let worker_task = json!({
            "family": "worker",
            "cpu": "512",
            "memory": "1024",
            "containerDefinitions": [{"name": "worker", "image": "worker:2.0.1", "essential": true}],
        });
        let worker_before = service_definition(
            1,
            json!(["subnet-0aaa"]),
            json!([{"key": "env", "value": "production"}]),
        );
        let mut worker_after = worker_before.clone();
        worker_after["desiredCount"] = json!(4);
        let mut worker = service_plan(
            "worker",
            (Some(worker_task.clone()), worker_task),
            (Some(worker_before), worker_after),
            vec![update(None, json!({"desiredCount": 4}))],
            vec![
                "healthCheckGracePeriodSeconds is set on the live service but not in the definition; UpdateService cannot unset it, so it is left as it is",
            ],
        );
        worker.target.cluster = "batch".into();
        plan(vec![image_changed_service(), worker])
    }

    /// A plan the policies refused (one denial, two warnings), of a service whose desired count
    /// Terraform owns.
    fn policy_findings_plan() -> Plan {
        let mut plan = image_changed_plan();
        if let Some(documents) = &mut plan.services[0].documents {
            documents.terraform = Some(TerraformOwnership {
                resource: Some("aws_ecs_service.api in infra/ecs.tf".into()),
                fields: vec!["desiredCount".into()],
            });
        }
        let finding = |severity, file: &str, rule: &str, line, message: &str| Finding {
            severity,
            file: file.into(),
            rule: rule.into(),
            line,
            message: message.into(),
        };
        plan.policy = Some(PolicyCheck {
            digest: "a".repeat(64),
            files: vec![
                "policies/images.rego".into(),
                "policies/capacity.rego".into(),
                "policies/data.yaml".into(),
            ],
            findings: vec![
                finding(
                    Severity::Warn,
                    "policies/capacity.rego",
                    "warn",
                    14,
                    "web/api: desiredCount drops from 8 to 2 (more than half)",
                ),
                finding(
                    Severity::Deny,
                    "policies/images.rego",
                    "deny_latest",
                    9,
                    "web/api: container app runs nginx:latest; pin a version",
                ),
                finding(
                    Severity::Warn,
                    "policies/images.rego",
                    "warn",
                    30,
                    "web/api: <b>markup</b> | and `code` are shown as written",
                ),
            ],
        });
        crate::plan::file::seal(plan)
    }

    fn all_plans() -> Vec<(&'static str, Plan)> {
        vec![
            ("policy_findings", policy_findings_plan()),
            ("create", create_plan()),
            ("image_changed", image_changed_plan()),
            ("no_changes", no_changes_plan()),
            ("count_and_subnets", count_and_subnets_plan()),
            ("tags", tags_plan()),
            ("secret_changed", secret_changed_plan()),
            ("container_added", container_added_plan()),
            ("multi_service", multi_service_plan()),
        ]
    }

    fn renderings(plan: &Plan) -> Vec<(&'static str, String)> {
        let options = RenderOptions::default();
        let colored = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        vec![
            ("human", human(plan, &options)),
            ("human (colour)", human(plan, &colored)),
            ("markdown", markdown(plan, &options)),
            ("json", json(plan, &options)),
        ]
    }

    #[test]
    fn snapshots() {
        for (name, plan) in all_plans() {
            let options = RenderOptions::default();
            insta::assert_snapshot!(format!("{name}.human"), human(&plan, &options));
            insta::assert_snapshot!(format!("{name}.markdown"), markdown(&plan, &options));
            insta::assert_snapshot!(format!("{name}.json"), json(&plan, &options));
        }
    }

    #[test]
    fn no_secret_value_appears_in_any_rendering() {
        for (name, plan) in all_plans() {
            for (format, text) in renderings(&plan) {
                for secret in SECRET_VALUES {
                    assert!(
                        !text.contains(secret),
                        "{name} ({format}) shows the secret {secret}:\n{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn secret_changes_are_still_visible_as_changes() {
        let text = human(&secret_changed_plan(), &RenderOptions::default());
        assert!(text.contains("environment[name=DB_PASSWORD].value: (sensitive) → (sensitive)"));
        assert!(
            text.contains(r#"environment[name=DB_HOST].value: "db.internal" → "db2.internal""#)
        );
        let text = human(&container_added_plan(), &RenderOptions::default());
        assert!(text.contains(r#""value": "default""#));
    }

    #[test]
    fn patterns_are_case_insensitive_substrings_and_configurable() {
        let options = RenderOptions::default();
        assert!(options.is_secret_name("db_password"));
        assert!(options.is_secret_name("AWS_SECRET_ACCESS_KEY"));
        assert!(options.is_secret_name("Github_Token"));
        assert!(!options.is_secret_name("DB_HOST"));
        let options = RenderOptions {
            color: false,
            secret_patterns: vec!["*dsn*".into()],
        };
        assert!(options.is_secret_name("SENTRY_DSN"));
        assert!(!options.is_secret_name("DB_PASSWORD"));
    }

    #[test]
    fn masks_entries_whose_name_cannot_be_told() {
        let options = RenderOptions::default();
        let path: Path = serde_json::from_value(json!([
            "containerDefinitions", {"name": "app"}, "environment", 1, "value"
        ]))
        .unwrap();
        let change = Change::Changed {
            path,
            before: json!("a"),
            after: json!("b"),
        };
        let Change::Changed { before, after, .. } = mask_change(&change, &options.secret_names())
        else {
            unreachable!()
        };
        assert_eq!((before, after), (json!(SENSITIVE), json!(SENSITIVE)));
    }

    #[test]
    fn colour_only_in_the_human_rendering_and_only_when_asked() {
        let colored = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        for (name, plan) in all_plans() {
            assert!(
                !human(&plan, &RenderOptions::default()).contains('\x1b'),
                "{name}"
            );
            assert!(human(&plan, &colored).contains('\x1b'), "{name}");
            assert!(!markdown(&plan, &colored).contains('\x1b'), "{name}");
            assert!(!json(&plan, &colored).contains('\x1b'), "{name}");
        }
        let text = human(&image_changed_plan(), &colored);
        assert!(text.contains("\x1b[33m~\x1b[0m"));
        assert!(text.contains("\x1b[1mPlan: 1 to register, 1 to update.\x1b[0m"));
    }

    #[test]
    fn summary_lines() {
        let options = RenderOptions::default();
        assert!(
            human(&image_changed_plan(), &options)
                .ends_with("\nPlan: 1 to register, 1 to update.\n")
        );
        assert_eq!(
            human(&no_changes_plan(), &options),
            "No changes. The live services match the definitions.\n"
        );
        assert!(
            human(&multi_service_plan(), &options)
                .ends_with("\nPlan: 1 to register, 2 to update.\n")
        );
    }

    #[test]
    fn markdown_shows_only_the_image_as_changed() {
        let text = markdown(&image_changed_plan(), &RenderOptions::default());
        let changed: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with('+') || line.starts_with('-'))
            .collect();
        assert_eq!(
            changed,
            vec![
                format!(r#"-   image: "{IMAGE_1}""#),
                format!(r#"+   image: "{IMAGE_2}""#),
            ]
        );
    }

    #[test]
    fn json_has_the_documented_shape() {
        let value: Value =
            serde_json::from_str(&json(&multi_service_plan(), &RenderOptions::default())).unwrap();
        assert_eq!(value["format_version"], json!("1.0"));
        assert_eq!(value["services"][0]["environment"], json!("prod"));
        assert_eq!(
            value["services"][0]["after"]["task_definition"]["containerDefinitions"][0]["image"],
            json!(IMAGE_2)
        );
        assert_eq!(
            value["services"][0]["before"]["task_definition"]["containerDefinitions"][0]["image"],
            json!(IMAGE_1)
        );
        assert_eq!(
            value["services"][0]["terraform"]["owns_fields"],
            json!(false)
        );
        assert_eq!(value["policy"], Value::Null);
        assert_eq!(value["has_changes"], json!(true));
        assert_eq!(
            value["summary"],
            json!({"register": 1, "create": 0, "update": 2, "tag": 0})
        );
        assert_eq!(value["services"][1]["target"]["service"], json!("worker"));
        assert_eq!(
            value["services"][0]["changes"]["task_definition"][0]["path"],
            json!(["containerDefinitions", {"name": "app"}, "image"])
        );
        let value: Value =
            serde_json::from_str(&json(&policy_findings_plan(), &RenderOptions::default()))
                .unwrap();
        assert_eq!(value["policy"]["passed"], json!(false));
        assert_eq!(
            (&value["policy"]["denials"], &value["policy"]["warnings"]),
            (&json!(1), &json!(2))
        );
        assert_eq!(
            value["services"][0]["terraform"],
            json!({"owns_fields": true, "resource": "aws_ecs_service.api in infra/ecs.tf",
                   "fields": ["desiredCount"]})
        );
        let value: Value =
            serde_json::from_str(&json(&no_changes_plan(), &RenderOptions::default())).unwrap();
        assert_eq!(value["has_changes"], json!(false));
    }

    /// The stable JSON form of every plan above matches `schemas/plan-output.schema.json`, and
    /// so does the form of a plan saved before documents were recorded (`before`/`after` null).
    #[test]
    fn output_schema_accepts_every_json_rendering_and_rejects_a_broken_one() {
        let schema: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/plan-output.schema.json"
        )))
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut old = image_changed_plan();
        old.services[0].documents = None;
        let mut plans: Vec<(&str, Plan)> = all_plans();
        plans.push(("recorded before documents", old));
        for (name, plan) in &plans {
            let value: Value =
                serde_json::from_str(&json(plan, &RenderOptions::default())).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|error| format!("{}: {error}", error.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{name}: {errors:#?}");
        }
        let rendered = |plan: &Plan| -> Value {
            serde_json::from_str(&json(plan, &RenderOptions::default())).unwrap()
        };
        let mut broken = rendered(&plans[0].1);
        broken["policy"]["findings"][0]["severity"] = json!("error");
        assert!(!validator.is_valid(&broken));
        let mut broken = rendered(&plans[1].1);
        broken["format_version"] = json!("2.0");
        assert!(!validator.is_valid(&broken));
        let mut broken = rendered(&plans[1].1);
        broken["services"][0]
            .as_object_mut()
            .unwrap()
            .remove("after");
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn documents_are_masked_like_changes() {
        let value: Value =
            serde_json::from_str(&json(&secret_changed_plan(), &RenderOptions::default())).unwrap();
        let environment = &value["services"][0]["after"]["task_definition"]["containerDefinitions"]
            [0]["environment"];
        assert_eq!(
            environment,
            &json!([
                {"name": "DB_HOST", "value": "db2.internal"},
                {"name": "DB_PASSWORD", "value": SENSITIVE},
                {"name": "github_token", "value": SENSITIVE},
            ])
        );
    }

    #[test]
    fn plan_file_schema_accepts_every_plan_and_rejects_a_broken_one() {
        let schema: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/plan.schema.json"
        )))
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut plans: Vec<Plan> = all_plans().into_iter().map(|(_, plan)| plan).collect();
        // Every action and reference kind at least once.
        let mut other = image_changed_plan();
        other.environment = None;
        other.services[0].actions = vec![
            Action::CreateService {
                task_definition: TaskDefinitionRef::Existing {
                    arn: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:7".into(),
                },
            },
            Action::UpdateService {
                task_definition: None,
                fields: Map::new(),
                force_new_deployment: true,
            },
        ];
        other.services[0].desired.service = None;
        plans.push(other);
        for plan in &plans {
            let value = serde_json::to_value(plan).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|error| format!("{}: {error}", error.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
        }
        let mut broken = serde_json::to_value(&plans[0]).unwrap();
        broken["services"][0]["actions"][0]["action"] = json!("delete_service");
        assert!(!validator.is_valid(&broken));
        let mut broken = serde_json::to_value(&plans[1]).unwrap();
        broken["services"][0]["changes"]["task_definition"]["changes"][0]["path"] =
            json!([{"name": "app", "extra": "x"}]);
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn notes_are_shown_without_changes_and_unchanged_services_are_named() {
        let mut quiet = no_changes_plan();
        quiet.services[0].notes = vec!["the live service is DRAINING".into()];
        let options = RenderOptions::default();
        assert_eq!(
            human(&quiet, &options),
            "    service web/api (ap-northeast-1)\n      Notes:\n        • the live service is DRAINING\n\n\
             No changes. The live services match the definitions.\n"
        );
        let text = markdown(&quiet, &options);
        assert!(
            text.contains("<summary><code>web/api</code> (ap-northeast-1): no changes</summary>")
        );
        assert!(text.contains("- the live service is DRAINING\n"));
        assert!(!text.contains("```diff"));

        let mut two = multi_service_plan();
        two.services[1].actions.clear();
        two.services[1].notes.clear();
        two.services[1].changes.service = Diff::default();
        let text = human(&two, &options);
        assert!(text.contains("\n    service batch/worker (ap-northeast-1): no changes\n"));
        assert!(text.ends_with("\nPlan: 1 to register, 1 to update.\n"));
        assert!(
            markdown(&two, &options).contains("| worker | batch | ap-northeast-1 | no changes |")
        );
    }

    #[test]
    fn every_action_has_a_description() {
        let existing = TaskDefinitionRef::Existing {
            arn: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:7".into(),
        };
        let cases = [
            (register(), "register task definition api (new revision)"),
            (
                Action::CreateService {
                    task_definition: TaskDefinitionRef::Registered,
                },
                "create service",
            ),
            (
                Action::CreateService {
                    task_definition: existing.clone(),
                },
                "create service with task definition api:7",
            ),
            (
                update(
                    Some(TaskDefinitionRef::Registered),
                    json!({"desiredCount": 3}),
                ),
                "update service: taskDefinition, desiredCount",
            ),
            (
                Action::UpdateService {
                    task_definition: Some(existing),
                    fields: Map::new(),
                    force_new_deployment: true,
                },
                "update service: taskDefinition (api:7), force new deployment",
            ),
            (
                Action::UntagService {
                    keys: vec!["a".into(), "b".into()],
                },
                "untag: a, b",
            ),
        ];
        for (action, expected) in cases {
            assert_eq!(describe_action(&action), expected);
        }
    }

    #[test]
    fn long_changes_wrap_with_the_values_aligned() {
        let text = human(&image_changed_plan(), &RenderOptions::default());
        let lines: Vec<&str> = text.lines().collect();
        let old = lines
            .iter()
            .position(|line| line.contains("~ image: "))
            .unwrap();
        let column = |line: &str| line.chars().position(|character| character == '"');
        let (old_column, new_column) = (column(lines[old]), column(lines[old + 1]));
        assert_eq!(old_column, new_column);
        assert_eq!(lines[old + 1].trim_start().chars().next(), Some('→'));
    }

    #[test]
    fn rows_group_changes_under_common_parents() {
        let before = json!({"containerDefinitions": [
            {"name": "app", "image": "a:1", "cpu": 128},
            {"name": "log", "image": "fluent-bit:1"},
        ]});
        let after = json!({"containerDefinitions": [
            {"name": "app", "image": "a:2", "cpu": 256},
            {"name": "log", "image": "fluent-bit:2"},
        ]});
        let labels: Vec<(usize, String)> = diff_rows(&diff(Some(&before), &after).changes, 0)
            .into_iter()
            .map(|row| match row {
                Row::Group { depth, label }
                | Row::Changed { depth, label, .. }
                | Row::Whole { depth, label, .. } => (depth, label),
            })
            .collect();
        assert_eq!(
            labels,
            vec![
                (0, "containerDefinitions[name=app]".to_owned()),
                (1, "cpu".to_owned()),
                (1, "image".to_owned()),
                (0, "containerDefinitions[name=log]".to_owned()),
                (1, "image".to_owned()),
            ]
        );
    }
}
