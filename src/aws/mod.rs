//! The AWS adapter: the only code that touches `aws-sdk-*` and `aws-smithy-*` types. The
//! domain sees the narrow traits in `ecs.rs` (ristretto's own types, AWS-CLI JSON documents)
//! and `AwsError`.

pub(crate) mod autoscaling;
pub(crate) mod cloudformation;
pub(crate) mod codec;
pub(crate) mod codedeploy;
pub(crate) mod ecr;
pub(crate) mod ecs;
#[cfg(test)]
pub(crate) mod ecs_memory;
pub(crate) mod ecs_sdk;
pub(crate) mod ecs_tasks;
pub(crate) mod elbv2;
pub(crate) mod iam;
pub(crate) mod kms;
pub mod lock_dynamodb;
pub mod lock_s3;
pub(crate) mod logs;
pub(crate) mod lookups;
pub(crate) mod model;
pub(crate) mod s3;
pub(crate) mod sdk;
pub(crate) mod server_clock;
pub mod servicediscovery;
pub(crate) mod ssm;

use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// An AWS call failed.
#[derive(Debug, thiserror::Error)]
pub enum AwsError {
    /// AWS answered with an error.
    #[error("{operation} failed: {code}: {message}")]
    Api {
        operation: &'static str,
        code: String,
        message: String,
    },
    /// The request never got an answer (no network, no credentials, no region, timeout).
    #[error("{operation} failed: {message}")]
    Transport {
        operation: &'static str,
        message: String,
    },
    #[error(transparent)]
    Codec(codec::CodecError),
    #[error("{operation}: unexpected response: {message}")]
    Unexpected {
        operation: &'static str,
        message: String,
    },
    /// Neither `--region`, the config nor the SDK's default chain names a region.
    #[error("no AWS region: it is needed to find the cluster")]
    NoRegion,
}

impl AwsError {
    /// The AWS error code (`ServiceNotFoundException`, …), when AWS answered.
    pub fn code(&self) -> Option<&str> {
        match self {
            AwsError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    pub fn hint(&self) -> Option<String> {
        let text = self.to_string();
        if text.contains("credentials") || text.contains("Credentials") {
            return Some(
                "configure AWS credentials: environment variables, a profile (--profile), SSO \
                 or a web identity (e.g. GitHub OIDC)"
                    .into(),
            );
        }
        if matches!(self, AwsError::Transport { message, .. } if message.contains("timed out")) {
            return Some(
                "the endpoint did not answer in time (network, AWS_ENDPOINT_URL, an outage); the \
                 timeouts are the config's aws: {connect_timeout, read_timeout, attempt_timeout} \
                 and RISTRETTO_CONNECT_TIMEOUT, RISTRETTO_READ_TIMEOUT, RISTRETTO_ATTEMPT_TIMEOUT"
                    .into(),
            );
        }
        if matches!(self, AwsError::NoRegion) {
            return Some("set region in the config, pass --region, or set AWS_REGION".into());
        }
        if text.contains("region") {
            return Some("set the region with --region, the config's region or AWS_REGION".into());
        }
        match self.code() {
            Some("ClusterNotFoundException") => {
                Some("check the config's cluster and the region".into())
            }
            Some("AccessDeniedException") => {
                Some("the caller's IAM policy does not allow this call".into())
            }
            _ => None,
        }
    }
}

/// Turns an SDK error into an `AwsError`, keeping AWS's code and message, or the innermost
/// cause of a failure to send.
pub(crate) fn sdk_error<E, R>(operation: &'static str, error: SdkError<E, R>) -> AwsError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    if let SdkError::ServiceError(service_error) = &error {
        let inner = service_error.err();
        return AwsError::Api {
            operation,
            code: inner.code().unwrap_or("Unknown").to_owned(),
            message: inner
                .message()
                .map(str::to_owned)
                .unwrap_or_else(|| inner.to_string()),
        };
    }
    // Name the timeout that fired: the cause alone only says "timed out".
    match &error {
        SdkError::TimeoutError(_) => {
            return AwsError::Transport {
                operation,
                message: "timed out: no answer within the attempt timeout".to_owned(),
            };
        }
        SdkError::DispatchFailure(failure) if failure.is_timeout() => {
            return AwsError::Transport {
                operation,
                message: "timed out: no connection or no answer within the connect or read \
                          timeout"
                    .to_owned(),
            };
        }
        _ => {}
    }
    let mut message = error.to_string();
    let mut source: Option<&dyn std::error::Error> = std::error::Error::source(&error);
    while let Some(cause) = source {
        message = cause.to_string();
        source = cause.source();
    }
    AwsError::Transport { operation, message }
}
