//! `apply` and `deploy` under the deploy lock, against the emulator (issue: apply and deploy
//! under a DynamoDB lease lock): concurrent runners, stale plans, crashed and frozen holders,
//! rollbacks, signals, and the ecspresso one-step flow. Every test uses its own account, so its
//! own lock table, cluster and request log.

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::fixtures::Project;
use crate::support;

/// A project with a lock table (`lock init`) and the service deployed once (nginx:1).
pub(crate) async fn deployed(lease: &str) -> Project {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.write_config(&format!(
        "lock:\n  dynamodb_table: locks\n  lease: {lease}\n"
    ));
    project.expect(&["lock", "init"], 0);
    project.expect(&["deploy"], 0);
    project
}

/// Items left in the lock table.
pub(crate) fn lock_items(project: &Project) -> usize {
    let scan = project
        .account
        .aws_cli_json(["dynamodb", "scan", "--table-name", "locks"]);
    scan["Count"].as_u64().unwrap() as usize
}

pub(crate) fn count(project: &Project, operation: &str) -> usize {
    project.account.count_calls(operation)
}

/// Forwards a child's stderr lines to a channel, so a test can wait for one.
pub(crate) fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send(line).is_err() {
                break;
            }
        }
    });
    receiver
}

pub(crate) fn wait_for_line(lines: &mpsc::Receiver<String>, needle: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = Vec::new();
    while Instant::now() < deadline {
        if let Ok(line) = lines.recv_timeout(Duration::from_millis(100)) {
            let found = line.contains(needle);
            seen.push(line);
            if found {
                return seen;
            }
        }
    }
    panic!("no line containing {needle:?} within 60 s; saw: {seen:#?}");
}

