//! No-op tests against real-shaped ECS answers: every pair in `tests/fixtures/real-ecs/` (its
//! README says what each is and where it comes from) is planned with `plan_service`, the live
//! state built as the AWS adapter builds it — each response decoded into the SDK's types and
//! encoded back (`aws::ecs_sdk::live_service_from_response`) — and the Service Connect
//! namespaces resolved from the pair's `cloud_map` (what GetNamespace would answer), the way
//! the live-state fetch is to resolve them. The plan must be empty: no change, no action, no
//! note. A new directory is picked up without editing this file. Tests only.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::{LiveState, PlanOptions, PlanRequest, ServicePlan, Target, plan_service};
use crate::aws::ecs_sdk::{live_service_from_response, live_task_definition_from_response};
use crate::definition::{check_service_definition, check_task_definition};
use crate::normalize;

/// The files every pair has, besides `pair.json`.
const PAIR_FILES: [&str; 4] = [
    "task-definition.json",
    "describe-task-definition.json",
    "service-definition.json",
    "describe-services.json",
];

struct Pair {
    name: String,
    directory: PathBuf,
    manifest: Value,
}

impl Pair {
    fn file(&self, name: &str) -> Value {
        read_json(&self.directory.join(name))
    }

    /// GetNamespace answers: namespace name by ARN.
    fn cloud_map(&self) -> BTreeMap<String, String> {
        self.manifest["cloud_map"]
            .as_object()
            .map(|names| {
                names
                    .iter()
                    .map(|(arn, name)| (arn.clone(), name.as_str().unwrap_or_default().to_owned()))
                    .collect()
            })
            .unwrap_or_default()
    }

    fn described_service(&self) -> Value {
        let described = self.file("describe-services.json");
        let services = described["services"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert_eq!(services.len(), 1, "{}: one service per pair", self.name);
        services[0].clone()
    }

    /// The request as `commands` builds it: checked definitions, `serviceName` from the config.
    fn request(&self) -> PlanRequest {
        let described = self.described_service();
        let text = |key: &str| described[key].as_str().unwrap_or_default().to_owned();
        let task_definition = check_task_definition(self.file("task-definition.json"))
            .unwrap_or_else(|errors| panic!("{}: task-definition.json: {errors:?}", self.name))
            .document;
        let mut service = check_service_definition(self.file("service-definition.json"))
            .unwrap_or_else(|errors| panic!("{}: service-definition.json: {errors:?}", self.name))
            .document;
        service["serviceName"] = json!(text("serviceName"));
        PlanRequest {
            target: Target {
                region: text("serviceArn")
                    .split(':')
                    .nth(3)
                    .unwrap_or_default()
                    .to_owned(),
                cluster: text("clusterArn")
                    .rsplit('/')
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
                service: text("serviceName"),
            },
            task_definition,
            service: Some(service),
            ownership: None,
        }
    }

    /// The live state as `live::fetch` returns it for this service, with the namespace ARNs of
    /// both documents resolved through the pair's `cloud_map`.
    fn live(&self, request: &PlanRequest, resolve_namespaces: bool) -> LiveState {
        let mut service = live_service_from_response(&self.described_service());
        let task_definition =
            live_task_definition_from_response(&self.file("describe-task-definition.json"));
        assert_eq!(
            service.task_definition, task_definition.arn,
            "{}: the service runs the described task definition",
            self.name
        );
        if resolve_namespaces {
            let cloud_map = self.cloud_map();
            for arn in normalize::service_connect_namespace_arns(
                request.service.as_ref(),
                &service.document,
            ) {
                let name = cloud_map.get(&arn).unwrap_or_else(|| {
                    panic!("{}: pair.json cloud_map has no name for {arn}", self.name)
                });
                service.namespace_names.insert(arn, name.clone());
            }
        }
        LiveState {
            service: Some(service),
            task_definition: Some(task_definition.clone()),
            latest_in_family: Some(task_definition),
            chosen: None,
        }
    }

    fn plan(&self, resolve_namespaces: bool) -> ServicePlan {
        let request = self.request();
        let live = self.live(&request, resolve_namespaces);
        plan_service(&request, &live, &PlanOptions::default())
            .unwrap_or_else(|error| panic!("{}: {error}", self.name))
    }
}

fn corpus_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-ecs")
}

