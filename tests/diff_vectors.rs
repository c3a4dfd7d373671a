//! ecspresso diff conformance: every vector in tests/fixtures/ecspresso/diff-vectors/ (read in
//! place, never copied) is one test. Each normalizes its `local` and `remote` documents with
//! `ristretto::normalize`, diffs them with `ristretto::diff` (remote = before, local = after)
//! and checks `expect` and `expect_changed_paths`. Tests only; must not change the vectors or
//! carry a private copy of the normalization rules.
//!
//! `expect_changed_paths` are written in the vectors' syntax (`$.a[0].b`, indexes into the
//! normalized, sorted arrays). They are converted to ristretto `Path`s by walking both
//! normalized documents: `.key` becomes `Segment::Key`; `[i]` becomes `Segment::Named` when
//! `diff::identifying_field` says that array is matched by name (the name is read from element
//! `i` of the local side, or the remote side when only it has the array), else
//! `Segment::Index(i)`. A listed path and a reported change "cover" each other when one path is
//! a prefix of the other (the diff may report `tags` as removed where the vector names `$.tags`,
//! or a whole added member where the vector names its leaf). Both directions are asserted: every
//! listed path is covered by a change, and every change by a listed path.
//!
//! No vector is skipped or treated differently: ristretto supports the `monitoring` service
//! field of the `sv-newer-monitoring-*` vectors.

use std::path::PathBuf;

use ristretto::diff::{self, Diff, Path, Segment};
use ristretto::normalize::{self, NormalizeOptions};
use serde_json::Value;

macro_rules! diff_vectors {
    ($($test_name:ident => $file_name:literal,)*) => {
        $(
            #[test]
            fn $test_name() {
                check_vector($file_name);
            }
        )*

        const LISTED_VECTORS: &[&str] = &[$($file_name),*];
    };
}

