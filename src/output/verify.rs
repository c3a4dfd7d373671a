//! `ristretto verify` as a table: one row per resource the definitions reference, ✓ when it
//! exists as needed, ✗ with what is wrong, – when it was not checked (and why). A pure function
//! of the results; the checks themselves are in `commands::verify`.

use comfy_table::{Table, presets};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckStatus {
    Ok,
    Failed,
    Skipped,
}

/// One verified reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Check {
    /// "cluster", "execution role", "log group", …
    pub kind: &'static str,
    pub name: String,
    pub status: CheckStatus,
    /// What was found, or what is wrong.
    pub detail: String,
}

pub(crate) fn table(checks: &[Check]) -> String {
    let mut table = Table::new();
    table.load_style(presets::ASCII_MARKDOWN);
    table.set_header(vec!["", "CHECK", "NAME", "RESULT"]);
    for check in checks {
        let mark = match check.status {
            CheckStatus::Ok => "✓",
            CheckStatus::Failed => "✗",
            CheckStatus::Skipped => "–",
        };
        table.add_row(vec![
            mark.to_owned(),
            check.kind.to_owned(),
            check.name.clone(),
            check.detail.clone(),
        ]);
    }
    let failed = checks
        .iter()
        .filter(|check| check.status == CheckStatus::Failed)
        .count();
    let summary = if failed == 0 {
        format!("All {} checks passed.", checks.len())
    } else {
        format!("{failed} of {} checks failed.", checks.len())
    };
    format!("{table}\n{summary}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(kind: &'static str, name: &str, status: CheckStatus, detail: &str) -> Check {
        Check {
            kind,
            name: name.into(),
            status,
            detail: detail.into(),
        }
    }

    #[test]
    fn verify_table() {
        let checks = [
            check("cluster", "web", CheckStatus::Ok, "exists"),
            check(
                "execution role",
                "ecsTaskExecutionRole",
                CheckStatus::Ok,
                "exists, trusts ecs-tasks.amazonaws.com",
            ),
            check(
                "task role",
                "api-task",
                CheckStatus::Failed,
                "does not exist",
            ),
            check(
                "log group",
                "/ecs/api",
                CheckStatus::Failed,
                "does not exist",
            ),
            check(
                "image",
                "nginx:1.27",
                CheckStatus::Skipped,
                "not in ECR: not checked",
            ),
            check(
                "secret",
                "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:api/key-AbCdEf",
                CheckStatus::Ok,
                "exists",
            ),
        ];
        insta::assert_snapshot!(table(&checks));
    }

    #[test]
    fn all_passed() {
        let checks = [check("cluster", "web", CheckStatus::Ok, "ACTIVE")];
        assert!(table(&checks).ends_with("\nAll 1 checks passed.\n"));
    }
}
