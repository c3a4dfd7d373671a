//! Queued one-step deploys and the API calls a deploy costs (issue 16 "Broken promises" §1,
//! issue 17 §1), against the emulator through the command line: runners queued with
//! `--lock-timeout` each plan after the previous holder has finished, so none is refused as
//! stale; a saved plan made during a rollout still applies after it; and the calls of
//! `deploy --no-wait` and `apply --no-wait` are counted from the emulator's request log, so
//! that a regression fails here.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::Instant;

use super::apply::{deployed, lock_items, slow_rollouts, wait_exit};
use crate::fixtures::Project;
use crate::support;

/// The task definition's image is `nginx:$IMAGE_TAG`, as in a CI deploy of a built image.
const TAGGED_IMAGE: &str = "nginx:{{ must_env `IMAGE_TAG` }}";

/// A stderr line of a child, with the instant the test read it.
type TimedLine = (Instant, String);

/// Every stderr line of a child, timed.
fn timed_lines(child: &mut Child) -> mpsc::Receiver<TimedLine> {
    let stderr = child.stderr.take().unwrap();
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if sender.send((Instant::now(), line)).is_err() {
                break;
            }
        }
    });
    receiver
}

fn deploy_with_tag(project: &Project, tag: &str, arguments: &[&str]) -> Child {
    project
        .command(&[&["deploy"], arguments].concat())
        .env("IMAGE_TAG", tag)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

/// The revision a runner registered, from its "registered task definition api:N" line.
fn registered_revision(lines: &[(Instant, String)]) -> Option<u32> {
    lines.iter().find_map(|(_, line)| {
        line.split_once("registered task definition ")?
            .1
            .rsplit_once(':')?
            .1
            .trim()
            .parse()
            .ok()
    })
}

/// The running service's image, through the AWS CLI.
fn running_image(project: &Project) -> String {
    let service = project.describe_service();
    let task = project.account.aws_cli_json([
        "ecs",
        "describe-task-definition",
        "--task-definition",
        service["taskDefinition"].as_str().unwrap(),
    ]);
    task["taskDefinition"]["containerDefinitions"][0]["image"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Issue 16 §1: four deploys of four tags queue behind a rollout in progress (each rollout
/// takes several polls); each succeeds, in the order it got the lock (each registers the next
/// revision, and acts only after the previous holder's rollout), and the service ends on the
/// tag of the last one to get the lock.
#[tokio::test(flavor = "multi_thread")]
async fn four_queued_deploys_of_four_tags_each_succeed_in_lock_order() {
    let project = deployed("60s").await;
    slow_rollouts(&project, 4);
    project.write_task_definition(TAGGED_IMAGE);
    // A rollout in progress when the queue forms.
    let mut running = deploy_with_tag(&project, "zero", &["--no-wait"]);
    assert_eq!(wait_exit(&mut running), 0);

    let tags = ["a", "b", "c", "d"];
    let mut runners: Vec<(&str, Child, mpsc::Receiver<TimedLine>)> = Vec::new();
    for tag in tags {
        let mut child = deploy_with_tag(&project, tag, &["--lock-timeout", "5m"]);
        let lines = timed_lines(&mut child);
        runners.push((tag, child, lines));
    }
    let mut outcomes = Vec::new();
    for (tag, mut child, lines) in runners {
        let code = wait_exit(&mut child);
        let lines: Vec<(Instant, String)> = lines.iter().collect();
        outcomes.push((tag, code, lines));
    }
    let report: Vec<String> = outcomes
        .iter()
        .map(|(tag, code, lines)| {
            let text: Vec<&str> = lines.iter().map(|(_, line)| line.as_str()).collect();
            format!("IMAGE_TAG={tag} exit {code}:\n{}", text.join("\n"))
        })
        .collect();
    assert!(
        outcomes.iter().all(|(_, code, _)| *code == 0),
        "every queued deploy succeeds:\n{}",
        report.join("\n\n")
    );

    // The order they got the lock in, and the revision each registered.
    let mut by_lock_order: BTreeMap<Instant, (&str, u32)> = BTreeMap::new();
    for (tag, _, lines) in &outcomes {
        let acquired = lines
            .iter()
            .find(|(_, line)| line.contains("Acquired the deploy lock"))
            .map(|(at, _)| *at)
            .unwrap_or_else(|| panic!("{tag} never got the lock:\n{}", report.join("\n\n")));
        let revision = registered_revision(lines)
            .unwrap_or_else(|| panic!("{tag} registered nothing:\n{}", report.join("\n\n")));
        by_lock_order.insert(acquired, (tag, revision));
    }
    let revisions: Vec<u32> = by_lock_order
        .values()
        .map(|(_, revision)| *revision)
        .collect();
    // Revision 1 is the fixture's, 2 the `--no-wait` deploy's.
    assert_eq!(revisions, [3, 4, 5, 6], "{by_lock_order:?}");
    let last = by_lock_order.values().last().unwrap().0;
    assert_eq!(running_image(&project), format!("nginx:{last}"));
    assert_eq!(lock_items(&project), 0);
}

/// Issue 16 §1: a deploy that follows a `deploy --no-wait` whose rollout is still running is
/// not refused. (With the rollout taking two DescribeServices calls, a plan made before the
/// lock saw it running and the re-read under the lock saw it finished: "stale".)
#[tokio::test(flavor = "multi_thread")]
async fn a_deploy_after_a_no_wait_deploy_whose_rollout_runs_is_not_refused() {
    let project = deployed("60s").await;
    slow_rollouts(&project, 2);
    project.write_task_definition("nginx:2");
    project.expect(&["deploy", "--no-wait"], 0);
    project.write_task_definition("nginx:3");
    let (_, stderr) = project.expect(&["deploy", "--no-wait"], 0);
    assert!(!stderr.contains("stale"), "{stderr}");
    assert_eq!(running_image(&project), "nginx:3");
}

/// Issue 16 §1: deployments that end because a rollout finished do not make a saved plan
/// stale: a plan made while a rollout ran applies after that rollout has finished.
#[tokio::test(flavor = "multi_thread")]
async fn a_saved_plan_made_during_a_rollout_applies_after_the_rollout_finished() {
    let project = deployed("60s").await;
    slow_rollouts(&project, 4);
    project.write_task_definition("nginx:2");
    project.expect(&["deploy", "--no-wait"], 0);
    project.write_task_definition("nginx:3");
    project.expect(&["plan", "-o", "plan.json"], 0);
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(project.file("plan.json")).unwrap()).unwrap();
    let base_deployments = saved["services"][0]["base"]["deployment_ids"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(
        base_deployments, 2,
        "planned while the rollout ran: {saved}"
    );
    project.expect(&["wait"], 0);
    assert_eq!(
        project.describe_service()["deployments"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "the rollout finished"
    );
    let (_, stderr) = project.expect(&["apply", "plan.json", "--no-wait"], 0);
    assert!(
        stderr.contains("the live service matches the plan's base"),
        "{stderr}"
    );
    assert_eq!(running_image(&project), "nginx:3");

    // Another deployment started since the plan still makes it stale.
    project.write_task_definition("nginx:4");
    project.expect(&["plan", "-o", "four.json"], 0);
    project.write_task_definition("nginx:5");
    project.expect(&["deploy", "--no-wait"], 0);
    let (_, stderr) = project.expect(&["apply", "four.json"], 4);
    assert!(stderr.contains("started since the plan"), "{stderr}");
}

/// The operations a command sent, from the account's request log, in order.
fn calls_of(project: &Project, arguments: &[&str], code: i32) -> Vec<String> {
    let before = project.account.request_log().len();
    project.expect(arguments, code);
    project.account.request_log()[before..]
        .iter()
        .map(|request| request.operation.clone())
        .collect()
}

fn sorted(mut calls: Vec<String>) -> Vec<String> {
    calls.sort();
    calls
}

/// Issue 17 §1: `deploy --no-wait` of a new image costs 6 calls, the 2 lock calls included
/// (as many as ecs-deploy makes without a lock): no second read of the live state, no plan-id
/// tag. A saved-plan `apply --no-wait` costs 7 (its re-read and its plan-id tag are what make
/// a plan made earlier safe to apply).
#[tokio::test(flavor = "multi_thread")]
async fn deploy_no_wait_costs_six_calls_and_a_saved_plan_apply_seven() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    let deploy = calls_of(&project, &["deploy", "--no-wait"], 0);
    eprintln!("deploy --no-wait: {} calls: {deploy:?}", deploy.len());
    assert_eq!(
        sorted(deploy.clone()),
        [
            "DeleteItem",
            "DescribeServices",
            "DescribeTaskDefinition",
            "RegisterTaskDefinition",
            "UpdateItem",
            "UpdateService",
        ],
        "{deploy:?}"
    );
    assert_eq!(
        deploy.first().map(String::as_str),
        Some("UpdateItem"),
        "the lock comes first"
    );
    assert_eq!(deploy.last().map(String::as_str), Some("DeleteItem"));

    project.write_task_definition("nginx:3");
    project.expect(&["plan", "-o", "plan.json"], 0);
    let apply = calls_of(&project, &["apply", "plan.json", "--no-wait"], 0);
    eprintln!("apply --no-wait: {} calls: {apply:?}", apply.len());
    assert_eq!(
        sorted(apply.clone()),
        [
            "DeleteItem",
            "DescribeServices",
            "DescribeTaskDefinition",
            "RegisterTaskDefinition",
            "TagResource",
            "UpdateItem",
            "UpdateService",
        ],
        "{apply:?}"
    );
}

/// Issue 17 §1, counted honestly: without a lock section, the default table is created by the
/// first deploy that finds it missing, and costs nothing afterwards (no CreateTable,
/// DescribeTable or DescribeTimeToLive on every run).
#[tokio::test(flavor = "multi_thread")]
async fn the_default_lock_table_is_created_once_and_then_costs_no_call() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    let first = calls_of(&project, &["deploy", "--no-wait"], 0);
    for setup in ["CreateTable", "DescribeTable", "UpdateTimeToLive"] {
        assert!(first.iter().any(|call| call == setup), "{setup}: {first:?}");
    }
    project.write_task_definition("nginx:2");
    let second = calls_of(&project, &["deploy", "--no-wait"], 0);
    assert_eq!(
        sorted(second.clone()),
        [
            "DeleteItem",
            "DescribeServices",
            "DescribeTaskDefinition",
            "RegisterTaskDefinition",
            "UpdateItem",
            "UpdateService",
        ],
        "{second:?}"
    );
}
