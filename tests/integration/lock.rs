//! The deploy lock against the emulator: the conformance suite of `ristretto::lock::conformance`
//! on DynamoDB and on S3 lockfiles (the same properties the memory store passes in the unit
//! tests), the stored layout as the AWS CLI sees it, the `lock init | status | release` commands,
//! and acquire/release latency. Each test has its own account, table and bucket.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use ristretto::aws::lock_dynamodb::{self, DynamoDbLockStore, TtlSetup};
use ristretto::aws::lock_s3::{self, S3Location, S3LockStore};
use ristretto::lock::conformance::{self, Subject};
use ristretto::lock::{LockError, LockInfo, LockStore, Locker};

use crate::support::{self, TestAccount, new_account};

/// Short, so that renewals (every lease/3) happen within a test.
const LEASE: Duration = Duration::from_secs(2);

async fn dynamodb_store(account: &TestAccount) -> (Arc<dyn LockStore>, String) {
    let config = account.sdk_config().await;
    let table = account.unique_name("locks");
    lock_dynamodb::create_table(&config, &table)
        .await
        .unwrap_or_else(|error| panic!("create_table {table}: {error}"));
    (
        Arc::new(DynamoDbLockStore::from_config(&config, table.clone())),
        table,
    )
}

async fn create_bucket(account: &TestAccount) -> String {
    let client = lock_s3::client(&account.sdk_config().await);
    // Bucket names are global across moto accounts, as on AWS.
    let bucket = account.unique_name("ristretto-locks");
    client
        .create_bucket()
        .bucket(&bucket)
        .create_bucket_configuration(
            CreateBucketConfiguration::builder()
                .location_constraint(BucketLocationConstraint::from(support::REGION))
                .build(),
        )
        .send()
        .await
        .unwrap_or_else(|error| panic!("CreateBucket {bucket}: {error:?}"));
    bucket
}

async fn s3_store(account: &TestAccount) -> (Arc<dyn LockStore>, S3Location) {
    let bucket = create_bucket(account).await;
    let location = S3Location {
        bucket,
        prefix: "locks".to_owned(),
    };
    let client = lock_s3::client(&account.sdk_config().await);
    (
        Arc::new(S3LockStore::new(client, location.clone())),
        location,
    )
}

async fn dynamodb_subject(account: &TestAccount) -> Subject {
    Subject::new(dynamodb_store(account).await.0, LEASE)
}

async fn s3_subject(account: &TestAccount) -> Subject {
    Subject::new(s3_store(account).await.0, LEASE)
}

macro_rules! conformance_on {
    ($module:ident, $subject:ident: $($property:ident),* $(,)?) => {
        mod $module {
            use super::*;
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $property() {
                    let account = new_account();
                    conformance::$property(&$subject(&account).await).await;
                }
            )*
        }
    };
}

conformance_on!(dynamodb_conformance, dynamodb_subject:
    contenders_exactly_one_wins,
    release_by_non_owner_fails,
    expired_lease_is_taken_over_with_a_higher_fence,
    renewal_after_takeover_fails,
    release_deletes_the_record,
    acquire_waits_for_a_release,
    timeout_reports_the_holder,
    renewal_keeps_the_lock_past_its_lease,
    many_acquirers_exactly_one_wins,
    a_skewed_clock_takes_no_lease,
);

conformance_on!(s3_conformance, s3_subject:
    contenders_exactly_one_wins,
    release_by_non_owner_fails,
    expired_lease_is_taken_over_with_a_higher_fence,
    renewal_after_takeover_fails,
    release_deletes_the_record,
    acquire_waits_for_a_release,
    timeout_reports_the_holder,
    renewal_keeps_the_lock_past_its_lease,
    many_acquirers_exactly_one_wins,
    a_skewed_clock_takes_no_lease,
);

fn info(plan_id: &str) -> LockInfo {
    let mut info = LockInfo::current("apply", Some(plan_id.to_owned()));
    info.run_url = Some("https://github.com/acme/api/actions/runs/4242".to_owned());
    info
}

