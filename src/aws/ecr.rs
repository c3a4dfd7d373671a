//! Amazon ECR, read-only: whether an image (by tag or digest) is in a repository (`verify`).
//! Only this file touches `aws-sdk-ecr`; it must not push, tag or delete images.

use aws_sdk_ecr::Client;
use aws_sdk_ecr::error::ProvideErrorMetadata;
use aws_sdk_ecr::types::ImageIdentifier;

use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub(crate) struct Ecr {
    client: Client,
}

/// Why an image is not there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ImageLookup {
    Found,
    NoRepository,
    NoImage,
}

impl Ecr {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// `reference` is a tag or a `sha256:` digest.
    pub(crate) async fn image(
        &self,
        registry_id: &str,
        repository: &str,
        reference: &str,
    ) -> Result<ImageLookup, AwsError> {
        let identifier = if reference.starts_with("sha256:") {
            ImageIdentifier::builder().image_digest(reference).build()
        } else {
            ImageIdentifier::builder().image_tag(reference).build()
        };
        let result = self
            .client
            .describe_images()
            .registry_id(registry_id)
            .repository_name(repository)
            .image_ids(identifier)
            .send()
            .await;
        match result {
            Ok(output) if output.image_details().is_empty() => Ok(ImageLookup::NoImage),
            Ok(_) => Ok(ImageLookup::Found),
            Err(error) => match error.code() {
                Some("RepositoryNotFoundException") => Ok(ImageLookup::NoRepository),
                Some("ImageNotFoundException") => Ok(ImageLookup::NoImage),
                _ => Err(sdk_error("DescribeImages", error)),
            },
        }
    }
}
