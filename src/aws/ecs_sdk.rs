//! `EcsApi` on the AWS SDK. Documents go in and come out as the AWS CLI's JSON: the SDK's own
//! schema codec (`codec.rs`) turns them into SDK inputs, and described shapes back into JSON,
//! so nothing here lists fields of task or service definitions except the one-line moves of a
//! decoded input's top-level members into the request builder (the SDK offers no other way to
//! send a whole input; `tests` checks that no member is lost on the way).

use aws_sdk_ecs::Client;
use aws_sdk_ecs::error::ProvideErrorMetadata;
use aws_sdk_ecs::operation::create_service::CreateServiceInput;
use aws_sdk_ecs::operation::register_task_definition::RegisterTaskDefinitionInput;
use aws_sdk_ecs::operation::run_task::RunTaskInput;
use aws_sdk_ecs::operation::update_service::UpdateServiceInput;
use aws_sdk_ecs::types::{
    DesiredStatus, ServiceField, TaskDefinitionField, TaskDefinitionStatus, TaskField,
};
use serde_json::{Map, Value};

use super::codec::{self, to_json};
use super::ecs::{
    EcsApi, LiveService, LiveTask, LiveTaskDefinition, RunTaskOutcome, ServiceUpdate, Tag,
};
use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub(crate) struct SdkEcs {
    client: Client,
}

impl SdkEcs {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// For the adapter's other ECS calls (`ecs_tasks.rs`).
    pub(super) fn client(&self) -> &Client {
        &self.client
    }
}

fn encode(value: &dyn aws_smithy_schema::serde::SerializableStruct) -> Result<Value, AwsError> {
    to_json(value).map_err(AwsError::Codec)
}

fn service_from_sdk(service: &aws_sdk_ecs::types::Service) -> Result<LiveService, AwsError> {
    Ok(LiveService::from_document(encode(service)?))
}

fn task_definition_from_sdk(
    task_definition: &aws_sdk_ecs::types::TaskDefinition,
    tags: &[aws_sdk_ecs::types::Tag],
) -> Result<LiveTaskDefinition, AwsError> {
    let mut document = encode(task_definition)?;
    if !tags.is_empty()
        && let Value::Object(map) = &mut document
    {
        let tags = tags
            .iter()
            .map(|tag| encode(tag))
            .collect::<Result<Vec<Value>, AwsError>>()?;
        map.insert("tags".into(), Value::Array(tags));
    }
    Ok(LiveTaskDefinition::from_document(document))
}

/// What the adapter makes of a DescribeServices `services[]` element as AWS sends it: decoded
/// into the SDK's `Service` and encoded back by `service_from_sdk`, as `describe_services`
/// does. For tests that plan against real-shaped responses (`tests/fixtures/real-ecs/`).
#[cfg(test)]
pub(crate) fn live_service_from_response(element: &Value) -> LiveService {
    let service = codec::described_service(element).unwrap_or_else(|error| panic!("{error}"));
    service_from_sdk(&service).unwrap_or_else(|error| panic!("{error}"))
}

