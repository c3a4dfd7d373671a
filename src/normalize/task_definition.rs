//! Task definition normalization: turns a `register-task-definition` input (local) or a
//! `describe-task-definition --include TAGS` `taskDefinition` object with `tags` moved in
//! (remote) into the comparable form. One function per rule, applied in `task_definition`.
//! Must not validate (that is `definition`'s job), rename keys, or touch the contents of user
//! maps (`dockerLabels`, `logConfiguration.options`, `firelensConfiguration.options`, …).

use serde_json::{Map, Value, json};

use super::NormalizeOptions;
use super::common::{
    drop_ignored_tags, fill_default, object_mut, objects_in_mut, remove_absent_equivalents,
    remove_if_equal, sort_by_field, sort_member_by_canonical_json, sort_member_by_field,
    sort_strings, sort_tags_by_key,
};

/// Returned by DescribeTaskDefinition / RegisterTaskDefinition but not part of the input (the
/// list the AWS deploy action strips; ecspresso T1). A local file pasted from describe output
/// may carry them too (T2). `deleteRequestedAt` is newer than that list (DeleteTaskDefinitions).
pub const RESPONSE_ONLY_FIELDS: [&str; 9] = [
    "taskDefinitionArn",
    "revision",
    "status",
    "requiresAttributes",
    "compatibilities",
    "registeredAt",
    "registeredBy",
    "deregisteredAt",
    "deleteRequestedAt",
];

/// The comparable form of a task definition document (see the module documentation).
pub fn task_definition(document: &Value, options: &NormalizeOptions) -> Value {
    let mut document = document.clone();
    remove_absent_equivalents(&mut document);
    let Some(task) = document.as_object_mut() else {
        return document;
    };
    drop_response_only_fields(task);
    convert_task_cpu_units(task);
    convert_task_memory_units(task);
    drop_ignored_tags(task, &options.ignore_tags);
    volume_configured_at_launch_false_is_absent(task);
    docker_volume_scope_defaults_to_task(task);
    efs_volume_defaults(task);
    proxy_type_defaults_to_appmesh(task);
    fault_injection_defaults_to_false(task);
    let awsvpc = task.get("networkMode").and_then(Value::as_str) == Some("awsvpc");
    for container in objects_in_mut(task, "containerDefinitions") {
        essential_defaults_to_true(container);
        container_cpu_defaults_to_zero(container);
        health_check_defaults(container);
        version_consistency_enabled_is_absent(container);
        restart_attempt_period_defaults_to_300(container);
        for port_mapping in objects_in_mut(container, "portMappings") {
            port_protocol_defaults_to_tcp(port_mapping);
            if awsvpc {
                awsvpc_host_port_defaults_to_container_port(port_mapping);
            } else {
                dynamic_host_port_zero_is_absent(port_mapping);
            }
        }
    }
    // Rules above can empty a list or object (e.g. every tag ignored): clean again before sorting
    // so both sides sort the same elements.
    remove_absent_equivalents(&mut document);
    let Some(task) = document.as_object_mut() else {
        return document;
    };
    for container in objects_in_mut(task, "containerDefinitions") {
        sort_environment_and_secrets_by_name(container);
        sort_port_mappings_mount_points_and_volumes_from(container);
        sort_other_container_sets(container);
    }
    sort_containers_by_name(task);
    sort_task_sets(task);
    sort_proxy_properties_by_name(task);
    sort_tags_by_key(task);
    document
}

/// T1: response-only fields are not part of what a definition controls.
fn drop_response_only_fields(task: &mut Map<String, Value>) {
    for field in RESPONSE_ONLY_FIELDS {
        task.remove(field);
    }
}

/// T6: task `cpu` may be written as `"0.25 vCPU"`, `"0.5vcpu"`, `"4 vcpu"`; ECS stores CPU units
/// (1 vCPU = 1024). Returns the value unchanged when it is not `<number> vcpu` (any case) or the
/// product is not a whole number of units (ecspresso drops such a value instead; keeping it
/// shows the user what they wrote).
pub fn task_cpu_units(text: &str) -> String {
    times_1024_before_unit(text, "vcpu").unwrap_or_else(|| text.to_owned())
}

