//! Tests of the test harness itself: the moto launcher's patches (ECS rollouts, circuit-breaker
//! rollback, Task cpu strings, accounts from access keys, request log) and the launcher's
//! lifecycle. Each test asserts something that breaks if the feature it covers breaks.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use aws_sdk_ecs::types::{DeploymentRolloutState, LaunchType};

use crate::support::{self, describe_service, event_messages, is_steady, new_account};

fn contains(messages: &[String], needle: &str) -> bool {
    messages.iter().any(|m| m.contains(needle))
}

/// (a) UpdateService with a new task definition: PRIMARY + ACTIVE, counts move, events, then
/// one COMPLETED deployment — observed through the real Rust SDK.
#[tokio::test(flavor = "multi_thread")]
async fn rolling_update_goes_from_in_progress_to_completed() {
    let account = new_account();
    let ecs = account.ecs().await;
    account.create_cluster("app").await;
    let td1 = account.register_task_definition("web", "nginx:1.25").await;
    let td2 = account.register_task_definition("web", "nginx:1.26").await;

    let created = account
        .service("app", "web", &td1)
        .desired(2)
        .rollout_steps(3)
        .create()
        .await;
    assert_eq!(created.deployments().len(), 1);
    assert_eq!(
        created.deployments()[0].rollout_state(),
        Some(&DeploymentRolloutState::InProgress)
    );
    assert_eq!(created.running_count(), 0);
    let (steady, describes) = account.wait_steady("app", "web", 10).await;
    assert_eq!(
        describes, 3,
        "the initial deployment completes on the 3rd DescribeServices"
    );
    let first_id = steady.deployments()[0].id().unwrap().to_string();

    // "web:2", not the ARN: ECS (and now moto) store the full ARN.
    let out = ecs
        .update_service()
        .cluster("app")
        .service("web")
        .task_definition("web:2")
        .send()
        .await;
    let updated = out.unwrap().service().cloned().unwrap();
    assert_eq!(updated.task_definition(), Some(td2.as_str()));
    let deps = updated.deployments();
    assert_eq!(deps.len(), 2, "{deps:#?}");
    assert_eq!(deps[0].status(), Some("PRIMARY"));
    assert_eq!(deps[0].task_definition(), Some(td2.as_str()));
    assert_eq!(
        deps[0].rollout_state(),
        Some(&DeploymentRolloutState::InProgress)
    );
    let new_id = deps[0].id().unwrap().to_string();
    assert!(new_id.starts_with("ecs-svc/") && new_id != first_id);
    assert_eq!(deps[1].status(), Some("ACTIVE"));
    assert_eq!(deps[1].id(), Some(first_id.as_str()));
    assert_eq!(deps[1].task_definition(), Some(td1.as_str()));
    assert_eq!(deps[1].running_count(), 2);

    let mut primary_running = Vec::new();
    let mut saw_both_running = false;
    let mut svc = updated;
    for step in 1..=3 {
        svc = describe_service(&ecs, "app", "web").await;
        let deps = svc.deployments();
        primary_running.push(deps[0].running_count());
        if deps.len() == 2 && deps[0].running_count() > 0 && deps[1].running_count() > 0 {
            saw_both_running = true;
        }
        if step < 3 {
            assert_eq!(
                deps.len(),
                2,
                "step {step}: old deployment still there: {deps:#?}"
            );
            assert_eq!(
                deps[0].rollout_state(),
                Some(&DeploymentRolloutState::InProgress)
            );
        }
    }
    assert!(
        saw_both_running,
        "old and new tasks run side by side during the rollout"
    );
    assert!(
        primary_running.windows(2).all(|w| w[0] <= w[1]),
        "{primary_running:?}"
    );
    assert!(is_steady(&svc), "{svc:#?}");
    let primary = &svc.deployments()[0];
    assert_eq!(primary.id(), Some(new_id.as_str()));
    assert_eq!(primary.status(), Some("PRIMARY"));
    assert_eq!(primary.task_definition(), Some(td2.as_str()));
    assert_eq!(
        primary.rollout_state_reason(),
        Some(format!("ECS deployment {new_id} completed.").as_str())
    );
    assert_eq!((svc.running_count(), svc.desired_count()), (2, 2));
    assert_eq!(svc.task_definition(), Some(td2.as_str()));

    let events = event_messages(&svc);
    assert!(
        contains(&events, "(service web) has started 1 tasks: (task "),
        "{events:#?}"
    );
    assert!(
        contains(&events, "(service web) has stopped 1 running tasks: (task "),
        "{events:#?}"
    );
    let completed = format!("(service web) (deployment {new_id}) deployment completed.");
    assert!(events.contains(&completed), "{events:#?}");
    assert_eq!(
        svc.events()[0].message(),
        Some("(service web) has reached a steady state."),
        "newest event first, as in ECS"
    );
    // Steady now: more describes change nothing.
    let again = describe_service(&ecs, "app", "web").await;
    assert_eq!(again.events().len(), svc.events().len());
    assert!(is_steady(&again));
}

