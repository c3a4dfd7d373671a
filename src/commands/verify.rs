//! `ristretto verify`: check that what the definitions reference exists — the cluster, the
//! execution and task roles (and that they trust ecs-tasks.amazonaws.com), the awslogs log
//! groups, SSM parameters and Secrets Manager secrets, ECR images, and the service's target
//! groups with a matching container name and port — print a ✓/✗ table on stdout and exit 1 when
//! anything is missing. Read-only: it reads no secret values and creates nothing (a log group
//! with `awslogs-create-group` is reported as created on first use).

use std::collections::BTreeSet;

use serde_json::Value;

use crate::aws::ecr::{Ecr, ImageLookup};
use crate::aws::ecs::EcsApi;
use crate::aws::elbv2::LoadBalancing;
use crate::aws::iam::Iam;
use crate::aws::logs::Logs;
use crate::aws::ssm::Secrets;
use crate::error::Error;
use crate::exit_code;
use crate::output::verify::{self as verify_output, Check, CheckStatus};

use super::Session;

/// The service principal ECS tasks assume their roles with.
const ECS_TASKS_PRINCIPAL: &str = "ecs-tasks.amazonaws.com";

pub(super) async fn run(session: &Session<'_>) -> Result<u8, Error> {
    let (project, output) = (&session.project, session.output);
    let owner = project.one_task_definition_owner(&session.global.service)?;
    let task_definition = project.task_definition_of(&owner)?;
    session.warn_all(&task_definition.warnings);
    let service = match project.service_definition_of(&owner)? {
        Some(service) => {
            session.warn_all(&service.warnings);
            Some(service.document)
        }
        None => None,
    };
    let wanted = references(&owner.cluster, &task_definition.document, service.as_ref());
    let aws = &session.aws;
    let clients = Clients {
        ecs: aws.ecs().await,
        iam: aws.iam().await,
        logs: aws.logs().await,
        secrets: aws.secrets().await,
        ecr: aws.ecr().await,
        load_balancing: aws.load_balancing().await,
    };
    let mut checks = Vec::with_capacity(wanted.len());
    for reference in &wanted {
        checks.push(clients.check(reference, &task_definition.document).await?);
    }
    output
        .data(&verify_output::table(&checks))
        .map_err(Error::Stdout)?;
    let failed: Vec<String> = checks
        .iter()
        .filter(|check| check.status == CheckStatus::Failed)
        .map(|check| format!("{} {}", check.kind, check.name))
        .collect();
    if failed.is_empty() {
        return Ok(exit_code::SUCCESS);
    }
    Err(Error::failed(
        format!(
            "verify: {} of {} checks failed: {}",
            failed.len(),
            checks.len(),
            failed.join(", ")
        ),
        Some("create what is missing, or fix the reference in the definitions".to_owned()),
    ))
}

/// Something the definitions reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Reference {
    Cluster(String),
    Role {
        kind: &'static str,
        arn: String,
    },
    LogGroup {
        name: String,
        created_on_use: bool,
    },
    Parameter(String),
    Secret(String),
    Image(String),
    TargetGroup {
        arn: String,
        container: String,
        port: i64,
    },
}

/// Every reference of the task and service definitions, each once, in a readable order.
fn references(cluster: &str, task: &Value, service: Option<&Value>) -> Vec<Reference> {
    let text = |value: &Value, key: &str| value.get(key).and_then(Value::as_str).map(str::to_owned);
    let mut found = vec![Reference::Cluster(cluster.to_owned())];
    for (key, kind) in [
        ("executionRoleArn", "execution role"),
        ("taskRoleArn", "task role"),
    ] {
        if let Some(arn) = text(task, key) {
            found.push(Reference::Role { kind, arn });
        }
    }
    let mut rest = BTreeSet::new();
    let containers = task
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for container in &containers {
        if let Some(image) = text(container, "image") {
            rest.insert(Reference::Image(image));
        }
        let logging = container.get("logConfiguration");
        if logging
            .and_then(|logging| text(logging, "logDriver"))
            .as_deref()
            == Some("awslogs")
            && let Some(options) = logging.and_then(|logging| logging.get("options"))
            && let Some(name) = text(options, "awslogs-group")
        {
            let created_on_use = text(options, "awslogs-create-group").as_deref() == Some("true");
            rest.insert(Reference::LogGroup {
                name,
                created_on_use,
            });
        }
        for secret in container
            .get("secrets")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(value_from) = text(secret, "valueFrom") {
                rest.insert(secret_reference(&value_from));
            }
        }
    }
    for balancer in service
        .and_then(|service| service.get("loadBalancers"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(arn) = text(balancer, "targetGroupArn") {
            rest.insert(Reference::TargetGroup {
                arn,
                container: text(balancer, "containerName").unwrap_or_default(),
                port: balancer
                    .get("containerPort")
                    .and_then(Value::as_i64)
                    .unwrap_or_default(),
            });
        }
    }
    found.extend(rest);
    found
}

