//! An in-memory [`EcsApi`] for unit tests, as `lock::memory` is for the lock: services and task
//! definitions kept as the AWS CLI's documents, rollouts that complete on the next describe (or
//! fail and roll back when an image is tagged `fail`, as the emulator's patch does), and a log
//! of every call in order, so that tests of `live`, `apply` and `operation` can assert exactly
//! which calls were made. A gate can hold one operation until the test lets it go, to change
//! the world (release a lease, deploy something else) between two calls.
//!
//! Test-only: it models the few rules of ECS the domain relies on, not ECS.

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use super::AwsError;
use super::ecs::{
    EcsApi, LiveService, LiveTask, LiveTaskDefinition, RunTaskOutcome, ServiceUpdate, Tag,
    task_definition_short_name,
};

const ACCOUNT_PREFIX: &str = "arn:aws:ecs:ap-northeast-1:123456789012";

/// The calls that change something, by operation name.
const MUTATING: [&str; 7] = [
    "RegisterTaskDefinition",
    "CreateService",
    "UpdateService",
    "TagResource",
    "UntagResource",
    "DeregisterTaskDefinition",
    "DeleteService",
];

#[derive(Default)]
struct State {
    /// Revisions per family, in order (revision = position + 1).
    task_definitions: BTreeMap<String, Vec<Value>>,
    /// Service documents by (cluster, name).
    services: BTreeMap<(String, String), Value>,
    calls: Vec<String>,
    next_deployment: u64,
    /// How many describes a rollout started from now on takes (0 and 1: the next one).
    rollout_steps: usize,
    /// Describes left before a rollout completes, by deployment id.
    steps_left: BTreeMap<String, usize>,
}

/// A paused operation: `reached` fires when it was made, and it completes once `resume` fires.
pub(crate) struct Gate {
    pub(crate) reached: tokio::sync::oneshot::Receiver<()>,
    pub(crate) resume: tokio::sync::oneshot::Sender<()>,
}

type GateEnds = (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::sync::oneshot::Receiver<()>,
);

#[derive(Default)]
pub(crate) struct MemoryEcs {
    state: Mutex<State>,
    gate: Mutex<Option<GateEnds>>,
}

impl MemoryEcs {
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// A register-task-definition input with one container running `image`.
    pub(crate) fn task_definition_document(family: &str, image: &str) -> Value {
        json!({
            "family": family,
            "containerDefinitions": [{"name": "app", "image": image, "essential": true, "memory": 512}],
        })
    }

    /// Registers a revision of `family` running `image`; returns its ARN.
    pub(crate) fn register(&self, family: &str, image: &str) -> String {
        let mut state = self.state.lock().unwrap();
        register_in(&mut state, &Self::task_definition_document(family, image))
    }

    /// A service that runs `image` (registered as a new revision unless the latest ACTIVE one
    /// runs it) with `count` tasks, its rollout complete. Replaces an existing service.
    pub(crate) fn deploy_service(&self, cluster: &str, name: &str, image: &str, count: i64) {
        let mut state = self.state.lock().unwrap();
        let document = Self::task_definition_document(name, image);
        let arn = match latest_active(&state, name) {
            Some(latest) if same_content(latest, &document) => text(latest, "taskDefinitionArn"),
            _ => register_in(&mut state, &document),
        };
        let id = next_deployment_id(&mut state);
        let service = json!({
            "serviceArn": format!("{ACCOUNT_PREFIX}:service/{cluster}/{name}"),
            "serviceName": name,
            "clusterArn": format!("{ACCOUNT_PREFIX}:cluster/{cluster}"),
            "status": "ACTIVE",
            "taskDefinition": arn,
            "desiredCount": count,
            "runningCount": count,
            "pendingCount": 0,
            "deployments": [deployment(&id, "PRIMARY", &arn, count, "COMPLETED")],
            "events": [],
        });
        state
            .services
            .insert((cluster.to_owned(), name.to_owned()), service);
    }

    /// Rollouts started from now on complete on the `steps`-th describe of their service, as
    /// the emulator's `ristretto-test:rollout-steps` tag makes them.
    pub(crate) fn set_rollout_steps(&self, steps: usize) {
        self.state.lock().unwrap().rollout_steps = steps;
    }

