//! Every task definition ristretto renders from the ecspresso fixtures and the examples is
//! accepted by the AWS CLI's own input validation and by the emulator:
//! `aws ecs register-task-definition --cli-input-json file://…` (issue: foundation).

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, TestAccount};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `ristretto render taskdef` in `directory` with `arguments`; every document printed.
fn render(
    account: &TestAccount,
    directory: &Path,
    arguments: &[&str],
    env: &[(&str, &str)],
) -> Vec<Value> {
    let mut command = support::ristretto(account);
    command
        .current_dir(directory)
        .args(arguments)
        .args(["render", "taskdef"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().unwrap();
    assert!(
        output.status.success(),
        "{directory:?} {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

fn register_with_aws_cli(account: &TestAccount, document: &Value, scratch: &Path, name: &str) {
    let file = scratch.join(format!("{name}.json"));
    std::fs::write(&file, document.to_string()).unwrap();
    let output = account.aws_cli([
        "ecs",
        "register-task-definition",
        "--cli-input-json",
        &format!("file://{}", file.display()),
    ]);
    assert!(
        output.status.success(),
        "{name}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn rendered_task_definitions_pass_the_aws_clis_validation() {
    let account = support::new_account();
    let scratch = tempfile::tempdir().unwrap();
    let fixtures = root().join("tests/fixtures/ecspresso");
    let mut registered = 0;

    // The td* spellings and run-test-td.json, through a config that names each one.
    for file in [
        "td.json",
        "td-plain.json",
        "td-in-tags.json",
        "td-plain-in-tags.json",
        "td.jsonnet",
        "run-test-td.json",
    ] {
        let directory = scratch.path().join(file.replace('.', "-"));
        std::fs::create_dir_all(&directory).unwrap();
        std::fs::write(
            directory.join("ristretto.yml"),
            format!(
                "service: test\ntask_definition: {}\n",
                fixtures.join(file).display()
            ),
        )
        .unwrap();
        let documents = render(
            &account,
            &directory,
            &[
                "--ext-str",
                "WorkerID=3",
                "--ext-code",
                "EphemeralStorage=24 + 1",
            ],
            &[],
        );
        register_with_aws_cli(&account, &documents[0], scratch.path(), file);
        registered += 1;
    }

    // The fixtures rendered with the tfstate plugin, as ecspresso's tests run them.
    let workspace = scratch.path().join("workspace");
    std::fs::create_dir_all(&workspace).unwrap();
    std::os::unix::fs::symlink(&fixtures, workspace.join("tests")).unwrap();
    for config in ["tests/ecspresso.yml", "tests/config_multiple_plugins.yaml"] {
        let documents = render(
            &account,
            &workspace,
            &["--config", config],
            &[
                ("TAG", "testing"),
                ("JSON", "{\"foo\":\"bar\"}"),
                ("PWD", workspace.to_str().unwrap()),
            ],
        );
        register_with_aws_cli(
            &account,
            &documents[0],
            scratch.path(),
            &config.replace('/', "-"),
        );
        registered += 1;
    }

    // The examples.
    let quickstart = render(&account, &root().join("examples/quickstart"), &[], &[]);
    register_with_aws_cli(&account, &quickstart[0], scratch.path(), "quickstart");
    registered += 1;
    for environment in ["dev", "staging", "prod"] {
        let documents = render(
            &account,
            &root().join("examples/multi-env"),
            &["--env", environment],
            &[],
        );
        assert_eq!(documents.len(), 2);
        for (index, document) in documents.iter().enumerate() {
            register_with_aws_cli(
                &account,
                document,
                scratch.path(),
                &format!("multi-{environment}-{index}"),
            );
            registered += 1;
        }
    }
    assert_eq!(registered, 15);
}
