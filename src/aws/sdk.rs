//! Builds the AWS SDK configuration every client shares: the default credential chain (env,
//! profiles, SSO, web identity such as GitHub OIDC, container and instance roles),
//! `--region`/`--profile`, `--assume-role-arn` through STS, and `AWS_ENDPOINT_URL` (honoured by
//! the SDK itself). One HTTP/TLS stack: rustls with ring (see Cargo.toml).

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};

/// What the command line and the config say about reaching AWS.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct AwsSettings {
    pub region: Option<String>,
    pub profile: Option<String>,
    pub assume_role_arn: Option<String>,
}

/// Loads the shared configuration. Never fails by itself: missing credentials or region show
/// up as errors of the first call, which the caller reports with a hint.
pub(crate) async fn load(settings: &AwsSettings) -> SdkConfig {
    let http_client = aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client);
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