diff_vectors! {
    v01_td_go_test_definitions_equal => "01-td-go-test-definitions-equal.json",
    v02_td_go_test_remote_missing => "02-td-go-test-remote-missing.json",
    v03_sv_go_test_definitions_equal => "03-sv-go-test-definitions-equal.json",
    v04_sv_go_test_desired_count_absent_locally => "04-sv-go-test-desired-count-absent-locally.json",
    v05_sv_go_test_desired_count_set_locally => "05-sv-go-test-desired-count-set-locally.json",
    v06_sv_go_test_remote_missing => "06-sv-go-test-remote-missing.json",
    v07_td_cpu_quarter_vcpu => "07-td-cpu-quarter-vcpu.json",
    v08_td_memory_gb => "08-td-memory-gb.json",
    v09_td_cpu_memory_no_space_lowercase => "09-td-cpu-memory-no-space-lowercase.json",
    v10_td_cpu_memory_whole_vcpus => "10-td-cpu-memory-whole-vcpus.json",
    v11_td_cpu_real_change => "11-td-cpu-real-change.json",
    v12_td_environment_order => "12-td-environment-order.json",
    v13_td_environment_value_changed => "13-td-environment-value-changed.json",
    v14_td_secrets_order => "14-td-secrets-order.json",
    v15_td_port_mappings_order => "15-td-port-mappings-order.json",
    v16_td_containers_order => "16-td-containers-order.json",
    v17_td_tags_order => "17-td-tags-order.json",
    v18_td_proxy_properties_order => "18-td-proxy-properties-order.json",
    v19_td_volumes_empty_vs_absent => "19-td-volumes-empty-vs-absent.json",
    v20_td_container_cpu_zero_vs_absent => "20-td-container-cpu-zero-vs-absent.json",
    v21_td_awsvpc_host_port_fill => "21-td-awsvpc-host-port-fill.json",
    v22_td_bridge_host_port_not_filled => "22-td-bridge-host-port-not-filled.json",
    v23_td_read_only_keys_in_local_file => "23-td-read-only-keys-in-local-file.json",
    v24_sv_fargate_platform_version_default => "24-sv-fargate-platform-version-default.json",
    v25_sv_platform_version_pinned => "25-sv-platform-version-pinned.json",
    v26_sv_assign_public_ip_default => "26-sv-assign-public-ip-default.json",
    v27_sv_assign_public_ip_enabled => "27-sv-assign-public-ip-enabled.json",
    v28_sv_deployment_configuration_default => "28-sv-deployment-configuration-default.json",
    v29_sv_circuit_breaker_default => "29-sv-circuit-breaker-default.json",
    v30_sv_circuit_breaker_enabled => "30-sv-circuit-breaker-enabled.json",
    v31_sv_maximum_percent_changed => "31-sv-maximum-percent-changed.json",
    v32_sv_subnets_security_groups_order => "32-sv-subnets-security-groups-order.json",
    v33_sv_scheduling_strategy_default => "33-sv-scheduling-strategy-default.json",
    v34_sv_daemon_deployment_configuration_default => "34-sv-daemon-deployment-configuration-default.json",
    v35_sv_placement_constraints_order => "35-sv-placement-constraints-order.json",
    v36_sv_tags_order => "36-sv-tags-order.json",
    v37_sv_tags_value_changed => "37-sv-tags-value-changed.json",
    v38_sv_desired_count_changed => "38-sv-desired-count-changed.json",
    v39_sv_newer_maximum_percent_default => "39-sv-newer-maximum-percent-default.json",
    v40_sv_newer_minimum_healthy_percent_default => "40-sv-newer-minimum-healthy-percent-default.json",
    v41_sv_newer_codedeploy_target_group_ignored => "41-sv-newer-codedeploy-target-group-ignored.json",
    v42_sv_newer_ecs_controller_target_group_diff => "42-sv-newer-ecs-controller-target-group-diff.json",
    v43_sv_newer_monitoring_added => "43-sv-newer-monitoring-added.json",
    v44_sv_newer_monitoring_same => "44-sv-newer-monitoring-same.json",
    v45_sv_newer_subnets_changed => "45-sv-newer-subnets-changed.json",
    v46_td_newer_memory_and_image_changed => "46-td-newer-memory-and-image-changed.json",
    v47_td_newer_identical => "47-td-newer-identical.json",
    v48_td_api_essential_default => "48-td-api-essential-default.json",
    v49_td_api_essential_false_is_kept => "49-td-api-essential-false-is-kept.json",
    v50_td_api_container_cpu_default => "50-td-api-container-cpu-default.json",
    v51_td_api_port_protocol_default => "51-td-api-port-protocol-default.json",
    v52_td_api_port_protocol_udp => "52-td-api-port-protocol-udp.json",
    v53_td_api_health_check_defaults => "53-td-api-health-check-defaults.json",
    v54_td_api_health_check_retries_changed => "54-td-api-health-check-retries-changed.json",
    v55_td_api_container_empty_lists => "55-td-api-container-empty-lists.json",
    v56_td_api_task_empty_lists => "56-td-api-task-empty-lists.json",
    v57_td_api_bridge_host_port_zero => "57-td-api-bridge-host-port-zero.json",
    v58_td_api_linux_capabilities_empty_add => "58-td-api-linux-capabilities-empty-add.json",
    v59_td_api_volume_configured_at_launch_false => "59-td-api-volume-configured-at-launch-false.json",
    v60_td_docker_labels_keys_case_sensitive => "60-td-docker-labels-keys-case-sensitive.json",
    v61_td_mount_points_volumes_from_volumes_order => "61-td-mount-points-volumes-from-volumes-order.json",
    v62_td_placement_constraints_order => "62-td-placement-constraints-order.json",
    v63_td_requires_compatibilities_order => "63-td-requires-compatibilities-order.json",
    v64_td_tags_only_remote => "64-td-tags-only-remote.json",
    v65_td_api_describe_read_only_fields => "65-td-api-describe-read-only-fields.json",
    v66_td_api_minimal_local_vs_describe => "66-td-api-minimal-local-vs-describe.json",
    v67_sv_api_propagate_tags_none_default => "67-sv-api-propagate-tags-none-default.json",
    v68_sv_api_managed_tags_execute_command_false => "68-sv-api-managed-tags-execute-command-false.json",
    v69_sv_api_deployment_controller_ecs_default => "69-sv-api-deployment-controller-ecs-default.json",
    v70_sv_api_alarms_disabled_default => "70-sv-api-alarms-disabled-default.json",
    v71_sv_api_deployment_strategy_rolling_default => "71-sv-api-deployment-strategy-rolling-default.json",
    v72_sv_api_empty_lists => "72-sv-api-empty-lists.json",
    v73_sv_api_describe_read_only_fields => "73-sv-api-describe-read-only-fields.json",
    v74_sv_api_minimal_local_vs_describe => "74-sv-api-minimal-local-vs-describe.json",
}

fn vectors_directory() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/ecspresso/diff-vectors")
}

/// A vector added to tests/fixtures must get its own test here, not be silently ignored.
#[test]
fn every_vector_file_has_a_test() {
    let mut on_disk: Vec<String> = std::fs::read_dir(vectors_directory())
        .expect("diff-vectors directory")
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".json"))
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = LISTED_VECTORS.iter().map(|name| name.to_string()).collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

/// The two documents a vector compares, normalized: (remote = before, local = after).
fn normalized_pair(vector: &Value) -> (Option<Value>, Value) {
    let options = NormalizeOptions::default();
    let local = &vector["local"];
    let remote = Some(&vector["remote"]).filter(|remote| !remote.is_null());
    match vector["kind"].as_str() {
        Some("task_definition") => (
            remote.map(|remote| normalize::task_definition(remote, &options)),
            normalize::task_definition(local, &options),
        ),
        Some("service_definition") => match remote {
            Some(remote) => {
                let (local, remote) = normalize::comparable_services(
                    local,
                    remote,
                    &options,
                    &normalize::NamespaceNames::new(),
                );
                (Some(remote), local)
            }
            None => (None, normalize::service(local, &options)),
        },
        other => panic!("unknown vector kind {other:?}"),
    }
}