/// A `valueFrom`: a Secrets Manager ARN (ECS may append `:json-key:stage:version`, which is
/// not part of the secret's id), or an SSM parameter name or ARN.
fn secret_reference(value_from: &str) -> Reference {
    if value_from.starts_with("arn:") && value_from.split(':').nth(2) == Some("secretsmanager") {
        let id: Vec<&str> = value_from.split(':').take(7).collect();
        Reference::Secret(id.join(":"))
    } else {
        Reference::Parameter(value_from.to_owned())
    }
}

/// An ECR image `<account>.dkr.ecr.<region>.amazonaws.com/<repository>[:tag|@digest]` as
/// (registry id, repository, tag or digest); `None` for any other registry.
fn ecr_image(image: &str) -> Option<(String, String, String)> {
    let (host, path) = image.split_once('/')?;
    let mut parts = host.split('.');
    let account = parts.next()?;
    if account.len() != 12
        || !account.bytes().all(|byte| byte.is_ascii_digit())
        || parts.next() != Some("dkr")
        || parts.next() != Some("ecr")
    {
        return None;
    }
    let (repository, reference) = match path.split_once('@') {
        Some((repository, digest)) => (repository.to_owned(), digest.to_owned()),
        None => {
            let name_start = path.rfind('/').map_or(0, |slash| slash + 1);
            match path[name_start..].rfind(':') {
                Some(colon) => (
                    path[..name_start + colon].to_owned(),
                    path[name_start + colon + 1..].to_owned(),
                ),
                None => (path.to_owned(), "latest".to_owned()),
            }
        }
    };
    Some((account.to_owned(), repository, reference))
}

/// The last part of a role ARN (`arn:aws:iam::1:role/path/name` → `name`); a name stays.
fn role_name(arn: &str) -> &str {
    arn.rsplit('/').next().unwrap_or(arn)
}

