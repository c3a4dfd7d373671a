//! Builds the AWS SDK configuration every client shares: the default credential chain (env,
//! profiles, SSO, web identity such as GitHub OIDC, container and instance roles),
//! `--region`/`--profile`, `--assume-role-arn` through STS, `AWS_ENDPOINT_URL` (honoured by
//! the SDK itself), and the connect, read and attempt timeouts ([`Timeouts`]) that keep a silent
//! endpoint from hanging a run. One HTTP/TLS stack: rustls with ring (see Cargo.toml).
//!
//! [`Aws`] is a run's connection to AWS: built once from the settings, the SDK configuration
//! loaded on first use and shared by every client it hands out and by the lookups of rendering
//! (ARCHITECTURE.md §2). Commands and operations get clients from it and never see SDK types.

use std::sync::Arc;
use std::time::Duration;

use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

use super::AwsError;
use super::autoscaling::AutoScaling;
use super::ecr::Ecr;
use super::ecs_sdk::SdkEcs;
use super::elbv2::LoadBalancing;
use super::iam::Iam;
use super::lock_dynamodb::{self, DynamoDbLockStore, TableSetup};
use super::lock_s3::{self, S3Location, S3LockStore};
use super::logs::Logs;
use super::ssm::Secrets;
use crate::config::LockBackendConfig;
use crate::lock::{LockError, LockStore};

/// What the command line and the config say about reaching AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role_arn: Option<String>,
    pub timeouts: Timeouts,
}

/// How long any AWS call may take, so that an endpoint that accepts connections and never
/// answers (a black-holed network, a frozen proxy, a stopped emulator) fails the call instead
/// of hanging the run. The SDK sets none of the last two by itself. Each attempt that times
/// out is retried like any transient error (the SDK's standard retry: 3 attempts with
/// backoff), so a silent endpoint fails a call after about 3 × `attempt` at worst.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timeouts {
    /// Opening a TCP (and TLS) connection: AWS endpoints answer in milliseconds.
    pub connect: Duration,
    /// From sending a request to the first byte of its answer. ECS, DynamoDB, S3 and KMS
    /// answer the calls ristretto makes (none is a long poll) well within this.
    pub read: Duration,
    /// One attempt of a call, connection to last byte.
    pub attempt: Duration,
}

impl Timeouts {
    pub(crate) const DEFAULT: Timeouts = Timeouts {
        connect: Duration::from_secs(3),
        read: Duration::from_secs(20),
        attempt: Duration::from_secs(30),
    };
}

impl Default for Timeouts {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Loads the shared configuration. Never fails by itself: missing credentials or region show
/// up as errors of the first call, which the caller reports with a hint.
pub(crate) async fn load(settings: &AwsSettings) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let timeouts = TimeoutConfig::builder()
        .connect_timeout(settings.timeouts.connect)
        .read_timeout(settings.timeouts.read)
        .operation_attempt_timeout(settings.timeouts.attempt)
        .build();
    let mut loader = aws_config::defaults(BehaviorVersion::latest())
        .http_client(http_client)
        .timeout_config(timeouts);
    if let Some(region) = &settings.region {
        loader = loader.region(Region::new(region.clone()));
    }
    if let Some(profile) = &settings.profile {
        loader = loader.profile_name(profile);
    }
    let base = loader.load().await;
    let Some(role_arn) = &settings.assume_role_arn else {
        return base;
    };
    let provider = aws_config::sts::AssumeRoleProvider::builder(role_arn.clone())
        .session_name(format!("ristretto-{}", std::process::id()))
        .configure(&base)
        .build()
        .await;
    base.into_builder()
        .credentials_provider(
            aws_credential_types::provider::SharedCredentialsProvider::new(provider),
        )
        .build()
}

/// One run's connection to AWS. The SDK configuration (credentials chain, region, endpoint) is
/// loaded once, on first use: commands that never call AWS (`render`, `validate`) never load it.
#[derive(Debug)]
pub(crate) struct Aws {
    settings: AwsSettings,
    config: tokio::sync::OnceCell<SdkConfig>,
}

impl Aws {
    pub(crate) fn new(settings: AwsSettings) -> Arc<Self> {
        Arc::new(Self {
            settings,
            config: tokio::sync::OnceCell::new(),
        })
    }

    /// The SDK configuration, for the adapter's own constructors; never leaves `aws`.
    pub(super) async fn sdk_config(&self) -> &SdkConfig {
        self.config.get_or_init(|| load(&self.settings)).await
    }

