//! CodeDeploy's AppSpec for an ECS service, as ecspresso builds it (its `appspec` package): the
//! task definition ARN, the container name and port of the service's first load balancer, its
//! platform version, awsvpc network configuration and capacity provider strategy, and the
//! lifecycle hooks of the config's `appspec` section (`Hooks`; the rest is generated). `appspec`
//! prints it; a CodeDeploy deploy sends the same text as the deployment's AppSpec content.
//!
//! Pure: built from the service document (AWS CLI JSON, a service definition or a described
//! service) and returned as data or YAML. Must not: call AWS or print.

use serde::Serialize;
use serde_json::Value;

/// The AppSpec `version` CodeDeploy expects for ECS.
const VERSION: &str = "0.0";
const TARGET_TYPE: &str = "AWS::ECS::Service";

/// The lifecycle events an ECS AppSpec may hook a Lambda function to.
pub(crate) const HOOK_EVENTS: [&str; 5] = [
    "BeforeInstall",
    "AfterInstall",
    "AfterAllowTestTraffic",
    "BeforeAllowTraffic",
    "AfterAllowTraffic",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum AppSpecError {
    #[error(
        "the service has no load balancer: an ECS AppSpec names the container and port of the \
         service's first loadBalancers entry"
    )]
    NoLoadBalancer,
    #[error("appspec.Hooks[{index}]: {message}")]
    Hook { index: usize, message: String },
    #[error("appspec: {0}")]
    Config(String),
}

