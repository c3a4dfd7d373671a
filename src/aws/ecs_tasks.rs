//! The calls of the commands that look at or act on tasks outside a plan (`tasks`, `exec`) and
//! that delete task definitions (`deregister --delete`): ListTasks, StopTask, ExecuteCommand,
//! DeleteTaskDefinitions on ECS, and StartSession on Session Manager (ECS Exec port
//! forwarding), in ristretto's own types. The plan's calls are `EcsApi` (`ecs.rs`).
//! Must not: choose a task, start the session manager plugin or print.

use std::collections::BTreeMap;
use std::future::Future;

use aws_sdk_ecs::types::DesiredStatus;
use serde_json::{Value, json};

use super::ecs::LiveTask;
use super::ecs_sdk::SdkEcs;
use super::{AwsError, sdk_error};

/// Which tasks ListTasks returns (ECS takes either a service or a family).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TaskFilter {
    Service(String),
    Family(String),
}

/// An ExecuteCommand answer: the session for the plugin, in the AWS CLI's JSON shape
/// (`sessionId`, `streamUrl`, `tokenValue`), and where it runs.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct CommandSession {
    pub session: Value,
    pub container_name: String,
    pub task_arn: String,
}

/// What DeleteTaskDefinitions answered.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DeletedTaskDefinitions {
    /// ARNs now DELETE_IN_PROGRESS.
    pub deleted: Vec<String>,
    /// `arn: reason (detail)` per failure.
    pub failures: Vec<String>,
}

pub(crate) trait TaskApi: Send + Sync {
    /// ARNs of the cluster's tasks of the service or family whose desired status is RUNNING,
    /// every page.
    fn list_tasks(
        &self,
        cluster: &str,
        filter: &TaskFilter,
    ) -> impl Future<Output = Result<Vec<String>, AwsError>> + Send;

    fn stop_task(
        &self,
        cluster: &str,
        task: &str,
        reason: &str,
    ) -> impl Future<Output = Result<LiveTask, AwsError>> + Send;

    /// An interactive ECS Exec session running `command` in `container` of `task`.
    fn execute_command(
        &self,
        cluster: &str,
        task: &str,
        container: &str,
        command: &str,
    ) -> impl Future<Output = Result<CommandSession, AwsError>> + Send;

    /// At most 10 per call, as the API allows; `references` are ARNs or `family:revision`.
    fn delete_task_definitions(
        &self,
        references: &[String],
    ) -> impl Future<Output = Result<DeletedTaskDefinitions, AwsError>> + Send;
}

impl TaskApi for SdkEcs {
    async fn list_tasks(
        &self,
        cluster: &str,
        filter: &TaskFilter,
    ) -> Result<Vec<String>, AwsError> {
        let request = self
            .client()
            .list_tasks()
            .cluster(cluster)
            .desired_status(DesiredStatus::Running);
        let request = match filter {
            TaskFilter::Service(service) => request.service_name(service),
            TaskFilter::Family(family) => request.family(family),
        };
        let mut pages = request.into_paginator().send();
        let mut arns = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("ListTasks", error))?;
            arns.extend(page.task_arns().iter().cloned());
        }
        Ok(arns)
    }

    async fn stop_task(
        &self,
        cluster: &str,
        task: &str,
        reason: &str,
    ) -> Result<LiveTask, AwsError> {
        let output = self
            .client()
            .stop_task()
            .cluster(cluster)
            .task(task)
            .reason(reason)
            .send()
            .await
            .map_err(|error| sdk_error("StopTask", error))?;
        let task = output.task().ok_or_else(|| AwsError::Unexpected {
            operation: "StopTask",
            message: "the response has no task".into(),
        })?;
        Ok(LiveTask::from_document(
            super::codec::to_json(task).map_err(AwsError::Codec)?,
        ))
    }

    async fn execute_command(
        &self,
        cluster: &str,
        task: &str,
        container: &str,
        command: &str,
    ) -> Result<CommandSession, AwsError> {
        let output = self
            .client()
            .execute_command()
            .cluster(cluster)
            .task(task)
            .container(container)
            .command(command)
            .interactive(true)
            .send()
            .await
            .map_err(|error| sdk_error("ExecuteCommand", error))?;
        let session = output.session().ok_or_else(|| AwsError::Unexpected {
            operation: "ExecuteCommand",
            message: "the response has no session".into(),
        })?;
        Ok(CommandSession {
            session: json!({
                "sessionId": session.session_id(),
                "streamUrl": session.stream_url(),
                "tokenValue": session.token_value(),
            }),
            container_name: output.container_name().unwrap_or(container).to_owned(),
            task_arn: output.task_arn().unwrap_or(task).to_owned(),
        })
    }

    async fn delete_task_definitions(
        &self,
        references: &[String],
    ) -> Result<DeletedTaskDefinitions, AwsError> {
        let mut result = DeletedTaskDefinitions::default();
        for chunk in references.chunks(10) {
            let output = self
                .client()
                .delete_task_definitions()
                .set_task_definitions(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|error| sdk_error("DeleteTaskDefinitions", error))?;
            result.deleted.extend(
                output
                    .task_definitions()
                    .iter()
                    .filter_map(|task| task.task_definition_arn().map(str::to_owned)),
            );
            result
                .failures
                .extend(output.failures().iter().map(|failure| {
                    let mut text = format!(
                        "{}: {}",
                        failure.arn().unwrap_or("DeleteTaskDefinitions"),
                        failure.reason().unwrap_or("unknown reason")
                    );
                    if let Some(detail) = failure.detail() {
                        text.push_str(&format!(" ({detail})"));
                    }
                    text
                }));
        }
        Ok(result)
    }
}

/// Session Manager's StartSession (ECS Exec port forwarding).
#[derive(Debug, Clone)]
pub(crate) struct SessionManager {
    client: aws_sdk_ssm::Client,
}

/// A started session: StartSession's answer and request, both as the AWS CLI prints them
/// (what `session-manager-plugin` is given).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StartedSession {
    pub response: Value,
    pub request: Value,
}

impl SessionManager {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_ssm::Client::new(config),
        }
    }

    pub(crate) async fn start_session(
        &self,
        target: &str,
        document: &str,
        parameters: &BTreeMap<String, Vec<String>>,
    ) -> Result<StartedSession, AwsError> {
        let output = self
            .client
            .start_session()
            .target(target)
            .document_name(document)
            .set_parameters(Some(parameters.clone().into_iter().collect()))
            .send()
            .await
            .map_err(|error| sdk_error("StartSession", error))?;
        Ok(StartedSession {
            response: json!({
                "SessionId": output.session_id(),
                "TokenValue": output.token_value(),
                "StreamUrl": output.stream_url(),
            }),
            request: json!({
                "Target": target,
                "DocumentName": document,
                "Parameters": parameters,
            }),
        })
    }
}
