//! Service definition normalization: turns a `create-service` input (local) or one `services[]`
//! element of `describe-services --include TAGS` (remote) into the comparable form, and applies
//! the pair rules that need both sides (`comparable_services`). One function per rule. Must not
//! decide what an apply does with a difference (the planner does, using `REPLACEMENT_FIELDS`),
//! rename keys, or validate.
//!
//! The comparable form keeps:
//! - what UpdateService can change, plus `tags` (ecspresso's S1 projection, extended with the
//!   newer `availabilityZoneRebalancing`, `vpcLatticeConfigurations` and `monitoring`);
//! - the fields UpdateService cannot change, `REPLACEMENT_FIELDS` (`launchType`,
//!   `schedulingStrategy`, `deploymentController`, `role`), normalized like the rest (defaults
//!   filled; `roleArn` turned into `role`). Keeping them in the same document means one diff
//!   shows every difference, and the planner marks a change as "requires replacement" when its
//!   path's top-level key is in `REPLACEMENT_FIELDS` — no second document to keep in step, so
//!   there is no separate `service_immutable_fields`.
//!
//! It drops the identity (`serviceName`, `cluster`: the service was looked up by them, so they
//! match by construction), `taskDefinition` (the planner pairs it with the task definition plan),
//! and everything read-only (`serviceArn`, `status`, counts, `deployments`, `events`, …).

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};

use super::NormalizeOptions;
use super::common::{
    drop_ignored_tags, fill_default, object_mut, objects_in_mut, remove_absent_equivalents,
    remove_if_equal, sort_member_by_canonical_json, sort_member_by_field, sort_strings,
    sort_tags_by_key,
};

/// Service fields UpdateService cannot change: a difference in one of them means the service
/// would have to be recreated (terraform-provider-aws marks them ForceNew). Note for the planner:
/// switching `launchType` to a `capacityProviderStrategy` is possible in place with
/// `forceNewDeployment`, and newer ECS allows some `deploymentController` changes.
pub const REPLACEMENT_FIELDS: [&str; 4] = [
    "launchType",
    "schedulingStrategy",
    "deploymentController",
    "role",
];

/// What UpdateService can change, plus tags (applied with TagResource / UntagResource).
const UPDATABLE_FIELDS: [&str; 19] = [
    "availabilityZoneRebalancing",
    "capacityProviderStrategy",
    "deploymentConfiguration",
    "desiredCount",
    "enableECSManagedTags",
    "enableExecuteCommand",
    "healthCheckGracePeriodSeconds",
    "loadBalancers",
    // High-resolution service metrics (newer ecspresso, tests/sv-monitoring.json).
    "monitoring",
    "networkConfiguration",
    "placementConstraints",
    "placementStrategy",
    "platformVersion",
    "propagateTags",
    "serviceConnectConfiguration",
    "serviceRegistries",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
    "tags",
];

/// Fields where "absent locally" means "leave whatever ECS has", so the remote value is not
/// compared when the local definition does not set it (`comparable_services`).
/// - `desiredCount`: usually owned by Application Auto Scaling or the operator (ecspresso S13).
/// - `availabilityZoneRebalancing`: its default for new services has changed over time
///   (ecspresso fills `DISABLED`; newer ECS enables it for new services), so no fixed default
///   can be assumed; a definition that does not mention it does not manage it.
pub const LEFT_TO_ECS_WHEN_ABSENT: [&str; 2] = ["desiredCount", "availabilityZoneRebalancing"];

/// Settings DescribeServices returns only inside the deployments (ecspresso S14).
const DEPLOYMENT_ONLY_FIELDS: [&str; 3] = [
    "serviceConnectConfiguration",
    "volumeConfigurations",
    "vpcLatticeConfigurations",
];

/// Cloud Map namespace names by namespace ARN, as servicediscovery GetNamespace answers them
/// (`crate::aws::servicediscovery`). The caller resolves the ARNs that
/// `service_connect_namespace_arns` lists and passes the answers in; normalization itself does
/// no I/O. An ARN missing from the map is compared as it is.
pub type NamespaceNames = BTreeMap<String, String>;

/// Deployment strategies that shift traffic between a production and an alternate target group
/// (`loadBalancers[].advancedConfiguration`), swapping the two at every deployment.
const TARGET_GROUP_SWAPPING_STRATEGIES: [&str; 3] = ["BLUE_GREEN", "LINEAR", "CANARY"];

/// The service-linked role ECS uses when a service is created without `role`.
const SERVICE_LINKED_ROLE_NAME: &str = "AWSServiceRoleForECS";

/// The comparable form of one service definition document (see the module documentation).
pub fn service(document: &Value, options: &NormalizeOptions) -> Value {
    let mut source = document.clone();
    remove_absent_equivalents(&mut source);
    let Value::Object(mut source) = source else {
        return source;
    };
    copy_settings_from_primary_deployment(&mut source);
    role_from_role_arn(&mut source);
    let mut service = project_to_service_definition_fields(source);

    service_linked_role_is_absent(&mut service);
    scheduling_strategy_defaults_to_replica(&mut service);
    deployment_controller_defaults_to_ecs(&mut service);
    daemon_ignores_placement_strategy(&mut service);
    capacity_provider_base_and_weight_default_to_zero(&mut service);
    fargate_platform_version_defaults_to_latest(&mut service);
    assign_public_ip_defaults_to_disabled(&mut service);
    deployment_percent_defaults(&mut service);
    circuit_breaker_defaults(&mut service);
    deployment_strategy_defaults_to_rolling(&mut service);
    newer_deployment_defaults_are_absent(&mut service);
    disabled_alarms_are_absent(&mut service);
    propagate_tags_defaults_to_none(&mut service);
    managed_tags_and_execute_command_default_to_false(&mut service);
    health_check_grace_period_zero_is_absent(&mut service);
    disabled_service_connect_is_absent(&mut service);
    service_connect_discovery_name_defaults_to_port_name(&mut service);
    ebs_filesystem_type_defaults_to_xfs(&mut service);
    code_deploy_ignores_target_group_arn(&mut service);
    blue_green_target_group_pair_is_unordered(&mut service);
    drop_ignored_tags(&mut service, &options.ignore_tags);

    let mut service = Value::Object(service);
    remove_absent_equivalents(&mut service);
    if let Some(service) = service.as_object_mut() {
        sort_network_sets(service);
        sort_service_sets(service);
        sort_tags_by_key(service);
    }
    service
}