/// T6: task `memory` may be written as `"0.5 GB"`, `"4GB"`; ECS stores MiB (1 GB = 1024).
/// ecspresso only recognises upper-case `GB`; any case is accepted here, because a spelling ECS
/// rejects fails at registration whatever the diff said, and one it accepts is then compared
/// correctly. Unparsable values are returned unchanged.
pub fn task_memory_units(text: &str) -> String {
    times_1024_before_unit(text, "gb").unwrap_or_else(|| text.to_owned())
}

fn times_1024_before_unit(text: &str, lower_case_unit: &str) -> Option<String> {
    let lower_case = text.to_ascii_lowercase();
    let unit_start = lower_case.find(lower_case_unit)?;
    if !lower_case[unit_start + lower_case_unit.len()..]
        .trim()
        .is_empty()
    {
        return None;
    }
    let amount: f64 = text[..unit_start].trim().parse().ok()?;
    let units = amount * 1024.0;
    (units.is_finite() && units >= 0.0 && units.fract() == 0.0 && units <= u64::MAX as f64)
        .then(|| format!("{}", units as u64))
}

fn convert_task_cpu_units(task: &mut Map<String, Value>) {
    convert_task_size(task, "cpu", task_cpu_units);
}

fn convert_task_memory_units(task: &mut Map<String, Value>) {
    convert_task_size(task, "memory", task_memory_units);
}

/// RegisterTaskDefinition takes task `cpu`/`memory` as strings, but Jsonnet authors often write
/// numbers; `512` and `"512"` are the same amount, so whole numbers become strings here (the
/// definition checker is where a wrong type is reported).
fn convert_task_size(task: &mut Map<String, Value>, field: &str, convert: fn(&str) -> String) {
    let converted = match task.get(field) {
        Some(Value::String(text)) => convert(text),
        Some(Value::Number(number)) if number.is_u64() => number.to_string(),
        _ => return,
    };
    task.insert(field.to_owned(), Value::String(converted));
}

/// ECS makes a container essential unless told otherwise and returns `essential: true`.
fn essential_defaults_to_true(container: &mut Map<String, Value>) {
    fill_default(container, "essential", Value::Bool(true));
}

/// ECS returns container `cpu: 0` when none was given (ecspresso's struct cannot even tell the
/// two apart).
fn container_cpu_defaults_to_zero(container: &mut Map<String, Value>) {
    fill_default(container, "cpu", json!(0));
}

/// ECS returns `protocol: "tcp"` for a port mapping that did not say.
fn port_protocol_defaults_to_tcp(port_mapping: &mut Map<String, Value>) {
    fill_default(port_mapping, "protocol", json!("tcp"));
}

/// T4: with `awsvpc` the task has its own network interface, so ECS sets the host port to the
/// container port and returns it. Only with a `containerPort`: a `containerPortRange` mapping
/// has no single host port.
fn awsvpc_host_port_defaults_to_container_port(port_mapping: &mut Map<String, Value>) {
    if let Some(container_port) = port_mapping.get("containerPort").cloned() {
        fill_default(port_mapping, "hostPort", container_port);
    }
}

/// In `bridge` (and other non-`awsvpc`) mode an omitted host port means "pick a dynamic port",
/// which ECS reports as `hostPort: 0`. Not filled the other way round: a missing host port is
/// not the container port there (a static 80 is a real difference from a dynamic port).
fn dynamic_host_port_zero_is_absent(port_mapping: &mut Map<String, Value>) {
    remove_if_equal(port_mapping, "hostPort", &json!(0));
}

/// ECS fills a health check's `interval` 30, `timeout` 5 and `retries` 3 when they are omitted
/// (documented defaults; `startPeriod` has no value returned when omitted, so it is left alone).
fn health_check_defaults(container: &mut Map<String, Value>) {
    if let Some(health_check) = object_mut(container, "healthCheck") {
        fill_default(health_check, "interval", json!(30));
        fill_default(health_check, "timeout", json!(5));
        fill_default(health_check, "retries", json!(3));
    }
}

/// ECS returns `configuredAtLaunch: false` on every volume where it was not set.
fn volume_configured_at_launch_false_is_absent(task: &mut Map<String, Value>) {
    for volume in objects_in_mut(task, "volumes") {
        remove_if_equal(volume, "configuredAtLaunch", &Value::Bool(false));
    }
}

