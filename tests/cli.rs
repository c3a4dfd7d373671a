//! The command line as a person meets it, offline: `--help`, exit codes, and one clear error
//! for every kind of bad input (exit 1, the file named with line/column or JSON path, no panic,
//! no backtrace, nothing on stdout). Messages are snapshot-tested: they are part of the product.

use std::path::Path;
use std::process::{Command, Output};

/// A project directory with the given files; ristretto runs inside it, so paths in messages
/// are short and stable.
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

    fn run(&self, arguments: &[&str]) -> Output {
        ristretto(self.directory.path(), arguments)
    }
}

fn ristretto(directory: &Path, arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(arguments)
        .current_dir(directory)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "1")
        .output()
        .unwrap()
}

/// Asserts the run failed cleanly with exit code 1 and returns its stderr.
fn failure(output: &Output) -> String {
    let stderr = String::from_utf8(output.stderr.clone()).unwrap();
    assert_eq!(output.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        output.stdout.is_empty(),
        "nothing on stdout: {:?}",
        output.stdout
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("backtrace"), "{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    stderr
}

const CONFIG: &str = "region: ap-northeast-1\ncluster: web\nservice: api\n\
                      task_definition: td.jsonnet\nservice_definition: sv.jsonnet\n";
const TASK: &str = "{ family: 'api', containerDefinitions: [{ name: 'app', image: 'nginx:1', \
                    essential: true, memory: 128, environment: [{ name: 'A', value: 'b' }] }] }";
const SERVICE: &str = "{ desiredCount: 1, launchType: 'FARGATE' }";

fn valid_project() -> Project {
    Project::new(&[
        ("ristretto.yml", CONFIG),
        ("td.jsonnet", TASK),
        ("sv.jsonnet", SERVICE),
    ])
}

#[test]
fn help_lists_commands_options_and_exit_codes() {
    let output = ristretto(Path::new("."), &["--help"]);
    assert!(output.status.success());
    insta::assert_snapshot!("help", String::from_utf8(output.stdout).unwrap());
}

#[test]
fn render_help() {
    let output = ristretto(Path::new("."), &["render", "--help"]);
    assert!(output.status.success());
    insta::assert_snapshot!("render_help", String::from_utf8(output.stdout).unwrap());
}

#[test]
fn version_both_ways() {
    let expected = format!("ristretto {}\n", env!("CARGO_PKG_VERSION"));
    for arguments in [&["--version"][..], &["version"][..]] {
        let output = ristretto(Path::new("."), arguments);
        assert!(output.status.success());
        assert_eq!(String::from_utf8(output.stdout).unwrap(), expected);
    }
}

#[test]
fn completions_are_generated() {
    let output = ristretto(Path::new("."), &["completions", "bash"]);
    assert!(output.status.success());
    let script = String::from_utf8(output.stdout).unwrap();
    assert!(script.contains("_ristretto()"), "{script}");
    assert!(script.contains("render"), "{script}");
}

#[test]
fn usage_errors_exit_1_not_clap_default_2() {
    let output = ristretto(Path::new("."), &["render", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn global_options_are_accepted_after_the_command() {
    let project = valid_project();
    let before = project.run(&["--config", "ristretto.yml", "render", "config"]);
    let after = project.run(&["render", "config", "--config", "ristretto.yml"]);
    assert!(before.status.success());
    assert_eq!(before.stdout, after.stdout);
}

#[test]
fn render_prints_stable_sorted_json() {
    let project = valid_project();
    let output = project.run(&["render", "taskdef"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    insta::assert_snapshot!("render_taskdef", String::from_utf8(output.stdout).unwrap());
}

#[test]
fn validate_accepts_a_good_project() {
    let project = valid_project();
    let output = project.run(&["validate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stdout.is_empty(),
        "validate prints nothing on stdout"
    );
}

#[test]
fn missing_config() {
    let project = Project::new(&[]);
    let stderr = failure(&project.run(&["render"]));
    insta::assert_snapshot!(
        stderr.replace(&project.directory.path().display().to_string(), "<dir>")
    );
}

#[test]
fn config_with_an_unknown_key() {
    let project = Project::new(&[("ristretto.yml", "region: x\nservce: api\n")]);
    insta::assert_snapshot!(failure(&project.run(&["render", "config"])));
}

#[test]
fn invalid_yaml_config() {
    let project = Project::new(&[("ristretto.yml", "region: x\ncluster: [a, b\n")]);
    let stderr = failure(&project.run(&["render", "config"]));
    assert!(stderr.starts_with("error: ristretto.yml:"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn invalid_json_definition() {
    let project = Project::new(&[
        ("ristretto.yml", "service: api\ntask_definition: td.json\n"),
        (
            "td.json",
            "{\n  \"family\": \"api\",\n  \"containerDefinitions\": [\n}\n",
        ),
    ]);
    insta::assert_snapshot!(failure(&project.run(&["render", "taskdef"])));
}

#[test]
fn invalid_jsonnet_definition() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "service: api\ntask_definition: td.jsonnet\n",
        ),
        (
            "td.jsonnet",
            "{\n  family: 'api',\n  containerDefinitions: [\n};\n",
        ),
    ]);
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(stderr.contains("td.jsonnet:4:1"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn missing_must_env_variable_in_a_template() {
    let project = Project::new(&[
        ("ecspresso.yml", "service: api\ntask_definition: td.json\n"),
        (
            "td.json",
            "{\n  \"family\": \"api\",\n  \"containerDefinitions\": [{\"name\": \"app\",\n    \
             \"image\": \"nginx:{{ must_env `IMAGE_TAG` }}\"}]\n}\n",
        ),
    ]);
    insta::assert_snapshot!(failure(&project.run(&["render", "taskdef"])));
}

#[test]
fn missing_must_env_variable_in_jsonnet() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "service: api\ntask_definition: td.jsonnet\n",
        ),
        (
            "td.jsonnet",
            "{\n  family: 'api',\n  containerDefinitions: [{ name: 'app',\n    \
             image: 'nginx:' + std.native('must_env')('IMAGE_TAG') }],\n}\n",
        ),
    ]);
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(stderr.contains("td.jsonnet:4:"), "{stderr}");
    insta::assert_snapshot!(stderr);
}

#[test]
fn missing_definition_file() {
    let project = Project::new(&[(
        "ristretto.yml",
        "service: api\ntask_definition: nope.jsonnet\n",
    )]);
    insta::assert_snapshot!(failure(&project.run(&["render", "taskdef"])));
}

#[test]
fn unknown_field_in_a_definition_with_a_suggestion() {
    let project = Project::new(&[
        ("ristretto.yml", "service: api\ntask_definition: td.json\n"),
        (
            "td.json",
            r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "nginx",
                "enviroment": [{"name": "A", "value": "b"}]}]}"#,
        ),
    ]);
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(
        stderr.contains(
            "containerDefinitions[0].enviroment: unknown field, did you mean environment?"
        ),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn wrong_type_in_a_definition() {
    let project = Project::new(&[
        ("ristretto.yml", "service: api\ntask_definition: td.json\n"),
        (
            "td.json",
            r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "nginx",
                "essential": "yes"}]}"#,
        ),
    ]);
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(
        stderr.contains("containerDefinitions[0].essential"),
        "{stderr}"
    );
    insta::assert_snapshot!(stderr);
}

#[test]
fn validate_reports_every_problem_in_every_file() {
    let project = Project::new(&[
        ("ristretto.yml", CONFIG),
        (
            "td.jsonnet",
            "{ family: 'api', networkMode: 'awsvpcx', containerDefinitions: [{ name: 'app', \
             image: 'nginx', memroy: 128 }] }",
        ),
        (
            "sv.jsonnet",
            "{ desiredCount: 'two', lauchType: 'FARGATE' }",
        ),
    ]);
    let stderr = failure(&project.run(&["validate"]));
    for expected in ["networkMode", "memroy", "desiredCount", "lauchType"] {
        assert!(
            stderr.contains(expected),
            "{expected} missing from: {stderr}"
        );
    }
    insta::assert_snapshot!(stderr);
}

#[test]
fn bad_key_value_flag() {
    let project = valid_project();
    insta::assert_snapshot!(failure(&project.run(&["render", "--ext-str", "novalue"])));
}

#[test]
fn config_schema_accepts_every_example_and_fixture_config() {
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/config.schema.json"
        ))
        .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();

    // The fixtures need the environment their Go tests set; render each through ristretto
    // (so the schema sees the JSON the config evaluates to) and check it.
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecspresso");
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures.join("expected/configs.json")).unwrap(),
    )
    .unwrap();
    let mut checked = 0;
    for case in cases["cases"].as_array().unwrap() {
        if case.get("expect_error_suffix").is_some() {
            continue; // fails to load by design (duplicate plugins)
        }
        let mut config = fixtures.join(case["config"].as_str().unwrap());
        // ecspresso.yaml is a symbolic link upstream; a copy that lost the link holds the
        // target's name (README.md of the fixtures: treat it as a copy of that file).
        let content = std::fs::read_to_string(&config).unwrap();
        if !content.trim().contains(['\n', ':']) && fixtures.join(content.trim()).is_file() {
            config = fixtures.join(content.trim());
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        command
            .args([
                "--config",
                &config.display().to_string(),
                "render",
                "config",
            ])
            .env_clear()
            .env("PWD", fixtures.parent().unwrap())
            .env("PATH", std::env::var("PATH").unwrap_or_default());
        for (name, value) in case["env"].as_object().unwrap() {
            command.env(name, value.as_str().unwrap());
        }
        let output = command.output().unwrap();
        assert!(
            output.status.success(),
            "{}: {}",
            config.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", config.display());
        checked += 1;
    }
    let examples = [
        ("examples/quickstart/ristretto.jsonnet", None),
        ("examples/multi-env", Some("dev")),
        ("examples/multi-env", Some("staging")),
        ("examples/multi-env", Some("prod")),
    ];
    for (example, environment) in examples {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(example);
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        match environment {
            Some(environment) => command.current_dir(&path).args(["--env", environment]),
            None => command.args(["--config", &path.display().to_string()]),
        };
        let output = command.args(["render", "config"]).output().unwrap();
        assert!(
            output.status.success(),
            "{example}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&document)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{example}: {errors:?}");
        checked += 1;
    }
    assert!(checked >= 17, "only {checked} configs checked");
    // And the schema rejects what the loader rejects.
    assert!(!validator.is_valid(&serde_json::json!({"servce": "api"})));
    assert!(!validator.is_valid(&serde_json::json!({"timeout": "soon"})));
    assert!(!validator.is_valid(&serde_json::json!({"service": "a", "services": {}})));
}

#[test]
fn jsonnet_reads_terraform_state_through_native_functions() {
    let state = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/ecspresso/terraform.tfstate")
        .canonicalize()
        .unwrap();
    let project = Project::new(&[
        (
            "ristretto.yml",
            &format!(
                "service: api\ntask_definition: td.jsonnet\nplugins:\n  - name: tfstate\n    func_prefix: infra_\n    config:\n      path: {}\n",
                state.display()
            ),
        ),
        (
            "td.jsonnet",
            "local tf = std.native('infra_tfstate');\n\
             { family: 'api', containerDefinitions: [{ name: 'app',\n\
               image: tf(\"aws_ecr_repository.all['app'].repository_url\") + ':1',\n\
               environment: [{ name: 'SUBNET', value: tf('aws_subnet.private-a.id') }] }] }",
        ),
    ]);
    let output = project.run(&["render", "taskdef"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let document: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        document["containerDefinitions"][0]["image"],
        "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/app:1"
    );
    assert_eq!(
        document["containerDefinitions"][0]["environment"][0]["value"],
        "subnet-07ac54af5e41a4fc4"
    );

    std::fs::write(
        project.directory.path().join("td.jsonnet"),
        "{ family: std.native('infra_tfstate')('aws_subnet.private-z.id') }",
    )
    .unwrap();
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(stderr.contains("aws_subnet.private-z.id"), "{stderr}");
    assert!(
        stderr.contains("did you mean aws_subnet.private-a.id?"),
        "{stderr}"
    );
}

#[test]
fn bad_terraform_inputs_name_their_file() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
             service_definition: sv.json\nplugins:\n  - name: tfstate\n    config:\n      path: truncated.tfstate\n",
        ),
        ("truncated.tfstate", "{\"version\": 4, \"resources\": ["),
        (
            "td.json",
            r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "{{ tfstate `output.image` }}"}]}"#,
        ),
        ("sv.json", "{}"),
    ]);
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(stderr.contains("truncated.tfstate"), "{stderr}");

    std::fs::write(
        project.directory.path().join("truncated.tfstate"),
        "{\"version\": 3, \"serial\": 1}",
    )
    .unwrap();
    let stderr = failure(&project.run(&["render", "taskdef"]));
    assert!(
        stderr.contains("truncated.tfstate") && stderr.contains("version 3"),
        "{stderr}"
    );

    // An unparsable .tf file is reported before any AWS call.
    std::fs::create_dir(project.directory.path().join("infra")).unwrap();
    std::fs::write(
        project.directory.path().join("infra/ecs.tf"),
        "resource \"aws_ecs_service\" \"api\" {\n  name = \"api\"\n  lifecycle {\n",
    )
    .unwrap();
    std::fs::write(
        project.directory.path().join("ristretto.yml"),
        "region: ap-northeast-1\nservice: api\ntask_definition: td.json\n\
         service_definition: sv.json\nterraform:\n  dir: infra\n",
    )
    .unwrap();
    std::fs::write(
        project.directory.path().join("td.json"),
        r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "nginx"}]}"#,
    )
    .unwrap();
    let stderr = failure(&project.run(&["plan"]));
    assert!(stderr.contains("ecs.tf"), "{stderr}");
}

