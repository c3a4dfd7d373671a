//! The Cloud Map lookup (`ristretto::aws::servicediscovery`) against the emulator: a namespace
//! ARN, as DescribeServices reports a Service Connect namespace, resolves to the namespace's
//! name with one GetNamespace call per distinct ARN; an ARN Cloud Map does not know resolves to
//! nothing, without an error.

use ristretto::aws::servicediscovery::{CloudMap, NamespaceLookup, resolve_namespace_names};

use crate::support;

#[tokio::test(flavor = "multi_thread")]
async fn a_namespace_arn_resolves_to_its_name_once_per_distinct_arn() {
    let account = support::new_account();
    let created = account.aws_cli([
        "servicediscovery",
        "create-http-namespace",
        "--name",
        "web.local",
    ]);
    assert!(created.status.success(), "{created:?}");
    let listed = account.aws_cli_json(["servicediscovery", "list-namespaces"]);
    let namespace_arn = listed["Namespaces"]
        .as_array()
        .and_then(|namespaces| {
            namespaces
                .iter()
                .find(|namespace| namespace["Name"] == "web.local")
        })
        .and_then(|namespace| namespace["Arn"].as_str())
        .unwrap_or_else(|| panic!("no web.local namespace in {listed}"))
        .to_owned();
    assert!(
        namespace_arn.starts_with("arn:aws:servicediscovery:"),
        "{namespace_arn}"
    );
    let missing_arn = format!(
        "arn:aws:servicediscovery:{}:{}:namespace/ns-doesnotexist0000",
        support::REGION,
        account.id
    );

    let cloud_map = CloudMap::from_config(&account.sdk_config().await);
    assert_eq!(
        cloud_map.namespace_name(&namespace_arn).await.unwrap(),
        Some("web.local".to_owned())
    );
    assert_eq!(cloud_map.namespace_name(&missing_arn).await.unwrap(), None);

    let before = account.count_calls("GetNamespace");
    let names = resolve_namespace_names(
        &cloud_map,
        [&namespace_arn, &missing_arn, &namespace_arn, &namespace_arn].map(|arn| arn.to_string()),
    )
    .await
    .unwrap();
    assert_eq!(
        names.into_iter().collect::<Vec<_>>(),
        vec![(namespace_arn.clone(), "web.local".to_owned())]
    );
    assert_eq!(
        account.count_calls("GetNamespace") - before,
        2,
        "one GetNamespace per distinct ARN"
    );
}
