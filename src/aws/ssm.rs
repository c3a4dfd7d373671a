//! SSM Parameter Store and Secrets Manager, read-only: whether a parameter or secret a task
//! definition references exists (`verify`), and the two lookups ecspresso's default plugins
//! offer to definitions — a parameter's value (`ssm`) and a secret's full ARN
//! (`secretsmanager_arn`; never its value). Only this file touches `aws-sdk-ssm` and
//! `aws-sdk-secretsmanager`; it must not change anything.

use aws_sdk_secretsmanager::error::ProvideErrorMetadata as _;

use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub(crate) struct Secrets {
    ssm: aws_sdk_ssm::Client,
    secrets_manager: aws_sdk_secretsmanager::Client,
}

impl Secrets {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            ssm: aws_sdk_ssm::Client::new(config),
            secrets_manager: aws_sdk_secretsmanager::Client::new(config),
        }
    }

    /// By name or ARN. The value is not decrypted: existence is the question.
    pub(crate) async fn parameter_exists(&self, name: &str) -> Result<bool, AwsError> {
        match self.ssm.get_parameter().name(name).send().await {
            Ok(_) => Ok(true),
            Err(error) if error.code() == Some("ParameterNotFound") => Ok(false),
            Err(error) => Err(sdk_error("GetParameter", error)),
        }
    }

    /// A parameter's value, decrypted (SecureString), with its type (`String`, `SecureString`,
    /// `StringList`).
    pub(crate) async fn parameter(&self, name: &str) -> Result<(String, String), AwsError> {
        let output = self
            .ssm
            .get_parameter()
            .name(name)
            .with_decryption(true)
            .send()
            .await
            .map_err(|error| sdk_error("GetParameter", error))?;
        let parameter = output.parameter().ok_or_else(|| AwsError::Unexpected {
            operation: "GetParameter",
            message: format!("no parameter in the answer for {name}"),
        })?;
        Ok((
            parameter
                .r#type()
                .map(|kind| kind.as_str().to_owned())
                .unwrap_or_default(),
            parameter.value().unwrap_or_default().to_owned(),
        ))
    }

    /// The full ARN of a secret named by name or partial ARN (ECS wants the full one, whose
    /// random suffix is not known in advance).
    pub(crate) async fn secret_arn(&self, id: &str) -> Result<String, AwsError> {
        let output = self
            .secrets_manager
            .describe_secret()
            .secret_id(id)
            .send()
            .await
            .map_err(|error| sdk_error("DescribeSecret", error))?;
        output
            .arn()
            .map(str::to_owned)
            .ok_or_else(|| AwsError::Unexpected {
                operation: "DescribeSecret",
                message: format!("no ARN in the answer for {id}"),
            })
    }

    /// By name or ARN (without ECS's `:json-key:stage:version` suffix).
    pub(crate) async fn secret_exists(&self, id: &str) -> Result<bool, AwsError> {
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
