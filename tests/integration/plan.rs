//! `plan`, `diff` and `show` against the emulator (issue: plan, diff, show): no false changes
//! against a service created by another client with every default left implicit, exactly the
//! actions a change needs, create actions for a missing service, plan files that round-trip
//! and refuse tampering, plans stored in S3, and the number of AWS calls a plan makes.

use serde_json::{Value, json};

use crate::fixtures::Project;
use crate::support;

fn json_output(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

fn action_names(plan: &Value) -> Vec<String> {
    plan["services"][0]["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| action["action"].as_str().unwrap().to_owned())
        .collect()
}

/// Creates the service with the AWS CLI from a minimal definition (no ristretto involved).
fn create_with_aws_cli(project: &Project) {
    let task = json!({
        "family": project.family,
        "networkMode": "awsvpc",
        "requiresCompatibilities": ["FARGATE"],
        "cpu": "256", "memory": "512",
        "containerDefinitions": [{"name": "app", "image": "nginx:1"}]
    });
    let task_file = project.file("cli-task.json");
    std::fs::write(&task_file, task.to_string()).unwrap();
    let registered = project.account.aws_cli([
        "ecs",
        "register-task-definition",
        "--cli-input-json",
        &format!("file://{}", task_file.display()),
    ]);
    assert!(registered.status.success(), "{registered:?}");
    let network = format!(
        "awsvpcConfiguration={{subnets=[{}],securityGroups=[{}]}}",
        project.subnets[0], project.security_group
    );
    let created = project.account.aws_cli([
        "ecs",
        "create-service",
        "--cluster",
        &project.cluster,
        "--service-name",
        &project.service,
        "--task-definition",
        &project.family,
        "--desired-count",
        "1",
        "--launch-type",
        "FARGATE",
        "--network-configuration",
        &network,
    ]);
    assert!(created.status.success(), "{created:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn implicit_defaults_against_a_service_created_elsewhere_are_no_changes() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    create_with_aws_cli(&project);
    // The same service as a ristretto user writes it: every ECS default left implicit.
    project.write_json(
        "ecs-task-def.json",
        &json!({
            "family": project.family,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{"name": "app", "image": "nginx:1"}]
        }),
    );
    project.write_json(
        "ecs-service-def.json",
        &json!({
            "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {
                "subnets": [project.subnets[0]], "securityGroups": [project.security_group]}}
        }),
    );
    let (stdout, _) = project.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(stdout.contains("No changes."), "{stdout}");
    let (stdout, _) = project.expect(&["diff", "--detailed-exitcode"], 0);
    assert!(stdout.contains("No changes."), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_service_plans_a_create_and_apply_then_leaves_nothing_to_do() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let (stdout, _) = project.expect(&["plan", "--format", "json", "--detailed-exitcode"], 2);
    let plan = json_output(&stdout);
    assert_eq!(
        action_names(&plan),
        ["register_task_definition", "create_service"]
    );
    assert_eq!(plan["summary"]["create"], 1);

    project.expect(&["apply", "--auto-approve"], 0);
    let (stdout, _) = project.expect(&["plan", "--detailed-exitcode"], 0);
    assert!(stdout.contains("No changes."), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_new_image_is_one_register_and_one_update() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["apply", "--auto-approve"], 0);

    project.write_task_definition("nginx:2");
    let (stdout, _) = project.expect(&["plan", "--format", "json", "--detailed-exitcode"], 2);
    let plan = json_output(&stdout);
    assert_eq!(
        action_names(&plan),
        ["register_task_definition", "update_service"]
    );
    let update = &plan["services"][0]["actions"][1];
    assert_eq!(
        update["fields"],
        json!({}),
        "only the task definition changes"
    );
    assert_eq!(plan["services"][0]["changes"]["service"], json!([]));

    let (markdown, _) = project.expect(&["plan", "--format", "markdown"], 0);
    // The footer carries the plan id, digest and time, which change on every run.
    let stable: Vec<&str> = markdown
        .lines()
        .filter(|line| !line.starts_with("<sub>plan "))
        .collect();
    insta::assert_snapshot!("markdown_new_image", stable.join("\n"));
    let changed: Vec<&str> = markdown
        .lines()
        .filter(|line| line.starts_with('+') || line.starts_with('-'))
        .collect();
    assert_eq!(
        changed,
        ["-   image: \"nginx:1\"", "+   image: \"nginx:2\""],
        "{markdown}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_round_trips_and_a_changed_byte_is_refused() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let (planned, stderr) = project.expect(&["plan", "-o", "plan.json"], 0);
    assert!(stderr.contains("Saved the plan to plan.json"), "{stderr}");
    let (shown, _) = project.expect(&["show", "plan.json"], 0);
    assert_eq!(shown, planned);
    let (shown_json, _) = project.expect(&["show", "plan.json", "--format", "json"], 0);
    assert_eq!(json_output(&shown_json)["has_changes"], true);

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(project.file("plan.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "a plan holds the full definitions");
    }

    let original = std::fs::read_to_string(project.file("plan.json")).unwrap();
    let tampered = original.replacen("nginx:1", "nginx:6", 1);
    assert_ne!(original, tampered);
    std::fs::write(project.file("tampered.json"), tampered).unwrap();
    let (_, stderr) = project.expect(&["show", "tampered.json"], 4);
    assert!(stderr.contains("digest does not match"), "{stderr}");
    let (_, stderr) = project.expect(&["apply", "tampered.json"], 4);
    assert!(stderr.contains("digest does not match"), "{stderr}");
    assert!(
        project.task_definition_revisions().is_empty(),
        "nothing registered by a refused plan"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn plans_are_stored_in_and_read_from_s3() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let bucket = account.unique_name("plans");
    let created = account.aws_cli([
        "s3api",
        "create-bucket",
        "--bucket",
        &bucket,
        "--create-bucket-configuration",
        "LocationConstraint=ap-northeast-1",
    ]);
    assert!(created.status.success(), "{created:?}");
    let url = format!("s3://{bucket}/plans/api.json");
    let (planned, _) = project.expect(&["plan", "-o", &url], 0);
    let (shown, _) = project.expect(&["show", &url], 0);
    assert_eq!(shown, planned);
    // The object is the plan file itself, readable by any S3 client.
    let object = account.aws_cli(["s3", "cp", &url, "-"]);
    let stored: Value = serde_json::from_slice(&object.stdout).unwrap();
    assert_eq!(stored["format_version"], 1);
    project.expect(&["apply", &url], 0);
    assert_eq!(project.describe_service()["status"], "ACTIVE");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plan_makes_at_most_three_calls_before_registering() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["apply", "--auto-approve"], 0);
    project.write_task_definition("nginx:2");
    let before = account.request_log().len();
    project.expect(&["plan"], 0);
    let calls: Vec<String> = account.request_log()[before..]
        .iter()
        .map(|request| request.operation.clone())
        .collect();
    assert!(calls.len() <= 3, "{calls:?}");
    assert!(
        calls.iter().all(|call| call.starts_with("Describe")),
        "no listing loops, nothing mutating: {calls:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_cluster_is_one_clear_error() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.write_config("");
    std::fs::write(
        project.file("ristretto.yml"),
        std::fs::read_to_string(project.file("ristretto.yml"))
            .unwrap()
            .replace("cluster: web", "cluster: nope"),
    )
    .unwrap();
    let (_, stderr) = project.expect(&["plan"], 1);
    assert!(
        stderr.starts_with("error: DescribeServices failed: ClusterNotFoundException"),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: check the config's cluster"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fields_terraform_owns_are_refused_and_the_image_still_deploys() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    let infra = project.path().join("infra");
    std::fs::create_dir(&infra).unwrap();
    std::fs::write(
        infra.join("ecs.tf"),
        r#"resource "aws_ecs_service" "api" {
  name            = "api"
  cluster         = "web"
  task_definition = "api:1"
  desired_count   = 2
  network_configuration {
    subnets = ["subnet-from-terraform"]
  }
  lifecycle {
    ignore_changes = [task_definition, desired_count]
  }
}
"#,
    )
    .unwrap();
    project.write_config("terraform:\n  dir: infra\n");

    // A network change: Terraform owns it.
    project.write_service(json!({
        "networkConfiguration": {"awsvpcConfiguration": {
            "subnets": [project.subnets[1]], "securityGroups": [project.security_group]}}
    }));
    let (_, stderr) = project.expect(&["plan"], 1);
    assert!(
        stderr.contains(
            "networkConfiguration: owned by Terraform (aws_ecs_service.api in infra/ecs.tf); the next terraform apply would revert it"
        ),
        "{stderr}"
    );
    let (stdout, _) = project.expect(&["plan", "--allow-terraform-owned", "--format", "json"], 0);
    let plan = json_output(&stdout);
    assert_eq!(plan["has_changes"], false, "the owned field is never sent");

    // Only the image: ristretto owns the task definition, so it plans and applies.
    project.write_service(json!({}));
    project.write_task_definition("nginx:2");
    let (stdout, _) = project.expect(&["plan", "--format", "json", "--detailed-exitcode"], 2);
    assert_eq!(
        action_names(&json_output(&stdout)),
        ["register_task_definition", "update_service"]
    );
    project.expect(&["apply", "--auto-approve"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_plan_goes_to_the_github_step_summary_too() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let summary = project.file("summary.md");
    std::fs::write(&summary, "earlier steps\n").unwrap();
    let output = project
        .command(&["plan"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert!(
        written.starts_with("earlier steps\n"),
        "appended, not replaced"
    );
    assert!(written.contains("### ristretto plan"), "{written}");
    assert!(
        written.contains("**Plan: 1 to register, 1 to create.**"),
        "{written}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn configured_secret_patterns_mask_values_in_every_rendering() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.write_config("secret_patterns: ['DSN']\n");
    let mut task: Value =
        serde_json::from_str(&std::fs::read_to_string(project.file("ecs-task-def.json")).unwrap())
            .unwrap();
    task["containerDefinitions"][0]["environment"] = json!([
        {"name": "DATABASE_DSN", "value": "postgres://user:p4ss@db/app"},
        {"name": "API_TOKEN", "value": "t0ken-value"}
    ]);
    project.write_json("ecs-task-def.json", &task);
    for format in ["text", "json", "markdown"] {
        let (stdout, _) = project.expect(&["plan", "-o", "plan.json", "--format", format], 0);
        assert!(!stdout.contains("p4ss"), "{format}: {stdout}");
        assert!(stdout.contains("(sensitive)"), "{format}: {stdout}");
        // The configured patterns replace the defaults: API_TOKEN is shown.
        assert!(stdout.contains("t0ken-value"), "{format}: {stdout}");
        let (shown, _) = project.expect(&["show", "plan.json", "--format", format], 0);
        assert!(!shown.contains("p4ss"), "show {format}: {shown}");
    }
}
