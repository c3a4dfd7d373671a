//! `revisions` and `deregister` against the emulator: the in-use column, and revisions in use
//! are never deregistered — not by `--keep`, and `--revision N` of one in use is refused.

use serde_json::Value;

use crate::fixtures::Project;
use crate::support;

/// Three revisions: api:1 and api:2 deployed one after the other, api:3 only registered.
async fn three_revisions(account: &support::TestAccount) -> Project {
    let project = Project::new(account).await;
    project.expect(&["deploy"], 0);
    project.write_task_definition("nginx:2");
    project.expect(&["deploy"], 0);
    account.register_task_definition("api", "nginx:3").await;
    project
}

#[tokio::test(flavor = "multi_thread")]
async fn revisions_lists_newest_first_with_what_uses_them() {
    let account = support::new_account();
    let project = three_revisions(&account).await;

    let (table, _) = project.expect(&["revisions"], 0);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 5, "{table}");
    assert!(lines[0].starts_with("| REVISION | IN USE"), "{table}");
    assert!(lines[2].starts_with("| api:3    | -"), "{table}");
    assert!(
        lines[3].starts_with("| api:2    | service api (PRIMARY)"),
        "{table}"
    );
    assert!(lines[4].starts_with("| api:1    | -"), "{table}");

    let (json, _) = project.expect(&["revisions", "--output", "json"], 0);
    let rows: Value = serde_json::from_str(&json).unwrap();
    let in_use: Vec<(i64, bool)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            (
                row["revision"].as_i64().unwrap(),
                row["in_use"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(in_use, [(3, false), (2, true), (1, false)]);
}

#[tokio::test(flavor = "multi_thread")]
async fn deregister_never_touches_a_revision_in_use() {
    let account = support::new_account();
    let project = three_revisions(&account).await;

    let (_, stderr) = project.expect(&["deregister", "--revision", "2", "--force"], 1);
    assert!(
        stderr.starts_with("error: task definition api:2 is in use by service api (PRIMARY)"),
        "{stderr}"
    );
    let (_, stderr) = project.expect(&["deregister", "--revision", "9", "--force"], 1);
    assert!(
        stderr.starts_with("error: task definition api:9 does not exist or is not ACTIVE"),
        "{stderr}"
    );

    let (_, stderr) = project.expect(&["deregister", "--keep", "0", "--dry-run"], 0);
    assert!(
        stderr.contains("Would deregister api:1, api:3."),
        "{stderr}"
    );
    assert_eq!(project.task_definition_revisions().len(), 3);

    // Without --force and without a terminal: refused.
    let (_, stderr) = project.expect(&["deregister", "--keep", "1"], 1);
    assert!(stderr.contains("--force"), "{stderr}");

    let (_, stderr) = project.expect(&["deregister", "--keep", "1", "--force"], 0);
    assert!(stderr.contains("Deregistered api:1."), "{stderr}");
    let active: Vec<String> = project
        .task_definition_revisions()
        .iter()
        .map(|arn| arn.rsplit('/').next().unwrap().to_owned())
        .collect();
    assert_eq!(active, ["api:2", "api:3"]);

    let (_, stderr) = project.expect(&["deregister", "--keep", "1", "--force"], 0);
    assert!(stderr.contains("Nothing to deregister in api."), "{stderr}");
}
