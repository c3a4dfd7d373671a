//! From a plan's changes to rows: the changes of each document grouped under their common
//! parents (`containerDefinitions[name=app]` with everything that changes in it), each row a
//! sign, a label and masked values. The human and Markdown renderings draw the same rows, so
//! they cannot disagree about what changes. Also what both say about a service as a whole: its
//! sign, its actions in words, the summary line.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::RenderOptions;
use super::values::ordered_members;
use crate::aws::ecs::task_definition_short_name;
use crate::diff::{Change, Diff, Path, Segment};
use crate::plan::masking::masked_changes;
use crate::plan::{Action, Plan, PolicyCheck, ServicePlan, TaskDefinitionRef, Verb};
use crate::policy::Finding;

/// The mark of a line, the same in both text renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Sign {
    Add,
    Remove,
    Change,
    None,
}

impl Sign {
    pub(super) fn symbol(self) -> char {
        match self {
            Sign::Add => '+',
            Sign::Remove => '-',
            Sign::Change => '~',
            Sign::None => ' ',
        }
    }
}

/// One entry of a rendered diff, before a format decides how it looks. Values are masked.
#[derive(Debug)]
pub(super) enum Row {
    /// A parent whose members changed (`containerDefinitions[name=app]`); they follow, deeper.
    Group { depth: usize, label: String },
    /// A value replaced by another.
    Changed {
        depth: usize,
        label: String,
        before: Value,
        after: Value,
    },
    /// A whole value added or removed.
    Whole {
        depth: usize,
        sign: Sign,
        label: String,
        value: Value,
    },
}

/// The changes of one document (the task definition or the service) with its title.
pub(super) struct Section {
    pub(super) sign: Sign,
    pub(super) title: String,
    pub(super) rows: Vec<Row>,
}

pub(super) fn sections(service: &ServicePlan, options: &RenderOptions) -> Vec<Section> {
    let family = service
        .desired
        .task_definition
        .get("family")
        .and_then(Value::as_str)
        .or_else(|| {
            service.actions.iter().find_map(|action| match action {
                Action::RegisterTaskDefinition { family } => Some(family.as_str()),
                _ => None,
            })
        });
    let task_definition_title = match family {
        Some(family) => format!("task definition {family}"),
        None => "task definition".to_owned(),
    };
    [
        (task_definition_title, &service.changes.task_definition),
        ("service definition".to_owned(), &service.changes.service),
    ]
    .into_iter()
    .filter(|(_, diff)| !diff.is_empty())
    .map(|(title, diff)| Section {
        sign: if is_creation(diff) {
            Sign::Add
        } else {
            Sign::Change
        },
        title,
        rows: diff_rows(&masked_changes(diff, &options.secret_names()), 0),
    })
    .collect()
}

/// A diff that adds the whole document: the service or task definition family is new.
pub(super) fn is_creation(diff: &Diff) -> bool {
    matches!(diff.changes.as_slice(), [Change::Added { path, .. }] if path.is_root())
}

pub(super) fn service_sign(service: &ServicePlan) -> Sign {
    if service
        .actions
        .iter()
        .any(|action| matches!(action, Action::CreateService { .. }))
    {
        Sign::Add
    } else if !service.actions.is_empty() || !service.changes.is_empty() {
        Sign::Change
    } else {
        Sign::None
    }
}

/// Whether a service has anything to show (a service with only notes is shown for the notes).
pub(super) fn has_content(service: &ServicePlan) -> bool {
    !service.actions.is_empty() || !service.changes.is_empty() || !service.notes.is_empty()
}

pub(super) fn summary_line(plan: &Plan) -> String {
    let counts = plan.summary();
    if counts.is_empty() {
        "No changes. The live services match the definitions.".to_owned()
    } else {
        format!("Plan: {}.", counts_text(&counts))
    }
}

/// `refused: 1 denial, 2 warnings (3 files)` / `passed (3 files)`: the policy verdict in one
/// line, for the text and Markdown renderings.
pub(super) fn policy_verdict(policy: &PolicyCheck) -> String {
    let plural =
        |count: usize, word: &str| format!("{count} {word}{}", if count == 1 { "" } else { "s" });
    let denials = policy.denials().count();
    let warnings = policy.warnings().count();
    let files = plural(policy.files.len(), "file");
    match (denials, warnings) {
        (0, 0) => format!("passed ({files})"),
        (0, warnings) => format!("passed with {} ({files})", plural(warnings, "warning")),
        (denials, 0) => format!("refused: {} ({files})", plural(denials, "denial")),
        (denials, warnings) => format!(
            "refused: {}, {} ({files})",
            plural(denials, "denial"),
            plural(warnings, "warning")
        ),
    }
}

/// Denials first, then warnings, each in file and rule order.
pub(super) fn ordered_findings(policy: &PolicyCheck) -> Vec<&Finding> {
    policy.denials().chain(policy.warnings()).collect()
}

