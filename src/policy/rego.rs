//! The Rego side of a policy set, on the `regorus` interpreter: parsing each file in Rego v1 or
//! the classic syntax, evaluating conftest's rules one definition at a time (so that every
//! message is attributed to the file, rule and line that produced it), and turning regorus'
//! error text into `PolicyError`s with file and line.
//!
//! regorus reports problems as text of the form `--> FILE:LINE:COLUMN`, the source line, a
//! caret and `error: MESSAGE`; `located` reads that shape back. Builtin errors are strict (a
//! builtin given the wrong type fails the evaluation instead of making the expression
//! undefined): a rule that cannot decide must not let a plan through silently.

use std::time::Duration;

use serde_json::Value;

use super::files::{self, FileKind, SetFile};
use super::{Finding, Location, PolicyError, PolicySource, Severity};

/// conftest's default namespace: only rules of this package are queried.
const PACKAGE: &str = "data.main";

/// How long one evaluation may run before it counts as an error. Rego always terminates, but
/// a comprehension over a large input can take very long; a plan must not hang on it.
const EVALUATION_LIMIT: Duration = Duration::from_secs(30);

/// A rule definition in a parsed module, with its name.
pub(super) type RuleDefinition = (
    regorus::unstable::Ref<regorus::unstable::Module>,
    regorus::unstable::Ref<regorus::unstable::Rule>,
    String,
);

/// A loaded policy set: its files, their digest, an engine holding the parsed, analysed
/// policies and the data (cloned for each evaluation, so that the analysis is done once), and
/// the conftest rules to evaluate.
#[derive(Clone)]
pub(crate) struct PolicySet {
    files: Vec<SetFile>,
    digest: String,
    engine: regorus::Engine,
    conftest_rules: Vec<(RuleDefinition, Severity)>,
}

impl std::fmt::Debug for PolicySet {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("PolicySet")
            .field("files", &self.file_names())
            .field("digest", &self.digest)
            .finish_non_exhaustive()
    }
}

impl PolicySet {
    /// Reads every file of `sources`, parses the policies and the data. Tests are read too but
    /// only parsed by `with_tests`.
    pub(crate) fn load(sources: &[PolicySource]) -> Result<Self, PolicyError> {
        let files = files::read_sources(sources)?;
        let data = files::merged_data(&files)?;
        let mut engine = new_engine(&data)?;
        for file in files.iter().filter(|file| file.kind == FileKind::Policy) {
            add_module(&mut engine, file)?;
        }
        prepare(&mut engine)?;
        let conftest_rules = rules(&engine, PACKAGE, conftest_severity)
            .into_iter()
            .map(|definition| {
                let severity = conftest_severity(&definition.2).expect("filtered by rules()");
                (definition, severity)
            })
            .collect();
        Ok(Self {
            digest: files::digest(&files),
            files,
            engine,
            conftest_rules,
        })
    }

    /// The SHA-256 of the policy and data files (not the tests), recorded in a plan.
    pub(crate) fn digest(&self) -> &str {
        &self.digest
    }

    /// The policy and data files, as findings and plans name them.
    pub(crate) fn file_names(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|file| file.kind != FileKind::Test)
            .map(SetFile::display)
            .collect()
    }

    /// Every `deny`, `violation` and `warn` message for `input`, in file and rule order.
    pub(crate) fn evaluate(&self, input: &Value) -> Result<Vec<Finding>, PolicyError> {
        let mut engine = self.engine.clone();
        engine.set_input(regorus::Value::from(input.clone()));
        let mut findings = Vec::new();
        for ((module, rule, name), severity) in &self.conftest_rules {
            let file = module.package.span.source.get_path().clone();
            let line = rule.span().line;
            let data = engine
                .eval_rule_in_module(module, rule, false)
                .map_err(|error| evaluation_error(&error, &file, line, name))?;
            for message in messages(&data, name) {
                findings.push(Finding {
                    severity: *severity,
                    file: file.clone(),
                    rule: name.clone(),
                    line,
                    message,
                });
            }
        }
        Ok(findings)
    }

    /// The set with its `*_test.rego` files parsed too, for `policy test`.
    pub(super) fn with_tests(&self) -> Result<regorus::Engine, PolicyError> {
        let mut engine = self.engine.clone();
        for file in self.files.iter().filter(|file| file.kind == FileKind::Test) {
            add_module(&mut engine, file)?;
        }
        prepare(&mut engine)?;
        Ok(engine)
    }
}

