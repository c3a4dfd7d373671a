//! The plan for a terminal, Terraform-like: per service its changes nested under their common
//! parents (the rows), its actions and notes, then `Plan: 1 to register, 1 to update.`, with
//! ANSI colour when asked for.

use serde_json::Value;

use super::RenderOptions;
use super::rows::{
    Row, Sign, action_descriptions, has_content, ordered_findings, policy_verdict, sections,
    service_sign, summary_line,
};
use super::values::{inline, value_lines};
use crate::output::{Style, paint};
use crate::plan::{Plan, PolicyCheck, ServicePlan};
use crate::policy::Severity;

/// Longest `label: old → new` line before the new value goes on a line of its own.
const WRAP_WIDTH: usize = 100;

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
    if let Some(policy) = &plan.policy {
        human_policy(&mut out, policy, color);
    }
    out
}

/// `Policies: refused: …`, then every finding as `deny  FILE:LINE RULE: message`.
fn human_policy(out: &mut String, policy: &PolicyCheck, color: bool) {
    let verdict = format!("Policies: {}.", policy_verdict(policy));
    let style = if policy.denials().next().is_some() {
        Style::Error
    } else {
        Style::Bold
    };
    out.push('\n');
    out.push_str(&paint(color, style, &verdict));
    out.push('\n');
    for finding in ordered_findings(policy) {
        let (label, style) = match finding.severity {
            Severity::Deny => ("deny", Style::Error),
            Severity::Warn => ("warn", Style::Warning),
        };
        out.push_str(&format!(
            "  {} {}:{} {}: {}\n",
            paint(color, style, label),
            finding.file,
            finding.line,
            finding.rule,
            finding.message
        ));
    }
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
