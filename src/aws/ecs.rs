//! The narrow ECS interface the domain uses, in ristretto's own types: live services and task
//! definitions as the AWS CLI's JSON documents plus the few fields the planner and the rollout
//! wait read. `ecs_sdk.rs` implements it with the SDK; tests may implement it in memory.
//! Nothing here touches `aws-sdk-*` types.

use std::collections::BTreeMap;
use std::future::Future;

use serde_json::Value;

use super::AwsError;

/// A service as DescribeServices (with tags) reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LiveService {
    pub arn: String,
    pub name: String,
    /// ACTIVE, DRAINING or INACTIVE.
    pub status: String,
    /// The task definition ARN the service runs (its PRIMARY deployment's).
    pub task_definition: String,
    pub desired_count: i64,
    pub running_count: i64,
    pub pending_count: i64,
    pub deployments: Vec<Deployment>,
    /// Newest first, as ECS returns them.
    pub events: Vec<ServiceEvent>,
    /// The whole `services[]` element, `tags` included, as the AWS CLI prints it.
    pub document: Value,
    /// Cloud Map namespace names by ARN for the namespaces the Service Connect configurations
    /// of this service and of its definition refer to
    /// (`crate::normalize::service_connect_namespace_arns`), resolved by whoever fetched the
    /// service (`crate::aws::servicediscovery`). Empty until then: the planner then compares
    /// the ARNs as they are.
    pub namespace_names: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Deployment {
    pub id: String,
    /// PRIMARY, ACTIVE or INACTIVE.
    pub status: String,
    pub task_definition: String,
    pub desired_count: i64,
    pub running_count: i64,
    pub pending_count: i64,
    pub failed_tasks: i64,
    /// IN_PROGRESS, COMPLETED or FAILED (absent for some controllers).
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ServiceEvent {
    pub id: String,
    pub created_at: String,
    pub message: String,
}

/// A task definition as DescribeTaskDefinition (with tags) reports it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LiveTaskDefinition {
    pub arn: String,
    pub family: String,
    pub revision: i64,
    /// ACTIVE, INACTIVE or DELETE_IN_PROGRESS.
    pub status: String,
    /// The `taskDefinition` object with the response's `tags` moved in.
    pub document: Value,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Tag {
    pub key: String,
    pub value: String,
}

/// What UpdateService is asked to do: only the fields that change.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ServiceUpdate {
    pub task_definition: Option<String>,
    /// Top-level UpdateService members (AWS CLI keys) with their new values.
    pub fields: serde_json::Map<String, Value>,
    pub force_new_deployment: bool,
}

/// A task as RunTask / DescribeTasks report it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct LiveTask {
    pub arn: String,
    pub task_definition: String,
    /// PROVISIONING, PENDING, ACTIVATING, RUNNING, DEACTIVATING, STOPPING, DEPROVISIONING, STOPPED.
    pub last_status: String,
    pub stop_code: Option<String>,
    pub stopped_reason: Option<String>,
    pub containers: Vec<ContainerState>,
    /// The whole `tasks[]` element, as the AWS CLI prints it.
    pub document: Value,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ContainerState {
    pub name: String,
    pub last_status: String,
    pub exit_code: Option<i64>,
    pub reason: Option<String>,
}

/// What RunTask answered: the tasks it started, and why others were not started.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RunTaskOutcome {
    pub tasks: Vec<LiveTask>,
    /// `arn: reason (detail)` per failure.
    pub failures: Vec<String>,
}

pub(crate) trait EcsApi: Send + Sync {
    /// `None` when the service does not exist or is INACTIVE (a deleted service).
    fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> impl Future<Output = Result<Option<LiveService>, AwsError>> + Send;

    /// Services of one cluster, at most 10 per call as the API allows; missing ones are absent
    /// from the result.
    fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> impl Future<Output = Result<Vec<LiveService>, AwsError>> + Send;

