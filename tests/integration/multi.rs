//! Multi-service projects against the emulator (issue: Jsonnet multi-environment projects and
//! multi-service plans): one plan file for 20 services, applied with one lock per service, and
//! two runners with overlapping service sets that both finish without deadlock or lost update.

use serde_json::{Value, json};

use crate::fixtures::Project;
use crate::support;

/// A project whose config declares `count` services `svc-00`, `svc-01`, … on one cluster, each
/// with its own task definition family; the definitions render `image`.
async fn many(count: usize) -> Project {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let mut config = String::from(
        "region: ap-northeast-1\ncluster: web\ntimeout: 2m\nlock:\n  dynamodb_table: locks\nservices:\n",
    );
    for index in 0..count {
        config.push_str(&format!(
            "  svc-{index:02}:\n    task_definition: td-{index:02}.json\n    service_definition: ecs-service-def.json\n"
        ));
    }
    std::fs::write(project.file("ristretto.yml"), config).unwrap();
    project.write_service(json!({"desiredCount": 1}));
    write_images(&project, count, "nginx:1");
    project.expect(&["lock", "init"], 0);
    project
}

fn write_images(project: &Project, count: usize, image: &str) {
    for index in 0..count {
        project.write_json(
            &format!("td-{index:02}.json"),
            &json!({
                "family": format!("svc-{index:02}"),
                "networkMode": "awsvpc",
                "requiresCompatibilities": ["FARGATE"],
                "cpu": "256", "memory": "512",
                "containerDefinitions": [{"name": "app", "image": image, "essential": true}]
            }),
        );
    }
}

fn running_image(project: &Project, service: &str) -> String {
    let described = project.account.aws_cli_json([
        "ecs",
        "describe-services",
        "--cluster",
        "web",
        "--services",
        service,
    ]);
    let arn = described["services"][0]["taskDefinition"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = project.account.aws_cli_json([
        "ecs",
        "describe-task-definition",
        "--task-definition",
        &arn,
    ]);
    task["taskDefinition"]["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap()
        .to_owned()
}

fn lock_items(project: &Project) -> u64 {
    project
        .account
        .aws_cli_json(["dynamodb", "scan", "--table-name", "locks"])["Count"]
        .as_u64()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn twenty_services_plan_into_one_file_and_apply_each_under_its_own_lock() {
    let project = many(20).await;
    project.expect(&["deploy", "--parallelism", "8"], 0);
    write_images(&project, 20, "nginx:2");

    let (stdout, _) = project.expect(&["plan", "-o", "plan.json", "--format", "json"], 0);
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    let sections = plan["services"].as_array().unwrap();
    assert_eq!(sections.len(), 20);
    for section in sections {
        let actions: Vec<&str> = section["actions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|action| action["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["register_task_definition", "update_service"],
            "{section}"
        );
    }
    assert_eq!(plan["summary"]["register"], 20);
    assert_eq!(plan["summary"]["update"], 20);

    let (stdout, _) = project.expect(&["apply", "plan.json", "--format", "json"], 0);
    let acquired: std::collections::BTreeSet<String> = stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).unwrap())
        .filter(|event| event["event"] == "lock_acquired")
        .map(|event| event["lock_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(acquired.len(), 20, "one lock per service: {acquired:?}");
    for index in 0..20 {
        assert_eq!(
            running_image(&project, &format!("svc-{index:02}")),
            "nginx:2"
        );
    }
    assert_eq!(lock_items(&project), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn two_runners_with_overlapping_services_both_finish_without_a_lost_update() {
    let project = many(6).await;
    project.expect(&["deploy"], 0);
    write_images(&project, 6, "nginx:3");
    let first: Vec<String> = ["svc-00", "svc-01", "svc-02", "svc-03"]
        .iter()
        .flat_map(|name| ["--service".to_owned(), (*name).to_owned()])
        .collect();
    let second: Vec<String> = ["svc-02", "svc-03", "svc-04", "svc-05"]
        .iter()
        .flat_map(|name| ["--service".to_owned(), (*name).to_owned()])
        .collect();
    let mut arguments_a = vec!["deploy", "--lock-timeout", "2m"];
    arguments_a.extend(first.iter().map(String::as_str));
    let mut arguments_b = vec!["deploy", "--lock-timeout", "2m"];
    arguments_b.extend(second.iter().map(String::as_str));
    let runner_a = project.spawn(&arguments_a);
    let runner_b = project.spawn(&arguments_b);
    let outputs = [
        runner_a.wait_with_output().unwrap(),
        runner_b.wait_with_output().unwrap(),
    ];
    let codes: Vec<i32> = outputs
        .iter()
        .map(|output| output.status.code().unwrap_or(-1))
        .collect();
    let report: Vec<String> = outputs
        .iter()
        .map(|output| String::from_utf8_lossy(&output.stderr).into_owned())
        .collect();
    // Both finish: one applies everything; the other applies its own services and is refused
    // (stale, exit 4) only for the shared ones the first changed meanwhile — or finds them
    // already done.
    assert!(codes.contains(&0), "{codes:?} {report:#?}");
    assert!(
        codes.iter().all(|code| *code == 0 || *code == 4),
        "{codes:?} {report:#?}"
    );
    for index in 0..6 {
        assert_eq!(
            running_image(&project, &format!("svc-{index:02}")),
            "nginx:3"
        );
    }
    assert_eq!(lock_items(&project), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_multi_env_example_plans_and_applies_per_environment() {
    let account = support::new_account();
    account.create_cluster("dev").await;
    let subnet = account.default_network().subnets[0].clone();
    let example = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-env");
    let scratch = tempfile::tempdir().unwrap();
    let plan_file = scratch.path().join("dev.plan.json");
    let plan_file = plan_file.to_str().unwrap();
    let ristretto = |arguments: &[&str]| {
        let output = support::ristretto(&account)
            .current_dir(&example)
            .env("SUBNET_ID", &subnet)
            .env("NO_COLOR", "1")
            .env_remove("IMAGE_TAG")
            .args(arguments)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr,
        )
    };

    let (code, _, stderr) = ristretto(&["--env", "dev", "lock", "init"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) =
        ristretto(&["--env", "dev", "plan", "-o", plan_file, "--format", "json"]);
    assert_eq!(code, 0, "{stderr}");
    let plan: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(plan["environment"], "dev");
    assert_eq!(plan["summary"]["create"], 2, "{stdout}");

    // A plan made for dev is refused for prod, before anything is touched.
    let (code, _, stderr) = ristretto(&["--env", "prod", "apply", plan_file]);
    assert_eq!(code, 4, "{stderr}");
    assert!(
        stderr.contains("the plan was made for environment dev, not prod"),
        "{stderr}"
    );

    let (code, _, stderr) = ristretto(&["--env", "dev", "apply", plan_file]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stdout, stderr) = ristretto(&["--env", "dev", "plan", "--detailed-exitcode"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        running_image_in(&account, "dev", "api"),
        "public.ecr.aws/nginx/nginx:latest"
    );
}

fn running_image_in(account: &support::TestAccount, cluster: &str, service: &str) -> String {
    let described = account.aws_cli_json([
        "ecs",
        "describe-services",
        "--cluster",
        cluster,
        "--services",
        service,
    ]);
    let arn = described["services"][0]["taskDefinition"]
        .as_str()
        .unwrap()
        .to_owned();
    let task = account.aws_cli_json(["ecs", "describe-task-definition", "--task-definition", &arn]);
    task["taskDefinition"]["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap()
        .to_owned()
}
