//! Rego policies on plans, from the command line against the emulator (issue 19): a denied
//! plan exits 6 and writes no plan file; a warning only shows; apply refuses a plan whose
//! policy files changed (4) and one the policies deny now that the live service changed (6);
//! the JSON form of every example project's plan matches schemas/plan-output.schema.json.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::fixtures::Project;
use crate::support;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("examples")
}

/// The example policies, copied into the project as `policies/`, with a data file that also
/// allows Docker Hub (the emulator's services run `nginx:…`).
fn copy_example_policies(project: &Project) {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let path = entry.unwrap().path();
            let target = to.join(path.file_name().unwrap());
            if path.is_dir() {
                copy(&path, &target);
            } else {
                std::fs::copy(&path, &target).unwrap();
            }
        }
    }
    let policies = project.file("policies");
    copy(&examples().join("policies"), &policies);
    let data = std::fs::read_to_string(policies.join("data.yaml")).unwrap();
    let data = data.replace(
        "    - public.ecr.aws\n",
        "    - public.ecr.aws\n    - docker.io\n",
    );
    assert!(data.contains("docker.io"));
    std::fs::write(policies.join("data.yaml"), data).unwrap();
}

fn json_output(stdout: &str) -> Value {
    serde_json::from_str(stdout).unwrap_or_else(|error| panic!("{error}: {stdout}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_denied_plan_exits_6_is_shown_everywhere_and_writes_no_plan_file() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    copy_example_policies(&project);
    project.write_task_definition("nginx:latest");
    // ECS changes only: deploy takes (and releases) the deploy lock before it plans.
    let ecs_mutations = || {
        account
            .mutating_requests()
            .iter()
            .filter(|request| request.service == "ecs")
            .count()
    };
    let mutations = ecs_mutations();

    let summary = project.file("summary.md");
    let output = project
        .command(&["plan", "-o", "plan.json", "--policy", "policies"])
        .env("GITHUB_STEP_SUMMARY", &summary)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stdout}\n{stderr}");
    assert!(!project.file("plan.json").exists(), "no plan file");
    let finding = "policies/image_tags.rego:8 deny_latest: web/api: container app runs nginx:latest: pin a version instead of latest";
    // The plan on stdout shows it; the error on stderr lists it with its file and rule.
    assert!(
        stdout.contains("Policies: refused: 1 denial (8 files)."),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("  deny {finding}")), "{stdout}");
    assert!(
        stderr.contains(&format!(
            "error: the plan is refused by policy:\n  {finding}"
        )),
        "{stderr}"
    );
    assert!(stderr.contains("hint: change the definitions"), "{stderr}");
    // The step summary (Markdown, as in the pull-request comment) says so too.
    let markdown = std::fs::read_to_string(&summary).unwrap();
    assert!(
        markdown.contains("**Policies: refused: 1 denial (8 files)**"),
        "{markdown}"
    );
    assert!(
        markdown.contains(
            "- **deny** <code>policies/image_tags.rego:8</code> <code>deny_latest</code>"
        ),
        "{markdown}"
    );

    let (stdout, _) = project.expect(&["plan", "--format", "json", "--policy", "policies"], 6);
    let plan = json_output(&stdout);
    assert_eq!(plan["policy"]["passed"], false);
    assert_eq!(plan["policy"]["denials"], 1);
    assert_eq!(
        plan["policy"]["findings"][0],
        json!({"severity": "deny", "file": "policies/image_tags.rego", "rule": "deny_latest",
               "line": 8, "message": "web/api: container app runs nginx:latest: pin a version instead of latest"})
    );
    // deploy refuses the same way, before any change.
    project.expect(&["deploy", "--policy", "policies"], 6);
    assert_eq!(ecs_mutations(), mutations, "nothing was changed");
}

