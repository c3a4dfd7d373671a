//! `status` and `wait` against the emulator: what a person and a machine read about a deployed
//! service, waiting on a rollout started with `--no-wait`, and the one clear error for a service
//! or cluster that does not exist. (The text layout itself is snapshot-tested on canned data in
//! `output::status`, since live ids and times change on every run.)

use serde_json::Value;

use crate::fixtures::Project;
use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn status_shows_the_service_its_deployment_and_events() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["apply", "--auto-approve"], 0);

    let (stdout, _) = project.expect(&["status"], 0);
    for expected in [
        "Service:         api",
        "Cluster:         web",
        "Task definition: api:1",
        "Capacity:        FARGATE",
        "Tasks:           2 desired, 2 running, 0 pending",
        "Container:       app nginx:1",
        "  PRIMARY  api:1  desired 2, running 2, pending 0, failed 0  COMPLETED",
        "(not scaled by Application Auto Scaling)",
        "(service api) has reached a steady state.",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing in:\n{stdout}"
        );
    }

    let (stdout, _) = project.expect(&["status", "--format", "json", "--events", "1"], 0);
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["service"]["name"], "api");
    assert_eq!(status["service"]["desired_count"], 2);
    assert_eq!(status["deployments"][0]["rollout_state"], "COMPLETED");
    assert_eq!(status["task_definition"]["family"], "api");
    assert_eq!(status["events"].as_array().unwrap().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn status_reads_the_auto_scaling_target() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["apply", "--auto-approve"], 0);
    account.aws_cli_json([
        "application-autoscaling",
        "register-scalable-target",
        "--service-namespace",
        "ecs",
        "--scalable-dimension",
        "ecs:service:DesiredCount",
        "--resource-id",
        "service/web/api",
        "--min-capacity",
        "1",
        "--max-capacity",
        "4",
    ]);
    let (stdout, _) = project.expect(&["status"], 0);
    assert!(stdout.contains("  min 1, max 4"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread")]
async fn wait_follows_a_rollout_started_without_waiting() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["apply", "--auto-approve"], 0);
    project.write_task_definition("nginx:2");
    let (_, stderr) = project.expect(&["apply", "--auto-approve", "--no-wait"], 0);
    assert!(!stderr.contains("Rollout completed"), "{stderr}");
    assert_eq!(
        project.describe_service()["deployments"]
            .as_array()
            .unwrap()
            .len(),
        2,
        "the rollout is still going on"
    );

    let (_, stderr) = project.expect(&["wait", "--wait-until", "stable"], 0);
    assert!(stderr.contains("api:2"), "{stderr}");
    let service = project.describe_service();
    assert_eq!(service["deployments"].as_array().unwrap().len(), 1);
    assert_eq!(service["deployments"][0]["rolloutState"], "COMPLETED");
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_service_is_one_clear_error() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    for command in ["status", "wait", "rollback", "scale", "delete"] {
        let arguments: &[&str] = match command {
            "delete" => &["delete", "--force"],
            "scale" => &["scale", "--tasks", "1"],
            _ => &[command],
        };
        let (_, stderr) = project.expect(arguments, 1);
        assert!(
            stderr.starts_with("error: service api not found in cluster web (ap-northeast-1)\n"),
            "{command}: {stderr}"
        );
        assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_cluster_is_one_clear_error() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    std::fs::write(
        project.file("ristretto.yml"),
        std::fs::read_to_string(project.file("ristretto.yml"))
            .unwrap()
            .replace("cluster: web", "cluster: nope"),
    )
    .unwrap();
    for command in ["status", "scale"] {
        let arguments: &[&str] = if command == "scale" {
            &["scale", "--tasks", "1"]
        } else {
            &[command]
        };
        let (_, stderr) = project.expect(arguments, 1);
        assert!(
            stderr.starts_with("error: DescribeServices failed: ClusterNotFoundException"),
            "{command}: {stderr}"
        );
        assert!(
            stderr.contains("hint: check the config's cluster"),
            "{stderr}"
        );
    }
}