/// desiredCount changes keep the deployment and converge over the service's own number of
/// steps (the `ristretto-test:rollout-steps` tag).
#[tokio::test(flavor = "multi_thread")]
async fn desired_count_converges_over_the_tagged_number_of_steps() {
    let account = new_account();
    let ecs = account.ecs().await;
    account.create_cluster("app").await;
    let td = account.register_task_definition("api", "nginx:1.25").await;
    account
        .service("app", "api", &td)
        .desired(1)
        .rollout_steps(5)
        .create()
        .await;
    let (steady, describes) = account.wait_steady("app", "api", 10).await;
    assert_eq!(describes, 5, "tag ristretto-test:rollout-steps=5");
    let id = steady.deployments()[0].id().unwrap().to_string();

    let out = ecs
        .update_service()
        .cluster("app")
        .service("api")
        .desired_count(4)
        .send()
        .await;
    let updated = out.unwrap().service().cloned().unwrap();
    assert_eq!(
        updated.running_count(),
        1,
        "moto's jump to desiredCount is gone"
    );
    assert_eq!(
        updated.deployments().len(),
        1,
        "scaling is not a new deployment"
    );
    let mut running = Vec::new();
    for _ in 0..5 {
        let svc = describe_service(&ecs, "app", "api").await;
        assert_eq!(svc.deployments()[0].id(), Some(id.as_str()));
        running.push(svc.running_count());
    }
    assert_eq!(running.last(), Some(&4));
    assert!(running[..4].iter().all(|&r| r < 4), "{running:?}");
    assert!(running.windows(2).all(|w| w[0] <= w[1]), "{running:?}");
    let svc = describe_service(&ecs, "app", "api").await;
    assert!(is_steady(&svc));
    assert_eq!(
        svc.events()[0].message(),
        Some("(service api) has reached a steady state.")
    );
}

