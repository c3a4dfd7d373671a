//! The three renderings of a [`Plan`]: `human` (terminal, Terraform-like, optionally coloured),
//! `markdown` (pull-request comments) and `json` (machines). Each is a pure function of the plan
//! and the [`RenderOptions`]; the human and Markdown texts are built from the same rows
//! (`diff_rows`), so no two renderings can disagree about what changes.
//!
//! Responsible for: how a plan reads, and masking secret environment values in every rendering
//! (ARCHITECTURE.md §4). Must not: print (callers hand the string to `Output`), decide anything about
//! the plan (actions, notes and counts come from `crate::plan`), or read the `desired` documents
//! (they are unmasked and are not shown).
//!
//! Masking: the `value` of an `environment` entry whose `name` contains one of
//! `RenderOptions::secret_patterns` (case-insensitive) is replaced by the string `(sensitive)`,
//! wherever it appears: a changed value, an added or removed entry, a whole added container or
//! document. An entry whose name cannot be told (an environment list compared by position) is
//! masked too: showing too little is safe, showing a secret is not.
//!
//! # `--format json`
//!
//! ```json
//! {
//!   "format_version": 1,                 // of this output, not of the plan file
//!   "plan_id": "6f1c…",                  // the plan's UUID
//!   "created_at": "2025-01-01T00:00:00Z",
//!   "environment": "prod",               // or null
//!   "digest": "…",                       // the plan file's SHA-256 digest, in full
//!   "has_changes": true,                 // false: nothing would be done
//!   "summary": {"register": 1, "create": 0, "update": 1, "tag": 0},  // every verb, 0 included
//!   "services": [{
//!     "target": {"region": "…", "cluster": "…", "service": "…"},
//!     "actions": [{"action": "register_task_definition", "family": "api"}, …],  // as in the plan file
//!     "changes": {
//!       "task_definition": [{"kind": "changed", "path": ["containerDefinitions", {"name": "app"}, "image"],
//!                            "before": "…", "after": "…"}],
//!       "service": [{"kind": "added", "path": ["tags", {"key": "team"}], "value": {…}}]
//!     },
//!     "notes": ["…"]
//!   }]
//! }
//! ```
//!
//! `changes` use the plan file's form of a change (`kind`: `added` / `removed` with `value`,
//! `changed` with `before` / `after`; `path` as a list of segments: string = member, number =
//! position, one-member object = named element), with secret values replaced by `(sensitive)`.
//! A change at the empty path (`[]`) is a whole new document (a service or family created).

use serde_json::{Map, Value, json};

use super::{Style, paint};
use crate::aws::ecs::task_definition_short_name;
use crate::diff::{Change, Diff, Path, Segment};
use crate::plan::{Action, Plan, ServicePlan, TaskDefinitionRef};

/// The version of the `--format json` output (independent of the plan file's version).
pub(crate) const JSON_FORMAT_VERSION: u32 = 1;

/// What a masked value is replaced with, in every rendering.
pub(crate) const SENSITIVE: &str = "(sensitive)";

/// Parts of an environment variable's name that mark its value as secret.
pub(crate) const DEFAULT_SECRET_PATTERNS: [&str; 4] = ["PASSWORD", "SECRET", "TOKEN", "KEY"];

/// The summary verbs in the order `Plan::summary` uses; the JSON summary lists every one (with
/// 0) so that machines can read a count without checking whether the key exists.
const VERBS: [&str; 4] = ["register", "create", "update", "tag"];

/// Longest value, as text, written on one line; longer objects and lists become blocks.
const INLINE_WIDTH: usize = 72;

/// Longest `label: old → new` line of the human rendering before the new value goes on a line
/// of its own.
const WRAP_WIDTH: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RenderOptions {
    /// ANSI colour in the human rendering (Markdown and JSON never have any).
    pub color: bool,
    /// Case-insensitive substrings of environment variable names whose values are masked.
    /// Leading and trailing `*` are ignored, so `*PASSWORD*` means `PASSWORD`.
    pub secret_patterns: Vec<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        Self {
            color: false,
            secret_patterns: DEFAULT_SECRET_PATTERNS.map(str::to_owned).to_vec(),
        }
    }
}

impl RenderOptions {
    fn is_secret_name(&self, name: &str) -> bool {
        let name = name.to_uppercase();
        self.secret_patterns
            .iter()
            .any(|pattern| name.contains(&pattern.trim_matches('*').to_uppercase()))
    }
}

// ---------------------------------------------------------------------------------------------
// Human

/// The plan for a terminal, Terraform-like: per service its changes nested under their common
/// parents, its actions and notes, then `Plan: 1 to register, 1 to update.`
pub(crate) fn human(plan: &Plan, options: &RenderOptions) -> String {
    let color = options.color;
    let mut out = String::new();
    if plan.has_changes() {
        out.push_str("ristretto will perform the following actions:\n\n");
    }
    for service in &plan.services {
        if !has_content(service) {
            // In a multi-service plan, say so for each service that stays as it is, so that a
            // reader does not wonder whether it was looked at.
            if plan.services.len() > 1 {
                let line = format!("    service {}: no changes", service.target);
                out.push_str(&paint(color, Style::Dim, &line));
                out.push_str("\n\n");
            }
            continue;
        }
        human_service(&mut out, service, options);
        out.push('\n');
    }
    out.push_str(&paint(color, Style::Bold, &summary_line(plan)));
    out.push('\n');
    out
}

