//! Cloud Map (AWS servicediscovery), read-only: the name of a namespace given its ARN.
//! DescribeServices reports a Service Connect namespace as the Cloud Map namespace ARN while
//! definitions usually name it; `crate::normalize` compares names, from a map this module fills
//! (`resolve_namespace_names`). Only this file touches `aws-sdk-servicediscovery`; it must not
//! change anything in Cloud Map.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use aws_sdk_servicediscovery::Client;
use aws_sdk_servicediscovery::error::ProvideErrorMetadata;
use futures_util::{StreamExt, TryStreamExt, stream};

use super::{AwsError, sdk_error};

/// How many GetNamespace calls run at once: a plan refers to few namespaces, and Cloud Map's
/// API rate limits are low.
const LOOKUP_CONCURRENCY: usize = 4;

/// Looks up a Cloud Map namespace's name. `CloudMap` implements it with the SDK; tests may
/// implement it in memory.
pub trait NamespaceLookup: Send + Sync {
    /// The name of the namespace with this ARN; `None` when Cloud Map has no such namespace
    /// (deleted, or in another account and not shared).
    fn namespace_name(
        &self,
        arn: &str,
    ) -> impl Future<Output = Result<Option<String>, AwsError>> + Send;
}

/// The SDK client for Cloud Map.
#[derive(Debug, Clone)]
pub struct CloudMap {
    client: Client,
}

impl CloudMap {
    pub fn from_config(config: &aws_config::SdkConfig) -> Self {
        Self {
            client: Client::new(config),
        }
    }
}

impl NamespaceLookup for CloudMap {
    /// One GetNamespace call with the namespace ID, the ARN's last part
    /// (`arn:aws:servicediscovery:<region>:<account>:namespace/<id>`), which is what GetNamespace
    /// takes for the caller's own namespaces. A namespace shared from another account would need
    /// the whole ARN instead; the ID does not find it, and the ARN then stays unresolved.
    async fn namespace_name(&self, arn: &str) -> Result<Option<String>, AwsError> {
        let id = namespace_id(arn);
        match self.client.get_namespace().id(id).send().await {
            Ok(output) => Ok(output
                .namespace()
                .and_then(|namespace| namespace.name())
                .map(str::to_owned)),
            Err(error) if error.code() == Some("NamespaceNotFound") => Ok(None),
            Err(error) => Err(sdk_error("GetNamespace", error)),
        }
    }
}

/// A lookup that resolves nothing, for plans whose desired service is the live document itself
/// (rollback, scale): both sides name the namespace the same way, so no call is needed.
pub struct NoLookup;

impl NamespaceLookup for NoLookup {
    async fn namespace_name(&self, _arn: &str) -> Result<Option<String>, AwsError> {
        Ok(None)
    }
}

/// The namespace ID in a namespace ARN (the text itself when it is not one).
fn namespace_id(arn: &str) -> &str {
    arn.rsplit_once("namespace/").map_or(arn, |(_, id)| id)
}

/// Names by ARN for `arns`, with one lookup per distinct ARN, a few at a time. ARNs Cloud Map
/// does not know are left out of the map (normalization then compares them as they are).
pub async fn resolve_namespace_names(
    lookup: &impl NamespaceLookup,
    arns: impl IntoIterator<Item = String>,
) -> Result<BTreeMap<String, String>, AwsError> {
    let distinct: BTreeSet<String> = arns.into_iter().collect();
    let answers: Vec<(String, Option<String>)> = stream::iter(distinct)
        .map(|arn| async move { lookup.namespace_name(&arn).await.map(|name| (arn, name)) })
        .buffer_unordered(LOOKUP_CONCURRENCY)
        .try_collect()
        .await?;
    Ok(answers
        .into_iter()
        .filter_map(|(arn, name)| name.map(|name| (arn, name)))
        .collect())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// Namespaces in memory, recording every lookup.
    struct Namespaces {
        names: BTreeMap<String, String>,
        calls: Mutex<Vec<String>>,
    }

    impl NamespaceLookup for Namespaces {
        async fn namespace_name(&self, arn: &str) -> Result<Option<String>, AwsError> {
            self.calls.lock().unwrap().push(arn.to_owned());
            Ok(self.names.get(arn).cloned())
        }
    }

    const WEB: &str = "arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/ns-web";
    const GONE: &str = "arn:aws:servicediscovery:ap-northeast-1:123456789012:namespace/ns-gone";

    #[tokio::test]
    async fn each_distinct_arn_is_looked_up_once_and_unknown_ones_are_left_out() {
        let namespaces = Namespaces {
            names: BTreeMap::from([(WEB.to_owned(), "web.local".to_owned())]),
            calls: Mutex::new(Vec::new()),
        };
        let names = resolve_namespace_names(&namespaces, [WEB, GONE, WEB, WEB].map(str::to_owned))
            .await
            .unwrap();
        assert_eq!(
            names,
            BTreeMap::from([(WEB.to_owned(), "web.local".to_owned())])
        );
        let mut calls = namespaces.calls.lock().unwrap().clone();
        calls.sort();
        assert_eq!(calls, vec![GONE.to_owned(), WEB.to_owned()]);
    }

    #[tokio::test]
    async fn no_arn_no_lookup() {
        let namespaces = Namespaces {
            names: BTreeMap::new(),
            calls: Mutex::new(Vec::new()),
        };
        let names = resolve_namespace_names(&namespaces, Vec::new())
            .await
            .unwrap();
        assert!(names.is_empty());
        assert!(namespaces.calls.lock().unwrap().is_empty());
    }

    #[test]
    fn the_namespace_id_is_the_last_part_of_the_arn() {
        assert_eq!(namespace_id(WEB), "ns-web");
        assert_eq!(namespace_id("ns-plain"), "ns-plain");
    }
}
