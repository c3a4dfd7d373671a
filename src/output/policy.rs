//! `ristretto policy test` for a person: one line per test (`PASS`, `FAIL`, `ERROR`, `SKIP`,
//! its name, file and line, and its duration), what a failed test printed, then a summary line,
//! as `opa test -v` shows them. A pure function of the outcomes.

use crate::output::{Style, paint};
use crate::policy::{TestOutcome, TestResult};

pub(crate) fn test_report(outcomes: &[TestOutcome], color: bool) -> String {
    let mut out = String::new();
    let (mut passed, mut failed, mut errors, mut skipped) = (0, 0, 0, 0);
    for outcome in outcomes {
        let (label, style) = match &outcome.result {
            TestResult::Passed => {
                passed += 1;
                ("PASS", Style::Bold)
            }
            TestResult::Failed => {
                failed += 1;
                ("FAIL", Style::Error)
            }
            TestResult::Error(_) => {
                errors += 1;
                ("ERROR", Style::Error)
            }
            TestResult::Skipped => {
                skipped += 1;
                ("SKIP", Style::Dim)
            }
        };
        out.push_str(&format!(
            "{:<5} {} ({}) {}\n",
            paint(color, style, label),
            outcome.name,
            outcome.location,
            duration(outcome.duration)
        ));
        if let TestResult::Error(message) = &outcome.result {
            for line in message.lines() {
                out.push_str(&format!("      {line}\n"));
            }
        }
        if !matches!(outcome.result, TestResult::Passed) {
            for line in &outcome.prints {
                out.push_str(&format!("      print: {line}\n"));
            }
        }
    }
    let mut counts = vec![format!("{passed} passed")];
    if failed > 0 {
        counts.push(format!("{failed} failed"));
    }
    if errors > 0 {
        counts.push(format!(
            "{errors} error{}",
            if errors == 1 { "" } else { "s" }
        ));
    }
    if skipped > 0 {
        counts.push(format!("{skipped} skipped"));
    }
    out.push_str(&format!("{}\n", counts.join(", ")));
    out
}

/// Milliseconds with one decimal (`0.4ms`), or whole milliseconds from 100 on.
fn duration(duration: std::time::Duration) -> String {
    let milliseconds = duration.as_secs_f64() * 1000.0;
    if milliseconds >= 100.0 {
        format!("{milliseconds:.0}ms")
    } else {
        format!("{milliseconds:.1}ms")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::policy::Location;

    fn outcome(name: &str, result: TestResult, prints: &[&str]) -> TestOutcome {
        TestOutcome {
            name: format!("data.main.{name}"),
            location: Location {
                file: "policies/images_test.rego".into(),
                line: Some(7),
                column: None,
            },
            result,
            duration: Duration::from_micros(420),
            prints: prints.iter().map(|line| (*line).to_owned()).collect(),
        }
    }

    #[test]
    fn one_line_per_test_then_the_counts() {
        let outcomes = [
            outcome("test_latest_is_denied", TestResult::Passed, &["ignored"]),
            outcome(
                "test_pinned_is_allowed",
                TestResult::Failed,
                &["images_test.rego:9: {\"x\": 1}"],
            ),
            outcome(
                "test_broken",
                TestResult::Error("policies/images.rego:4:9: concat: expected array".into()),
                &[],
            ),
            outcome("todo_test_digests", TestResult::Skipped, &[]),
        ];
        insta::assert_snapshot!(test_report(&outcomes, false));
        assert!(test_report(&outcomes, true).contains("\x1b[1;31mFAIL\x1b[0m"));
    }
}
