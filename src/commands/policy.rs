//! `ristretto policy test [PATH…]`: run the policies' own `test_*` rules, as `opa test` does,
//! and print one line per test; fails (exit 1) when a test fails or errors. Without a path, the
//! config's `policies` are tested (the config is read, nothing else of the project).

use crate::cli::{GlobalArgs, PolicyArgs, PolicyCommand};
use crate::error::Error;
use crate::exit_code;
use crate::operation;
use crate::output::Output;
use crate::policy::TestResult;

use super::Session;

pub(super) async fn run(
    global: &GlobalArgs,
    arguments: &PolicyArgs,
    output: &Output,
) -> Result<u8, Error> {
    let PolicyCommand::Test { paths } = &arguments.command;
    let policies = if paths.is_empty() {
        let session = Session::load(global, output)?;
        operation::load_policies(Some(&session.project.config), &[])?
    } else {
        operation::load_policies(None, paths)?
    };
    let Some(policies) = policies else {
        return Err(Error::usage(
            "no policies to test: the config has no policies",
            Some("give the policy files or directories: ristretto policy test PATH".to_owned()),
        ));
    };
    let outcomes = policies.run_tests()?;
    output
        .data(&crate::output::policy::test_report(
            &outcomes,
            output.stdout_color(),
        ))
        .map_err(Error::Stdout)?;
    if outcomes.is_empty() {
        return Err(Error::failed(
            "no test_ rules found in the policies",
            Some(
                "tests are rules named test_…, usually in *_test.rego files next to the policies"
                    .to_owned(),
            ),
        ));
    }
    let failed = outcomes
        .iter()
        .filter(|outcome| matches!(outcome.result, TestResult::Failed | TestResult::Error(_)))
        .count();
    if failed > 0 {
        return Err(Error::failed(
            format!("{failed} of {} policy tests failed", outcomes.len()),
            None,
        ));
    }
    Ok(exit_code::SUCCESS)
}
