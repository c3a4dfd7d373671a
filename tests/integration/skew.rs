//! Clock skew on the command line (issue 16 "Broken promises" §3, lock invariant 9): ristretto
//! run under `faketime` (libfaketime shifts the process's clock, the emulator's stays right)
//! is refused the deploy lock with a clear error, takes no live lease over, and leaves no lock
//! record behind; a holder with a right clock is not disturbed by it. The lock conformance
//! suite (`tests/integration/lock.rs`) checks the same property on DynamoDB and S3 directly.

use std::process::{Command, Output, Stdio};

use super::apply::{deployed, lock_items, slow_rollouts, stderr_lines, wait_exit, wait_for_line};
use crate::fixtures::Project;

/// `ristretto ARGUMENTS` in the project, its clock shifted by `offset` (`+1h`, `-1h`).
fn skewed(project: &Project, offset: &str, arguments: &[&str]) -> Command {
    let found = Command::new("faketime").arg("--version").output();
    assert!(
        found.is_ok(),
        "faketime is needed: apt-get install faketime (bash scripts/test.sh installs it)"
    );
    let mut command = Command::new("faketime");
    project.account.apply_env(&mut command);
    command
        .args(["-f", offset, env!("CARGO_BIN_EXE_ristretto")])
        .args(arguments)
        .current_dir(project.path())
        .env("NO_COLOR", "1")
        .env("RISTRETTO_POLL_INTERVAL", "100ms")
        .stdin(Stdio::null());
    command
}

fn mutating_ecs_calls_during(project: &Project, run: impl FnOnce() -> Output) -> (Output, usize) {
    let before = project.account.request_log().len();
    let output = run();
    let mutations = project.account.request_log()[before..]
        .iter()
        .filter(|request| request.service == "ecs" && !request.readonly)
        .count();
    (output, mutations)
}

/// A runner whose clock is an hour ahead or behind is refused the lock (exit 1) with the
/// measured skew and the bound, changes nothing, and leaves no lock record (before, a clock an
/// hour ahead wrote a lease that blocked the lock for an hour after a crash; one an hour
/// behind wrote a lease that everyone else saw as expired).
#[tokio::test(flavor = "multi_thread")]
async fn a_runner_whose_clock_is_an_hour_off_is_refused_the_lock_and_changes_nothing() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    for (offset, direction) in [("+1h", "ahead of"), ("-1h", "behind")] {
        let (output, mutations) = mutating_ecs_calls_during(&project, || {
            skewed(&project, offset, &["deploy", "--no-wait"])
                .output()
                .unwrap()
        });
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{offset}: {stderr}");
        assert!(
            stderr.contains(
                "refusing the deploy lock ristretto/ap-northeast-1/web/api: this host's clock is"
            ) && stderr.contains(direction)
                && stderr.contains(
                    "the clock of the DynamoDB table locks; a 1m0s lease needs them within 6.5s"
                ),
            "{offset}: {stderr}"
        );
        assert!(
            stderr.contains("hint: synchronize this host's clock"),
            "{stderr}"
        );
        assert_eq!(mutations, 0, "{offset}: nothing changed");
        assert_eq!(lock_items(&project), 0, "{offset}: no lock record left");
    }
    // With a right clock the same deploy goes through.
    project.expect(&["deploy", "--no-wait"], 0);
}

/// The case: a holder is mid-rollout when a runner whose clock is an hour ahead
/// queues for the lock. It used to take the "expired" lease over and deploy at the same time;
/// now it is refused before taking anything, and the holder finishes its deploy.
#[tokio::test(flavor = "multi_thread")]
async fn a_runner_an_hour_ahead_does_not_take_over_a_live_lease() {
    let project = deployed("60s").await;
    slow_rollouts(&project, 30);
    project.write_task_definition("nginx:2");
    let mut holder = project.spawn(&["deploy"]);
    let lines = stderr_lines(&mut holder);
    wait_for_line(&lines, "updated the service");

    project.write_task_definition("nginx:3");
    let output = skewed(&project, "+1h", &["deploy", "--lock-timeout", "30s"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("ahead of the clock of the DynamoDB table"),
        "{stderr}"
    );
    assert!(!stderr.contains("taking over"), "{stderr}");

    assert_eq!(wait_exit(&mut holder), 0, "the holder finishes its deploy");
    let rest: Vec<String> = lines.try_iter().collect();
    assert!(
        rest.iter().all(|line| !line.contains("rolled back")),
        "{rest:#?}"
    );
    assert!(
        project.describe_service()["taskDefinition"]
            .as_str()
            .unwrap()
            .ends_with("/api:2")
    );
    assert_eq!(lock_items(&project), 0);
}
