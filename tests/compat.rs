//! ecspresso compatibility: every config fixture of tests/fixtures/ecspresso loads through the
//! real `ristretto` binary as expected/configs.json says, and the definitions render to the
//! documents in expected/. The fixtures are ecspresso's own, copied with their license into
//! tests/fixtures/ecspresso (its README says from where); `fixture_copy.rs` keeps the copy honest.
//!
//! Layout rule of the fixtures (EXPECTED.md §1): they must sit in a directory named `tests`
//! under the working directory, and `PWD` must name that working directory.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecspresso")
}

fn read_json(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap())
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// A working directory with `tests` → the fixture folder, as the upstream tests run.
struct Workspace {
    directory: tempfile::TempDir,
}

/// `ecspresso.yaml` is a symbolic link upstream; a copy that lost the link holds the target's
/// name as its content (README.md: "treat it as a copy of ecspresso.yml").
fn restored_link(path: &Path) -> Option<PathBuf> {
    let metadata = std::fs::symlink_metadata(path).ok()?;
    if !metadata.is_file() || metadata.len() > 255 {
        return None;
    }
    let content = std::fs::read_to_string(path).ok()?;
    let name = content.trim();
    let sibling = path.parent()?.join(name);
    (!name.is_empty() && !name.contains('\n') && sibling != path && sibling.is_file())
        .then_some(sibling)
}

impl Workspace {
    fn new() -> Self {
        let directory = tempfile::tempdir().unwrap();
        let tests = directory.path().join("tests");
        std::fs::create_dir(&tests).unwrap();
        for entry in std::fs::read_dir(fixtures()).unwrap() {
            let entry = entry.unwrap();
            let target = restored_link(&entry.path()).unwrap_or_else(|| entry.path());
            std::os::unix::fs::symlink(target, tests.join(entry.file_name())).unwrap();
        }
        Self { directory }
    }

    fn path(&self) -> &Path {
        self.directory.path()
    }

    /// Runs ristretto with a clean environment plus `environment`.
    fn ristretto(&self, arguments: &[&str], environment: &Value) -> std::process::Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ristretto"));
        command
            .args(arguments)
            .current_dir(self.path())
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("PWD", self.path())
            .env("NO_COLOR", "1");
        if let Some(map) = environment.as_object() {
            for (name, value) in map {
                command.env(name, value.as_str().unwrap());
            }
        }
        command.output().unwrap()
    }
}

/// Parses the concatenated pretty JSON documents `render` prints.
fn documents(stdout: &[u8]) -> Vec<Value> {
    serde_json::Deserializer::from_slice(stdout)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

/// ecspresso treats absent, null and [] alike (README.md "How a test suite should use it").
fn without_empties(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(_, value)| !is_empty(value))
                .map(|(key, value)| (key.clone(), without_empties(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_empties).collect()),
        other => other.clone(),
    }
}

fn is_empty(value: &Value) -> bool {
    value.is_null() || value.as_array().is_some_and(Vec::is_empty)
}

/// Paths in `expect` are relative to the fixture directory unless they start with ${PWD}.
fn expected_path(workspace: &Workspace, text: &str) -> PathBuf {
    match text.strip_prefix("${PWD}/") {
        Some(rest) => workspace.path().join(rest),
        None => workspace.path().join("tests").join(text),
    }
}

fn same_file(left: &Path, right: &Path) -> bool {
    left.canonicalize().ok() == right.canonicalize().ok() && left.canonicalize().is_ok()
}

/// Cases whose definitions use tfstate lookups; their config is checked here, their rendered
/// definitions wait for Terraform state support.
fn uses_tfstate(case: &Value) -> bool {
    case["expect"]["plugins"]
        .as_array()
        .is_some_and(|plugins| !plugins.is_empty())
}

fn cases() -> Vec<Value> {
    read_json(&fixtures().join("expected/configs.json"))["cases"]
        .as_array()
        .unwrap()
        .clone()
}

