//! Normalization: turns a task or service definition — local (rendered from the user's files)
//! or remote (as ECS describes it) — into a *comparable form*, so that two documents meaning the
//! same deployment are equal JSON and `crate::diff` reports only real differences. Every rule is
//! a named function with its own test; the ecspresso rule names (S1–S15, T1–T6, J1–J6 in
//! research/ecspresso.md §4) are cited where a rule comes from there.
//!
//! The comparable form is for comparison only: it is never sent to AWS (send the desired
//! documents themselves) and it must not be rendered as "what the user wrote". Input documents
//! are AWS-CLI JSON (`serde_json::Value`, camelCase keys); nothing here talks to AWS, reads
//! files, prints, or fails — a document of an unexpected shape is compared as it is.
//!
//! Conventions of the comparable form:
//! - `null`, `[]` and `{}` members are the same as absent and removed (ecspresso J2/J3).
//! - ECS defaults are made explicit (`essential: true`, `protocol: "tcp"`, `schedulingStrategy:
//!   "REPLICA"`, …) where DescribeX returns them, so both spellings compare equal and a plan shows
//!   the value in force; a few values that only mean "unset" (`hostPort: 0` outside `awsvpc`,
//!   `configuredAtLaunch: false`, disabled alarms) are removed instead.
//! - Order-insensitive lists are sorted (by their identifying field, or by canonical JSON).
//! - Keys are never renamed, and user maps (`dockerLabels`, `logConfiguration.options`, …) are
//!   data: their keys and values are never touched.
//! - A normalized service also carries the fields UpdateService cannot change
//!   (`REPLACEMENT_FIELDS`), so one diff shows every difference and the planner tells "requires
//!   replacement" from a change's top-level key; the reasons are in `service`'s module docs.
//! - Service Connect namespace ARNs are compared as names, from a map the caller resolved with
//!   Cloud Map (`NamespaceNames`, `service_connect_namespace_arns`); normalization does no I/O.
//!
//! # What ECS returns that the request left out
//!
//! Every Service, Deployment, TaskDefinition and ContainerDefinition member that DescribeX can
//! return with a value nobody wrote, and what is done about it: a rule (function name), or why
//! none is needed. "API" is the ECS API reference page of that shape; "guide" the ECS developer
//! guide; "CLI" the AWS CLI's examples (`awscli/examples/ecs/`); "SDK" means aws-sdk-ecs 1.157
//! keeps the member as a plain number/boolean, so the adapter's JSON always has it; "inferred"
//! marks what no AWS page states. The corpus `tests/fixtures/real-ecs/` (with its README) holds
//! real-shaped answers for most of them and is planned with no change.
//!
//! Task definition:
//! - `taskDefinitionArn`, `revision`, `status`, `requiresAttributes`, `compatibilities`,
//!   `registeredAt`, `registeredBy`, `deregisteredAt`, `deleteRequestedAt`: response only,
//!   `drop_response_only_fields` (API TaskDefinition; CLI describe-task-definition).
//! - `enableFaultInjection: false`: `fault_injection_defaults_to_false` (API: default false;
//!   returned when omitted per issue 15 — inferred).
//! - `volumes: []`, `placementConstraints: []`, `inferenceAccelerators: []`, `tags: []`:
//!   `remove_absent_equivalents` (CLI register/describe-task-definition).
//! - `volumes[].configuredAtLaunch: false`: `volume_configured_at_launch_false_is_absent`.
//! - `volumes[].host: {}`: `remove_absent_equivalents` (an empty object).
//! - `volumes[].dockerVolumeConfiguration.scope: task`: `docker_volume_scope_defaults_to_task`
//!   (inferred: terraform-provider-aws marks it computed). `autoprovision` (default false) only
//!   applies to `shared` volumes, where the user writes the scope: none.
//! - `volumes[].efsVolumeConfiguration` `rootDirectory: /`, `transitEncryption: DISABLED`,
//!   `authorizationConfig.iam: DISABLED`: `efs_volume_defaults` (API EFSVolumeConfiguration,
//!   EFSAuthorizationConfig; echo inferred). `transitEncryptionPort` is picked by the mount
//!   helper and not reported: none.
//! - `proxyConfiguration.type: APPMESH`: `proxy_type_defaults_to_appmesh`.
//! - task `cpu`/`memory` written as `"0.5 vCPU"`/`"1GB"` come back as units:
//!   `convert_task_cpu_units`, `convert_task_memory_units` (ecspresso T6).
//! - `networkMode`, `runtimePlatform`, `ephemeralStorage`, `pidMode`, `ipcMode`: not returned
//!   when omitted (CLI describe-task-definition has no `networkMode`; the Service Connect
//!   tutorial's Fargate answer has no `runtimePlatform`/`ephemeralStorage`): none.
//!
//! Container definition:
//! - `cpu: 0`: `container_cpu_defaults_to_zero` (SDK; CLI describe-task-definition).
//! - `essential: true`: `essential_defaults_to_true` (guide, task definition parameters).
//! - `portMappings[].protocol: tcp`: `port_protocol_defaults_to_tcp` (API PortMapping).
//! - `portMappings[].hostPort`: `awsvpc_host_port_defaults_to_container_port` (guide: equals the
//!   container port in `awsvpc`), `dynamic_host_port_zero_is_absent` (bridge: 0 = dynamic).
//! - `environment`, `mountPoints`, `volumesFrom`, `portMappings`, `systemControls`, `secrets`,
//!   `links`, `dependsOn`, `ulimits`, `logConfiguration.secretOptions`, … as `[]`:
//!   `remove_absent_equivalents` (CLI examples; terraform-aws-consul-ecs#318 for
//!   `systemControls`).
//! - `linuxParameters.capabilities.add: []`: `remove_absent_equivalents`.
//! - `healthCheck` `interval: 30`, `timeout: 5`, `retries: 3`: `health_check_defaults` (API
//!   HealthCheck); `startPeriod` has no value returned: none.
//! - `versionConsistency: enabled`: `version_consistency_enabled_is_absent` (API default; not
//!   echoed — inferred from terraform-provider-aws comparing without it).
//! - `restartPolicy`: absent unless written, not returned (terraform-provider-aws compares
//!   without it): none. Inside one, `restartAttemptPeriod: 300`:
//!   `restart_attempt_period_defaults_to_300` (API ContainerRestartPolicy; echo inferred);
//!   `ignoredExitCodes: []`: `remove_absent_equivalents`.
//! - `memory`, `memoryReservation`, `startTimeout`, `stopTimeout`, `privileged`,
//!   `readonlyRootFilesystem`, `interactive`, `pseudoTerminal`, `disableNetworking`, `user`:
//!   no value returned when omitted (terraform-provider-aws compares without them; one tutorial
//!   answer shows `memory: 0`, an invalid value taken to be a mistake): none.
//!
//! Service (DescribeServices element):
//! - `serviceArn`, `clusterArn`, `status`, counts, `events`, `deployments`, `taskSets`,
//!   `createdAt`, `createdBy`, `platformFamily`, `currentServiceDeployment`,
//!   `currentServiceRevisions`, `resourceManagementType`, `taskDefinition`: not definition
//!   fields, `project_to_service_definition_fields`.
//! - `schedulingStrategy: REPLICA`: `scheduling_strategy_defaults_to_replica` (CLI).
//! - `deploymentController: {type: ECS}`: `deployment_controller_defaults_to_ecs` (CLI).
//! - `deploymentConfiguration` `maximumPercent`/`minimumHealthyPercent` (200/100, DAEMON 100/0):
//!   `deployment_percent_defaults`; `deploymentCircuitBreaker {enable, rollback}: false`
//!   (SDK): `circuit_breaker_defaults`; `strategy: ROLLING`:
//!   `deployment_strategy_defaults_to_rolling`; `bakeTimeInMinutes: 0` under ROLLING,
//!   `resetOnHealthyTask: true`, `thresholdConfiguration BOUNDED_PERCENT 50`:
//!   `newer_deployment_defaults_are_absent`; `alarms {alarmNames: [], enable/rollback: false}`
//!   (CLI update-service): `disabled_alarms_are_absent`. `lifecycleHooks`,
//!   `linearConfiguration`, `canaryConfiguration`, `earlySuccessCriteria` only come back when
//!   written, and their inner defaults are not verified: none.
//! - `propagateTags: NONE`: `propagate_tags_defaults_to_none` (CLI).
//! - `enableECSManagedTags`/`enableExecuteCommand: false`:
//!   `managed_tags_and_execute_command_default_to_false` (SDK; CLI).
//! - `healthCheckGracePeriodSeconds: 0`: `health_check_grace_period_zero_is_absent` (CLI).
//! - `platformVersion: LATEST` (Fargate): `fargate_platform_version_defaults_to_latest` (CLI:
//!   service level says LATEST, the deployment the resolved version).
//! - `capacityProviderStrategy` from the cluster default when the definition names neither it
//!   nor a launch type: `cluster_default_capacity_provider_strategy_is_adopted` (API
//!   CreateService); items' `base`/`weight: 0`: `capacity_provider_base_and_weight_default_to_zero`
//!   (API CapacityProviderStrategyItem; SDK; CLI update-service shows `base: 0`).
//! - `launchType: EC2` when neither was given and the cluster has no default: a replacement
//!   field the planner ignores when the definition leaves it out: none.
//! - `networkConfiguration.awsvpcConfiguration.assignPublicIp: DISABLED`:
//!   `assign_public_ip_defaults_to_disabled`. `securityGroups` left out means the VPC's default
//!   group, whose ID is not known without EC2; not reported as far as known: none.
//! - `roleArn` of the service-linked role: `role_from_role_arn`, `service_linked_role_is_absent`.
//! - `availabilityZoneRebalancing` (ENABLED for new services, API UpdateService) and
//!   `desiredCount`: `LEFT_TO_ECS_WHEN_ABSENT`.
//! - `loadBalancers`, `serviceRegistries`, `placementConstraints`, `placementStrategy` as `[]`:
//!   `remove_absent_equivalents`. `loadBalancers[].targetGroupArn` under CODE_DEPLOY:
//!   `code_deploy_ignores_target_group_arn`; the production/alternate pair under BLUE_GREEN,
//!   LINEAR, CANARY: `blue_green_target_group_pair_is_unordered` (inferred,
//!   terraform-provider-aws#45678).
//! - `serviceConnectConfiguration`, `volumeConfigurations`, `vpcLatticeConfigurations` only in
//!   the deployments: `copy_settings_from_primary_deployment` (ecspresso S14).
//! - Service Connect `namespace` as a Cloud Map ARN: `service_connect_namespace_arn_as_name`;
//!   left out (cluster default): `service_connect_namespace_left_to_cluster_default_when_absent`;
//!   `services[].discoveryName` = `portName`:
//!   `service_connect_discovery_name_defaults_to_port_name`; `clientAliases[].dnsName` =
//!   `<discoveryName>.<namespace>`: `service_connect_default_dns_name_is_absent` (guide tutorial
//!   "Configure Amazon ECS Service Connect with the AWS CLI"); `{enabled: false}`:
//!   `disabled_service_connect_is_absent`. `logConfiguration`, `accessLogConfiguration`,
//!   `timeout`, `tls`, `ingressPortOverride` come back as written: none.
//! - EBS `managedEBSVolume.filesystemType: xfs`: `ebs_filesystem_type_defaults_to_xfs` (API
//!   ServiceManagedEBSVolumeConfiguration). `encrypted` (follows the account's EBS
//!   encryption-by-default, per the newer API text), `volumeType`, `iops`, `throughput`,
//!   `sizeInGiB` (from the snapshot) and `tagSpecifications[].propagateTags`: no default the API
//!   reference states for the echo, so none; a plan shows them if ECS reports them.
//! - `monitoring`: not part of the DescribeServices answer in the SDK's model (only of
//!   DescribeServiceRevisions), so a definition that sets it differs from every live service.
//!   No rule can fix that without the service revision; it is left as it is (the ecspresso
//!   vectors `sv-newer-monitoring-*` compare it).

mod common;

pub use common::{RISTRETTO_TAG_PREFIX, is_reserved_tag};
mod service;
mod task_definition;

pub use service::{
    LEFT_TO_ECS_WHEN_ABSENT, NamespaceNames, REPLACEMENT_FIELDS, comparable_services, service,
    service_connect_namespace_arns,
};
pub use task_definition::{
    RESPONSE_ONLY_FIELDS, task_cpu_units, task_definition, task_memory_units,
};

/// Settings from the configuration that change what is compared.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NormalizeOptions {
    /// Config `ignore.tags`: tags with these keys are dropped from both sides (ecspresso S15),
    /// because another tool owns them.
    pub ignore_tags: Vec<String>,
}
