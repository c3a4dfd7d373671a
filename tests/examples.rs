//! The example projects are part of the product: every environment of examples/multi-env
//! renders and validates, and the environments differ exactly where its README says.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn ristretto(directory: &str, arguments: &[&str]) -> Vec<Value> {
    let output = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(arguments)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(directory))
        .env_remove("IMAGE_TAG")
        .env_remove("SUBNET_ID")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "ristretto {arguments:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::Deserializer::from_slice(&output.stdout)
        .into_iter::<Value>()
        .map(Result::unwrap)
        .collect()
}

/// The paths where two documents differ, as the structured diff names them.
fn differences(before: &Value, after: &Value) -> BTreeSet<String> {
    ristretto::diff::diff(Some(before), after)
        .changes
        .iter()
        .map(|change| change.path().to_string())
        .collect()
}

#[test]
fn every_environment_renders_and_validates() {
    for environment in ["dev", "staging", "prod"] {
        let documents = ristretto(
            "examples/multi-env",
            &[
                "--env",
                environment,
                "render",
                "config",
                "taskdef",
                "servicedef",
            ],
        );
        assert_eq!(
            documents.len(),
            5,
            "config, two task and two service definitions"
        );
        assert_eq!(documents[0]["cluster"], environment);
        assert_eq!(documents[1]["family"], format!("api-{environment}"));
        assert_eq!(documents[2]["family"], format!("worker-{environment}"));
        assert_eq!(documents[3]["serviceName"], "api");
        assert_eq!(documents[4]["serviceName"], "worker");
        let output = Command::new(env!("CARGO_BIN_EXE_ristretto"))
            .args(["--env", environment, "validate"])
            .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-env"))
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

#[test]
fn dev_and_prod_differ_exactly_where_the_readme_says() {
    let dev = ristretto(
        "examples/multi-env",
        &["--env", "dev", "render", "taskdef", "servicedef"],
    );
    let prod = ristretto(
        "examples/multi-env",
        &["--env", "prod", "render", "taskdef", "servicedef"],
    );
    let expected_api_task: BTreeSet<String> = [
        "family",
        "cpu",
        "memory",
        "containerDefinitions[name=api].environment[name=ENVIRONMENT].value",
        "containerDefinitions[name=api].environment[name=LOG_LEVEL].value",
        "containerDefinitions[name=log-router]",
        "tags[key=environment].value",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(differences(&dev[0], &prod[0]), expected_api_task);
    let expected_worker_task: BTreeSet<String> = [
        "family",
        "cpu",
        "memory",
        "containerDefinitions[name=worker].environment[name=ENVIRONMENT].value",
        "containerDefinitions[name=log-router]",
        "tags[key=environment].value",
    ]
    .into_iter()
    .map(str::to_owned)
    .collect();
    assert_eq!(differences(&dev[1], &prod[1]), expected_worker_task);
    let expected_service: BTreeSet<String> = ["desiredCount", "tags[key=environment].value"]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(differences(&dev[2], &prod[2]), expected_service);
    assert_eq!(differences(&dev[3], &prod[3]), expected_service);
    assert_eq!(prod[2]["desiredCount"], 4);
    assert_eq!(prod[3]["desiredCount"], 3);
    assert_eq!(dev[3]["desiredCount"], 1);
}

#[test]
fn the_image_tag_comes_from_a_top_level_argument_or_the_environment() {
    let tagged = ristretto(
        "examples/multi-env",
        &[
            "--env",
            "prod",
            "--tla-str",
            "tag=1.4.2",
            "render",
            "taskdef",
            "--service",
            "api",
        ],
    );
    assert_eq!(tagged.len(), 1, "--service selects one service");
    assert_eq!(
        tagged[0]["containerDefinitions"][0]["image"],
        "public.ecr.aws/nginx/nginx:1.4.2"
    );
    let output = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(["--env", "dev", "render", "taskdef", "--service", "worker"])
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-env"))
        .env("IMAGE_TAG", "9.9")
        .output()
        .unwrap();
    let document: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(
        document["containerDefinitions"][0]["image"],
        "public.ecr.aws/docker/library/busybox:9.9"
    );
}

#[test]
fn an_unknown_service_or_environment_is_one_clear_error() {
    let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/multi-env");
    let output = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(["--env", "prod", "render", "taskdef", "--service", "apii"])
        .current_dir(&directory)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("--service apii"), "{stderr}");
    assert!(stderr.contains("did you mean api?"), "{stderr}");

    let output = Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(["--env", "qa", "render", "config"])
        .current_dir(&directory)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
}