#[tokio::test(flavor = "multi_thread")]
async fn warnings_do_not_refuse_and_changed_policy_files_refuse_the_saved_plan() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    copy_example_policies(&project);
    project.write_service(json!({"desiredCount": 4}));
    project.expect(&["apply", "--auto-approve", "--policy", "policies"], 0);

    // 4 → 1 tasks: the example policies warn, and the plan goes on.
    project.write_service(json!({"desiredCount": 1}));
    let (stdout, _) = project.expect(&["plan", "--detailed-exitcode", "--policy", "policies"], 2);
    assert!(
        stdout.contains("Policies: passed with 1 warning (8 files)."),
        "{stdout}"
    );
    assert!(
        stdout.contains("  warn policies/desired_count.rego:"),
        "{stdout}"
    );
    let (_, stderr) = project.expect(&["plan", "-o", "plan.json", "--policy", "policies"], 0);
    assert!(!stderr.contains("error"), "{stderr}");
    let (stdout, _) = project.expect(&["show", "plan.json", "--format", "json"], 0);
    let shown = json_output(&stdout);
    assert_eq!(shown["policy"]["passed"], true);
    assert_eq!(shown["policy"]["warnings"], 1);
    assert_eq!(
        shown["policy"]["findings"][0]["message"],
        "web/api: desiredCount drops from 4 to 1, by more than half"
    );
    assert_eq!(shown["services"][0]["before"]["service"]["desiredCount"], 4);
    assert_eq!(shown["services"][0]["after"]["service"]["desiredCount"], 1);
    let stored: Value =
        serde_json::from_str(&std::fs::read_to_string(project.file("plan.json")).unwrap()).unwrap();
    assert_eq!(stored["policy"]["digest"], shown["policy"]["digest"]);

    // A policy data file changes after the review: the plan is refused, nothing changes.
    let data = project.file("policies/data.yaml");
    let reviewed = std::fs::read_to_string(&data).unwrap();
    std::fs::write(&data, reviewed.replace("max: 4096", "max: 2048")).unwrap();
    let (_, stderr) = project.expect(&["apply", "plan.json", "--policy", "policies"], 4);
    assert!(
        stderr.contains("the policy files changed since the plan was made"),
        "{stderr}"
    );
    // Without the policies at all, too.
    let (_, stderr) = project.expect(&["apply", "plan.json"], 4);
    assert!(stderr.contains("none are configured now"), "{stderr}");
    assert_eq!(project.describe_service()["desiredCount"], 4);

    // With the reviewed files back, the plan applies.
    std::fs::write(&data, reviewed).unwrap();
    project.expect(&["apply", "plan.json", "--policy", "policies"], 0);
    assert_eq!(project.describe_service()["desiredCount"], 1);
}

/// At least two tasks: a rule on the count the definition leaves to the autoscaler, which only
/// the live service knows.
const CAPACITY: &str = r#"package main

import rego.v1

deny_capacity contains msg if {
	some service in input.services
	service.after.service.desiredCount < 2
	msg := sprintf("%s would run %d task(s): at least 2", [service.target.service, service.after.service.desiredCount])
}
"#;

#[tokio::test(flavor = "multi_thread")]
async fn a_live_change_that_now_violates_a_rule_is_refused_at_apply_with_exit_6() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    std::fs::write(project.file("capacity.rego"), CAPACITY).unwrap();
    project.write_service(json!({"desiredCount": 3}));
    project.expect(&["apply", "--auto-approve"], 0);

    // The definition leaves the count to the autoscaler from now on; a new image is planned
    // while 3 tasks run.
    let mut service: Value = serde_json::from_str(
        &std::fs::read_to_string(project.file("ecs-service-def.json")).unwrap(),
    )
    .unwrap();
    service.as_object_mut().unwrap().remove("desiredCount");
    project.write_json("ecs-service-def.json", &service);
    project.write_task_definition("nginx:2");
    project.expect(&["plan", "-o", "plan.json", "--policy", "capacity.rego"], 0);

    // Someone scales the service in before the plan is applied. The plan is not stale (it
    // leaves the count alone), but under the lock the rule now sees 1 task.
    let scaled = project.account.aws_cli([
        "ecs",
        "update-service",
        "--cluster",
        &project.cluster,
        "--service",
        &project.service,
        "--desired-count",
        "1",
    ]);
    assert!(scaled.status.success(), "{scaled:?}");
    let running = project.describe_service()["taskDefinition"].clone();
    let (_, stderr) = project.expect(&["apply", "plan.json", "--policy", "capacity.rego"], 6);
    assert!(
        stderr.contains("web/api (ap-northeast-1): refused by policy under the lock, with the live service as it is now:\n  capacity.rego:5 deny_capacity: api would run 1 task(s): at least 2"),
        "{stderr}"
    );
    assert_eq!(
        project.describe_service()["taskDefinition"],
        running,
        "not deployed"
    );
    let (stdout, stderr) = project.expect(&["lock", "status"], 0);
    assert!(
        format!("{stdout}{stderr}").contains(": not locked"),
        "the lock was released: {stdout}{stderr}"
    );

    // Scaled out again, the same reviewed plan applies.
    let scaled = project.account.aws_cli([
        "ecs",
        "update-service",
        "--cluster",
        &project.cluster,
        "--service",
        &project.service,
        "--desired-count",
        "2",
    ]);
    assert!(scaled.status.success(), "{scaled:?}");
    project.expect(&["apply", "plan.json", "--policy", "capacity.rego"], 0);
    assert_ne!(project.describe_service()["taskDefinition"], running);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rule_that_fails_at_evaluation_is_an_error_with_its_file_and_line() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    std::fs::write(
        project.file("broken.rego"),
        "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tsome service in input.services\n\tmsg := concat(\", \", service.target)\n}\n",
    )
    .unwrap();
    let (stdout, stderr) =
        project.expect(&["plan", "-o", "plan.json", "--policy", "broken.rego"], 1);
    assert!(stdout.is_empty(), "{stdout}");
    assert!(stderr.starts_with("error: broken.rego:7:"), "{stderr}");
    assert!(stderr.contains("evaluating deny:"), "{stderr}");
    assert!(!project.file("plan.json").exists());
}

