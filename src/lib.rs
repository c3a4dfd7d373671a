//! ristretto: deploy Amazon ECS services and task definitions with a reviewed
//! plan → locked apply workflow. docs/ARCHITECTURE.md is the map of
//! the parts; code comments cite its sections as `ARCHITECTURE.md §N`.
//!
//! Layers point one way: `cli` → `commands` → domain (`config`, `render`, `definition`,
//! `project`) → `aws`. Only `output` prints.

pub mod apply;
pub mod aws;
pub mod cli;
pub mod commands;
pub mod config;
pub mod definition;
pub mod diff;
pub mod error;
pub mod exit_code;
pub mod live;
pub mod lock;
pub mod normalize;
pub mod output;
pub mod plan;
pub mod project;
pub mod render;
pub mod tfstate;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Parses the arguments, runs the command and returns the process exit code. Errors are
/// printed here, once, by `output`; no panic or backtrace reaches the user for bad input.
pub fn run_from_args(arguments: impl IntoIterator<Item = OsString>) -> ExitCode {
    let arguments: Vec<OsString> = arguments.into_iter().collect();
    let cli = match cli::Cli::try_parse_from(&arguments) {
        Ok(mut cli) => {
            cli.global.collect_repeated(&arguments);
            cli
        }
        Err(error) => {
            // clap prints help/version to stdout (exit 0) and usage errors to stderr (exit 2);
            // ristretto reserves 2 for "changes present", so usage errors exit 1.
            let _ = error.print();
            return ExitCode::from(if error.use_stderr() {
                exit_code::ERROR
            } else {
                exit_code::SUCCESS
            });
        }
    };
    let output = output::Output::new(cli.global.color, cli.global.quiet, cli.global.verbose);
    match commands::run(cli, &output) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            output.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