fn new_engine(data: &Value) -> Result<regorus::Engine, PolicyError> {
    let mut engine = regorus::Engine::new();
    engine.set_strict_builtin_errors(true);
    // print() output is kept (policy test shows it for failed tests), never written to stderr.
    engine.set_gather_prints(true);
    engine.set_execution_timer_config(regorus::utils::limits::ExecutionTimerConfig {
        limit: EVALUATION_LIMIT,
        check_interval: std::num::NonZeroU32::new(1000).expect("not zero"),
    });
    engine
        .add_data(regorus::Value::from(data.clone()))
        .map_err(|error| PolicyError::Syntax {
            location: Location {
                file: "data".into(),
                line: None,
                column: None,
            },
            message: error.to_string(),
            excerpt: Vec::new(),
        })?;
    Ok(engine)
}

/// Adds one file, in Rego v1 or, when v1 says a keyword of its syntax is missing, in the
/// classic syntax (a file with `import rego.v1` is v1 either way). Any other v1 error is the
/// file's error: trying the classic parser on a broken v1 file would only make regorus warn on
/// stderr about `if` and `contains` being identifiers there.
fn add_module(engine: &mut regorus::Engine, file: &SetFile) -> Result<(), PolicyError> {
    let name = file.display();
    engine.set_rego_v0(false);
    let modern = engine.add_policy(name.clone(), file.text.clone());
    let error = match modern {
        Ok(_) => return Ok(()),
        Err(error) if error.to_string().contains("keyword is required") => {
            engine.set_rego_v0(true);
            let classic = engine.add_policy(name.clone(), file.text.clone());
            engine.set_rego_v0(false);
            match classic {
                Ok(_) => return Ok(()),
                Err(error) => error,
            }
        }
        Err(error) => error,
    };
    let (location, message, excerpt) = located(&error.to_string(), &name);
    Err(PolicyError::Syntax {
        location,
        message,
        excerpt,
    })
}

/// Analyses the modules now (what regorus does before a first evaluation): the errors that
/// only the whole set shows — an unsafe variable, a call of an unknown function, a conflict
/// between files — are found when the set is loaded, before any AWS call, and every evaluation
/// of a clone starts from the analysed engine.
fn prepare(engine: &mut regorus::Engine) -> Result<(), PolicyError> {
    engine
        .eval_query("true".to_owned(), false)
        .map(|_| ())
        .map_err(|error| {
            let (location, message, excerpt) = located(&error.to_string(), "policies");
            PolicyError::Syntax {
                location,
                message,
                excerpt,
            }
        })
}

/// Every rule definition of `package` whose name `wanted` accepts, with its name, in module
/// and source order.
pub(super) fn rules<T>(
    engine: &regorus::Engine,
    package: &str,
    wanted: impl Fn(&str) -> Option<T>,
) -> Vec<RuleDefinition> {
    let mut found = Vec::new();
    let mut engine = engine.clone();
    for module in engine.get_modules().clone() {
        if package_of(&module) != package {
            continue;
        }
        for rule in &module.policy {
            if matches!(rule.as_ref(), regorus::unstable::Rule::Default { .. }) {
                continue;
            }
            let name = rule_name(rule.span().text());
            if wanted(&name).is_some() {
                found.push((module.clone(), rule.clone(), name));
            }
        }
    }
    found
}

/// `data.main` for `package main`.
pub(super) fn package_of(module: &regorus::unstable::Module) -> String {
    let text = module.package.refr.span().text();
    format!("data.{}", text.trim())
}

/// The rule's name: the identifier its head starts with (`deny` of `deny contains msg if`,
/// of `deny[msg]` and of `deny := …`).
fn rule_name(head: &str) -> String {
    head.chars()
        .take_while(|character| character.is_ascii_alphanumeric() || *character == '_')
        .collect()
}

fn conftest_severity(name: &str) -> Option<Severity> {
    let is = |kind: &str| name == kind || name.starts_with(&format!("{kind}_"));
    if is("deny") || is("violation") {
        Some(Severity::Deny)
    } else if is("warn") {
        Some(Severity::Warn)
    } else {
        None
    }
}

/// The messages a rule left in `data.main.NAME`: the elements of a set (strings, or objects
/// whose `msg` is the message), or one message for a rule that is simply `true`.
fn messages(data: &regorus::Value, name: &str) -> Vec<String> {
    let value = &data["main"][name];
    let text = |element: &regorus::Value| -> String {
        if let Ok(text) = element.as_string() {
            return text.to_string();
        }
        if let Ok(text) = element["msg"].as_string() {
            return text.to_string();
        }
        element
            .to_json_str()
            .map(|json| json.trim().to_owned())
            .unwrap_or_default()
    };
    if let Ok(set) = value.as_set() {
        set.iter().map(text).collect()
    } else if let Ok(array) = value.as_array() {
        array.iter().map(text).collect()
    } else if value.as_bool().is_ok_and(|value| *value) {
        vec![name.to_owned()]
    } else if *value == regorus::Value::Undefined || value.as_bool().is_ok() {
        Vec::new()
    } else {
        vec![text(value)]
    }
}