pub(crate) fn wait_exit(child: &mut Child) -> i32 {
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status.code().unwrap_or(-1);
        }
        assert!(Instant::now() < deadline, "the process did not exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub(crate) fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([format!("-{name}"), child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Makes the next rollouts of the service take `steps` DescribeServices calls (the emulator's
/// per-service knob, read when a deployment starts), so a runner stays in its wait holding the
/// lock. The tag is set on the live service directly and in the definition, so that plans see
/// no tag change.
pub(crate) fn slow_rollouts(project: &Project, steps: usize) {
    let tag = json!([{"key": "ristretto-test:rollout-steps", "value": steps.to_string()}]);
    project.write_service(json!({ "tags": tag }));
    let arn = project.describe_service()["serviceArn"]
        .as_str()
        .unwrap()
        .to_owned();
    let tagged = project.account.aws_cli([
        "ecs",
        "tag-resource",
        "--resource-arn",
        &arn,
        "--tags",
        &format!("key=ristretto-test:rollout-steps,value={steps}"),
    ]);
    assert!(tagged.status.success(), "{tagged:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_runners_apply_one_plan_exactly_once() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    project.expect(&["plan", "-o", "plan.json"], 0);
    let registers = count(&project, "RegisterTaskDefinition");
    let updates = count(&project, "UpdateService");

    let runners: Vec<Child> = (0..8)
        .map(|_| project.spawn(&["apply", "plan.json"]))
        .collect();
    let outputs: Vec<std::process::Output> = runners
        .into_iter()
        .map(|runner| runner.wait_with_output().unwrap())
        .collect();
    let mut codes: Vec<i32> = outputs
        .iter()
        .map(|output| output.status.code().unwrap_or(-1))
        .collect();
    let report: Vec<String> = outputs
        .iter()
        .map(|output| {
            format!(
                "{:?}: {}",
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            )
        })
        .collect();
    codes.sort();
    assert_eq!(codes[0], 0, "{report:#?}");
    assert!(
        codes[1..].iter().all(|code| *code == 3 || *code == 4),
        "{report:#?}"
    );

    assert_eq!(count(&project, "RegisterTaskDefinition"), registers + 1);
    assert_eq!(count(&project, "UpdateService"), updates + 1);
    assert_eq!(project.task_definition_revisions().len(), 2);
    let service = project.describe_service();
    assert!(
        service["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("/api:2")
    );
    assert_eq!(
        lock_items(&project),
        0,
        "the lock table is empty at the end"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn two_plans_of_one_service_run_one_after_the_other_and_the_second_is_stale() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    project.expect(&["plan", "-o", "two.json"], 0);
    project.write_task_definition("nginx:3");
    project.expect(&["plan", "-o", "three.json"], 0);

    let mut first = project.spawn(&["apply", "two.json", "--lock-timeout", "2m"]);
    let mut second = project.spawn(&["apply", "three.json", "--lock-timeout", "2m"]);
    let mut codes = [wait_exit(&mut first), wait_exit(&mut second)];
    codes.sort();
    assert_eq!(codes, [0, 4]);
    assert_eq!(
        project.task_definition_revisions().len(),
        2,
        "one of the two registered"
    );
    assert_eq!(lock_items(&project), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_holder_blocks_until_its_lease_runs_out_and_never_longer() {
    let project = deployed("3s").await;
    slow_rollouts(&project, 100_000);
    project.write_task_definition("nginx:2");
    let mut holder = project.spawn(&["deploy"]);
    let lines = stderr_lines(&mut holder);
    wait_for_line(&lines, "Acquired the deploy lock");
    signal(&holder, "KILL");
    wait_exit(&mut holder);
    let killed_at = Instant::now();

    // Before the lease runs out: refused at once, naming the holder.
    let (_, stderr) = project.expect(&["deploy", "--no-wait"], 3);
    assert!(stderr.contains("is held by"), "{stderr}");
    assert!(
        killed_at.elapsed() < Duration::from_secs(3),
        "checked within the lease"
    );

    // Without `lock release`, the next runner takes the expired lease over.
    let (_, stderr) = project.expect(&["deploy", "--no-wait", "--lock-timeout", "30s"], 0);
    assert!(stderr.contains("taking over the expired lease"), "{stderr}");
    assert!(
        killed_at.elapsed() >= Duration::from_secs(2),
        "not before the lease ran out"
    );
    assert_eq!(lock_items(&project), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_frozen_holder_sends_no_mutating_call_after_losing_its_lease() {
    let project = deployed("2s").await;
    slow_rollouts(&project, 100_000);
    project.write_task_definition("nginx:2");
    let mut frozen = project.spawn(&["deploy"]);
    let lines = stderr_lines(&mut frozen);
    wait_for_line(&lines, "updated the service");
    signal(&frozen, "STOP");
    std::thread::sleep(Duration::from_secs(4));

    project.write_service(json!({}));
    project.write_task_definition("nginx:3");
    let (_, stderr) = project.expect(&["deploy", "--no-wait", "--lock-timeout", "30s"], 0);
    assert!(stderr.contains("taking over the expired lease"), "{stderr}");
    let after_takeover = project.account.request_log().len();

    signal(&frozen, "CONT");
    let code = wait_exit(&mut frozen);
    assert_ne!(code, 0, "the frozen runner must not report success");
    let late_mutations: Vec<String> = project.account.request_log()[after_takeover..]
        .iter()
        .filter(|request| request.service == "ecs" && !request.readonly)
        .map(|request| request.operation.clone())
        .collect();
    assert!(late_mutations.is_empty(), "{late_mutations:?}");
    let service = project.describe_service();
    assert!(
        service["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("/api:3"),
        "the takeover's deploy stands"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rolled_back_deployment_exits_5_with_its_events_and_releases_the_lock() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:fail");
    let (_, stderr) = project.expect(&["deploy"], 5);
    assert!(
        stderr.contains("the deployment was rolled back"),
        "{stderr}"
    );
    assert!(
        stderr.contains("deployment failed: tasks failed to start"),
        "{stderr}"
    );
    assert!(stderr.contains("Released the deploy lock"), "{stderr}");
    assert_eq!(lock_items(&project), 0);
    assert!(
        project.describe_service()["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("/api:1")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollout_that_does_not_finish_in_time_exits_5() {
    let project = deployed("60s").await;
    slow_rollouts(&project, 100_000);
    project.write_task_definition("nginx:2");
    let (_, stderr) = project.expect(&["deploy", "--timeout", "2s"], 5);
    assert!(stderr.contains("did not complete within 2s"), "{stderr}");
    assert_eq!(lock_items(&project), 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_and_sigterm_release_the_lock() {
    let project = deployed("60s").await;
    slow_rollouts(&project, 100_000);
    for (name, code, image) in [("INT", 130, "nginx:2"), ("TERM", 143, "nginx:3")] {
        project.write_task_definition(image);
        let mut runner = project.spawn(&["deploy"]);
        let lines = stderr_lines(&mut runner);
        wait_for_line(&lines, "updated the service");
        signal(&runner, name);
        assert_eq!(wait_exit(&mut runner), code, "SIG{name}");
        assert_eq!(lock_items(&project), 0, "released on SIG{name}");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_without_a_plan_file_needs_a_terminal_or_auto_approve() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    let (_, stderr) = project.expect(&["apply"], 1);
    assert!(stderr.contains("stdin is not a terminal"), "{stderr}");
    assert!(stderr.contains("--auto-approve"), "{stderr}");
    assert_eq!(
        project.task_definition_revisions().len(),
        1,
        "nothing was changed"
    );
    project.expect(&["apply", "--auto-approve"], 0);
    assert_eq!(project.task_definition_revisions().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn json_progress_is_one_event_per_line_on_stdout() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    let (stdout, _) = project.expect(&["deploy", "--format", "json"], 0);
    let events: Vec<String> = stdout
        .lines()
        .map(|line| {
            let event: serde_json::Value = serde_json::from_str(line).unwrap();
            event["event"].as_str().unwrap().to_owned()
        })
        .collect();
    for expected in [
        "lock_acquired",
        "task_definition_registered",
        "service_updated",
        "rollout_completed",
        "lock_released",
    ] {
        assert!(
            events.iter().any(|event| event == expected),
            "{expected}: {events:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_ecspresso_seed_flow_deploys_with_a_template() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    std::fs::write(
        project.file("ecspresso.yml"),
        format!(
            "region: ap-northeast-1\ncluster: {}\nservice: {}\nservice_definition: ecs-service-def.json\ntask_definition: ecs-task-def.json\ntimeout: 5m\n",
            project.cluster, project.service
        ),
    )
    .unwrap();
    std::fs::remove_file(project.file("ristretto.yml")).unwrap();
    let template = std::fs::read_to_string(project.file("ecs-task-def.json"))
        .unwrap()
        .replace("nginx:1", "nginx:{{ must_env `IMAGE_TAG` }}");
    std::fs::write(project.file("ecs-task-def.json"), template).unwrap();

    let output = project
        .command(&["deploy", "--config", "ecspresso.yml"])
        .env("IMAGE_TAG", "stable")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let task = project.account.aws_cli_json([
        "ecs",
        "describe-task-definition",
        "--task-definition",
        &project.family,
    ]);
    assert_eq!(
        task["taskDefinition"]["containerDefinitions"][0]["image"],
        "nginx:stable"
    );
    // Without the variable: one clear error, nothing deployed.
    let (_, stderr) = project.expect(&["deploy", "--config", "ecspresso.yml"], 1);
    assert!(
        stderr.contains("environment variable IMAGE_TAG is not defined"),
        "{stderr}"
    );
}