fn read_json(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// Every directory of the corpus, in name order.
fn pairs() -> Vec<Pair> {
    let mut directories: Vec<PathBuf> = std::fs::read_dir(corpus_directory())
        .expect("tests/fixtures/real-ecs")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .collect();
    directories.sort();
    directories
        .into_iter()
        .map(|directory| Pair {
            name: directory
                .file_name()
                .and_then(|name| name.to_str())
                .unwrap_or_default()
                .to_owned(),
            manifest: read_json(&directory.join("pair.json")),
            directory,
        })
        .collect()
}

fn pair(name: &str) -> Pair {
    pairs()
        .into_iter()
        .find(|pair| pair.name == name)
        .unwrap_or_else(|| panic!("no pair {name}"))
}

#[test]
fn every_pair_plans_no_change_no_action_and_no_note() {
    let mut failures = Vec::new();
    let all = pairs();
    for pair in &all {
        let plan = pair.plan(true);
        if !plan.changes.task_definition.is_empty()
            || !plan.changes.service.is_empty()
            || !plan.actions.is_empty()
            || !plan.notes.is_empty()
        {
            failures.push(format!(
                "{}:\n  task definition changes: {:?}\n  service changes: {:?}\n  actions: {:?}\n  notes: {:?}",
                pair.name,
                plan.changes.task_definition.changes,
                plan.changes.service.changes,
                plan.actions,
                plan.notes
            ));
        }
    }
    assert!(all.len() >= 5, "only {} pairs", all.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Without the Cloud Map answers the Service Connect pair is not quiet: the namespace lookup is
/// what makes it so (and `every_pair_…` would notice a pair whose ARN never needed one).
#[test]
fn service_connect_needs_the_resolved_namespace() {
    let plan = pair("service-connect").plan(false);
    assert!(
        !plan.changes.service.is_empty(),
        "expected the namespace ARN to differ from the name"
    );
}

/// The cases issue 15 asks the corpus to hold, checked on the files themselves so that a pair
/// edited into something else is noticed.
#[test]
fn the_corpus_holds_the_cases_it_is_for() {
    let described = |name: &str| pair(name).described_service();
    let primary = |service: &Value| {
        service["deployments"]
            .as_array()
            .and_then(|deployments| {
                deployments
                    .iter()
                    .find(|deployment| deployment["status"] == "PRIMARY")
            })
            .cloned()
            .unwrap_or_default()
    };

    let connect = described("service-connect");
    assert!(connect.get("serviceConnectConfiguration").is_none());
    let namespace = primary(&connect)["serviceConnectConfiguration"]["namespace"].clone();
    assert!(
        namespace
            .as_str()
            .is_some_and(|arn| arn.starts_with("arn:"))
    );
    assert_eq!(
        pair("service-connect").file("service-definition.json")["serviceConnectConfiguration"]["namespace"],
        pair("service-connect").manifest["cloud_map"][namespace.as_str().unwrap()]
    );

    let ebs = described("ebs-volume");
    assert!(ebs.get("volumeConfigurations").is_none());
    assert!(primary(&ebs)["volumeConfigurations"].is_array());

    let blue_green = described("blue-green-ecs");
    assert_eq!(
        blue_green["deploymentConfiguration"]["strategy"],
        "BLUE_GREEN"
    );
    assert!(
        blue_green["loadBalancers"][0]["advancedConfiguration"]["alternateTargetGroupArn"]
            .is_string()
    );

    assert_eq!(
        described("blue-green-code-deploy")["deploymentController"]["type"],
        "CODE_DEPLOY"
    );

    let containers =
        pair("container-defaults").file("task-definition.json")["containerDefinitions"].clone();
    for default in [
        "cpu",
        "essential",
        "environment",
        "mountPoints",
        "volumesFrom",
        "systemControls",
    ] {
        assert!(
            containers
                .as_array()
                .into_iter()
                .flatten()
                .any(|container| container.get(default).is_none()),
            "the definition should leave {default} out somewhere"
        );
    }
}

#[test]
fn every_pair_has_its_files_and_a_source_for_each() {
    for pair in pairs() {
        assert!(
            pair.manifest["description"]
                .as_str()
                .is_some_and(|text| !text.is_empty()),
            "{}: pair.json needs a description",
            pair.name
        );
        for file in PAIR_FILES {
            assert!(
                pair.directory.join(file).is_file(),
                "{}: no {file}",
                pair.name
            );
            assert!(
                pair.manifest["sources"][file]
                    .as_str()
                    .is_some_and(|text| !text.is_empty()),
                "{}: pair.json names no source for {file}",
                pair.name
            );
        }
    }
}
