//! The one top-level error. Every module has its own `thiserror` enum; they meet here, and this
//! type alone decides the exit code and the hint printed under the message. Rendering the
//! error for a person is `output`'s job, not this module's.

use crate::config::ConfigError;
use crate::definition::DefinitionErrors;
use crate::exit_code;
use crate::render::RenderError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
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
    #[error("{message}")]
    Usage {
        message: String,
        hint: Option<String>,
    },
    #[error("cannot write to stdout")]
    Stdout(#[source] std::io::Error),
}

impl Error {
    pub fn usage(message: impl Into<String>, hint: impl Into<Option<String>>) -> Self {
        Error::Usage {
            message: message.into(),
            hint: hint.into(),
        }
    }

    /// The process exit code for this error (constants in `exit_code`).
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Config(_)
            | Error::Render(_)
            | Error::Definition { .. }
            | Error::Many(_)
            | Error::Usage { .. }
            | Error::Stdout(_) => exit_code::ERROR,
        }
    }

    /// Advice printed after `hint:`, when there is something useful to say.
    pub fn hint(&self) -> Option<String> {
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
            Error::Usage { hint, .. } => hint.clone(),
            Error::Many(_) | Error::Stdout(_) => None,
        }
    }
}