pub(super) fn counts_text(counts: &[(Verb, usize)]) -> String {
    counts
        .iter()
        .map(|(verb, count)| format!("{count} to {}", verb.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) fn action_descriptions(service: &ServicePlan) -> Vec<String> {
    service.actions.iter().map(describe_action).collect()
}

pub(super) fn describe_action(action: &Action) -> String {
    match action {
        Action::RegisterTaskDefinition { family } => {
            format!("register task definition {family} (new revision)")
        }
        Action::CreateService { task_definition } => match task_definition {
            TaskDefinitionRef::Registered => "create service".to_owned(),
            TaskDefinitionRef::Existing { arn } => format!(
                "create service with task definition {}",
                task_definition_short_name(arn)
            ),
        },
        Action::UpdateService {
            task_definition,
            fields,
            force_new_deployment,
        } => {
            let mut parts = Vec::new();
            match task_definition {
                Some(TaskDefinitionRef::Registered) => parts.push("taskDefinition".to_owned()),
                Some(TaskDefinitionRef::Existing { arn }) => parts.push(format!(
                    "taskDefinition ({})",
                    task_definition_short_name(arn)
                )),
                None => {}
            }
            parts.extend(fields.keys().cloned());
            if *force_new_deployment {
                parts.push("force new deployment".to_owned());
            }
            format!("update service: {}", parts.join(", "))
        }
        Action::TagService { tags } => {
            let tags: Vec<String> = tags
                .iter()
                .map(|tag| format!("{}={}", tag.key, tag.value))
                .collect();
            format!("tag: {}", tags.join(", "))
        }
        Action::UntagService { keys } => format!("untag: {}", keys.join(", ")),
    }
}

/// A node of the tree of changed paths. A step is one object member with the element
/// selectors that follow it (`containerDefinitions[name=app]`, `subnets[1]`), so that a list
/// element always reads together with its list's name.
#[derive(Default)]
pub(super) struct Node<'a> {
    step: &'a [Segment],
    changes: Vec<&'a Change>,
    /// In the order the changes first reached them (the diff's order).
    children: Vec<Node<'a>>,
    /// Where each step's child is in `children`: a list of 100,000 environment variables must
    /// not be scanned once per change (that made large plans quadratic).
    positions: HashMap<&'a [Segment], usize>,
}

impl<'a> Node<'a> {
    fn insert(&mut self, steps: &[&'a [Segment]], change: &'a Change) {
        let Some((first, rest)) = steps.split_first() else {
            self.changes.push(change);
            return;
        };
        let position = *self.positions.entry(first).or_insert_with(|| {
            self.children.push(Node {
                step: first,
                ..Node::default()
            });
            self.children.len() - 1
        });
        self.children[position].insert(rest, change);
    }
}

pub(super) fn steps(segments: &[Segment]) -> Vec<&[Segment]> {
    let mut steps = Vec::new();
    let mut start = 0;
    for (index, segment) in segments.iter().enumerate() {
        if index > start && matches!(segment, Segment::Key(_)) {
            steps.push(&segments[start..index]);
            start = index;
        }
    }
    if start < segments.len() {
        steps.push(&segments[start..]);
    }
    steps
}

pub(super) fn ends_with_named(step: &[Segment]) -> bool {
    matches!(step.last(), Some(Segment::Named { .. }))
}

/// The rows of one document's (already masked) changes, starting at `depth`.
pub(super) fn diff_rows(changes: &[Change], depth: usize) -> Vec<Row> {
    let mut root = Node::default();
    for change in changes {
        root.insert(&steps(change.path().segments()), change);
    }
    let mut rows = Vec::new();
    for change in &root.changes {
        // A whole new (or gone) document: one line per top-level member reads like Terraform's
        // creation of a resource, rather than one block for everything.
        match change {
            Change::Added {
                value: Value::Object(members),
                ..
            } => rows.extend(member_rows(members, depth, Sign::Add)),
            Change::Removed {
                value: Value::Object(members),
                ..
            } => rows.extend(member_rows(members, depth, Sign::Remove)),
            other => rows.push(leaf_row(other, depth, Path::root().to_string())),
        }
    }
    group_rows(&root.children, depth, false, &mut rows);
    rows
}

pub(super) fn member_rows(members: &Map<String, Value>, depth: usize, sign: Sign) -> Vec<Row> {
    ordered_members(members)
        .into_iter()
        .map(|(key, value)| Row::Whole {
            depth,
            sign,
            label: Path(vec![Segment::Key(key.clone())]).to_string(),
            value: value.clone(),
        })
        .collect()
}

/// Writes `nodes` as rows. A chain of parents with a single changed child is written on one
/// line (`networkConfiguration.awsvpcConfiguration.subnets[1]`), except after the first named
/// element on a path (a container, a tag): it always gets its own line, so that everything
/// changing in `containerDefinitions[name=app]` is listed under it, however much that is.
pub(super) fn group_rows(nodes: &[Node<'_>], depth: usize, named_above: bool, rows: &mut Vec<Row>) {
    for node in nodes {
        let mut segments = node.step.to_vec();
        let mut current = node;
        let mut named_before = named_above;
        loop {
            let first_named = !named_before && ends_with_named(current.step);
            if current.changes.is_empty() && current.children.len() == 1 && !first_named {
                named_before |= ends_with_named(current.step);
                current = &current.children[0];
                segments.extend_from_slice(current.step);
            } else {
                break;
            }
        }
        let label = Path(segments).to_string();
        for change in &current.changes {
            rows.push(leaf_row(change, depth, label.clone()));
        }
        if !current.children.is_empty() {
            rows.push(Row::Group {
                depth,
                label: label.clone(),
            });
            let named = named_before || ends_with_named(current.step);
            group_rows(&current.children, depth + 1, named, rows);
        }
    }
}

pub(super) fn leaf_row(change: &Change, depth: usize, label: String) -> Row {
    match change {
        Change::Added { value, .. } => Row::Whole {
            depth,
            sign: Sign::Add,
            label,
            value: value.clone(),
        },
        Change::Removed { value, .. } => Row::Whole {
            depth,
            sign: Sign::Remove,
            label,
            value: value.clone(),
        },
        Change::Changed { before, after, .. } => Row::Changed {
            depth,
            label,
            before: before.clone(),
            after: after.clone(),
        },
    }
}
