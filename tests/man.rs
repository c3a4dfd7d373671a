//! `ristretto man`: the manual pages the release archives ship, generated from the clap
//! definitions. Checked as roff a `man` reader would get: the title line, the name line, every
//! command's page, and the options a person looks up.

use std::path::Path;
use std::process::{Command, Output};

fn ristretto(arguments: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ristretto"))
        .args(arguments)
        .env("NO_COLOR", "1")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn man_prints_the_main_page_with_every_command() {
    let page = stdout(&ristretto(&["man"]));
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        page.starts_with(&format!(
            ".ie \\n(.g .ds Aq \\(aq\n.el .ds Aq '\n.TH ristretto 1  \"ristretto {version}\""
        )),
        "{page}"
    );
    assert!(
        page.contains("ristretto \\- Deploy Amazon ECS services"),
        "{page}"
    );
    for command in ["plan", "apply", "deploy", "lock", "completions", "man"] {
        assert!(
            page.contains(&format!("ristretto\\-{command}(1)")),
            "{command} is listed with its page: {page}"
        );
    }
    // The exit-code table of --help is part of the page.
    assert!(page.contains("lock not acquired"), "{page}");
}

#[test]
fn man_out_dir_writes_a_page_per_command() {
    let directory = tempfile::tempdir().unwrap();
    let output = ristretto(&["man", "--out-dir", directory.path().to_str().unwrap()]);
    assert!(stdout(&output).is_empty(), "stdout carries no data");
    let mut names: Vec<String> = std::fs::read_dir(directory.path())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    for expected in [
        "ristretto.1",
        "ristretto-plan.1",
        "ristretto-apply.1",
        "ristretto-lock.1",
        "ristretto-lock-status.1",
        "ristretto-lock-release.1",
        "ristretto-completions.1",
        "ristretto-man.1",
    ] {
        assert!(
            names.iter().any(|name| name == expected),
            "{expected} in {names:?}"
        );
    }
    // No page for clap's `help` pseudo-command.
    assert!(!names.iter().any(|name| name.contains("help")), "{names:?}");
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr.trim(),
        format!(
            "Wrote {} manual pages to {}.",
            names.len(),
            directory.path().display()
        )
    );

    let plan = std::fs::read_to_string(directory.path().join("ristretto-plan.1")).unwrap();
    let version = env!("CARGO_PKG_VERSION");
    assert!(
        plan.contains(&format!(".TH ristretto-plan 1  \"ristretto {version}\"")),
        "{plan}"
    );
    assert!(plan.contains("\\-\\-detailed\\-exitcode"), "{plan}");
    assert!(plan.contains("\\-\\-out"), "{plan}");
}

#[test]
fn man_out_dir_that_cannot_be_created_is_a_clear_error() {
    let directory = tempfile::tempdir().unwrap();
    let file = directory.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let target = file.join("man");
    let output = ristretto(&["man", "--out-dir", target.to_str().unwrap()]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(
        stderr.starts_with(&format!("error: cannot write {}: ", target.display())),
        "{stderr}"
    );
    assert!(
        stderr.contains("hint: --out-dir must name a directory"),
        "{stderr}"
    );
    assert!(!Path::new(&target).exists());
}