/// What the adapter makes of a DescribeTaskDefinition response (`{taskDefinition, tags}`) as AWS
/// sends it (see `live_service_from_response`).
#[cfg(test)]
pub(crate) fn live_task_definition_from_response(response: &Value) -> LiveTaskDefinition {
    let task_definition = codec::described_task_definition(&response["taskDefinition"])
        .unwrap_or_else(|error| panic!("{error}"));
    let tags: Vec<aws_sdk_ecs::types::Tag> = response["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|tag| codec::described_tag(tag).unwrap_or_else(|error| panic!("{error}")))
        .collect();
    task_definition_from_sdk(&task_definition, &tags).unwrap_or_else(|error| panic!("{error}"))
}

fn with_members(document: &Value, members: &[(&str, Value)]) -> Value {
    let mut map = document.as_object().cloned().unwrap_or_default();
    for (key, value) in members {
        map.insert((*key).to_owned(), value.clone());
    }
    Value::Object(map)
}

impl EcsApi for SdkEcs {
    async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<LiveService>, AwsError> {
        let found = self
            .describe_services(cluster, &[service.to_owned()])
            .await?;
        Ok(found.into_iter().find(|live| live.status != "INACTIVE"))
    }

    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<Vec<LiveService>, AwsError> {
        let mut found = Vec::new();
        for chunk in services.chunks(10) {
            let output = self
                .client
                .describe_services()
                .cluster(cluster)
                .set_services(Some(chunk.to_vec()))
                .include(ServiceField::Tags)
                .send()
                .await
                .map_err(|error| sdk_error("DescribeServices", error))?;
            for service in output.services() {
                found.push(service_from_sdk(service)?);
            }
        }
        Ok(found)
    }

    async fn describe_task_definition(
        &self,
        reference: &str,
    ) -> Result<Option<LiveTaskDefinition>, AwsError> {
        let result = self
            .client
            .describe_task_definition()
            .task_definition(reference)
            .include(TaskDefinitionField::Tags)
            .send()
            .await;
        match result {
            Ok(output) => output
                .task_definition()
                .map(|task_definition| task_definition_from_sdk(task_definition, output.tags()))
                .transpose(),
            // ECS answers an unknown family or revision with ClientException "Unable to
            // describe task definition."
            Err(error)
                if error.code() == Some("ClientException")
                    && error
                        .message()
                        .is_some_and(|message| message.contains("Unable to describe")) =>
            {
                Ok(None)
            }
            Err(error) => Err(sdk_error("DescribeTaskDefinition", error)),
        }
    }

    async fn register_task_definition(
        &self,
        document: &Value,
    ) -> Result<LiveTaskDefinition, AwsError> {
        let input = codec::register_task_definition_input(document).map_err(AwsError::Codec)?;
        let output = register_request(&self.client, input)
            .send()
            .await
            .map_err(|error| sdk_error("RegisterTaskDefinition", error))?;
        let task_definition = output
            .task_definition()
            .ok_or_else(|| AwsError::Unexpected {
                operation: "RegisterTaskDefinition",
                message: "the response has no task definition".into(),
            })?;
        task_definition_from_sdk(task_definition, output.tags())
    }

    async fn create_service(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        document: &Value,
    ) -> Result<LiveService, AwsError> {
        let document = with_members(
            document,
            &[
                ("cluster", cluster.into()),
                ("serviceName", service.into()),
                ("taskDefinition", task_definition.into()),
            ],
        );
        let input = codec::create_service_input(&document).map_err(AwsError::Codec)?;
        let output = create_request(&self.client, input)
            .send()
            .await
            .map_err(|error| sdk_error("CreateService", error))?;
        let created = output.service().ok_or_else(|| AwsError::Unexpected {
            operation: "CreateService",
            message: "the response has no service".into(),
        })?;
        service_from_sdk(created)
    }

    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> Result<LiveService, AwsError> {
        let mut members: Map<String, Value> = update.fields.clone();
        members.insert("cluster".into(), cluster.into());
        members.insert("service".into(), service.into());
        if let Some(task_definition) = &update.task_definition {
            members.insert("taskDefinition".into(), task_definition.clone().into());
        }
        if update.force_new_deployment {
            members.insert("forceNewDeployment".into(), true.into());
        }
        let input =
            codec::update_service_input(&Value::Object(members)).map_err(AwsError::Codec)?;
        let output = update_request(&self.client, input)
            .send()
            .await
            .map_err(|error| sdk_error("UpdateService", error))?;
        let updated = output.service().ok_or_else(|| AwsError::Unexpected {
            operation: "UpdateService",
            message: "the response has no service".into(),
        })?;
        service_from_sdk(updated)
    }

    async fn tag_resource(&self, arn: &str, tags: &[Tag]) -> Result<(), AwsError> {
        let tags = tags
            .iter()
            .map(|tag| {
                aws_sdk_ecs::types::Tag::builder()
                    .key(&tag.key)
                    .value(&tag.value)
                    .build()
            })
            .collect();
        self.client
            .tag_resource()
            .resource_arn(arn)
            .set_tags(Some(tags))
            .send()
            .await
            .map_err(|error| sdk_error("TagResource", error))?;
        Ok(())
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.client
            .untag_resource()
            .resource_arn(arn)
            .set_tag_keys(Some(keys.to_vec()))
            .send()
            .await
            .map_err(|error| sdk_error("UntagResource", error))?;
        Ok(())
    }

    async fn list_task_definitions(
        &self,
        family: &str,
        status: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut pages = self
            .client
            .list_task_definitions()
            .family_prefix(family)
            .status(TaskDefinitionStatus::from(status))
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("ListTaskDefinitions", error))?;
            arns.extend(page.task_definition_arns().iter().cloned());
        }
        Ok(arns)
    }

    async fn deregister_task_definition(
        &self,
        reference: &str,
    ) -> Result<LiveTaskDefinition, AwsError> {
        let output = self
            .client
            .deregister_task_definition()
            .task_definition(reference)
            .send()
            .await
            .map_err(|error| sdk_error("DeregisterTaskDefinition", error))?;
        let task_definition = output
            .task_definition()
            .ok_or_else(|| AwsError::Unexpected {
                operation: "DeregisterTaskDefinition",
                message: "the response has no task definition".into(),
            })?;
        task_definition_from_sdk(task_definition, &[])
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        let mut pages = self
            .client
            .list_services()
            .cluster(cluster)
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("ListServices", error))?;
            arns.extend(page.service_arns().iter().cloned());
        }
        Ok(arns)
    }

    async fn delete_service(
        &self,
        cluster: &str,
        service: &str,
        force: bool,
    ) -> Result<LiveService, AwsError> {
        let output = self
            .client
            .delete_service()
            .cluster(cluster)
            .service(service)
            .force(force)
            .send()
            .await
            .map_err(|error| sdk_error("DeleteService", error))?;
        let deleted = output.service().ok_or_else(|| AwsError::Unexpected {
            operation: "DeleteService",
            message: "the response has no service".into(),
        })?;
        service_from_sdk(deleted)
    }

    async fn describe_cluster(&self, cluster: &str) -> Result<Option<Value>, AwsError> {
        let output = self
            .client
            .describe_clusters()
            .clusters(cluster)
            .send()
            .await
            .map_err(|error| sdk_error("DescribeClusters", error))?;
        // An unknown cluster is a `failures[]` entry (reason MISSING); a deleted one is INACTIVE.
        for cluster in output.clusters() {
            let document = encode(cluster)?;
            if document.get("status").and_then(Value::as_str) != Some("INACTIVE") {
                return Ok(Some(document));
            }
        }
        Ok(None)
    }

    async fn run_task(&self, request: &Value) -> Result<RunTaskOutcome, AwsError> {
        let input = codec::run_task_input(request).map_err(AwsError::Codec)?;
        let output = run_request(&self.client, input)
            .send()
            .await
            .map_err(|error| sdk_error("RunTask", error))?;
        let tasks = output
            .tasks()
            .iter()
            .map(|task| encode(task).map(LiveTask::from_document))
            .collect::<Result<Vec<_>, _>>()?;
        let failures = output
            .failures()
            .iter()
            .map(|failure| {
                let mut text = format!(
                    "{}: {}",
                    failure.arn().unwrap_or("RunTask"),
                    failure.reason().unwrap_or("unknown reason")
                );
                if let Some(detail) = failure.detail() {
                    text.push_str(&format!(" ({detail})"));
                }
                text
            })
            .collect();
        Ok(RunTaskOutcome { tasks, failures })
    }

    async fn describe_tasks(
        &self,
        cluster: &str,
        tasks: &[String],
    ) -> Result<Vec<LiveTask>, AwsError> {
        let mut found = Vec::new();
        for chunk in tasks.chunks(100) {
            let output = self
                .client
                .describe_tasks()
                .cluster(cluster)
                .set_tasks(Some(chunk.to_vec()))
                .include(TaskField::Tags)
                .send()
                .await
                .map_err(|error| sdk_error("DescribeTasks", error))?;
            for task in output.tasks() {
                found.push(LiveTask::from_document(encode(task)?));
            }
        }
        Ok(found)
    }

    async fn list_running_tasks(
        &self,
        cluster: &str,
        family: &str,
    ) -> Result<Vec<String>, AwsError> {
        let mut pages = self
            .client
            .list_tasks()
            .cluster(cluster)
            .family(family)
            .desired_status(DesiredStatus::Running)
            .into_paginator()
            .send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("ListTasks", error))?;
            arns.extend(page.task_arns().iter().cloned());
        }
        Ok(arns)
    }
}

