//! The config's `plugins:` through the command line, offline: the external plugin (values in
//! templates and Jsonnet, failures, timeouts, bad JSON), tfstate states at `file://` URLs and
//! `optional: true`, locations that are not supported yet, and the errors for an unknown plugin
//! and a duplicate one. The AWS-backed ones (cloudformation, tfstate over HTTPS and S3) are in
//! `tests/integration/plugins.rs`. Messages a person reads are snapshot-tested.

use std::path::Path;
use std::process::{Command, Output};

struct Project {
    directory: tempfile::TempDir,
}

impl Project {
    fn new(files: &[(&str, &str)]) -> Self {
        let directory = tempfile::tempdir().unwrap();
        for (name, content) in files {
            let path = directory.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, content).unwrap();
        }
        Self { directory }
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.directory.path().join(name)
    }

    fn write(&self, name: &str, content: &str) {
        std::fs::write(self.path(name), content).unwrap();
    }

    fn run(&self, arguments: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_ristretto"))
            .args(arguments)
            .current_dir(self.directory.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "1")
            .output()
            .unwrap()
    }
}

/// Asserts the run succeeded and returns the JSON documents it printed.
fn documents(output: &Output) -> Vec<serde_json::Value> {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// Asserts the run failed cleanly with exit code 1 and returns its stderr.
fn failure(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(output.stdout.is_empty(), "nothing on stdout");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

const SERVICE: &str = "{ desiredCount: 1 }";

fn task_using(image: &str) -> String {
    format!(
        r#"{{"family": "api", "containerDefinitions": [{{"name": "app", "image": "{image}"}}]}}"#
    )
}

#[test]
fn external_plugin_values_reach_templates_and_jsonnet_once_per_distinct_call() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
             service_definition: sv.jsonnet\nplugins:\n\
             \x20 - name: external\n    config:\n      name: image_tag\n\
             \x20     command: [sh, scripts/tag.sh]\n      parser: string\n\
             \x20 - name: external\n    func_prefix: infra_\n    config:\n      name: lookup\n\
             \x20     command: [sh, scripts/lookup.sh, --json]\n      num_args: 1\n      timeout: 10s\n",
        ),
        ("scripts/tag.sh", "echo \"v$1-$2\"\n"),
        (
            "scripts/lookup.sh",
            "echo \"$2\" >> calls.log\nprintf '{\"subnet\": \"subnet-%s\", \"count\": 2, \"flag\": \"%s\"}' \"$2\" \"$1\"\n",
        ),
        (
            "td.json",
            r#"{"family": "api", "containerDefinitions": [{"name": "app",
                "image": "nginx:{{ image_tag `1.2` `b` }}",
                "environment": [{"name": "SUBNET", "value": "{{ index (infra_lookup `a`) `subnet` }}"}]}]}"#,
        ),
        (
            "sv.jsonnet",
            "local lookup = std.native('infra_lookup');\n\
             { desiredCount: lookup('a').count, tags: [\n\
               { key: 'subnet', value: lookup('b').subnet },\n\
               { key: 'flag', value: lookup('a').flag } ] }",
        ),
    ]);
    let rendered = documents(&project.run(&["render", "taskdef", "servicedef"]));
    let container = &rendered[0]["containerDefinitions"][0];
    assert_eq!(container["image"], "nginx:v1.2-b");
    assert_eq!(container["environment"][0]["value"], "subnet-a");
    assert_eq!(rendered[1]["desiredCount"], 2);
    assert_eq!(rendered[1]["tags"][0]["value"], "subnet-b");
    assert_eq!(rendered[1]["tags"][1]["value"], "--json");
    // lookup('a') was called three times, lookup('b') once: each distinct call ran once.
    let calls = std::fs::read_to_string(project.path("calls.log")).unwrap();
    assert_eq!(calls.lines().collect::<Vec<_>>(), ["a", "b"]);
}