/// `lock init`'s table, as the AWS CLI describes it; and a second init is fine.
#[tokio::test(flavor = "multi_thread")]
async fn create_table_makes_an_on_demand_table_with_ttl_and_is_idempotent() {
    let account = new_account();
    let config = account.sdk_config().await;
    let table = account.unique_name("locks");
    let first = lock_dynamodb::create_table(&config, &table).await.unwrap();
    assert!(first.created);
    assert_eq!(first.ttl, TtlSetup::Enabled);
    let second = lock_dynamodb::create_table(&config, &table).await.unwrap();
    assert!(!second.created);
    assert_eq!(second.ttl, TtlSetup::AlreadyEnabled);

    let described = account.aws_cli_json(["dynamodb", "describe-table", "--table-name", &table]);
    let description = &described["Table"];
    assert_eq!(
        description["BillingModeSummary"]["BillingMode"],
        "PAY_PER_REQUEST"
    );
    assert_eq!(
        description["KeySchema"],
        serde_json::json!([{"AttributeName": "LockID", "KeyType": "HASH"}])
    );
    assert_eq!(
        description["AttributeDefinitions"],
        serde_json::json!([{"AttributeName": "LockID", "AttributeType": "S"}])
    );
    let ttl = account.aws_cli_json(["dynamodb", "describe-time-to-live", "--table-name", &table]);
    assert_eq!(
        ttl["TimeToLiveDescription"],
        serde_json::json!({"TimeToLiveStatus": "ENABLED", "AttributeName": "ExpiresAt"})
    );
}

/// A table with another key would make every lock write fail: init says so instead.
#[tokio::test(flavor = "multi_thread")]
async fn create_table_refuses_a_table_with_another_key() {
    let account = new_account();
    let config = account.sdk_config().await;
    let table = account.unique_name("tf-locks");
    account.aws_cli_json([
        "dynamodb",
        "create-table",
        "--table-name",
        &table,
        "--attribute-definitions",
        "AttributeName=id,AttributeType=S",
        "--key-schema",
        "AttributeName=id,KeyType=HASH",
        "--billing-mode",
        "PAY_PER_REQUEST",
    ]);
    let error = lock_dynamodb::create_table(&config, &table)
        .await
        .unwrap_err();
    assert!(
        error
            .to_string()
            .contains("needs exactly the hash key LockID"),
        "{error}"
    );
}

/// The DynamoDB item has ARCHITECTURE.md §6's layout, read by an independent client; a crashed
/// holder's item (past `ExpiresAt`, which moto's TTL never removes) is taken over with Fence+1.
#[tokio::test(flavor = "multi_thread")]
async fn dynamodb_item_layout_and_takeover_of_a_crashed_holder() {
    let account = new_account();
    let (store, table) = dynamodb_store(&account).await;
    let lock_id = "ristretto/ap-northeast-1/web/api";
    let crashed_info = serde_json::to_string(&info("plan-crashed")).unwrap();
    let item = serde_json::json!({
        "LockID": {"S": lock_id},
        "Owner": {"S": "crashed-runner"},
        "Info": {"S": crashed_info},
        "ExpiresAt": {"N": "1700000000"},
        "Fence": {"N": "41"},
    });
    account.aws_cli_json([
        "dynamodb",
        "put-item",
        "--table-name",
        &table,
        "--item",
        &item.to_string(),
    ]);

    let guard = Locker::new(store)
        .acquire(lock_id, info("plan-7"), LEASE, Duration::ZERO)
        .await
        .unwrap();
    assert_eq!(guard.fence(), 42);

    let key = serde_json::json!({"LockID": {"S": lock_id}}).to_string();
    let read = account.aws_cli_json([
        "dynamodb",
        "get-item",
        "--table-name",
        &table,
        "--key",
        &key,
        "--consistent-read",
    ]);
    let item = &read["Item"];
    assert_eq!(item["LockID"]["S"], lock_id);
    assert_eq!(item["Owner"]["S"], guard.owner());
    assert_eq!(item["Fence"]["N"], "42");
    let expires_at: i64 = item["ExpiresAt"]["N"].as_str().unwrap().parse().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    assert!(
        (now..=now + 3).contains(&expires_at),
        "{expires_at} vs {now}"
    );
    let stored_info: serde_json::Value =
        serde_json::from_str(item["Info"]["S"].as_str().unwrap()).unwrap();
    assert_eq!(stored_info["id"], guard.info().id.as_str());
    assert_eq!(stored_info["operation"], "apply");
    assert_eq!(stored_info["plan_id"], "plan-7");
    assert_eq!(
        stored_info["run_url"],
        "https://github.com/acme/api/actions/runs/4242"
    );
    guard.release().await.unwrap();
    let after = account.aws_cli_json([
        "dynamodb",
        "get-item",
        "--table-name",
        &table,
        "--key",
        &key,
        "--consistent-read",
    ]);
    assert!(after.get("Item").is_none(), "{after}");
}