/// A Docker volume's `scope` defaults to `task` (the volume lives and dies with the task), and
/// ECS reports the scope in force: terraform-provider-aws marks `scope` as computed for that
/// reason. `shared` is kept, so moving a volume between scopes still shows.
fn docker_volume_scope_defaults_to_task(task: &mut Map<String, Value>) {
    for volume in objects_in_mut(task, "volumes") {
        if let Some(docker) = object_mut(volume, "dockerVolumeConfiguration") {
            fill_default(docker, "scope", json!("task"));
        }
    }
}

/// EFS volume defaults documented in the API reference (EFSVolumeConfiguration,
/// EFSAuthorizationConfig): `rootDirectory` omitted is the file system's root `/`,
/// `transitEncryption` omitted is `DISABLED`, and an authorization config's `iam` omitted is
/// `DISABLED`. Filled on both sides, so the explicit and the implicit spelling compare equal
/// whichever one ECS echoes; any other value is still a change.
fn efs_volume_defaults(task: &mut Map<String, Value>) {
    for volume in objects_in_mut(task, "volumes") {
        if let Some(efs) = object_mut(volume, "efsVolumeConfiguration") {
            fill_default(efs, "rootDirectory", json!("/"));
            fill_default(efs, "transitEncryption", json!("DISABLED"));
            if let Some(authorization) = object_mut(efs, "authorizationConfig") {
                fill_default(authorization, "iam", json!("DISABLED"));
            }
        }
    }
}

/// `enableFaultInjection` defaults to `false` (API reference, TaskDefinition), and
/// DescribeTaskDefinition returns it — the aws-sdk-ecs 1.157 model has it on every described
/// task definition, and the issue that asked for this corpus saw `false` come back for
/// definitions that never mentioned it.
fn fault_injection_defaults_to_false(task: &mut Map<String, Value>) {
    fill_default(task, "enableFaultInjection", json!(false));
}

/// `versionConsistency` defaults to `enabled` (API reference, ContainerDefinition: "By
/// default, the value is enabled"). DescribeTaskDefinition does not appear to echo the default
/// (terraform-provider-aws compares container definitions without filling it, against real
/// AWS), so the explicit default is removed rather than filled: both spellings compare equal
/// whichever one ECS returns, plans do not grow a line per container, and `disabled` still
/// shows.
fn version_consistency_enabled_is_absent(container: &mut Map<String, Value>) {
    remove_if_equal(container, "versionConsistency", &json!("enabled"));
}

/// A container restart policy's `restartAttemptPeriod` defaults to 300 seconds (API reference,
/// ContainerRestartPolicy). Only inside a restart policy the user wrote: a container without one
/// has no restart policy, which is not the same as an enabled one.
fn restart_attempt_period_defaults_to_300(container: &mut Map<String, Value>) {
    if let Some(policy) = object_mut(container, "restartPolicy") {
        fill_default(policy, "restartAttemptPeriod", json!(300));
    }
}

/// `APPMESH` is the only proxy type ECS supports and its default.
fn proxy_type_defaults_to_appmesh(task: &mut Map<String, Value>) {
    if let Some(proxy) = object_mut(task, "proxyConfiguration") {
        fill_default(proxy, "type", json!("APPMESH"));
    }
}

/// T3: variables and secrets are sets keyed by name; their order is not kept meaningfully.
fn sort_environment_and_secrets_by_name(container: &mut Map<String, Value>) {
    sort_member_by_field(container, "environment", "name");
    sort_member_by_field(container, "secrets", "name");
}

/// T3: ecspresso sorts these by their JSON text. Done after the port-mapping defaults so both
/// sides sort the same text.
fn sort_port_mappings_mount_points_and_volumes_from(container: &mut Map<String, Value>) {
    sort_member_by_canonical_json(container, "portMappings");
    sort_member_by_canonical_json(container, "mountPoints");
    sort_member_by_canonical_json(container, "volumesFrom");
}

