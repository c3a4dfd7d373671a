//! Elastic Load Balancing v2, read-only: whether a target group exists (`verify` checks the
//! service's load balancers). Only this file touches `aws-sdk-elasticloadbalancingv2`.

use aws_sdk_elasticloadbalancingv2::Client;
use aws_sdk_elasticloadbalancingv2::error::ProvideErrorMetadata;

use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub(crate) struct LoadBalancing {
    client: Client,
}

/// What `verify` needs of a target group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TargetGroup {
    pub port: Option<i64>,
    /// instance, ip, lambda or alb.
    pub target_type: Option<String>,
}

impl LoadBalancing {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// `None` when there is no target group with this ARN.
    pub(crate) async fn target_group(&self, arn: &str) -> Result<Option<TargetGroup>, AwsError> {
        let result = self
            .client
            .describe_target_groups()
            .target_group_arns(arn)
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.target_groups().first().map(|group| TargetGroup {
                port: group.port().map(i64::from),
                target_type: group.target_type().map(|kind| kind.as_str().to_owned()),
            })),
            Err(error) if error.code() == Some("TargetGroupNotFound") => Ok(None),
            Err(error) => Err(sdk_error("DescribeTargetGroups", error)),
        }
    }
}
