//! The plan file codec (ARCHITECTURE.md §4): JSON, `format_version`, sealed with a SHA-256 `digest` of
//! the canonical JSON of every other field (but the optional KMS `signature` of that digest). Reading refuses an unknown format version and a
//! digest that does not match, before anything else looks at the content.
//!
//! Canonical JSON: object keys sorted (serde_json's map is ordered), no insignificant
//! whitespace. Byte-level formatting of the file (pretty printing, trailing newline) therefore
//! does not matter; any change of a value does.
//!
//! Writing a local file creates it with mode 0600 (a plan holds the full definitions, which may
//! contain secrets) through a temporary file and a rename, so a reader never sees half a plan.
//! This module does not talk to S3; `commands` moves the bytes.

use std::path::{Path, PathBuf};

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{FORMAT_VERSION, Plan};

#[derive(Debug, thiserror::Error)]
pub(crate) enum PlanFileError {
    #[error("{source_name}: not a ristretto plan file: {message}")]
    NotAPlan {
        source_name: String,
        message: String,
    },
    #[error("{source_name}: plan format_version {found} is not supported by ristretto {} (it reads version {FORMAT_VERSION})", env!("CARGO_PKG_VERSION"))]
    UnsupportedVersion { source_name: String, found: String },
    #[error(
        "{source_name}: the plan's digest does not match its content: the file was changed after it was written"
    )]
    DigestMismatch { source_name: String },
    #[error("cannot read plan file {}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write plan file {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

impl PlanFileError {
    /// Refusals of a plan's content exit with 4; failing to read or write a file is an error (1).
    pub(crate) fn is_refusal(&self) -> bool {
        matches!(
            self,
            PlanFileError::UnsupportedVersion { .. } | PlanFileError::DigestMismatch { .. }
        )
    }

    pub(crate) fn hint(&self) -> Option<String> {
        match self {
            PlanFileError::DigestMismatch { .. } => {
                Some("create a new plan with ristretto plan -o FILE and review it again".into())
            }
            PlanFileError::UnsupportedVersion { .. } => Some(
                "apply the plan with the ristretto version that wrote it, or plan again".into(),
            ),
            _ => None,
        }
    }
}

/// The digest of a plan: SHA-256 of the canonical JSON of every field except `digest` and
/// `signature` (which signs the digest, so cannot be part of it).
pub(crate) fn digest(plan: &Plan) -> String {
    let mut value = serde_json::to_value(plan).expect("a plan always serializes");
    digest_of_value(&mut value)
}

fn digest_of_value(value: &mut Value) -> String {
    if let Value::Object(map) = value {
        map.remove("digest");
        map.remove("signature");
    }
    let canonical = value.to_string();
    format!("{:x}", Sha256::digest(canonical.as_bytes()))
}

/// Sets the digest; the plan is ready to be written.
pub(crate) fn seal(mut plan: Plan) -> Plan {
    plan.digest = digest(&plan);
    plan
}

/// The file's bytes: pretty JSON with a trailing newline.
pub(crate) fn to_bytes(plan: &Plan) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(plan).expect("a plan always serializes");
    bytes.push(b'\n');
    bytes
}

/// Parses and checks a plan file: version first, then the digest, then the content.
pub(crate) fn from_bytes(bytes: &[u8], source_name: &str) -> Result<Plan, PlanFileError> {
    let not_a_plan = |message: String| PlanFileError::NotAPlan {
        source_name: source_name.to_owned(),
        message,
    };
    let mut value: Value =
        serde_json::from_slice(bytes).map_err(|error| not_a_plan(error.to_string()))?;
    let version = value
        .get("format_version")
        .cloned()
        .ok_or_else(|| not_a_plan("it has no format_version".into()))?;
    if version.as_u64() != Some(u64::from(FORMAT_VERSION)) {
        return Err(PlanFileError::UnsupportedVersion {
            source_name: source_name.to_owned(),
            found: version.to_string(),
        });
    }
    let recorded = value
        .get("digest")
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| not_a_plan("it has no digest".into()))?;
    let plan: Plan =
        serde_json::from_value(value.clone()).map_err(|error| not_a_plan(error.to_string()))?;
    // The digest is checked over the file's own values (not a re-serialization of the parsed
    // plan), so an added or altered field is caught even if `Plan` would ignore it.
    if digest_of_value(&mut value) != recorded {
        return Err(PlanFileError::DigestMismatch {
            source_name: source_name.to_owned(),
        });
    }
    Ok(plan)
}