/// Further container lists that are sets in ECS (beyond ecspresso, which leaves them in file
/// order): `ulimits` (one per name), `dependsOn` (one per container), `systemControls` (one per
/// sysctl), `logConfiguration.secretOptions` (by name) and the Linux capability names. Lists
/// whose order matters are left alone: `command`, `entryPoint`, `environmentFiles` (later files
/// win), `extraHosts`, `dnsServers`.
fn sort_other_container_sets(container: &mut Map<String, Value>) {
    sort_member_by_field(container, "ulimits", "name");
    sort_member_by_field(container, "dependsOn", "containerName");
    sort_member_by_field(container, "systemControls", "namespace");
    if let Some(log_configuration) = object_mut(container, "logConfiguration") {
        sort_member_by_field(log_configuration, "secretOptions", "name");
    }
    if let Some(capabilities) = object_mut(container, "linuxParameters")
        .and_then(|linux_parameters| object_mut(linux_parameters, "capabilities"))
    {
        sort_strings(capabilities, "add");
        sort_strings(capabilities, "drop");
    }
}

/// T5: containers are a set keyed by name.
fn sort_containers_by_name(task: &mut Map<String, Value>) {
    sort_member_by_field(task, "containerDefinitions", "name");
}

/// T5: `requiresCompatibilities` (a set of names), `placementConstraints` (all are applied) and
/// `volumes` (a set keyed by name) are order-insensitive.
fn sort_task_sets(task: &mut Map<String, Value>) {
    sort_strings(task, "requiresCompatibilities");
    sort_member_by_canonical_json(task, "placementConstraints");
    if let Some(Value::Array(volumes)) = task.get_mut("volumes") {
        sort_by_field(volumes, "name");
    }
}

