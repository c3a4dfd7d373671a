//! The plan for a pull-request comment: a summary table, then per service a collapsible block
//! with its changes as a `diff` code block (GitHub colours `+` and `-` lines), actions and
//! notes, and the plan id and digest at the bottom. Never contains ANSI codes; every text from
//! a definition or from AWS is escaped.

use serde_json::Value;

use super::RenderOptions;
use super::rows::{
    Row, Sign, action_descriptions, counts_text, has_content, ordered_findings, policy_verdict,
    sections, service_sign, summary_line,
};
use super::values::value_lines;
use crate::plan::{Plan, PolicyCheck, ServicePlan, Verb};
use crate::policy::Severity;

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
    if let Some(policy) = &plan.policy {
        markdown_policy(&mut out, policy);
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

/// The policy verdict near the top, where a reviewer sees it first, with every finding.
fn markdown_policy(out: &mut String, policy: &PolicyCheck) {
    out.push_str(&format!(
        "**Policies: {}**\n\n",
        escape_markdown(&policy_verdict(policy))
    ));
    let findings = ordered_findings(policy);
    for finding in &findings {
        let label = match finding.severity {
            Severity::Deny => "**deny**",
            Severity::Warn => "warn",
        };
        out.push_str(&format!(
            "- {label} <code>{}:{}</code> <code>{}</code>: {}\n",
            escape_html(&finding.file),
            finding.line,
            escape_html(&finding.rule),
            escape_markdown(&finding.message)
        ));
    }
    if !findings.is_empty() {
        out.push('\n');
    }
}

fn markdown_service(out: &mut String, service: &ServicePlan, options: &RenderOptions) {
    let counts = Verb::counts(&service.actions);
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
