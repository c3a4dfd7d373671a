//! The only place that prints. stdout carries data (rendered JSON, machine formats); stderr
//! carries everything meant for a person: warnings, progress, errors with `caused by:` and
//! `hint:` lines. Colour is decided here and nowhere else, per stream: `--color always|never`
//! decides; with `auto`, a stream is coloured when it is a terminal and `NO_COLOR` is unset or
//! empty.

pub(crate) mod definitions;
pub(crate) mod documents;
pub(crate) mod error;
pub(crate) mod plan;
pub(crate) mod policy;
pub(crate) mod progress;
pub(crate) mod revisions;
pub(crate) mod status;
pub(crate) mod tasks;
pub(crate) mod verify;

use std::io::{IsTerminal, Write};

use crate::cli::ColorChoice;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
}

#[derive(Debug, Clone)]
pub(crate) struct Output {
    choice: ColorChoice,
    /// Whether stderr is coloured (decided once: it is where most lines go).
    color: bool,
    verbosity: Verbosity,
}

/// ANSI styles used on stderr. Kept to a handful so that output stays readable without colour.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Style {
    Error,
    Warning,
    Hint,
    Bold,
    Dim,
    /// A removed line of a unified diff.
    Removed,
    /// An added line of a unified diff.
    Added,
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Error => "\x1b[1;31m",
            Style::Warning => "\x1b[1;33m",
            Style::Hint => "\x1b[1;36m",
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
            Style::Removed => "\x1b[31m",
            Style::Added => "\x1b[32m",
        }
    }
}

impl Output {
    pub(crate) fn new(choice: ColorChoice, quiet: bool, verbose: bool) -> Self {
        let color = colored(choice, std::io::stderr().is_terminal());
        let verbosity = if quiet {
            Verbosity::Quiet
        } else if verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Self {
            choice,
            color,
            verbosity,
        }
    }

    /// Whether data written to stdout (a plan's text, a status) may carry colour.
    pub(crate) fn stdout_color(&self) -> bool {
        colored(self.choice, std::io::stdout().is_terminal())
    }

    /// Where apply-like commands report progress: human lines on stderr, or JSON lines on
    /// stdout.
    pub(crate) fn reporter(
        &self,
        format: crate::cli::ProgressFormat,
    ) -> std::sync::Arc<dyn crate::apply::Reporter> {
        match format {
            crate::cli::ProgressFormat::Text => {
                std::sync::Arc::new(progress::HumanReporter::new(self))
            }
            crate::cli::ProgressFormat::Json => std::sync::Arc::new(progress::JsonReporter::new()),
        }
    }

    /// A plan as data on stdout, in `format`.
    pub(crate) fn plan(
        &self,
        plan: &crate::plan::Plan,
        format: crate::cli::PlanFormat,
    ) -> std::io::Result<()> {
        self.data(&plan::render(plan, format, self.stdout_color()))
    }

    /// Appends a plan to a file (GitHub's `$GITHUB_STEP_SUMMARY`); failing to is a warning.
    pub(crate) fn append_plan(
        &self,
        plan: &crate::plan::Plan,
        format: crate::cli::PlanFormat,
        path: &std::path::Path,
    ) {
        let text = plan::render(plan, format, false);
        let result = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut file| file.write_all(format!("{text}\n").as_bytes()));
        if let Err(error) = result {
            self.warn(&format!(
                "cannot append the plan to GITHUB_STEP_SUMMARY ({}): {error}",
                path.display()
            ));
        }
    }

    /// Asks on the terminal and accepts only `expected` as the answer. Without a terminal it
    /// fails instead of hanging, and `hint` says how to go on without the question (`--force`).
    pub(crate) fn confirm(
        &self,
        question: &str,
        expected: &str,
        hint: &str,
    ) -> Result<(), crate::error::Error> {
        use crate::error::Error;
        use std::io::BufRead;
        if !std::io::stdin().is_terminal() {
            return Err(Error::usage(
                format!("{question}: confirmation is needed, and stdin is not a terminal"),
                Some(hint.to_owned()),
            ));
        }
        self.info(&format!("{question} Type {expected:?} to confirm:"));
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map_err(|error| Error::usage(format!("cannot read the answer: {error}"), None))?;
        if answer.trim() == expected {
            Ok(())
        } else {
            Err(Error::usage("cancelled: the answer did not match", None))
        }
    }

    /// A plan for the person running a one-step command, as text on stderr.
    pub(crate) fn plan_info(&self, plan: &crate::plan::Plan) {
        let text = plan::render(plan, crate::cli::PlanFormat::Text, self.color);
        self.info(text.trim_end());
    }

    pub(crate) fn color(&self) -> bool {
        self.color
    }

    pub(crate) fn paint(&self, style: Style, text: &str) -> String {
        paint(self.color, style, text)
    }

    /// Writes data to stdout. A closed pipe (`ristretto render | head`) is not an error.
    pub(crate) fn data(&self, text: &str) -> std::io::Result<()> {
        let mut stdout = std::io::stdout().lock();
        let result = stdout
            .write_all(text.as_bytes())
            .and_then(|()| {
                if text.ends_with('\n') {
                    Ok(())
                } else {
                    stdout.write_all(b"\n")
                }
            })
            .and_then(|()| stdout.flush());
        match result {
            Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
            other => other,
        }
    }

    pub(crate) fn warn(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.stderr(&format!(
                "{} {message}",
                self.paint(Style::Warning, "warning:")
            ));
        }
    }

    pub(crate) fn info(&self, message: &str) {
        if self.verbosity != Verbosity::Quiet {
            self.stderr(message);
        }
    }

    pub(crate) fn debug(&self, message: &str) {
        if self.verbosity == Verbosity::Verbose {
            self.stderr(&self.paint(Style::Dim, message));
        }
    }

    pub(crate) fn error(&self, error: &crate::error::Error) {
        self.stderr(error::render(error, self.color).trim_end());
    }

    fn stderr(&self, line: &str) {
        // Nothing sensible can be done when stderr itself is gone.
        let _ = writeln!(std::io::stderr().lock(), "{line}");
    }
}

/// The colour rule, for a stream that is (or is not) a terminal.
fn colored(choice: ColorChoice, terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty()) && terminal
        }
    }
}

pub(crate) fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{}{text}\x1b[0m", style.code())
    } else {
        text.to_owned()
    }
}