#[test]
fn external_plugin_failures_name_the_plugin_the_command_and_the_last_stderr_line() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
             service_definition: sv.jsonnet\nplugins:\n\
             \x20 - name: external\n    config:\n      name: vault\n\
             \x20     command: [sh, vault.sh]\n      num_args: 1\n      timeout: 500ms\n",
        ),
        ("sv.jsonnet", SERVICE),
        ("td.json", &task_using("{{ vault `secret/db` }}")),
    ]);

    // Fails: exit status and the last line of stderr.
    project.write(
        "vault.sh",
        "echo 'connecting to vault' >&2\necho 'permission denied' >&2\nexit 3\n",
    );
    insta::assert_snapshot!(
        "external_plugin_command_fails",
        failure(&project.run(&["render", "taskdef"]))
    );

    // Prints something that is not JSON.
    project.write("vault.sh", "echo 'token expired, log in again'\n");
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(
        stderr.contains("external plugin vault: `sh vault.sh secret/db` printed invalid JSON ("),
        "{stderr}"
    );

    // Never answers: killed at the timeout, with what it said so far.
    project.write("vault.sh", "echo 'waiting for MFA' >&2\nsleep 30\n");
    let started = std::time::Instant::now();
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(
        started.elapsed() < std::time::Duration::from_secs(10),
        "the timeout stopped it"
    );
    assert!(
        stderr.contains(
            "external plugin vault: `sh vault.sh secret/db` timed out after 500ms and was \
             killed; stderr: waiting for MFA"
        ),
        "{stderr}"
    );

    // The same in Jsonnet, where the error carries the file, line and column.
    project.write("vault.sh", "echo 'permission denied' >&2\nexit 1\n");
    project.write(
        "sv.jsonnet",
        "{\n  tags: [{ key: 'k', value: std.native('vault')('x') }],\n}",
    );
    let stderr = failure(&project.run(&["render", "servicedef"]));
    assert!(
        stderr.contains("sv.jsonnet:2:")
            && stderr.contains(
                "external plugin vault: `sh vault.sh x` failed (exit status 1); stderr: \
                 permission denied"
            ),
        "{stderr}"
    );
}

#[test]
fn unknown_plugin_is_refused_with_a_suggestion() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\nplugins:\n\
             \x20 - name: cloudformaton\n",
        ),
        ("td.json", &task_using("nginx")),
    ]);
    insta::assert_snapshot!(
        "unknown_plugin",
        failure(&project.run(&["render", "taskdef"]))
    );
}

#[test]
fn duplicate_plugin_without_func_prefix_is_refused() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\nplugins:\n\
             \x20 - name: cloudformation\n  - name: cloudformation\n",
        ),
        ("td.json", &task_using("nginx")),
    ]);
    insta::assert_snapshot!(
        "duplicate_plugin",
        failure(&project.run(&["render", "taskdef"]))
    );
    // With a prefix each, both are set up.
    project.write(
        "ristretto.yml",
        "region: ap-northeast-1\nservice: api\ntask_definition: td.json\nplugins:\n\
         \x20 - name: cloudformation\n  - name: cloudformation\n    func_prefix: shared_\n",
    );
    documents(&project.run(&["render", "taskdef"]));
}