fn check_vector(file_name: &str) {
    let path = vectors_directory().join(file_name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let vector: Value = serde_json::from_str(&text).unwrap();
    let (before, after) = normalized_pair(&vector);
    let result = diff::diff(before.as_ref(), &after);
    let context = || {
        format!(
            "{file_name}: {}\nchanges: {:#}\nnormalized remote: {:#}\nnormalized local: {:#}",
            vector["description"].as_str().unwrap_or_default(),
            serde_json::to_value(describe(&result)).unwrap(),
            before.clone().unwrap_or(Value::Null),
            after,
        )
    };

    match vector["expect"].as_str() {
        Some("no_diff") => assert!(result.is_empty(), "expected no diff\n{}", context()),
        Some("diff") => assert!(!result.is_empty(), "expected a diff\n{}", context()),
        other => panic!("{file_name}: unknown expect {other:?}"),
    }
    if before.is_none() {
        assert!(
            matches!(result.changes.as_slice(), [diff::Change::Added { path, value }] if path.is_root() && *value == after),
            "a missing remote must be one addition of the whole document\n{}",
            context()
        );
    }
    let Some(expected_paths) = vector.get("expect_changed_paths").and_then(Value::as_array) else {
        return;
    };
    let expected: Vec<Path> = expected_paths
        .iter()
        .map(|text| {
            let steps = parse_vector_path(text.as_str().expect("paths are strings"));
            to_diff_path(&steps, before.as_ref(), &after)
        })
        .collect();
    let covers = |left: &Path, right: &Path| left.starts_with(right) || right.starts_with(left);
    for (text, expected_path) in expected_paths.iter().zip(&expected) {
        assert!(
            result
                .changes
                .iter()
                .any(|change| covers(change.path(), expected_path)),
            "listed path {text} (as {expected_path}) is not covered by any change\n{}",
            context()
        );
    }
    for change in &result.changes {
        assert!(
            expected
                .iter()
                .any(|expected_path| covers(change.path(), expected_path)),
            "change at {} is outside the listed paths {expected_paths:?}\n{}",
            change.path(),
            context()
        );
    }
}

/// Changes with displayed paths, for failure messages.
fn describe(result: &Diff) -> Vec<String> {
    result
        .changes
        .iter()
        .map(|change| format!("{} {:?}", change.path(), change))
        .collect()
}

enum VectorStep {
    Member(String),
    Element(usize),
}

/// Parses the vectors' path syntax: `$`, then `.key`, `["key"]` and `[index]` steps.
fn parse_vector_path(text: &str) -> Vec<VectorStep> {
    let mut rest = text
        .strip_prefix('$')
        .unwrap_or_else(|| panic!("{text}: paths start with $"));
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if let Some(after_dot) = rest.strip_prefix('.') {
            let end = after_dot.find(['.', '[']).unwrap_or(after_dot.len());
            steps.push(VectorStep::Member(after_dot[..end].to_owned()));
            rest = &after_dot[end..];
        } else if let Some(after_bracket) = rest.strip_prefix("[\"") {
            let end = after_bracket
                .find("\"]")
                .unwrap_or_else(|| panic!("{text}: unclosed [\""));
            let key: String =
                serde_json::from_str(&format!("\"{}\"", &after_bracket[..end])).unwrap();
            steps.push(VectorStep::Member(key));
            rest = &after_bracket[end + 2..];
        } else if let Some(after_bracket) = rest.strip_prefix('[') {
            let end = after_bracket
                .find(']')
                .unwrap_or_else(|| panic!("{text}: unclosed ["));
            let index = after_bracket[..end]
                .parse()
                .unwrap_or_else(|_| panic!("{text}: bad index"));
            steps.push(VectorStep::Element(index));
            rest = &after_bracket[end + 1..];
        } else {
            panic!("{text}: cannot parse at {rest:?}");
        }
    }
    steps
}

/// Converts a vector path into the `Path` the diff uses for the same place (module docs).
fn to_diff_path(steps: &[VectorStep], before: Option<&Value>, after: &Value) -> Path {
    // [remote (before), local (after)]
    let mut sides: [Option<&Value>; 2] = [before, Some(after)];
    let mut segments = Vec::new();
    for step in steps {
        match step {
            VectorStep::Member(key) => {
                segments.push(Segment::Key(key.clone()));
                sides = sides.map(|side| side.and_then(|value| value.get(key)));
            }
            VectorStep::Element(index) => {
                let arrays: [&[Value]; 2] = sides.map(|side| {
                    side.and_then(Value::as_array)
                        .map(Vec::as_slice)
                        .unwrap_or_default()
                });
                match diff::identifying_field(arrays[0], arrays[1]) {
                    Some(field) => {
                        let element = arrays[1]
                            .get(*index)
                            .or_else(|| arrays[0].get(*index))
                            .expect("a listed path names an existing element");
                        let identifier = element[field].as_str().unwrap().to_owned();
                        sides = arrays.map(|array| {
                            array
                                .iter()
                                .find(|element| element[field] == identifier.as_str())
                        });
                        segments.push(Segment::Named {
                            key: field.to_owned(),
                            value: identifier,
                        });
                    }
                    None => {
                        segments.push(Segment::Index(*index));
                        sides = arrays.map(|array| array.get(*index));
                    }
                }
            }
        }
    }
    Path(segments)
}
