//! `plan_service`: the pure decision of what to do for one service, from the desired documents
//! and the live state. No I/O, no clock, no randomness: the same inputs give the same plan
//! section (ids and timestamps are added by the caller).

use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::{
    Action, Base, Changes, Desired, DocumentPair, ServiceDocuments, ServicePlan, Target,
    TaskDefinitionRef, TerraformOwnership,
};
use crate::aws::ecs::{LiveService, LiveTaskDefinition, Tag};
use crate::diff::{self, Diff};
use crate::normalize::{self, LEFT_TO_ECS_WHEN_ABSENT, NormalizeOptions, REPLACEMENT_FIELDS};
use crate::tfstate::Ownership;

/// What the user asked for besides the documents (flags shared by `plan` and `deploy`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct PlanOptions {
    pub normalize: NormalizeOptions,
    /// `--skip-task-definition`: keep the service's task definition (or `chosen`).
    pub skip_task_definition: bool,
    /// `--tasks N`: the desired count to set, overriding the definition.
    pub desired_count: Option<i64>,
    /// `--force-new-deployment`: start a new deployment even without changes.
    pub force_new_deployment: bool,
    /// `--allow-terraform-owned`: plan even when the definitions differ from fields Terraform
    /// owns (those fields are still never sent).
    pub allow_terraform_owned: bool,
    /// The config's `secret_patterns` (empty: the defaults), recorded in the plan.
    pub secret_patterns: Vec<String>,
    /// `--no-update-service` (and `refresh`): an existing service keeps its live attributes
    /// and desired count (unless `desired_count`); the definition only creates a missing one.
    pub keep_live_service: bool,
}

/// The desired side of one service.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PlanRequest {
    pub target: Target,
    /// The checked task definition document.
    pub task_definition: Value,
    /// The checked service definition (`serviceName` set); `None` when no service is configured.
    pub service: Option<Value>,
    /// The fields Terraform owns (`None`: ristretto owns everything).
    pub ownership: Option<Ownership>,
}

/// The live side of one service, as the caller fetched it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct LiveState {
    /// `None`: the service does not exist (or is INACTIVE).
    pub service: Option<LiveService>,
    /// The task definition the live service runs.
    pub task_definition: Option<LiveTaskDefinition>,
    /// The latest ACTIVE revision of the desired family, for reuse instead of registering a
    /// duplicate.
    pub latest_in_family: Option<LiveTaskDefinition>,
    /// A revision the user chose (`--revision N`, `--latest-task-definition`).
    pub chosen: Option<LiveTaskDefinition>,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub(crate) enum PlanError {
    #[error("{target}: {} cannot be changed by UpdateService: the service requires replacement", fields.iter().map(|(field, before, after)| format!("{field} ({before} → {after})")).collect::<Vec<_>>().join(", "))]
    RequiresReplacement {
        target: Target,
        fields: Vec<(String, String, String)>,
    },
    #[error(
        "{target}: --skip-task-definition, but the service does not exist and family {family} has no ACTIVE revision"
    )]
    NothingToSkipTo { target: Target, family: String },
    #[error("{target}: the definitions change fields that Terraform owns:\n{}", fields.iter().map(|field| format!("  {field}")).collect::<Vec<_>>().join("\n"))]
    TerraformOwned { target: Target, fields: Vec<String> },
    #[error("{target}: the task definition has no family")]
    NoFamily { target: Target },
}

impl PlanError {
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            PlanError::RequiresReplacement { .. } => Some(
                "keep the live value in the definition, or delete and re-create the service \
                 (ristretto delete, then deploy)"
                    .into(),
            ),
            PlanError::NothingToSkipTo { .. } => {
                Some("run without --skip-task-definition to register the task definition".into())
            }
            PlanError::NoFamily { .. } => Some("set family in the task definition".into()),
            PlanError::TerraformOwned { .. } => Some(
                "change these fields in Terraform, or list them in the resource's \
                 lifecycle.ignore_changes so that ristretto owns them; --allow-terraform-owned \
                 plans anyway and leaves them as they are"
                    .into(),
            ),
        }
    }
}

