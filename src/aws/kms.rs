//! AWS KMS for plan signing (`plan_signing` in the config): Sign and Verify of a short message
//! with an asymmetric SIGN_VERIFY key, signatures carried as base64 text. [`PlanSigner`] is the
//! narrow trait the domain sees; [`Kms`] implements it on the SDK.
//!
//! The message is sent with MessageType RAW (KMS hashes it with the algorithm's hash itself):
//! the emulator implements only RAW, so the tests exercise exactly the calls real KMS gets.
//! A signature that does not verify is `Ok(false)`: real KMS answers it with
//! KMSInvalidSignatureException, moto with `SignatureValid: false`; both mean the same here.
//! Must not: decide what is signed or what a failed verification means (`operation::signing`).

use aws_sdk_kms::Client;
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{MessageType, SigningAlgorithmSpec};

use super::{AwsError, sdk_error};

/// A signature KMS made: the key's ARN (KMS resolves aliases) and the signature, base64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Signature {
    pub key_arn: String,
    pub base64: String,
}

/// Signing and verifying with a KMS key, as the domain needs it.
pub(crate) trait PlanSigner {
    async fn sign(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
    ) -> Result<Signature, AwsError>;

    /// `Ok(false)`: the signature is not one of this key's over this message (or not base64).
    async fn verify(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
        signature_base64: &str,
    ) -> Result<bool, AwsError>;
}

pub(crate) struct Kms {
    client: Client,
}

impl Kms {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl PlanSigner for Kms {
    async fn sign(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
    ) -> Result<Signature, AwsError> {
        let output = self
            .client
            .sign()
            .key_id(key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signing_algorithm(SigningAlgorithmSpec::from(algorithm))
            .send()
            .await
            .map_err(|error| sdk_error("Sign", error))?;
        let signature = output.signature().ok_or_else(|| AwsError::Unexpected {
            operation: "Sign",
            message: "no signature in the answer".into(),
        })?;
        Ok(Signature {
            key_arn: output.key_id().unwrap_or(key_id).to_owned(),
            base64: aws_smithy_types::base64::encode(signature.as_ref()),
        })
    }

    async fn verify(
        &self,
        key_id: &str,
        algorithm: &str,
        message: &[u8],
        signature_base64: &str,
    ) -> Result<bool, AwsError> {
        let Ok(signature) = aws_smithy_types::base64::decode(signature_base64) else {
            return Ok(false);
        };
        if signature.is_empty() {
            return Ok(false);
        }
        let result = self
            .client
            .verify()
            .key_id(key_id)
            .message(Blob::new(message))
            .message_type(MessageType::Raw)
            .signature(Blob::new(signature))
            .signing_algorithm(SigningAlgorithmSpec::from(algorithm))
            .send()
            .await;
        match result {
            Ok(output) => Ok(output.signature_valid()),
            Err(error)
                if error
                    .as_service_error()
                    .is_some_and(|error| error.is_kms_invalid_signature_exception()) =>
            {
                Ok(false)
            }
            Err(error) => Err(sdk_error("Verify", error)),
        }
    }
}