/// T5: proxy properties are a set keyed by name.
fn sort_proxy_properties_by_name(task: &mut Map<String, Value>) {
    if let Some(Value::Array(properties)) =
        object_mut(task, "proxyConfiguration").and_then(|proxy| proxy.get_mut("properties"))
    {
        sort_by_field(properties, "name");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalized(document: Value) -> Value {
        task_definition(&document, &NormalizeOptions::default())
    }

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn apply(rule: fn(&mut Map<String, Value>), value: Value) -> Value {
        let mut document = object(value);
        rule(&mut document);
        Value::Object(document)
    }

    #[test]
    fn response_only_fields_are_dropped() {
        let document = json!({
            "family": "app", "taskDefinitionArn": "arn", "revision": 3, "status": "ACTIVE",
            "requiresAttributes": [{"name": "x"}], "compatibilities": ["EC2"],
            "registeredAt": "t", "registeredBy": "me", "deregisteredAt": "t",
            "deleteRequestedAt": "t",
        });
        assert_eq!(
            apply(drop_response_only_fields, document),
            json!({"family": "app"})
        );
    }

    #[test]
    fn cpu_units_match_ecspresso_table() {
        let table: Value = serde_json::from_str(
            &std::fs::read_to_string(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/ecspresso/expected/unit-tables.json"
            ))
            .unwrap(),
        )
        .unwrap();
        for case in table["task_cpu_units"]["cases"].as_array().unwrap() {
            assert_eq!(
                task_cpu_units(case[0].as_str().unwrap()),
                case[1].as_str().unwrap()
            );
        }
        for case in table["task_memory_units"]["cases"].as_array().unwrap() {
            assert_eq!(
                task_memory_units(case[0].as_str().unwrap()),
                case[1].as_str().unwrap()
            );
        }
    }

    #[test]
    fn units_keep_what_they_cannot_convert() {
        assert_eq!(task_cpu_units("1024"), "1024");
        assert_eq!(task_cpu_units("0.1 vCPU"), "0.1 vCPU");
        assert_eq!(task_cpu_units("many vCPU"), "many vCPU");
        assert_eq!(task_cpu_units("1 vCPU please"), "1 vCPU please");
        assert_eq!(task_memory_units("2 gb"), "2048");
        assert_eq!(task_memory_units("2 MB"), "2 MB");
    }

    #[test]
    fn task_cpu_and_memory_are_converted_in_the_document() {
        assert_eq!(
            apply(convert_task_cpu_units, json!({"cpu": "0.25 vCPU"})),
            json!({"cpu": "256"})
        );
        assert_eq!(
            apply(convert_task_memory_units, json!({"memory": "1 GB"})),
            json!({"memory": "1024"})
        );
        assert_eq!(
            apply(convert_task_memory_units, json!({"memory": 512})),
            json!({"memory": "512"})
        );
    }

    #[test]
    fn essential_defaults_to_true_but_false_is_kept() {
        assert_eq!(
            apply(essential_defaults_to_true, json!({})),
            json!({"essential": true})
        );
        assert_eq!(
            apply(essential_defaults_to_true, json!({"essential": false})),
            json!({"essential": false})
        );
    }

    #[test]
    fn container_cpu_defaults_to_zero() {
        assert_eq!(
            apply(super::container_cpu_defaults_to_zero, json!({})),
            json!({"cpu": 0})
        );
        assert_eq!(
            apply(super::container_cpu_defaults_to_zero, json!({"cpu": 128})),
            json!({"cpu": 128})
        );
    }

    #[test]
    fn port_protocol_defaults_to_tcp() {
        assert_eq!(
            apply(
                super::port_protocol_defaults_to_tcp,
                json!({"containerPort": 80})
            ),
            json!({"containerPort": 80, "protocol": "tcp"})
        );
        assert_eq!(
            apply(
                super::port_protocol_defaults_to_tcp,
                json!({"protocol": "udp"})
            ),
            json!({"protocol": "udp"})
        );
    }

    #[test]
    fn awsvpc_host_port_defaults_to_container_port() {
        assert_eq!(
            apply(
                super::awsvpc_host_port_defaults_to_container_port,
                json!({"containerPort": 8080})
            ),
            json!({"containerPort": 8080, "hostPort": 8080})
        );
        let range = json!({"containerPortRange": "8000-8010"});
        assert_eq!(
            apply(
                super::awsvpc_host_port_defaults_to_container_port,
                range.clone()
            ),
            range
        );
    }

    #[test]
    fn host_port_fill_is_for_awsvpc_only() {
        let bridge = normalized(json!({"networkMode": "bridge", "containerDefinitions": [
            {"name": "app", "portMappings": [{"containerPort": 80}]}
        ]}));
        assert_eq!(
            bridge["containerDefinitions"][0]["portMappings"][0],
            json!({"containerPort": 80, "protocol": "tcp"})
        );
        let awsvpc = normalized(json!({"networkMode": "awsvpc", "containerDefinitions": [
            {"name": "app", "portMappings": [{"containerPort": 80}]}
        ]}));
        assert_eq!(
            awsvpc["containerDefinitions"][0]["portMappings"][0]["hostPort"],
            json!(80)
        );
    }

    #[test]
    fn dynamic_host_port_zero_is_absent() {
        assert_eq!(
            apply(
                super::dynamic_host_port_zero_is_absent,
                json!({"containerPort": 80, "hostPort": 0})
            ),
            json!({"containerPort": 80})
        );
        assert_eq!(
            apply(
                super::dynamic_host_port_zero_is_absent,
                json!({"hostPort": 80})
            ),
            json!({"hostPort": 80})
        );
    }

    #[test]
    fn health_check_defaults_fill_only_what_is_missing() {
        assert_eq!(
            apply(
                health_check_defaults,
                json!({"healthCheck": {"command": ["CMD", "true"], "retries": 5}})
            ),
            json!({"healthCheck": {"command": ["CMD", "true"], "interval": 30, "timeout": 5, "retries": 5}})
        );
        assert_eq!(apply(health_check_defaults, json!({})), json!({}));
    }

    #[test]
    fn volume_configured_at_launch_false_is_absent() {
        assert_eq!(
            apply(
                super::volume_configured_at_launch_false_is_absent,
                json!({"volumes": [{"name": "a", "configuredAtLaunch": false}, {"name": "b", "configuredAtLaunch": true}]})
            ),
            json!({"volumes": [{"name": "a"}, {"name": "b", "configuredAtLaunch": true}]})
        );
    }

    #[test]
    fn docker_volume_scope_defaults_to_task_but_shared_is_kept() {
        assert_eq!(
            apply(
                super::docker_volume_scope_defaults_to_task,
                json!({"volumes": [{"name": "a", "dockerVolumeConfiguration": {"driver": "local"}}]})
            ),
            json!({"volumes": [{"name": "a", "dockerVolumeConfiguration": {"driver": "local", "scope": "task"}}]})
        );
        let shared = json!({"volumes": [{"name": "a", "dockerVolumeConfiguration": {"scope": "shared", "autoprovision": true}}]});
        assert_eq!(
            apply(super::docker_volume_scope_defaults_to_task, shared.clone()),
            shared
        );
    }

    #[test]
    fn efs_volume_defaults_fill_only_what_is_missing() {
        assert_eq!(
            apply(
                super::efs_volume_defaults,
                json!({"volumes": [{"name": "a", "efsVolumeConfiguration": {"fileSystemId": "fs-1", "authorizationConfig": {"accessPointId": "fsap-1"}}}]})
            ),
            json!({"volumes": [{"name": "a", "efsVolumeConfiguration": {
                "fileSystemId": "fs-1", "rootDirectory": "/", "transitEncryption": "DISABLED",
                "authorizationConfig": {"accessPointId": "fsap-1", "iam": "DISABLED"},
            }}]})
        );
        let written = json!({"volumes": [{"name": "a", "efsVolumeConfiguration": {
            "fileSystemId": "fs-1", "rootDirectory": "/data", "transitEncryption": "ENABLED",
            "authorizationConfig": {"iam": "ENABLED"},
        }}]});
        assert_eq!(apply(super::efs_volume_defaults, written.clone()), written);
    }

    #[test]
    fn fault_injection_defaults_to_false_but_true_is_a_change() {
        assert_eq!(
            apply(super::fault_injection_defaults_to_false, json!({})),
            json!({"enableFaultInjection": false})
        );
        assert_ne!(
            normalized(json!({"family": "app", "enableFaultInjection": true})),
            normalized(json!({"family": "app", "enableFaultInjection": false}))
        );
        assert_eq!(
            normalized(json!({"family": "app"})),
            normalized(json!({"family": "app", "enableFaultInjection": false}))
        );
    }

    #[test]
    fn version_consistency_enabled_is_absent_but_disabled_is_kept() {
        assert_eq!(
            apply(
                super::version_consistency_enabled_is_absent,
                json!({"versionConsistency": "enabled"})
            ),
            json!({})
        );
        assert_eq!(
            apply(
                super::version_consistency_enabled_is_absent,
                json!({"versionConsistency": "disabled"})
            ),
            json!({"versionConsistency": "disabled"})
        );
    }

    #[test]
    fn restart_attempt_period_defaults_to_300_inside_a_policy_only() {
        assert_eq!(
            apply(
                super::restart_attempt_period_defaults_to_300,
                json!({"restartPolicy": {"enabled": true}})
            ),
            json!({"restartPolicy": {"enabled": true, "restartAttemptPeriod": 300}})
        );
        assert_eq!(
            apply(super::restart_attempt_period_defaults_to_300, json!({})),
            json!({})
        );
        let custom = json!({"restartPolicy": {"enabled": true, "restartAttemptPeriod": 60}});
        assert_eq!(
            apply(
                super::restart_attempt_period_defaults_to_300,
                custom.clone()
            ),
            custom
        );
    }

    #[test]
    fn proxy_type_defaults_to_appmesh() {
        assert_eq!(
            apply(
                super::proxy_type_defaults_to_appmesh,
                json!({"proxyConfiguration": {"containerName": "envoy"}})
            ),
            json!({"proxyConfiguration": {"containerName": "envoy", "type": "APPMESH"}})
        );
    }

    #[test]
    fn environment_and_secrets_sort_by_name() {
        assert_eq!(
            apply(
                sort_environment_and_secrets_by_name,
                json!({
                    "environment": [{"name": "TZ", "value": "UTC"}, {"name": "LANG", "value": "en"}],
                    "secrets": [{"name": "B", "valueFrom": "b"}, {"name": "A", "valueFrom": "a"}],
                })
            ),
            json!({
                "environment": [{"name": "LANG", "value": "en"}, {"name": "TZ", "value": "UTC"}],
                "secrets": [{"name": "A", "valueFrom": "a"}, {"name": "B", "valueFrom": "b"}],
            })
        );
    }

    #[test]
    fn port_mappings_mount_points_and_volumes_from_are_order_insensitive() {
        let one = json!({
            "portMappings": [{"containerPort": 9090}, {"containerPort": 8080}],
            "mountPoints": [{"sourceVolume": "data"}, {"sourceVolume": "cache"}],
            "volumesFrom": [{"sourceContainer": "init"}, {"sourceContainer": "assets"}],
        });
        let other = json!({
            "portMappings": [{"containerPort": 8080}, {"containerPort": 9090}],
            "mountPoints": [{"sourceVolume": "cache"}, {"sourceVolume": "data"}],
            "volumesFrom": [{"sourceContainer": "assets"}, {"sourceContainer": "init"}],
        });
        assert_eq!(
            apply(sort_port_mappings_mount_points_and_volumes_from, one),
            apply(sort_port_mappings_mount_points_and_volumes_from, other)
        );
    }

    #[test]
    fn other_container_sets_are_order_insensitive() {
        let sorted = apply(
            sort_other_container_sets,
            json!({
                "ulimits": [{"name": "nofile"}, {"name": "core"}],
                "dependsOn": [{"containerName": "b"}, {"containerName": "a"}],
                "systemControls": [{"namespace": "y"}, {"namespace": "x"}],
                "linuxParameters": {"capabilities": {"add": ["SYS_PTRACE", "NET_ADMIN"]}},
                "command": ["b", "a"],
            }),
        );
        assert_eq!(sorted["ulimits"][0]["name"], "core");
        assert_eq!(sorted["dependsOn"][0]["containerName"], "a");
        assert_eq!(sorted["systemControls"][0]["namespace"], "x");
        assert_eq!(
            sorted["linuxParameters"]["capabilities"]["add"],
            json!(["NET_ADMIN", "SYS_PTRACE"])
        );
        assert_eq!(
            sorted["command"],
            json!(["b", "a"]),
            "command order matters"
        );
    }

    #[test]
    fn containers_sort_by_name() {
        assert_eq!(
            apply(
                sort_containers_by_name,
                json!({"containerDefinitions": [{"name": "web"}, {"name": "app"}]})
            ),
            json!({"containerDefinitions": [{"name": "app"}, {"name": "web"}]})
        );
    }

    #[test]
    fn task_sets_sort() {
        assert_eq!(
            apply(
                sort_task_sets,
                json!({
                    "requiresCompatibilities": ["FARGATE", "EC2"],
                    "placementConstraints": [{"type": "memberOf", "expression": "b"}, {"type": "memberOf", "expression": "a"}],
                    "volumes": [{"name": "data"}, {"name": "cache"}],
                })
            ),
            json!({
                "requiresCompatibilities": ["EC2", "FARGATE"],
                "placementConstraints": [{"type": "memberOf", "expression": "a"}, {"type": "memberOf", "expression": "b"}],
                "volumes": [{"name": "cache"}, {"name": "data"}],
            })
        );
    }

    #[test]
    fn proxy_properties_sort_by_name() {
        assert_eq!(
            apply(
                sort_proxy_properties_by_name,
                json!({"proxyConfiguration": {"properties": [{"name": "b", "value": "1"}, {"name": "a", "value": "2"}]}})
            ),
            json!({"proxyConfiguration": {"properties": [{"name": "a", "value": "2"}, {"name": "b", "value": "1"}]}})
        );
    }

    #[test]
    fn empty_capability_add_list_is_absent() {
        let document = normalized(json!({"containerDefinitions": [
            {"name": "app", "linuxParameters": {"capabilities": {"add": [], "drop": ["ALL"]}}}
        ]}));
        assert_eq!(
            document["containerDefinitions"][0]["linuxParameters"],
            json!({"capabilities": {"drop": ["ALL"]}})
        );
    }

    #[test]
    fn ignored_tags_are_dropped_and_an_emptied_list_disappears() {
        let options = NormalizeOptions {
            ignore_tags: vec!["owner".to_owned()],
        };
        let document = task_definition(
            &json!({"family": "app", "tags": [{"key": "owner", "value": "x"}]}),
            &options,
        );
        assert_eq!(
            document,
            json!({"family": "app", "enableFaultInjection": false})
        );
    }

    #[test]
    fn docker_label_keys_keep_their_case() {
        let document = normalized(json!({"containerDefinitions": [
            {"name": "app", "dockerLabels": {"Team": "web"}, "logConfiguration": {"logDriver": "awslogs", "options": {"Awslogs-Group": "g"}}}
        ]}));
        assert_eq!(
            document["containerDefinitions"][0]["dockerLabels"],
            json!({"Team": "web"})
        );
        assert_eq!(
            document["containerDefinitions"][0]["logConfiguration"]["options"],
            json!({"Awslogs-Group": "g"})
        );
    }

    #[test]
    fn not_an_object_is_returned_as_is() {
        assert_eq!(normalized(json!("text")), json!("text"));
    }
}