/// Both documents in comparable form, plus the pair rules, in this order: the cluster's
/// default capacity provider strategy is adopted when the definition names neither a launch
/// type nor a strategy; a field of `LEFT_TO_ECS_WHEN_ABSENT` missing from the local document is
/// dropped from the remote one; Service Connect namespace ARNs become names (`namespace_names`,
/// resolved by the caller), a namespace the definition leaves out is the cluster's default, and
/// client aliases' default DNS names are recognised.
pub fn comparable_services(
    local: &Value,
    remote: &Value,
    options: &NormalizeOptions,
    namespace_names: &NamespaceNames,
) -> (Value, Value) {
    let local = cluster_default_capacity_provider_strategy_is_adopted(local, remote);
    let mut local = service(&local, options);
    let mut remote = service(remote, options);
    left_to_ecs_when_absent(&local, &mut remote);
    for side in [&mut local, &mut remote] {
        if let Some(side) = side.as_object_mut() {
            service_connect_namespace_arn_as_name(side, namespace_names);
        }
    }
    service_connect_namespace_left_to_cluster_default_when_absent(&mut local, &remote);
    for side in [&mut local, &mut remote] {
        if let Some(side) = side.as_object_mut() {
            service_connect_default_dns_name_is_absent(side);
        }
    }
    (local, remote)
}

/// The Cloud Map namespace ARNs the Service Connect configurations of a definition and of a
/// DescribeServices element refer to (the latter in its PRIMARY deployment, where ECS reports
/// Service Connect): what the caller resolves with GetNamespace before planning. Empty for
/// services without Service Connect, and for namespaces written as names. Pure.
pub fn service_connect_namespace_arns(
    definition: Option<&Value>,
    described: &Value,
) -> BTreeSet<String> {
    let mut described = described.clone();
    if let Some(described) = described.as_object_mut() {
        copy_settings_from_primary_deployment(described);
    }
    [definition, Some(&described)]
        .into_iter()
        .flatten()
        .filter_map(|document| {
            document
                .get("serviceConnectConfiguration")?
                .get("namespace")?
                .as_str()
                .filter(|namespace| is_arn(namespace))
                .map(str::to_owned)
        })
        .collect()
}

fn is_arn(text: &str) -> bool {
    text.starts_with("arn:")
}

/// CreateService: "If no capacityProviderStrategy or launchType is specified, the
/// defaultCapacityProviderStrategy for the cluster is used", and DescribeServices then reports
/// that strategy. A definition that names neither has accepted the cluster's choice, so the live
/// strategy is adopted into the local document before both are normalized (which also gives
/// both sides the same Fargate platform-version default). Not the other way round: a definition
/// that names a strategy or a launch type is compared as written.
fn cluster_default_capacity_provider_strategy_is_adopted(local: &Value, remote: &Value) -> Value {
    let mut local = local.clone();
    let names_neither = |document: &Map<String, Value>| {
        ["launchType", "capacityProviderStrategy"]
            .iter()
            .all(|field| document.get(*field).is_none_or(Value::is_null))
    };
    if let (Some(local), Some(strategy)) = (
        local.as_object_mut().filter(|local| names_neither(local)),
        remote
            .get("capacityProviderStrategy")
            .filter(|strategy| strategy.as_array().is_some_and(|items| !items.is_empty())),
    ) {
        local.insert("capacityProviderStrategy".to_owned(), strategy.clone());
    }
    local
}

/// ECS reports the Service Connect namespace as the Cloud Map namespace ARN (also when the
/// definition named it), while definitions usually name it; CreateService and UpdateService take
/// either. An ARN the caller resolved (`NamespaceNames`) is replaced by the namespace name, on
/// both sides, so a definition that writes the ARN also compares equal with a live name. A
/// different namespace still shows: its ARN resolves to a different name, or not at all.
fn service_connect_namespace_arn_as_name(
    service: &mut Map<String, Value>,
    namespace_names: &NamespaceNames,
) {
    if let Some(Value::String(namespace)) =
        object_mut(service, "serviceConnectConfiguration").and_then(|sc| sc.get_mut("namespace"))
        && let Some(name) = namespace_names.get(namespace.as_str())
    {
        *namespace = name.clone();
    }
}

/// A Service Connect configuration without `namespace` uses the cluster's default Service
/// Connect namespace, and DescribeServices reports that namespace (the "Configure Amazon ECS
/// Service Connect with the AWS CLI" tutorial creates a service without one and reads back the
/// cluster default's ARN). A definition that leaves it out accepts the cluster's choice, so the
/// live namespace is adopted into the local side — like `LEFT_TO_ECS_WHEN_ABSENT`, but kept on
/// both sides because the client aliases' default DNS names are made from it.
fn service_connect_namespace_left_to_cluster_default_when_absent(
    local: &mut Value,
    remote: &Value,
) {
    let Some(namespace) = remote
        .get("serviceConnectConfiguration")
        .and_then(|sc| sc.get("namespace"))
    else {
        return;
    };
    if let Some(local_configuration) = local
        .get_mut("serviceConnectConfiguration")
        .and_then(Value::as_object_mut)
    {
        local_configuration
            .entry("namespace")
            .or_insert_with(|| namespace.clone());
    }
}

/// ECS names a Service Connect client alias without `dnsName` `<discoveryName>.<namespace
/// name>` and reports that name (tutorial above: alias `{port: 80}` of port `nginx` in namespace
/// `service-connect` comes back with `dnsName: nginx.service-connect`). That exact name is
/// removed, so both spellings compare equal; any other DNS name is kept. Needs the namespace as
/// a name: with an unresolved ARN nothing is removed (and the ARN itself differs anyway).
fn service_connect_default_dns_name_is_absent(service: &mut Map<String, Value>) {
    let Some(configuration) = object_mut(service, "serviceConnectConfiguration") else {
        return;
    };
    let Some(namespace) = configuration
        .get("namespace")
        .and_then(Value::as_str)
        .filter(|namespace| !is_arn(namespace))
        .map(str::to_owned)
    else {
        return;
    };
    for connect_service in objects_in_mut(configuration, "services") {
        let Some(discovery_name) = connect_service
            .get("discoveryName")
            .and_then(Value::as_str)
            .map(str::to_owned)
        else {
            continue;
        };
        let default_dns_name = json!(format!("{discovery_name}.{namespace}"));
        for alias in objects_in_mut(connect_service, "clientAliases") {
            remove_if_equal(alias, "dnsName", &default_dns_name);
        }
    }
}