/// The S3 lockfile is `<prefix>/<lock_id>.lock`, JSON with the same fields as the DynamoDB item.
#[tokio::test(flavor = "multi_thread")]
async fn s3_lockfile_layout() {
    let account = new_account();
    let (store, location) = s3_store(&account).await;
    let lock_id = "ristretto/ap-northeast-1/web/api";
    let guard = Locker::new(store)
        .acquire(lock_id, info("plan-7"), LEASE, Duration::ZERO)
        .await
        .unwrap();
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("lock.json");
    account.aws_cli_json([
        "s3api",
        "get-object",
        "--bucket",
        &location.bucket,
        "--key",
        "locks/ristretto/ap-northeast-1/web/api.lock",
        file.to_str().unwrap(),
    ]);
    let object: serde_json::Value = serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(object["LockID"], lock_id);
    assert_eq!(object["Owner"], guard.owner());
    assert_eq!(object["Fence"], 1);
    assert!(object["ExpiresAt"].is_i64());
    assert_eq!(object["Info"]["id"], guard.info().id.as_str());
    assert_eq!(object["Info"]["plan_id"], "plan-7");
    guard.release().await.unwrap();
    let listed = account.aws_cli_json(["s3api", "list-objects-v2", "--bucket", &location.bucket]);
    assert!(
        listed.get("Contents").is_none(),
        "released: no object left: {listed}"
    );
}

/// A bucket that does not exist is a backend error, not "no lock".
#[tokio::test(flavor = "multi_thread")]
async fn s3_missing_bucket_is_an_error() {
    let account = new_account();
    let client = lock_s3::client(&account.sdk_config().await);
    let store = S3LockStore::new(
        client.clone(),
        S3Location {
            bucket: account.unique_name("no-such-bucket"),
            prefix: String::new(),
        },
    );
    let error = store.read("ristretto/r/c/s").await.unwrap_err();
    assert!(
        matches!(error, LockError::Backend(ref message) if message.contains("NoSuchBucket")),
        "{error}"
    );
    assert!(
        lock_s3::check_bucket(&client, &account.unique_name("no-such-bucket"))
            .await
            .is_err()
    );
}

fn project(backend: &str) -> tempfile::TempDir {
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("ristretto.yml"),
        format!(
            "region: {}\ncluster: web\nservice: api\nlock:\n  {backend}\n  lease: 2s\n",
            support::REGION
        ),
    )
    .unwrap();
    directory
}

