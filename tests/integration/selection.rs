//! One service selection for every command: on the multi-service example (examples/multi-env,
//! environment dev: services `api` and `worker` on cluster `dev`), each single-service command
//! works on the service `--service NAME` names and leaves the other alone; without `--service`
//! it refuses with the list of names; `lock status` lists every service's lock.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{self, TestAccount};

struct Example {
    account: TestAccount,
    subnet: String,
    directory: PathBuf,
}

impl Example {
    async fn deployed() -> Self {
        let account = support::new_account();
        account.create_cluster("dev").await;
        let subnet = account.default_network().subnets[0].clone();
        let example = Self {
            account,
            subnet,
            directory: Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-env"),
        };
        example.expect(&["lock", "init"], 0, None);
        example.expect(&["deploy"], 0, None);
        example
    }

    /// `ristretto --env dev ARGS`, with IMAGE_TAG when given; returns (stdout, stderr).
    fn expect(&self, arguments: &[&str], code: i32, image_tag: Option<&str>) -> (String, String) {
        let mut command = support::ristretto(&self.account);
        command
            .current_dir(&self.directory)
            .env("SUBNET_ID", &self.subnet)
            .env("NO_COLOR", "1")
            .env_remove("IMAGE_TAG")
            .arg("--env")
            .arg("dev")
            .args(arguments);
        if let Some(tag) = image_tag {
            command.env("IMAGE_TAG", tag);
        }
        let output = command.output().unwrap();
        let (stdout, stderr) = (
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        );
        assert_eq!(
            output.status.code(),
            Some(code),
            "ristretto {arguments:?}\nstdout:\n{stdout}\nstderr:\n{stderr}"
        );
        (stdout, stderr)
    }

    fn service(&self, name: &str) -> Value {
        self.account.aws_cli_json([
            "ecs",
            "describe-services",
            "--cluster",
            "dev",
            "--services",
            name,
        ])["services"][0]
            .clone()
    }

    fn task_definition(&self, name: &str) -> String {
        self.service(name)["taskDefinition"]
            .as_str()
            .unwrap()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned()
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn single_service_commands_refuse_a_multi_service_config_without_service() {
    let example = Example::deployed().await;
    for command in [
        vec!["status"],
        vec!["wait"],
        vec!["revisions"],
        vec!["verify"],
        vec!["run", "--no-wait"],
        vec!["rollback"],
        vec!["scale", "--tasks", "2"],
        vec!["delete", "--force", "--terminate"],
        vec!["lock", "release", "some-id"],
    ] {
        let (_, stderr) = example.expect(&command, 1, None);
        assert!(
            stderr.contains("has 2 services: this command works on one")
                && stderr.contains("hint: choose one with --service NAME: api, worker"),
            "{command:?}: {stderr}"
        );
    }
    let (_, stderr) = example.expect(&["status", "--service", "wroker"], 1, None);
    assert!(
        stderr.contains("--service wroker:") && stderr.contains("did you mean worker?"),
        "{stderr}"
    );
    let (_, stderr) = example.expect(
        &["status", "--service", "api", "--service", "worker"],
        1,
        None,
    );
    assert!(
        stderr.contains("--service is given 2 times (api, worker)"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_commands_work_on_the_selected_service() {
    let example = Example::deployed().await;

    let (stdout, _) = example.expect(
        &["status", "--service", "worker", "--format", "json"],
        0,
        None,
    );
    let status: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(status["service"]["name"], "worker", "{stdout}");

    let (stdout, _) = example.expect(&["wait", "--service", "worker", "--timeout", "1m"], 0, None);
    assert!(stdout.is_empty(), "progress goes to stderr: {stdout}");

    let (stdout, _) = example.expect(
        &["revisions", "--service", "worker", "--output", "json"],
        0,
        None,
    );
    let revisions: Value = serde_json::from_str(&stdout).unwrap();
    let families: Vec<&str> = revisions
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["family"].as_str().unwrap())
        .collect();
    assert_eq!(families, ["worker-dev"], "{stdout}");

    // verify checks the worker's definitions (its image, its log group), not the api's; on the
    // emulator the roles and log groups do not exist, so it reports failures (exit 1).
    let (stdout, _) = example.expect(&["verify", "--service", "worker"], 1, None);
    assert!(stdout.contains("busybox"), "{stdout}");
    assert!(!stdout.contains("nginx"), "{stdout}");

    let (stdout, _) = example.expect(&["lock", "status"], 0, None);
    for service in ["api", "worker"] {
        assert!(
            stdout.contains(&format!("ristretto/ap-northeast-1/dev/{service} (")),
            "{stdout}"
        );
    }
    let (stdout, _) = example.expect(&["lock", "status", "--service", "api"], 0, None);
    assert!(
        stdout.contains("/dev/api") && !stdout.contains("/dev/worker"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn changing_commands_change_only_the_selected_service() {
    let example = Example::deployed().await;
    let api_before = example.task_definition("api");

    // A second revision of the worker only, then back.
    example.expect(&["deploy", "--service", "worker"], 0, Some("1.36"));
    assert_eq!(example.task_definition("worker"), "worker-dev:2");
    example.expect(&["rollback", "--service", "worker"], 0, None);
    assert_eq!(example.task_definition("worker"), "worker-dev:1");
    assert_eq!(example.task_definition("api"), api_before);

    example.expect(&["scale", "--service", "worker", "--tasks", "3"], 0, None);
    assert_eq!(example.service("worker")["desiredCount"], 3);
    assert_eq!(example.service("api")["desiredCount"], 1);

    let (_, stderr) = example.expect(&["run", "--service", "worker", "--no-wait"], 0, None);
    assert!(
        stderr.contains("Started task") && stderr.contains("(worker-dev:"),
        "{stderr}"
    );

    example.expect(
        &["delete", "--service", "worker", "--force", "--terminate"],
        0,
        None,
    );
    assert_eq!(example.service("worker")["status"], "INACTIVE");
    assert_eq!(example.service("api")["status"], "ACTIVE");
}
