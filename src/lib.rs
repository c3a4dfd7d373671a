//! ristretto: deploy Amazon ECS services and task definitions with a reviewed
//! plan → locked apply workflow. docs/ARCHITECTURE.md is the map of
//! the parts; code comments cite its sections as `ARCHITECTURE.md §N`.
//!
//! Layers point one way: `cli` → `commands` → `operation` → domain (`config`, `render`,
//! `definition`, `project`, `normalize`, `diff`, `plan`, `policy`, `live`, `apply`, `lock`,
//! `tfstate`) →
//! `aws`. Only `output` prints.
//!
//! The library exists for the binary and the tests: modules are `pub(crate)` unless an
//! integration test uses them (the lock and its conformance suite, the lock stores, Terraform
//! state, normalization and diff, durations), so that the compiler reports dead code; items
//! are `pub(crate)` unless they are reachable from outside (`unreachable_pub` is on).

#![warn(unreachable_pub)]
// `#[tokio::test]` blocks on its own runtime; the rule against blocking (clippy.toml) is for the
// product's code.
#![cfg_attr(test, allow(clippy::disallowed_methods))]

pub(crate) mod apply;
pub(crate) mod appspec;
pub mod aws;
pub(crate) mod cli;
#[cfg(test)]
mod cli_examples;
pub(crate) mod commands;
pub mod config;
pub(crate) mod definition;
pub mod diff;
pub(crate) mod error;
pub(crate) mod exit_code;
pub(crate) mod live;
pub mod lock;
pub mod normalize;
pub(crate) mod operation;
pub(crate) mod output;
pub(crate) mod plan;
pub(crate) mod policy;
pub(crate) mod project;
pub(crate) mod render;
pub mod tfstate;

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

/// Parses the arguments, runs the command and returns the process exit code. Errors are
/// printed here, once, by `output`; no panic or backtrace reaches the user for bad input.
pub fn run_from_args(arguments: impl IntoIterator<Item = OsString>) -> ExitCode {
    let arguments: Vec<OsString> = arguments.into_iter().collect();
    let mut cli = match cli::Cli::try_parse_from(&arguments) {
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
    let environment = cli
        .global
        .apply_environment(&|name| std::env::var(name).ok());
    let output = output::Output::new(cli.global.color, cli.global.quiet, cli.global.verbose);
    if let Err(message) = environment {
        let error = error::Error::usage(
            message,
            Some("fix or unset the variable, or pass the option on the command line".to_owned()),
        );
        output.error(&error);
        return ExitCode::from(error.exit_code());
    }
    match commands::run(cli, &output) {
        Ok(code) => ExitCode::from(code),
        Err(error) => {
            output.error(&error);
            ExitCode::from(error.exit_code())
        }
    }
}