/// Plans one service. `options.desired_count` is applied to the desired service document, which
/// is what the plan records and apply sends.
pub(crate) fn plan_service(
    request: &PlanRequest,
    live: &LiveState,
    options: &PlanOptions,
) -> Result<ServicePlan, PlanError> {
    let target = request.target.clone();
    let family = request
        .task_definition
        .get("family")
        .and_then(Value::as_str)
        .filter(|family| !family.is_empty())
        .ok_or_else(|| PlanError::NoFamily {
            target: target.clone(),
        })?
        .to_owned();
    let mut notes = Vec::new();
    let live_document = live
        .service
        .as_ref()
        .filter(|_| options.keep_live_service && request.service.is_some())
        .map(|service| service.document.clone());
    let desired_service = live_document
        .or_else(|| request.service.clone())
        .map(|mut document| {
            if let (Some(count), Value::Object(map)) = (options.desired_count, &mut document) {
                if is_daemon(map) {
                    notes.push("--tasks is ignored for a DAEMON service".to_owned());
                } else {
                    map.insert("desiredCount".into(), json!(count));
                }
            }
            document
        });
    let desired = Desired {
        task_definition: request.task_definition.clone(),
        service: desired_service.clone(),
    };

    // Task definition: what the service should run, and whether it must be registered.
    let desired_normalized =
        normalize::task_definition(&request.task_definition, &options.normalize);
    let normalized =
        |task: &LiveTaskDefinition| normalize::task_definition(&task.document, &options.normalize);
    let current = live.task_definition.as_ref();
    let before_task_definition = current.map(normalized);
    // What the service runs once the plan is applied, in the compared form.
    let mut after_task_definition = desired_normalized.clone();
    let (wanted, task_definition_changes) = if let Some(chosen) = &live.chosen {
        after_task_definition = normalized(chosen);
        let changes = diff::diff(before_task_definition.as_ref(), &after_task_definition);
        (
            Some(TaskDefinitionRef::Existing {
                arn: chosen.arn.clone(),
            }),
            changes,
        )
    } else if options.skip_task_definition {
        match (current, &live.latest_in_family) {
            (Some(current), _) => {
                after_task_definition = normalized(current);
                (None, Diff::default())
            }
            (None, Some(latest)) => {
                after_task_definition = normalized(latest);
                (
                    Some(TaskDefinitionRef::Existing {
                        arn: latest.arn.clone(),
                    }),
                    Diff::default(),
                )
            }
            (None, None) => return Err(PlanError::NothingToSkipTo { target, family }),
        }
    } else {
        let changes = diff::diff(before_task_definition.as_ref(), &desired_normalized);
        if changes.is_empty() {
            (None, changes)
        } else if let Some(latest) = live
            .latest_in_family
            .as_ref()
            .filter(|latest| latest.status == "ACTIVE" && normalized(latest) == desired_normalized)
        {
            notes.push(format!(
                "the task definition is identical to the ACTIVE revision {}: it is reused, not registered again",
                latest.short_name()
            ));
            (
                Some(TaskDefinitionRef::Existing {
                    arn: latest.arn.clone(),
                }),
                changes,
            )
        } else {
            (Some(TaskDefinitionRef::Registered), changes)
        }
    };
    // A wanted revision that the service already runs is no change.
    let mut wanted = wanted.filter(|wanted| match (wanted, current) {
        (TaskDefinitionRef::Existing { arn }, Some(current)) => *arn != current.arn,
        _ => true,
    });

    let mut actions = Vec::new();
    if wanted == Some(TaskDefinitionRef::Registered) {
        actions.push(Action::RegisterTaskDefinition {
            family: family.clone(),
        });
    }

    let mut service_changes = Diff::default();
    let mut service_documents = (None, None);
    if let Some(desired_service) = &desired_service {
        match &live.service {
            None => {
                let after = normalize::service(desired_service, &options.normalize);
                service_changes = diff::diff(None, &after);
                service_documents = (None, Some(after));
                let task_definition = match wanted.clone() {
                    Some(reference) => reference,
                    None => TaskDefinitionRef::Existing {
                        arn: current.map(|task| task.arn.clone()).unwrap_or_default(),
                    },
                };
                actions.push(Action::CreateService { task_definition });
            }
            Some(live_service) => {
                let (mut local, remote) = normalize::comparable_services(
                    desired_service,
                    &live_service.document,
                    &options.normalize,
                    &live_service.namespace_names,
                );
                // Fields Terraform owns are never sent: compare them as the live values, and
                // refuse (or with --allow-terraform-owned, note) a definition that differs.
                let mut owned_changes = Vec::new();
                if let Some(ownership) = &request.ownership {
                    let (overlaid, changed) = ownership.overlay_live(&local, &remote);
                    local = overlaid;
                    owned_changes.extend(changed);
                    if wanted.is_some() && ownership.is_terraform_owned("taskDefinition") {
                        owned_changes.push("taskDefinition".to_owned());
                    }
                }
                if let Some(ownership) = request
                    .ownership
                    .as_ref()
                    .filter(|_| !owned_changes.is_empty())
                {
                    let fields: Vec<String> = owned_changes
                        .iter()
                        .map(|field| format!("{field}: {}", ownership.owner_message(field)))
                        .collect();
                    if !options.allow_terraform_owned {
                        return Err(PlanError::TerraformOwned { target, fields });
                    }
                    notes.extend(fields.iter().map(|field| format!("not sent, {field}")));
                    if owned_changes.iter().any(|field| field == "taskDefinition") {
                        // The service keeps Terraform's task definition: nothing to register.
                        wanted = None;
                        if let Some(before) = &before_task_definition {
                            after_task_definition = before.clone();
                        }
                        actions.retain(|action| {
                            !matches!(action, Action::RegisterTaskDefinition { .. })
                        });
                    }
                }
                let changes = diff::diff(Some(&remote), &local);
                let decided = decide_service_update(
                    &target,
                    desired_service,
                    &local,
                    &remote,
                    changes,
                    request.ownership.as_ref(),
                    &mut notes,
                )?;
                service_changes = decided.changes;
                service_documents = service_before_and_after(
                    remote,
                    local,
                    &service_changes,
                    &normalize::service(&live_service.document, &options.normalize),
                );
                if !decided.fields.is_empty() || wanted.is_some() || options.force_new_deployment {
                    actions.push(Action::UpdateService {
                        task_definition: wanted.clone(),
                        fields: decided.fields,
                        force_new_deployment: options.force_new_deployment,
                    });
                }
                let (tags, keys) =
                    tag_changes(desired_service, &live_service.document, &options.normalize);
                if !tags.is_empty() {
                    actions.push(Action::TagService { tags });
                }
                if !keys.is_empty() {
                    actions.push(Action::UntagService { keys });
                }
                if live_service.status == "DRAINING" {
                    notes.push("the live service is DRAINING".into());
                }
            }
        }
    }

    let base = fingerprint(&desired, live, &options.normalize);
    let terraform = request
        .ownership
        .as_ref()
        .map(|ownership| TerraformOwnership {
            resource: ownership.resource.as_ref().map(ToString::to_string),
            fields: ownership.terraform_fields.iter().cloned().collect(),
        });
    Ok(ServicePlan {
        target,
        normalize: options.normalize.clone(),
        base,
        desired,
        changes: Changes {
            task_definition: task_definition_changes,
            service: service_changes,
        },
        actions,
        notes,
        documents: Some(ServiceDocuments {
            before: DocumentPair {
                task_definition: before_task_definition,
                service: service_documents.0,
            },
            after: DocumentPair {
                task_definition: Some(after_task_definition),
                service: service_documents.1,
            },
            terraform,
        }),
    })
}