    /// Changes a service's document as ECS would have (a field only ECS fills in).
    pub(crate) fn edit_service(&self, cluster: &str, name: &str, edit: impl FnOnce(&mut Value)) {
        let mut state = self.state.lock().unwrap();
        if let Some(service) = state
            .services
            .get_mut(&(cluster.to_owned(), name.to_owned()))
        {
            edit(service);
        }
    }

    /// Every call made so far, in order, by operation name.
    pub(crate) fn calls(&self) -> Vec<String> {
        self.state.lock().unwrap().calls.clone()
    }

    /// The calls that changed something.
    pub(crate) fn mutating_calls(&self) -> Vec<String> {
        self.calls()
            .into_iter()
            .filter(|call| MUTATING.contains(&call.as_str()))
            .collect()
    }

    /// The service's current document.
    pub(crate) fn service_document(&self, cluster: &str, name: &str) -> Option<Value> {
        let state = self.state.lock().unwrap();
        state
            .services
            .get(&(cluster.to_owned(), name.to_owned()))
            .cloned()
    }

    /// Holds the next call of `operation` after it took effect, until the test resumes it.
    pub(crate) fn gate(&self, operation: &str) -> Gate {
        let (reached_sender, reached) = tokio::sync::oneshot::channel();
        let (resume, resume_receiver) = tokio::sync::oneshot::channel();
        *self.gate.lock().unwrap() = Some((operation.to_owned(), reached_sender, resume_receiver));
        Gate { reached, resume }
    }

    fn record(&self, operation: &str) {
        self.state.lock().unwrap().calls.push(operation.to_owned());
    }

    async fn pass_gate(&self, operation: &str) {
        let ends = {
            let mut gate = self.gate.lock().unwrap();
            match gate.as_ref() {
                Some((name, _, _)) if name == operation => gate.take(),
                _ => None,
            }
        };
        if let Some((_, reached, resume)) = ends {
            let _ = reached.send(());
            let _ = resume.await;
        }
    }

    /// One describe: rollouts in progress move on (complete, or fail and roll back).
    fn describe_in(state: &mut State, cluster: &str, name: &str) -> Option<LiveService> {
        let service = state
            .services
            .get_mut(&(cluster.to_owned(), name.to_owned()))?;
        let primary = service["deployments"]
            .as_array()
            .and_then(|deployments| deployments.first())
            .map(|primary| text(primary, "id"))
            .unwrap_or_default();
        match state.steps_left.get_mut(&primary) {
            Some(left) if *left > 1 => *left -= 1,
            _ => advance_rollout(service, &state.task_definitions),
        }
        (service["status"] != "INACTIVE").then(|| LiveService::from_document(service.clone()))
    }
}

fn text(document: &Value, key: &str) -> String {
    document[key].as_str().unwrap_or_default().to_owned()
}

fn deployment(id: &str, status: &str, task_definition: &str, count: i64, rollout: &str) -> Value {
    json!({
        "id": id,
        "status": status,
        "taskDefinition": task_definition,
        "desiredCount": count,
        "runningCount": if rollout == "COMPLETED" { count } else { 0 },
        "pendingCount": 0,
        "failedTasks": 0,
        "rolloutState": rollout,
    })
}

fn next_deployment_id(state: &mut State) -> String {
    state.next_deployment += 1;
    let id = format!("ecs-svc/{:019}", state.next_deployment);
    if state.rollout_steps > 1 {
        state.steps_left.insert(id.clone(), state.rollout_steps);
    }
    id
}

fn register_in(state: &mut State, document: &Value) -> String {
    let family = text(document, "family");
    let revisions = state.task_definitions.entry(family.clone()).or_default();
    let revision = revisions.len() + 1;
    let arn = format!("{ACCOUNT_PREFIX}:task-definition/{family}:{revision}");
    let mut described = document.clone();
    described["taskDefinitionArn"] = json!(arn);
    described["revision"] = json!(revision);
    described["status"] = json!("ACTIVE");
    revisions.push(described);
    arn
}

fn latest_active<'s>(state: &'s State, family: &str) -> Option<&'s Value> {
    state
        .task_definitions
        .get(family)?
        .iter()
        .rev()
        .find(|task| task["status"] == "ACTIVE")
}

fn same_content(described: &Value, document: &Value) -> bool {
    described["containerDefinitions"] == document["containerDefinitions"]
}

