//! `session-manager-plugin`, the program that carries an ECS Exec or port-forwarding session
//! (AWS's, installed separately): finding it on PATH, with a clear error and the install
//! instructions when it is missing, and running it with the arguments the AWS CLI gives it —
//! the session JSON, the region, `StartSession`, the profile, the request JSON and the endpoint.
//! It inherits the terminal.
//!
//! Must not: call AWS (the session is started by the caller) or print.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

use crate::error::Error;

pub(crate) const PLUGIN: &str = "session-manager-plugin";

pub(crate) const INSTALL_HINT: &str = "install AWS's Session Manager plugin and put it on PATH: \
     https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html \
     (macOS: brew install --cask session-manager-plugin; Debian/Ubuntu: the .deb from that page)";

/// The plugin's path, from `path` (the value of PATH).
pub(crate) fn find_plugin(path: Option<&std::ffi::OsStr>) -> Result<PathBuf, Error> {
    let names: &[&str] = if cfg!(windows) {
        &["session-manager-plugin.exe"]
    } else {
        &[PLUGIN]
    };
    path.into_iter()
        .flat_map(std::env::split_paths)
        .flat_map(|directory| names.iter().map(move |name| directory.join(name)))
        .find(|candidate| is_executable(candidate))
        .ok_or_else(|| {
            Error::usage(
                format!("{PLUGIN} is not on PATH: exec needs it to open the session"),
                Some(INSTALL_HINT.to_owned()),
            )
        })
}

#[cfg(unix)]
fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|metadata| metadata.is_file() && metadata.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(path: &Path) -> bool {
    path.is_file()
}

/// What the plugin is started with (the AWS CLI's order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PluginSession {
    /// ExecuteCommand's `session`, or StartSession's answer.
    pub session: Value,
    pub region: String,
    /// Empty for none.
    pub profile: String,
    /// `{"Target": …}` for ECS Exec, the StartSession request for port forwarding.
    pub request: Value,
    /// The endpoint of the service that started the session (ECS or SSM).
    pub endpoint: String,
}

impl PluginSession {
    pub(crate) fn arguments(&self) -> Vec<String> {
        vec![
            self.session.to_string(),
            self.region.clone(),
            "StartSession".to_owned(),
            self.profile.clone(),
            self.request.to_string(),
            self.endpoint.clone(),
        ]
    }
}

/// Runs the plugin on this terminal until the session ends. A non-zero exit is an error.
pub(crate) fn run_plugin(plugin: &Path, session: &PluginSession) -> Result<(), Error> {
    let status = Command::new(plugin)
        .args(session.arguments())
        .status()
        .map_err(|error| {
            Error::usage(
                format!("cannot start {}: {error}", plugin.display()),
                Some(INSTALL_HINT.to_owned()),
            )
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::failed(
            format!("{PLUGIN} ended with {status}"),
            Some("its own messages above say why".to_owned()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_plugin_says_how_to_install_it() {
        let empty = tempfile::tempdir().unwrap();
        let error = find_plugin(Some(empty.path().as_os_str())).unwrap_err();
        assert_eq!(
            error.to_string(),
            "session-manager-plugin is not on PATH: exec needs it to open the session"
        );
        let Error::Usage {
            hint: Some(hint), ..
        } = error
        else {
            panic!("a usage error with a hint");
        };
        assert!(
            hint.contains("session-manager-working-with-install-plugin"),
            "{hint}"
        );
        assert!(find_plugin(None).is_err());
    }

    #[cfg(unix)]
    #[test]
    fn only_an_executable_file_counts() {
        use std::os::unix::fs::PermissionsExt;
        let directory = tempfile::tempdir().unwrap();
        let plugin = directory.path().join(PLUGIN);
        std::fs::write(&plugin, "#!/bin/sh\n").unwrap();
        assert!(find_plugin(Some(directory.path().as_os_str())).is_err());
        std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
        let search = std::env::join_paths([Path::new("/nonexistent"), directory.path()]).unwrap();
        assert_eq!(find_plugin(Some(&search)).unwrap(), plugin);
    }
}