/// The service as it is and as it will be, from the compared forms: `after` differs from
/// `before` exactly where `changes` say (a difference the plan leaves alone — a member
/// UpdateService cannot unset, a Terraform-owned one — keeps its live value), and the members
/// the definition leaves to ECS (`LEFT_TO_ECS_WHEN_ABSENT`, dropped from the compared forms)
/// carry their live value on both sides, so that a policy sees an autoscaled `desiredCount`.
fn service_before_and_after(
    before: Value,
    after: Value,
    changes: &Diff,
    live_normalized: &Value,
) -> (Option<Value>, Option<Value>) {
    let (Value::Object(mut before), Value::Object(mut after)) = (before, after) else {
        return (None, None);
    };
    let changed: std::collections::BTreeSet<&str> = changes
        .changes
        .iter()
        .filter_map(|change| change.path().top_level_key())
        .collect();
    let keys: Vec<String> = before.keys().chain(after.keys()).cloned().collect();
    for key in keys {
        if changed.contains(key.as_str()) {
            continue;
        }
        match before.get(&key) {
            Some(value) => after.insert(key, value.clone()),
            None => after.remove(&key),
        };
    }
    for field in LEFT_TO_ECS_WHEN_ABSENT {
        if after.contains_key(field) {
            continue;
        }
        if let Some(value) = live_normalized.get(field) {
            before.insert(field.to_owned(), value.clone());
            after.insert(field.to_owned(), value.clone());
        }
    }
    (Some(Value::Object(before)), Some(Value::Object(after)))
}

/// A section's documents against the live state re-read at apply: the plan pins everything in
/// them but the members its definition leaves to ECS (`LEFT_TO_ECS_WHEN_ABSENT`, which the
/// fingerprint does not cover), so those are refreshed from `live`; the rest is as planned (a
/// live change elsewhere makes the plan stale before this is asked).
pub(crate) fn documents_now(section: &ServicePlan, live: &LiveState) -> Option<ServiceDocuments> {
    let mut documents = section.documents.clone()?;
    let (Some(desired), Some(live_service)) = (&section.desired.service, &live.service) else {
        return Some(documents);
    };
    let live_normalized = normalize::service(&live_service.document, &section.normalize);
    for field in LEFT_TO_ECS_WHEN_ABSENT {
        if desired.get(field).is_some_and(|value| !value.is_null()) {
            continue;
        }
        for side in [&mut documents.before.service, &mut documents.after.service] {
            if let Some(Value::Object(side)) = side {
                match live_normalized.get(field) {
                    Some(value) => side.insert(field.to_owned(), value.clone()),
                    None => side.remove(field),
                };
            }
        }
    }
    Some(documents)
}

fn is_daemon(map: &Map<String, Value>) -> bool {
    map.get("schedulingStrategy").and_then(Value::as_str) == Some("DAEMON")
}

struct ServiceUpdateDecision {
    fields: Map<String, Value>,
    changes: Diff,
}