fn find_task_definition<'s>(
    definitions: &'s BTreeMap<String, Vec<Value>>,
    reference: &str,
) -> Option<&'s Value> {
    let short = task_definition_short_name(reference);
    match short.rsplit_once(':') {
        Some((family, revision)) => {
            let revision: usize = revision.parse().ok()?;
            definitions.get(family)?.get(revision.checked_sub(1)?)
        }
        None => definitions
            .get(short)?
            .iter()
            .rev()
            .find(|task| task["status"] == "ACTIVE"),
    }
}

/// A task definition fails to roll out when one of its images is tagged `fail`.
fn fails(definitions: &BTreeMap<String, Vec<Value>>, reference: &str) -> bool {
    find_task_definition(definitions, reference)
        .and_then(|task| task["containerDefinitions"].as_array())
        .is_some_and(|containers| {
            containers
                .iter()
                .any(|container| text(container, "image").ends_with(":fail"))
        })
}

fn advance_rollout(service: &mut Value, definitions: &BTreeMap<String, Vec<Value>>) {
    let Some(deployments) = service["deployments"].as_array().cloned() else {
        return;
    };
    let Some(primary) = deployments
        .iter()
        .find(|deployment| deployment["status"] == "PRIMARY")
        .cloned()
    else {
        return;
    };
    if primary["rolloutState"] != "IN_PROGRESS" {
        return;
    }
    let count = primary["desiredCount"].as_i64().unwrap_or_default();
    let task_definition = text(&primary, "taskDefinition");
    if fails(definitions, &task_definition) {
        // The circuit breaker rolls back: the previous deployment becomes PRIMARY again.
        let previous = deployments
            .iter()
            .find(|deployment| deployment["status"] == "ACTIVE")
            .cloned();
        if let Some(previous) = previous {
            // As ECS does: a new deployment of the previous revision, which says it is a
            // rollback, next to ours, FAILED.
            let previous_definition = text(&previous, "taskDefinition");
            let mut rollback = deployment(
                &format!("{}-rollback", text(&primary, "id")),
                "PRIMARY",
                &previous_definition,
                count,
                "COMPLETED",
            );
            rollback["rolloutStateReason"] = json!(format!(
                "ECS deployment circuit breaker: rolling back to deploymentId {}.",
                text(&previous, "id")
            ));
            let mut failed = deployment(
                &text(&primary, "id"),
                "ACTIVE",
                &task_definition,
                count,
                "FAILED",
            );
            failed["runningCount"] = json!(0);
            service["deployments"] = json!([rollback, failed]);
            service["taskDefinition"] = json!(previous_definition);
        } else {
            let id = text(&primary, "id");
            service["deployments"] = json!([deployment(
                &id,
                "PRIMARY",
                &task_definition,
                count,
                "FAILED"
            )]);
        }
        return;
    }
    let id = text(&primary, "id");
    service["deployments"] = json!([deployment(
        &id,
        "PRIMARY",
        &task_definition,
        count,
        "COMPLETED"
    )]);
    service["runningCount"] = json!(count);
}

fn not_found(operation: &'static str, message: &str) -> AwsError {
    AwsError::Api {
        operation,
        code: match operation {
            "UpdateService" => "ServiceNotFoundException",
            _ => "ClientException",
        }
        .to_owned(),
        message: message.to_owned(),
    }
}

impl EcsApi for MemoryEcs {
    async fn describe_service(
        &self,
        cluster: &str,
        service: &str,
    ) -> Result<Option<LiveService>, AwsError> {
        self.record("DescribeServices");
        let found = Self::describe_in(&mut self.state.lock().unwrap(), cluster, service);
        self.pass_gate("DescribeServices").await;
        Ok(found)
    }

    async fn describe_services(
        &self,
        cluster: &str,
        services: &[String],
    ) -> Result<Vec<LiveService>, AwsError> {
        self.record("DescribeServices");
        let mut state = self.state.lock().unwrap();
        Ok(services
            .iter()
            .filter_map(|name| Self::describe_in(&mut state, cluster, name))
            .collect())
    }

    async fn describe_task_definition(
        &self,
        reference: &str,
    ) -> Result<Option<LiveTaskDefinition>, AwsError> {
        self.record("DescribeTaskDefinition");
        let state = self.state.lock().unwrap();
        Ok(find_task_definition(&state.task_definitions, reference)
            .cloned()
            .map(LiveTaskDefinition::from_document))
    }