/// `plan --format json` of every example project, and `show --format json` of its saved plan,
/// match schemas/plan-output.schema.json — with the example policies, passing and denying.
#[tokio::test(flavor = "multi_thread")]
async fn the_json_plan_of_every_example_matches_the_output_schema() {
    let account = support::new_account();
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/plan-output.schema.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let check = |name: &str, text: &str| {
        let document = json_output(text);
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|error| format!("{}: {error}", error.instance_path()))
            .collect();
        assert!(errors.is_empty(), "{name}: {errors:#?}");
        document
    };
    for cluster in ["quickstart", "dev", "staging", "prod"] {
        account.create_cluster(cluster).await;
    }
    let saved = tempfile::tempdir().unwrap();
    let policies = examples().join("policies").display().to_string();
    let quickstart = examples()
        .join("quickstart/ristretto.jsonnet")
        .display()
        .to_string();
    let cases: Vec<(&str, PathBuf, Vec<String>, i32)> = vec![
        (
            "quickstart",
            examples().join("quickstart"),
            vec!["--config".into(), quickstart],
            0,
        ),
        (
            "multi-env dev",
            examples().join("multi-env"),
            vec![
                "--env".into(),
                "dev".into(),
                "--tla-str".into(),
                "tag=1.4.2".into(),
            ],
            0,
        ),
        (
            "multi-env staging",
            examples().join("multi-env"),
            vec![
                "--env".into(),
                "staging".into(),
                "--tla-str".into(),
                "tag=1.4.2".into(),
            ],
            0,
        ),
        (
            "multi-env prod",
            examples().join("multi-env"),
            vec![
                "--env".into(),
                "prod".into(),
                "--tla-str".into(),
                "tag=1.4.2".into(),
            ],
            0,
        ),
        // The image tag defaults to latest: denied, still the same JSON form.
        (
            "multi-env prod, latest",
            examples().join("multi-env"),
            vec!["--env".into(), "prod".into()],
            6,
        ),
    ];
    for (index, (name, directory, global, code)) in cases.into_iter().enumerate() {
        let plan_file = saved
            .path()
            .join(format!("{index}.json"))
            .display()
            .to_string();
        let mut arguments: Vec<String> = global;
        arguments.extend(
            [
                "plan", "--format", "json", "-o", &plan_file, "--policy", &policies,
            ]
            .map(str::to_owned),
        );
        let output = support::ristretto(&account)
            .args(&arguments)
            .current_dir(&directory)
            .env("NO_COLOR", "1")
            .env_remove("IMAGE_TAG")
            // The quick start requires a subnet; planning does not look it up.
            .env("SUBNET_ID", "subnet-0123456789abcdef0")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert_eq!(
            output.status.code(),
            Some(code),
            "{name}: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let plan = check(name, &stdout);
        assert_eq!(plan["policy"]["passed"], code == 0, "{name}");
        assert!(
            plan["services"][0]["after"]["task_definition"].is_object(),
            "{name}"
        );
        if code == 0 {
            let shown = support::ristretto(&account)
                .args(["show", &plan_file, "--format", "json"])
                .output()
                .unwrap();
            assert!(shown.status.success(), "{name}");
            let shown = check(name, &String::from_utf8_lossy(&shown.stdout));
            assert_eq!(shown, plan, "{name}: show prints what plan printed");
        } else {
            assert!(!Path::new(&plan_file).exists(), "{name}");
        }
    }
}