/// (b) An image tagged `fail` makes the deployment FAILED; the circuit breaker rolls back to the
/// previous task definition as a new deployment, which then completes.
#[tokio::test(flavor = "multi_thread")]
async fn failing_deployment_is_rolled_back_by_the_circuit_breaker() {
    let account = new_account();
    let ecs = account.ecs().await;
    account.create_cluster("app").await;
    let good = account.register_task_definition("web", "nginx:1.25").await;
    let bad = account.register_task_definition("web", "nginx:fail").await;
    account
        .service("app", "web", &good)
        .desired(2)
        .circuit_breaker(Some((true, true)))
        .rollout_steps(2)
        .create()
        .await;
    let (steady, _) = account.wait_steady("app", "web", 10).await;
    let good_id = steady.deployments()[0].id().unwrap().to_string();

    let out = ecs
        .update_service()
        .cluster("app")
        .service("web")
        .task_definition(&bad)
        .send()
        .await;
    let updated = out.unwrap().service().cloned().unwrap();
    let bad_id = updated.deployments()[0].id().unwrap().to_string();
    assert_eq!(updated.task_definition(), Some(bad.as_str()));

    let mut saw_failed = false;
    let mut saw_rollback_in_progress = false;
    let mut svc = updated;
    for _ in 0..10 {
        svc = describe_service(&ecs, "app", "web").await;
        for d in svc.deployments() {
            if d.id() == Some(bad_id.as_str())
                && d.rollout_state() == Some(&DeploymentRolloutState::Failed)
            {
                saw_failed = true;
                assert!(
                    d.failed_tasks() >= 3,
                    "circuit breaker threshold is at least 3: {d:#?}"
                );
                assert_eq!(d.running_count(), 0);
                assert_eq!(
                    d.rollout_state_reason(),
                    Some("ECS deployment circuit breaker: tasks failed to start.")
                );
            }
        }
        let primary = &svc.deployments()[0];
        if primary.rollout_state() == Some(&DeploymentRolloutState::InProgress)
            && primary.rollout_state_reason()
                == Some(
                    format!(
                        "ECS deployment circuit breaker: rolling back to deploymentId {good_id}."
                    )
                    .as_str(),
                )
        {
            saw_rollback_in_progress = true;
            assert_eq!(primary.task_definition(), Some(good.as_str()));
        }
        if is_steady(&svc) {
            break;
        }
    }
    assert!(saw_failed, "the :fail deployment went FAILED");
    assert!(
        saw_rollback_in_progress,
        "a rollback deployment was IN_PROGRESS"
    );
    assert!(is_steady(&svc), "the rollback completed: {svc:#?}");
    let primary = &svc.deployments()[0];
    assert_eq!(primary.task_definition(), Some(good.as_str()));
    assert!(primary.id() != Some(good_id.as_str()) && primary.id() != Some(bad_id.as_str()));
    assert_eq!(
        svc.task_definition(),
        Some(good.as_str()),
        "the service is back on the previous task definition"
    );
    assert_eq!(svc.running_count(), 2);

    let events = event_messages(&svc);
    let failed =
        format!("(service web) (deployment {bad_id}) deployment failed: tasks failed to start.");
    let rolling_back = format!("(service web) rolling back to deployment {good_id}.");
    let failed_at = events
        .iter()
        .position(|e| *e == failed)
        .expect("deployment failed event");
    let rollback_at = events
        .iter()
        .position(|e| *e == rolling_back)
        .expect("rolling back event");
    assert!(failed_at < rollback_at, "{events:#?}");
    assert_eq!(
        events.last().map(String::as_str),
        Some("(service web) has reached a steady state.")
    );
}

/// (b') Without rollback the FAILED deployment stays PRIMARY and nothing moves; the old tasks
/// keep serving.
#[tokio::test(flavor = "multi_thread")]
async fn failing_deployment_without_rollback_stays_failed() {
    let account = new_account();
    let ecs = account.ecs().await;
    account.create_cluster("app").await;
    let good = account.register_task_definition("web", "nginx:1.25").await;
    let bad = account
        .register_task_definition("web", "registry.example:5000/team/web:fail")
        .await;
    account
        .service("app", "web", &good)
        .desired(2)
        .circuit_breaker(Some((true, false)))
        .rollout_steps(2)
        .create()
        .await;
    account.wait_steady("app", "web", 10).await;
    ecs.update_service()
        .cluster("app")
        .service("web")
        .task_definition(&bad)
        .send()
        .await
        .unwrap();

    let mut svc = None;
    for _ in 0..8 {
        svc = Some(describe_service(&ecs, "app", "web").await);
    }
    let svc = svc.unwrap();
    let deps = svc.deployments();
    assert_eq!(deps.len(), 2, "{deps:#?}");
    assert_eq!(deps[0].status(), Some("PRIMARY"));
    assert_eq!(deps[0].task_definition(), Some(bad.as_str()));
    assert_eq!(
        deps[0].rollout_state(),
        Some(&DeploymentRolloutState::Failed)
    );
    assert_eq!(deps[1].running_count(), 2, "old tasks keep running");
    assert_eq!(svc.task_definition(), Some(bad.as_str()), "no rollback");
    let events = event_messages(&svc);
    assert_eq!(
        events
            .iter()
            .filter(|e| e.contains("deployment failed"))
            .count(),
        1,
        "{events:#?}"
    );
    assert!(!contains(&events, "rolling back"), "{events:#?}");
}