    async fn register_task_definition(
        &self,
        document: &Value,
    ) -> Result<LiveTaskDefinition, AwsError> {
        self.record("RegisterTaskDefinition");
        let described = {
            let mut state = self.state.lock().unwrap();
            let arn = register_in(&mut state, document);
            find_task_definition(&state.task_definitions, &arn)
                .cloned()
                .expect("just registered")
        };
        self.pass_gate("RegisterTaskDefinition").await;
        Ok(LiveTaskDefinition::from_document(described))
    }

    async fn create_service(
        &self,
        cluster: &str,
        service: &str,
        task_definition: &str,
        document: &Value,
    ) -> Result<LiveService, AwsError> {
        self.record("CreateService");
        let created = {
            let mut state = self.state.lock().unwrap();
            let count = document["desiredCount"].as_i64().unwrap_or_default();
            let id = next_deployment_id(&mut state);
            let mut created: Map<String, Value> = document.as_object().cloned().unwrap_or_default();
            created.extend([
                (
                    "serviceArn".to_owned(),
                    json!(format!("{ACCOUNT_PREFIX}:service/{cluster}/{service}")),
                ),
                ("serviceName".to_owned(), json!(service)),
                ("status".to_owned(), json!("ACTIVE")),
                ("taskDefinition".to_owned(), json!(task_definition)),
                ("desiredCount".to_owned(), json!(count)),
                ("runningCount".to_owned(), json!(0)),
                ("pendingCount".to_owned(), json!(0)),
                (
                    "deployments".to_owned(),
                    json!([deployment(
                        &id,
                        "PRIMARY",
                        task_definition,
                        count,
                        "IN_PROGRESS"
                    )]),
                ),
                ("events".to_owned(), json!([])),
            ]);
            let created = Value::Object(created);
            state
                .services
                .insert((cluster.to_owned(), service.to_owned()), created.clone());
            created
        };
        self.pass_gate("CreateService").await;
        Ok(LiveService::from_document(created))
    }

    async fn update_service(
        &self,
        cluster: &str,
        service: &str,
        update: &ServiceUpdate,
    ) -> Result<LiveService, AwsError> {
        self.record("UpdateService");
        let updated = {
            let mut state = self.state.lock().unwrap();
            let id = next_deployment_id(&mut state);
            let document = state
                .services
                .get_mut(&(cluster.to_owned(), service.to_owned()))
                .filter(|document| document["status"] == "ACTIVE")
                .ok_or_else(|| not_found("UpdateService", "Service not found."))?;
            for (key, value) in &update.fields {
                document[key] = value.clone();
            }
            let running = text(document, "taskDefinition");
            let task_definition = update.task_definition.clone().unwrap_or(running.clone());
            let count = document["desiredCount"].as_i64().unwrap_or_default();
            if task_definition != running || update.force_new_deployment {
                let mut deployments: Vec<Value> = document["deployments"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|deployment| deployment["status"] == "PRIMARY")
                    .map(|mut deployment| {
                        deployment["status"] = json!("ACTIVE");
                        deployment
                    })
                    .collect();
                deployments.insert(
                    0,
                    deployment(&id, "PRIMARY", &task_definition, count, "IN_PROGRESS"),
                );
                document["deployments"] = json!(deployments);
                document["taskDefinition"] = json!(task_definition);
            } else if let Some(primary) = document["deployments"]
                .as_array_mut()
                .and_then(|deployments| deployments.first_mut())
            {
                primary["desiredCount"] = json!(count);
                primary["runningCount"] = json!(count);
            }
            document.clone()
        };
        self.pass_gate("UpdateService").await;
        Ok(LiveService::from_document(updated))
    }

    async fn tag_resource(&self, arn: &str, tags: &[Tag]) -> Result<(), AwsError> {
        self.record("TagResource");
        {
            let mut state = self.state.lock().unwrap();
            let service = state
                .services
                .values_mut()
                .find(|service| service["serviceArn"] == arn)
                .ok_or_else(|| not_found("TagResource", "The specified resource is not found."))?;
            let mut current: Vec<Value> = service["tags"].as_array().cloned().unwrap_or_default();
            for tag in tags {
                current.retain(|existing| existing["key"] != tag.key.as_str());
                current.push(json!({"key": tag.key, "value": tag.value}));
            }
            service["tags"] = json!(current);
        }
        self.pass_gate("TagResource").await;
        Ok(())
    }

