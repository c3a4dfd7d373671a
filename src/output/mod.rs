//! The only place that prints. stdout carries data (rendered JSON, machine formats); stderr
//! carries everything meant for a person: warnings, progress, errors with `caused by:` and
//! `hint:` lines. Colour is decided here (`--color`, `NO_COLOR`, whether stderr is a terminal).

pub(crate) mod definitions;
pub(crate) mod error;
pub(crate) mod plan;
pub(crate) mod progress;
pub(crate) mod revisions;
pub(crate) mod status;
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
}

impl Style {
    fn code(self) -> &'static str {
        match self {
            Style::Error => "\x1b[1;31m",
            Style::Warning => "\x1b[1;33m",
            Style::Hint => "\x1b[1;36m",
            Style::Bold => "\x1b[1m",
            Style::Dim => "\x1b[2m",
        }
    }
}

impl Output {
    pub(crate) fn new(choice: ColorChoice, quiet: bool, verbose: bool) -> Self {
        let color = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|value| value.is_empty())
                    && std::io::stderr().is_terminal()
            }
        };
        let verbosity = if quiet {
            Verbosity::Quiet
        } else if verbose {
            Verbosity::Verbose
        } else {
            Verbosity::Normal
        };
        Self { color, verbosity }
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

pub(crate) fn paint(color: bool, style: Style, text: &str) -> String {
    if color {
        format!("{}{text}\x1b[0m", style.code())
    } else {
        text.to_owned()
    }
}