/// Whether the container listens on the port (portMappings' containerPort).
fn container_has_port(task: &Value, container: &str, port: i64) -> Result<(), String> {
    let definition = task
        .get("containerDefinitions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .find(|item| item.get("name").and_then(Value::as_str) == Some(container))
        .ok_or_else(|| format!("the task definition has no container {container}"))?;
    let listens = definition
        .get("portMappings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|mapping| mapping.get("containerPort").and_then(Value::as_i64) == Some(port));
    if listens {
        Ok(())
    } else {
        Err(format!(
            "container {container} has no port mapping for {port}"
        ))
    }
}

struct Clients<E> {
    ecs: E,
    iam: Iam,
    logs: Logs,
    secrets: Secrets,
    ecr: Ecr,
    load_balancing: LoadBalancing,
}

impl<E: EcsApi> Clients<E> {
    async fn check(&self, reference: &Reference, task: &Value) -> Result<Check, Error> {
        let result = |kind, name: &str, ok: bool, found: &str, missing: &str| Check {
            kind,
            name: name.to_owned(),
            status: if ok {
                CheckStatus::Ok
            } else {
                CheckStatus::Failed
            },
            detail: if ok { found } else { missing }.to_owned(),
        };
        Ok(match reference {
            Reference::Cluster(name) => {
                let cluster = self.ecs.describe_cluster(name).await?;
                result(
                    "cluster",
                    name,
                    cluster.is_some(),
                    "exists",
                    "does not exist",
                )
            }
            Reference::Role { kind, arn } => {
                let name = role_name(arn);
                match self.iam.role_trust_policy(name).await? {
                    None => result(kind, name, false, "", "does not exist"),
                    Some(policy) => result(
                        kind,
                        name,
                        policy.contains(ECS_TASKS_PRINCIPAL),
                        "exists, trusts ecs-tasks.amazonaws.com",
                        "exists, but does not trust ecs-tasks.amazonaws.com",
                    ),
                }
            }
            Reference::LogGroup {
                name,
                created_on_use,
            } => {
                let exists = self.logs.group_exists(name).await?;
                if !exists && *created_on_use {
                    Check {
                        kind: "log group",
                        name: name.clone(),
                        status: CheckStatus::Ok,
                        detail: "created on first use (awslogs-create-group)".to_owned(),
                    }
                } else {
                    result("log group", name, exists, "exists", "does not exist")
                }
            }
            Reference::Parameter(name) => {
                let exists = self.secrets.parameter_exists(name).await?;
                result("SSM parameter", name, exists, "exists", "does not exist")
            }
            Reference::Secret(id) => {
                let exists = self.secrets.secret_exists(id).await?;
                result("secret", id, exists, "exists", "does not exist")
            }
            Reference::Image(image) => match ecr_image(image) {
                None => Check {
                    kind: "image",
                    name: image.clone(),
                    status: CheckStatus::Skipped,
                    detail: "not in ECR: not checked".to_owned(),
                },
                Some((registry, repository, tag)) => {
                    match self.ecr.image(&registry, &repository, &tag).await? {
                        ImageLookup::Found => result("image", image, true, "exists", ""),
                        ImageLookup::NoRepository => result(
                            "image",
                            image,
                            false,
                            "",
                            &format!("repository {repository} does not exist"),
                        ),
                        ImageLookup::NoImage => result(
                            "image",
                            image,
                            false,
                            "",
                            &format!("{tag} is not in {repository}"),
                        ),
                    }
                }
            },
            Reference::TargetGroup {
                arn,
                container,
                port,
            } => {
                let name = format!("{arn} → {container}:{port}");
                match self.load_balancing.target_group(arn).await? {
                    None => result("target group", &name, false, "", "does not exist"),
                    Some(_) => match container_has_port(task, container, *port) {
                        Ok(()) => result(
                            "target group",
                            &name,
                            true,
                            "exists, container port matches",
                            "",
                        ),
                        Err(problem) => result("target group", &name, false, "", &problem),
                    },
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn references_of_the_definitions_each_once() {
        let task = json!({
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "containerDefinitions": [
                {"name": "app", "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:v1",
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api"}},
                 "secrets": [
                    {"name": "A", "valueFrom": "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api/key-AbCdEf:api_key::"},
                    {"name": "B", "valueFrom": "/api/db_password"}
                 ]},
                {"name": "sidecar", "image": "busybox",
                 "logConfiguration": {"logDriver": "awslogs", "options": {"awslogs-group": "/ecs/api"}}}
            ]
        });
        let service = json!({"loadBalancers": [{"targetGroupArn": "arn:tg", "containerName": "app", "containerPort": 80}]});
        let found = references("web", &task, Some(&service));
        assert_eq!(
            found,
            [
                Reference::Cluster("web".into()),
                Reference::Role {
                    kind: "execution role",
                    arn: "arn:aws:iam::123456789012:role/ecsTaskExecutionRole".into()
                },
                Reference::LogGroup {
                    name: "/ecs/api".into(),
                    created_on_use: false
                },
                Reference::Parameter("/api/db_password".into()),
                Reference::Secret(
                    "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api/key-AbCdEf"
                        .into()
                ),
                Reference::Image("123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:v1".into()),
                Reference::Image("busybox".into()),
                Reference::TargetGroup {
                    arn: "arn:tg".into(),
                    container: "app".into(),
                    port: 80
                },
            ]
        );
    }

    #[test]
    fn ecr_images_are_recognised() {
        let host = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com";
        assert_eq!(
            ecr_image(&format!("{host}/team/api:v1")),
            Some(("123456789012".into(), "team/api".into(), "v1".into()))
        );
        assert_eq!(
            ecr_image(&format!("{host}/api")),
            Some(("123456789012".into(), "api".into(), "latest".into()))
        );
        assert_eq!(
            ecr_image(&format!("{host}/api@sha256:abc")),
            Some(("123456789012".into(), "api".into(), "sha256:abc".into()))
        );
        assert_eq!(ecr_image("nginx:1"), None);
        assert_eq!(ecr_image("registry:5000/team/api:v1"), None);
        assert_eq!(ecr_image("public.ecr.aws/nginx/nginx:1"), None);
    }

    #[test]
    fn target_group_container_and_port_must_match() {
        let task = json!({"containerDefinitions": [{"name": "app", "portMappings": [{"containerPort": 8080}]}]});
        assert_eq!(container_has_port(&task, "app", 8080), Ok(()));
        assert_eq!(
            container_has_port(&task, "app", 80),
            Err("container app has no port mapping for 80".into())
        );
        assert_eq!(
            container_has_port(&task, "web", 8080),
            Err("the task definition has no container web".into())
        );
    }
}