    async fn untag_resource(&self, arn: &str, keys: &[String]) -> Result<(), AwsError> {
        self.record("UntagResource");
        let mut state = self.state.lock().unwrap();
        if let Some(service) = state
            .services
            .values_mut()
            .find(|service| service["serviceArn"] == arn)
            && let Some(tags) = service["tags"].as_array_mut()
        {
            tags.retain(|tag| !keys.iter().any(|key| tag["key"] == key.as_str()));
        }
        Ok(())
    }

    async fn list_task_definitions(
        &self,
        family: &str,
        status: &str,
    ) -> Result<Vec<String>, AwsError> {
        self.record("ListTaskDefinitions");
        let state = self.state.lock().unwrap();
        Ok(state
            .task_definitions
            .get(family)
            .map(|revisions| {
                revisions
                    .iter()
                    .filter(|task| task["status"] == status)
                    .map(|task| text(task, "taskDefinitionArn"))
                    .collect()
            })
            .unwrap_or_default())
    }

    async fn deregister_task_definition(
        &self,
        reference: &str,
    ) -> Result<LiveTaskDefinition, AwsError> {
        self.record("DeregisterTaskDefinition");
        let mut state = self.state.lock().unwrap();
        let short = task_definition_short_name(reference).to_owned();
        let (family, revision) = short
            .rsplit_once(':')
            .and_then(|(family, revision)| {
                Some((family.to_owned(), revision.parse::<usize>().ok()?))
            })
            .ok_or_else(|| not_found("DeregisterTaskDefinition", "Revision is missing."))?;
        let task = state
            .task_definitions
            .get_mut(&family)
            .and_then(|revisions| revisions.get_mut(revision.checked_sub(1)?))
            .ok_or_else(|| {
                not_found(
                    "DeregisterTaskDefinition",
                    "Unable to describe task definition.",
                )
            })?;
        task["status"] = json!("INACTIVE");
        Ok(LiveTaskDefinition::from_document(task.clone()))
    }

    async fn list_services(&self, cluster: &str) -> Result<Vec<String>, AwsError> {
        self.record("ListServices");
        let state = self.state.lock().unwrap();
        Ok(state
            .services
            .iter()
            .filter(|((service_cluster, _), service)| {
                service_cluster == cluster && service["status"] == "ACTIVE"
            })
            .map(|(_, service)| text(service, "serviceArn"))
            .collect())
    }

    async fn delete_service(
        &self,
        cluster: &str,
        service: &str,
        _force: bool,
    ) -> Result<LiveService, AwsError> {
        self.record("DeleteService");
        let mut state = self.state.lock().unwrap();
        let document = state
            .services
            .get_mut(&(cluster.to_owned(), service.to_owned()))
            .ok_or_else(|| not_found("DeleteService", "Service not found."))?;
        document["status"] = json!("INACTIVE");
        Ok(LiveService::from_document(document.clone()))
    }

    async fn describe_cluster(&self, cluster: &str) -> Result<Option<Value>, AwsError> {
        self.record("DescribeClusters");
        Ok(Some(json!({
            "clusterArn": format!("{ACCOUNT_PREFIX}:cluster/{cluster}"),
            "clusterName": cluster,
            "status": "ACTIVE",
        })))
    }

    async fn run_task(&self, _request: &Value) -> Result<RunTaskOutcome, AwsError> {
        self.record("RunTask");
        Ok(RunTaskOutcome {
            tasks: Vec::new(),
            failures: vec!["the memory ECS runs no tasks".to_owned()],
        })
    }

    async fn describe_tasks(
        &self,
        _cluster: &str,
        _tasks: &[String],
    ) -> Result<Vec<LiveTask>, AwsError> {
        self.record("DescribeTasks");
        Ok(Vec::new())
    }

    async fn list_running_tasks(
        &self,
        _cluster: &str,
        _family: &str,
    ) -> Result<Vec<String>, AwsError> {
        self.record("ListTasks");
        Ok(Vec::new())
    }
}
