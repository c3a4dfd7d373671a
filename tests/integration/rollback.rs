//! The commands that change a service outside a definition file — `rollback`, `scale`,
//! `delete` — against the emulator: each goes through the deploy lock (exit 3 while another
//! runner holds it), rollback and scale through a sealed plan like `apply`.

use std::sync::Arc;
use std::time::Duration;

use ristretto::aws::lock_dynamodb::{self, DynamoDbLockStore};
use ristretto::lock::{LockGuard, LockInfo, Locker};

use crate::fixtures::Project;
use crate::support::{self, TestAccount};

fn running_revision(project: &Project) -> String {
    let service = project.describe_service();
    let arn = service["taskDefinition"].as_str().unwrap().to_owned();
    arn.rsplit('/').next().unwrap().to_owned()
}

/// Holds the service's deploy lock in the default table, as another runner would.
async fn hold_lock(account: &TestAccount) -> LockGuard {
    let config = account.sdk_config().await;
    lock_dynamodb::create_table(&config, "ristretto-locks")
        .await
        .unwrap();
    let store = Arc::new(DynamoDbLockStore::from_config(&config, "ristretto-locks"));
    Locker::new(store)
        .acquire(
            &ristretto::lock::lock_id(support::REGION, "web", "api"),
            LockInfo::current("deploy", Some("plan-of-another-runner".into())),
            Duration::from_secs(60),
            Duration::ZERO,
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_after_two_deploys_returns_to_the_first_revision() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    project.write_task_definition("nginx:2");
    project.expect(&["deploy"], 0);
    assert_eq!(running_revision(&project), "api:2");

    let (plan, _) = project.expect(&["rollback", "--dry-run"], 0);
    assert!(plan.contains("nginx:1"), "{plan}");
    assert_eq!(
        running_revision(&project),
        "api:2",
        "dry run changes nothing"
    );

    let (_, stderr) = project.expect(&["rollback", "--deregister-task-definition"], 0);
    assert!(stderr.contains("Rolling back web/api"), "{stderr}");
    assert!(stderr.contains("Acquired the deploy lock"), "{stderr}");
    assert!(stderr.contains("Deregistered api:2."), "{stderr}");
    assert_eq!(running_revision(&project), "api:1");
    let service = project.describe_service();
    assert_eq!(service["deployments"].as_array().unwrap().len(), 1);
    assert_eq!(service["deployments"][0]["rolloutState"], "COMPLETED");
    assert_eq!(
        service["desiredCount"], 2,
        "only the task definition changed"
    );
    let revisions = project.task_definition_revisions();
    assert_eq!(revisions.len(), 1, "api:2 was deregistered: {revisions:?}");

    // Nothing older than api:1 is left.
    let (_, stderr) = project.expect(&["rollback"], 1);
    assert!(
        stderr.contains("nothing to roll back to: api has no ACTIVE revision older than api:1"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn rollback_and_scale_refuse_while_another_runner_holds_the_lock() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    project.write_task_definition("nginx:2");
    project.expect(&["deploy"], 0);

    let guard = hold_lock(&account).await;
    let before = account.mutating_requests().len();
    let (_, stderr) = project.expect(&["rollback"], 3);
    assert!(
        stderr.contains("plan-of-another-runner") || stderr.contains("deploy"),
        "{stderr}"
    );
    project.expect(&["scale", "--tasks", "1"], 3);
    project.expect(&["delete", "--force", "--terminate"], 3);
    let ecs_changes: Vec<String> = account.mutating_requests()[before..]
        .iter()
        .filter(|request| request.service == "ecs")
        .map(|request| request.operation.clone())
        .collect();
    assert!(ecs_changes.is_empty(), "{ecs_changes:?}");
    assert_eq!(running_revision(&project), "api:2");
    guard.release().await.unwrap();

    project.expect(&["rollback"], 0);
    assert_eq!(running_revision(&project), "api:1");
}

#[tokio::test(flavor = "multi_thread")]
async fn scale_changes_only_the_desired_count() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);
    // Drift in the files must not be carried along by a scale.
    project.write_task_definition("nginx:9");

    let (plan, _) = project.expect(&["scale", "--tasks", "5", "--dry-run"], 0);
    assert!(plan.contains("desiredCount"), "{plan}");
    assert!(!plan.contains("nginx:9"), "{plan}");
    assert_eq!(project.describe_service()["desiredCount"], 2);

    project.expect(&["scale", "--tasks", "5"], 0);
    let service = project.describe_service();
    assert_eq!(service["desiredCount"], 5);
    assert_eq!(service["runningCount"], 5);
    assert_eq!(running_revision(&project), "api:1");
    assert_eq!(project.task_definition_revisions().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn delete_asks_unless_forced_and_needs_terminate_for_running_tasks() {
    let account = support::new_account();
    let project = Project::new(&account).await;
    project.expect(&["deploy"], 0);

    // No terminal to ask on: refused, nothing deleted.
    let (_, stderr) = project.expect(&["delete", "--terminate"], 1);
    assert!(stderr.contains("confirmation is needed"), "{stderr}");
    assert!(stderr.contains("--force"), "{stderr}");
    let (_, stderr) = project.expect(&["delete", "--force"], 1);
    assert!(stderr.contains("still has 2 desired task(s)"), "{stderr}");
    assert!(stderr.contains("--terminate"), "{stderr}");
    let (_, stderr) = project.expect(&["delete", "--force", "--terminate", "--dry-run"], 0);
    assert!(stderr.contains("Would delete web/api"), "{stderr}");
    assert_eq!(project.describe_service()["status"], "ACTIVE");

    let (_, stderr) = project.expect(&["delete", "--force", "--terminate"], 0);
    assert!(stderr.contains("Acquired the deploy lock"), "{stderr}");
    assert!(stderr.contains("Deleted web/api"), "{stderr}");
    assert_eq!(project.describe_service()["status"], "INACTIVE");
}