/// From the differences of the comparable forms to the members of one UpdateService call.
fn decide_service_update(
    target: &Target,
    desired: &Value,
    local: &Value,
    remote: &Value,
    changes: Diff,
    ownership: Option<&Ownership>,
    notes: &mut Vec<String>,
) -> Result<ServiceUpdateDecision, PlanError> {
    let mut fields = Map::new();
    let mut kept = Vec::new();
    let mut replacements = Vec::new();
    for change in changes.changes {
        let Some(key) = change.path().top_level_key().map(str::to_owned) else {
            kept.push(change);
            continue;
        };
        if key == "tags" {
            // Tags are not UpdateService members: TagResource / UntagResource apply them.
            kept.push(change);
            continue;
        }
        if REPLACEMENT_FIELDS.contains(&key.as_str()) {
            // Only what the definition says explicitly counts: a definition that leaves
            // launchType out has no opinion about the live EC2 one.
            let desired_key = if key == "role" { "role" } else { key.as_str() };
            if desired
                .get(desired_key)
                .is_some_and(|value| !value.is_null())
            {
                replacements.push((key.clone(), short(remote.get(&key)), short(local.get(&key))));
            }
            continue;
        }
        // A member Terraform partly owns (deploymentConfiguration.maximumPercent, …) is sent
        // as the comparable form, whose owned parts hold the live values.
        let partly_owned = ownership.is_some_and(|ownership| {
            ownership
                .terraform_fields
                .iter()
                .any(|field| field.starts_with(&format!("{key}.")))
        });
        let desired_value = desired
            .get(&key)
            .filter(|value| !value.is_null() && !partly_owned);
        let value = match (desired_value, local.get(&key)) {
            (Some(value), _) => Some(value.clone()),
            (None, Some(normalized_default)) => Some(normalized_default.clone()),
            (None, None) => match remote.get(&key) {
                // Absent from the definition, set live: lists are cleared with an empty list
                // (ecspresso #868); Service Connect is turned off explicitly (ecspresso #856).
                Some(Value::Array(_)) => Some(json!([])),
                Some(_) if key == "serviceConnectConfiguration" => Some(json!({"enabled": false})),
                _ => None,
            },
        };
        match value {
            Some(value) => {
                fields.insert(key, value);
                kept.push(change);
            }
            None => {
                if !notes
                    .iter()
                    .any(|note| note.starts_with(&format!("{key} ")))
                {
                    notes.push(format!(
                        "{key} is set on the live service but not in the definition; UpdateService cannot unset it, so it is left as it is"
                    ));
                }
            }
        }
    }
    if !replacements.is_empty() {
        return Err(PlanError::RequiresReplacement {
            target: target.clone(),
            fields: replacements,
        });
    }
    Ok(ServiceUpdateDecision {
        fields,
        changes: Diff { changes: kept },
    })
}