/// ecspresso S13 and `availabilityZoneRebalancing` (see `LEFT_TO_ECS_WHEN_ABSENT`).
fn left_to_ecs_when_absent(local: &Value, remote: &mut Value) {
    if let (Some(local), Some(remote)) = (local.as_object(), remote.as_object_mut()) {
        for field in LEFT_TO_ECS_WHEN_ABSENT {
            if !local.contains_key(field) {
                remote.remove(field);
            }
        }
    }
}

/// S14: DescribeServices does not return Service Connect, EBS volume and VPC Lattice settings at
/// service level; the PRIMARY deployment carries what is in force. Not for CODE_DEPLOY, whose
/// deployments are task sets driven by CodeDeploy (as ecspresso). A local document has no
/// `deployments`, so this does nothing there.
fn copy_settings_from_primary_deployment(source: &mut Map<String, Value>) {
    if deployment_controller_type(source) == Some("CODE_DEPLOY") {
        return;
    }
    let primary = source
        .get("deployments")
        .and_then(Value::as_array)
        .and_then(|deployments| {
            deployments.iter().find(|deployment| {
                deployment.get("status").and_then(Value::as_str) == Some("PRIMARY")
            })
        })
        .cloned();
    let Some(Value::Object(primary)) = primary else {
        return;
    };
    for field in DEPLOYMENT_ONLY_FIELDS {
        if let Some(value) = primary.get(field) {
            source.entry(field).or_insert_with(|| value.clone());
        }
    }
}

/// `create-service` takes `role` (a name or an ARN); DescribeServices returns `roleArn`. Both
/// are compared as the role name: IAM role names are unique in an account, and a local file may
/// use either spelling.
fn role_from_role_arn(source: &mut Map<String, Value>) {
    if let Some(role_arn) = source.remove("roleArn") {
        source.entry("role").or_insert(role_arn);
    }
    if let Some(Value::String(role)) = source.get_mut("role") {
        // `rsplit` yields the whole text when there is no '/', so a bare name is kept.
        let name = role.rsplit('/').next().unwrap_or_default().to_owned();
        *role = name;
    }
}

/// S1: keep what the service definition controls (see the module documentation).
fn project_to_service_definition_fields(source: Map<String, Value>) -> Map<String, Value> {
    source
        .into_iter()
        .filter(|(field, _)| {
            UPDATABLE_FIELDS.contains(&field.as_str())
                || REPLACEMENT_FIELDS.contains(&field.as_str())
        })
        .collect()
}

/// Without `role` ECS uses its service-linked role and reports that role's ARN; naming it
/// explicitly means the same.
fn service_linked_role_is_absent(service: &mut Map<String, Value>) {
    remove_if_equal(service, "role", &json!(SERVICE_LINKED_ROLE_NAME));
}

/// S6: REPLICA is the default scheduling strategy.
fn scheduling_strategy_defaults_to_replica(service: &mut Map<String, Value>) {
    fill_default(service, "schedulingStrategy", json!("REPLICA"));
}

/// ECS (rolling update) is the default deployment controller; DescribeServices returns it.
fn deployment_controller_defaults_to_ecs(service: &mut Map<String, Value>) {
    fill_default(service, "deploymentController", json!({"type": "ECS"}));
    if let Some(controller) = object_mut(service, "deploymentController") {
        fill_default(controller, "type", json!("ECS"));
    }
}

/// S2: a DAEMON service places one task per instance; placement strategies do not apply.
fn daemon_ignores_placement_strategy(service: &mut Map<String, Value>) {
    if is_daemon(service) {
        service.remove("placementStrategy");
    }
}

/// S4: Fargate services without a platform version run on `LATEST`, which is what
/// DescribeServices reports at service level (the resolved version, e.g. `1.4.0`, only shows in
/// the deployments). Also for capacity-provider strategies that only use the Fargate providers
/// (beyond ecspresso, which looks at `launchType` only): the same default applies there.
fn fargate_platform_version_defaults_to_latest(service: &mut Map<String, Value>) {
    let fargate_launch_type = service.get("launchType").and_then(Value::as_str) == Some("FARGATE");
    let fargate_capacity_providers = service
        .get("capacityProviderStrategy")
        .and_then(Value::as_array)
        .is_some_and(|strategy| {
            !strategy.is_empty()
                && strategy.iter().all(|item| {
                    matches!(
                        item.get("capacityProvider").and_then(Value::as_str),
                        Some("FARGATE" | "FARGATE_SPOT")
                    )
                })
        });
    if fargate_launch_type || fargate_capacity_providers {
        fill_default(service, "platformVersion", json!("LATEST"));
    }
}

/// S5: tasks get no public IP unless asked.
fn assign_public_ip_defaults_to_disabled(service: &mut Map<String, Value>) {
    if let Some(awsvpc) = object_mut(service, "networkConfiguration")
        .and_then(|network| object_mut(network, "awsvpcConfiguration"))
    {
        fill_default(awsvpc, "assignPublicIp", json!("DISABLED"));
    }
}

/// S6/S7: maximumPercent / minimumHealthyPercent default to 200 / 100 for REPLICA services and
/// 100 / 0 for DAEMON services, each filled on its own when missing (newer ecspresso, #894).
fn deployment_percent_defaults(service: &mut Map<String, Value>) {
    let (maximum, minimum) = if is_daemon(service) {
        (100, 0)
    } else {
        (200, 100)
    };
    if let Some(configuration) = deployment_configuration(service) {
        fill_default(configuration, "maximumPercent", json!(maximum));
        fill_default(configuration, "minimumHealthyPercent", json!(minimum));
    }
}

/// S6: a missing circuit breaker, or a missing flag of one, is disabled — DescribeServices
/// returns `{enable: false, rollback: false}`. Also for DAEMON services: a disabled breaker is
/// the default whether or not ECS reports it there.
fn circuit_breaker_defaults(service: &mut Map<String, Value>) {
    if let Some(configuration) = deployment_configuration(service) {
        fill_default(configuration, "deploymentCircuitBreaker", json!({}));
        if let Some(breaker) = object_mut(configuration, "deploymentCircuitBreaker") {
            fill_default(breaker, "enable", json!(false));
            fill_default(breaker, "rollback", json!(false));
        }
    }
}

/// Rolling update is the default deployment strategy; newer DescribeServices answers carry
/// `strategy: ROLLING`.
fn deployment_strategy_defaults_to_rolling(service: &mut Map<String, Value>) {
    if let Some(configuration) = deployment_configuration(service) {
        fill_default(configuration, "strategy", json!("ROLLING"));
    }
}