fn human_service(out: &mut String, service: &ServicePlan, options: &RenderOptions) {
    let color = options.color;
    out.push_str(&format!(
        "  {} {}\n",
        sign_text(service_sign(service), color),
        paint(color, Style::Bold, &format!("service {}", service.target))
    ));
    for section in sections(service, options) {
        out.push_str(&format!(
            "      {} {}\n",
            sign_text(section.sign, color),
            section.title
        ));
        for row in &section.rows {
            human_row(out, row, color);
        }
    }
    let descriptions = action_descriptions(service);
    if !descriptions.is_empty() {
        if !service.changes.is_empty() {
            out.push('\n');
        }
        out.push_str("      Actions:\n");
        for (number, description) in descriptions.iter().enumerate() {
            out.push_str(&format!("        {}. {description}\n", number + 1));
        }
    }
    if !service.notes.is_empty() {
        out.push_str("      Notes:\n");
        for note in &service.notes {
            out.push_str(&format!("        • {note}\n"));
        }
    }
}

fn human_row(out: &mut String, row: &Row, color: bool) {
    // Two columns for the service and section levels above the rows, four per nesting level.
    let indent = |depth: usize| " ".repeat(10 + 4 * depth);
    match row {
        Row::Group { depth, label } => {
            out.push_str(&format!(
                "{}{} {label}\n",
                indent(*depth),
                sign_text(Sign::Change, color)
            ));
        }
        Row::Changed {
            depth,
            label,
            before,
            after,
        } => match (inline(before), inline(after)) {
            (Some(before), Some(after)) => {
                let indent = indent(*depth);
                let sign = sign_text(Sign::Change, color);
                let width = format!("{indent}~ {label}: {before} → {after}")
                    .chars()
                    .count();
                if width <= WRAP_WIDTH {
                    out.push_str(&format!("{indent}{sign} {label}: {before} → {after}\n"));
                } else {
                    // Too long for one line (image URIs): the new value under the old one, so
                    // that the part that differs (usually the tag) is easy to spot.
                    let arrow_column = indent.chars().count() + label.chars().count() + 2;
                    out.push_str(&format!("{indent}{sign} {label}: {before}\n"));
                    out.push_str(&format!("{}→ {after}\n", " ".repeat(arrow_column)));
                }
            }
            // Large values: the old block, then the new one, like a removal and an addition.
            _ => {
                human_block(out, &indent(*depth), Sign::Remove, label, before, color);
                human_block(out, &indent(*depth), Sign::Add, label, after, color);
            }
        },
        Row::Whole {
            depth,
            sign,
            label,
            value,
        } => human_block(out, &indent(*depth), *sign, label, value, color),
    }
}

/// `label: value`, the value on as many lines as it needs, each line carrying the sign so that
/// a long added object is visibly added to its last line.
fn human_block(
    out: &mut String,
    indent: &str,
    sign: Sign,
    label: &str,
    value: &Value,
    color: bool,
) {
    let sign = sign_text(sign, color);
    for (index, line) in value_lines(value).iter().enumerate() {
        if index == 0 {
            out.push_str(&format!("{indent}{sign} {label}: {line}\n"));
        } else {
            out.push_str(&format!("{indent}{sign} {line}\n"));
        }
    }
}

fn sign_text(sign: Sign, color: bool) -> String {
    // `Style` has no green; these three are the plan's own marks (Terraform's colours).
    let code = match sign {
        Sign::Add => "\x1b[32m",
        Sign::Remove => "\x1b[31m",
        Sign::Change => "\x1b[33m",
        Sign::None => return " ".into(),
    };
    if color {
        format!("{code}{}\x1b[0m", sign.symbol())
    } else {
        sign.symbol().to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Markdown

/// The plan for a pull-request comment: a summary table, then per service a collapsible block
/// with its changes as a `diff` code block (GitHub colours `+` and `-` lines), actions and notes,
/// and the plan id and digest at the bottom. Never contains ANSI codes.
pub(crate) fn markdown(plan: &Plan, options: &RenderOptions) -> String {
    let mut out = String::from("### ristretto plan");
    if let Some(environment) = &plan.environment {
        out.push_str(&format!(" · `{}`", environment.replace('`', "'")));
    }
    out.push_str("\n\n");
    if plan.has_changes() {
        out.push_str(&format!("**{}**\n\n", summary_line(plan)));
    } else {
        out.push_str("**No changes.** The live services match the definitions.\n\n");
    }

    out.push_str("| service | cluster | region | actions |\n| --- | --- | --- | --- |\n");
    for service in &plan.services {
        let descriptions = action_descriptions(service);
        let actions = if descriptions.is_empty() {
            "no changes".to_owned()
        } else {
            descriptions
                .iter()
                .map(|description| escape_markdown(description))
                .collect::<Vec<_>>()
                .join("<br>")
        };
        out.push_str(&format!(
            "| {} | {} | {} | {actions} |\n",
            escape_markdown(&service.target.service),
            escape_markdown(&service.target.cluster),
            escape_markdown(&service.target.region),
        ));
    }
    out.push('\n');

    for service in plan.services.iter().filter(|service| has_content(service)) {
        markdown_service(&mut out, service, options);
    }

    let short_digest: String = plan.digest.chars().take(12).collect();
    out.push_str(&format!(
        "<sub>plan <code>{}</code> · digest <code>{}</code> · ristretto {} · {}</sub>\n",
        escape_html(&plan.plan_id),
        escape_html(&short_digest),
        escape_html(&plan.ristretto_version),
        escape_html(&plan.created_at),
    ));
    out
}

fn markdown_service(out: &mut String, service: &ServicePlan, options: &RenderOptions) {
    let counts = verb_counts(&service.actions);
    let what = if counts.is_empty() {
        "no changes".to_owned()
    } else {
        counts_text(&counts)
    };
    let sign = match service_sign(service) {
        Sign::None => String::new(),
        sign => format!("{} ", sign.symbol()),
    };
    out.push_str(&format!(
        "<details><summary><code>{sign}{}/{}</code> ({}): {what}</summary>\n\n",
        escape_html(&service.target.cluster),
        escape_html(&service.target.service),
        escape_html(&service.target.region),
    ));
    let sections = sections(service, options);
    if !sections.is_empty() {
        out.push_str("```diff\n");
        for section in &sections {
            // Hunk headers: GitHub sets them apart from the changes, as in a real diff.
            out.push_str(&format!("@@ {} @@\n", section.title));
            for row in &section.rows {
                markdown_row(out, row);
            }
        }
        out.push_str("```\n\n");
    }
    let descriptions = action_descriptions(service);
    if !descriptions.is_empty() {
        out.push_str("**Actions**\n\n");
        for (number, description) in descriptions.iter().enumerate() {
            out.push_str(&format!(
                "{}. {}\n",
                number + 1,
                escape_markdown(description)
            ));
        }
        out.push('\n');
    }
    if !service.notes.is_empty() {
        out.push_str("**Notes**\n\n");
        for note in &service.notes {
            out.push_str(&format!("- {}\n", escape_markdown(note)));
        }
        out.push('\n');
    }
    out.push_str("</details>\n\n");
}

/// A diff line: the sign in the first column (where GitHub looks for it), then the nesting.
fn markdown_row(out: &mut String, row: &Row) {
    let indent = |depth: usize| "  ".repeat(depth);
    match row {
        Row::Group { depth, label } => out.push_str(&format!("  {}{label}\n", indent(*depth))),
        Row::Changed {
            depth,
            label,
            before,
            after,
        } => {
            markdown_block(out, &indent(*depth), Sign::Remove, label, before);
            markdown_block(out, &indent(*depth), Sign::Add, label, after);
        }
        Row::Whole {
            depth,
            sign,
            label,
            value,
        } => markdown_block(out, &indent(*depth), *sign, label, value),
    }
}

fn markdown_block(out: &mut String, indent: &str, sign: Sign, label: &str, value: &Value) {
    let sign = sign.symbol();
    for (index, line) in value_lines(value).iter().enumerate() {
        if index == 0 {
            out.push_str(&format!("{sign} {indent}{label}: {line}\n"));
        } else {
            out.push_str(&format!("{sign} {indent}{line}\n"));
        }
    }
}

/// Backslash-escapes what Markdown (and a table cell) would interpret, and writes `<`, `>` and
/// `&` as entities, so notes and tag values show as written.
fn escape_markdown(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' => {
                escaped.push('\\');
                escaped.push(character);
            }
            '\n' => escaped.push(' '),
            other => escaped.push(other),
        }
    }
    escaped
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