fn evaluation_error(
    error: &dyn std::fmt::Display,
    file: &str,
    line: u32,
    rule: &str,
) -> PolicyError {
    let (mut location, message, excerpt) = located(&error.to_string(), file);
    if location.line.is_none() {
        // regorus did not say where: the rule's head is the best place to look.
        location.line = Some(line);
    }
    PolicyError::Evaluation {
        location,
        rule: rule.to_owned(),
        message,
        excerpt,
    }
}

/// Reads regorus' `--> FILE:LINE:COLUMN` / excerpt / `error: MESSAGE` text back into parts; a
/// message without that shape is kept whole, at `default_file`.
pub(super) fn located(text: &str, default_file: &str) -> (Location, String, Vec<String>) {
    let text = text.trim();
    let Some(start) = text.find("--> ") else {
        return (
            Location {
                file: default_file.to_owned(),
                line: None,
                column: None,
            },
            text.to_owned(),
            Vec::new(),
        );
    };
    let prefix = text[..start].trim();
    let rest = &text[start + 4..];
    let (header, body) = rest.split_once('\n').unwrap_or((rest, ""));
    // FILE may contain ':' (a Windows drive); LINE and COLUMN are the last two parts.
    let mut parts = header.trim().rsplitn(3, ':');
    let column = parts.next().and_then(|part| part.parse().ok());
    let line = parts.next().and_then(|part| part.parse().ok());
    let file = parts
        .next()
        .filter(|_| line.is_some())
        .map_or_else(|| default_file.to_owned(), str::to_owned);
    let mut excerpt = Vec::new();
    let mut message = String::new();
    for body_line in body.lines() {
        if let Some(found) = body_line.strip_prefix("error: ") {
            message = found.trim().to_owned();
        } else if !message.is_empty() {
            // Text after the message (a nested "--> …" of a dependency) belongs to it.
            message.push('\n');
            message.push_str(body_line);
        } else if body_line.trim() != "|" && !body_line.trim().is_empty() {
            // The caret counts a tab as one column: show tabs as one space so it lines up.
            excerpt.push(body_line.trim_end().replace('\t', " "));
        }
    }
    if message.is_empty() {
        message = body.trim().to_owned();
    }
    if !prefix.is_empty() {
        message = format!("{prefix}: {message}");
    }
    (Location { file, line, column }, message, excerpt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::SourceOrigin;

    fn set(files: &[(&str, &str)]) -> (tempfile::TempDir, Result<PolicySet, PolicyError>) {
        let directory = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = directory.path().join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        let sources = [PolicySource {
            path: directory.path().to_path_buf(),
            origin: SourceOrigin::CommandLine,
        }];
        let loaded = PolicySet::load(&sources);
        (directory, loaded)
    }

    fn findings(set: &PolicySet, input: Value) -> Vec<(Severity, String, String, u32, String)> {
        let root = set.files[0].path.parent().unwrap().to_path_buf();
        let root = root
            .ancestors()
            .find(|path| {
                path.file_name()
                    .is_some_and(|name| name.to_string_lossy().starts_with(".tmp"))
            })
            .unwrap_or(&root)
            .to_path_buf();
        set.evaluate(&input)
            .unwrap()
            .into_iter()
            .map(|finding| {
                let file = std::path::Path::new(&finding.file)
                    .strip_prefix(&root)
                    .unwrap()
                    .display()
                    .to_string();
                (
                    finding.severity,
                    file,
                    finding.rule,
                    finding.line,
                    finding.message,
                )
            })
            .collect()
    }

    const MODERN: &str = r#"package main

import rego.v1

deny contains msg if {
	some image in input.images
	endswith(image, ":latest")
	msg := sprintf("%s uses the latest tag", [image])
}

warn contains msg if {
	count(input.images) > 1
	msg := "more than one image"
}
"#;

    const CLASSIC: &str = r#"package main

deny[msg] {
	image := input.images[_]
	not contains(image, ":")
	msg := sprintf("%s has no tag", [image])
}

violation_registry[{"msg": msg}] {
	image := input.images[_]
	not startswith(image, "registry.example.com/")
	msg := sprintf("%s is not from registry.example.com", [image])
}
"#;

    /// v1 without the import (OPA 1.0's default), for files written for `opa` 1.x.
    const V1_WITHOUT_IMPORT: &str = r#"package main

warn_walk contains msg if {
	walk(input, [path, value])
	value == "privileged"
	msg := concat(".", [format_int(count(path), 10), "levels"])
}
"#;

    #[test]
    fn findings_name_their_file_rule_and_line_in_both_syntaxes() {
        let (_directory, loaded) = set(&[
            ("modern.rego", MODERN),
            ("classic.rego", CLASSIC),
            ("nested/v1.rego", V1_WITHOUT_IMPORT),
        ]);
        let set = loaded.unwrap();
        let input = serde_json::json!({"images": ["nginx:latest", "registry.example.com/app"], "deep": {"x": ["privileged"]}});
        assert_eq!(
            findings(&set, input),
            vec![
                (
                    Severity::Deny,
                    "classic.rego".into(),
                    "deny".into(),
                    3,
                    "registry.example.com/app has no tag".into()
                ),
                (
                    Severity::Deny,
                    "classic.rego".into(),
                    "violation_registry".into(),
                    9,
                    "nginx:latest is not from registry.example.com".into()
                ),
                (
                    Severity::Deny,
                    "modern.rego".into(),
                    "deny".into(),
                    5,
                    "nginx:latest uses the latest tag".into()
                ),
                (
                    Severity::Warn,
                    "modern.rego".into(),
                    "warn".into(),
                    11,
                    "more than one image".into()
                ),
                (
                    Severity::Warn,
                    "nested/v1.rego".into(),
                    "warn_walk".into(),
                    3,
                    "3.levels".into()
                ),
            ]
        );
        let quiet = serde_json::json!({"images": ["registry.example.com/app:1"]});
        assert!(findings(&set, quiet).is_empty());
    }

    #[test]
    fn data_files_next_to_the_policies_are_data() {
        let (_directory, loaded) = set(&[
            (
                "registries.rego",
                "package main\n\ndeny contains msg if {\n\tsome image in input.images\n\tnot startswith(image, data.registry)\n\tmsg := image\n}\n",
            ),
            ("data/registry.yaml", "registry: registry.example.com/\n"),
        ]);
        let set = loaded.unwrap();
        assert_eq!(
            set.file_names().len(),
            2,
            "the data file is part of the set"
        );
        let found = findings(
            &set,
            serde_json::json!({"images": ["nginx:1", "registry.example.com/a:1"]}),
        );
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].4, "nginx:1");
    }

    #[test]
    fn a_syntax_error_names_file_line_and_column() {
        let (directory, loaded) = set(&[(
            "broken.rego",
            "package main\n\ndeny contains msg if {\n\tmsg := sprintf(\"%s\", [input.x]\n}\n",
        )]);
        let error = loaded.unwrap_err();
        let PolicyError::Syntax { location, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            location.file,
            directory.path().join("broken.rego").display().to_string()
        );
        assert_eq!(
            (location.line, location.column),
            (Some(4), Some(9)),
            "{error}"
        );
        assert!(error.to_string().contains("expecting `}`"), "{error}");
        assert!(error.hint().is_some());
    }

    #[test]
    fn an_error_only_the_whole_set_shows_is_found_when_it_is_loaded() {
        let (directory, loaded) = set(&[(
            "unsafe.rego",
            "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := sprintf(\"%v\", [unbound])\n}\n",
        )]);
        let error = loaded.unwrap_err();
        let PolicyError::Syntax { location, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(
            location.file,
            directory.path().join("unsafe.rego").display().to_string()
        );
        assert_eq!(location.line, Some(6), "{error}");
    }

    #[test]
    fn a_rule_that_fails_at_evaluation_is_an_error_with_its_line() {
        let (directory, loaded) = set(&[(
            "failing.rego",
            "package main\n\nimport rego.v1\n\ndeny contains msg if {\n\tmsg := concat(\",\", input.name)\n}\n",
        )]);
        let set = loaded.unwrap();
        let error = set.evaluate(&serde_json::json!({"name": 42})).unwrap_err();
        let PolicyError::Evaluation { location, rule, .. } = &error else {
            panic!("{error:?}")
        };
        assert_eq!(rule, "deny");
        assert_eq!(
            location.file,
            directory.path().join("failing.rego").display().to_string()
        );
        assert_eq!(location.line, Some(6), "{error}");
    }

    #[test]
    fn regorus_error_text_is_read_back() {
        let text =
            "\n--> /tmp/x/a.rego:4:9\n  |\n4 | \tmsg := y\n  |        ^\nerror: var y is unsafe";
        let (location, message, excerpt) = located(text, "default.rego");
        assert_eq!(location.to_string(), "/tmp/x/a.rego:4:9");
        assert_eq!(message, "var y is unsafe");
        assert_eq!(excerpt, vec!["4 |  msg := y", "  |        ^"]);
        let (location, message, _) = located("something else", "default.rego");
        assert_eq!(location.to_string(), "default.rego");
        assert_eq!(message, "something else");
    }
}