/// Moves a decoded input into a request. One line per top-level member; the round-trip test
/// below fails if a member is ever left behind.
#[allow(deprecated)] // inference_accelerators: deprecated by ECS, still part of the input
fn register_request(
    client: &Client,
    input: RegisterTaskDefinitionInput,
) -> aws_sdk_ecs::operation::register_task_definition::builders::RegisterTaskDefinitionFluentBuilder
{
    client
        .register_task_definition()
        .set_family(input.family)
        .set_task_role_arn(input.task_role_arn)
        .set_execution_role_arn(input.execution_role_arn)
        .set_network_mode(input.network_mode)
        .set_container_definitions(input.container_definitions)
        .set_volumes(input.volumes)
        .set_placement_constraints(input.placement_constraints)
        .set_requires_compatibilities(input.requires_compatibilities)
        .set_cpu(input.cpu)
        .set_memory(input.memory)
        .set_tags(input.tags)
        .set_pid_mode(input.pid_mode)
        .set_ipc_mode(input.ipc_mode)
        .set_proxy_configuration(input.proxy_configuration)
        .set_inference_accelerators(input.inference_accelerators)
        .set_ephemeral_storage(input.ephemeral_storage)
        .set_runtime_platform(input.runtime_platform)
        .set_enable_fault_injection(input.enable_fault_injection)
}

