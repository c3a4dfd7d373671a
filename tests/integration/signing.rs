//! The reviewed plan and nothing else (issue 16 "Broken promises" §4), on the emulator through
//! the command line. A plan's digest is unkeyed: whoever can write the file can change the image
//! and recompute it, and `show` and a plain `apply` accept the result. `apply --expect-digest`
//! applies only the plan whose digest was reviewed; with `plan_signing` in the config, `plan -o`
//! signs the digest with KMS and `apply` verifies the signature before it does anything else.

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::apply::deployed;
use crate::fixtures::Project;

fn read_plan(project: &Project, name: &str) -> Value {
    serde_json::from_slice(&std::fs::read(project.file(name)).unwrap()).unwrap()
}

/// The attack: another image in the plan, and the digest computed again the way ristretto
/// does (SHA-256 of the canonical JSON of every member but `digest` and `signature`).
fn forge(project: &Project, name: &str, image: &str) -> Value {
    let mut plan = read_plan(project, name);
    plan["services"][0]["desired"]["task_definition"]["containerDefinitions"][0]["image"] =
        Value::from(image);
    let mut digested = plan.clone();
    let members = digested.as_object_mut().unwrap();
    members.remove("digest");
    members.remove("signature");
    plan["digest"] = Value::from(format!(
        "{:x}",
        Sha256::digest(digested.to_string().as_bytes())
    ));
    project.write_json(name, &plan);
    plan
}

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

/// Runs `arguments`, asserting the exit code; returns stderr and the operations sent.
fn run_counting(project: &Project, arguments: &[&str], code: i32) -> (String, Vec<String>) {
    let before = project.account.request_log().len();
    let (_, stderr) = project.expect(arguments, code);
    let calls = project.account.request_log()[before..]
        .iter()
        .map(|request| request.operation.clone())
        .collect();
    (stderr, calls)
}

#[tokio::test(flavor = "multi_thread")]
async fn expect_digest_applies_only_the_reviewed_plan() {
    let project = deployed("60s").await;
    project.write_task_definition("nginx:2");
    project.expect(&["plan", "-o", "plan.json"], 0);
    let reviewed = read_plan(&project, "plan.json")["digest"]
        .as_str()
        .unwrap()
        .to_owned();

    // The file is replaced by a forged plan whose digest checks out: `show` accepts it (and
    // `apply` without --expect-digest would) ...
    forge(&project, "plan.json", "attacker/miner:1");
    project.expect(&["show", "plan.json"], 0);
    // ... `apply` pinned to the reviewed digest does not, and sends nothing at all.
    let (stderr, calls) = run_counting(
        &project,
        &["apply", "plan.json", "--expect-digest", &reviewed],
        4,
    );
    assert!(stderr.contains("not the reviewed"), "{stderr}");
    assert_eq!(calls, Vec::<String>::new());
    assert_eq!(running_image(&project), "nginx:1");

    // Only the whole digest is accepted: a 12-digit prefix could be matched by a search.
    let (_, stderr) = project.expect(
        &["apply", "plan.json", "--expect-digest", &reviewed[..12]],
        1,
    );
    assert!(stderr.contains("64 hex digits"), "{stderr}");

    // The reviewed plan goes through.
    project.expect(&["plan", "-o", "plan.json"], 0);
    let digest = read_plan(&project, "plan.json")["digest"]
        .as_str()
        .unwrap()
        .to_uppercase();
    project.expect(
        &[
            "apply",
            "plan.json",
            "--expect-digest",
            &digest,
            "--no-wait",
        ],
        0,
    );
    assert_eq!(running_image(&project), "nginx:2");
}

/// A SIGN_VERIFY key on the emulator's KMS, with an alias; returns the alias.
fn signing_key(project: &Project, alias: &str) -> String {
    let key = project.account.aws_cli_json([
        "kms",
        "create-key",
        "--key-usage",
        "SIGN_VERIFY",
        "--key-spec",
        "ECC_NIST_P256",
    ]);
    let key_id = key["KeyMetadata"]["KeyId"].as_str().unwrap().to_owned();
    let alias = format!("alias/{alias}");
    let created = project.account.aws_cli([
        "kms",
        "create-alias",
        "--alias-name",
        &alias,
        "--target-key-id",
        &key_id,
    ]);
    assert!(created.status.success(), "{created:?}");
    alias
}

fn signing_config(key: &str) -> String {
    format!("lock:\n  dynamodb_table: locks\n  lease: 60s\nplan_signing:\n  kms_key_id: {key}\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_signed_plan_applies_and_a_forged_or_unsigned_one_is_refused_before_anything_else() {
    let project = deployed("60s").await;
    let key = signing_key(&project, "ristretto-plans");
    let other_key = signing_key(&project, "someone-else");

    // Unsigned: planned before the config asked for signatures.
    project.write_task_definition("nginx:2");
    project.expect(&["plan", "-o", "unsigned.json"], 0);
    // Signed with another key.
    project.write_config(&signing_config(&other_key));
    project.expect(&["plan", "-o", "other.json"], 0);
    // Signed with the config's key.
    project.write_config(&signing_config(&key));
    let (_, calls) = run_counting(&project, &["plan", "-o", "plan.json"], 0);
    assert_eq!(
        calls.iter().filter(|call| *call == "Sign").count(),
        1,
        "{calls:?}"
    );
    let signed = read_plan(&project, "plan.json");
    let signature = &signed["signature"];
    assert!(
        signature["kms_key_id"]
            .as_str()
            .unwrap()
            .starts_with("arn:aws:kms:ap-northeast-1:"),
        "{signature}"
    );
    assert_eq!(signature["signing_algorithm"], "ECDSA_SHA_256");
    let schema: Value = serde_json::from_str(include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/schemas/plan.schema.json"
    )))
    .unwrap();
    assert!(
        jsonschema::validator_for(&schema)
            .unwrap()
            .is_valid(&signed),
        "a signed plan fits the plan schema"
    );
    std::fs::copy(project.file("plan.json"), project.file("forged.json")).unwrap();
    forge(&project, "forged.json", "attacker/miner:1");
    project.expect(&["show", "forged.json"], 0);

    // Refused with exit 4, after the one Verify call: no lock taken, nothing read or changed.
    for (file, expected, expected_calls) in [
        (
            "forged.json",
            "does not verify with KMS key",
            vec!["Verify"],
        ),
        ("other.json", "does not verify with KMS key", vec!["Verify"]),
        ("unsigned.json", "the plan is not signed", vec![]),
    ] {
        let (stderr, calls) = run_counting(&project, &["apply", file], 4);
        assert!(stderr.contains(expected), "{file}: {stderr}");
        assert_eq!(calls, expected_calls, "{file}");
    }
    assert_eq!(running_image(&project), "nginx:1");

    // The genuine plan: verified, then applied as any plan file (7 calls after the Verify).
    let (_, calls) = run_counting(&project, &["apply", "plan.json", "--no-wait"], 0);
    assert_eq!(
        calls.first().map(String::as_str),
        Some("Verify"),
        "{calls:?}"
    );
    assert_eq!(calls.len(), 8, "{calls:?}");
    assert_eq!(running_image(&project), "nginx:2");
}