// ---------------------------------------------------------------------------------------------
// JSON

/// The plan for machines; the shape is documented at the top of this file. Pretty-printed, with
/// a trailing newline.
pub(crate) fn json(plan: &Plan, options: &RenderOptions) -> String {
    let mut summary = Map::new();
    for (verb, count) in plan.summary() {
        summary.insert(verb.to_owned(), json!(count));
    }
    for verb in VERBS {
        summary.entry(verb).or_insert(json!(0));
    }
    let services: Vec<Value> = plan
        .services
        .iter()
        .map(|service| {
            json!({
                "target": service.target,
                "actions": service.actions,
                "changes": {
                    "task_definition": masked_changes(&service.changes.task_definition, options),
                    "service": masked_changes(&service.changes.service, options),
                },
                "notes": service.notes,
            })
        })
        .collect();
    let document = json!({
        "format_version": JSON_FORMAT_VERSION,
        "plan_id": plan.plan_id,
        "created_at": plan.created_at,
        "environment": plan.environment,
        "digest": plan.digest,
        "has_changes": plan.has_changes(),
        "summary": summary,
        "services": services,
    });
    let mut text = serde_json::to_string_pretty(&document).expect("JSON values always serialize");
    text.push('\n');
    text
}

// ---------------------------------------------------------------------------------------------
// What the human and Markdown renderings share

/// The mark of a line, the same in both text renderings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sign {
    Add,
    Remove,
    Change,
    None,
}