impl AppSpecError {
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            AppSpecError::NoLoadBalancer => Some(
                "CodeDeploy blue/green deploys need a load balancer: add loadBalancers to the \
                 service definition"
                    .into(),
            ),
            AppSpecError::Hook { .. } | AppSpecError::Config(_) => Some(format!(
                "write appspec: {{Hooks: [{{BeforeInstall: 'lambda-function-name'}}, …]}}; the \
                 events are {}",
                HOOK_EVENTS.join(", ")
            )),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct AppSpec {
    pub version: String,
    #[serde(rename = "Resources")]
    pub resources: Vec<Resource>,
    #[serde(rename = "Hooks", skip_serializing_if = "Vec::is_empty")]
    pub hooks: Vec<std::collections::BTreeMap<String, String>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Resource {
    #[serde(rename = "TargetService")]
    pub target_service: TargetService,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct TargetService {
    #[serde(rename = "Type")]
    pub kind: String,
    #[serde(rename = "Properties")]
    pub properties: Properties,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct Properties {
    pub task_definition: String,
    pub load_balancer_info: LoadBalancerInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform_version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub network_configuration: Option<NetworkConfiguration>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub capacity_provider_strategy: Vec<CapacityProviderStrategy>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct LoadBalancerInfo {
    pub container_name: String,
    pub container_port: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NetworkConfiguration {
    #[serde(rename = "AwsvpcConfiguration")]
    pub awsvpc_configuration: AwsvpcConfiguration,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AwsvpcConfiguration {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assign_public_ip: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct CapacityProviderStrategy {
    pub capacity_provider: String,
    /// 0 is left out, as ecspresso writes it.
    #[serde(skip_serializing_if = "is_zero")]
    pub base: i64,
    #[serde(skip_serializing_if = "is_zero")]
    pub weight: i64,
}

fn is_zero(value: &i64) -> bool {
    *value == 0
}

fn text(value: &Value, key: &str) -> Option<String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|text| !text.is_empty())
        .map(str::to_owned)
}

fn texts(value: Option<&Value>) -> Vec<String> {
    value
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

impl AppSpec {
    /// The AppSpec deploying `task_definition_arn` to `service` (a service definition or a
    /// described service), with the hooks of the config's `appspec` section.
    pub(crate) fn for_service(
        service: &Value,
        task_definition_arn: &str,
        config: Option<&Value>,
    ) -> Result<Self, AppSpecError> {
        let load_balancer = service
            .get("loadBalancers")
            .and_then(Value::as_array)
            .and_then(|items| items.first())
            .ok_or(AppSpecError::NoLoadBalancer)?;
        let network_configuration = service
            .pointer("/networkConfiguration/awsvpcConfiguration")
            .filter(|awsvpc| awsvpc.is_object())
            .map(|awsvpc| NetworkConfiguration {
                awsvpc_configuration: AwsvpcConfiguration {
                    assign_public_ip: text(awsvpc, "assignPublicIp"),
                    security_groups: texts(awsvpc.get("securityGroups")),
                    subnets: texts(awsvpc.get("subnets")),
                },
            });
        let capacity_provider_strategy = service
            .get("capacityProviderStrategy")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .map(|item| CapacityProviderStrategy {
                        capacity_provider: text(item, "capacityProvider").unwrap_or_default(),
                        base: item.get("base").and_then(Value::as_i64).unwrap_or_default(),
                        weight: item
                            .get("weight")
                            .and_then(Value::as_i64)
                            .unwrap_or_default(),
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            version: VERSION.to_owned(),
            resources: vec![Resource {
                target_service: TargetService {
                    kind: TARGET_TYPE.to_owned(),
                    properties: Properties {
                        task_definition: task_definition_arn.to_owned(),
                        load_balancer_info: LoadBalancerInfo {
                            container_name: text(load_balancer, "containerName")
                                .unwrap_or_default(),
                            container_port: load_balancer
                                .get("containerPort")
                                .and_then(Value::as_i64)
                                .unwrap_or_default(),
                        },
                        platform_version: text(service, "platformVersion"),
                        network_configuration,
                        capacity_provider_strategy,
                    },
                },
            }],
            hooks: hooks(config)?,
        })
    }

    /// The AppSpec as YAML (what `appspec` prints and CodeDeploy's AppSpec content takes).
    pub(crate) fn to_yaml(&self) -> String {
        serde_saphyr::to_string(self).expect("an AppSpec always serializes")
    }
}

/// The config's `appspec.Hooks`: a list of single-event maps, event → Lambda function name.
fn hooks(
    config: Option<&Value>,
) -> Result<Vec<std::collections::BTreeMap<String, String>>, AppSpecError> {
    let Some(config) = config.filter(|config| !config.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(object) = config.as_object() else {
        return Err(AppSpecError::Config(
            "expected an object with Hooks".to_owned(),
        ));
    };
    let Some(list) = object.get("Hooks").filter(|hooks| !hooks.is_null()) else {
        return Ok(Vec::new());
    };
    let Some(list) = list.as_array() else {
        return Err(AppSpecError::Config("Hooks: expected a list".to_owned()));
    };
    list.iter()
        .enumerate()
        .map(|(index, hook)| {
            let entries = hook.as_object().ok_or_else(|| AppSpecError::Hook {
                index,
                message: "expected a map of lifecycle event to Lambda function".to_owned(),
            })?;
            entries
                .iter()
                .map(|(event, function)| {
                    if !HOOK_EVENTS.contains(&event.as_str()) {
                        return Err(AppSpecError::Hook {
                            index,
                            message: format!("{event} is not an ECS lifecycle event"),
                        });
                    }
                    let function = function.as_str().ok_or_else(|| AppSpecError::Hook {
                        index,
                        message: format!("{event}: expected a Lambda function name"),
                    })?;
                    Ok((event.clone(), function.to_owned()))
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn service() -> Value {
        json!({
            "loadBalancers": [
                {"containerName": "nginx", "containerPort": 80,
                 "targetGroupArn": "arn:aws:elasticloadbalancing:ap-northeast-1:123456789012:targetgroup/blue/0123"},
                {"containerName": "other", "containerPort": 8080}],
            "platformVersion": "1.4.0",
            "networkConfiguration": {"awsvpcConfiguration": {
                "assignPublicIp": "ENABLED", "securityGroups": ["sg-1"], "subnets": ["subnet-a", "subnet-b"]}},
            "capacityProviderStrategy": [
                {"capacityProvider": "FARGATE", "base": 1, "weight": 1},
                {"capacityProvider": "FARGATE_SPOT", "base": 0, "weight": 2}]
        })
    }

    #[test]
    fn appspec_of_a_service_with_hooks() {
        let config = json!({"Hooks": [
            {"BeforeInstall": "check-before-install"},
            {"AfterAllowTestTraffic": "smoke-test"}]});
        let spec = AppSpec::for_service(
            &service(),
            "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:7",
            Some(&config),
        )
        .unwrap();
        insta::assert_snapshot!(spec.to_yaml());
        // It reads back as the same document (CodeDeploy parses it as YAML).
        let parsed: Value = serde_saphyr::from_str(&spec.to_yaml()).unwrap();
        assert_eq!(parsed["version"], "0.0");
        assert_eq!(
            parsed["Resources"][0]["TargetService"]["Properties"]["LoadBalancerInfo"],
            json!({"ContainerName": "nginx", "ContainerPort": 80})
        );
    }

    #[test]
    fn a_minimal_service_and_the_errors() {
        let spec = AppSpec::for_service(
            &json!({"loadBalancers": [{"containerName": "app", "containerPort": 80}]}),
            "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/web:1",
            None,
        )
        .unwrap();
        let yaml = spec.to_yaml();
        assert!(
            !yaml.contains("Hooks") && !yaml.contains("NetworkConfiguration"),
            "{yaml}"
        );
        assert_eq!(
            AppSpec::for_service(&json!({}), "arn", None).unwrap_err(),
            AppSpecError::NoLoadBalancer
        );
        let error = AppSpec::for_service(
            &service(),
            "arn",
            Some(&json!({"Hooks": [{"BeforeDeploy": "f"}]})),
        )
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "appspec.Hooks[0]: BeforeDeploy is not an ECS lifecycle event"
        );
    }
}