    /// By ARN or `family:revision`, or by `family` for its latest ACTIVE revision. `None` when
    /// there is no such task definition.
    fn describe_task_definition(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<Option<LiveTaskDefinition>, AwsError>> + Send;

    fn register_task_definition(
        &self,
        document: &Value,
    ) -> impl Future<Output = Result<LiveTaskDefinition, AwsError>> + Send;

    /// `document` is the service definition (create-service input without cluster, name and
    /// task definition).
    fn create_service(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        document: &Value,
    ) -> impl Future<Output = Result<LiveService, AwsError>> + Send;

    fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> impl Future<Output = Result<LiveService, AwsError>> + Send;

    fn tag_resource(
        &self,
        arn: &str,
        tags: &[Tag],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    fn untag_resource(
        &self,
        arn: &str,
        keys: &[String],
    ) -> impl Future<Output = Result<(), AwsError>> + Send;

    /// The ARNs of the family's revisions with this status (ACTIVE or INACTIVE), oldest first,
    /// every page.
    fn list_task_definitions(
        &self,
        family: &str,
        status: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    fn deregister_task_definition(
        &self,
        reference: &str,
    ) -> impl Future<Output = Result<LiveTaskDefinition, AwsError>> + Send;

    /// The ARNs of the cluster's services, every page.
    fn list_services(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    /// `force`: delete even when the desired count is not 0 (the tasks are stopped).
    fn delete_service(
        &self,
        cluster: &str,
        service: &str,
        force: bool,
    ) -> impl Future<Output = Result<LiveService, AwsError>> + Send;

    /// The cluster as DescribeClusters prints it; `None` when it does not exist.
    fn describe_cluster(
        &self,
        cluster: &str,
    ) -> impl Future<Output = Result<Option<Value>, AwsError>> + Send;

    /// `request` is a RunTask document (AWS CLI keys, `cluster` and `taskDefinition` included).
    fn run_task(
        &self,
        request: &Value,
    ) -> impl Future<Output = Result<RunTaskOutcome, AwsError>> + Send;

    /// Tasks of one cluster by ARN (at most 100 per call, as the API allows); unknown ones are
    /// absent from the result.
    fn describe_tasks(
        &self,
        cluster: &str,
        tasks: &[String],
    ) -> impl Future<Output = Result<Vec<LiveTask>, AwsError>> + Send;

    /// ARNs of the cluster's tasks of `family` whose desired status is RUNNING, every page.
    fn list_running_tasks(
        &self,
        cluster: &str,
        family: &str,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;
}

fn text(document: &Value, key: &str) -> String {
    document
        .get(key)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn number(document: &Value, key: &str) -> i64 {
    document
        .get(key)
        .and_then(Value::as_i64)
        .unwrap_or_default()
}

impl LiveService {
    /// Reads the fields the domain needs out of a DescribeServices element.
    pub(crate) fn from_document(document: Value) -> Self {
        let deployments = document
            .get("deployments")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| Deployment {
                        id: text(item, "id"),
                        status: text(item, "status"),
                        task_definition: text(item, "taskDefinition"),
                        desired_count: number(item, "desiredCount"),
                        running_count: number(item, "runningCount"),
                        pending_count: number(item, "pendingCount"),
                        failed_tasks: number(item, "failedTasks"),
                        rollout_state: item
                            .get("rolloutState")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                        rollout_state_reason: item
                            .get("rolloutStateReason")
                            .and_then(Value::as_str)
                            .map(str::to_owned),
                    })
                    .collect()
            })
            .unwrap_or_default();
        let events = document
            .get("events")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| ServiceEvent {
                        id: text(item, "id"),
                        created_at: text(item, "createdAt"),
                        message: text(item, "message"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            arn: text(&document, "serviceArn"),
            name: text(&document, "serviceName"),
            status: text(&document, "status"),
            task_definition: text(&document, "taskDefinition"),
            desired_count: number(&document, "desiredCount"),
            running_count: number(&document, "runningCount"),
            pending_count: number(&document, "pendingCount"),
            deployments,
            events,
            document,
            namespace_names: BTreeMap::new(),
        }
    }

    pub(crate) fn primary_deployment(&self) -> Option<&Deployment> {
        self.deployments
            .iter()
            .find(|deployment| deployment.status == "PRIMARY")
    }
}

impl LiveTaskDefinition {
    pub(crate) fn from_document(document: Value) -> Self {
        Self {
            arn: text(&document, "taskDefinitionArn"),
            family: text(&document, "family"),
            revision: number(&document, "revision"),
            status: text(&document, "status"),
            document,
        }
    }

    /// `family:revision`, as people say it.
    pub(crate) fn short_name(&self) -> String {
        format!("{}:{}", self.family, self.revision)
    }
}

impl LiveTask {
    /// Reads the fields the domain needs out of a DescribeTasks element.
    pub(crate) fn from_document(document: Value) -> Self {
        let optional = |item: &Value, key: &str| {
            item.get(key)
                .and_then(Value::as_str)
                .filter(|text| !text.is_empty())
                .map(str::to_owned)
        };
        let containers = document
            .get("containers")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| ContainerState {
                        name: text(item, "name"),
                        last_status: text(item, "lastStatus"),
                        exit_code: item.get("exitCode").and_then(Value::as_i64),
                        reason: optional(item, "reason"),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self {
            arn: text(&document, "taskArn"),
            task_definition: text(&document, "taskDefinitionArn"),
            last_status: text(&document, "lastStatus"),
            stop_code: optional(&document, "stopCode"),
            stopped_reason: optional(&document, "stoppedReason"),
            containers,
            document,
        }
    }

    /// The task id: the last part of its ARN.
    pub(crate) fn id(&self) -> &str {
        self.arn.rsplit('/').next().unwrap_or(&self.arn)
    }
}

/// The revision number of a task definition ARN or `family:revision`, if it has one.
pub(crate) fn task_definition_revision(reference: &str) -> Option<i64> {
    task_definition_short_name(reference)
        .rsplit_once(':')
        .and_then(|(_, revision)| revision.parse().ok())
}

/// `family:revision` from a task definition ARN (or the input itself if it is not an ARN).
pub(crate) fn task_definition_short_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}
