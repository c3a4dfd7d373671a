//! ecspresso's default lookups (`ssm`, `secretsmanager_arn`) in every command that renders
//! definitions, run from inside the command's async runtime (issue 13 §1: they used to panic
//! there), each with the per-run cache: one GetParameter per distinct parameter and one
//! DescribeSecret per distinct secret, however often the definitions name them — counted in the
//! emulator's request log for that one run.
//!
//! The definitions name the parameter twice in the task definition and once in the service
//! definition, the secret once in each. `rollback` and `scale` plan from the live service — the
//! revision to go back to, the live attributes with a new count — and never render the files:
//! their tests check that they run in such a project and make no lookup at all.

use serde_json::{Value, json};

use crate::fixtures::Project;
use crate::support::{self, TestAccount};

const IMAGE_TAG: &str = "1.27";

/// A project on the emulator whose definitions look values up.
struct LookupProject {
    project: Project,
    secret_arn: String,
}

impl LookupProject {
    async fn new(account: &TestAccount) -> Self {
        account.aws_cli_json([
            "ssm",
            "put-parameter",
            "--name",
            "/app/image-tag",
            "--type",
            "String",
            "--value",
            IMAGE_TAG,
        ]);
        let secret = account.aws_cli_json([
            "secretsmanager",
            "create-secret",
            "--name",
            "app/db",
            "--secret-string",
            "s3cr3t",
        ]);
        let secret_arn = secret["ARN"].as_str().unwrap().to_owned();
        let project = Project::new(account).await;
        std::fs::write(
            project.file("ecs-task-def.json"),
            r#"{
  "family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
  "cpu": "256", "memory": "512",
  "containerDefinitions": [{
    "name": "app", "essential": true, "portMappings": [{"containerPort": 80}],
    "image": "nginx:{{ ssm `/app/image-tag` }}",
    "environment": [
      {"name": "IMAGE_TAG", "value": "{{ ssm `/app/image-tag` }}"},
      {"name": "DB_SECRET_ARN", "value": "{{ secretsmanager_arn `app/db` }}"}]
  }]
}"#,
        )
        .unwrap();
        project.write_service(json!({
            "tags": [
                {"key": "ristretto-test:rollout-steps", "value": "2"},
                {"key": "image-tag", "value": "{{ ssm `/app/image-tag` }}"},
                {"key": "db-secret", "value": "{{ secretsmanager_arn `app/db` }}"}
            ]
        }));
        Self {
            project,
            secret_arn,
        }
    }

    /// Runs ristretto, asserting the exit code; returns stdout and the lookups it made.
    fn run(&self, arguments: &[&str], code: i32) -> (String, Lookups) {
        run_counting(&self.project, arguments, code)
    }
}

/// AWS calls of one run that answer a lookup.
#[derive(Debug, PartialEq, Eq)]
struct Lookups {
    get_parameter: usize,
    describe_secret: usize,
}

const ONE_EACH: Lookups = Lookups {
    get_parameter: 1,
    describe_secret: 1,
};

const NONE: Lookups = Lookups {
    get_parameter: 0,
    describe_secret: 0,
};

fn run_counting(project: &Project, arguments: &[&str], code: i32) -> (String, Lookups) {
    let before = project.account.request_log().len();
    let (stdout, _) = project.expect(arguments, code);
    let log = project.account.request_log();
    let count = |operation: &str| {
        log[before..]
            .iter()
            .filter(|request| request.operation == operation)
            .count()
    };
    (
        stdout,
        Lookups {
            get_parameter: count("GetParameter"),
            describe_secret: count("DescribeSecret"),
        },
    )
}

