//! The ecspresso compatibility script: `tests/fixtures/ecspresso-ci/` is an ecspresso project
//! (lookups, an envfile with `export` lines, ext vars, a Fargate service on capacity providers
//! with Service Connect and an EBS volume configuration) and a Makefile shaped like ecspresso's
//! own CI targets. `make ci-test` drives every command through the command line against the
//! emulator — render, register, deploy, a deploy of a new tag, status, revisions, wait, diff,
//! rollback, refresh, deploy --no-update-service, scale 2/0/1, tasks, run (dry run, client
//! token, overrides file, until running, until stopped), delete (dry run, then --force
//! --terminate) — and stops at the first command that does not exit 0. After each deploy,
//! `plan --detailed-exitcode` must exit 0: the deployed service plans no change.

use std::process::Command;

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn the_ecspresso_ci_script_runs_unchanged() {
    let account = support::new_account();
    account.aws_cli_json([
        "ecs",
        "create-cluster",
        "--cluster-name",
        "ecspresso-test",
        "--capacity-providers",
        "FARGATE",
        "FARGATE_SPOT",
    ]);
    account.aws_cli_json([
        "ssm",
        "put-parameter",
        "--name",
        "/ecspresso-test/foo",
        "--type",
        "String",
        "--value",
        "foo-value",
    ]);
    let secret = account.aws_cli_json([
        "secretsmanager",
        "create-secret",
        "--name",
        "ecspresso-test/baz",
        "--secret-string",
        "baz",
    ]);
    account.aws_cli_json([
        "servicediscovery",
        "create-http-namespace",
        "--name",
        "ecspresso-test.local",
    ]);
    account.aws_cli_json([
        "logs",
        "create-log-group",
        "--log-group-name",
        "ecspresso-test",
    ]);
    let network = account.default_network();

    let directory = tempfile::tempdir().unwrap();
    let fixture =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecspresso-ci");
    for entry in std::fs::read_dir(&fixture).unwrap() {
        let entry = entry.unwrap();
        std::fs::copy(entry.path(), directory.path().join(entry.file_name())).unwrap();
    }
    let mut make = Command::new("make");
    account.apply_env(&mut make);
    let output = make
        .args(["--no-print-directory", "ci-test"])
        .arg(format!("RISTRETTO={}", env!("CARGO_BIN_EXE_ristretto")))
        .current_dir(directory.path())
        .env("SUBNET_ID", &network.subnets[0])
        .env("SECURITY_GROUP_ID", &network.security_group)
        .env("AWS_ACCOUNT_ID", &account.id)
        .env("RISTRETTO_POLL_INTERVAL", "100ms")
        .env("NO_COLOR", "1")
        .env_remove("MAKEFLAGS")
        .output()
        .unwrap_or_else(|error| panic!("cannot run make (is it installed?): {error}"));
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        output.status.code(),
        Some(0),
        "make ci-test\nstdout:\n{stdout}\nstderr:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");

    // Every target ran, in the order of the issue, each command echoed by make.
    let commands: Vec<&str> = stdout
        .lines()
        .filter(|line| {
            line.contains(env!("CARGO_BIN_EXE_ristretto")) || line.starts_with("OPTION=")
        })
        .collect();
    let expected = [
        "render config",
        "render servicedef",
        "render taskdef",
        "render task-definition --jsonnet",
        "register --dry-run",
        "register --output",
        "deploy --dry-run",
        "deploy",
        "plan --detailed-exitcode",
        "--envfile envfile.new-tag deploy",
        "--envfile envfile.new-tag plan --detailed-exitcode",
        "status --events 10",
        "revisions",
        "revisions --output tsv",
        "revisions --revision=current",
        "revisions --revision=latest",
        "wait",
        "diff",
        "diff --unified",
        "rollback --deregister-task-definition --dry-run",
        "rollback --deregister-task-definition",
        "refresh --dry-run",
        "refresh",
        "deploy --no-update-service --dry-run",
        "deploy --no-update-service --force-new-deployment",
        "plan --detailed-exitcode",
        "scale --tasks 2 --dry-run",
        "scale --tasks 2",
        "scale --tasks 0 --dry-run",
        "scale --tasks 0",
        "scale --tasks 1",
        "tasks",
        "tasks --output tsv",
        "tasks --output json",
        "tasks --find --filter-command 'head -n 1'",
        "--envfile envfile.override run \\",
        "--envfile envfile.override run \\",
        "--envfile envfile.override run \\",
        "--envfile envfile.override run \\",
        "--envfile envfile.override run \\",
        "delete --dry-run",
        "delete --force --terminate",
    ];
    assert_eq!(commands.len(), expected.len(), "{commands:#?}");
    for (command, ending) in commands.iter().zip(expected) {
        assert!(
            command.ends_with(ending),
            "{command:?} should end with {ending:?}"
        );
    }
    // After each deploy the plan found nothing to change.
    assert_eq!(
        stdout
            .matches("No changes. The live services match the definitions.")
            .count(),
        4,
        "three plans after the deploys, and deploy --no-update-service --dry-run\n{stdout}"
    );
    // The lookups reached the definitions (render taskdef), the envfile's export lines and the
    // ext var the service definition (deploymentController).
    assert!(stdout.contains("\"value\": \"foo-value\""), "{stdout}");
    assert!(stdout.contains(secret["ARN"].as_str().unwrap()), "{stdout}");
    assert!(stdout.contains("\"image\": \"nginx:1.27\""), "{stdout}");
    assert!(stdout.contains("\"type\": \"ECS\""), "{stdout}");
    // The service is gone at the end.
    let services = account.aws_cli_json([
        "ecs",
        "describe-services",
        "--cluster",
        "ecspresso-test",
        "--services",
        "nginx-local",
    ]);
    assert_ne!(services["services"][0]["status"], "ACTIVE", "{services}");
}
