//! IAM, read-only: whether a role exists and whom it trusts (`verify` checks task and execution
//! roles). Only this file touches `aws-sdk-iam`; it must not change roles or policies.

use aws_sdk_iam::Client;
use aws_sdk_iam::error::ProvideErrorMetadata;

use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub(crate) struct Iam {
    client: Client,
}

impl Iam {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// The role's trust policy (decoded JSON text), `None` when the role does not exist.
    pub(crate) async fn role_trust_policy(
        &self,
        role_name: &str,
    ) -> Result<Option<String>, AwsError> {
        match self.client.get_role().role_name(role_name).send().await {
            Ok(output) => Ok(Some(
                output
                    .role()
                    .and_then(|role| role.assume_role_policy_document())
                    .map(percent_decode)
                    .unwrap_or_default(),
            )),
            Err(error) if error.code() == Some("NoSuchEntity") => Ok(None),
            Err(error) => Err(sdk_error("GetRole", error)),
        }
    }
}

/// IAM returns policy documents URL-encoded (RFC 3986); an already decoded one passes through.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut decoded = Vec::with_capacity(bytes.len());
    let mut index = 0;
    while index < bytes.len() {
        let hex = bytes
            .get(index + 1..index + 3)
            .and_then(|pair| std::str::from_utf8(pair).ok())
            .and_then(|pair| u8::from_str_radix(pair, 16).ok());
        match (bytes[index], hex) {
            (b'%', Some(byte)) => {
                decoded.push(byte);
                index += 3;
            }
            (byte, _) => {
                decoded.push(byte);
                index += 1;
            }
        }
    }
    String::from_utf8_lossy(&decoded).into_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn percent_decoding() {
        assert_eq!(
            super::percent_decode("%7B%22Service%22%3A%22ecs-tasks.amazonaws.com%22%7D"),
            r#"{"Service":"ecs-tasks.amazonaws.com"}"#
        );
        assert_eq!(
            super::percent_decode(r#"{"a": "100%"}"#),
            r#"{"a": "100%"}"#
        );
    }
}
