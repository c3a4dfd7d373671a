//! The one top-level error. Every module has its own `thiserror` enum; they meet here, and this
//! type alone decides the exit code and the hint printed under the message. Rendering the
//! error for a person is `output`'s job, not this module's.

use crate::apply::{ApplyError, ApplyErrorKind};
use crate::aws::AwsError;
use crate::config::ConfigError;
use crate::definition::DefinitionErrors;
use crate::exit_code;
use crate::live::LiveError;
use crate::lock::{LockError, Signal};
use crate::plan::PlanError;
use crate::plan::file::PlanFileError;
use crate::policy::{Finding, PolicyError};
use crate::render::RenderError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Render(#[from] RenderError),
    #[error("{}: {} problem{} in the {what}", path.display(), problems.problems.len(), if problems.problems.len() == 1 { "" } else { "s" })]
    Definition {
        path: PathBuf,
        what: &'static str,
        problems: DefinitionErrors,
    },
    /// Several independent errors found by one command (`validate` reports all of them).
    #[error("{} errors found", .0.len())]
    Many(Vec<Error>),
    #[error(transparent)]
    Aws(#[from] AwsError),
    #[error(transparent)]
    Live(#[from] LiveError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Ownership(#[from] crate::tfstate::OwnershipError),
    #[error(transparent)]
    PlanFile(#[from] PlanFileError),
    /// Boxed: the largest error by far, and errors travel through every `Result`.
    #[error(transparent)]
    Apply(Box<ApplyError>),
    #[error(transparent)]
    Lock(#[from] LockError),
    #[error(transparent)]
    AppSpec(#[from] crate::appspec::AppSpecError),
    /// A policy file that cannot be read, parsed or evaluated.
    #[error(transparent)]
    Policy(#[from] PolicyError),
    /// A `deny` or `violation` rule matched the plan (exit 6).
    #[error(
        "the plan is refused by policy:\n{}",
        crate::policy::finding_lines(findings)
    )]
    PolicyDenied { findings: Vec<Finding> },
    /// SIGINT or SIGTERM stopped the command; the lock was released.
    #[error("interrupted by {}: stopped before the next change; the deploy lock was released", .0.name())]
    Interrupted(Signal),
    /// A saved plan that must not be applied here (stale, applied, other target).
    #[error("{message}")]
    PlanRefused {
        message: String,
        hint: Option<String>,
    },
    /// A command's own failure that is not bad input: a one-off task that failed to start, a
    /// revision that is in use, a resource `verify` found missing.
    #[error("{message}")]
    Failed {
        message: String,
        hint: Option<String>,
    },
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

impl From<ApplyError> for Error {
    fn from(error: ApplyError) -> Self {
        Error::Apply(Box::new(error))
    }
}

impl Error {
    pub(crate) fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    pub(crate) fn failed(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Failed {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The process exit code for this error (constants in `exit_code`).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_)
            | Error::Render(_)
            | Error::Definition { .. }
            | Error::Usage { .. }
            | Error::Failed { .. }
            | Error::Stdout(_)
            | Error::Aws(_)
            | Error::Live(_)
            | Error::Plan(_)
            | Error::AppSpec(_)
            | Error::Policy(_)
            | Error::Ownership(_) => exit_code::ERROR,
            Error::PolicyDenied { .. } => exit_code::REFUSED_BY_POLICY,
            Error::PlanFile(error) if error.is_refusal() => exit_code::PLAN_REFUSED,
            Error::PlanFile(_) => exit_code::ERROR,
            Error::PlanRefused { .. } => exit_code::PLAN_REFUSED,
            // Several failures (services of one plan, files of one validate): the gravest
            // decides, so a rolled-back service still exits 5 next to a refused one.
            Error::Many(errors) => errors
                .iter()
                .map(Error::exit_code)
                .max()
                .unwrap_or(exit_code::ERROR),
            Error::Apply(error) => match error.kind() {
                ApplyErrorKind::Error => exit_code::ERROR,
                ApplyErrorKind::LockHeld => exit_code::LOCK_NOT_ACQUIRED,
                ApplyErrorKind::Refused => exit_code::PLAN_REFUSED,
                ApplyErrorKind::DeploymentFailed => exit_code::DEPLOYMENT_FAILED,
                ApplyErrorKind::RefusedByPolicy => exit_code::REFUSED_BY_POLICY,
            },
            Error::Lock(error) if error.is_held() => exit_code::LOCK_NOT_ACQUIRED,
            Error::Lock(_) => exit_code::ERROR,
            // The shell convention for death by signal: 128 + the signal number.
            Error::Interrupted(Signal::Interrupt) => 130,
            Error::Interrupted(Signal::Terminate) => 143,
        }
    }

    /// Advice printed after `hint:`, when there is something useful to say.
    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            Error::Config(error) => error.hint(),
            Error::Render(error) => error.hint(),
            Error::Definition { what, .. } => Some(format!(
                "the {what} is the input of the AWS CLI's {} --cli-input-json",
                if *what == "task definition" {
                    "ecs register-task-definition"
                } else {
                    "ecs create-service"
                }
            )),
            Error::Usage { hint, .. }
            | Error::PlanRefused { hint, .. }
            | Error::Failed { hint, .. } => hint.clone(),
            Error::Aws(error) => error.hint(),
            Error::Live(error) => error.hint(),
            Error::Plan(error) => error.hint(),
            Error::Ownership(error) => error.hint(),
            Error::PlanFile(error) => error.hint(),
            Error::Apply(error) => error.hint(),
            Error::Lock(error) => error.hint(),
            Error::AppSpec(error) => error.hint(),
            Error::Policy(error) => error.hint(),
            Error::PolicyDenied { .. } => Some(crate::policy::DENIED_HINT.into()),
            Error::Interrupted(_) => {
                Some("the service may be mid-rollout: check it with ristretto status".into())
            }
            Error::Many(_) | Error::Stdout(_) => None,
        }
    }
}
