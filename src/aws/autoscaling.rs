//! Application Auto Scaling for an ECS service, read-only: the scalable target of its desired
//! count and the names of its scaling policies, for `status`. Only this file touches
//! `aws-sdk-applicationautoscaling`; it must not change targets or policies.

use aws_sdk_applicationautoscaling::Client;
use aws_sdk_applicationautoscaling::types::{ScalableDimension, ServiceNamespace};

use super::{AwsError, sdk_error};

/// The scalable target of a service's desired count.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ScalableTarget {
    pub min_capacity: i64,
    pub max_capacity: i64,
    pub dynamic_scaling_in_suspended: bool,
    pub dynamic_scaling_out_suspended: bool,
    pub scheduled_scaling_suspended: bool,
    /// `name (type)` of each scaling policy on the target.
    pub policies: Vec<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct AutoScaling {
    client: Client,
}

impl AutoScaling {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// The target of `service/<cluster>/<service>`, `None` when the service is not scaled.
    pub(crate) async fn service_target(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<ScalableTarget>, AwsError> {
        let resource_id = format!("service/{cluster}/{service}");
        let targets = self
            .client
            .describe_scalable_targets()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_ids(&resource_id)
            .send()
            .await
            .map_err(|error| sdk_error("DescribeScalableTargets", error))?;
        let Some(target) = targets.scalable_targets().first() else {
            return Ok(None);
        };
        let policies = self
            .client
            .describe_scaling_policies()
            .service_namespace(ServiceNamespace::Ecs)
            .scalable_dimension(ScalableDimension::EcsServiceDesiredCount)
            .resource_id(&resource_id)
            .send()
            .await
            .map_err(|error| sdk_error("DescribeScalingPolicies", error))?;
        let suspended = target.suspended_state();
        let flag =
            |read: fn(&aws_sdk_applicationautoscaling::types::SuspendedState) -> Option<bool>| {
                suspended.and_then(read).unwrap_or(false)
            };
        Ok(Some(ScalableTarget {
            min_capacity: target.min_capacity().into(),
            max_capacity: target.max_capacity().into(),
            dynamic_scaling_in_suspended: flag(|state| state.dynamic_scaling_in_suspended()),
            dynamic_scaling_out_suspended: flag(|state| state.dynamic_scaling_out_suspended()),
            scheduled_scaling_suspended: flag(|state| state.scheduled_scaling_suspended()),
            policies: policies
                .scaling_policies()
                .iter()
                .map(|policy| {
                    format!(
                        "{} ({})",
                        policy.policy_name(),
                        policy.policy_type().as_str()
                    )
                })
                .collect(),
        }))
    }
}