fn short(value: Option<&Value>) -> String {
    match value {
        None => "none".into(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Tags to set and keys to remove so that the live service carries the definition's tags
/// (ignored keys excluded on both sides).
fn tag_changes(
    desired: &Value,
    live: &Value,
    options: &NormalizeOptions,
) -> (Vec<Tag>, Vec<String>) {
    let read = |document: &Value| -> Vec<Tag> {
        document
            .get("tags")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| {
                        Some(Tag {
                            key: item.get("key")?.as_str()?.to_owned(),
                            value: item
                                .get("value")
                                .and_then(Value::as_str)
                                .unwrap_or_default()
                                .to_owned(),
                        })
                    })
                    .filter(|tag| {
                        !normalize::is_reserved_tag(&tag.key)
                            && !options.ignore_tags.contains(&tag.key)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let wanted = read(desired);
    let present = read(live);
    let mut set: Vec<Tag> = wanted
        .iter()
        .filter(|tag| !present.contains(tag))
        .cloned()
        .collect();
    set.sort_by(|a, b| a.key.cmp(&b.key));
    let mut remove: Vec<String> = present
        .iter()
        .filter(|tag| !wanted.iter().any(|wanted| wanted.key == tag.key))
        .map(|tag| tag.key.clone())
        .collect();
    remove.sort();
    (set, remove)
}

/// The fingerprint of the live state, computed the same way at plan and at apply time.
pub(crate) fn fingerprint(desired: &Desired, live: &LiveState, options: &NormalizeOptions) -> Base {
    let service = live.service.as_ref();
    let remote_service = match (service, &desired.service) {
        // Without the resolved namespace names: the fingerprint is of the live state as ECS
        // reports it, so it is the same whether or not the apply-time fetch resolved them, and a
        // namespace ARN that changes still changes it.
        (Some(live_service), Some(desired_service)) => {
            normalize::comparable_services(
                desired_service,
                &live_service.document,
                options,
                &normalize::NamespaceNames::new(),
            )
            .1
        }
        (Some(live_service), None) => normalize::service(&live_service.document, options),
        (None, _) => Value::Null,
    };
    let live_task_definition = live.task_definition.as_ref().or(if service.is_none() {
        live.latest_in_family.as_ref()
    } else {
        None
    });
    let remote_task_definition = live_task_definition
        .map(|task| normalize::task_definition(&task.document, options))
        .unwrap_or(Value::Null);
    let canonical =
        json!({"service": remote_service, "task_definition": remote_task_definition}).to_string();
    let mut deployment_ids: Vec<String> = service
        .map(|service| {
            service
                .deployments
                .iter()
                .map(|deployment| deployment.id.clone())
                .collect()
        })
        .unwrap_or_default();
    deployment_ids.sort();
    Base {
        service_arn: service.map(|service| service.arn.clone()),
        task_definition_arn: live_task_definition.map(|task| task.arn.clone()),
        desired_count: service.map(|service| service.desired_count),
        deployment_ids,
        live_sha256: format!("{:x}", Sha256::digest(canonical.as_bytes())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target() -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: "api".into(),
        }
    }

    fn task(image: &str) -> Value {
        json!({"family": "api", "networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"],
               "cpu": "256", "memory": "512",
               "containerDefinitions": [{"name": "app", "image": image, "essential": true,
                 "portMappings": [{"containerPort": 80}]}]})
    }

    fn live_task(image: &str, revision: i64) -> LiveTaskDefinition {
        let mut document = task(image);
        let arn = format!("arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:{revision}");
        document["taskDefinitionArn"] = json!(arn);
        document["revision"] = json!(revision);
        document["status"] = json!("ACTIVE");
        document["containerDefinitions"][0]["portMappings"][0]["hostPort"] = json!(80);
        document["containerDefinitions"][0]["portMappings"][0]["protocol"] = json!("tcp");
        document["containerDefinitions"][0]["cpu"] = json!(0);
        LiveTaskDefinition::from_document(document)
    }

    fn service_definition() -> Value {
        json!({"serviceName": "api", "launchType": "FARGATE",
               "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"]}}})
    }

    fn live_service(task_definition: &LiveTaskDefinition, desired_count: i64) -> LiveService {
        LiveService::from_document(json!({
            "serviceArn": "arn:aws:ecs:ap-northeast-1:123456789012:service/web/api",
            "serviceName": "api", "status": "ACTIVE", "launchType": "FARGATE",
            "taskDefinition": task_definition.arn, "desiredCount": desired_count,
            "runningCount": desired_count, "pendingCount": 0, "schedulingStrategy": "REPLICA",
            "platformVersion": "LATEST",
            "deploymentConfiguration": {"maximumPercent": 200, "minimumHealthyPercent": 100,
              "deploymentCircuitBreaker": {"enable": false, "rollback": false}},
            "networkConfiguration": {"awsvpcConfiguration": {"subnets": ["subnet-a"], "assignPublicIp": "DISABLED"}},
            "deployments": [{"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": task_definition.arn,
              "desiredCount": desired_count, "runningCount": desired_count, "rolloutState": "COMPLETED"}],
            "tags": [{"key": "team", "value": "web"}]
        }))
    }

    fn request(image: &str, service: Option<Value>) -> PlanRequest {
        PlanRequest {
            target: target(),
            task_definition: task(image),
            service,
            ownership: None,
        }
    }

    fn owned(fields: &[&str], mut request: PlanRequest) -> PlanRequest {
        let fields: Vec<String> = fields.iter().map(|field| (*field).to_owned()).collect();
        request.ownership = Some(Ownership::from_config_list(&fields));
        request
    }

    #[test]
    fn a_change_to_a_terraform_owned_field_is_refused_and_never_sent() {
        let mut definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        definition["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = json!(["subnet-b"]);
        let request = owned(
            &["networkConfiguration"],
            request("nginx:2", Some(definition)),
        );
        let error =
            plan_service(&request, &steady("nginx:1"), &PlanOptions::default()).unwrap_err();
        assert!(matches!(error, PlanError::TerraformOwned { .. }));
        assert!(
            error.to_string().contains(
                "networkConfiguration: owned by Terraform (ownership.terraform in the config); the next terraform apply would revert it"
            ),
            "{error}"
        );

        let allowed = PlanOptions {
            allow_terraform_owned: true,
            ..PlanOptions::default()
        };
        let plan = plan_service(&request, &steady("nginx:1"), &allowed).unwrap();
        let Action::UpdateService {
            fields,
            task_definition,
            ..
        } = &plan.actions[1]
        else {
            panic!("{:?}", plan.actions)
        };
        assert!(fields.is_empty(), "the owned field is not sent: {fields:?}");
        assert_eq!(
            task_definition,
            &Some(TaskDefinitionRef::Registered),
            "the image still deploys"
        );
        assert!(
            plan.notes
                .iter()
                .any(|note| note.starts_with("not sent, networkConfiguration"))
        );
    }

    #[test]
    fn a_terraform_owned_task_definition_is_not_deployed() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let request = owned(
            &["taskDefinition"],
            request("nginx:2", Some(definition.clone())),
        );
        let error =
            plan_service(&request, &steady("nginx:1"), &PlanOptions::default()).unwrap_err();
        assert!(
            error
                .to_string()
                .contains("taskDefinition: owned by Terraform"),
            "{error}"
        );
        // Unchanged task definition: nothing owned changes, nothing refused.
        let unchanged = owned(&["taskDefinition"], request_with(definition));
        assert!(
            plan_service(&unchanged, &steady("nginx:1"), &PlanOptions::default())
                .unwrap()
                .actions
                .is_empty()
        );
    }

    fn request_with(service: Value) -> PlanRequest {
        request("nginx:1", Some(service))
    }

    fn steady(image: &str) -> LiveState {
        let current = live_task(image, 3);
        LiveState {
            service: Some(live_service(&current, 2)),
            task_definition: Some(current.clone()),
            latest_in_family: Some(current),
            chosen: None,
        }
    }

    fn with_tags(mut document: Value, tags: Value) -> Value {
        document["tags"] = tags;
        document
    }

    #[test]
    fn nothing_to_do_when_the_live_service_matches() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let plan = plan_service(
            &request("nginx:1", Some(definition)),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        assert!(plan.changes.is_empty(), "{:?}", plan.changes);
    }

    #[test]
    fn a_new_image_registers_and_updates_once() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let plan = plan_service(
            &request("nginx:2", Some(definition)),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::RegisterTaskDefinition {
                    family: "api".into()
                },
                Action::UpdateService {
                    task_definition: Some(TaskDefinitionRef::Registered),
                    fields: Map::new(),
                    force_new_deployment: false
                }
            ]
        );
        assert_eq!(plan.changes.task_definition.len(), 1);
        assert_eq!(
            plan.changes.task_definition.changes[0].path().to_string(),
            "containerDefinitions[name=app].image"
        );
        assert!(plan.changes.service.is_empty());
    }

    #[test]
    fn an_identical_active_revision_is_reused_not_registered() {
        let mut live = steady("nginx:1");
        live.latest_in_family = Some(live_task("nginx:2", 4));
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let plan = plan_service(
            &request("nginx:2", Some(definition)),
            &live,
            &PlanOptions::default(),
        )
        .unwrap();
        let arn = live.latest_in_family.unwrap().arn;
        assert_eq!(
            plan.actions,
            vec![Action::UpdateService {
                task_definition: Some(TaskDefinitionRef::Existing { arn }),
                fields: Map::new(),
                force_new_deployment: false
            }]
        );
        assert!(plan.notes[0].contains("api:4"), "{:?}", plan.notes);
    }

    #[test]
    fn a_missing_service_is_created() {
        let live = LiveState::default();
        let plan = plan_service(
            &request("nginx:1", Some(service_definition())),
            &live,
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::RegisterTaskDefinition {
                    family: "api".into()
                },
                Action::CreateService {
                    task_definition: TaskDefinitionRef::Registered
                }
            ]
        );
        assert_eq!(plan.changes.service.len(), 1);
        assert!(plan.changes.service.changes[0].path().is_root());
        assert_eq!(plan.base.service_arn, None);
    }

    #[test]
    fn desired_count_absent_locally_is_left_alone_and_tasks_sets_it() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let untouched = plan_service(
            &request("nginx:1", Some(definition.clone())),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        assert!(untouched.actions.is_empty());

        let options = PlanOptions {
            desired_count: Some(5),
            ..PlanOptions::default()
        };
        let scaled = plan_service(
            &request("nginx:1", Some(definition)),
            &steady("nginx:1"),
            &options,
        )
        .unwrap();
        let mut fields = Map::new();
        fields.insert("desiredCount".into(), json!(5));
        assert_eq!(
            scaled.actions,
            vec![Action::UpdateService {
                task_definition: None,
                fields,
                force_new_deployment: false
            }]
        );
        assert_eq!(scaled.desired.service.unwrap()["desiredCount"], json!(5));
    }

    #[test]
    fn only_changed_fields_are_sent() {
        let mut definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        definition["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = json!(["subnet-b"]);
        let plan = plan_service(
            &request("nginx:1", Some(definition.clone())),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        let Action::UpdateService {
            fields,
            task_definition,
            ..
        } = &plan.actions[0]
        else {
            panic!("{:?}", plan.actions)
        };
        assert_eq!(task_definition, &None);
        assert_eq!(
            fields.keys().collect::<Vec<_>>(),
            vec!["networkConfiguration"]
        );
        assert_eq!(
            fields["networkConfiguration"],
            definition["networkConfiguration"]
        );
    }

    #[test]
    fn an_explicit_launch_type_change_requires_replacement() {
        let mut definition = service_definition();
        definition["launchType"] = json!("EC2");
        let error = plan_service(
            &request("nginx:1", Some(definition)),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap_err();
        assert!(matches!(error, PlanError::RequiresReplacement { .. }));
        assert!(
            error.to_string().contains("launchType (FARGATE → EC2)"),
            "{error}"
        );

        let mut silent = service_definition();
        silent.as_object_mut().unwrap().remove("launchType");
        silent["tags"] = json!([{"key": "team", "value": "web"}]);
        let plan = plan_service(
            &request("nginx:1", Some(silent)),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
    }

    #[test]
    fn tags_are_set_and_removed_separately() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "owner", "value": "me"}]),
        );
        let plan = plan_service(
            &request("nginx:1", Some(definition)),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        assert_eq!(
            plan.actions,
            vec![
                Action::TagService {
                    tags: vec![Tag {
                        key: "owner".into(),
                        value: "me".into()
                    }]
                },
                Action::UntagService {
                    keys: vec!["team".into()]
                }
            ]
        );
        let options = PlanOptions {
            normalize: NormalizeOptions {
                ignore_tags: vec!["team".into(), "owner".into()],
            },
            ..PlanOptions::default()
        };
        let definition = with_tags(
            service_definition(),
            json!([{"key": "owner", "value": "me"}]),
        );
        let ignored = plan_service(
            &request("nginx:1", Some(definition)),
            &steady("nginx:1"),
            &options,
        )
        .unwrap();
        assert!(ignored.actions.is_empty(), "{:?}", ignored.actions);
    }

    #[test]
    fn force_new_deployment_updates_without_changes() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let options = PlanOptions {
            force_new_deployment: true,
            ..PlanOptions::default()
        };
        let plan = plan_service(
            &request("nginx:1", Some(definition)),
            &steady("nginx:1"),
            &options,
        )
        .unwrap();
        assert_eq!(
            plan.actions,
            vec![Action::UpdateService {
                task_definition: None,
                fields: Map::new(),
                force_new_deployment: true
            }]
        );
    }

    #[test]
    fn skip_task_definition_keeps_the_current_one() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let options = PlanOptions {
            skip_task_definition: true,
            ..PlanOptions::default()
        };
        let plan = plan_service(
            &request("nginx:9", Some(definition)),
            &steady("nginx:1"),
            &options,
        )
        .unwrap();
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);

        let error = plan_service(
            &request("nginx:9", Some(service_definition())),
            &LiveState::default(),
            &options,
        )
        .unwrap_err();
        assert!(matches!(error, PlanError::NothingToSkipTo { .. }));
    }

    #[test]
    fn a_chosen_revision_is_deployed() {
        let mut live = steady("nginx:1");
        live.chosen = Some(live_task("nginx:0", 1));
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let plan = plan_service(
            &request("nginx:1", Some(definition)),
            &live,
            &PlanOptions::default(),
        )
        .unwrap();
        let arn = live.chosen.unwrap().arn;
        assert_eq!(
            plan.actions,
            vec![Action::UpdateService {
                task_definition: Some(TaskDefinitionRef::Existing { arn }),
                fields: Map::new(),
                force_new_deployment: false
            }]
        );
    }

    #[test]
    fn the_fingerprint_follows_the_live_state() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let desired = Desired {
            task_definition: task("nginx:1"),
            service: Some(definition),
        };
        let options = NormalizeOptions::default();
        let before = fingerprint(&desired, &steady("nginx:1"), &options);
        assert_eq!(before, fingerprint(&desired, &steady("nginx:1"), &options));
        let changed = fingerprint(&desired, &steady("nginx:2"), &options);
        assert_ne!(before.live_sha256, changed.live_sha256);
        assert!(!before.differences(&changed, false).is_empty());

        let mut scaled = steady("nginx:1");
        scaled.service = Some(live_service(scaled.task_definition.as_ref().unwrap(), 7));
        let autoscaled = fingerprint(&desired, &scaled, &options);
        // The definition leaves the count alone, so an autoscaler's change is not a conflict.
        assert!(
            before.differences(&autoscaled, false).is_empty(),
            "{:?}",
            before.differences(&autoscaled, false)
        );
        assert!(!before.differences(&autoscaled, true).is_empty());
    }

    /// The documents a plan records are the ones its changes were computed on: the changes
    /// are exactly their differences, whatever the plan leaves alone.
    fn assert_changes_are_the_differences(plan: &ServicePlan) {
        let documents = plan.documents.as_ref().unwrap();
        let task_definition = diff::diff(
            documents.before.task_definition.as_ref(),
            documents.after.task_definition.as_ref().unwrap(),
        );
        assert_eq!(task_definition, plan.changes.task_definition);
        if let Some(after) = &documents.after.service {
            let service = diff::diff(documents.before.service.as_ref(), after);
            assert_eq!(service, plan.changes.service);
        }
    }

    #[test]
    fn documents_before_and_after_differ_exactly_by_the_changes() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let plan = plan_service(
            &request("nginx:2", Some(definition.clone())),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        assert_changes_are_the_differences(&plan);
        let documents = plan.documents.as_ref().unwrap();
        let image = |pair: &crate::plan::DocumentPair| {
            pair.task_definition.as_ref().unwrap()["containerDefinitions"][0]["image"].clone()
        };
        assert_eq!(image(&documents.before), json!("nginx:1"));
        assert_eq!(image(&documents.after), json!("nginx:2"));
        // The definition leaves desiredCount to ECS: both sides carry the live count.
        assert_eq!(
            documents.before.service.as_ref().unwrap()["desiredCount"],
            2
        );
        assert_eq!(documents.after.service.as_ref().unwrap()["desiredCount"], 2);
        // Normalized: the circuit breaker's defaults are there for a policy to read.
        assert_eq!(
            documents.after.service.as_ref().unwrap()["deploymentConfiguration"]["deploymentCircuitBreaker"],
            json!({"enable": false, "rollback": false})
        );
        assert!(documents.terraform.is_none());

        // --tasks sets the count: after has the new one.
        let scaled = plan_service(
            &request("nginx:1", Some(definition.clone())),
            &steady("nginx:1"),
            &PlanOptions {
                desired_count: Some(5),
                ..PlanOptions::default()
            },
        )
        .unwrap();
        assert_changes_are_the_differences(&scaled);
        let documents = scaled.documents.as_ref().unwrap();
        assert_eq!(
            documents.before.service.as_ref().unwrap()["desiredCount"],
            2
        );
        assert_eq!(documents.after.service.as_ref().unwrap()["desiredCount"], 5);

        // A new service: no before, the whole definition after.
        let created = plan_service(
            &request("nginx:1", Some(definition)),
            &LiveState::default(),
            &PlanOptions::default(),
        )
        .unwrap();
        assert_changes_are_the_differences(&created);
        let documents = created.documents.as_ref().unwrap();
        assert_eq!(documents.before.service, None);
        assert_eq!(documents.before.task_definition, None);
        assert!(documents.after.service.is_some());
    }

    #[test]
    fn documents_keep_what_the_plan_leaves_alone() {
        // A member UpdateService cannot unset keeps its live value after the plan.
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let mut live = steady("nginx:1");
        if let Some(service) = &mut live.service {
            service.document["healthCheckGracePeriodSeconds"] = json!(30);
        }
        let plan = plan_service(
            &request("nginx:1", Some(definition.clone())),
            &live,
            &PlanOptions::default(),
        )
        .unwrap();
        assert!(plan.actions.is_empty(), "{:?}", plan.actions);
        assert_changes_are_the_differences(&plan);
        let documents = plan.documents.as_ref().unwrap();
        assert_eq!(
            documents.after.service.as_ref().unwrap()["healthCheckGracePeriodSeconds"],
            30
        );

        // --skip-task-definition: the service keeps running what it runs.
        let skipped = plan_service(
            &request("nginx:2", Some(definition.clone())),
            &steady("nginx:1"),
            &PlanOptions {
                skip_task_definition: true,
                ..PlanOptions::default()
            },
        )
        .unwrap();
        assert_changes_are_the_differences(&skipped);
        let documents = skipped.documents.as_ref().unwrap();
        assert_eq!(
            documents.after.task_definition,
            documents.before.task_definition
        );

        // Terraform owns a field: recorded, and the live value stays.
        let mut changed = definition;
        changed["networkConfiguration"]["awsvpcConfiguration"]["subnets"] = json!(["subnet-b"]);
        let owned_plan = plan_service(
            &owned(&["networkConfiguration"], request("nginx:1", Some(changed))),
            &steady("nginx:1"),
            &PlanOptions {
                allow_terraform_owned: true,
                ..PlanOptions::default()
            },
        )
        .unwrap();
        assert_changes_are_the_differences(&owned_plan);
        let documents = owned_plan.documents.as_ref().unwrap();
        assert_eq!(
            documents.terraform.as_ref().unwrap().fields,
            ["networkConfiguration"]
        );
        assert_eq!(
            documents.after.service.as_ref().unwrap()["networkConfiguration"]["awsvpcConfiguration"]
                ["subnets"],
            json!(["subnet-a"])
        );
    }

    #[test]
    fn documents_now_take_the_live_count_the_definition_leaves_to_ecs() {
        let definition = with_tags(
            service_definition(),
            json!([{"key": "team", "value": "web"}]),
        );
        let plan = plan_service(
            &request("nginx:2", Some(definition.clone())),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        let mut scaled_in = steady("nginx:1");
        if let Some(service) = &mut scaled_in.service {
            service.document["desiredCount"] = json!(1);
        }
        let now = documents_now(&plan, &scaled_in).unwrap();
        assert_eq!(now.before.service.as_ref().unwrap()["desiredCount"], 1);
        assert_eq!(now.after.service.as_ref().unwrap()["desiredCount"], 1);
        assert_eq!(
            now.after.task_definition,
            plan.documents.as_ref().unwrap().after.task_definition
        );

        // A count the definition sets is the plan's, whatever the live one is now.
        let mut counted = definition;
        counted["desiredCount"] = json!(2);
        let plan = plan_service(
            &request("nginx:2", Some(counted)),
            &steady("nginx:1"),
            &PlanOptions::default(),
        )
        .unwrap();
        let now = documents_now(&plan, &scaled_in).unwrap();
        assert_eq!(now.after.service.as_ref().unwrap()["desiredCount"], 2);

        // A plan saved before documents were recorded has none now either.
        let mut old = plan;
        old.documents = None;
        assert!(documents_now(&old, &scaled_in).is_none());
    }
}