/// (c) Two accounts used at the same time (as parallel tests do) see only their own clusters and
/// services — through the SDK, and through a subprocess that only has the account's env.
#[tokio::test(flavor = "multi_thread")]
async fn parallel_accounts_are_isolated() {
    async fn run(image: &'static str) -> (support::TestAccount, String) {
        let account = new_account();
        let cluster_arn = account.create_cluster("shared").await;
        let td = account.register_task_definition("web", image).await;
        account
            .service("shared", "web", &td)
            .desired(1)
            .create()
            .await;
        (account, cluster_arn)
    }
    let ((a, a_cluster), (b, b_cluster)) = tokio::join!(run("nginx:a"), run("nginx:b"));
    assert_ne!(a.id, b.id);
    assert!(
        a_cluster.contains(&format!(":{}:cluster/shared", a.id)),
        "{a_cluster}"
    );
    assert!(
        b_cluster.contains(&format!(":{}:cluster/shared", b.id)),
        "{b_cluster}"
    );

    for (me, my_cluster, image) in [(&a, &a_cluster, "nginx:a"), (&b, &b_cluster, "nginx:b")] {
        let ecs = me.ecs().await;
        let clusters = ecs.list_clusters().send().await.unwrap();
        assert_eq!(clusters.cluster_arns(), std::slice::from_ref(my_cluster));
        let services = ecs.list_services().cluster("shared").send().await.unwrap();
        assert_eq!(services.service_arns().len(), 1);
        let svc = describe_service(&ecs, "shared", "web").await;
        let td = ecs
            .describe_task_definition()
            .task_definition(svc.task_definition().unwrap())
            .send()
            .await
            .unwrap();
        let image_seen = td.task_definition().unwrap().container_definitions()[0].image();
        assert_eq!(image_seen, Some(image), "each account sees its own service");

        // A subprocess cannot send moto's account header; the 12-digit access key does it.
        let listed = me.aws_cli_json(["ecs", "list-clusters"]);
        assert_eq!(listed["clusterArns"], serde_json::json!([my_cluster]));
    }
}

/// (d) Killing the launcher's parent with SIGKILL leaves no moto server behind.
#[test]
fn killing_the_parent_leaves_no_moto_server() {
    let script = "python3 \"$0\" --port 0 & echo LAUNCHER=$!; wait";
    let mut parent = Command::new("sh")
        .arg("-c")
        .arg(script)
        .arg(support::launcher_path())
        .env_remove("MOTO_ACCOUNT_ID")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn sh");
    let (tx, rx) = mpsc::channel();
    let stdout = parent.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let (mut launcher_pid, mut port) = (None::<u32>, None::<u16>);
    while launcher_pid.is_none() || port.is_none() {
        let line = rx
            .recv_timeout(Duration::from_secs(90))
            .expect("LAUNCHER= and PORT= lines");
        if let Some(pid) = line.strip_prefix("LAUNCHER=") {
            launcher_pid = pid.trim().parse().ok();
        } else if let Some(p) = line.strip_prefix("PORT=") {
            port = p.trim().parse().ok();
        }
    }
    let (launcher_pid, port) = (launcher_pid.unwrap(), port.unwrap());
    assert_eq!(
        support::moto_api_status(port),
        Some(200),
        "the second server is up"
    );
    assert!(process_alive(launcher_pid));

    parent.kill().expect("SIGKILL the parent"); // Child::kill is SIGKILL
    parent.wait().unwrap();
    let killed = Instant::now();
    while (process_alive(launcher_pid) || support::moto_api_status(port).is_some())
        && killed.elapsed() < Duration::from_secs(5)
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let (alive, answering) = (
        process_alive(launcher_pid),
        support::moto_api_status(port).is_some(),
    );
    if alive {
        // Do not leave it behind even when the test fails.
        let _ = Command::new("kill")
            .args(["-9", &launcher_pid.to_string()])
            .status();
    }
    assert!(
        !alive && !answering,
        "launcher {launcher_pid} still alive={alive} answering={answering} 5 s after its parent died"
    );
    eprintln!(
        "launcher gone {:?} after its parent was killed",
        killed.elapsed()
    );
}