/// Newer deployment knobs whose default newer ecspresso fills (S8): a circuit breaker's
/// `resetOnHealthyTask` true and `thresholdConfiguration` BOUNDED_PERCENT 50, and a bake time of
/// 0 under the rolling strategy (bake time only applies to blue/green and the like). Here the
/// default is removed rather than filled in, so that the knobs show in a plan only for the
/// services that set them.
fn newer_deployment_defaults_are_absent(service: &mut Map<String, Value>) {
    let Some(configuration) = deployment_configuration(service) else {
        return;
    };
    if configuration.get("strategy").and_then(Value::as_str) == Some("ROLLING") {
        remove_if_equal(configuration, "bakeTimeInMinutes", &json!(0));
    }
    if let Some(breaker) = object_mut(configuration, "deploymentCircuitBreaker") {
        remove_if_equal(breaker, "resetOnHealthyTask", &json!(true));
        remove_if_equal(
            breaker,
            "thresholdConfiguration",
            &json!({"type": "BOUNDED_PERCENT", "value": 50}),
        );
    }
}

/// DescribeServices may return `alarms: {alarmNames: [], enable: false, rollback: false}` for a
/// service created without alarms: with no alarm and both flags off, alarm-based rollback is
/// off, the same as no `alarms` at all.
fn disabled_alarms_are_absent(service: &mut Map<String, Value>) {
    let Some(configuration) = deployment_configuration(service) else {
        return;
    };
    let is_disabled = configuration
        .get("alarms")
        .and_then(Value::as_object)
        .is_some_and(|alarms| {
            let has_names = alarms
                .get("alarmNames")
                .and_then(Value::as_array)
                .is_some_and(|names| !names.is_empty());
            let flag_on = |flag: &str| alarms.get(flag) == Some(&Value::Bool(true));
            !has_names && !flag_on("enable") && !flag_on("rollback")
        });
    if is_disabled {
        configuration.remove("alarms");
    }
}

/// DescribeServices returns `propagateTags: NONE` when tags are not propagated (Terraform
/// suppresses the same difference).
fn propagate_tags_defaults_to_none(service: &mut Map<String, Value>) {
    fill_default(service, "propagateTags", json!("NONE"));
}

/// Both flags are off unless set, and DescribeServices returns `false` for them.
fn managed_tags_and_execute_command_default_to_false(service: &mut Map<String, Value>) {
    fill_default(service, "enableECSManagedTags", json!(false));
    fill_default(service, "enableExecuteCommand", json!(false));
}

/// The documented default grace period is 0 seconds, however ECS reports it.
fn health_check_grace_period_zero_is_absent(service: &mut Map<String, Value>) {
    remove_if_equal(service, "healthCheckGracePeriodSeconds", &json!(0));
}

/// S10: ecspresso sends `{enabled: false}` to turn Service Connect off; that is no Service
/// Connect, the same as absent.
fn disabled_service_connect_is_absent(service: &mut Map<String, Value>) {
    remove_if_equal(
        service,
        "serviceConnectConfiguration",
        &json!({"enabled": false}),
    );
}

/// A capacity provider strategy item's `base` and `weight` default to 0 (API reference,
/// CapacityProviderStrategyItem), and the SDK models both as plain integers, so a described
/// strategy always carries them (the update-service examples of the AWS CLI show `"base": 0`).
fn capacity_provider_base_and_weight_default_to_zero(service: &mut Map<String, Value>) {
    for item in objects_in_mut(service, "capacityProviderStrategy") {
        fill_default(item, "base", json!(0));
        fill_default(item, "weight", json!(0));
    }
}

/// A Service Connect service without `discoveryName` is discovered by its `portName` (API
/// reference, ServiceConnectService), and DescribeServices reports it so (tutorial cited at
/// `service_connect_default_dns_name_is_absent`: `portName: nginx` comes back with
/// `discoveryName: nginx`).
fn service_connect_discovery_name_defaults_to_port_name(service: &mut Map<String, Value>) {
    if let Some(configuration) = object_mut(service, "serviceConnectConfiguration") {
        for connect_service in objects_in_mut(configuration, "services") {
            if let Some(port_name) = connect_service.get("portName").cloned() {
                fill_default(connect_service, "discoveryName", port_name);
            }
        }
    }
}

/// An ECS-managed EBS volume's `filesystemType` defaults to `xfs` (API reference,
/// ServiceManagedEBSVolumeConfiguration: "If no value is specified, the xfs filesystem type is
/// used by default"). Filled on both sides; `ext4` and the others still show.
fn ebs_filesystem_type_defaults_to_xfs(service: &mut Map<String, Value>) {
    for volume in objects_in_mut(service, "volumeConfigurations") {
        if let Some(ebs) = object_mut(volume, "managedEBSVolume") {
            fill_default(ebs, "filesystemType", json!("xfs"));
        }
    }
}

/// Under ECS-managed blue/green (and the linear and canary strategies), each deployment moves
/// production traffic to the other target group of the pair `targetGroupArn` /
/// `advancedConfiguration.alternateTargetGroupArn`, and ECS alternates the two from one
/// deployment to the next (terraform-provider-aws#45678 describes the alternation, and what goes
/// wrong when a tool sends its original order back). The pair is compared as a set: ordered so
/// that `targetGroupArn` is the smaller ARN. A target group outside the pair still shows.
fn blue_green_target_group_pair_is_unordered(service: &mut Map<String, Value>) {
    let strategy = service
        .get("deploymentConfiguration")
        .and_then(|configuration| configuration.get("strategy"))
        .and_then(Value::as_str)
        .unwrap_or_default();
    if !TARGET_GROUP_SWAPPING_STRATEGIES.contains(&strategy) {
        return;
    }
    for load_balancer in objects_in_mut(service, "loadBalancers") {
        let (Some(Value::String(production)), Some(Value::String(alternate))) = (
            load_balancer.get("targetGroupArn").cloned(),
            load_balancer
                .get("advancedConfiguration")
                .and_then(|advanced| advanced.get("alternateTargetGroupArn"))
                .cloned(),
        ) else {
            continue;
        };
        if alternate < production {
            load_balancer.insert("targetGroupArn".to_owned(), json!(alternate));
            if let Some(advanced) = object_mut(load_balancer, "advancedConfiguration") {
                advanced.insert("alternateTargetGroupArn".to_owned(), json!(production));
            }
        }
    }
}