fn run(
    account: &TestAccount,
    directory: &tempfile::TempDir,
    args: &[&str],
) -> (i32, String, String) {
    let output = support::ristretto(account)
        .current_dir(directory.path())
        .args(args)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// `lock init`, `lock status` (free, then held: who, operation, plan, run URL, ID on stdout),
/// `lock release` with a wrong ID (refused, the lock stays) and with the right one.
#[tokio::test(flavor = "multi_thread")]
async fn lock_commands_on_dynamodb() {
    let account = new_account();
    let table = account.unique_name("locks");
    let directory = project(&format!("dynamodb_table: {table}"));

    let (code, _, stderr) = run(&account, &directory, &["lock", "status"]);
    assert_eq!(code, 1, "no table yet: {stderr}");
    assert!(stderr.contains("ResourceNotFoundException"), "{stderr}");
    assert!(
        stderr.contains("hint: create the lock table with `ristretto lock init`"),
        "{stderr}"
    );

    let (code, _, stderr) = run(&account, &directory, &["lock", "init"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(&format!("created DynamoDB table {table}")),
        "{stderr}"
    );
    assert!(stderr.contains("enabled TTL on ExpiresAt"), "{stderr}");
    let (code, _, stderr) = run(&account, &directory, &["lock", "init"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");

    let lock_id = "ristretto/ap-northeast-1/web/api";
    let (code, stdout, stderr) = run(&account, &directory, &["lock", "status"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(
        stdout,
        format!("{lock_id} (DynamoDB table {table}): not locked\n")
    );

    let client = aws_sdk_dynamodb::Client::new(&account.sdk_config().await);
    let store: Arc<dyn LockStore> = Arc::new(DynamoDbLockStore::new(client, table.clone()));
    let guard = Locker::new(Arc::clone(&store))
        .acquire(lock_id, info("plan-9"), LEASE, Duration::ZERO)
        .await
        .unwrap();
    let id = guard.info().id.clone();
    let (code, stdout, stderr) = run(&account, &directory, &["lock", "status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.starts_with(&format!("{lock_id} (DynamoDB table {table}): locked\n")));
    for expected in [
        format!("ID:        {id}"),
        format!("Who:       {}", guard.info().who),
        "Operation: apply".to_owned(),
        "Plan:      plan-9".to_owned(),
        "Run:       https://github.com/acme/api/actions/runs/4242".to_owned(),
        "Fence:     1".to_owned(),
    ] {
        assert!(
            stdout.contains(&expected),
            "{expected:?} missing in\n{stdout}"
        );
    }

    let (code, _, stderr) = run(&account, &directory, &["lock", "release", "not-the-id"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&format!("has ID {id}, not not-the-id")),
        "{stderr}"
    );
    assert!(stderr.contains(&format!("lock release {id}")), "{stderr}");
    guard.check_valid().unwrap();

    let (code, _, stderr) = run(&account, &directory, &["lock", "release", &id]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains(&format!("released {lock_id}")), "{stderr}");
    assert!(stderr.contains("its lease had not expired"), "{stderr}");
    assert_eq!(store.read(lock_id).await.unwrap(), None);
    // The force-released holder stops at its next renewal.
    let lost = tokio::time::timeout(LEASE * 2, guard.lease().lost())
        .await
        .unwrap();
    assert!(
        lost.to_string().contains("removed by someone else"),
        "{lost}"
    );

    let (code, _, stderr) = run(&account, &directory, &["lock", "release", &id]);
    assert_eq!(code, 1);
    assert!(stderr.contains("is not held by anyone"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn lock_commands_on_s3() {
    let account = new_account();
    let bucket = create_bucket(&account).await;
    let directory = project(&format!("s3: s3://{bucket}/deploy-locks/"));
    let (code, _, stderr) = run(&account, &directory, &["lock", "init"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stderr.contains("needs no setup"), "{stderr}");

    let lock_id = "ristretto/ap-northeast-1/web/api";
    let location = S3Location::parse(&format!("s3://{bucket}/deploy-locks/")).unwrap();
    let client = lock_s3::client(&account.sdk_config().await);
    let store: Arc<dyn LockStore> = Arc::new(S3LockStore::new(client, location));
    let guard = Locker::new(Arc::clone(&store))
        .acquire(lock_id, info("plan-3"), LEASE, Duration::ZERO)
        .await
        .unwrap();
    let (code, stdout, stderr) = run(&account, &directory, &["lock", "status"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("): locked\n"), "{stdout}");
    assert!(stdout.contains("Plan:      plan-3"), "{stdout}");

    let id = guard.info().id.clone();
    let (code, _, stderr) = run(&account, &directory, &["lock", "release", &id]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(store.read(lock_id).await.unwrap(), None);
    drop(guard);
}

/// Without a lock section, the lock commands use the default table, the one apply and deploy
/// use (and create on first use): `lock init` creates it.
#[test]
fn without_a_lock_section_the_default_table_is_used() {
    let account = new_account();
    let directory = tempfile::tempdir().unwrap();
    std::fs::write(
        directory.path().join("ristretto.yml"),
        "region: ap-northeast-1\ncluster: web\nservice: api\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&account, &directory, &["lock", "init"]);
    assert_eq!(code, 0, "{stderr}");
    let table = account.aws_cli_json([
        "dynamodb",
        "describe-table",
        "--table-name",
        "ristretto-locks",
    ]);
    assert_eq!(table["Table"]["KeySchema"][0]["AttributeName"], "LockID");
    let (code, _, stderr) = run(&account, &directory, &["lock", "status"]);
    assert_eq!(code, 0, "{stderr}");
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

async fn measure(store: Arc<dyn LockStore>) -> (Duration, Duration) {
    const ROUNDS: usize = 21;
    let locker = Locker::new(store);
    let (mut acquires, mut releases) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        let started = Instant::now();
        let guard = locker
            .acquire(
                "ristretto/ap-northeast-1/web/latency",
                info(&format!("plan-{round}")),
                Duration::from_secs(60),
                Duration::ZERO,
            )
            .await
            .unwrap();
        acquires.push(started.elapsed());
        let started = Instant::now();
        guard.release().await.unwrap();
        releases.push(started.elapsed());
    }
    (median(acquires), median(releases))
}

/// Median acquire and release time over 21 rounds (printed with `--nocapture`); generous
/// bounds, only to catch a regression such as an accidental sleep in the path.
#[tokio::test(flavor = "multi_thread")]
async fn acquire_and_release_latency() {
    let account = new_account();
    let (dynamodb, _) = dynamodb_store(&account).await;
    let (s3, _) = s3_store(&account).await;
    for (name, store) in [("DynamoDB", dynamodb), ("S3", s3)] {
        let (acquire, release) = measure(store).await;
        eprintln!(
            "lock latency on moto, {name}: acquire median {acquire:?}, release median {release:?}"
        );
        assert!(
            acquire < Duration::from_millis(500),
            "{name} acquire {acquire:?}"
        );
        assert!(
            release < Duration::from_millis(500),
            "{name} release {release:?}"
        );
    }
}
