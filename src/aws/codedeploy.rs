//! CodeDeploy, as far as finding which application and deployment group deploy an ECS service:
//! ListApplications → BatchGetApplications (ECS platform only, 100 per call) →
//! ListDeploymentGroups → BatchGetDeploymentGroups, matching the groups' `ecsServices` — the
//! discovery ecspresso does when the config has no `codedeploy` section. `init` uses it to
//! write that section. Must not: decide anything about a deploy.

use aws_sdk_codedeploy::types::ComputePlatform;

use super::{AwsError, sdk_error};

/// A CodeDeploy application and deployment group, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeploymentGroupName {
    pub application: String,
    pub deployment_group: String,
}

#[derive(Debug, Clone)]
pub(crate) struct CodeDeploy {
    client: aws_sdk_codedeploy::Client,
}

impl CodeDeploy {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_codedeploy::Client::new(config),
        }
    }

    /// The deployment group whose ECS services include `cluster`/`service` (names, as the
    /// groups record them); `None` when no ECS application has one.
    pub(crate) async fn deployment_group_of(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<DeploymentGroupName>, AwsError> {
        let mut applications = Vec::new();
        let mut pages = self.client.list_applications().into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("ListApplications", error))?;
            applications.extend(page.applications().iter().cloned());
        }
        let mut ecs_applications = Vec::new();
        for chunk in applications.chunks(100) {
            let output = self
                .client
                .batch_get_applications()
                .set_application_names(Some(chunk.to_vec()))
                .send()
                .await
                .map_err(|error| sdk_error("BatchGetApplications", error))?;
            ecs_applications.extend(
                output
                    .applications_info()
                    .iter()
                    .filter(|info| info.compute_platform() == Some(&ComputePlatform::Ecs))
                    .filter_map(|info| info.application_name().map(str::to_owned)),
            );
        }
        for application in ecs_applications {
            let mut groups = Vec::new();
            let mut pages = self
                .client
                .list_deployment_groups()
                .application_name(&application)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|error| sdk_error("ListDeploymentGroups", error))?;
                groups.extend(page.deployment_groups().iter().cloned());
            }
            for chunk in groups.chunks(100) {
                let output = self
                    .client
                    .batch_get_deployment_groups()
                    .application_name(&application)
                    .set_deployment_group_names(Some(chunk.to_vec()))
                    .send()
                    .await
                    .map_err(|error| sdk_error("BatchGetDeploymentGroups", error))?;
                for group in output.deployment_groups_info() {
                    let deploys_service = group.ecs_services().iter().any(|ecs| {
                        ecs.cluster_name() == Some(cluster) && ecs.service_name() == Some(service)
                    });
                    if deploys_service && let Some(name) = group.deployment_group_name() {
                        return Ok(Some(DeploymentGroupName {
                            application: application.clone(),
                            deployment_group: name.to_owned(),
                        }));
                    }
                }
            }
        }
        Ok(None)
    }
}
