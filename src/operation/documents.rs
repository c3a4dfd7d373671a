//! The documents `diff --unified`/`--external` compare, as ecspresso's diff shows them: for each
//! selected service, the live task definition and service next to the files', both in the
//! comparable form the planner diffs (ECS defaults filled in, read-only fields dropped, lists
//! sorted, Service Connect namespaces as names) — so a unified diff of their text shows exactly
//! the changes a plan would find.
//!
//! Must not: print or decide what to change (that is `plan`).

use serde_json::Value;

use crate::aws::ecs::EcsApi;
use crate::aws::servicediscovery::{NamespaceLookup, resolve_namespace_names};
use crate::error::Error;
use crate::live::{self, RevisionChoice};
use crate::normalize::{self, NormalizeOptions};
use crate::plan::{PlanRequest, Target};

/// What a pair of documents is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocumentKind {
    TaskDefinition,
    Service,
}

/// One live document next to the desired one.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct DocumentPair {
    pub target: Target,
    pub kind: DocumentKind,
    /// The live resource's ARN; `None` when it does not exist yet.
    pub live_arn: Option<String>,
    /// `None` when there is nothing live to compare with.
    pub live: Option<Value>,
    pub desired: Value,
}

impl DocumentPair {
    pub(crate) fn differs(&self) -> bool {
        self.live.as_ref() != Some(&self.desired)
    }
}

/// The live and desired documents of every request, task definition first. The live task
/// definition is the one the service runs, or — without a service — the newest ACTIVE revision
/// of the family (ecspresso's rule).
pub(crate) async fn comparable_documents(
    ecs: &impl EcsApi,
    namespaces: &impl NamespaceLookup,
    requests: &[PlanRequest],
    options: &NormalizeOptions,
) -> Result<Vec<DocumentPair>, Error> {
    let states = live::fetch_all(ecs, requests, RevisionChoice::FromFile).await?;
    let arns: Vec<String> = requests
        .iter()
        .zip(&states)
        .filter_map(|(request, state)| {
            let service = state.service.as_ref()?;
            Some(normalize::service_connect_namespace_arns(
                request.service.as_ref(),
                &service.document,
            ))
        })
        .flatten()
        .collect();
    let names = if arns.is_empty() {
        Default::default()
    } else {
        resolve_namespace_names(namespaces, arns).await?
    };
    let mut pairs = Vec::new();
    for (request, state) in requests.iter().zip(&states) {
        let live_task_definition = match &state.service {
            Some(_) => state.task_definition.as_ref(),
            None => state.latest_in_family.as_ref(),
        };
        pairs.push(DocumentPair {
            target: request.target.clone(),
            kind: DocumentKind::TaskDefinition,
            live_arn: live_task_definition.map(|task| task.arn.clone()),
            live: live_task_definition
                .map(|task| normalize::task_definition(&task.document, options)),
            desired: normalize::task_definition(&request.task_definition, options),
        });
        let Some(desired_service) = &request.service else {
            continue;
        };
        let (desired, live) = match &state.service {
            Some(service) => {
                let (local, remote) = normalize::comparable_services(
                    desired_service,
                    &service.document,
                    options,
                    &names,
                );
                (local, Some(remote))
            }
            None => (normalize::service(desired_service, options), None),
        };
        pairs.push(DocumentPair {
            target: request.target.clone(),
            kind: DocumentKind::Service,
            live_arn: state.service.as_ref().map(|service| service.arn.clone()),
            live,
            desired,
        });
    }
    Ok(pairs)
}
