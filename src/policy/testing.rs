//! `ristretto policy test`: the policies' own unit tests, as `opa test` runs them. Every rule
//! whose name starts with `test_`, in any package of the set's `.rego` and `*_test.rego`
//! files, passes when it evaluates to `true` and fails when it is false or undefined; a rule
//! that errors is an error. `todo_test_` rules are skipped, as in OPA.

use std::time::{Duration, Instant};

use super::rego::{self, PolicySet};
use super::{Location, PolicyError};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum TestResult {
    Passed,
    Failed,
    Skipped,
    /// The rule could not be evaluated: the message, with its location.
    Error(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TestOutcome {
    /// `data.main.test_latest_is_denied`.
    pub name: String,
    pub location: Location,
    pub result: TestResult,
    pub duration: Duration,
    /// What the rule printed with `print()`, shown for a failed test.
    pub prints: Vec<String>,
}

impl PolicySet {
    /// Runs every `test_` rule of the set; the outcomes are in file and source order.
    pub(crate) fn run_tests(&self) -> Result<Vec<TestOutcome>, PolicyError> {
        let engine = self.with_tests()?;
        let kind = |name: &str| {
            if name.starts_with("test_") {
                Some(true)
            } else if name.starts_with("todo_test_") {
                Some(false)
            } else {
                None
            }
        };
        let mut packages: Vec<String> = engine
            .clone()
            .get_modules()
            .iter()
            .map(|module| rego::package_of(module))
            .collect();
        packages.sort();
        packages.dedup();
        let mut outcomes = Vec::new();
        for package in packages {
            for (module, rule, name) in rego::rules(&engine, &package, kind) {
                let location = Location {
                    file: module.package.span.source.get_path().clone(),
                    line: Some(rule.span().line),
                    column: None,
                };
                let full_name = format!("{package}.{name}");
                if name.starts_with("todo_test_") {
                    outcomes.push(TestOutcome {
                        name: full_name,
                        location,
                        result: TestResult::Skipped,
                        duration: Duration::ZERO,
                        prints: Vec::new(),
                    });
                    continue;
                }
                let started = Instant::now();
                let mut engine = engine.clone();
                let result = match engine.eval_rule_in_module(&module, &rule, false) {
                    Ok(data) => {
                        let path: Vec<&str> = package.split('.').skip(1).collect();
                        let mut value = &data;
                        for part in path {
                            value = &value[part];
                        }
                        if value[name.as_str()] == regorus::Value::from(true) {
                            TestResult::Passed
                        } else {
                            TestResult::Failed
                        }
                    }
                    Err(error) => {
                        let (at, message, _) = rego::located(&error.to_string(), &location.file);
                        TestResult::Error(format!("{at}: {message}"))
                    }
                };
                outcomes.push(TestOutcome {
                    name: full_name,
                    location,
                    result,
                    duration: started.elapsed(),
                    prints: engine.take_prints().unwrap_or_default(),
                });
            }
        }
        Ok(outcomes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{PolicySource, SourceOrigin};

    #[test]
    fn tests_pass_fail_error_and_skip_like_opa_test() {
        let directory = tempfile::tempdir().unwrap();
        std::fs::write(
            directory.path().join("latest.rego"),
            "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tendswith(input.image, \":latest\")\n\tmsg := \"latest\"\n}\n",
        )
        .unwrap();
        std::fs::write(
            directory.path().join("latest_test.rego"),
            "package main\n\nimport rego.v1\n\n\
             test_latest_is_denied if {\n\tdeny[\"latest\"] with input as {\"image\": \"a:latest\"}\n}\n\n\
             test_pinned_is_denied_wrongly if {\n\tdeny[\"latest\"] with input as {\"image\": \"a:1\"}\n}\n\n\
             test_error if {\n\tconcat(\",\", input.x) with input as {\"x\": 1}\n}\n\n\
             todo_test_later if {\n\tfalse\n}\n",
        )
        .unwrap();
        let set = PolicySet::load(&[PolicySource {
            path: directory.path().to_path_buf(),
            origin: SourceOrigin::CommandLine,
        }])
        .unwrap();
        let outcomes: Vec<(String, TestResult)> = set
            .run_tests()
            .unwrap()
            .into_iter()
            .map(|outcome| {
                let result = match outcome.result {
                    TestResult::Error(_) => TestResult::Error(String::new()),
                    other => other,
                };
                (outcome.name, result)
            })
            .collect();
        assert_eq!(
            outcomes,
            vec![
                ("data.main.test_latest_is_denied".into(), TestResult::Passed),
                (
                    "data.main.test_pinned_is_denied_wrongly".into(),
                    TestResult::Failed
                ),
                (
                    "data.main.test_error".into(),
                    TestResult::Error(String::new())
                ),
                ("data.main.todo_test_later".into(), TestResult::Skipped),
            ]
        );
    }
}