/// S11: under CODE_DEPLOY, CodeDeploy swaps the service between the blue and green target
/// groups, so the current target group says nothing about the definition.
fn code_deploy_ignores_target_group_arn(service: &mut Map<String, Value>) {
    if deployment_controller_type(service) == Some("CODE_DEPLOY") {
        for load_balancer in objects_in_mut(service, "loadBalancers") {
            load_balancer.remove("targetGroupArn");
        }
    }
}

/// S3: subnets and security groups are sets.
fn sort_network_sets(service: &mut Map<String, Value>) {
    if let Some(awsvpc) = object_mut(service, "networkConfiguration")
        .and_then(|network| object_mut(network, "awsvpcConfiguration"))
    {
        sort_strings(awsvpc, "subnets");
        sort_strings(awsvpc, "securityGroups");
    }
}

/// S3 and beyond: lists ECS treats as sets — placement constraints (all must hold), load
/// balancers and service registries (each one is attached), the capacity-provider strategy (a
/// weight per provider), EBS volume configurations (by name) and VPC Lattice configurations (by
/// port name).
///
/// `placementStrategy` is deliberately not sorted, unlike ecspresso: ECS applies placement
/// strategies in order (spread then binpack ≠ binpack then spread), so a reorder is a real
/// change.
fn sort_service_sets(service: &mut Map<String, Value>) {
    sort_member_by_canonical_json(service, "placementConstraints");
    sort_member_by_canonical_json(service, "loadBalancers");
    sort_member_by_canonical_json(service, "serviceRegistries");
    sort_member_by_field(service, "capacityProviderStrategy", "capacityProvider");
    sort_member_by_field(service, "volumeConfigurations", "name");
    sort_member_by_field(service, "vpcLatticeConfigurations", "portName");
}

fn is_daemon(service: &Map<String, Value>) -> bool {
    service.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON")
}

fn deployment_controller_type(service: &Map<String, Value>) -> Option<&str> {
    service
        .get("deploymentController")
        .and_then(|controller| controller.get("type"))
        .and_then(Value::as_str)
}