    /// The one region rule: `--region`, else the config's `region` (both in the settings), else
    /// the SDK's default chain (`AWS_REGION`, the profile). An error when none says which.
    pub(crate) async fn region(&self) -> Result<String, AwsError> {
        self.sdk_config()
            .await
            .region()
            .map(|region| region.to_string())
            .ok_or(AwsError::NoRegion)
    }

    pub(crate) async fn ecs(&self) -> SdkEcs {
        SdkEcs::new(self.sdk_config().await)
    }

    pub(crate) async fn cloud_map(&self) -> super::servicediscovery::CloudMap {
        super::servicediscovery::CloudMap::from_config(self.sdk_config().await)
    }

    pub(crate) async fn auto_scaling(&self) -> AutoScaling {
        AutoScaling::new(self.sdk_config().await)
    }

    pub(crate) async fn logs(&self) -> Logs {
        Logs::new(self.sdk_config().await)
    }

    pub(crate) async fn iam(&self) -> Iam {
        Iam::new(self.sdk_config().await)
    }

    pub(crate) async fn cloud_formation(&self) -> super::cloudformation::CloudFormation {
        super::cloudformation::CloudFormation::new(self.sdk_config().await)
    }

    pub(crate) async fn secrets(&self) -> Secrets {
        Secrets::new(self.sdk_config().await)
    }

    pub(crate) async fn ecr(&self) -> Ecr {
        Ecr::new(self.sdk_config().await)
    }

    pub(crate) async fn codedeploy(&self) -> super::codedeploy::CodeDeploy {
        super::codedeploy::CodeDeploy::new(self.sdk_config().await)
    }

    pub(crate) async fn session_manager(&self) -> super::ecs_tasks::SessionManager {
        super::ecs_tasks::SessionManager::new(self.sdk_config().await)
    }

    /// The endpoint the SDK sends `service` requests to (`AWS_ENDPOINT_URL` when set, else
    /// AWS's regional one), for `session-manager-plugin`, which the AWS CLI gives it too.
    pub(crate) async fn endpoint_url(&self, service: &str) -> Result<String, AwsError> {
        if let Some(url) = self.sdk_config().await.endpoint_url() {
            return Ok(url.to_owned());
        }
        Ok(format!(
            "https://{service}.{}.amazonaws.com",
            self.region().await?
        ))
    }

    /// The shared-config profile in use (`--profile`, else `AWS_PROFILE`), empty for none.
    pub(crate) fn profile_name(&self) -> String {
        self.settings
            .profile
            .clone()
            .or_else(|| std::env::var("AWS_PROFILE").ok())
            .unwrap_or_default()
    }

    pub(crate) async fn kms(&self) -> super::kms::Kms {
        super::kms::Kms::new(self.sdk_config().await)
    }

    pub(crate) async fn load_balancing(&self) -> LoadBalancing {
        LoadBalancing::new(self.sdk_config().await)
    }

    /// An object's bytes (plan files, Terraform states).
    pub(crate) async fn s3_object(&self, bucket: &str, key: &str) -> Result<Vec<u8>, AwsError> {
        super::s3::get(&super::s3::client(self.sdk_config().await), bucket, key).await
    }

    pub(crate) async fn put_s3_object(
        &self,
        bucket: &str,
        key: &str,
        bytes: Vec<u8>,
    ) -> Result<(), AwsError> {
        super::s3::put(
            &super::s3::client(self.sdk_config().await),
            bucket,
            key,
            bytes,
        )
        .await
    }

    /// The lock store the config names: a DynamoDB table or S3 lockfiles. An `Err` is the
    /// reason the S3 location cannot be used.
    pub(crate) async fn lock_store(
        &self,
        backend: &LockBackendConfig,
    ) -> Result<Arc<dyn LockStore>, String> {
        let config = self.sdk_config().await;
        Ok(match backend {
            LockBackendConfig::DynamoDb { table } => {
                Arc::new(DynamoDbLockStore::from_config(config, table.clone()))
            }
            LockBackendConfig::S3 { url } => Arc::new(S3LockStore::new(
                lock_s3::client(config),
                S3Location::parse(url)?,
            )),
        })
    }

    /// Creates the lock table (or finds it), with TTL on `ExpiresAt`.
    pub(crate) async fn create_lock_table(&self, table: &str) -> Result<TableSetup, LockError> {
        lock_dynamodb::create_table(self.sdk_config().await, table).await
    }

    /// Checks that the lock bucket answers.
    pub(crate) async fn check_lock_bucket(&self, bucket: &str) -> Result<(), LockError> {
        lock_s3::check_bucket(&lock_s3::client(self.sdk_config().await), bucket).await
    }
}
