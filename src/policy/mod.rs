//! Policies in Rego, evaluated in-process (ARCHITECTURE.md §4, "Policies"): loading a policy
//! set (`.rego` files and the JSON/YAML data files next to them), its digest, evaluating it on
//! the JSON form of a plan, and running its own `test_*` rules (`ristretto policy test`).
//!
//! conftest's conventions: rules of `package main` named `deny`, `violation` or `warn` (or
//! starting with `deny_`, `violation_`, `warn_`) produce messages — strings, or objects with a
//! `msg` member; a `deny` or `violation` message refuses the plan, a `warn` message is shown. A
//! file may be written in Rego v1 (`deny contains msg if { … }`, with or without `import
//! rego.v1`) or in the classic syntax (`deny[msg] { … }`).
//!
//! Responsible for: reading the files, turning every Rego, data and evaluation problem into a
//! `PolicyError` with its file and line, and returning findings as data, each with the file,
//! rule and line that produced it. Must not: print, decide exit codes (the caller does: a
//! denial is exit 6), or know what a plan is (the caller builds the input document).

mod files;
mod rego;
mod testing;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

pub(crate) use files::{PolicySource, SourceOrigin};
pub(crate) use rego::PolicySet;
pub(crate) use testing::{TestOutcome, TestResult};

/// What a finding does to the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Severity {
    /// A `deny` or `violation` rule matched: the plan is refused (exit 6).
    Deny,
    /// A `warn` rule matched: shown, and the plan goes on.
    Warn,
}

/// One message of one rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub(crate) struct Finding {
    pub severity: Severity,
    /// The policy file, as the policy set names it (the path it was loaded from).
    pub file: String,
    /// The rule's name as written (`deny`, `violation`, `warn`, `deny_latest`, …).
    pub rule: String,
    /// The line of the rule's head in `file`.
    pub line: u32,
    pub message: String,
}

/// What to do about a denial, for the refusal at plan and at apply alike.
pub(crate) const DENIED_HINT: &str = "change the definitions so that the deny rules pass, or the \
     policies if they are wrong (check them with ristretto policy test); warn rules never refuse \
     a plan";

/// Findings one per line, as refusals list them: `  FILE:LINE RULE: message`.
pub(crate) fn finding_lines(findings: &[Finding]) -> String {
    findings
        .iter()
        .map(|finding| {
            format!(
                "  {}:{} {}: {}",
                finding.file, finding.line, finding.rule, finding.message
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum PolicyError {
    #[error("{}: no such file or directory (from {origin})", path.display())]
    Missing { path: PathBuf, origin: SourceOrigin },
    #[error("{}: not a policy (.rego) or data (.json, .yaml, .yml) file (from {origin})", path.display())]
    UnknownKind { path: PathBuf, origin: SourceOrigin },
    #[error("{}: no .rego files in this directory (from {origin})", path.display())]
    NoPolicies { path: PathBuf, origin: SourceOrigin },
    #[error("cannot read {}: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A data file that is not JSON or YAML; the render error names file, line and column.
    #[error(transparent)]
    Data(#[from] crate::render::RenderError),
    #[error("{}: data files must hold an object (a map of keys) at the top, found {found}", path.display())]
    DataNotAnObject { path: PathBuf, found: &'static str },
    #[error("{}: data key {key} is also defined by {}", path.display(), other.display())]
    DataConflict {
        path: PathBuf,
        other: PathBuf,
        key: String,
    },
    /// Rego that does not parse or compile.
    #[error("{location}: {message}")]
    Syntax {
        location: Location,
        message: String,
        excerpt: Vec<String>,
    },
    /// A rule that fails while it is evaluated (a builtin given the wrong type, a function or
    /// complete rule with conflicting values, …): the policy did not decide, so nothing goes on.
    #[error("{location}: evaluating {rule}: {message}")]
    Evaluation {
        location: Location,
        rule: String,
        message: String,
        excerpt: Vec<String>,
    },
}

/// Where in a policy file: `file:line:column`, or the file alone when Rego did not say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub file: String,
    pub line: Option<u32>,
    pub column: Option<u32>,
}

impl std::fmt::Display for Location {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(formatter, ":{line}")?;
            if let Some(column) = self.column {
                write!(formatter, ":{column}")?;
            }
        }
        Ok(())
    }
}

impl PolicyError {
    /// The source line and a caret under the place, as regorus shows them (`12 | code`,
    /// `   |   ^`): for the error's rendering, which must keep their leading spaces.
    pub(crate) fn excerpt(&self) -> &[String] {
        match self {
            PolicyError::Syntax { excerpt, .. } | PolicyError::Evaluation { excerpt, .. } => {
                excerpt
            }
            _ => &[],
        }
    }

    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            PolicyError::Missing { .. } => Some(
                "policy paths in the config are relative to the config file; --policy paths to the working directory".into(),
            ),
            PolicyError::UnknownKind { .. } => Some(
                "give a .rego file, a data file, or a directory holding them".into(),
            ),
            PolicyError::NoPolicies { .. } => {
                Some("policies are .rego files; *_test.rego files hold tests only".into())
            }
            PolicyError::Syntax { .. } => Some(
                "policies follow conftest: package main, deny/warn/violation rules, in Rego v1 \
                 (deny contains msg if { … }) or the classic syntax (deny[msg] { … }); check \
                 them with ristretto policy test"
                    .into(),
            ),
            PolicyError::Evaluation { .. } => Some(
                "nothing goes on while a rule fails: fix it, and cover the case with a test_ \
                 rule (ristretto policy test)"
                    .into(),
            ),
            PolicyError::DataConflict { .. } => {
                Some("each top-level data key may come from one data file only".into())
            }
            PolicyError::Data(error) => error.hint(),
            PolicyError::Read { .. } | PolicyError::DataNotAnObject { .. } => None,
        }
    }
}