/// Alive = exists and is not a zombie (a zombie waits for its new parent to reap it).
fn process_alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => {
            let state = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().next());
            !matches!(state, Some("Z" | "X"))
        }
        Err(_) => false,
    }
}

/// (e) RunTask / DescribeTasks / StopTask parse in the Rust SDK (moto's numeric
/// `containers[].cpu` broke them), also for a Fargate task definition without container memory.
#[tokio::test(flavor = "multi_thread")]
async fn run_task_and_describe_tasks_parse_in_the_sdk() {
    let account = new_account();
    let ecs = account.ecs().await;
    account.create_cluster("jobs").await;
    let td = account
        .register_task_definition("migrate", "busybox:1.36")
        .await;
    let network = account.default_network();

    let run = ecs
        .run_task()
        .cluster("jobs")
        .task_definition(&td)
        .launch_type(LaunchType::Fargate)
        .network_configuration(network.awsvpc())
        .started_by("ristretto-tests")
        .send()
        .await
        .unwrap_or_else(|e| panic!("RunTask: {e:?}\n{}", support::moto_stderr_tail()));
    let task = &run.tasks()[0];
    let task_arn = task.task_arn().unwrap().to_string();
    assert_eq!(task.containers()[0].cpu(), Some("0"), "cpu is a string");

    let described = ecs
        .describe_tasks()
        .cluster("jobs")
        .tasks(&task_arn)
        .send()
        .await
        .expect("DescribeTasks parses");
    assert_eq!(described.tasks().len(), 1);
    assert_eq!(described.tasks()[0].task_arn(), Some(task_arn.as_str()));
    assert_eq!(described.tasks()[0].containers()[0].name(), Some("app"));

    let stopped = ecs
        .stop_task()
        .cluster("jobs")
        .task(&task_arn)
        .reason("test")
        .send()
        .await
        .expect("StopTask parses");
    assert_eq!(stopped.task().unwrap().last_status(), Some("STOPPED"));
}

/// CreateService keeps what a diff compares (moto drops these at create).
#[tokio::test(flavor = "multi_thread")]
async fn create_service_keeps_its_parameters() {
    use aws_sdk_ecs::types::{DeploymentCircuitBreaker, DeploymentConfiguration};
    let account = new_account();
    let ecs = account.ecs().await;
    account.create_cluster("app").await;
    let td = account.register_task_definition("web", "nginx:1.25").await;
    ecs.create_service()
        .cluster("app")
        .service_name("web")
        .task_definition(&td)
        .desired_count(1)
        .launch_type(LaunchType::Fargate)
        .network_configuration(account.default_network().awsvpc())
        .deployment_configuration(
            DeploymentConfiguration::builder()
                .deployment_circuit_breaker(
                    DeploymentCircuitBreaker::builder()
                        .enable(true)
                        .rollback(true)
                        .build(),
                )
                .maximum_percent(150)
                .build(),
        )
        .enable_execute_command(true)
        .health_check_grace_period_seconds(45)
        .enable_ecs_managed_tags(true)
        .send()
        .await
        .unwrap();
    let plain = account
        .register_task_definition("plain", "nginx:1.25")
        .await;
    account
        .service("app", "plain", &plain)
        .circuit_breaker(None)
        .ec2()
        .create()
        .await;

    let svc = describe_service(&ecs, "app", "web").await;
    let conf = svc
        .deployment_configuration()
        .expect("deploymentConfiguration kept");
    assert_eq!(conf.maximum_percent(), Some(150));
    assert_eq!(
        conf.minimum_healthy_percent(),
        Some(100),
        "ECS fills the default"
    );
    let breaker = conf.deployment_circuit_breaker().unwrap();
    assert!(breaker.enable() && breaker.rollback());
    assert!(svc.enable_execute_command());
    assert_eq!(svc.health_check_grace_period_seconds(), Some(45));
    assert!(svc.enable_ecs_managed_tags());
    assert!(svc.created_at().is_some());

    let svc = describe_service(&ecs, "app", "plain").await;
    let conf = svc
        .deployment_configuration()
        .expect("defaults returned like ECS does");
    assert_eq!(
        (conf.maximum_percent(), conf.minimum_healthy_percent()),
        (Some(200), Some(100))
    );
    assert!(!conf.deployment_circuit_breaker().unwrap().enable());
    assert!(!svc.enable_execute_command());
    assert_eq!(svc.launch_type(), Some(&LaunchType::Ec2));
}