fn jsonnet_arguments(case: &Value) -> Vec<String> {
    let mut arguments = Vec::new();
    for (flag, key) in [("--ext-str", "ext_str"), ("--ext-code", "ext_code")] {
        if let Some(map) = case[key].as_object() {
            for (name, value) in map {
                arguments.push(flag.to_owned());
                arguments.push(format!("{name}={}", value.as_str().unwrap()));
            }
        }
    }
    arguments
}

#[test]
fn every_config_fixture_loads_as_expected() {
    let workspace = Workspace::new();
    let mut checked = 0;
    for case in cases() {
        let id = case["id"].as_str().unwrap();
        let config = format!("tests/{}", case["config"].as_str().unwrap());
        let output = workspace.ristretto(&["--config", &config, "render", "config"], &case["env"]);
        if let Some(suffix) = case["expect_error_suffix"].as_str() {
            assert_eq!(output.status.code(), Some(1), "{id}: must fail");
            let stderr = String::from_utf8_lossy(&output.stderr);
            let message = stderr
                .lines()
                .find_map(|line| line.strip_prefix("error: "))
                .unwrap_or_default();
            assert!(message.ends_with(suffix), "{id}: {stderr}");
            assert!(output.stdout.is_empty(), "{id}: nothing on stdout");
            checked += 1;
            continue;
        }
        assert!(
            output.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let rendered = &documents(&output.stdout)[0];
        let expect = &case["expect"];
        if expect.is_null() {
            // filter_command.yml: its only expectation is about ecspresso's --filter-command
            // flag (interactive selection), which ristretto does not have; the deprecated key
            // must still load, with a warning.
            assert!(
                String::from_utf8_lossy(&output.stderr).contains("filter_command is deprecated"),
                "{id}"
            );
            checked += 1;
            continue;
        }
        for key in ["region", "cluster"] {
            if let Some(value) = expect[key].as_str() {
                assert_eq!(rendered[key].as_str(), Some(value), "{id}: {key}");
            }
        }
        if let Some(service) = expect["service"].as_str() {
            assert_eq!(
                rendered["service"].as_str().unwrap_or_default(),
                service,
                "{id}: service"
            );
        }
        if let Some(seconds) = expect["timeout_seconds"].as_u64() {
            let timeout = rendered["timeout"].as_str().unwrap();
            let parsed = ristretto::config::duration::parse(timeout).unwrap();
            assert_eq!(parsed.as_secs(), seconds, "{id}: timeout");
        }
        if let Some(app_name) = expect["app_name"].as_str() {
            let actual = format!(
                "{}/{}",
                rendered["service"].as_str().unwrap_or_default(),
                rendered["cluster"].as_str().unwrap()
            );
            assert_eq!(actual, app_name, "{id}: app name");
        }
        for key in ["service_definition", "task_definition"] {
            if let Some(path) = expect[key].as_str() {
                let actual = workspace.path().join(rendered[key].as_str().unwrap());
                assert!(
                    same_file(&actual, &expected_path(&workspace, path)),
                    "{id}: {key}: {} vs {path}",
                    actual.display()
                );
            }
        }
        if let Some(plugins) = expect["plugins"].as_array() {
            let actual = rendered["plugins"].as_array().unwrap();
            assert_eq!(actual.len(), plugins.len(), "{id}: plugins");
            for (actual, expected) in actual.iter().zip(plugins) {
                assert_eq!(actual["name"], expected["name"], "{id}");
                assert_eq!(
                    actual["func_prefix"].as_str().unwrap_or_default(),
                    expected["func_prefix"].as_str().unwrap(),
                    "{id}"
                );
                let path = workspace
                    .path()
                    .join(actual["config"]["path"].as_str().unwrap());
                assert!(
                    same_file(
                        &path,
                        &expected_path(&workspace, expected["path"].as_str().unwrap())
                    ),
                    "{id}: plugin path {}",
                    path.display()
                );
            }
        }
        if expect["codedeploy"].is_object() {
            assert_eq!(
                rendered["codedeploy"], expect["codedeploy"],
                "{id}: codedeploy"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, cases().len());
}

#[test]
fn definitions_without_tfstate_render_to_the_expected_documents() {
    let workspace = Workspace::new();
    let mut compared = 0;
    for case in cases().iter().filter(|case| !uses_tfstate(case)) {
        let id = case["id"].as_str().unwrap();
        let config = format!("tests/{}", case["config"].as_str().unwrap());
        // Service definitions named by the case (sv.json and sv.jsonnet must be identical).
        for file in case["load_service_definitions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let file = file.as_str().unwrap();
            let expected =
                read_json(&fixtures().join(case["expect_service_definition"].as_str().unwrap()));
            let rendered =
                render_with_override(&workspace, &config, "service_definition", file, case);
            assert_eq!(
                without_empties(&rendered),
                without_empties(&expected),
                "{id}: {file}"
            );
            compared += 1;
        }
        for entry in case["load_task_definitions"]
            .as_array()
            .into_iter()
            .flatten()
        {
            let file = entry["path"].as_str().unwrap();
            let expected = read_json(&fixtures().join(entry["expect"].as_str().unwrap()));
            let rendered = render_with_override(&workspace, &config, "task_definition", file, case);
            assert_eq!(
                without_empties(&rendered),
                without_empties(&expected),
                "{id}: {file}"
            );
            match entry["tags"].as_str().unwrap() {
                "absent" => assert!(rendered.get("tags").is_none(), "{id}: {file}: tags"),
                _ => assert!(
                    !rendered["tags"].as_array().unwrap().is_empty(),
                    "{id}: {file}: tags"
                ),
            }
            compared += 1;
        }
    }
    // sv.json, sv.jsonnet and the five td* spellings.
    assert_eq!(compared, 7);
}

/// Renders one definition file with the case's config settings by writing a config next to
/// the fixture that names it (the Go tests load these paths directly).
fn render_with_override(
    workspace: &Workspace,
    config: &str,
    key: &str,
    file: &str,
    case: &Value,
) -> Value {
    let original = workspace.ristretto(&["--config", config, "render", "config"], &case["env"]);
    assert!(
        output_ok(&original),
        "{}",
        String::from_utf8_lossy(&original.stderr)
    );
    let mut document = documents(&original.stdout)[0].clone();
    document[key] = Value::String(
        workspace
            .path()
            .join("tests")
            .join(file)
            .display()
            .to_string(),
    );
    let override_path = workspace.path().join(format!("override-{key}.json"));
    std::fs::write(&override_path, serde_json::to_string(&document).unwrap()).unwrap();
    let target = if key == "task_definition" {
        "taskdef"
    } else {
        "servicedef"
    };
    let mut arguments = vec![
        "--config".to_owned(),
        override_path.display().to_string(),
        "render".to_owned(),
        target.to_owned(),
    ];
    arguments.extend(jsonnet_arguments(case));
    let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
    let output = workspace.ristretto(&arguments, &case["env"]);
    assert!(
        output_ok(&output),
        "{file}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    documents(&output.stdout).remove(0)
}

fn output_ok(output: &std::process::Output) -> bool {
    output.status.success()
}

#[test]
fn definitions_with_tfstate_render_to_the_expected_documents() {
    let workspace = Workspace::new();
    let mut checked = 0;
    for case in cases().iter().filter(|case| uses_tfstate(case)) {
        let id = case["id"].as_str().unwrap();
        let config = format!("tests/{}", case["config"].as_str().unwrap());
        let output = workspace.ristretto(
            &["--config", &config, "render", "taskdef", "servicedef"],
            &case["env"],
        );
        assert!(
            output.status.success(),
            "{id}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let rendered = documents(&output.stdout);
        let task = read_json(&fixtures().join(case["expect_task_definition"].as_str().unwrap()));
        let service =
            read_json(&fixtures().join(case["expect_service_definition"].as_str().unwrap()));
        assert_eq!(
            without_empties(&rendered[0]),
            without_empties(&task),
            "{id}"
        );
        assert_eq!(
            without_empties(&rendered[1]),
            without_empties(&service),
            "{id}"
        );
        checked += 1;
    }
    // ecspresso.{yml,yaml,json,jsonnet}, config_abs.yaml, config_multiple_plugins.yaml.
    assert_eq!(checked, 6);
}
