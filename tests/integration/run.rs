//! `run` against the emulator: a one-off task with the service definition's network settings,
//! the `--overrides` in the RunTask request, the container's CloudWatch Logs printed while it
//! runs, and the exit code; plus the bad inputs, each one clear error. (The emulator always
//! reports exit code 0; non-zero codes and tasks that never ran are unit-tested in
//! `commands::run` over DescribeTasks answers of real ECS.)

use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::fixtures::Project;
use crate::support;

/// The fixture's task definition, logging to CloudWatch Logs with the awslogs driver.
fn write_logging_task_definition(project: &Project) {
    project.write_json(
        "ecs-task-def.json",
        &json!({
            "family": project.family,
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "cpu": "256", "memory": "512",
            "containerDefinitions": [{
                "name": "app", "image": "busybox:1", "essential": true,
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": "/ecs/api", "awslogs-region": support::REGION,
                    "awslogs-stream-prefix": "one-off"}}
            }]
        }),
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_prints_the_containers_logs_and_exits_with_its_code() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    write_logging_task_definition(&project);
    account.aws_cli_json(["logs", "create-log-group", "--log-group-name", "/ecs/api"]);

    let overrides = r#"{"containerOverrides":[{"name":"app","command":["echo","migrated"]}]}"#;
    // The emulator moves a task one state per DescribeTasks: polling every second leaves the
    // test time to write the task's log lines while it "runs".
    let child = project
        .command(&["run", "--overrides", overrides])
        .env("RISTRETTO_POLL_INTERVAL", "1s")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();

    let config = account.sdk_config().await;
    let ecs = aws_sdk_ecs::Client::new(&config);
    let deadline = Instant::now() + Duration::from_secs(30);
    let task_arn = loop {
        let listed = ecs.list_tasks().cluster("web").send().await.unwrap();
        if let Some(arn) = listed.task_arns().first() {
            break arn.clone();
        }
        assert!(Instant::now() < deadline, "no task was started");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let task_id = task_arn.rsplit('/').next().unwrap().to_owned();
    let logs = aws_sdk_cloudwatchlogs::Client::new(&config);
    let stream = format!("one-off/app/{task_id}");
    logs.create_log_stream()
        .log_group_name("/ecs/api")
        .log_stream_name(&stream)
        .send()
        .await
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    let mut put = logs
        .put_log_events()
        .log_group_name("/ecs/api")
        .log_stream_name(&stream);
    for (offset, message) in ["running migrations", "migrated 3 tables"]
        .iter()
        .enumerate()
    {
        put = put.log_events(
            aws_sdk_cloudwatchlogs::types::InputLogEvent::builder()
                .timestamp(now + offset as i64)
                .message(*message)
                .build()
                .unwrap(),
        );
    }
    put.send().await.unwrap();

    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "stdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert_eq!(
        stdout, "running migrations\nmigrated 3 tables\n",
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("Started task {task_arn} (api:1).")),
        "{stderr}"
    );
    assert!(stderr.contains("app exited with 0"), "{stderr}");

    // What RunTask was asked, as the task records it.
    let described = account.aws_cli_json([
        "ecs",
        "describe-tasks",
        "--cluster",
        "web",
        "--tasks",
        &task_arn,
    ]);
    let task = &described["tasks"][0];
    assert_eq!(
        task["overrides"]["containerOverrides"][0]["command"],
        json!(["echo", "migrated"])
    );
    assert_eq!(task["launchType"], "FARGATE");
    assert_eq!(task["startedBy"], "ristretto");

    // A second run reuses the identical ACTIVE revision instead of registering another.
    let (_, stderr) = project.expect(&["run", "--no-wait"], 0);
    assert!(!stderr.contains("Registered"), "{stderr}");
    assert_eq!(project.task_definition_revisions().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn run_bad_inputs_are_one_clear_error_each() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let cases: [(&[&str], &str); 4] = [
        (
            &["run", "--overrides", "{\"containerOverrides\": ["],
            "error: --overrides: not valid JSON: EOF while parsing a list at line 1 column 24\n",
        ),
        (
            &["run", "--count", "11"],
            "error: invalid value '11' for '--count <N>': 11 is not in 1..=10\n",
        ),
        (
            &["run", "--revision", "99"],
            "error: task definition api:99 does not exist\n",
        ),
        (
            &["run", "--watch-container", "nope"],
            "error: --watch-container nope: api has no such container (it has app)\n",
        ),
    ];
    for (arguments, first_line) in cases {
        let (_, stderr) = project.expect(arguments, 1);
        assert!(stderr.starts_with(first_line), "{arguments:?}: {stderr}");
        assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
    }
    assert!(
        account
            .request_log()
            .iter()
            .all(|request| request.operation != "RunTask"),
        "no task started by bad input"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn run_registers_then_starts_count_tasks_and_waits_for_them() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let (_, stderr) = project.expect(&["run", "--count", "2", "--tags", "purpose=test"], 0);
    assert_eq!(stderr.matches("Started task").count(), 2, "{stderr}");
    assert!(
        stderr.contains("does not log to CloudWatch Logs"),
        "{stderr}"
    );
    let calls: Vec<String> = account
        .request_log()
        .iter()
        .filter(|request| request.service == "ecs")
        .map(|request| request.operation.clone())
        .collect();
    let run = calls.iter().position(|call| call == "RunTask").unwrap();
    assert_eq!(calls[run - 1], "RegisterTaskDefinition", "{calls:?}");
    assert!(
        calls[run + 1..].iter().all(|call| call == "DescribeTasks"),
        "{calls:?}"
    );
    let value: Value = account.aws_cli_json(["ecs", "list-tasks", "--cluster", "web"]);
    assert_eq!(value["taskArns"].as_array().unwrap().len(), 2);
}