#[test]
fn envfiles_are_applied_in_order_before_the_config_is_read() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: \"{{ must_env `REGION_FROM_FILE` }}\"\nservice: api\ntask_definition: td.json\n",
        ),
        (
            "td.json",
            r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "nginx:{{ must_env `TAG_FROM_FILE` }}"}]}"#,
        ),
        (
            "first.env",
            "export REGION_FROM_FILE=eu-west-1\nTAG_FROM_FILE=one\n",
        ),
        ("second.env", "TAG_FROM_FILE=two\n"),
    ]);
    // Global option before the command and again after it: both apply, the later one wins.
    let output = project.run(&[
        "--envfile",
        "first.env",
        "render",
        "config",
        "taskdef",
        "--envfile",
        "second.env",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let documents: Vec<serde_json::Value> = serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(documents[0]["region"], "eu-west-1");
    assert_eq!(
        documents[1]["containerDefinitions"][0]["image"],
        "nginx:two"
    );
    let stderr = failure(&project.run(&["--envfile", "missing.env", "render"]));
    assert!(stderr.contains("missing.env"), "{stderr}");
}

/// `ristretto` in `directory` with extra environment variables (the base environment is empty).
fn ristretto_with(directory: &Path, arguments: &[&str], variables: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
    command
        .args(arguments)
        .current_dir(directory)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("NO_COLOR", "1")
        .env("RUST_BACKTRACE", "1");
    for (name, value) in variables {
        command.env(name, value);
    }
    command.output().unwrap()
}

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

/// ecspresso's variables work as its CI scripts set them, next to ristretto's own names, and
/// RISTRETTO_* wins when both are set.
#[test]
fn ecspresso_environment_variables_are_read_and_ristretto_ones_win() {
    let project = Project::new(&[
        (
            "ecspresso.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.jsonnet\ntimeout: 10m\n",
        ),
        (
            "other.yml",
            "region: eu-west-1\nservice: other\ntask_definition: td.jsonnet\n",
        ),
        (
            "td.jsonnet",
            "{ family: std.extVar('family'), containerDefinitions: [{ name: 'app', \
             image: 'nginx:' + std.extVar('tag') + '-' + std.native('must_env')('FROM_ENVFILE'), \
             cpu: std.extVar('cpu') }] }",
        ),
        ("a.env", "export FROM_ENVFILE=a\n"),
        ("b.env", "export FROM_ENVFILE=b\n"),
    ]);
    let output = ristretto_with(
        project.directory.path(),
        &["render", "config", "taskdef"],
        &[
            ("ECSPRESSO_CONFIG", "ecspresso.yml"),
            ("ECSPRESSO_ENVFILE", "a.env,b.env"),
            ("ECSPRESSO_EXT_STR", "family=web;tag=1.27"),
            ("ECSPRESSO_EXT_CODE", "cpu=128+128"),
            ("ECSPRESSO_TIMEOUT", "20m"),
            ("ECSPRESSO_DEBUG", "true"),
            ("ECSPRESSO_FILTER_COMMAND", "fzf"),
        ],
    );
    let rendered = documents(&output);
    assert_eq!(rendered[0]["service"], "api");
    assert_eq!(
        rendered[0]["timeout"], "20m0s",
        "ECSPRESSO_TIMEOUT overrides the config"
    );
    let container = &rendered[1]["containerDefinitions"][0];
    assert_eq!(rendered[1]["family"], "web");
    assert_eq!(
        container["image"], "nginx:1.27-b",
        "both envfiles, in order"
    );
    assert_eq!(container["cpu"], 256);

    let output = ristretto_with(
        project.directory.path(),
        &["render", "config"],
        &[
            ("ECSPRESSO_CONFIG", "ecspresso.yml"),
            ("RISTRETTO_CONFIG", "other.yml"),
            ("ECSPRESSO_TIMEOUT", "20m"),
            ("RISTRETTO_TIMEOUT", "3m"),
        ],
    );
    let rendered = documents(&output);
    assert_eq!(rendered[0]["service"], "other");
    assert_eq!(rendered[0]["timeout"], "3m0s");

    // --ext-str in ecspresso's map syntax, and a flag wins over the variable.
    let output = ristretto_with(
        project.directory.path(),
        &[
            "--ext-str",
            "family=flag;tag=2",
            "--ext-code",
            "cpu=1",
            "--envfile",
            "a.env",
            "render",
            "taskdef",
        ],
        &[
            ("ECSPRESSO_CONFIG", "ecspresso.yml"),
            ("ECSPRESSO_EXT_STR", "family=web;tag=1.27"),
            ("ECSPRESSO_ENVFILE", "b.env"),
        ],
    );
    let rendered = documents(&output);
    assert_eq!(rendered[0]["family"], "flag");
    assert_eq!(rendered[0]["containerDefinitions"][0]["image"], "nginx:2-a");

    let stderr = failure(&ristretto_with(
        project.directory.path(),
        &["render"],
        &[("ECSPRESSO_TIMEOUT", "soon")],
    ));
    insta::assert_snapshot!("bad_ecspresso_variable", stderr);
}

/// A config listing ecspresso's default plugins loads; a func_prefix gives their functions a
/// prefixed name too (ecspresso's rule).
#[test]
fn ssm_and_secretsmanager_plugins_are_accepted() {
    let project = Project::new(&[
        (
            "ecspresso.yml",
            "region: ap-northeast-1\nservice: api\ntask_definition: td.json\nplugins:\n  - name: ssm\n  - name: secretsmanager\n    func_prefix: sm_\n",
        ),
        (
            "td.json",
            r#"{"family": "api", "containerDefinitions": [{"name": "app", "image": "nginx:1"}]}"#,
        ),
    ]);
    let output = project.run(&["validate"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let rendered = documents(&project.run(&["render", "config"]));
    assert_eq!(rendered[0]["plugins"][1]["func_prefix"], "sm_");
}

/// What ecspresso's init writes for unset enums loads; validate says a word about it.
#[test]
fn empty_enum_strings_load_with_a_note_from_validate() {
    let project = Project::new(&[
        (
            "ristretto.yml",
            "region: ap-northeast-1\ncluster: web\nservice: api\ntask_definition: td.json\nservice_definition: sv.json\n",
        ),
        (
            "td.json",
            r#"{"family": "api", "ipcMode": "", "pidMode": "",
                "containerDefinitions": [{"name": "app", "image": "nginx:1", "versionConsistency": "",
                  "portMappings": [{"containerPort": 80, "appProtocol": ""}]}]}"#,
        ),
        (
            "sv.json",
            r#"{"launchType": "FARGATE", "availabilityZoneRebalancing": "", "propagateTags": ""}"#,
        ),
    ]);
    let output = project.run(&["validate"]);
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(output.status.success(), "{stderr}");
    insta::assert_snapshot!("empty_enum_notes", stderr);
    let rendered = documents(&project.run(&["render", "taskdef", "servicedef"]));
    assert_eq!(
        rendered[0],
        serde_json::json!({"family": "api", "containerDefinitions": [{"name": "app",
            "image": "nginx:1", "portMappings": [{"containerPort": 80}]}]})
    );
    assert_eq!(
        rendered[1],
        serde_json::json!({"launchType": "FARGATE", "serviceName": "api"})
    );
    // render prints no note.
    let output = project.run(&["render"]);
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn render_takes_ecspressos_target_names_and_prints_jsonnet() {
    let project = valid_project();
    let long = project.run(&["render", "task-definition", "service-definition"]);
    let short = project.run(&["render", "taskdef", "servicedef"]);
    assert_eq!(long.stdout, short.stdout);
    let output = project.run(&["render", "taskdef", "--jsonnet"]);
    assert!(output.status.success());
    insta::assert_snapshot!("render_jsonnet", String::from_utf8(output.stdout).unwrap());
}

/// Bad input of the new commands and flags: each one `error:` line (with a hint where there is
/// one), exit 1, nothing on stdout, no AWS call needed to say so.
#[test]
fn bad_input_of_ecspressos_commands_and_flags() {
    let project = valid_project();
    for (name, arguments) in [
        ("unknown_output", &["tasks", "--output", "yaml"][..]),
        (
            "unknown_revisions_output",
            &["revisions", "--output", "csv"],
        ),
        ("revision_word", &["revisions", "--revision", "previous"]),
        (
            "deregister_current",
            &["deregister", "--revision", "current"],
        ),
        ("local_forward", &["exec", "-L", "8080:5432"]),
        (
            "appspec_task_definition",
            &["appspec", "--task-definition", "newest"],
        ),
    ] {
        let stderr = failure(&project.run(arguments));
        insta::assert_snapshot!(name, stderr);
    }
}

/// Without session-manager-plugin on PATH, exec fails at once with the install instructions.
#[test]
fn exec_without_the_plugin_says_how_to_install_it() {
    let project = valid_project();
    let empty = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .arg("exec")
        .current_dir(project.directory.path())
        .env_clear()
        .env("PATH", empty.path())
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stderr = failure(&output);
    insta::assert_snapshot!("exec_without_plugin", stderr);
}

/// Every kind of bad policy input is one clear error naming the file (and line), exit 1,
/// before any AWS call: the policies are read and parsed first.
#[test]
fn bad_policies_name_their_file_and_line() {
    let project = Project::new(&[
        ("ristretto.yml", &format!("{CONFIG}policies: [policies/]\n")),
        ("td.jsonnet", TASK),
        ("sv.jsonnet", SERVICE),
        (
            "policies/ok.rego",
            "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tinput.x == 1\n\tmsg := \"x\"\n}\n",
        ),
        (
            "broken/v1.rego",
            "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := sprintf(\"%s\", [input.x]\n}\n",
        ),
        (
            "broken/classic.rego",
            "package main\n\ndeny[msg] {\n\tmsg := input.x[\n}\n",
        ),
        ("broken/data.yaml", "registries: [a, b\n"),
        ("broken/data.json", "{\"registries\": [\"a\",]}\n"),
        ("broken/list.yaml", "- a\n- b\n"),
        ("broken/notes.txt", "not a policy\n"),
    ]);
    let cases: [(&str, &[&str]); 8] = [
        ("missing_path", &["plan", "--policy", "nowhere/"]),
        ("rego_v1_syntax", &["plan", "--policy", "broken/v1.rego"]),
        (
            "rego_classic_syntax",
            &["apply", "--policy", "broken/classic.rego"],
        ),
        ("data_not_yaml", &["plan", "--policy", "broken/data.yaml"]),
        ("data_not_json", &["deploy", "--policy", "broken/data.json"]),
        (
            "data_not_an_object",
            &["plan", "--policy", "broken/list.yaml"],
        ),
        (
            "not_a_policy_file",
            &["plan", "--policy", "broken/notes.txt"],
        ),
        ("policy_test_syntax", &["policy", "test", "broken/v1.rego"]),
    ];
    for (name, arguments) in cases {
        insta::assert_snapshot!(
            format!("bad_policy_{name}"),
            failure(&project.run(arguments))
        );
    }
    // A config whose policies are missing names the config.
    let missing = Project::new(&[
        ("ristretto.yml", &format!("{CONFIG}policies: [rules/]\n")),
        ("td.jsonnet", TASK),
        ("sv.jsonnet", SERVICE),
    ]);
    insta::assert_snapshot!(
        "bad_policy_missing_in_config",
        failure(&missing.run(&["plan"]))
    );
}

/// `policy test` runs the example policies' tests (all pass), and fails (exit 1) with the
/// failing test named when a policy is broken.
#[test]
fn policy_test_passes_the_examples_and_fails_on_a_broken_one() {
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies");
    let output = ristretto(
        Path::new("."),
        &["policy", "test", &examples.display().to_string()],
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary = stdout.lines().last().unwrap();
    assert!(summary.ends_with(" passed"), "{stdout}");
    let passed: usize = summary.trim_end_matches(" passed").parse().unwrap();
    assert!(passed >= 20, "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");

    // The same files with the latest-tag rule broken.
    let mut files: Vec<(String, String)> = Vec::new();
    for entry in walk(&examples) {
        let relative = entry.strip_prefix(&examples).unwrap().display().to_string();
        let mut text = std::fs::read_to_string(&entry).unwrap();
        if relative == "image_tags.rego" {
            text = text.replace("== \"latest\"", "== \"lastest\"");
        }
        files.push((format!("policies/{relative}"), text));
    }
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(name, text)| (name.as_str(), text.as_str()))
        .collect();
    let project = Project::new(&borrowed);
    let output = project.run(&["policy", "test", "policies"]);
    let stdout = String::from_utf8(output.stdout).unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    assert!(
        stdout.contains("FAIL  data.main.test_latest_is_denied (policies/image_tags_test.rego:"),
        "{stdout}"
    );
    assert!(stderr.starts_with("error: 1 of "), "{stderr}");

    // Without a path, the config's policies; a config without any says so.
    let project = valid_project();
    let stderr = failure(&project.run(&["policy", "test"]));
    assert!(stderr.contains("the config has no policies"), "{stderr}");
}

fn walk(directory: &Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(directory).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(walk(&path));
        } else {
            files.push(path);
        }
    }
    files
}