fn create_request(
    client: &Client,
    input: CreateServiceInput,
) -> aws_sdk_ecs::operation::create_service::builders::CreateServiceFluentBuilder {
    client
        .create_service()
        .set_cluster(input.cluster)
        .set_service_name(input.service_name)
        .set_task_definition(input.task_definition)
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
        .set_load_balancers(input.load_balancers)
        .set_service_registries(input.service_registries)
        .set_desired_count(input.desired_count)
        .set_client_token(input.client_token)
        .set_launch_type(input.launch_type)
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_platform_version(input.platform_version)
        .set_role(input.role)
        .set_deployment_configuration(input.deployment_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_network_configuration(input.network_configuration)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_scheduling_strategy(input.scheduling_strategy)
        .set_deployment_controller(input.deployment_controller)
        .set_tags(input.tags)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_propagate_tags(input.propagate_tags)
        .set_enable_execute_command(input.enable_execute_command)
        .set_service_connect_configuration(input.service_connect_configuration)
        .set_volume_configurations(input.volume_configurations)
        .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
        .set_gateway_connectors(input.gateway_connectors)
        .set_monitoring(input.monitoring)
}

fn update_request(
    client: &Client,
    input: UpdateServiceInput,
) -> aws_sdk_ecs::operation::update_service::builders::UpdateServiceFluentBuilder {
    client
        .update_service()
        .set_cluster(input.cluster)
        .set_service(input.service)
        .set_desired_count(input.desired_count)
        .set_task_definition(input.task_definition)
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_deployment_configuration(input.deployment_configuration)
        .set_availability_zone_rebalancing(input.availability_zone_rebalancing)
        .set_network_configuration(input.network_configuration)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_platform_version(input.platform_version)
        .set_force_new_deployment(input.force_new_deployment)
        .set_health_check_grace_period_seconds(input.health_check_grace_period_seconds)
        .set_deployment_controller(input.deployment_controller)
        .set_enable_execute_command(input.enable_execute_command)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_load_balancers(input.load_balancers)
        .set_propagate_tags(input.propagate_tags)
        .set_service_registries(input.service_registries)
        .set_service_connect_configuration(input.service_connect_configuration)
        .set_volume_configurations(input.volume_configurations)
        .set_vpc_lattice_configurations(input.vpc_lattice_configurations)
        .set_gateway_connectors(input.gateway_connectors)
        .set_monitoring(input.monitoring)
}

fn run_request(
    client: &Client,
    input: RunTaskInput,
) -> aws_sdk_ecs::operation::run_task::builders::RunTaskFluentBuilder {
    client
        .run_task()
        .set_capacity_provider_strategy(input.capacity_provider_strategy)
        .set_cluster(input.cluster)
        .set_count(input.count)
        .set_enable_ecs_managed_tags(input.enable_ecs_managed_tags)
        .set_enable_execute_command(input.enable_execute_command)
        .set_group(input.group)
        .set_launch_type(input.launch_type)
        .set_network_configuration(input.network_configuration)
        .set_overrides(input.overrides)
        .set_placement_constraints(input.placement_constraints)
        .set_placement_strategy(input.placement_strategy)
        .set_platform_version(input.platform_version)
        .set_propagate_tags(input.propagate_tags)
        .set_reference_id(input.reference_id)
        .set_started_by(input.started_by)
        .set_tags(input.tags)
        .set_task_definition(input.task_definition)
        .set_client_token(input.client_token)
        .set_volume_configurations(input.volume_configurations)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn client() -> Client {
        let config = aws_sdk_ecs::Config::builder()
            .behavior_version(aws_sdk_ecs::config::BehaviorVersion::latest())
            .region(aws_sdk_ecs::config::Region::new("ap-northeast-1"))
            .build();
        Client::from_conf(config)
    }

    /// Every member the codec decoded must reach the request builder: build the request's
    /// input back and compare its JSON with the document we started from.
    #[test]
    fn no_member_is_lost_between_input_and_request() {
        let client = client();
        let task = serde_json::json!({
            "family": "app", "taskRoleArn": "arn:aws:iam::1:role/t", "executionRoleArn": "arn:aws:iam::1:role/e",
            "networkMode": "awsvpc", "containerDefinitions": [{"name": "a", "image": "i", "cpu": 0}],
            "volumes": [{"name": "v"}], "placementConstraints": [{"type": "memberOf", "expression": "x"}],
            "requiresCompatibilities": ["FARGATE"], "cpu": "256", "memory": "512",
            "tags": [{"key": "k", "value": "v"}], "pidMode": "task", "ipcMode": "none",
            "proxyConfiguration": {"containerName": "envoy"}, "ephemeralStorage": {"sizeInGiB": 30},
            "runtimePlatform": {"cpuArchitecture": "ARM64"}, "enableFaultInjection": true
        });
        let input = codec::register_task_definition_input(&task).unwrap();
        let rebuilt = register_request(&client, input)
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(to_json(&rebuilt).unwrap(), task);

        let service = serde_json::json!({
            "cluster": "c", "serviceName": "s", "taskDefinition": "app:1",
            "availabilityZoneRebalancing": "ENABLED", "loadBalancers": [{"containerName": "a", "containerPort": 80}],
            "serviceRegistries": [{"registryArn": "arn"}], "desiredCount": 2, "clientToken": "t",
            "launchType": "FARGATE", "platformVersion": "LATEST", "role": "r",
            "deploymentConfiguration": {"maximumPercent": 200}, "placementConstraints": [{"type": "distinctInstance"}],
            "placementStrategy": [{"type": "spread", "field": "attribute:ecs.availability-zone"}],
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "healthCheckGracePeriodSeconds": 5, "schedulingStrategy": "REPLICA",
            "deploymentController": {"type": "ECS"}, "tags": [{"key": "k", "value": "v"}],
            "enableECSManagedTags": true, "propagateTags": "SERVICE", "enableExecuteCommand": true,
            "serviceConnectConfiguration": {"enabled": false},
            "volumeConfigurations": [{"name": "v"}],
            "vpcLatticeConfigurations": [{"roleArn": "r", "targetGroupArn": "t", "portName": "p"}]
        });
        let input = codec::create_service_input(&service).unwrap();
        let rebuilt = create_request(&client, input)
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(to_json(&rebuilt).unwrap(), service);

        let update = serde_json::json!({
            "cluster": "c", "service": "s", "desiredCount": 3, "taskDefinition": "app:2",
            "deploymentConfiguration": {"maximumPercent": 150}, "availabilityZoneRebalancing": "DISABLED",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "placementConstraints": [], "placementStrategy": [], "platformVersion": "1.4.0",
            "forceNewDeployment": true, "healthCheckGracePeriodSeconds": 10,
            "deploymentController": {"type": "ECS"}, "enableExecuteCommand": false,
            "enableECSManagedTags": false, "loadBalancers": [], "propagateTags": "NONE",
            "serviceRegistries": [], "serviceConnectConfiguration": {"enabled": false},
            "volumeConfigurations": [], "vpcLatticeConfigurations": []
        });
        let input = codec::update_service_input(&update).unwrap();
        let rebuilt = update_request(&client, input)
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(to_json(&rebuilt).unwrap(), update);

        let run = serde_json::json!({
            "capacityProviderStrategy": [{"capacityProvider": "FARGATE_SPOT", "weight": 1, "base": 0}],
            "cluster": "c", "count": 2, "enableECSManagedTags": true, "enableExecuteCommand": true,
            "group": "g", "launchType": "FARGATE",
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["s"]}},
            "overrides": {"containerOverrides": [{"name": "app", "command": ["true"]}]},
            "placementConstraints": [{"type": "distinctInstance"}],
            "placementStrategy": [{"type": "random"}], "platformVersion": "LATEST",
            "propagateTags": "SERVICE", "referenceId": "r", "startedBy": "ristretto",
            "tags": [{"key": "k", "value": "v"}], "taskDefinition": "app:1", "clientToken": "t",
            "volumeConfigurations": [{"name": "v"}]
        });
        let input = codec::run_task_input(&run).unwrap();
        let rebuilt = run_request(&client, input)
            .as_input()
            .clone()
            .build()
            .unwrap();
        assert_eq!(to_json(&rebuilt).unwrap(), run);
    }
}