impl Sign {
    fn symbol(self) -> char {
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
enum Row {
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
struct Section {
    sign: Sign,
    title: String,
    rows: Vec<Row>,
}

fn sections(service: &ServicePlan, options: &RenderOptions) -> Vec<Section> {
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
        rows: diff_rows(&masked_changes(diff, options), 0),
    })
    .collect()
}

/// A diff that adds the whole document: the service or task definition family is new.
fn is_creation(diff: &Diff) -> bool {
    matches!(diff.changes.as_slice(), [Change::Added { path, .. }] if path.is_root())
}

fn service_sign(service: &ServicePlan) -> Sign {
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
fn has_content(service: &ServicePlan) -> bool {
    !service.actions.is_empty() || !service.changes.is_empty() || !service.notes.is_empty()
}

fn summary_line(plan: &Plan) -> String {
    let counts = plan.summary();
    if counts.is_empty() {
        "No changes. The live services match the definitions.".to_owned()
    } else {
        format!("Plan: {}.", counts_text(&counts))
    }
}

fn counts_text(counts: &[(&str, usize)]) -> String {
    counts
        .iter()
        .map(|(verb, count)| format!("{count} to {verb}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Per-verb counts of one service's actions, in the summary's order, zeros left out.
fn verb_counts(actions: &[Action]) -> Vec<(&'static str, usize)> {
    VERBS
        .into_iter()
        .map(|verb| {
            let count = actions
                .iter()
                .filter(|action| action.verb() == verb)
                .count();
            (verb, count)
        })
        .filter(|(_, count)| *count > 0)
        .collect()
}

fn action_descriptions(service: &ServicePlan) -> Vec<String> {
    service.actions.iter().map(describe_action).collect()
}

fn describe_action(action: &Action) -> String {
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

// ---------------------------------------------------------------------------------------------
// From changes to rows: changes grouped under their common parents

/// A node of the tree of changed paths. A step is one object member with the element
/// selectors that follow it (`containerDefinitions[name=app]`, `subnets[1]`), so that a list
/// element always reads together with its list's name.
struct Node<'a> {
    step: &'a [Segment],
    changes: Vec<&'a Change>,
    children: Vec<Node<'a>>,
}

impl<'a> Node<'a> {
    fn insert(&mut self, steps: &[&'a [Segment]], change: &'a Change) {
        let Some((first, rest)) = steps.split_first() else {
            self.changes.push(change);
            return;
        };
        let position = match self.children.iter().position(|child| child.step == *first) {
            Some(position) => position,
            None => {
                self.children.push(Node {
                    step: first,
                    changes: Vec::new(),
                    children: Vec::new(),
                });
                self.children.len() - 1
            }
        };
        self.children[position].insert(rest, change);
    }
}

fn steps(segments: &[Segment]) -> Vec<&[Segment]> {
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

fn ends_with_named(step: &[Segment]) -> bool {
    matches!(step.last(), Some(Segment::Named { .. }))
}

/// The rows of one document's (already masked) changes, starting at `depth`.
fn diff_rows(changes: &[Change], depth: usize) -> Vec<Row> {
    let mut root = Node {
        step: &[],
        changes: Vec::new(),
        children: Vec::new(),
    };
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

fn member_rows(members: &Map<String, Value>, depth: usize, sign: Sign) -> Vec<Row> {
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
fn group_rows(nodes: &[Node<'_>], depth: usize, named_above: bool, rows: &mut Vec<Row>) {
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

fn leaf_row(change: &Change, depth: usize, label: String) -> Row {
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

// ---------------------------------------------------------------------------------------------
// Values as text (JSON, with masked values written as `(sensitive)`)

/// A value on one line, when it is a scalar or a short object or list of scalars.
fn inline(value: &Value) -> Option<String> {
    let text = match value {
        Value::Object(members) => {
            let parts = ordered_members(members)
                .into_iter()
                .map(|(key, value)| Some(format!("{}: {}", json_string(key), scalar(value)?)))
                .collect::<Option<Vec<_>>>()?;
            format!("{{{}}}", parts.join(", "))
        }
        Value::Array(elements) => {
            let parts = elements.iter().map(scalar).collect::<Option<Vec<_>>>()?;
            format!("[{}]", parts.join(", "))
        }
        scalar_value => return scalar(scalar_value),
    };
    (text.chars().count() <= INLINE_WIDTH).then_some(text)
}

/// A scalar (or an empty object or list) as JSON text; a masked value as `(sensitive)`, unquoted,
/// so that it does not read as the variable's actual value.
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if text == SENSITIVE => Some(SENSITIVE.to_owned()),
        Value::String(text) => Some(json_string(text)),
        Value::Object(members) if members.is_empty() => Some("{}".to_owned()),
        Value::Array(elements) if elements.is_empty() => Some("[]".to_owned()),
        Value::Object(_) | Value::Array(_) => None,
        other => Some(other.to_string()),
    }
}

/// A value as indented JSON lines (two spaces a level); short parts stay on one line.
fn value_lines(value: &Value) -> Vec<String> {
    if let Some(text) = inline(value) {
        return vec![text];
    }
    let (open, close, items): (&str, &str, Vec<(Option<&String>, &Value)>) = match value {
        Value::Object(members) => (
            "{",
            "}",
            ordered_members(members)
                .into_iter()
                .map(|(key, value)| (Some(key), value))
                .collect(),
        ),
        Value::Array(elements) => (
            "[",
            "]",
            elements.iter().map(|value| (None, value)).collect(),
        ),
        _ => unreachable!("scalars are always inline"),
    };
    let mut lines = vec![open.to_owned()];
    let count = items.len();
    for (position, (key, item)) in items.into_iter().enumerate() {
        let mut item_lines = value_lines(item);
        if let Some(key) = key {
            item_lines[0] = format!("{}: {}", json_string(key), item_lines[0]);
        }
        if position + 1 < count {
            item_lines.last_mut().expect("never empty").push(',');
        }
        lines.extend(item_lines.into_iter().map(|line| format!("  {line}")));
    }
    lines.push(close.to_owned());
    lines
}

/// Object members in reading order: what identifies the object first (`name`, `key`, `family`:
/// how people look for a container, a tag, a task definition), then the members that fit on
/// one line, then the multi-line ones, so that short facts are not scattered between long
/// blocks (Terraform's order: attributes, then nested blocks). Within each group, the
/// document's (sorted) order.
fn ordered_members(members: &Map<String, Value>) -> Vec<(&String, &Value)> {
    const FIRST: [&str; 3] = ["name", "key", "family"];
    let rank = |(key, value): &(&String, &Value)| {
        if FIRST.contains(&key.as_str()) {
            0
        } else if inline(value).is_some() {
            1
        } else {
            2
        }
    };
    let mut ordered: Vec<(&String, &Value)> = members.iter().collect();
    ordered.sort_by_key(rank); // stable: keeps the document's order within a rank
    ordered
}

fn json_string(text: &str) -> String {
    Value::String(text.to_owned()).to_string()
}

// ---------------------------------------------------------------------------------------------
// Masking

fn masked_changes(diff: &Diff, options: &RenderOptions) -> Vec<Change> {
    diff.changes
        .iter()
        .map(|change| mask_change(change, options))
        .collect()
}

fn mask_change(change: &Change, options: &RenderOptions) -> Change {
    let mut change = change.clone();
    match &mut change {
        Change::Added { path, value } | Change::Removed { path, value } => {
            mask_at(path.segments(), value, options)
        }
        Change::Changed {
            path,
            before,
            after,
        } => {
            mask_at(path.segments(), before, options);
            mask_at(path.segments(), after, options);
        }
    }
    change
}

/// Where a value sits, as far as masking is concerned.
enum Place<'a> {
    Elsewhere,
    /// An `environment` list.
    EnvironmentList,
    /// An element of one; the name when the path names it.
    EnvironmentEntry(Option<&'a str>),
    /// An entry's `value` (or something inside it).
    EnvironmentValue(Option<&'a str>),
}

/// Masks the secret environment values in `value`, which is found at `path` in its document.
fn mask_at(path: &[Segment], value: &mut Value, options: &RenderOptions) {
    let mut place = Place::Elsewhere;
    for segment in path {
        place = match (place, segment) {
            (Place::EnvironmentValue(name), _) => Place::EnvironmentValue(name),
            (_, Segment::Key(key)) if key == "environment" => Place::EnvironmentList,
            (Place::EnvironmentList, Segment::Named { key, value }) if key == "name" => {
                Place::EnvironmentEntry(Some(value))
            }
            (Place::EnvironmentList, Segment::Named { .. } | Segment::Index(_)) => {
                Place::EnvironmentEntry(None)
            }
            (Place::EnvironmentEntry(name), Segment::Key(key)) if key == "value" => {
                Place::EnvironmentValue(name)
            }
            _ => Place::Elsewhere,
        };
    }
    match place {
        Place::EnvironmentValue(name) => {
            // Without a name (a list compared by position) there is no telling: mask.
            if name.is_none_or(|name| options.is_secret_name(name)) {
                *value = Value::String(SENSITIVE.to_owned());
            }
        }
        Place::EnvironmentEntry(name) => mask_entry(value, name, options),
        Place::EnvironmentList => mask_list(value, options),
        Place::Elsewhere => mask_inside(value, options),
    }
}

/// Masks every `environment` list anywhere inside `value` (a container, a whole document).
fn mask_inside(value: &mut Value, options: &RenderOptions) {
    match value {
        Value::Object(members) => {
            for (key, member) in members.iter_mut() {
                if key == "environment" {
                    mask_list(member, options);
                } else {
                    mask_inside(member, options);
                }
            }
        }
        Value::Array(elements) => {
            for element in elements {
                mask_inside(element, options);
            }
        }
        _ => {}
    }
}

fn mask_list(value: &mut Value, options: &RenderOptions) {
    if let Value::Array(entries) = value {
        for entry in entries {
            mask_entry(entry, None, options);
        }
    }
}

/// Masks an environment entry's `value` when its name looks secret or cannot be read.
fn mask_entry(entry: &mut Value, path_name: Option<&str>, options: &RenderOptions) {
    let Value::Object(members) = entry else {
        return;
    };
    let name = members
        .get("name")
        .and_then(Value::as_str)
        .or(path_name)
        .map(str::to_owned);
    if name.is_none_or(|name| options.is_secret_name(&name))
        && let Some(secret) = members.get_mut("value")
    {
        *secret = Value::String(SENSITIVE.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::ecs::Tag;
    use crate::diff::diff;
    use crate::normalize::NormalizeOptions;
    use crate::plan::{Base, Changes, Desired, FORMAT_VERSION, Target};

    const SECRET_VALUES: [&str; 4] = [
        "hunter2",
        "correct-horse-battery",
        "sk_live_51Habc",
        "ghp_tokenvalue",
    ];

    fn task_definition(image: &str, environment: Value) -> Value {
        json!({
            "family": "api",
            "cpu": "256",
            "memory": "512",
            "networkMode": "awsvpc",
            "requiresCompatibilities": ["FARGATE"],
            "executionRoleArn": "arn:aws:iam::123456789012:role/ecsTaskExecutionRole",
            "containerDefinitions": [{
                "name": "app",
                "image": image,
                "essential": true,
                "portMappings": [{"containerPort": 8080, "hostPort": 8080, "protocol": "tcp"}],
                "environment": environment,
                "logConfiguration": {
                    "logDriver": "awslogs",
                    "options": {
                        "awslogs-group": "/ecs/api",
                        "awslogs-region": "ap-northeast-1",
                        "awslogs-stream-prefix": "app"
                    }
                }
            }]
        })
    }

    fn environment() -> Value {
        json!([
            {"name": "DB_HOST", "value": "db.internal"},
            {"name": "DB_PASSWORD", "value": "hunter2"},
        ])
    }

    const IMAGE_1: &str = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:1.4.2";
    const IMAGE_2: &str = "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/api:1.5.0";

    fn service_definition(desired_count: i64, subnets: Value, tags: Value) -> Value {
        json!({
            "launchType": "FARGATE",
            "desiredCount": desired_count,
            "networkConfiguration": {
                "awsvpcConfiguration": {
                    "assignPublicIp": "DISABLED",
                    "securityGroups": ["sg-0a1b2c3d"],
                    "subnets": subnets
                }
            },
            "tags": tags
        })
    }

    fn default_service() -> Value {
        service_definition(
            2,
            json!(["subnet-0aaa", "subnet-0bbb"]),
            json!([{"key": "env", "value": "production"}]),
        )
    }

    fn target(service: &str) -> Target {
        Target {
            region: "ap-northeast-1".into(),
            cluster: "web".into(),
            service: service.into(),
        }
    }

    fn base(exists: bool) -> Base {
        Base {
            service_arn: exists
                .then(|| "arn:aws:ecs:ap-northeast-1:123456789012:service/web/api".into()),
            task_definition_arn: exists
                .then(|| "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:41".into()),
            desired_count: exists.then_some(2),
            deployment_ids: if exists {
                vec!["ecs-svc/1234567890".into()]
            } else {
                Vec::new()
            },
            live_sha256: "0".repeat(64),
        }
    }

    fn service_plan(
        service: &str,
        task_definition: (Option<Value>, Value),
        service_documents: (Option<Value>, Value),
        actions: Vec<Action>,
        notes: Vec<&str>,
    ) -> ServicePlan {
        let exists = service_documents.0.is_some();
        ServicePlan {
            target: target(service),
            normalize: NormalizeOptions::default(),
            base: base(exists),
            changes: Changes {
                task_definition: diff(task_definition.0.as_ref(), &task_definition.1),
                service: diff(service_documents.0.as_ref(), &service_documents.1),
            },
            desired: Desired {
                task_definition: task_definition.1,
                service: Some(service_documents.1),
            },
            actions,
            notes: notes.into_iter().map(str::to_owned).collect(),
        }
    }

    fn plan(services: Vec<ServicePlan>) -> Plan {
        crate::plan::file::seal(Plan {
            format_version: FORMAT_VERSION,
            plan_id: "6f1c2e9a-3b7d-4c55-9e2f-8a0d1b2c3e4f".into(),
            created_at: "2025-06-01T09:30:00Z".into(),
            // Fixed rather than the crate's version, so that a release does not churn snapshots.
            ristretto_version: "0.1.0".into(),
            environment: Some("prod".into()),
            services,
            secret_patterns: Vec::new(),
            digest: String::new(),
        })
    }

    fn register() -> Action {
        Action::RegisterTaskDefinition {
            family: "api".into(),
        }
    }

    fn update(task_definition: Option<TaskDefinitionRef>, fields: Value) -> Action {
        let Value::Object(fields) = fields else {
            panic!("fields are an object")
        };
        Action::UpdateService {
            task_definition,
            fields,
            force_new_deployment: false,
        }
    }

    fn unchanged(
        task: &Value,
        service: &Value,
    ) -> ((Option<Value>, Value), (Option<Value>, Value)) {
        (
            (Some(task.clone()), task.clone()),
            (Some(service.clone()), service.clone()),
        )
    }

    fn create_plan() -> Plan {
        let task = task_definition(IMAGE_1, environment());
        plan(vec![service_plan(
            "api",
            (None, task),
            (None, default_service()),
            vec![
                register(),
                Action::CreateService {
                    task_definition: TaskDefinitionRef::Registered,
                },
            ],
            vec![],
        )])
    }

    fn image_changed_service() -> ServicePlan {
        let service = default_service();
        service_plan(
            "api",
            (
                Some(task_definition(IMAGE_1, environment())),
                task_definition(IMAGE_2, environment()),
            ),
            (Some(service.clone()), service),
            vec![
                register(),
                update(Some(TaskDefinitionRef::Registered), json!({})),
            ],
            vec![],
        )
    }

    fn image_changed_plan() -> Plan {
        plan(vec![image_changed_service()])
    }

    fn no_changes_plan() -> Plan {
        let (task, service) =
            unchanged(&task_definition(IMAGE_1, environment()), &default_service());
        plan(vec![service_plan("api", task, service, vec![], vec![])])
    }

    fn count_and_subnets_plan() -> Plan {
        let task = task_definition(IMAGE_1, environment());
        let tags = json!([{"key": "env", "value": "production"}]);
        let after = service_definition(
            3,
            json!(["subnet-0aaa", "subnet-0ccc", "subnet-0ddd"]),
            tags,
        );
        let network = after["networkConfiguration"].clone();
        plan(vec![service_plan(
            "api",
            (Some(task.clone()), task),
            (Some(default_service()), after),
            vec![update(
                None,
                json!({"desiredCount": 3, "networkConfiguration": network}),
            )],
            vec![],
        )])
    }

    fn tags_plan() -> Plan {
        let task = task_definition(IMAGE_1, environment());
        let subnets = json!(["subnet-0aaa", "subnet-0bbb"]);
        let before = service_definition(
            2,
            subnets.clone(),
            json!([
                {"key": "env", "value": "production"},
                {"key": "owner", "value": "alice"},
            ]),
        );
        let after = service_definition(
            2,
            subnets,
            json!([
                {"key": "env", "value": "prod"},
                {"key": "team", "value": "payments"},
            ]),
        );
        plan(vec![service_plan(
            "api",
            (Some(task.clone()), task),
            (Some(before), after),
            vec![
                Action::TagService {
                    tags: vec![
                        Tag {
                            key: "env".into(),
                            value: "prod".into(),
                        },
                        Tag {
                            key: "team".into(),
                            value: "payments".into(),
                        },
                    ],
                },
                Action::UntagService {
                    keys: vec!["owner".into()],
                },
            ],
            vec![],
        )])
    }

    fn secret_changed_plan() -> Plan {
        let service = default_service();
        let after_environment = json!([
            {"name": "DB_HOST", "value": "db2.internal"},
            {"name": "DB_PASSWORD", "value": "correct-horse-battery"},
            {"name": "github_token", "value": "ghp_tokenvalue"},
        ]);
        plan(vec![service_plan(
            "api",
            (
                Some(task_definition(IMAGE_1, environment())),
                task_definition(IMAGE_1, after_environment),
            ),
            (Some(service.clone()), service),
            vec![
                register(),
                update(Some(TaskDefinitionRef::Registered), json!({})),
            ],
            vec![],
        )])
    }

    fn container_added_plan() -> Plan {
        let service = default_service();
        let before = task_definition(IMAGE_1, environment());
        let mut after = before.clone();
        after["containerDefinitions"]
            .as_array_mut()
            .unwrap()
            .push(json!({
                "name": "worker",
                "image": "123456789012.dkr.ecr.ap-northeast-1.amazonaws.com/worker:2.0.1",
                "essential": false,
                "command": ["bundle", "exec", "sidekiq"],
                "environment": [
                    {"name": "QUEUE", "value": "default"},
                    {"name": "STRIPE_SECRET_KEY", "value": "sk_live_51Habc"},
                ],
            }));
        plan(vec![service_plan(
            "api",
            (Some(before), after),
            (Some(service.clone()), service),
            vec![
                register(),
                update(Some(TaskDefinitionRef::Registered), json!({})),
            ],
            vec![],
        )])
    }

    fn multi_service_plan() -> Plan {
        let worker_task = json!({
            "family": "worker",
            "cpu": "512",
            "memory": "1024",
            "containerDefinitions": [{"name": "worker", "image": "worker:2.0.1", "essential": true}],
        });
        let worker_before = service_definition(
            1,
            json!(["subnet-0aaa"]),
            json!([{"key": "env", "value": "production"}]),
        );
        let mut worker_after = worker_before.clone();
        worker_after["desiredCount"] = json!(4);
        let mut worker = service_plan(
            "worker",
            (Some(worker_task.clone()), worker_task),
            (Some(worker_before), worker_after),
            vec![update(None, json!({"desiredCount": 4}))],
            vec![
                "healthCheckGracePeriodSeconds is set on the live service but not in the definition; UpdateService cannot unset it, so it is left as it is",
            ],
        );
        worker.target.cluster = "batch".into();
        plan(vec![image_changed_service(), worker])
    }

    fn all_plans() -> Vec<(&'static str, Plan)> {
        vec![
            ("create", create_plan()),
            ("image_changed", image_changed_plan()),
            ("no_changes", no_changes_plan()),
            ("count_and_subnets", count_and_subnets_plan()),
            ("tags", tags_plan()),
            ("secret_changed", secret_changed_plan()),
            ("container_added", container_added_plan()),
            ("multi_service", multi_service_plan()),
        ]
    }

    fn renderings(plan: &Plan) -> Vec<(&'static str, String)> {
        let options = RenderOptions::default();
        let colored = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        vec![
            ("human", human(plan, &options)),
            ("human (colour)", human(plan, &colored)),
            ("markdown", markdown(plan, &options)),
            ("json", json(plan, &options)),
        ]
    }

    #[test]
    fn snapshots() {
        for (name, plan) in all_plans() {
            let options = RenderOptions::default();
            insta::assert_snapshot!(format!("{name}.human"), human(&plan, &options));
            insta::assert_snapshot!(format!("{name}.markdown"), markdown(&plan, &options));
            insta::assert_snapshot!(format!("{name}.json"), json(&plan, &options));
        }
    }

    #[test]
    fn no_secret_value_appears_in_any_rendering() {
        for (name, plan) in all_plans() {
            for (format, text) in renderings(&plan) {
                for secret in SECRET_VALUES {
                    assert!(
                        !text.contains(secret),
                        "{name} ({format}) shows the secret {secret}:\n{text}"
                    );
                }
            }
        }
    }

    #[test]
    fn secret_changes_are_still_visible_as_changes() {
        let text = human(&secret_changed_plan(), &RenderOptions::default());
        assert!(text.contains("environment[name=DB_PASSWORD].value: (sensitive) → (sensitive)"));
        assert!(
            text.contains(r#"environment[name=DB_HOST].value: "db.internal" → "db2.internal""#)
        );
        let text = human(&container_added_plan(), &RenderOptions::default());
        assert!(text.contains(r#""value": "default""#));
    }

    #[test]
    fn patterns_are_case_insensitive_substrings_and_configurable() {
        let options = RenderOptions::default();
        assert!(options.is_secret_name("db_password"));
        assert!(options.is_secret_name("AWS_SECRET_ACCESS_KEY"));
        assert!(options.is_secret_name("Github_Token"));
        assert!(!options.is_secret_name("DB_HOST"));
        let options = RenderOptions {
            color: false,
            secret_patterns: vec!["*dsn*".into()],
        };
        assert!(options.is_secret_name("SENTRY_DSN"));
        assert!(!options.is_secret_name("DB_PASSWORD"));
    }

    #[test]
    fn masks_entries_whose_name_cannot_be_told() {
        let options = RenderOptions::default();
        let path: Path = serde_json::from_value(json!([
            "containerDefinitions", {"name": "app"}, "environment", 1, "value"
        ]))
        .unwrap();
        let change = Change::Changed {
            path,
            before: json!("a"),
            after: json!("b"),
        };
        let Change::Changed { before, after, .. } = mask_change(&change, &options) else {
            unreachable!()
        };
        assert_eq!((before, after), (json!(SENSITIVE), json!(SENSITIVE)));
    }

    #[test]
    fn colour_only_in_the_human_rendering_and_only_when_asked() {
        let colored = RenderOptions {
            color: true,
            ..RenderOptions::default()
        };
        for (name, plan) in all_plans() {
            assert!(
                !human(&plan, &RenderOptions::default()).contains('\x1b'),
                "{name}"
            );
            assert!(human(&plan, &colored).contains('\x1b'), "{name}");
            assert!(!markdown(&plan, &colored).contains('\x1b'), "{name}");
            assert!(!json(&plan, &colored).contains('\x1b'), "{name}");
        }
        let text = human(&image_changed_plan(), &colored);
        assert!(text.contains("\x1b[33m~\x1b[0m"));
        assert!(text.contains("\x1b[1mPlan: 1 to register, 1 to update.\x1b[0m"));
    }

    #[test]
    fn summary_lines() {
        let options = RenderOptions::default();
        assert!(
            human(&image_changed_plan(), &options)
                .ends_with("\nPlan: 1 to register, 1 to update.\n")
        );
        assert_eq!(
            human(&no_changes_plan(), &options),
            "No changes. The live services match the definitions.\n"
        );
        assert!(
            human(&multi_service_plan(), &options)
                .ends_with("\nPlan: 1 to register, 2 to update.\n")
        );
    }

    #[test]
    fn markdown_shows_only_the_image_as_changed() {
        let text = markdown(&image_changed_plan(), &RenderOptions::default());
        let changed: Vec<&str> = text
            .lines()
            .filter(|line| line.starts_with('+') || line.starts_with('-'))
            .collect();
        assert_eq!(
            changed,
            vec![
                format!(r#"-   image: "{IMAGE_1}""#),
                format!(r#"+   image: "{IMAGE_2}""#),
            ]
        );
    }

    #[test]
    fn json_has_the_documented_shape() {
        let value: Value =
            serde_json::from_str(&json(&multi_service_plan(), &RenderOptions::default())).unwrap();
        assert_eq!(value["format_version"], json!(JSON_FORMAT_VERSION));
        assert_eq!(value["has_changes"], json!(true));
        assert_eq!(
            value["summary"],
            json!({"register": 1, "create": 0, "update": 2, "tag": 0})
        );
        assert_eq!(value["services"][1]["target"]["service"], json!("worker"));
        assert_eq!(
            value["services"][0]["changes"]["task_definition"][0]["path"],
            json!(["containerDefinitions", {"name": "app"}, "image"])
        );
        let value: Value =
            serde_json::from_str(&json(&no_changes_plan(), &RenderOptions::default())).unwrap();
        assert_eq!(value["has_changes"], json!(false));
    }

    #[test]
    fn plan_file_schema_accepts_every_plan_and_rejects_a_broken_one() {
        let schema: Value = serde_json::from_str(include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/schemas/plan.schema.json"
        )))
        .unwrap();
        let validator = jsonschema::validator_for(&schema).unwrap();
        let mut plans: Vec<Plan> = all_plans().into_iter().map(|(_, plan)| plan).collect();
        // Every action and reference kind at least once.
        let mut other = image_changed_plan();
        other.environment = None;
        other.services[0].actions = vec![
            Action::CreateService {
                task_definition: TaskDefinitionRef::Existing {
                    arn: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:7".into(),
                },
            },
            Action::UpdateService {
                task_definition: None,
                fields: Map::new(),
                force_new_deployment: true,
            },
        ];
        other.services[0].desired.service = None;
        plans.push(other);
        for plan in &plans {
            let value = serde_json::to_value(plan).unwrap();
            let errors: Vec<String> = validator
                .iter_errors(&value)
                .map(|error| format!("{}: {error}", error.instance_path()))
                .collect();
            assert!(errors.is_empty(), "{errors:#?}");
        }
        let mut broken = serde_json::to_value(&plans[0]).unwrap();
        broken["services"][0]["actions"][0]["action"] = json!("delete_service");
        assert!(!validator.is_valid(&broken));
        let mut broken = serde_json::to_value(&plans[1]).unwrap();
        broken["services"][0]["changes"]["task_definition"]["changes"][0]["path"] =
            json!([{"name": "app", "extra": "x"}]);
        assert!(!validator.is_valid(&broken));
    }

    #[test]
    fn notes_are_shown_without_changes_and_unchanged_services_are_named() {
        let mut quiet = no_changes_plan();
        quiet.services[0].notes = vec!["the live service is DRAINING".into()];
        let options = RenderOptions::default();
        assert_eq!(
            human(&quiet, &options),
            "    service web/api (ap-northeast-1)\n      Notes:\n        • the live service is DRAINING\n\n\
             No changes. The live services match the definitions.\n"
        );
        let text = markdown(&quiet, &options);
        assert!(
            text.contains("<summary><code>web/api</code> (ap-northeast-1): no changes</summary>")
        );
        assert!(text.contains("- the live service is DRAINING\n"));
        assert!(!text.contains("```diff"));

        let mut two = multi_service_plan();
        two.services[1].actions.clear();
        two.services[1].notes.clear();
        two.services[1].changes.service = Diff::default();
        let text = human(&two, &options);
        assert!(text.contains("\n    service batch/worker (ap-northeast-1): no changes\n"));
        assert!(text.ends_with("\nPlan: 1 to register, 1 to update.\n"));
        assert!(
            markdown(&two, &options).contains("| worker | batch | ap-northeast-1 | no changes |")
        );
    }

    #[test]
    fn every_action_has_a_description() {
        let existing = TaskDefinitionRef::Existing {
            arn: "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:7".into(),
        };
        let cases = [
            (register(), "register task definition api (new revision)"),
            (
                Action::CreateService {
                    task_definition: TaskDefinitionRef::Registered,
                },
                "create service",
            ),
            (
                Action::CreateService {
                    task_definition: existing.clone(),
                },
                "create service with task definition api:7",
            ),
            (
                update(
                    Some(TaskDefinitionRef::Registered),
                    json!({"desiredCount": 3}),
                ),
                "update service: taskDefinition, desiredCount",
            ),
            (
                Action::UpdateService {
                    task_definition: Some(existing),
                    fields: Map::new(),
                    force_new_deployment: true,
                },
                "update service: taskDefinition (api:7), force new deployment",
            ),
            (
                Action::UntagService {
                    keys: vec!["a".into(), "b".into()],
                },
                "untag: a, b",
            ),
        ];
        for (action, expected) in cases {
            assert_eq!(describe_action(&action), expected);
        }
    }

    #[test]
    fn long_changes_wrap_with_the_values_aligned() {
        let text = human(&image_changed_plan(), &RenderOptions::default());
        let lines: Vec<&str> = text.lines().collect();
        let old = lines
            .iter()
            .position(|line| line.contains("~ image: "))
            .unwrap();
        let column = |line: &str| line.chars().position(|character| character == '"');
        let (old_column, new_column) = (column(lines[old]), column(lines[old + 1]));
        assert_eq!(old_column, new_column);
        assert_eq!(lines[old + 1].trim_start().chars().next(), Some('→'));
    }

    #[test]
    fn rows_group_changes_under_common_parents() {
        let before = json!({"containerDefinitions": [
            {"name": "app", "image": "a:1", "cpu": 128},
            {"name": "log", "image": "fluent-bit:1"},
        ]});
        let after = json!({"containerDefinitions": [
            {"name": "app", "image": "a:2", "cpu": 256},
            {"name": "log", "image": "fluent-bit:2"},
        ]});
        let labels: Vec<(usize, String)> = diff_rows(&diff(Some(&before), &after).changes, 0)
            .into_iter()
            .map(|row| match row {
                Row::Group { depth, label }
                | Row::Changed { depth, label, .. }
                | Row::Whole { depth, label, .. } => (depth, label),
            })
            .collect();
        assert_eq!(
            labels,
            vec![
                (0, "containerDefinitions[name=app]".to_owned()),
                (1, "cpu".to_owned()),
                (1, "image".to_owned()),
                (0, "containerDefinitions[name=log]".to_owned()),
                (1, "image".to_owned()),
            ]
        );
    }
}