/// The request log records every call of an account (SDK and subprocess), with readonly flags.
#[tokio::test(flavor = "multi_thread")]
async fn request_log_records_calls_per_account() {
    let account = new_account();
    let other = new_account();
    let ecs = account.ecs().await;
    ecs.list_clusters().send().await.unwrap();
    account.create_cluster("logged").await;
    for _ in 0..3 {
        ecs.describe_services()
            .cluster("logged")
            .services("nothing")
            .send()
            .await
            .unwrap();
    }
    other.create_cluster("other").await;
    account.aws_cli_json(["ecs", "describe-clusters", "--clusters", "logged"]);

    let log = account.request_log();
    assert!(
        log.iter()
            .all(|r| r.account == account.id && r.service == "ecs" && r.status == 200),
        "{log:#?}"
    );
    assert_eq!(account.count_calls("DescribeServices"), 3);
    assert_eq!(
        account.count_calls("DescribeClusters"),
        1,
        "the aws CLI subprocess is logged under the account"
    );
    let mutating: Vec<String> = account
        .mutating_requests()
        .into_iter()
        .map(|r| r.operation)
        .collect();
    assert_eq!(mutating, ["CreateCluster"]);
    assert_eq!(other.count_calls("CreateCluster"), 1);
    assert_eq!(other.count_calls("DescribeServices"), 0);
}

/// Without moto the harness fails with one line that says how to install it. (`python3 -S`
/// hides site-packages, which is where moto lives.)
#[test]
fn missing_moto_is_reported_with_the_install_command() {
    match support::start_launcher(&["python3", "-S"], &[]) {
        Err(message) => assert_eq!(message, support::MOTO_MISSING),
        Ok(launched) => {
            launched.kill();
            panic!("moto imported without site-packages?");
        }
    }
}

/// Any other launcher failure is reported with the launcher's stderr.
#[test]
fn launcher_failure_is_reported_with_its_stderr() {
    match support::start_launcher(&["python3"], &["--no-such-flag"]) {
        Err(message) => {
            assert!(message.starts_with("moto launcher exited"), "{message}");
            assert!(
                message.contains("unrecognized arguments: --no-such-flag"),
                "{message}"
            );
        }
        Ok(launched) => {
            launched.kill();
            panic!("the launcher accepted an unknown flag");
        }
    }
}

/// Start-up and per-call cost of the emulator (printed; run with --nocapture to see them).
#[tokio::test(flavor = "multi_thread")]
async fn startup_and_describe_services_latency() {
    let account = new_account();
    let times = support::startup_times();
    assert!(
        times.port_announced <= times.ready && times.ready <= times.warmed,
        "{times:?}"
    );
    let ecs = account.ecs().await;
    account.create_cluster("lat").await;
    let td = account.register_task_definition("web", "nginx:1.25").await;
    account.service("lat", "web", &td).desired(2).create().await;
    describe_service(&ecs, "lat", "web").await; // first call of this client: connection set-up
    let mut samples = Vec::new();
    for _ in 0..50 {
        let t = Instant::now();
        describe_service(&ecs, "lat", "web").await;
        samples.push(t.elapsed());
    }
    samples.sort();
    let median = samples[samples.len() / 2];
    eprintln!(
        "moto start-up: PORT= after {:?}, ready after {:?}, warmed after {:?}; \
         DescribeServices median {:?} (min {:?}, max {:?}) over {} calls",
        times.port_announced,
        times.ready,
        times.warmed,
        median,
        samples[0],
        samples[samples.len() - 1],
        samples.len()
    );
    assert!(
        median < Duration::from_secs(1),
        "DescribeServices median {median:?}"
    );
}
