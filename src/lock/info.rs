//! Filling in [`LockInfo`] for the current process: who (`user@host`), which ristretto, when,
//! and the CI run when a known CI system's variables are present, so that whoever finds the lock
//! taken can click through to the run that holds it. Reads the environment; never writes it.

use super::LockInfo;
use super::clock::{self, WallClock as _};

impl LockInfo {
    /// The info of a lock this process is about to take for `operation` (`apply`, `deploy`, …).
    pub fn current(operation: impl Into<String>, plan_id: Option<String>) -> Self {
        Self::from_environment(
            operation,
            plan_id,
            &|name| std::env::var(name).ok().filter(|value| !value.is_empty()),
            clock::SystemClock.now_epoch_seconds(),
        )
    }

    /// [`LockInfo::current`] with the environment and the time given, for tests.
    pub fn from_environment(
        operation: impl Into<String>,
        plan_id: Option<String>,
        variable: &dyn Fn(&str) -> Option<String>,
        now_epoch_seconds: i64,
    ) -> Self {
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            who: who(variable),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            created: clock::format_rfc3339(now_epoch_seconds),
            plan_id,
            run_url: ci_run_url(variable),
        }
    }
}

/// `user@host`, as Terraform records it.
fn who(variable: &dyn Fn(&str) -> Option<String>) -> String {
    let user = ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|name| variable(name))
        .unwrap_or_else(|| "unknown".to_owned());
    let host = variable("HOSTNAME")
        .or_else(|| read_trimmed("/proc/sys/kernel/hostname"))
        .or_else(|| read_trimmed("/etc/hostname"))
        .or_else(|| variable("COMPUTERNAME"))
        .unwrap_or_else(|| "unknown".to_owned());
    format!("{user}@{host}")
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty())
}

/// The URL of the CI run this process belongs to, from the variables each CI system sets.
fn ci_run_url(variable: &dyn Fn(&str) -> Option<String>) -> Option<String> {
    if let (Some(server), Some(repository), Some(run_id)) = (
        variable("GITHUB_SERVER_URL"),
        variable("GITHUB_REPOSITORY"),
        variable("GITHUB_RUN_ID"),
    ) {
        let mut url = format!(
            "{}/{repository}/actions/runs/{run_id}",
            server.trim_end_matches('/')
        );
        // A re-run reuses the run id; the attempt tells which execution holds the lock.
        if let Some(attempt) = variable("GITHUB_RUN_ATTEMPT").filter(|attempt| attempt != "1") {
            url.push_str(&format!("/attempts/{attempt}"));
        }
        return Some(url);
    }
    [
        "CI_JOB_URL",          // GitLab
        "CIRCLE_BUILD_URL",    // CircleCI
        "BUILDKITE_BUILD_URL", // Buildkite
        "BUILD_URL",           // Jenkins
    ]
    .iter()
    .find_map(|name| variable(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn environment(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| key == name)
                .map(|(_, value)| value.clone())
        }
    }

    #[test]
    fn github_actions_run_url() {
        let variables = environment(&[
            ("USER", "runner"),
            ("HOSTNAME", "fv-az123"),
            ("GITHUB_SERVER_URL", "https://github.com"),
            ("GITHUB_REPOSITORY", "acme/api"),
            ("GITHUB_RUN_ID", "4242"),
        ]);
        let info =
            LockInfo::from_environment("apply", Some("p-1".into()), &variables, 1_795_000_000);
        assert_eq!(info.who, "runner@fv-az123");
        assert_eq!(info.operation, "apply");
        assert_eq!(info.plan_id.as_deref(), Some("p-1"));
        assert_eq!(info.created, "2026-11-18T11:06:40Z");
        assert_eq!(info.version, env!("CARGO_PKG_VERSION"));
        assert_eq!(
            info.run_url.as_deref(),
            Some("https://github.com/acme/api/actions/runs/4242")
        );
        assert_eq!(
            uuid::Uuid::parse_str(&info.id).unwrap().get_version_num(),
            4
        );
    }

    #[test]
    fn github_rerun_names_the_attempt() {
        let variables = environment(&[
            ("GITHUB_SERVER_URL", "https://ghe.example.com/"),
            ("GITHUB_REPOSITORY", "acme/api"),
            ("GITHUB_RUN_ID", "7"),
            ("GITHUB_RUN_ATTEMPT", "2"),
        ]);
        assert_eq!(
            ci_run_url(&variables).as_deref(),
            Some("https://ghe.example.com/acme/api/actions/runs/7/attempts/2")
        );
    }

    #[test]
    fn other_ci_systems_and_none() {
        for name in [
            "CI_JOB_URL",
            "CIRCLE_BUILD_URL",
            "BUILDKITE_BUILD_URL",
            "BUILD_URL",
        ] {
            let variables = environment(&[(name, "https://ci.example/run/1")]);
            assert_eq!(
                ci_run_url(&variables).as_deref(),
                Some("https://ci.example/run/1"),
                "{name}"
            );
        }
        // An incomplete GitHub set is not a URL.
        let variables = environment(&[("GITHUB_RUN_ID", "7")]);
        assert_eq!(ci_run_url(&variables), None);
    }

    #[test]
    fn every_lock_gets_its_own_id() {
        let nothing = environment(&[]);
        let first = LockInfo::from_environment("apply", None, &nothing, 0);
        let second = LockInfo::from_environment("apply", None, &nothing, 0);
        assert_ne!(first.id, second.id);
        assert!(first.who.starts_with("unknown@"), "{}", first.who);
    }
}
