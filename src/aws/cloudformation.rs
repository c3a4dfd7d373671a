//! CloudFormation, read-only: a stack's outputs (DescribeStacks) and the account's exports
//! (ListExports, every page), for the cloudformation plugin's `cfn_output` and `cfn_export`.
//! Only this file touches `aws-sdk-cloudformation`; it must not change anything, and it does
//! not decide what a missing output means (the plugin does, with the names it lists).

use super::{AwsError, sdk_error};

#[derive(Debug, Clone)]
pub(crate) struct CloudFormation {
    client: aws_sdk_cloudformation::Client,
}

impl CloudFormation {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: aws_sdk_cloudformation::Client::new(config),
        }
    }

    /// The outputs of the stack named `stack` (or its ID), (key, value) in the stack's order.
    /// A stack that does not exist is AWS's `ValidationError` ("Stack with id X does not
    /// exist"), passed on as it is.
    pub(crate) async fn stack_outputs(
        &self,
        stack: &str,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let output = self
            .client
            .describe_stacks()
            .stack_name(stack)
            .send()
            .await
            .map_err(|error| sdk_error("DescribeStacks", error))?;
        let found = output
            .stacks()
            .first()
            .ok_or_else(|| AwsError::Unexpected {
                operation: "DescribeStacks",
                message: format!("no stack in the answer for {stack}"),
            })?;
        Ok(found
            .outputs()
            .iter()
            .map(|output| {
                (
                    output.output_key().unwrap_or_default().to_owned(),
                    output.output_value().unwrap_or_default().to_owned(),
                )
            })
            .collect())
    }

    /// Every export of the account in the region, (name, value): ListExports answers at most
    /// 100 a page, so all pages are read.
    pub(crate) async fn exports(&self) -> Result<Vec<(String, String)>, AwsError> {
        let mut pages = self.client.list_exports().into_paginator().send();
        let mut exports = Vec::new();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("ListExports", error))?;
            exports.extend(page.exports().iter().map(|export| {
                (
                    export.name().unwrap_or_default().to_owned(),
                    export.value().unwrap_or_default().to_owned(),
                )
            }));
        }
        Ok(exports)
    }
}
