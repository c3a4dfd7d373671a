//! Test-only. The example workflows (examples/github-actions/.github/workflows) call ristretto as
//! CI would: every `ristretto …` command line in them must parse with the real command line, so
//! that a renamed flag breaks this test rather than a user's pipeline. (actionlint checks the YAML and
//! the shell around them; tests/release/plan_comment.test.js checks the comment script.)

use std::path::Path;

use crate::cli::Cli;
use clap::Parser;
use clap::error::ErrorKind;

/// Flags the examples use before ristretto has them, each with the reason. When a flag lands,
/// `pending_flags_are_still_missing` fails: remove it from here.
const PENDING_FLAGS: &[(&str, &str)] = &[];

/// The `ristretto …` commands of a workflow's `run:` blocks, as argument lists: quoted shell
/// variables stand for one argument, and a command ends at a pipe, `||` or a redirection.
fn ristretto_commands(workflow: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    for line in workflow.lines() {
        let line = line.trim_start();
        let line = line.strip_prefix("run: ").unwrap_or(line);
        let line = line
            .split_once("$(")
            .map_or(line, |(_, inside)| inside.trim_start());
        if !line.starts_with("ristretto ") {
            continue;
        }
        let mut arguments = Vec::new();
        for word in line.split_whitespace() {
            if word == "|" || word == "||" || word.starts_with('>') || word.starts_with("2>") {
                break;
            }
            arguments.push(word.trim_matches('"').to_owned());
        }
        commands.push(arguments);
    }
    commands
}

fn example_commands() -> Vec<(String, Vec<String>)> {
    let directory =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/github-actions/.github/workflows");
    let mut commands = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(&directory)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    files.sort();
    for file in files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        for command in ristretto_commands(&std::fs::read_to_string(&file).unwrap()) {
            commands.push((name.clone(), command));
        }
    }
    commands
}

#[test]
fn every_ristretto_command_in_the_example_workflows_parses() {
    let commands = example_commands();
    let lines: Vec<String> = commands
        .iter()
        .map(|(file, command)| format!("{file}: {}", command.join(" ")))
        .collect();
    assert_eq!(
        lines,
        [
            "ristretto-apply.yml: ristretto apply $PLAN --auto-approve --lock-timeout 10m --expect-digest $DIGEST",
            "ristretto-drift.yml: ristretto plan --detailed-exitcode",
            "ristretto-plan.yml: ristretto plan -o $PLAN --format markdown",
            "ristretto-plan.yml: ristretto show $PLAN --format json",
        ]
    );
    for (file, command) in &commands {
        let mut arguments = command.clone();
        for (flag, _reason) in PENDING_FLAGS {
            if let Some(position) = arguments.iter().position(|argument| argument == flag) {
                arguments.drain(position..(position + 2).min(arguments.len()));
            }
        }
        // A shell variable stands for a value of its kind where the flag checks its form.
        for argument in &mut arguments {
            if argument == "$DIGEST" {
                *argument = "0123456789abcdef".repeat(4);
            }
        }
        if let Err(error) = Cli::try_parse_from(&arguments) {
            panic!("{file}: `{}` does not parse:\n{error}", command.join(" "));
        }
    }
}

#[test]
fn pending_flags_are_still_missing() {
    for (flag, reason) in PENDING_FLAGS {
        let error = Cli::try_parse_from(["ristretto", "apply", "plan.json", flag, "0"]).expect_err(
            &format!("{flag} exists now: remove it from PENDING_FLAGS ({reason})"),
        );
        assert_eq!(error.kind(), ErrorKind::UnknownArgument, "{error}");
    }
}
