//! `diff --unified`, `--jsonnet` and `--external`: the live and desired documents as text, as
//! ecspresso's diff shows them — a unified diff per pair headed `--- <live ARN>` /
//! `+++ <file>`, red and green when stdout is a terminal — or both written to files under
//! `live/` and `local/` in a temporary directory and handed to an external diff tool, whose
//! output goes straight to stdout. Pure text functions, except `external`, which runs the tool.

use std::path::Path;

use serde_json::Value;

use super::{Style, definitions, paint};
use crate::error::Error;
use crate::operation::{DocumentKind, DocumentPair};

/// How a document is written out for comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DocumentSyntax {
    Json,
    Jsonnet,
}

/// A document's text: pretty JSON with sorted keys, or Jsonnet; a missing one is empty, so the
/// diff shows pure additions.
pub(crate) fn text(document: Option<&Value>, syntax: DocumentSyntax) -> String {
    let Some(document) = document else {
        return String::new();
    };
    let document = sorted(document);
    match syntax {
        DocumentSyntax::Json => definitions::json_text(&document),
        DocumentSyntax::Jsonnet => definitions::jsonnet_text(&document),
    }
}

/// Object keys in order, at every level, whatever map type serde_json was built with.
fn sorted(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|left, right| left.0.cmp(right.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(key, value)| (key.clone(), sorted(value)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
        other => other.clone(),
    }
}

/// One unified diff per pair that differs, each with its `---`/`+++` header; identical pairs
/// print nothing. `labels[i]` names the file of `pairs[i]`.
pub(crate) fn unified(
    pairs: &[DocumentPair],
    labels: &[String],
    syntax: DocumentSyntax,
    color: bool,
) -> String {
    let mut out = String::new();
    for (pair, label) in pairs.iter().zip(labels) {
        if !pair.differs() {
            continue;
        }
        let live = text(pair.live.as_ref(), syntax);
        let desired = text(Some(&pair.desired), syntax);
        let live_label = pair
            .live_arn
            .clone()
            .unwrap_or_else(|| format!("{} (none)", kind_name(pair.kind)));
        let diff = similar::TextDiff::from_lines(&live, &desired);
        let rendered = diff.unified_diff().header(&live_label, label).to_string();
        for line in rendered.lines() {
            let style = match line.chars().next() {
                Some('-') => Some(Style::Removed),
                Some('+') => Some(Style::Added),
                Some('@') => Some(Style::Dim),
                _ => None,
            };
            match style {
                Some(style) => out.push_str(&paint(color, style, line)),
                None => out.push_str(line),
            }
            out.push('\n');
        }
    }
    out
}

fn kind_name(kind: DocumentKind) -> &'static str {
    match kind {
        DocumentKind::TaskDefinition => "task definition",
        DocumentKind::Service => "service",
    }
}

fn file_name(kind: DocumentKind, syntax: DocumentSyntax) -> &'static str {
    match (kind, syntax) {
        (DocumentKind::TaskDefinition, DocumentSyntax::Json) => "taskdef.json",
        (DocumentKind::TaskDefinition, DocumentSyntax::Jsonnet) => "taskdef.jsonnet",
        (DocumentKind::Service, DocumentSyntax::Json) => "service.json",
        (DocumentKind::Service, DocumentSyntax::Jsonnet) => "service.jsonnet",
    }
}

/// Runs `command` (a shell command line) once per pair that differs, with two file arguments:
/// the live document (`live/<service>.json`) and the desired one (`local/…`). Its output goes
/// to stdout as it is; a non-zero exit is an error, as in ecspresso (`diff(1)` exits 1 when
/// files differ: wrap it, e.g. `sh -c 'diff -u "$@" || true' --`).
pub(crate) fn external(
    pairs: &[DocumentPair],
    command: &str,
    syntax: DocumentSyntax,
) -> Result<(), Error> {
    let scratch = tempfile::tempdir().map_err(|error| {
        Error::usage(
            format!("cannot create a temporary directory: {error}"),
            None,
        )
    })?;
    for (index, pair) in pairs.iter().enumerate().filter(|(_, pair)| pair.differs()) {
        let directory = scratch.path().join(index.to_string());
        let live = directory.join("live").join(file_name(pair.kind, syntax));
        let local = directory.join("local").join(file_name(pair.kind, syntax));
        write(&live, &text(pair.live.as_ref(), syntax))?;
        write(&local, &text(Some(&pair.desired), syntax))?;
        let status = std::process::Command::new("sh")
            .arg("-c")
            .arg(format!("{command} \"$@\""))
            .arg("sh")
            .arg(&live)
            .arg(&local)
            .status()
            .map_err(|error| {
                Error::usage(
                    format!("cannot run the external diff command: {error}"),
                    None,
                )
            })?;
        if !status.success() {
            return Err(Error::failed(
                format!(
                    "the external diff command {command:?} failed ({status}) on the {} of {}",
                    kind_name(pair.kind),
                    pair.target
                ),
                Some(
                    "it must exit 0; diff(1) exits 1 when files differ: wrap it, e.g. \
                     --external \"sh -c 'diff -u \\\"\\$@\\\" || true' --\""
                        .to_owned(),
                ),
            ));
        }
    }
    Ok(())
}

fn write(path: &Path, text: &str) -> Result<(), Error> {
    let failed = |error: std::io::Error| {
        Error::usage(format!("cannot write {}: {error}", path.display()), None)
    };
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(failed)?;
    }
    std::fs::write(path, text).map_err(failed)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::plan::Target;

    fn pair(live: Option<Value>, desired: Value) -> DocumentPair {
        DocumentPair {
            target: Target {
                region: "ap-northeast-1".into(),
                cluster: "web".into(),
                service: "api".into(),
            },
            kind: DocumentKind::TaskDefinition,
            live_arn: live
                .as_ref()
                .map(|_| "arn:aws:ecs:ap-northeast-1:123456789012:task-definition/api:3".into()),
            live,
            desired,
        }
    }

    #[test]
    fn a_unified_diff_per_changed_pair() {
        let pairs = [
            pair(
                Some(json!({"family": "api", "cpu": "256", "memory": "512"})),
                json!({"family": "api", "cpu": "512", "memory": "512"}),
            ),
            pair(Some(json!({"family": "same"})), json!({"family": "same"})),
            pair(None, json!({"family": "new"})),
        ];
        let labels = [
            "ecs-task-def.json".to_owned(),
            "same.json".into(),
            "new.json".into(),
        ];
        insta::assert_snapshot!(unified(&pairs, &labels, DocumentSyntax::Json, false));
        let jsonnet = unified(&pairs[..1], &labels[..1], DocumentSyntax::Jsonnet, false);
        assert!(
            jsonnet.contains("-  cpu: '256',\n+  cpu: '512',"),
            "{jsonnet}"
        );
    }
}