pub(crate) fn read(path: &Path) -> Result<Plan, PlanFileError> {
    let bytes = std::fs::read(path).map_err(|source| PlanFileError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    from_bytes(&bytes, &path.display().to_string())
}

/// Writes the plan with mode 0600, atomically (temporary file in the same directory, rename).
pub(crate) fn write(path: &Path, plan: &Plan) -> Result<(), PlanFileError> {
    let write_error = |source| PlanFileError::Write {
        path: path.to_path_buf(),
        source,
    };
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let temporary = directory.join(format!(
        ".{}.{}.tmp",
        path.file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "plan".into()),
        std::process::id()
    ));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(write_error)?;
        file.write_all(&to_bytes(plan)).map_err(write_error)?;
        file.sync_all().map_err(write_error)?;
    }
    std::fs::rename(&temporary, path).map_err(|error| {
        let _ = std::fs::remove_file(&temporary);
        write_error(error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::Diff;
    use crate::plan::{Base, Changes, Desired, ServicePlan, Target};

    fn plan() -> Plan {
        seal(Plan {
            format_version: FORMAT_VERSION,
            plan_id: "00000000-0000-4000-8000-000000000000".into(),
            created_at: "2026-11-26T00:00:00Z".into(),
            ristretto_version: "0.1.0".into(),
            environment: None,
            services: vec![ServicePlan {
                target: Target {
                    region: "ap-northeast-1".into(),
                    cluster: "web".into(),
                    service: "api".into(),
                },
                normalize: Default::default(),
                base: Base {
                    service_arn: None,
                    task_definition_arn: None,
                    desired_count: None,
                    deployment_ids: vec![],
                    live_sha256: "0".repeat(64),
                },
                desired: Desired {
                    task_definition: serde_json::json!({"family": "api"}),
                    service: None,
                },
                changes: Changes {
                    task_definition: Diff::default(),
                    service: Diff::default(),
                },
                actions: vec![],
                notes: vec![],
                documents: None,
            }],
            secret_patterns: Vec::new(),
            policy: None,
            digest: String::new(),
            signature: None,
        })
    }

    #[test]
    fn round_trip_through_a_file_with_mode_0600() {
        let directory = tempfile::tempdir().unwrap();
        let path = directory.path().join("plan.json");
        write(&path, &plan()).unwrap();
        assert_eq!(read(&path).unwrap(), plan());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_changed_value_is_refused() {
        let text = String::from_utf8(to_bytes(&plan())).unwrap();
        let altered = text.replace("\"web\"", "\"prod\"");
        assert_ne!(text, altered);
        let error = from_bytes(altered.as_bytes(), "plan.json").unwrap_err();
        assert!(
            matches!(error, PlanFileError::DigestMismatch { .. }),
            "{error}"
        );
        assert!(error.is_refusal());
    }

    #[test]
    fn an_added_field_is_refused() {
        let mut value = serde_json::to_value(plan()).unwrap();
        value["services"][0]["extra"] = serde_json::json!(true);
        let error = from_bytes(value.to_string().as_bytes(), "plan.json").unwrap_err();
        assert!(
            matches!(error, PlanFileError::DigestMismatch { .. }),
            "{error}"
        );
    }

    #[test]
    fn formatting_does_not_matter() {
        let compact = serde_json::to_vec(&plan()).unwrap();
        assert_eq!(from_bytes(&compact, "plan.json").unwrap(), plan());
    }

    #[test]
    fn unknown_version_is_refused_before_the_digest() {
        let mut value = serde_json::to_value(plan()).unwrap();
        value["format_version"] = serde_json::json!(2);
        let error = from_bytes(value.to_string().as_bytes(), "plan.json").unwrap_err();
        assert!(
            matches!(error, PlanFileError::UnsupportedVersion { .. }),
            "{error}"
        );
        assert!(error.is_refusal());
        let error = from_bytes(b"{\"hello\": 1}", "x.json").unwrap_err();
        assert!(matches!(error, PlanFileError::NotAPlan { .. }));
        assert!(!error.is_refusal());
    }
}