fn live_container(project: &Project) -> Value {
    let service = project.describe_service();
    let task_definition = project.account.aws_cli_json([
        "ecs",
        "describe-task-definition",
        "--task-definition",
        service["taskDefinition"].as_str().unwrap(),
    ]);
    task_definition["taskDefinition"]["containerDefinitions"][0].clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn plan_looks_each_value_up_once() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    let (_, made) = lookups.run(&["plan", "-o", "plan.json"], 0);
    assert_eq!(made, ONE_EACH);
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(lookups.project.file("plan.json")).unwrap())
            .unwrap();
    let desired = &plan["services"][0]["desired"];
    assert_eq!(
        desired["task_definition"]["containerDefinitions"][0]["image"],
        format!("nginx:{IMAGE_TAG}")
    );
    assert!(
        desired["service"]["tags"]
            .as_array()
            .unwrap()
            .contains(&json!({"key": "db-secret", "value": lookups.secret_arn})),
        "{desired}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_looks_each_value_up_once() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    let (diff, made) = lookups.run(&["diff"], 0);
    assert_eq!(made, ONE_EACH);
    assert!(diff.contains(&format!("nginx:{IMAGE_TAG}")), "{diff}");
    let (unified, made) = lookups.run(&["diff", "--unified"], 0);
    assert_eq!(made, ONE_EACH);
    assert!(unified.contains(&lookups.secret_arn), "{unified}");
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_looks_each_value_up_once() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    let (_, made) = lookups.run(&["deploy"], 0);
    assert_eq!(made, ONE_EACH);
    let container = live_container(&lookups.project);
    assert_eq!(container["image"], format!("nginx:{IMAGE_TAG}"));
    assert_eq!(
        container["environment"],
        json!([
            {"name": "IMAGE_TAG", "value": IMAGE_TAG},
            {"name": "DB_SECRET_ARN", "value": lookups.secret_arn}
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_without_a_plan_file_looks_each_value_up_once() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    let (_, made) = lookups.run(&["apply", "--auto-approve"], 0);
    assert_eq!(made, ONE_EACH);
    assert_eq!(
        live_container(&lookups.project)["image"],
        format!("nginx:{IMAGE_TAG}")
    );
    let (_, made) = lookups.run(&["plan", "--detailed-exitcode"], 0);
    assert_eq!(made, ONE_EACH);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_looks_each_value_up_once() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    let (_, made) = lookups.run(&["run", "--no-wait"], 0);
    assert_eq!(made, ONE_EACH);
    let tasks = account.aws_cli_json(["ecs", "list-tasks", "--cluster", "web"]);
    let described = account.aws_cli_json([
        "ecs",
        "describe-tasks",
        "--cluster",
        "web",
        "--tasks",
        tasks["taskArns"][0].as_str().unwrap(),
    ]);
    assert_eq!(
        described["tasks"][0]["containers"][0]["image"],
        format!("nginx:{IMAGE_TAG}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn verify_looks_each_value_up_once() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    let (table, made) = lookups.run(&["verify"], 0);
    assert_eq!(made, ONE_EACH);
    assert!(
        table.contains(&format!("| image   | nginx:{IMAGE_TAG} |")),
        "{table}"
    );
    assert!(table.ends_with("All 2 checks passed.\n"), "{table}");
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_plans_from_the_live_service_and_looks_nothing_up() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    lookups.run(&["deploy"], 0);
    account.aws_cli_json([
        "ssm",
        "put-parameter",
        "--name",
        "/app/image-tag",
        "--value",
        "1.28",
        "--overwrite",
    ]);
    lookups.run(&["deploy"], 0);
    assert_eq!(live_container(&lookups.project)["image"], "nginx:1.28");
    let (_, made) = lookups.run(&["rollback"], 0);
    assert_eq!(made, NONE);
    assert_eq!(
        live_container(&lookups.project)["image"],
        format!("nginx:{IMAGE_TAG}")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_plans_from_the_live_service_and_looks_nothing_up() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    lookups.run(&["deploy"], 0);
    let (_, made) = lookups.run(&["scale", "--tasks", "3"], 0);
    assert_eq!(made, NONE);
    assert_eq!(lookups.project.describe_service()["desiredCount"], 3);
}

/// init writes the live values; put the lookups back in their place (as a user keeping the
/// project would) and the plan finds no change, with one lookup each.
#[tokio::test(flavor = "multi_thread")]
async fn init_round_trip_with_lookups_plans_no_change() {
    let account = support::new_account();
    let lookups = LookupProject::new(&account).await;
    lookups.run(&["deploy"], 0);
    let directory = tempfile::tempdir().unwrap();
    let output = support::ristretto(&account)
        .args(["init", "--cluster", "web", "--service", "api"])
        .current_dir(directory.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for (file, replacements) in [
        (
            "ecs-task-def.json",
            vec![
                (
                    format!("\"nginx:{IMAGE_TAG}\""),
                    "\"nginx:{{ ssm `/app/image-tag` }}\"".to_owned(),
                ),
                (
                    format!("\"{}\"", lookups.secret_arn),
                    "\"{{ secretsmanager_arn `app/db` }}\"".to_owned(),
                ),
            ],
        ),
        (
            "ecs-service-def.json",
            vec![(
                format!("\"{}\"", lookups.secret_arn),
                "\"{{ secretsmanager_arn `app/db` }}\"".to_owned(),
            )],
        ),
    ] {
        let path = directory.path().join(file);
        let mut text = std::fs::read_to_string(&path).unwrap();
        for (live, lookup) in replacements {
            assert!(text.contains(&live), "{file} has no {live}:\n{text}");
            text = text.replace(&live, &lookup);
        }
        std::fs::write(&path, text).unwrap();
    }
    let before = account.request_log().len();
    let output = support::ristretto(&account)
        .args(["plan", "--detailed-exitcode"])
        .current_dir(directory.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let log = account.request_log();
    let count = |operation: &str| {
        log[before..]
            .iter()
            .filter(|request| request.operation == operation)
            .count()
    };
    assert_eq!((count("GetParameter"), count("DescribeSecret")), (1, 1));
}