#[test]
fn an_optional_state_fails_only_the_lookups_that_use_it() {
    let state = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ecspresso/terraform.tfstate")
        .canonicalize()
        .unwrap();
    let config = |optional: bool| {
        format!(
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
             service_definition: sv.jsonnet\nplugins:\n\
             \x20 - name: tfstate\n    config:\n      url: file://{}\n\
             \x20 - name: tfstate\n    func_prefix: next_\n    config:\n\
             \x20     path: not-applied-yet.tfstate\n      optional: {optional}\n",
            state.display()
        )
    };
    let project = Project::new(&[
        ("ristretto.yml", &config(true)),
        ("sv.jsonnet", SERVICE),
        (
            "td.json",
            &task_using("{{ tfstate `aws_ecr_repository.all['app'].repository_url` }}"),
        ),
    ]);
    // The file:// state answers; the optional one is missing and nobody asks it.
    let rendered = documents(&project.run(&["render", "taskdef", "servicedef"]));
    assert_eq!(
        rendered[0]["containerDefinitions"][0]["image"],
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app"
    );

    // A lookup in the missing optional state fails, naming the state and the file.
    project.write("td.json", &task_using("{{ next_tfstate `output.image` }}"));
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(
        stderr.contains("td.json")
            && stderr.contains("not-applied-yet.tfstate")
            && stderr.contains("(an optional state: lookups in it fail)"),
        "{stderr}"
    );

    // Without optional, the missing state fails every definition, before any lookup.
    project.write("ristretto.yml", &config(false));
    project.write("td.json", &task_using("nginx"));
    let stderr = failure(&project.run(&["render", "servicedef"]));
    assert!(
        stderr
            .contains("failed to setup plugins: plugins[1] (tfstate): cannot read Terraform state")
            && stderr.contains("not-applied-yet.tfstate")
            && stderr.contains("set optional: true"),
        "{stderr}"
    );
    // The config alone reads no state.
    let output = project.run(&["render", "config"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn state_locations_that_are_not_supported_yet_say_so() {
    for (url, what) in [
        (
            "remote://app.terraform.io/acme/network",
            "Terraform Cloud locations (remote://)",
        ),
        (
            "gs://acme-tfstate/network/default.tfstate",
            "Google Cloud Storage locations (gs://)",
        ),
        (
            "azurerm://acme/tfstate/network.tfstate",
            "Azure Storage locations (azurerm://)",
        ),
    ] {
        let project = Project::new(&[
            (
                "ristretto.yml",
                &format!(
                    "region: ap-northeast-1\nservice: api\ntask_definition: td.json\nplugins:\n\
                     \x20 - name: tfstate\n    config:\n      url: {url}\n"
                ),
            ),
            ("td.json", &task_using("{{ tfstate `output.image` }}")),
        ]);
        let stderr = failure(&project.run(&["render", "taskdef"]));
        assert!(
            stderr.contains(&format!(
                "cannot read Terraform state {url}: {what} are not supported yet"
            )) && stderr.contains("terraform state pull"),
            "{stderr}"
        );
    }
}

#[test]
fn the_config_schema_describes_every_plugin() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/config.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    let with_plugins = |plugins: serde_json::Value| serde_json::json!({"plugins": plugins});
    for good in [
        serde_json::json!([{"name": "tfstate", "config": {"path": "terraform.tfstate"}}]),
        serde_json::json!([{"name": "tfstate", "func_prefix": "net_",
            "config": {"url": "https://example.com/s.tfstate", "optional": true}}]),
        serde_json::json!([{"name": "tfstate", "config": {"url": "s3://b/k"}}]),
        serde_json::json!([{"name": "cloudformation"}, {"name": "cloudformation", "config": {}}]),
        serde_json::json!([{"name": "external", "config": {"name": "vault",
            "command": ["vault-lookup", "--json"], "num_args": 1, "parser": "string",
            "timeout": "1m30s", "mode": "exec"}}]),
        serde_json::json!([{"name": "external", "config": {"name": "v", "command": ["x"],
            "timeout": 5}}]),
    ] {
        let config = with_plugins(good.clone());
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|error| error.to_string())
            .collect();
        assert!(errors.is_empty(), "{good}: {errors:?}");
    }
    for bad in [
        serde_json::json!([{"name": "cloudformaton"}]),
        serde_json::json!([{"name": "tfstate", "config": {}}]),
        serde_json::json!([{"name": "tfstate", "config": {"path": "a", "url": "s3://b/k"}}]),
        serde_json::json!([{"name": "tfstate", "config": {"url": "gs://b/k"}}]),
        serde_json::json!([{"name": "tfstate", "config": {"path": "a", "optinal": true}}]),
        serde_json::json!([{"name": "cloudformation", "config": {"region": "x"}}]),
        serde_json::json!([{"name": "external", "config": {"name": "v", "command": "x --y"}}]),
        serde_json::json!([{"name": "external", "config": {"name": "a-b", "command": ["x"]}}]),
        serde_json::json!([{"name": "external", "config": {"name": "v", "command": ["x"],
            "mode": "jsonrpc"}}]),
        serde_json::json!([{"name": "external", "config": {"name": "v", "command": ["x"],
            "timeout": "soon"}}]),
    ] {
        assert!(!validator.is_valid(&with_plugins(bad.clone())), "{bad}");
    }
}
