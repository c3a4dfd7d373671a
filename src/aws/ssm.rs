//! SSM Parameter Store and Secrets Manager, read-only and without reading values: whether a
//! parameter or secret a task definition references exists (`verify`). Only this file touches
//! `aws-sdk-ssm` and `aws-sdk-secretsmanager`; it must not fetch or change secret values.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata as _;

use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub struct Secrets {
    ssm: aws_sdk_ssm::Client,
    secrets_manager: aws_sdk_secretsmanager::Client,
}

impl Secrets {
    pub fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            ssm: aws_sdk_ssm::Client::new(config),
            secrets_manager: aws_sdk_secretsmanager::Client::new(config),
        }
    }

    /// By name or ARN. The value is not decrypted: existence is the question.
    pub async fn parameter_exists(&self, name: &str) -> Result<bool, AwsError> {
        match self.ssm.get_parameter().name(name).send().await {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ParameterNotFound") => Ok(false),
            Err(error) => Err(sdk_error("GetParameter", error)),
        }
    }

    /// By name or ARN (without ECS's `:json-key:stage:version` suffix).
    pub async fn secret_exists(&self, id: &str) -> Result<bool, AwsError> {
        match self
            .secrets_manager
            .describe_secret()
            .secret_id(id)
            .send()
            .await
        {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ResourceNotFoundException") => Ok(false),
            Err(error) => Err(sdk_error("DescribeSecret", error)),
        }
    }
}
