//! How an error reads on stderr:
//!
//! ```text
//! error: ecs-task-def.json: 2 problems in the task definition
//!   containerDefinitions[0].enviroment: unknown field, did you mean environment?
//! caused by: ...
//! hint: ...
//! ```
//!
//! A pure function of the error, so that every message can be snapshot-tested.

use std::error::Error as _;

use super::{Style, paint};
use crate::error::Error;

pub(crate) fn render(error: &Error, color: bool) -> String {
    let mut out = String::new();
    render_into(&mut out, error, color);
    out
}

fn render_into(out: &mut String, error: &Error, color: bool) {
    let label = paint(color, Style::Error, "error:");
    match error {
        Error::Many(errors) => {
            for (index, inner) in errors.iter().enumerate() {
                if index > 0 {
                    out.push('\n');
                }
                render_into(out, inner, color);
            }
            return;
        }
        Error::Definition { problems, .. } => {
            out.push_str(&format!("{label} {error}\n"));
            for problem in &problems.problems {
                out.push_str(&format!("  {}: {}\n", problem.path, problem.message));
                if let Some(hint) = &problem.hint {
                    out.push_str(&format!(
                        "    {} {hint}\n",
                        paint(color, Style::Hint, "hint:")
                    ));
                }
            }
        }
        _ => {
            out.push_str(&format!(
                "{label} {}\n",
                indent_continuation(&error.to_string())
            ));
            // A Rego error's source line and caret, aligned as regorus made them.
            let excerpt = match error {
                Error::Policy(policy) => policy.excerpt(),
                Error::Apply(apply) => match apply.as_ref() {
                    crate::apply::ApplyError::Policy(policy) => policy.excerpt(),
                    _ => &[],
                },
                _ => &[],
            };
            for line in excerpt {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    let mut source = error.source();
    // Transparent variants repeat their inner message as the first source; skip what is
    // already printed.
    let printed = error.to_string();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !printed.ends_with(&text) {
            out.push_str(&format!(
                "{} {}\n",
                paint(color, Style::Bold, "caused by:"),
                indent_continuation(&text)
            ));
        }
        source = cause.source();
    }
    if let Some(hint) = error.hint() {
        out.push_str(&format!("{} {hint}\n", paint(color, Style::Hint, "hint:")));
    }
}

/// Multi-line messages (Jsonnet stack traces) are indented under their first line.
fn indent_continuation(text: &str) -> String {
    let mut lines = text.lines();
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        out.push_str("\n  ");
        out.push_str(line.trim_start());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Finding, Location, PolicyError, Severity};

    #[test]
    fn policy_refusals_and_rego_errors() {
        let denied = Error::PolicyDenied {
            findings: vec![
                Finding {
                    severity: Severity::Deny,
                    file: "policies/image_tags.rego".into(),
                    rule: "deny_latest".into(),
                    line: 8,
                    message: "web/api: container app runs nginx:latest: pin a version".into(),
                },
                Finding {
                    severity: Severity::Deny,
                    file: "policies/privileges.rego".into(),
                    rule: "deny_privileged".into(),
                    line: 7,
                    message: "web/api: container app is privileged".into(),
                },
            ],
        };
        // The caret stays under the place: continuation lines of the excerpt keep their spaces.
        let syntax = Error::Policy(PolicyError::Syntax {
            location: Location {
                file: "policies/broken.rego".into(),
                line: Some(6),
                column: Some(9),
            },
            message: "expecting `}` while parsing set".into(),
            excerpt: vec![
                "6 |  msg := sprintf(\"%s\", [input.x]".into(),
                "  |         ^".into(),
            ],
        });
        let evaluation = Error::from(crate::apply::ApplyError::Policy(PolicyError::Evaluation {
            location: Location {
                file: "policies/broken.rego".into(),
                line: Some(7),
                column: Some(9),
            },
            rule: "deny".into(),
            message: "`concat` expects array or set argument".into(),
            excerpt: vec![
                "7 |  msg := concat(\", \", x)".into(),
                "  |         ^".into(),
            ],
        }));
        let text = [denied, syntax, evaluation]
            .iter()
            .map(|error| render(error, false))
            .collect::<Vec<_>>()
            .join("\n");
        insta::assert_snapshot!(text);
        assert_eq!(
            Error::PolicyDenied { findings: vec![] }.exit_code(),
            crate::exit_code::REFUSED_BY_POLICY
        );
    }
}
