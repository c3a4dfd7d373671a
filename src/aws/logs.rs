//! CloudWatch Logs, read-only: following one log stream (`run` prints a task's container logs)
//! and checking that a log group exists (`verify`). Only this file touches
//! `aws-sdk-cloudwatchlogs`; it must not create or change groups, streams or events.

use aws_sdk_cloudwatchlogs::Client;
use aws_sdk_cloudwatchlogs::error::ProvideErrorMetadata;

use super::{AwsError, sdk_error};

/// New events of a stream since the last read.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct LogPage {
    pub messages: Vec<String>,
    /// Where the next read starts; CloudWatch returns the same token when nothing was new.
    pub next: Option<String>,
}

#[derive(Debug, Clone)]
pub(crate) struct Logs {
    client: Client,
}

impl Logs {
    pub(crate) fn new(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }

    /// Events of `stream` after `token` (from the start when `None`), every page. A stream that
    /// does not exist yet (the task has not written anything) reads as empty.
    pub(crate) async fn read(
        &self,
        group: &str,
        stream: &str,
        token: Option<String>,
    ) -> Result<LogPage, AwsError> {
        let mut page = LogPage {
            messages: Vec::new(),
            next: token,
        };
        loop {
            let result = self
                .client
                .get_log_events()
                .log_group_name(group)
                .log_stream_name(stream)
                .start_from_head(true)
                .set_next_token(page.next.clone())
                .send()
                .await;
            let output = match result {
                Ok(output) => output,
                Err(error) if error.code() == Some("ResourceNotFoundException") => {
                    return Ok(page);
                }
                Err(error) => return Err(sdk_error("GetLogEvents", error)),
            };
            page.messages.extend(
                output
                    .events()
                    .iter()
                    .filter_map(|event| event.message().map(str::to_owned)),
            );
            let next = output.next_forward_token().map(str::to_owned);
            if output.events().is_empty() || next == page.next {
                page.next = next.or(page.next);
                return Ok(page);
            }
            page.next = next;
        }
    }

    /// Whether a log group of exactly this name exists.
    pub(crate) async fn group_exists(&self, group: &str) -> Result<bool, AwsError> {
        let mut pages = self
            .client
            .describe_log_groups()
            .log_group_name_prefix(group)
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|error| sdk_error("DescribeLogGroups", error))?;
            if page
                .log_groups()
                .iter()
                .any(|found| found.log_group_name() == Some(group))
            {
                return Ok(true);
            }
        }
        Ok(false)
    }
}