/// The service's `deploymentConfiguration`, created empty when missing so defaults can be filled.
fn deployment_configuration(service: &mut Map<String, Value>) -> Option<&mut Map<String, Value>> {
    service
        .entry("deploymentConfiguration")
        .or_insert_with(|| json!({}))
        .as_object_mut()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        value.as_object().unwrap().clone()
    }

    fn apply(rule: fn(&mut Map<String, Value>), value: Value) -> Value {
        let mut document = object(value);
        rule(&mut document);
        Value::Object(document)
    }

    fn normalized(document: Value) -> Value {
        service(&document, &NormalizeOptions::default())
    }

    #[test]
    fn projection_keeps_definition_fields_and_drops_the_rest() {
        let projected = project_to_service_definition_fields(object(json!({
            "serviceArn": "arn", "serviceName": "app", "clusterArn": "arn", "cluster": "default",
            "status": "ACTIVE", "runningCount": 1, "pendingCount": 0, "events": [],
            "deployments": [], "createdAt": "t", "createdBy": "me", "platformFamily": "Linux",
            "taskDefinition": "app:1", "clientToken": "x",
            "desiredCount": 1, "launchType": "FARGATE", "tags": [{"key": "a", "value": "b"}],
            "monitoring": {"metricConfigurations": []},
        })));
        assert_eq!(
            Value::Object(projected),
            json!({
                "desiredCount": 1, "launchType": "FARGATE",
                "tags": [{"key": "a", "value": "b"}],
                "monitoring": {"metricConfigurations": []},
            })
        );
    }

    #[test]
    fn settings_are_copied_from_the_primary_deployment() {
        let copied = apply(
            copy_settings_from_primary_deployment,
            json!({"deployments": [
                {"status": "ACTIVE", "volumeConfigurations": [{"name": "old"}]},
                {"status": "PRIMARY", "serviceConnectConfiguration": {"enabled": true}, "volumeConfigurations": [{"name": "new"}]},
            ]}),
        );
        assert_eq!(
            copied["serviceConnectConfiguration"],
            json!({"enabled": true})
        );
        assert_eq!(copied["volumeConfigurations"], json!([{"name": "new"}]));

        let code_deploy = apply(
            copy_settings_from_primary_deployment,
            json!({"deploymentController": {"type": "CODE_DEPLOY"}, "deployments": [
                {"status": "PRIMARY", "serviceConnectConfiguration": {"enabled": true}},
            ]}),
        );
        assert!(code_deploy.get("serviceConnectConfiguration").is_none());
    }

    #[test]
    fn role_arn_becomes_the_role_name() {
        assert_eq!(
            apply(
                role_from_role_arn,
                json!({"roleArn": "arn:aws:iam::123456789012:role/path/ecsServiceRole"})
            ),
            json!({"role": "ecsServiceRole"})
        );
        assert_eq!(
            apply(role_from_role_arn, json!({"role": "ecsServiceRole"})),
            json!({"role": "ecsServiceRole"})
        );
    }

    #[test]
    fn service_linked_role_is_absent() {
        let remote = normalized(json!({
            "roleArn": "arn:aws:iam::123456789012:role/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS"
        }));
        assert!(remote.get("role").is_none());
        let custom = normalized(json!({"role": "ecsServiceRole"}));
        assert_eq!(custom["role"], "ecsServiceRole");
    }

    #[test]
    fn scheduling_strategy_defaults_to_replica() {
        assert_eq!(
            apply(super::scheduling_strategy_defaults_to_replica, json!({})),
            json!({"schedulingStrategy": "REPLICA"})
        );
        assert_eq!(
            apply(
                super::scheduling_strategy_defaults_to_replica,
                json!({"schedulingStrategy": "DAEMON"})
            ),
            json!({"schedulingStrategy": "DAEMON"})
        );
    }

    #[test]
    fn deployment_controller_defaults_to_ecs() {
        assert_eq!(
            apply(super::deployment_controller_defaults_to_ecs, json!({})),
            json!({"deploymentController": {"type": "ECS"}})
        );
        assert_eq!(
            apply(
                super::deployment_controller_defaults_to_ecs,
                json!({"deploymentController": {"type": "CODE_DEPLOY"}})
            ),
            json!({"deploymentController": {"type": "CODE_DEPLOY"}})
        );
    }

    #[test]
    fn daemon_ignores_placement_strategy() {
        assert_eq!(
            apply(
                super::daemon_ignores_placement_strategy,
                json!({"schedulingStrategy": "DAEMON", "placementStrategy": [{"type": "random"}]})
            ),
            json!({"schedulingStrategy": "DAEMON"})
        );
        let replica =
            json!({"schedulingStrategy": "REPLICA", "placementStrategy": [{"type": "random"}]});
        assert_eq!(
            apply(super::daemon_ignores_placement_strategy, replica.clone()),
            replica
        );
    }

    #[test]
    fn fargate_platform_version_defaults_to_latest() {
        assert_eq!(
            apply(
                super::fargate_platform_version_defaults_to_latest,
                json!({"launchType": "FARGATE"})
            ),
            json!({"launchType": "FARGATE", "platformVersion": "LATEST"})
        );
        assert_eq!(
            apply(
                super::fargate_platform_version_defaults_to_latest,
                json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT"}]})
            )["platformVersion"],
            "LATEST"
        );
        assert_eq!(
            apply(
                super::fargate_platform_version_defaults_to_latest,
                json!({"launchType": "EC2"})
            ),
            json!({"launchType": "EC2"})
        );
        assert_eq!(
            apply(
                super::fargate_platform_version_defaults_to_latest,
                json!({"launchType": "FARGATE", "platformVersion": "1.4.0"})
            )["platformVersion"],
            "1.4.0"
        );
    }

    #[test]
    fn assign_public_ip_defaults_to_disabled() {
        assert_eq!(
            apply(
                super::assign_public_ip_defaults_to_disabled,
                json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"]}}})
            ),
            json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a"], "assignPublicIp": "DISABLED"}}})
        );
        assert_eq!(
            apply(super::assign_public_ip_defaults_to_disabled, json!({})),
            json!({})
        );
    }

    #[test]
    fn deployment_percent_defaults_for_replica_and_daemon_each_on_its_own() {
        assert_eq!(
            apply(deployment_percent_defaults, json!({}))["deploymentConfiguration"],
            json!({"maximumPercent": 200, "minimumHealthyPercent": 100})
        );
        assert_eq!(
            apply(
                deployment_percent_defaults,
                json!({"deploymentConfiguration": {"maximumPercent": 150}})
            )["deploymentConfiguration"],
            json!({"maximumPercent": 150, "minimumHealthyPercent": 100})
        );
        assert_eq!(
            apply(
                deployment_percent_defaults,
                json!({"schedulingStrategy": "DAEMON"})
            )["deploymentConfiguration"],
            json!({"maximumPercent": 100, "minimumHealthyPercent": 0})
        );
    }

    #[test]
    fn circuit_breaker_defaults_to_disabled() {
        assert_eq!(
            apply(circuit_breaker_defaults, json!({}))["deploymentConfiguration"],
            json!({"deploymentCircuitBreaker": {"enable": false, "rollback": false}})
        );
        assert_eq!(
            apply(
                circuit_breaker_defaults,
                json!({"deploymentConfiguration": {"deploymentCircuitBreaker": {"enable": true}}})
            )["deploymentConfiguration"],
            json!({"deploymentCircuitBreaker": {"enable": true, "rollback": false}})
        );
    }

    #[test]
    fn deployment_strategy_defaults_to_rolling() {
        assert_eq!(
            apply(super::deployment_strategy_defaults_to_rolling, json!({}))["deploymentConfiguration"],
            json!({"strategy": "ROLLING"})
        );
        assert_eq!(
            apply(
                super::deployment_strategy_defaults_to_rolling,
                json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN"}})
            )["deploymentConfiguration"],
            json!({"strategy": "BLUE_GREEN"})
        );
    }

    #[test]
    fn newer_deployment_defaults_are_absent() {
        assert_eq!(
            apply(
                super::newer_deployment_defaults_are_absent,
                json!({"deploymentConfiguration": {
                    "strategy": "ROLLING", "bakeTimeInMinutes": 0,
                    "deploymentCircuitBreaker": {
                        "enable": true, "rollback": true, "resetOnHealthyTask": true,
                        "thresholdConfiguration": {"type": "BOUNDED_PERCENT", "value": 50},
                    },
                }})
            )["deploymentConfiguration"],
            json!({"strategy": "ROLLING", "deploymentCircuitBreaker": {"enable": true, "rollback": true}})
        );
        let blue_green =
            json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 0}});
        assert_eq!(
            apply(
                super::newer_deployment_defaults_are_absent,
                blue_green.clone()
            ),
            blue_green
        );
    }

    #[test]
    fn disabled_alarms_are_absent() {
        assert_eq!(
            apply(
                super::disabled_alarms_are_absent,
                json!({"deploymentConfiguration": {"alarms": {"alarmNames": [], "enable": false, "rollback": false}}})
            ),
            json!({"deploymentConfiguration": {}})
        );
        let enabled = json!({"deploymentConfiguration": {"alarms": {"alarmNames": ["cpu"], "enable": true, "rollback": false}}});
        assert_eq!(
            apply(super::disabled_alarms_are_absent, enabled.clone()),
            enabled
        );
    }

    #[test]
    fn propagate_tags_defaults_to_none() {
        assert_eq!(
            apply(super::propagate_tags_defaults_to_none, json!({})),
            json!({"propagateTags": "NONE"})
        );
    }

    #[test]
    fn managed_tags_and_execute_command_default_to_false() {
        assert_eq!(
            apply(
                super::managed_tags_and_execute_command_default_to_false,
                json!({"enableExecuteCommand": true})
            ),
            json!({"enableExecuteCommand": true, "enableECSManagedTags": false})
        );
    }

    #[test]
    fn health_check_grace_period_zero_is_absent() {
        assert_eq!(
            apply(
                super::health_check_grace_period_zero_is_absent,
                json!({"healthCheckGracePeriodSeconds": 0})
            ),
            json!({})
        );
        assert_eq!(
            apply(
                super::health_check_grace_period_zero_is_absent,
                json!({"healthCheckGracePeriodSeconds": 60})
            ),
            json!({"healthCheckGracePeriodSeconds": 60})
        );
    }

    #[test]
    fn disabled_service_connect_is_absent() {
        assert_eq!(
            apply(
                super::disabled_service_connect_is_absent,
                json!({"serviceConnectConfiguration": {"enabled": false}})
            ),
            json!({})
        );
    }

    #[test]
    fn code_deploy_ignores_target_group_arn() {
        let load_balancers =
            json!([{"containerName": "app", "containerPort": 80, "targetGroupArn": "tg"}]);
        assert_eq!(
            apply(
                super::code_deploy_ignores_target_group_arn,
                json!({"deploymentController": {"type": "CODE_DEPLOY"}, "loadBalancers": load_balancers})
            )["loadBalancers"],
            json!([{"containerName": "app", "containerPort": 80}])
        );
        assert_eq!(
            apply(
                super::code_deploy_ignores_target_group_arn,
                json!({"deploymentController": {"type": "ECS"}, "loadBalancers": load_balancers})
            )["loadBalancers"],
            load_balancers
        );
    }

    fn names(pairs: &[(&str, &str)]) -> NamespaceNames {
        pairs
            .iter()
            .map(|(arn, name)| ((*arn).to_owned(), (*name).to_owned()))
            .collect()
    }

    const NAMESPACE_ARN: &str =
        "arn:aws:servicediscovery:us-west-2:123456789012:namespace/ns-xmpl1234";

    #[test]
    fn capacity_provider_base_and_weight_default_to_zero() {
        assert_eq!(
            apply(
                super::capacity_provider_base_and_weight_default_to_zero,
                json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1}]})
            ),
            json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]})
        );
        let (local, remote) = comparable_services(
            &json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 2}]}),
            &json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}]}),
            &NormalizeOptions::default(),
            &NamespaceNames::new(),
        );
        assert_ne!(local, remote, "a base the user wrote is a change");
    }

    #[test]
    fn cluster_default_capacity_provider_strategy_is_adopted_only_when_none_was_named() {
        let live = json!({"desiredCount": 1, "capacityProviderStrategy": [{"capacityProvider": "FARGATE", "weight": 1, "base": 0}], "platformVersion": "LATEST"});
        let (local, remote) = comparable_services(
            &json!({"desiredCount": 1}),
            &live,
            &NormalizeOptions::default(),
            &NamespaceNames::new(),
        );
        assert_eq!(local, remote);
        let (local, remote) = comparable_services(
            &json!({"capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}]}),
            &live,
            &NormalizeOptions::default(),
            &NamespaceNames::new(),
        );
        assert_ne!(local, remote, "a strategy the user wrote is compared");
        let adopted = super::cluster_default_capacity_provider_strategy_is_adopted(
            &json!({"launchType": "EC2"}),
            &live,
        );
        assert_eq!(
            adopted,
            json!({"launchType": "EC2"}),
            "a launch type is a choice"
        );
    }

    #[test]
    fn service_connect_discovery_name_defaults_to_port_name() {
        assert_eq!(
            apply(
                super::service_connect_discovery_name_defaults_to_port_name,
                json!({"serviceConnectConfiguration": {"enabled": true, "services": [
                    {"portName": "web"}, {"portName": "admin", "discoveryName": "backoffice"},
                ]}})
            )["serviceConnectConfiguration"]["services"],
            json!([{"portName": "web", "discoveryName": "web"}, {"portName": "admin", "discoveryName": "backoffice"}])
        );
    }

    #[test]
    fn service_connect_namespace_arn_becomes_the_resolved_name() {
        let resolved = names(&[(NAMESPACE_ARN, "service-connect")]);
        let mut service = object(
            json!({"serviceConnectConfiguration": {"enabled": true, "namespace": NAMESPACE_ARN}}),
        );
        service_connect_namespace_arn_as_name(&mut service, &resolved);
        assert_eq!(
            service["serviceConnectConfiguration"]["namespace"],
            "service-connect"
        );
        let mut unresolved =
            object(json!({"serviceConnectConfiguration": {"namespace": NAMESPACE_ARN}}));
        service_connect_namespace_arn_as_name(&mut unresolved, &NamespaceNames::new());
        assert_eq!(
            unresolved["serviceConnectConfiguration"]["namespace"],
            NAMESPACE_ARN
        );
    }

    #[test]
    fn service_connect_namespace_is_compared_as_a_name_on_both_sides() {
        let resolved = names(&[(NAMESPACE_ARN, "service-connect")]);
        let live = json!({"deployments": [{"status": "PRIMARY", "serviceConnectConfiguration": {"enabled": true, "namespace": NAMESPACE_ARN}}]});
        for written in [json!("service-connect"), json!(NAMESPACE_ARN)] {
            let (local, remote) = comparable_services(
                &json!({"serviceConnectConfiguration": {"enabled": true, "namespace": written}}),
                &live,
                &NormalizeOptions::default(),
                &resolved,
            );
            assert_eq!(local, remote, "{written}");
        }
        let (local, remote) = comparable_services(
            &json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "other"}}),
            &live,
            &NormalizeOptions::default(),
            &resolved,
        );
        assert_ne!(local, remote, "another namespace is a change");
        let (local, remote) = comparable_services(
            &json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "service-connect"}}),
            &live,
            &NormalizeOptions::default(),
            &NamespaceNames::new(),
        );
        assert_ne!(local, remote, "unresolved, the ARN is compared as it is");
    }

    #[test]
    fn service_connect_namespace_left_to_cluster_default_when_absent() {
        let mut local = json!({"serviceConnectConfiguration": {"enabled": true}});
        super::service_connect_namespace_left_to_cluster_default_when_absent(
            &mut local,
            &json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "service-connect"}}),
        );
        assert_eq!(
            local["serviceConnectConfiguration"]["namespace"],
            "service-connect"
        );
        let mut written =
            json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "mine"}});
        super::service_connect_namespace_left_to_cluster_default_when_absent(
            &mut written,
            &json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "service-connect"}}),
        );
        assert_eq!(written["serviceConnectConfiguration"]["namespace"], "mine");
    }

    #[test]
    fn service_connect_default_dns_name_is_absent_but_a_chosen_one_is_kept() {
        let cleaned = apply(
            service_connect_default_dns_name_is_absent,
            json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "service-connect", "services": [
                {"portName": "nginx", "discoveryName": "nginx", "clientAliases": [
                    {"port": 80, "dnsName": "nginx.service-connect"},
                    {"port": 8080, "dnsName": "web.internal"},
                ]},
            ]}}),
        );
        assert_eq!(
            cleaned["serviceConnectConfiguration"]["services"][0]["clientAliases"],
            json!([{"port": 80}, {"port": 8080, "dnsName": "web.internal"}])
        );
        let unresolved = json!({"serviceConnectConfiguration": {"namespace": NAMESPACE_ARN, "services": [
            {"portName": "nginx", "discoveryName": "nginx", "clientAliases": [{"port": 80, "dnsName": "nginx.service-connect"}]},
        ]}});
        assert_eq!(
            apply(
                service_connect_default_dns_name_is_absent,
                unresolved.clone()
            ),
            unresolved
        );
    }

    #[test]
    fn service_connect_namespace_arns_are_listed_from_both_documents() {
        let described = json!({"deployments": [
            {"status": "ACTIVE", "serviceConnectConfiguration": {"namespace": "arn:aws:servicediscovery:r:1:namespace/ns-old"}},
            {"status": "PRIMARY", "serviceConnectConfiguration": {"namespace": NAMESPACE_ARN}},
        ]});
        let definition = json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "arn:aws:servicediscovery:r:1:namespace/ns-mine"}});
        assert_eq!(
            service_connect_namespace_arns(Some(&definition), &described),
            BTreeSet::from([
                "arn:aws:servicediscovery:r:1:namespace/ns-mine".to_owned(),
                NAMESPACE_ARN.to_owned(),
            ])
        );
        let by_name = json!({"serviceConnectConfiguration": {"enabled": true, "namespace": "service-connect"}});
        assert!(service_connect_namespace_arns(Some(&by_name), &json!({})).is_empty());
        assert!(service_connect_namespace_arns(None, &json!({"launchType": "FARGATE"})).is_empty());
    }

    #[test]
    fn ebs_filesystem_type_defaults_to_xfs() {
        assert_eq!(
            apply(
                super::ebs_filesystem_type_defaults_to_xfs,
                json!({"volumeConfigurations": [
                    {"name": "a", "managedEBSVolume": {"roleArn": "r"}},
                    {"name": "b", "managedEBSVolume": {"roleArn": "r", "filesystemType": "ext4"}},
                ]})
            )["volumeConfigurations"],
            json!([
                {"name": "a", "managedEBSVolume": {"roleArn": "r", "filesystemType": "xfs"}},
                {"name": "b", "managedEBSVolume": {"roleArn": "r", "filesystemType": "ext4"}},
            ])
        );
    }

    #[test]
    fn blue_green_target_group_pair_is_unordered() {
        let load_balancer = |production: &str, alternate: &str| {
            json!({"deploymentConfiguration": {"strategy": "BLUE_GREEN", "bakeTimeInMinutes": 5}, "loadBalancers": [{
                "containerName": "web", "containerPort": 80, "targetGroupArn": production,
                "advancedConfiguration": {"alternateTargetGroupArn": alternate, "productionListenerRule": "rule", "roleArn": "role"},
            }]})
        };
        assert_eq!(
            apply(
                super::blue_green_target_group_pair_is_unordered,
                load_balancer("tg-b", "tg-a")
            ),
            load_balancer("tg-a", "tg-b")
        );
        assert_ne!(
            normalized(load_balancer("tg-c", "tg-a")),
            normalized(load_balancer("tg-b", "tg-a")),
            "another target group is a change"
        );
        let rolling = json!({"deploymentConfiguration": {"strategy": "ROLLING"}, "loadBalancers": [{
            "targetGroupArn": "tg-b", "advancedConfiguration": {"alternateTargetGroupArn": "tg-a"},
        }]});
        assert_eq!(
            apply(
                super::blue_green_target_group_pair_is_unordered,
                rolling.clone()
            ),
            rolling
        );
    }

    #[test]
    fn network_sets_sort() {
        assert_eq!(
            apply(
                sort_network_sets,
                json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["b", "a"], "securityGroups": ["y", "x"]}}})
            ),
            json!({"networkConfiguration": {"awsvpcConfiguration": {"subnets": ["a", "b"], "securityGroups": ["x", "y"]}}})
        );
    }

    #[test]
    fn service_sets_sort_but_placement_strategy_keeps_its_order() {
        let sorted = apply(
            sort_service_sets,
            json!({
                "placementConstraints": [{"type": "memberOf", "expression": "b"}, {"type": "distinctInstance"}],
                "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1}, {"capacityProvider": "FARGATE", "weight": 1}],
                "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}, {"type": "binpack", "field": "memory"}],
            }),
        );
        let reordered = apply(
            sort_service_sets,
            json!({
                "placementConstraints": [{"type": "distinctInstance"}, {"type": "memberOf", "expression": "b"}],
            }),
        );
        assert_eq!(
            sorted["placementConstraints"],
            reordered["placementConstraints"]
        );
        assert_eq!(
            sorted["capacityProviderStrategy"][0]["capacityProvider"],
            "FARGATE"
        );
        assert_eq!(sorted["placementStrategy"][0]["type"], "spread");
    }

    #[test]
    fn desired_count_absent_locally_is_not_compared() {
        let options = NormalizeOptions::default();
        let (local, remote) = comparable_services(
            &json!({"launchType": "FARGATE"}),
            &json!({"launchType": "FARGATE", "desiredCount": 2, "availabilityZoneRebalancing": "ENABLED"}),
            &options,
            &NamespaceNames::new(),
        );
        assert_eq!(local, remote);
        let (local, remote) = comparable_services(
            &json!({"desiredCount": 3}),
            &json!({"desiredCount": 2}),
            &options,
            &NamespaceNames::new(),
        );
        assert_ne!(local, remote);
    }

    #[test]
    fn ignored_tags_are_dropped_on_both_sides() {
        let options = NormalizeOptions {
            ignore_tags: vec!["CostCenter".to_owned()],
        };
        let (local, remote) = comparable_services(
            &json!({"tags": [{"key": "env", "value": "p"}]}),
            &json!({"tags": [{"key": "CostCenter", "value": "1"}, {"key": "env", "value": "p"}]}),
            &options,
            &NamespaceNames::new(),
        );
        assert_eq!(local, remote);
    }

    #[test]
    fn minimal_definition_is_filled_with_every_default() {
        assert_eq!(
            normalized(json!({"launchType": "FARGATE", "serviceName": "app"})),
            json!({
                "launchType": "FARGATE",
                "platformVersion": "LATEST",
                "schedulingStrategy": "REPLICA",
                "deploymentController": {"type": "ECS"},
                "deploymentConfiguration": {
                    "deploymentCircuitBreaker": {"enable": false, "rollback": false},
                    "maximumPercent": 200,
                    "minimumHealthyPercent": 100,
                    "strategy": "ROLLING",
                },
                "propagateTags": "NONE",
                "enableECSManagedTags": false,
                "enableExecuteCommand": false,
            })
        );
    }
}
