//! Finding and reading the files of a policy set: a path is a `.rego` file, a data file
//! (`.json`, `.yaml`, `.yml`) or a directory, searched recursively (hidden entries skipped) for
//! both. `*_test.rego` files are tests: `policy test` runs them, plans never load them, and
//! they are not part of the set's digest, so that adding a test does not make saved plans
//! stale. Data files hold objects whose top-level keys are merged into Rego's `data`.
//!
//! Must not: parse Rego (that is `rego.rs`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::PolicyError;

/// Where a policy path came from, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SourceOrigin {
    /// The config's `policies` list (the config file).
    Config(PathBuf),
    /// A `--policy` flag, or `policy test PATH`.
    CommandLine,
}

impl std::fmt::Display for SourceOrigin {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceOrigin::Config(file) => write!(formatter, "policies in {}", file.display()),
            SourceOrigin::CommandLine => write!(formatter, "the command line"),
        }
    }
}

/// One path of a policy set, resolved (config paths against the config's directory).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PolicySource {
    pub path: PathBuf,
    pub origin: SourceOrigin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum FileKind {
    Policy,
    Test,
    Data,
}

/// A file of the set, read.
#[derive(Debug, Clone)]
pub(super) struct SetFile {
    pub kind: FileKind,
    pub path: PathBuf,
    /// Its name within the path it was found under (a directory's relative path, or the file
    /// name): what the digest covers, so that the same files digest the same wherever they are.
    pub name: String,
    pub text: String,
}

impl SetFile {
    /// The path as messages and plans show it.
    pub(super) fn display(&self) -> String {
        self.path.display().to_string()
    }
}

/// Every file of the sources, read, in a stable order (source order, then path).
pub(super) fn read_sources(sources: &[PolicySource]) -> Result<Vec<SetFile>, PolicyError> {
    let mut files: Vec<SetFile> = Vec::new();
    for source in sources {
        let path = &source.path;
        let metadata = std::fs::metadata(path).map_err(|error| match error.kind() {
            std::io::ErrorKind::NotFound => PolicyError::Missing {
                path: path.clone(),
                origin: source.origin.clone(),
            },
            _ => PolicyError::Read {
                path: path.clone(),
                source: error,
            },
        })?;
        let mut found = Vec::new();
        if metadata.is_dir() {
            collect_directory(path, path, &mut found)?;
            if !found.iter().any(|(kind, _, _)| *kind == FileKind::Policy) {
                return Err(PolicyError::NoPolicies {
                    path: path.clone(),
                    origin: source.origin.clone(),
                });
            }
        } else {
            let kind = kind_of(path).ok_or_else(|| PolicyError::UnknownKind {
                path: path.clone(),
                origin: source.origin.clone(),
            })?;
            let name = path
                .file_name()
                .map(|name| name.to_string_lossy().into_owned())
                .unwrap_or_default();
            found.push((kind, path.clone(), name));
        }
        for (kind, path, name) in found {
            // The same file reached twice (a directory and a file in it) counts once.
            if files.iter().any(|file| same_file(&file.path, &path)) {
                continue;
            }
            let text = std::fs::read_to_string(&path).map_err(|source| PolicyError::Read {
                path: path.clone(),
                source,
            })?;
            files.push(SetFile {
                kind,
                path,
                name,
                text,
            });
        }
    }
    Ok(files)
}

fn same_file(a: &Path, b: &Path) -> bool {
    a == b
        || matches!(
            (std::fs::canonicalize(a), std::fs::canonicalize(b)),
            (Ok(a), Ok(b)) if a == b
        )
}

fn kind_of(path: &Path) -> Option<FileKind> {
    let name = path.file_name()?.to_string_lossy();
    let extension = path.extension()?.to_string_lossy().to_lowercase();
    match extension.as_str() {
        "rego" if name.ends_with("_test.rego") => Some(FileKind::Test),
        "rego" => Some(FileKind::Policy),
        "json" | "yaml" | "yml" => Some(FileKind::Data),
        _ => None,
    }
}

fn collect_directory(
    root: &Path,
    directory: &Path,
    found: &mut Vec<(FileKind, PathBuf, String)>,
) -> Result<(), PolicyError> {
    let read_error = |source| PolicyError::Read {
        path: directory.to_path_buf(),
        source,
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(directory)
        .map_err(read_error)?
        .map(|entry| entry.map(|entry| entry.path()))
        .collect::<Result<_, _>>()
        .map_err(read_error)?;
    entries.sort();
    for path in entries {
        let hidden = path
            .file_name()
            .is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_directory(root, &path, found)?;
        } else if let Some(kind) = kind_of(&path) {
            let name = path
                .strip_prefix(root)
                .unwrap_or(&path)
                .components()
                .map(|component| component.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("/");
            found.push((kind, path, name));
        }
    }
    Ok(())
}

/// The SHA-256 of the files a plan is checked with (policies and data, not tests): their names
/// and contents, in name order.
pub(super) fn digest(files: &[SetFile]) -> String {
    let mut entries: Vec<Value> = files
        .iter()
        .filter(|file| file.kind != FileKind::Test)
        .map(|file| {
            serde_json::json!([
                file.name,
                format!("{:x}", Sha256::digest(file.text.as_bytes()))
            ])
        })
        .collect();
    entries.sort_by_key(Value::to_string);
    format!(
        "{:x}",
        Sha256::digest(Value::Array(entries).to_string().as_bytes())
    )
}

/// The data files merged into one object: each file's top-level keys, each key from one file.
pub(super) fn merged_data(files: &[SetFile]) -> Result<Value, PolicyError> {
    let mut merged = Map::new();
    let mut owners: BTreeMap<String, PathBuf> = BTreeMap::new();
    for file in files.iter().filter(|file| file.kind == FileKind::Data) {
        let is_json = file
            .path
            .extension()
            .is_some_and(|extension| extension.eq_ignore_ascii_case("json"));
        let document = if is_json {
            crate::render::parse_json(&file.path, &file.text)?
        } else {
            crate::render::parse_yaml(&file.path, &file.text)?
        };
        let Value::Object(members) = document else {
            return Err(PolicyError::DataNotAnObject {
                path: file.path.clone(),
                found: match document {
                    Value::Array(_) => "a list",
                    Value::String(_) => "a string",
                    Value::Number(_) => "a number",
                    Value::Bool(_) => "a boolean",
                    _ => "null",
                },
            });
        };
        for (key, value) in members {
            if let Some(other) = owners.get(&key) {
                return Err(PolicyError::DataConflict {
                    path: file.path.clone(),
                    other: other.clone(),
                    key,
                });
            }
            owners.insert(key.clone(), file.path.clone());
            merged.insert(key, value);
        }
    }
    Ok(Value::Object(merged))
}
